//! Patterns both Go and the Rust `regex` crate accept but read differently.
//!
//! This crate simulates Go itself, so it is never misled by these; they matter to anyone who
//! checks a tag filter with a Rust (or PCRE-flavoured) tool, and a pattern that means
//! something else in the author's favourite tester is usually a mistake in waiting.

use regex_syntax::ast::{self, AssertionKind, Ast, ClassSetBinaryOp, ClassSetItem, Visitor};

use crate::{GoTarget, check_go_syntax};

/// The constructs read differently by Go RE2 and Rust `regex` 1.10+.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DivergenceKind {
    /// `\<` / `\>`: a literal `<` / `>` in Go, a word start / end assertion in Rust.
    AngleWordBoundary,
    /// `\b{start}`, `\b{end}`, `\b{start-half}`, `\b{end-half}`: in Go `\b` followed by the
    /// literal text `{start}`; in Rust one word-boundary assertion.
    SpecialWordBoundary,
    /// `&&`, `--`, `~~` inside a class: literal characters in Go, set intersection,
    /// difference and symmetric difference in Rust.
    ClassSetOperation,
    /// `[` inside a class: a literal `[` in Go (the class ends at the first `]`), a nested
    /// class in Rust.
    NestedClass,
}

impl DivergenceKind {
    /// How Go (image-reflector-controller) reads it.
    pub fn go_meaning(self) -> &'static str {
        match self {
            DivergenceKind::AngleWordBoundary => "a literal `<` or `>`",
            DivergenceKind::SpecialWordBoundary => "`\\b` followed by literal text",
            DivergenceKind::ClassSetOperation => "literal characters in the class",
            DivergenceKind::NestedClass => "a literal `[`; the class ends at the first `]`",
        }
    }

    /// How the Rust `regex` crate reads it.
    pub fn rust_meaning(self) -> &'static str {
        match self {
            DivergenceKind::AngleWordBoundary => "a start-of-word or end-of-word assertion",
            DivergenceKind::SpecialWordBoundary => "a single word-boundary assertion",
            DivergenceKind::ClassSetOperation => {
                "a set intersection, difference or symmetric difference"
            }
            DivergenceKind::NestedClass => "a nested character class",
        }
    }
}

/// One construct at `offset..offset + len` (bytes) of the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divergence {
    /// What.
    pub kind: DivergenceKind,
    /// Byte offset in the pattern.
    pub offset: usize,
    /// Byte length.
    pub len: usize,
}

struct Collect<'a> {
    pattern: &'a str,
    out: Vec<Divergence>,
}

impl Collect<'_> {
    fn push(&mut self, kind: DivergenceKind, span: &ast::Span) {
        self.out.push(Divergence {
            kind,
            offset: span.start.offset,
            len: span.end.offset - span.start.offset,
        });
    }
}

impl Visitor for Collect<'_> {
    type Output = Vec<Divergence>;
    type Err = ();

    fn finish(self) -> Result<Vec<Divergence>, ()> {
        Ok(self.out)
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
        if let Ast::Assertion(a) = ast {
            match a.kind {
                AssertionKind::WordBoundaryStartAngle | AssertionKind::WordBoundaryEndAngle => {
                    self.push(DivergenceKind::AngleWordBoundary, &a.span);
                }
                AssertionKind::WordBoundaryStart
                | AssertionKind::WordBoundaryEnd
                | AssertionKind::WordBoundaryStartHalf
                | AssertionKind::WordBoundaryEndHalf => {
                    self.push(DivergenceKind::SpecialWordBoundary, &a.span);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), ()> {
        if let ClassSetItem::Bracketed(nested) = item {
            self.push(DivergenceKind::NestedClass, &nested.span);
        }
        Ok(())
    }

    fn visit_class_set_binary_op_pre(&mut self, op: &ClassSetBinaryOp) -> Result<(), ()> {
        // Point at the operator between the operands.
        let start = op.lhs.span().end.offset;
        let end = op.rhs.span().start.offset;
        let (offset, len) = if start < end && self.pattern.is_char_boundary(start) {
            (start, end - start)
        } else {
            (
                op.span.start.offset,
                op.span.end.offset - op.span.start.offset,
            )
        };
        self.out.push(Divergence {
            kind: DivergenceKind::ClassSetOperation,
            offset,
            len,
        });
        Ok(())
    }
}

/// Rust's reading of `pattern`, when its parser accepts it.
pub(crate) fn rust_ast(pattern: &str) -> Option<Ast> {
    ast::parse::Parser::new().parse(pattern).ok()
}

pub(crate) fn find(pattern: &str) -> Vec<Divergence> {
    if check_go_syntax(pattern, GoTarget::LATEST).is_err() {
        return Vec::new();
    }
    let Some(ast) = rust_ast(pattern) else {
        return Vec::new();
    };
    let mut out = ast::visit(
        &ast,
        Collect {
            pattern,
            out: Vec::new(),
        },
    )
    .unwrap_or_default();
    out.sort_by_key(|d| (d.offset, d.len));
    out
}
