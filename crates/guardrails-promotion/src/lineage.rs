//! The rule: each checked pin of lane TO against the history of lanes FROM and TO.

use std::path::Path;

use gix::ObjectId;
use guardrails_git::file_history::{FileHistoryError, PathLookup};
use guardrails_image_lint::Pin;
use guardrails_report::Report;

use crate::audit::{History, Known, Lineage, PinChange, PinValue, blob_text, locate};
use crate::finding::short;
use crate::{Edge, Options, Scope, codes};

/// A pin of lane TO to check.
struct Claim<'a> {
    edge: &'a Edge,
    pin: &'a Pin,
    /// Lane TO's tag prefix (where the tag's sha segment starts).
    to_prefix: String,
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
    let known = Known::new(pins, options);
    let history = History::read(repo, &known, start, options, false)?;
    let context = history.context(options);
    let mut lookup = PathLookup::default();
    for claim in &claims {
        let Some(checked) = checked(repo, repo_root, claim, head, &history, &mut lookup, options)?
        else {
            continue;
        };
        let pin = &checked.change;
        let at = checked.located.map(|i| history.changes[i].node);
        let place = format!("{}:{}", pin.path, pin.line);
        let artifact = pin.artifact.as_deref().unwrap_or_default();
        match context.judge(pin, at) {
            Lineage::Rollback { commit, .. } => report.note(
                codes::NOTE,
                format!(
                    "{place}: `{}` is a rollback to the artifact `{artifact}` deployed from \
                     commit {}",
                    pin.value.tag,
                    short(&commit)
                ),
            ),
            Lineage::Staged(staged) => report.note(
                codes::NOTE,
                format!(
                    "{place}: `{}` runs the artifact `{artifact}` lane `{}` pinned in commit {} \
                     (`{}`)",
                    pin.value.tag,
                    staged.from,
                    short(&staged.commit),
                    staged.tag
                ),
            ),
            Lineage::NothingToPromoteFrom { from } => report.note(
                codes::NOTE,
                format!(
                    "{place}: lane `{from}` pinned no tag of `{}` before `{}`: nothing to \
                     promote from",
                    pin.image.as_deref().unwrap_or_default(),
                    pin.value.tag
                ),
            ),
            Lineage::Unstaged { from } | Lineage::CannotKnow { from } => {
                let commit = checked.located.map(|i| history.changes[i].change.commit);
                let diagnostic = context.finding(pin, at, &from).commit(commit);
                report.push(locate(diagnostic, &pin.path, checked.text, checked.span));
            }
            Lineage::NotPromoted | Lineage::Unchecked { .. } => {}
        }
    }
    Ok(report)
}

/// The pin a claim checks, as the checked commit has it.
struct Checked {
    change: PinChange,
    /// The history's change that brought it; `None` for a commit being made.
    located: Option<usize>,
    /// The file's text where the pin is written, and its place.
    text: Option<String>,
    span: guardrails_yaml::Span,
}

/// The pin `claim` checks: the staged one (pre-commit), the current one and the change
/// that brought it (`--all`), or the one at the end of the range and the change that
/// brought it; `None` when there is nothing to check (unchanged, or gone).
fn checked(
    repo: &gix::Repository,
    repo_root: &Path,
    claim: &Claim<'_>,
    head: ObjectId,
    history: &History,
    lookup: &mut PathLookup,
    options: &Options,
) -> Result<Option<Checked>, FileHistoryError> {
    let pin = claim.pin;
    let (value, text, span) = match &options.scope {
        Scope::Changed(_) => {
            if pins_at(repo, lookup, head, &pin.path)?
                .iter()
                .any(|p| same(p, pin))
            {
                return Ok(None); // The commit being made does not change it.
            }
            let text = std::fs::read_to_string(repo_root.join(&pin.path)).ok();
            (pin.clone(), text, pin.span)
        }
        Scope::All => {
            let text = std::fs::read_to_string(repo_root.join(&pin.path)).ok();
            (pin.clone(), text, pin.span)
        }
        Scope::Range { from, to } => {
            let at_to = pins_at(repo, lookup, *to, &pin.path)?;
            let Some(at_to) = at_to.into_iter().find(|p| p.setter == pin.setter) else {
                return Ok(None); // No such pin at the end of the range.
            };
            if pins_at(repo, lookup, *from, &pin.path)?
                .iter()
                .any(|p| same(p, &at_to))
            {
                return Ok(None);
            }
            let text = blobs_text(repo, lookup, *to, &pin.path)?;
            let span = at_to.span;
            (at_to, text, span)
        }
    };
    // The change that brought the value: the newest one of the history (a revert brings
    // a value back; the revert is what the checked commit holds).
    let located = match &options.scope {
        Scope::Changed(_) => None,
        _ => history
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.change.path == value.path
                    && c.change.setter == value.setter
                    && c.change.value.tag == value.tag
                    && c.change.value.digest == value.digest
            })
            .max_by_key(|(_, c)| history.graph.generation(c.node))
            .map(|(i, _)| i),
    };
    let artifact = options
        .identity
        .of(
            &value.tag,
            value.digest.as_deref(),
            &claim.to_prefix,
            &pin.patterns,
        )
        .map(|a| a.id);
    if artifact.is_none() {
        return Ok(None);
    }
    let change = PinChange {
        commit: located.map_or(ObjectId::null(gix::hash::Kind::Sha1), |i| {
            history.changes[i].change.commit
        }),
        time: located.map_or(0, |i| history.changes[i].change.time),
        path: value.path.clone(),
        line: span.line,
        lane: claim.edge.to.clone(),
        image: pin.image.clone(),
        setter: pin.setter.clone(),
        value: PinValue {
            tag: value.tag.clone(),
            digest: value.digest.clone(),
        },
        previous: None,
        artifact,
        previous_artifact: None,
        selected: None,
        lineage: Lineage::NotPromoted,
    };
    Ok(Some(Checked {
        change,
        located,
        text,
        span,
    }))
}

fn same(a: &Pin, b: &Pin) -> bool {
    a.setter == b.setter && a.tag == b.tag && a.digest == b.digest
}

/// The text of `path` in `commit`.
fn blobs_text(
    repo: &gix::Repository,
    lookup: &mut PathLookup,
    commit: ObjectId,
    path: &str,
) -> Result<Option<String>, FileHistoryError> {
    let blob = lookup.blobs_in_commit(repo, commit, &[path.to_owned()])?;
    Ok(blob
        .into_iter()
        .flatten()
        .next()
        .and_then(|b| blob_text(repo, b)))
}

/// The pins of `path` in `commit`.
fn pins_at(
    repo: &gix::Repository,
    lookup: &mut PathLookup,
    commit: ObjectId,
    path: &str,
) -> Result<Vec<Pin>, FileHistoryError> {
    let Some(text) = blobs_text(repo, lookup, commit, path)? else {
        return Ok(Vec::new());
    };
    let Ok(docs) = guardrails_yaml::parse_documents(&text, &guardrails_yaml::Limits::default())
    else {
        return Ok(Vec::new());
    };
    let file = guardrails_image_lint::SourceFile {
        path,
        text: &text,
        docs: &docs,
    };
    Ok(guardrails_image_lint::pins_in(&file))
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
            if options
                .identity
                .of(
                    &pin.tag,
                    pin.digest.as_deref(),
                    &to_lane.tag_prefix,
                    &pin.patterns,
                )
                .is_none()
            {
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
                to_prefix: to_lane.tag_prefix.clone(),
            });
        }
    }
    out
}
