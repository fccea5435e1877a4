//! Building the [`Index`](crate::Index): every object the image automation rules need,
//! read once from the parsed sources, with the namespace and labels kustomize and Flux give
//! it, and every setter marker with the scalar it sits on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use guardrails_yaml::{Node, Span, Value};

use crate::markers::{self, SetterRef};
use crate::selector::{self, Labels, Selector};
use guardrails_kustomize::{InputKind, Resolved};

use crate::{Config, Finding, Layout, Severity, SourceFile, codes, paths};

/// A scalar value and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub value: String,
    pub span: Span,
}

fn located(node: Option<&Node>) -> Option<Located> {
    let node = node?;
    Some(Located {
        value: node.scalar_text()?,
        span: node.span,
    })
}

/// Namespace and labels that an including kustomization or Flux Kustomization imposes:
/// kustomize's namespace transformer overrides `metadata.namespace` of every namespaced
/// object, `commonLabels`/`labels` add labels; Flux applies `targetNamespace` and
/// `commonMetadata.labels` after the build.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ctx {
    pub namespace: Option<String>,
    pub labels: Labels,
}

/// What every object kind shares.
#[derive(Debug, Clone)]
pub struct Meta {
    pub path: String,
    pub name: String,
    /// `metadata.name` (or `kind` when there is no name).
    pub span: Span,
    /// Effective namespace (`None` when neither the object nor an overlay sets one).
    pub namespace: Option<String>,
    pub labels: Labels,
    /// Lane from the namespace, else from the file's directory.
    pub lane: Option<usize>,
    /// Index of the source document: instances of one document (a base included by several
    /// overlays) share it.
    pub object: usize,
}

impl Meta {
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub meta: Meta,
    pub repo_name: Option<Located>,
    pub repo_namespace: Option<String>,
    /// `spec.filterTags.pattern`; `None` keeps every tag.
    pub pattern: Option<Located>,
    pub extract: Option<Located>,
    /// `semver` / `alphabetical` / `numerical` keys under `spec.policy`.
    pub choices: Vec<(&'static str, Span)>,
    /// `order` of the effective alphabetical or numerical choice.
    pub order: Option<Located>,
    /// `spec.policy.semver.range`.
    pub semver_range: Option<Located>,
    pub digest_reflection: Option<String>,
    /// Where `digestReflectionPolicy` is set.
    pub digest_reflection_span: Option<Span>,
    /// `spec.interval` (how often a reflected digest is re-checked).
    pub interval: Option<Located>,
    /// Annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`.
    pub substitute_disabled: bool,
}

impl Policy {
    /// The choice image-reflector-controller uses: `PolicerFromSpec` tries semver, then
    /// alphabetical, then numerical.
    pub fn effective_choice(&self) -> Option<&'static str> {
        ["semver", "alphabetical", "numerical"]
            .into_iter()
            .find(|c| self.choices.iter().any(|(k, _)| k == c))
    }

    pub fn pattern_text(&self) -> &str {
        self.pattern.as_ref().map_or("", |p| p.value.as_str())
    }

    pub fn extract_text(&self) -> &str {
        self.extract.as_ref().map_or("", |e| e.value.as_str())
    }

    pub fn reflects_digest(&self) -> bool {
        matches!(
            self.digest_reflection.as_deref(),
            Some("IfNotPresent" | "Always")
        )
    }
}

#[derive(Debug, Clone)]
pub struct Repository {
    pub meta: Meta,
    pub image: Option<Located>,
    pub exclusion_list: Option<(Vec<Located>, Span)>,
    /// `spec.accessFrom.namespaceSelectors[].matchLabels`; `None` without `accessFrom`.
    pub access_from: Option<Vec<Labels>>,
}

#[derive(Debug, Clone)]
pub struct Automation {
    pub meta: Meta,
    pub kind_span: Span,
    pub source_kind: Option<Located>,
    pub source_name: Option<Located>,
    pub source_namespace: Option<String>,
    pub update_path: Option<Located>,
    /// `update.path` normalised; `None` when it leaves the repository.
    pub covered: Option<String>,
    pub strategy: Option<Located>,
    pub selector: Option<Selector>,
    /// The `policySelector` key.
    pub selector_span: Option<Span>,
    pub template: Option<Located>,
    /// Annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`.
    pub substitute_disabled: bool,
}

impl Automation {
    pub fn setters(&self) -> bool {
        self.strategy.as_ref().is_none_or(|s| s.value == "Setters")
    }

