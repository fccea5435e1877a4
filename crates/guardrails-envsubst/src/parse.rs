//! The grammar of fluxcd/pkg `envsubst/parse` (`parse.go` + `scan.go`), re-expressed as a
//! recursive-descent parser over byte offsets of the original text.
//!
//! The Go parser stops at the first error; this one records the error, skips to a
//! plausible end of the broken expression and carries on, so that one run reports every
//! problem of a document. Everything the Go parser accepts is parsed the same way,
//! including its less obvious rules, each noted where it is implemented:
//!
//! - only `${` starts an expression; `$$` is an escape for `$` in plain text, so `$${x}`
//!   stays `${x}` literally (and a lone `$$` anywhere becomes `$`);
//! - the expression does not end at the first `}` for every operator: a replace pattern
//!   may contain `}` (it ends at `/`), and default words run on, across lines, to the
//!   next `}` at their own level;
//! - escapes (`$$`, `\/`, `\\`) exist only in plain text (`$$` only) and in the two
//!   arguments of `${v/p/r}`; inside default words `$$` is two dollars and `$${b}` is a
//!   dollar followed by the expression `${b}`.

use crate::eval::is_default_op;
use crate::{Expression, Operator, SubstError, SubstErrorKind};

/// Go's parse errors, by their messages.
const BAD_SUBSTITUTION: &str = "bad substitution";
const BAD_FUNC_ARGUMENT: &str = "unable to parse substitution within function";

/// One argument of an operator, like a Go `parse.Node` under `FuncNode.Args`.
#[derive(Debug)]
pub(crate) enum Arg {
    /// Literal text, escapes already resolved.
    Text(String),
    /// A nested expression such as the `${b}` of `${a:=${b}}`.
    Expr(Box<Node>),
}

/// A parsed `${...}`, like a Go `parse.FuncNode`.
#[derive(Debug)]
pub(crate) struct Node {
    /// Byte offset of the `$` of `${`.
    pub offset: usize,
    /// Bytes up to and including the closing `}`.
    pub len: usize,
    /// The variable (`FuncNode.Param`).
    pub name: String,
    /// The operator exactly as Go names it (`FuncNode.Name`): "", ":=", "#", "//", ...
    pub op: String,
    pub args: Vec<Arg>,
}

/// A top-level part of the text.
#[derive(Debug)]
pub(crate) enum Piece {
    Text(String),
    Expr(Node),
    /// An expression that failed to parse; its problem is in `Parsed::problems`.
    Broken,
}

#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub pieces: Vec<Piece>,
    /// Every completed expression, nested ones included, in completion order.
    pub expressions: Vec<Expression>,
    pub problems: Vec<SubstError>,
    /// Offsets of `$$` pairs that become a single `$`.
    pub escapes: Vec<usize>,
}

/// A parse error and where scanning of the text resumes.
struct Failure {
    error: SubstError,
    resume: usize,
}

type Parse<T> = Result<T, Failure>;

pub(crate) fn parse(text: &str) -> Parsed {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        out: Parsed::default(),
    };
    parser.top_level();
    parser.out
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    out: Parsed,
}

