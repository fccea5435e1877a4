//! The promotion history: every change of every lane's pins along the history, each with
//! the lineage of the artifact it brings. What `--promotion-history` lists, and the
//! evidence a reviewer reads for a pull request's range.
//!
//! A pin changes in a commit when none of the commit's parents had that value at that
//! setter: a merge that brings a branch's bump is not the change, the branch's commit is.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use gix::ObjectId;
use guardrails_git::file_history::{self, FileHistoryError};
use guardrails_image_lint::Pin;
use guardrails_report::{Diagnostic, Report, SourceFile};

use crate::artifact::{Artifact, filter_selects};
use crate::graph::{Graph, Node};
use crate::index::{self, Index};
use crate::{Edge, Options, Scope, finding};

/// A tag (and digest) a setter pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinValue {
    pub tag: String,
    /// `sha256:…` when the pin carries a digest.
    pub digest: Option<String>,
}

/// One change of a pin.
#[derive(Debug, Clone)]
pub struct PinChange {
    /// The commit that made the change.
    pub commit: ObjectId,
    /// Its committer time (seconds since the epoch).
    pub time: i64,
    /// Repository-relative path and one-based line of the pin in that commit.
    pub path: String,
    pub line: usize,
    pub lane: String,
    /// The repository the pin's ImagePolicy scans, when its policy is known.
    pub image: Option<String>,
    /// The marker's policy, `<ns>:<policy>`.
    pub setter: String,
    pub value: PinValue,
    /// The value the commit's first parent had at this setter; `None` for a new pin.
    pub previous: Option<PinValue>,
    /// The artifact the new value names (see [`crate::artifact`]).
    pub artifact: Option<String>,
    /// The artifact the previous value named.
    pub previous_artifact: Option<String>,
    /// Whether the lane's ImagePolicy filter (today's) admits the tag; `None` when the
    /// policy has no filter or is not known.
    pub selected: Option<bool>,
    pub lineage: Lineage,
}

/// Where lane `from` pinned an artifact first: in `commit`, as `tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub from: String,
    pub commit: ObjectId,
    pub time: i64,
    pub tag: String,
}

/// Where the artifact of a change comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lineage {
    /// A promotion of what the lane before ran.
    Staged(Staged),
    /// The lane ran the artifact before, from `commit`: a rollback (and where the lane
    /// before ran it, when it did).
    Rollback {
        commit: ObjectId,
        staged: Option<Staged>,
    },
    /// Lane `from` pinned no tag of the image before: nothing to promote from.
    NothingToPromoteFrom { from: String },
    /// Lane `from` never pinned the artifact: a violation.
    Unstaged { from: String },
    /// The history at hand is cut (a shallow clone, the walk's limit): the artifact may
    /// have been pinned by lane `from` before what can be seen.
    CannotKnow { from: String },
    /// No promotion ends in the lane (staging in the default path): its pins are builds.
    NotPromoted,
    /// Not checked: the tag names no artifact or the policy is not known (the reason
    /// says which).
    Unchecked { reason: String },
}

impl PinChange {
    /// Where the lane before pinned the artifact.
    pub fn staged(&self) -> Option<&Staged> {
        match &self.lineage {
            Lineage::Staged(staged)
            | Lineage::Rollback {
                staged: Some(staged),
                ..
            } => Some(staged),
            _ => None,
        }
    }
}

/// The pin changes of a history, oldest first, and how far the walk could see.
#[derive(Debug, Default)]
pub struct Audit {
    pub changes: Vec<PinChange>,
    /// Commits visited.
    pub commits: usize,
    pub shallow: bool,
    pub truncated: bool,
    /// A `promotion::unstaged-artifact` error (or `promotion::cannot-know` warning) per
    /// violating change, each naming its commit.
    pub report: Report,
}

