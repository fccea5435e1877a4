//! From our Go parse tree to `regex_syntax::hir::Hir`, with Go's semantics made explicit.
//!
//! Everything is byte-level and ASCII-exact: classes keep their ASCII part (see
//! [`crate::charset`]), `\b`/`\B` are ASCII word boundaries as in Go, `^`/`$` are text anchors
//! unless `(?m)` made them line anchors. Non-ASCII literals are kept as their UTF-8 bytes.

use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Look, Repetition};

use crate::ast::{Kind, LookKind, Node};
use crate::charset::{CharSet, TAG_CHARS};

/// How a tree is turned into a language.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The pattern as Go matches it.
    Pattern,
    /// An over-approximation of what a capture group can capture: assertions dropped
    /// (they depend on context outside the group) and every character restricted to OCI tag
    /// characters (a capture is a substring of a tag).
    Captured,
}

pub(crate) fn class_bytes(set: CharSet, mode: Mode) -> Hir {
    let set = if mode == Mode::Captured {
        set.intersect_ascii(TAG_CHARS)
    } else {
        set
    };
    let ranges: Vec<ClassBytesRange> = set
        .ascii_ranges()
        .into_iter()
        .map(|(lo, hi)| ClassBytesRange::new(lo, hi))
        .collect();
    Hir::class(Class::Bytes(ClassBytes::new(ranges)))
}

fn literal(c: char, fold: bool, mode: Mode) -> Hir {
    let set = CharSet::single(c);
    if fold {
        let folded = set.fold();
        if folded != set {
            let mut class = class_bytes(folded, mode);
            if !c.is_ascii() && mode == Mode::Pattern {
                // Keep the non-ASCII letter itself next to its ASCII fold partners.
                let mut buf = [0u8; 4];
                class = Hir::alternation(vec![
                    class,
                    Hir::literal(c.encode_utf8(&mut buf).as_bytes()),
                ]);
            }
            return class;
        }
    }
    if mode == Mode::Captured && !(c.is_ascii() && set.intersect_ascii(TAG_CHARS) == set) {
        return Hir::fail();
    }
    let mut buf = [0u8; 4];
    Hir::literal(c.encode_utf8(&mut buf).as_bytes())
}

fn look(kind: LookKind) -> Hir {
    Hir::look(match kind {
        LookKind::BeginLine => Look::StartLF,
        LookKind::EndLine => Look::EndLF,
        LookKind::BeginText => Look::Start,
        LookKind::EndText => Look::End,
        LookKind::WordBoundary => Look::WordAscii,
        LookKind::NoWordBoundary => Look::WordAsciiNegate,
    })
}

/// The language of `node`. Captures are dropped: DFAs do not need them.
pub(crate) fn to_hir(node: &Node, mode: Mode) -> Hir {
    match &node.kind {
        Kind::Empty => Hir::empty(),
        Kind::Literal { c, fold } => literal(*c, *fold, mode),
        Kind::Class(set) => class_bytes(*set, mode),
        Kind::Look(kind) => {
            if mode == Mode::Captured {
                Hir::empty()
            } else {
                look(*kind)
            }
        }
        Kind::Capture { sub, .. } => to_hir(sub, mode),
        Kind::Repeat {
            min,
            max,
            greedy,
            sub,
            ..
        } => Hir::repetition(Repetition {
            min: *min,
            max: *max,
            greedy: *greedy,
            sub: Box::new(to_hir(sub, mode)),
        }),
        Kind::Concat(subs) => Hir::concat(subs.iter().map(|s| to_hir(s, mode)).collect()),
        Kind::Alternate(subs) => Hir::alternation(subs.iter().map(|s| to_hir(s, mode)).collect()),
    }
}

/// `^body$` over the whole haystack.
pub(crate) fn full_match(body: Hir) -> Hir {
    Hir::concat(vec![Hir::look(Look::Start), body, Hir::look(Look::End)])
}

/// Bytes other than ASCII digits.
pub(crate) fn non_digit() -> Hir {
    Hir::class(Class::Bytes(ClassBytes::new([
        ClassBytesRange::new(0, b'0' - 1),
        ClassBytesRange::new(b'9' + 1, 0xFF),
    ])))
}
