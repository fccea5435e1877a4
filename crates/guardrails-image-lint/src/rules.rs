//! The rules that need only the sources.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use guardrails_regex::{
    EmptyCause, ExtractProblemKind, GoErrorCode, Limits, Optionality, Possibility, TooLarge,
    ValueSource,
};
use guardrails_yaml::Span;

use crate::markers::Suffix;
use crate::model::{Automation, Marker, Policy};
use crate::{
    Finding, Index, Severity, choice, codes, gotemplate, imageref, model, ordering, paths, selector,
};

pub(crate) fn finding(
    code: &'static str,
    severity: Severity,
    path: &str,
    span: Option<Span>,
    message: String,
    help: impl Into<Option<String>>,
) -> Finding {
    Finding {
        code,
        severity,
        message,
        help: help.into(),
        path: path.to_owned(),
        span,
        rendered_image: None,
    }
}

/// A cosign signature tag: what the default `exclusionList` (`^.*\.sig$`) drops.
const SIGNATURE_TAG: &str =
    "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig";

/// One ImagePolicy document, with every instance overlays make of it.
pub(crate) struct PolicyObject<'a> {
    pub first: &'a Policy,
    pub instances: Vec<&'a Policy>,
    /// The lane, when every instance agrees on it. A base policy included by overlays of
    /// several lanes gets none: overlays may patch its filter, which only a render shows.
    pub lane: Option<usize>,
}

pub(crate) fn policy_objects(index: &Index) -> Vec<PolicyObject<'_>> {
    let mut by_object: BTreeMap<usize, Vec<&Policy>> = BTreeMap::new();
    for p in &index.model.policies {
        by_object.entry(p.meta.object).or_default().push(p);
    }
    by_object
        .into_values()
        .filter_map(|instances| {
            let first = *instances.first()?;
            let lanes: BTreeSet<Option<usize>> = instances.iter().map(|p| p.meta.lane).collect();
            let lane = if lanes.len() == 1 {
                lanes.into_iter().next().flatten()
            } else {
                None
            };
            Some(PolicyObject {
                first,
                instances,
                lane,
            })
        })
        .collect()
}

/// Memoised language questions (one pattern pair is decided once per run).
#[derive(Default)]
struct Cache {
    intersect: HashMap<(String, String), Result<Option<String>, TooLarge>>,
    prefix: HashMap<(String, String), Result<Option<String>, TooLarge>>,
}

impl Cache {
    fn intersect(&mut self, a: &str, b: &str) -> Result<Option<String>, TooLarge> {
        let key = if a <= b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        };
        self.intersect
            .entry(key)
            .or_insert_with_key(|(a, b)| guardrails_regex::intersect(a, b, Limits::default()))
            .clone()
    }

    fn accepts_prefix(&mut self, pattern: &str, prefix: &str) -> Result<Option<String>, TooLarge> {
        self.prefix
            .entry((pattern.to_owned(), prefix.to_owned()))
            .or_insert_with_key(|(p, q)| guardrails_regex::accepts_prefix(p, q))
            .clone()
    }
}

pub(crate) fn lint(index: &Index) -> Vec<Finding> {
    let mut out = index.model.marker_findings.clone();
    let objects = policy_objects(index);
    let mut cache = Cache::default();
    for object in &objects {
        policy_filter(index, object, &mut cache, &mut out);
        choice::lint(index, object, &mut out);
        policy_spec(object.first, &mut out);
    }
    lane_overlap(index, &objects, &mut cache, &mut out);
    repository_refs(index, &mut out);
    repositories(index, &mut out);
    for marker in &index.model.markers {
        setter(index, marker, &mut out);
    }
    orphans(index, &objects, &mut out);
    automations(index, &mut out);
    static_digests(index, &mut out);
    unknown_image_fields(index, &mut out);
    out
}

/// `interval` / `digestReflectionPolicy` (the CRD's CEL rules) and `${…}` in the filter.
fn policy_spec(p: &Policy, out: &mut Vec<Finding>) {
    let path = p.meta.path.as_str();
    let always = p.digest_reflection.as_deref() == Some("Always");
    // api/v1 ImagePolicySpec XValidation: the API server refuses both combinations, and a
    // controller given `Always` without an interval stalls with IntervalNotConfigured.
    if let Some(interval) = &p.interval
        && !always
    {
        out.push(finding(
            codes::INTERVAL_REFLECTION,
            Severity::Error,
            path,
            Some(interval.span),
            format!(
                "ImagePolicy `{}` sets `interval` with digestReflectionPolicy `{}`: the API \
                 server rejects it (\"spec.interval is only accepted when \
                 spec.digestReflectionPolicy is set to 'Always'\")",
                p.meta.name,
                p.digest_reflection.as_deref().unwrap_or("Never")
            ),
            "remove `interval`, or set `digestReflectionPolicy: Always` to re-check the digest \
             of an unchanged tag at that interval"
                .to_owned(),
        ));
    } else if always && p.interval.is_none() {
        out.push(finding(
            codes::INTERVAL_REFLECTION,
            Severity::Error,
            path,
            p.digest_reflection_span.or(Some(p.meta.span)),
            format!(
                "ImagePolicy `{}` sets `digestReflectionPolicy: Always` without `interval`: the \
                 API server rejects it (\"spec.interval must be set when \
                 spec.digestReflectionPolicy is set to 'Always'\") and image-reflector-\
                 controller stalls with IntervalNotConfigured",
                p.meta.name
            ),
            "add `interval` (how often to re-check the digest, e.g. `interval: 10m`), or use \
             `digestReflectionPolicy: IfNotPresent`"
                .to_owned(),
        ));
    }
    if p.substitute_disabled {
        return;
    }
    for (field, located) in [("pattern", &p.pattern), ("extract", &p.extract)] {
        let Some(located) = located else { continue };
        substituted(
            path,
            &format!("`filterTags.{field}` of ImagePolicy `{}`", p.meta.name),
            located,
            field == "extract",
            out,
        );
    }
}

