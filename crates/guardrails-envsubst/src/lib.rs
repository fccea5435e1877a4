//! What Flux's postBuild variable substitution will do to a manifest, predicted offline.
//!
//! kustomize-controller runs `spec.postBuild` substitution on every rendered resource
//! through fluxcd/pkg `envsubst`, a fork of drone/envsubst. This crate re-implements the
//! *semantics* of that package (it is a port written from reading the Go code, not a
//! translation of it), so that a pre-commit hook can tell, before anything reaches the
//! cluster, whether substitution will fail and what text it will produce. Every problem
//! carries a byte offset and length into the scanned text, and all problems of a text are
//! reported at once (Flux stops at the first one).
//!
//! The behaviour mirrored, with the Go sources it comes from:
//! - grammar (`envsubst/parse/parse.go`, `scan.go`): only braced `${var}` is expanded, `$var`
//!   is left alone, `$$` is an escape for `$` (so `$${var}` stays `${var}`), defaults may
//!   nest expressions (`${a:=${b}-x}`); see [`scan`] and the notes in the parser;
//! - operators (`envsubst/funcs.go`, `template.go`): see [`Operator`]; `${v=d}` and
//!   `${v:=d}` both replace an empty value, `${v:+d}` and `${v:?d}` silently act like
//!   `${v:-d}`, and `${v-d}`, `${v+d}`, `${v?d}` do not parse at all;
//! - strict mode (`template.go`, on by default since kustomize-controller 1.9 / Flux 2.9):
//!   an unset variable is an error unless a default-style operator handles it;
//! - variable sources (`kustomize/kustomize_varsub.go`): names must match
//!   [`VAR_NAME_PATTERN`] ([`is_valid_var_name`]) and values lose their newlines
//!   ([`strip_newlines`]).
//!
//! What it never does: read environment variables, files, the network or a cluster; parse
//! YAML; decide whether substitution applies to a resource at all (the
//! `kustomize.toolkit.fluxcd.io/substitute: disabled` label or annotation, `postBuild`
//! being set, `substituteStrategy` and Flux skipping substitution when no variable
//! resolved are the caller's business); print anything.

mod eval;
mod glob;
mod parse;

use std::fmt;

/// The regular expression kustomize-controller requires every variable name (every key
/// of `postBuild.substitute` and of the referenced ConfigMaps and Secrets) to match;
/// one bad key fails the whole build with `'NAME' var name is invalid, must match '…'`.
pub const VAR_NAME_PATTERN: &str = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";

/// Whether `name` matches [`VAR_NAME_PATTERN`]. Go's POSIX classes are ASCII-only, so
/// `café` and `1abc` are invalid, `_1` is valid.
pub fn is_valid_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A variable value as Flux uses it. `kustomize/kustomize_varsub.go` of fluxcd/pkg (the
/// code kustomize-controller calls for postBuild) removes every `\n` from inline
/// `postBuild.substitute` values and from `substituteFrom` ConfigMap and Secret data
/// (`strings.ReplaceAll(v, "\n", "")`) before substituting. Only line feeds go: the `\r`
/// of a CRLF value stays, and nothing is trimmed.
pub fn strip_newlines(value: &str) -> String {
    value.replace('\n', "")
}

/// What an expression does with its variable. The doc of each variant says what Flux
/// computes (fluxcd/pkg `envsubst/funcs.go` and `template.go`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `${v}`: the value.
    None,
    /// `${v=d}` (`assign`, no `colon`), `${v:=d}` (both) and `${v:-d}` (`colon` only):
    /// the value, or the default when the value is *empty or unset*. Flux does not
    /// distinguish set-but-empty from unset here (it is the same fallback function), and
    /// nothing is assigned. `${v-d}` (neither flag) is never produced: Flux cannot parse
    /// it, see [`Operator::Unsupported`].
    Default { assign: bool, colon: bool },
    /// `${#v}`: the length of the value in *bytes* (`héllo` → `6`).
    Length,
    /// `${v^}`: first character upper-cased.
    UpperFirst,
    /// `${v^^}`: every character upper-cased.
    UpperAll,
    /// `${v,}`: first character lower-cased.
    LowerFirst,
    /// `${v,,}`: every character lower-cased.
    LowerAll,
    /// `${v:n}` and `${v:n:len}`: a byte slice; a negative `n` counts from the end, a
    /// negative `len` stops that many bytes before the end, and an argument that is not
    /// an integer leaves the value unchanged. (`${v:-1}` is a default, not a substring.)
    Substring,
    /// `${v#p}` (shortest) and `${v##p}` (longest): remove the matching prefix. In the
    /// pattern `*` and `?` also match `/`; the empty prefix is never tried, so `${v#*}`
    /// removes the first byte.
    TrimPrefix { longest: bool },
    /// `${v%p}` and `${v%%p}`: remove the matching suffix (computed on the reversed value
    /// with the reversed pattern, so `[...]` classes do not work here).
    TrimSuffix { longest: bool },
    /// `${v/p/r}` (first) and `${v//p/r}` (all): plain substring replacement, no
    /// patterns; without `/r` the matches are deleted.
    Replace { all: bool },
    /// `${v/#p/r}`: replace `p` if the value starts with it (needs the `/r` part).
    ReplacePrefix,
    /// `${v/%p/r}`: replace `p` if the value ends with it (needs the `/r` part).
    ReplaceSuffix,
    /// An operator Flux does not support, as written. `:+`, `:?` and mixed casing such
    /// as `^,` are accepted by Flux with surprising results (`:+` and `:?` act like `:-`,
    /// `^,` returns the value unchanged); `-`, `+` and `?` without a colon make Flux fail
    /// with "missing closing brace". Always reported as
    /// [`SubstErrorKind::UnsupportedOperator`].
    Unsupported(String),
}

