//! Which commits are public: reachable from a remote-tracking ref.

use gix::ObjectId;
use globset::GlobMatcher;

use crate::InvalidPattern;
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
    /// Highest commit-graph generation among the tips, when every tip is in the graph.
    max_tip_generation: Option<u32>,
    pub shallow: bool,
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
        let mut tips = Vec::new();
        let mut keep = |short: &str, id: ObjectId| {
            if !everything {
                let (remote, branch) = split_remote(short, &remote_names);
                if !scope.includes(remote, branch) {
                    return;
                }
            }
            tips.push(PublicTip {
                name: short.to_owned(),
                id,
            });
        };
        if let Some(refs) = crate::remote_refs::read(repo.common_dir()) {
            for (short, id) in &refs {
                keep(short, *id);
            }
        } else {
            let platform = repo.references().map_err(HistoryError::from)?;
            for reference in platform.remote_branches().map_err(HistoryError::from)? {
                let Ok(reference) = reference else {
                    continue;
                };
                // Remote-tracking refs point at commits: their target is used as is.
                // Peeling would look up every object only to find commits; symbolic refs
                // (`origin/HEAD`) alias a listed branch.
                let gix::refs::TargetRef::Object(id) = reference.target() else {
                    continue;
                };
                let full = reference.name().as_bstr().to_string();
                if let Some(short) = full.strip_prefix("refs/remotes/") {
                    keep(short, id.to_owned());
                }
            }
        }
        let graph_cache = repo.commit_graph_if_enabled().ok().flatten();
        let max_tip_generation = graph_cache.as_ref().and_then(|graph| {
            tips.iter()
                .map(|tip| graph.commit_by_id(tip.id).map(|c| c.generation()))
                .collect::<Option<Vec<_>>>()
                .and_then(|gens| gens.into_iter().max())
        });
        Ok(Self {
            repo,
            tips,
            graph_cache,
            max_tip_generation,
            shallow: repo.is_shallow().unwrap_or(false),
        })
    }

    /// Whether `commit` is reachable from a public tip.
    pub fn is_public(&self, commit: ObjectId) -> Result<bool, HistoryError> {
        if self.tips.is_empty() {
            return Ok(false);
        }
        if self.tips.iter().any(|t| t.id == commit) {
            return Ok(true);
        }
        // git's early exit, which gix's merge-base lacks: a commit whose generation number
        // is higher than every tip's cannot be their ancestor.
        if let Some(max) = self.max_tip_generation
            && self.generation(commit, 64).is_some_and(|g| g > max)
        {
            return Ok(false);
        }
        let tips: Vec<ObjectId> = self.tips.iter().map(|t| t.id).collect();
        let mut graph = self.repo.revision_graph(self.graph_cache.as_ref());
        let bases = self
            .repo
            .merge_bases_many_with_graph(commit, &tips, &mut graph)
            .map_err(HistoryError::from)?;
        Ok(bases.iter().any(|b| *b == commit))
    }

    /// The commit-graph generation of `commit`; for commits newer than the graph (what a
    /// hook usually asks about), one more than their parents', up to `depth` levels.
    fn generation(&self, commit: ObjectId, depth: usize) -> Option<u32> {
        let graph = self.graph_cache.as_ref()?;
        if let Some(c) = graph.commit_by_id(commit) {
            return Some(c.generation());
        }
        if depth == 0 {
            return None;
        }
        let parents: Vec<ObjectId> = self
            .repo
            .find_commit(commit)
            .ok()?
            .parent_ids()
            .map(|id| id.detach())
            .collect();
        let mut max = 0;
        for parent in parents {
            max = max.max(self.generation(parent, depth - 1)?);
        }
        Some(max + 1)
    }

    /// A public ref containing `commit`, to name in messages. `prefer` (for example the
    /// upstream of the current branch) is tried first; at most a few dozen refs are tried.
    pub fn containing_ref(&self, commit: ObjectId, prefer: &[&str]) -> Option<&str> {
        let mut order: Vec<&PublicTip> = Vec::with_capacity(self.tips.len());
        for name in prefer {
            order.extend(self.tips.iter().filter(|t| t.name == *name));
        }
        order.extend(
            self.tips
                .iter()
                .filter(|t| t.name.ends_with("/main") || t.name.ends_with("/master")),
        );
        order.extend(self.tips.iter());
        order.into_iter().take(50).find_map(|tip| {
            (tip.id == commit || is_ancestor(self.repo, commit, tip.id).unwrap_or(false))
                .then_some(tip.name.as_str())
        })
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
