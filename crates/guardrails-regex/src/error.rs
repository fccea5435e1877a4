//! Go's `regexp/syntax` errors, with Go's wording.

use std::fmt;

/// Go's `syntax.ErrorCode`: the text between `error parsing regexp: ` and the quoted
/// expression (regexp/syntax parse.go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GoErrorCode {
    /// `regexp/syntax: internal error` — what Go 1.19.2–1.19.x reported for an expression
    /// that is too large (before `ErrLarge` existed).
    InternalError,
    /// `invalid character class`
    InvalidCharClass,
    /// `invalid character class range` (also unknown `\p{…}` and `[:name:]` classes)
    InvalidCharRange,
    /// `invalid escape sequence`
    InvalidEscape,
    /// `invalid named capture`
    InvalidNamedCapture,
    /// `invalid or unsupported Perl syntax` (lookaround, `(?x)`, `(?<` before Go 1.22, …)
    InvalidPerlOp,
    /// `invalid nested repetition operator` (`a**`, possessive `a*+`)
    InvalidRepeatOp,
    /// `invalid repeat count` (a count above 1000, or nested counts whose product is)
    InvalidRepeatSize,
    /// `invalid UTF-8` (unreachable from a Rust `&str`)
    InvalidUtf8,
    /// `missing closing ]`
    MissingBracket,
    /// `missing closing )`
    MissingParen,
    /// `missing argument to repetition operator`
    MissingRepeatArgument,
    /// `trailing backslash at end of expression`
    TrailingBackslash,
    /// `unexpected )`
    UnexpectedParen,
    /// `expression nests too deeply` (parse tree deeper than 1000)
    NestingDepth,
    /// `expression too large` (Go 1.20+; compiled program above 3.3 million instructions)
    Large,
}

impl GoErrorCode {
    /// Go's text for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            GoErrorCode::InternalError => "regexp/syntax: internal error",
            GoErrorCode::InvalidCharClass => "invalid character class",
            GoErrorCode::InvalidCharRange => "invalid character class range",
            GoErrorCode::InvalidEscape => "invalid escape sequence",
            GoErrorCode::InvalidNamedCapture => "invalid named capture",
            GoErrorCode::InvalidPerlOp => "invalid or unsupported Perl syntax",
            GoErrorCode::InvalidRepeatOp => "invalid nested repetition operator",
            GoErrorCode::InvalidRepeatSize => "invalid repeat count",
            GoErrorCode::InvalidUtf8 => "invalid UTF-8",
            GoErrorCode::MissingBracket => "missing closing ]",
            GoErrorCode::MissingParen => "missing closing )",
            GoErrorCode::MissingRepeatArgument => "missing argument to repetition operator",
            GoErrorCode::TrailingBackslash => "trailing backslash at end of expression",
            GoErrorCode::UnexpectedParen => "unexpected )",
            GoErrorCode::NestingDepth => "expression nests too deeply",
            GoErrorCode::Large => "expression too large",
        }
    }
}

impl fmt::Display for GoErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pattern Go's `regexp.Compile` refuses.
///
/// `Display` renders exactly Go's `(*syntax.Error).Error()`:
/// ``error parsing regexp: <code>: `<expr>` `` — the text image-reflector-controller puts in
/// the ImagePolicy's Stalled condition. `expr` is the piece of the pattern Go quotes (the
/// whole pattern for `missing closing )`, `unexpected )`, nesting and size errors; an empty
/// string for a trailing backslash). `offset`/`len` locate the offending construct in the
/// pattern (bytes), which is more precise than `expr` for the whole-pattern errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error parsing regexp: {code}: `{expr}`")]
pub struct GoSyntaxError {
    /// What is wrong, in Go's words.
    pub code: GoErrorCode,
    /// The text Go quotes after the code.
    pub expr: String,
    /// Byte offset of the offending construct in the pattern.
    pub offset: usize,
    /// Byte length of the offending construct (at least 1 unless the pattern is empty).
    pub len: usize,
}
