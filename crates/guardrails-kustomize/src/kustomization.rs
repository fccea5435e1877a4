//! What a kustomization file loads, entry by entry, with each entry's position.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use guardrails_yaml::{Node, Span};

use crate::paths;

/// The field an entry comes from; it decides whether a directory is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Resource,
    Component,
    Base,
    Patch,
    PatchStrategicMerge,
    PatchJson6902,
    GeneratorFile,
    GeneratorEnv,
    Replacement,
    Crd,
    /// `configurations:`: transformer configs (which fields hold images, names, labels).
    Configuration,
    OpenApi,
    Transformer,
    Generator,
    Validator,
}

impl InputKind {
    /// Fields whose entries may name a directory holding another kustomization.
    pub fn accepts_directory(self) -> bool {
        matches!(
            self,
            InputKind::Resource
                | InputKind::Component
                | InputKind::Base
                | InputKind::Transformer
                | InputKind::Generator
                | InputKind::Validator
        )
    }

    pub fn field(self) -> &'static str {
        match self {
            InputKind::Resource => "resources",
            InputKind::Component => "components",
            InputKind::Base => "bases",
            InputKind::Patch => "patches",
            InputKind::PatchStrategicMerge => "patchesStrategicMerge",
            InputKind::PatchJson6902 => "patchesJson6902",
            InputKind::GeneratorFile => "files",
            InputKind::GeneratorEnv => "envs",
            InputKind::Replacement => "replacements",
            InputKind::Crd => "crds",
            InputKind::Configuration => "configurations",
            InputKind::OpenApi => "openapi",
            InputKind::Transformer => "transformers",
            InputKind::Generator => "generators",
            InputKind::Validator => "validators",
        }
    }
}

/// One local or remote entry of a kustomization.
#[derive(Debug, Clone)]
pub struct Input {
    pub kind: InputKind,
    /// The entry as written (for `files`, the path part of `key=path`).
    pub entry: String,
    pub span: Span,
    /// `dir.join(entry)`, folded; meaningless when `remote`.
    pub path: PathBuf,
    pub remote: bool,
}

/// A plugin configuration written inline in `generators` / `transformers` / `validators`.
#[derive(Debug, Clone)]
pub struct InlinePlugin {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Kustomization {
    pub dir: PathBuf,
    pub file: PathBuf,
    pub inputs: Vec<Input>,
    /// The `helmCharts:` key: kustomize-controller never enables Helm, so this fails there.
    pub helm_charts: Option<Span>,
    pub inline_plugins: Vec<InlinePlugin>,
    /// Nothing that produces objects: renders to an empty stream.
    pub empty: bool,
    /// `kind: Component`: only built as part of another kustomization.
    pub component: bool,
    /// `namespace:`: kustomize's namespace transformer sets it on every namespaced object
    /// the build produces (an enclosing kustomization's runs later and wins).
    pub namespace: Option<String>,
    /// `commonLabels` and every `labels[].pairs`, added to every object the build produces.
    pub labels: BTreeMap<String, String>,
}

impl Kustomization {
    /// A kustomization file that could not be read or parsed: it stays in the graph, so the
    /// builds that load it are blocked with the file's own diagnostic.
    pub fn unreadable(file: &Path) -> Kustomization {
        Kustomization {
            dir: file.parent().unwrap_or(Path::new(".")).to_path_buf(),
            file: file.to_path_buf(),
            inputs: Vec::new(),
            helm_charts: None,
            inline_plugins: Vec::new(),
            empty: false,
            component: false,
            namespace: None,
            labels: BTreeMap::new(),
        }
    }

