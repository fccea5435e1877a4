//! Which commits are public: reachable from a remote-tracking ref.

use std::collections::BinaryHeap;

use gix::ObjectId;
use gix::hashtable::{HashMap, HashSet};
use gix::prelude::Find;
use globset::GlobMatcher;

use crate::InvalidPattern;
use crate::commit_index::{CommitIndex, read_header};
use crate::generation_cache::GenerationCache;
use crate::protected::compile_globs;

/// Which remote-tracking refs count as public (`--remote`, `--public`).
#[derive(Debug, Clone, Default)]
pub struct PublicScope {
    remotes: Vec<String>,
    globs: Vec<(String, GlobMatcher)>,
}

impl PublicScope {
    /// `remotes`: remote names that count (empty: all). `globs`: patterns matched against
    /// `<remote>/<branch>` (empty: every branch).
    pub fn new(remotes: &[String], globs: &[String]) -> Result<Self, InvalidPattern> {
        let globs = compile_globs(globs)?;
        Ok(Self {
            remotes: remotes.to_vec(),
            globs,
        })
    }

    pub fn includes(&self, remote: &str, branch: &str) -> bool {
        (self.remotes.is_empty() || self.remotes.iter().any(|r| r == remote))
            && (self.globs.is_empty()
                || self
                    .globs
                    .iter()
                    .any(|(_, g)| g.is_match(format!("{remote}/{branch}"))))
    }

    /// How the scope reads in messages.
    pub fn describe(&self) -> String {
        match (self.remotes.is_empty(), self.globs.is_empty()) {
            (true, true) => "every remote-tracking branch".to_owned(),
            _ => {
                let mut parts = Vec::new();
                if !self.remotes.is_empty() {
                    parts.push(format!("remotes {}", self.remotes.join(", ")));
                }
                if !self.globs.is_empty() {
                    let globs: Vec<_> = self.globs.iter().map(|(p, _)| p.as_str()).collect();
                    parts.push(format!("branches {}", globs.join(", ")));
                }
                parts.join("; ")
            }
        }
    }
}

/// A remote-tracking ref in scope.
#[derive(Debug, Clone)]
pub struct PublicTip {
    /// `<remote>/<branch>`.
    pub name: String,
    pub id: ObjectId,
}

/// The public tips of a repository and reachability queries against them.
pub struct PublicHistory<'repo> {
    repo: &'repo gix::Repository,
    pub tips: Vec<PublicTip>,
    graph_cache: Option<gix::commitgraph::Graph>,
    /// Highest commit-graph generation among the tips, when every tip is in the graph;
    /// computed when first needed (thousands of tips are thousands of graph lookups).
    max_tip_generation: std::cell::OnceCell<Option<u32>>,
    /// Where the highest tip generation is remembered between runs, if anywhere.
    generation_cache: Option<GenerationCache>,
    pub shallow: bool,
    /// Remote-tracking refs before `--remote`/`--public` narrowed them.
    pub unscoped_refs: usize,
    /// `--remote` names that are not configured remotes (most likely typos).
    pub unknown_remotes: Vec<String>,
    /// Commits decoded one by one before a walk builds the [`CommitIndex`].
    index_after: usize,
}

/// Reading refs or objects failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the repository's history: {message}")]
pub struct HistoryError {
    pub message: String,
}

impl HistoryError {
    pub(crate) fn from(err: impl std::fmt::Display) -> Self {
        Self {
            message: err.to_string(),
        }
    }
}

