//! Lints Flux image automation so a commit cannot break a promotion path.
//!
//! A promotion path (`develop-*` → `staging-*` → `production-vX.Y.Z-<sha>-<ts>` tags of one
//! immutable artifact) rests on four kinds of objects that no schema check relates to each
//! other: image-reflector-controller's ImageRepositories and per-lane ImagePolicies,
//! image-automation-controller's ImageUpdateAutomations, and the setter markers
//! (`# {"$imagepolicy": "<ns>:<policy>:tag"}`) through which automations write tags back into
//! Git. Every way they can silently stop working — a tag filter Go cannot compile, a policy
//! that also selects another lane's tags, a marker the controller ignores, a file no
//! automation covers, a kustomize `images[]` entry that matches nothing, a `staging-*` tag
//! pinned in production — is a [`Finding`] here, with a stable code from [`codes`].
//!
//! [`Index::build`] reads the parsed sources once (setter markers are YAML comments, so it
//! also scans the source text); [`Index::lint_sources`] runs the rules that need only the
//! sources, [`Index::lint_render`] those that need what kustomize rendered. Tag filters are
//! judged with [`guardrails_regex`], a port of Go's RE2 parser with exact DFA-based language
//! questions, so "these two policies can select the same tag" comes with a witness tag, and
//! every automaton is bounded.
//!
//! This crate never reads files, the environment or the network, never runs kustomize or a
//! controller, and never prints. It does not judge API versions or object schemas: removed
//! image API versions (`flux::deprecated-api`) and unknown fields of Flux objects
//! (a Flux Kustomization's `spec.images` included) belong to `guardrails-flux-api`, which
//! also rejects a `sourceRef.kind` or `update.strategy` outside their enums — the two places
//! where `automation::source-ref` / `automation::strategy` say the same thing in the terms
//! of the promotion path. kustomize's own `images[]` entries, which no schema check reads,
//! are `image::unknown-field`; the CEL rules of the ImagePolicy CRD (`interval` with
//! `digestReflectionPolicy: Always`) are `image-policy::interval-reflection`.

mod choice;
pub mod codes;
mod gotemplate;
mod imageref;
mod markers;
mod model;
mod ordering;
mod paths;
mod pins;
mod render;
mod rules;
mod selector;
mod semver;

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use guardrails_flux_api::FluxVersion;
use guardrails_regex::{GoRegex, GoSyntaxError, GoTarget, Limits, TagMatcher};
use guardrails_yaml::{Node, Span};
pub use pins::{Pin, pins_in};

/// A promotion lane: objects in the namespace `name` (or under a directory `name`) deploy
/// tags starting with `tag_prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lane {
    pub name: String,
    pub tag_prefix: String,
}

impl Lane {
    pub fn new(name: impl Into<String>, tag_prefix: impl Into<String>) -> Lane {
        Lane {
            name: name.into(),
            tag_prefix: tag_prefix.into(),
        }
    }
}

/// `--lane NAME=TAG_PREFIX` that is not of that form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid lane `{input}`: expected NAME=TAG_PREFIX such as `production=production-`")]
pub struct ParseLaneError {
    input: String,
}

impl FromStr for Lane {
    type Err = ParseLaneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((name, prefix)) if !name.trim().is_empty() && !prefix.is_empty() => {
                Ok(Lane::new(name.trim(), prefix))
            }
            _ => Err(ParseLaneError {
                input: s.to_owned(),
            }),
        }
    }
}

/// What to lint against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The promotion lanes, in promotion order.
    pub lanes: Vec<Lane>,
    /// The Flux release the cluster runs: decides which Go release compiles tag filters.
    pub flux: FluxVersion,
    /// Names of the GitRepositories that are another repository (or another branch):
    /// an ImageUpdateAutomation writing to one of them has its `update.path` there, not
    /// in this checkout.
    pub other_repositories: std::collections::BTreeSet<String>,
    /// The Flux Kustomizations as the caller's reconciliation of the cluster trees sees
    /// them (after the parents' patches and substitution): where one is known, its
    /// `spec.path` and `targetNamespace` replace what its file says, so lanes and
    /// namespaces are decided on what Flux applies.
    pub reconciled: Vec<ReconciledFlux>,
}

/// A Flux Kustomization as its cluster's tree renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciledFlux {
    /// Repository-relative path (`/`-separated) of the file that defines it.
    pub path: String,
    pub name: String,
    /// `spec.path`, repository-relative (`""` is the root); `None` when not this checkout.
    pub spec_path: Option<String>,
    pub target_namespace: Option<String>,
}

impl Default for Config {
    /// `develop=develop-`, `staging=staging-`, `production=production-`, current Flux.
    fn default() -> Self {
        Config {
            lanes: vec![
                Lane::new("develop", "develop-"),
                Lane::new("staging", "staging-"),
                Lane::new("production", "production-"),
            ],
            flux: FluxVersion::CURRENT,
            other_repositories: std::collections::BTreeSet::new(),
            reconciled: Vec::new(),
        }
    }
}

impl Config {
    pub(crate) fn lane_of_namespace(&self, namespace: &str) -> Option<usize> {
        self.lanes.iter().position(|l| l.name == namespace)
    }