/// Lists the pin changes of every lane in the history of HEAD (for [`Scope::Range`]: of
/// `to`, reporting only the commits `from` does not reach). `pins` are the current pins:
/// they say which files to follow and each setter's lane, image and filters.
pub fn audit(
    repo: &gix::Repository,
    pins: &[Pin],
    options: &Options,
) -> Result<Audit, FileHistoryError> {
    let start = match &options.scope {
        Scope::Range { to, .. } => Some(*to),
        _ => repo.head_id().ok().map(gix::Id::detach),
    };
    let Some(start) = start else {
        return Ok(Audit::default()); // An unborn branch has no history.
    };
    let known = Known::new(pins, options);
    let history = History::read(repo, &known, start, options, true)?;
    let changes = &history.changes;
    let graph = &history.graph;
    let reported: Vec<bool> = match &options.scope {
        Scope::Range { from, .. } => {
            let before = match graph.node(from) {
                Some(node) => graph.reachable_from(&[node]),
                None => {
                    let ids = file_history::reachable(repo, &[*from], options.commit_limit)?;
                    (0..graph.len())
                        .map(|n| ids.contains(&graph.id(n as Node)))
                        .collect()
                }
            };
            changes.iter().map(|c| !before[c.node as usize]).collect()
        }
        _ => vec![true; changes.len()],
    };
    let mut audit = Audit {
        commits: history.index.commits.len(),
        shallow: history.index.shallow,
        truncated: history.index.truncated,
        ..Audit::default()
    };
    let context = history.context(options);
    for (i, located) in changes.iter().enumerate() {
        if !reported[i] {
            continue;
        }
        let lineage = context.lineage(i);
        if let Lineage::Unstaged { from } | Lineage::CannotKnow { from } = &lineage {
            let text = blob_text(repo, located.blob);
            let diagnostic = context
                .finding(&located.change, Some(located.node), from)
                .commit(Some(located.change.commit));
            audit
                .report
                .push(locate(diagnostic, &located.change.path, text, located.span));
        }
        audit.changes.push(PinChange {
            lineage,
            ..located.change.clone()
        });
    }
    Ok(audit)
}

/// The text of a blob (lossy UTF-8); `None` when it cannot be read.
pub(crate) fn blob_text(repo: &gix::Repository, blob: ObjectId) -> Option<String> {
    let data = repo.find_blob(blob).ok()?;
    Some(String::from_utf8_lossy(&data.data).into_owned())
}

/// Puts `diagnostic` at `span` of `text` (the file `path` as the commit has it), or on
/// the file alone when the text is not at hand.
pub(crate) fn locate(
    diagnostic: Diagnostic,
    path: &str,
    text: Option<String>,
    span: guardrails_yaml::Span,
) -> Diagnostic {
    match text {
        Some(text) if span.offset + span.len <= text.len() => diagnostic.with_span(
            SourceFile::new(PathBuf::from(path), text),
            span.offset,
            span.len,
            Some("not promoted from the lane before".to_owned()),
        ),
        _ => diagnostic.with_path(path),
    }
}

/// The pin changes of the followed files along a history, with its graph.
pub(crate) struct History {
    pub index: Index,
    pub graph: Graph,
    /// Oldest first.
    pub changes: Vec<Located>,
}

impl History {
    /// The history of `start` for the files `known` follows: from the index in the git
    /// directory, brought up to `start` (or built, the first time).
    /// `selection`: also ask each change's ImagePolicy filters whether they admit its tag.
    pub(crate) fn read(
        repo: &gix::Repository,
        known: &Known<'_>,
        start: ObjectId,
        options: &Options,
        selection: bool,
    ) -> Result<History, FileHistoryError> {
        let paths: Vec<String> = known.paths.iter().cloned().collect();
        let index = index::load_or_build(
            repo,
            options.cache_dir.as_deref(),
            start,
            &paths,
            options.commit_limit,
        )?;
        let graph = Graph::new(&index.commits);
        let changes = changes(&index, &graph, known, options, selection);
        Ok(History {
            index,
            graph,
            changes,
        })
    }

