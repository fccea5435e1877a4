//! Anchor and alias names as Go's YAML scanner reads them.
//!
//! kustomize and the Flux controllers decode YAML with go-yaml, whose scanner
//! (`yaml_parser_scan_anchor` in go-yaml's `scannerc.go`) ends a name at the first
//! character that is not a letter, a digit, `_` or `-`. YAML 1.2 lets a name hold `:`, so
//! a spec-conforming parser reads the common `*app:` key (an alias used as a mapping key)
//! as the alias `app:` and fails on an unknown anchor, while every Flux controller reads
//! the alias `app` followed by `:`. Where the spec reading fails that way, the text is
//! parsed again with a space after each such name, and positions are mapped back.

use crate::{Node, Span, Value};

/// The text with a space inserted where Go's scanner ends a name before `:`.
pub(crate) struct Split {
    pub text: String,
    /// Byte offsets, in `text`, of the inserted spaces, ascending, with their 1-based
    /// line and column there.
    inserted: Vec<(usize, usize, usize)>,
}

/// `None` when no anchor or alias name runs into a `:`.
pub(crate) fn split(text: &str) -> Option<Split> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut inserted = Vec::new();
    let mut line = 1;
    let mut line_start = 0;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'\n' {
            line += 1;
            line_start = i + 1;
        }
        let token_start =
            i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',');
        if (byte == b'*' || byte == b'&') && token_start {
            let name_end = bytes[i + 1..]
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
                .map_or(bytes.len(), |n| i + 1 + n);
            if name_end > i + 1 && bytes.get(name_end) == Some(&b':') {
                // Spaces inserted earlier on this line come before this one.
                let earlier = inserted.iter().filter(|&&(_, l, _)| l == line).count();
                let column = text[line_start..name_end].chars().count() + earlier + 1;
                out.push_str(&text[copied..name_end]);
                inserted.push((out.len(), line, column));
                out.push(' ');
                copied = name_end;
            }
            i = name_end.max(i + 1);
            continue;
        }
        i += 1;
    }
    if inserted.is_empty() {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(Split {
        text: out,
        inserted,
    })
}

impl Split {
    /// Moves positions in the split text back to the original text.
    pub fn restore(&self, nodes: &mut [Node]) {
        for node in nodes {
            self.restore_node(node);
        }
    }

    fn restore_node(&self, node: &mut Node) {
        node.span = self.restore_span(node.span);
        match &mut node.value {
            Value::Seq(items) => self.restore(items),
            Value::Map(entries) => {
                for (key, value) in entries {
                    self.restore_node(key);
                    self.restore_node(value);
                }
            }
            _ => {}
        }
    }

    fn restore_span(&self, span: Span) -> Span {
        let before = self.before(span.offset);
        let within = self.before(span.offset + span.len) - before;
        let same_line = self
            .inserted
            .iter()
            .filter(|&&(at, line, _)| at < span.offset && line == span.line)
            .count();
        Span {
            offset: span.offset - before,
            len: span.len - within,
            line: span.line,
            column: span.column.saturating_sub(same_line).max(1),
        }
    }

    /// Where an offset and a line and column in the split text were in the original.
    pub fn restore_position(
        &self,
        offset: Option<usize>,
        line: Option<usize>,
        column: Option<usize>,
    ) -> (Option<usize>, Option<usize>) {
        let restored_offset = offset.map(|o| o - self.before(o));
        let restored_column = match (line, column) {
            (Some(l), Some(c)) => Some(
                c.saturating_sub(
                    self.inserted
                        .iter()
                        .filter(|&&(_, at_line, at_column)| at_line == l && at_column < c)
                        .count(),
                )
                .max(1),
            ),
            _ => column,
        };
        (restored_offset, restored_column)
    }

    /// Inserted spaces before `offset`.
    fn before(&self, offset: usize) -> usize {
        self.inserted.partition_point(|&(at, _, _)| at < offset)
    }
}
