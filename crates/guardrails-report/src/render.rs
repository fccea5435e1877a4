//! Rendering a [`Report`] in the format the caller chose.

use std::fmt;
use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;

use crate::text::{EscapedSource, escape_terminal};
use crate::{Diagnostic, Report, Severity};

/// Output formats offered by every hook (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// miette reports for people: graphical on a terminal, plain ASCII elsewhere.
    #[default]
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`).
    Github,
    /// One SARIF 2.1.0 document for the whole run (GitHub code scanning).
    Sarif,
    /// A Markdown list, one item per diagnostic: for pull-request comments and job
    /// summaries.
    Markdown,
}

/// How human output may look; decided by the caller from the terminal and `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (never when `NO_COLOR` is set or output is not a terminal).
    pub color: bool,
    /// Box-drawing characters (only on a terminal).
    pub unicode: bool,
    /// Wrap width in columns.
    pub width: usize,
}

impl Style {
    /// Plain, narrow text: what pre-commit's captured output, CI logs and pipes get.
    pub const PLAIN: Style = Style {
        color: false,
        unicode: false,
        width: 80,
    };
}

/// Turns reports into text.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    format: Format,
    style: Style,
    /// Who ran, for formats that name the tool (SARIF).
    tool: crate::Tool,
}

impl Renderer {
    pub fn new(format: Format, style: Style) -> Self {
        Self {
            format,
            style,
            tool: crate::Tool {
                name: "gitops-guardrails",
                version: env!("CARGO_PKG_VERSION"),
            },
        }
    }

    /// Names the hook in formats that record the tool (SARIF's `tool.driver`).
    pub fn with_tool(mut self, tool: crate::Tool) -> Self {
        self.tool = tool;
        self
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The whole report as text, ready to write; empty when there is nothing to say.
    pub fn render(&self, report: &Report) -> String {
        self.render_all(report.diagnostics.iter())
    }

    /// Renders the given diagnostics (for example [`Report::visible`]).
    pub fn render_all<'a>(&self, diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> String {
        if self.format == Format::Sarif {
            return crate::sarif::document(self.tool, diagnostics);
        }
        let mut out = String::new();
        for diagnostic in diagnostics {
            match self.format {
                Format::Human => self.human(&mut out, diagnostic),
                Format::Json => json_line(&mut out, diagnostic),
                Format::Github => github_line(&mut out, diagnostic),
                Format::Markdown => markdown_item(&mut out, diagnostic),
                // One document for the whole run, returned above.
                Format::Sarif => {}
            }
        }
        out
    }

    fn human(&self, out: &mut String, diagnostic: &Diagnostic) {
        let theme = match (self.style.unicode, self.style.color) {
            (true, true) => GraphicalTheme::unicode(),
            (true, false) => GraphicalTheme::unicode_nocolor(),
            (false, true) => GraphicalTheme::ascii(),
            (false, false) => GraphicalTheme::none(),
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(self.style.width)
            .with_links(false)
            .with_urls(false);
        let adapter = MietteAdapter::new(diagnostic);
        if handler.render_report(out, &adapter).is_err() {
            // Rendering into a String only fails if a Display impl fails; fall back to the
            // bare message rather than losing the finding.
            let _ = writeln!(out, "{}: {}", diagnostic.code, adapter.message);
        }
    }
}

/// Bridges our plain-data diagnostic to miette's trait for graphical rendering.
struct MietteAdapter<'a> {
    diagnostic: &'a Diagnostic,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    /// The labels, with offsets into the escaped source.
    labels: Vec<LabeledSpan>,
}

impl<'a> MietteAdapter<'a> {
    fn new(diagnostic: &'a Diagnostic) -> Self {
        // Everything shown comes from the repository or the command line: no control
        // character reaches the terminal as itself.
        let message = match (&diagnostic.source, &diagnostic.path) {
            (None, Some(path)) => format!(
                "{}: {}",
                escape_terminal(&path.display().to_string()),
                escape_terminal(&diagnostic.full_message())
            ),
            _ => escape_terminal(&diagnostic.full_message()).into_owned(),
        };
        let help = diagnostic
            .help
            .as_deref()
            .map(|help| escape_terminal(help).into_owned());
        let (source, labels) = match &diagnostic.source {
            Some(s) => {
                let escaped = EscapedSource::new(&s.text);
                let labels = diagnostic
                    .labels
                    .iter()
                    .map(|label| {
                        let start = escaped.offset(label.start);
                        let end = escaped.offset(label.start + label.len);
                        LabeledSpan::new(
                            label
                                .text
                                .as_deref()
                                .map(|t| escape_terminal(t).into_owned()),
                            start,
                            end - start,
                        )
                    })
                    .collect();
                let name = escape_terminal(&s.path.display().to_string()).into_owned();
                (
                    Some(NamedSource::new(name, escaped.text).with_language("yaml")),
                    labels,
                )
            }
            None => (None, Vec::new()),
        };
        Self {
            diagnostic,
            message,
            help,
            source,
            labels,
        }
    }
}