    pub(crate) fn context<'a>(&'a self, options: &'a Options) -> Context<'a> {
        let blind = (self.index.shallow || self.index.truncated)
            .then_some((self.index.commits.len(), self.index.shallow));
        Context::new(&self.changes, &self.graph, options, blind)
    }
}

/// The lanes, images and filters of today's pins, by the setter that pins them.
pub(crate) struct Known<'a> {
    paths: BTreeSet<String>,
    by_place: HashMap<(&'a str, &'a str), &'a Pin>,
    by_setter: HashMap<&'a str, &'a Pin>,
    options: &'a Options,
}

impl<'a> Known<'a> {
    pub(crate) fn new(pins: &'a [Pin], options: &'a Options) -> Self {
        let lane_pins = || pins.iter().filter(|p| p.lane.is_some());
        Known {
            paths: lane_pins().map(|p| p.path.clone()).collect(),
            by_place: lane_pins()
                .map(|p| ((p.path.as_str(), p.setter.as_str()), p))
                .collect(),
            by_setter: lane_pins().map(|p| (p.setter.as_str(), p)).collect(),
            options,
        }
    }

    /// The lane, image and filters of a past pin: its setter's today, else (a setter
    /// since removed) the lane its tag prefix names.
    fn describe(&self, setter: &str, path: &str, tag: &str) -> Option<Described<'a>> {
        let today = self
            .by_place
            .get(&(path, setter))
            .or_else(|| self.by_setter.get(setter))
            .copied();
        if let Some(today) = today {
            return Some((
                today.lane.as_deref()?,
                today.image.as_deref(),
                &today.patterns,
            ));
        }
        let lane = self
            .options
            .lanes
            .iter()
            .filter(|l| !l.tag_prefix.is_empty() && tag.starts_with(&l.tag_prefix))
            .max_by_key(|l| l.tag_prefix.len())?;
        Some((&lane.name, None, &[]))
    }
}

/// A setter's lane, image and ImagePolicy filters.
type Described<'a> = (&'a str, Option<&'a str>, &'a [String]);

/// A change with where it sits in the graph and where it is written.
pub(crate) struct Located {
    pub change: PinChange,
    pub node: Node,
    /// The file's content in the commit and the pin's place in it.
    pub blob: ObjectId,
    pub span: guardrails_yaml::Span,
}

