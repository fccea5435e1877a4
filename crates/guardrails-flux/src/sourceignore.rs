//! What source-controller leaves out of the artifact it builds from a GitRepository: its
//! default exclusions, or the repository's `.sourceignore` files and the GitRepository's
//! `spec.ignore` (gitignore syntax).
//! kustomize-controller generates a kustomization only from what is left, so CI files such
//! as `.github/workflows/*.yaml` never have to be Kubernetes objects.

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Always excluded (fluxcd/pkg sourceignore `ExcludeVCS`).
const VCS: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];

/// source-controller's default exclusions (fluxcd/pkg sourceignore `ExcludeCI` and
/// `ExcludeExtra`; `ExcludeExt` names no YAML), which apply only while the repository has no
/// ignore patterns of its own.
const DEFAULTS: &[&str] = &[
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
    "**/.goreleaser.brew.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
    "**/.golangci.yaml",
];

/// What one GitRepository's artifact leaves out.
///
/// source-controller collects the patterns of every `.sourceignore` file (each relative to
/// its directory, walked from the root) and then those of the GitRepository's `spec.ignore`.
/// When that collection is empty the default exclusions apply; otherwise only the VCS
/// files and the collected patterns do, so a `.sourceignore` or `spec.ignore` replaces the
/// defaults (`.github/` is then part of the artifact unless listed again). As in
/// `.gitignore`, the last matching pattern decides, and `!pattern` re-includes.
pub struct SourceIgnore {
    /// Matchers in pattern order, each with the directory its patterns are relative to.
    matchers: Vec<(PathBuf, Gitignore)>,
    /// The default exclusions when the repository's own patterns replaced them.
    replaced_defaults: Option<(PathBuf, Gitignore)>,
}

impl SourceIgnore {
    /// `sourceignore_files`: every `.sourceignore` of the repository; `spec_ignore`: the
    /// source's `spec.ignore` text.
    pub fn load(
        repo_root: &Path,
        sourceignore_files: &[PathBuf],
        spec_ignore: Option<&str>,
    ) -> Self {
        let mut files = sourceignore_files.to_vec();
        files.sort();
        let mut own = Vec::new();
        for file in &files {
            let Some(dir) = file.parent() else { continue };
            let mut builder = GitignoreBuilder::new(dir);
            builder.add(file);
            own.extend(build(dir, builder));
        }
        if let Some(text) = spec_ignore {
            own.extend(build(repo_root, patterns(repo_root, text.lines())));
        }
        let mut matchers = Vec::new();
        matchers.extend(build(repo_root, patterns(repo_root, VCS.iter().copied())));
        let defaults = build(repo_root, patterns(repo_root, DEFAULTS.iter().copied()));
        let replaced_defaults = if own.is_empty() {
            matchers.extend(defaults);
            None
        } else {
            defaults
        };
        matchers.extend(own);
        SourceIgnore {
            matchers,
            replaced_defaults,
        }
    }

    /// `path` is in the artifact only because `.sourceignore` or `spec.ignore` replaced the
    /// default exclusions (a CI file such as `.github/workflows/ci.yaml`).
    pub fn only_defaults_exclude(&self, path: &Path) -> bool {
        self.replaced_defaults
            .as_ref()
            .is_some_and(|(dir, matcher)| {
                path.starts_with(dir)
                    && matcher.matched_path_or_any_parents(path, false).is_ignore()
            })
            && !self.is_ignored(path)
    }

    pub fn is_ignored(&self, path: &Path) -> bool {
        for (dir, matcher) in self.matchers.iter().rev() {
            if !path.starts_with(dir) {
                continue;
            }
            match matcher.matched_path_or_any_parents(path, false) {
                ignore::Match::Ignore(_) => return true,
                ignore::Match::Whitelist(_) => return false,
                ignore::Match::None => {}
            }
        }
        false
    }
}

fn patterns<'a>(root: &Path, lines: impl IntoIterator<Item = &'a str>) -> GitignoreBuilder {
    let mut builder = GitignoreBuilder::new(root);
    for line in lines {
        let _ = builder.add_line(None, line);
    }
    builder
}

/// The matcher, when it holds at least one pattern (comments and blank lines do not count,
/// as in source-controller).
fn build(dir: &Path, builder: GitignoreBuilder) -> Option<(PathBuf, Gitignore)> {
    let matcher = builder.build().ok()?;
    (matcher.num_ignores() + matcher.num_whitelists() > 0).then(|| (dir.to_path_buf(), matcher))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A repository root holding `files` (path, contents).
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, contents) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        dir
    }

    fn load(root: &Path, sourceignore: &[&str], spec: Option<&str>) -> SourceIgnore {
        let files: Vec<PathBuf> = sourceignore.iter().map(|f| root.join(f)).collect();
        SourceIgnore::load(root, &files, spec)
    }

    #[test]
    fn defaults_apply_only_while_the_repository_has_no_patterns() {
        let dir = tree(&[(".sourceignore", "# only a comment\n\n")]);
        let root = dir.path();
        for ignore in [
            load(root, &[], None),
            load(root, &[".sourceignore"], Some("")),
        ] {
            assert!(ignore.is_ignored(&root.join(".github/workflows/ci.yaml")));
            assert!(ignore.is_ignored(&root.join("apps/dev/.sops.yaml")));
            assert!(ignore.is_ignored(&root.join(".gitlab-ci.yml")));
            assert!(!ignore.is_ignored(&root.join("apps/dev/deploy.yaml")));
            assert!(!ignore.only_defaults_exclude(&root.join(".github/ci.yaml")));
        }
    }

    #[test]
    fn a_sourceignore_file_or_spec_ignore_replaces_the_defaults() {
        let dir = tree(&[("apps/.sourceignore", "chart-values/\n")]);
        let root = dir.path();
        let ci = root.join(".github/workflows/ci.yaml");
        for ignore in [
            load(root, &["apps/.sourceignore"], None),
            load(root, &[], Some("apps/chart-values/\n")),
        ] {
            assert!(ignore.is_ignored(&root.join("apps/chart-values/values.yaml")));
            assert!(!ignore.is_ignored(&ci));
            assert!(ignore.only_defaults_exclude(&ci));
            assert!(ignore.is_ignored(&root.join(".git/config")));
        }
        // Patterns of a nested file are relative to its directory.
        let nested = load(root, &["apps/.sourceignore"], None);
        assert!(!nested.is_ignored(&root.join("chart-values/values.yaml")));
    }

    #[test]
    fn the_last_matching_pattern_decides_across_files_and_spec_ignore() {
        let dir = tree(&[
            (".sourceignore", "*.yaml\n"),
            ("apps/.sourceignore", "!keep.yaml\n"),
        ]);
        let root = dir.path();
        let files = [".sourceignore", "apps/.sourceignore"];
        let ignore = load(root, &files, None);
        assert!(ignore.is_ignored(&root.join("apps/other.yaml")));
        assert!(!ignore.is_ignored(&root.join("apps/keep.yaml")));
        // spec.ignore comes last, so it has the final word.
        let ignore = load(root, &files, Some("apps/keep.yaml\n"));
        assert!(ignore.is_ignored(&root.join("apps/keep.yaml")));
    }
}