impl fmt::Debug for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic.fmt(f)
    }
}

impl fmt::Display for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteAdapter<'_> {}

impl miette::Diagnostic for MietteAdapter<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The JSON shape is a public interface for CI: field names never change.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    help: Option<&'a str>,
    /// What the problem breaks; absent when it breaks nothing beyond its file.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    breaks: &'a [String],
    /// The commit the finding was made in; absent for findings about the checkout.
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

fn json_line(out: &mut String, diagnostic: &Diagnostic) {
    let location = diagnostic.location();
    let record = JsonDiagnostic {
        code: diagnostic.code,
        severity: diagnostic.severity.as_str(),
        message: &diagnostic.message,
        file: diagnostic.file().map(|p| p.display().to_string()),
        line: location.map(|l| l.line),
        column: location.map(|l| l.column),
        help: diagnostic.help.as_deref(),
        breaks: &diagnostic.breaks,
        commit: diagnostic.commit.as_deref(),
    };
    // Serialising plain strings and numbers cannot fail.
    if let Ok(text) = serde_json::to_string(&record) {
        out.push_str(&text);
        out.push('\n');
    }
}

fn github_line(out: &mut String, diagnostic: &Diagnostic) {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "notice",
    };
    let mut properties = vec![format!("title={}", escape_property(diagnostic.code))];
    if let Some(file) = diagnostic.file() {
        properties.push(format!(
            "file={}",
            escape_property(&escape_terminal(&file.display().to_string()))
        ));
    }
    if let Some(location) = diagnostic.location() {
        properties.push(format!("line={}", location.line));
        properties.push(format!("col={}", location.column));
    }
    // Annotations end up in logs and terminals too: escaped like the human output.
    let mut message = escape_terminal(&diagnostic.full_message()).into_owned();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(&escape_terminal(help));
    }
    let _ = writeln!(
        out,
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    );
}

fn markdown_item(out: &mut String, diagnostic: &Diagnostic) {
    let mut place = String::new();
    if let Some(file) = diagnostic.file() {
        place = file.display().to_string();
        if let Some(location) = diagnostic.location() {
            place.push_str(&format!(":{}", location.line));
        }
        place = format!(" `{}`", markdown_code(&place));
    }
    let _ = writeln!(
        out,
        "- **{}** `{}`{place}: {}",
        diagnostic.severity.as_str(),
        diagnostic.code,
        markdown_text(&diagnostic.full_message())
    );
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "  - help: {}", markdown_text(help));
    }
}