impl<'repo> PublicHistory<'repo> {
    /// Collects the remote-tracking refs in `scope`; symbolic refs such as `origin/HEAD`
    /// are skipped (they only alias a branch that is listed anyway).
    pub fn read(repo: &'repo gix::Repository, scope: &PublicScope) -> Result<Self, HistoryError> {
        let remote_names: Vec<String> = repo
            .remote_names()
            .into_iter()
            .map(|n| n.to_string())
            .collect();
        let everything = scope.remotes.is_empty() && scope.globs.is_empty();
        let unknown_remotes = scope
            .remotes
            .iter()
            .filter(|r| !remote_names.contains(r))
            .cloned()
            .collect();
        let mut tips = Vec::new();
        let mut unscoped_refs = 0;
        let mut keep = |short: String, id: ObjectId| {
            unscoped_refs += 1;
            if !everything {
                let (remote, branch) = split_remote(&short, &remote_names);
                if !scope.includes(remote, branch) {
                    return;
                }
            }
            tips.push(PublicTip { name: short, id });
        };
        if let Some(refs) = crate::remote_refs::read(repo.common_dir()) {
            for (short, id) in refs {
                keep(short, id);
            }
        } else {
            let platform = repo.references().map_err(HistoryError::from)?;
            for reference in platform.remote_branches().map_err(HistoryError::from)? {
                // A ref git would warn about ("ignoring broken ref") may hide public
                // commits: refuse to guess.
                let reference = reference.map_err(HistoryError::from)?;
                // Remote-tracking refs point at commits: their target is used as is.
                // Peeling would look up every object only to find commits; symbolic refs
                // (`origin/HEAD`) alias a listed branch.
                let gix::refs::TargetRef::Object(id) = reference.target() else {
                    continue;
                };
                let full = reference.name().as_bstr().to_string();
                if let Some(short) = full.strip_prefix("refs/remotes/") {
                    keep(short.to_owned(), id.to_owned());
                }
            }
        }
        // `git replace` changes parents: git then ignores the commit-graph, and the commit
        // index (which reads packs by raw id) would disagree with the object database.
        let replaced = repo.objects.store_ref().replacements().next().is_some();
        let graph_cache = if replaced {
            None
        } else {
            repo.commit_graph_if_enabled().ok().flatten()
        };
        let index_after = if replaced {
            usize::MAX
        } else if graph_cache.is_some() {
            INDEX_AFTER_WITH_GRAPH
        } else {
            INDEX_AFTER
        };
        Ok(Self {
            repo,
            tips,
            graph_cache,
            max_tip_generation: std::cell::OnceCell::new(),
            generation_cache: None,
            shallow: repo.is_shallow().unwrap_or(false),
            unscoped_refs,
            unknown_remotes,
            index_after,
        })
    }

    /// Remembers the highest tip generation in `cache` between runs (see
    /// [`GenerationCache`]).
    pub fn with_generation_cache(mut self, cache: GenerationCache) -> Self {
        self.generation_cache = Some(cache);
        self
    }

    /// Whether `commit` is reachable from a public tip.
    pub fn is_public(&self, commit: ObjectId) -> Result<bool, HistoryError> {
        Ok(!self.find_public(&[commit], &[])?.is_empty())
    }

    /// Which of `targets` a public tip reaches, each with the index of a tip reaching it
    /// (to name in messages: a tip sitting on the target comes first; among equals, those
    /// named in `prefer`, for example the upstream of the current branch, then
    /// `main`/`master`).
    ///
    /// One walk answers every target: public commits are closed under ancestry, so a rebase
    /// range is checked at the cost of a single question. The walk goes newest commit first
    /// (as git's does), stops when every target is found, and with a commit-graph never
    /// descends below the lowest target's generation (a commit cannot reach a commit of a
    /// higher generation). Without a commit-graph, proving that a commit is *not* public
    /// means visiting all public history, which is why commits are decoded only up to the
    /// committer line.
    pub fn find_public(
        &self,
        targets: &[ObjectId],
        prefer: &[&str],
    ) -> Result<HashMap<ObjectId, usize>, HistoryError> {
        let mut found = HashMap::default();
        let mut remaining: HashSet<ObjectId> = targets.iter().copied().collect();
        let order = self.tip_order(prefer);
        for &tip in &order {
            if remaining.remove(&self.tips[tip].id) {
                found.insert(self.tips[tip].id, tip);
            }
        }
        // git's early exit, which gix's merge-base lacks: a commit whose generation number
        // is higher than every tip's cannot be their ancestor.
        let mut floor = None;
        if self.graph_cache.is_some() {
            let mut lowest = Some(u32::MAX);
            let mut not_public = Vec::new();
            let mut memo = HashMap::default();
            let mut budget = GENERATION_BUDGET;
            for &target in &remaining {
                match self.generation(target, &mut memo, &mut budget) {
                    Some(g) if self.max_tip_generation().is_some_and(|max| g > max) => {
                        not_public.push(target);
                    }
                    Some(g) => lowest = lowest.map(|l| l.min(g)),
                    None => lowest = None,
                }
            }
            for target in not_public {
                remaining.remove(&target);
            }
            floor = lowest;
        }
        if remaining.is_empty() {
            return Ok(found);
        }

        let mut walk = Walk::new(self, floor);
        for (rank, &tip) in order.iter().enumerate() {
            if walk.seen.insert(self.tips[tip].id) {
                walk.push(self.tips[tip].id, None, rank, tip)?;
            }
        }
        while let Some(entry) = walk.queue.pop() {
            // `push` only appends to the parents arena, so the popped range stays valid.
            for slot in entry.parents {
                let (parent, position) = walk.parents[slot];
                if !walk.seen.insert(parent) {
                    continue;
                }
                if remaining.remove(&parent) {
                    found.insert(parent, entry.tip);
                    if remaining.is_empty() {
                        return Ok(found);
                    }
                }
                walk.push(parent, position, entry.rank, entry.tip)?;
            }
        }
        Ok(found)
    }

