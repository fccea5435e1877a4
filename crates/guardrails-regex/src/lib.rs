//! Go RE2 tag filters as Flux's image-reflector-controller reads them.
//!
//! An ImagePolicy's `spec.filterTags.pattern` is compiled with Go's `regexp.Compile` and
//! matched with `FindStringSubmatchIndex` — an **unanchored** search; `extract` is expanded
//! with `Regexp.ExpandString`; the result (or the whole tag) is ordered numerically,
//! alphabetically or as a semver. A linter that reasons about those patterns with Rust's
//! `regex` crate gets both acceptance and meaning wrong (possessive `a*+`, `{1001}`, `\<`,
//! `[a&&b]`, `\Q…\E`, duplicate group names…). This crate instead:
//!
//! 1. ports Go's parser ([`check_go_syntax`]): same acceptance, same error code and quoted
//!    text, for a chosen Go release ([`GoTarget`]); [`divergences`] lists what Rust would
//!    read differently;
//! 2. answers structural questions: [`anchoring`], capture groups ([`GoRegex::groups`]),
//!    extract templates ([`parse_template`], [`check_extract`]);
//! 3. answers language questions exactly with DFAs built from Go's semantics (ASCII classes
//!    and word boundaries, `^`/`$` as text anchors unless `(?m)`): [`accepts`],
//!    [`intersect`] (shortest common tag of two policies), [`accepts_prefix`] and
//!    [`value_shape`] (can the ordered value contain a non-digit, be empty, exceed 15
//!    digits, be a semver?).
//!
//! Simulation is exact for ASCII haystacks — every OCI tag (`[\w][\w.-]{0,127}`) is one.
//! For non-ASCII input only literal characters are honoured; classes keep their ASCII part.
//!
//! It never prints, never reads the environment or files, never runs Go, and never panics
//! on user input; work on user patterns is bounded by [`Limits`] ([`TooLarge`]).
//!
//! ```
//! use guardrails_regex::{GoTarget, Limits, Possibility};
//! use guardrails_regex::{check_extract, check_go_syntax, intersect, value_shape};
//!
//! // Go's error, word for word, as `kubectl describe imagepolicy` will show it.
//! let err = check_go_syntax(r"^pr-(?P<ts>[0-9]+", GoTarget::go(22)).unwrap_err();
//! assert_eq!(err.to_string(), "error parsing regexp: missing closing ): `^pr-(?P<ts>[0-9]+`");
//!
//! // Lanes that cannot select each other's tags, and one that can.
//! let prod = r"^production-[a-f0-9]{7}-(?P<ts>[0-9]+)$";
//! assert_eq!(intersect(prod, r"^staging-", Limits::default()), Ok(None));
//! let leak = intersect(r"production-", r"^pre", Limits::default()).unwrap();
//! assert_eq!(leak.as_deref(), Some("preproduction-"));
//!
//! // `$ts_x` names a group `ts_x` (Go takes the longest name), which does not exist.
//! assert!(!check_extract(prod, "$ts_x").is_empty());
//! assert_eq!(value_shape(prod, "$ts").non_digit, Possibility::Never);
//! ```

mod ast;
mod automata;
mod charset;
mod divergence;
mod error;
mod hir;
mod parse;
mod shape;
mod template;

use regex_automata::Input;
use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_syntax::hir::{Hir, Look};

pub use ast::Optionality;
pub use automata::{Limits, TooLarge};
pub use divergence::{Divergence, DivergenceKind};
pub use error::{GoErrorCode, GoSyntaxError};
pub use parse::{GoOnlyConstruct, GoOnlyKind};
pub use shape::{DigitBound, Possibility, ValueShape, ValueSource};
pub use template::{
    EmptyCause, ExtractProblem, ExtractProblemKind, GroupRef, TemplatePiece, parse_template,
};

use automata::{Domain, Machine};
use charset::{TAG_CHARS, TAG_FIRST};
use hir::Mode;

/// The longest OCI tag (distribution-spec: `[\w][\w.-]{0,127}`).
pub const MAX_TAG_LEN: usize = 128;

/// Which Go release's `regexp` to emulate.
///
/// image-reflector-controller 0.32 (Flux 2.3, May 2024) was the first built with Go 1.22;
/// the caller decides which controller it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoTarget {
    /// Accept `(?<name>…)` named groups (Go 1.22+, golang/go#58458). Before, they are
    /// ``invalid or unsupported Perl syntax: `(?<` ``.
    pub named_group_angle: bool,
    /// The Go minor release (`1.x`) for the other version-dependent details: the text of the
    /// size error (`expression too large` from Go 1.20, `regexp/syntax: internal error`
    /// before), Unicode 15 script names in `\p{…}` (Go 1.21) and case-, space- and
    /// underscore-insensitive `\p{…}` names with long category names such as `\p{Letter}`
    /// (Go 1.25).
    pub go_minor: u32,
}

