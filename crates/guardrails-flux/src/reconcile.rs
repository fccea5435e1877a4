//! Cluster trees, built the way Flux reconciles them. kustomize-controller applies a
//! cluster's entry Kustomization; the Flux Kustomizations that come out of that build (after
//! the parent's `patches`, `components`, `targetNamespace` and postBuild substitution) are the
//! ones it reconciles next, with the variables of the ConfigMaps and Secrets the tree applied.
//! Reading Kustomizations from files instead gets every parent-applied field wrong, so the
//! trees are built here from renders, level by level (`flux build kustomization
//! --recursive` does the same).
//!
//! Entry points, in order: the `flux-system` Kustomizations `flux bootstrap` writes and the
//! Flux Operator's `FluxInstance` `spec.sync`; then standalone overlays (applied by a task
//! runner with `kubectl apply -k`) whose renders hold Flux Kustomizations; then Flux
//! Kustomization files that no tree applies and that no built directory leaves out (applied
//! out of band). A Kustomization file that a built directory does not list reaches no cluster:
//! it is reported as unused, never checked as if it were applied.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use guardrails_report::Diagnostic;
use guardrails_yaml::{Limits, Node};

use crate::error::Error;
use crate::flux::{self, FluxKustomization, GitRepository, VariableSource};
use crate::job::{RenderResult, Target, Work};
use crate::options::Options;
use crate::plan::{Cluster, Plan};
use crate::source_checks::Checks;
use crate::{codes, paths};

/// The render step of reconciliation, behind a trait so that planning can be tested with
/// canned renders; the real one runs the renderer pool (with the render cache).
pub trait WaveRenderer {
    /// Part of every cache key: the renderer and its version.
    fn key_salt(&mut self) -> Result<String, Error>;
    /// Renders every item and returns each result (`text` holds the output).
    fn render(&mut self, work: Vec<Work>) -> Result<Vec<RenderResult>, Error>;
}

/// A Flux Kustomization waiting for its turn.
struct Pending {
    cluster: usize,
    ks: FluxKustomization,
    /// The target whose render applies it: everything that render depends on decides
    /// this Kustomization's spec.
    parent: Option<usize>,
}

/// What reconciliation reads besides the plan.
pub struct Inputs<'a> {
    pub options: &'a Options,
    /// Flux Kustomizations written in the repository's files (patch files left out).
    pub file_kustomizations: &'a [FluxKustomization],
    /// FluxInstance `spec.sync` entry points.
    pub instances: &'a [FluxKustomization],
    pub file_repositories: &'a [GitRepository],
    /// ConfigMaps and Secrets written in the repository's files: a `substituteFrom`
    /// source that the cluster's tree does not apply may be applied out of band from one
    /// of these (when exactly one file defines it and no Flux build reads that file).
    pub file_variable_sources: &'a [VariableSource],
    /// Names of the ConfigMaps and Secrets any `substituteFrom` of the repository reads
    /// (in Kustomizations and in the patches that add to them), and of the GitRepositories
    /// Kustomizations name besides `flux-system`: the objects worth a render to learn.
    pub wanted: &'a Wanted,
}

/// See [`Inputs::wanted`].
#[derive(Debug, Default)]
pub struct Wanted {
    pub variable_sources: BTreeSet<String>,
    pub repositories: BTreeSet<String>,
}

impl Wanted {
    /// Collects from one document of the repository, patch strings included
    /// (`flux-system` is this repository, never wanted).
    pub fn add(&mut self, doc: &Node) {
        self.walk(doc, 0);
        self.repositories.remove("flux-system");
    }

