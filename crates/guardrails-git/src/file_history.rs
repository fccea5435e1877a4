//! The versions a set of files had along a history: what promotion lineage reads to learn
//! which tags a lane pinned, and when.
//!
//! The walk visits every commit reachable from the starting commits (newest first, as
//! `git log` does) and looks each followed path up in the commit's tree; a content is read
//! once, however many commits hold it. Each version is dated by the oldest commit of the
//! walk whose tree holds it: the commit that introduced it (for content that came back,
//! a revert, its first introduction).

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the history of {what}: {source}")]
pub struct FileHistoryError {
    what: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl FileHistoryError {
    fn new(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            what: what.into(),
            source: Box::new(source),
        }
    }
}

/// One content a followed file had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub blob: ObjectId,
    /// The oldest commit of the walk whose tree holds this content at `path`.
    pub commit: ObjectId,
    /// That commit's committer time (seconds since the epoch).
    pub time: i64,
    /// The committer time of the newest commit of the walk that holds it.
    pub newest: i64,
    /// Every commit of the walk whose tree holds this content at `path`.
    pub commits: Vec<ObjectId>,
    /// The text (lossy UTF-8).
    pub text: String,
}

/// A commit the walk visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkedCommit {
    pub id: ObjectId,
    /// Committer time (seconds since the epoch).
    pub time: i64,
    /// Its parents, as the walk saw them (a shallow clone's boundary commits have none).
    pub parents: Vec<ObjectId>,
}

/// The versions of the followed files, and how far the walk could see.
#[derive(Debug, Default)]
pub struct FileHistory {
    pub versions: Vec<FileVersion>,
    /// Every commit visited, in the walk's order (newest first).
    pub walked: Vec<WalkedCommit>,
    /// Commits visited.
    pub commits: usize,
    /// The repository is a shallow clone: history stops at its grafts.
    pub shallow: bool,
    /// The walk stopped at `limit` commits.
    pub truncated: bool,
}

/// The versions of `paths` in the history of `tips`, visiting at most `limit` commits.
pub fn file_history(
    repo: &gix::Repository,
    tips: &[ObjectId],
    paths: &[String],
    limit: usize,
) -> Result<FileHistory, FileHistoryError> {
    let mut history = FileHistory {
        shallow: repo.is_shallow().unwrap_or(false),
        ..FileHistory::default()
    };
    if tips.is_empty() || paths.is_empty() {
        return Ok(history);
    }
    let walk = repo
        .rev_walk(tips.iter().copied())
        .all()
        .map_err(|e| FileHistoryError::new("the commits", e))?;
    // (path, blob) -> index in `found`; trees already looked at, with what they held.
    let mut found: HashMap<(String, ObjectId), FileVersion> = HashMap::new();
    let mut trees: HashMap<ObjectId, Vec<(usize, ObjectId)>> = HashMap::new();
    let mut order: Vec<(String, ObjectId)> = Vec::new();
    let mut lookup = TreeLookup::default();
    for info in walk {
        if history.commits >= limit {
            history.truncated = true;
            break;
        }
        let info = info.map_err(|e| FileHistoryError::new("the commits", e))?;
        history.commits += 1;
        let commit = info
            .object()
            .map_err(|e| FileHistoryError::new(info.id.to_string(), e))?;
        let time = commit.time().map_or(0, |t| t.seconds);
        history.walked.push(WalkedCommit {
            id: info.id,
            time,
            parents: info.parent_ids.iter().copied().collect(),
        });
        let tree_id = commit
            .tree_id()
            .map_err(|e| FileHistoryError::new(info.id.to_string(), e))?
            .detach();
        let entries = match trees.get(&tree_id) {
            Some(entries) => entries.clone(),
            None => {
                let mut entries = Vec::new();
                for (i, path) in paths.iter().enumerate() {
                    if let Some(blob) = lookup.blob_at(repo, tree_id, path)? {
                        entries.push((i, blob));
                    }
                }
                trees.insert(tree_id, entries.clone());
                entries
            }
        };
        for (i, blob) in entries {
            let key = (paths[i].clone(), blob);
            match found.get_mut(&key) {
                Some(version) => {
                    // The walk goes newest first: an older commit introduced it.
                    if time <= version.time {
                        version.commit = info.id;
                        version.time = time;
                    }
                    version.newest = version.newest.max(time);
                    version.commits.push(info.id);
                }
                None => {
                    let data = repo
                        .find_blob(blob)
                        .map_err(|e| FileHistoryError::new(paths[i].clone(), e))?;
                    let text = String::from_utf8_lossy(&data.data).into_owned();
                    order.push(key.clone());
                    found.insert(
                        key,
                        FileVersion {
                            path: paths[i].clone(),
                            blob,
                            commit: info.id,
                            time,
                            newest: time,
                            commits: vec![info.id],
                            text,
                        },
                    );
                }
            }
        }
    }
    history.versions = order
        .into_iter()
        .filter_map(|key| found.remove(&key))
        .collect();
    Ok(history)
}