impl GoTarget {
    /// Go `1.minor` with everything set accordingly.
    pub const fn go(minor: u32) -> GoTarget {
        GoTarget {
            named_group_angle: minor >= 22,
            go_minor: minor,
        }
    }

    /// The newest behaviour known to this crate; it accepts every pattern any supported
    /// release accepts. Used by the analyses that take a bare pattern.
    pub const LATEST: GoTarget = GoTarget::go(26);
}

/// A capture group of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureGroup {
    /// 1-based group number (what `$1` refers to).
    pub index: usize,
    /// The name from `(?P<name>…)` / `(?<name>…)`.
    pub name: Option<String>,
    /// Byte offset of the group's `(`.
    pub offset: usize,
    /// Byte length of the whole group, `(` to `)`.
    pub len: usize,
    /// Why the group may not participate in a match, if it may not.
    pub optional: Option<Optionality>,
    /// Whether the group's sub-pattern can match the empty string.
    pub may_match_empty: bool,
}

/// A pattern Go's `regexp.Compile` accepts, ready for analysis.
///
/// Every question is answered from a port of Go's parser, so Go-only syntax (`\Q…\E`,
/// octal escapes, duplicate or digit-led group names, `(?)`) simulates like anything else;
/// [`GoRegex::go_only_constructs`] lists it for callers that also hand patterns to Rust's
/// `regex`.
#[derive(Debug, Clone)]
pub struct GoRegex {
    pattern: String,
    target: GoTarget,
    pub(crate) root: ast::Node,
    groups: Vec<CaptureGroup>,
    go_only: Vec<GoOnlyConstruct>,
}

/// Whether a pattern only matches at the start / end of the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Anchoring {
    /// Every match starts at the beginning of the tag (`^` or `\A` first in every
    /// alternative, possibly inside groups).
    pub start: bool,
    /// Every match ends at the end of the tag (`$` or `\z`).
    pub end: bool,
}

/// Parse `pattern` as `regexp.Compile` does on `target`.
///
/// The error is Go's, word for word (see [`GoSyntaxError`]), with the offending span.
pub fn check_go_syntax(pattern: &str, target: GoTarget) -> Result<GoRegex, GoSyntaxError> {
    let parsed = parse::parse(pattern, target)?;
    let root = parsed.root;
    let groups = parsed
        .groups
        .into_iter()
        .map(|g| {
            let sub = root.find_capture(g.index);
            CaptureGroup {
                index: g.index,
                name: g.name,
                offset: g.open,
                len: g.end.saturating_sub(g.open),
                optional: if root.must_capture(&[g.index]) {
                    None
                } else {
                    root.optional_reason(g.index)
                },
                may_match_empty: sub.is_some_and(ast::Node::nullable),
            }
        })
        .collect();
    Ok(GoRegex {
        pattern: pattern.to_owned(),
        target,
        root,
        groups,
        go_only: parsed.go_only,
    })
}

impl GoRegex {
    /// The pattern text.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The Go release it was checked against.
    pub fn target(&self) -> GoTarget {
        self.target
    }

    /// The capture groups, in `$1, $2, …` order.
    pub fn groups(&self) -> &[CaptureGroup] {
        &self.groups
    }

    /// Syntax Go accepts and the Rust `regex` crate rejects. The analyses of this crate do
    /// not care; a caller that wants to compile the pattern with `regex` does.
    pub fn go_only_constructs(&self) -> &[GoOnlyConstruct] {
        &self.go_only
    }

    /// Whether the Rust `regex` parser accepts the pattern and reads it as Go does (no
    /// [`divergences`]). Approximate in one direction: Rust may still reject the pattern
    /// when translating it (e.g. an unknown `\p{…}` class), never the other way round.
    pub fn rust_regex_compatible(&self) -> bool {
        divergence::rust_ast(&self.pattern).is_some() && divergence::find(&self.pattern).is_empty()
    }

    /// See [`anchoring`].
    pub fn anchoring(&self) -> Anchoring {
        Anchoring {
            start: self.root.anchored_start(),
            end: self.root.anchored_end(),
        }
    }

