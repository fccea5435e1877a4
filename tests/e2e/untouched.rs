//! "Hooks never change the user's repository": every hook the tests run is checked for it.
//!
//! A [`Snapshot`] records everything under a sandbox (the clone with its `.git` — refs,
//! HEAD, index, config, hooks, objects, logs — its work tree, the bare remote, and any other
//! repository a test makes there) except the sandbox's home and the render cache the README
//! documents (`<git dir>/gitops-guardrails/`). The harness takes one before and after every
//! hook process and every framework `run`, and around a commit, push or rebase that a hook
//! refused; any difference fails the test with the paths that changed.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

/// What a path held: enough to see any change of content, kind, mode or link target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir,
    File { mode: u32, len: u64, hash: u64 },
    Symlink(PathBuf),
}

/// How much of what git itself writes around a hook is left out of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A hook process or a framework `run`: nothing may change but the render cache.
    Hook,
    /// A git command whose hook refused it: git writes the message file, may write objects
    /// and rewrites the index file (same entries) before it runs the hooks; refs, HEAD, the
    /// index's entries, config, hooks, the work tree and the remote must be as they were.
    RefusedGit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<PathBuf, Entry>);

impl Snapshot {
    /// Everything under `root` a hook must leave alone, for `scope`.
    pub fn of(root: &Path, scope: Scope) -> Self {
        let mut entries = BTreeMap::new();
        walk(root, root, scope, &mut entries);
        Self(entries)
    }

    /// The paths whose entries differ between `self` (before) and `after`, one per line.
    fn differences(&self, after: &Self) -> Vec<String> {
        let mut changed = Vec::new();
        for (path, entry) in &self.0 {
            match after.0.get(path) {
                None => changed.push(format!("removed  {}", path.display())),
                Some(now) if now != entry => changed.push(format!(
                    "changed  {} ({entry:?} -> {now:?})",
                    path.display()
                )),
                Some(_) => {}
            }
        }
        for path in after.0.keys().filter(|p| !self.0.contains_key(*p)) {
            changed.push(format!("added    {}", path.display()));
        }
        changed
    }

    #[track_caller]
    pub fn assert_same(&self, after: &Self, what: &str) {
        let changed = self.differences(after);
        assert!(
            changed.is_empty(),
            "{what} changed the repository:\n{}",
            changed.join("\n")
        );
    }
}

/// Whether `relative` (to the sandbox root) is outside what a hook must leave alone.
fn skipped(relative: &Path, scope: Scope) -> bool {
    let name = relative.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_git_dir = relative.parent().is_some_and(is_git_dir);
    // The sandbox's home holds the user's caches and the frameworks' state, not a repository.
    if relative == Path::new("home") {
        return true;
    }
    // The documented render cache (shared by worktrees, so only in a git dir).
    if in_git_dir && name == "gitops-guardrails" {
        return true;
    }
    scope == Scope::RefusedGit && in_git_dir && matches!(name, "COMMIT_EDITMSG" | "objects")
}

/// Whether `dir` (relative to the sandbox) is a git dir: a clone's `.git`, a bare
/// repository (`*.git`), or a linked worktree's (`<git dir>/worktrees/<name>`).
fn is_git_dir(dir: &Path) -> bool {
    let name = dir.file_name().map(|n| n.to_string_lossy());
    name.is_some_and(|n| n.ends_with(".git"))
        || dir.parent().is_some_and(|worktrees| {
            worktrees.file_name().is_some_and(|n| n == "worktrees")
                && worktrees.parent().is_some_and(is_git_dir)
        })
}

/// The index's entries (path, mode, blob, stage), which a refused commit must keep though
/// git rewrites the file itself.
fn index_entries(git_dir: &Path) -> Entry {
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["ls-files", "--stage", "-z"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git ls-files");
    let mut hasher = DefaultHasher::new();
    out.stdout.hash(&mut hasher);
    Entry::File {
        mode: 0,
        len: out.stdout.len() as u64,
        hash: hasher.finish(),
    }
}

fn walk(root: &Path, dir: &Path, scope: Scope, entries: &mut BTreeMap<PathBuf, Entry>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for item in read.flatten() {
        let path = item.path();
        let relative = path.strip_prefix(root).expect("under root").to_path_buf();
        if skipped(&relative, scope) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let entry = if scope == Scope::RefusedGit
            && relative.file_name().is_some_and(|n| n == "index")
            && relative.parent().is_some_and(is_git_dir)
        {
            index_entries(path.parent().expect("checked"))
        } else if meta.file_type().is_symlink() {
            Entry::Symlink(std::fs::read_link(&path).unwrap_or_default())
        } else if meta.is_dir() {
            walk(root, &path, scope, entries);
            Entry::Dir
        } else {
            use std::os::unix::fs::PermissionsExt;
            let content = std::fs::read(&path).unwrap_or_default();
            let mut hasher = DefaultHasher::new();
            content.hash(&mut hasher);
            Entry::File {
                mode: meta.permissions().mode(),
                len: content.len() as u64,
                hash: hasher.finish(),
            }
        };
        entries.insert(relative, entry);
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::Sandbox;

    #[test]
    fn a_snapshot_sees_every_change_a_hook_must_not_make_and_allows_the_render_cache() {
        let sb = Sandbox::empty();
        sb.commit_unguarded("first");
        let cache = sb
            .work
            .join(".git/gitops-guardrails/flux-kustomize-validate");
        let before = sb.snapshot();
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join("entry"), "render").unwrap();
        assert_eq!(before.differences(&sb.snapshot()), Vec::<String>::new());

        let head = sb.rev("HEAD");
        let changes: [(&str, &dyn Fn()); 5] = [
            ("refs/heads/other", &|| {
                sb.git(&["update-ref", "refs/heads/other", &head])
                    .assert_ok();
            }),
            ("config", &|| {
                sb.git(&["config", "user.name", "someone else"]).assert_ok();
            }),
            ("index", &|| {
                sb.write("staged", "x");
                sb.git(&["add", "staged"]).assert_ok();
            }),
            ("untracked", &|| sb.write("untracked", "x")),
            ("remote.git/refs/heads/main", &|| {
                sb.git(&["push", "-q", "origin", "HEAD:main"]).assert_ok();
            }),
        ];
        for (path, change) in changes {
            let before = sb.snapshot();
            change();
            let seen = before.differences(&sb.snapshot());
            assert!(
                seen.iter().any(|line| line.contains(path)),
                "{path} changed unseen: {seen:?}"
            );
        }
    }
}