/// The index's changes of lane pins, described by today's setters, oldest first.
fn changes(
    index: &Index,
    graph: &Graph,
    known: &Known<'_>,
    options: &Options,
    selection: bool,
) -> Vec<Located> {
    let mut out: Vec<Located> = index
        .changes
        .iter()
        .filter_map(|raw| {
            let path = index.paths.get(raw.path as usize)?;
            // The graph numbers the index's commits in the index's order.
            let commit = index.commits.get(raw.node as usize)?;
            let node = raw.node;
            let (lane, image, patterns) = known.describe(&raw.setter, path, &raw.value.tag)?;
            let prefix = lane_prefix(options, lane);
            let artifact = |value: &PinValue| {
                options
                    .identity
                    .of(&value.tag, value.digest.as_deref(), prefix, patterns)
                    .map(|a| a.id)
            };
            Some(Located {
                change: PinChange {
                    commit: commit.id,
                    time: commit.time,
                    path: path.clone(),
                    line: raw.line as usize,
                    image: image.map(str::to_owned),
                    setter: raw.setter.clone(),
                    artifact: artifact(&raw.value),
                    previous_artifact: raw.previous.as_ref().and_then(artifact),
                    selected: if selection {
                        filter_selects(patterns, &raw.value.tag)
                    } else {
                        None
                    },
                    value: raw.value.clone(),
                    previous: raw.previous.clone(),
                    lane: lane.to_owned(),
                    lineage: Lineage::NotPromoted,
                },
                node,
                blob: raw.blob,
                span: guardrails_yaml::Span {
                    offset: raw.offset as usize,
                    len: raw.len as usize,
                    line: raw.line as usize,
                    ..guardrails_yaml::Span::default()
                },
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (
            graph.generation(a.node),
            a.change.time,
            &a.change.path,
            a.change.line,
        )
            .cmp(&(
                graph.generation(b.node),
                b.change.time,
                &b.change.path,
                b.change.line,
            ))
    });
    out
}

/// What judging one change reads: the changes, their artifacts and the changes of each
/// lane and image.
pub(crate) struct Context<'a> {
    changes: &'a [Located],
    artifacts: Vec<Option<Artifact>>,
    /// Lanes and images by number, so the maps below key on numbers.
    names: HashMap<&'a str, u32>,
    by_lane_image: HashMap<(u32, u32), Vec<usize>>,
    /// The changes of a lane and image whose artifact has a given [`Artifact::key`]
    /// (hashed: the candidates are compared with [`Artifact::same_as`] anyway).
    by_artifact: HashMap<(u32, u32, u64), Vec<usize>>,
    graph: &'a Graph,
    options: &'a Options,
    /// The history is cut: commits seen, and whether by a shallow clone.
    blind: Option<(usize, bool)>,
}

impl<'a> Context<'a> {
    fn new(
        changes: &'a [Located],
        graph: &'a Graph,
        options: &'a Options,
        blind: Option<(usize, bool)>,
    ) -> Self {
        let mut names: HashMap<&str, u32> = HashMap::new();
        let mut by_lane_image: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        let mut by_artifact: HashMap<(u32, u32, u64), Vec<usize>> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            if let Some(image) = &c.change.image {
                let mut number = |name: &'a str| {
                    let next = u32::try_from(names.len()).unwrap_or(u32::MAX);
                    *names.entry(name).or_insert(next)
                };
                let key = (number(&c.change.lane), number(image));
                by_lane_image.entry(key).or_default().push(i);
                if let Some(id) = &c.change.artifact {
                    by_artifact
                        .entry((key.0, key.1, key_hash(id)))
                        .or_default()
                        .push(i);
                }
            }
        }
        Context {
            names,
            by_artifact,
            artifacts: changes.iter().map(|c| artifact_of(&c.change)).collect(),
            changes,
            by_lane_image,
            graph,
            options,
            blind,
        }
    }

    /// The changes of lane `lane` to image `image`.
    fn of(&self, lane: &str, image: &str) -> &[usize] {
        let (Some(&lane), Some(&image)) = (self.names.get(lane), self.names.get(image)) else {
            return &[];
        };
        self.by_lane_image
            .get(&(lane, image))
            .map_or(&[], Vec::as_slice)
    }

    /// The changes of lane `lane` to image `image` that may name `artifact` (same key).
    fn naming(&self, lane: &str, image: &str, artifact: &Artifact) -> &[usize] {
        let (Some(&lane), Some(&image)) = (self.names.get(lane), self.names.get(image)) else {
            return &[];
        };
        self.by_artifact
            .get(&(lane, image, key_hash(&artifact.id)))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether change `j` was made before commit `at` (`None`: a commit being made,
    /// after all of the history).
    fn before(&self, j: usize, at: Option<Node>) -> bool {
        at.is_none_or(|n| self.graph.before(self.changes[j].node, n))
    }

    /// The lineage of the history's change `i`.
    pub(crate) fn lineage(&self, i: usize) -> Lineage {
        self.judge(&self.changes[i].change, Some(self.changes[i].node))
    }

    /// The lineage of `change`, made in commit `at` (`None`: a commit being made).
    pub(crate) fn judge(&self, change: &PinChange, at: Option<Node>) -> Lineage {
        let edges: Vec<&Edge> = self
            .options
            .edges
            .iter()
            .filter(|e| e.to == change.lane)
            .collect();
        let Some(first) = edges.first() else {
            return Lineage::NotPromoted;
        };
        let Some(image) = &change.image else {
            return Lineage::Unchecked {
                reason: format!("`{}` names no known ImagePolicy", change.setter),
            };
        };
        let Some(artifact) = artifact_of(change) else {
            return Lineage::Unchecked {
                reason: "the tag names no artifact (no sha segment, no `sha` group)".to_owned(),
            };
        };
        let staged = edges
            .iter()
            .find_map(|edge| self.staged(at, &artifact, &edge.from, image));
        let rollback = self
            .naming(&change.lane, image, &artifact)
            .iter()
            .copied()
            .find(|&j| {
                let earlier = &self.changes[j].change;
                earlier.path == change.path
                    && earlier.setter == change.setter
                    && self.artifacts[j]
                        .as_ref()
                        .is_some_and(|a| a.same_as(&artifact))
                    && self.before(j, at)
            });
        if let Some(j) = rollback {
            return Lineage::Rollback {
                commit: self.changes[j].change.commit,
                staged,
            };
        }
        if let Some(staged) = staged {
            return Lineage::Staged(staged);
        }
        let from = first.from.clone();
        if self.blind.is_some() {
            return Lineage::CannotKnow { from };
        }
        // The nearest of lane FROM's changes first: the one most likely an ancestor.
        let generation = |j: usize| self.graph.generation(self.changes[j].node);
        let mut earlier: Vec<usize> = self
            .of(&from, image)
            .iter()
            .copied()
            .filter(|&j| at.is_none_or(|n| generation(j) < self.graph.generation(n)))
            .collect();
        earlier.sort_by_key(|&j| std::cmp::Reverse(generation(j)));
        if earlier.into_iter().any(|j| self.before(j, at)) {
            Lineage::Unstaged { from }
        } else {
            Lineage::NothingToPromoteFrom { from }
        }
    }

    /// Where lane `from` pinned `artifact` of `image` before `at`, first.
    fn staged(
        &self,
        at: Option<Node>,
        artifact: &Artifact,
        from: &str,
        image: &str,
    ) -> Option<Staged> {
        let candidates = self.naming(from, image, artifact);
        // Where lane FROM pinned this build with a digest, the digest is the artifact: a
        // pin of the same build without one does not vouch for another digest.
        let build = Artifact {
            digest: None,
            ..artifact.clone()
        };
        let staged_digest = artifact.digest.is_some()
            && candidates.iter().any(|&j| {
                self.artifacts[j]
                    .as_ref()
                    .is_some_and(|a| a.digest.is_some() && build.same_as(a))
                    && self.before(j, at)
            });
        candidates
            .iter()
            .copied()
            .filter(|&j| {
                self.artifacts[j]
                    .as_ref()
                    .is_some_and(|a| a.same_as(artifact) && (a.digest.is_some() || !staged_digest))
                    && self.before(j, at)
            })
            .map(|j| &self.changes[j])
            .min_by_key(|c| (c.change.time, self.graph.generation(c.node)))
            .map(|c| Staged {
                from: from.to_owned(),
                commit: c.change.commit,
                time: c.change.time,
                tag: c.change.value.tag.clone(),
            })
    }

    /// The finding for `change` (made in `at`), whose artifact lane `from` never pinned:
    /// with lane FROM's last three pins before it, most recent first.
    pub(crate) fn finding(&self, change: &PinChange, at: Option<Node>, from: &str) -> Finding {
        let image = change.image.as_deref().unwrap_or_default();
        let mut recent: Vec<&Located> = self
            .of(from, image)
            .iter()
            .filter(|&&j| self.before(j, at))
            .map(|&j| &self.changes[j])
            .collect();
        recent.sort_by_key(|c| std::cmp::Reverse((c.change.time, self.graph.generation(c.node))));
        let mut tags = BTreeSet::new();
        let last_pins: Vec<(String, ObjectId, i64)> = recent
            .into_iter()
            .filter(|c| tags.insert(c.change.value.tag.clone()))
            .take(3)
            .map(|c| (c.change.value.tag.clone(), c.change.commit, c.change.time))
            .collect();
        // The same build with another digest: not the image lane FROM ran.
        let build = artifact_of(change).map(|a| Artifact { digest: None, ..a });
        let other_digest = build.as_ref().and_then(|build| {
            self.naming(from, image, build).iter().find_map(|&j| {
                let a = self.artifacts[j].as_ref()?;
                let same_build = build.same_as(&Artifact {
                    digest: None,
                    ..a.clone()
                });
                (same_build && self.before(j, at)).then(|| a.digest.clone())?
            })
        });
        Finding {
            from: from.to_owned(),
            to: change.lane.clone(),
            tag: change.value.tag.clone(),
            digest: change.value.digest.clone(),
            image: image.to_owned(),
            artifact: change.artifact.clone().unwrap_or_default(),
            other_digest,
            last_pins,
            blind: self.blind,
            commit: None,
        }
    }
}

/// What a violation finding says, owned (see [`finding::Facts`]).
pub(crate) struct Finding {
    from: String,
    to: String,
    tag: String,
    digest: Option<String>,
    image: String,
    artifact: String,
    other_digest: Option<String>,
    last_pins: Vec<(String, ObjectId, i64)>,
    blind: Option<(usize, bool)>,
    commit: Option<ObjectId>,
}

impl Finding {
    /// Names the commit that made the change (findings about the history).
    pub(crate) fn commit(mut self, commit: Option<ObjectId>) -> Diagnostic {
        self.commit = commit;
        finding::diagnostic(&finding::Facts {
            from: &self.from,
            to: &self.to,
            tag: &self.tag,
            digest: self.digest.as_deref(),
            image: &self.image,
            artifact: &self.artifact,
            other_digest: self.other_digest.as_deref(),
            last_pins: &self.last_pins,
            blind: self.blind,
            commit: self.commit,
        })
    }
}

/// A hash of an artifact's [`Artifact::key`].
fn key_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    Artifact::key(id).hash(&mut hasher);
    hasher.finish()
}

