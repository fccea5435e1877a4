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

/// The paths a kustomization file of `dir` would have, under each of kustomize's names.
pub fn kustomization_files_in(dir: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    KUSTOMIZATION_FILES.iter().map(move |name| dir.join(name))
}

/// Whether `path` names a kustomization file (`kustomization.yaml` and its spellings).
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_lexically() {
        assert_eq!(
            join_normalized(Path::new("/r/apps/web/prod"), "../base/./d.yaml"),
            PathBuf::from("/r/apps/web/base/d.yaml")
        );
        assert_eq!(
            join_normalized(Path::new(""), "../x"),
            PathBuf::from("../x")
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
