//! Lexical path handling: kustomize and Flux resolve entries relative to a directory and
//! refuse what leaves the source root, before any file is opened.

use std::path::{Component, Path, PathBuf};

/// `base.join(entry)` with `.` and `..` folded, without touching the file system.
pub fn join_normalized(base: &Path, entry: &str) -> PathBuf {
    normalize(&base.join(entry))
}

/// Folds `.` and `..` lexically. `..` at the root stays at the root, as the OS does.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The path of `path` relative to `base` (both absolute), using `..` where needed.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path: Vec<_> = path.components().collect();
    let base: Vec<_> = base.components().collect();
    let common = path
        .iter()
        .zip(base.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for component in &path[common..] {
        out.push(component.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// How a path shows in diagnostics: relative to the repository with `/` separators.
pub fn display(path: &Path, repo_root: &Path) -> String {
    let shown = path.strip_prefix(repo_root).unwrap_or(path);
    let text = shown.to_string_lossy().replace('\\', "/");
    if text.is_empty() { ".".into() } else { text }
}

/// Whether a path (after symlinks) stays inside the root. Both sides are canonicalised so
/// a symlink that points outside the repository counts as leaving it, as it does for
/// kustomize-controller's confined file system.
pub fn escapes_root(path: &Path, canonical_root: &Path) -> bool {
    if !normalize(path).starts_with(canonical_root) {
        return true;
    }
    match path.canonicalize() {
        Ok(real) => !real.starts_with(canonical_root),
        Err(_) => false,
    }
}

/// Kustomize accepts remote bases as URLs, `git::`/`ssh://` forms and hosting shorthands.
pub fn is_remote(entry: &str) -> bool {
    let entry = entry.trim();
    entry.contains("://")
        || entry.starts_with("git::")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || entry.contains("?version=")
        || [
            "github.com/",
            "gitlab.com/",
            "bitbucket.org/",
            "dev.azure.com/",
        ]
        .iter()
        .any(|host| entry.starts_with(host))
}

/// The three file names kustomize (and kustomize-controller) accept, in kustomize's order.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether `path` names a kustomization file (`kustomization.yaml` and its spellings).
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

pub fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) || path.file_name().is_some_and(|n| n == "Kustomization")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_relativizes() {
        assert_eq!(
            join_normalized(Path::new("/r/apps/web/prod"), "../base/./d.yaml"),
            PathBuf::from("/r/apps/web/base/d.yaml")
        );
        assert_eq!(
            relative_to(Path::new("/r/a/b"), Path::new("/tmp/x")),
            PathBuf::from("../../r/a/b")
        );
        assert_eq!(
            relative_to(Path::new("/r"), Path::new("/r")),
            PathBuf::from(".")
        );
    }

    #[test]
    fn recognises_remote_bases() {
        for remote in [
            "https://github.com/org/repo//deploy?ref=v1",
            "github.com/org/repo/deploy?ref=main",
            "git::https://example.com/repo.git",
            "git@github.com:org/repo.git",
            "ssh://git@example.com/repo.git",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in ["../base", "deployment.yaml", "github/base"] {
            assert!(!is_remote(local), "{local}");
        }
    }
}
