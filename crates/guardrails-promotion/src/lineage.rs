//! The rule: each checked pin of lane TO against the history of lanes FROM and TO.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;
use guardrails_git::file_history::{self, FileHistory, FileHistoryError};
use guardrails_image_lint::{Lane, Pin};
use guardrails_report::{Diagnostic, Report, SourceFile};

use crate::artifact::Artifact;
use crate::finding::short;
use crate::{Edge, Options, Scope, codes, finding};

/// A pin of lane TO to check, with what it is checked against.
#[derive(Clone)]
struct Claim<'a> {
    edge: &'a Edge,
    pin: &'a Pin,
    artifact: Artifact,
    from_lane: &'a Lane,
    /// The setters (`<ns>:<policy>`) lane FROM pins this image at today, and their filters.
    from_setters: BTreeSet<&'a str>,
    from_filters: Vec<String>,
    from_paths: BTreeSet<&'a str>,
}

/// A pin of an older version of a followed file.
pub(crate) struct PastPin {
    pub(crate) pin: Pin,
    /// The version it belongs to (index in the history's versions).
    pub(crate) version: usize,
}

/// Checks the pins `options.scope` selects; `repo_root` is where the current files are
/// read for the snippets.
pub fn check(
    repo: &gix::Repository,
    repo_root: &Path,
    pins: &[Pin],
    options: &Options,
) -> Result<Report, FileHistoryError> {
    let mut report = Report::default();
    let Ok(head) = repo.head_id().map(gix::Id::detach) else {
        // An unborn branch has no history to be promoted from.
        return Ok(report);
    };
    let claims = claims(pins, options, &mut report);
    if claims.is_empty() {
        return Ok(report);
    }
    let start = match &options.scope {
        Scope::Range { to, .. } => *to,
        _ => head,
    };
    let paths: Vec<String> = claims
        .iter()
        .flat_map(|c| std::iter::once(c.pin.path.as_str()).chain(c.from_paths.iter().copied()))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let history = file_history::file_history(repo, &[start], &paths, options.commit_limit)?;
    let past = past_pins(&history);
    for claim in &claims {
        judge(
            repo,
            repo_root,
            claim,
            start,
            &history,
            &past,
            options,
            &mut report,
        )?;
    }
    Ok(report)
}

