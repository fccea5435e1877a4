//! The parse tree our port of Go's parser builds, and the structural questions asked of it.

use crate::charset::CharSet;

/// Go's empty-width operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LookKind {
    /// `^` under `(?m)`.
    BeginLine,
    /// `$` under `(?m)`.
    EndLine,
    /// `^` (Go's default `OneLine` flag) and `\A`.
    BeginText,
    /// `$` and `\z`.
    EndText,
    /// `\b` (ASCII).
    WordBoundary,
    /// `\B` (ASCII).
    NoWordBoundary,
}

/// Which Go operator made a repetition (Go sizes them differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RepKind {
    Star,
    Plus,
    Quest,
    Range,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Empty,
    Literal {
        c: char,
        fold: bool,
    },
    Class(CharSet),
    Look(LookKind),
    Capture {
        index: usize,
        sub: Box<Node>,
    },
    Repeat {
        kind: RepKind,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        sub: Box<Node>,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
}

/// A node plus the height and compiled size Go's parser would compute for the equivalent
/// Go tree (`calcHeight`, `calcSize`), kept up to date bottom-up so the limit checks stay
/// linear.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) go_height: u32,
    pub(crate) go_size: u64,
}

impl Node {
    pub(crate) fn leaf(kind: Kind) -> Node {
        Node {
            kind,
            go_height: 1,
            go_size: 1,
        }
    }

    pub(crate) fn capture(index: usize, sub: Node) -> Node {
        let go_height = sub.go_height.saturating_add(1);
        let go_size = sub.go_size.saturating_add(2);
        Node {
            kind: Kind::Capture {
                index,
                sub: Box::new(sub),
            },
            go_height,
            go_size,
        }
    }

    pub(crate) fn repeat(
        kind: RepKind,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        sub: Node,
    ) -> Node {
        let s = sub.go_size;
        let size = match kind {
            RepKind::Star => s.saturating_add(2),
            RepKind::Plus | RepKind::Quest => s.saturating_add(1),
            RepKind::Range => match max {
                None if min == 0 => s.saturating_add(2),
                None => u64::from(min).saturating_mul(s).saturating_add(1),
                Some(max) => u64::from(max)
                    .saturating_mul(s)
                    .saturating_add(u64::from(max - min)),
            },
        };
        let go_height = sub.go_height.saturating_add(1);
        Node {
            kind: Kind::Repeat {
                kind,
                min,
                max,
                greedy,
                sub: Box::new(sub),
            },
            go_height,
            go_size: size.max(1),
        }
    }

    /// Go's `collapse(subs, OpConcat)`: one sub stands for itself, nested concatenations
    /// are hoisted.
    pub(crate) fn concat(subs: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(subs.len());
        for sub in subs {
            match sub.kind {
                Kind::Concat(inner) => flat.extend(inner),
                _ => flat.push(sub),
            }
        }
        if flat.len() == 1
            && let Some(only) = flat.pop()
        {
            return only;
        }
        if flat.is_empty() {
            return Node::leaf(Kind::Empty);
        }
        // Go merges runs of literals into one string node (`maybeConcat`): a concatenation
        // of nothing but literals is a leaf there.
        let all_literals = flat.iter().all(|n| matches!(n.kind, Kind::Literal { .. }));
        let go_height = if all_literals {
            1
        } else {
            flat.iter()
                .map(|n| n.go_height)
                .max()
                .unwrap_or(0)
                .saturating_add(1)
        };
        let go_size = flat
            .iter()
            .fold(0u64, |acc, n| acc.saturating_add(n.go_size))
            .max(1);
        Node {
            kind: Kind::Concat(flat),
            go_height,
            go_size,
        }
    }

    /// Go's `collapse(subs, OpAlternate)`, with the effect of `factor`'s rounds 3 and 4 on
    /// height and size (runs of single characters become one class, runs of empty matches
    /// one empty match). The common-prefix rounds are not modelled: they only matter for
    /// the size limit of multi-megabyte patterns.
    pub(crate) fn alternate(subs: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(subs.len());
        for sub in subs {
            match sub.kind {
                Kind::Alternate(inner) => flat.extend(inner),
                _ => flat.push(sub),
            }
        }
        if flat.len() == 1
            && let Some(only) = flat.pop()
        {
            return only;
        }
        let mut effective: Vec<(u32, u64)> = Vec::new();
        let mut prev: Option<u8> = None; // 1 = char-class-like run, 2 = empty run
        for n in &flat {
            let class = match n.kind {
                Kind::Literal { .. } | Kind::Class(_) => Some(1),
                Kind::Empty => Some(2),
                _ => None,
            };
            if class.is_some() && class == prev {
                continue;
            }
            prev = class;
            effective.push((n.go_height, n.go_size));
        }
        let (go_height, go_size) = if effective.len() == 1 {
            effective[0]
        } else {
            let h = effective
                .iter()
                .map(|e| e.0)
                .max()
                .unwrap_or(0)
                .saturating_add(1);
            let s = effective
                .iter()
                .fold(0u64, |acc, e| acc.saturating_add(e.1))
                .saturating_add(effective.len() as u64 - 1);
            (h, s)
        };
        Node {
            kind: Kind::Alternate(flat),
            go_height,
            go_size: go_size.max(1),
        }
    }