    pub fn covers(&self, file: &str) -> bool {
        self.covered
            .as_deref()
            .is_some_and(|dir| paths::covers(dir, file))
    }

    pub fn selects(&self, labels: &Labels) -> bool {
        self.selector.as_ref().is_none_or(|s| s.matches(labels))
    }
}

/// Who owns an `images[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A kustomize kustomization file (index into `Index::kustomizations`).
    Kustomize(usize),
    /// A Flux Kustomization's `spec.images` (index into `Index::flux`).
    Flux(usize),
}

#[derive(Debug, Clone)]
pub struct ImagesEntry {
    pub path: String,
    pub owner: Owner,
    pub name: Option<Located>,
    pub new_name: Option<Located>,
    pub new_tag: Option<Located>,
    pub digest: Option<Located>,
    /// The entry itself.
    pub span: Span,
    /// Whether the entry is a mapping at all.
    pub mapping: bool,
    /// Keys the owner's decoder does not know (only collected for kustomize files: Flux
    /// Kustomization `spec.images` are schema-checked by guardrails-flux-api).
    pub unknown_keys: Vec<Located>,
}

/// A kustomization file of the shared kustomize model, with paths as the lint names them.
#[derive(Debug, Clone)]
pub struct KFile {
    pub path: String,
    pub dir: String,
    pub namespace: Option<String>,
    pub labels: Labels,
}

#[derive(Debug, Clone)]
pub struct FluxKs {
    pub path: String,
    /// `spec.path` normalised (`""` is the root).
    pub spec_path: Option<String>,
    pub target_namespace: Option<String>,
    pub labels: Labels,
}

