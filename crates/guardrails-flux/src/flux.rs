//! Flux objects that drive rendering: `Kustomization` (kustomize.toolkit.fluxcd.io) roots,
//! the `GitRepository` sources they name, and the ConfigMaps / Secrets that
//! `postBuild.substituteFrom` reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use guardrails_yaml::{Node, Span, Value};

/// One Flux Kustomization found in a repository file.
#[derive(Debug, Clone)]
pub struct FluxKustomization {
    pub file: PathBuf,
    pub name: String,
    pub namespace: Option<String>,
    /// Where diagnostics about the object as a whole point: its `kind:` value.
    pub kind_span: Span,
    /// `spec.path` and its position; `None` means the source root.
    pub path: Option<(String, Span)>,
    pub source_kind: Option<String>,
    pub source_name: Option<String>,
    pub source_namespace: Option<String>,
    pub components: Vec<(String, Span)>,
    pub ignore_missing_components: bool,
    /// The whole `spec`, merged into the build as kustomize-controller merges it.
    pub spec: Option<Node>,
    pub post_build: Option<PostBuild>,
}

impl FluxKustomization {
    /// It applies the directory that holds its own file: the sync object of a cluster
    /// (`flux bootstrap`'s `flux-system`, or the same written by hand under another name),
    /// so its GitRepository is the repository this file is in.
    pub fn applies_itself(&self, repo_root: &Path) -> bool {
        self.literal_dir(repo_root)
            .is_some_and(|dir| dir != repo_root && self.file.starts_with(&dir))
    }

    /// The directory of this checkout that `spec.path` names, when it names one as
    /// written: no variable a parent substitutes, and a GitRepository source (or none
    /// said), not an artifact.
    pub fn literal_dir(&self, repo_root: &Path) -> Option<std::path::PathBuf> {
        let (path, _) = self.path.as_ref()?;
        let artifact = self
            .source_kind
            .as_deref()
            .is_some_and(|k| k != "GitRepository");
        if path.contains("${") || artifact {
            return None;
        }
        Some(crate::paths::join_normalized(
            repo_root,
            path.trim_start_matches('/'),
        ))
    }

    /// Whether `repo` is the GitRepository this Kustomization's `sourceRef` names (its
    /// namespace defaults to the Kustomization's; an unknown namespace matches).
    pub fn sources_from(&self, repo: &GitRepository) -> bool {
        let namespace = self.source_namespace.as_ref().or(self.namespace.as_ref());
        self.source_name.as_deref() == Some(repo.name.as_str())
            && (namespace.is_none()
                || repo.namespace.is_none()
                || repo.namespace.as_ref() == namespace)
    }

    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PostBuild {
    /// The `postBuild:` key.
    pub span: Span,
    pub substitute: Vec<Variable>,
    pub substitute_from: Vec<SubstituteFrom>,
    /// `substituteStrategy: Always` runs substitution even when no variable resolved.
    pub always: bool,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub name_span: Span,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct SubstituteFrom {
    pub kind: String,
    pub name: String,
    pub optional: bool,
    pub span: Span,
}

impl SubstituteFrom {
    /// Whether `source` is the object this entry of the Flux Kustomization `ks` reads.
    pub fn resolves_to(&self, ks: &FluxKustomization, source: &VariableSource) -> bool {
        source.kind == self.kind
            && source.name == self.name
            && (source.namespace.is_none()
                || ks.namespace.is_none()
                || source.namespace == ks.namespace)
    }
}

/// A GitRepository defined in the repository.
#[derive(Debug, Clone)]
pub struct GitRepository {
    pub name: String,
    pub namespace: Option<String>,
    pub url: Option<String>,
    /// `spec.ignore`: gitignore patterns source-controller leaves out of the artifact.
    pub ignore: Option<String>,
    /// `spec.ref.branch`: another branch of this repository is another source.
    pub branch: Option<String>,
    /// The file that defines it (for one a render applies, the build's anchor): of two
    /// of the same name, the one written next to a Kustomization is that one's source.
    pub file: std::path::PathBuf,
}

/// Data keys of a ConfigMap or Secret; a value is `None` when it cannot be known offline
/// (SOPS-encrypted).
#[derive(Debug, Clone)]
pub struct VariableSource {
    /// The file defining it: changing it changes every build that substitutes from it.
    pub file: std::path::PathBuf,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub data: BTreeMap<String, Option<String>>,
}

pub const KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io/";

fn is_kind(doc: &Node, group_prefix: &str, kind: &str) -> bool {
    doc.str_at(&["apiVersion"])
        .is_some_and(|v| v.starts_with(group_prefix))
        && doc.str_at(&["kind"]) == Some(kind)
}

pub fn flux_kustomization(file: &std::path::Path, doc: &Node) -> Option<FluxKustomization> {
    if !is_kind(doc, KUSTOMIZE_GROUP, "Kustomization") {
        return None;
    }
    let spec = doc.get("spec");
    let at = |path: &[&str]| spec.and_then(|s| s.at(path));
    let post_build = spec.and_then(|s| s.entry("postBuild")).map(|(key, pb)| {
        let substitute = pb
            .get("substitute")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| {
                Some(Variable {
                    name: k.scalar_text()?,
                    name_span: k.span,
                    value: v.scalar_text().unwrap_or_default(),
                })
            })
            .collect();
        let substitute_from = pb
            .get("substituteFrom")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|item| {
                Some(SubstituteFrom {
                    kind: item.str_at(&["kind"])?.to_owned(),
                    name: item.str_at(&["name"])?.to_owned(),
                    optional: matches!(
                        item.get("optional").map(|o| &o.value),
                        Some(Value::Bool(true))
                    ),
                    span: item.span,
                })
            })
            .collect();
        PostBuild {
            span: key.span,
            substitute,
            substitute_from,
            always: pb.str_at(&["substituteStrategy"]) == Some("Always"),
        }
    });
    Some(FluxKustomization {
        file: file.to_path_buf(),
        name: doc
            .str_at(&["metadata", "name"])
            .unwrap_or("<unnamed>")
            .to_owned(),
        namespace: doc.str_at(&["metadata", "namespace"]).map(str::to_owned),
        kind_span: doc.get("kind").map(|k| k.span).unwrap_or(doc.span),
        path: at(&["path"]).and_then(|p| Some((p.as_str()?.to_owned(), p.span))),
        source_kind: at(&["sourceRef", "kind"])
            .and_then(Node::as_str)
            .map(str::to_owned),
        source_name: at(&["sourceRef", "name"])
            .and_then(Node::as_str)
            .map(str::to_owned),
        source_namespace: at(&["sourceRef", "namespace"])
            .and_then(Node::as_str)
            .map(str::to_owned),
        components: at(&["components"])
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|c| Some((c.as_str()?.to_owned(), c.span)))
            .collect(),
        ignore_missing_components: matches!(
            at(&["ignoreMissingComponents"]).map(|v| &v.value),
            Some(Value::Bool(true))
        ),
        spec: spec.cloned(),
        post_build,
    })
}

