//! Exact language questions on DFAs: products, shortest witnesses, longest digit runs.
//!
//! Every language here is "haystacks in which the pattern finds a match" — Go's
//! `FindStringSubmatchIndex` is an unanchored search, and image-reflector-controller keeps a
//! tag as soon as there is any match. A dense DFA built with an unanchored start state and
//! `MatchKind::All` recognises exactly that: a match state reached after reading a prefix
//! means some match ended there, and from then on the haystack is in the language whatever
//! follows (we call that component "done"). Languages that must cover the whole string are
//! written with `^…$` looks, so one mechanism serves both.
//!
//! Products are explored breadth-first over an explicit alphabet, so the first accepting
//! product state found gives the shortest witness (and, bytes being tried in increasing
//! order, the lexicographically smallest among the shortest).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use regex_automata::dfa::Automaton;
use regex_automata::dfa::{StartKind, dense};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::Hir;

use crate::ast::Node;

/// Budgets for building automata and exploring their products.
///
/// The defaults decide every realistic tag filter in well under a millisecond (release
/// build); a pattern that blows past them (`(a|b)*a(a|b){20}`-style exponential DFAs, or
/// counted repetitions of a thousand nested in others) yields [`TooLarge`] after at most a
/// few hundred milliseconds of determinization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Heap bytes for one Thompson NFA.
    pub nfa_size_limit: usize,
    /// Heap bytes for one dense DFA.
    pub dfa_size_limit: usize,
    /// Heap bytes the determinizer may use while building one DFA.
    pub determinize_size_limit: usize,
    /// Product states (tuples of DFA states) one exploration may visit.
    pub max_product_states: usize,
    /// Deepest pattern simulated, counting each group, concatenation or alternation level
    /// as 1 and each repetition as 4. Go accepts parse trees 1000 levels deep; compiling
    /// such a tree to an automaton recurses that deep, so deeper patterns are refused
    /// rather than risking the stack. Real tag filters nest a handful of levels.
    pub max_nesting: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Go's own size limit (3.3 million instructions) keeps every pattern it accepts
            // within this.
            nfa_size_limit: 64 << 20,
            dfa_size_limit: 2 << 20,
            determinize_size_limit: 2 << 20,
            max_product_states: 250_000,
            max_nesting: 400,
        }
    }
}

/// A question the budgets in [`Limits`] were not enough to decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("too large to decide: {reason}")]
pub struct TooLarge {
    /// Which budget ran out, and where.
    pub reason: String,
}

/// One DFA of a product.
pub(crate) struct Machine {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
}

/// Refuse trees too deep to compile safely (see [`Limits::max_nesting`]).
pub(crate) fn check_depth(node: &Node, limits: &Limits, what: &str) -> Result<(), TooLarge> {
    let depth = node.weighted_depth();
    if depth > limits.max_nesting {
        return Err(TooLarge {
            reason: format!(
                "{what}: nesting depth {depth} exceeds {}",
                limits.max_nesting
            ),
        });
    }
    Ok(())
}

impl Machine {
    pub(crate) fn build(hir: &Hir, limits: &Limits, what: &str) -> Result<Machine, TooLarge> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(limits.nfa_size_limit))
                    .which_captures(WhichCaptures::None)
                    .utf8(false),
            )
            .build_from_hir(hir)
            .map_err(|e| TooLarge {
                reason: format!("{what}: NFA: {e}"),
            })?;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Unanchored)
                    // Never used to search: skip the acceleration analysis.
                    .accelerate(false)
                    .dfa_size_limit(Some(limits.dfa_size_limit))
                    .determinize_size_limit(Some(limits.determinize_size_limit)),
            )
            .build_from_nfa(&nfa)
            .map_err(|e| TooLarge {
                reason: format!("{what}: DFA: {e}"),
            })?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .map_err(|e| TooLarge {
                reason: format!("{what}: start state: {e}"),
            })?;
        Ok(Machine { dfa, start })
    }

    /// Whether the whole of `haystack` is in the language (a match somewhere in it).
    pub(crate) fn accepts(&self, haystack: &[u8]) -> bool {
        let mut s = self.start;
        for &b in haystack {
            s = self.dfa.next_state(s, b);
            if self.dfa.is_match_state(s) {
                return true;
            }
            if self.dfa.is_dead_state(s) {
                return false;
            }
        }
        self.dfa.is_match_state(self.dfa.next_eoi_state(s))
    }
}