/// A well-formed setter marker.
#[derive(Debug, Clone)]
pub struct Marker {
    pub path: String,
    pub setter: SetterRef,
    /// The scalar's text (`None` for an empty value).
    pub value: Option<String>,
    pub value_span: Span,
    /// The mapping key the scalar is the value of.
    pub key: Option<String>,
    /// `(images entry, field)` when the scalar is a field of an `images[]` entry.
    pub images_field: Option<(usize, &'static str)>,
    /// Lane of the file (namespace from the overlay or the object, else the path).
    pub file_lane: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Model {
    pub policies: Vec<Policy>,
    pub repositories: Vec<Repository>,
    pub automations: Vec<Automation>,
    /// Namespace name → the labels of each definition.
    pub namespaces: BTreeMap<String, Vec<Labels>>,
    pub git_repositories: BTreeSet<(Option<String>, String)>,
    pub kustomizations: Vec<KFile>,
    pub flux: Vec<FluxKs>,
    pub images: Vec<ImagesEntry>,
    pub markers: Vec<Marker>,
    /// `setter::invalid` findings found while scanning for markers.
    pub marker_findings: Vec<Finding>,
    /// Every repository-relative file path.
    pub files: BTreeSet<String>,
    /// Directory → kustomization file index.
    pub kdir: HashMap<String, usize>,
    /// Directories whose kustomization another kustomization loads.
    pub loaded_dirs: HashSet<String>,
    /// Every `image:` string in the sources, for pointing render findings at a file.
    pub image_literals: HashMap<String, Vec<(String, Span)>>,
    /// Contexts of each kustomization file, by index.
    pub kctx: Vec<Vec<Ctx>>,
}

/// What a document is.
enum Kind {
    Policy,
    Repository,
    Automation,
    GitRepository,
    FluxKustomization,
    Namespace,
    Kustomize,
    Other,
}

fn classify(path: &str, doc: &Node) -> Kind {
    let api = doc.str_at(&["apiVersion"]).unwrap_or("");
    let kind = doc.str_at(&["kind"]).unwrap_or("");
    let group = api.split_once('/').map_or("", |(g, _)| g);
    match (group, kind) {
        ("image.toolkit.fluxcd.io", "ImagePolicy") => Kind::Policy,
        ("image.toolkit.fluxcd.io", "ImageRepository") => Kind::Repository,
        ("image.toolkit.fluxcd.io", "ImageUpdateAutomation") => Kind::Automation,
        ("source.toolkit.fluxcd.io", "GitRepository") => Kind::GitRepository,
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Kind::FluxKustomization,
        ("", "Namespace") if api == "v1" => Kind::Namespace,
        _ if paths::is_kustomization_file(path)
            && (group == "kustomize.config.k8s.io" || (api.is_empty() && kind.is_empty()))
            && doc.as_map().is_some() =>
        {
            Kind::Kustomize
        }
        _ => Kind::Other,
    }
}

fn meta_of(doc: &Node) -> (String, Span, Option<String>, Labels) {
    let name_node = doc.at(&["metadata", "name"]);
    let name = name_node.and_then(Node::scalar_text).unwrap_or_default();
    let span = name_node
        .or_else(|| doc.get("kind"))
        .map_or(doc.span, |n| n.span);
    let namespace = doc
        .at(&["metadata", "namespace"])
        .and_then(Node::scalar_text)
        .filter(|s| !s.is_empty());
    let labels = selector::labels(doc.at(&["metadata", "labels"]));
    (name, span, namespace, labels)
}

fn seq(node: Option<&Node>) -> &[Node] {
    node.and_then(Node::as_seq).unwrap_or(&[])
}

/// A raw document before contexts are applied.
struct Raw<'a> {
    file: usize,
    doc: &'a Node,
    kind: Kind,
}

pub fn build(files: &[SourceFile<'_>], config: &Config, layout: Layout<'_>) -> Model {
    let mut model = Model::default();
    for file in files {
        model.files.insert(file.path.to_owned());
    }
    // The kustomizations come from the shared model: a kustomization file that is not
    // among `files` still gives its objects a namespace and labels.
    let mut kfile_of: HashMap<String, usize> = HashMap::new();
    for (k, kustomization) in layout.graph.kustomizations.iter().enumerate() {
        let path = layout.relative(&kustomization.file);
        let dir = layout.relative(&kustomization.dir);
        model.kdir.entry(dir.clone()).or_insert(k);
        if !layout.graph.loaders(k).is_empty() {
            model.loaded_dirs.insert(dir.clone());
        }
        kfile_of.insert(path.clone(), k);
        model.kustomizations.push(KFile {
            path,
            dir,
            namespace: kustomization.namespace.clone(),
            labels: kustomization.labels.clone(),
        });
    }

    // Pass 1: classify documents; kustomization files and Flux Kustomizations first, since
    // they decide every other object's namespace.
    let mut raws = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        for doc in file.docs {
            let kind = classify(file.path, doc);
            match kind {
                Kind::Kustomize => {
                    if let Some(&k) = kfile_of.get(file.path) {
                        for entry in seq(doc.get("images")) {
                            push_images_entry(&mut model, file.path, entry, Owner::Kustomize(k));
                        }
                    }
                }
                Kind::FluxKustomization => {
                    let f = model.flux.len();
                    // What the cluster tree made of it, when the caller reconciled it.
                    let reconciled = config.reconciled.iter().find(|r| {
                        r.path == file.path
                            && Some(r.name.as_str()) == doc.str_at(&["metadata", "name"])
                    });
                    model.flux.push(FluxKs {
                        path: file.path.to_owned(),
                        spec_path: match reconciled {
                            Some(r) => r.spec_path.clone(),
                            None => Some(
                                doc.str_at(&["spec", "path"])
                                    .map_or(Some(String::new()), paths::normalize),
                            )
                            .flatten(),
                        },
                        target_namespace: match reconciled {
                            Some(r) => r.target_namespace.clone(),
                            None => doc
                                .at(&["spec", "targetNamespace"])
                                .and_then(Node::scalar_text)
                                .filter(|s| !s.is_empty()),
                        },
                        labels: selector::labels(doc.at(&["spec", "commonMetadata", "labels"])),
                    });
                    for entry in seq(doc.at(&["spec", "images"])) {
                        push_images_entry(&mut model, file.path, entry, Owner::Flux(f));
                    }
                }
                _ => {}
            }
            collect_image_literals(&mut model.image_literals, file.path, doc);
            raws.push(Raw {
                file: fi,
                doc,
                kind,
            });
        }
    }
    let graph = Graph::new(layout);
    let mut memo = HashMap::new();
    model.kctx = (0..model.kustomizations.len())
        .map(|k| graph.kctx(&model, k, &mut Vec::new(), &mut memo))
        .collect();

    // Pass 2: objects, one instance per context.
    let mut file_ctx: HashMap<usize, Vec<Ctx>> = HashMap::new();
    for (object, raw) in raws.iter().enumerate() {
        if matches!(
            raw.kind,
            Kind::Other | Kind::Kustomize | Kind::FluxKustomization
        ) {
            continue;
        }
        let path = files[raw.file].path;
        let contexts = file_ctx
            .entry(raw.file)
            .or_insert_with(|| graph.file_contexts(&model, path))
            .clone();
        let (name, span, own_ns, own_labels) = meta_of(raw.doc);
        let mut seen = Vec::new();
        for ctx in contexts {
            let namespace = match raw.kind {
                // Cluster-scoped: the namespace transformer leaves it alone.
                Kind::Namespace => None,
                _ => ctx.namespace.clone().or_else(|| own_ns.clone()),
            };
            let mut labels = own_labels.clone();
            labels.extend(ctx.labels.clone());
            if seen.contains(&(namespace.clone(), labels.clone())) {
                continue;
            }
            seen.push((namespace.clone(), labels.clone()));
            let lane = namespace
                .as_deref()
                .and_then(|ns| config.lane_of_namespace(ns))
                .or_else(|| config.lane_of_dir(paths::parent(path)));
            let meta = Meta {
                path: path.to_owned(),
                name: name.clone(),
                span,
                namespace,
                labels,
                lane,
                object,
            };
            add_object(&mut model, &raw.kind, raw.doc, meta);
        }
    }

    // Pass 3: markers.
    let images_fields: HashMap<(String, usize), (usize, &'static str)> = model
        .images
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            [
                ("name", &e.name),
                ("newName", &e.new_name),
                ("newTag", &e.new_tag),
                ("digest", &e.digest),
            ]
            .into_iter()
            .filter_map(move |(field, l)| {
                l.as_ref()
                    .map(|l| ((e.path.clone(), l.span.offset), (i, field)))
            })
        })
        .collect();
    for (fi, file) in files.iter().enumerate() {
        if !file.text.contains(markers::TOKEN) {
            continue;
        }
        let scan = scan_file(file);
        model.marker_findings.extend(scan.findings);
        if scan.markers.is_empty() {
            continue;
        }
        let contexts = file_ctx
            .entry(fi)
            .or_insert_with(|| graph.file_contexts(&model, file.path))
            .clone();
        for raw in scan.markers {
            let own_ns = file
                .docs
                .get(raw.doc)
                .and_then(|d| d.at(&["metadata", "namespace"]))
                .and_then(Node::scalar_text);
            let file_lane = file_lane(config, file.path, &contexts, own_ns.as_deref());
            model.markers.push(Marker {
                path: file.path.to_owned(),
                setter: raw.setter,
                value: raw.value,
                value_span: raw.value_span,
                images_field: images_fields
                    .get(&(file.path.to_owned(), raw.value_span.offset))
                    .copied(),
                key: raw.key,
                file_lane,
            });
        }
    }
    model
}

