//! Evaluation of parsed expressions, mirroring fluxcd/pkg `envsubst/template.go` (how a
//! node is evaluated, the strict-mode check) and `envsubst/funcs.go` (what each operator
//! does to the value).
//!
//! Values are handled as bytes because Go strings are bytes: `${#v}` counts bytes,
//! `${v:n:len}` and the prefix trims slice bytes and may split a character. Whether the
//! final text is still UTF-8 is checked by the caller (Flux's YAML decoding rejects
//! invalid UTF-8, so that is a failure too).

use crate::glob;
use crate::parse::{Arg, Node};
use crate::{SubstError, SubstErrorKind};

/// How variables are looked up, and what is missing.
pub(crate) struct Env<'a> {
    pub vars: &'a dyn Fn(&str) -> Option<String>,
    pub strict: bool,
}

/// Evaluates one expression node; `None` when it (or an argument) failed, with the
/// reasons appended to `problems`.
///
/// Mirrors `Template.evalFunc`: all arguments are evaluated first, *before* the variable
/// itself is looked at, so `${a:=${b}}` fails in strict mode when `b` is unset even if
/// `a` is set. Unlike Go, which stops at the first error, every failing argument is
/// recorded so that one run reports everything.
pub(crate) fn eval(node: &Node, env: &Env<'_>, problems: &mut Vec<SubstError>) -> Option<Vec<u8>> {
    let mut args: Vec<Vec<u8>> = Vec::with_capacity(node.args.len());
    let mut failed = false;
    for arg in &node.args {
        match arg {
            Arg::Text(text) => args.push(text.as_bytes().to_vec()),
            Arg::Expr(inner) => match eval(inner, env, problems) {
                Some(value) => args.push(value),
                None => failed = true,
            },
        }
    }

    // kustomize_varsub.go's mapping: in strict mode a missing key is "not set"; otherwise
    // every name exists and a missing one reads as "".
    let (value, exists) = match (env.vars)(&node.name) {
        Some(value) => (value.into_bytes(), true),
        None => (Vec::new(), !env.strict),
    };
    // The strict check spares only the operators whose contract is the unset case
    // (fluxcd/pkg#1167, the fix for fluxcd/flux2#5836); before it, only a bare `${v}`
    // failed and `${#v}` or `${v^^}` of an unset variable silently became "0" or "".
    if !exists && !is_default_op(&node.op) {
        problems.push(SubstError {
            kind: SubstErrorKind::Undefined {
                name: node.name.clone(),
            },
            offset: node.offset,
            len: node.len,
        });
        failed = true;
    }
    if failed {
        return None;
    }
    Some(apply(&node.op, value, &args))
}

/// `isDefaultOp` of template.go: operators excluded from the strict-mode check.
pub(crate) fn is_default_op(op: &str) -> bool {
    matches!(op, "-" | "+" | "=" | "?" | ":-" | ":+" | ":=" | ":?")
}

/// `lookupFunc` of template.go, applied. Anything it does not know (`=`, `:=`, `:-`, and
/// also `:+`, `:?` and mixed casing like `^,`) falls back to "value, or the joined
/// arguments when the value is empty". That fallback is why `${v=d}` behaves like
/// `${v:=d}` (an empty but set value is replaced too, unlike in a shell) and why `:+` and
/// `:?` act like `:-` (fluxcd/pkg#911).
fn apply(op: &str, value: Vec<u8>, args: &[Vec<u8>]) -> Vec<u8> {
    match op {
        "," => map_first(&value, to_lower),
        ",," => map_all(&value, to_lower),
        "^" => map_first(&value, to_upper),
        "^^" => map_all(&value, to_upper),
        "#" => match args.first() {
            // `${#v}` and `${v#p}` share the name "#"; the argument count tells them apart.
            None => value.len().to_string().into_bytes(),
            Some(pattern) => trim_shortest(&value, pattern),
        },
        "##" => match args.first() {
            Some(pattern) => trim_longest(&value, pattern),
            None => value,
        },
        "%" => match args.first() {
            Some(pattern) => on_reversed(&value, pattern, trim_shortest),
            None => value,
        },
        "%%" => match args.first() {
            Some(pattern) => on_reversed(&value, pattern, trim_longest),
            None => value,
        },
        ":" => substring(&value, args),
        "/#" => match args {
            [pattern, replacement] if value.starts_with(pattern) => {
                let mut out = replacement.clone();
                out.extend_from_slice(&value[pattern.len()..]);
                out
            }
            _ => value,
        },
        "/%" => match args {
            [pattern, replacement] if value.ends_with(pattern) => {
                let mut out = value[..value.len() - pattern.len()].to_vec();
                out.extend_from_slice(replacement);
                out
            }
            _ => value,
        },
        "/" => replace(&value, args, Some(1)),
        "//" => replace(&value, args, None),
        _ => {
            if value.is_empty() && !args.is_empty() {
                args.concat()
            } else {
                value
            }
        }
    }
}

