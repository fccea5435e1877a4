//! The plan of a run: the value the stages of [`crate::pipeline`] build up (clusters,
//! Flux Kustomizations as their parents render them, targets, the affected set), and the
//! questions asked of it (what a target reads, which release judges it, the render jobs).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use guardrails_report::{Diagnostic, Report};

use crate::discover::Inventory;
use crate::error::Error;
use crate::flux::{FluxKustomization, GitRepository, VariableSource};
use crate::job::{Build, Substitution, Target, Work};
use crate::render::BuildFailure;
use crate::sourceignore::SourceIgnore;
use crate::sources::Sources;
use crate::stats::Stats;
use crate::{codes, flux_build, paths, source_checks};
use guardrails_flux_api::FluxVersion;
use guardrails_kustomize::graph::Graph;

/// `--include` / `--exclude`, matched against paths relative to the repository.
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl PathFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, Error> {
        Ok(PathFilter {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    /// A directory or file (relative path) passes when it matches an include glob (or
    /// there are none) and no exclude glob; a glob matching a parent directory counts.
    pub fn allows(&self, relative: &str) -> bool {
        let matches = |set: &GlobSet| {
            let mut path = Path::new(relative);
            loop {
                if set.is_match(path) {
                    return true;
                }
                match path.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => path = parent,
                    _ => return false,
                }
            }
        };
        self.include.as_ref().is_none_or(matches) && !self.exclude.as_ref().is_some_and(matches)
    }
}

fn compile(globs: &[String]) -> Result<Option<GlobSet>, Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let compiled = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .or_else(|_| Glob::new(glob))
            .map_err(|source| Error::Glob {
                glob: glob.clone(),
                source,
            })?;
        builder.add(compiled);
    }
    builder.build().map(Some).map_err(|source| Error::Glob {
        glob: globs.join(", "),
        source,
    })
}

/// One cluster: what its tree has applied so far.
#[derive(Debug, Default)]
pub struct Cluster {
    /// The entry point's directory (`clusters/production`), or the standalone overlay.
    pub name: String,
    /// The file of the entry point (a bootstrap Kustomization, a FluxInstance).
    pub entry: PathBuf,
    pub(crate) vars: Vec<VariableSource>,
    pub(crate) repos: Vec<GitRepository>,
    /// Kustomizations (namespace, name) already in the tree: a bootstrap's own
    /// `flux-system` Kustomization comes out of its render again.
    pub(crate) seen: HashSet<(String, String)>,
    /// Not a bootstrap, sync object or FluxInstance: an overlay or a Kustomization file
    /// that nothing in the repository applies, taken as applied out of band.
    pub out_of_band: bool,
}

