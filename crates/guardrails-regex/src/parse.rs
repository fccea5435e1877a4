//! A port of Go's `regexp/syntax.Parse(pattern, syntax.Perl)` — what `regexp.Compile` runs.
//!
//! The lexical loop, the parse stack with its `(` and `|` pseudo-operators, the flag groups,
//! escapes, classes, repetition checks (`invalid nested repetition operator`, the 1000 limits
//! of `repeatIsValid`), the nesting-depth and size limits are transcribed from
//! `src/regexp/syntax/parse.go` (Go 1.19 – 1.26) so that acceptance, the error code, the
//! quoted expression and the order in which errors are found all match Go. The tree it builds
//! is our own ([`Node`]); Go's literal merging and alternation factoring are only modelled
//! where they change the height and size Go checks.
//!
//! Version differences (see [`GoTarget`]): `(?<name>` (Go 1.22), the `expression too large`
//! code (Go 1.20; `regexp/syntax: internal error` before), Unicode 15 script names (Go 1.21)
//! and loose `\p{…}` names (Go 1.25).

use crate::GoTarget;
use crate::ast::{Kind, LookKind, Node, RepKind};
use crate::charset::{CharSet, perl_group, posix_group, unicode_table};
use crate::error::{GoErrorCode, GoSyntaxError};

// Go's parser flags (regexp/syntax parse.go); only the bits the parser consults. The flag
// group logic inverts the whole word, so the values must be distinct bits as in Go.
const FOLD_CASE: u16 = 1;
const DOT_NL: u16 = 1 << 3;
const ONE_LINE: u16 = 1 << 4;
const NON_GREEDY: u16 = 1 << 5;
/// `syntax.Perl` = ClassNL | OneLine | PerlX | UnicodeGroups; only OneLine matters below
/// (ClassNL, PerlX and UnicodeGroups are always on for `regexp.Compile`).
const PERL: u16 = ONE_LINE;

/// Go's `maxHeight`.
const MAX_HEIGHT: u32 = 1000;
/// Go's `maxSize` = 128 MiB / 40-byte instructions.
const MAX_SIZE: u64 = (128 << 20) / 40;
/// Go's `maxRepeat`.
const MAX_REPEAT: i64 = 1000;

/// A capture group as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupSyntax {
    pub(crate) index: usize,
    pub(crate) name: Option<String>,
    /// Offset of the `(`.
    pub(crate) open: usize,
    /// Offset just past the closing `)`.
    pub(crate) end: usize,
}

/// Constructs Go accepts and the Rust `regex` crate does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoOnlyKind {
    /// `\Q…\E` quoting.
    QuotedLiteral,
    /// Octal escapes such as `\012`.
    OctalEscape,
    /// A capture name used twice.
    DuplicateGroupName,
    /// A capture name starting with a digit.
    DigitLeadingGroupName,
    /// `(?)`: an empty flag group.
    EmptyFlags,
    /// A `{` not starting a valid `{n}`, `{n,}` or `{n,m}`: a literal brace in Go, mostly an
    /// error in Rust (`a{,3}`, `x{1001`).
    LiteralBrace,
    /// A `-` right after a class such as `\d` in `[\d-z]`: a literal dash in Go, an
    /// invalid range in Rust.
    DashAfterClass,
}

/// Where a Go-only construct sits in the pattern (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoOnlyConstruct {
    /// What it is.
    pub kind: GoOnlyKind,
    /// Byte offset in the pattern.
    pub offset: usize,
    /// Byte length.
    pub len: usize,
}

pub(crate) struct Parsed {
    pub(crate) root: Node,
    pub(crate) groups: Vec<GroupSyntax>,
    pub(crate) go_only: Vec<GoOnlyConstruct>,
}

enum Item {
    Node(Node),
    /// Go's `opLeftParen`, with the flags to restore at `)` and, for a capture, its index.
    LeftParen {
        cap: Option<usize>,
        flags: u16,
        open: usize,
        open_len: usize,
    },
    /// Go's `opVerticalBar`.
    Bar,
}