    /// Nesting depth with repetitions weighing 4: what the Thompson compiler's recursion
    /// costs in stack (nested repetitions are by far the most expensive).
    pub(crate) fn weighted_depth(&self) -> u32 {
        match &self.kind {
            Kind::Empty | Kind::Literal { .. } | Kind::Class(_) | Kind::Look(_) => 1,
            Kind::Capture { sub, .. } => sub.weighted_depth().saturating_add(1),
            Kind::Repeat { sub, .. } => sub.weighted_depth().saturating_add(4),
            Kind::Concat(subs) | Kind::Alternate(subs) => subs
                .iter()
                .map(Node::weighted_depth)
                .max()
                .unwrap_or(0)
                .saturating_add(1),
        }
    }

    /// Whether the node can match the empty string (assertions count as empty).
    pub(crate) fn nullable(&self) -> bool {
        match &self.kind {
            Kind::Empty | Kind::Look(_) => true,
            Kind::Literal { .. } | Kind::Class(_) => false,
            Kind::Capture { sub, .. } => sub.nullable(),
            Kind::Repeat { min, sub, .. } => *min == 0 || sub.nullable(),
            Kind::Concat(subs) => subs.iter().all(Node::nullable),
            Kind::Alternate(subs) => subs.iter().any(Node::nullable),
        }
    }

    /// Whether every match of the node consumes nothing (only assertions and empties).
    fn zero_width(&self) -> bool {
        match &self.kind {
            Kind::Empty | Kind::Look(_) => true,
            Kind::Literal { .. } | Kind::Class(_) => false,
            Kind::Capture { sub, .. } | Kind::Repeat { sub, .. } => sub.zero_width(),
            Kind::Concat(subs) | Kind::Alternate(subs) => subs.iter().all(Node::zero_width),
        }
    }

    /// Whether every match starts with `^`/`\A` (start of text). `(?m)^` does not count.
    pub(crate) fn anchored_start(&self) -> bool {
        self.anchored(LookKind::BeginText, false)
    }

    /// Whether every match ends with `$`/`\z` (end of text). `(?m)$` does not count.
    pub(crate) fn anchored_end(&self) -> bool {
        self.anchored(LookKind::EndText, true)
    }

    fn anchored(&self, anchor: LookKind, from_end: bool) -> bool {
        match &self.kind {
            Kind::Look(look) => *look == anchor,
            Kind::Empty | Kind::Literal { .. } | Kind::Class(_) => false,
            Kind::Capture { sub, .. } => sub.anchored(anchor, from_end),
            Kind::Repeat { min, sub, .. } => *min >= 1 && sub.anchored(anchor, from_end),
            Kind::Alternate(subs) => subs.iter().all(|s| s.anchored(anchor, from_end)),
            Kind::Concat(subs) => {
                let walk = |n: &Node| {
                    if n.anchored(anchor, from_end) {
                        Some(true)
                    } else if n.zero_width() {
                        None
                    } else {
                        Some(false)
                    }
                };
                let found = if from_end {
                    subs.iter().rev().find_map(walk)
                } else {
                    subs.iter().find_map(walk)
                };
                found.unwrap_or(false)
            }
        }
    }

    /// Whether every match of the node makes one of the capture groups in `groups`
    /// participate (so a reference to them cannot come out unmatched).
    pub(crate) fn must_capture(&self, groups: &[usize]) -> bool {
        match &self.kind {
            Kind::Capture { index, sub } => groups.contains(index) || sub.must_capture(groups),
            Kind::Repeat { min, sub, .. } => *min >= 1 && sub.must_capture(groups),
            Kind::Concat(subs) => subs.iter().any(|s| s.must_capture(groups)),
            Kind::Alternate(subs) => subs.iter().all(|s| s.must_capture(groups)),
            Kind::Empty | Kind::Literal { .. } | Kind::Class(_) | Kind::Look(_) => false,
        }
    }

    /// The sub-tree of capture group `index`.
    pub(crate) fn find_capture(&self, index: usize) -> Option<&Node> {
        match &self.kind {
            Kind::Capture { index: i, sub } if *i == index => Some(sub),
            Kind::Capture { sub, .. } | Kind::Repeat { sub, .. } => sub.find_capture(index),
            Kind::Concat(subs) | Kind::Alternate(subs) => {
                subs.iter().find_map(|s| s.find_capture(index))
            }
            Kind::Empty | Kind::Literal { .. } | Kind::Class(_) | Kind::Look(_) => None,
        }
    }

    /// Why group `index` may not participate in a match: the innermost enclosing construct
    /// that makes it optional, if any.
    pub(crate) fn optional_reason(&self, index: usize) -> Option<Optionality> {
        fn walk(
            node: &Node,
            index: usize,
            reason: Option<Optionality>,
        ) -> Option<Option<Optionality>> {
            match &node.kind {
                Kind::Capture { index: i, sub } => {
                    if *i == index {
                        Some(reason)
                    } else {
                        walk(sub, index, reason)
                    }
                }
                Kind::Repeat { min, sub, .. } => {
                    let r = if *min == 0 {
                        Some(Optionality::OptionalRepetition)
                    } else {
                        reason
                    };
                    walk(sub, index, r)
                }
                Kind::Concat(subs) => subs.iter().find_map(|s| walk(s, index, reason)),
                Kind::Alternate(subs) => subs
                    .iter()
                    .find_map(|s| walk(s, index, Some(Optionality::AlternationBranch))),
                Kind::Empty | Kind::Literal { .. } | Kind::Class(_) | Kind::Look(_) => None,
            }
        }
        walk(self, index, None).flatten()
    }
}

/// Why a capture group can come out unmatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optionality {
    /// The group sits inside `?`, `*`, `{0,n}` or `{0,}`.
    OptionalRepetition,
    /// The group sits in one branch of an alternation.
    AlternationBranch,
}
