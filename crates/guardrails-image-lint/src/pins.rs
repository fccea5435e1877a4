//! The tags setter markers pin: what promotion lineage follows from lane to lane.
//!
//! A pin is the value at a `$imagepolicy` marker that writes a tag (`<ns>:<policy>:tag`, or
//! `<ns>:<policy>` writing `name:tag[@digest]`). Name and digest setters pin no tag on their
//! own; values still holding `${…}` are decided by a substitution, not by this file.

use guardrails_yaml::Span;

use crate::markers::Suffix;
use crate::model::Marker;
use crate::{Index, SourceFile, imageref, rules};

/// A tag pinned at a setter marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Repository-relative path (`/`-separated).
    pub path: String,
    /// The pinned value.
    pub span: Span,
    /// The marker's policy reference, `<ns>:<policy>`.
    pub setter: String,
    pub tag: String,
    /// `sha256:…` when the value carries a digest.
    pub digest: Option<String>,
    /// The lane, by name: the file's (its namespace, else a directory named after a lane),
    /// else the marker's policy namespace when it is a lane, else the lane whose tag prefix
    /// the tag starts with; `None` for none of them (and for [`pins_in`]).
    pub lane: Option<String>,
    /// The repository the named ImagePolicy's ImageRepository scans (normalised), so the
    /// pins of one image in several lanes (each lane its own policy) can be compared;
    /// `None` when no policy of that name is known (and for [`pins_in`]).
    pub image: Option<String>,
    /// The tag filters (`spec.filterTags.pattern`) of the policies the marker names.
    pub patterns: Vec<String>,
}

impl Index {
    /// Every pin of the indexed files, with its lane, image and policy filters.
    pub fn pins(&self) -> Vec<Pin> {
        let digests: Vec<DigestMarker> = self
            .model
            .markers
            .iter()
            .filter(|m| m.setter.suffix == Suffix::Digest)
            .filter_map(|m| {
                DigestMarker::new(&m.path, setter_of(m), m.value.as_deref(), m.value_span)
            })
            .collect();
        let pins = self
            .model
            .markers
            .iter()
            .filter_map(|m| {
                let (tag, digest) = pinned(m.setter.suffix, m.value.as_deref())?;
                let lane = m
                    .file_lane
                    .or_else(|| self.config.lane_of_namespace(&m.setter.namespace))
                    .or_else(|| self.lane_of_tag(&tag))
                    .and_then(|l| self.config.lanes.get(l))
                    .map(|l| l.name.clone());
                let policies: Vec<_> = self
                    .model
                    .policies
                    .iter()
                    .filter(|p| rules::marker_uses(m, p))
                    .collect();
                Some(Pin {
                    path: m.path.clone(),
                    span: m.value_span,
                    setter: setter_of(m),
                    tag,
                    digest,
                    lane,
                    image: policies.iter().find_map(|p| rules::image_key(self, p)),
                    patterns: policies
                        .iter()
                        .filter_map(|p| p.pattern.as_ref().map(|l| l.value.clone()))
                        .collect(),
                })
            })
            .collect();
        with_digests(pins, &digests)
    }
}

/// A `<ns>:<policy>:digest` marker's value: the digest of the tag its policy's `:tag`
/// marker pins next to it (kustomize's `images[].digest` beside `newTag`).
struct DigestMarker {
    path: String,
    setter: String,
    digest: String,
    line: usize,
}

impl DigestMarker {
    fn new(path: &str, setter: String, value: Option<&str>, span: Span) -> Option<Self> {
        let digest = value.filter(|v| v.starts_with("sha256:") && !v.contains("${"))?;
        Some(DigestMarker {
            path: path.to_owned(),
            setter,
            digest: digest.to_owned(),
            line: span.line,
        })
    }
}

/// Lines apart a `:digest` marker may be from the `:tag` marker it completes: the fields
/// of one `images` entry or one container.
const DIGEST_REACH: usize = 3;

/// Gives each pin without a digest the digest its policy's nearest `:digest` marker in the
/// same file writes, when there is one within [`DIGEST_REACH`] lines.
fn with_digests(mut pins: Vec<Pin>, digests: &[DigestMarker]) -> Vec<Pin> {
    for pin in pins.iter_mut().filter(|p| p.digest.is_none()) {
        pin.digest = digests
            .iter()
            .filter(|d| d.path == pin.path && d.setter == pin.setter)
            .map(|d| (d.line.abs_diff(pin.span.line), d))
            .filter(|(distance, _)| *distance <= DIGEST_REACH)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, d)| d.digest.clone());
    }
    pins
}