struct Parser<'a> {
    s: &'a str,
    target: GoTarget,
    flags: u16,
    stack: Vec<Item>,
    num_cap: usize,
    groups: Vec<GroupSyntax>,
    go_only: Vec<GoOnlyConstruct>,
}

fn err(code: GoErrorCode, expr: &str, offset: usize, len: usize) -> GoSyntaxError {
    GoSyntaxError {
        code,
        expr: expr.to_owned(),
        offset,
        len: len.max(1),
    }
}

/// Go's `nextRune`: on an empty string it yields U+FFFD without consuming anything.
fn next_rune(t: &str) -> (char, usize) {
    t.chars()
        .next()
        .map_or(('\u{FFFD}', 0), |c| (c, c.len_utf8()))
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn unhex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// Go's `parseInt`: a decimal without leading zeros and the digits consumed; the value is
/// -1 when it reaches 10^8 (Go's overflow guard). `None` when not a number.
fn parse_int(t: &str) -> Option<(i64, usize)> {
    let b = t.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return None;
    }
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None;
    }
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut v: i64 = 0;
    for &c in &b[..n] {
        if v >= 100_000_000 {
            v = -1;
            break;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some((v, n))
}

/// Go's `parseRepeat`: `{min}`, `{min,}`, `{min,max}`; returns (min, max, consumed) with
/// max = -1 for "unbounded" and min = -1 for "too big".
fn parse_repeat(t: &str) -> Option<(i64, i64, usize)> {
    let b = t.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut i = 1;
    let (mut min, n) = parse_int(&t[i..])?;
    i += n;
    if i >= b.len() {
        return None;
    }
    let max;
    if b[i] != b',' {
        max = min;
    } else {
        i += 1;
        if i >= b.len() {
            return None;
        }
        if b[i] == b'}' {
            max = -1;
        } else {
            let (m, n) = parse_int(&t[i..])?;
            i += n;
            max = m;
            if max < 0 {
                min = -1;
            }
        }
    }
    if i >= b.len() || b[i] != b'}' {
        return None;
    }
    Some((min, max, i + 1))
}

/// Go's `isValidCaptureName`: `[A-Za-z0-9_]+`.
fn valid_capture_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c == '_' || is_alnum(c))
}

/// Go's `repeatIsValid`.
fn repeat_is_valid(node: &Node, mut n: i64) -> bool {
    if let Kind::Repeat {
        kind: RepKind::Range,
        min,
        max,
        ..
    } = &node.kind
    {
        let mut m = max.map_or(-1, i64::from);
        if m == 0 {
            return true;
        }
        if m < 0 {
            m = i64::from(*min);
        }
        if m > n {
            return false;
        }
        if m > 0 {
            n /= m;
        }
    }
    match &node.kind {
        Kind::Capture { sub, .. } | Kind::Repeat { sub, .. } => repeat_is_valid(sub, n),
        Kind::Concat(subs) | Kind::Alternate(subs) => subs.iter().all(|s| repeat_is_valid(s, n)),
        Kind::Empty | Kind::Literal { .. } | Kind::Class(_) | Kind::Look(_) => true,
    }
}

impl<'a> Parser<'a> {
    fn whole(&self, code: GoErrorCode, offset: usize, len: usize) -> GoSyntaxError {
        err(code, self.s, offset, len)
    }

    /// Go's `checkLimits` on a node just pushed or built (`checkHeight`, `checkSize`).
    fn check_limits(&self, node: &Node) -> Result<(), GoSyntaxError> {
        if node.go_size > MAX_SIZE {
            let code = if self.target.go_minor >= 20 {
                GoErrorCode::Large
            } else {
                GoErrorCode::InternalError
            };
            return Err(self.whole(code, 0, self.s.len()));
        }
        if node.go_height > MAX_HEIGHT {
            return Err(self.whole(GoErrorCode::NestingDepth, 0, self.s.len()));
        }
        Ok(())
    }

    fn push(&mut self, node: Node) -> Result<(), GoSyntaxError> {
        self.check_limits(&node)?;
        self.stack.push(Item::Node(node));
        Ok(())
    }

