//! The blobs a set of files had along a history: what promotion lineage reads to learn
//! which tags a lane pinned, and when.
//!
//! The walk visits the commits reachable from the starting commits and not from hidden
//! ones (what an index of the history lacks; newest first, as `git log` does) and looks
//! each followed path up in the commit's tree, decoding only the trees an earlier lookup
//! has not seen.

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
    /// Reading `what` failed with `source`.
    pub fn new(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            what: what.into(),
            source: Box::new(source),
        }
    }
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

/// A commit of a [`walk_paths`] walk and the blob each followed path has in it.
#[derive(Debug, Clone)]
pub struct CommitPaths {
    pub commit: WalkedCommit,
    /// Per followed path (in the order given): its blob, `None` where the path holds no
    /// file.
    pub blobs: Vec<Option<ObjectId>>,
}

/// The commits a [`walk_paths`] walk visited, newest first.
#[derive(Debug, Default)]
pub struct PathWalk {
    pub commits: Vec<CommitPaths>,
    /// The repository is a shallow clone: history stops at its grafts.
    pub shallow: bool,
    /// The walk stopped at its limit.
    pub truncated: bool,
}

/// Walks the commits reachable from `tips` and not from `hidden` (at most `limit`), and
/// looks `paths` up in each: what an index of the paths' history adds for new commits.
pub fn walk_paths(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &[ObjectId],
    paths: &[String],
    lookup: &mut PathLookup,
    limit: usize,
) -> Result<PathWalk, FileHistoryError> {
    let mut out = PathWalk {
        shallow: repo.is_shallow().unwrap_or(false),
        ..PathWalk::default()
    };
    if tips.is_empty() {
        return Ok(out);
    }
    if hidden.is_empty() {
        return walk_all(repo, tips, paths, lookup, limit, out);
    }
    let walk = repo
        .rev_walk(tips.iter().copied())
        .with_hidden(hidden.iter().copied())
        .all()
        .map_err(|e| FileHistoryError::new("the commits", e))?;
    for info in walk {
        if out.commits.len() >= limit {
            out.truncated = true;
            break;
        }
        let info = info.map_err(|e| FileHistoryError::new("the commits", e))?;
        let commit = info
            .object()
            .map_err(|e| FileHistoryError::new(info.id.to_string(), e))?;
        let time = commit.time().map_or(0, |t| t.seconds);
        let tree = commit
            .tree_id()
            .map_err(|e| FileHistoryError::new(info.id.to_string(), e))?
            .detach();
        out.commits.push(CommitPaths {
            commit: WalkedCommit {
                id: info.id,
                time,
                parents: info.parent_ids.iter().copied().collect(),
            },
            blobs: lookup.blobs_in_tree(repo, tree, paths)?,
        });
    }
    Ok(out)
}

/// Every commit `tips` reach, newest first, each decoded once (gix's walk decodes a
/// commit for its parents and `Info::object` again for its tree: twice the inflating on
/// a history of tens of thousands of commits). A shallow clone's boundary commits have
/// no parents, as git's shallow file says (gitrepository-layout(5)).
fn walk_all(
    repo: &gix::Repository,
    tips: &[ObjectId],
    paths: &[String],
    lookup: &mut PathLookup,
    limit: usize,
    mut out: PathWalk,
) -> Result<PathWalk, FileHistoryError> {
    let boundary: HashSet<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|commits| commits.iter().copied().collect())
        .unwrap_or_default();
    let mut seen: gix::hashtable::HashSet<ObjectId> = tips.iter().copied().collect();
    let mut queue: std::collections::BinaryHeap<(i64, ObjectId)> =
        std::collections::BinaryHeap::new();
    let read = |id: ObjectId| -> Result<(i64, ObjectId, Vec<ObjectId>), FileHistoryError> {
        let commit = repo
            .find_commit(id)
            .map_err(|e| FileHistoryError::new(id.to_string(), e))?;
        let decoded = commit
            .decode()
            .map_err(|e| FileHistoryError::new(id.to_string(), e))?;
        let time = decoded.committer().ok().map_or(0, |c| c.seconds());
        let parents = decoded.parents().collect();
        Ok((time, decoded.tree(), parents))
    };
    let mut pending: HashMap<ObjectId, (ObjectId, Vec<ObjectId>)> = HashMap::new();
    for &tip in tips {
        let (time, tree, parents) = read(tip)?;
        pending.insert(tip, (tree, parents));
        queue.push((time, tip));
    }
    while let Some((time, id)) = queue.pop() {
        if out.commits.len() >= limit {
            out.truncated = true;
            break;
        }
        let Some((tree, mut parents)) = pending.remove(&id) else {
            continue;
        };
        if boundary.contains(&id) {
            parents.clear();
        }
        parents.retain(|p| repo.has_object(p));
        for &parent in &parents {
            if seen.insert(parent) {
                let (time, tree, grand) = read(parent)?;
                pending.insert(parent, (tree, grand));
                queue.push((time, parent));
            }
        }
        out.commits.push(CommitPaths {
            commit: WalkedCommit { id, time, parents },
            blobs: lookup.blobs_in_tree(repo, tree, paths)?,
        });
    }
    Ok(out)
}