/// `${…}` that kustomize-controller's postBuild substitution would replace.
///
/// Flux's envsubst runs on every object of a Kustomization with `spec.postBuild` (unless
/// the object is annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`) and reacts
/// only to `${`: an undefined variable becomes an empty string, or fails the build in
/// strict mode (the default since kustomize-controller 1.9). Whether a Kustomization with
/// postBuild applies this file is only known to the cluster, hence a Warning everywhere.
fn substituted(
    path: &str,
    what: &str,
    located: &model::Located,
    go_template: bool,
    out: &mut Vec<Finding>,
) {
    let text = located.value.as_str();
    let Some((offset, len, name)) = ordering::substitutions(text).into_iter().next() else {
        return;
    };
    let site = text.get(offset..offset + len).unwrap_or("${");
    // Go's `$name` reads the longest run of name characters: `${ts}_x` is not `$ts_x`.
    let followed_by_name = text[offset + len..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let simple = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let help = if go_template && simple && !followed_by_name {
        format!(
            "write `${name}` (Go's template reads it like `{site}`, and envsubst leaves it \
             alone), or escape it as `${site}` where Flux substitutes this object"
        )
    } else {
        format!(
            "escape it as `${site}` where Flux substitutes this object (envsubst turns `$${{` \
             into `${{`), or annotate the object `kustomize.toolkit.fluxcd.io/substitute: \
             disabled`"
        )
    };
    out.push(finding(
        codes::SUBSTITUTED,
        Severity::Warning,
        path,
        Some(located.span),
        format!(
            "{what} contains `{site}`: in a Flux Kustomization with postBuild substitution, \
             envsubst replaces it before the controller sees it — with an empty string, or a \
             failed build in strict mode — unless `{name}` is a variable you mean to substitute"
        ),
        help,
    ));
}

/// kustomize decodes kustomization files strictly: an unknown `images[]` field fails the
/// build (`invalid Kustomization: json: unknown field "newDigest"`).
fn unknown_image_fields(index: &Index, out: &mut Vec<Finding>) {
    for entry in &index.model.images {
        if !matches!(entry.owner, model::Owner::Kustomize(_)) {
            continue;
        }
        if !entry.mapping {
            out.push(finding(
                codes::UNKNOWN_FIELD,
                Severity::Error,
                &entry.path,
                Some(entry.span),
                "this `images` entry is not a mapping: kustomize fails to decode the \
                 kustomization"
                    .to_owned(),
                "write `- name: <image>` with `newName`, `newTag` or `digest` fields".to_owned(),
            ));
            continue;
        }
        for key in &entry.unknown_keys {
            let suggestion = suggest_image_field(&key.value);
            out.push(finding(
                codes::UNKNOWN_FIELD,
                Severity::Error,
                &entry.path,
                Some(key.span),
                format!(
                    "`{}` is not a field of a kustomize `images` entry: kustomize fails with \
                     `invalid Kustomization: json: unknown field \"{}\"`",
                    key.value, key.value
                ),
                match suggestion {
                    Some(field) => {
                        format!("did you mean `{field}`? The fields are {}", fields_list())
                    }
                    None => format!("the fields are {}", fields_list()),
                },
            ));
        }
    }
}

fn fields_list() -> String {
    model::IMAGE_FIELDS
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The images field a misspelt key most likely means.
fn suggest_image_field(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    // What people write for a digest or a tag, from other tools and older docs.
    match lower.as_str() {
        "newdigest" | "sha" | "sha256" => return Some("digest"),
        "tag" | "version" => return Some("newTag"),
        "image" | "newimage" => return Some("newName"),
        _ => {}
    }
    model::IMAGE_FIELDS
        .iter()
        .map(|f| {
            (
                guardrails_diagnostics::suggest::edit_distance(&lower, &f.to_ascii_lowercase()),
                *f,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, f)| f)
}

fn pattern_span(p: &Policy) -> Span {
    p.pattern.as_ref().map_or(p.meta.span, |l| l.span)
}

/// `filterTags`: Go syntax, divergences, anchoring, extract, value shape, policy choice.
fn policy_filter(
    index: &Index,
    object: &PolicyObject<'_>,
    cache: &mut Cache,
    out: &mut Vec<Finding>,
) {
    let p = object.first;
    let path = p.meta.path.as_str();
    let lane_known = object.lane.is_some();
    if p.choices.len() > 1 {
        let names: Vec<&str> = p.choices.iter().map(|(c, _)| *c).collect();
        let used = p.effective_choice().unwrap_or("semver");
        out.push(finding(
            codes::EXTRACT_GROUP,
            Severity::Warning,
            path,
            p.choices.get(1).map(|(_, s)| *s),
            format!(
                "ImagePolicy `{}` sets {} policy choices ({}); image-reflector-controller uses \
                 only `{used}`",
                p.meta.name,
                names.len(),
                names.join(", ")
            ),
            "PolicerFromSpec tries semver, then alphabetical, then numerical; keep only the \
             one you mean"
                .to_owned(),
        ));
    }
    let Some(info) = index.patterns.get(p.pattern_text()) else {
        return;
    };
    let re = match &info.syntax {
        Ok(re) => re,
        Err(error) => {
            if let Some(pattern) = &p.pattern {
                let angle = error.code == GoErrorCode::InvalidPerlOp && error.expr == "(?<";
                let help = if angle {
                    format!(
                        "Flux {} runs image-reflector-controller built with a Go release before \
                         1.22, which only knows `(?P<name>…)`: write `(?P<` instead of `(?<`",
                        index.config.flux
                    )
                } else {
                    "image-reflector-controller compiles the filter with Go's regexp.Compile \
                     (RE2 syntax: no lookaround, backreferences or possessive repeats); the \
                     policy stalls with reason InvalidPolicy"
                        .to_owned()
                };
                out.push(finding(
                    codes::INVALID_REGEX,
                    Severity::Error,
                    path,
                    Some(pattern.span),
                    format!(
                        "invalid regular expression pattern '{}': {error} (at byte {})",
                        pattern.value, error.offset
                    ),
                    help,
                ));
            }
            return;
        }
    };
    let pattern = p.pattern_text();
    for d in guardrails_regex::divergences(pattern) {
        let text = pattern.get(d.offset..d.offset + d.len).unwrap_or("");
        out.push(finding(
            codes::INVALID_REGEX,
            Severity::Warning,
            path,
            Some(pattern_span(p)),
            format!(
                "`{text}` in the tag filter is {} to Go (image-reflector-controller) but {} to \
                 Rust's regex crate and PCRE-style testers",
                d.kind.go_meaning(),
                d.kind.rust_meaning()
            ),
            "write it so both read it the same (escape literal characters, e.g. `<` instead \
             of `\\<`, `[a-z]` without set operators), or a test of the filter in another \
             tool will not mean what Flux does"
                .to_owned(),
        ));
    }

    // Anchoring (only for an explicit pattern: a missing filter is a lane question).
    if p.pattern.is_some() {
        let anchoring = re.anchoring();
        let whole_tag = p.extract.is_none();
        let shortest = cache.intersect(pattern, "").ok().flatten();
        let severity = if lane_known {
            Severity::Error
        } else {
            Severity::Warning
        };
        let lane_note = object
            .lane
            .map(|l| {
                format!(
                    " in lane `{}`",
                    index.config.lanes.get(l).map_or("", |l| l.name.as_str())
                )
            })
            .unwrap_or_default();
        if !anchoring.start {
            let example = shortest
                .as_ref()
                .map(|w| format!("pre{w}"))
                .filter(|t| index.policy_accepts(p, t) == Some(true))
                .map(|t| format!(", e.g. `{t}`"))
                .unwrap_or_default();
            out.push(finding(
                codes::UNANCHORED,
                severity,
                path,
                Some(pattern_span(p)),
                format!(
                    "tag filter `{pattern}` of ImagePolicy `{}`{lane_note} has no leading `^`: \
                     image-reflector-controller searches anywhere in the tag, so it also keeps \
                     tags that merely contain a match{example}",
                    p.meta.name
                ),
                format!("anchor it: `^{}`", pattern.trim_start_matches('^')),
            ));
        } else if !anchoring.end && whole_tag {
            let example = shortest
                .as_ref()
                .map(|w| format!("{w}-debug"))
                .filter(|t| index.policy_accepts(p, t) == Some(true))
                .map(|t| format!(", e.g. `{t}`"))
                .unwrap_or_default();
            out.push(finding(
                codes::UNANCHORED,
                severity,
                path,
                Some(pattern_span(p)),
                format!(
                    "tag filter `{pattern}` of ImagePolicy `{}`{lane_note} has no trailing `$` \
                     and no `extract`: tags with any suffix are kept and ordered as whole \
                     tags{example}",
                    p.meta.name
                ),
                format!("anchor it: `{}$`", pattern.trim_end_matches('$')),
            ));
        }
    }

    // Extract template.
    let extract = p.extract_text();
    let extract_span = p.extract.as_ref().map_or(pattern_span(p), |e| e.span);
    for problem in guardrails_regex::check_extract(pattern, extract) {
        let (severity, message, help) = match problem.kind {
            ExtractProblemKind::UnknownGroup {
                reference,
                suggestion,
            } => (
                Severity::Error,
                format!(
                    "extract `{extract}` refers to group `{reference}`, which the pattern does not \
                     define: Go expands it to an empty string, so every tag yields the same \
                     value and all tags collapse into one"
                ),
                match suggestion {
                    Some(s) => format!(
                        "Go reads `$name` greedily (letters, digits, `_`); write `{s}` to end \
                         the group name"
                    ),
                    None => format!(
                        "name a group of the pattern ({})",
                        group_names(re).unwrap_or_else(|| "it defines none".to_owned())
                    ),
                },
            ),
            ExtractProblemKind::NoReference => (
                Severity::Error,
                format!(
                    "extract `{extract}` references no capture group: every tag yields the \
                     same value, so image-reflector-controller keeps one arbitrary tag"
                ),
                "reference a group, e.g. `$ts` for `(?P<ts>[0-9]+)`".to_owned(),
            ),
            ExtractProblemKind::MayBeEmpty { reference, cause } => (
                Severity::Warning,
                format!(
                    "extract `{extract}` uses group `{reference}`, which {}: such tags yield an \
                     empty value (numerical policies fail on it, and all of them collapse \
                     into one)",
                    empty_cause(cause)
                ),
                "make the extracted group mandatory and non-empty".to_owned(),
            ),
        };
        out.push(finding(
            codes::EXTRACT_GROUP,
            severity,
            path,
            Some(extract_span),
            message,
            help,
        ));
    }

    // What the chosen policy orders.
    let choice = p.effective_choice();
    if !matches!(choice, Some("numerical" | "semver")) {
        return;
    }
    let shape = guardrails_regex::value_shape(pattern, extract);
    let what = match shape.source {
        ValueSource::WholeTag => "whole tags",
        ValueSource::Extract => "extracted values",
    };
    let span = Some(extract_span);
    if choice == Some("numerical") {
        if let Possibility::Possible { example } = &shape.non_digit {
            out.push(finding(
                codes::EXTRACT_GROUP,
                Severity::Error,
                path,
                span,
                format!(
                    "numerical ImagePolicy `{}` orders {what} that can contain non-digits \
                     (e.g. `{example}`): strconv.ParseFloat fails on such a value and the whole \
                     policy fails",
                    p.meta.name
                ),
                "extract only digits, e.g. `(?P<ts>[0-9]+)` with `extract: '$ts'`".to_owned(),
            ));
        } else if shape.non_digit == Possibility::Never {
            match &shape.max_digits {
                guardrails_regex::DigitBound::Bounded(n) if *n > 15 => {
                    out.push(precision(p, path, span, what, &format!("up to {n} digits")));
                }
                guardrails_regex::DigitBound::Unbounded => {
                    // `[0-9]+` is how every Unix-timestamp filter is written; only evidence
                    // (a pinned tag with a longer digit run) says the values really are long.
                    if let Some(tag) = pinned_tags(index, p)
                        .into_iter()
                        .find(|t| longest_digit_run(t) > 15)
                    {
                        out.push(precision(
                            p,
                            path,
                            span,
                            what,
                            &format!("more than 15 digits (the pinned tag `{tag}` has)"),
                        ));
                    }
                }
                _ => {}
            }
        }
    } else if shape.semver == Possibility::Never {
        out.push(finding(
            codes::EXTRACT_GROUP,
            Severity::Warning,
            path,
            span,
            format!(
                "semver ImagePolicy `{}` orders {what} that can never be a three-part version \
                 `X.Y.Z`: fluxcd/pkg/version skips every such value, so the policy finds no \
                 latest version",
                p.meta.name
            ),
            "extract the `X.Y.Z` part, e.g. `^v(?P<v>[0-9]+\\.[0-9]+\\.[0-9]+)$` with \
             `extract: '$v'`"
                .to_owned(),
        ));
    }
}

fn precision(p: &Policy, path: &str, span: Option<Span>, what: &str, digits: &str) -> Finding {
    finding(
        codes::EXTRACT_GROUP,
        Severity::Warning,
        path,
        span,
        format!(
            "numerical ImagePolicy `{}` orders {what} of {digits}: strconv.ParseFloat reads \
             them as float64, exact only up to 15 digits, so close values tie and the pick is \
             random",
            p.meta.name
        ),
        "order on at most 15 digits (Unix seconds have 10), or use an alphabetical policy on \
         fixed-width values"
            .to_owned(),
    )
}

fn longest_digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

fn group_names(re: &guardrails_regex::GoRegex) -> Option<String> {
    let names: Vec<String> = re
        .groups()
        .iter()
        .map(|g| match &g.name {
            Some(n) => format!("`${n}`"),
            None => format!("`${}`", g.index),
        })
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

fn empty_cause(cause: EmptyCause) -> &'static str {
    match cause {
        EmptyCause::Unmatched(Optionality::AlternationBranch) => {
            "is in one branch of an alternation and may not participate"
        }
        EmptyCause::Unmatched(_) => "is optional and may not participate",
        EmptyCause::MatchesEmpty => "can match the empty string",
    }
}

/// Tags pinned at markers that use this policy.
pub(crate) fn pinned_tags(index: &Index, p: &Policy) -> Vec<String> {
    index
        .model
        .markers
        .iter()
        .filter(|m| marker_uses(m, p))
        .filter_map(pinned_tag)
        .collect()
}

pub(crate) fn marker_uses(m: &Marker, p: &Policy) -> bool {
    m.setter.name == p.meta.name
        && p.meta
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == m.setter.namespace)
}

/// The tag the marked value pins, for markers that write a tag.
pub(crate) fn pinned_tag(m: &Marker) -> Option<String> {
    let value = m.value.as_deref().filter(|v| !v.is_empty())?;
    if value.contains("${") {
        return None;
    }
    match m.setter.suffix {
        Suffix::Tag => Some(value.to_owned()),
        Suffix::Full => imageref::split(value).tag.map(str::to_owned),
        Suffix::Name | Suffix::Digest => None,
    }
}

/// The repository identity a policy tracks: its ImageRepository's image, else the
/// reference itself.
pub(crate) fn image_key(index: &Index, p: &Policy) -> Option<String> {
    let name = &p.repo_name.as_ref()?.value;
    let ns = p.repo_namespace.as_ref().or(p.meta.namespace.as_ref());
    let repo = index.model.repositories.iter().find(|r| {
        &r.meta.name == name
            && (ns.is_none() || r.meta.namespace.is_none() || r.meta.namespace.as_ref() == ns)
    });
    match repo.and_then(|r| r.image.as_ref()) {
        Some(image) => Some(imageref::normalize_repository(&image.value)),
        None => Some(format!(
            "ImageRepository {}{name}",
            ns.map(|n| format!("{n}/")).unwrap_or_default()
        )),
    }
}

fn lane_name(index: &Index, lane: usize) -> &str {
    index.config.lanes.get(lane).map_or("", |l| l.name.as_str())
}

/// Whether a lane's tags can be semver values at all (a semver policy without `extract`
/// orders whole tags, and fluxcd/pkg/version only parses `v?X.Y.Z…`).
fn prefix_can_be_semver(prefix: &str) -> bool {
    prefix.starts_with(|c: char| c == 'v' || c.is_ascii_digit())
}

fn semver_whole_tags(p: &Policy) -> bool {
    p.effective_choice() == Some("semver") && p.extract.is_none()
}

fn lane_overlap(
    index: &Index,
    objects: &[PolicyObject<'_>],
    cache: &mut Cache,
    out: &mut Vec<Finding>,
) {
    let valid = |p: &Policy| {
        index
            .patterns
            .get(p.pattern_text())
            .is_some_and(|i| i.syntax.is_ok())
    };
    // A lane's policy must keep no tag of another lane.
    for object in objects {
        let p = object.first;
        let Some(lane) = object.lane else { continue };
        if !valid(p) {
            continue;
        }
        let Some(own) = index.config.lanes.get(lane) else {
            continue;
        };
        for (other_index, other) in index.config.lanes.iter().enumerate() {
            if other_index == lane
                || other.tag_prefix.is_empty()
                || own.tag_prefix.starts_with(&other.tag_prefix)
            {
                continue;
            }
            if semver_whole_tags(p) && !prefix_can_be_semver(&other.tag_prefix) {
                continue;
            }
            let pattern = p.pattern_text();
            match cache.accepts_prefix(pattern, &other.tag_prefix) {
                Ok(Some(witness)) => {
                    let what = if p.pattern.is_some() {
                        format!("tag filter `{pattern}`")
                    } else {
                        "missing `filterTags` (every tag is kept)".to_owned()
                    };
                    out.push(finding(
                        codes::LANE_OVERLAP,
                        Severity::Error,
                        &p.meta.path,
                        Some(pattern_span(p)),
                        format!(
                            "ImagePolicy `{}` of lane `{}` also keeps tags of lane `{}`: its {what} \
                             accepts `{witness}`",
                            p.meta.display(),
                            own.name,
                            other.name
                        ),
                        format!(
                            "filter on this lane's own tags only, e.g. `^{}v[0-9]+\\.[0-9]+\\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$`",
                            escape(&own.tag_prefix)
                        ),
                    ));
                }
                Ok(None) => {}
                Err(too_large) => out.push(finding(
                    codes::LANE_OVERLAP,
                    Severity::Warning,
                    &p.meta.path,
                    Some(pattern_span(p)),
                    format!(
                        "could not decide whether ImagePolicy `{}` keeps tags of lane `{}`: {too_large}",
                        p.meta.display(),
                        other.name
                    ),
                    "simplify the tag filter".to_owned(),
                )),
            }
        }
    }
    // Two lanes' policies for one image must not be able to select the same tag.
    let mut groups: BTreeMap<String, Vec<&PolicyObject<'_>>> = BTreeMap::new();
    for object in objects {
        if object.lane.is_none() || !valid(object.first) {
            continue;
        }
        let keys: BTreeSet<String> = object
            .instances
            .iter()
            .filter_map(|p| image_key(index, p))
            .collect();
        for key in keys {
            groups.entry(key).or_default().push(object);
        }
    }
    for (image, members) in &groups {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                let (Some(la), Some(lb)) = (a.lane, b.lane) else {
                    continue;
                };
                if la == lb {
                    continue;
                }
                let (pa, pb) = (a.first, b.first);
                match cache.intersect(pa.pattern_text(), pb.pattern_text()) {
                    Ok(Some(witness)) => {
                        let semver_only = semver_whole_tags(pa) || semver_whole_tags(pb);
                        if semver_only && !guardrails_regex::accepts(SEMVER_SHAPE, &witness) {
                            // The semver policy skips the witness; undecided, stay silent.
                            continue;
                        }
                        out.push(finding(
                            codes::LANE_OVERLAP,
                            Severity::Error,
                            &pb.meta.path,
                            Some(pattern_span(pb)),
                            format!(
                                "ImagePolicies `{}` (lane `{}`) and `{}` (lane `{}`) track the same \
                                 image `{image}` and can both select tag `{witness}`",
                                pa.meta.display(),
                                lane_name(index, la),
                                pb.meta.display(),
                                lane_name(index, lb)
                            ),
                            format!(
                                "the other policy is in {}:{}; anchor each lane's filter on its own \
                                 tag prefix so one artifact tag belongs to one lane",
                                pa.meta.path,
                                pattern_span(pa).line
                            ),
                        ));
                    }
                    Ok(None) => {}
                    Err(too_large) => out.push(finding(
                        codes::LANE_OVERLAP,
                        Severity::Warning,
                        &pb.meta.path,
                        Some(pattern_span(pb)),
                        format!(
                            "could not decide whether ImagePolicies `{}` and `{}` can select the same \
                             tag: {too_large}",
                            pa.meta.display(),
                            pb.meta.display()
                        ),
                        "simplify the tag filters".to_owned(),
                    )),
                }
            }
        }
    }
}

/// The shape fluxcd/pkg/version accepts (over-approximated like guardrails-regex does).
const SEMVER_SHAPE: &str = r"^v?[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]*)?(?:\+[0-9A-Za-z.-]*)?$";

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

fn repository_refs(index: &Index, out: &mut Vec<Finding>) {
    let model = &index.model;
    // ImageRepositories kept in another repository cannot be judged from this one.
    if model.repositories.is_empty() {
        return;
    }
    for p in &model.policies {
        let Some(name) = &p.repo_name else { continue };
        let ns = p.repo_namespace.as_ref().or(p.meta.namespace.as_ref());
        let found: Vec<_> = model
            .repositories
            .iter()
            .filter(|r| {
                r.meta.name == name.value
                    && (ns.is_none()
                        || r.meta.namespace.is_none()
                        || r.meta.namespace.as_ref() == ns)
            })
            .collect();
        let shown = format!(
            "{}{}",
            ns.map(|n| format!("{n}/")).unwrap_or_default(),
            name.value
        );
        if found.is_empty() {
            let elsewhere: Vec<String> = model
                .repositories
                .iter()
                .filter(|r| r.meta.name == name.value)
                .map(|r| r.meta.display())
                .collect();
            let help = if elsewhere.is_empty() {
                "the policy stays not ready (DependencyNotReady) until that ImageRepository exists"
                    .to_owned()
            } else {
                format!(
                    "found {}; `imageRepositoryRef.namespace` defaults to the policy's own \
                     namespace",
                    elsewhere.join(", ")
                )
            };
            out.push(finding(
                codes::REPOSITORY_REF,
                Severity::Error,
                &p.meta.path,
                Some(name.span),
                format!(
                    "ImagePolicy `{}` refers to ImageRepository `{shown}`, which is not in the \
                     repository",
                    p.meta.display()
                ),
                help,
            ));
            continue;
        }
        let (Some(policy_ns), Some(repo_ns)) = (p.meta.namespace.as_ref(), ns) else {
            continue;
        };
        if policy_ns == repo_ns {
            continue;
        }
        let Some(repo) = found.first() else { continue };
        match &repo.access_from {
            None => out.push(finding(
                codes::REPOSITORY_REF,
                Severity::Error,
                &p.meta.path,
                Some(name.span),
                format!(
                    "ImagePolicy `{}` refers across namespaces to ImageRepository `{shown}`, \
                     which has no `spec.accessFrom`: image-reflector-controller denies the \
                     reference (AccessDenied)",
                    p.meta.display()
                ),
                format!(
                    "add `accessFrom.namespaceSelectors` with `matchLabels` of namespace \
                     `{policy_ns}` to {}",
                    repo.meta.path
                ),
            )),
            Some(selectors) => {
                let Some(definitions) = model.namespaces.get(policy_ns) else {
                    // The Namespace is not in the repository: its labels are unknown.
                    continue;
                };
                let allowed = definitions.iter().any(|labels| {
                    selectors
                        .iter()
                        .any(|s| s.iter().all(|(k, v)| labels.get(k) == Some(v)))
                });
                if !allowed {
                    let wanted: Vec<String> = selectors
                        .iter()
                        .map(|s| format!("{{{}}}", selector::describe_labels(s)))
                        .collect();
                    let has: Vec<String> =
                        definitions.iter().map(selector::describe_labels).collect();
                    out.push(finding(
                        codes::REPOSITORY_REF,
                        Severity::Error,
                        &p.meta.path,
                        Some(name.span),
                        format!(
                            "ImagePolicy `{}` refers to ImageRepository `{shown}`, whose \
                             `accessFrom` does not admit namespace `{policy_ns}`: its selectors \
                             {} match none of the namespace's labels ({})",
                            p.meta.display(),
                            if wanted.is_empty() {
                                "(none)".to_owned()
                            } else {
                                wanted.join(", ")
                            },
                            has.join("; ")
                        ),
                        format!(
                            "add a `namespaceSelectors` entry matching namespace `{policy_ns}` in \
                             {}, or label the namespace",
                            repo.meta.path
                        ),
                    ));
                }
            }
        }
    }
}

fn repositories(index: &Index, out: &mut Vec<Finding>) {
    let target = index.config.go_target();
    let mut seen = BTreeSet::new();
    for r in &index.model.repositories {
        if !seen.insert(r.meta.object) {
            continue;
        }
        let path = r.meta.path.as_str();
        if let Some(image) = &r.image
            && !image.value.contains("${")
        {
            let value = image.value.trim();
            let problem = if let Some((scheme, rest)) = value.split_once("://") {
                Some((
                    format!("includes the URL scheme `{scheme}://`"),
                    format!("write `{rest}`"),
                ))
            } else {
                let parts = imageref::split(value);
                if let Some(digest) = parts.digest {
                    Some((
                        format!("includes the digest `@{digest}`"),
                        format!("write `{}`", parts.name),
                    ))
                } else if let Some(tag) = parts.tag {
                    Some((
                        format!("includes the tag `:{tag}`"),
                        format!("write `{}`; tags are chosen by ImagePolicies", parts.name),
                    ))
                } else {
                    let repo_path = value.split_once('/').map_or(value, |(first, rest)| {
                        if first.contains('.') || first.contains(':') || first == "localhost" {
                            rest
                        } else {
                            value
                        }
                    });
                    repo_path
                        .chars()
                        .any(|c| c.is_ascii_uppercase() || c.is_whitespace())
                        .then(|| {
                            (
                                "has a repository path with upper-case letters or spaces, which \
                                 image references cannot have"
                                    .to_owned(),
                                format!("write `{}`", value.to_ascii_lowercase()),
                            )
                        })
                }
            };
            if let Some((what, fix)) = problem {
                out.push(finding(
                    codes::INVALID_IMAGE,
                    Severity::Error,
                    path,
                    Some(image.span),
                    format!(
                        "ImageRepository `{}` spec.image `{value}` {what}: image-reflector-\
                         controller stalls with reason ImageURLInvalid",
                        r.meta.display()
                    ),
                    fix,
                ));
            }
        }
        if let Some((entries, span)) = &r.exclusion_list {
            let mut drops_signatures = false;
            for entry in entries {
                match guardrails_regex::check_go_syntax(&entry.value, target) {
                    Err(error) => out.push(finding(
                        codes::INVALID_REGEX,
                        Severity::Error,
                        path,
                        Some(entry.span),
                        format!(
                            "invalid exclusionList regular expression '{}': {error}",
                            entry.value
                        ),
                        "image-reflector-controller compiles every entry with Go's \
                         regexp.Compile; the ImageRepository fails to scan"
                            .to_owned(),
                    )),
                    Ok(re) => drops_signatures |= re.accepts(SIGNATURE_TAG),
                }
            }
            if !drops_signatures {
                out.push(finding(
                    codes::EXCLUSION_OVERRIDE,
                    Severity::Warning,
                    path,
                    Some(*span),
                    format!(
                        "`exclusionList` of ImageRepository `{}` replaces the default \
                         `^.*\\.sig$`: cosign signature tags (`sha256-….sig`) become candidate \
                         tags again",
                        r.meta.display()
                    ),
                    "add `^.*\\.sig$` to the list".to_owned(),
                ));
            }
        }
    }
}

fn policies_named<'a>(index: &'a Index, ns: &str, name: &str) -> Vec<&'a Policy> {
    index
        .model
        .policies
        .iter()
        .filter(|p| p.meta.name == name && p.meta.namespace.as_deref().is_none_or(|n| n == ns))
        .collect()
}