    /// Tip indices: those named in `prefer`, then `main`/`master`, then the rest.
    fn tip_order(&self, prefer: &[&str]) -> Vec<usize> {
        let rank = |name: &str| {
            prefer.iter().position(|p| *p == name).unwrap_or_else(|| {
                match name.ends_with("/main") || name.ends_with("/master") {
                    true => prefer.len(),
                    false => prefer.len() + 1,
                }
            })
        };
        let mut order: Vec<usize> = (0..self.tips.len()).collect();
        order.sort_by_key(|&i| rank(&self.tips[i].name));
        order
    }

    fn max_tip_generation(&self) -> Option<u32> {
        *self.max_tip_generation.get_or_init(|| {
            let graph = self.graph_cache.as_ref()?;
            let mut ids: Vec<ObjectId> = self.tips.iter().map(|tip| tip.id).collect();
            let cached = self.generation_cache.as_ref().and_then(|cache| {
                let key = GenerationCache::key(
                    self.repo.objects.store_ref().path(),
                    self.repo.object_hash(),
                    &mut ids,
                )?;
                Some((cache, key))
            });
            if let Some((cache, key)) = &cached
                && let Some(generation) = cache.get(key)
            {
                return generation;
            }
            // Each commit once: branches of several remotes often point at one commit.
            ids.sort_unstable();
            ids.dedup();
            let highest = ids
                .into_iter()
                .map(|id| {
                    graph
                        .commit_by_id(id)
                        .and_then(|c| known_generation(c.generation()))
                })
                .try_fold(0, |max, g| g.map(|g| max.max(g)));
            if let Some((cache, key)) = &cached {
                cache.put(key, highest);
            }
            highest
        })
    }

    /// Every packed commit, decoded on all cores.
    fn commit_index(&self) -> CommitIndex {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        CommitIndex::build(
            self.repo.objects.store_ref().path(),
            self.repo.object_hash(),
            threads.min(8),
        )
    }

    /// The commit-graph generation of `commit`, or a lower bound of it: for commits newer
    /// than the graph (what a hook usually asks about), one more than their parents'.
    /// `memo` is shared across the targets of one question; `budget` caps how many commits
    /// outside the graph are decoded for it (merge-heavy history newer than the graph has
    /// exponentially many paths, so every commit is decoded at most once).
    fn generation(
        &self,
        commit: ObjectId,
        memo: &mut HashMap<ObjectId, Option<u32>>,
        budget: &mut usize,
    ) -> Option<u32> {
        let graph = self.graph_cache.as_ref()?;
        // Depth-first; a commit is finished (second visit, parents known) after its parents.
        let mut stack: Vec<(ObjectId, Option<Vec<ObjectId>>)> = vec![(commit, None)];
        while let Some((id, parents)) = stack.pop() {
            if let Some(parents) = parents {
                let generation = parents
                    .iter()
                    .map(|p| memo.get(p).copied().flatten())
                    .try_fold(0, |max, g| g.map(|g| max.max(g)))
                    .map(|max| max.saturating_add(1));
                memo.insert(id, generation);
                continue;
            }
            if memo.contains_key(&id) {
                continue;
            }
            if let Some(c) = graph.commit_by_id(id) {
                memo.insert(id, known_generation(c.generation()));
                continue;
            }
            if *budget == 0 {
                memo.insert(id, None);
                continue;
            }
            *budget -= 1;
            let Ok(found) = self.repo.find_commit(id) else {
                memo.insert(id, None);
                continue;
            };
            let parents: Vec<ObjectId> = found.parent_ids().map(|p| p.detach()).collect();
            let pending: Vec<_> = parents.iter().map(|&p| (p, None)).collect();
            // Below its parents, so it is finished after them.
            stack.push((id, Some(parents)));
            stack.extend(pending);
        }
        memo.get(&commit).copied().flatten()
    }
}