/// Looks paths up in commits' trees, remembering what it decoded.
#[derive(Default)]
pub struct PathLookup {
    trees: TreeLookup,
}

impl PathLookup {
    /// The blob of each of `paths` in `commit` (`None`: no such file).
    pub fn blobs_in_commit(
        &mut self,
        repo: &gix::Repository,
        commit: ObjectId,
        paths: &[String],
    ) -> Result<Vec<Option<ObjectId>>, FileHistoryError> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree_id().map(gix::Id::detach))
            .map_err(|e| FileHistoryError::new(commit.to_string(), e))?;
        self.blobs_in_tree(repo, tree, paths)
    }

    fn blobs_in_tree(
        &mut self,
        repo: &gix::Repository,
        tree: ObjectId,
        paths: &[String],
    ) -> Result<Vec<Option<ObjectId>>, FileHistoryError> {
        paths
            .iter()
            .map(|path| self.trees.blob_at(repo, tree, path))
            .collect()
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_git::git;

    #[test]
    fn a_walk_looks_the_paths_up_in_each_new_commit() {
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
        let two = commit("tag: two\n", "two");
        let back = commit("tag: one\n", "back to one");
        std::fs::write(root.join("other.txt"), "x").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "unrelated"]);
        let head = git(root, &["rev-parse", "HEAD"]);
        let repo = gix::open(root).unwrap();
        let id = |hex: &str| ObjectId::from_hex(hex.as_bytes()).unwrap();
        let paths = ["lanes/staging.yaml".to_owned(), "missing.yaml".to_owned()];
        let mut lookup = PathLookup::default();
        let walk = walk_paths(&repo, &[id(&head)], &[], &paths, &mut lookup, 1000).unwrap();
        assert!(!walk.shallow && !walk.truncated);
        let ids: Vec<ObjectId> = walk.commits.iter().map(|c| c.commit.id).collect();
        assert_eq!(ids, [id(&head), id(&back), id(&two), id(&one)]);
        assert_eq!(walk.commits[0].commit.parents, [id(&back)]);
        assert!(walk.commits[3].commit.parents.is_empty());
        // The same content has the same blob; a missing path has none.
        assert_eq!(walk.commits[1].blobs[0], walk.commits[3].blobs[0]);
        assert_ne!(walk.commits[2].blobs[0], walk.commits[3].blobs[0]);
        assert!(walk.commits.iter().all(|c| c.blobs[1].is_none()));
        // Only what the hidden commit does not reach; and the limit.
        let newer =
            walk_paths(&repo, &[id(&head)], &[id(&two)], &paths, &mut lookup, 1000).unwrap();
        assert_eq!(newer.commits.len(), 2);
        let limited = walk_paths(&repo, &[id(&head)], &[], &paths, &mut lookup, 2).unwrap();
        assert!(limited.truncated);
        assert_eq!(
            lookup.blobs_in_commit(&repo, id(&one), &paths).unwrap(),
            walk.commits[3].blobs
        );
        assert_eq!(reachable(&repo, &[id(&one)], 100).unwrap().len(), 1);
    }
}
