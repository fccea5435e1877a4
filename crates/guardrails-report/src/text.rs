//! Text helpers: byte offsets to line/column, and terminal-safe names.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A one-based line and column (columns count characters, as editors and GitHub do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The position of byte `offset` in `text`; offsets past the end clamp to the end.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// Makes text that came from a repository (branch names, ref names, file names) safe to
/// print: control characters, including ESC that starts terminal escape sequences, are shown
/// as `\u{..}` escapes instead of being interpreted by the terminal.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Makes text that came from a repository safe to print as part of a message, a help or a
/// source snippet: like [`sanitize`], but line breaks and tabs stay (messages and files
/// have lines). ESC, BEL, CR, the other C0/C1 controls and bidirectional overrides are
/// shown as `\u{..}` escapes, so nothing in a repository can drive the terminal.
pub fn escape_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(escaped_in_text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped_in_text(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escaped_in_text(c: char) -> bool {
    needs_escape(c) && !matches!(c, '\n' | '\t')
}

/// [`escape_terminal`] for a source text that spans point into: the escaped text, and a
/// map from byte offsets of the original to offsets of the escaped one.
pub struct EscapedSource {
    pub text: String,
    /// `(original offset of an escaped char, bytes added up to and including it)`.
    shifts: Vec<(usize, usize)>,
}

impl EscapedSource {
    pub fn new(text: &str) -> EscapedSource {
        let mut out = String::with_capacity(text.len());
        let mut shifts = Vec::new();
        let mut added = 0;
        for (offset, c) in text.char_indices() {
            if escaped_in_text(c) {
                let before = out.len();
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
                added += out.len() - before - c.len_utf8();
                shifts.push((offset, added));
            } else {
                out.push(c);
            }
        }
        EscapedSource { text: out, shifts }
    }

    /// Where byte `offset` of the original text is in the escaped text.
    pub fn offset(&self, offset: usize) -> usize {
        let before = self.shifts.partition_point(|&(at, _)| at < offset);
        offset + before.checked_sub(1).map_or(0, |i| self.shifts[i].1)
    }
}

fn needs_escape(c: char) -> bool {
    // Bidirectional overrides can reorder what a reviewer sees, so they are escaped too.
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "a: 1\nbé: x\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        // "bé: " is 5 bytes but 4 characters.
        assert_eq!(
            Location::of_offset(text, 10),
            Location { line: 2, column: 5 }
        );
        assert_eq!(Location::of_offset(text, 999).line, 3);
    }

    #[test]
    fn escaped_sources_keep_lines_and_move_offsets_past_escapes() {
        let text = "a: \u{1b}]0;x\u{7}\nb: 1\n";
        let escaped = EscapedSource::new(text);
        assert_eq!(escaped.text, "a: \\u{1b}]0;x\\u{7}\nb: 1\n");
        assert_eq!(escape_terminal(text), escaped.text);
        let b = text.find('b').unwrap();
        assert_eq!(&escaped.text[escaped.offset(b)..escaped.offset(b) + 1], "b");
        assert_eq!(escaped.offset(0), 0);
        assert_eq!(escaped.offset(3), 3);
        assert_eq!(escaped.offset(4), 9);
    }

    #[test]
    fn sanitize_escapes_terminal_sequences() {
        assert_eq!(sanitize("main"), "main");
        assert_eq!(sanitize("ma\u{1b}[31min"), "ma\\u{1b}[31min");
        assert_eq!(sanitize("a\u{202e}b"), "a\\u{202e}b");
    }
}
