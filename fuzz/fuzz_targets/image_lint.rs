//! guardrails-image-lint: any repository of ImagePolicies, ImageRepositories,
//! ImageUpdateAutomations, setter markers (`# {"$imagepolicy": …}`) and kustomizations is
//! linted, sources and render alike, and every finding points inside the file it names.
#![no_main]

use guardrails_image_lint::{Config, Index, Render, SourceFile};
use guardrails_yaml::Node;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = gitops_guardrails_fuzz::files(data);
    let sources: Vec<SourceFile<'_>> = files
        .iter()
        .map(|f| SourceFile {
            path: &f.path,
            text: &f.text,
            docs: &f.docs,
        })
        .collect();
    let index = Index::build(&sources, &Config::default());
    let mut findings = index.lint_sources();
    // Every file's objects as one render of the first kustomization's directory.
    let objects: Vec<Node> = files.iter().flat_map(|f| f.docs.iter().cloned()).collect();
    let kustomization_files: Vec<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with("kustomization.yaml"))
        .collect();
    let dir = kustomization_files
        .first()
        .and_then(|p| p.rsplit_once('/'))
        .map_or("", |(dir, _)| dir);
    findings.extend(index.lint_render(&Render {
        label: "fuzz",
        dir,
        kustomization_files: &kustomization_files,
        objects: &objects,
    }));
    for finding in &findings {
        assert!(!finding.code.is_empty() && !finding.message.is_empty());
        let (Some(span), Some(file)) =
            (finding.span, files.iter().find(|f| f.path == finding.path))
        else {
            continue;
        };
        assert!(
            span.offset + span.len <= file.text.len(),
            "{} points past the end of {}",
            finding.code,
            finding.path
        );
    }
});