    fn literal(&mut self, c: char) -> Result<(), GoSyntaxError> {
        let fold = self.flags & FOLD_CASE != 0;
        self.push(Node::leaf(Kind::Literal { c, fold }))
    }

    fn op(&mut self, look: LookKind) -> Result<(), GoSyntaxError> {
        self.push(Node::leaf(Kind::Look(look)))
    }

    /// Go's `concat`: replace the items above the topmost `|` or `(` by their concatenation.
    fn concat(&mut self) -> Result<(), GoSyntaxError> {
        let i = self
            .stack
            .iter()
            .rposition(|it| !matches!(it, Item::Node(_)))
            .map_or(0, |p| p + 1);
        let subs: Vec<Node> = self
            .stack
            .drain(i..)
            .filter_map(|it| match it {
                Item::Node(n) => Some(n),
                _ => None,
            })
            .collect();
        let node = if subs.is_empty() {
            Node::leaf(Kind::Empty)
        } else {
            Node::concat(subs)
        };
        self.push(node)
    }

    /// Go's `alternate`: replace the items above the topmost `(` by their alternation.
    fn alternate(&mut self) -> Result<(), GoSyntaxError> {
        let i = self
            .stack
            .iter()
            .rposition(|it| !matches!(it, Item::Node(_)))
            .map_or(0, |p| p + 1);
        let subs: Vec<Node> = self
            .stack
            .drain(i..)
            .filter_map(|it| match it {
                Item::Node(n) => Some(n),
                _ => None,
            })
            .collect();
        // Go pushes OpNoMatch for an empty list; concat() always leaves one node first.
        let node = if subs.is_empty() {
            Node::leaf(Kind::Class(CharSet::EMPTY))
        } else {
            Node::alternate(subs)
        };
        self.push(node)
    }

    /// Go's `swapVerticalBar`: if a node sits above a `|`, move it below.
    fn swap_vertical_bar(&mut self) -> bool {
        let n = self.stack.len();
        if n >= 2
            && matches!(self.stack[n - 2], Item::Bar)
            && matches!(self.stack[n - 1], Item::Node(_))
        {
            self.stack.swap(n - 2, n - 1);
            return true;
        }
        false
    }

    fn parse_vertical_bar(&mut self) -> Result<(), GoSyntaxError> {
        self.concat()?;
        if !self.swap_vertical_bar() {
            self.stack.push(Item::Bar);
        }
        Ok(())
    }

    fn parse_right_paren(&mut self, pos: usize) -> Result<(), GoSyntaxError> {
        self.concat()?;
        if self.swap_vertical_bar() {
            self.stack.pop();
        }
        self.alternate()?;
        let n = self.stack.len();
        if n < 2 {
            return Err(self.whole(GoErrorCode::UnexpectedParen, pos, 1));
        }
        let (Some(re1), Some(re2)) = (self.stack.pop(), self.stack.pop()) else {
            return Err(self.whole(GoErrorCode::UnexpectedParen, pos, 1));
        };
        let (Item::Node(body), Item::LeftParen { cap, flags, .. }) = (re1, re2) else {
            return Err(self.whole(GoErrorCode::UnexpectedParen, pos, 1));
        };
        self.flags = flags;
        match cap {
            None => self.push(body),
            Some(index) => {
                // Groups are numbered in order of their `(`: index n is at n - 1.
                if let Some(g) = index.checked_sub(1).and_then(|i| self.groups.get_mut(i)) {
                    g.end = pos + 1;
                }
                self.push(Node::capture(index, body))
            }
        }
    }