impl Operator {
    /// The operator as written between the name and the argument (`""` for `${v}`).
    pub fn symbol(&self) -> &str {
        match self {
            Operator::None => "",
            Operator::Default {
                assign: true,
                colon: false,
            } => "=",
            Operator::Default {
                assign: true,
                colon: true,
            } => ":=",
            Operator::Default {
                assign: false,
                colon: true,
            } => ":-",
            Operator::Default {
                assign: false,
                colon: false,
            } => "-",
            Operator::Length => "#",
            Operator::UpperFirst => "^",
            Operator::UpperAll => "^^",
            Operator::LowerFirst => ",",
            Operator::LowerAll => ",,",
            Operator::Substring => ":",
            Operator::TrimPrefix { longest: false } => "#",
            Operator::TrimPrefix { longest: true } => "##",
            Operator::TrimSuffix { longest: false } => "%",
            Operator::TrimSuffix { longest: true } => "%%",
            Operator::Replace { all: false } => "/",
            Operator::Replace { all: true } => "//",
            Operator::ReplacePrefix => "/#",
            Operator::ReplaceSuffix => "/%",
            Operator::Unsupported(symbol) => symbol,
        }
    }
}

/// One `${...}` found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expression {
    /// Byte offset of the `$` of `${`.
    pub offset: usize,
    /// Length in bytes of the whole expression, closing `}` included. It can span
    /// lines: default words and replace patterns run on to their terminator.
    pub len: usize,
    /// The variable name as written. Flux's parser accepts any Unicode letters and
    /// digits here, more than [`is_valid_var_name`] allows; a name that is not valid can
    /// never be set, so it is always undefined.
    pub name: String,
    pub operator: Operator,
    /// Whether an unset variable is tolerated in strict mode (Flux's `isDefaultOp`:
    /// `=`, `:=`, `:-`, and the unsupported `:+`, `:?`, `-`, `+`, `?`).
    pub has_default: bool,
    /// 0 for an expression in plain text, 1 inside the argument of another one, ...
    pub depth: usize,
}

/// Everything [`scan`] found in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Every expression that parsed, nested ones included, ordered by offset.
    pub expressions: Vec<Expression>,
    /// Every syntax problem, ordered by offset. Undefined variables are not among them:
    /// they depend on the variables, see [`substitute`].
    pub problems: Vec<SubstError>,
    /// Byte offsets of `$$` pairs that Flux turns into a single `$` (in plain text and in
    /// replace arguments), such as the escape in `$${var}`, but also the `$$` of a shell
    /// PID or of a password hash, which Flux silently alters.
    pub escapes: Vec<usize>,
}

impl Scan {
    /// Whether Flux's parser would accept the text without any reservation.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Finds all `${...}` expressions of `text` and every syntax problem, without looking at
/// any variable. `$${...}` escapes are skipped, like Flux does.
pub fn scan(text: &str) -> Scan {
    let parsed = parse::parse(text);
    let mut expressions = parsed.expressions;
    expressions.sort_by_key(|e| e.offset);
    let mut problems = parsed.problems;
    problems.sort_by_key(|p| p.offset);
    let mut escapes = parsed.escapes;
    escapes.sort_unstable();
    Scan {
        expressions,
        problems,
        escapes,
    }
}

/// How to substitute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Options {
    /// Strict mode: an unset variable without a default is an error instead of "".
    /// kustomize-controller's default since 1.9 (Flux 2.9); before, opt-in through the
    /// `StrictPostBuildSubstitutions` feature gate (since 1.3). `flux build` and
    /// `flux envsubst` default to non-strict.
    pub strict: bool,
}

impl Default for Options {
    /// Strict, like kustomize-controller 1.9+.
    fn default() -> Self {
        Options { strict: true }
    }
}

