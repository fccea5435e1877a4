//! Silencing findings the way linters do: codes ignored everywhere or under some paths (the
//! configuration file), and one finding at a time with a comment on or above its line:
//!
//! ```yaml
//! image: nginx:latest # gitops-guardrails: ignore[image::mutable-tag] pinned by the vendor chart
//! # gitops-guardrails: ignore[k8s::missing-field] rendered by a post-build step
//! kind: Deployment
//! ```
//!
//! A comment that silences nothing is reported (`suppression::unused`, a warning), as ruff
//! reports an unused `noqa`: it would otherwise hide the next problem written on that line.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use globset::GlobMatcher;
use guardrails_report::{Diagnostic, Location, Report, SourceFile, sanitize};

/// Codes of suppression findings.
pub mod codes {
    /// An inline comment that silenced nothing this run, or names no known code.
    pub const UNUSED: &str = "suppression::unused";
    /// What was silenced (`--verbose`).
    pub const NOTE: &str = "suppression::note";

    pub const ALL: [&str; 2] = [UNUSED, NOTE];
}

/// The marker an inline suppression starts with, inside a `#` comment.
pub const MARKER: &str = "gitops-guardrails:";

/// What a run silences.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    /// Codes (or `family::*`) never reported.
    pub ignore: Vec<String>,
    /// Codes (or `family::*`) not reported for paths matching a glob.
    pub per_path: Vec<PathIgnore>,
}

/// `per-path-ignores` entry: codes silenced under `glob`.
#[derive(Debug, Clone)]
pub struct PathIgnore {
    pub glob: String,
    pub matcher: GlobMatcher,
    pub codes: Vec<String>,
}

/// Whether `code` is named by `pattern`: the code itself, or `family::*` for a family.
pub fn code_matches(pattern: &str, code: &str) -> bool {
    match pattern.strip_suffix("::*") {
        Some(family) => code
            .strip_prefix(family)
            .is_some_and(|rest| rest.starts_with("::")),
        None => pattern == code,
    }
}

/// One `ignore[...]` comment.
#[derive(Debug)]
struct Directive {
    source: SourceFile,
    /// The line it silences (1-based).
    target_line: usize,
    /// Each code named, with its byte range in the file.
    codes: Vec<(String, usize, usize)>,
}

impl Suppressions {
    /// Removes what is silenced from `report`. `scanned` are the files the run read (their
    /// inline comments are looked for; the files diagnostics point into are added);
    /// `own_codes` are the running hook's codes: only comments naming one of them can be
    /// unused *for this hook* (another hook may need the others); `known_codes` are every
    /// hook's, so a comment naming none of them is a typo wherever it is read.
    pub fn apply(
        &self,
        report: &mut Report,
        scanned: &[SourceFile],
        own_codes: &[&str],
        known_codes: &[&str],
    ) {
        let mut sources: BTreeMap<PathBuf, SourceFile> = scanned
            .iter()
            .map(|s| (s.path.clone(), s.clone()))
            .collect();
        for diagnostic in &report.diagnostics {
            if let Some(source) = &diagnostic.source {
                sources
                    .entry(source.path.clone())
                    .or_insert_with(|| source.clone());
            }
        }
        let directives: Vec<Directive> = sources.values().flat_map(directives_in).collect();
        let mut used: HashSet<(usize, usize)> = HashSet::new();
        let mut silenced = Vec::new();
        report.diagnostics.retain(|diagnostic| {
            // The inline comment first, so that it counts as used even where the
            // configuration silences the same finding too.
            let why = inline_match(diagnostic, &directives)
                .map(|(d, c)| {
                    used.insert((d, c));
                    format!(
                        "by the comment at {}:{}",
                        directives[d].source.path.display(),
                        Location::of_offset(&directives[d].source.text, directives[d].codes[c].1)
                            .line
                    )
                })
                .or_else(|| self.silenced_by_config(diagnostic));
            match why {
                Some(why) => {
                    silenced.push(format!("{} {why}", diagnostic.code));
                    false
                }
                None => true,
            }
        });
        for line in silenced {
            report.note(codes::NOTE, format!("silenced {}", sanitize(&line)));
        }
        for (d, directive) in directives.iter().enumerate() {
            for (c, (code, start, len)) in directive.codes.iter().enumerate() {
                if used.contains(&(d, c)) {
                    continue;
                }
                let unknown = !known_codes.iter().any(|k| code_matches(code, k));
                let ours = own_codes.iter().any(|k| code_matches(code, k));
                if !unknown && !ours {
                    continue;
                }
                let (message, help) = if unknown {
                    (
                        format!("`{}` is not a gitops-guardrails code", sanitize(code)),
                        match crate::did_you_mean(code, known_codes.iter().copied()) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "docs/codes/README.md lists every code".to_owned(),
                        },
                    )
                } else {
                    (
                        format!(
                            "this comment silences `{}`, but nothing on line {} raises it",
                            sanitize(code),
                            directive.target_line
                        ),
                        "remove the code from the comment (or the whole comment): an unused \
                         suppression hides the next problem written on that line"
                            .to_owned(),
                    )
                };
                report.push(
                    Diagnostic::warning(codes::UNUSED, message)
                        .with_span(directive.source.clone(), *start, *len, None)
                        .with_help(help),
                );
            }
        }
    }

    fn silenced_by_config(&self, diagnostic: &Diagnostic) -> Option<String> {
        if let Some(pattern) = self
            .ignore
            .iter()
            .find(|p| code_matches(p, diagnostic.code))
        {
            return Some(format!("by `ignore: [{pattern}]`"));
        }
        let file = diagnostic.file()?;
        self.per_path
            .iter()
            .find(|rule| {
                rule.matcher.is_match(file)
                    && rule.codes.iter().any(|p| code_matches(p, diagnostic.code))
            })
            .map(|rule| format!("by `per-path-ignores` for `{}`", rule.glob))
    }
}

