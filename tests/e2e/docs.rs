//! The code pages of flux-kustomize-validate's own checks (`docs/codes/{yaml,kustomize,
//! flux,k8s}/`) hold executable examples: each block's files (`# file: <path>` lines, and
//! an optional first `# args: ...` line) are written to an empty repository and the hook
//! runs with `--all`. The failing example must report the page's code; the fixed example
//! neither the code nor any error. The image automation pages are run by
//! `guardrails-image-lint`'s own docs test.

use serde_json::Value;

use crate::flux_validate::{available, validate};
use crate::harness::{Sandbox, checkout};

const FAMILIES: [&str; 4] = ["yaml", "kustomize", "flux", "k8s"];

/// A page's `(failing, fixed)` example blocks (`yaml` blocks after their heading).
fn examples(page: &str) -> (Option<String>, Option<String>) {
    let mut heading = "";
    let mut block: Option<String> = None;
    let (mut failing, mut fixed) = (None, None);
    for line in page.lines() {
        if let Some(open) = block.as_mut() {
            if line == "```" {
                let text = block.take();
                match heading {
                    "**Failing example**" => failing = failing.or(text),
                    "**Fixed example**" => fixed = fixed.or(text),
                    _ => {}
                }
            } else {
                open.push_str(line);
                open.push('\n');
            }
        } else if line.starts_with("**") && line.ends_with("**") {
            heading = line;
        } else if line == "```yaml" {
            block = Some(String::new());
        } else if line.starts_with("```") {
            // Another language: skipped whole.
            block = None;
            heading = "";
        }
    }
    (failing, fixed)
}

/// Writes the example's files into a fresh repository and runs the hook.
fn run(example: &str) -> Vec<Value> {
    let sandbox = Sandbox::empty();
    let mut args: Vec<String> = vec!["--all".to_owned()];
    let mut current: Option<(String, String)> = None;
    let mut files = Vec::new();
    for line in example.lines() {
        if let Some(extra) = line.strip_prefix("# args: ") {
            args.extend(extra.split_whitespace().map(str::to_owned));
        } else if let Some(path) = line.strip_prefix("# file: ") {
            files.extend(current.take());
            current = Some((path.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    files.extend(current);
    assert!(
        !files.is_empty(),
        "an example without `# file:` lines:\n{example}"
    );
    for (path, text) in &files {
        sandbox.write(path, text);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    validate(&sandbox, &args).1
}

#[test]
fn the_examples_of_every_flux_code_page_hold() {
    if !available() {
        return;
    }
    let mut checked = 0;
    let mut problems = Vec::new();
    for family in FAMILIES {
        let dir = checkout().join("docs/codes").join(family);
        let mut pages: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} is missing", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        pages.sort();
        for page in pages {
            let name = page.file_stem().unwrap().to_string_lossy().into_owned();
            let code = format!("{family}::{name}");
            let text = std::fs::read_to_string(&page).unwrap();
            let (Some(failing), Some(fixed)) = examples(&text) else {
                continue;
            };
            checked += 1;
            let reported = run(&failing);
            if !reported.iter().any(|d| d["code"] == code.as_str()) {
                problems.push(format!(
                    "{code}: the failing example does not report it: {reported:?}"
                ));
            }
            let reported = run(&fixed);
            if let Some(bad) = reported
                .iter()
                .find(|d| d["code"] == code.as_str() || d["severity"] == "error")
            {
                problems.push(format!("{code}: the fixed example reports {bad}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 20, "only {checked} pages with examples");
}
