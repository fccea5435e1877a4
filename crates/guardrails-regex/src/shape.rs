//! What the value an ImagePolicy orders can look like.
//!
//! image-reflector-controller orders, per tag kept by the filter, either the whole tag (no
//! `extract`) or `ExpandString(extract)`. The value language is computed, not guessed:
//! - whole tag: the tags (OCI characters, first character `\w`) in which the pattern finds a
//!   match;
//! - extract: the concatenation of the template's literal text and, per reference, the
//!   language of the referenced group's sub-pattern (plus `""` when the group may not
//!   participate; `""` for a group that does not exist).
//!
//! The group languages over-approximate what a group can capture: its sub-pattern alone,
//! assertions inside it dropped, characters restricted to tag characters. Context outside the
//! group (what precedes and follows it in the pattern, leftmost-first preferences) can only
//! shrink the real set, so "never" answers are exact and "possible" answers come with an
//! example of the over-approximation.

use regex_syntax::hir::Hir;

use crate::automata::{self, Domain, Limits, Machine, TooLarge};
use crate::charset::{TAG_CHARS, TAG_FIRST};
use crate::hir::{self, Mode};
use crate::template::{TemplatePiece, parse_template};
use crate::{GoRegex, GoTarget, check_go_syntax};

/// Where the ordered value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSource {
    /// No `extract`: policies order whole tags.
    WholeTag,
    /// `extract` is set: policies order its expansion.
    Extract,
}

/// Whether a value with some property can occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Possibility {
    /// No value has it — decided exactly on the (over-approximated) value language.
    Never,
    /// Some value has it; `example` is the shortest such value.
    Possible {
        /// The shortest value with the property (lexicographically smallest among those).
        example: String,
    },
    /// Not decided (the pattern is not valid Go RE2, or an automaton was too large).
    Unknown {
        /// Why.
        reason: String,
    },
}

impl Possibility {
    /// `true` for [`Possibility::Possible`].
    pub fn is_possible(&self) -> bool {
        matches!(self, Possibility::Possible { .. })
    }
}

/// The most digits a value can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigitBound {
    /// At most this many ASCII digits.
    Bounded(usize),
    /// The pattern allows arbitrarily many (a tag still has at most 128 characters).
    Unbounded,
    /// Not decided.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// The shape of the value a policy orders.
///
/// Numerical policies call `strconv.ParseFloat(value, 64)`: one unparsable value fails the
/// whole policy. ParseFloat also takes `1e3`, `inf`, `+5`, `0x1p3` or `1_000`, but a value
/// made only of digits is the safe requirement, hence [`ValueShape::non_digit`]. Values of
/// more than 15 digits lose precision in a float64 ([`ValueShape::max_digits`]). Semver
/// policies silently skip values `fluxcd/pkg/version.ParseVersion` refuses
/// ([`ValueShape::semver`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueShape {
    /// Whole tag or extract expansion.
    pub source: ValueSource,
    /// Can a value contain a character other than `0-9`?
    pub non_digit: Possibility,
    /// Can a value be the empty string?
    pub empty: Possibility,
    /// How many digits a value can hold (all digits of the value, wherever they are).
    pub max_digits: DigitBound,
    /// Can a value be a three-part version? Decided against
    /// `^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]*)?(\+[0-9A-Za-z.-]*)?$`, an
    /// over-approximation of `ParseVersion` (= Masterminds `StrictNewVersion` after one
    /// leading `v` is trimmed: exactly three dot-separated numeric parts, then optional
    /// `-prerelease` and `+metadata`): it ignores the leading-zero, empty-identifier and
    /// uint64-overflow rules, so [`Possibility::Never`] is definitive while an example may
    /// still be refused by Flux.
    pub semver: Possibility,
}

/// The over-approximated semver shape (see [`ValueShape::semver`]).
const SEMVER_SHAPE: &str = r"^v?[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]*)?(?:\+[0-9A-Za-z.-]*)?$";

fn unknown(reason: impl Into<String>) -> ValueShape {
    let reason = reason.into();
    ValueShape {
        source: ValueSource::WholeTag,
        non_digit: Possibility::Unknown {
            reason: reason.clone(),
        },
        empty: Possibility::Unknown {
            reason: reason.clone(),
        },
        max_digits: DigitBound::Unknown {
            reason: reason.clone(),
        },
        semver: Possibility::Unknown { reason },
    }
}

