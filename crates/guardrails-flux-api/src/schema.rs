//! A small schema language for Flux objects, and the one checker that walks a YAML tree
//! against it.
//!
//! Schemas are data (`static` values in `kinds.rs`) so that adding a field is a one-line
//! change next to the field list it belongs to, and so that the rules the checker applies
//! (what counts as a type error, where a finding points) live in one place.

use guardrails_yaml::{Node, Span, Value};

use crate::kubernetes::FieldPath;
use crate::{Finding, Severity, codes};

/// What a value must look like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// Free-form: Helm values, post-renderer internals, fields whose shape is not pinned.
    Any,
    /// Any mapping, not looked into (`metadata`: ObjectMeta is other tools' business).
    AnyMap,
    String,
    /// Kubernetes `int-or-string`: an integer is as good as a string.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "part of the language; no field of the current Flux kinds is int-or-string"
        )
    )]
    IntOrString,
    Integer,
    Boolean,
    /// A Go duration string limited to `ms`, `s`, `m` and `h`, the pattern Flux CRDs put on
    /// `interval`, `timeout` and `retryInterval`.
    Duration,
    /// The same without `h`: source and image-reflector timeouts.
    ShortDuration,
    /// A string from a closed list.
    Enum(&'static [&'static str]),
    /// A string that must start with one of these prefixes (URL scheme patterns).
    Prefixed(&'static [&'static str]),
    Array(&'static Ty),
    /// A mapping from string keys to values of one type.
    Map(&'static Ty),
    Object(&'static Obj),
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

/// An object: its fields, whether unknown fields are tolerated, and groups of fields of
/// which exactly one must be set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Obj {
    pub fields: &'static [Field],
    /// Unknown fields are accepted. Used where an API grew fields in a release this table
    /// could not read, so a new field never becomes a false error.
    pub open: bool,
    pub exactly_one_of: &'static [&'static [&'static str]],
}

pub(crate) const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
    }
}

pub(crate) const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
    }
}

pub(crate) const fn closed(fields: &'static [Field]) -> Obj {
    Obj {
        fields,
        open: false,
        exactly_one_of: &[],
    }
}

pub(crate) const fn open(fields: &'static [Field]) -> Obj {
    Obj {
        fields,
        open: true,
        exactly_one_of: &[],
    }
}

/// Walks one object, collecting every finding (never stopping at the first).
pub(crate) struct Checker {
    /// How messages name the object: `Kustomization kustomize.toolkit.fluxcd.io/v1`.
    subject: String,
    /// A kustomize patch: a partial object that the target it merges into completes, so
    /// absent fields are not findings and strategic-merge directives (`$patch`,
    /// `$retainKeys`, `$setElementOrder/…`) are not fields.
    partial: bool,
    pub findings: Vec<Finding>,
}

impl Checker {
    pub fn new(kind: &str, api_version: &str) -> Self {
        Checker {
            subject: format!("{kind} {api_version}"),
            partial: false,
            findings: Vec::new(),
        }
    }

    /// A checker for a patch's partial object.
    pub fn partial(kind: &str, api_version: &str) -> Self {
        Checker {
            partial: true,
            ..Checker::new(kind, api_version)
        }
    }

