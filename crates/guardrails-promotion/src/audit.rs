//! The promotion history: every change of every lane's pins along the history, each with
//! the lineage of the artifact it brings. What `--promotion-history` lists, and the
//! evidence a reviewer reads for a pull request's range.
//!
//! A pin changes in a commit when none of the commit's parents had that value at that
//! setter: a merge that brings a branch's bump is not the change, the branch's commit is.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use gix::ObjectId;
use guardrails_git::file_history::{self, FileHistory, FileHistoryError};
use guardrails_image_lint::Pin;
use guardrails_report::{Diagnostic, Report, SourceFile};

use crate::artifact::{Artifact, filter_selects};
use crate::graph::{Graph, Node};
use crate::lineage::{PastPin, past_pins};
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
    let paths: Vec<String> = known.paths.iter().cloned().collect();
    let history = file_history::file_history(repo, &[start], &paths, options.commit_limit)?;
    let graph = Graph::new(&history.walked);
    let past = past_pins(&history);
    let changes = changes(&history, &graph, &past, &paths, &known, options);
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
    let blind = history.shallow || history.truncated;
    let mut audit = Audit {
        commits: history.commits,
        shallow: history.shallow,
        truncated: history.truncated,
        ..Audit::default()
    };
    let context = Context::new(&changes, &graph, options, blind);
    for (i, change) in changes.iter().enumerate() {
        if !reported[i] {
            continue;
        }
        let lineage = context.lineage(i);
        if let Lineage::Unstaged { from } | Lineage::CannotKnow { from } = &lineage {
            audit.report.push(violation(
                change, from, &changes, &graph, &history, &past, blind,
            ));
        }
        audit.changes.push(PinChange {
            lineage,
            ..change.change.clone()
        });
    }
    Ok(audit)
}

/// The lanes, images and filters of today's pins, by the setter that pins them.
struct Known<'a> {
    paths: BTreeSet<String>,
    by_place: HashMap<(&'a str, &'a str), &'a Pin>,
    by_setter: HashMap<&'a str, &'a Pin>,
    options: &'a Options,
}

