//! Built-in Kubernetes objects checked against the OpenAPI schemas of one Kubernetes
//! release, and custom resources against the `openAPIV3Schema` of a CustomResourceDefinition
//! the repository defines.
//!
//! What is reported is what the API server refuses when kustomize-controller applies the
//! object with server-side apply (or `kubectl apply` does): a field the schema does not
//! declare ("field not declared in schema"), a value of the wrong JSON type ("cannot
//! unmarshal string into Go struct field"), a required field left out, a value outside an
//! enum, a `[]byte` field that is not base64. Value limits (patterns, ranges, CEL rules)
//! are the API server's business: they are not repeated here.
//!
//! The built-in schemas are generated at build time (`build.rs`) from the `k8s-openapi`
//! bindings; a CRD's schema is read from the repository. Both are walked by one checker.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use guardrails_yaml::{Node, Span, Value};
use serde_json::{Map, Value as Json};

use crate::{Finding, Severity, schema};

/// The stable code of a Kubernetes schema finding.
pub const SCHEMA: &str = "k8s::schema";
/// A built-in API version the Kubernetes API server no longer serves.
pub const REMOVED_API: &str = "k8s::removed-api";

/// What applies the object, which decides what an undeclared field does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applier {
    /// kustomize-controller: it converts every object of a kind client-go knows to its Go
    /// type and back before applying (fluxcd/pkg `ssa/normalize.UnstructuredList`), which
    /// drops undeclared fields silently (Role and ClusterRole are left as they are).
    KustomizeController,
    /// `kubectl apply` (strict field validation by default) or anything else that sends
    /// the object as written: the API server refuses undeclared fields.
    Direct,
}

/// One step of the way from an object's root to a field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Where a field is in its object: `spec.template.spec.containers[0].image`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(pub Vec<Step>);

impl FieldPath {
    fn child(&self, step: Step) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(step);
        FieldPath(steps)
    }

    fn key(&self, name: &str) -> FieldPath {
        self.child(Step::Key(name.to_owned()))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => write!(f, "{key}")?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The node at `path` in `doc`, when the document has it.
pub fn node_at<'a>(doc: &'a Node, path: &FieldPath) -> Option<&'a Node> {
    let mut node = doc;
    for step in &path.0 {
        node = match step {
            Step::Key(key) => node.get(key)?,
            Step::Index(index) => node.as_seq()?.get(*index)?,
        };
    }
    Some(node)
}

/// The key node of the field at `path` (the value's node for a list item).
pub fn key_at<'a>(doc: &'a Node, path: &FieldPath) -> Option<&'a Node> {
    let (last, parent) = path.0.split_last()?;
    let parent = node_at(doc, &FieldPath(parent.to_vec()))?;
    match last {
        Step::Key(key) => parent.entry(key).map(|(key, _)| key),
        Step::Index(index) => parent.as_seq()?.get(*index),
    }
}

/// The embedded schemas of the built-in kinds.
struct Builtin {
    release: String,
    /// `apps/v1/Deployment` → its schema (a `$ref` into `definitions`).
    roots: Map<String, Json>,
    definitions: Map<String, Json>,
}

fn builtin() -> &'static Builtin {
    static BUILTIN: OnceLock<Builtin> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let text = include_str!(concat!(env!("OUT_DIR"), "/kubernetes-schemas.json"));
        let mut document: Map<String, Json> = serde_json::from_str(text).unwrap_or_default();
        let mut take = |key: &str| match document.remove(key) {
            Some(Json::Object(map)) => map,
            _ => Map::new(),
        };
        let roots = take("roots");
        let definitions = take("definitions");
        let release = document
            .get("release")
            .and_then(Json::as_str)
            .unwrap_or("unknown")
            .to_owned();
        Builtin {
            release,
            roots,
            definitions,
        }
    })
}

/// The Kubernetes release whose schemas the built-in kinds are checked against.
pub fn kubernetes_release() -> &'static str {
    &builtin().release
}

/// Whether a built-in schema exists for this `apiVersion` and `kind`.
pub fn is_builtin(api_version: &str, kind: &str) -> bool {
    builtin()
        .roots
        .contains_key(&format!("{api_version}/{kind}"))
}

/// The schemas objects are checked against: the built-in kinds, and the custom resources
/// whose CustomResourceDefinition was added.
#[derive(Debug, Default, Clone)]
pub struct Schemas {
    /// `(apiVersion, kind)` → the version's `openAPIV3Schema`.
    crds: HashMap<(String, String), Json>,
}

impl Schemas {
    pub fn new() -> Self {
        Schemas::default()
    }

