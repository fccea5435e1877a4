//! Planning a run: discovery, the load graph, Flux roots, the affected set, the checks
//! that need no renderer, and the render jobs.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use guardrails_report::{Diagnostic, Report};

use crate::flux::{self, FluxKustomization, GitRepository, VariableSource};
use crate::reconcile::{self, Cluster, WaveRenderer};
use crate::render::BuildFailure;
use crate::rendered::{RenderResult, Substitution, Work};
use crate::sourceignore::SourceIgnore;
use crate::sources::Sources;
use crate::{
    Error, FluxVersion, Options, Stats, codes, discover, flux_build, paths, source_checks,
};
use guardrails_kustomize::graph::{FileSystem, Graph};
use guardrails_kustomize::kustomization::{InputKind, Kustomization};

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
    reported_image_findings: std::collections::HashSet<(&'static str, PathBuf, usize, String)>,
    /// Time spent in the image automation lint of sources.
    pub image_lint_time: std::time::Duration,
    /// The Flux release mirrored, and where it was read.
    pub flux_version: FluxVersion,
    pub flux_version_origin: String,
    source_ignores: HashMap<Option<String>, SourceIgnore>,
    sourceignore_files: Vec<PathBuf>,
    yaml_files: Vec<PathBuf>,
    file_repositories: Vec<GitRepository>,
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
    pub owners: crate::rendered::Owners,
    /// The repository has cluster entry points of its own (a bootstrap, a sync object,
    /// a FluxInstance): a Kustomization none of their trees applies may be retired.
    pub has_entry_points: bool,
}