impl Parser<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn opens_expression(&self, at: usize) -> bool {
        self.byte(at) == Some(b'$') && self.byte(at + 1) == Some(b'{')
    }

    /// `parseAny`: text with `$$` escapes, and expressions.
    fn top_level(&mut self) {
        let mut text = String::new();
        let mut segment = 0;
        let mut at = 0;
        while at < self.bytes.len() {
            if self.bytes[at] != b'$' {
                at += 1;
                continue;
            }
            match self.byte(at + 1) {
                Some(b'{') => {
                    text.push_str(&self.text[segment..at]);
                    if !text.is_empty() {
                        self.out.pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    match self.expression(at, 0) {
                        Ok(node) => {
                            at += node.len;
                            self.out.pieces.push(Piece::Expr(node));
                        }
                        Err(failure) => {
                            self.out.problems.push(failure.error);
                            self.out.pieces.push(Piece::Broken);
                            at = failure.resume;
                        }
                    }
                    segment = at;
                }
                Some(b'$') => {
                    // The first dollar is dropped, the second kept, and whatever follows
                    // is plain text again: `$${x}` → `${x}`, `$$$` → `$$`.
                    text.push_str(&self.text[segment..=at]);
                    self.out.escapes.push(at);
                    at += 2;
                    segment = at;
                }
                _ => at += 1,
            }
        }
        text.push_str(&self.text[segment..]);
        if !text.is_empty() {
            self.out.pieces.push(Piece::Text(text));
        }
    }

    /// `parseFunc`, called with `start` at the `$` of `${`.
    fn expression(&mut self, start: usize, depth: usize) -> Parse<Node> {
        let after_brace = start + 2;
        match self.byte(after_brace) {
            None => return Err(self.failure(start, after_brace, SubstErrorKind::Unterminated)),
            Some(b'#') => return self.length(start, depth),
            Some(_) => {}
        }
        let name_end = self.ident_end(after_brace);
        if name_end == after_brace {
            // Go: "unable to parse variable name" (`${}`, `${ x}`, `${-x}`, `${.x}`).
            return Err(self.invalid_name(start, after_brace));
        }
        let name = self.text[after_brace..name_end].to_owned();
        let at = name_end;
        let (op, args, end) = match self.byte(at) {
            None => return Err(self.failure(start, at, SubstErrorKind::Unterminated)),
            Some(b'}') => (String::new(), Vec::new(), at + 1),
            Some(b':') => match self.byte(at + 1) {
                // `parseDefaultOrSubstr`: `:=`, `:-`, `:?` and `:+` are default-like;
                // any other character after the colon makes it a substring.
                Some(b'=' | b'-' | b'?' | b'+') => self.default_word(start, at, 2, depth)?,
                _ => self.substring(start, at, depth)?,
            },
            Some(b'=') => self.default_word(start, at, 1, depth)?,
            // Go fails on these with "missing closing brace": its parser only knows
            // `=` without a colon. They are parsed here like a default word anyway, to
            // find where the expression ends and to report it as an unsupported operator.
            Some(b'-' | b'+' | b'?') => self.default_word(start, at, 1, depth)?,
            Some(b',' | b'^') => self.casing(start, at)?,
            Some(b'/') => self.replace(start, at, depth)?,
            Some(c @ (b'#' | b'%')) => self.remove(start, at, c, depth)?,
            // Go says "missing closing brace" for anything else. When a `}` follows on
            // the same line (`${a.b}`, `${a b}`) the real cause is a character names
            // cannot contain; otherwise the brace is indeed missing (`${abc` + newline).
            Some(_) => {
                return Err(if self.brace_ends_line(at) {
                    self.invalid_name(start, after_brace)
                } else {
                    self.failure(start, at, SubstErrorKind::Unterminated)
                });
            }
        };
        Ok(self.complete(start, end, name, op, args, depth))
    }

    /// Records a finished expression (and its problem, if its operator is unsupported).
    fn complete(
        &mut self,
        start: usize,
        end: usize,
        name: String,
        op: String,
        args: Vec<Arg>,
        depth: usize,
    ) -> Node {
        let operator = operator_of(&op, args.is_empty());
        if let Operator::Unsupported(symbol) = &operator {
            self.out.problems.push(SubstError {
                kind: SubstErrorKind::UnsupportedOperator {
                    name: name.clone(),
                    operator: symbol.clone(),
                },
                offset: start,
                len: end - start,
            });
        }
        self.out.expressions.push(Expression {
            offset: start,
            len: end - start,
            name: name.clone(),
            has_default: is_default_op(&op),
            operator,
            depth,
        });
        Node {
            offset: start,
            len: end - start,
            name,
            op,
            args,
        }
    }

    /// `parseLenFunc`: `${#name}` and nothing else.
    fn length(&mut self, start: usize, depth: usize) -> Parse<Node> {
        let name_start = start + 3;
        let name_end = self.ident_end(name_start);
        if name_end == name_start {
            return Err(self.bad(start, name_start, BAD_SUBSTITUTION));
        }
        let name = self.text[name_start..name_end].to_owned();
        let end = self.closing_brace(start, name_end)?;
        Ok(self.complete(start, end, name, "#".to_owned(), Vec::new(), depth))
    }

    /// `parseDefaultFunc`: the operator, then text and nested expressions up to the
    /// first `}` at this level. No escapes apply in here.
    fn default_word(
        &mut self,
        start: usize,
        at: usize,
        op_len: usize,
        depth: usize,
    ) -> Parse<(String, Vec<Arg>, usize)> {
        let op = self.text[at..at + op_len].to_owned();
        let mut args = Vec::new();
        let mut pos = at + op_len;
        loop {
            match self.byte(pos) {
                None => return Err(self.failure(start, pos, SubstErrorKind::Unterminated)),
                Some(b'}') => return Ok((op, args, pos + 1)),
                Some(_) if self.opens_expression(pos) => {
                    let inner = self.expression(pos, depth + 1)?;
                    pos += inner.len;
                    args.push(Arg::Expr(Box::new(inner)));
                }
                Some(_) => {
                    let from = pos;
                    while let Some(b) = self.byte(pos) {
                        if b == b'}' || self.opens_expression(pos) {
                            break;
                        }
                        pos += 1;
                    }
                    args.push(Arg::Text(self.text[from..pos].to_owned()));
                }
            }
        }
    }

    /// `parseSubstrFunc`: `${v:offset}` or `${v:offset:length}`, each argument being text
    /// or one nested expression. Several colons in a row count as one separator.
    fn substring(
        &mut self,
        start: usize,
        at: usize,
        depth: usize,
    ) -> Parse<(String, Vec<Arg>, usize)> {
        let (first, mut pos) =
            self.argument(start, at + 1, depth, |b| b == b':' || b == b'}', false)?;
        let mut args = vec![first];
        match self.byte(pos) {
            None => return Err(self.failure(start, pos, SubstErrorKind::Unterminated)),
            Some(b'}') => return Ok((":".to_owned(), args, pos + 1)),
            Some(b':') => {
                while self.byte(pos) == Some(b':') {
                    pos += 1;
                }
            }
            Some(_) => return Err(self.bad(start, pos, BAD_SUBSTITUTION)),
        }
        let (second, pos) = self.argument(start, pos, depth, |b| b == b'}', false)?;
        args.push(second);
        let end = self.closing_brace(start, pos)?;
        Ok((":".to_owned(), args, end))
    }

    /// `parseRemoveFunc`: one or two `#` (or `%`), then one argument up to `}`.
    fn remove(
        &mut self,
        start: usize,
        at: usize,
        c: u8,
        depth: usize,
    ) -> Parse<(String, Vec<Arg>, usize)> {
        let op_len = if self.byte(at + 1) == Some(c) { 2 } else { 1 };
        let op = self.text[at..at + op_len].to_owned();
        let (pattern, pos) = self.argument(start, at + op_len, depth, |b| b == b'}', false)?;
        let end = self.closing_brace(start, pos)?;
        Ok((op, vec![pattern], end))
    }

    /// `parseCasingFunc`: up to two of `,` and `^`, in any mix, then `}`.
    fn casing(&mut self, start: usize, at: usize) -> Parse<(String, Vec<Arg>, usize)> {
        let mut pos = at;
        while pos < at + 2 && matches!(self.byte(pos), Some(b',' | b'^')) {
            pos += 1;
        }
        let op = self.text[at..pos].to_owned();
        let end = self.closing_brace(start, pos)?;
        Ok((op, Vec::new(), end))
    }

    /// `parseReplaceFunc`: `/`, `//`, `/#` or `/%`, a pattern up to the next unescaped
    /// `/` (it may contain `}`), one or more `/`, then an optional replacement up to `}`.
    fn replace(
        &mut self,
        start: usize,
        at: usize,
        depth: usize,
    ) -> Parse<(String, Vec<Arg>, usize)> {
        let op_len = match self.byte(at + 1) {
            Some(b'/' | b'#' | b'%') => 2,
            _ => 1,
        };
        let op = self.text[at..at + op_len].to_owned();
        let mut pos = at + op_len;
        // An empty pattern (`${v/#/x}`) is allowed since fluxcd/pkg#947 was fixed.
        let pattern = if self.byte(pos) == Some(b'/') {
            Arg::Text(String::new())
        } else {
            let (pattern, next) = self.argument(start, pos, depth, |b| b == b'/', true)?;
            pos = next;
            pattern
        };
        match self.byte(pos) {
            Some(b'/') => {
                while self.byte(pos) == Some(b'/') {
                    pos += 1;
                }
            }
            None => {
                // Typically `${v/abc}`: the pattern swallowed the `}` and ran to the end.
                // Go says "bad substitution"; point at the swallowed brace if there is one.
                return Err(match self.bytes[at..].iter().position(|&b| b == b'}') {
                    Some(brace) => self.bad(start, at + brace, BAD_SUBSTITUTION),
                    None => self.failure(start, pos, SubstErrorKind::Unterminated),
                });
            }
            Some(_) => return Err(self.bad(start, pos, BAD_SUBSTITUTION)),
        }
        let mut args = vec![pattern];
        if self.byte(pos) == Some(b'}') {
            return Ok((op, args, pos + 1));
        }
        let (replacement, pos) = self.argument(start, pos, depth, |b| b == b'}', true)?;
        args.push(replacement);
        let end = self.closing_brace(start, pos)?;
        Ok((op, args, end))
    }

    /// `parseParam`: one nested expression, or a non-empty run of text that ends before
    /// a stop byte, before `${` or at the end. With `escapes` (replace arguments only),
    /// `$$` → `$`, `\/` → `/` and `\\` → `\`, and an escaped character never stops the run.
    fn argument(
        &mut self,
        start: usize,
        at: usize,
        depth: usize,
        stop: fn(u8) -> bool,
        escapes: bool,
    ) -> Parse<(Arg, usize)> {
        if self.byte(at).is_none() {
            return Err(self.failure(start, at, SubstErrorKind::Unterminated));
        }
        if self.opens_expression(at) {
            let inner = self.expression(at, depth + 1)?;
            let next = at + inner.len;
            return Ok((Arg::Expr(Box::new(inner)), next));
        }
        let mut text = String::new();
        let mut segment = at;
        let mut pos = at;
        while let Some(b) = self.byte(pos) {
            if self.opens_expression(pos) {
                break;
            }
            if escapes && let Some(literal) = self.escaped(pos) {
                text.push_str(&self.text[segment..pos]);
                text.push(literal);
                if literal == '$' {
                    self.out.escapes.push(pos);
                }
                pos += 2;
                segment = pos;
                continue;
            }
            if stop(b) {
                break;
            }
            pos += 1;
        }
        if pos == at {
            // The very first character is a stop byte: `${v:}`, `${v#}`, `${v:1:}`.
            return Err(self.bad(start, at, BAD_FUNC_ARGUMENT));
        }
        text.push_str(&self.text[segment..pos]);
        Ok((Arg::Text(text), pos))
    }

    /// The escape starting at `at`, if any (`scanEscaped` with both escape kinds on).
    fn escaped(&self, at: usize) -> Option<char> {
        match (self.byte(at)?, self.byte(at + 1)?) {
            (b'$', b'$') => Some('$'),
            (b'\\', b'/') => Some('/'),
            (b'\\', b'\\') => Some('\\'),
            _ => None,
        }
    }

    /// `consumeRbrack`: the expression must end right here.
    fn closing_brace(&self, start: usize, at: usize) -> Parse<usize> {
        match self.byte(at) {
            Some(b'}') => Ok(at + 1),
            None => Err(self.failure(start, at, SubstErrorKind::Unterminated)),
            Some(_) => Err(self.bad(start, at, BAD_SUBSTITUTION)),
        }
    }

    /// End of the identifier starting at `from`. Go accepts `unicode.IsLetter`,
    /// `unicode.IsDigit` and `_` here (far more than the variable-name regex); Rust's
    /// `is_alphabetic`/`is_numeric` are slightly wider (letter-like marks, other numerals),
    /// which only matters for names that can never be set anyway.
    fn ident_end(&self, from: usize) -> usize {
        self.text[from..]
            .char_indices()
            .find(|&(_, c)| !(c == '_' || c.is_alphabetic() || c.is_numeric()))
            .map_or(self.text.len(), |(i, _)| from + i)
    }

    /// Whether a `}` comes before the end of the line and before any `${`.
    fn brace_ends_line(&self, from: usize) -> bool {
        (from..self.bytes.len())
            .find(|&i| matches!(self.bytes[i], b'}' | b'\n') || self.opens_expression(i))
            .is_some_and(|i| self.bytes[i] == b'}')
    }

    fn invalid_name(&self, start: usize, name_start: usize) -> Failure {
        if name_start >= self.bytes.len() {
            return self.failure(start, name_start, SubstErrorKind::Unterminated);
        }
        let name_end = (name_start..self.bytes.len())
            .find(|&i| matches!(self.bytes[i], b'}' | b'\n') || self.opens_expression(i))
            .unwrap_or(self.bytes.len());
        let name = self.text[name_start..name_end].to_owned();
        self.failure(start, name_start, SubstErrorKind::InvalidName { name })
    }

    fn bad(&self, start: usize, at: usize, flux_message: &'static str) -> Failure {
        if at >= self.bytes.len() {
            return self.failure(start, at, SubstErrorKind::Unterminated);
        }
        self.failure(start, at, SubstErrorKind::BadSubstitution { flux_message })
    }

    /// Builds the error for the expression starting at `start` that went wrong at `at`,
    /// and decides where scanning resumes: after the first `}` from `at` on, or at the
    /// next `${` if that comes first, so that later expressions are still checked.
    /// The reported span stays on the line of the `${`, for editors and annotations.
    fn failure(&self, start: usize, at: usize, kind: SubstErrorKind) -> Failure {
        let len = self.bytes.len();
        let line_end = self.bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(len, |i| start + i);
        let (end, resume) = if at >= len {
            (line_end, len)
        } else {
            let next = (at..len).find(|&i| self.bytes[i] == b'}' || self.opens_expression(i));
            match next {
                Some(i) if self.bytes[i] == b'}' => (i + 1, i + 1),
                Some(i) => (self.char_end(at), i),
                None => (self.char_end(at), len),
            }
        };
        let end = end.min(line_end).max(start + 2);
        Failure {
            error: SubstError {
                kind,
                offset: start,
                len: end - start,
            },
            resume,
        }
    }

    /// The end of the character starting at `at` (offsets must stay on char boundaries).
    fn char_end(&self, at: usize) -> usize {
        self.text[at..]
            .chars()
            .next()
            .map_or(self.text.len(), |c| at + c.len_utf8())
    }
}

/// The public operator for a Go operator name.
fn operator_of(op: &str, no_args: bool) -> Operator {
    match op {
        "" => Operator::None,
        "=" => Operator::Default {
            assign: true,
            colon: false,
        },
        ":=" => Operator::Default {
            assign: true,
            colon: true,
        },
        ":-" => Operator::Default {
            assign: false,
            colon: true,
        },
        "#" if no_args => Operator::Length,
        "#" => Operator::TrimPrefix { longest: false },
        "##" => Operator::TrimPrefix { longest: true },
        "%" => Operator::TrimSuffix { longest: false },
        "%%" => Operator::TrimSuffix { longest: true },
        "^" => Operator::UpperFirst,
        "^^" => Operator::UpperAll,
        "," => Operator::LowerFirst,
        ",," => Operator::LowerAll,
        ":" => Operator::Substring,
        "/" => Operator::Replace { all: false },
        "//" => Operator::Replace { all: true },
        "/#" => Operator::ReplacePrefix,
        "/%" => Operator::ReplaceSuffix,
        other => Operator::Unsupported(other.to_owned()),
    }
}