impl<'a> Known<'a> {
    fn new(pins: &'a [Pin], options: &'a Options) -> Self {
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
    fn describe(&self, pin: &Pin) -> Option<(String, Option<String>, Vec<String>)> {
        let today = self
            .by_place
            .get(&(pin.path.as_str(), pin.setter.as_str()))
            .or_else(|| self.by_setter.get(pin.setter.as_str()));
        if let Some(today) = today {
            return Some((
                today.lane.clone()?,
                today.image.clone(),
                today.patterns.clone(),
            ));
        }
        let lane = self
            .options
            .lanes
            .iter()
            .filter(|l| !l.tag_prefix.is_empty() && pin.tag.starts_with(&l.tag_prefix))
            .max_by_key(|l| l.tag_prefix.len())?;
        Some((lane.name.clone(), None, Vec::new()))
    }
}

/// A change with where it sits in the graph and the version it reads.
struct Located {
    change: PinChange,
    node: Node,
    /// The version of the file in the commit, and the pin in `past`.
    version: usize,
    past: usize,
}

/// Every pin change along the history, oldest first.
fn changes(
    history: &FileHistory,
    graph: &Graph,
    past: &[PastPin],
    paths: &[String],
    known: &Known<'_>,
    options: &Options,
) -> Vec<Located> {
    const NONE: u32 = u32::MAX;
    let path_index: HashMap<&str, usize> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    // at[path][node]: the version of the file in the commit.
    let mut at = vec![vec![NONE; graph.len()]; paths.len()];
    for (v, version) in history.versions.iter().enumerate() {
        let Some(&p) = path_index.get(version.path.as_str()) else {
            continue;
        };
        for commit in &version.commits {
            if let Some(node) = graph.node(commit) {
                at[p][node as usize] = u32::try_from(v).unwrap_or(NONE);
            }
        }
    }
    let mut by_version: Vec<Vec<usize>> = vec![Vec::new(); history.versions.len()];
    for (i, p) in past.iter().enumerate() {
        by_version[p.version].push(i);
    }
    let same = |a: &Pin, b: &Pin| a.setter == b.setter && a.tag == b.tag && a.digest == b.digest;
    let mut out = Vec::new();
    for n in 0..graph.len() {
        let node = n as Node;
        let parents = graph.parents(node);
        for row in &at {
            let v = row[n];
            if v == NONE || (!parents.is_empty() && parents.iter().all(|&q| row[q as usize] == v)) {
                continue;
            }
            let parent_pins = |q: Node| -> &[usize] {
                match row[q as usize] {
                    NONE => &[],
                    pv => &by_version[pv as usize],
                }
            };
            let mut seen: Vec<&Pin> = Vec::new();
            for &i in &by_version[v as usize] {
                let pin = &past[i].pin;
                if seen.iter().any(|s| same(s, pin)) {
                    continue;
                }
                seen.push(pin);
                let held_by_a_parent = parents
                    .iter()
                    .any(|&q| parent_pins(q).iter().any(|&j| same(&past[j].pin, pin)));
                if held_by_a_parent {
                    continue;
                }
                let Some((lane, image, patterns)) = known.describe(pin) else {
                    continue;
                };
                let previous = parents.first().and_then(|&q| {
                    parent_pins(q)
                        .iter()
                        .map(|&j| &past[j].pin)
                        .find(|p| p.setter == pin.setter)
                        .map(|p| PinValue {
                            tag: p.tag.clone(),
                            digest: p.digest.clone(),
                        })
                });
                let prefix = lane_prefix(options, &lane);
                let artifact = |value: &PinValue| {
                    options
                        .identity
                        .of(&value.tag, value.digest.as_deref(), prefix, &patterns)
                        .map(|a| a.id)
                };
                let value = PinValue {
                    tag: pin.tag.clone(),
                    digest: pin.digest.clone(),
                };
                out.push(Located {
                    change: PinChange {
                        commit: graph.id(node),
                        time: graph.time(node),
                        path: pin.path.clone(),
                        line: pin.span.line,
                        image,
                        setter: pin.setter.clone(),
                        artifact: artifact(&value),
                        previous_artifact: previous.as_ref().and_then(artifact),
                        value,
                        previous,
                        selected: filter_selects(&patterns, &pin.tag),
                        lane,
                        lineage: Lineage::Unchecked {
                            reason: String::new(),
                        },
                    },
                    node,
                    version: v as usize,
                    past: i,
                });
            }
        }
    }
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
struct Context<'a> {
    changes: &'a [Located],
    artifacts: Vec<Option<Artifact>>,
    by_lane_image: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// The changes of a lane and image whose artifact has a given [`Artifact::key`].
    by_artifact: HashMap<(&'a str, &'a str, String), Vec<usize>>,
    graph: &'a Graph,
    options: &'a Options,
    blind: bool,
}

impl<'a> Context<'a> {
    fn new(changes: &'a [Located], graph: &'a Graph, options: &'a Options, blind: bool) -> Self {
        let mut by_lane_image: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut by_artifact: HashMap<(&str, &str, String), Vec<usize>> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            if let Some(image) = &c.change.image {
                by_lane_image
                    .entry((c.change.lane.as_str(), image.as_str()))
                    .or_default()
                    .push(i);
                if let Some(id) = &c.change.artifact {
                    by_artifact
                        .entry((
                            c.change.lane.as_str(),
                            image.as_str(),
                            Artifact::key(id).to_owned(),
                        ))
                        .or_default()
                        .push(i);
                }
            }
        }
        Context {
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
    fn of(&self, lane: &'a str, image: &'a str) -> &[usize] {
        self.by_lane_image
            .get(&(lane, image))
            .map_or(&[], Vec::as_slice)
    }

    /// The changes of lane `lane` to image `image` that may name `artifact` (same key).
    fn naming(&self, lane: &'a str, image: &'a str, artifact: &Artifact) -> &[usize] {
        self.by_artifact
            .get(&(lane, image, Artifact::key(&artifact.id).to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether change `j` was made in a commit before change `i`'s.
    fn before(&self, j: usize, i: usize) -> bool {
        self.graph
            .before(self.changes[j].node, self.changes[i].node)
    }

    /// The lineage of change `i`.
    fn lineage(&self, i: usize) -> Lineage {
        let changes: &'a [Located] = self.changes;
        let options: &'a Options = self.options;
        let change = &changes[i].change;
        let edges: Vec<&'a Edge> = options
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
        let Some(artifact) = &self.artifacts[i] else {
            return Lineage::Unchecked {
                reason: "the tag names no artifact (no sha segment, no `sha` group)".to_owned(),
            };
        };
        let staged = edges
            .iter()
            .find_map(|edge| self.staged(i, artifact, &edge.from, image));
        let rollback = self
            .naming(&change.lane, image, artifact)
            .iter()
            .copied()
            .find(|&j| {
                let earlier = &self.changes[j].change;
                earlier.path == change.path
                    && earlier.setter == change.setter
                    && self.artifacts[j]
                        .as_ref()
                        .is_some_and(|a| a.same_as(artifact))
                    && self.before(j, i)
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
        if self.blind {
            return Lineage::CannotKnow { from };
        }
        let from_lane: &'a str = &first.from;
        // The nearest of lane FROM's changes first: the one most likely an ancestor.
        let generation = |j: usize| self.graph.generation(self.changes[j].node);
        let mut earlier: Vec<usize> = self
            .of(from_lane, image)
            .iter()
            .copied()
            .filter(|&j| generation(j) < generation(i))
            .collect();
        earlier.sort_by_key(|&j| std::cmp::Reverse(generation(j)));
        if earlier.into_iter().any(|j| self.before(j, i)) {
            Lineage::Unstaged { from }
        } else {
            Lineage::NothingToPromoteFrom { from }
        }
    }

    /// Where lane `from` pinned `artifact` of `image` before change `i`, first.
    fn staged(
        &self,
        i: usize,
        artifact: &Artifact,
        from: &'a str,
        image: &'a str,
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
                    && self.before(j, i)
            });
        candidates
            .iter()
            .copied()
            .filter(|&j| {
                self.artifacts[j]
                    .as_ref()
                    .is_some_and(|a| a.same_as(artifact) && (a.digest.is_some() || !staged_digest))
                    && self.before(j, i)
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
}

fn artifact_of(change: &PinChange) -> Option<Artifact> {
    let id = change.artifact.clone()?;
    Some(Artifact {
        id,
        digest: change.value.digest.clone(),
    })
}

/// The finding for a violating change, at its line in the commit that made it.
fn violation(
    located: &Located,
    from: &str,
    changes: &[Located],
    graph: &Graph,
    history: &FileHistory,
    past: &[PastPin],
    blind: bool,
) -> Diagnostic {
    let change = &located.change;
    let mut recent: Vec<&Located> = changes
        .iter()
        .filter(|c| {
            c.change.lane == from
                && c.change.image == change.image
                && graph.before(c.node, located.node)
        })
        .collect();
    recent.sort_by_key(|c| std::cmp::Reverse((c.change.time, graph.generation(c.node))));
    let mut tags = BTreeSet::new();
    let last_three: Vec<(String, ObjectId, i64)> = recent
        .into_iter()
        .filter(|c| tags.insert(c.change.value.tag.clone()))
        .take(3)
        .map(|c| (c.change.value.tag.clone(), c.change.commit, c.change.time))
        .collect();
    // The same build with another digest: not the image lane FROM ran.
    let build = artifact_of(change).map(|a| Artifact { digest: None, ..a });
    let other_digest = changes.iter().find_map(|c| {
        let a = artifact_of(&c.change)?;
        let same_build = build.as_ref().is_some_and(|b| {
            b.same_as(&Artifact {
                digest: None,
                ..a.clone()
            })
        });
        (c.change.lane == from
            && c.change.image == change.image
            && same_build
            && a.digest.is_some()
            && graph.before(c.node, located.node))
        .then_some(a.digest?)
    });
    let diagnostic = finding::diagnostic(&finding::Facts {
        from,
        to: &change.lane,
        tag: &change.value.tag,
        digest: change.value.digest.as_deref(),
        image: change.image.as_deref().unwrap_or_default(),
        artifact: change.artifact.as_deref().unwrap_or_default(),
        other_digest: other_digest.as_deref(),
        last_pins: &last_three,
        blind: blind.then_some((history.commits, history.shallow)),
        commit: Some(change.commit),
    });
    let pin = &past[located.past].pin;
    let text = &history.versions[located.version].text;
    if pin.span.offset + pin.span.len <= text.len() {
        diagnostic.with_span(
            SourceFile::new(PathBuf::from(&change.path), text.clone()),
            pin.span.offset,
            pin.span.len,
            Some("not promoted from the lane before".to_owned()),
        )
    } else {
        diagnostic.with_path(&change.path)
    }
}

fn lane_prefix<'o>(options: &'o Options, lane: &str) -> &'o str {
    options
        .lanes
        .iter()
        .find(|l| l.name == lane)
        .map_or("", |l| l.tag_prefix.as_str())
}