/// The pins of lane TO the scope selects, each with lane FROM's pins of the same image.
fn claims<'a>(pins: &'a [Pin], options: &'a Options, report: &mut Report) -> Vec<Claim<'a>> {
    let lane = |name: &str| options.lanes.iter().find(|l| l.name == name);
    let mut out = Vec::new();
    for edge in &options.edges {
        let (Some(from_lane), Some(to_lane)) = (lane(&edge.from), lane(&edge.to)) else {
            report.note(
                codes::NOTE,
                format!(
                    "promotion {}={}: no such lane (lanes: {})",
                    edge.from,
                    edge.to,
                    options
                        .lanes
                        .iter()
                        .map(|l| l.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        };
        for (lane, holds) in [(&edge.from, from_lane), (&edge.to, to_lane)] {
            if !pins
                .iter()
                .any(|p| p.lane.as_deref() == Some(lane.as_str()))
            {
                report.note(
                    codes::NOTE,
                    format!(
                        "promotion {}={}: no setter marker pins a tag of lane `{lane}` (a file \
                         in its namespace or a directory named `{lane}`, a policy in namespace \
                         `{lane}`, or a tag starting with `{}`)",
                        edge.from, edge.to, holds.tag_prefix
                    ),
                );
            }
        }
        for pin in pins.iter().filter(|p| p.lane.as_deref() == Some(&edge.to)) {
            if let Scope::Changed(files) = &options.scope
                && !files.contains(&pin.path)
            {
                continue;
            }
            let Some(image) = &pin.image else {
                report.note(
                    codes::NOTE,
                    format!(
                        "{}:{}: `{}` names no known ImagePolicy: lineage not checked",
                        pin.path, pin.span.line, pin.setter
                    ),
                );
                continue;
            };
            let from: Vec<&Pin> = pins
                .iter()
                .filter(|p| {
                    p.lane.as_deref() == Some(&edge.from) && p.image.as_ref() == Some(image)
                })
                .collect();
            if from.is_empty() {
                report.note(
                    codes::NOTE,
                    format!(
                        "{}:{}: lane `{}` pins no tag of `{image}`: lineage not checked",
                        pin.path, pin.span.line, edge.from
                    ),
                );
                continue;
            }
            let Some(artifact) = options.identity.of(
                &pin.tag,
                pin.digest.as_deref(),
                &to_lane.tag_prefix,
                &pin.patterns,
            ) else {
                report.note(
                    codes::NOTE,
                    format!(
                        "{}:{}: tag `{}` names no artifact (no sha segment, no `sha` group): \
                         lineage not checked",
                        pin.path, pin.span.line, pin.tag
                    ),
                );
                continue;
            };
            out.push(Claim {
                edge,
                pin,
                artifact,
                from_lane,
                from_setters: from.iter().map(|p| p.setter.as_str()).collect(),
                from_filters: from.iter().flat_map(|p| p.patterns.clone()).collect(),
                from_paths: from.iter().map(|p| p.path.as_str()).collect(),
            });
        }
    }
    out
}

pub(crate) fn past_pins(history: &FileHistory) -> Vec<PastPin> {
    let versions: Vec<usize> = (0..history.versions.len())
        .filter(|&v| history.versions[v].text.contains("$imagepolicy"))
        .collect();
    let texts: Vec<&str> = versions
        .iter()
        .map(|&v| history.versions[v].text.as_str())
        .collect();
    let limits = guardrails_yaml::Limits::default();
    let mut out = Vec::new();
    // One parser thread for every version: a history holds thousands of them. A version
    // that does not parse pinned nothing anyone applied.
    let parsed = guardrails_yaml::parse_each(&texts, &limits, |i, docs| {
        if let Ok(docs) = docs {
            out.extend(pins_of(history, versions[i], &docs));
        }
    });
    if parsed.is_err() {
        // The parser thread could not start: one thread per version, as for any file.
        out.clear();
        for &version in &versions {
            if let Ok(docs) =
                guardrails_yaml::parse_documents(&history.versions[version].text, &limits)
            {
                out.extend(pins_of(history, version, &docs));
            }
        }
    }
    out
}

/// The pins of one version, parsed into `docs`.
fn pins_of(
    history: &FileHistory,
    version: usize,
    docs: &[guardrails_yaml::Node],
) -> impl Iterator<Item = PastPin> {
    let v = &history.versions[version];
    let file = guardrails_image_lint::SourceFile {
        path: &v.path,
        text: &v.text,
        docs,
    };
    guardrails_image_lint::pins_in(&file)
        .into_iter()
        .map(move |pin| PastPin { pin, version })
}

#[allow(clippy::too_many_arguments)]
fn judge(
    repo: &gix::Repository,
    repo_root: &Path,
    claim: &Claim<'_>,
    start: ObjectId,
    history: &FileHistory,
    past: &[PastPin],
    options: &Options,
    report: &mut Report,
) -> Result<(), FileHistoryError> {
    let own: Vec<&PastPin> = past
        .iter()
        .filter(|p| p.pin.path == claim.pin.path && p.pin.setter == claim.pin.setter)
        .collect();
    // A range is judged on the pin as its last commit has it, whatever is checked out.
    let at_range_end = match &options.scope {
        Scope::Range { to, .. } => {
            let Some(at_to) = own
                .iter()
                .find(|p| history.versions[p.version].commits.contains(to))
            else {
                return Ok(()); // No such pin at the end of the range.
            };
            Some((
                Pin {
                    tag: at_to.pin.tag.clone(),
                    digest: at_to.pin.digest.clone(),
                    span: at_to.pin.span,
                    ..claim.pin.clone()
                },
                history.versions[at_to.version].text.as_str(),
            ))
        }
        _ => None,
    };
    let (pin, pinned_text) = match &at_range_end {
        Some((pin, text)) => (pin, Some(*text)),
        None => (claim.pin, None),
    };
    let artifact = match &at_range_end {
        Some((pin, _)) => {
            let prefix = lane_prefix(options, &claim.edge.to);
            match options
                .identity
                .of(&pin.tag, pin.digest.as_deref(), prefix, &pin.patterns)
            {
                Some(artifact) => artifact,
                None => return Ok(()),
            }
        }
        None => claim.artifact.clone(),
    };
    let claim = &Claim {
        artifact,
        pin,
        ..claim.clone()
    };
    let same_pin = |p: &Pin| p.setter == pin.setter && p.tag == pin.tag && p.digest == pin.digest;
    let held_at = |commit: &ObjectId| {
        own.iter()
            .filter(|p| history.versions[p.version].commits.contains(commit))
            .any(|p| same_pin(&p.pin))
    };
    // The commit that brought the pin: none when the change being made brings it.
    let unchanged_at_start = held_at(&start);
    match &options.scope {
        Scope::Changed(_) if unchanged_at_start => return Ok(()),
        Scope::Range { from, .. } if held_at(from) => return Ok(()),
        _ => {}
    }
    // In a CI range or `--all`, the commit that brought the pin (findings name it).
    let introduced = unchanged_at_start
        .then(|| {
            own.iter()
                .filter(|p| same_pin(&p.pin))
                .map(|p| &history.versions[p.version])
                .min_by_key(|v| v.time)
                .map(|v| v.commit)
        })
        .flatten();
    let allowed: Option<HashSet<ObjectId>> = if unchanged_at_start {
        match introduced {
            Some(commit) => {
                let parents = file_history::parents(repo, commit)?;
                Some(file_history::reachable(
                    repo,
                    &parents,
                    options.commit_limit,
                )?)
            }
            None => None,
        }
    } else {
        None // The change brings it: all of the walked history is before it.
    };
    let in_allowed = |p: &PastPin| {
        let v = &history.versions[p.version];
        match &allowed {
            None => true,
            Some(set) => v.commits.iter().any(|c| set.contains(c)),
        }
    };
    let to_prefix = lane_prefix(options, &claim.edge.to);
    let artifact_of = |p: &Pin, prefix: &str, filters: &[String]| {
        options
            .identity
            .of(&p.tag, p.digest.as_deref(), prefix, filters)
    };
    // A rollback: lane TO ran this artifact before.
    if let Some(earlier) = own.iter().find(|p| {
        in_allowed(p)
            && artifact_of(&p.pin, to_prefix, &pin.patterns)
                .is_some_and(|a| a.same_as(&claim.artifact))
    }) {
        let (commit, _) = introduction(past, history, &earlier.pin, &in_allowed);
        report.note(
            codes::NOTE,
            format!(
                "{}:{}: `{}` is a rollback to the artifact `{}` deployed from commit {}",
                pin.path,
                pin.span.line,
                pin.tag,
                claim.artifact.id,
                short(&commit)
            ),
        );
        return Ok(());
    }
    let from_pins: Vec<&PastPin> = past
        .iter()
        .filter(|p| {
            claim.from_paths.contains(p.pin.path.as_str())
                && claim.from_setters.contains(p.pin.setter.as_str())
                && in_allowed(p)
        })
        .collect();
    if from_pins.is_empty() && !(history.shallow || history.truncated) {
        // The lane did not pin this image yet (both lanes created at once, an image new
        // to the path): there was nothing to promote from.
        report.note(
            codes::NOTE,
            format!(
                "{}:{}: lane `{}` pinned no tag of `{}` before `{}`: nothing to promote from",
                pin.path,
                pin.span.line,
                claim.edge.from,
                pin.image.as_deref().unwrap_or_default(),
                pin.tag
            ),
        );
        return Ok(());
    }
    let from_artifact = |p: &Pin| artifact_of(p, &claim.from_lane.tag_prefix, &claim.from_filters);
    // Where lane FROM pinned this build with a digest anywhere, the digest is the
    // artifact: a pin of the same build without one does not vouch for another digest.
    let build = Artifact {
        digest: None,
        ..claim.artifact.clone()
    };
    let staged_digest = claim.artifact.digest.is_some()
        && from_pins.iter().any(|p| {
            from_artifact(&p.pin).is_some_and(|a| a.digest.is_some() && build.same_as(&a))
        });
    if let Some(staged) = from_pins.iter().find(|p| {
        from_artifact(&p.pin)
            .is_some_and(|a| a.same_as(&claim.artifact) && (a.digest.is_some() || !staged_digest))
    }) {
        let (commit, _) = introduction(past, history, &staged.pin, &in_allowed);
        report.note(
            codes::NOTE,
            format!(
                "{}:{}: `{}` runs the artifact `{}` lane `{}` pinned in commit {} (`{}`)",
                pin.path,
                pin.span.line,
                pin.tag,
                claim.artifact.id,
                claim.edge.from,
                short(&commit),
                staged.pin.tag
            ),
        );
        return Ok(());
    }
    // Same build, other image content: a digest that is not the one staging ran.
    let other_digest = from_pins.iter().find_map(|p| {
        let a = from_artifact(&p.pin)?;
        (a.digest.is_some()
            && Artifact {
                digest: None,
                ..a.clone()
            }
            .same_as(&claim.artifact))
        .then_some(a.digest?)
    });
    // Lane FROM's pins, the most recently held first, each with the commit that brought it.
    let mut recent: Vec<(&PastPin, i64)> = from_pins
        .iter()
        .map(|p| (*p, history.versions[p.version].newest))
        .collect();
    recent.sort_by_key(|p| std::cmp::Reverse(p.1));
    let mut seen = HashSet::new();
    let last_pins: Vec<(String, ObjectId, i64)> = recent
        .into_iter()
        .filter(|(p, _)| seen.insert(p.pin.tag.clone()))
        .take(3)
        .map(|(p, _)| {
            let (commit, time) = introduction(past, history, &p.pin, &in_allowed);
            (p.pin.tag.clone(), commit, time)
        })
        .collect();
    let diagnostic = finding::diagnostic(&finding::Facts {
        from: &claim.edge.from,
        to: &claim.edge.to,
        tag: &pin.tag,
        digest: pin.digest.as_deref(),
        image: pin.image.as_deref().unwrap_or_default(),
        artifact: &claim.artifact.id,
        other_digest: other_digest.as_deref(),
        last_pins: &last_pins,
        blind: (history.shallow || history.truncated).then_some((history.commits, history.shallow)),
        commit: introduced,
    });
    report.push(locate(diagnostic, repo_root, pin, pinned_text));
    Ok(())
}

fn locate(diagnostic: Diagnostic, repo_root: &Path, pin: &Pin, text: Option<&str>) -> Diagnostic {
    let text = match text {
        Some(text) => Some(text.to_owned()),
        None => std::fs::read_to_string(repo_root.join(&pin.path)).ok(),
    };
    match text {
        Some(text) if pin.span.offset + pin.span.len <= text.len() => diagnostic.with_span(
            SourceFile::new(PathBuf::from(&pin.path), text),
            pin.span.offset,
            pin.span.len,
            Some("not promoted from the lane before".to_owned()),
        ),
        _ => diagnostic.with_path(&pin.path),
    }
}

/// The oldest commit (and its time) that holds `pin` (same file, setter, tag and digest)
/// among the versions `in_allowed` admits: the commit that brought it.
fn introduction(
    past: &[PastPin],
    history: &FileHistory,
    pin: &Pin,
    in_allowed: &dyn Fn(&PastPin) -> bool,
) -> (ObjectId, i64) {
    past.iter()
        .filter(|p| {
            p.pin.path == pin.path
                && p.pin.setter == pin.setter
                && p.pin.tag == pin.tag
                && p.pin.digest == pin.digest
                && in_allowed(p)
        })
        .map(|p| &history.versions[p.version])
        .min_by_key(|v| v.time)
        .map_or((ObjectId::null(gix::hash::Kind::Sha1), 0), |v| {
            (v.commit, v.time)
        })
}

fn lane_prefix<'o>(options: &'o Options, lane: &str) -> &'o str {
    options
        .lanes
        .iter()
        .find(|l| l.name == lane)
        .map_or("", |l| l.tag_prefix.as_str())
}