fn setter(index: &Index, m: &Marker, out: &mut Vec<Finding>) {
    let model = &index.model;
    let path = m.path.as_str();
    let span = Some(m.value_span);
    let reference = m.setter.display();
    let policies = policies_named(index, &m.setter.namespace, &m.setter.name);

    field_shape(m, &policies, out);

    if policies.is_empty() {
        if !model.policies.is_empty() {
            let mut similar: Vec<String> = model
                .policies
                .iter()
                .filter(|p| {
                    p.meta.name == m.setter.name
                        || p.meta.namespace.as_deref() == Some(m.setter.namespace.as_str())
                })
                .map(|p| format!("`{}`", p.meta.display()))
                .collect();
            similar.dedup();
            let help = if similar.is_empty() {
                "image-automation-controller silently skips a marker whose policy does not exist"
                    .to_owned()
            } else {
                format!(
                    "existing policies: {}; the marker value is `<namespace>:<policy>`",
                    similar.join(", ")
                )
            };
            out.push(finding(
                codes::SETTER_UNKNOWN_POLICY,
                Severity::Error,
                path,
                span,
                format!(
                    "setter marker `{reference}` names ImagePolicy `{}/{}`, which does not exist \
                     in the repository",
                    m.setter.namespace, m.setter.name
                ),
                help,
            ));
        }
        return;
    }

    // Lanes.
    let policy_lanes: BTreeSet<usize> = policies.iter().filter_map(|p| p.meta.lane).collect();
    let mut lane_reported = false;
    if let Some(file_lane) = m.file_lane
        && !policy_lanes.is_empty()
        && !policy_lanes.contains(&file_lane)
    {
        lane_reported = true;
        let other: Vec<&str> = policy_lanes.iter().map(|&l| lane_name(index, l)).collect();
        out.push(finding(
            codes::LANE_MISMATCH,
            Severity::Error,
            path,
            span,
            format!(
                "this file belongs to lane `{}` but its setter marker `{reference}` points at a \
                 policy of lane `{}`: the automation would write that lane's tags here",
                lane_name(index, file_lane),
                other.join("`, `")
            ),
            format!(
                "point the marker at this lane's policy, e.g. `{}:{}{}` (a merge between lane \
                 branches often rewrites markers)",
                lane_name(index, file_lane),
                m.setter.name,
                m.setter.suffix.as_str()
            ),
        ));
    }
    // With the wrong lane's policy, the pinned value is judged against the wrong filter:
    // the marker is the finding.
    if let Some(tag) = pinned_tag(m).filter(|_| !lane_reported) {
        let verdicts: Vec<Option<bool>> = policies
            .iter()
            .map(|p| index.policy_accepts(p, &tag))
            .collect();
        if !verdicts.is_empty() && verdicts.iter().all(|v| *v == Some(false)) {
            let p = policies[0];
            let lane = p
                .meta
                .lane
                .map(|l| format!(" of lane `{}`", lane_name(index, l)))
                .unwrap_or_default();
            let help = format!(
                "pin a tag the policy selects (its filter is `{}`); promotion retags the \
                 tested artifact, it never pins another lane's tag",
                p.pattern_text()
            );
            out.push(finding(
                codes::LANE_MISMATCH,
                Severity::Error,
                path,
                span,
                format!(
                    "the tag `{tag}` pinned at setter marker `{reference}` is not one ImagePolicy \
                     `{}`{lane} can select",
                    p.meta.display()
                ),
                help,
            ));
        }
    }

    // Automation.
    if model.automations.is_empty() {
        return;
    }
    // An automation writing to another repository never updates this one's files.
    let in_namespace: Vec<&Automation> = model
        .automations
        .iter()
        .filter(|a| {
            !writes_elsewhere(index, a)
                && a.meta
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| ns == m.setter.namespace)
        })
        .collect();
    let applies = |a: &Automation| {
        a.setters() && a.covers(path) && policies.iter().any(|p| a.selects(&p.meta.labels))
    };
    if in_namespace.iter().any(|a| applies(a)) {
        return;
    }
    let mut reasons: Vec<String> = in_namespace
        .iter()
        .map(|a| {
            let why = if !a.setters() {
                "its strategy is not Setters".to_owned()
            } else if !a.covers(path) {
                format!(
                    "its update.path `{}` does not contain this file",
                    a.update_path.as_ref().map_or(".", |p| p.value.as_str())
                )
            } else {
                format!(
                    "its policySelector ({}) does not select the policy",
                    a.selector
                        .as_ref()
                        .map_or("everything".to_owned(), selector::Selector::describe)
                )
            };
            format!("`{}` ({}): {why}", a.meta.display(), a.meta.path)
        })
        .collect();
    reasons.dedup();
    let help = if reasons.is_empty() {
        let elsewhere: Vec<String> = model
            .automations
            .iter()
            .filter(|a| a.covers(path))
            .map(|a| format!("`{}`", a.meta.display()))
            .collect();
        let mut text = format!(
            "image-automation-controller only applies ImagePolicies of the automation's own \
             namespace; add an ImageUpdateAutomation in `{}` whose update.path contains {path}",
            m.setter.namespace
        );
        if !elsewhere.is_empty() {
            text.push_str(&format!(
                " ({} cover the file but live in other namespaces)",
                elsewhere.join(", ")
            ));
        }
        text
    } else {
        reasons.join("; ")
    };
    out.push(finding(
        codes::SETTER_NOT_AUTOMATED,
        Severity::Error,
        path,
        span,
        format!(
            "no ImageUpdateAutomation applies setter marker `{reference}`: nothing will ever \
             update this value"
        ),
        help,
    ));
}