    /// Checks `node` as an object of schema `obj`. `anchor` is where findings about the
    /// object as a whole go (a missing field): the key that holds it, the list item, or for
    /// the root the `kind` value.
    pub fn object(&mut self, node: &Node, obj: &Obj, path: &str, anchor: Span) {
        let Some(entries) = node.as_map() else {
            self.wrong_type(node, "object", path);
            return;
        };
        for (key, value) in entries {
            let name = key.scalar_text();
            let child = join(path, name.as_deref().unwrap_or("<non-scalar key>"));
            let field = name
                .as_deref()
                .and_then(|n| obj.fields.iter().find(|f| f.name == n));
            match field {
                // Kubernetes prunes explicit nulls before validating: `interval: ~` is the
                // same as no `interval`, which the required check below reports.
                Some(_) if value.is_null() => {}
                Some(field) => self.value(value, &field.ty, &child, key.span),
                None if obj.open => {}
                // Strategic-merge directives of the apimachinery patch format.
                None if self.partial && name.as_deref().is_some_and(|n| n.starts_with('$')) => {}
                None => self.unknown_field(key, name.as_deref(), obj, &child),
            }
        }
        for field in obj.fields.iter().filter(|f| f.required) {
            if present(node, field.name).is_none() {
                self.missing(field, path, anchor);
            }
        }
        for group in obj.exactly_one_of {
            let set: Vec<(&Node, &str)> = group
                .iter()
                .filter_map(|name| present(node, name).map(|key| (key, *name)))
                .collect();
            let names = group
                .iter()
                .map(|n| format!("`{}`", join(path, n)))
                .collect::<Vec<_>>()
                .join(" or ");
            match set.as_slice() {
                [] => self.push_missing(
                    anchor,
                    format!("missing required field: one of {names} in {}", self.subject),
                    None,
                ),
                [_] => {}
                [_, rest @ ..] => {
                    for (key, name) in rest {
                        self.push(
                            key.span,
                            format!(
                                "`{}` cannot be set together with {}: exactly one of {names} is allowed in {}",
                                join(path, name),
                                set.iter()
                                    .filter(|(_, other)| other != name)
                                    .map(|(_, other)| format!("`{}`", join(path, other)))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                self.subject
                            ),
                            None,
                        );
                    }
                }
            }
        }
    }

    fn value(&mut self, node: &Node, ty: &Ty, path: &str, key_span: Span) {
        // A `${VAR}` is replaced by Flux post-build substitution before the API server ever
        // sees the object: its final type and text are unknown here.
        if node.as_str().is_some_and(|s| s.contains("${")) {
            return;
        }
        match ty {
            Ty::Any => {}
            Ty::AnyMap => {
                if node.as_map().is_none() {
                    self.wrong_type(node, "object", path);
                }
            }
            Ty::String => {
                if node.as_str().is_none() {
                    self.wrong_type(node, "string", path);
                }
            }
            Ty::IntOrString => match &node.value {
                Value::String(_) | Value::Int(_) => {}
                Value::Float(f) if f.fract() == 0.0 => {}
                _ => self.wrong_type(node, "integer or string", path),
            },
            Ty::Integer => match &node.value {
                Value::Int(_) => {}
                // JSON has no integers: `3.0` reaches the API server as the number 3.
                Value::Float(f) if f.fract() == 0.0 => {}
                _ => self.wrong_type(node, "integer", path),
            },
            Ty::Boolean => match &node.value {
                Value::Bool(_) => {}
                // YAML 1.1 spellings (`yes`, `on`) are booleans to some Kubernetes YAML
                // decoders and strings to others: never call them wrong.
                Value::String(s) if is_yaml11_bool(s) => {}
                _ => self.wrong_type(node, "boolean", path),
            },
            Ty::Duration | Ty::ShortDuration => {
                let hours = matches!(ty, Ty::Duration);
                match node.as_str() {
                    Some(text) if is_duration(text, hours) => {}
                    Some(text) => self.bad_duration(node, text, hours, path),
                    None => self.wrong_type(node, "duration string", path),
                }
            }
            Ty::Enum(allowed) => match node.as_str() {
                Some(text) if allowed.contains(&text) => {}
                Some(text) => self.bad_enum(node, text, allowed, path),
                None => self.wrong_type(node, "string", path),
            },
            Ty::Prefixed(prefixes) => match node.as_str() {
                Some(text) if prefixes.iter().any(|p| text.starts_with(p)) => {}
                Some(text) => self.push(
                    node.span,
                    format!(
                        "invalid value `{text}` for `{path}` in {}: must start with {}",
                        self.subject,
                        list(prefixes, " or ")
                    ),
                    text.starts_with("git@").then(|| {
                        "scp-like addresses are not accepted: write `ssh://git@host/owner/repo`"
                            .to_owned()
                    }),
                ),
                None => self.wrong_type(node, "string", path),
            },
            Ty::Array(item) => match node.as_seq() {
                Some(items) => {
                    for (index, element) in items.iter().enumerate() {
                        if !element.is_null() {
                            self.value(element, item, &format!("{path}[{index}]"), element.span);
                        }
                    }
                }
                None => self.wrong_type(node, "array", path),
            },
            Ty::Map(item) => match node.as_map() {
                Some(entries) => {
                    for (key, element) in entries {
                        if !element.is_null() {
                            let name = key.scalar_text().unwrap_or_default();
                            self.value(element, item, &join(path, &name), key.span);
                        }
                    }
                }
                None => self.wrong_type(node, "object", path),
            },
            Ty::Object(obj) => self.object(node, obj, path, key_span),
        }
    }

