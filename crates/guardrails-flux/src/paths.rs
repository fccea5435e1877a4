//! Paths as the hook shows them (repository-relative, `/`-separated) and as the renderer
//! needs them; the lexical rules kustomize resolves entries by live in guardrails-kustomize.

use std::path::{Path, PathBuf};

pub use guardrails_kustomize::paths::{
    KUSTOMIZATION_FILES, escapes_root, is_kustomization_file, is_remote, join_normalized, normalize,
};

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
}