    /// The deepest directory segment named after a lane (`apps/backend/production`,
    /// `overlays/staging`).
    pub(crate) fn lane_of_dir(&self, dir: &str) -> Option<usize> {
        dir.rsplit('/')
            .find_map(|segment| self.lanes.iter().position(|l| l.name == segment))
    }

    /// The Go release image-reflector-controller is built with. Flux 2.3 shipped IRC 0.32,
    /// the first built with Go 1.22 (which accepts `(?<name>…)`); the other minor releases
    /// only change error texts for oversized patterns and `\p{…}` names.
    pub(crate) fn go_target(&self) -> GoTarget {
        let FluxVersion { major, minor } = self.flux;
        let go = match (major, minor) {
            (0..=1, _) | (2, 0..=1) => 20,
            (2, 2) => 21,
            (2, 3) => 22,
            (2, 4..=5) => 23,
            (2, 6) => 24,
            (2, 7..=8) => 25,
            _ => 26,
        };
        GoTarget::go(go)
    }
}

/// How serious a finding is (shared by every check of the suite).
pub use guardrails_diagnostics::Severity;

/// One problem, in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// One of [`codes`].
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// Repository-relative path (`/`-separated) of the file to fix.
    pub path: String,
    /// Where in that file; `None` when only the file is known.
    pub span: Option<Span>,
    /// For a finding about a rendered container that could not be placed in a file the
    /// lint reads (`span` is `None`): its image reference as rendered, so that the caller,
    /// who knows every file of the render, can find where it is written.
    pub rendered_image: Option<String>,
}

/// One repository YAML file: repo-relative path with `/`, its text, its parsed documents.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub docs: &'a [Node],
}

/// One render (overlay or Flux Kustomization build): what kustomize produced.
#[derive(Debug, Clone, Copy)]
pub struct Render<'a> {
    /// How the caller names the render in messages.
    pub label: &'a str,
    /// Repo-relative directory of the overlay (the Flux Kustomization's `spec.path`).
    pub dir: &'a str,
    /// Repo-relative paths of the kustomization files the build read. For a Flux
    /// Kustomization build, include the file defining the Flux Kustomization: its
    /// `spec.images` are then checked against this render.
    pub kustomization_files: &'a [&'a str],
    /// The rendered objects.
    pub objects: &'a [Node],
}

/// A tag filter, compiled once.
struct PatternInfo {
    /// Go's verdict for the configured target.
    syntax: Result<GoRegex, GoSyntaxError>,
    /// Matcher for single tags; `None` when Go rejects the pattern or it is too large.
    matcher: Option<TagMatcher>,
}

/// Everything learned from the sources once: policies, repositories, automations,
/// namespaces (with labels), GitRepositories, markers, kustomize/Flux `images[]` entries.
///
/// The repository's kustomize model and the root its paths are under (`""` when they are
/// repository-relative already).
#[derive(Clone, Copy)]
pub struct Layout<'a> {
    pub graph: &'a guardrails_kustomize::Graph,
    pub root: &'a std::path::Path,
}

impl Layout<'_> {
    /// The model of the kustomization files among `files` (the first of kustomize's
    /// three names in a directory), entries resolved against the set of `files`.
    pub fn graph_of(files: &[SourceFile<'_>]) -> guardrails_kustomize::Graph {
        use std::path::{Path, PathBuf};
        let mut dirs = BTreeSet::new();
        let mut kustomizations = Vec::new();
        for name in guardrails_kustomize::paths::KUSTOMIZATION_FILES {
            for file in files.iter().filter(|f| paths::file_name(f.path) == name) {
                let path = Path::new(file.path);
                if !dirs.insert(paths::parent(file.path)) {
                    continue;
                }
                kustomizations.push(match file.docs.first() {
                    Some(doc) if doc.as_map().is_some() => {
                        guardrails_kustomize::Kustomization::from_document(path, doc)
                    }
                    _ => guardrails_kustomize::Kustomization::unreadable(path),
                });
            }
        }
        let tree = guardrails_kustomize::FileSet::new(files.iter().map(|f| PathBuf::from(f.path)));
        guardrails_kustomize::Graph::build(kustomizations, &tree)
    }

    /// A model path as the lint names files: root-relative, `/`-separated.
    pub(crate) fn relative(&self, path: &std::path::Path) -> String {
        let shown = path.strip_prefix(self.root).unwrap_or(path);
        shown.to_string_lossy().replace('\\', "/")
    }

    /// A root-relative path as the model names it.
    pub(crate) fn absolute(&self, relative: &str) -> std::path::PathBuf {
        if relative.is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(relative)
        }
    }
}

