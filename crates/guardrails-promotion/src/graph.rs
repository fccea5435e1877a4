//! Ancestry among the commits one history walk visited, answered in memory.
//!
//! Whether a staging pin came before a production pin is a reachability question. The
//! walk already read every commit's parents, so the graph is kept and each question is a
//! search from the later commit that stops below the earlier one's generation number (the
//! pruning git's commit-graph uses, `git help commit-graph`): a promotion a few commits
//! after its staging pin costs a few steps, not a second walk of the history.

use std::cell::RefCell;

use gix::ObjectId;
use guardrails_git::file_history::WalkedCommit;

/// A commit of the graph (its index in the walk's order).
pub(crate) type Node = u32;

pub(crate) struct Graph {
    index: gix::hashtable::HashMap<ObjectId, Node>,
    ids: Vec<ObjectId>,
    /// The parents of node `n` are `parents[starts[n]..starts[n + 1]]`: two allocations
    /// for a graph of any size.
    starts: Vec<u32>,
    parents: Vec<Node>,
    /// 1 for a commit without (walked) parents, else one more than its highest parent.
    generation: Vec<u32>,
    /// Marks of the searches: a node is visited when its mark equals the current search.
    marks: RefCell<(Vec<u32>, u32)>,
}

impl Graph {
    pub(crate) fn new(walked: &[WalkedCommit]) -> Graph {
        let index: gix::hashtable::HashMap<ObjectId, Node> = walked
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, node(i)))
            .collect();
        // Parents the walk did not visit (past a shallow boundary or the walk's limit) are
        // not part of the graph.
        let mut starts = Vec::with_capacity(walked.len() + 1);
        let mut parents = Vec::with_capacity(walked.len() + walked.len() / 8);
        for c in walked {
            starts.push(u32::try_from(parents.len()).unwrap_or(u32::MAX));
            parents.extend(c.parents.iter().filter_map(|p| index.get(p).copied()));
        }
        starts.push(u32::try_from(parents.len()).unwrap_or(u32::MAX));
        let mut graph = Graph {
            index,
            ids: walked.iter().map(|c| c.id).collect(),
            marks: RefCell::new((vec![0; walked.len()], 0)),
            starts,
            parents,
            generation: Vec::new(),
        };
        graph.generation = generations(&graph);
        graph
    }

    pub(crate) fn node(&self, id: &ObjectId) -> Option<Node> {
        self.index.get(id).copied()
    }

    pub(crate) fn id(&self, node: Node) -> ObjectId {
        self.ids[node as usize]
    }

    pub(crate) fn parents(&self, node: Node) -> &[Node] {
        let n = node as usize;
        &self.parents[self.starts[n] as usize..self.starts[n + 1] as usize]
    }

    pub(crate) fn generation(&self, node: Node) -> u32 {
        self.generation[node as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub(crate) fn reaches(&self, descendant: Node, ancestor: Node) -> bool {
        if descendant == ancestor {
            return true;
        }
        let floor = self.generation(ancestor);
        if self.generation(descendant) <= floor {
            return false;
        }
        let mut marks = self.marks.borrow_mut();
        let (seen, search) = &mut *marks;
        *search = search.wrapping_add(1);
        if *search == 0 {
            seen.fill(0);
            *search = 1;
        }
        let mut stack = vec![descendant];
        seen[descendant as usize] = *search;
        while let Some(n) = stack.pop() {
            for &p in self.parents(n) {
                if p == ancestor {
                    return true;
                }
                if seen[p as usize] != *search && self.generation[p as usize] > floor {
                    seen[p as usize] = *search;
                    stack.push(p);
                }
            }
        }
        false
    }

    /// Whether `ancestor` is a strict ancestor of `descendant`: a commit before it.
    pub(crate) fn before(&self, ancestor: Node, descendant: Node) -> bool {
        ancestor != descendant && self.reaches(descendant, ancestor)
    }

    /// Every node `tips` reach, themselves included.
    pub(crate) fn reachable_from(&self, tips: &[Node]) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<Node> = tips.to_vec();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n as usize], true) {
                continue;
            }
            stack.extend(self.parents(n).iter().copied());
        }
        seen
    }
}

fn node(i: usize) -> Node {
    // A walk is bounded far below 2^32 commits.
    Node::try_from(i).unwrap_or(Node::MAX)
}

/// Generation numbers by an iterative depth-first search (histories are deeper than any
/// thread's stack).
fn generations(graph: &Graph) -> Vec<u32> {
    let len = graph.len();
    let mut generation = vec![0u32; len];
    for start in 0..len {
        if generation[start] != 0 {
            continue;
        }
        let mut stack = vec![(node(start), false)];
        while let Some((n, expanded)) = stack.pop() {
            let i = n as usize;
            if generation[i] != 0 {
                continue;
            }
            if expanded {
                generation[i] = 1 + graph
                    .parents(n)
                    .iter()
                    .map(|&p| generation[p as usize])
                    .max()
                    .unwrap_or(0);
                continue;
            }
            stack.push((n, true));
            stack.extend(
                graph
                    .parents(n)
                    .iter()
                    .filter(|&&p| generation[p as usize] == 0)
                    .map(|&p| (p, false)),
            );
        }
    }
    generation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    /// a <- b <- c <- m, a <- x <- m (a merge), and y on its own branch from b.
    fn graph() -> Graph {
        let commit = |n: u8, parents: &[u8]| WalkedCommit {
            id: id(n),
            time: i64::from(n),
            parents: parents.iter().map(|&p| id(p)).collect(),
        };
        Graph::new(&[
            commit(5, &[3, 4]), // m
            commit(6, &[2]),    // y
            commit(3, &[2]),    // c
            commit(4, &[1]),    // x
            commit(2, &[1]),    // b
            commit(1, &[]),     // a
        ])
    }

    #[test]
    fn ancestry_follows_merges_and_not_other_branches() {
        let g = graph();
        let n = |k: u8| g.node(&id(k)).unwrap_or(Node::MAX);
        assert!(g.reaches(n(5), n(1)));
        assert!(g.reaches(n(5), n(4)));
        assert!(g.before(n(2), n(5)));
        assert!(!g.before(n(5), n(5)));
        assert!(!g.reaches(n(5), n(6)));
        assert!(!g.reaches(n(1), n(2)));
        assert!(!g.reaches(n(4), n(2)));
        assert_eq!(g.generation(n(1)), 1);
        assert_eq!(g.generation(n(5)), 4);
        let from_c = g.reachable_from(&[n(3)]);
        assert_eq!(from_c.iter().filter(|&&r| r).count(), 3);
    }
}
