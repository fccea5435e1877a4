//! guardrails-kustomize: any set of kustomization files (with cycles, escapes, remote and
//! absent entries) gives a graph whose every query answers, within the set's bounds.
#![no_main]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use guardrails_kustomize::{FileSet, Graph, Kustomization, paths};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = gitops_guardrails_fuzz::files(data);
    let mut kustomizations = Vec::new();
    for file in &files {
        let path = Path::new(&file.path);
        let _ = paths::is_remote(&file.path);
        let _ = paths::normalize(path);
        if !paths::is_kustomization_file(path) {
            continue;
        }
        kustomizations.push(match file.docs.first() {
            Some(doc) if doc.as_map().is_some() => Kustomization::from_document(path, doc),
            _ => Kustomization::unreadable(path),
        });
    }
    let count = kustomizations.len();
    let tree = FileSet::new(files.iter().map(|f| PathBuf::from(&f.path)));
    let graph = Graph::build(kustomizations, &tree);
    // Every kustomization is built: from a root, cycles included.
    let mut covered = vec![false; count];
    for root in graph.roots() {
        for k in graph.reachable(root) {
            covered[k] = true;
        }
    }
    assert!(
        covered.iter().all(|&c| c),
        "a kustomization no root reaches"
    );
    for k in 0..count {
        let reachable = graph.reachable(k);
        assert!(
            reachable.iter().all(|&r| r < count),
            "reachable names a kustomization"
        );
        let _ = graph.loaders(k);
        let mut closure = BTreeSet::new();
        graph.closure_files(k, &mut closure);
    }
    for file in &files {
        let dir = Path::new(&file.path).parent().unwrap_or(Path::new(""));
        let _ = graph.index_of_dir(dir);
        let _ = graph.generator_entry_between(Path::new(""), Path::new(&file.path));
        let _ = graph.flux_builds_dir(Path::new(""), dir);
    }
});