    /// Reads the entries of a parsed kustomization file (its first document).
    pub fn from_document(file: &Path, doc: &Node) -> Kustomization {
        let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut k = Kustomization {
            dir,
            file: file.to_path_buf(),
            inputs: Vec::new(),
            helm_charts: None,
            inline_plugins: Vec::new(),
            empty: true,
            component: doc.str_at(&["kind"]) == Some("Component"),
            namespace: doc
                .get("namespace")
                .and_then(Node::scalar_text)
                .filter(|s| !s.is_empty()),
            labels: labels(doc.get("commonLabels")),
        };
        for entry in seq(doc.get("labels")) {
            k.labels.extend(labels(entry.get("pairs")));
        }
        for (field, kind) in [
            ("resources", InputKind::Resource),
            ("components", InputKind::Component),
            ("bases", InputKind::Base),
            ("crds", InputKind::Crd),
            ("configurations", InputKind::Configuration),
        ] {
            for item in strings(doc.get(field)) {
                k.push(kind, item);
            }
        }
        for (field, kind) in [
            ("patches", InputKind::Patch),
            ("patchesJson6902", InputKind::PatchJson6902),
            ("replacements", InputKind::Replacement),
        ] {
            for item in seq(doc.get(field)) {
                if let Some(path) = item.get("path") {
                    k.push(kind, path);
                }
            }
        }
        for item in seq(doc.get("patchesStrategicMerge")) {
            // An entry is either a file path or an inline patch.
            if item.as_str().is_some_and(|s| !looks_inline(s)) {
                k.push(InputKind::PatchStrategicMerge, item);
            }
        }
        for field in ["configMapGenerator", "secretGenerator"] {
            for generator in seq(doc.get(field)) {
                for file in strings(generator.get("files")) {
                    k.push(InputKind::GeneratorFile, file);
                }
                for env in strings(generator.get("envs")) {
                    k.push(InputKind::GeneratorEnv, env);
                }
                if let Some(env) = generator.get("env").filter(|e| e.as_str().is_some()) {
                    k.push(InputKind::GeneratorEnv, env);
                }
            }
        }
        if let Some(openapi) = doc.at(&["openapi", "path"]) {
            k.push(InputKind::OpenApi, openapi);
        }
        for (field, kind) in [
            ("transformers", InputKind::Transformer),
            ("generators", InputKind::Generator),
            ("validators", InputKind::Validator),
        ] {
            for item in seq(doc.get(field)) {
                match item.as_str() {
                    Some(text) if looks_inline(text) => k.inline_plugins.push(InlinePlugin {
                        text: text.to_owned(),
                        span: item.span,
                    }),
                    Some(_) => k.push(kind, item),
                    None => {}
                }
            }
        }
        if let Some((key, _)) = doc.entry("helmCharts") {
            k.helm_charts = Some(key.span);
        }
        k.empty = says_nothing(doc);
        k
    }

    fn push(&mut self, kind: InputKind, node: &Node) {
        let Some(text) = node.as_str() else { return };
        let mut entry = text.trim().to_owned();
        let mut span = node.span;
        if kind == InputKind::GeneratorFile
            && let Some((_, path)) = entry.split_once('=')
        {
            // `key=path`: point at the path part.
            let key_len = entry.len() - path.len();
            span.offset += key_len;
            span.len = span.len.saturating_sub(key_len);
            span.column += key_len;
            entry = path.to_owned();
        }
        let remote = paths::is_remote(&entry);
        self.inputs.push(Input {
            kind,
            path: paths::join_normalized(&self.dir, &entry),
            entry,
            span,
            remote,
        });
    }
}

/// A kustomization that only names its kind and lists nothing that produces objects renders
/// to an empty stream, so it need not be built. Anything else is built even when it looks
/// empty: kustomize decodes strictly (`resource:` for `resources:`, `namespace: [x]`, a
/// top-level list are all errors) and only a build shows what it rejects.
fn says_nothing(doc: &Node) -> bool {
    const PRODUCERS: [&str; 8] = [
        "resources",
        "bases",
        "components",
        "configMapGenerator",
        "secretGenerator",
        "generators",
        "helmCharts",
        "crds",
    ];
    let Some(entries) = doc.as_map() else {
        return false;
    };
    entries.iter().all(|(key, value)| match key.as_str() {
        Some("apiVersion" | "kind") => value.as_str().is_some(),
        Some(field) if PRODUCERS.contains(&field) => is_empty_value(value),
        _ => false,
    })
}

fn is_empty_value(node: &Node) -> bool {
    node.is_null() || node.as_seq().is_some_and(<[Node]>::is_empty)
}

/// A label map's string entries (non-scalar values are kustomize's error to report).
fn labels(node: Option<&Node>) -> BTreeMap<String, String> {
    node.and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.scalar_text()?, v.scalar_text()?)))
        .collect()
}

fn seq(node: Option<&Node>) -> &[Node] {
    node.and_then(Node::as_seq).unwrap_or(&[])
}

fn strings(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    seq(node).iter().filter(|n| n.as_str().is_some())
}

/// Inline YAML (a patch or a plugin config) rather than a path.
fn looks_inline(text: &str) -> bool {
    text.contains('\n') || text.contains(": ")
}
