//! Diagnostics as data, and the four ways they are shown.
//!
//! Every hook of the suite reports what it found as a list of [`Diagnostic`]s: a stable
//! code, a severity, a message, an optional file position with the offending text, and help
//! that names the fix. This crate renders such a list as a graphical miette report (a
//! terminal), plain narrow text (pipes, `NO_COLOR`, pre-commit's captured output), JSON (one
//! object per line) or GitHub workflow-command annotations.
//!
//! It never prints and never exits: rendering returns a `String` the caller writes.

mod render;
mod sarif;
mod text;

use std::path::PathBuf;
use std::sync::Arc;

pub use guardrails_diagnostics::{Severity, suggest};
pub use render::{Format, Renderer, Style, markdown_code, markdown_text};
pub use sarif::Tool;
pub use text::{EscapedSource, Location, escape_terminal, sanitize};

/// A file a diagnostic points into, with its text so the offending line can be shown.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user should read it (relative to the repository when possible).
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }
}

/// A byte range of a [`SourceFile`] with a short label shown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub start: usize,
    pub len: usize,
    pub text: Option<String>,
}

/// One finding (or one reason a hook could not run).
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable, documented identifier such as `master-check::protected-commit`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Why it matters and the exact next command.
    pub help: Option<String>,
    /// The file the finding is about, when there is one.
    pub source: Option<SourceFile>,
    /// Where in `source`; the first label also gives the reported line and column.
    pub labels: Vec<Label>,
    /// A file the finding is about when its text is not at hand (no snippet is shown).
    pub path: Option<PathBuf>,
    /// What the problem breaks (overlays, Flux Kustomizations), when the cause is written
    /// in a file they share: one finding lists them all instead of repeating per build.
    pub breaks: Vec<String>,
    /// The commit (full id) the finding was made in, for findings about a repository's
    /// history rather than its checkout.
    pub commit: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            help: None,
            source: None,
            labels: Vec::new(),
            path: None,
            breaks: Vec::new(),
            commit: None,
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    pub fn advice(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Advice, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points the diagnostic at `start..start+len` of `source`.
    pub fn with_span(
        mut self,
        source: SourceFile,
        start: usize,
        len: usize,
        label: impl Into<Option<String>>,
    ) -> Self {
        self.labels.push(Label {
            start,
            len,
            text: label.into(),
        });
        self.source = Some(source);
        self
    }

    /// Adds what the problem breaks (kept once, in the order given).
    pub fn breaking(mut self, what: impl Into<String>) -> Self {
        let what = what.into();
        if !self.breaks.contains(&what) {
            self.breaks.push(what);
        }
        self
    }

    /// The message with what it breaks, as people read it.
    pub fn full_message(&self) -> String {
        const SHOWN: usize = 4;
        match self.breaks.len() {
            0 => self.message.clone(),
            n => {
                let mut listed = self.breaks[..n.min(SHOWN)].join(", ");
                if n > SHOWN {
                    listed.push_str(&format!(" and {} more", n - SHOWN));
                }
                format!("{}; breaks {listed}", self.message)
            }
        }
    }

    /// Names the commit the finding was made in (see [`Diagnostic::commit`]).
    pub fn with_commit(mut self, commit: impl Into<String>) -> Self {
        self.commit = Some(commit.into());
        self
    }

    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The file this diagnostic is about, with or without its text.
    pub fn file(&self) -> Option<&std::path::Path> {
        self.source
            .as_ref()
            .map(|s| s.path.as_path())
            .or(self.path.as_deref())
    }

    /// One-based line and column of the first label.
    pub fn location(&self) -> Option<Location> {
        let source = self.source.as_ref()?;
        let label = self.labels.first()?;
        Some(Location::of_offset(&source.text, label.start))
    }
}

/// What a hook run produced: its findings, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Always shown.
    pub diagnostics: Vec<Diagnostic>,
    /// What was checked and why it passed: shown with `--verbose` only, so a hook that runs
    /// on every commit stays silent when all is well.
    pub notes: Vec<Diagnostic>,
}

impl Report {
    /// Records a `--verbose` note (advice severity).
    pub fn note(&mut self, code: &'static str, message: impl Into<String>) {
        self.notes.push(Diagnostic::advice(code, message));
    }

    /// The diagnostics to show: notes first (they explain the context), then findings.
    pub fn visible(&self, verbose: bool) -> impl Iterator<Item = &Diagnostic> {
        let notes = if verbose { &self.notes[..] } else { &[] };
        notes.iter().chain(&self.diagnostics)
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(diagnostics);
    }

    /// Adds `other`'s findings and notes, the findings kept in file and line order.
    pub fn merge(&mut self, other: Report) {
        self.diagnostics.extend(other.diagnostics);
        self.notes.extend(other.notes);
        self.sort_by_location();
    }

    /// Orders the findings by file, then line and column (a stable sort: findings at one
    /// place keep the order they were found in).
    pub fn sort_by_location(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (a.file(), a.location().map(|l| (l.line, l.column)))
                .cmp(&(b.file(), b.location().map(|l| (l.line, l.column))))
        });
    }

    /// What the report found, in one line: `3 errors, 1 warning in 2 files`, or
    /// `no problems found`.
    pub fn tally(&self) -> String {
        let count = |severity| {
            self.diagnostics
                .iter()
                .filter(|d| d.severity == severity)
                .count()
        };
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        if errors + warnings == 0 {
            return "no problems found".to_owned();
        }
        let files: std::collections::BTreeSet<_> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Advice)
            .filter_map(Diagnostic::file)
            .collect();
        let mut parts = Vec::new();
        if errors > 0 {
            parts.push(plural(errors, "error"));
        }
        if warnings > 0 {
            parts.push(plural(warnings, "warning"));
        }
        let mut text = parts.join(", ");
        if !files.is_empty() {
            text.push_str(&format!(" in {}", plural(files.len(), "file")));
        }
        text
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn exit_status(&self) -> ExitStatus {
        if self.has_errors() {
            ExitStatus::Violations
        } else {
            ExitStatus::Clean
        }
    }
}

/// The suite's exit codes, the same for every hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to refuse.
    Clean = 0,
    /// At least one error-level finding.
    Violations = 1,
    /// The hook could not do its job: bad usage, a missing tool, an unreadable repository.
    Failure = 2,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}