/// The lane a file belongs to: the namespace every context gives it, when that is a lane;
/// else a directory named after a lane.
fn file_lane(config: &Config, path: &str, contexts: &[Ctx], own_ns: Option<&str>) -> Option<usize> {
    let namespaces: Vec<Option<String>> = contexts
        .iter()
        .map(|c| c.namespace.clone().or_else(|| own_ns.map(str::to_owned)))
        .collect();
    let lanes: BTreeSet<Option<usize>> = namespaces
        .iter()
        .map(|ns| ns.as_deref().and_then(|ns| config.lane_of_namespace(ns)))
        .collect();
    match lanes.len() {
        1 => match lanes.into_iter().next().flatten() {
            Some(lane) => Some(lane),
            None => config.lane_of_dir(paths::parent(path)),
        },
        // Included by overlays of several lanes: no single lane.
        _ => None,
    }
}

/// The fields of kustomize's `types.Image`. `tagSuffix` exists since kustomize v5.3
/// (api v0.16); Flux's kustomize-controller builds with a newer kustomize.
pub const IMAGE_FIELDS: &[&str] = &["name", "newName", "newTag", "digest", "tagSuffix"];

fn push_images_entry(model: &mut Model, path: &str, entry: &Node, owner: Owner) {
    // kustomize decodes a kustomization with `DisallowUnknownFields`; Go's encoding/json
    // still matches field names case-insensitively, so only other names are unknown.
    let unknown_keys = match owner {
        Owner::Kustomize(_) => entry
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, _)| located(Some(k)))
            .filter(|k| {
                !IMAGE_FIELDS
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(&k.value))
            })
            .collect(),
        Owner::Flux(_) => Vec::new(),
    };
    model.images.push(ImagesEntry {
        path: path.to_owned(),
        owner,
        name: located(entry.get("name")),
        new_name: located(entry.get("newName")),
        new_tag: located(entry.get("newTag")),
        digest: located(entry.get("digest")),
        span: entry.span,
        mapping: entry.as_map().is_some(),
        unknown_keys,
    });
}