    fn unknown_field(&mut self, key: &Node, name: Option<&str>, obj: &Obj, path: &str) {
        let known: Vec<&str> = obj.fields.iter().map(|f| f.name).collect();
        let help = unknown_field_help(name.unwrap_or_default(), &known);
        self.push(
            key.span,
            format!("unknown field `{path}` in {}", self.subject),
            help,
        );
    }

    fn missing(&mut self, field: &Field, parent: &str, anchor: Span) {
        let help = match field.ty {
            Ty::Object(obj) => {
                let needs: Vec<&str> = obj
                    .fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| f.name)
                    .collect();
                (!needs.is_empty())
                    .then(|| format!("`{}` needs {}", field.name, list(&needs, ", ")))
            }
            _ => None,
        };
        self.push_missing(
            anchor,
            format!(
                "missing required field `{}` in {}",
                join(parent, field.name),
                self.subject
            ),
            help,
        );
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, path: &str) {
        let found = node.value.type_name();
        let help = type_help(node, expected);
        self.push(
            node.span,
            format!(
                "wrong type for `{path}` in {}: expected {expected}, found {found}",
                self.subject
            ),
            help,
        );
    }

    fn bad_duration(&mut self, node: &Node, text: &str, hours: bool, path: &str) {
        let (units, pattern) = if hours {
            ("`ms`, `s`, `m` or `h`", r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
        } else {
            ("`ms`, `s` or `m`", r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$")
        };
        self.push(
            node.span,
            format!(
                "invalid duration `{text}` for `{path}` in {}: expected numbers with units {units}, such as `{}` (pattern {pattern})",
                self.subject,
                if hours { "1h30m" } else { "90s" }
            ),
            duration_hint(text, hours),
        );
    }

    fn bad_enum(&mut self, node: &Node, text: &str, allowed: &[&str], path: &str) {
        let (message, help) = bad_enum(text, allowed, path, &self.subject);
        self.push(node.span, message, help);
    }

    fn push(&mut self, span: Span, message: String, help: Option<String>) {
        self.findings.push(Finding {
            code: codes::SCHEMA,
            severity: Severity::Error,
            message,
            help,
            span,
            missing: false,
            path: FieldPath::default(),
        });
    }

    fn push_missing(&mut self, span: Span, message: String, help: Option<String>) {
        if self.partial {
            return;
        }
        self.push(span, message, help);
        if let Some(last) = self.findings.last_mut() {
            last.missing = true;
        }
    }
}

/// The help for an unknown field: the field it likely meant, else the fields there are
/// when they are few.
pub(crate) fn unknown_field_help(name: &str, known: &[&str]) -> Option<String> {
    match closest(name, known) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None if !known.is_empty() && known.len() <= 12 => {
            Some(format!("allowed fields: {}", list(known, ", ")))
        }
        None => None,
    }
}

/// The message and help for a string outside its enum.
pub(crate) fn bad_enum(
    text: &str,
    allowed: &[&str],
    path: &str,
    subject: &str,
) -> (String, Option<String>) {
    (
        format!(
            "invalid value `{text}` for `{path}` in {subject}: must be one of {}",
            allowed.join(", ")
        ),
        closest(text, allowed).map(|best| format!("did you mean `{best}`?")),
    )
}

