//! `spec.filterTags.extract`: Go's `Regexp.ExpandString` template language.
//!
//! image-reflector-controller (internal/policy/filter.go) runs
//! `re.ExpandString(nil, extract, tag, re.FindStringSubmatchIndex(tag))` when `extract` is
//! not empty. Go's rules (regexp/regexp.go `expand` and `extract`):
//! - `$$` is a literal `$`;
//! - `$name` takes the **longest** run of letters, digits and `_` — `$ts_x` names `ts_x`,
//!   `$1x` names `1x`; `${name}` delimits it;
//! - a name made of digits only (no leading zero, below 10^8) is a group number, `$0` the
//!   whole match;
//! - a group that does not exist, or did not participate in the match, expands to `""`
//!   (for a duplicated name, the first group of that name that participated);
//! - a `$` not followed by a valid name (or `${` without `}`) is kept literally.

use crate::GoRegex;
use crate::ast::Optionality;

/// What a `$…` reference names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupRef {
    /// A group number (`$1`, `${2}`); 0 is the whole match.
    Index(usize),
    /// A group name (`$ts`, `${ts}`), possibly digit-led (`$01` is the name `01`).
    Name(String),
}

impl std::fmt::Display for GroupRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupRef::Index(i) => write!(f, "{i}"),
            GroupRef::Name(n) => f.write_str(n),
        }
    }
}

/// One piece of an extract template. Offsets are bytes into the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePiece {
    /// Text copied as is (`$$` already turned into `$`).
    Literal {
        /// The expanded text.
        text: String,
        /// Offset of the piece in the template.
        offset: usize,
        /// Length of the piece in the template (may differ from `text.len()` for `$$`).
        len: usize,
    },
    /// A `$name`/`${name}` reference.
    Group {
        /// What it names.
        reference: GroupRef,
        /// Whether it was written `${…}`.
        braced: bool,
        /// Offset of the `$`.
        offset: usize,
        /// Length up to the end of the name or the `}`.
        len: usize,
    },
}

/// Go's `extract`: the name after a `$` (already removed). Returns (name, number, braced,
/// bytes consumed) or `None` when the `$` is literal.
fn extract_name(s: &str) -> Option<(&str, Option<usize>, bool, usize)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    // Go: unicode.IsLetter || unicode.IsDigit || '_'. Rust's `is_alphabetic`/`is_numeric`
    // are the same on ASCII and close elsewhere; templates are ASCII in practice.
    let len: usize = body
        .chars()
        .take_while(|c| c.is_alphabetic() || c.is_numeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let mut consumed = len + usize::from(braced);
    if braced {
        if !body[len..].starts_with('}') {
            return None;
        }
        consumed += 1;
    }
    let mut num: Option<usize> = Some(0);
    for b in name.bytes() {
        num = match num {
            Some(n) if b.is_ascii_digit() && n < 100_000_000 => {
                Some(n * 10 + usize::from(b - b'0'))
            }
            _ => None,
        };
        if num.is_none() {
            break;
        }
    }
    if name.len() > 1 && name.starts_with('0') {
        num = None;
    }
    Some((name, num, braced, consumed))
}

/// Split an extract template into literal text and group references, as Go expands it.
pub fn parse_template(extract: &str) -> Vec<TemplatePiece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut text_start = 0;
    let mut t = 0;
    let flush = |pieces: &mut Vec<TemplatePiece>, text: &mut String, start: usize, end: usize| {
        if end > start {
            pieces.push(TemplatePiece::Literal {
                text: std::mem::take(text),
                offset: start,
                len: end - start,
            });
        }
    };
    while let Some(i) = extract[t..].find('$') {
        let dollar = t + i;
        text.push_str(&extract[t..dollar]);
        t = dollar + 1;
        if extract[t..].starts_with('$') {
            text.push('$');
            t += 1;
            continue;
        }
        match extract_name(&extract[t..]) {
            None => {
                // Malformed: the `$` is raw text and scanning resumes after it.
                text.push('$');
            }
            Some((name, num, braced, consumed)) => {
                flush(&mut pieces, &mut text, text_start, dollar);
                let reference = match num {
                    Some(n) => GroupRef::Index(n),
                    None => GroupRef::Name(name.to_owned()),
                };
                pieces.push(TemplatePiece::Group {
                    reference,
                    braced,
                    offset: dollar,
                    len: 1 + consumed,
                });
                t += consumed;
                text_start = t;
            }
        }
    }
    text.push_str(&extract[t..]);
    flush(&mut pieces, &mut text, text_start, extract.len());
    pieces
}

/// Why an extracted reference can expand to the empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyCause {
    /// The group may not participate in a match.
    Unmatched(Optionality),
    /// The group always participates but its sub-pattern can match the empty string.
    MatchesEmpty,
}

/// What is wrong with an extract template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractProblemKind {
    /// The reference names no group of the pattern: it always expands to `""`.
    UnknownGroup {
        /// The reference as Go reads it.
        reference: GroupRef,
        /// Set when the reference is unbraced and a prefix of it names a group — Go's
        /// longest-run rule swallowed the following characters (`$ts_x` looks up `ts_x`).
        /// The template text to write instead, e.g. `${ts}_x`.
        suggestion: Option<String>,
    },
    /// The template references no group at all: every tag yields the same value, and
    /// image-reflector-controller keeps one tag per value, so all tags collapse into one.
    NoReference,
    /// The reference can expand to `""` (numerical policies then fail on `ParseFloat("")`,
    /// and all such tags collapse).
    MayBeEmpty {
        /// The reference.
        reference: GroupRef,
        /// Why.
        cause: EmptyCause,
    },
}