impl Plan {
    pub fn prepare(
        repo_root: &Path,
        root: &Path,
        changed: Option<&BTreeSet<PathBuf>>,
        filter: &PathFilter,
        options: &Options,
        backend: &mut dyn WaveRenderer,
        report: &mut Report,
    ) -> Result<Plan, Error> {
        let inventory = discover::walk(root, repo_root);
        let mut sources = Sources::new(repo_root);
        let mut checks = source_checks::Checks::new(repo_root, options);

        // Kustomization files.
        let mut kustomizations = Vec::new();
        let mut seen_dirs = BTreeSet::new();
        for file in &inventory.kustomization_files {
            let Some(dir) = file.parent() else { continue };
            // kustomize takes the first of its three names; a second one in the same
            // directory is an error it reports itself.
            if !seen_dirs.insert(dir.to_path_buf()) {
                continue;
            }
            if let Some(Ok(docs)) = sources.documents(file)
                && let Some(doc) = docs.first()
            {
                kustomizations.push(Kustomization::from_document(file, doc));
            } else {
                // Unreadable or unparsable: keep it in the graph so overlays that load
                // it are blocked with the YAML diagnostic rather than a renderer dump.
                kustomizations.push(Kustomization::unreadable(file));
            }
        }
        let graph = Graph::build(
            kustomizations,
            &FileSystem {
                canonical_root: repo_root,
            },
        );
        let declared =
            crate::flux_release::declared(&inventory.yaml_files, &mut sources, repo_root);
        // kustomize-controller's `--no-remote-bases=true`, set by patching its arguments
        // (Flux's multi-tenancy lockdown) or by a FluxInstance's multitenant profile.
        checks.remote_bases_forbidden = inventory.yaml_files.iter().any(|file| {
            sources.load(file).text().is_some_and(|text| {
                text.contains("--no-remote-bases=true") || text.contains("multitenant: true")
            })
        });
        let patch_files: BTreeSet<PathBuf> = graph
            .kustomizations
            .iter()
            .flat_map(|k| &k.inputs)
            .filter(|input| {
                matches!(
                    input.kind,
                    InputKind::Patch | InputKind::PatchStrategicMerge | InputKind::PatchJson6902
                )
            })
            .map(|input| input.path.clone())
            .collect();

        // Flux objects written in files: entry points, and the definitions a render's
        // objects are traced back to.
        let mut file_kustomizations = Vec::new();
        let mut instances = Vec::new();
        let mut file_repositories: Vec<GitRepository> = Vec::new();
        let mut file_variable_sources = Vec::new();
        for file in &inventory.yaml_files {
            if patch_files.contains(file) || inventory.helm_templates.contains(file) {
                continue;
            }
            let interesting = sources.load(file).text().is_some_and(|text| {
                text.contains(flux::KUSTOMIZE_GROUP)
                    || text.contains("GitRepository")
                    || text.contains("FluxInstance")
                    || text.contains("ConfigMap")
                    || text.contains("Secret")
            });
            if !interesting {
                continue;
            }
            let Some(Ok(docs)) = sources.documents(file) else {
                continue;
            };
            for doc in docs {
                if let Some(ks) = flux::flux_kustomization(file, doc) {
                    file_kustomizations.push(ks);
                } else if let Some(repo) = flux::git_repository(doc) {
                    file_repositories.push(repo);
                } else if let Some(sync) = flux::flux_instance_sync(file, doc) {
                    instances.push(sync);
                } else if let Some(vars) = flux::variable_source(file, doc) {
                    file_variable_sources.push(vars);
                }
            }
        }

        let own_sources = std::iter::once("flux-system".to_owned())
            .chain(
                file_kustomizations
                    .iter()
                    .filter(|ks| ks.applies_itself(repo_root))
                    .filter_map(|ks| ks.source_name.clone()),
            )
            .collect();
        let mut plan = Plan {
            repo_root: repo_root.to_path_buf(),
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
            prerendered: HashMap::new(),
            render_stats: Stats::default(),
            image_index: None,
            schemas: Default::default(),
            in_scope: None,
            reported_image_findings: Default::default(),
            image_lint_time: std::time::Duration::ZERO,
            source_ignores: HashMap::new(),
            sourceignore_files: inventory.sourceignore_files.clone(),
            yaml_files: inventory.yaml_files.clone(),
            file_repositories: file_repositories.clone(),
            own_sources,
            orphans: Default::default(),
            unfollowed_tree: false,
            artifact_roots: crate::artifacts::pushed_roots(repo_root),
            has_entry_points: false,
            owners: HashMap::new(),
            flux_version: FluxVersion::CURRENT,
            flux_version_origin: String::new(),
        };
        let mut wanted = reconcile::Wanted::default();
        for file in &inventory.yaml_files {
            let mentions = plan
                .sources
                .load(file)
                .text()
                .is_some_and(|t| t.contains("substituteFrom") || t.contains("sourceRef"));
            if mentions && let Some(Ok(parsed)) = plan.sources.documents(file) {
                parsed.iter().for_each(|doc| wanted.add(doc));
            }
        }
        let inputs = reconcile::Inputs {
            wanted: &wanted,
            options,
            file_kustomizations: &file_kustomizations,
            instances: &instances,
            file_repositories: &file_repositories,
            file_variable_sources: &file_variable_sources,
        };
        plan.reconcile(&inputs, &mut checks, backend)?;
        plan.add_standalone_targets();
        plan.assign_releases(&declared, options.flux_version, &mut checks);

        // The affected set: what reads a changed file, and what renders a custom resource
        // whose CustomResourceDefinition changed (its schema decides whether it applies).
        let changed_kinds = changed.map(|changed| plan.custom_kinds_defined_in(changed));
        let display = |p: &Path| paths::display(p, repo_root);
        let affected: Vec<usize> = (0..plan.targets.len())
            .filter(|&t| {
                let target = &plan.targets[t];
                filter.allows(&display(&target.anchor))
                    && changed.is_none_or(|changed| {
                        target
                            .closure
                            .iter()
                            .chain(&target.dependencies)
                            .any(|f| changed.contains(f))
                    })
            })
            .collect();
        // ... and what runs an image whose ImagePolicy changed (a pinned tag the new filter
        // no longer selects is a lane mismatch in that build's render).
        let changed_images = changed
            .map(|changed| plan.images_of_changed_policies(changed, &inventory.yaml_files))
            .unwrap_or_default();
        let no_kinds = BTreeSet::new();
        let kinds = changed_kinds.as_ref().unwrap_or(&no_kinds);
        plan.affected = if kinds.is_empty() && changed_images.is_empty() {
            affected
        } else {
            (0..plan.targets.len())
                .filter(|&t| {
                    affected.contains(&t)
                        || (filter.allows(&display(&plan.targets[t].anchor))
                            && ((!kinds.is_empty() && plan.renders_kind_of(t, kinds))
                                || plan.mentions_image(t, &changed_images)))
                })
                .collect()
        };

        // Files to check without rendering: what the affected targets read, the changed
        // YAML files themselves, and with no file list every YAML file under the root
        // (those two only where --include/--exclude allow).
        let mut files: BTreeSet<PathBuf> = plan
            .affected
            .iter()
            .flat_map(|&t| plan.targets[t].closure.iter().cloned())
            .collect();
        // Helm chart templates are checked only when a build reads them: on their own they
        // are Go templates for helm-controller, not YAML.
        let extra: Vec<&PathBuf> = match changed {
            Some(changed) => changed
                .iter()
                .filter(|f| paths::is_yaml(f) && f.is_file() && f.starts_with(root))
                .collect(),
            None => inventory.yaml_files.iter().collect(),
        };
        files.extend(
            extra
                .into_iter()
                .filter(|f| !inventory.helm_templates.contains(*f) && filter.allows(&display(f)))
                .cloned(),
        );
        let flux_read = plan.flux_read_files();
        // A field missing in a Kustomization that no followed tree applies may be set by
        // the patches of a parent the hook could not render.
        let mut uncertain = std::collections::BTreeMap::new();
        if plan.unfollowed_tree {
            for file in files.iter().filter(|f| !flux_read.contains(*f)) {
                uncertain.insert(file.clone(), source_checks::UNFOLLOWED_PARENT);
            }
        }
        for file in &files {
            if !flux_read.contains(file) && plan.ignored_by_own_sources(file) {
                uncertain.insert(file.clone(), source_checks::IGNORED_FILE);
            }
        }
        // Where the repository has cluster trees of its own, a Flux object in a file none
        // of them reaches (only an out-of-band Kustomization, or nothing) is not applied
        // from here: what its API says is a warning, not an error.
        if plan.has_entry_points {
            let reached: BTreeSet<&PathBuf> = plan
                .targets
                .iter()
                .filter(|t| {
                    t.flux
                        .iter()
                        .any(|&f| !plan.clusters[plan.flux_cluster[f]].out_of_band)
                })
                .flat_map(|t| t.closure.iter())
                .collect();
            for file in &files {
                if !reached.contains(file) {
                    uncertain
                        .entry(file.clone())
                        .or_insert(source_checks::NO_CLUSTER_READS);
                }
            }
        }
        let broken = checks.check_files(
            &files,
            &plan.patch_files,
            &flux_read,
            &uncertain,
            &mut plan.sources,
        );
        plan.orphans = plan.orphans(&flux_read);
        for &k in &plan.affected_kustomizations() {
            let file = &plan.graph.kustomizations[k].file;
            let applied_by_flux = flux_read.contains(file);
            let orphan = plan.orphans.get(file).copied();
            checks.check_kustomization(&plan.graph, k, applied_by_flux, orphan, &mut plan.sources);
        }
        let affected_flux: BTreeSet<usize> = plan
            .affected
            .iter()
            .flat_map(|&t| plan.targets[t].flux.iter().copied())
            .collect();
        for index in 0..plan.flux.len() {
            let in_scope = changed.is_none_or(|c| c.contains(&plan.flux[index].file))
                || affected_flux.contains(&index);
            if in_scope {
                checks.check_flux_kustomization(
                    &plan.flux[index],
                    &plan.flux_vars[index],
                    &mut plan.sources,
                );
            }
        }
        let blocked_kustomizations = checks.blocked_kustomizations();
        for &t in &plan.affected {
            let target = &mut plan.targets[t];
            target.blocked |= target.closure.iter().any(|f| broken.contains(f))
                || target
                    .closure
                    .iter()
                    .any(|f| blocked_kustomizations.contains(f))
                || target
                    .flux
                    .iter()
                    .any(|&f| checks.blocked_targets.contains(&plan.flux[f].file))
                || (target.flux.is_empty() && checks.blocked_targets.contains(&target.anchor));
            if target.empty && !target.blocked {
                plan.skipped_empty.push(target.label.clone());
            }
        }
        let in_scope = changed.map(|_| {
            // Findings about a whole render name the built directory.
            let rendered = plan.affected.iter().map(|&t| plan.targets[t].dir.clone());
            files.iter().cloned().chain(rendered).collect()
        });
        plan.in_scope = in_scope;
        if changed.is_some() {
            plan.select_owner_checks();
        }
        plan.lint_image_automation(&inventory.yaml_files, changed, options, report);
        plan.collect_crds(&inventory.yaml_files);
        let mut found = std::mem::take(&mut checks.diagnostics);
        plan.name_what_breaks(&mut found);
        report.extend(found);
        report.notes.extend(std::mem::take(&mut checks.notes));
        let unused = plan.report_unused();
        report.extend(unused.into_iter().filter(|d| {
            changed.is_none_or(|c| d.file().is_some_and(|f| c.contains(&repo_root.join(f))))
        }));
        for label in &plan.skipped_empty {
            report.push(
                Diagnostic::advice(
                    codes::EMPTY,
                    format!("skipped {label}: its kustomization lists no resources"),
                )
                .with_help("nothing to render; add resources or remove the kustomization"),
            );
        }
        Ok(plan)
    }