    /// Registers the served versions of a CustomResourceDefinition (`apiextensions.k8s.io/v1`)
    /// that carry a schema; any other document is ignored. Returns how many versions were
    /// added.
    pub fn add_crd(&mut self, doc: &Node) -> usize {
        if doc.str_at(&["apiVersion"]) != Some("apiextensions.k8s.io/v1")
            || doc.str_at(&["kind"]) != Some("CustomResourceDefinition")
        {
            return 0;
        }
        let (Some(group), Some(kind)) = (
            doc.str_at(&["spec", "group"]),
            doc.str_at(&["spec", "names", "kind"]),
        ) else {
            return 0;
        };
        // Flux's own kinds have a hand-written schema with better messages (`check_object`).
        if crate::is_flux_api(&format!("{group}/v1")) {
            return 0;
        }
        let mut added = 0;
        for version in doc
            .at(&["spec", "versions"])
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            let (Some(name), Some(schema)) = (
                version.str_at(&["name"]),
                version.at(&["schema", "openAPIV3Schema"]),
            ) else {
                continue;
            };
            // A version the API server does not serve is refused whatever its shape.
            if version.get("served").and_then(|s| match s.value {
                Value::Bool(b) => Some(b),
                _ => None,
            }) == Some(false)
            {
                continue;
            }
            // Substituted text or a schema of unknown shape: better no check than a wrong one.
            if schema.as_map().is_none() {
                continue;
            }
            self.crds.insert(
                (format!("{group}/{name}"), kind.to_owned()),
                to_json(schema),
            );
            added += 1;
        }
        added
    }

    /// Custom resource kinds registered.
    pub fn custom_kinds(&self) -> usize {
        self.crds.len()
    }

    /// Checks one object, built-in or custom; objects of other kinds (and Flux's, which
    /// [`crate::check_object`] checks) give no findings.
    pub fn check(&self, doc: &Node, applier: Applier) -> Vec<Finding> {
        let (Some(api_version), Some(kind)) = (doc.str_at(&["apiVersion"]), doc.str_at(&["kind"]))
        else {
            return Vec::new();
        };
        if let Some(removed) = removed_api(api_version, kind) {
            let span = doc.get("apiVersion").map_or(doc.span, |n| n.span);
            return vec![Finding {
                code: REMOVED_API,
                severity: Severity::Error,
                message: format!(
                    "{kind} {api_version} is no longer served since Kubernetes {}; use {}",
                    removed.since, removed.replacement
                ),
                help: Some(format!(
                    "applying it fails with `no matches for kind \"{kind}\" in version \"{api_version}\"`; \
                     change `apiVersion` to {} (and the fields that changed with it)",
                    removed.replacement
                )),
                span,
                missing: false,
                path: FieldPath::default(),
            }];
        }
        let subject = format!("{kind} {api_version}");
        // kustomize-controller decrypts SOPS documents before applying them: the `sops`
        // stanza is gone and `ENC[...]` values are plain by then.
        let sops = doc.get("sops").is_some_and(|s| s.as_map().is_some());
        let builtin = builtin();
        let (root, definitions) =
            if let Some(root) = builtin.roots.get(&format!("{api_version}/{kind}")) {
                (root, Some(&builtin.definitions))
            } else if let Some(root) = self.crds.get(&(api_version.to_owned(), kind.to_owned())) {
                (root, None)
            } else {
                return Vec::new();
            };
        let mut walker = Walker {
            definitions,
            subject,
            sops,
            custom: definitions.is_none(),
            breaks_conversion: false,
            findings: Vec::new(),
        };
        let anchor = doc.get("kind").map_or(doc.span, |k| k.span);
        walker.value(doc, root, &FieldPath::default(), anchor, true);
        let mut findings = walker.findings;
        // kustomize-controller's conversion to the Go type drops undeclared fields, unless
        // a value of the wrong type (or bad base64) makes the conversion fail: then the
        // object goes to the API server as written and is refused.
        let converted = applier == Applier::KustomizeController
            && !walker.custom
            && in_client_go_scheme(api_version, kind)
            && !walker.breaks_conversion;
        if converted {
            for finding in findings
                .iter_mut()
                .filter(|f| f.message.starts_with("unknown field"))
            {
                finding.severity = Severity::Warning;
                finding.message = finding.message.replace(REFUSED, DROPPED);
            }
        }
        findings
    }
}

static NULL: Json = Json::Null;

