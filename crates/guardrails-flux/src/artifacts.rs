//! OCI artifacts made from this repository. "Gitless" clusters sync an OCIRepository that
//! CI fills with `flux push artifact oci://… --path=./kubernetes` (flux2
//! `cmd/flux/push_artifact.go`): the artifact is that directory, so a Kustomization of the
//! OCIRepository with `path: ./apps/overlays/prod` builds `kubernetes/apps/overlays/prod`
//! of this checkout. The pushed directories are read from the CI definitions; without one
//! an OCIRepository stays another source.

use std::path::{Path, PathBuf};

/// Where CI definitions live: GitHub, Gitea and Forgejo workflows, GitLab CI, and the task
/// runners they call.
const CI_DIRS: &[&str] = &[
    ".github/workflows",
    ".gitea/workflows",
    ".forgejo/workflows",
];
const CI_FILES: &[&str] = &[
    ".gitlab-ci.yml",
    ".gitlab-ci.yaml",
    "Makefile",
    "Taskfile.yml",
    "Taskfile.yaml",
];

/// The directories of this checkout that its CI pushes as OCI artifacts.
pub fn pushed_roots(repo_root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = CI_FILES.iter().map(|f| repo_root.join(f)).collect();
    for dir in CI_DIRS {
        if let Ok(entries) = std::fs::read_dir(repo_root.join(dir)) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
    }
    files.sort();
    let mut roots = Vec::new();
    for file in files {
        // CI files are small; an unreadable one only means no evidence from it.
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for path in pushed_paths(&text) {
            let dir = crate::paths::join_normalized(repo_root, path.trim_start_matches('/'));
            if dir.starts_with(repo_root) && dir.is_dir() && !roots.contains(&dir) {
                roots.push(dir);
            }
        }
    }
    roots
}

/// The `--path` of every `flux push artifact` command in `text` (continued lines joined).
fn pushed_paths(text: &str) -> Vec<String> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut paths = Vec::new();
    for line in joined.lines() {
        let Some(at) = line.find("flux push artifact") else {
            continue;
        };
        let mut words = line[at..].split_whitespace();
        while let Some(word) = words.next() {
            let value = match word.strip_prefix("--path=") {
                Some(value) => Some(value.to_owned()),
                None if word == "--path" => words.next().map(ToOwned::to_owned),
                None => None,
            };
            if let Some(value) = value {
                let value = value.trim_matches(|c| c == '"' || c == '\'');
                // A path made of CI variables says nothing offline.
                if !value.is_empty() && !value.contains('$') {
                    paths.push(value.to_owned());
                }
            }
        }
    }
    paths
}

/// The directory a Kustomization of a pushed artifact builds: `path` inside exactly one
/// pushed root that has it.
pub fn resolve(roots: &[PathBuf], path: &str) -> Option<PathBuf> {
    let mut found = roots
        .iter()
        .map(|root| crate::paths::join_normalized(root, path.trim_start_matches('/')))
        .filter(|dir| dir.is_dir());
    match (found.next(), found.next()) {
        (Some(dir), None) => Some(dir),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_commands_name_their_directory() {
        let workflow = "      - run: |\n          flux push artifact \"$OCI_REPO:$(git rev-parse --short HEAD)\" \\\n            --path=\"./kubernetes\" \\\n            --source=\"$(git config --get remote.origin.url)\"\n      - run: flux push artifact oci://ghcr.io/org/apps:latest --path ./apps --source x\n      - run: flux push artifact $REPO --path=$DIR\n";
        assert_eq!(pushed_paths(workflow), vec!["./kubernetes", "./apps"]);
        assert!(pushed_paths("flux build artifact --path=./x").is_empty());
    }
}