/// `replaceFirst` / `replaceAll`: a missing replacement deletes the matches.
fn replace(value: &[u8], args: &[Vec<u8>], limit: Option<usize>) -> Vec<u8> {
    match args {
        [] => value.to_vec(),
        [pattern] => go_replace(value, pattern, b"", limit),
        [pattern, replacement, ..] => go_replace(value, pattern, replacement, limit),
    }
}

/// Go's `strings.Replace`, including its rule for an empty pattern: it matches at the
/// start and after every character (`${v//x}` needs a non-empty pattern to parse, but
/// `${v///x}` has an empty one and puts `x` between all characters).
fn go_replace(s: &[u8], old: &[u8], new: &[u8], limit: Option<usize>) -> Vec<u8> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(s.len());
    let mut done = 0usize;
    let mut i = 0usize;
    if old.is_empty() {
        while done < limit {
            out.extend_from_slice(new);
            done += 1;
            if i >= s.len() {
                break;
            }
            let (_, width) = decode_rune(&s[i..]);
            out.extend_from_slice(&s[i..i + width]);
            i += width;
        }
        out.extend_from_slice(&s[i..]);
        return out;
    }
    while done < limit {
        let Some(found) = find(&s[i..], old) else {
            break;
        };
        out.extend_from_slice(&s[i..i + found]);
        out.extend_from_slice(new);
        i += found + old.len();
        done += 1;
    }
    out.extend_from_slice(&s[i..]);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `toSubstr`: byte positions, numbers parsed like Go's `strconv.Atoi` (an optional sign,
/// decimal digits, nothing else); an unparsable position or length returns the value
/// unchanged, as bash does. A negative position counts from the end; a negative length
/// (newer fluxcd/pkg, which no longer panics on it) stops that many bytes before the end.
fn substring(value: &[u8], args: &[Vec<u8>]) -> Vec<u8> {
    let Some(first) = args.first() else {
        return value.to_vec();
    };
    let Some(pos) = atoi(first) else {
        return value.to_vec();
    };
    // i128 keeps Go's int arithmetic free of overflow for any i64 input.
    let len = value.len() as i128;
    let mut pos = i128::from(pos);
    if pos < 0 {
        pos = (len + pos).max(0);
    }
    let tail = |from: i128| -> Vec<u8> {
        if from < len {
            value[usize::try_from(from).unwrap_or(0)..].to_vec()
        } else {
            Vec::new()
        }
    };
    let Some(second) = args.get(1) else {
        return tail(pos);
    };
    let Some(length) = atoi(second) else {
        return value.to_vec();
    };
    let length = i128::from(length);
    let (from, to) = if length < 0 {
        let end = len + length;
        if end < pos {
            return Vec::new();
        }
        (pos, end)
    } else if pos + length >= len {
        return tail(pos);
    } else {
        (pos, pos + length)
    };
    let from = usize::try_from(from).unwrap_or(0);
    let to = usize::try_from(to).unwrap_or(0);
    value.get(from..to).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Go's `strconv.Atoi` for 64-bit ints: `[+-]?[0-9]+` within range. Rust's `i64` parser
/// accepts exactly that language.
fn atoi(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// `trimShortest`: the shortest non-empty byte prefix matching the pattern is removed.
/// Prefixes are tried from the longest down to one byte; the empty prefix is never tried,
/// so `${v#*}` removes the first byte (bash would remove nothing). A malformed pattern
/// leaves the value alone.
fn trim_shortest(s: &[u8], pattern: &[u8]) -> Vec<u8> {
    let mut shortest = None;
    for end in (1..=s.len()).rev() {
        match glob::matches(pattern, &s[..end]) {
            Err(_) => return s.to_vec(),
            Ok(true) => shortest = Some(end),
            Ok(false) => {}
        }
    }
    match shortest {
        Some(end) => s[end..].to_vec(),
        None => s.to_vec(),
    }
}

/// `trimLongest`: the longest non-empty byte prefix matching the pattern is removed.
fn trim_longest(s: &[u8], pattern: &[u8]) -> Vec<u8> {
    for end in (1..=s.len()).rev() {
        match glob::matches(pattern, &s[..end]) {
            Err(_) => return s.to_vec(),
            Ok(true) => return s[end..].to_vec(),
            Ok(false) => {}
        }
    }
    s.to_vec()
}

/// Suffix trims are prefix trims of the reversed value with the reversed *pattern*, as in
/// funcs.go. Reversing a pattern breaks classes and escapes (`%[ab]` becomes `]ba[`,
/// which is malformed, so the value stays as it is); that quirk is kept on purpose.
fn on_reversed(s: &[u8], pattern: &[u8], trim: fn(&[u8], &[u8]) -> Vec<u8>) -> Vec<u8> {
    let reversed = reverse_runes(s);
    let pattern = reverse_runes(pattern);
    reverse_runes(&trim(&reversed, &pattern))
}

/// Go's `reverse`: characters (not bytes) reversed; undecodable bytes become U+FFFD.
fn reverse_runes(s: &[u8]) -> Vec<u8> {
    let mut chars = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let (c, width) = decode_rune(&s[i..]);
        chars.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        i += width;
    }
    chars.iter().rev().collect::<String>().into_bytes()
}

/// `toUpperFirst` / `toLowerFirst`: only the first character is mapped; the rest is kept
/// byte for byte.
fn map_first(s: &[u8], map: fn(char) -> char) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    let (c, width) = decode_rune(s);
    let mut out = String::new();
    out.push(map(c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    let mut out = out.into_bytes();
    out.extend_from_slice(&s[width..]);
    out
}

/// `strings.ToUpper` / `strings.ToLower`: every character mapped on its own (no
/// context-dependent rules such as the Greek final sigma), undecodable bytes become
/// U+FFFD.
fn map_all(s: &[u8], map: fn(char) -> char) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let (c, width) = decode_rune(&s[i..]);
        out.push(map(c.unwrap_or(char::REPLACEMENT_CHARACTER)));
        i += width;
    }
    out.into_bytes()
}

