//! `spec.policy.semver.range` as image-reflector-controller reads it: Masterminds/semver v3
//! `NewConstraint` (internal/policy/semver.go), whose error stalls the policy with reason
//! InvalidPolicy.
//!
//! Masterminds validates with regular expressions rather than a grammar, so this module
//! follows its steps (constraints.go, v3.4):
//! 1. `rewriteRange`: every `A - B` (spaces around the hyphen required) becomes
//!    `>= A, <= B `;
//! 2. the text is split on `||`; each part must match `validConstraintRegex` — run here
//!    through the Go RE2 port, so acceptance is Go's, byte for byte — or the error is
//!    `improper constraint: <part>`;
//! 3. the comparators of a part are the leftmost-first matches of `(ops)\s*(cv)`; each
//!    becomes a version (`x`/`X`/`*` and missing parts read as 0) that `NewVersion` must
//!    accept, else `constraint parser error` — what a single `|` (not an OR) produces.
//!
//! Rust's `semver::VersionReq` is not a stand-in: it has no `||`, no space-separated AND
//! and no hyphen ranges.

use guardrails_regex::GoTarget;

/// Masterminds' `cvRegex`: a version with optional parts, wildcards and `v` prefix. Note
/// the literal `|` inside the classes: a single `|` reads as a version character.
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// Masterminds' operator alternation, in its order (leftmost-first picks by it); the empty
/// alternative is a bare version.
const OPS: &[&str] = &[
    "=", "", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^",
];

fn valid_constraint_regex() -> String {
    let ops = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
    format!(r"^(\s*({ops})\s*({CV})\s*)((?:\s+|,\s*)({ops})\s*({CV})\s*)*$")
}

/// One comparator of an AND group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparator {
    /// `>=`, `~`, … (`""` for a bare version).
    pub op: String,
    /// The version as written (`1.2.x`, `v1.0.0-rc.1`).
    pub version: String,
    /// Whether the version has a prerelease part (`-0`, `-rc.1`).
    pub prerelease: bool,
}

/// A parsed range: OR groups of AND comparators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraints {
    pub groups: Vec<Vec<Comparator>>,
}

impl Constraints {
    /// Whether some AND group opts in to prerelease versions. Masterminds v3.4 admits a
    /// prerelease in a group when any comparator of the group names a prerelease (earlier
    /// v3 releases required it of every comparator); with none anywhere, no prerelease
    /// version is ever selected.
    pub fn admits_prereleases(&self) -> bool {
        self.groups
            .iter()
            .any(|group| group.iter().any(|c| c.prerelease))
    }
}

/// Why Masterminds rejects a range: its error text, and a hint for common mistakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError {
    pub message: String,
    pub hint: Option<String>,
}

/// Go's `\s` (ASCII only).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

/// The parts of a `cvRegex` match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cv {
    start: usize,
    end: usize,
    major: (usize, usize),
    minor: Option<(usize, usize)>,
    patch: Option<(usize, usize)>,
    /// `-pre`, dash included.
    pre: Option<(usize, usize)>,
}

fn is_cv_num(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'|' | b'x' | b'X' | b'*')
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn run(s: &[u8], mut i: usize, class: fn(u8) -> bool) -> usize {
    while i < s.len() && class(s[i]) {
        i += 1;
    }
    i
}

/// Dot-separated identifiers after a `-` or `+` at `i` (greedy, as Go prefers).
fn identifiers(s: &[u8], i: usize) -> Option<usize> {
    let first = run(s, i + 1, is_ident);
    if first == i + 1 {
        return None;
    }
    let mut end = first;
    while s.get(end) == Some(&b'.') {
        let next = run(s, end + 1, is_ident);
        if next == end + 1 {
            break;
        }
        end = next;
    }
    Some(end)
}

/// `cvRegex` at `i`, greedy: after `cvRegex` Masterminds' expressions only continue with
/// `\s` (which no shorter match could be followed by) or nothing, so Go's leftmost-first
/// choice is the greedy one.
fn cv_at(s: &[u8], i: usize) -> Option<Cv> {
    let digits = if s.get(i) == Some(&b'v') && s.get(i + 1).copied().is_some_and(is_cv_num) {
        i + 1
    } else {
        i
    };
    let major_end = run(s, digits, is_cv_num);
    if major_end == digits {
        return None;
    }
    let mut end = major_end;
    let mut part = || {
        if s.get(end) == Some(&b'.') {
            let part_end = run(s, end + 1, is_cv_num);
            if part_end > end + 1 {
                let found = (end + 1, part_end);
                end = part_end;
                return Some(found);
            }
        }
        None
    };
    let minor = part();
    let patch = minor.and_then(|_| part());
    let mut pre = None;
    if s.get(end) == Some(&b'-')
        && let Some(pre_end) = identifiers(s, end)
    {
        pre = Some((end, pre_end));
        end = pre_end;
    }
    if s.get(end) == Some(&b'+')
        && let Some(meta_end) = identifiers(s, end)
    {
        end = meta_end;
    }
    Some(Cv {
        start: i,
        end,
        major: (digits, major_end),
        minor,
        patch,
        pre,
    })
}