/// How to fix a value of the wrong type, when the fix is plain (quotes to add or remove).
pub(crate) fn type_help(node: &Node, expected: &str) -> Option<String> {
    match (&node.value, expected) {
        (Value::Int(_) | Value::Float(_) | Value::Bool(_), "string") => node
            .scalar_text()
            .map(|text| format!("quote it: `\"{text}\"`")),
        (Value::String(s), "boolean") if s == "true" || s == "false" => {
            Some(format!("write `{s}` without quotes"))
        }
        (Value::String(s), "integer") if s.parse::<i64>().is_ok() => {
            Some(format!("write `{s}` without quotes"))
        }
        (Value::String(s), "number") if s.parse::<f64>().is_ok() => {
            Some(format!("write `{s}` without quotes"))
        }
        (Value::Int(_) | Value::Float(_), "duration string") => {
            Some("write a duration with a unit, such as `5m` or `30s`".to_owned())
        }
        _ => None,
    }
}

/// The key node of `name` in `node` when the field is there with a non-null value.
fn present<'a>(node: &'a Node, name: &str) -> Option<&'a Node> {
    node.entry(name)
        .filter(|(_, value)| !value.is_null())
        .map(|(key, _)| key)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn list(items: &[&str], separator: &str) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(separator)
}

/// A string that some YAML decoder reads as a boolean. The exact `true` and `false` are not
/// among them: unquoted, they never reach here as strings, so they were quoted.
pub(crate) fn is_yaml11_bool(s: &str) -> bool {
    s != "true"
        && s != "false"
        && matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
}

/// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`, or without `h` when `hours` is false.
pub(crate) fn is_duration(text: &str, hours: bool) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    if bytes.is_empty() {
        return false;
    }
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let fraction = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == fraction {
                return false;
            }
        }
        match bytes.get(i) {
            Some(b'm') if bytes.get(i + 1) == Some(&b's') => i += 2,
            Some(b's' | b'm') => i += 1,
            Some(b'h') if hours => i += 1,
            _ => return false,
        }
    }
    true
}

/// A hint for the common ways a duration goes wrong.
fn duration_hint(text: &str, hours: bool) -> Option<String> {
    let trimmed = text.trim();
    if trimmed != text {
        return Some("remove the surrounding spaces".to_owned());
    }
    if text.contains(' ') {
        return Some("write the duration without spaces, such as `1h30m`".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        return Some(format!("add a unit: `{text}s`, `{text}m`"));
    }
    if text.ends_with('d') || text.ends_with('w') || text.ends_with('y') {
        return Some(if hours {
            "days, weeks and years are not Go duration units: use hours, such as `24h`".to_owned()
        } else {
            "days, weeks and years are not Go duration units".to_owned()
        });
    }
    if !hours && text.contains('h') {
        return Some("this timeout does not accept hours: use minutes, such as `90m`".to_owned());
    }
    if text.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("units are lower case: `ms`, `s`, `m`, `h`".to_owned());
    }
    None
}

/// The candidate closest to `name` within edit distance 2 (case differences count as
/// one edit in total), ties going to the earlier candidate; failing that, the only
/// candidate that `name` abbreviates (`HelmRepo` for `HelmRepository`).
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let distance = if candidate.eq_ignore_ascii_case(name) {
            1
        } else {
            edit_distance(name, candidate)
        };
        if distance <= 2 && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    if let Some((_, candidate)) = best {
        return Some(candidate);
    }
    let lower = name.to_ascii_lowercase();
    let mut prefixed = candidates
        .iter()
        .filter(|c| lower.len() >= 3 && c.to_ascii_lowercase().starts_with(&lower));
    match (prefixed.next(), prefixed.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Levenshtein distance over characters; lengths more than 2 apart are answered by their
/// difference (a lower bound, and already too far for a suggestion) without the table.
fn edit_distance(a: &str, b: &str) -> usize {
    let apart = a.chars().count().abs_diff(b.chars().count());
    if apart > 2 {
        return apart;
    }
    guardrails_diagnostics::suggest::edit_distance(a, b)
}