    /// A fault in a file that builds read (a YAML error in a shared base, a missing
    /// entry) names every affected overlay and Flux Kustomization it stops from building.
    fn name_what_breaks(&self, diagnostics: &mut [Diagnostic]) {
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
    fn custom_kinds_defined_in(&mut self, files: &BTreeSet<PathBuf>) -> BTreeSet<String> {
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
    fn images_of_changed_policies(
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
    fn mentions_image(&mut self, t: usize, images: &BTreeSet<String>) -> bool {
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
    fn renders_kind_of(&mut self, t: usize, kinds: &BTreeSet<String>) -> bool {
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
    fn collect_crds(&mut self, yaml_files: &[PathBuf]) {
        for file in yaml_files {
            for doc in self.sources.of_kind(file, "CustomResourceDefinition") {
                self.schemas.add_crd(doc);
            }
        }
    }

    /// Image automation lint (part 2): builds the repository-wide index once and reports
    /// the findings that need no render.
    fn lint_image_automation(
        &mut self,
        yaml_files: &[PathBuf],
        changed: Option<&BTreeSet<PathBuf>>,
        options: &Options,
        report: &mut Report,
    ) {
        // Only files that can hold what the lint reads: image automation objects,
        // Namespaces (their labels gate cross-namespace policies), GitRepositories,
        // setter markers and `images:` entries. Workloads come from the renders.
        let started = std::time::Instant::now();
        // The changed files as the lint names them, and whether one defines a Namespace.
        let changed_sides = changed.map(|changed| {
            let shown: BTreeSet<String> = changed
                .iter()
                .map(|f| paths::display(f, &self.repo_root))
                .collect();
            let namespaces = changed.iter().any(|f| {
                self.sources
                    .load(f)
                    .text()
                    .is_some_and(|t| t.contains("kind: Namespace"))
            });
            (shown, namespaces)
        });
        let relevant: BTreeSet<PathBuf> = yaml_files
            .iter()
            .filter(|file| {
                self.sources.load(file).text().is_some_and(|text| {
                    text.contains("image.toolkit.fluxcd.io")
                        || text.contains("$imagepolicy")
                        || text.contains("images:")
                        || text.contains("Namespace")
                        || text.contains("GitRepository")
                })
            })
            .cloned()
            .collect();
        for file in &relevant {
            self.sources.documents(file);
        }
        let shown: Vec<String> = relevant
            .iter()
            .map(|f| paths::display(f, &self.repo_root))
            .collect();
        let mut files: Vec<guardrails_image_lint::SourceFile<'_>> = relevant
            .iter()
            .zip(&shown)
            .filter_map(|(file, path)| {
                let (text, docs) = self.sources.parsed(file)?;
                Some(guardrails_image_lint::SourceFile { path, text, docs })
            })
            .collect();
        // The other YAML files still exist: an automation's `update.path` that holds only
        // them covers files, just no markers.
        let others: Vec<String> = yaml_files
            .iter()
            .filter(|f| !relevant.contains(*f))
            .map(|f| paths::display(f, &self.repo_root))
            .collect();
        files.extend(others.iter().map(|path| guardrails_image_lint::SourceFile {
            path,
            text: "",
            docs: &[],
        }));
        let bootstrap = self
            .file_repositories
            .iter()
            .find(|r| self.own_sources.contains(&r.name));
        let other_repositories = self
            .file_repositories
            .iter()
            .filter(|r| reconcile::other_repository(r, &options.remote_urls, bootstrap).is_some())
            .map(|r| r.name.clone())
            .collect();
        // One model: the image lint decides lanes and namespaces on the Kustomizations the
        // cluster trees apply (a parent's patch may set a child's `targetNamespace`).
        let reconciled = self
            .flux
            .iter()
            .map(|ks| guardrails_image_lint::ReconciledFlux {
                path: paths::display(&ks.file, &self.repo_root),
                name: ks.name.clone(),
                spec_path: Some(ks.path.as_ref().map_or_else(String::new, |(path, _)| {
                    let path = path.trim_start_matches("./").trim_end_matches('/');
                    if path == "." {
                        String::new()
                    } else {
                        path.to_owned()
                    }
                })),
                target_namespace: ks
                    .spec
                    .as_ref()
                    .and_then(|spec| spec.str_at(&["targetNamespace"]))
                    .filter(|ns| !ns.is_empty())
                    .map(str::to_owned),
            })
            .collect();
        let config = guardrails_image_lint::Config {
            lanes: options.lanes.clone(),
            flux: self.flux_version,
            other_repositories,
            reconciled,
        };
        // The same kustomize model as the renders: every kustomization file of the
        // repository places objects, whether or not it is among the lint's files.
        let layout = guardrails_image_lint::Layout {
            graph: &self.graph,
            root: &self.repo_root,
        };
        let index = guardrails_image_lint::Index::build_on(&files, &config, layout);
        // A change re-checks what it can break through object relations too (a renamed
        // ImageRepository and the policies that still name it).
        if let (Some((shown, namespaces_changed)), Some(scope)) =
            (&changed_sides, self.in_scope.as_mut())
        {
            scope.extend(
                index
                    .related_files(shown, *namespaces_changed)
                    .into_iter()
                    .map(|f| self.repo_root.join(f)),
            );
        }
        let findings = index.lint_sources();
        drop(files);
        for finding in findings {
            self.push_image_finding(finding, report);
        }
        self.image_index = Some(index);
        self.image_lint_time += started.elapsed();
    }

    /// Reports one image lint finding once, when its file is in scope.
    pub fn push_image_finding(
        &mut self,
        finding: guardrails_image_lint::Finding,
        report: &mut Report,
    ) {
        let path = self.repo_root.join(&finding.path);
        if self
            .in_scope
            .as_ref()
            .is_some_and(|scope| !scope.contains(&path))
        {
            return;
        }
        let key = (
            finding.code,
            path.clone(),
            finding.span.map_or(0, |s| s.offset),
            finding.message.clone(),
        );
        if !self.reported_image_findings.insert(key) {
            return;
        }
        let severity = match finding.severity {
            guardrails_image_lint::Severity::Error => guardrails_report::Severity::Error,
            guardrails_image_lint::Severity::Warning => guardrails_report::Severity::Warning,
        };
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
        report.push(diagnostic);
    }

    /// Kustomizations built by some affected target.
    fn affected_kustomizations(&self) -> BTreeSet<usize> {
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
    fn add_standalone_targets(&mut self) {
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
        let applied_by_no_cluster = (self.has_entry_points || self.unfollowed_tree)
            && self.clusters[self.flux_cluster[index]].out_of_band;
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
                let spec_ignore = self.source_ignore_of(&ks);
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
            empty,
            blocked: false,
            standalone: false,
            release: FluxVersion::CURRENT,
        });
        Some(self.targets.len() - 1)
    }

    /// The `spec.ignore` of the GitRepository a Flux Kustomization reads.
    fn source_ignore_of(&self, ks: &FluxKustomization) -> Option<String> {
        let name = ks.source_name.as_deref()?;
        self.file_repositories
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.ignore.clone())
    }

    /// Affected targets that will be rendered (not blocked, not empty).
    /// Which Flux release each build, each file and the image lint are judged for: per
    /// cluster what its tree declares; `--flux-version` overrides; what no cluster declares
    /// gets the oldest release declared anywhere, else the newest known.
    fn assign_releases(
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
    fn orphans(
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
        let mut orphans = std::collections::BTreeMap::new();
        for (dir, file) in unread {
            if flux_dirs.iter().any(|d| dir != *d && dir.starts_with(d)) {
                orphans.insert(file, source_checks::ORPHAN);
            } else if self.ignored_by_own_sources(&file) {
                orphans.insert(file, source_checks::IGNORED_BY_SOURCE);
            }
        }
        orphans
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
    fn select_owner_checks(&mut self) {
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

    /// The (kind, name) of every object the files of target `t` define (patches and
    /// Flux Kustomizations aside: a parent applies its children by design).
    fn defined_names(&mut self, t: usize) -> BTreeSet<(String, String)> {
        let files: Vec<PathBuf> = self.targets[t]
            .closure
            .iter()
            .filter(|f| paths::is_yaml(f) && !self.patch_files.contains(*f))
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
            let lint = crate::rendered::LintTarget {
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

    /// Turns one render's result into diagnostics.
    pub fn absorb(
        &mut self,
        builder: Option<&dyn crate::build_failure::BuildDir>,
        result: RenderResult,
        report: &mut Report,
        stats: &mut Stats,
    ) {
        crate::rendered::absorb(self, builder, result, report, stats);
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