/// `kustomize.toolkit.fluxcd.io/substitute: disabled`: kustomize-controller skips the
/// object in postBuild substitution.
fn substitute_disabled(doc: &Node) -> bool {
    doc.at(&[
        "metadata",
        "annotations",
        "kustomize.toolkit.fluxcd.io/substitute",
    ])
    .and_then(Node::as_str)
        == Some("disabled")
}

fn collect_image_literals(out: &mut HashMap<String, Vec<(String, Span)>>, path: &str, node: &Node) {
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if k.as_str() == Some("image")
                    && let Some(s) = v.as_str()
                {
                    out.entry(s.to_owned())
                        .or_default()
                        .push((path.to_owned(), v.span));
                } else {
                    collect_image_literals(out, path, v);
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_image_literals(out, path, item);
            }
        }
        _ => {}
    }
}

fn add_object(model: &mut Model, kind: &Kind, doc: &Node, meta: Meta) {
    match kind {
        Kind::Policy => {
            let spec = doc.get("spec");
            let at = |p: &[&str]| spec.and_then(|s| s.at(p));
            let choices: Vec<(&'static str, Span)> = ["semver", "alphabetical", "numerical"]
                .into_iter()
                .filter_map(|c| {
                    at(&["policy"])
                        .and_then(|p| p.entry(c))
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, _)| (c, k.span))
                })
                .collect();
            // The choice PolicerFromSpec uses: semver, then alphabetical, then numerical.
            let effective = choices.first().map(|(c, _)| *c);
            let digest_reflection = at(&["digestReflectionPolicy"]);
            model.policies.push(Policy {
                order: effective
                    .filter(|c| *c != "semver")
                    .and_then(|c| located(at(&["policy", c, "order"]))),
                semver_range: located(at(&["policy", "semver", "range"])),
                digest_reflection_span: digest_reflection.map(|n| n.span),
                interval: located(at(&["interval"])),
                substitute_disabled: substitute_disabled(doc),
                repo_name: located(at(&["imageRepositoryRef", "name"])),
                repo_namespace: at(&["imageRepositoryRef", "namespace"])
                    .and_then(Node::scalar_text)
                    .filter(|s| !s.is_empty()),
                pattern: located(at(&["filterTags", "pattern"])),
                extract: located(at(&["filterTags", "extract"])).filter(|e| !e.value.is_empty()),
                choices,
                digest_reflection: digest_reflection.and_then(Node::scalar_text),
                meta,
            });
        }
        Kind::Repository => {
            let spec = doc.get("spec");
            let at = |p: &[&str]| spec.and_then(|s| s.at(p));
            let exclusion_list = at(&["exclusionList"]).and_then(|n| {
                let items = n.as_seq()?;
                Some((
                    items.iter().filter_map(|i| located(Some(i))).collect(),
                    n.span,
                ))
            });
            let access_from = at(&["accessFrom"]).map(|a| {
                seq(a.get("namespaceSelectors"))
                    .iter()
                    .map(|s| selector::labels(s.get("matchLabels")))
                    .collect()
            });
            model.repositories.push(Repository {
                image: located(at(&["image"])),
                exclusion_list,
                access_from,
                meta,
            });
        }
        Kind::Automation => {
            let spec = doc.get("spec");
            let at = |p: &[&str]| spec.and_then(|s| s.at(p));
            let update_path = located(at(&["update", "path"]));
            // image-automation-controller defaults `update` to Setters at the root.
            let covered = match &update_path {
                Some(p) => paths::normalize(&p.value),
                None => Some(String::new()),
            };
            model.automations.push(Automation {
                kind_span: doc.get("kind").map_or(doc.span, |k| k.span),
                source_kind: located(at(&["sourceRef", "kind"])),
                source_name: located(at(&["sourceRef", "name"])),
                source_namespace: at(&["sourceRef", "namespace"])
                    .and_then(Node::scalar_text)
                    .filter(|s| !s.is_empty()),
                update_path,
                covered,
                strategy: located(at(&["update", "strategy"])),
                selector: at(&["policySelector"])
                    .filter(|n| !n.is_null())
                    .map(Selector::from_node),
                selector_span: spec
                    .and_then(|s| s.entry("policySelector"))
                    .map(|(k, _)| k.span),
                substitute_disabled: substitute_disabled(doc),
                template: located(at(&["git", "commit", "messageTemplate"])),
                meta,
            });
        }
        Kind::GitRepository => {
            model
                .git_repositories
                .insert((meta.namespace.clone(), meta.name.clone()));
        }
        Kind::Namespace => {
            // The API server labels every namespace with its own name (Kubernetes 1.21+);
            // `accessFrom` selectors commonly use it.
            let mut labels = meta.labels;
            labels.insert("kubernetes.io/metadata.name".to_owned(), meta.name.clone());
            model
                .namespaces
                .entry(meta.name.clone())
                .or_default()
                .push(labels);
        }
        Kind::Kustomize | Kind::FluxKustomization | Kind::Other => {}
    }
}