/// git 2.18 wrote commit-graphs whose generations are all 0 ("not computed"): no bound.
fn known_generation(generation: u32) -> Option<u32> {
    (generation != 0).then_some(generation)
}

/// How many commits newer than the commit-graph one question may decode to derive
/// generations.
const GENERATION_BUDGET: usize = 10_000;

/// A commit waiting in the walk; the newest comes out first, ties go to the preferred tip.
#[derive(Debug, PartialEq, Eq)]
struct Queued {
    time: i64,
    rank: usize,
    tip: usize,
    parents: std::ops::Range<usize>,
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.time
            .cmp(&other.time)
            .then_with(|| other.rank.cmp(&self.rank))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// How many commits a walk decodes one by one before it decodes every packed commit at
/// once, on every core (see [`CommitIndex`]): about 15 ms of walking, which finds what
/// was pushed recently; proving a commit unpublished takes all of history.
const INDEX_AFTER: usize = 5_000;

/// The same with a commit-graph, where only commits newer than the graph are decoded: the
/// index costs as much as decoding every packed commit, worth it only when the graph is far
/// behind.
const INDEX_AFTER_WITH_GRAPH: usize = 50_000;

/// The state of one [`PublicHistory::find_public`] walk.
struct Walk<'a, 'repo> {
    history: &'a PublicHistory<'repo>,
    /// Commits below this generation cannot reach a target: they are not queued.
    floor: Option<u32>,
    queue: BinaryHeap<Queued>,
    seen: HashSet<ObjectId>,
    /// Parents of queued commits, so each commit is decoded once, with their commit-graph
    /// position when the graph gave them (a lookup by position needs no search).
    parents: Vec<(ObjectId, Option<gix::commitgraph::Position>)>,
    /// Commits read one by one from the object database so far.
    decoded: usize,
    index: Option<CommitIndex>,
    buf: Vec<u8>,
}

impl<'a, 'repo> Walk<'a, 'repo> {
    fn new(history: &'a PublicHistory<'repo>, floor: Option<u32>) -> Self {
        Self {
            history,
            floor,
            queue: BinaryHeap::new(),
            seen: HashSet::default(),
            parents: Vec::new(),
            decoded: 0,
            index: None,
            buf: Vec::new(),
        }
    }

