//! What an ImagePolicy's choice orders, as a language: the whole tags the filter keeps, or
//! the expansions of `extract`.
//!
//! image-reflector-controller orders the values with `sort.Strings` (alphabetical: byte by
//! byte), `strconv.ParseFloat` (numerical) or Masterminds/semver. Whether byte order means
//! "newest" depends on the first part in which values differ: a fixed-width number (a date,
//! a padded build number) sorts like a number, a variable-width number does not (`9` sorts
//! after `10`), and a commit SHA sorts randomly. The questions are asked on an exact
//! automaton of the value language ([`guardrails_regex`]), starting from its shortest value
//! and varying one digit run at a time, so every answer comes with real example values.

use guardrails_regex::{
    GoTarget, GroupRef, Limits, TagMatcher, TemplatePiece, TooLarge, check_go_syntax,
    parse_template,
};

/// The values a policy orders, with a matcher for single values.
pub(crate) struct Values {
    /// A Go pattern whose (unanchored) matches are exactly the values: the tag filter for
    /// whole tags, `^(?:…)$` over the referenced groups' sub-patterns for `extract`.
    pub pattern: String,
    matcher: TagMatcher,
}

impl Values {
    /// The value language of `pattern` + `extract`; `None` when it cannot be built
    /// (a pattern Go rejects, inline flags, `$0`, a reference to no group, a budget).
    pub fn new(pattern: &str, extract: &str) -> Option<Values> {
        let re = check_go_syntax(pattern, GoTarget::LATEST).ok()?;
        let pattern = if extract.is_empty() {
            pattern.to_owned()
        } else {
            extract_pattern(&re, pattern, extract)?
        };
        let matcher = check_go_syntax(&pattern, GoTarget::LATEST)
            .ok()?
            .matcher(Limits::default())
            .ok()?;
        Some(Values { pattern, matcher })
    }

    pub fn accepts(&self, value: &str) -> bool {
        self.matcher.accepts(value)
    }

    /// The shortest value (smallest in byte order among the shortest), over tag characters.
    pub fn shortest(&self) -> Option<String> {
        guardrails_regex::intersect(&self.pattern, "", Limits::default())
            .ok()
            .flatten()
    }

    /// The shortest value that also matches `shape` (an anchored pattern).
    pub fn shortest_with(&self, shape: &str) -> Result<Option<String>, TooLarge> {
        guardrails_regex::intersect(&self.pattern, shape, Limits::default())
    }
}

/// `(?i)`, `(?s:…)`, …: flags would change the meaning of a group cut out of its pattern.
fn has_inline_flags(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(i, _)| {
        pattern[i + 2..]
            .chars()
            .next()
            .is_some_and(|c| matches!(c, 'i' | 'm' | 's' | 'U' | '-'))
    })
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `^(?:…)$` of the template: literal text escaped, each reference the sub-pattern of the
/// group(s) it names (Go expands a duplicated name to the first group that matched).
fn extract_pattern(re: &guardrails_regex::GoRegex, pattern: &str, extract: &str) -> Option<String> {
    if has_inline_flags(pattern) {
        return None;
    }
    let group_text = |index: usize| {
        let g = re.groups().iter().find(|g| g.index == index)?;
        pattern.get(g.offset..g.offset + g.len)
    };
    let mut out = String::from("^(?:");
    for piece in parse_template(extract) {
        match piece {
            TemplatePiece::Literal { text, .. } => out.push_str(&escape(&text)),
            TemplatePiece::Group { reference, .. } => {
                let indices: Vec<usize> = match &reference {
                    GroupRef::Index(0) => return None,
                    GroupRef::Index(i) => vec![*i],
                    GroupRef::Name(name) => re
                        .groups()
                        .iter()
                        .filter(|g| g.name.as_deref() == Some(name))
                        .map(|g| g.index)
                        .collect(),
                };
                let texts: Vec<&str> = indices.iter().filter_map(|&i| group_text(i)).collect();
                if texts.is_empty() {
                    return None;
                }
                out.push_str("(?:");
                out.push_str(&texts.join("|"));
                out.push(')');
            }
        }
    }
    out.push_str(")$");
    Some(out)
}

/// The first part in which values differ, as byte order sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FirstVarying {
    /// A run that can hold letters as well as digits (a commit SHA): `example` is a value
    /// with letters there.
    Letters { example: String },
    /// A number of variable width: `low` (all nines) sorts after `high` (one digit more).
    VariableWidth { low: String, high: String },
    /// A fixed-width number (a date, a timestamp, a padded build number): byte order is
    /// numeric order. `example` is a value.
    FixedDigits { example: String },
}