pub struct Plan {
    pub repo_root: PathBuf,
    pub graph: Graph,
    /// The Flux Kustomizations of every cluster tree, as their parents render them.
    pub flux: Vec<FluxKustomization>,
    /// Per Flux Kustomization: its cluster (index into `clusters`).
    pub flux_cluster: Vec<usize>,
    /// Per Flux Kustomization: the ConfigMaps and Secrets its cluster applied before it.
    pub flux_vars: Vec<Vec<VariableSource>>,
    pub clusters: Vec<Cluster>,
    /// Flux Kustomization files that reach no cluster.
    pub unused: Vec<FluxKustomization>,
    pub targets: Vec<Target>,
    pub affected: Vec<usize>,
    /// Unaffected builds rendered only to learn what they apply (two owners, at commit).
    pub owner_only: BTreeSet<usize>,
    pub skipped_empty: Vec<String>,
    pub sources: Sources,
    /// Files that kustomizations load as patches: partial objects, never checked as
    /// whole ones.
    pub patch_files: BTreeSet<PathBuf>,
    /// Files read only as generator data, with the kustomization reading them: text for
    /// a ConfigMap or Secret, never objects.
    pub data_files: std::collections::BTreeMap<PathBuf, PathBuf>,
    /// Renders made while the trees were built (reused by the checks).
    pub prerendered: HashMap<usize, Result<String, BuildFailure>>,
    /// Counts of those renders.
    pub render_stats: Stats,
    /// Image automation facts of the whole repository (policies, markers, automations).
    pub image_index: Option<guardrails_image_lint::Index>,
    /// The schemas rendered objects are checked against: the built-in Kubernetes kinds and
    /// the CustomResourceDefinitions the repository holds.
    pub schemas: guardrails_flux_api::kubernetes::Schemas,
    /// Files whose findings are reported: what the affected builds read, the changed files
    /// and the directories the affected targets build; `None` with `--all` (everything).
    pub in_scope: Option<BTreeSet<PathBuf>>,
    /// Files whose Flux objects no followed tree applies: a field a render of them lacks
    /// may come from the parent that would apply them.
    pub missing_unjudged: BTreeSet<PathBuf>,
    reported_image_findings: std::collections::HashSet<(&'static str, PathBuf, usize, String)>,
    /// Time spent in the image automation lint of sources.
    pub image_lint_time: std::time::Duration,
    /// The Flux release mirrored, and where it was read.
    pub flux_version: FluxVersion,
    pub flux_version_origin: String,
    source_ignores: HashMap<Option<String>, SourceIgnore>,
    sourceignore_files: Vec<PathBuf>,
    pub(crate) yaml_files: Vec<PathBuf>,
    /// Helm chart templates: Go templates for helm-controller, checked only as a build
    /// reads them.
    pub(crate) helm_templates: BTreeSet<PathBuf>,
    pub(crate) file_repositories: Vec<GitRepository>,
    /// GitRepositories that are this checkout whatever their URL: `flux-system` and the
    /// sources of Kustomizations that apply themselves (a cluster's sync object).
    pub own_sources: BTreeSet<String>,
    /// Kustomization files no Flux build reads that cannot be Flux's either: inside a
    /// Flux Kustomization's directory, or ignored by the repository's Flux source; with
    /// the reason said after their findings (which are warnings).
    pub orphans: std::collections::BTreeMap<PathBuf, &'static str>,
    /// Some Flux Kustomization of this repository was not followed: its source is an
    /// OCIRepository, a Bucket or an ExternalArtifact, whose contents the checkout may be.
    /// A Kustomization that no followed tree applies may then be applied (and patched)
    /// by that tree.
    pub unfollowed_tree: bool,
    /// Directories of this checkout that its CI pushes as OCI artifacts.
    pub artifact_roots: Vec<PathBuf>,
    /// Per cluster (and `kubeConfig` it applies to) and rendered object, the Flux
    /// Kustomizations that apply it, their targets and the object's fingerprint there.
    pub owners: crate::job::Owners,
    /// The repository has cluster entry points of its own (a bootstrap, a sync object,
    /// a FluxInstance): a Kustomization none of their trees applies may be retired.
    pub has_entry_points: bool,
}

impl Plan {
    /// The plan before any cluster tree is built: the kustomize model, the sources read so
    /// far, and the Flux objects written in files that the trees start from.
    pub fn new(
        graph: Graph,
        sources: Sources,
        patch_files: BTreeSet<PathBuf>,
        data_files: std::collections::BTreeMap<PathBuf, PathBuf>,
        inventory: &Inventory,
        file_kustomizations: &[FluxKustomization],
        file_repositories: &[GitRepository],
    ) -> Plan {
        let repo_root = sources.repo_root().to_path_buf();
        let own_sources = std::iter::once("flux-system".to_owned())
            .chain(
                file_kustomizations
                    .iter()
                    .filter(|ks| ks.applies_itself(&repo_root))
                    .filter_map(|ks| ks.source_name.clone()),
            )
            .collect();
        Plan {
            artifact_roots: crate::artifacts::pushed_roots(&repo_root),
            repo_root,
            graph,
            flux: Vec::new(),
            flux_cluster: Vec::new(),
            flux_vars: Vec::new(),
            clusters: Vec::new(),
            unused: Vec::new(),
            targets: Vec::new(),
            affected: Vec::new(),
            owner_only: BTreeSet::new(),
            skipped_empty: Vec::new(),
            sources,
            patch_files,
            data_files,
            prerendered: HashMap::new(),
            render_stats: Stats::default(),
            image_index: None,
            schemas: Default::default(),
            in_scope: None,
            missing_unjudged: BTreeSet::new(),
            reported_image_findings: Default::default(),
            image_lint_time: std::time::Duration::ZERO,
            source_ignores: HashMap::new(),
            sourceignore_files: inventory.sourceignore_files.clone(),
            yaml_files: inventory.yaml_files.clone(),
            helm_templates: inventory.helm_templates.clone(),
            file_repositories: file_repositories.to_vec(),
            own_sources,
            orphans: Default::default(),
            unfollowed_tree: false,
            has_entry_points: false,
            owners: HashMap::new(),
            flux_version: FluxVersion::CURRENT,
            flux_version_origin: String::new(),
        }
    }
    /// A fault in a file that builds read (a YAML error in a shared base, a missing
    /// entry) names every affected overlay and Flux Kustomization it stops from building.
    pub(crate) fn name_what_breaks(&self, diagnostics: &mut [Diagnostic]) {
        const BREAKS_BUILDS: [&str; 8] = [
            codes::YAML_SYNTAX,
            codes::YAML_LIMIT,
            codes::YAML_NOT_TEXT,
            codes::MISSING_PATH,
            codes::PATH_ESCAPES_ROOT,
            codes::REMOTE_BASE,
            codes::HELM_CHARTS,
            codes::PLUGIN,
        ];
        for diagnostic in diagnostics {
            if !BREAKS_BUILDS.contains(&diagnostic.code)
                || diagnostic.severity != guardrails_report::Severity::Error
            {
                continue;
            }
            let Some(file) = diagnostic.file().map(|f| self.repo_root.join(f)) else {
                continue;
            };
            let mut broken: Vec<String> = self
                .affected
                .iter()
                .map(|&t| &self.targets[t])
                .filter(|t| t.closure.contains(&file))
                // An overlay's own kustomization file breaks that overlay: no need to say.
                .filter(|t| !(t.flux.is_empty() && t.anchor == file))
                .map(|t| t.label.clone())
                .collect();
            broken.sort();
            broken.dedup();
            for label in broken {
                diagnostic.breaks.push(label);
            }
        }
    }

