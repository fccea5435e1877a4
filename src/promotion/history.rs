//! `--promotion-history`: every change of every lane's pins with the lineage of its
//! artifact, as a table per lane (people), one JSON object per change (CI) or the
//! promotion evidence of a pull request (Markdown, for a review comment).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use guardrails_promotion::{Audit, Lineage, PinChange, Scope, Staged, date, short};
use guardrails_report::{Diagnostic, Format, escape_terminal, markdown_code, markdown_text};
use serde::Serialize;

use crate::args::FluxValidate;
use crate::cli::{CANNOT_RUN, Output};

/// Runs the audit for `cli` over the repository `options` describe and writes it.
pub fn run(
    cli: &FluxValidate,
    repo: Option<&gix::Repository>,
    options: &guardrails_flux::Options,
    output: &Output,
) -> ExitCode {
    let Some(repo) = repo else {
        return output.fail(
            Diagnostic::error(CANNOT_RUN, "--promotion-history reads a git history")
                .with_help("run it inside a git repository"),
        );
    };
    let pins = match guardrails_flux::pins(options) {
        Ok(pins) => pins,
        Err(error) => return output.fail(Diagnostic::error(CANNOT_RUN, error.to_string())),
    };
    let range = cli.from_ref.as_deref().zip(cli.to_ref.as_deref());
    let scope = match range {
        Some((from, to)) => super::range_scope(repo, from, to),
        None => Ok(Scope::All),
    };
    let audit = scope
        .and_then(|scope| super::options(cli, &options.lanes, scope, options.cache_dir.as_deref()))
        .and_then(|lineage| {
            guardrails_promotion::audit(repo, &pins, &lineage).map_err(|e| e.to_string())
        });
    let audit = match audit {
        Ok(audit) => audit,
        Err(error) => return output.fail(Diagnostic::error(CANNOT_RUN, error)),
    };
    let lanes: Vec<&str> = options.lanes.iter().map(|l| l.name.as_str()).collect();
    let what = match range {
        Some((from, to)) => format!("`{from}..{to}`"),
        None => "the history".to_owned(),
    };
    let records = match output.format() {
        Format::Human => table(&audit, &lanes),
        Format::Json => json(&audit),
        Format::Markdown => evidence(&audit, &what),
        // Annotations and code scanning take findings only.
        Format::Github | Format::Sarif => String::new(),
    };
    if let Err(error) = output.print(&records) {
        return output.fail(Diagnostic::error(
            CANNOT_RUN,
            format!("cannot write the history: {error}"),
        ));
    }
    let summary = format!(
        "{} in {} commits{}",
        plural(audit.changes.len(), "pin change"),
        audit.commits,
        if audit.shallow {
            " of a shallow clone"
        } else {
            ""
        }
    );
    output.finish_with_summary(&audit.report, &[], &summary)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// A table per lane, the lanes in their configured order, the changes oldest first.
fn table(audit: &Audit, lanes: &[&str]) -> String {
    let mut by_lane: BTreeMap<(usize, &str), Vec<&PinChange>> = BTreeMap::new();
    for change in &audit.changes {
        let rank = lanes
            .iter()
            .position(|l| *l == change.lane)
            .unwrap_or(lanes.len());
        by_lane
            .entry((rank, change.lane.as_str()))
            .or_default()
            .push(change);
    }
    // Where each pin of a lane was promoted to: (staged commit, tag) -> (lane, commit).
    let mut promoted: BTreeMap<(gix::ObjectId, &str), Vec<String>> = BTreeMap::new();
    for change in &audit.changes {
        if let Lineage::Staged(staged) = &change.lineage {
            promoted
                .entry((staged.commit, staged.tag.as_str()))
                .or_default()
                .push(format!("{} in {}", change.lane, short(&change.commit)));
        }
    }
    let mut out = String::new();
    for ((_, lane), changes) in by_lane {
        let rows: Vec<[String; 5]> = changes
            .iter()
            .map(|c| {
                [
                    date(c.time),
                    short(&c.commit),
                    format!("{}:{}", c.path, c.line),
                    pinned(&c.value.tag, c.value.digest.as_deref()),
                    match promoted.get(&(c.commit, c.value.tag.as_str())) {
                        Some(to) if c.lineage == Lineage::NotPromoted => {
                            format!("promoted to {}", to.join(", "))
                        }
                        _ => lineage_text(c),
                    },
                ]
            })
            .map(|row| row.map(|cell| escape_terminal(&cell).into_owned()))
            .collect();
        let header = ["DATE", "COMMIT", "FILE:LINE", "TAG", "LINEAGE"].map(str::to_owned);
        let widths: Vec<usize> = (0..5)
            .map(|i| {
                std::iter::once(&header)
                    .chain(&rows)
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let _ = writeln!(
            out,
            "{} ({})",
            escape_terminal(lane),
            plural(changes.len(), "change")
        );
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::from(" ");
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(&format!(" {cell}"));
                } else {
                    line.push_str(&format!(" {cell:<width$}", width = widths[i]));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    out
}

fn pinned(tag: &str, digest: Option<&str>) -> String {
    match digest {
        Some(digest) => format!("{tag}@{digest}"),
        None => tag.to_owned(),
    }
}

/// What a change's lineage is, in a table cell.
fn lineage_text(change: &PinChange) -> String {
    match &change.lineage {
        Lineage::Staged(Staged {
            from,
            commit,
            time,
            tag,
        }) => format!(
            "staged: {from} pinned {tag} in {} ({})",
            short(commit),
            date(*time)
        ),
        Lineage::Rollback { commit, .. } => {
            format!("rollback to the artifact deployed from {}", short(commit))
        }
        Lineage::NothingToPromoteFrom { from } => {
            format!("first pin: {from} had no pin of the image to promote from")
        }
        Lineage::Unstaged { from } => format!("NOT STAGED: {from} never pinned this artifact"),
        Lineage::CannotKnow { from } => {
            format!("unknown: the history at hand is cut before {from}'s pins")
        }
        Lineage::NotPromoted => String::new(),
        Lineage::Unchecked { reason } => format!("not checked: {reason}"),
    }
}

/// The JSON shape is a public interface for CI: field names never change.
#[derive(Serialize)]
struct Record<'a> {
    record: &'static str,
    commit: String,
    date: String,
    file: &'a str,
    line: usize,
    lane: &'a str,
    image: Option<&'a str>,
    setter: &'a str,
    tag: &'a str,
    digest: Option<&'a str>,
    previous_tag: Option<&'a str>,
    previous_digest: Option<&'a str>,
    artifact: Option<&'a str>,
    /// Whether the lane's ImagePolicy filter admits the tag (null: no filter known).
    selected: Option<bool>,
    lineage: &'static str,
    staged_in: Option<String>,
    staged_tag: Option<&'a str>,
    rollback_to: Option<String>,
    reason: Option<&'a str>,
}

fn json(audit: &Audit) -> String {
    let mut out = String::new();
    for change in &audit.changes {
        let (lineage, rollback_to, reason) = match &change.lineage {
            Lineage::Staged(_) => ("staged", None, None),
            Lineage::Rollback { commit, .. } => ("rollback", Some(commit.to_string()), None),
            Lineage::NothingToPromoteFrom { .. } => ("nothing-to-promote-from", None, None),
            Lineage::Unstaged { .. } => ("unstaged", None, None),
            Lineage::CannotKnow { .. } => ("cannot-know", None, None),
            Lineage::NotPromoted => ("not-promoted", None, None),
            Lineage::Unchecked { reason } => ("unchecked", None, Some(reason.as_str())),
        };
        let staged = change.staged();
        let record = Record {
            record: "pin-change",
            commit: change.commit.to_string(),
            date: iso_date(change.time),
            file: &change.path,
            line: change.line,
            lane: &change.lane,
            image: change.image.as_deref(),
            setter: &change.setter,
            tag: &change.value.tag,
            digest: change.value.digest.as_deref(),
            previous_tag: change.previous.as_ref().map(|p| p.tag.as_str()),
            previous_digest: change.previous.as_ref().and_then(|p| p.digest.as_deref()),
            artifact: change.artifact.as_deref(),
            selected: change.selected,
            lineage,
            staged_in: staged.map(|s| s.commit.to_string()),
            staged_tag: staged.map(|s| s.tag.as_str()),
            rollback_to,
            reason,
        };
        if let Ok(text) = serde_json::to_string(&record) {
            out.push_str(&text);
            out.push('\n');
        }
    }
    out
}

/// The promotion evidence: per changed pin, its lane, the artifact before and after, where
/// and when the lane before pinned the new one, whether the lane's ImagePolicy selects
/// it, and the command that rolls it back.
fn evidence(audit: &Audit, what: &str) -> String {
    let mut out = String::from("## Promotion evidence\n\n");
    let unstaged = audit
        .changes
        .iter()
        .filter(|c| matches!(c.lineage, Lineage::Unstaged { .. }))
        .count();
    let _ = writeln!(
        out,
        "{} in {}{}.\n",
        plural(audit.changes.len(), "pin change"),
        markdown_text(what),
        match unstaged {
            0 => String::new(),
            n => format!(", **{n} not staged**"),
        }
    );
    if audit.changes.is_empty() {
        return out;
    }
    out.push_str("| Lane | Pin | Change | Lineage | Policy selects | Rollback |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for change in &audit.changes {
        let cell = |text: &str| markdown_text(text).replace('|', "\\|");
        let code = |text: &str| format!("`{}`", markdown_code(text).replace('|', "\\|"));
        let artifact = |a: Option<&str>| a.map_or_else(|| "?".to_owned(), code);
        let pin = format!(
            "{}{}",
            code(&format!("{}:{}", change.path, change.line)),
            change
                .image
                .as_deref()
                .map(|i| format!(" ({})", code(i)))
                .unwrap_or_default()
        );
        let new = code(&pinned(&change.value.tag, change.value.digest.as_deref()));
        let change_text = match &change.previous {
            Some(previous) => format!(
                "{} → {new}<br>artifact {} → {}<br>in {}, {}",
                code(&pinned(&previous.tag, previous.digest.as_deref())),
                artifact(change.previous_artifact.as_deref()),
                artifact(change.artifact.as_deref()),
                code(&short(&change.commit)),
                date(change.time)
            ),
            None => format!(
                "new pin {new}<br>artifact {}<br>in {}, {}",
                artifact(change.artifact.as_deref()),
                code(&short(&change.commit)),
                date(change.time)
            ),
        };
        let lineage = match &change.lineage {
            Lineage::Staged(Staged {
                from,
                commit,
                time,
                tag,
            }) => format!(
                "staged: {} pinned {} in {} on {}",
                cell(from),
                code(tag),
                code(&short(commit)),
                date(*time)
            ),
            Lineage::Unstaged { from } => format!("**not staged**: {} never pinned it", cell(from)),
            Lineage::NotPromoted => "a build: no promotion ends in this lane".to_owned(),
            _ => cell(&lineage_text(change)),
        };
        let selects = match change.selected {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "no filter",
        };
        let rollback = match &change.previous {
            Some(previous) => format!(
                "{} restores {}",
                code(&format!("git revert {}", change.commit)),
                code(&previous.tag)
            ),
            None => format!(
                "{} removes the pin",
                code(&format!("git revert {}", change.commit))
            ),
        };
        let _ = writeln!(
            out,
            "| {} | {pin} | {change_text} | {lineage} | {selects} | {rollback} |",
            cell(&change.lane)
        );
    }
    out.push('\n');
    out
}

fn iso_date(seconds: i64) -> String {
    gix::date::Time::new(seconds, 0)
        .format(gix::date::time::format::ISO8601_STRICT)
        .unwrap_or_else(|_| seconds.to_string())
}