/// Path lookups through trees, remembering each `(tree, name)` answer: a commit changes a
/// few trees, so most of a path's directories are trees an earlier commit had, and only
/// the root tree and the directories the commit touched are decoded.
#[derive(Default)]
struct TreeLookup {
    /// `(tree, entry name)` -> the entry's id and whether it is a tree (`None`: no entry).
    entries: HashMap<(ObjectId, String), Option<(ObjectId, bool)>>,
}

impl TreeLookup {
    /// The blob at `path` (`/`-separated) under the tree `root`.
    fn blob_at(
        &mut self,
        repo: &gix::Repository,
        root: ObjectId,
        path: &str,
    ) -> Result<Option<ObjectId>, FileHistoryError> {
        let mut tree = root;
        let mut components = path.split('/').filter(|c| !c.is_empty()).peekable();
        while let Some(name) = components.next() {
            let key = (tree, name.to_owned());
            let entry = match self.entries.get(&key) {
                Some(entry) => *entry,
                None => {
                    let object = repo
                        .find_tree(tree)
                        .map_err(|e| FileHistoryError::new(path.to_owned(), e))?;
                    // Symlinks and submodules hold no file of their own.
                    let entry = object
                        .find_entry(name)
                        .filter(|e| e.mode().is_tree() || e.mode().is_blob())
                        .map(|e| (e.id().detach(), e.mode().is_tree()));
                    self.entries.insert(key, entry);
                    entry
                }
            };
            let Some((id, is_tree)) = entry else {
                return Ok(None);
            };
            match (components.peek().is_some(), is_tree) {
                (true, true) => tree = id,
                (false, false) => return Ok(Some(id)),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// The commits reachable from `tips` (themselves included), at most `limit`.
pub fn reachable(
    repo: &gix::Repository,
    tips: &[ObjectId],
    limit: usize,
) -> Result<HashSet<ObjectId>, FileHistoryError> {
    let mut seen = HashSet::new();
    if tips.is_empty() {
        return Ok(seen);
    }
    let walk = repo
        .rev_walk(tips.iter().copied())
        .all()
        .map_err(|e| FileHistoryError::new("the commits", e))?;
    for info in walk.take(limit) {
        seen.insert(
            info.map_err(|e| FileHistoryError::new("the commits", e))?
                .id,
        );
    }
    Ok(seen)
}

/// The parents of `commit` the repository has (a shallow clone lacks those past its
/// boundary).
pub fn parents(
    repo: &gix::Repository,
    commit: ObjectId,
) -> Result<Vec<ObjectId>, FileHistoryError> {
    let commit = repo
        .find_commit(commit)
        .map_err(|e| FileHistoryError::new(commit.to_string(), e))?;
    Ok(commit
        .parent_ids()
        .map(gix::Id::detach)
        .filter(|id| repo.has_object(id))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_git::git;

    #[test]
    fn versions_are_dated_by_the_commit_that_introduced_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        let commit = |text: &str, message: &str| {
            std::fs::create_dir_all(root.join("lanes")).unwrap();
            std::fs::write(root.join("lanes/staging.yaml"), text).unwrap();
            git(root, &["add", "-A"]);
            git(root, &["commit", "-q", "-m", message]);
            git(root, &["rev-parse", "HEAD"])
        };
        let one = commit("tag: one\n", "one");
        let _two = commit("tag: two\n", "two");
        let back = commit("tag: one\n", "back to one");
        std::fs::write(root.join("other.txt"), "x").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "unrelated"]);
        let head = git(root, &["rev-parse", "HEAD"]);
        let repo = gix::open(root).unwrap();
        let id = |hex: &str| ObjectId::from_hex(hex.as_bytes()).unwrap();
        let history = file_history(
            &repo,
            &[id(&head)],
            &["lanes/staging.yaml".to_owned(), "missing.yaml".to_owned()],
            1000,
        )
        .unwrap();
        assert_eq!(history.commits, 4);
        assert_eq!(history.walked.len(), 4);
        assert_eq!(history.walked[0].id, id(&head));
        assert_eq!(history.walked[0].parents, [id(&back)]);
        assert!(history.walked[3].parents.is_empty());
        assert!(!history.shallow && !history.truncated);
        let texts: Vec<(&str, ObjectId, usize)> = history
            .versions
            .iter()
            .map(|v| (v.text.as_str(), v.commit, v.commits.len()))
            .collect();
        // Newest first; `one` is dated by its first introduction and held by three commits.
        assert_eq!(
            texts,
            [("tag: one\n", id(&one), 3), ("tag: two\n", texts[1].1, 1)]
        );
        assert!(history.versions[0].commits.contains(&id(&back)));
        let limited = file_history(&repo, &[id(&head)], &["lanes/staging.yaml".into()], 2).unwrap();
        assert!(limited.truncated);
        assert_eq!(reachable(&repo, &[id(&one)], 100).unwrap().len(), 1);
        assert_eq!(parents(&repo, id(&back)).unwrap().len(), 1);
    }
}