/// Text from a repository in Markdown: control characters escaped as for a terminal, and
/// no HTML (a comment renders it) and no line breaks that would end the list item.
pub fn markdown_text(text: &str) -> String {
    escape_terminal(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

/// Text inside a code span: backticks cannot be escaped there, so they become quotes.
pub fn markdown_code(text: &str) -> String {
    escape_terminal(text).replace('`', "'").replace('\n', " ")
}

/// Escaping rules of GitHub's workflow commands (actions/toolkit `command.ts`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    fn sample() -> Report {
        let text = "spec:\n  filterTags:\n    pattern: 'production-.*'\n";
        let start = text.find("'production").unwrap_or(0);
        let mut report = Report::default();
        report.push(
            Diagnostic::error("image-policy::unanchored", "pattern is not anchored")
                .with_help("anchor it: '^production-v...$'")
                .with_span(
                    SourceFile::new("apps/p.yaml", text),
                    start,
                    15,
                    Some("matches preproduction-… too".to_string()),
                ),
        );
        report.push(Diagnostic::advice("x::y", "a, b: 50%\nnext"));
        report
    }

    #[test]
    fn markdown_is_a_list_with_no_html_and_no_controls() {
        let mut report = sample();
        report.push(
            Diagnostic::warning("x::z", "tag `<img src=x>` from \u{1b}[31mred")
                .with_commit("0123456789012345678901234567890123456789"),
        );
        let out = Renderer::new(Format::Markdown, Style::PLAIN).render(&report);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "- **error** `image-policy::unanchored` `apps/p.yaml:3`: pattern is not anchored"
        );
        assert_eq!(lines[1], "  - help: anchor it: '^production-v...$'");
        // A message's line break does not end the item.
        assert_eq!(lines[2], "- **advice** `x::y`: a, b: 50% next");
        assert!(lines[3].contains("&lt;img src=x&gt;"), "{}", lines[3]);
        assert!(!out.contains('\u{1b}') && !out.contains('<'), "{out}");
    }

    #[test]
    fn json_names_the_commit_of_a_finding_about_history() {
        let mut report = Report::default();
        report.push(Diagnostic::error("a::b", "m").with_commit("abc"));
        report.push(Diagnostic::error("a::b", "m"));
        let out = Renderer::new(Format::Json, Style::PLAIN).render(&report);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("valid JSON"))
            .collect();
        assert_eq!(lines[0]["commit"], "abc");
        assert!(lines[1].get("commit").is_none());
    }

    #[test]
    fn json_is_one_object_per_line() {
        let out = Renderer::new(Format::Json, Style::PLAIN).render(&sample());
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("valid JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["code"], "image-policy::unanchored");
        assert_eq!(lines[0]["file"], "apps/p.yaml");
        assert_eq!(lines[0]["line"], 3);
        assert_eq!(lines[0]["column"], 14);
        assert_eq!(lines[1]["file"], serde_json::Value::Null);
    }

    #[test]
    fn github_escapes_data_and_properties() {
        let out = Renderer::new(Format::Github, Style::PLAIN).render(&sample());
        let mut lines = out.lines();
        assert_eq!(
            lines.next(),
            Some(
                "::error title=image-policy%3A%3Aunanchored,file=apps/p.yaml,line=3,col=14::\
                 pattern is not anchored%0Ahelp: anchor it: '^production-v...$'"
            )
        );
        assert_eq!(
            lines.next(),
            Some("::notice title=x%3A%3Ay::a, b: 50%25%0Anext")
        );
    }

    #[test]
    fn plain_human_output_has_no_escape_sequences() {
        let out = Renderer::new(Format::Human, Style::PLAIN).render(&sample());
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains("image-policy::unanchored"), "{out}");
        assert!(out.contains("apps/p.yaml:3:14"), "{out}");
        assert!(out.contains("help: anchor it"), "{out}");
    }

    #[test]
    fn nothing_from_the_repository_drives_the_terminal() {
        // OSC (set the window title, ended by BEL), a colour, a carriage return that would
        // overwrite the line, and a bidirectional override.
        let hostile = "\u{1b}]0;owned\u{7}\u{1b}[31mred\rback\u{202e}";
        let text = format!("key: {hostile}\nbad: [\n");
        let offset = text.find("bad").unwrap();
        let diagnostic = Diagnostic::error("yaml::syntax", format!("value {hostile} is wrong"))
            .with_help(format!("use `{hostile}`\n    second line"))
            .with_span(
                SourceFile::new(format!("dir/{hostile}.yaml"), text.as_str()),
                offset,
                3,
                Some(format!("label {hostile}")),
            );
        let report = Report {
            diagnostics: vec![diagnostic],
            ..Report::default()
        };
        for (format, color) in [
            (Format::Human, false),
            (Format::Human, true),
            (Format::Github, false),
        ] {
            let out = Renderer::new(
                format,
                Style {
                    color,
                    unicode: true,
                    width: 100,
                },
            )
            .render(&report);
            assert!(out.contains("\\u{1b}]0;owned\\u{7}"), "{format:?}: {out}");
            for raw in ["\u{7}", "\u{1b}]", "\u{1b}[31mred", "\r", "\u{202e}"] {
                assert!(!out.contains(raw), "{format:?} {color}: {raw:?} in {out:?}");
            }
            if !color {
                assert!(!out.contains('\u{1b}'), "{format:?}: {out:?}");
            }
        }
        // The snippet still points at the right text after the escapes.
        let out = Renderer::new(
            Format::Human,
            Style {
                color: false,
                unicode: false,
                width: 100,
            },
        )
        .render(&report);
        assert!(out.contains("bad: ["), "{out}");
        // JSON is JSON-escaped, not rewritten.
        let json = Renderer::new(
            Format::Json,
            Style {
                color: false,
                unicode: false,
                width: 100,
            },
        )
        .render(&report);
        assert!(json.contains("\\u001b]0;owned\\u0007"), "{json}");
    }
}
