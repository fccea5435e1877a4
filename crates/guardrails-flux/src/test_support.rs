//! Test doubles for the planner's stages: a renderer that concatenates a build's files
//! (no kustomize transformers), and small writers of repository trees.

use std::path::{Path, PathBuf};
use std::time::Duration;

use guardrails_yaml::Limits;

use crate::error::Error;
use crate::job::{Build, Findings, RenderResult, Work};
use crate::options::Options;
use crate::paths;
use crate::reconcile::WaveRenderer;

/// Stands in for kustomize: a build's output is every YAML file of the built
/// directory (or of what a generated kustomization lists), as written, no
/// transformers.
pub(crate) struct Concatenate {
    pub(crate) renders: usize,
}

impl WaveRenderer for Concatenate {
    fn key_salt(&mut self) -> Result<String, Error> {
        Ok("fake".to_owned())
    }

    fn render(&mut self, work: Vec<Work>) -> Result<Vec<RenderResult>, Error> {
        Ok(work
            .into_iter()
            .map(|item| {
                self.renders += 1;
                let (dir, listed) = match &item.build {
                    Build::Dir(dir) => (dir.clone(), None),
                    Build::Flux {
                        dir, kustomization, ..
                    } => {
                        let doc =
                            guardrails_yaml::parse_documents(kustomization, &Limits::default())
                                .unwrap()
                                .remove(0);
                        let resources: Option<Vec<PathBuf>> = doc.get("resources").map(|r| {
                            r.as_seq()
                                .unwrap()
                                .iter()
                                .map(|e| paths::join_normalized(dir, e.as_str().unwrap()))
                                .collect()
                        });
                        (dir.clone(), resources)
                    }
                };
                let yaml_in = |dir: &Path| -> Vec<PathBuf> {
                    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                        .unwrap()
                        .map(|e| e.unwrap().path())
                        .filter(|p| {
                            paths::is_yaml(p)
                                && p.file_name().is_none_or(|n| n != "kustomization.yaml")
                        })
                        .collect();
                    files.sort();
                    files
                };
                let files: Vec<PathBuf> = match listed {
                    Some(listed) => listed
                        .iter()
                        .flat_map(|r| {
                            if r.is_dir() {
                                yaml_in(r)
                            } else {
                                vec![r.clone()]
                            }
                        })
                        .collect(),
                    None => yaml_in(&dir),
                };
                let text = files
                    .iter()
                    .map(|f| std::fs::read_to_string(f).unwrap())
                    .collect::<Vec<_>>()
                    .join("---\n");
                RenderResult {
                    target: item.target,
                    cached: false,
                    renderer_time: Duration::ZERO,
                    checking: Duration::ZERO,
                    outcome: Ok(Findings::default()),
                    text: Some(text),
                    reused: false,
                }
            })
            .collect())
    }
}

pub(crate) fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub(crate) fn ks(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m\n  prune: true\n  path: {path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

pub(crate) fn bootstrap(root: &Path, cluster: &str) {
    write(
        root,
        &format!("clusters/{cluster}/flux-system/gotk-sync.yaml"),
        &ks("flux-system", &format!("./clusters/{cluster}"), ""),
    );
}

pub(crate) fn options(root: &Path) -> Options {
    Options {
        repo_root: root.to_path_buf(),
        root: root.to_path_buf(),
        files: Vec::new(),
        all: true,
        include: Vec::new(),
        exclude: Vec::new(),
        renderer: crate::RendererChoice::Auto,
        jobs: 1,
        allow_remote_bases: false,
        flux_version: None,
        cache_dir: None,
        timeout: Duration::from_secs(10),
        remote_urls: Vec::new(),
        current_branch: None,
        want_renderer_version: false,
        lanes: Vec::new(),
    }
}