    /// Go's `repeat`. `before` is the offset of the operator, `after` the offset after it;
    /// `last_repeat` the offset of the previous operator when it immediately preceded.
    fn repeat(
        &mut self,
        kind: RepKind,
        min: i64,
        max: i64,
        before: usize,
        mut after: usize,
        last_repeat: Option<usize>,
    ) -> Result<usize, GoSyntaxError> {
        let mut flags = self.flags;
        if self.s.as_bytes().get(after) == Some(&b'?') {
            after += 1;
            flags ^= NON_GREEDY;
        }
        if let Some(last) = last_repeat {
            // "In Perl it is not allowed to stack repetition operators: a** is a syntax
            // error, not a doubled star, and a++ means something else entirely."
            return Err(err(
                GoErrorCode::InvalidRepeatOp,
                &self.s[last..after],
                last,
                after - last,
            ));
        }
        let missing = || {
            err(
                GoErrorCode::MissingRepeatArgument,
                &self.s[before..after],
                before,
                after - before,
            )
        };
        let Some(Item::Node(_)) = self.stack.last() else {
            return Err(missing());
        };
        let Some(Item::Node(sub)) = self.stack.pop() else {
            return Err(missing());
        };
        // Counts were validated against 0..=1000 by the caller.
        let min_u = u32::try_from(min.max(0)).unwrap_or(0);
        let max_u = if max < 0 {
            None
        } else {
            Some(u32::try_from(max).unwrap_or(0))
        };
        let greedy = flags & NON_GREEDY == 0;
        let node = Node::repeat(kind, min_u, max_u, greedy, sub);
        self.check_limits(&node)?;
        if kind == RepKind::Range && (min >= 2 || max >= 2) && !repeat_is_valid(&node, MAX_REPEAT) {
            return Err(err(
                GoErrorCode::InvalidRepeatSize,
                &self.s[before..after],
                before,
                after - before,
            ));
        }
        self.stack.push(Item::Node(node));
        Ok(after)
    }

    /// Go's `parsePerlFlags`; `pos` is at `(?`.
    fn parse_perl_flags(&mut self, pos: usize) -> Result<usize, GoSyntaxError> {
        let s = &self.s[pos..];
        let b = s.as_bytes();
        let starts_with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let starts_with_name = self.target.named_group_angle && b.len() > 3 && b[2] == b'<';
        if starts_with_p || starts_with_name {
            let expr_start = if starts_with_p { 4 } else { 3 };
            let Some(end) = s.find('>') else {
                return Err(err(GoErrorCode::InvalidNamedCapture, s, pos, s.len()));
            };
            let capture = &s[..=end];
            let name = &s[expr_start..end];
            if !valid_capture_name(name) {
                return Err(err(
                    GoErrorCode::InvalidNamedCapture,
                    capture,
                    pos,
                    capture.len(),
                ));
            }
            if name.starts_with(|c: char| c.is_ascii_digit()) {
                self.note(GoOnlyKind::DigitLeadingGroupName, pos, capture.len());
            }
            if self.groups.iter().any(|g| g.name.as_deref() == Some(name)) {
                self.note(GoOnlyKind::DuplicateGroupName, pos, capture.len());
            }
            self.num_cap += 1;
            self.groups.push(GroupSyntax {
                index: self.num_cap,
                name: Some(name.to_owned()),
                open: pos,
                end: pos + capture.len(),
            });
            self.stack.push(Item::LeftParen {
                cap: Some(self.num_cap),
                flags: self.flags,
                open: pos,
                open_len: capture.len(),
            });
            return Ok(pos + end + 1);
        }

        let mut t = 2; // skip (?
        let mut flags = self.flags;
        let mut sign = 1;
        let mut saw_flag = false;
        while t < s.len() {
            let (c, size) = next_rune(&s[t..]);
            t += size;
            match c {
                'i' => {
                    flags |= FOLD_CASE;
                    saw_flag = true;
                }
                'm' => {
                    flags &= !ONE_LINE;
                    saw_flag = true;
                }
                's' => {
                    flags |= DOT_NL;
                    saw_flag = true;
                }
                'U' => {
                    flags |= NON_GREEDY;
                    saw_flag = true;
                }
                '-' => {
                    if sign < 0 {
                        break;
                    }
                    sign = -1;
                    // Invert flags so that | above turn into &^ and vice versa.
                    flags = !flags;
                    saw_flag = false;
                }
                ':' | ')' => {
                    if sign < 0 {
                        if !saw_flag {
                            break;
                        }
                        flags = !flags;
                    }
                    if c == ':' {
                        self.stack.push(Item::LeftParen {
                            cap: None,
                            flags: self.flags,
                            open: pos,
                            open_len: t,
                        });
                    } else if t == 3 {
                        self.note(GoOnlyKind::EmptyFlags, pos, 3);
                    }
                    self.flags = flags;
                    return Ok(pos + t);
                }
                _ => break,
            }
        }
        Err(err(GoErrorCode::InvalidPerlOp, &s[..t], pos, t))
    }