    /// Queues `id` (seen, and known not to be a target) with its parents and commit time,
    /// read from the commit-graph, the commit index or the object database, in that order.
    fn push(
        &mut self,
        id: ObjectId,
        position: Option<gix::commitgraph::Position>,
        rank: usize,
        tip: usize,
    ) -> Result<(), HistoryError> {
        let start = self.parents.len();
        let time = if let Some((graph, commit)) =
            self.history
                .graph_cache
                .as_ref()
                .and_then(|g| match position {
                    Some(position) => Some((g, g.commit_at(position))),
                    None => g.commit_by_id(id).map(|c| (g, c)),
                }) {
            if self.floor.is_some_and(|floor| {
                known_generation(commit.generation()).is_some_and(|g| g <= floor)
            }) {
                return Ok(());
            }
            for parent in commit.iter_parents() {
                let parent = parent.map_err(HistoryError::from)?;
                self.parents
                    .push((graph.id_at(parent).to_owned(), Some(parent)));
            }
            i64::try_from(commit.committer_timestamp()).unwrap_or(i64::MAX)
        } else if let Some(commit) = self.index.as_ref().and_then(|index| index.get(&id)) {
            self.parents
                .extend(commit.parents().iter().map(|&parent| (parent, None)));
            commit.time
        } else {
            self.decoded += 1;
            if self.decoded == self.history.index_after && self.index.is_none() {
                self.index = Some(self.history.commit_index());
            }
            let repo = self.history.repo;
            let Some(data) = repo
                .objects
                .try_find(&id, &mut self.buf)
                .map_err(HistoryError::from)?
            else {
                // Past a shallow clone's boundary the parents are missing by design.
                if self.history.shallow {
                    return Ok(());
                }
                return Err(HistoryError::from(format!("commit {id} is missing")));
            };
            if data.kind == gix::object::Kind::Tag {
                // A remote-tracking ref to an annotated tag (`+refs/*:refs/remotes/o/*`)
                // publishes what the tag points at.
                let target = gix::objs::TagRefIter::from_bytes(data.data, id.kind())
                    .target_id()
                    .map_err(HistoryError::from)?;
                self.parents.push((target, None));
                self.queue.push(Queued {
                    time: i64::MAX,
                    rank,
                    tip,
                    parents: start..self.parents.len(),
                });
                return Ok(());
            }
            if data.kind != gix::object::Kind::Commit {
                return Ok(());
            }
            let parents = &mut self.parents;
            read_header(data.data, id.kind(), |parent| {
                parents.push((parent, None));
                Some(())
            })
            .ok_or_else(|| HistoryError::from(format!("commit {id} cannot be decoded")))?
        };
        self.queue.push(Queued {
            time,
            rank,
            tip,
            parents: start..self.parents.len(),
        });
        Ok(())
    }
}

/// `ancestor` is reachable from `descendant` (or equal).
pub fn is_ancestor(
    repo: &gix::Repository,
    ancestor: ObjectId,
    descendant: ObjectId,
) -> Result<bool, HistoryError> {
    if ancestor == descendant {
        return Ok(true);
    }
    let base = repo
        .merge_base(ancestor, descendant)
        .map_err(HistoryError::from)?;
    Ok(base.is_some_and(|b| b.detach() == ancestor))
}

/// Splits `origin/feature/x` into remote and branch, using the configured remote names
/// (which may contain `/`), else the first `/`.
fn split_remote<'a>(short: &'a str, remotes: &[String]) -> (&'a str, &'a str) {
    remotes
        .iter()
        .filter(|r| {
            short.len() > r.len()
                && short.starts_with(r.as_str())
                && short.as_bytes()[r.len()] == b'/'
        })
        .max_by_key(|r| r.len())
        .map(|r| (&short[..r.len()], &short[r.len() + 1..]))
        .or_else(|| short.split_once('/'))
        .unwrap_or((short, ""))
}

/// One commit for a message: short id and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitLine {
    pub id: ObjectId,
    pub short: String,
    pub subject: String,
}

impl CommitLine {
    pub fn read(repo: &gix::Repository, id: ObjectId) -> Self {
        let subject = repo
            .find_commit(id)
            .ok()
            .and_then(|c| c.message_raw().ok().map(|m| m.to_string()))
            .and_then(|m| m.lines().next().map(str::to_owned))
            .unwrap_or_default();
        Self {
            id,
            short: id.to_hex_with_len(7).to_string(),
            subject,
        }
    }
}