struct Walker<'s> {
    /// The built-in schemas' named definitions; a CRD schema has no references.
    definitions: Option<&'s Map<String, Json>>,
    subject: String,
    sops: bool,
    /// A CRD's schema: `apiVersion`, `kind` and `metadata` are implied at the root.
    custom: bool,
    /// A value the conversion to the Go type cannot read (wrong type, bad base64).
    breaks_conversion: bool,
    findings: Vec<Finding>,
}

const REFUSED: &str = "the API server refuses it (field not declared in schema)";
const DROPPED: &str = "kustomize-controller drops it before applying (it converts the object to \
                       its Go type), so it has no effect";

/// The JSON types a schema can ask for, as the API server decodes YAML.
enum Expected {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    IntOrString,
    /// `resource.Quantity`: a string, or any number (`cpu: 0.5`).
    Quantity,
    Any,
}

impl<'s> Walker<'s> {
    /// Follows `$ref`s (schemars writes `#/$defs/<name>`), noting a Quantity on the way.
    fn resolve(&self, mut schema: &'s Json) -> (&'s Json, bool) {
        let mut quantity = false;
        for _ in 0..16 {
            let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let name = reference.rsplit('/').next().unwrap_or(reference);
            quantity |= name == "io.k8s.apimachinery.pkg.api.resource.Quantity";
            // apiextensions `JSON` (a CRD's `default`, `example`, `enum` entries) is any
            // value; the bindings describe it as an object.
            if name == "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON" {
                return (&NULL, false);
            }
            match self.definitions.and_then(|d| d.get(name)) {
                Some(target) => schema = target,
                None => return (&NULL, quantity),
            }
        }
        (schema, quantity)
    }

    fn value(
        &mut self,
        node: &Node,
        schema: &'s Json,
        path: &FieldPath,
        key_span: Span,
        root: bool,
    ) {
        // Explicit nulls decode as "not set": a required check reports them if needed.
        if node.is_null() {
            return;
        }
        // `${VAR}` is replaced by Flux post-build substitution before the API server sees
        // the object; `ENC[...]` by SOPS decryption. Neither's final type is known here.
        if node
            .as_str()
            .is_some_and(|text| text.contains("${") || (self.sops && text.starts_with("ENC[")))
        {
            return;
        }
        let (schema, quantity) = self.resolve(schema);
        let Some(schema) = schema.as_object() else {
            return;
        };
        let flag = |name: &str| schema.get(name).and_then(Json::as_bool) == Some(true);
        let expected = if quantity {
            Expected::Quantity
        } else if flag("x-kubernetes-int-or-string") {
            Expected::IntOrString
        } else {
            match schema.get("type").and_then(Json::as_str) {
                Some("object") => Expected::Object,
                Some("array") => Expected::Array,
                Some("string") => Expected::String,
                Some("integer") => Expected::Integer,
                Some("number") => Expected::Number,
                Some("boolean") => Expected::Boolean,
                _ if schema.contains_key("properties") => Expected::Object,
                _ => Expected::Any,
            }
        };
        match expected {
            Expected::Any => {}
            Expected::Object => match node.as_map() {
                Some(_) => self.object(node, schema, path, key_span, root),
                None => self.wrong_type(node, "object", path),
            },
            Expected::Array => match node.as_seq() {
                Some(items) => {
                    let item_schema = schema.get("items").unwrap_or(&NULL);
                    for (index, item) in items.iter().enumerate() {
                        self.value(
                            item,
                            item_schema,
                            &path.child(Step::Index(index)),
                            item.span,
                            false,
                        );
                    }
                }
                None => self.wrong_type(node, "array", path),
            },
            Expected::String => match node.as_str() {
                Some(text) => self.string(node, text, schema, path),
                None => self.wrong_type(node, "string", path),
            },
            Expected::Integer => match &node.value {
                Value::Int(_) => {}
                // JSON has no integers: `3.0` reaches the API server as the number 3.
                Value::Float(f) if f.fract() == 0.0 => {}
                _ => self.wrong_type(node, "integer", path),
            },
            Expected::Number => {
                if !matches!(node.value, Value::Int(_) | Value::Float(_)) {
                    self.wrong_type(node, "number", path);
                }
            }
            Expected::Boolean => match &node.value {
                Value::Bool(_) => {}
                // YAML 1.1 spellings (`yes`, `on`) are booleans to the YAML decoder
                // kustomize-controller reads renders with.
                Value::String(s) if schema::is_yaml11_bool(s) => {}
                _ => self.wrong_type(node, "boolean", path),
            },
            Expected::IntOrString => match &node.value {
                Value::String(_) | Value::Int(_) => {}
                Value::Float(f) if f.fract() == 0.0 => {}
                _ => self.wrong_type(node, "integer or string", path),
            },
            Expected::Quantity => {
                if !matches!(
                    node.value,
                    Value::String(_) | Value::Int(_) | Value::Float(_)
                ) {
                    self.wrong_type(node, "quantity (a string such as `500m` or a number)", path);
                }
            }
        }
    }