    /// In a class, a `-` after a class item that does not end the class.
    fn note_dash_after_class(&mut self, t: usize) {
        let b = self.s.as_bytes();
        if b.get(t) == Some(&b'-') && b.get(t + 1).is_some_and(|&c| c != b']') {
            self.note(GoOnlyKind::DashAfterClass, t, 1);
        }
    }

    fn note(&mut self, kind: GoOnlyKind, offset: usize, len: usize) {
        self.go_only.push(GoOnlyConstruct { kind, offset, len });
    }

    /// Go's `parseEscape`; `pos` is at the backslash. Returns the rune and the offset after.
    fn parse_escape(&mut self, pos: usize) -> Result<(u32, usize), GoSyntaxError> {
        let s = &self.s[pos..];
        let mut t = 1;
        if t >= s.len() {
            return Err(GoSyntaxError {
                code: GoErrorCode::TrailingBackslash,
                expr: String::new(),
                offset: pos,
                len: 1,
            });
        }
        let (c, size) = next_rune(&s[t..]);
        t += size;
        let invalid = |t: usize| err(GoErrorCode::InvalidEscape, &s[..t], pos, t);
        match c {
            '1'..='7' => {
                // Single non-zero digit is a backreference; not supported.
                if !matches!(s.as_bytes().get(t), Some(b'0'..=b'7')) {
                    return Err(invalid(t));
                }
                Ok(self.octal(c, pos, t))
            }
            '0' => Ok(self.octal(c, pos, t)),
            'x' => {
                if t >= s.len() {
                    return Err(invalid(t));
                }
                let (c, size) = next_rune(&s[t..]);
                t += size;
                if c == '{' {
                    // Any number of hex digits in braces, at least one, at most 0x10FFFF.
                    let mut nhex = 0;
                    let mut r: u32 = 0;
                    loop {
                        if t >= s.len() {
                            return Err(invalid(t));
                        }
                        let (c, size) = next_rune(&s[t..]);
                        t += size;
                        if c == '}' {
                            break;
                        }
                        let Some(v) = unhex(c) else {
                            return Err(invalid(t));
                        };
                        r = r * 16 + v;
                        if r > 0x10FFFF {
                            return Err(invalid(t));
                        }
                        nhex += 1;
                    }
                    if nhex == 0 {
                        return Err(invalid(t));
                    }
                    return Ok((r, pos + t));
                }
                let x = unhex(c);
                let (c2, size) = next_rune(&s[t..]);
                t += size;
                let y = unhex(c2);
                match (x, y) {
                    (Some(x), Some(y)) => Ok((x * 16 + y, pos + t)),
                    _ => Err(invalid(t)),
                }
            }
            'a' => Ok((0x07, pos + t)),
            'f' => Ok((0x0c, pos + t)),
            'n' => Ok((0x0a, pos + t)),
            'r' => Ok((0x0d, pos + t)),
            't' => Ok((0x09, pos + t)),
            'v' => Ok((0x0b, pos + t)),
            // Escaped non-word ASCII characters are always themselves (Go allows `\_`).
            c if c.is_ascii() && !is_alnum(c) => Ok((c as u32, pos + t)),
            _ => Err(invalid(t)),
        }
    }

    /// Up to three octal digits, the first already read.
    fn octal(&mut self, first: char, pos: usize, mut t: usize) -> (u32, usize) {
        let b = self.s.as_bytes();
        let mut r = first as u32 - '0' as u32;
        for _ in 1..3 {
            match b.get(pos + t) {
                Some(d @ b'0'..=b'7') => {
                    r = r * 8 + u32::from(d - b'0');
                    t += 1;
                }
                _ => break,
            }
        }
        self.note(GoOnlyKind::OctalEscape, pos, t);
        (r, pos + t)
    }