/// The directive (index) and code (index) silencing `diagnostic`, if any.
fn inline_match(diagnostic: &Diagnostic, directives: &[Directive]) -> Option<(usize, usize)> {
    let source = diagnostic.source.as_ref()?;
    let line = diagnostic.location()?.line;
    directives.iter().enumerate().find_map(|(d, directive)| {
        if directive.target_line != line || directive.source.path != source.path {
            return None;
        }
        let c = directive
            .codes
            .iter()
            .position(|(code, ..)| code_matches(code, diagnostic.code))?;
        Some((d, c))
    })
}

/// The inline suppressions of a file. A comment alone on its line silences the next line
/// that is neither blank nor a comment; a comment after content silences its own line.
fn directives_in(source: &SourceFile) -> Vec<Directive> {
    let text: &Arc<str> = &source.text;
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let lines: Vec<(usize, &str)> = line_starts(text);
    let mut directives = Vec::new();
    // Inside a `|` or `>` block scalar a `#` is text: the indentation of the line that
    // opened the block, while its content lines last.
    let mut block: Option<usize> = None;
    for (index, &(start, line)) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(opener) = block {
            if line.trim().is_empty() || indent > opener {
                continue;
            }
            block = None;
        }
        if opens_block_scalar(line) {
            block = Some(indent);
        }
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let comment = &line[hash + 1..];
        let Some(marker) = comment.find(MARKER) else {
            continue;
        };
        if !comment[..marker].trim().is_empty() {
            continue;
        }
        let after = &comment[marker + MARKER.len()..];
        let trimmed = after.trim_start();
        let Some(list) = trimmed.strip_prefix("ignore[") else {
            continue;
        };
        let Some(close) = list.find(']') else {
            continue;
        };
        let list_offset = start
            + hash
            + 1
            + marker
            + MARKER.len()
            + (after.len() - trimmed.len())
            + "ignore[".len();
        let mut codes = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let code = part.trim();
            if !code.is_empty() {
                let lead = part.len() - part.trim_start().len();
                codes.push((code.to_owned(), list_offset + offset + lead, code.len()));
            }
            offset += part.len() + 1;
        }
        if codes.is_empty() {
            continue;
        }
        let alone = line[..hash].trim().is_empty();
        let target_line = if alone {
            lines[index + 1..]
                .iter()
                .position(|(_, l)| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map_or(index + 2, |ahead| index + 2 + ahead)
        } else {
            index + 1
        };
        directives.push(Directive {
            source: source.clone(),
            target_line,
            codes,
        });
    }
    directives
}

/// Whether `line` ends with a block scalar indicator (`key: |`, `- >-`, `key: |2 # c`).
fn opens_block_scalar(line: &str) -> bool {
    let code = comment_start(line)
        .map_or(line, |hash| &line[..hash])
        .trim_end();
    let Some(indicator_at) = code.rfind(['|', '>']) else {
        return false;
    };
    let (before, indicator) = code.split_at(indicator_at);
    let before = before.trim_end();
    (before.ends_with(':') || before.ends_with('-') || before.is_empty())
        && indicator[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
}

/// `(byte offset, line without its newline)` of every line.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split('\n') {
        out.push((start, line.strip_suffix('\r').unwrap_or(line)));
        start += line.len() + 1;
    }
    out
}