    fn walk(&mut self, node: &Node, depth: usize) {
        if depth > 64 {
            return;
        }
        match &node.value {
            guardrails_yaml::Value::Map(entries) => {
                for (key, value) in entries {
                    match key.as_str() {
                        Some("substituteFrom") => {
                            for item in value.as_seq().unwrap_or(&[]) {
                                if let Some(name) = item.str_at(&["name"]) {
                                    self.variable_sources.insert(name.to_owned());
                                }
                            }
                        }
                        Some("sourceRef") => {
                            if value.str_at(&["kind"]).is_none_or(|k| k == "GitRepository")
                                && let Some(name) = value.str_at(&["name"])
                            {
                                self.repositories.insert(name.to_owned());
                            }
                        }
                        _ => {}
                    }
                    self.walk(value, depth + 1);
                }
            }
            guardrails_yaml::Value::Seq(items) => {
                for item in items {
                    self.walk(item, depth + 1);
                }
            }
            // An inline patch: a JSON 6902 `value` or a strategic merge patch as text.
            guardrails_yaml::Value::String(text)
                if text.contains("substituteFrom") || text.contains("sourceRef") =>
            {
                if let Ok(docs) = guardrails_yaml::parse_documents(text, &Limits::default()) {
                    for doc in &docs {
                        self.walk(doc, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Plan {
    /// Builds every cluster tree; afterwards `self.flux` holds the reconciled
    /// Kustomizations and `self.targets` their builds.
    pub fn reconcile(
        &mut self,
        inputs: &Inputs<'_>,
        checks: &mut Checks,
        backend: &mut dyn WaveRenderer,
    ) -> Result<(), Error> {
        let mut reached: HashSet<(PathBuf, String)> = HashSet::new();
        let mut considered: HashSet<(PathBuf, String)> = HashSet::new();
        let mut pending = Vec::new();
        // Entry points: `flux bootstrap`'s sync object, a FluxInstance, and a sync object
        // under another name (a Kustomization under its own path: `cluster` applying
        // `./kubernetes/main/flux`) that no bootstrap's tree holds. They go first, so that
        // an overlay they build is not taken for one applied out of band.
        let bootstrap_dirs: Vec<PathBuf> = inputs
            .file_kustomizations
            .iter()
            .filter(|ks| is_bootstrap(ks))
            .filter_map(|ks| ks.path.as_ref())
            .map(|(p, _)| paths::join_normalized(&self.repo_root, p.trim_start_matches('/')))
            .collect();
        let repo_root = self.repo_root.clone();
        let bootstraps: Vec<&FluxKustomization> = inputs
            .file_kustomizations
            .iter()
            .filter(|ks| {
                is_bootstrap(ks)
                    || (ks.applies_itself(&repo_root)
                        && (self.own_build_holds(ks)
                            || written_as_sync(ks, inputs.file_repositories))
                        && !bootstrap_dirs.iter().any(|d| ks.file.starts_with(d)))
            })
            .chain(inputs.instances)
            .collect();
        // A Kustomization of an artifact this checkout may be (not one pushed from it):
        // the hook cannot follow that tree, which may apply and patch what it finds.
        self.unfollowed_tree = inputs.file_kustomizations.iter().any(|ks| {
            ks.source_kind
                .as_deref()
                .is_some_and(|kind| kind != "GitRepository")
                && self.artifact_dir(ks).is_none()
        });
        // A Flux Operator ResourceSet generates Kustomizations from templates the hook
        // does not expand: the trees they start are not followed either.
        let yaml_files = self.yaml_files.clone();
        self.unfollowed_tree |= yaml_files.iter().any(|file| {
            self.sources.load(file).text().is_some_and(|text| {
                text.contains("kind: ResourceSet") && text.contains("fluxcd.controlplane.io/")
            })
        });
        // Entry points whose trees nest are one cluster, each still a root (so that one
        // whose build cannot be rendered leaves the other's tree checked): a `flux-system`
        // Kustomization written under the directory a sync object `cluster` applies, or a
        // FluxInstance syncing `kubernetes/flux/cluster` beside a sync object applying all
        // of `kubernetes/flux`. What both apply is reconciled once, as the controller sees.
        let mut roots: Vec<(PathBuf, usize, &FluxKustomization)> = Vec::new();
        for ks in bootstraps {
            self.has_entry_points = true;
            considered.insert((ks.file.clone(), ks.name.clone()));
            let dir = ks
                .path
                .as_ref()
                .map(|(p, _)| paths::join_normalized(&self.repo_root, p.trim_start_matches('/')));
            let nested = dir.as_ref().and_then(|dir| {
                roots.iter().find_map(|(other_dir, cluster, other)| {
                    let nests = (dir.starts_with(other_dir) && self.build_reaches(other, dir))
                        || (other_dir.starts_with(dir) && self.build_reaches(ks, other_dir))
                        || self.build_holds(other, &ks.file)
                        || self.build_holds(ks, &other.file);
                    nests.then_some(*cluster)
                })
            });
            let cluster = match nested {
                Some(cluster) => cluster,
                None => self.new_cluster(&ks.file, ks.path.as_ref().map(|(p, _)| p.as_str())),
            };
            if let Some(dir) = dir {
                roots.push((dir, cluster, ks));
            }
            pending.push(Pending {
                cluster,
                ks: ks.clone(),
                parent: None,
            });
        }
        self.run_waves(pending, inputs, checks, backend, &mut reached)?;

        // Standalone overlays whose renders apply Flux Kustomizations.
        let file_kustomization_files: BTreeSet<&PathBuf> = inputs
            .file_kustomizations
            .iter()
            .map(|ks| &ks.file)
            .collect();
        let flux_read = self.flux_read_files();
        // An overlay a Flux Kustomization of this checkout builds is not applied out of
        // band: that Kustomization (an entry point found below) applies it, patches and all.
        let built_by_flux: BTreeSet<PathBuf> = inputs
            .file_kustomizations
            .iter()
            .filter(|ks| ks.path.as_ref().is_some_and(|(p, _)| !p.contains("${")))
            .filter_map(|ks| self.checkout_dir(ks))
            .collect();
        let mut standalone = Vec::new();
        for k in self.graph.roots() {
            let kustomization = &self.graph.kustomizations[k];
            if kustomization.component
                || flux_read.contains(&kustomization.file)
                || built_by_flux.contains(&kustomization.dir)
            {
                continue;
            }
            let mut closure = BTreeSet::new();
            self.graph.closure_files(k, &mut closure);
            // Only an overlay holding a Kustomization no tree applied yet is an entry
            // point: a cluster's `flux-system` directory that its own sync path leaves
            // out, or a directory of apps that a cluster lists one by one, is applied by
            // that cluster already (rendered again here, without the parents' patches,
            // it would only repeat or invent findings).
            let applies_new = inputs.file_kustomizations.iter().any(|ks| {
                let id = (ks.file.clone(), ks.name.clone());
                closure.contains(&ks.file) && !reached.contains(&id) && !considered.contains(&id)
            });
            if applies_new && closure.iter().any(|f| file_kustomization_files.contains(f)) {
                standalone.push(self.standalone_target(k));
            }
        }
        if !standalone.is_empty() {
            let salt = self.timed_salt(backend)?;
            let work = self.discovery_work(&standalone, &salt);
            let mut pending = Vec::new();
            for result in self.timed_render(backend, work)? {
                let t = result.target;
                let cluster = self.new_cluster(&self.targets[t].anchor.clone(), None);
                self.clusters[cluster].name = self.targets[t].label.clone();
                self.clusters[cluster].out_of_band = true;
                self.keep_render(t, &result);
                if let Some(text) = &result.text {
                    pending.extend(self.discover(t, None, cluster, text, &mut reached));
                }
            }
            self.run_waves(pending, inputs, checks, backend, &mut reached)?;
        }

        // Kustomization files no tree applied: left out of a built directory (unused), or
        // applied out of band (entry points of their own).
        loop {
            let built: Vec<PathBuf> = self
                .targets
                .iter()
                .filter(|t| !t.flux.is_empty() || t.standalone)
                .map(|t| t.dir.clone())
                .collect();
            // A directory whose build failed says nothing about what it applies: the
            // failure is the finding.
            let failed: Vec<PathBuf> = self
                .prerendered
                .iter()
                .filter(|(_, r)| r.is_err())
                .map(|(&t, _)| self.targets[t].dir.clone())
                .collect();
            let mut pending = Vec::new();
            let mut candidates: Vec<&FluxKustomization> = Vec::new();
            for ks in inputs.file_kustomizations {
                let id = (ks.file.clone(), ks.name.clone());
                if reached.contains(&id) || considered.contains(&id) {
                    continue;
                }
                if failed.iter().any(|dir| ks.file.starts_with(dir)) {
                    considered.insert(id);
                    continue;
                }
                if built.iter().any(|dir| ks.file.starts_with(dir)) {
                    considered.insert(id);
                    self.unused.push(ks.clone());
                    continue;
                }
                // Left out of the artifact by this repository's own source (an archive
                // under `spec.ignore: /*` + `!/kubernetes`): no cluster can apply it.
                if self.ignored_by_own_sources(&ks.file) {
                    considered.insert(id);
                    checks.note_ignored(ks);
                    continue;
                }
                candidates.push(ks);
            }
            // The top-most first, all of them at once: a file no other candidate's path
            // holds is the one that applies the others, if any does.
            // Only a Kustomization whose source can be this checkout applies its files (one
            // of an OCIRepository at `./` holds none of them), and a Kustomization under
            // its own path (a sync object) is an entry point, not applied by itself.
            let dirs: Vec<(usize, PathBuf)> = candidates
                .iter()
                .enumerate()
                .filter_map(|(i, ks)| Some((i, self.checkout_dir(ks)?)))
                .collect();
            let depth_of = |i: usize, ks: &FluxKustomization| {
                dirs.iter()
                    .filter(|(j, d)| *j != i && ks.file.starts_with(d))
                    .count()
            };
            let depths: Vec<usize> = candidates
                .iter()
                .enumerate()
                .map(|(i, ks)| depth_of(i, ks))
                .collect();
            let top = depths.iter().copied().min();
            for (_, ks) in candidates
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(depths[*i]) == top)
            {
                considered.insert((ks.file.clone(), ks.name.clone()));
                // Entries in one directory are one cluster's.
                let name = ks
                    .file
                    .parent()
                    .map_or_else(|| ".".to_owned(), |d| paths::display(d, &self.repo_root));
                let cluster = match self.clusters.iter().position(|c| c.name == name) {
                    Some(existing) => existing,
                    None => {
                        let cluster = self.new_cluster(&ks.file, None);
                        self.clusters[cluster].out_of_band = true;
                        cluster
                    }
                };
                pending.push(Pending {
                    cluster,
                    ks: (*ks).clone(),
                    parent: None,
                });
            }
            if pending.is_empty() {
                break;
            }
            self.run_waves(pending, inputs, checks, backend, &mut reached)?;
        }
        Ok(())
    }

    fn new_cluster(&mut self, file: &Path, path: Option<&str>) -> usize {
        let name = match path {
            Some(path) => paths::display(
                &paths::join_normalized(&self.repo_root, path.trim_start_matches('/')),
                &self.repo_root,
            ),
            None => file
                .parent()
                .map_or_else(|| ".".to_owned(), |d| paths::display(d, &self.repo_root)),
        };
        self.clusters.push(Cluster {
            name,
            entry: file.to_path_buf(),
            ..Cluster::default()
        });
        self.clusters.len() - 1
    }

    /// Files read by the Flux builds planned so far.
    pub fn flux_read_files(&self) -> BTreeSet<PathBuf> {
        self.targets
            .iter()
            .filter(|t| !t.flux.is_empty())
            .flat_map(|t| t.closure.iter().cloned())
            .collect()
    }

    /// Renders level by level until no Kustomization is left. A Kustomization whose
    /// `substituteFrom` sources the tree has not applied yet waits while other work can
    /// still apply them.
    fn run_waves(
        &mut self,
        mut pending: Vec<Pending>,
        inputs: &Inputs<'_>,
        checks: &mut Checks,
        backend: &mut dyn WaveRenderer,
        reached: &mut HashSet<(PathBuf, String)>,
    ) -> Result<(), Error> {
        while !pending.is_empty() {
            let ready: Vec<bool> = pending
                .iter()
                .map(|p| self.sources_applied(&p.ks, &self.clusters[p.cluster]))
                .collect();
            let wave: Vec<Pending> = if ready.iter().any(|&r| r) {
                let mut ready = ready.into_iter();
                let (wave, waiting) = pending
                    .into_iter()
                    .partition(|_| ready.next() == Some(true));
                pending = waiting;
                wave
            } else {
                std::mem::take(&mut pending)
            };
            let mut to_render = Vec::new();
            for Pending {
                cluster,
                ks,
                parent,
            } in wave
            {
                let identity = (ks.namespace.clone().unwrap_or_default(), ks.name.clone());
                if !self.clusters[cluster].seen.insert(identity) {
                    continue;
                }
                if let Err(reason) = self.same_repository(&ks, cluster, inputs) {
                    checks.note_external(&ks, &reason);
                    continue;
                }
                let ks = self.in_checkout(ks);
                let index = self.flux.len();
                let vars = self.variables_for(&ks, cluster, inputs);
                self.flux_cluster.push(cluster);
                self.flux_vars.push(vars);
                self.flux.push(ks);
                let Some(t) = self.flux_target(index, checks) else {
                    continue;
                };
                if let Some(parent) = parent {
                    let inherited =
                        self.inherited_dependencies(parent, &self.flux[index].file.clone());
                    self.targets[t].dependencies.extend(inherited);
                }
                if self.may_apply_flux_objects(t, inputs.wanted) {
                    to_render.push(t);
                }
            }
            if to_render.is_empty() {
                continue;
            }
            let salt = self.timed_salt(backend)?;
            let work = self.discovery_work(&to_render, &salt);
            for result in self.timed_render(backend, work)? {
                let t = result.target;
                self.keep_render(t, &result);
                let Some(text) = &result.text else { continue };
                let flux = self.targets[t].flux.first().copied();
                let cluster = flux.map_or(0, |f| self.flux_cluster[f]);
                pending.extend(self.discover(t, flux, cluster, text, reached));
            }
        }
        Ok(())
    }

    /// The variable sources a Kustomization's substitution reads: what its cluster
    /// applied, and for a source it did not apply, the one file outside every Flux build
    /// that defines it.
    fn variables_for(
        &self,
        ks: &FluxKustomization,
        cluster: usize,
        inputs: &Inputs<'_>,
    ) -> Vec<VariableSource> {
        let mut vars = self.clusters[cluster].vars.clone();
        let Some(post_build) = &ks.post_build else {
            return vars;
        };
        let mut read: Option<BTreeSet<PathBuf>> = None;
        for from in &post_build.substitute_from {
            if vars.iter().any(|v| from.resolves_to(ks, v)) {
                continue;
            }
            let read = read.get_or_insert_with(|| self.flux_read_files());
            let mut candidates = inputs
                .file_variable_sources
                .iter()
                .filter(|v| from.resolves_to(ks, v) && !read.contains(&v.file));
            if let (Some(only), None) = (candidates.next(), candidates.next()) {
                vars.push(only.clone());
            }
        }
        vars
    }

    /// What decides a child's spec in its parent's render: the parent's own inputs and
    /// the child's file, not the files of its siblings.
    fn inherited_dependencies(&mut self, parent: usize, own_file: &Path) -> Vec<PathBuf> {
        let closure: Vec<PathBuf> = self.targets[parent].closure.iter().cloned().collect();
        let mut inherited: Vec<PathBuf> = closure
            .into_iter()
            .filter(|file| {
                file == own_file
                    || !matches!(self.sources.documents(file), Some(Ok(docs))
                        if docs.iter().any(|d| flux::flux_kustomization(file, d).is_some()))
            })
            .collect();
        inherited.extend(self.targets[parent].dependencies.iter().cloned());
        inherited
    }

    /// The renderer's cache-key salt; finding the renderer and asking its version is
    /// rendering time too.
    fn timed_salt(&mut self, backend: &mut dyn WaveRenderer) -> Result<String, Error> {
        let started = std::time::Instant::now();
        let salt = backend.key_salt();
        self.render_stats.rendering += started.elapsed();
        salt
    }

    /// One wave through the renderer, its wall time counted as rendering.
    fn timed_render(
        &mut self,
        backend: &mut dyn WaveRenderer,
        work: Vec<Work>,
    ) -> Result<Vec<RenderResult>, Error> {
        let started = std::time::Instant::now();
        let results = backend.render(work);
        self.render_stats.rendering += started.elapsed();
        results
    }

    /// Every `substituteFrom` source is among what the cluster applied.
    fn sources_applied(&self, ks: &FluxKustomization, cluster: &Cluster) -> bool {
        ks.post_build.as_ref().is_none_or(|post_build| {
            post_build
                .substitute_from
                .iter()
                .all(|from| cluster.vars.iter().any(|v| from.resolves_to(ks, v)))
        })
    }

    /// The directory an OCIRepository Kustomization builds when its artifact is pushed
    /// from this checkout (see [`crate::artifacts`]).
    fn artifact_dir(&self, ks: &FluxKustomization) -> Option<PathBuf> {
        if ks.source_kind.as_deref() != Some("OCIRepository") {
            return None;
        }
        let (path, _) = ks.path.as_ref()?;
        if path.contains("${") {
            return None;
        }
        crate::artifacts::resolve(&self.artifact_roots, path)
    }

    /// The directory of this checkout a Kustomization builds when its source can be this
    /// checkout: a GitRepository (whichever: which one is is decided when it is reached),
    /// or an OCI artifact pushed from it. `None` for any other source.
    fn checkout_dir(&self, ks: &FluxKustomization) -> Option<PathBuf> {
        if let Some(dir) = self.artifact_dir(ks) {
            return Some(dir);
        }
        if ks
            .source_kind
            .as_deref()
            .is_some_and(|kind| kind != "GitRepository")
        {
            return None;
        }
        let path = ks.path.as_ref().map_or(".", |(p, _)| p.as_str());
        Some(paths::join_normalized(
            &self.repo_root,
            path.trim_start_matches('/'),
        ))
    }

    /// A Kustomization of an artifact pushed from this checkout, with its path written
    /// as the checkout's (`./kubernetes/apps/overlays/prod` for `./apps/overlays/prod`).
    fn in_checkout(&self, mut ks: FluxKustomization) -> FluxKustomization {
        if let (Some(dir), Some((path, _))) = (self.artifact_dir(&ks), ks.path.as_mut()) {
            *path = format!("./{}", paths::display(&dir, &self.repo_root));
        }
        ks
    }

    /// Whether the Kustomization's source is this checkout; `Err` says why not.
    /// `flux bootstrap` names this repository's GitRepository `flux-system`; any other
    /// GitRepository is this repository only when its URL is one of the checkout's remotes
    /// (and it follows the same branch as `flux-system`, when both name one).
    fn same_repository(
        &self,
        ks: &FluxKustomization,
        cluster: usize,
        inputs: &Inputs<'_>,
    ) -> Result<(), String> {
        let kind = ks.source_kind.as_deref().unwrap_or("GitRepository");
        if kind == "OCIRepository" && self.artifact_dir(ks).is_some() {
            return Ok(());
        }
        if kind != "GitRepository" {
            let article = if kind.starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            };
            return Err(format!(
                "its source is {article} {kind}, whose contents are not this checkout"
            ));
        }
        let Some(name) = ks.source_name.as_deref() else {
            return Err("it names no source".to_owned());
        };
        if self.own_sources.contains(name) {
            return Ok(());
        }
        let matches = |r: &&GitRepository| ks.sources_from(r);
        let applied = &self.clusters[cluster].repos;
        let Some(repo) = applied
            .iter()
            .find(matches)
            .or_else(|| inputs.file_repositories.iter().find(matches))
        else {
            return Err(format!(
                "its GitRepository `{name}` is not defined in this repository"
            ));
        };
        let bootstrap = applied
            .iter()
            .chain(inputs.file_repositories)
            .find(|r| self.own_sources.contains(&r.name));
        if let Some(reason) = other_repository(repo, &inputs.options.remote_urls, bootstrap) {
            return Err(reason);
        }
        // Without a `flux-system` source to compare with, a GitRepository of this URL on a
        // named branch may be another branch of it (a tenant's branch): another branch than
        // the one checked out, or its path missing here, says it is.
        if let (Some(branch), None) = (&repo.branch, bootstrap) {
            let path = ks.path.as_ref().map_or(".", |(p, _)| p.as_str());
            let dir = paths::join_normalized(&self.repo_root, path.trim_start_matches('/'));
            if let Some(current) = inputs
                .options
                .current_branch
                .as_deref()
                .filter(|current| current != branch)
            {
                return Err(format!(
                    "its GitRepository `{}` follows branch `{branch}`, and this checkout is on \
                     `{current}`: that branch is another source",
                    repo.name
                ));
            }
            if !dir.exists() && !path.contains("${") {
                return Err(format!(
                    "its GitRepository `{}` follows branch `{branch}`, and spec.path `{path}` is \
                     not in this checkout: that branch is another source",
                    repo.name
                ));
            }
        }
        Ok(())
    }

    /// A render can only apply Flux Kustomizations, sources and substitution variables
    /// that its files write (kustomize creates no objects but ConfigMaps and Secrets from
    /// generators); of those, only Kustomizations and what some Kustomization reads matter.
    fn may_apply_flux_objects(&mut self, t: usize, wanted: &Wanted) -> bool {
        let files: Vec<PathBuf> = self.targets[t].closure.iter().cloned().collect();
        for file in &files {
            let Some(text) = self.sources.load(file).text() else {
                continue;
            };
            if text.contains(flux::KUSTOMIZE_GROUP) {
                return true;
            }
            let names_wanted = wanted
                .variable_sources
                .iter()
                .chain(&wanted.repositories)
                .any(|name| text.contains(name.as_str()));
            if !names_wanted {
                continue;
            }
            let Some(Ok(docs)) = self.sources.documents(file) else {
                continue;
            };
            for doc in docs {
                let kind = doc.str_at(&["kind"]).unwrap_or("");
                let name = doc.str_at(&["metadata", "name"]).unwrap_or("");
                let wanted_object = match kind {
                    "ConfigMap" | "Secret" => wanted.variable_sources.contains(name),
                    "GitRepository" => wanted.repositories.contains(name),
                    "Kustomization" => ["configMapGenerator", "secretGenerator"].iter().any(|g| {
                        doc.get(g)
                            .and_then(Node::as_seq)
                            .unwrap_or(&[])
                            .iter()
                            .any(|entry| {
                                entry
                                    .str_at(&["name"])
                                    .is_some_and(|n| wanted.variable_sources.contains(n))
                            })
                    }),
                    _ => false,
                };
                if wanted_object {
                    return true;
                }
            }
        }
        false
    }

    /// Whether the build of a Kustomization's own `spec.path` holds its file, as a sync
    /// object's does. One whose kustomization leaves it out (an app's `ks.yaml` written
    /// next to the resources it points at) applies nothing of itself: something else
    /// applies it, or nothing does. Without a kustomization file, kustomize-controller
    /// generates one that takes every manifest under the path.
    fn own_build_holds(&self, ks: &FluxKustomization) -> bool {
        self.build_holds(ks, &ks.file)
    }

    /// Whether the build of `ks`'s `spec.path` reads anything under `dir`, a directory
    /// below that path.
    fn build_reaches(&self, ks: &FluxKustomization, dir: &Path) -> bool {
        ks.literal_dir(&self.repo_root)
            .is_some_and(|own| own != dir)
            && self.build_reads(ks, dir)
    }

    /// Whether the build of `ks`'s `spec.path` in this checkout reads `file`.
    fn build_holds(&self, ks: &FluxKustomization, file: &Path) -> bool {
        self.build_reads(ks, file)
    }

    /// Whether the build of `ks`'s `spec.path` in this checkout reads `target` (a file,
    /// or anything under a directory): the kustomization's closure there, or, without a
    /// kustomization file, anything under the path (kustomize-controller generates one
    /// that takes every manifest).
    fn build_reads(&self, ks: &FluxKustomization, target: &Path) -> bool {
        let Some(own) = ks.literal_dir(&self.repo_root) else {
            return false;
        };
        match self.graph.index_of_dir(&own) {
            Some(k) => {
                let mut closure = BTreeSet::new();
                self.graph.closure_files(k, &mut closure);
                closure.iter().any(|f| f.starts_with(target))
            }
            None => target.starts_with(&own),
        }
    }

    fn discovery_work(&mut self, targets: &[usize], salt: &str) -> Vec<Work> {
        let mut work = self.render_work(targets, salt);
        for item in &mut work {
            item.check = false;
        }
        work
    }

    fn keep_render(&mut self, t: usize, result: &RenderResult) {
        let kept = match (&result.outcome, &result.text) {
            (Err(failure), _) => Err(failure.clone()),
            (Ok(_), Some(text)) => Ok(text.clone()),
            (Ok(_), None) => return,
        };
        self.render_stats.rendered += 1;
        self.render_stats.renderer_time += result.renderer_time;
        if result.cached {
            self.render_stats.from_cache += 1;
        }
        self.prerendered.insert(t, kept);
    }

    /// The objects of target `t`'s render that the cluster learns from: Flux
    /// Kustomizations (the next level), GitRepositories, and ConfigMaps/Secrets (variables
    /// of later substitutions); each after the postBuild substitution of `flux`.
    fn discover(
        &mut self,
        t: usize,
        flux: Option<usize>,
        cluster: usize,
        text: &str,
        reached: &mut HashSet<(PathBuf, String)>,
    ) -> Vec<Pending> {
        let Ok(docs) = guardrails_yaml::parse_documents(text, &Limits::rendered()) else {
            return Vec::new();
        };
        let objects: Vec<&Node> = docs.iter().filter(|d| !d.is_null()).collect();
        let target = self.targets[t].clone();
        let substitution = flux.and_then(|f| target.substitutions.iter().find(|s| s.flux == f));
        let mut children = Vec::new();
        for (i, doc) in objects.iter().enumerate() {
            let api = doc.str_at(&["apiVersion"]).unwrap_or("");
            let kind = doc.str_at(&["kind"]).unwrap_or("");
            let relevant = (api.starts_with(flux::KUSTOMIZE_GROUP) && kind == "Kustomization")
                || (api.starts_with("source.toolkit.fluxcd.io/") && kind == "GitRepository")
                || (api == "v1" && matches!(kind, "ConfigMap" | "Secret"));
            if !relevant {
                continue;
            }
            let chunk = crate::rendered::object_text(text, &objects, i);
            let substituted = substitution
                .filter(|_| chunk.contains("${") && !crate::rendered::substitution_disabled(doc))
                .and_then(|s| {
                    let lookup =
                        |name: &str| s.vars.get(name).map(|v| v.clone().unwrap_or_default());
                    guardrails_envsubst::substitute(
                        chunk,
                        &lookup,
                        guardrails_envsubst::Options { strict: false },
                    )
                    .ok()
                });
            let reparsed;
            let doc: &Node = match &substituted {
                Some(chunk) => match guardrails_yaml::parse_documents(chunk, &Limits::rendered()) {
                    Ok(mut parsed) if !parsed.is_empty() => {
                        reparsed = parsed.swap_remove(0);
                        &reparsed
                    }
                    _ => doc,
                },
                None => doc,
            };
            if let Some(child) = flux::flux_kustomization(&target.anchor, doc) {
                let defining = self.defining_kustomization(&target, &child);
                if let Some(defining) = &defining {
                    reached.insert((defining.file.clone(), defining.name.clone()));
                }
                children.push(Pending {
                    cluster,
                    ks: child.anchored_to(defining.as_ref(), &target.anchor),
                    parent: Some(t),
                });
            } else if let Some(repo) = flux::git_repository(&target.anchor, doc) {
                self.clusters[cluster].repos.push(repo);
            } else if let Some(mut vars) = flux::variable_source(&target.anchor, doc) {
                if let Some(file) = self.defining_file(&target, kind, &vars.name) {
                    vars.file = file;
                }
                self.clusters[cluster].vars.push(vars);
            }
        }
        children
    }

    /// The document of target's sources that defines Flux Kustomization `child` (patch
    /// files set fields, they do not define the object).
    fn defining_kustomization(
        &mut self,
        target: &Target,
        child: &FluxKustomization,
    ) -> Option<FluxKustomization> {
        // Best first: same name and namespace, same name, then a name a prefix or
        // suffix changed.
        let mut best: Option<(u8, FluxKustomization)> = None;
        for file in target.closure.iter().filter(|f| paths::is_yaml(f)) {
            if self.patch_files.contains(file) {
                continue;
            }
            let Some(Ok(docs)) = self.sources.documents(file) else {
                continue;
            };
            for doc in docs {
                let Some(candidate) = flux::flux_kustomization(file, doc) else {
                    continue;
                };
                if !renamed_from(&child.name, &candidate.name) {
                    continue;
                }
                let same_namespace = candidate.namespace.is_none()
                    || child.namespace.is_none()
                    || candidate.namespace == child.namespace;
                let rank = u8::from(candidate.name != child.name) * 2 + u8::from(!same_namespace);
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, candidate));
                }
            }
        }
        best.map(|(_, ks)| ks)
    }

    /// The file among the target's sources that writes object `kind`/`name`.
    fn defining_file(&mut self, target: &Target, kind: &str, name: &str) -> Option<PathBuf> {
        for file in target.closure.iter().filter(|f| paths::is_yaml(f)) {
            let Some(Ok(docs)) = self.sources.documents(file) else {
                continue;
            };
            if docs.iter().any(|d| {
                d.str_at(&["kind"]) == Some(kind)
                    && d.str_at(&["metadata", "name"])
                        .is_some_and(|n| renamed_from(name, n))
            }) {
                return Some(file.clone());
            }
        }
        None
    }

    /// Advice for every Flux Kustomization file that reaches no cluster.
    pub fn report_unused(&mut self) -> Vec<Diagnostic> {
        let unused = std::mem::take(&mut self.unused);
        let diagnostics = unused
            .iter()
            .map(|ks| {
                crate::source_checks::at(
                    &mut self.sources,
                    &ks.file,
                    ks.kind_span,
                    codes::UNUSED,
                    guardrails_report::Severity::Advice,
                    format!(
                        "Flux Kustomization {} is applied by no cluster: the directory it is in is built, but its kustomization does not list {}",
                        ks.display_name(),
                        paths::display(&ks.file, &self.repo_root)
                    ),
                    None,
                )
                .with_help("add the file to the directory's kustomization.yaml `resources`, or delete it")
            })
            .collect();
        self.unused = unused;
        diagnostics
    }
}

/// Why a GitRepository (not `flux-system`, not `bootstrap`) is another source than this
/// checkout: its URL is neither one of the checkout's remotes nor the bootstrap
/// GitRepository's (`flux-system`, or the source of a Kustomization that applies itself:
/// the repository the cluster syncs from, known even in a clone without remotes), or it
/// follows another branch than that one.
pub fn other_repository(
    repo: &GitRepository,
    remote_urls: &[String],
    bootstrap: Option<&GitRepository>,
) -> Option<String> {
    if repo.name == "flux-system" || bootstrap.is_some_and(|b| b.name == repo.name) {
        return None;
    }
    let url = repo.url.as_deref()?;
    let bootstrap_url = bootstrap.and_then(|b| b.url.as_deref());
    let this = remote_urls
        .iter()
        .map(String::as_str)
        .chain(bootstrap_url)
        .any(|r| crate::plan::same_repository(r, url));
    if !this {
        return Some(format!(
            "its GitRepository `{}` points at {url}, which is not this repository (neither a remote of this checkout nor the flux-system source)",
            repo.name
        ));
    }
    match (
        repo.branch.as_deref(),
        bootstrap.and_then(|b| b.branch.as_deref()),
    ) {
        (Some(branch), Some(this)) if branch != this => Some(format!(
            "its GitRepository `{}` follows branch `{branch}`, not `{this}`",
            repo.name
        )),
        _ => None,
    }
}

/// Whether a Kustomization is written as a sync object is: beside the GitRepository it
/// reads in one file, or in a `flux-system` directory (`flux bootstrap`'s layout), even
/// when its cluster's kustomization leaves that directory out.
fn written_as_sync(ks: &FluxKustomization, repositories: &[GitRepository]) -> bool {
    repositories
        .iter()
        .any(|r| r.file == ks.file && ks.sources_from(r))
        || ks
            .file
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|dir| dir == "flux-system")
}

/// `flux bootstrap`'s entry point: the `flux-system` Kustomization of its own source.
fn is_bootstrap(ks: &FluxKustomization) -> bool {
    ks.name == "flux-system" && ks.source_name.as_deref() == Some("flux-system")
}

/// A rendered name is the written one, or the written one with a prefix and suffix added
/// (`namePrefix`, `nameSuffix`).
fn renamed_from(rendered: &str, written: &str) -> bool {
    rendered == written || (!written.is_empty() && rendered.contains(written))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::plan::PathFilter;
    use crate::test_support::{Concatenate, bootstrap, ks, options, write};

    fn plan(root: &Path) -> Plan {
        let filter = PathFilter::new(&[], &[]).unwrap();
        let mut report = guardrails_report::Report::default();
        crate::pipeline::prepare(
            root,
            root,
            None,
            &filter,
            &options(root),
            &mut Concatenate { renders: 0 },
            &mut report,
        )
        .unwrap()
    }

    /// (cluster, namespace/name, built directory) of every reconciled Kustomization.
    fn tree(plan: &Plan) -> BTreeSet<(String, String, String)> {
        plan.targets
            .iter()
            .filter_map(|t| {
                let f = *t.flux.first()?;
                Some((
                    plan.clusters[plan.flux_cluster[f]].name.clone(),
                    plan.flux[f].display_name(),
                    paths::display(&t.dir, &plan.repo_root),
                ))
            })
            .collect()
    }

    fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
        items
            .iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn children_come_from_the_parent_render_with_its_substitution() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        bootstrap(&root, "prod");
        write(
            &root,
            "clusters/prod/settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  CLUSTER: prod\n",
        );
        write(
            &root,
            "clusters/prod/apps.yaml",
            &ks(
                "apps",
                "./apps/entry",
                "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n",
            ),
        );
        write(
            &root,
            "apps/entry/web.yaml",
            &ks("web", "./apps/${CLUSTER}/web", ""),
        );
        write(
            &root,
            "apps/prod/web/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        );
        let plan = plan(&root);
        assert_eq!(
            tree(&plan),
            set(&[
                ("clusters/prod", "flux-system/flux-system", "clusters/prod"),
                ("clusters/prod", "flux-system/apps", "apps/entry"),
                ("clusters/prod", "flux-system/web", "apps/prod/web"),
            ])
        );
        // The child's file and line are the file's, not the render's.
        let web = plan.flux.iter().find(|k| k.name == "web").unwrap();
        assert_eq!(web.file, root.join("apps/entry/web.yaml"));
        assert_eq!(web.path.as_ref().unwrap().1.line, 9);
        assert_eq!(plan.clusters.len(), 1);
        assert!(plan.unused.is_empty());
    }

    #[test]
    fn each_cluster_has_its_own_variables_and_a_shared_directory_is_built_in_both() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for (cluster, value) in [("a", "one"), ("b", "two")] {
            bootstrap(&root, cluster);
            write(
                &root,
                &format!("clusters/{cluster}/settings.yaml"),
                &format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  VALUE: {value}\n"
                ),
            );
            write(
                &root,
                &format!("clusters/{cluster}/app.yaml"),
                &ks(
                    "app",
                    "./apps/app",
                    "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n",
                ),
            );
        }
        write(
            &root,
            "apps/app/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
        );
        let plan = plan(&root);
        let values: BTreeSet<(String, String)> = plan
            .targets
            .iter()
            .filter(|t| paths::display(&t.dir, &root) == "apps/app")
            .map(|t| {
                let f = t.flux[0];
                let vars = &t.substitutions[0].vars;
                (
                    plan.clusters[plan.flux_cluster[f]].name.clone(),
                    vars["VALUE"].clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            values,
            BTreeSet::from([
                ("clusters/a".to_owned(), "one".to_owned()),
                ("clusters/b".to_owned(), "two".to_owned()),
            ])
        );
    }

    #[test]
    fn a_file_its_directory_does_not_list_is_unused_and_external_sources_are_not_built() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        bootstrap(&root, "prod");
        write(&root, "clusters/prod/apps.yaml", &ks("apps", "./apps", ""));
        write(
            &root,
            "apps/kustomization.yaml",
            "resources: [tenant.yaml]\n",
        );
        write(
            &root,
            "apps/tenant.yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: tenant\n  namespace: team\nspec:\n  path: ./deploy\n  sourceRef:\n    kind: GitRepository\n    name: team\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: team\n  namespace: team\nspec:\n  url: https://example.test/team\n",
        );
        write(
            &root,
            "apps/forgotten.yaml",
            &ks("forgotten", "./nowhere", ""),
        );
        let plan = plan(&root);
        assert_eq!(
            tree(&plan),
            set(&[
                ("clusters/prod", "flux-system/flux-system", "clusters/prod"),
                ("clusters/prod", "flux-system/apps", "apps"),
            ])
        );
        let unused: Vec<&str> = plan.unused.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(unused, ["forgotten"]);
    }

    #[test]
    fn without_a_bootstrap_the_topmost_kustomization_is_the_entry_point() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(
            &root,
            "flux/cluster/ks.yaml",
            &ks("cluster-apps", "./apps", ""),
        );
        write(&root, "apps/a/ks.yaml", &ks("a", "./apps/a/app", ""));
        write(
            &root,
            "apps/a/app/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        );
        let plan = plan(&root);
        assert_eq!(plan.clusters.len(), 1, "{:?}", tree(&plan));
        assert_eq!(
            tree(&plan),
            set(&[
                ("flux/cluster", "flux-system/cluster-apps", "apps"),
                ("flux/cluster", "flux-system/a", "apps/a/app"),
            ])
        );
    }
}