/// `files` passed to [`Index::build`] must be every YAML file of the repository: absence
/// of an object is a finding ("no ImagePolicy `production/backend`").
pub struct Index {
    config: Config,
    model: model::Model,
    patterns: HashMap<String, PatternInfo>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("policies", &self.model.policies.len())
            .field("repositories", &self.model.repositories.len())
            .field("automations", &self.model.automations.len())
            .field("markers", &self.model.markers.len())
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Builds the index over `files` alone: the kustomize model is read from the
    /// kustomization files among them.
    pub fn build(files: &[SourceFile<'_>], config: &Config) -> Index {
        let graph = Layout::graph_of(files);
        Index::build_on(
            files,
            config,
            Layout {
                graph: &graph,
                root: std::path::Path::new(""),
            },
        )
    }

    /// Builds the index over `files` with the caller's kustomize model of the repository
    /// (every kustomization file, resolved on disk), so the lint places objects in the
    /// namespaces the same graph gives them, whether or not a kustomization file is among
    /// `files`.
    pub fn build_on(files: &[SourceFile<'_>], config: &Config, layout: Layout<'_>) -> Index {
        let model = model::build(files, config, layout);
        let target = config.go_target();
        let mut patterns = HashMap::new();
        for policy in &model.policies {
            let pattern = policy.pattern_text();
            if patterns.contains_key(pattern) {
                continue;
            }
            let syntax = guardrails_regex::check_go_syntax(pattern, target);
            let matcher = syntax
                .as_ref()
                .ok()
                .and_then(|re| re.matcher(Limits::default()).ok());
            patterns.insert(pattern.to_owned(), PatternInfo { syntax, matcher });
        }
        Index {
            config: config.clone(),
            model,
            patterns,
        }
    }

    /// The files whose findings a change to `changed` (repository-relative, `/`-separated
    /// paths) can alter through object relations rather than file inclusion, so that a
    /// commit touching only one side is checked on the other:
    /// - an ImageRepository → the ImagePolicies that refer to it by name, and every policy
    ///   whose reference now resolves to nothing (a renamed or removed repository);
    /// - an ImagePolicy → the setter markers that name it, and every marker naming no policy;
    /// - an ImageUpdateAutomation → every file with a marker (its `update.path` and
    ///   `policySelector` decide which markers it writes);
    /// - a Namespace (`namespaces_changed`: its labels gate `accessFrom`) → the
    ///   ImageRepositories with `accessFrom` and the policies that refer to them.
    pub fn related_files(
        &self,
        changed: &BTreeSet<String>,
        namespaces_changed: bool,
    ) -> BTreeSet<String> {
        let model = &self.model;
        let mut related = BTreeSet::new();
        let refers = |p: &model::Policy, repository: &model::Repository| {
            p.repo_name
                .as_ref()
                .is_some_and(|n| n.value == repository.meta.name)
        };
        let dangling = |p: &model::Policy| {
            p.repo_name.is_some() && !model.repositories.iter().any(|r| refers(p, r))
        };
        for repository in &model.repositories {
            let touched = changed.contains(&repository.meta.path)
                || (namespaces_changed && repository.access_from.is_some());
            if !touched {
                continue;
            }
            related.insert(repository.meta.path.clone());
            related.extend(
                model
                    .policies
                    .iter()
                    .filter(|p| refers(p, repository))
                    .map(|p| p.meta.path.clone()),
            );
        }
        if model
            .repositories
            .iter()
            .any(|r| changed.contains(&r.meta.path))
        {
            related.extend(
                model
                    .policies
                    .iter()
                    .filter(|p| dangling(p))
                    .map(|p| p.meta.path.clone()),
            );
        }
        let changed_policies: Vec<&model::Policy> = model
            .policies
            .iter()
            .filter(|p| changed.contains(&p.meta.path))
            .collect();
        if !changed_policies.is_empty() {
            for marker in &model.markers {
                let names_changed = changed_policies
                    .iter()
                    .any(|p| p.meta.name == marker.setter.name);
                let names_none = !model
                    .policies
                    .iter()
                    .any(|p| p.meta.name == marker.setter.name);
                if names_changed || names_none {
                    related.insert(marker.path.clone());
                }
            }
        }
        if model
            .automations
            .iter()
            .any(|a| changed.contains(&a.meta.path))
        {
            related.extend(model.markers.iter().map(|m| m.path.clone()));
        }
        related
    }

    /// Rules that need only sources.
    pub fn lint_sources(&self) -> Vec<Finding> {
        finish(rules::lint(self))
    }

    /// Rules that need a render: unmatched images entries, lane mismatch of rendered images,
    /// mutable tags.
    pub fn lint_render(&self, render: &Render<'_>) -> Vec<Finding> {
        finish(render::lint(self, render))
    }

    /// Whether the policy's filter keeps `tag` (`None`: unknown, the pattern is invalid or
    /// too large to simulate). A policy without a pattern keeps every tag.
    fn policy_accepts(&self, policy: &model::Policy, tag: &str) -> Option<bool> {
        let info = self.patterns.get(policy.pattern_text())?;
        info.matcher.as_ref().map(|m| m.accepts(tag))
    }
}

/// Sorted by file and position, duplicates removed (one source object can be seen through
/// several overlays).
fn finish(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| {
        let pos = |f: &Finding| f.span.map_or((0, 0), |s| (s.line, s.column));
        (&a.path, pos(a), a.code, &a.message).cmp(&(&b.path, pos(b), b.code, &b.message))
    });
    findings.dedup();
    findings
}

#[cfg(test)]
mod tests;