/// Walks the digit runs of `shortest` (a value of `values`) from the left and classifies
/// the first one that can change; `None` when no digit run varies.
pub(crate) fn first_varying(values: &Values, shortest: &str) -> Option<FirstVarying> {
    let bytes = shortest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let (head, run, tail) = (&shortest[..start], &shortest[start..i], &shortest[i..]);
        let with = |replacement: &str| format!("{head}{replacement}{tail}");
        let n = run.len();
        let variable = ["9", "5", "1"].iter().any(|d| {
            let other = d.repeat(n);
            other != run && values.accepts(&with(&other))
        });
        if !variable {
            continue;
        }
        // A part that may also hold separators (`.*`, `[\w-]+`) says nothing about the real
        // tags (`^RELEASE\.(?P<ts>.*)Z$` over fixed-width timestamps): no verdict.
        if ["-", "_"]
            .iter()
            .any(|c| values.accepts(&with(&c.repeat(n))))
        {
            return None;
        }
        let sha = "3f9a2c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39";
        for candidate in [&sha[..n.clamp(7, 40)], &sha[..n.min(40)], &"a".repeat(n)] {
            let example = with(candidate);
            if candidate.bytes().any(|b| b.is_ascii_alphabetic()) && values.accepts(&example) {
                return Some(FirstVarying::Letters { example });
            }
        }
        let low = with(&"9".repeat(n));
        let high = with(&format!("1{}", "0".repeat(n)));
        if values.accepts(&low) && values.accepts(&high) {
            return Some(FirstVarying::VariableWidth { low, high });
        }
        return Some(FirstVarying::FixedDigits {
            example: shortest.to_owned(),
        });
    }
    None
}

/// Every `${` Flux's envsubst would substitute in `text`: `(offset, len, variable)`.
/// kustomize-controller's postBuild substitution (fluxcd/pkg/envsubst) only reacts to
/// `${…}`; `$${…}` is its escape (it leaves `${…}`), and `$name` without braces is left
/// alone.
pub(crate) fn substitutions(text: &str) -> Vec<(usize, usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'$', b'$') => i += 2,
            (b'$', b'{') => {
                let end = text[i..].find('}').map_or(text.len(), |e| i + e + 1);
                let name = text.get(i + 2..end.saturating_sub(1)).unwrap_or("");
                out.push((i, end - i, name.to_owned()));
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(pattern: &str, extract: &str) -> Option<FirstVarying> {
        let values = Values::new(pattern, extract).unwrap();
        first_varying(&values, &values.shortest().unwrap())
    }

    #[test]
    fn commit_shas_hold_letters() {
        assert!(matches!(
            first(r"^main-[a-f0-9]+$", ""),
            Some(FirstVarying::Letters { .. })
        ));
        assert!(matches!(
            first(r"^main-(?P<sha>[a-f0-9]{7})-(?P<ts>[0-9]+)$", "$sha"),
            Some(FirstVarying::Letters { .. })
        ));
        // The SHA after a fixed-width timestamp only breaks ties.
        assert!(matches!(
            first(r"^main-[0-9]{10}-[a-f0-9]{7}$", ""),
            Some(FirstVarying::FixedDigits { .. })
        ));
    }

    #[test]
    fn variable_width_numbers() {
        assert_eq!(
            first(r"^build-(?P<n>[0-9]+)$", "$n"),
            Some(FirstVarying::VariableWidth {
                low: "9".to_owned(),
                high: "10".to_owned()
            })
        );
        assert_eq!(
            first(r"^v[0-9]+\.[0-9]+\.[0-9]+$", ""),
            Some(FirstVarying::VariableWidth {
                low: "v9.0.0".to_owned(),
                high: "v10.0.0".to_owned()
            })
        );
    }

    #[test]
    fn fixed_width_dates() {
        assert!(matches!(
            first(r"^main-(?P<date>[0-9]{8}T[0-9]{6})-[a-f0-9]+$", "$date"),
            Some(FirstVarying::FixedDigits { .. })
        ));
        assert_eq!(first(r"^release-(alpha|beta)$", ""), None);
        // Anything goes: the filter does not say what the values look like.
        assert_eq!(first(r"^RELEASE\.(?P<ts>.*)Z$", "$ts"), None);
        assert_eq!(first(r"^main-(?P<id>[\w-]+)$", "$id"), None);
    }

    #[test]
    fn extract_templates_become_patterns() {
        let values = Values::new(r"^(?P<a>[0-9]{4})-(?P<b>[0-9]{2})$", "$a.${b}").unwrap();
        assert_eq!(
            values.pattern,
            r"^(?:(?:(?P<a>[0-9]{4}))\.(?:(?P<b>[0-9]{2})))$"
        );
        assert!(values.accepts("2026.05"));
        assert!(!values.accepts("2026-05"));
        assert!(Values::new(r"(?i)^(?P<a>x)$", "$a").is_none());
        assert!(Values::new(r"^(?P<a>x)$", "$nope").is_none());
    }

    #[test]
    fn envsubst_sites() {
        assert_eq!(
            substitutions("${ts}-$x-$${y}"),
            vec![(0, 5, "ts".to_owned())]
        );
        assert!(substitutions("$ts $$ts $${ts}").is_empty());
    }
}