    /// The custom resource kinds that CustomResourceDefinitions in `files` define.
    pub(crate) fn custom_kinds_defined_in(
        &mut self,
        files: &BTreeSet<PathBuf>,
    ) -> BTreeSet<String> {
        let mut kinds = BTreeSet::new();
        for file in files {
            kinds.extend(
                self.sources
                    .of_kind(file, "CustomResourceDefinition")
                    .into_iter()
                    .filter_map(|d| d.str_at(&["spec", "names", "kind"]))
                    .map(str::to_owned),
            );
        }
        kinds
    }

    /// The images (`spec.image` of their ImageRepositories) of the ImagePolicies that
    /// `changed` files define.
    pub(crate) fn images_of_changed_policies(
        &mut self,
        changed: &BTreeSet<PathBuf>,
        yaml_files: &[PathBuf],
    ) -> BTreeSet<String> {
        let mut repositories: BTreeSet<String> = BTreeSet::new();
        for file in changed {
            repositories.extend(
                self.sources
                    .of_kind(file, "ImagePolicy")
                    .into_iter()
                    .filter_map(|d| d.str_at(&["spec", "imageRepositoryRef", "name"]))
                    .map(str::to_owned),
            );
        }
        let mut images = BTreeSet::new();
        if repositories.is_empty() {
            return images;
        }
        for file in yaml_files {
            images.extend(
                self.sources
                    .of_kind(file, "ImageRepository")
                    .into_iter()
                    .filter(|d| {
                        d.str_at(&["metadata", "name"])
                            .is_some_and(|n| repositories.contains(n))
                    })
                    .filter_map(|d| d.str_at(&["spec", "image"]))
                    .filter(|image| !image.is_empty() && !image.contains("${"))
                    .map(str::to_owned),
            );
        }
        images
    }

    /// Whether a YAML file target `t` reads names one of `images`.
    pub(crate) fn mentions_image(&mut self, t: usize, images: &BTreeSet<String>) -> bool {
        if images.is_empty() {
            return false;
        }
        let files: Vec<PathBuf> = self.targets[t]
            .closure
            .iter()
            .filter(|f| paths::is_yaml(f))
            .cloned()
            .collect();
        files.iter().any(|file| {
            self.sources
                .load(file)
                .text()
                .is_some_and(|text| images.iter().any(|image| text.contains(image.as_str())))
        })
    }

    /// Whether a file target `t` reads has an object of one of `kinds` (a `kind:` line).
    pub(crate) fn renders_kind_of(&mut self, t: usize, kinds: &BTreeSet<String>) -> bool {
        let files: Vec<PathBuf> = self.targets[t]
            .closure
            .iter()
            .filter(|f| paths::is_yaml(f))
            .cloned()
            .collect();
        files.iter().any(|file| {
            self.sources.load(file).text().is_some_and(|text| {
                text.lines().any(|line| {
                    line.trim_start()
                        .strip_prefix("kind:")
                        .is_some_and(|kind| kinds.contains(kind.trim().trim_matches(['"', '\''])))
                })
            })
        })
    }

    /// The CustomResourceDefinitions anywhere in the repository: a custom resource is
    /// checked against its CRD's schema whichever build applies the CRD (a cluster serves
    /// one definition per kind). CRDs from remote bases or Helm charts are not read.
    pub(crate) fn collect_crds(&mut self, yaml_files: &[PathBuf]) {
        for file in yaml_files {
            for doc in self.sources.of_kind(file, "CustomResourceDefinition") {
                self.schemas.add_crd(doc);
            }
        }
    }

    /// Reports one image lint finding once, when its file is in scope.
    pub fn push_image_finding(
        &mut self,
        finding: guardrails_image_lint::Finding,
        report: &mut Report,
    ) {
        if let Some(diagnostic) = self.image_diagnostic(finding) {
            report.push(diagnostic);
        }
    }

    /// An image lint finding as a diagnostic: `None` outside the files in scope, or when it
    /// was reported already.
    pub fn image_diagnostic(
        &mut self,
        finding: guardrails_image_lint::Finding,
    ) -> Option<Diagnostic> {
        let path = self.repo_root.join(&finding.path);
        if self
            .in_scope
            .as_ref()
            .is_some_and(|scope| !scope.contains(&path))
        {
            return None;
        }
        let key = (
            finding.code,
            path.clone(),
            finding.span.map_or(0, |s| s.offset),
            finding.message.clone(),
        );
        if !self.reported_image_findings.insert(key) {
            return None;
        }
        let severity = finding.severity;
        let mut diagnostic = match finding.span {
            Some(span) => source_checks::at(
                &mut self.sources,
                &path,
                span,
                finding.code,
                severity,
                finding.message,
                None,
            ),
            None => {
                Diagnostic::new(finding.code, severity, finding.message).with_path(finding.path)
            }
        };
        diagnostic.help = finding.help;
        Some(diagnostic)
    }

