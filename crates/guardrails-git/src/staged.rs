//! What a commit deletes. pre-commit and prek pass a hook the staged files that still
//! exist, never the deleted ones (pre-commit `staged_files_only` and `git diff --cached
//! --diff-filter=ACMRTUXB`), so a hook that must notice a deletion (an entry that now names
//! a missing file) reads it itself: the paths in `HEAD`'s tree that the index no longer has.

use std::path::PathBuf;

use gix::bstr::ByteSlice;

/// Why the staged deletions could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the staged deletions: {0}")]
pub struct StagedError(String);

/// Files in `HEAD` that the index no longer holds, relative to the worktree's top level.
/// An unborn `HEAD` deletes nothing.
pub fn staged_deletions(repo: &gix::Repository) -> Result<Vec<PathBuf>, StagedError> {
    let error = |e: &dyn std::fmt::Display| StagedError(e.to_string());
    let tree = match repo.head_tree() {
        Ok(tree) => tree,
        Err(_) if repo.head_id().is_err() => return Ok(Vec::new()),
        Err(e) => return Err(error(&e)),
    };
    let index = repo.index_or_empty().map_err(|e| error(&e))?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .map_err(|e| error(&e))?;
    Ok(recorder
        .records
        .into_iter()
        .filter(|entry| !entry.mode.is_tree() && !entry.mode.is_commit())
        .filter(|entry| index.entry_by_path(entry.filepath.as_bstr()).is_none())
        .filter_map(|entry| entry.filepath.to_str().ok().map(PathBuf::from))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_git::git;

    #[test]
    fn a_deleted_and_a_renamed_file_are_staged_deletions_a_kept_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(root.join("apps")).unwrap();
        for file in ["apps/a.yaml", "apps/b.yaml", "apps/c.yaml"] {
            std::fs::write(root.join(file), "x: 1\n").unwrap();
        }
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "init"]);
        git(root, &["rm", "-q", "apps/a.yaml"]);
        git(root, &["mv", "apps/b.yaml", "apps/renamed.yaml"]);
        // Deleted in the worktree but not staged: not part of the commit.
        std::fs::remove_file(root.join("apps/c.yaml")).unwrap();
        let repo = gix::open(root).unwrap();
        let mut deleted = staged_deletions(&repo).unwrap();
        deleted.sort();
        assert_eq!(
            deleted,
            vec![PathBuf::from("apps/a.yaml"), PathBuf::from("apps/b.yaml")]
        );
    }

    #[test]
    fn an_unborn_head_deletes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let repo = gix::open(dir.path()).unwrap();
        assert!(staged_deletions(&repo).unwrap().is_empty());
    }
}
