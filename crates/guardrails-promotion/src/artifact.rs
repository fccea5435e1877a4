//! Which artifact a tag names.
//!
//! The promotion path retags one build from lane to lane: `staging-v1.4.0-3f9c2a1-1733400000`
//! becomes `production-v1.4.0-3f9c2a1-1733486400`. What stays is the build's identity, the
//! commit sha segment; the lane prefix and the timestamp change. A digest
//! (`@sha256:…`), where a pin carries one, names the image content itself.

/// The identity of the artifact a pin deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The build identity from the tag (a commit sha, lowercase), or the `id` group of
    /// `--artifact-id`.
    pub id: String,
    /// `sha256:…` when the pin carries a digest.
    pub digest: Option<String>,
}

impl Artifact {
    /// Whether `self` and `other` are the same artifact: the same identity (a short sha
    /// names the same commit as a longer one it starts) and, when both carry a digest, the
    /// same digest.
    pub fn same_as(&self, other: &Artifact) -> bool {
        let ids = if self.id.len() >= SHORTEST_SHA && other.id.len() >= SHORTEST_SHA {
            self.id.starts_with(&other.id) || other.id.starts_with(&self.id)
        } else {
            self.id == other.id
        };
        let digests = match (&self.digest, &other.digest) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        ids && digests
    }
}

impl Artifact {
    /// What two ids that name the same artifact share (see [`Artifact::same_as`]): the
    /// first seven characters of a sha, or the whole of a shorter id. Indexes key on it.
    pub fn key(id: &str) -> &str {
        if id.len() >= SHORTEST_SHA {
            id.get(..SHORTEST_SHA).unwrap_or(id)
        } else {
            id
        }
    }
}

/// git's default abbreviation.
const SHORTEST_SHA: usize = 7;

/// How tags name their artifact.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// `--artifact-id`: a pattern with a group `id`, for tag schemes without a sha segment.
    pub custom: Option<regex::bytes::Regex>,
}

/// `--artifact-id` that does not compile or has no group `id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --artifact-id `{pattern}`: {reason}")]
pub struct InvalidIdentity {
    pattern: String,
    reason: String,
}

impl Identity {
    pub fn with_pattern(pattern: &str) -> Result<Identity, InvalidIdentity> {
        let invalid = |reason: String| InvalidIdentity {
            pattern: pattern.to_owned(),
            reason,
        };
        let re = compile(pattern).map_err(|e| invalid(e.to_string()))?;
        if !re.capture_names().flatten().any(|n| n == "id") {
            return Err(invalid(
                "it needs a named group `id`, e.g. `-(?P<id>[0-9a-f]{7,40})-`".to_owned(),
            ));
        }
        Ok(Identity { custom: Some(re) })
    }

    /// The artifact `tag` (pinned with `digest`) names, in a lane whose tags start with
    /// `prefix` and whose ImagePolicy filters are `filters`: the `id` group of
    /// `--artifact-id`, else a `sha` group of a filter that matches, else the tag's sha
    /// segment. `None` when the tag names none (`latest`, `v1.2.3`).
    pub fn of(
        &self,
        tag: &str,
        digest: Option<&str>,
        prefix: &str,
        filters: &[String],
    ) -> Option<Artifact> {
        let id = match &self.custom {
            Some(re) => group(re, tag, "id")?,
            None => filters
                .iter()
                .filter(|f| f.contains("sha>"))
                .find_map(|f| with_compiled(f, |re| group(re, tag, "sha")).flatten())
                .or_else(|| sha_segment(tag.strip_prefix(prefix).unwrap_or(tag)))?,
        };
        Some(Artifact {
            id: id.to_ascii_lowercase(),
            digest: digest.map(str::to_owned),
        })
    }
}

/// Whether an ImagePolicy with these tag filters (`spec.filterTags.pattern`) admits `tag`:
/// `None` when there is no filter to ask (or none compiles).
pub fn filter_selects(patterns: &[String], tag: &str) -> Option<bool> {
    let mut any_filter = false;
    let mut selects = false;
    for pattern in patterns {
        if let Some(matched) = with_compiled(pattern, |re| re.is_match(tag.as_bytes())) {
            any_filter = true;
            selects |= matched;
        }
    }
    any_filter.then_some(selects)
}

