//! A render job and what comes back: the targets the planner builds (an overlay, or what
//! a Flux Kustomization applies), the work handed to the renderer pool, the context it
//! runs in, and the findings of one render. Every stage passes these values; none of them
//! knows the stages.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use guardrails_flux_api::kubernetes::{Applier, Schemas};

use crate::cache::RenderCache;
use crate::flux::{FluxKustomization, VariableSource};
use crate::render::{BuildFailure, Renderer};
use guardrails_flux_api::FluxVersion;

/// How a render target is built.
#[derive(Debug, Clone)]
pub enum Build {
    /// A directory with a kustomization file, built as it is.
    Dir(PathBuf),
    /// What kustomize-controller builds for a Flux Kustomization: `kustomization` (the
    /// directory's own, or the generated one, with the Flux spec merged in) standing in
    /// for the kustomization file of `dir` (see [`crate::flux_build`]).
    Flux {
        dir: PathBuf,
        kustomization: String,
        /// Every file the build reads (what the mirror must link).
        reads: Vec<PathBuf>,
    },
}

/// One build: an overlay, or what a Flux Kustomization applies.
#[derive(Debug, Clone)]
pub struct Target {
    pub label: String,
    /// The directory built: the overlay, or the Flux Kustomization's `spec.path`.
    pub dir: PathBuf,
    /// The file a build failure points at.
    pub anchor: PathBuf,
    pub build: Build,
    /// Every file the build reads.
    pub closure: BTreeSet<PathBuf>,
    /// Files outside the closure whose change changes the result: the file defining the
    /// Flux Kustomization and those of its substitution variables.
    pub dependencies: BTreeSet<PathBuf>,
    /// The Flux Kustomization (index into `Plan::flux`) this target builds, if any.
    pub flux: Vec<usize>,
    /// What its postBuild substitutes, with the variables of its cluster.
    pub substitutions: Vec<Substitution>,
    pub empty: bool,
    /// A problem found before rendering already explains why the build would fail.
    pub blocked: bool,
    /// An overlay no Flux tree applies (CI, `kubectl apply -k`): not held to
    /// kustomize-controller's restrictions.
    pub standalone: bool,
    /// The Flux release the build is judged for: the newest its clusters run (an API
    /// version removed there, or strict substitution there, fails there).
    pub release: FluxVersion,
}

pub struct RenderContext<'a> {
    pub renderer: &'a Renderer,
    /// The repository's top level: mirrors of it stand in for it in Flux builds.
    pub repo_root: &'a Path,
    /// The image automation lint, run on every render.
    pub image_index: Option<&'a guardrails_image_lint::Index>,
    /// The Kubernetes schemas every rendered object is checked against (built-in kinds
    /// and the repository's CRDs).
    pub schemas: &'a Schemas,
    pub cache: Option<&'a RenderCache>,
    pub timeout: Duration,
}

/// One render job.
#[derive(Debug)]
pub struct Work {
    pub target: usize,
    pub build: Build,
    pub cache_key: String,
    pub substitutions: Vec<Substitution>,
    /// Namespaces and CRDs (`Kind/name`) its sources define: what batching must keep
    /// apart, since `namePrefix` does not rename them.
    pub cluster_names: std::collections::BTreeSet<String>,
    pub lint: LintTarget,
    /// Check the output (an affected target), or only hand its text back (a parent
    /// rendered to find the Flux objects it applies).
    pub check: bool,
    /// Already rendered while the cluster trees were built: not rendered again.
    pub prerendered: Option<Result<String, BuildFailure>>,
    /// The Flux release whose API definitions the rendered Flux objects are checked against.
    pub flux_version: guardrails_flux_api::FluxVersion,
    /// What applies the render: kustomize-controller for a Flux build, `kubectl` (or any
    /// direct apply) for an overlay no Flux tree applies.
    pub applier: Applier,
}

/// What the image automation lint needs to know about a render besides its objects.
#[derive(Debug, Clone)]
pub struct LintTarget {
    pub label: String,
    /// Repository-relative directory built.
    pub dir: String,
    /// Repository-relative kustomization files the build read (and the Flux
    /// Kustomization files whose spec applies).
    pub kustomization_files: Vec<String>,
}

/// What kustomize-controller's postBuild would do to this render.
#[derive(Debug, Clone)]
pub struct Substitution {
    pub flux: usize,
    /// Known variables; `None` values exist but are unknown offline (SOPS).
    pub vars: HashMap<String, Option<String>>,
    /// Every `substituteFrom` source was found, so an undefined variable is certain.
    pub complete: bool,
}

