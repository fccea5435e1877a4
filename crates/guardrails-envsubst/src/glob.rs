//! The shell-pattern matcher behind `${v#p}`, `${v##p}`, `${v%p}` and `${v%%p}`.
//!
//! Flux's envsubst does not use Go's `path.Match`: it ships its own copy (`envsubst/path`,
//! taken over from drone/envsubst `path/match.go`) that differs from the standard library
//! in one way that users notice: `*` and `?` also match `/`. Flux's own test suite relies
//! on it (`${filename##*/}` of `path/to/file` is `file`). That copy is not in the stored
//! index we read, so the behaviour below follows drone/envsubst `path/match.go` (as
//! vendored by grafana/loki) together with the Flux tests that confirm it.
//!
//! Everything works on bytes, like the Go code: names are byte prefixes of the value and
//! may end in the middle of a character; `?` and classes consume one decoded character
//! (an invalid byte counts as one U+FFFD character of width 1, as Go decodes it).
//!
//! Deliberately mirrored quirks of that matcher:
//! - no backtracking across stars: after `*`, the first position where the next chunk
//!   matches is taken (unless it is the last chunk, which must consume the rest);
//! - a malformed pattern is only noticed when matching reaches the malformed part;
//! - a trailing `*` matches everything that is left, `/` included.

use crate::eval::decode_rune;

/// The pattern is malformed (an unterminated class, a dangling `\`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// Whether the whole of `name` matches `pattern`.
pub(crate) fn matches(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'chunks: while !pattern.is_empty() {
        let (star, chunk, rest) = split_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(true);
        }
        // Try the chunk right here first; only the last chunk has to exhaust the name.
        if let Some(tail) = match_chunk(chunk, name)?
            && (tail.is_empty() || !pattern.is_empty())
        {
            name = tail;
            continue;
        }
        if star {
            // The star swallows 1, 2, ... bytes: the first position that fits wins.
            for skip in 1..=name.len() {
                if let Some(tail) = match_chunk(chunk, &name[skip..])? {
                    if pattern.is_empty() && !tail.is_empty() {
                        continue;
                    }
                    name = tail;
                    continue 'chunks;
                }
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the leading stars and the star-free chunk after them.
fn split_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let stars = pattern.iter().take_while(|&&b| b == b'*').count();
    let pattern = &pattern[stars..];
    let mut in_class = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // A backslash protects the next byte from ending the chunk; a dangling one
            // is reported by `match_chunk`.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    (stars > 0, &pattern[..i], &pattern[i..])
}

/// Matches a star-free chunk against the start of `s`; returns what is left of `s`.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    while let Some(&first) = chunk.first() {
        if s.is_empty() {
            return Ok(None);
        }
        match first {
            b'[' => {
                let (c, width) = decode_rune(s);
                let c = rune_value(c);
                s = &s[width..];
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0usize;
                loop {
                    if ranges > 0 && chunk.first() == Some(&b']') {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = class_char(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = class_char(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= c && c <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    return Ok(None);
                }
            }
            b'?' => {
                let (_, width) = decode_rune(s);
                s = &s[width..];
                chunk = &chunk[1..];
            }
            _ => {
                let mut literal = first;
                if first == b'\\' {
                    chunk = &chunk[1..];
                    literal = *chunk.first().ok_or(BadPattern)?;
                }
                // Literals compare byte by byte, as in Go.
                if literal != s[0] {
                    return Ok(None);
                }
                s = &s[1..];
                chunk = &chunk[1..];
            }
        }
    }
    Ok(Some(s))
}

/// One (possibly escaped) character of a class range; the class must go on after it.
fn class_char(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        Some(_) => {}
    }
    let (c, width) = decode_rune(chunk);
    if c.is_none() && width == 1 {
        return Err(BadPattern);
    }
    let rest = &chunk[width..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((rune_value(c), rest))
}

/// Go's rune value: an undecodable byte is U+FFFD.
fn rune_value(c: Option<char>) -> u32 {
    u32::from(c.unwrap_or(char::REPLACEMENT_CHARACTER))
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(pattern: &str, name: &str) -> Result<bool, super::BadPattern> {
        matches(pattern.as_bytes(), name.as_bytes())
    }

    #[test]
    fn literals_stars_and_questions() {
        assert_eq!(m("abc", "abc"), Ok(true));
        assert_eq!(m("abc", "abd"), Ok(false));
        assert_eq!(m("a*", "abc"), Ok(true));
        assert_eq!(m("*c", "abc"), Ok(true));
        assert_eq!(m("a?c", "abc"), Ok(true));
        assert_eq!(m("a?c", "ac"), Ok(false));
        assert_eq!(m("", ""), Ok(true));
        assert_eq!(m("", "a"), Ok(false));
    }

    #[test]
    fn star_and_question_cross_slashes_unlike_go_stdlib() {
        assert_eq!(m("*/", "path/to/"), Ok(true));
        assert_eq!(m("a?b", "a/b"), Ok(true));
    }

    #[test]
    fn classes_and_escapes() {
        assert_eq!(m("[a-c]x", "bx"), Ok(true));
        assert_eq!(m("[^a-c]x", "bx"), Ok(false));
        assert_eq!(m("[^a-c]x", "dx"), Ok(true));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("\\*", "a"), Ok(false));
        assert_eq!(m("[é]", "é"), Ok(true));
    }

    #[test]
    fn malformed_patterns_fail_only_when_reached() {
        assert_eq!(m("a[", "ab"), Err(super::BadPattern));
        // The literal mismatch comes first, so the broken class is never read.
        assert_eq!(m("x[", "ab"), Ok(false));
        assert_eq!(m("a\\", "ab"), Err(super::BadPattern));
        assert_eq!(m("[]", "a"), Err(super::BadPattern));
    }
}