fn field_shape(m: &Marker, policies: &[&Policy], out: &mut Vec<Finding>) {
    let reference = m.setter.display();
    let value = m.value.as_deref().unwrap_or("");
    let key = m.key.as_deref().unwrap_or("");
    let base = format!("{}:{}", m.setter.namespace, m.setter.name);
    let problem: Option<(String, String)> = if m.images_field.is_some_and(|(_, f)| f == "name") {
        Some((
            format!(
                "setter marker `{reference}` is on an `images[].name`: that is the key kustomize \
                 matches containers by, and rewriting it makes the entry match nothing"
            ),
            format!("put `{base}:tag` on `newTag` (and `{base}:name` on `newName`)"),
        ))
    } else {
        match m.setter.suffix {
            Suffix::Tag if value.contains('/') || value.contains(':') => Some((
                format!(
                    "`:tag` marker on `{value}`, a full image reference: the setter replaces \
                     the whole value with just the tag"
                ),
                format!("use the full marker `{base}` here, or put `{base}:tag` on a tag field"),
            )),
            Suffix::Tag if matches!(key, "image" | "newName") => Some((
                format!(
                    "`:tag` marker on `{key}`: the setter writes only a tag into a field that \
                     needs an image name"
                ),
                format!("use `{base}` on `image`, or `{base}:tag` on `newTag`"),
            )),
            // The full setter writes `latestRef.String()`: `name:tag`, with `@digest` only
            // when the policy reflects digests; a pinned digest would be dropped.
            Suffix::Full
                if value.contains("@sha256:")
                    && !policies.is_empty()
                    && !policies.iter().any(|p| p.reflects_digest()) =>
            {
                let setting = policies[0].digest_reflection.as_deref().unwrap_or("unset");
                Some((
                    format!(
                        "full marker `{reference}` on `{value}`, pinned by digest, but ImagePolicy \
                         `{}` has digestReflectionPolicy `{setting}`: the setter writes \
                         `name:tag` without the digest",
                        policies[0].meta.display()
                    ),
                    "set `digestReflectionPolicy: IfNotPresent` on the policy so the setter \
                     writes `name:tag@digest`"
                        .to_owned(),
                ))
            }
            Suffix::Full if matches!(key, "newTag" | "tag") => Some((
                format!(
                    "full marker `{reference}` on `{key}`: the setter writes `name:tag` into a \
                     tag field"
                ),
                format!("use `{base}:tag`"),
            )),
            Suffix::Name if imageref::name_carries_tag(value) => Some((
                format!(
                    "`:name` marker on `{value}`, which carries a tag or digest: the setter \
                     replaces the whole value with the bare name and drops it"
                ),
                format!("use the full marker `{base}`, or keep the tag in its own field"),
            )),
            Suffix::Digest if matches!(key, "newTag" | "tag" | "image" | "newName") => Some((
                format!("`:digest` marker on `{key}`: the setter writes `sha256:…` there"),
                format!("put `{base}:digest` on a `digest` field"),
            )),
            Suffix::Full | Suffix::Tag | Suffix::Name if key == "digest" => Some((
                format!("marker `{reference}` on `digest`: the setter writes a name or tag there"),
                format!("use `{base}:digest`"),
            )),
            Suffix::Digest
                if !policies.is_empty() && !policies.iter().any(|p| p.reflects_digest()) =>
            {
                let setting = policies[0].digest_reflection.as_deref().unwrap_or("unset");
                Some((
                    format!(
                        "`:digest` marker but ImagePolicy `{}` has digestReflectionPolicy \
                         `{setting}`: the policy reports no digest and the setter writes an \
                         empty string",
                        policies[0].meta.display()
                    ),
                    "set `digestReflectionPolicy: IfNotPresent` (or `Always` with an \
                     `interval`) on the policy"
                        .to_owned(),
                ))
            }
            _ => None,
        }
    };
    if let Some((message, help)) = problem {
        out.push(finding(
            codes::SETTER_FIELD_SHAPE,
            Severity::Error,
            &m.path,
            Some(m.value_span),
            message,
            help,
        ));
    }
}

