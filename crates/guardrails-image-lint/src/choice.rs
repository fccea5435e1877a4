//! Rules on what a policy choice does with the values it orders: byte order that is not age
//! order, `order: desc`, semver ranges Masterminds rejects or that exclude every
//! prerelease.

use guardrails_regex::{Possibility, ValueSource};
use guardrails_yaml::Span;

use crate::model::Policy;
use crate::ordering::{FirstVarying, Values, first_varying};
use crate::rules::{PolicyObject, finding, pinned_tags};
use crate::{Finding, Index, Severity, codes, semver};

/// A version without prerelease (what a range without `-0` can select), and one with.
const RELEASE_SHAPE: &str = r"^v?[0-9]+\.[0-9]+\.[0-9]+(?:\+[0-9A-Za-z.-]*)?$";
const PRERELEASE_SHAPE: &str = r"^v?[0-9]+\.[0-9]+\.[0-9]+-[0-9A-Za-z.-]+(?:\+[0-9A-Za-z.-]*)?$";
/// A prerelease version somewhere in a tag.
const PRERELEASE_INSIDE: &str = r"[0-9]+\.[0-9]+\.[0-9]+-[0-9A-Za-z]";

pub(crate) fn lint(index: &Index, object: &PolicyObject<'_>, out: &mut Vec<Finding>) {
    let p = object.first;
    match p.effective_choice() {
        Some("semver") => semver_policy(index, p, out),
        Some(choice @ ("alphabetical" | "numerical")) => ordered_policy(index, p, choice, out),
        _ => {}
    }
}

/// Whether image-reflector-controller can compile the tag filter (else the syntax error is
/// the finding, and the value language is unknown).
fn filter_compiles(index: &Index, p: &Policy) -> bool {
    index
        .patterns
        .get(p.pattern_text())
        .is_some_and(|info| info.syntax.is_ok())
}

fn choice_span(p: &Policy, choice: &str) -> Option<Span> {
    p.choices
        .iter()
        .find(|(c, _)| *c == choice)
        .map(|(_, span)| *span)
        .or(Some(p.meta.span))
}

fn what(p: &Policy) -> &'static str {
    if p.extract.is_some() {
        "extracted values"
    } else {
        "whole tags"
    }
}

fn ordered_policy(index: &Index, p: &Policy, choice: &str, out: &mut Vec<Finding>) {
    let path = p.meta.path.as_str();
    let desc = p.order.as_ref().filter(|o| o.value == "desc");
    if choice == "numerical" {
        // numerical.go: `asc` (the default) selects the largest number, `desc` the smallest.
        // The numbers an image policy orders are build numbers and timestamps, where the
        // smallest is the oldest build. (Non-numeric values are extract-group's finding.)
        if let Some(order) = desc {
            out.push(finding(
                codes::ORDER_DESC,
                Severity::Warning,
                path,
                Some(order.span),
                format!(
                    "numerical ImagePolicy `{}` has `order: desc`: image-reflector-controller then \
                     selects the smallest number, which for build numbers and timestamps is the \
                     oldest tag",
                    p.meta.name
                ),
                "remove `order` (`asc`, the default, selects the largest number: the newest \
                 build)"
                    .to_owned(),
            ));
        }
        return;
    }
    if !filter_compiles(index, p) {
        return;
    }
    let Some(values) = Values::new(p.pattern_text(), p.extract_text()) else {
        return;
    };
    let Some(shortest) = values.shortest() else {
        return;
    };
    // alphabetical.go: `sort.Strings` order; `asc` selects the last value, `desc` the first.
    // Which tag that is depends on the first part in which values differ.
    let span = choice_span(p, "alphabetical");
    let what = what(p);
    match first_varying(&values, &shortest) {
        Some(FirstVarying::Letters { example }) => out.push(finding(
            codes::UNSORTABLE_TAGS,
            Severity::Warning,
            path,
            span,
            format!(
                "alphabetical ImagePolicy `{}` orders {what} that first differ in a part holding \
                 letters and digits, like a commit SHA (`{example}`): sort.Strings puts SHAs in \
                 random order, so the selected tag is not the newest build",
                p.meta.name
            ),
            "put a sortable part before the SHA in the tags — a Unix timestamp or build number — \
             and order it numerically: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$` with `extract: '$ts'` \
             and `numerical: {order: asc}`"
                .to_owned(),
        )),
        Some(FirstVarying::VariableWidth { low, high }) => {
            let shape = guardrails_regex::value_shape(p.pattern_text(), p.extract_text());
            let help = if shape.semver.is_possible() {
                "order versions with a `semver` policy (`semver: {range: '>=0.0.0'}`), which \
                 compares numbers"
                    .to_owned()
            } else if shape.non_digit == Possibility::Never {
                "use `numerical: {order: asc}`, which compares numbers".to_owned()
            } else {
                let hint = match shape.source {
                    ValueSource::Extract => "extract only the number",
                    ValueSource::WholeTag => {
                        "extract the number (`(?P<n>[0-9]+)`, `extract: '$n'`)"
                    }
                };
                format!("{hint} and order it with `numerical`, or zero-pad it to a fixed width")
            };
            out.push(finding(
                codes::UNSORTABLE_TAGS,
                Severity::Warning,
                path,
                span,
                format!(
                    "alphabetical ImagePolicy `{}` orders {what} that first differ in a number of \
                     variable width: sort.Strings compares byte by byte, so `{low}` sorts after \
                     `{high}` and the policy keeps an older tag once the number gains a digit",
                    p.meta.name
                ),
                help,
            ));
        }
        Some(FirstVarying::FixedDigits { example }) => {
            if let Some(order) = desc {
                out.push(finding(
                    codes::ORDER_DESC,
                    Severity::Warning,
                    path,
                    Some(order.span),
                    format!(
                        "alphabetical ImagePolicy `{}` has `order: desc` over {what} that order \
                         by a date, timestamp or build number (e.g. `{example}`): `desc` selects \
                         the first value in byte order, the oldest, not the newest",
                        p.meta.name
                    ),
                    "remove `order: desc` (`asc`, the default, selects the last value: the newest)"
                        .to_owned(),
                ));
            }
        }
        None => {}
    }
}