pub fn git_repository(file: &std::path::Path, doc: &Node) -> Option<GitRepository> {
    if !is_kind(doc, "source.toolkit.fluxcd.io/", "GitRepository") {
        return None;
    }
    Some(GitRepository {
        name: doc.str_at(&["metadata", "name"])?.to_owned(),
        namespace: doc.str_at(&["metadata", "namespace"]).map(str::to_owned),
        url: doc.str_at(&["spec", "url"]).map(str::to_owned),
        ignore: doc.str_at(&["spec", "ignore"]).map(str::to_owned),
        branch: doc.str_at(&["spec", "ref", "branch"]).map(str::to_owned),
        file: file.to_path_buf(),
    })
}

/// A Flux Operator `FluxInstance` (fluxcd.controlplane.io): its `spec.sync` is the
/// cluster's entry point, as the `flux-system` Kustomization is for `flux bootstrap`.
/// The same `sync` in the values of a HelmRelease of the operator's `flux-instance`
/// chart (`spec.values.instance.sync`) counts too.
pub fn flux_instance_sync(file: &std::path::Path, doc: &Node) -> Option<FluxKustomization> {
    let sync = if is_kind(doc, "fluxcd.controlplane.io/", "FluxInstance") {
        doc.at(&["spec", "sync"])?
    } else if is_kind(doc, "helm.toolkit.fluxcd.io/", "HelmRelease") {
        doc.at(&["spec", "values", "instance", "sync"])?
    } else if doc.get("kind").is_none() && doc.get("apiVersion").is_none() {
        // The flux-instance chart's values in a file of their own (a ConfigMap that the
        // HelmRelease reads with valuesFrom): `instance.sync` with the repository's URL.
        // A vendored chart's own defaults (`url: ""`, `path: ""`) sync nothing.
        let sync = doc.at(&["instance", "sync"])?;
        let written = |key| sync.str_at(&[key]).is_some_and(|v| !v.trim().is_empty());
        if !written("url") || !written("path") {
            return None;
        }
        sync
    } else {
        return None;
    };
    let path = sync.get("path")?;
    Some(FluxKustomization {
        file: file.to_path_buf(),
        // The operator names the GitRepository and Kustomization it creates after the
        // instance's namespace convention: `flux-system`.
        name: "flux-system".to_owned(),
        namespace: Some(
            doc.str_at(&["metadata", "namespace"])
                .unwrap_or("flux-system")
                .to_owned(),
        ),
        kind_span: doc.get("kind").map_or(doc.span, |k| k.span),
        path: path.as_str().map(|p| (p.to_owned(), path.span)),
        source_kind: Some(sync.str_at(&["kind"]).unwrap_or("GitRepository").to_owned()),
        source_name: Some("flux-system".to_owned()),
        source_namespace: None,
        components: Vec::new(),
        ignore_missing_components: false,
        spec: None,
        post_build: None,
    })
}