/// Go's `unicode.ToUpper` uses the simple (one-to-one) case mapping. Rust only offers the
/// full mapping; where that yields several characters (`ß` → `SS`) the simple mapping
/// keeps the character, which is what we do. Known gap: the Greek letters with
/// ypogegrammeni, whose simple uppercase is a titlecase letter, stay unchanged here.
fn to_upper(c: char) -> char {
    single(c.to_uppercase()).unwrap_or(c)
}

/// Go's `unicode.ToLower` (simple mapping). The only character whose full lowercase has
/// several characters is U+0130 (`İ`), whose simple lowercase is `i`.
fn to_lower(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    single(c.to_lowercase()).unwrap_or(c)
}

fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

/// Go's `utf8.DecodeRune`: the character at the start of `s` and its width; an invalid
/// or truncated sequence is `(None, 1)` (Go's `RuneError`, width 1). Empty input gives
/// `(None, 0)`.
pub(crate) fn decode_rune(s: &[u8]) -> (Option<char>, usize) {
    let Some(&lead) = s.first() else {
        return (None, 0);
    };
    let width = match lead {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (None, 1),
    };
    // `from_utf8` rejects overlong forms and surrogates exactly like Go's decoder.
    match s.get(..width).map(std::str::from_utf8) {
        Some(Ok(text)) => (text.chars().next(), width),
        _ => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_rune, go_replace, substring, trim_longest, trim_shortest};

    #[test]
    fn decode_like_go() {
        assert_eq!(decode_rune(b"a"), (Some('a'), 1));
        assert_eq!(decode_rune("é".as_bytes()), (Some('é'), 2));
        assert_eq!(decode_rune(&[0xC3]), (None, 1));
        assert_eq!(decode_rune(&[0xC0, 0x80]), (None, 1));
        assert_eq!(decode_rune(&[0xED, 0xA0, 0x80]), (None, 1));
        assert_eq!(decode_rune(b""), (None, 0));
    }

    #[test]
    fn replace_with_empty_pattern_inserts_between_characters() {
        assert_eq!(go_replace(b"abc", b"", b"x", None), b"xaxbxcx");
        assert_eq!(go_replace(b"abc", b"", b"x", Some(1)), b"xabc");
        assert_eq!(
            go_replace("é".as_bytes(), b"", b"x", None),
            "xéx".as_bytes()
        );
        assert_eq!(go_replace(b"aaa", b"a", b"b", Some(2)), b"bba");
    }

    #[test]
    fn substring_edges() {
        let s = b"abcdef";
        let arg = |x: &str| x.as_bytes().to_vec();
        assert_eq!(substring(s, &[arg("2")]), b"cdef");
        assert_eq!(substring(s, &[arg("-2")]), b"ef");
        assert_eq!(substring(s, &[arg("-20")]), b"abcdef");
        assert_eq!(substring(s, &[arg("6")]), b"");
        assert_eq!(substring(s, &[arg("1"), arg("2")]), b"bc");
        assert_eq!(substring(s, &[arg("1"), arg("-1")]), b"bcde");
        assert_eq!(substring(s, &[arg("4"), arg("-3")]), b"");
        assert_eq!(substring(s, &[arg("4"), arg("99")]), b"ef");
        assert_eq!(substring(s, &[arg("+1"), arg("2")]), b"bc");
        assert_eq!(substring(s, &[arg(" 1")]), b"abcdef");
        assert_eq!(substring(s, &[arg("1"), arg("x")]), b"abcdef");
    }

    #[test]
    fn trims_on_bytes() {
        assert_eq!(trim_shortest(b"abc", b"*"), b"bc");
        assert_eq!(trim_longest(b"abc", b"*"), b"");
        assert_eq!(trim_shortest(b"", b"*"), b"");
        assert_eq!(trim_shortest(b"abc", b"[a"), b"abc");
    }
}