/// Where a YAML comment starts on `line`: a `#` at the start or after whitespace, outside
/// quotes (YAML's own rule; a `#` inside a word such as `a#b` is text).
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && (previous.is_whitespace() || previous == ':') => {
                quote = Some(c);
            }
            None if c == '#' && previous.is_whitespace() => return Some(i),
            None => {}
        }
        previous = c;
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const OWN: &[&str] = &["image::mutable-tag", "k8s::missing-field"];
    const KNOWN: &[&str] = &[
        "image::mutable-tag",
        "k8s::missing-field",
        "master-check::protected-commit",
    ];

    fn source(text: &str) -> SourceFile {
        SourceFile::new("apps/app.yaml", text)
    }

    fn finding(source: &SourceFile, code: &'static str, needle: &str) -> Diagnostic {
        let start = source.text.find(needle).unwrap();
        Diagnostic::error(code, "found").with_span(source.clone(), start, needle.len(), None)
    }

    fn codes(report: &Report) -> Vec<&str> {
        report.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn a_comment_silences_its_own_line_or_the_next() {
        let text = "image: nginx:latest # gitops-guardrails: ignore[image::mutable-tag] vendor\n\
                    # gitops-guardrails: ignore[k8s::missing-field]\n\
                    \n\
                    # another comment\n\
                    kind: Deployment\n\
                    other: nginx:1\n";
        let file = source(text);
        let mut report = Report::default();
        report.push(finding(&file, "image::mutable-tag", "nginx:latest"));
        report.push(finding(&file, "k8s::missing-field", "kind"));
        report.push(finding(&file, "image::mutable-tag", "nginx:1"));
        Suppressions::default().apply(&mut report, &[], OWN, KNOWN);
        assert_eq!(codes(&report), ["image::mutable-tag"]);
        assert_eq!(report.diagnostics[0].location().unwrap().line, 6);
        assert_eq!(report.notes.len(), 2, "said with --verbose");
    }

    #[test]
    fn an_unused_or_unknown_code_is_reported_at_the_comment() {
        let text = "a: 1 # gitops-guardrails: ignore[image::mutable-tag, image::mutable-tga]\n\
                    b: 2 # gitops-guardrails: ignore[master-check::protected-commit]\n";
        let file = source(text);
        let mut report = Report::default();
        Suppressions::default().apply(&mut report, std::slice::from_ref(&file), OWN, KNOWN);
        let unused: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| {
                let label = &d.labels[0];
                format!(
                    "{} {}",
                    &text[label.start..label.start + label.len],
                    d.help.as_deref().unwrap()
                )
            })
            .collect();
        // Another hook's code is that hook's business.
        assert_eq!(unused.len(), 2, "{unused:?}");
        assert!(
            unused[0].starts_with("image::mutable-tag remove"),
            "{unused:?}"
        );
        assert!(
            unused[1].starts_with("image::mutable-tga did you mean `image::mutable-tag`"),
            "{unused:?}"
        );
    }

    #[test]
    fn configured_ignores_by_code_family_and_path() {
        let file = source("image: nginx:latest\nkind: Deployment\n");
        let make = || {
            let mut report = Report::default();
            report.push(finding(&file, "image::mutable-tag", "nginx:latest"));
            report.push(finding(&file, "k8s::missing-field", "kind"));
            report
        };
        let mut report = make();
        let everywhere = Suppressions {
            ignore: vec!["image::*".to_owned()],
            per_path: Vec::new(),
        };
        everywhere.apply(&mut report, &[], OWN, KNOWN);
        assert_eq!(codes(&report), ["k8s::missing-field"]);

        let under = |glob: &str| Suppressions {
            ignore: Vec::new(),
            per_path: vec![PathIgnore {
                glob: glob.to_owned(),
                matcher: globset::Glob::new(glob).unwrap().compile_matcher(),
                codes: vec!["k8s::missing-field".to_owned()],
            }],
        };
        let mut report = make();
        under("apps/**").apply(&mut report, &[], OWN, KNOWN);
        assert_eq!(codes(&report), ["image::mutable-tag"]);
        let mut report = make();
        under("clusters/**").apply(&mut report, &[], OWN, KNOWN);
        assert_eq!(codes(&report).len(), 2);
    }

    #[test]
    fn a_marker_inside_a_block_scalar_is_text() {
        let text = "data:\n  readme.md: |\n    # gitops-guardrails: ignore[k8s::missing-field]\n    text\n\
                    kind: ConfigMap # gitops-guardrails: ignore[image::mutable-tag]\n";
        let directives = directives_in(&source(text));
        assert_eq!(directives.len(), 1, "{directives:?}");
        assert_eq!(directives[0].target_line, 5);
        assert!(opens_block_scalar("key: |-"));
        assert!(opens_block_scalar("- >2 # folded"));
        assert!(!opens_block_scalar("key: a|b"));
    }

    /// A finding the configuration silences too still uses the comment that names it.
    #[test]
    fn a_comment_is_used_even_where_the_configuration_also_silences() {
        let text = "image: nginx:latest # gitops-guardrails: ignore[image::mutable-tag]\n";
        let file = source(text);
        let mut report = Report::default();
        report.push(finding(&file, "image::mutable-tag", "nginx:latest"));
        let both = Suppressions {
            ignore: vec!["image::*".to_owned()],
            per_path: Vec::new(),
        };
        both.apply(&mut report, std::slice::from_ref(&file), OWN, KNOWN);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    }

    #[test]
    fn a_hash_inside_quotes_or_a_word_is_not_a_comment() {
        assert_eq!(comment_start("a: \"x # y\" # z"), Some(11));
        assert_eq!(comment_start("a: b#c"), None);
        assert_eq!(comment_start("# alone"), Some(0));
        assert!(code_matches("image::*", "image::mutable-tag"));
        assert!(!code_matches("image::*", "images::x"));
    }
}