/// Runs `f` on [`compile`]'s regex for `pattern`, compiled once per pattern and thread (a
/// history asks about the same few filters for thousands of tags); `None` when it does
/// not compile. The regex is borrowed, never cloned: a clone starts with an empty match
/// cache, which costs more than the match.
fn with_compiled<T>(pattern: &str, f: impl FnOnce(&regex::bytes::Regex) -> T) -> Option<T> {
    type Compiled = std::collections::HashMap<String, Option<regex::bytes::Regex>>;
    thread_local! {
        static COMPILED: std::cell::RefCell<Compiled> = std::cell::RefCell::default();
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            cache.insert(pattern.to_owned(), compile(pattern).ok());
        }
        cache.get(pattern).and_then(Option::as_ref).map(f)
    })
}

/// Go's RE2 reads `\d`, `\w`, `\s` as ASCII classes: so does this.
fn compile(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(1 << 20)
        .build()
}

fn group(re: &regex::bytes::Regex, tag: &str, name: &str) -> Option<String> {
    let captures = re.captures(tag.as_bytes())?;
    let found = captures.name(name)?;
    let text = std::str::from_utf8(found.as_bytes()).ok()?;
    (!text.is_empty()).then(|| text.to_owned())
}

/// The commit sha segment of `<version>-<sha>-<timestamp>`-shaped tags (the lane prefix
/// removed): the last `-`-separated segment of 7 to 64 hex digits, never a final all-digit
/// segment (a timestamp, or a build number: a sha could be all digits, but a tag that
/// ends with one is too ambiguous to judge).
fn sha_segment(rest: &str) -> Option<String> {
    let segments: Vec<&str> = rest.split(['-', '_', '.']).collect();
    let mut candidates: Vec<(usize, &str)> = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            (SHORTEST_SHA..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(i, s)| (i, *s))
        .collect();
    if let Some(&(last, text)) = candidates.last()
        && last + 1 == segments.len()
        && text.bytes().all(|b| b.is_ascii_digit())
    {
        candidates.pop();
    }
    candidates.last().map(|(_, s)| (*s).to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(tag: &str, prefix: &str) -> Option<String> {
        Identity::default().of(tag, None, prefix, &[]).map(|a| a.id)
    }

    #[test]
    fn the_sha_segment_of_lane_tags() {
        assert_eq!(
            id("production-v0.0.2-69175fe-1771335946", "production-").as_deref(),
            Some("69175fe")
        );
        assert_eq!(
            id("develop-aec9864-1771610373", "develop-").as_deref(),
            Some("aec9864")
        );
        assert_eq!(
            id("staging-v1.0.0-ABCDEF0123456789-1", "staging-").as_deref(),
            Some("abcdef0123456789")
        );
        // A final number is a timestamp or a build number, never judged as a sha.
        assert_eq!(id("main-1234567", "main-"), None);
        assert_eq!(id("production-v1.2.3-1771335946", "production-"), None);
        assert_eq!(id("v1.2.3", "production-"), None);
        assert_eq!(id("latest", ""), None);
    }

    #[test]
    fn named_groups_say_where_the_sha_is() {
        let filters = vec![r"^production-(?P<ts>\d+)-(?P<sha>[a-f0-9]+)$".to_owned()];
        let artifact = Identity::default()
            .of(
                "production-1771335946-0aa11bb",
                None,
                "production-",
                &filters,
            )
            .unwrap();
        assert_eq!(artifact.id, "0aa11bb");
        let custom = Identity::with_pattern(r"build\.(?P<id>\d+)").unwrap();
        assert_eq!(
            custom
                .of("staging-build.42", None, "staging-", &filters)
                .unwrap()
                .id,
            "42"
        );
        assert!(Identity::with_pattern("(no-group").is_err());
        assert!(Identity::with_pattern("[a-f]+").is_err());
    }

    #[test]
    fn same_artifact_means_same_sha_and_no_conflicting_digest() {
        let a = |id: &str, digest: Option<&str>| Artifact {
            id: id.to_owned(),
            digest: digest.map(str::to_owned),
        };
        assert!(a("69175fe", None).same_as(&a("69175fe3c2d1", None)));
        assert!(!a("69175fe", None).same_as(&a("69175ff", None)));
        assert!(a("69175fe", Some("sha256:1")).same_as(&a("69175fe", None)));
        assert!(!a("69175fe", Some("sha256:1")).same_as(&a("69175fe", Some("sha256:2"))));
        assert!(!a("42", None).same_as(&a("421", None)));
    }
}
