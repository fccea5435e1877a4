//! What source-controller leaves out of the artifact it builds from a GitRepository: its
//! default exclusions and the `.sourceignore` files of the repository (gitignore syntax).
//! kustomize-controller generates a kustomization only from what is left, so CI files such
//! as `.github/workflows/*.yaml` never have to be Kubernetes objects.

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// source-controller's default exclusions (fluxcd/pkg sourceignore `VCSPatterns` and
/// `ExcludeExt`/`ExcludeCI`/`ExcludeExtra`), the ones that can match YAML files.
const DEFAULTS: &[&str] = &[
    ".git/",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

pub struct SourceIgnore {
    /// One matcher per directory holding patterns: the defaults at the root, then every
    /// `.sourceignore` file (patterns relative to its directory).
    matchers: Vec<(PathBuf, Gitignore)>,
}

impl SourceIgnore {
    /// Reads the defaults and every `.sourceignore` among `files` (the walk's files).
    pub fn load(repo_root: &Path, sourceignore_files: &[PathBuf]) -> Self {
        let mut matchers = Vec::new();
        let mut defaults = GitignoreBuilder::new(repo_root);
        for pattern in DEFAULTS {
            let _ = defaults.add_line(None, pattern);
        }
        if let Ok(matcher) = defaults.build() {
            matchers.push((repo_root.to_path_buf(), matcher));
        }
        for file in sourceignore_files {
            let Some(dir) = file.parent() else { continue };
            let mut builder = GitignoreBuilder::new(dir);
            builder.add(file);
            if let Ok(matcher) = builder.build() {
                matchers.push((dir.to_path_buf(), matcher));
            }
        }
        SourceIgnore { matchers }
    }

    pub fn is_ignored(&self, path: &Path) -> bool {
        self.matchers.iter().any(|(dir, matcher)| {
            path.starts_with(dir) && matcher.matched_path_or_any_parents(path, false).is_ignore()
        })
    }
}