fn orphans(index: &Index, objects: &[PolicyObject<'_>], out: &mut Vec<Finding>) {
    for object in objects {
        for p in &object.instances {
            if index.model.markers.iter().any(|m| marker_uses(m, p)) {
                continue;
            }
            out.push(finding(
                codes::ORPHAN,
                Severity::Warning,
                &p.meta.path,
                Some(p.meta.span),
                format!(
                    "ImagePolicy `{}` is used by no setter marker: nothing writes what it selects \
                     back to Git",
                    p.meta.display()
                ),
                format!(
                    "mark the deployed value, e.g. `newTag: <tag> # {{\"$imagepolicy\": \"{}:{}:tag\"}}`, \
                     or remove the policy",
                    p.meta.namespace.as_deref().unwrap_or("<namespace>"),
                    p.meta.name
                ),
            ));
        }
    }
}

/// The automation's GitRepository is another repository: its `update.path` and the markers
/// it updates are there.
fn writes_elsewhere(index: &Index, a: &Automation) -> bool {
    a.source_name
        .as_ref()
        .is_some_and(|name| index.config.other_repositories.contains(&name.value))
}

fn automations(index: &Index, out: &mut Vec<Finding>) {
    let model = &index.model;
    for a in &model.automations {
        let path = a.meta.path.as_str();
        let ns = a.meta.namespace.as_deref();
        // sourceRef
        if let Some(kind) = &a.source_kind
            && kind.value != "GitRepository"
        {
            out.push(finding(
                codes::AUTOMATION_SOURCE_REF,
                Severity::Error,
                path,
                Some(kind.span),
                format!(
                    "ImageUpdateAutomation `{}` has sourceRef kind `{}`: image-automation-\
                     controller only writes to a GitRepository",
                    a.meta.display(),
                    kind.value
                ),
                "set `sourceRef.kind: GitRepository`".to_owned(),
            ));
        } else if let Some(name) = &a.source_name
            && !model.git_repositories.is_empty()
        {
            let source_ns = a.source_namespace.as_deref().or(ns);
            let found = model.git_repositories.iter().any(|(rns, rname)| {
                rname == &name.value
                    && (rns.is_none() || source_ns.is_none() || rns.as_deref() == source_ns)
            });
            if !found {
                out.push(finding(
                    codes::AUTOMATION_SOURCE_REF,
                    Severity::Error,
                    path,
                    Some(name.span),
                    format!(
                        "ImageUpdateAutomation `{}` refers to GitRepository `{}{}`, which is not \
                         in the repository",
                        a.meta.display(),
                        source_ns.map(|n| format!("{n}/")).unwrap_or_default(),
                        name.value
                    ),
                    "`sourceRef.namespace` defaults to the automation's namespace; the \
                     automation stays not ready until the source exists"
                        .to_owned(),
                ));
            }
        }
        // strategy
        if let Some(strategy) = &a.strategy
            && strategy.value != "Setters"
        {
            out.push(finding(
                codes::AUTOMATION_STRATEGY,
                Severity::Error,
                path,
                Some(strategy.span),
                format!(
                    "ImageUpdateAutomation `{}` has update.strategy `{}`: only `Setters` exists, \
                     the automation stalls (InvalidUpdateStrategy)",
                    a.meta.display(),
                    strategy.value
                ),
                "set `update.strategy: Setters`".to_owned(),
            ));
        }
        // messageTemplate
        if let Some(template) = &a.template
            && !a.substitute_disabled
        {
            substituted(
                path,
                &format!("the commit message template of `{}`", a.meta.display()),
                template,
                false,
                out,
            );
        }
        if let Some(template) = &a.template {
            for problem in gotemplate::check(&template.value) {
                let message = if problem.updated {
                    format!(
                        "commit message template of `{}` uses `.Updated`, which was removed: \
                         the automation stalls",
                        a.meta.display()
                    )
                } else {
                    format!(
                        "commit message template of `{}` is not a valid Go template: {}",
                        a.meta.display(),
                        problem.message
                    )
                };
                let snippet = template
                    .value
                    .get(problem.offset..problem.offset + problem.len)
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("");
                out.push(finding(
                    codes::AUTOMATION_TEMPLATE,
                    Severity::Error,
                    path,
                    Some(template.span),
                    format!("{message} (at `{snippet}`)"),
                    if problem.updated {
                        "use `.Changed` (e.g. `{{ range .Changed.Changes }}{{ .NewValue }}{{ end }}`)"
                            .to_owned()
                    } else {
                        "balance every `{{` with `}}` and every block with `{{ end }}`".to_owned()
                    },
                ));
            }
        }
        // update.path, when it is a path of this checkout: an automation writing to
        // another repository's GitRepository walks that repository.
        if writes_elsewhere(index, a) {
            continue;
        }
        let span = Some(a.update_path.as_ref().map_or(a.kind_span, |p| p.span));
        let shown = a.update_path.as_ref().map_or(".", |p| p.value.as_str());
        match &a.covered {
            None => out.push(finding(
                codes::SETTER_NOT_AUTOMATED,
                Severity::Error,
                path,
                span,
                format!(
                    "update.path `{shown}` of ImageUpdateAutomation `{}` leaves the repository",
                    a.meta.display()
                ),
                "paths are relative to the repository root".to_owned(),
            )),
            Some(dir) => {
                if !model.files.iter().any(|f| paths::covers(dir, f)) {
                    out.push(finding(
                        codes::SETTER_NOT_AUTOMATED,
                        Severity::Error,
                        path,
                        span,
                        format!(
                            "update.path `{shown}` of ImageUpdateAutomation `{}` matches no YAML \
                             file in the repository",
                            a.meta.display()
                        ),
                        "update.path is relative to the repository root, not to the \
                         automation's file; image-automation-controller fails on a missing path"
                            .to_owned(),
                    ));
                } else if !model.markers.iter().any(|m| {
                    a.covers(&m.path)
                        && ns.is_none_or(|ns| ns == m.setter.namespace)
                        && policies_named(index, &m.setter.namespace, &m.setter.name)
                            .iter()
                            .any(|p| a.selects(&p.meta.labels))
                }) {
                    // Markers are there but the selector excludes their policies: that is
                    // the selector's finding.
                    if !selector_empty(index, a, out) {
                        out.push(finding(
                            codes::SETTER_NOT_AUTOMATED,
                            Severity::Warning,
                            path,
                            span,
                            format!(
                                "ImageUpdateAutomation `{}` applies to no setter marker: no \
                                 marker under update.path `{shown}` names a policy of namespace \
                                 `{}` that its policySelector selects",
                                a.meta.display(),
                                ns.unwrap_or("?")
                            ),
                            "markers must name policies of the automation's own namespace, sit \
                             in files under its update.path, and be selected by its \
                             policySelector"
                                .to_owned(),
                        ));
                    }
                }
            }
        }
    }
    // Two automations writing one marked file.
    let autos: Vec<&Automation> = model
        .automations
        .iter()
        .filter(|a| a.setters() && !writes_elsewhere(index, a))
        .collect();
    for (i, a) in autos.iter().enumerate() {
        for b in &autos[i + 1..] {
            if a.meta.object == b.meta.object || a.meta.namespace != b.meta.namespace {
                continue;
            }
            let shared = model.markers.iter().find(|m| {
                a.meta
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| ns == m.setter.namespace)
                    && a.covers(&m.path)
                    && b.covers(&m.path)
                    && policies_named(index, &m.setter.namespace, &m.setter.name)
                        .iter()
                        .any(|p| a.selects(&p.meta.labels) && b.selects(&p.meta.labels))
            });
            if let Some(m) = shared {
                out.push(finding(
                    codes::AUTOMATION_OVERLAP,
                    Severity::Warning,
                    &b.meta.path,
                    Some(b.update_path.as_ref().map_or(b.kind_span, |p| p.span)),
                    format!(
                        "ImageUpdateAutomations `{}` and `{}` both update {} (marker `{}`): they \
                         race to push the same change",
                        a.meta.display(),
                        b.meta.display(),
                        m.path,
                        m.setter.display()
                    ),
                    format!(
                        "narrow one update.path or policySelector; the other automation is in {}",
                        a.meta.path
                    ),
                ));
            }
        }
    }
}