    /// Kustomizations built by some affected target.
    pub(crate) fn affected_kustomizations(&self) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for &t in &self.affected {
            for file in &self.targets[t].closure {
                if let Some(dir) = file.parent()
                    && let Some(k) = self.graph.index_of_dir(dir)
                    && self.graph.kustomizations[k].file == *file
                {
                    out.insert(k);
                }
            }
        }
        out
    }

    /// Overlays that no Flux tree builds: every kustomization nothing else loads.
    pub(crate) fn add_standalone_targets(&mut self) {
        let flux_read = self.flux_read_files();
        let planned: BTreeSet<PathBuf> = self
            .targets
            .iter()
            .filter(|t| t.standalone)
            .map(|t| t.anchor.clone())
            .collect();
        for k in self.graph.roots() {
            let kustomization = &self.graph.kustomizations[k];
            if kustomization.component
                || flux_read.contains(&kustomization.file)
                || planned.contains(&kustomization.file)
            {
                continue;
            }
            self.standalone_target(k);
        }
    }

    /// Plans an overlay built on its own; returns the target.
    pub fn standalone_target(&mut self, k: usize) -> usize {
        let kustomization = &self.graph.kustomizations[k];
        let mut closure = BTreeSet::new();
        self.graph.closure_files(k, &mut closure);
        self.targets.push(Target {
            dir: kustomization.dir.clone(),
            label: paths::display(&kustomization.dir, &self.repo_root),
            anchor: kustomization.file.clone(),
            build: Build::Dir(kustomization.dir.clone()),
            closure,
            dependencies: BTreeSet::new(),
            flux: Vec::new(),
            substitutions: Vec::new(),
            empty: kustomization.empty,
            blocked: false,
            standalone: true,
            release: FluxVersion::CURRENT,
        });
        self.targets.len() - 1
    }

    /// Whether Flux Kustomization `index` is an entry point only because no cluster tree
    /// of the repository applies it (an archived or retired file, while bootstraps or a
    /// tree the hook cannot follow exist): what fails in it is a warning, since nothing
    /// may apply it at all.
    pub fn applied_by_no_cluster(&self, index: usize) -> bool {
        (self.has_entry_points || self.unfollowed_tree)
            && self.clusters[self.flux_cluster[index]].out_of_band
    }

    /// Whether Flux Kustomization `index` is surely applied by nothing: the repository
    /// bootstraps its clusters, none of their trees applies it, and no tree the hook cannot
    /// follow (an OCI artifact, a ResourceSet's generated Kustomizations) might. What fails
    /// only there breaks no reconciliation.
    pub fn surely_unapplied(&self, index: usize) -> bool {
        self.has_entry_points
            && !self.unfollowed_tree
            && self.clusters[self.flux_cluster[index]].out_of_band
    }

    /// Whether only Flux builds that no cluster tree applies read `file` (an archived
    /// app's own kustomization): what breaks there breaks no reconciliation.
    pub fn read_only_by_unapplied(&self, file: &Path) -> bool {
        let mut readers = self
            .targets
            .iter()
            .filter(|t| t.closure.contains(file))
            .peekable();
        readers.peek().is_some()
            && readers
                .all(|t| !t.flux.is_empty() && t.flux.iter().all(|&f| self.surely_unapplied(f)))
    }