    /// See [`accepts`]. Builds a lazy DFA per call; use [`GoRegex::matcher`] for many tags.
    pub fn accepts(&self, tag: &str) -> bool {
        let limits = Limits::default();
        if automata::check_depth(&self.root, &limits, "pattern").is_err() {
            return false;
        }
        lazy_dfa(&hir::to_hir(&self.root, Mode::Pattern), &limits)
            .is_ok_and(|dfa| lazy_accepts(&dfa, tag.as_bytes()))
    }

    /// A compiled matcher for checking many tags against this pattern: a dense DFA when it
    /// fits `limits`, else a lazy DFA. Fails only for patterns nested deeper than
    /// [`Limits::max_nesting`] or whose NFA exceeds [`Limits::nfa_size_limit`].
    pub fn matcher(&self, limits: Limits) -> Result<TagMatcher, TooLarge> {
        automata::check_depth(&self.root, &limits, "pattern")?;
        let hir = hir::to_hir(&self.root, Mode::Pattern);
        let inner = match Machine::build(&hir, &limits, "pattern") {
            Ok(machine) => MatcherKind::Dense(machine),
            Err(_) => MatcherKind::Lazy(lazy_dfa(&hir, &limits)?),
        };
        Ok(TagMatcher { inner })
    }

    /// Group numbers a reference resolves to (several for a duplicated name; empty when
    /// none, and for `$0`).
    pub(crate) fn resolve(&self, reference: &GroupRef) -> Vec<usize> {
        match reference {
            GroupRef::Index(i) => {
                if *i >= 1 && *i <= self.groups.len() {
                    vec![*i]
                } else {
                    Vec::new()
                }
            }
            GroupRef::Name(name) => self
                .groups
                .iter()
                .filter(|g| g.name.as_deref() == Some(name))
                .map(|g| g.index)
                .collect(),
        }
    }

    /// Why a reference to the groups `indices` can expand to `""`.
    pub(crate) fn empty_cause(&self, indices: &[usize]) -> Option<EmptyCause> {
        if !self.root.must_capture(indices) {
            let reason = indices
                .iter()
                .find_map(|&i| self.root.optional_reason(i))
                .unwrap_or(Optionality::AlternationBranch);
            return Some(EmptyCause::Unmatched(reason));
        }
        let empty = indices
            .iter()
            .any(|&i| self.root.find_capture(i).is_some_and(ast::Node::nullable));
        empty.then_some(EmptyCause::MatchesEmpty)
    }
}

/// A pattern compiled for checking many tags (see [`GoRegex::matcher`]).
pub struct TagMatcher {
    inner: MatcherKind,
}

enum MatcherKind {
    Dense(Machine),
    Lazy(hybrid::dfa::DFA),
}

impl TagMatcher {
    /// Whether Go's `FindStringSubmatchIndex` finds a match in `tag` (exact for ASCII).
    pub fn accepts(&self, tag: &str) -> bool {
        match &self.inner {
            MatcherKind::Dense(machine) => machine.accepts(tag.as_bytes()),
            MatcherKind::Lazy(dfa) => lazy_accepts(dfa, tag.as_bytes()),
        }
    }
}

impl std::fmt::Debug for TagMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            MatcherKind::Dense(_) => "dense",
            MatcherKind::Lazy(_) => "lazy",
        };
        f.debug_struct("TagMatcher").field("dfa", &kind).finish()
    }
}

/// A lazy DFA of the unanchored search: states are built only as haystacks visit them.
fn lazy_dfa(hir: &Hir, limits: &Limits) -> Result<hybrid::dfa::DFA, TooLarge> {
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .nfa_size_limit(Some(limits.nfa_size_limit))
                .which_captures(WhichCaptures::None)
                .utf8(false),
        )
        .build_from_hir(hir)
        .map_err(|e| TooLarge {
            reason: format!("pattern: NFA: {e}"),
        })?;
    hybrid::dfa::Builder::new()
        .build_from_nfa(nfa)
        .map_err(|e| TooLarge {
            reason: format!("pattern: lazy DFA: {e}"),
        })
}

/// Whether the lazy DFA finds a match anywhere in `haystack`.
fn lazy_accepts(dfa: &hybrid::dfa::DFA, haystack: &[u8]) -> bool {
    let mut cache = dfa.create_cache();
    matches!(
        dfa.try_search_fwd(&mut cache, &Input::new(haystack)),
        Ok(Some(_))
    )
}

/// Whether every match of `pattern` is anchored at the start / end of the tag.
///
/// Computed on the parse tree: every alternative must begin (end) with `^`/`\A` (`$`/`\z`),
/// looking through groups, repetitions of at least one, and zero-width items before it.
/// Under `(?m)`, `^`/`$` are line anchors and do not count (tags have no newline, but a
/// pattern written that way was not meant as anchored). A pattern Go rejects is reported as
/// not anchored.
pub fn anchoring(pattern: &str) -> Anchoring {
    check_go_syntax(pattern, GoTarget::LATEST)
        .map(|re| re.anchoring())
        .unwrap_or_default()
}