    fn object(
        &mut self,
        node: &Node,
        schema: &'s Map<String, Json>,
        path: &FieldPath,
        anchor: Span,
        root: bool,
    ) {
        let properties = schema.get("properties").and_then(Json::as_object);
        let additional = schema.get("additionalProperties");
        let preserve = schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Json::as_bool)
            == Some(true);
        let embedded = schema
            .get("x-kubernetes-embedded-resource")
            .and_then(Json::as_bool)
            == Some(true);
        let entries = node.as_map().unwrap_or(&[]);
        for (key, value) in entries {
            let Some(name) = key.scalar_text() else {
                continue;
            };
            let child = path.key(&name);
            // `status` is the controllers' to write: kustomize-controller removes it before
            // applying (but for CRDs), and the API server ignores it on create.
            if root && name == "status" {
                continue;
            }
            if let Some(field) = properties.and_then(|p| p.get(&name)) {
                self.value(value, field, &child, key.span, false);
                continue;
            }
            // What the schema does not list, it may still allow.
            match additional {
                Some(Json::Bool(true)) => continue,
                Some(item @ Json::Object(_)) => {
                    self.value(value, item, &child, key.span, false);
                    continue;
                }
                _ => {}
            }
            let implied = ((root && self.custom) || embedded)
                && matches!(name.as_str(), "apiVersion" | "kind" | "metadata");
            if preserve || implied || (properties.is_none() && additional.is_none()) {
                continue;
            }
            if root && self.sops && name == "sops" {
                continue;
            }
            let known: Vec<&str> = properties
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            self.unknown_field(key, &name, &known, &child);
        }
        for required in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            let present = node
                .entry(required)
                .is_some_and(|(_, value)| !value.is_null());
            // The API server fills a CRD's defaults in before it checks required fields.
            let defaulted = properties
                .and_then(|p| p.get(required))
                .is_some_and(|field| field.get("default").is_some());
            if !present && !defaulted {
                self.push(
                    anchor,
                    format!(
                        "missing required field `{}` in {}",
                        path.key(required),
                        self.subject
                    ),
                    None,
                    path.key(required),
                    true,
                );
            }
        }
    }

    fn string(&mut self, node: &Node, text: &str, schema: &Map<String, Json>, path: &FieldPath) {
        if let Some(allowed) = schema.get("enum").and_then(Json::as_array) {
            let allowed: Vec<&str> = allowed.iter().filter_map(Json::as_str).collect();
            if !allowed.is_empty() && !allowed.contains(&text) {
                let (message, help) =
                    schema::bad_enum(text, &allowed, &path.to_string(), &self.subject);
                self.push(node.span, message, help, path.clone(), false);
            }
        }
        if schema.get("format").and_then(Json::as_str) == Some("byte") && !is_base64(text) {
            self.breaks_conversion = true;
            let help = if path.0.first() == Some(&Step::Key("data".to_owned())) {
                "values under `data` are base64; put plain text under `stringData` instead"
            } else {
                "encode the value with `base64`"
            };
            self.push(
                node.span,
                format!("`{path}` in {} is not valid base64", self.subject),
                Some(help.to_owned()),
                path.clone(),
                false,
            );
        }
    }

    fn unknown_field(&mut self, key: &Node, name: &str, known: &[&str], path: &FieldPath) {
        let help = schema::unknown_field_help(name, known);
        self.push(
            key.span,
            format!("unknown field `{path}` in {}: {REFUSED}", self.subject),
            help,
            path.clone(),
            false,
        );
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, path: &FieldPath) {
        self.breaks_conversion = true;
        let found = node.value.type_name();
        let help = schema::type_help(node, expected);
        self.push(
            node.span,
            format!(
                "wrong type for `{path}` in {}: expected {expected}, found {found}",
                self.subject
            ),
            help,
            path.clone(),
            false,
        );
    }

    fn push(
        &mut self,
        span: Span,
        message: String,
        help: Option<String>,
        path: FieldPath,
        missing: bool,
    ) {
        self.findings.push(Finding {
            code: SCHEMA,
            severity: Severity::Error,
            message,
            help,
            span,
            missing,
            path,
        });
    }
}