fn semver_policy(index: &Index, p: &Policy, out: &mut Vec<Finding>) {
    let Some(range) = &p.semver_range else {
        return;
    };
    // A range from postBuild substitution is only known after the build.
    if range.value.contains("${") {
        return;
    }
    let path = p.meta.path.as_str();
    let constraints = match semver::parse(&range.value) {
        Ok(c) => c,
        Err(error) => {
            // internal/policy/semver.go returns NewConstraint's error as is; the policy
            // stalls with reason InvalidPolicy and is not retried.
            out.push(finding(
                codes::SEMVER_RANGE,
                Severity::Error,
                path,
                Some(range.span),
                format!(
                    "semver range `{}` of ImagePolicy `{}` is not a valid Masterminds/semver \
                     constraint ({}): image-reflector-controller stalls the policy with reason \
                     InvalidPolicy",
                    range.value, p.meta.name, error.message
                ),
                error.hint.unwrap_or_else(|| {
                    "write comparators such as `>=1.2.0 <2.0.0`, `^1.2`, `~1.2.3` or `1.x`: a \
                     space or comma is AND, `||` is OR, `1.2 - 1.4.5` a range"
                        .to_owned()
                }),
            ));
            return;
        }
    };
    if constraints.admits_prereleases() || !filter_compiles(index, p) {
        return;
    }
    let Some(values) = Values::new(p.pattern_text(), p.extract_text()) else {
        return;
    };
    let Ok(Some(prerelease)) = values.shortest_with(PRERELEASE_SHAPE) else {
        return;
    };
    let help = format!(
        "opt in to prereleases with a prerelease in the range, e.g. `{}`; Masterminds/semver \
         only lets a prerelease satisfy a range that names one",
        opt_in_example(&range.value)
    );
    if matches!(values.shortest_with(RELEASE_SHAPE), Ok(None)) {
        out.push(finding(
            codes::SEMVER_PRERELEASE,
            Severity::Warning,
            path,
            Some(range.span),
            format!(
                "semver ImagePolicy `{}` only orders prerelease versions (e.g. `{prerelease}`), \
                 but its range `{}` names no prerelease: no value ever satisfies it, so the \
                 policy finds no latest version",
                p.meta.name, range.value
            ),
            help,
        ));
        return;
    }
    // The filter also keeps releases: prereleases are filtered out, which is only wrong
    // when what is deployed is a prerelease.
    let whole_tag = p.extract.is_none();
    let pinned = pinned_tags(index, p).into_iter().find(|tag| {
        index.policy_accepts(p, tag) == Some(true)
            && if whole_tag {
                guardrails_regex::accepts(PRERELEASE_SHAPE, tag)
            } else {
                guardrails_regex::accepts(PRERELEASE_INSIDE, tag)
            }
    });
    if let Some(tag) = pinned {
        out.push(finding(
            codes::SEMVER_PRERELEASE,
            Severity::Warning,
            path,
            Some(range.span),
            format!(
                "the tag `{tag}` pinned for semver ImagePolicy `{}` is a prerelease, but the \
                 range `{}` names no prerelease: the policy never selects such a tag, so the \
                 next update replaces it with the latest release",
                p.meta.name, range.value
            ),
            help,
        ));
    }
}

/// `>=1.2.0` → `>=1.2.0-0`: the first OR group with a prerelease on its first version.
fn opt_in_example(range: &str) -> String {
    let group = range.split("||").next().unwrap_or(range).trim();
    let Some(start) = group.find(|c: char| c.is_ascii_digit()) else {
        return ">=0.0.0-0".to_owned();
    };
    let end = group[start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '*')))
        .map_or(group.len(), |e| start + e);
    if group[end..].starts_with(['-', '+']) {
        return ">=0.0.0-0".to_owned();
    }
    format!("{}-0{}", &group[..end], &group[end..])
}