/// Whether image-reflector-controller keeps `tag`: Go's unanchored `FindStringSubmatchIndex`
/// finds a match. `false` for a pattern Go rejects, and for the few Go accepts but the
/// default [`Limits`] refuse to simulate (nested deeper than [`Limits::max_nesting`], or
/// stress patterns whose NFA exceeds [`Limits::nfa_size_limit`]); [`GoRegex::matcher`]
/// reports those as [`TooLarge`].
pub fn accepts(pattern: &str, tag: &str) -> bool {
    check_go_syntax(pattern, GoTarget::LATEST).is_ok_and(|re| re.accepts(tag))
}

/// The shortest tag both patterns keep, if any (lexicographically smallest among the
/// shortest). Decided exactly over all OCI tags: characters `[A-Za-z0-9_.-]`, first one
/// `[A-Za-z0-9_]`, at most [`MAX_TAG_LEN`] long.
///
/// Each pattern becomes a dense DFA of its unanchored search (a match anywhere in the tag);
/// the product of the two is explored breadth-first. A pattern Go rejects keeps no tag, so
/// the answer is then `Ok(None)` (report the syntax error separately).
pub fn intersect(a: &str, b: &str, limits: Limits) -> Result<Option<String>, TooLarge> {
    let (Ok(ra), Ok(rb)) = (
        check_go_syntax(a, GoTarget::LATEST),
        check_go_syntax(b, GoTarget::LATEST),
    ) else {
        return Ok(None);
    };
    automata::check_depth(&ra.root, &limits, "first pattern")?;
    automata::check_depth(&rb.root, &limits, "second pattern")?;
    let ma = Machine::build(
        &hir::to_hir(&ra.root, Mode::Pattern),
        &limits,
        "first pattern",
    )?;
    let mb = Machine::build(
        &hir::to_hir(&rb.root, Mode::Pattern),
        &limits,
        "second pattern",
    )?;
    let domain = Domain::from_mask(TAG_FIRST, TAG_CHARS, Some(MAX_TAG_LEN));
    let found = automata::shortest_common(&[&ma, &mb], &domain, &limits)?;
    Ok(found.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// The shortest tag starting with `prefix` that `pattern` keeps, if any — e.g. "a production
/// policy keeps no tag starting with `staging-`". Same tag domain and method as
/// [`intersect`], with [`Limits::default`].
pub fn accepts_prefix(pattern: &str, prefix: &str) -> Result<Option<String>, TooLarge> {
    let Ok(re) = check_go_syntax(pattern, GoTarget::LATEST) else {
        return Ok(None);
    };
    let limits = Limits::default();
    automata::check_depth(&re.root, &limits, "pattern")?;
    let mp = Machine::build(&hir::to_hir(&re.root, Mode::Pattern), &limits, "pattern")?;
    let starts = Hir::concat(vec![
        Hir::look(Look::Start),
        Hir::literal(prefix.as_bytes()),
    ]);
    let mq = Machine::build(&starts, &limits, "prefix")?;
    let domain = Domain::from_mask(TAG_FIRST, TAG_CHARS, Some(MAX_TAG_LEN));
    let found = automata::shortest_common(&[&mp, &mq], &domain, &limits)?;
    Ok(found.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Problems of an extract template against its pattern: references to groups that do not
/// exist (with the `$ts_x` → `${ts}_x` suggestion), no reference at all, references that can
/// expand to `""`. Sorted by offset in `extract`. Nothing for an empty `extract` (Flux then
/// orders whole tags) or for a pattern Go rejects (report the syntax error instead).
pub fn check_extract(pattern: &str, extract: &str) -> Vec<ExtractProblem> {
    match check_go_syntax(pattern, GoTarget::LATEST) {
        Ok(re) => template::check(&re, extract),
        Err(_) => Vec::new(),
    }
}

/// The shape of the value a policy orders: the expansion of `extract`, or the whole tag when
/// `extract` is empty (Flux treats an empty `extract` as unset). See [`ValueShape`].
pub fn value_shape(pattern: &str, extract: &str) -> ValueShape {
    shape::shape(pattern, extract)
}

/// Constructs Go and the Rust `regex` crate both accept but read differently, in pattern
/// order. Empty when either rejects the pattern.
pub fn divergences(pattern: &str) -> Vec<Divergence> {
    divergence::find(pattern)
}

#[cfg(test)]
mod tests;