/// Bound on the distinct contexts tracked per kustomization (a base loaded through many
/// overlays); beyond it, later ones are ignored.
const MAX_CONTEXTS: usize = 64;

/// The include graph of kustomizations (the shared model) and Flux Kustomizations.
struct Graph<'a> {
    layout: Layout<'a>,
    /// File → kustomizations listing it as a resource.
    file_parents: HashMap<String, Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(layout: Layout<'a>) -> Graph<'a> {
        let mut file_parents: HashMap<String, Vec<usize>> = HashMap::new();
        let model = layout.graph;
        for (p, kustomization) in model.kustomizations.iter().enumerate() {
            for (input, resolved) in kustomization.inputs.iter().zip(&model.resolved[p]) {
                if let (
                    InputKind::Resource | InputKind::Component | InputKind::Base,
                    Resolved::File(file),
                ) = (input.kind, resolved)
                {
                    file_parents
                        .entry(layout.relative(file))
                        .or_default()
                        .push(p);
                }
            }
        }
        Graph {
            layout,
            file_parents,
        }
    }

    /// Flux Kustomizations that build the objects of `dir`: their `spec.path` is `dir`, or
    /// the kustomization kustomize-controller generates there lists `dir`.
    fn flux_owners(&self, model: &Model, dir: &str) -> Vec<usize> {
        let dir = self.layout.absolute(dir);
        model
            .flux
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.spec_path.as_deref().is_some_and(|root| {
                    self.layout
                        .graph
                        .flux_builds_dir(&self.layout.absolute(root), &dir)
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The contexts a kustomization is built in: one per chain of includes from a root
    /// (deduplicated, at most [`MAX_CONTEXTS`]). The outermost namespace wins, since each
    /// enclosing kustomization's namespace transformer runs after the inner ones.
    fn kctx(
        &self,
        model: &Model,
        k: usize,
        visiting: &mut Vec<usize>,
        memo: &mut HashMap<usize, Vec<Ctx>>,
    ) -> Vec<Ctx> {
        if let Some(done) = memo.get(&k) {
            return done.clone();
        }
        let kfile = &model.kustomizations[k];
        let own = Ctx {
            namespace: kfile.namespace.clone(),
            labels: kfile.labels.clone(),
        };
        if visiting.contains(&k) || visiting.len() > 32 {
            return vec![own];
        }
        let mut outer: Vec<Ctx> = Vec::new();
        visiting.push(k);
        for &p in self.layout.graph.loaders(k) {
            outer.extend(self.kctx(model, p, visiting, memo));
        }
        visiting.pop();
        for f in self.flux_owners(model, &kfile.dir) {
            let flux = &model.flux[f];
            outer.push(Ctx {
                namespace: flux.target_namespace.clone(),
                labels: flux.labels.clone(),
            });
        }
        if outer.is_empty() {
            outer.push(Ctx::default());
        }
        let mut out: Vec<Ctx> = Vec::new();
        for o in outer {
            let mut labels = own.labels.clone();
            labels.extend(o.labels);
            let ctx = Ctx {
                namespace: o.namespace.or_else(|| own.namespace.clone()),
                labels,
            };
            if !out.contains(&ctx) && out.len() < MAX_CONTEXTS {
                out.push(ctx);
            }
        }
        memo.insert(k, out.clone());
        out
    }

    fn file_contexts(&self, model: &Model, path: &str) -> Vec<Ctx> {
        let dir = paths::parent(path);
        if paths::is_kustomization_file(path)
            && let Some(&k) = model.kdir.get(dir)
            && model.kustomizations[k].path == path
        {
            return model.kctx[k].clone();
        }
        let mut out: Vec<Ctx> = Vec::new();
        for &k in self.file_parents.get(path).map_or(&[][..], Vec::as_slice) {
            for ctx in &model.kctx[k] {
                if !out.contains(ctx) {
                    out.push(ctx.clone());
                }
            }
        }
        if !model.kdir.contains_key(dir) {
            for f in self.flux_owners(model, dir) {
                let flux = &model.flux[f];
                let ctx = Ctx {
                    namespace: flux.target_namespace.clone(),
                    labels: flux.labels.clone(),
                };
                if !out.contains(&ctx) {
                    out.push(ctx);
                }
            }
        }
        if out.is_empty() {
            out.push(Ctx::default());
        }
        out
    }
}

/// A marker found in a file, before it is tied to the rest of the model.
struct RawMarker {
    doc: usize,
    setter: SetterRef,
    value: Option<String>,
    value_span: Span,
    key: Option<String>,
}

struct Scan {
    markers: Vec<RawMarker>,
    findings: Vec<Finding>,
}

/// A scalar value node (what kyaml's setter filter visits: mapping values and sequence
/// items, never keys).
struct ScalarValue<'a> {
    doc: usize,
    node: &'a Node,
    key: Option<String>,
    /// Whether it is a sequence item (a head comment can then attach to it).
    item: bool,
}

fn collect_scalars<'a>(
    doc: usize,
    node: &'a Node,
    key: Option<&str>,
    item: bool,
    values: &mut Vec<ScalarValue<'a>>,
    strings: &mut Vec<(usize, usize)>,
) {
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if matches!(k.value, Value::String(_)) {
                    strings.push((k.span.offset, k.span.offset + k.span.len));
                }
                collect_scalars(doc, v, k.as_str(), false, values, strings);
            }
        }
        Value::Seq(items) => {
            for i in items {
                collect_scalars(doc, i, None, true, values, strings);
            }
        }
        _ => {
            if matches!(node.value, Value::String(_)) {
                strings.push((node.span.offset, node.span.offset + node.span.len));
            }
            values.push(ScalarValue {
                doc,
                node,
                key: key.map(str::to_owned),
                item,
            });
        }
    }
}