/// `DONE`: this component already found a match; any continuation stays in its language.
const DONE: u32 = u32::MAX;

/// What strings a product exploration ranges over.
pub(crate) struct Domain {
    /// Bytes allowed at position 0.
    pub(crate) first: Vec<u8>,
    /// Bytes allowed afterwards.
    pub(crate) rest: Vec<u8>,
    /// Longest string considered, if bounded.
    pub(crate) max_len: Option<usize>,
}

impl Domain {
    pub(crate) fn from_mask(first: u128, rest: u128, max_len: Option<usize>) -> Domain {
        let bytes = |m: u128| (0u8..128).filter(|b| m & (1u128 << b) != 0).collect();
        Domain {
            first: bytes(first),
            rest: bytes(rest),
            max_len,
        }
    }

    pub(crate) fn all_bytes() -> Domain {
        let all: Vec<u8> = (0..=255).collect();
        Domain {
            first: all.clone(),
            rest: all,
            max_len: None,
        }
    }
}

struct Product<'a> {
    machines: &'a [&'a Machine],
    limits: &'a Limits,
}

impl Product<'_> {
    fn root(&self) -> Vec<u32> {
        self.machines.iter().map(|m| m.start.as_u32()).collect()
    }

    /// The product state after reading `b`, or `None` when some component is dead.
    fn step(&self, state: &[u32], b: u8) -> Option<Vec<u32>> {
        let mut out = Vec::with_capacity(state.len());
        for (m, &s) in self.machines.iter().zip(state) {
            if s == DONE {
                out.push(DONE);
                continue;
            }
            let sid = StateID::new(s as usize).ok()?;
            let next = m.dfa.next_state(sid, b);
            if m.dfa.is_match_state(next) {
                out.push(DONE);
            } else if m.dfa.is_dead_state(next) {
                return None;
            } else {
                out.push(next.as_u32());
            }
        }
        Some(out)
    }

    /// Whether a string ending in `state` is in every language.
    fn accepting(&self, state: &[u32]) -> bool {
        self.machines.iter().zip(state).all(|(m, &s)| {
            s == DONE
                || StateID::new(s as usize)
                    .map(|sid| m.dfa.is_match_state(m.dfa.next_eoi_state(sid)))
                    .unwrap_or(false)
        })
    }

    fn budget(&self, seen: usize) -> Result<(), TooLarge> {
        if seen > self.limits.max_product_states {
            return Err(TooLarge {
                reason: format!(
                    "more than {} product states to explore",
                    self.limits.max_product_states
                ),
            });
        }
        Ok(())
    }
}

