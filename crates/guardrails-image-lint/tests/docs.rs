//! Every image automation code has a page under `docs/codes/` with a failing and a fixed
//! example; this test runs them, so the documentation cannot drift from the implementation.

// A failed unwrap in a test is a test failure with a backtrace: exactly what is wanted.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use guardrails_image_lint::{Config, Finding, Index, Render, Severity, SourceFile, codes};
use guardrails_yaml::{Limits, Node, parse_documents};

const PARTS: [&str; 4] = [
    "**What it detects**",
    "**Why it matters**",
    "**Failing example**",
    "**Fixed example**",
];

struct Section {
    code: String,
    parts: Vec<String>,
    failing: String,
    fixed: String,
}

fn sections() -> Vec<Section> {
    // The pages of this crate's codes, as one text of `### `-headed sections.
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/codes");
    let mut text = String::new();
    for code in codes::ALL {
        let (family, name) = code.split_once("::").unwrap();
        let page = std::fs::read_to_string(docs.join(family).join(format!("{name}.md")))
            .unwrap_or_else(|_| panic!("{code} has no page under docs/codes/"));
        text.push_str("##");
        text.push_str(&page);
        text.push('\n');
    }
    let mut out: Vec<Section> = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        if let Some(open) = block.as_mut() {
            if line == "```" {
                let code = block.take().unwrap();
                let section = out.last_mut().unwrap();
                match section.parts.last().map(String::as_str) {
                    Some("**Failing example**") => section.failing = code,
                    Some("**Fixed example**") => section.fixed = code,
                    other => panic!("{}: YAML block after {other:?}", section.code),
                }
            } else {
                open.push_str(line);
                open.push('\n');
            }
            continue;
        }
        if let Some(code) = line
            .strip_prefix("### `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            out.push(Section {
                code: code.to_owned(),
                parts: Vec::new(),
                failing: String::new(),
                fixed: String::new(),
            });
        } else if line.starts_with("**") && line.ends_with("**") {
            if let Some(section) = out.last_mut() {
                section.parts.push(line.to_owned());
            }
        } else if line == "```yaml" && !out.is_empty() {
            block = Some(String::new());
        }
    }
    out
}

/// Splits an example into `(path, text)` files and `(dir, text)` renders.
type Chunks = (Vec<(String, String)>, Vec<(String, String)>);

fn chunks(example: &str) -> Chunks {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut renders: Vec<(String, String)> = Vec::new();
    let mut current: Option<(bool, String, String)> = None;
    let mut flush = |current: &mut Option<(bool, String, String)>| {
        if let Some((render, name, text)) = current.take() {
            if render {
                renders.push((name, text));
            } else {
                files.push((name, text));
            }
        }
    };
    for line in example.lines() {
        if let Some(path) = line.strip_prefix("# file: ") {
            flush(&mut current);
            current = Some((false, path.to_owned(), String::new()));
        } else if let Some(dir) = line.strip_prefix("# render: ") {
            flush(&mut current);
            current = Some((true, dir.to_owned(), String::new()));
        } else {
            let (_, _, text) = current.as_mut().expect("examples start with `# file:`");
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(&mut current);
    (files, renders)
}

fn lint(example: &str) -> Vec<Finding> {
    let (files, renders) = chunks(example);
    let parsed: Vec<(String, String, Vec<Node>)> = files
        .into_iter()
        .map(|(path, text)| {
            let docs = parse_documents(&text, &Limits::default()).unwrap();
            (path, text, docs)
        })
        .collect();
    let sources: Vec<SourceFile<'_>> = parsed
        .iter()
        .map(|(path, text, docs)| SourceFile { path, text, docs })
        .collect();
    let index = Index::build(&sources, &Config::default());
    let mut findings = index.lint_sources();
    let read: Vec<&str> = parsed.iter().map(|(p, _, _)| p.as_str()).collect();
    for (dir, text) in renders {
        let objects = parse_documents(&text, &Limits::rendered()).unwrap();
        findings.extend(index.lint_render(&Render {
            label: &dir,
            dir: &dir,
            kustomization_files: &read,
            objects: &objects,
        }));
    }
    findings
}

#[test]
fn every_code_is_documented_in_order_with_four_parts() {
    let sections = sections();
    let documented: Vec<&str> = sections.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(documented, codes::ALL);
    for section in &sections {
        assert_eq!(section.parts, PARTS, "{}", section.code);
        assert!(!section.failing.is_empty(), "{}", section.code);
        assert!(!section.fixed.is_empty(), "{}", section.code);
    }
}

#[test]
fn failing_examples_fail_and_fixed_examples_pass() {
    for section in sections() {
        let code = section.code.as_str();
        let failing = lint(&section.failing);
        assert!(
            failing.iter().any(|f| f.code == code),
            "{code}: the failing example does not report it: {failing:#?}"
        );
        let fixed = lint(&section.fixed);
        assert!(
            !fixed
                .iter()
                .any(|f| f.code == code || f.severity == Severity::Error),
            "{code}: the fixed example still reports: {fixed:#?}"
        );
    }
}

/// What a reviewer reads for each rule's failing example: the findings rendered by the
/// hook's plain (non-terminal) miette renderer, pinned so wording changes show up in review.
#[test]
fn rendered_diagnostics_of_every_failing_example() {
    use guardrails_report::{Diagnostic, Format, Renderer, SourceFile as Source, Style};
    let renderer = Renderer::new(
        Format::Human,
        Style {
            color: false,
            unicode: false,
            width: 100,
        },
    );
    let mut out = String::new();
    for section in sections() {
        let (files, _) = chunks(&section.failing);
        out.push_str(&format!("===== {} =====\n", section.code));
        for finding in lint(&section.failing) {
            let mut diagnostic = Diagnostic::new(finding.code, finding.severity, finding.message);
            diagnostic.help = finding.help;
            let text = files
                .iter()
                .find(|(p, _)| *p == finding.path)
                .map(|(_, t)| t);
            diagnostic = match (finding.span, text) {
                (Some(span), Some(text)) => diagnostic.with_span(
                    Source::new(finding.path.clone(), text.as_str()),
                    span.offset,
                    span.len,
                    None,
                ),
                _ => diagnostic.with_path(finding.path.clone()),
            };
            out.push_str(&renderer.render_all([&diagnostic]));
        }
    }
    insta::assert_snapshot!(out);
}