/// `text[start..end]`, or `""` when the range is not on character boundaries (spans
/// come from the parser; a lint must never panic on them).
fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

fn line_bounds(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let start = slice(text, 0, offset).rfind('\n').map_or(0, |i| i + 1);
    let end = slice(text, offset, text.len())
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    (start, end)
}

/// A span for `offset..offset + len` of `text` (1-based line and character column).
pub fn span_at(text: &str, offset: usize, len: usize) -> Span {
    let offset = offset.min(text.len());
    let (start, _) = line_bounds(text, offset);
    let line = slice(text, 0, offset)
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1;
    let column = slice(text, start, offset).chars().count() + 1;
    Span {
        offset,
        len,
        line,
        column,
    }
}

/// Finds every `$imagepolicy` in a file and sorts each into a marker, a malformed marker,
/// or a marker image-automation-controller can never see.
/// The well-formed markers of one file: setter, value, value span.
pub(crate) fn scan_markers(file: &SourceFile<'_>) -> Vec<(SetterRef, Option<String>, Span)> {
    scan_file(file)
        .markers
        .into_iter()
        .map(|m| (m.setter, m.value, m.value_span))
        .collect()
}

fn scan_file(file: &SourceFile<'_>) -> Scan {
    let text = file.text;
    let mut scan = Scan {
        markers: Vec::new(),
        findings: Vec::new(),
    };
    let invalid = |offset: usize, len: usize, message: String, help: String| Finding {
        code: codes::SETTER_INVALID,
        severity: Severity::Error,
        message,
        help: Some(help),
        path: file.path.to_owned(),
        span: Some(span_at(text, offset, len)),
        rendered_image: None,
    };
    if !paths::automation_reads(file.path) {
        for (offset, _) in text.match_indices(markers::TOKEN) {
            scan.findings.push(invalid(
                offset,
                markers::TOKEN.len(),
                format!(
                    "`{}` is in a file image-automation-controller never reads",
                    markers::TOKEN
                ),
                "it only reads files ending in `.yaml` or `.yml` and files named \
                 `Kustomization`; move the marked value into such a file"
                    .to_owned(),
            ));
        }
        return scan;
    }

    let mut values = Vec::new();
    let mut strings = Vec::new();
    for (d, doc) in file.docs.iter().enumerate() {
        collect_scalars(d, doc, None, false, &mut values, &mut strings);
    }
    // Comments attached to scalar values: (comment start, comment end, value index).
    let mut comments: Vec<(usize, usize, usize)> = Vec::new();
    let mut with_line_comment = HashSet::new();
    for (vi, v) in values.iter().enumerate() {
        let span = v.node.span;
        let end = (span.offset + span.len).min(text.len());
        let source = slice(text, span.offset.min(end), end);
        // A block scalar's span runs to the end of its last line: no line comment after it.
        if source.ends_with('\n') {
            continue;
        }
        let (_, eol) = line_bounds(text, end);
        let mut rest = slice(text, end, eol);
        if v.node.is_null() {
            // An empty value's span is the `:` of its key.
            rest = rest.trim_start_matches(':');
        }
        let trimmed = rest.trim_start();
        if trimmed.starts_with('#') {
            let start = eol - rest.len() + (rest.len() - trimmed.len());
            comments.push((start, eol, vi));
            with_line_comment.insert(vi);
        }
    }
    // Head comments: kyaml falls back to a scalar's head comment — one comment line right
    // above a `- value` sequence item.
    for (vi, v) in values.iter().enumerate() {
        if !v.item || with_line_comment.contains(&vi) || v.node.span.offset == 0 {
            continue;
        }
        let (line_start, _) = line_bounds(text, v.node.span.offset);
        let before = slice(text, line_start, v.node.span.offset.min(text.len()));
        if before.trim() != "-" || line_start == 0 {
            continue;
        }
        let (prev_start, prev_end) = line_bounds(text, line_start - 1);
        let prev = slice(text, prev_start, prev_end);
        if !prev.trim_start().starts_with('#') {
            continue;
        }
        let above_is_comment = prev_start > 0 && {
            let (s, e) = line_bounds(text, prev_start - 1);
            slice(text, s, e).trim_start().starts_with('#')
        };
        if !above_is_comment {
            let start = prev_start + (prev.len() - prev.trim_start().len());
            comments.push((start, prev_end, vi));
        }
    }

    let mut handled: Vec<(usize, usize)> = Vec::new();
    for &(start, end, vi) in &comments {
        let comment = slice(text, start, end).trim_end_matches('\r');
        if !comment.contains(markers::TOKEN) {
            continue;
        }
        handled.push((start, end));
        let v = &values[vi];
        match markers::parse_comment(comment) {
            Ok(Some(setter)) => scan.markers.push(RawMarker {
                doc: v.doc,
                setter,
                value: v.node.scalar_text(),
                value_span: v.node.span,
                key: v.key.clone(),
            }),
            Ok(None) => {}
            Err(why) => {
                scan.findings
                    .push(invalid(start, comment.len(), why.message, why.help));
            }
        }
    }
    for (offset, _) in text.match_indices(markers::TOKEN) {
        if handled.iter().any(|&(s, e)| s <= offset && offset < e) {
            continue;
        }
        if strings.iter().any(|&(s, e)| s <= offset && offset < e) {
            scan.findings.push(invalid(
                offset,
                markers::TOKEN.len(),
                format!(
                    "`{}` is inside a string value (a block scalar or quoted string, e.g. an \
                     inline patch): image-automation-controller only reads markers in YAML \
                     comments, so it never sees this one",
                    markers::TOKEN
                ),
                "move the image into a field of its own with the marker as that line's \
                 comment, e.g. a kustomize `images:` entry or a patch file"
                    .to_owned(),
            ));
            continue;
        }
        let (line_start, line_end) = line_bounds(text, offset);
        let line = slice(text, line_start, line_end);
        let Some(hash) = slice(text, line_start, offset)
            .rfind('#')
            .map(|i| line_start + i)
        else {
            continue;
        };
        let comment = slice(text, hash, line_end).trim_end_matches('\r');
        if line.trim_start().starts_with('#') {
            // A comment line of its own. Commented-out YAML (`# image: x # {...}`) and
            // prose are not markers anyone expects to work; a bare marker line is.
            let body = line.trim_start().trim_start_matches('#').trim_start();
            if body.starts_with('{') && hash == line_start + (line.len() - line.trim_start().len())
            {
                scan.findings.push(invalid(
                    hash,
                    comment.len(),
                    "this marker is on a line of its own, not at the end of the value it \
                     should update: image-automation-controller ignores it"
                        .to_owned(),
                    "put the marker after the value on the same line: \
                     `image: repo:tag # {\"$imagepolicy\": \"<ns>:<policy>\"}`"
                        .to_owned(),
                ));
            }
            continue;
        }
        scan.findings.push(invalid(
            hash,
            comment.len(),
            "this marker is not the line comment of a scalar value (it follows a key, a \
             collection or a flow sequence): image-automation-controller ignores it"
                .to_owned(),
            "put the marker after a plain scalar value on the same line: \
             `newTag: v1 # {\"$imagepolicy\": \"<ns>:<policy>:tag\"}`"
                .to_owned(),
        ));
    }
    scan
}