/// An automation whose `policySelector` excludes every policy the markers under its path
/// name: getPolicies lists the namespace's ImagePolicies with that selector, so the
/// automation runs, finds nothing to apply and reports "no updates made". Returns whether
/// it reported (the automation then needs no "applies to no marker" finding).
fn selector_empty(index: &Index, a: &Automation, out: &mut Vec<Finding>) -> bool {
    let Some(selector) = a.selector.as_ref().filter(|s| !s.unknown) else {
        return false;
    };
    let ns = a.meta.namespace.as_deref();
    let mut named: Vec<&Policy> = Vec::new();
    for m in &index.model.markers {
        if !a.covers(&m.path) || ns.is_some_and(|ns| ns != m.setter.namespace) {
            continue;
        }
        for p in policies_named(index, &m.setter.namespace, &m.setter.name) {
            if !named.iter().any(|q| q.meta.object == p.meta.object) {
                named.push(p);
            }
        }
    }
    if named.is_empty() {
        return false;
    }
    let shown: Vec<String> = named
        .iter()
        .take(4)
        .map(|p| {
            format!(
                "`{}` ({})",
                p.meta.display(),
                selector::describe_labels(&p.meta.labels)
            )
        })
        .collect();
    let wanted = selector.describe();
    out.push(finding(
        codes::AUTOMATION_SELECTOR_EMPTY,
        Severity::Warning,
        &a.meta.path,
        a.selector_span.or(Some(a.kind_span)),
        format!(
            "the policySelector ({wanted}) of ImageUpdateAutomation `{}` selects none of the \
             ImagePolicies its markers name: {}; the automation applies nothing",
            a.meta.display(),
            shown.join(", ")
        ),
        format!(
            "label the policies to match ({wanted}), or widen or remove the selector (without \
             one, every ImagePolicy of namespace `{}` is applied)",
            ns.unwrap_or("?")
        ),
    ));
    true
}

fn static_digests(index: &Index, out: &mut Vec<Finding>) {
    let model = &index.model;
    for (i, entry) in model.images.iter().enumerate() {
        let Some(digest) = &entry.digest else {
            continue;
        };
        let marked = |field| {
            model
                .markers
                .iter()
                .any(|m| m.images_field == Some((i, field)))
        };
        if marked("newTag") && !marked("digest") {
            out.push(finding(
                codes::UNMATCHED_IMAGES_ENTRY,
                Severity::Warning,
                &entry.path,
                Some(digest.span),
                format!(
                    "static `digest` beside an automated `newTag` in the images entry `{}`: \
                     kustomize renders `name:tag@digest` and the runtime pulls the digest, so \
                     tag updates have no effect",
                    entry.name.as_ref().map_or("", |n| n.value.as_str())
                ),
                "remove the digest, or automate it too with a `:digest` marker".to_owned(),
            ));
        }
    }
}