    /// Go's `parseUnicodeClass`; `pos` is at `\p` or `\P`. `Ok(None)` when not applicable.
    fn parse_unicode_class(&self, pos: usize) -> Result<Option<(CharSet, usize)>, GoSyntaxError> {
        let s = &self.s[pos..];
        let b = s.as_bytes();
        if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
            return Ok(None);
        }
        let mut negated = b[1] == b'P';
        let (c, size) = next_rune(&s[2..]);
        let (seq, name, next) = if c != '{' {
            let seq = &s[..2 + size];
            (seq, &seq[2..], 2 + size)
        } else {
            let Some(end) = s.find('}') else {
                return Err(err(GoErrorCode::InvalidCharRange, s, pos, s.len()));
            };
            (&s[..=end], &s[3..end], end + 1)
        };
        let mut name = name;
        if let Some(rest) = name.strip_prefix('^') {
            negated = !negated;
            name = rest;
        }
        let Some(mut set) = unicode_table(name, self.target) else {
            return Err(err(GoErrorCode::InvalidCharRange, seq, pos, seq.len()));
        };
        if self.flags & FOLD_CASE != 0 {
            set = set.fold();
        }
        if negated {
            set = set.negate();
        }
        Ok(Some((set, pos + next)))
    }

    /// Go's `parsePerlClassEscape`: `\d \D \s \S \w \W`.
    fn parse_perl_class_escape(&self, pos: usize) -> Option<(CharSet, usize)> {
        let b = self.s.as_bytes();
        if b.get(pos) != Some(&b'\\') {
            return None;
        }
        let c = char::from(*b.get(pos + 1)?);
        let (negated, set) = perl_group(c)?;
        Some((self.group(negated, set), pos + 2))
    }

    /// Go's `appendGroup`: fold first (under `(?i)`), then negate.
    fn group(&self, negated: bool, set: CharSet) -> CharSet {
        let set = if self.flags & FOLD_CASE != 0 {
            set.fold()
        } else {
            set
        };
        if negated { set.negate() } else { set }
    }

    /// Go's `parseClass`; `pos` is at `[`. Returns the offset after `]`.
    fn parse_class(&mut self, pos: usize) -> Result<usize, GoSyntaxError> {
        let whole = &self.s[pos..];
        let missing = || err(GoErrorCode::MissingBracket, whole, pos, whole.len());
        let b = self.s.as_bytes();
        let mut t = pos + 1;
        let mut negated = false;
        if b.get(t) == Some(&b'^') {
            negated = true;
            t += 1;
            // ClassNL is set by syntax.Perl, so a negated class may match `\n`.
        }
        let mut class = CharSet::EMPTY;
        let mut first = true;
        while t >= b.len() || b[t] != b']' || first {
            first = false;

            // POSIX [:alnum:] etc.
            if b.len() > t + 2
                && b[t] == b'['
                && b[t + 1] == b':'
                && let Some(i) = self.s[t + 2..].find(":]")
            {
                let name_end = t + 2 + i + 2;
                let name = &self.s[t..name_end];
                let Some((neg, set)) = posix_group(&name[2..name.len() - 2]) else {
                    return Err(err(GoErrorCode::InvalidCharRange, name, t, name.len()));
                };
                class = class.union(self.group(neg, set));
                t = name_end;
                self.note_dash_after_class(t);
                continue;
            }

            // Unicode classes like \p{Han}.
            if let Some((set, next)) = self.parse_unicode_class(t)? {
                class = class.union(set);
                t = next;
                self.note_dash_after_class(t);
                continue;
            }

            // Perl classes.
            if let Some((set, next)) = self.parse_perl_class_escape(t) {
                class = class.union(set);
                t = next;
                self.note_dash_after_class(t);
                continue;
            }

            // Single character or simple range.
            let rng = t;
            let (lo, next) = self.parse_class_char(t).ok_or_else(missing)??;
            t = next;
            let mut hi = lo;
            // [a-] means (a|-), so check for final ].
            if b.len() >= t + 2 && b[t] == b'-' && b[t + 1] != b']' {
                t += 1;
                let (h, next) = self.parse_class_char(t).ok_or_else(missing)??;
                hi = h;
                t = next;
                if hi < lo {
                    return Err(err(
                        GoErrorCode::InvalidCharRange,
                        &self.s[rng..t],
                        rng,
                        t - rng,
                    ));
                }
            }
            let mut set = CharSet::range(lo, hi);
            if self.flags & FOLD_CASE != 0 {
                set = set.fold();
            }
            class = class.union(set);
        }
        t += 1; // chop ]
        if negated {
            class = class.negate();
        }
        self.push(Node::leaf(Kind::Class(class)))?;
        Ok(t)
    }

    /// Go's `parseClassChar`: `None` at the end of the pattern (missing `]`).
    #[allow(clippy::type_complexity)]
    fn parse_class_char(&mut self, t: usize) -> Option<Result<(u32, usize), GoSyntaxError>> {
        let rest = self.s.get(t..).filter(|r| !r.is_empty())?;
        if rest.starts_with('\\') {
            return Some(self.parse_escape(t));
        }
        let (c, size) = next_rune(rest);
        Some(Ok((c as u32, t + size)))
    }

    fn run(mut self) -> Result<Parsed, GoSyntaxError> {
        let s = self.s;
        let b = s.as_bytes();
        let mut pos = 0;
        let mut last_repeat: Option<usize> = None;
        while pos < b.len() {
            let mut repeat: Option<usize> = None;
            match b[pos] {
                b'(' => {
                    if b.get(pos + 1) == Some(&b'?') {
                        pos = self.parse_perl_flags(pos)?;
                    } else {
                        self.num_cap += 1;
                        self.groups.push(GroupSyntax {
                            index: self.num_cap,
                            name: None,
                            open: pos,
                            end: pos + 1,
                        });
                        self.stack.push(Item::LeftParen {
                            cap: Some(self.num_cap),
                            flags: self.flags,
                            open: pos,
                            open_len: 1,
                        });
                        pos += 1;
                    }
                }
                b'|' => {
                    self.parse_vertical_bar()?;
                    pos += 1;
                }
                b')' => {
                    self.parse_right_paren(pos)?;
                    pos += 1;
                }
                b'^' => {
                    let look = if self.flags & ONE_LINE != 0 {
                        LookKind::BeginText
                    } else {
                        LookKind::BeginLine
                    };
                    self.op(look)?;
                    pos += 1;
                }
                b'$' => {
                    let look = if self.flags & ONE_LINE != 0 {
                        LookKind::EndText
                    } else {
                        LookKind::EndLine
                    };
                    self.op(look)?;
                    pos += 1;
                }
                b'.' => {
                    let set = if self.flags & DOT_NL != 0 {
                        CharSet::ALL
                    } else {
                        CharSet::any_not_nl()
                    };
                    self.push(Node::leaf(Kind::Class(set)))?;
                    pos += 1;
                }
                b'[' => {
                    pos = self.parse_class(pos)?;
                }
                op @ (b'*' | b'+' | b'?') => {
                    let kind = match op {
                        b'*' => RepKind::Star,
                        b'+' => RepKind::Plus,
                        _ => RepKind::Quest,
                    };
                    let (min, max) = match kind {
                        RepKind::Star => (0, -1),
                        RepKind::Plus => (1, -1),
                        _ => (0, 1),
                    };
                    let before = pos;
                    pos = self.repeat(kind, min, max, before, pos + 1, last_repeat)?;
                    repeat = Some(before);
                }
                b'{' => {
                    let before = pos;
                    match parse_repeat(&s[pos..]) {
                        None => {
                            // If the repeat cannot be parsed, { is a literal.
                            self.note(GoOnlyKind::LiteralBrace, pos, 1);
                            self.literal('{')?;
                            pos += 1;
                        }
                        Some((min, max, n)) => {
                            let after = pos + n;
                            // Numbers too big (or overflowing), or max present and min > max.
                            if !(0..=MAX_REPEAT).contains(&min)
                                || max > MAX_REPEAT
                                || (max >= 0 && min > max)
                            {
                                return Err(err(
                                    GoErrorCode::InvalidRepeatSize,
                                    &s[before..after],
                                    before,
                                    n,
                                ));
                            }
                            pos =
                                self.repeat(RepKind::Range, min, max, before, after, last_repeat)?;
                            repeat = Some(before);
                        }
                    }
                }
                b'\\' => {
                    pos = self.parse_backslash(pos)?;
                }
                _ => {
                    let (c, size) = next_rune(&s[pos..]);
                    self.literal(c)?;
                    pos += size;
                }
            }
            last_repeat = repeat;
        }

        self.concat()?;
        if self.swap_vertical_bar() {
            self.stack.pop();
        }
        self.alternate()?;
        if self.stack.len() != 1 {
            // Point at the innermost unclosed group.
            let (open, open_len) = self
                .stack
                .iter()
                .rev()
                .find_map(|it| match it {
                    Item::LeftParen { open, open_len, .. } => Some((*open, *open_len)),
                    _ => None,
                })
                .unwrap_or((0, s.len()));
            return Err(self.whole(GoErrorCode::MissingParen, open, open_len));
        }
        let Some(Item::Node(root)) = self.stack.pop() else {
            return Err(self.whole(GoErrorCode::MissingParen, 0, s.len()));
        };
        Ok(Parsed {
            root,
            groups: self.groups,
            go_only: self.go_only,
        })
    }

    /// The `'\\'` arm of Go's main loop.
    fn parse_backslash(&mut self, pos: usize) -> Result<usize, GoSyntaxError> {
        let s = self.s;
        let b = s.as_bytes();
        if let Some(&c) = b.get(pos + 1) {
            match c {
                b'A' => {
                    self.op(LookKind::BeginText)?;
                    return Ok(pos + 2);
                }
                b'b' => {
                    self.op(LookKind::WordBoundary)?;
                    return Ok(pos + 2);
                }
                b'B' => {
                    self.op(LookKind::NoWordBoundary)?;
                    return Ok(pos + 2);
                }
                b'C' => {
                    // Any byte; not supported.
                    return Err(err(GoErrorCode::InvalidEscape, &s[pos..pos + 2], pos, 2));
                }
                b'Q' => {
                    // \Q ... \E: the ... is always literals.
                    let body_start = pos + 2;
                    let (lit, next) = match s[body_start..].find("\\E") {
                        Some(i) => (&s[body_start..body_start + i], body_start + i + 2),
                        None => (&s[body_start..], s.len()),
                    };
                    self.note(GoOnlyKind::QuotedLiteral, pos, next - pos);
                    for c in lit.chars() {
                        self.literal(c)?;
                    }
                    return Ok(next);
                }
                b'z' => {
                    self.op(LookKind::EndText)?;
                    return Ok(pos + 2);
                }
                _ => {}
            }
        }

        // Unicode character group like \p{Han}.
        if let Some((set, next)) = self.parse_unicode_class(pos)? {
            self.push(Node::leaf(Kind::Class(set)))?;
            return Ok(next);
        }
        // Perl character class escape.
        if let Some((set, next)) = self.parse_perl_class_escape(pos) {
            self.push(Node::leaf(Kind::Class(set)))?;
            return Ok(next);
        }
        // Ordinary single-character escape.
        let (c, next) = self.parse_escape(pos)?;
        self.literal(to_char(c))?;
        Ok(next)
    }
}

fn to_char(r: u32) -> char {
    // Go keeps surrogate code points as runes; no tag can contain one, so U+FFFD stands in.
    char::from_u32(r).unwrap_or('\u{FFFD}')
}

/// Parse `pattern` as `regexp.Compile` would on `target`.
pub(crate) fn parse(pattern: &str, target: GoTarget) -> Result<Parsed, GoSyntaxError> {
    let parser = Parser {
        s: pattern,
        target,
        flags: PERL,
        stack: Vec::new(),
        num_cap: 0,
        groups: Vec::new(),
        go_only: Vec::new(),
    };
    parser.run()
}