impl Substitution {
    /// `None` when the Flux Kustomization has no `postBuild`, or when substitution would
    /// not run (no variable resolves and the strategy is not `Always`).
    pub fn for_flux(
        index: usize,
        ks: &FluxKustomization,
        variable_sources: &[VariableSource],
    ) -> Option<Substitution> {
        let post_build = ks.post_build.as_ref()?;
        let mut vars = HashMap::new();
        let mut complete = true;
        // Later `substituteFrom` entries override earlier ones; inline `substitute` wins.
        for from in &post_build.substitute_from {
            match variable_sources.iter().find(|v| from.resolves_to(ks, v)) {
                Some(source) => {
                    for (key, value) in &source.data {
                        vars.insert(key.clone(), value.clone());
                    }
                }
                // Not in the repository: created out of band (optional or not), so what it
                // defines is unknown.
                None => complete = false,
            }
        }
        for variable in &post_build.substitute {
            vars.insert(
                variable.name.clone(),
                Some(guardrails_envsubst::strip_newlines(&variable.value)),
            );
        }
        let runs = !vars.is_empty() || post_build.always || !complete;
        runs.then_some(Substitution {
            flux: index,
            vars,
            complete,
        })
    }
}

#[derive(Debug)]
pub struct RenderResult {
    pub target: usize,
    pub cached: bool,
    pub renderer_time: Duration,
    pub checking: Duration,
    pub outcome: Result<Findings, BuildFailure>,
    /// The render itself, for work that is not checked.
    pub text: Option<String>,
    /// The render was made before (while the cluster trees were built).
    pub reused: bool,
}

#[derive(Debug, Default)]
pub struct Findings {
    /// Time the image automation lint took on this render.
    pub image_lint_time: Duration,
    pub objects: usize,
    pub problems: Vec<Problem>,
    /// Every object rendered, as (group, kind, namespace, name), with a fingerprint of
    /// its text: what the build applies.
    pub ids: Vec<(ObjectKey, u64)>,
}

/// An object's identity as the API server sees it: group, kind, namespace, name.
pub type ObjectKey = (String, String, String, String);

/// Per cluster (and the `kubeConfig` a Kustomization applies to) and object: the Flux
/// Kustomizations that apply it, the targets that render it and its fingerprint there.
pub type Owners = HashMap<(usize, Option<String>, ObjectKey), Vec<(usize, usize, u64)>>;

#[derive(Debug)]
pub enum Problem {
    Unparsable(String),
    /// An image automation finding (part 2 of the hook).
    Image(guardrails_image_lint::Finding),
    MissingField {
        object: String,
        kind: Option<String>,
        name: Option<String>,
        field: &'static str,
    },
    Duplicate {
        object: String,
        kind: String,
        name: String,
    },
    /// A Flux object as kustomize renders it (patches applied) fails its API definition.
    FluxApi {
        object: String,
        kind: String,
        name: String,
        finding: guardrails_flux_api::Finding,
    },
    /// A built-in object or custom resource as rendered fails its schema.
    Schema {
        object: String,
        kind: String,
        name: String,
        finding: guardrails_flux_api::Finding,
    },
    Substitution {
        flux: usize,
        object: String,
        message: String,
        /// The `${...}` text, to find the use in the sources.
        expression: String,
        variable: Option<String>,
        undefined: bool,
        /// kustomize-controller fails the build on it (some unsupported operators only
        /// misbehave).
        fails: bool,
    },
}

impl RenderContext<'_> {
    /// A failure before the renderer ran (temporary files), reported like a render's.
    pub fn setup_failure(&self, stderr: String) -> BuildFailure {
        BuildFailure {
            command: self.renderer.name().to_owned(),
            stderr,
            timed_out: false,
        }
    }

    /// A private temporary directory and its canonical path (relative entries written
    /// into it are computed from that path); removed when the guard drops.
    pub fn private_dir(&self, prefix: &str) -> Result<(tempfile::TempDir, PathBuf), BuildFailure> {
        let temp = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| self.setup_failure(format!("cannot create a temporary directory: {e}")))?;
        let dir = temp
            .path()
            .canonicalize()
            .unwrap_or_else(|_| temp.path().to_path_buf());
        Ok((temp, dir))
    }
}