fn possibility(found: Result<Option<Vec<u8>>, TooLarge>) -> Possibility {
    match found {
        Ok(Some(bytes)) => Possibility::Possible {
            example: String::from_utf8_lossy(&bytes).into_owned(),
        },
        Ok(None) => Possibility::Never,
        Err(e) => Possibility::Unknown {
            reason: e.to_string(),
        },
    }
}

/// The language of the extract expansion (see the module documentation).
fn extract_language(re: &GoRegex, extract: &str) -> Hir {
    let mut parts = Vec::new();
    for piece in parse_template(extract) {
        match piece {
            TemplatePiece::Literal { text, .. } => parts.push(Hir::literal(text.into_bytes())),
            TemplatePiece::Group { reference, .. } => {
                if reference == crate::GroupRef::Index(0) {
                    parts.push(hir::to_hir(&re.root, Mode::Captured));
                    continue;
                }
                let indices = re.resolve(&reference);
                let mut alternatives: Vec<Hir> = indices
                    .iter()
                    .filter_map(|&i| re.root.find_capture(i))
                    .map(|sub| hir::to_hir(sub, Mode::Captured))
                    .collect();
                if indices.is_empty() || !re.root.must_capture(&indices) {
                    alternatives.push(Hir::empty());
                }
                parts.push(Hir::alternation(alternatives));
            }
        }
    }
    hir::full_match(Hir::concat(parts))
}

pub(crate) fn shape(pattern: &str, extract: &str) -> ValueShape {
    let limits = Limits::default();
    let re = match check_go_syntax(pattern, GoTarget::LATEST) {
        Ok(re) => re,
        Err(e) => return unknown(e.to_string()),
    };
    let semver_hir = match check_go_syntax(SEMVER_SHAPE, GoTarget::LATEST) {
        Ok(s) => hir::to_hir(&s.root, Mode::Pattern),
        Err(e) => return unknown(e.to_string()),
    };
    if let Err(e) = automata::check_depth(&re.root, &limits, "pattern") {
        let mut out = unknown(e.reason);
        out.source = if extract.is_empty() {
            ValueSource::WholeTag
        } else {
            ValueSource::Extract
        };
        return out;
    }
    let (source, value_hir, domain) = if extract.is_empty() {
        (
            ValueSource::WholeTag,
            hir::to_hir(&re.root, Mode::Pattern),
            Domain::from_mask(TAG_FIRST, TAG_CHARS, Some(crate::MAX_TAG_LEN)),
        )
    } else {
        (
            ValueSource::Extract,
            extract_language(&re, extract),
            Domain::all_bytes(),
        )
    };
    let machines = Machine::build(&value_hir, &limits, "value language").and_then(|value| {
        let non_digit = Machine::build(&hir::non_digit(), &limits, "non-digit")?;
        let semver = Machine::build(&semver_hir, &limits, "semver shape")?;
        Ok((value, non_digit, semver))
    });
    let (value, non_digit, semver) = match machines {
        Ok(m) => m,
        Err(e) => {
            let mut out = unknown(e.reason);
            out.source = source;
            return out;
        }
    };
    let empty = match source {
        // Tags are never empty.
        ValueSource::WholeTag => Possibility::Never,
        ValueSource::Extract => {
            if automata::accepts_empty(&[&value]) {
                Possibility::Possible {
                    example: String::new(),
                }
            } else {
                Possibility::Never
            }
        }
    };
    let max_digits = match automata::max_digits(&[&value], &domain, &limits) {
        Ok(Some(n)) => DigitBound::Bounded(n),
        Ok(None) => DigitBound::Unbounded,
        Err(e) => DigitBound::Unknown {
            reason: e.to_string(),
        },
    };
    ValueShape {
        source,
        non_digit: possibility(automata::shortest_common(
            &[&value, &non_digit],
            &domain,
            &limits,
        )),
        empty,
        max_digits,
        semver: possibility(automata::shortest_common(
            &[&value, &semver],
            &domain,
            &limits,
        )),
    }
}