fn artifact_of(change: &PinChange) -> Option<Artifact> {
    let id = change.artifact.clone()?;
    Some(Artifact {
        id,
        digest: change.value.digest.clone(),
    })
}

fn lane_prefix<'o>(options: &'o Options, lane: &str) -> &'o str {
    options
        .lanes
        .iter()
        .find(|l| l.name == lane)
        .map_or("", |l| l.tag_prefix.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrails_git::file_history::WalkedCommit;
    use guardrails_image_lint::Lane;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    fn options() -> Options {
        Options {
            edges: Edge::defaults(),
            lanes: vec![
                Lane::new("staging", "staging-"),
                Lane::new("production", "production-"),
            ],
            identity: crate::Identity::default(),
            scope: Scope::All,
            commit_limit: 1000,
            cache_dir: None,
        }
    }

    /// A history: 1 <- 2 <- 3 <- 5 (main) and 2 <- 4 (a branch never merged).
    fn graph() -> Graph {
        let commit = |n: u8, parents: &[u8]| WalkedCommit {
            id: id(n),
            time: i64::from(n),
            parents: parents.iter().map(|&p| id(p)).collect(),
        };
        Graph::new(&[
            commit(5, &[3]),
            commit(4, &[2]),
            commit(3, &[2]),
            commit(2, &[1]),
            commit(1, &[]),
        ])
    }

    fn change(graph: &Graph, commit: u8, lane: &str, tag: &str, digest: Option<&str>) -> Located {
        let node = graph.node(&id(commit)).unwrap_or_default();
        let artifact = crate::Identity::default()
            .of(tag, digest, &format!("{lane}-"), &[])
            .map(|a| a.id);
        Located {
            change: PinChange {
                commit: id(commit),
                time: i64::from(commit),
                path: format!("apps/{lane}/kustomization.yaml"),
                line: 7,
                lane: lane.to_owned(),
                image: Some("ghcr.io/example/app".to_owned()),
                setter: format!("{lane}:app"),
                value: PinValue {
                    tag: tag.to_owned(),
                    digest: digest.map(str::to_owned),
                },
                previous: None,
                artifact,
                previous_artifact: None,
                selected: None,
                lineage: Lineage::NotPromoted,
            },
            node,
            blob: id(0),
            span: guardrails_yaml::Span::default(),
        }
    }

    #[test]
    fn lineage_is_judged_on_the_history_before_the_change() {
        let graph = graph();
        let options = options();
        let changes = vec![
            change(&graph, 1, "staging", "staging-v1-aaaaaaa-1", None),
            change(&graph, 2, "production", "production-v1-aaaaaaa-2", None),
            change(&graph, 4, "staging", "staging-v1-bbbbbbb-4", None),
            change(&graph, 3, "production", "production-v1-bbbbbbb-3", None),
        ];
        let context = Context::new(&changes, &graph, &options, None);
        assert!(matches!(context.lineage(0), Lineage::NotPromoted));
        match context.lineage(1) {
            Lineage::Staged(staged) => assert_eq!(staged.commit, id(1)),
            other => panic!("{other:?}"),
        }
        // Staging pinned bbbbbbb on a branch main never merged: not before commit 3.
        assert_eq!(
            context.lineage(3),
            Lineage::Unstaged {
                from: "staging".to_owned()
            }
        );
        // A commit being made after all of main: back to aaaaaaa is a rollback that
        // staging also ran; a build nobody pinned is not staged.
        let mut back = change(&graph, 5, "production", "production-v1-aaaaaaa-9", None).change;
        match context.judge(&back, None) {
            Lineage::Rollback { commit, staged } => {
                assert_eq!(commit, id(2));
                assert_eq!(staged.map(|s| s.commit), Some(id(1)));
            }
            other => panic!("{other:?}"),
        }
        back.artifact = Some("ccccccc".to_owned());
        assert!(matches!(
            context.judge(&back, None),
            Lineage::Unstaged { .. }
        ));
        // The finding lists staging's pins before it, the newest first (the unmerged
        // branch's is after commit 3 in time but not before it in the history).
        let finding = context
            .finding(&changes[3].change, Some(changes[3].node), "staging")
            .commit(Some(id(3)));
        let help = finding.help.unwrap_or_default();
        assert!(help.contains("`staging-v1-aaaaaaa-1`"), "{help}");
        assert!(!help.contains("bbbbbbb"), "{help}");
        assert_eq!(finding.commit, Some(id(3).to_string()));
    }

    #[test]
    fn digests_and_empty_lanes() {
        let graph = graph();
        let options = options();
        let changes = vec![
            change(&graph, 1, "production", "production-v1-aaaaaaa-1", None),
            change(
                &graph,
                2,
                "staging",
                "staging-v1-bbbbbbb-2",
                Some("sha256:11"),
            ),
            change(
                &graph,
                3,
                "production",
                "production-v1-bbbbbbb-3",
                Some("sha256:22"),
            ),
        ];
        let context = Context::new(&changes, &graph, &options, None);
        // Production pinned before staging had anything: nothing to promote from.
        assert!(matches!(
            context.lineage(0),
            Lineage::NothingToPromoteFrom { .. }
        ));
        // The same build with another digest is not what staging ran.
        assert!(matches!(context.lineage(2), Lineage::Unstaged { .. }));
        let finding = context
            .finding(&changes[2].change, Some(changes[2].node), "staging")
            .commit(None);
        assert!(finding.message.contains("sha256:11"), "{}", finding.message);
        // A cut history cannot tell.
        let blind = Context::new(&changes, &graph, &options, Some((5, true)));
        assert!(matches!(blind.lineage(2), Lineage::CannotKnow { .. }));
    }
}
