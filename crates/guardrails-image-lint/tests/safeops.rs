//! The safeops GitOps tree (`../shared/corpus/safeops` beside the checkout, read in place
//! and never copied into the project) is a real, working promotion path: its sources and
//! every overlay it renders must produce no error-severity finding.

// A failed unwrap in a test is a test failure with a backtrace: exactly what is wanted.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use guardrails_image_lint::{Config, Finding, Index, Render, Severity, SourceFile};
use guardrails_yaml::{Limits, Node, parse_documents};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/safeops")
}

/// Whether the corpus is there; without it a test skips loudly, and fails where
/// `GUARDRAILS_REQUIRE_TOOLS` is set (CI).
fn corpus_available() -> bool {
    if corpus().is_dir() {
        return true;
    }
    assert!(
        std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_none(),
        "GUARDRAILS_REQUIRE_TOOLS is set but the corpus {} is missing",
        corpus().display()
    );
    eprintln!("SKIPPED: the corpus {} is missing", corpus().display());
    false
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `(repo-relative path, text, documents)` of every `.yaml`/`.yml` file.
fn load() -> Vec<(String, String, Vec<Node>)> {
    let root = corpus();
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths
        .into_iter()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let docs = parse_documents(&text, &Limits::default()).unwrap();
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, text, docs)
        })
        .collect()
}

fn index(files: &[(String, String, Vec<Node>)]) -> Index {
    let sources: Vec<SourceFile<'_>> = files
        .iter()
        .map(|(path, text, docs)| SourceFile { path, text, docs })
        .collect();
    Index::build(&sources, &Config::default())
}

fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

#[test]
fn safeops_sources_have_no_errors() {
    if !corpus_available() {
        return;
    }
    let files = load();
    assert!(files.len() > 100, "the whole corpus is there");
    let findings = index(&files).lint_sources();
    assert!(errors(&findings).is_empty(), "{:#?}", errors(&findings));
    // What it does report, so a change in behaviour shows up here.
    let warnings: Vec<(&str, &str)> = findings.iter().map(|f| (f.code, f.path.as_str())).collect();
    assert_eq!(warnings, Vec::<(&str, &str)>::new(), "{findings:#?}");
}

/// Faults seeded into the real tree are caught where they were made.
#[test]
fn seeded_faults_in_safeops_are_caught() {
    if !corpus_available() {
        return;
    }
    let cases: &[(&str, &str, &str, &str, usize)] = &[
        // The seeds' incident: a staging tag pinned in production.
        (
            "flux/apps/backend/production/kustomization.yaml",
            "newTag: production-v0.0.2-025c591-1770392924",
            "newTag: staging-v0.0.3-fa61a17-1771605910",
            "image::lane-mismatch",
            18,
        ),
        // A cross-lane merge rewrote the marker's namespace.
        (
            "flux/apps/frontend/overlays/production/kustomization.yaml",
            "\"production:frontend:tag\"",
            "\"staging:frontend:tag\"",
            "image::lane-mismatch",
            13,
        ),
        // The anchor dropped from the production filter.
        (
            "flux/apps/backend/production/image-policy.yaml",
            "pattern: '^production-v",
            "pattern: 'production-v",
            "image-policy::unanchored",
            12,
        ),
        // The automation pointed at the overlay's old location.
        (
            "flux/apps/frontend/overlays/staging/image-automation.yaml",
            "path: ./flux/apps/frontend/overlays/staging",
            "path: ./flux/apps/frontend/staging",
            "setter::not-automated",
            28,
        ),
    ];
    for (path, from, to, code, line) in cases {
        let mut files = load();
        let file = files.iter_mut().find(|(p, _, _)| p == path).unwrap();
        assert!(file.1.contains(from), "{path}: {from}");
        file.1 = file.1.replace(from, to);
        file.2 = parse_documents(&file.1, &Limits::default()).unwrap();
        let findings = index(&files).lint_sources();
        assert!(
            errors(&findings).iter().any(|f| f.code == *code
                && f.path == *path
                && f.span.map(|s| s.line) == Some(*line)),
            "{code} at {path}:{line} expected: {findings:#?}"
        );
    }
}

/// Kustomization directories (repo-relative) and the directories each one loads.
fn kustomizations(files: &[(String, String, Vec<Node>)]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (path, _, docs) in files {
        let Some((dir, "kustomization.yaml")) = path.rsplit_once('/') else {
            continue;
        };
        let loads = docs
            .first()
            .and_then(|d| d.get("resources"))
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_str)
            .map(|r| {
                let mut parts: Vec<&str> = dir.split('/').collect();
                for segment in r.split('/') {
                    match segment {
                        "." | "" => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                parts.join("/")
            })
            .collect();
        out.insert(dir.to_owned(), loads);
    }
    out
}

fn closure(dir: &str, graph: &BTreeMap<String, Vec<String>>, out: &mut BTreeSet<String>) {
    if !graph.contains_key(dir) || !out.insert(format!("{dir}/kustomization.yaml")) {
        return;
    }
    for child in &graph[dir] {
        closure(child, graph, out);
    }
}

#[test]
fn safeops_renders_have_no_errors() {
    if !corpus_available() {
        return;
    }
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_none(),
            "kubectl is missing"
        );
        eprintln!("SKIPPED: kubectl is missing");
        return;
    }
    let files = load();
    let index = index(&files);
    let graph = kustomizations(&files);
    let loaded: BTreeSet<&String> = graph.values().flatten().collect();
    let roots: Vec<&String> = graph
        .keys()
        .filter(|d| !loaded.contains(d) && d.as_str() != "flux/secrets/observability")
        .collect();
    assert!(roots.len() > 20, "{roots:?}");
    let mut all = Vec::new();
    let mut rendered_workloads = 0;
    for dir in roots {
        let output = Command::new("kubectl")
            .args(["kustomize", "--load-restrictor", "LoadRestrictionsNone"])
            .arg(corpus().join(dir))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{dir}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let objects = parse_documents(&text, &Limits::rendered()).unwrap();
        rendered_workloads += objects
            .iter()
            .filter(|o| o.get("kind").and_then(Node::as_str) == Some("Deployment"))
            .count();
        let mut read = BTreeSet::new();
        closure(dir, &graph, &mut read);
        let read: Vec<&str> = read.iter().map(String::as_str).collect();
        let findings = index.lint_render(&Render {
            label: dir,
            dir,
            kustomization_files: &read,
            objects: &objects,
        });
        all.extend(findings);
    }
    assert_eq!(rendered_workloads, 6, "backend and frontend in three lanes");
    assert!(errors(&all).is_empty(), "{:#?}", errors(&all));
    assert!(all.is_empty(), "{all:#?}");
}