/// Go's `encoding/json` reads a `[]byte` field with standard, padded base64 (its decoder
/// skips `\r` and `\n`).
fn is_base64(text: &str) -> bool {
    let mut length = 0;
    let mut padding = 0;
    for byte in text.bytes() {
        match byte {
            b'\r' | b'\n' => continue,
            b'=' => padding += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => {}
            _ => return false,
        }
        length += 1;
    }
    length % 4 == 0 && padding <= 2
}

/// A YAML tree as the JSON the API server would decode it into (used for CRD schemas).
fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .filter_map(|(key, value)| Some((key.scalar_text()?, to_json(value))))
                .collect(),
        ),
    }
}

/// Whether kustomize-controller's normalisation converts this kind: the groups of
/// client-go's `kubernetes/scheme` (the built-in API groups; not apiextensions, not
/// apiregistration), but for Role and ClusterRole, which fluxcd/pkg skips.
fn in_client_go_scheme(api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    let outside = matches!(group, "apiextensions.k8s.io" | "apiregistration.k8s.io")
        || (group == "rbac.authorization.k8s.io" && matches!(kind, "Role" | "ClusterRole"));
    !outside
}

/// A built-in API version the API server stopped serving, and what replaces it.
struct Removed {
    since: &'static str,
    replacement: &'static str,
}

/// The removals of the Kubernetes deprecation guide
/// (kubernetes.io/docs/reference/using-api/deprecation-guide), for the kinds a repository
/// applies. Every release listed is older than any Kubernetes release still supported.
fn removed_api(api_version: &str, kind: &str) -> Option<Removed> {
    let removed = |since, replacement| Some(Removed { since, replacement });
    match (api_version, kind) {
        (
            "extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2",
            "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet",
        ) => removed("1.16", "apps/v1"),
        ("extensions/v1beta1", "NetworkPolicy") => removed("1.16", "networking.k8s.io/v1"),
        ("extensions/v1beta1" | "networking.k8s.io/v1beta1", "Ingress") => {
            removed("1.22", "networking.k8s.io/v1")
        }
        ("networking.k8s.io/v1beta1", "IngressClass") => removed("1.22", "networking.k8s.io/v1"),
        (
            "admissionregistration.k8s.io/v1beta1",
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
        ) => removed("1.22", "admissionregistration.k8s.io/v1"),
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition") => {
            removed("1.22", "apiextensions.k8s.io/v1")
        }
        ("apiregistration.k8s.io/v1beta1", "APIService") => {
            removed("1.22", "apiregistration.k8s.io/v1")
        }
        (
            "rbac.authorization.k8s.io/v1beta1" | "rbac.authorization.k8s.io/v1alpha1",
            "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding",
        ) => removed("1.22", "rbac.authorization.k8s.io/v1"),
        ("scheduling.k8s.io/v1beta1", "PriorityClass") => removed("1.22", "scheduling.k8s.io/v1"),
        (
            "storage.k8s.io/v1beta1",
            "CSIDriver" | "CSINode" | "StorageClass" | "VolumeAttachment",
        ) => removed("1.22", "storage.k8s.io/v1"),
        ("coordination.k8s.io/v1beta1", "Lease") => removed("1.22", "coordination.k8s.io/v1"),
        ("certificates.k8s.io/v1beta1", "CertificateSigningRequest") => {
            removed("1.22", "certificates.k8s.io/v1")
        }
        ("batch/v1beta1", "CronJob") => removed("1.25", "batch/v1"),
        ("discovery.k8s.io/v1beta1", "EndpointSlice") => removed("1.25", "discovery.k8s.io/v1"),
        ("events.k8s.io/v1beta1", "Event") => removed("1.25", "events.k8s.io/v1"),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler") => removed("1.25", "autoscaling/v2"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler") => removed("1.26", "autoscaling/v2"),
        ("policy/v1beta1", "PodDisruptionBudget") => removed("1.25", "policy/v1"),
        ("policy/v1beta1", "PodSecurityPolicy") => removed(
            "1.25",
            "Pod Security Admission (namespace labels `pod-security.kubernetes.io/*`)",
        ),
        ("node.k8s.io/v1beta1", "RuntimeClass") => removed("1.25", "node.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema" | "PriorityLevelConfiguration") => {
            removed("1.26", "flowcontrol.apiserver.k8s.io/v1")
        }
        ("storage.k8s.io/v1beta1", "CSIStorageCapacity") => removed("1.27", "storage.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema" | "PriorityLevelConfiguration") => {
            removed("1.29", "flowcontrol.apiserver.k8s.io/v1")
        }
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema" | "PriorityLevelConfiguration") => {
            removed("1.32", "flowcontrol.apiserver.k8s.io/v1")
        }
        _ => None,
    }
}