/// Substitutes `text` the way Flux does, looking variables up with `vars` (which should
/// already hold Flux's values: newlines stripped, names valid).
///
/// On failure, returns every problem found, ordered by offset: syntax problems (as
/// [`scan`] reports them, including unsupported operators even where Flux would not fail,
/// see [`SubstError::flux_fails`]), undefined variables in strict mode (one per
/// occurrence, nested defaults included: Flux evaluates `${a:=${b}}`'s default even when
/// `a` is set), and results that are not UTF-8.
pub fn substitute(
    text: &str,
    vars: &dyn Fn(&str) -> Option<String>,
    options: Options,
) -> Result<String, Vec<SubstError>> {
    let parsed = parse::parse(text);
    let mut problems = parsed.problems;
    let env = eval::Env {
        vars,
        strict: options.strict,
    };
    let mut output = Vec::with_capacity(text.len());
    // Byte-based operators can cut a character in two; remember which expression did.
    let mut not_utf8 = Vec::new();
    for piece in &parsed.pieces {
        match piece {
            parse::Piece::Text(literal) => output.extend_from_slice(literal.as_bytes()),
            parse::Piece::Expr(node) => {
                if let Some(value) = eval::eval(node, &env, &mut problems) {
                    if std::str::from_utf8(&value).is_err() {
                        not_utf8.push(SubstError {
                            kind: SubstErrorKind::InvalidUtf8,
                            offset: node.offset,
                            len: node.len,
                        });
                    }
                    output.extend_from_slice(&value);
                }
            }
            parse::Piece::Broken => {}
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.offset);
        return Err(problems);
    }
    // Two broken halves could in theory join into a valid character; only the whole
    // output decides.
    String::from_utf8(output).map_err(|_| not_utf8)
}

/// A problem at `offset..offset + len` (bytes) of the text given to [`scan`] or
/// [`substitute`]. Offsets are always on character boundaries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubstError {
    pub kind: SubstErrorKind,
    pub offset: usize,
    pub len: usize,
}

impl SubstError {
    /// Whether kustomize-controller itself fails on this. False only for unsupported
    /// operators that Flux accepts with a different meaning (`:+`, `:?`, mixed casing):
    /// those are worth reporting, but the build would go through.
    pub fn flux_fails(&self) -> bool {
        match &self.kind {
            SubstErrorKind::UnsupportedOperator { operator, .. } => {
                matches!(operator.as_str(), "-" | "+" | "?")
            }
            _ => true,
        }
    }
}

impl fmt::Display for SubstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for SubstError {}

/// Why substitution fails (or, for some unsupported operators, misbehaves).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubstErrorKind {
    /// Strict mode, and the variable is unset with no default-style operator.
    Undefined { name: String },
    /// See [`Operator::Unsupported`].
    UnsupportedOperator { name: String, operator: String },
    /// `${` is not followed by a variable name (`${}`, `${ x}`, `${-x}`; Flux: "unable to
    /// parse variable name"), or the name is followed by a character that is neither an
    /// operator nor `}` while a `}` follows on the same line (`${a.b}`, `${a b}`; Flux:
    /// "missing closing brace"). `name` is what stands where the name should be, up to
    /// `}` or the end of the line.
    InvalidName { name: String },
    /// The text ends inside the expression, or a name is followed by something else than
    /// `}` with no `}` on the rest of its line (`${abc` + newline). Flux: "missing closing
    /// brace" or "unable to parse substitution within function".
    Unterminated,
    /// Any other syntax error; `flux_message` is what Flux's parser says.
    BadSubstitution { flux_message: &'static str },
    /// The result is not UTF-8 because a byte-based operator (`${v:n:len}`, `${v#p}`)
    /// cut a character in two; Flux's YAML decoding of the result would fail.
    InvalidUtf8,
}

impl fmt::Display for SubstErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Flux's exact wording (template.go: `fmt.Errorf("%w: %q", errVarNotSet, …)`).
            SubstErrorKind::Undefined { name } => {
                write!(f, "variable not set (strict mode): {name:?}")
            }
            SubstErrorKind::UnsupportedOperator { name, operator } => {
                write!(
                    f,
                    "unsupported substitution operator {operator:?} on {name:?}"
                )?;
                match operator.as_str() {
                    "-" | "+" | "?" => f.write_str(" (Flux fails: missing closing brace)"),
                    ":+" | ":?" => f.write_str(" (Flux does not fail but treats it like \":-\")"),
                    _ => f.write_str(" (Flux does not fail but leaves the value unchanged)"),
                }
            }
            SubstErrorKind::InvalidName { name } => {
                write!(f, "unable to parse variable name: {name:?}")
            }
            SubstErrorKind::Unterminated => f.write_str("missing closing brace"),
            SubstErrorKind::BadSubstitution { flux_message } => f.write_str(flux_message),
            SubstErrorKind::InvalidUtf8 => f.write_str(
                "substitution cuts a multi-byte character in two (byte-based operator); \
                 Flux cannot decode the resulting YAML",
            ),
        }
    }
}

#[cfg(test)]
mod tests;