impl Index {
    /// The lane whose tag prefix `tag` starts with (the longest, when prefixes nest).
    fn lane_of_tag(&self, tag: &str) -> Option<usize> {
        self.config
            .lanes
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.tag_prefix.is_empty() && tag.starts_with(&l.tag_prefix))
            .max_by_key(|(_, l)| l.tag_prefix.len())
            .map(|(i, _)| i)
    }
}

/// The pins in one file read on its own (an older version of a file): setter, tag, digest
/// and place; no lane, image or filter, which depend on the rest of the repository.
pub fn pins_in(file: &SourceFile<'_>) -> Vec<Pin> {
    if !file.text.contains(crate::markers::TOKEN) {
        return Vec::new();
    }
    let markers = crate::model::scan_markers(file);
    let digests: Vec<DigestMarker> = markers
        .iter()
        .filter(|(setter, ..)| setter.suffix == Suffix::Digest)
        .filter_map(|(setter, value, span)| {
            let name = format!("{}:{}", setter.namespace, setter.name);
            DigestMarker::new(file.path, name, value.as_deref(), *span)
        })
        .collect();
    let pins = markers
        .into_iter()
        .filter_map(|(setter, value, span)| {
            let (tag, digest) = pinned(setter.suffix, value.as_deref())?;
            Some(Pin {
                path: file.path.to_owned(),
                span,
                setter: format!("{}:{}", setter.namespace, setter.name),
                tag,
                digest,
                lane: None,
                image: None,
                patterns: Vec::new(),
            })
        })
        .collect();
    with_digests(pins, &digests)
}

fn setter_of(m: &Marker) -> String {
    format!("{}:{}", m.setter.namespace, m.setter.name)
}

/// The tag (and digest) a marked value pins.
fn pinned(suffix: Suffix, value: Option<&str>) -> Option<(String, Option<String>)> {
    let value = value.filter(|v| !v.is_empty() && !v.contains("${"))?;
    match suffix {
        Suffix::Tag => Some((value.to_owned(), None)),
        Suffix::Full => {
            let image = imageref::split(value);
            Some((image.tag?.to_owned(), image.digest.map(str::to_owned)))
        }
        Suffix::Name | Suffix::Digest => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn file_pins(text: &str) -> Vec<Pin> {
        let docs =
            guardrails_yaml::parse_documents(text, &guardrails_yaml::Limits::default()).unwrap();
        pins_in(&SourceFile {
            path: "apps/production/kustomization.yaml",
            text,
            docs: &docs,
        })
    }

    #[test]
    fn a_digest_setter_completes_the_tag_beside_it() {
        let pins = file_pins(
            "images:\n- name: app\n  newTag: production-v1-abc1234-17 # {\"$imagepolicy\": \"production:app:tag\"}\n  \
             digest: sha256:00ff # {\"$imagepolicy\": \"production:app:digest\"}\n\
             - name: other\n  newTag: production-v1-def5678-1 # {\"$imagepolicy\": \"production:other:tag\"}\n",
        );
        let digests: Vec<(&str, Option<&str>)> = pins
            .iter()
            .map(|p| (p.setter.as_str(), p.digest.as_deref()))
            .collect();
        assert_eq!(
            digests,
            [
                ("production:app", Some("sha256:00ff")),
                // Another policy's digest marker does not complete it.
                ("production:other", None),
            ]
        );
    }

    #[test]
    fn tags_and_digests_at_markers() {
        let pins = file_pins(
            "images:\n- name: app\n  newTag: production-v1.2.3-abc1234-17 # {\"$imagepolicy\": \"production:app:tag\"}\n\
             ---\nspec:\n  image: ghcr.io/o/app:production-v1-def5678-1@sha256:0123 # {\"$imagepolicy\": \"production:app\"}\n  \
             name: ghcr.io/o/app # {\"$imagepolicy\": \"production:app:name\"}\n  \
             other: ${TAG} # {\"$imagepolicy\": \"production:app:tag\"}\n",
        );
        let seen: Vec<(&str, &str, Option<&str>, usize)> = pins
            .iter()
            .map(|p| {
                (
                    p.setter.as_str(),
                    p.tag.as_str(),
                    p.digest.as_deref(),
                    p.span.line,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("production:app", "production-v1.2.3-abc1234-17", None, 3),
                (
                    "production:app",
                    "production-v1-def5678-1",
                    Some("sha256:0123"),
                    6
                ),
            ]
        );
    }
}