/// Commits reachable from `tip` but not from `hidden`, newest first, at most `limit`.
pub fn commits_between(
    repo: &gix::Repository,
    tip: ObjectId,
    hidden: &[ObjectId],
    limit: usize,
) -> Result<Vec<ObjectId>, HistoryError> {
    let walk = repo
        .rev_walk([tip])
        .with_hidden(hidden.iter().copied())
        .all()
        .map_err(HistoryError::from)?;
    let mut out = Vec::new();
    for info in walk.take(limit) {
        out.push(info.map_err(HistoryError::from)?.id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_git::{git, git_with_input, rev};
    use std::collections::BTreeSet;
    use std::path::Path;

    /// A deterministic history with merges, several lines of work and committer clocks that
    /// run backwards now and then (the walk orders by date, but must not rely on it).
    /// Commits `1..=count` get marks; remote branches point at every seventh commit of
    /// `remote_from..` and at a few merges.
    fn generate(dir: &Path, first: usize, count: usize, seed: u64) {
        let mut state = seed;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % n.max(1)
        };
        let mut script = String::new();
        for i in first..first + count {
            let line = next(4);
            // A clock that sometimes goes back an hour.
            let time = 1_700_000_000 + i as i64 * 60 - if next(5) == 0 { 3_600 } else { 0 };
            let message = format!("c{i}");
            script.push_str(&format!(
                "commit refs/heads/line{line}\nmark :{i}\ncommitter t <t@example.test> {time} +0000\ndata {}\n{message}\n",
                message.len()
            ));
            if i > 1 {
                script.push_str(&format!("from :{}\n", i - 1 - next(i.min(6) - 1)));
                if i > 10 && next(4) == 0 {
                    script.push_str(&format!("merge :{}\n", 1 + next(i - 2)));
                }
            }
            script.push('\n');
        }
        for i in (first..first + count).filter(|i| i % 7 == 3) {
            script.push_str(&format!("reset refs/remotes/origin/b{i}\nfrom :{i}\n\n"));
        }
        let marks = dir.join("marks");
        let mut args = vec!["fast-import", "--quiet", "--force"];
        let export = format!("--export-marks={}", marks.display());
        let import = format!("--import-marks={}", marks.display());
        if first > 1 {
            args.push(&import);
        }
        args.push(&export);
        git_with_input(dir, &args, Some(&script));
    }

    fn ids(text: &str) -> Vec<ObjectId> {
        text.lines()
            .map(|l| ObjectId::from_hex(l.trim().as_bytes()).unwrap())
            .collect()
    }

    /// Every commit is public exactly when git's own walk from the remote-tracking refs
    /// says so, whether asked one at a time or all at once, and the named tip contains it.
    fn agrees_with_git(dir: &Path) {
        // One by one only, and with the commit index from the first decoded commit on.
        for index_after in [usize::MAX, 1] {
            agrees_with_git_walking(dir, index_after, false);
        }
        // With the highest tip generation remembered: the first run stores it, the second
        // reads it; an entry the previous state of the repository left must not be used.
        for _ in 0..2 {
            agrees_with_git_walking(dir, usize::MAX, true);
        }
    }

    fn agrees_with_git_walking(dir: &Path, index_after: usize, cached: bool) {
        let all = ids(&git(dir, &["rev-list", "--all"]));
        let public: BTreeSet<ObjectId> = ids(&git(dir, &["rev-list", "--remotes"]))
            .into_iter()
            .collect();
        assert!(!public.is_empty() && public.len() < all.len());
        let repo = gix::open(dir).unwrap();
        let mut history = PublicHistory::read(&repo, &PublicScope::default()).unwrap();
        if cached {
            history = history
                .with_generation_cache(GenerationCache::new(dir.join(".git/gitops-guardrails")));
        }
        history.index_after = index_after;
        let found = history.find_public(&all, &[]).unwrap();
        let found_set: BTreeSet<ObjectId> = found.keys().copied().collect();
        assert_eq!(found_set, public);
        for id in &all {
            assert_eq!(history.is_public(*id).unwrap(), public.contains(id), "{id}");
        }
        for (id, tip) in found.iter().take(40) {
            let tip = history.tips[*tip].id.to_string();
            git(dir, &["merge-base", "--is-ancestor", &id.to_string(), &tip]);
        }
    }

    #[test]
    fn public_commits_agree_with_git_with_and_without_a_commit_graph() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        generate(root, 1, 300, 7);
        agrees_with_git(root);
        // Repacked, so that git may store commits as deltas the index skips, plus loose
        // commits on top.
        git(
            root,
            &[
                "repack",
                "-A",
                "-d",
                "-f",
                "-q",
                "--window=250",
                "--depth=50",
            ],
        );
        for n in 0..3 {
            git(
                root,
                &["commit", "-q", "--allow-empty", "-m", &format!("loose {n}")],
            );
        }
        git(root, &["update-ref", "refs/remotes/origin/loose", "HEAD~1"]);
        agrees_with_git(root);
        git(root, &["commit-graph", "write", "--reachable"]);
        agrees_with_git(root);
        // Commits newer than the graph, as after a fetch or local work.
        generate(root, 301, 120, 11);
        agrees_with_git(root);
        // A remote-tracking ref to an annotated tag publishes the tagged commit.
        let tagged = git(root, &["rev-parse", "HEAD~2"]);
        git(root, &["tag", "-a", "-m", "v1", "v1", &tagged]);
        let tag = git(root, &["rev-parse", "refs/tags/v1"]);
        git(root, &["update-ref", "refs/remotes/origin/tags/v1", &tag]);
        agrees_with_git(root);
        // `git replace --graft` rewrites parents for git; the answer follows it.
        let grafted = git(root, &["rev-parse", "refs/remotes/origin/b304"]);
        git(root, &["replace", "--graft", &grafted]);
        agrees_with_git(root);
    }

    /// Merge-heavy history newer than the commit-graph has exponentially many paths; deriving
    /// a generation visits each commit once.
    #[test]
    fn generations_of_merge_heavy_history_past_the_graph_are_derived_once_per_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["commit", "-q", "--allow-empty", "-m", "base"]);
        git(root, &["commit-graph", "write", "--reachable"]);
        // 40 merges, each of the previous merge and a commit branched from it.
        let mut script = String::from("reset refs/heads/main\nfrom HEAD\n\n");
        let base = git(root, &["rev-parse", "HEAD"]);
        script = script.replace("HEAD", &base);
        for i in 1..=40 {
            script.push_str(&format!(
                "commit refs/heads/side\nmark :{}\ncommitter t <t@example.test> {} +0000\ndata 1\nf\nfrom refs/heads/main^0\n\n",
                2 * i,
                1_700_000_000 + 2 * i
            ));
            script.push_str(&format!(
                "commit refs/heads/main\nmark :{}\ncommitter t <t@example.test> {} +0000\ndata 1\nm\nmerge :{}\n\n",
                2 * i + 1,
                1_700_000_001 + 2 * i,
                2 * i
            ));
        }
        git_with_input(root, &["fast-import", "--quiet"], Some(&script));
        git(root, &["update-ref", "refs/remotes/origin/main", "main~1"]);
        let head = rev(root, "main");
        let middle = rev(root, "main~20");
        let (done, answer) = std::sync::mpsc::channel();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            let repo = gix::open(&root).unwrap();
            let history = PublicHistory::read(&repo, &PublicScope::default()).unwrap();
            let _ = done.send((
                history.is_public(head).unwrap(),
                history.is_public(middle).unwrap(),
            ));
        });
        let answers = answer
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("answered without walking every path");
        assert_eq!(answers, (false, true));
    }

    /// The tip [`PublicHistory::find_public`] names for `commit`.
    fn containing_ref<'h>(
        history: &'h PublicHistory<'_>,
        commit: ObjectId,
        prefer: &[&str],
    ) -> Option<&'h str> {
        let found = history.find_public(&[commit], prefer).unwrap();
        found
            .get(&commit)
            .map(|&tip| history.tips[tip].name.as_str())
    }

    #[test]
    fn the_preferred_tip_is_named_when_it_contains_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["commit", "-q", "--allow-empty", "-m", "zero"]);
        let zero = rev(root, "HEAD");
        git(root, &["commit", "-q", "--allow-empty", "-m", "one"]);
        let one = rev(root, "HEAD");
        for name in ["origin/a", "origin/main", "origin/z"] {
            git(
                root,
                &["update-ref", &format!("refs/remotes/{name}"), "HEAD"],
            );
        }
        git(root, &["commit", "-q", "--allow-empty", "-m", "two"]);
        let two = rev(root, "HEAD");
        git(root, &["update-ref", "refs/remotes/origin/feature", "HEAD"]);
        git(root, &["commit", "-q", "--allow-empty", "-m", "three"]);
        let three = rev(root, "HEAD");
        let repo = gix::open(root).unwrap();
        let history = PublicHistory::read(&repo, &PublicScope::default()).unwrap();
        // Several tips sit on `one`: main first, unless the caller prefers another.
        assert_eq!(containing_ref(&history, one, &[]), Some("origin/main"));
        assert_eq!(
            containing_ref(&history, one, &["origin/z"]),
            Some("origin/z")
        );
        assert_eq!(containing_ref(&history, two, &[]), Some("origin/feature"));
        // Contained, not a tip: a tip that really contains it.
        let name = containing_ref(&history, zero, &["origin/feature"]).unwrap();
        let tip = git(root, &["rev-parse", &format!("refs/remotes/{name}")]);
        git(
            root,
            &["merge-base", "--is-ancestor", &zero.to_string(), &tip],
        );
        assert_eq!(containing_ref(&history, three, &[]), None);
    }
}