/// The shortest non-empty string of `domain` in every machine's language.
pub(crate) fn shortest_common(
    machines: &[&Machine],
    domain: &Domain,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, TooLarge> {
    let product = Product { machines, limits };
    // Node 0 is the root (empty string); it is never revisited because the first byte has
    // its own alphabet.
    let mut nodes: Vec<(usize, u8)> = vec![(usize::MAX, 0)];
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut frontier: Vec<(usize, Vec<u32>)> = vec![(0, product.root())];
    let mut depth = 0usize;
    while !frontier.is_empty() {
        if domain.max_len.is_some_and(|max| depth >= max) {
            break;
        }
        let alphabet = if depth == 0 {
            &domain.first
        } else {
            &domain.rest
        };
        let mut next_frontier = Vec::new();
        for (id, state) in &frontier {
            for &b in alphabet {
                let Some(next) = product.step(state, b) else {
                    continue;
                };
                let Entry::Vacant(slot) = index.entry(next) else {
                    continue;
                };
                let new_id = nodes.len();
                nodes.push((*id, b));
                let next = slot.key().clone();
                slot.insert(new_id);
                product.budget(nodes.len())?;
                if product.accepting(&next) {
                    return Ok(Some(path(&nodes, new_id)));
                }
                next_frontier.push((new_id, next));
            }
        }
        frontier = next_frontier;
        depth += 1;
    }
    Ok(None)
}

fn path(nodes: &[(usize, u8)], mut id: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while id != 0 {
        let (parent, b) = nodes[id];
        out.push(b);
        id = parent;
    }
    out.reverse();
    out
}

/// Whether the empty string is in every machine's language.
pub(crate) fn accepts_empty(machines: &[&Machine]) -> bool {
    machines
        .iter()
        .all(|m| m.dfa.is_match_state(m.dfa.next_eoi_state(m.start)))
}

/// The most ASCII digits a string of `domain` in every machine's language can contain:
/// `Ok(None)` when unbounded; an empty language yields `Some(0)`. Length bounds of `domain`
/// are ignored: the answer says what the *patterns* allow.
pub(crate) fn max_digits(
    machines: &[&Machine],
    domain: &Domain,
    limits: &Limits,
) -> Result<Option<usize>, TooLarge> {
    let product = Product { machines, limits };
    // Explore the reachable product graph. Node 0 is the root.
    let mut states: Vec<Vec<u32>> = vec![product.root()];
    let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new()];
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut todo = vec![0usize];
    while let Some(id) = todo.pop() {
        let alphabet = if id == 0 { &domain.first } else { &domain.rest };
        let mut out = Vec::new();
        for &b in alphabet {
            let Some(next) = product.step(&states[id], b) else {
                continue;
            };
            let target = match index.entry(next) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(slot) => {
                    let new_id = states.len();
                    states.push(slot.key().clone());
                    slot.insert(new_id);
                    edges.push(Vec::new());
                    todo.push(new_id);
                    product.budget(states.len())?;
                    new_id
                }
            };
            out.push((target, b.is_ascii_digit()));
        }
        edges[id] = out;
    }
    let n = states.len();
    let accepting: Vec<bool> = states
        .iter()
        .enumerate()
        .map(|(i, s)| i != 0 && product.accepting(s))
        .collect();

    // Keep only states from which an accepting state is reachable.
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, out) in edges.iter().enumerate() {
        for &(to, _) in out {
            reverse[to].push(from);
        }
    }
    let mut live = accepting.clone();
    let mut stack: Vec<usize> = (0..n).filter(|&i| accepting[i]).collect();
    while let Some(v) = stack.pop() {
        for &u in &reverse[v] {
            if !live[u] {
                live[u] = true;
                stack.push(u);
            }
        }
    }
    if !live[0] {
        return Ok(Some(0));
    }

    // Strongly connected components (iterative Tarjan) of the live sub-graph; they come out
    // in reverse topological order, so successors are finished before predecessors.
    let comp = tarjan(n, &edges, &live);
    let comps = comp.iter().filter_map(|c| *c).max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); comps];
    for (v, c) in comp.iter().enumerate() {
        if let Some(c) = c {
            members[*c].push(v);
        }
    }
    let mut best: Vec<Option<usize>> = vec![None; comps];
    for c in 0..comps {
        let mut value: Option<usize> = None;
        for &v in &members[c] {
            if accepting[v] {
                value = value.max(Some(0));
            }
            for &(w, digit) in &edges[v] {
                let Some(cw) = comp[w] else {
                    continue;
                };
                if cw == c {
                    if digit {
                        // A digit on a cycle that can still reach acceptance.
                        return Ok(None);
                    }
                    continue;
                }
                if let Some(b) = best[cw] {
                    value = value.max(Some(b + usize::from(digit)));
                }
            }
        }
        best[c] = value;
    }
    Ok(comp[0].and_then(|c| best[c]).or(Some(0)))
}

/// Tarjan's algorithm restricted to `live` vertices, without recursion. Component numbers
/// are assigned in completion order (sinks first).
fn tarjan(n: usize, edges: &[Vec<(usize, bool)>], live: &[bool]) -> Vec<Option<usize>> {
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut comp: Vec<Option<usize>> = vec![None; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next_index = 0;
    let mut next_comp = 0;
    for root in 0..n {
        if !live[root] || index[root] != UNSEEN {
            continue;
        }
        // (vertex, next edge to look at)
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(top) = call.last_mut() {
            let v = top.0;
            if let Some(&(w, _)) = edges[v].get(top.1) {
                top.1 += 1;
                if !live[w] {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = Some(next_comp);
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}