impl FluxKustomization {
    /// A Kustomization taken from a render, whose spans point into the render's text:
    /// point them at `defining` instead (the document of the repository that defines it),
    /// keeping what the render says (a parent's patches and substitution apply).
    pub fn anchored_to(
        mut self,
        defining: Option<&FluxKustomization>,
        fallback: &std::path::Path,
    ) -> Self {
        let Some(defining) = defining else {
            let zero = Span::default();
            self.file = fallback.to_path_buf();
            self.kind_span = zero;
            if let Some((_, span)) = &mut self.path {
                *span = zero;
            }
            for (_, span) in &mut self.components {
                *span = zero;
            }
            if let Some(post_build) = &mut self.post_build {
                post_build.span = zero;
                post_build
                    .substitute
                    .iter_mut()
                    .for_each(|v| v.name_span = zero);
                post_build
                    .substitute_from
                    .iter_mut()
                    .for_each(|f| f.span = zero);
            }
            return self;
        };
        self.file = defining.file.clone();
        self.kind_span = defining.kind_span;
        if let Some((_, span)) = &mut self.path {
            *span = defining
                .path
                .as_ref()
                .map_or(defining.kind_span, |(_, s)| *s);
        }
        for (component, span) in &mut self.components {
            *span = defining
                .components
                .iter()
                .find(|(c, _)| c == component)
                .map_or(defining.kind_span, |(_, s)| *s);
        }
        let defining_post_build = defining.post_build.as_ref();
        if let Some(post_build) = &mut self.post_build {
            post_build.span = defining_post_build.map_or(defining.kind_span, |p| p.span);
            for variable in &mut post_build.substitute {
                variable.name_span = defining_post_build
                    .and_then(|p| p.substitute.iter().find(|v| v.name == variable.name))
                    .map_or(post_build.span, |v| v.name_span);
            }
            for from in &mut post_build.substitute_from {
                from.span = defining_post_build
                    .and_then(|p| {
                        p.substitute_from
                            .iter()
                            .find(|f| f.kind == from.kind && f.name == from.name)
                    })
                    .map_or(post_build.span, |f| f.span);
            }
        }
        self
    }
}

pub fn variable_source(file: &std::path::Path, doc: &Node) -> Option<VariableSource> {
    let kind = doc.str_at(&["kind"])?;
    if doc.str_at(&["apiVersion"]) != Some("v1") || !matches!(kind, "ConfigMap" | "Secret") {
        return None;
    }
    let encrypted = doc.get("sops").is_some();
    let mut data = BTreeMap::new();
    for field in ["data", "stringData"] {
        for (key, value) in doc.get(field).and_then(Node::as_map).unwrap_or(&[]) {
            let Some(key) = key.scalar_text() else {
                continue;
            };
            let value = if encrypted {
                None
            } else if field == "data" && kind == "Secret" {
                value.as_str().and_then(decode_base64)
            } else {
                value.scalar_text()
            };
            data.insert(key, value);
        }
    }
    Some(VariableSource {
        file: file.to_path_buf(),
        kind: kind.to_owned(),
        name: doc.str_at(&["metadata", "name"])?.to_owned(),
        namespace: doc.str_at(&["metadata", "namespace"]).map(str::to_owned),
        data,
    })
}

/// Standard base64 as Kubernetes stores Secret `data`.
fn decode_base64(text: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// A node as JSON text, which every YAML parser reads: the overlay kustomize-controller
/// would generate is written this way, so no YAML emitter is needed.
pub fn to_json(node: &Node) -> String {
    let mut out = String::new();
    write_json(node, &mut out);
    out
}

fn write_json(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) if f.is_finite() => out.push_str(&f.to_string()),
        Value::Float(_) => out.push_str("null"),
        Value::String(s) => write_json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(&key.scalar_text().unwrap_or_default(), out);
                out.push(':');
                write_json(value, out);
            }
            out.push('}');
        }
    }
}

pub fn write_json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_secret_data() {
        assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some("hello"));
        assert_eq!(decode_base64("!!").as_deref(), None);
    }
}