    /// Plans the build of Flux Kustomization `index` (its source is this checkout);
    /// `None` when its path cannot be built (the checks say why).
    pub fn flux_target(
        &mut self,
        index: usize,
        checks: &mut source_checks::Checks,
    ) -> Option<usize> {
        let repo_root = self.repo_root.clone();
        let ks = self.flux[index].clone();
        let path_text = ks.path.as_ref().map_or(".", |(p, _)| p.as_str());
        let dir = paths::join_normalized(&repo_root, path_text.trim_start_matches('/'));
        let applied_by_no_cluster = self.applied_by_no_cluster(index);
        if !checks.check_flux_path(&ks, &dir, applied_by_no_cluster, &mut self.sources) {
            return None;
        }
        // Components the build appends (a missing one is the checks' finding, or
        // tolerated with ignoreMissingComponents).
        let components: Vec<String> = ks
            .components
            .iter()
            .map(|(c, _)| c.clone())
            .filter(|c| !paths::is_remote(c) && paths::join_normalized(&dir, c).is_dir())
            .collect();
        let component_dirs: Vec<PathBuf> = components
            .iter()
            .map(|c| paths::join_normalized(&dir, c))
            .collect();
        let cluster = &self.clusters[self.flux_cluster[index]];
        let label = format!(
            "Flux Kustomization {} ({}){}",
            ks.display_name(),
            paths::display(&dir, &repo_root),
            if self.clusters.len() > 1 {
                format!(" of cluster {}", cluster.name)
            } else {
                String::new()
            }
        );
        let spec = ks.spec.as_ref();
        let needs_merge = !components.is_empty()
            || [
                "targetNamespace",
                "namePrefix",
                "nameSuffix",
                "patches",
                "patchesStrategicMerge",
                "patchesJson6902",
                "images",
            ]
            .iter()
            .any(|f| spec.and_then(|s| s.get(f)).is_some_and(|v| !v.is_null()));
        let mut closure = BTreeSet::new();
        let (build, anchor, empty) = match self.graph.index_of_dir(&dir) {
            Some(k) => {
                self.graph.closure_files(k, &mut closure);
                let kustomization = &self.graph.kustomizations[k];
                let (file, empty) = (kustomization.file.clone(), kustomization.empty);
                if needs_merge {
                    let original = match self.sources.documents(&file) {
                        Some(Ok(docs)) => docs.first().cloned(),
                        _ => None,
                    };
                    let text =
                        flux_build::merged_kustomization(original.as_ref(), &[], spec, &components);
                    (
                        Build::Flux {
                            dir: dir.clone(),
                            kustomization: text,
                            reads: Vec::new(),
                        },
                        ks.file.clone(),
                        empty,
                    )
                } else {
                    (Build::Dir(dir.clone()), file, empty)
                }
            }
            None => {
                // kustomize-controller generates a kustomization: every YAML file under
                // the path, and sub-directories with a kustomization file as directory
                // resources (not descended).
                let spec_ignore = self.source_ignore_of(index, &ks);
                let source_ignore = self
                    .source_ignores
                    .entry(spec_ignore.clone())
                    .or_insert_with(|| {
                        SourceIgnore::load(
                            &repo_root,
                            &self.sourceignore_files,
                            spec_ignore.as_deref(),
                        )
                    });
                let (resources, files) =
                    generated_resources(&self.graph, &dir, &self.yaml_files, source_ignore);
                checks.check_plain_manifests(
                    &ks,
                    &resources,
                    source_ignore,
                    &self.graph,
                    &mut self.sources,
                );
                closure.extend(files);
                let relative: Vec<String> = resources
                    .iter()
                    .map(|r| format!("./{}", paths::relative_to(r, &dir).to_string_lossy()))
                    .collect();
                let text = flux_build::merged_kustomization(None, &relative, spec, &components);
                (
                    Build::Flux {
                        dir: dir.clone(),
                        kustomization: text,
                        reads: Vec::new(),
                    },
                    ks.file.clone(),
                    resources.is_empty(),
                )
            }
        };
        for component in &component_dirs {
            if let Some(k) = self.graph.index_of_dir(component) {
                self.graph.closure_files(k, &mut closure);
            }
        }
        let vars = &self.flux_vars[index];
        let substitution = Substitution::for_flux(index, &ks, vars);
        let mut build = build;
        if let Build::Flux { reads, .. } = &mut build {
            *reads = closure.iter().cloned().collect();
        }
        let mut dependencies = BTreeSet::from([ks.file.clone()]);
        if let Some(post_build) = &ks.post_build {
            for from in &post_build.substitute_from {
                dependencies.extend(
                    vars.iter()
                        .filter(|v| from.resolves_to(&ks, v))
                        .map(|v| v.file.clone()),
                );
            }
        }
        self.targets.push(Target {
            label,
            dir,
            anchor,
            build,
            closure,
            dependencies,
            flux: vec![index],
            substitutions: substitution.into_iter().collect(),
            // `spec.components` add resources of their own: the build is not empty.
            empty: empty && component_dirs.is_empty(),
            blocked: false,
            standalone: false,
            release: FluxVersion::CURRENT,
        });
        Some(self.targets.len() - 1)
    }

    /// The `spec.ignore` of the GitRepository that Flux Kustomization `index` reads: the
    /// one its cluster applies (two clusters may each define `flux-system` with their own
    /// ignore rules), else the one written nearest to the Kustomization's file (an entry
    /// point's source is written beside it).
    fn source_ignore_of(&self, index: usize, ks: &FluxKustomization) -> Option<String> {
        let matches = |r: &&GitRepository| ks.sources_from(r);
        let cluster = self.flux_cluster.get(index).map(|&c| &self.clusters[c]);
        let nearness = |r: &&GitRepository| {
            r.file
                .components()
                .zip(ks.file.components())
                .take_while(|(a, b)| a == b)
                .count()
        };
        cluster
            .and_then(|c| c.repos.iter().find(matches))
            .or_else(|| {
                // The first written of the nearest, as before when none is nearer.
                self.file_repositories
                    .iter()
                    .filter(matches)
                    .rev()
                    .max_by_key(nearness)
            })
            .and_then(|r| r.ignore.clone())
    }