/// A problem at `offset..offset + len` (bytes) of the extract template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractProblem {
    /// What.
    pub kind: ExtractProblemKind,
    /// Byte offset in the template.
    pub offset: usize,
    /// Byte length in the template.
    pub len: usize,
}

pub(crate) fn check(re: &GoRegex, extract: &str) -> Vec<ExtractProblem> {
    if extract.is_empty() {
        return Vec::new();
    }
    let pieces = parse_template(extract);
    let mut problems = Vec::new();
    if !pieces
        .iter()
        .any(|p| matches!(p, TemplatePiece::Group { .. }))
    {
        problems.push(ExtractProblem {
            kind: ExtractProblemKind::NoReference,
            offset: 0,
            len: extract.len(),
        });
    }
    for piece in &pieces {
        let TemplatePiece::Group {
            reference,
            braced,
            offset,
            len,
        } = piece
        else {
            continue;
        };
        if *reference == GroupRef::Index(0) {
            // The whole match: always present when the tag was kept.
            continue;
        }
        let indices = re.resolve(reference);
        if indices.is_empty() {
            let suggestion = if *braced {
                None
            } else {
                suggest(re, &extract[offset + 1..offset + len])
            };
            problems.push(ExtractProblem {
                kind: ExtractProblemKind::UnknownGroup {
                    reference: reference.clone(),
                    suggestion,
                },
                offset: *offset,
                len: *len,
            });
            continue;
        }
        if let Some(cause) = re.empty_cause(&indices) {
            problems.push(ExtractProblem {
                kind: ExtractProblemKind::MayBeEmpty {
                    reference: reference.clone(),
                    cause,
                },
                offset: *offset,
                len: *len,
            });
        }
    }
    problems
}

/// For an unbraced `$name` that names nothing: the longest proper prefix of `name` that
/// names a group (by name or number), as `${prefix}rest`.
fn suggest(re: &GoRegex, written: &str) -> Option<String> {
    (1..written.len())
        .rev()
        .filter(|&cut| written.is_char_boundary(cut))
        .find(|&cut| {
            let prefix = &written[..cut];
            let as_ref = match extract_name(prefix) {
                Some((_, Some(n), _, _)) => GroupRef::Index(n),
                _ => GroupRef::Name(prefix.to_owned()),
            };
            as_ref == GroupRef::Index(0) || !re.resolve(&as_ref).is_empty()
        })
        .map(|cut| format!("${{{}}}{}", &written[..cut], &written[cut..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str, offset: usize, len: usize) -> TemplatePiece {
        TemplatePiece::Literal {
            text: text.to_owned(),
            offset,
            len,
        }
    }

    fn named(name: &str, braced: bool, offset: usize, len: usize) -> TemplatePiece {
        TemplatePiece::Group {
            reference: GroupRef::Name(name.to_owned()),
            braced,
            offset,
            len,
        }
    }

    #[test]
    fn go_expand_rules() {
        assert_eq!(parse_template("$ts"), vec![named("ts", false, 0, 3)]);
        assert_eq!(parse_template("$ts_x"), vec![named("ts_x", false, 0, 5)]);
        assert_eq!(
            parse_template("${ts}_x"),
            vec![named("ts", true, 0, 5), lit("_x", 5, 2)]
        );
        assert_eq!(
            parse_template("a$$b"),
            vec![lit("a$b", 0, 4)],
            "$$ is a literal dollar"
        );
        assert_eq!(parse_template("cost: $"), vec![lit("cost: $", 0, 7)]);
        assert_eq!(parse_template("${ts"), vec![lit("${ts", 0, 4)]);
        assert_eq!(parse_template("$-x"), vec![lit("$-x", 0, 3)]);
        assert_eq!(
            parse_template("$1x"),
            vec![named("1x", false, 0, 3)],
            "digits then letters are a name"
        );
        assert_eq!(
            parse_template("v$1.$2"),
            vec![
                lit("v", 0, 1),
                TemplatePiece::Group {
                    reference: GroupRef::Index(1),
                    braced: false,
                    offset: 1,
                    len: 2
                },
                lit(".", 3, 1),
                TemplatePiece::Group {
                    reference: GroupRef::Index(2),
                    braced: false,
                    offset: 4,
                    len: 2
                },
            ]
        );
        assert_eq!(
            parse_template("$01"),
            vec![named("01", false, 0, 3)],
            "leading zero: a name"
        );
        assert_eq!(
            parse_template("$123456789"),
            vec![TemplatePiece::Group {
                reference: GroupRef::Index(123_456_789),
                braced: false,
                offset: 0,
                len: 10
            }],
        );
        assert_eq!(
            parse_template("$1234567890"),
            vec![named("1234567890", false, 0, 11)],
            "Go stops counting once the number reaches 10^8: a name"
        );
        assert_eq!(parse_template(""), vec![]);
    }
}