/// `rewriteRange`: every match of `\s*(cv)\s+-\s+(cv)\s*` is replaced (first occurrence
/// of its text, as `strings.Replace(o, match, t, 1)` does) by `>= A, <= B `.
fn rewrite_range(text: &str) -> String {
    let s = text.as_bytes();
    let slice = |r: (usize, usize)| text.get(r.0..r.1).unwrap_or("");
    // (matched text, replacement), in match order.
    let mut replacements: Vec<(&str, String)> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let found = (|| {
            let a = cv_at(s, skip_spaces(s, i))?;
            let dash = skip_spaces(s, a.end);
            if dash == a.end || s.get(dash) != Some(&b'-') {
                return None;
            }
            let b_start = skip_spaces(s, dash + 1);
            if b_start == dash + 1 {
                return None;
            }
            let b = cv_at(s, b_start)?;
            let end = skip_spaces(s, b.end);
            let replacement = format!(
                ">= {}, <= {} ",
                slice((a.start, a.end)),
                slice((b.start, b.end))
            );
            Some((end, replacement))
        })();
        match found {
            Some((end, replacement)) => {
                replacements.push((slice((i, end)), replacement));
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    let mut out = text.to_owned();
    for (whole, replacement) in replacements {
        out = out.replacen(whole, &replacement, 1);
    }
    out
}

/// `findConstraintRegex.FindAllString(part, -1)`: leftmost-first matches of
/// `(ops)\s*(cv)`, the operators tried in Masterminds' order.
fn find_comparators(part: &str) -> Vec<(String, Cv)> {
    let s = part.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let found = OPS.iter().find_map(|op| {
            if !s[i..].starts_with(op.as_bytes()) {
                return None;
            }
            let at = skip_spaces(s, i + op.len());
            cv_at(s, at).map(|cv| ((*op).to_owned(), cv))
        });
        match found {
            Some((op, cv)) => {
                i = cv.end.max(i + 1);
                out.push((op, cv));
            }
            None => i += 1,
        }
    }
    out
}

fn is_x(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

/// Masterminds `NewVersion` on the version `parseConstraint` builds: loose `v?X(.Y)?(.Z)?`
/// with 64-bit numbers (leading zeros allowed), prerelease identifiers non-empty, numeric
/// ones without leading zeros.
fn new_version_ok(version: &str) -> bool {
    let s = version.strip_prefix('v').unwrap_or(version);
    // Build metadata follows the prerelease; its identifiers are already well-formed.
    let main = s.split_once('+').map_or(s, |(main, _)| main);
    let (core, pre) = match main.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (main, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() > 3
        || numbers.iter().any(|n| {
            n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.parse::<u64>().is_err()
        })
    {
        return false;
    }
    pre.is_none_or(|pre| {
        pre.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(is_ident)
                && !(id.len() > 1 && id.bytes().all(|b| b.is_ascii_digit()) && id.starts_with('0'))
        })
    })
}

/// Parses a range as `semver.NewConstraint` does.
pub fn parse(range: &str) -> Result<Constraints, RangeError> {
    let rewritten = rewrite_range(range);
    // A constant pattern Go compiles; were it refused, every range would be reported.
    let valid = guardrails_regex::check_go_syntax(&valid_constraint_regex(), GoTarget::LATEST)
        .map_err(|e| RangeError {
            message: format!("internal error: {e}"),
            hint: None,
        })?;
    let mut groups = Vec::new();
    for part in rewritten.split("||") {
        if !valid.accepts(part) {
            return Err(RangeError {
                message: format!("improper constraint: {part}"),
                hint: improper_hint(part),
            });
        }
        let mut found = find_comparators(part);
        if found.is_empty() {
            // Masterminds falls back to the whole part; a valid part always has one.
            if let Some(cv) = cv_at(part.as_bytes(), skip_spaces(part.as_bytes(), 0)) {
                found.push((String::new(), cv));
            }
        }
        let mut group = Vec::new();
        for (op, cv) in found {
            let text = |r: (usize, usize)| part.get(r.0..r.1).unwrap_or("");
            let major = text(cv.major);
            let minor = cv.minor.map_or("", text);
            let patch = cv.patch.map_or("", text);
            let pre = cv.pre.map_or("", text);
            let whole = text((cv.start, cv.end));
            let built = if is_x(major) {
                format!("0.0.0{pre}")
            } else if is_x(minor) || minor.is_empty() {
                format!("{major}.0.0{pre}")
            } else if is_x(patch) || patch.is_empty() {
                format!("{major}.{minor}.0{pre}")
            } else {
                whole.to_owned()
            };
            if !new_version_ok(&built) {
                let hint = whole.contains('|').then(|| {
                    "a single `|` is not an OR: Masterminds reads it as part of a version; \
                     write `||`"
                        .to_owned()
                });
                return Err(RangeError {
                    message: "constraint parser error".to_owned(),
                    hint: hint.or_else(|| {
                        Some(format!(
                            "`{}` is not a version Masterminds/semver accepts (numbers, `x`/`*` \
                             wildcards, prerelease identifiers without leading zeros)",
                            whole.trim()
                        ))
                    }),
                });
            }
            group.push(Comparator {
                op,
                version: whole.to_owned(),
                prerelease: !pre.is_empty(),
            });
        }
        groups.push(group);
    }
    Ok(Constraints { groups })
}

/// What usually went wrong in an improper part.
fn improper_hint(part: &str) -> Option<String> {
    let trimmed = part.trim();
    if trimmed.is_empty() {
        return Some("an empty range, or an empty side of `||`, matches nothing".to_owned());
    }
    if trimmed.contains("&&") {
        return Some("AND is a comma or a space, not `&&`: `>=1.2.0 <2.0.0`".to_owned());
    }
    if trimmed.contains("==") {
        return Some("there is no `==`; a bare version or `=1.2.3` means equal".to_owned());
    }
    if trimmed.contains('-') && !trimmed.contains(" - ") && trimmed.contains(" -") {
        return Some("a hyphen range needs spaces on both sides: `1.2 - 1.4.5`".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(range: &str) -> Constraints {
        parse(range).unwrap_or_else(|e| panic!("{range}: {e:?}"))
    }

    fn err(range: &str) -> String {
        parse(range).unwrap_err().message
    }

    #[test]
    fn masterminds_syntax_is_accepted() {
        for range in [
            ">=1.0.0",
            ">= 1.2.3, < 2.0.0",
            ">=1.2.3 <2.0.0",
            "1.2 - 1.4.5",
            "^1.2 || ~2.3.4",
            "~> 1.2",
            "=< 3",
            "1.x",
            "1.2.X",
            "*",
            "!=1.5.0",
            "v1.0.0",
            ">=1.0.0-0",
            ">= 1.0.0-rc.1+build.5",
            "=1.2.3",
            "1.2.3",
            ">=0.1.0 <0.2.0 || >=1.0.0",
        ] {
            ok(range);
        }
    }

    #[test]
    fn groups_and_comparators() {
        let c = ok("1.2 - 1.4.5 || ^2");
        assert_eq!(c.groups.len(), 2);
        let ops: Vec<&str> = c.groups[0].iter().map(|c| c.op.as_str()).collect();
        assert_eq!(ops, [">=", "<="]);
        assert_eq!(c.groups[0][1].version, "1.4.5");
        assert_eq!(c.groups[1][0].op, "^");
    }

    #[test]
    fn improper_constraints_echo_masterminds() {
        assert_eq!(
            err(">=1.2.0 && <2.0.0"),
            "improper constraint: >=1.2.0 && <2.0.0"
        );
        assert_eq!(err("==1.2.3"), "improper constraint: ==1.2.3");
        assert_eq!(err("latest"), "improper constraint: latest");
        assert_eq!(err(""), "improper constraint: ");
        assert_eq!(err(">=1.0.0 ||"), "improper constraint: ");
        assert_eq!(err("1.2.3.4"), "improper constraint: 1.2.3.4");
        // A single `|` passes the validation (it is a "version" character) and fails to
        // build a version.
        let single = parse(">= 1.0.0 | < 2.0.0").unwrap_err();
        assert_eq!(single.message, "constraint parser error");
        assert!(single.hint.unwrap().contains("`||`"));
        assert_eq!(err(">=1.0.0-01"), "constraint parser error");
        assert_eq!(err(">=99999999999999999999"), "constraint parser error");
    }

    #[test]
    fn prerelease_opt_in() {
        assert!(!ok(">=1.0.0").admits_prereleases());
        assert!(!ok("^1.2 || ~2").admits_prereleases());
        assert!(ok(">=1.0.0-0").admits_prereleases());
        assert!(ok(">=1.0.0-0 <2.0.0").admits_prereleases());
        assert!(ok("*-0").admits_prereleases());
    }

    #[test]
    fn hyphen_ranges_are_rewritten() {
        assert_eq!(rewrite_range("1.2 - 1.4.5"), ">= 1.2, <= 1.4.5 ");
        assert_eq!(rewrite_range("1 - 2 || 3 - 4"), ">= 1, <= 2 ||>= 3, <= 4 ");
        assert_eq!(rewrite_range("1.2-1.4"), "1.2-1.4");
    }
}