    /// Affected targets that will be rendered (not blocked, not empty).
    /// Which Flux release each build, each file and the image lint are judged for: per
    /// cluster what its tree declares; `--flux-version` overrides; what no cluster declares
    /// gets the oldest release declared anywhere, else the newest known.
    pub(crate) fn assign_releases(
        &mut self,
        declared: &[crate::flux_release::Detected],
        forced: Option<FluxVersion>,
        checks: &mut source_checks::Checks,
    ) {
        let mut cluster_files: Vec<BTreeSet<PathBuf>> = self
            .clusters
            .iter()
            .map(|c| BTreeSet::from([c.entry.clone()]))
            .collect();
        for target in &self.targets {
            for &f in &target.flux {
                cluster_files[self.flux_cluster[f]].extend(target.closure.iter().cloned());
            }
        }
        let per_cluster = crate::flux_release::per_cluster(declared, &cluster_files);
        let oldest = declared.iter().min_by_key(|d| d.version);
        let fallback = forced
            .or(oldest.map(|d| d.version))
            .unwrap_or(FluxVersion::CURRENT);
        let cluster_release: Vec<FluxVersion> = per_cluster
            .iter()
            .map(|d| forced.or(d.as_ref().map(|d| d.version)).unwrap_or(fallback))
            .collect();
        self.flux_version_origin = match (forced, oldest) {
            (Some(version), _) => format!("{version} (--flux-version)"),
            (None, None) => format!(
                "{} (the newest release known; the repository names none)",
                FluxVersion::CURRENT
            ),
            (None, Some(oldest)) => {
                let distinct: BTreeSet<FluxVersion> = cluster_release.iter().copied().collect();
                if distinct.len() > 1 {
                    self.clusters
                        .iter()
                        .zip(&per_cluster)
                        .map(|(cluster, found)| match found {
                            Some(d) => format!("{} for {} ({})", d.version, cluster.name, d.origin),
                            None => format!("{fallback} for {}", cluster.name),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    let shown = per_cluster.iter().flatten().next().unwrap_or(oldest);
                    format!("{} ({})", shown.version, shown.origin)
                }
            }
        };
        self.flux_version = fallback;
        checks.flux_version = fallback;
        checks.releases.clear();
        for target in &mut self.targets {
            target.release = target
                .flux
                .iter()
                .map(|&f| cluster_release[self.flux_cluster[f]])
                .max()
                .unwrap_or(fallback);
            if target.flux.is_empty() {
                continue;
            }
            for file in target.closure.iter().chain(&target.dependencies) {
                let entry = checks
                    .releases
                    .entry(file.clone())
                    .or_insert(target.release);
                *entry = (*entry).max(target.release);
            }
        }
    }

    /// Kustomization files below the directory of a Flux build (not the repository's top
    /// level) that no Flux build reads: retired or disabled, not deployed.
    pub(crate) fn orphans(
        &mut self,
        flux_read: &BTreeSet<PathBuf>,
    ) -> std::collections::BTreeMap<PathBuf, &'static str> {
        let flux_dirs: BTreeSet<PathBuf> = self
            .targets
            .iter()
            .filter(|t| !t.flux.is_empty() && t.dir != self.repo_root)
            .map(|t| t.dir.clone())
            .collect();
        let unread: Vec<(PathBuf, PathBuf)> = self
            .graph
            .kustomizations
            .iter()
            .filter(|k| !flux_read.contains(&k.file))
            .map(|k| (k.dir.clone(), k.file.clone()))
            .collect();
        let reached = if self.has_entry_points {
            self.reached_by_clusters()
        } else {
            BTreeSet::new()
        };
        let mut orphans = std::collections::BTreeMap::new();
        for (dir, file) in unread {
            if flux_dirs.iter().any(|d| dir != *d && dir.starts_with(d)) {
                orphans.insert(file, source_checks::ORPHAN);
            } else if self.ignored_by_own_sources(&file) {
                orphans.insert(file, source_checks::IGNORED_BY_SOURCE);
            } else if self.has_entry_points && !self.unfollowed_tree && !reached.contains(&file) {
                // The repository bootstraps its clusters and none of them reaches this
                // overlay (an archive, a bootstrap helper, another tool's kustomization).
                orphans.insert(file, source_checks::NO_CLUSTER_READS);
            }
        }
        orphans
    }

    /// The files the builds of the repository's own cluster trees read (not those of
    /// trees taken as applied out of band).
    pub(crate) fn reached_by_clusters(&self) -> BTreeSet<PathBuf> {
        self.targets
            .iter()
            .filter(|t| {
                t.flux
                    .iter()
                    .any(|&f| !self.clusters[self.flux_cluster[f]].out_of_band)
            })
            .flat_map(|t| t.closure.iter().cloned())
            .collect()
    }

    /// Whether every source that is this repository (`flux-system`, a sync object's)
    /// leaves `file` out of its artifact. Only said when the repository narrows its
    /// sources itself (a `spec.ignore`, a `.sourceignore`): the defaults exclude no
    /// manifests.
    pub fn ignored_by_own_sources(&mut self, file: &Path) -> bool {
        let ignores: Vec<Option<String>> = {
            let own: Vec<Option<String>> = self
                .file_repositories
                .iter()
                .filter(|r| self.own_sources.contains(&r.name))
                .map(|r| r.ignore.clone())
                .collect();
            if own.is_empty() { vec![None] } else { own }
        };
        if self.sourceignore_files.is_empty() && ignores.iter().all(Option::is_none) {
            return false;
        }
        let repo_root = self.repo_root.clone();
        ignores.into_iter().all(|spec_ignore| {
            self.source_ignores
                .entry(spec_ignore.clone())
                .or_insert_with(|| {
                    SourceIgnore::load(&repo_root, &self.sourceignore_files, spec_ignore.as_deref())
                })
                .is_ignored(file)
        })
    }

    pub fn jobs_to_render(&self) -> Vec<usize> {
        self.affected
            .iter()
            .chain(&self.owner_only)
            .copied()
            .filter(|&t| !self.targets[t].blocked && !self.targets[t].empty)
            .collect()
    }

    /// With a file list: the unaffected Flux builds of the affected builds' clusters whose
    /// files define an object of the same kind and name as an affected Flux build's files.
    /// They are rendered (from the cache when they can be) only to learn what they apply,
    /// so that an object a commit adds to one Kustomization is found when another of the
    /// same cluster already applies it.
    pub(crate) fn select_owner_checks(&mut self) {
        let affected: BTreeSet<usize> = self
            .affected
            .iter()
            .copied()
            .filter(|&t| !self.targets[t].flux.is_empty())
            .collect();
        if affected.is_empty() {
            return;
        }
        let clusters: BTreeSet<usize> = affected
            .iter()
            .flat_map(|&t| self.targets[t].flux.iter().map(|&f| self.flux_cluster[f]))
            .collect();
        let mut names: BTreeSet<(String, String)> = BTreeSet::new();
        for &t in &affected {
            names.extend(self.defined_names(t));
        }
        let candidates: Vec<usize> = (0..self.targets.len())
            .filter(|t| !affected.contains(t))
            .filter(|&t| {
                let target = &self.targets[t];
                !target.blocked
                    && !target.empty
                    && target
                        .flux
                        .iter()
                        .any(|&f| clusters.contains(&self.flux_cluster[f]))
            })
            .collect();
        for t in candidates {
            if self.defined_names(t).iter().any(|n| names.contains(n)) {
                self.owner_only.insert(t);
            }
        }
    }

    /// Whether `file` is read as whole objects: YAML that no kustomization loads as a patch
    /// (a partial object) or as generator data (text).
    pub fn defines_objects(&self, file: &Path) -> bool {
        paths::is_yaml(file)
            && !self.patch_files.contains(file)
            && !self.data_files.contains_key(file)
    }

    /// The (kind, name) of every object the files of target `t` define (patches and
    /// Flux Kustomizations aside: a parent applies its children by design).
    fn defined_names(&mut self, t: usize) -> BTreeSet<(String, String)> {
        let files: Vec<PathBuf> = self.targets[t]
            .closure
            .iter()
            .filter(|f| self.defines_objects(f))
            .cloned()
            .collect();
        let mut names = BTreeSet::new();
        for file in files {
            if let Some(Ok(docs)) = self.sources.documents(&file) {
                for doc in docs {
                    if let (Some(kind), Some(name)) =
                        (doc.str_at(&["kind"]), doc.str_at(&["metadata", "name"]))
                        && kind != "Kustomization"
                    {
                        names.insert((kind.to_owned(), name.to_owned()));
                    }
                }
            }
        }
        names
    }

    /// The work items for the renderer pool, with cache keys; `salt` names the renderer
    /// and its version (part of every key).
    pub fn render_work(&mut self, jobs: &[usize], salt: &str) -> Vec<Work> {
        let mut work = Vec::with_capacity(jobs.len());
        for &t in jobs {
            let target = &self.targets[t];
            let mut key = crate::cache::KeyBuilder::new();
            key.add(b"flux-kustomize-validate/2").add(salt.as_bytes());
            match &target.build {
                Build::Dir(dir) => {
                    key.add(dir.to_string_lossy().as_bytes());
                }
                Build::Flux {
                    dir, kustomization, ..
                } => {
                    key.add(b"flux")
                        .add(dir.to_string_lossy().as_bytes())
                        .add(kustomization.as_bytes());
                }
            }
            for file in &target.closure {
                key.add(file.to_string_lossy().as_bytes());
                match self.sources.load(file).text() {
                    Some(text) => key.add(text.as_bytes()),
                    None => key.add(&std::fs::read(file).unwrap_or_default()),
                };
            }
            let mut cluster_names = BTreeSet::new();
            let mut namespaces = Vec::new();
            for file in target.closure.iter().filter(|f| paths::is_yaml(f)) {
                if let Some(Ok(docs)) = self.sources.documents(file) {
                    cluster_names.extend(crate::batch::cluster_names(docs.iter()));
                    namespaces.extend(
                        docs.iter()
                            .filter(|d| d.str_at(&["kind"]).is_none_or(|k| k == "Kustomization"))
                            .filter_map(|d| d.str_at(&["namespace"]).map(str::to_owned)),
                    );
                }
            }
            if let Some(f) = target.flux.first() {
                namespaces.extend(
                    self.flux[*f]
                        .spec
                        .as_ref()
                        .and_then(|s| s.str_at(&["targetNamespace"]))
                        .map(str::to_owned),
                );
            }
            // kustomize's namespace transformer renames the Namespace objects it sees to
            // the kustomization's `namespace`: those names are the build's too.
            if cluster_names.iter().any(|n| n.starts_with("Namespace/")) {
                cluster_names.extend(namespaces.into_iter().map(|ns| format!("Namespace/{ns}")));
            }
            let mut kustomization_files: Vec<String> = target
                .closure
                .iter()
                .filter(|f| paths::is_kustomization_file(f))
                .chain(target.flux.iter().map(|&f| &self.flux[f].file))
                .map(|f| paths::display(f, &self.repo_root))
                .collect();
            kustomization_files.dedup();
            let lint = crate::job::LintTarget {
                label: target.label.clone(),
                dir: paths::display(&target.dir, &self.repo_root),
                kustomization_files,
            };
            work.push(Work {
                target: t,
                build: target.build.clone(),
                cache_key: key.finish(),
                substitutions: target.substitutions.clone(),
                cluster_names,
                lint,
                check: true,
                prerendered: self.prerendered.get(&t).cloned(),
                flux_version: target.release,
                applier: if target.flux.is_empty() {
                    guardrails_flux_api::kubernetes::Applier::Direct
                } else {
                    guardrails_flux_api::kubernetes::Applier::KustomizeController
                },
            });
        }
        work
    }
}

/// The resources kustomize-controller's generator lists for `dir` (which has no
/// kustomization file), and the files they read.
fn generated_resources(
    graph: &Graph,
    dir: &Path,
    yaml_files: &[PathBuf],
    source_ignore: &SourceIgnore,
) -> (Vec<PathBuf>, BTreeSet<PathBuf>) {
    let mut resources = Vec::new();
    let mut closure = BTreeSet::new();
    let mut kustomized_dirs: Vec<PathBuf> = Vec::new();
    for file in yaml_files
        .iter()
        .filter(|f| f.starts_with(dir) && !source_ignore.is_ignored(f))
    {
        if kustomized_dirs.iter().any(|d| file.starts_with(d)) {
            continue;
        }
        if let Some(k) = graph.generator_entry_between(dir, file) {
            let sub = graph.kustomizations[k].dir.clone();
            graph.closure_files(k, &mut closure);
            kustomized_dirs.push(sub.clone());
            resources.push(sub);
            continue;
        }
        closure.insert(file.clone());
        resources.push(file.clone());
    }
    (resources, closure)
}

/// `https://github.com/org/repo.git`, `ssh://git@github.com/org/repo` and
/// `git@github.com:org/repo` name the same repository.
pub fn same_repository(a: &str, b: &str) -> bool {
    fn key(url: &str) -> String {
        let url = url.trim().trim_end_matches('/').trim_end_matches(".git");
        let (has_scheme, without_scheme) = url
            .split_once("://")
            .map_or((false, url), |(_, rest)| (true, rest));
        let (authority, path) = without_scheme
            .split_once('/')
            .unwrap_or((without_scheme, ""));
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let key = if has_scheme {
            // `ssh://git@host:22/org/repo`: the port is not part of the repository's name.
            let host = host
                .rsplit_once(':')
                .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
                .map_or(host, |(host, _)| host);
            format!("{host}/{path}")
        } else {
            // scp-like `git@host:org/repo`.
            format!("{}/{path}", host.replacen(':', "/", 1))
        };
        key.trim_end_matches('/').to_ascii_lowercase()
    }
    key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_compare_across_protocols() {
        assert!(same_repository(
            "git@github.com:ldbl/sre.git",
            "ssh://git@github.com/ldbl/sre"
        ));
        assert!(same_repository(
            "https://github.com/ldbl/sre",
            "git@github.com:ldbl/sre.git"
        ));
        assert!(!same_repository(
            "https://github.com/ldbl/sre",
            "https://github.com/ldbl/other"
        ));
        assert!(same_repository(
            "ssh://git@git.example.com:2222/team/gitops.git",
            "git@git.example.com:team/gitops"
        ));
        assert!(same_repository(
            "https://token@git.example.com/team/gitops/",
            "ssh://git@git.example.com/team/gitops"
        ));
    }

    #[test]
    fn filters_match_directories_and_their_parents() {
        let filter = PathFilter::new(&[], &["flux/secrets/**".into()]).unwrap();
        assert!(!filter.allows("flux/secrets/production"));
        assert!(filter.allows("flux/apps/backend"));
        let filter = PathFilter::new(&["flux/apps".into()], &[]).unwrap();
        assert!(filter.allows("flux/apps/backend/production"));
        assert!(!filter.allows("flux/infrastructure"));
    }
}
