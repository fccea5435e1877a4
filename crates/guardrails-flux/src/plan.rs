//! Planning a run: discovery, the load graph, Flux roots, the affected set, the checks
//! that need no renderer, and the render jobs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use guardrails_report::{Diagnostic, Report};

use crate::flux::{self, FluxKustomization, GitRepository, VariableSource};
use crate::graph::Graph;
use crate::kustomization::Kustomization;
use crate::rendered::{RenderContext, RenderResult, Work};
use crate::sourceignore::SourceIgnore;
use crate::sources::Sources;
use crate::{Error, Options, Stats, codes, discover, paths, source_checks};

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
    /// The kustomization kustomize-controller would generate: for a `spec.path` without a
    /// kustomization file (every manifest under it), or to merge Flux spec fields.
    Generated {
        resources: Vec<PathBuf>,
        components: Vec<PathBuf>,
        fields: BTreeMap<&'static str, String>,
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
    /// Flux Kustomizations whose `postBuild` applies to this render.
    pub flux: Vec<usize>,
    pub empty: bool,
    /// A problem found before rendering already explains why the build would fail.
    pub blocked: bool,
}

pub struct Plan {
    pub repo_root: PathBuf,
    pub graph: Graph,
    pub flux: Vec<FluxKustomization>,
    pub targets: Vec<Target>,
    pub affected: Vec<usize>,
    pub skipped_empty: Vec<String>,
    pub sources: Sources,
    pub variable_sources: Vec<VariableSource>,
    /// Image automation facts of the whole repository (policies, markers, automations).
    pub image_index: Option<guardrails_image_lint::Index>,
    /// Files whose findings are reported: what the affected builds read, the changed files
    /// and the directories the affected targets build; `None` with `--all` (everything).
    pub in_scope: Option<BTreeSet<PathBuf>>,
    reported_image_findings: std::collections::HashSet<(&'static str, PathBuf, usize, String)>,
    /// Time spent in the image automation lint of sources.
    pub image_lint_time: std::time::Duration,
}

impl Plan {
    pub fn prepare(
        repo_root: &Path,
        root: &Path,
        changed: Option<&BTreeSet<PathBuf>>,
        filter: &PathFilter,
        options: &Options,
        report: &mut Report,
    ) -> Plan {
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
                kustomizations.push(Kustomization {
                    dir: dir.to_path_buf(),
                    file: file.clone(),
                    inputs: Vec::new(),
                    helm_charts: None,
                    inline_plugins: Vec::new(),
                    empty: false,
                    component: false,
                });
            }
        }
        let graph = Graph::build(kustomizations, repo_root);

        // Flux objects and variable sources, from files that can contain them.
        let mut flux_kustomizations = Vec::new();
        let mut git_repositories: Vec<GitRepository> = Vec::new();
        let mut variable_sources = Vec::new();
        for file in &inventory.yaml_files {
            let interesting = sources.load(file).text().is_some_and(|text| {
                text.contains(flux::KUSTOMIZE_GROUP)
                    || text.contains("GitRepository")
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
                    flux_kustomizations.push(ks);
                } else if let Some(repo) = flux::git_repository(doc) {
                    git_repositories.push(repo);
                } else if let Some(vars) = flux::variable_source(file, doc) {
                    variable_sources.push(vars);
                }
            }
        }

        let mut plan = Plan {
            repo_root: repo_root.to_path_buf(),
            graph,
            flux: flux_kustomizations,
            targets: Vec::new(),
            affected: Vec::new(),
            skipped_empty: Vec::new(),
            sources,
            variable_sources,
            image_index: None,
            in_scope: None,
            reported_image_findings: Default::default(),
            image_lint_time: std::time::Duration::ZERO,
        };
        plan.build_targets(
            &inventory.yaml_files,
            &inventory.sourceignore_files,
            &git_repositories,
            options,
            &mut checks,
        );

        // The affected set.
        let display = |p: &Path| paths::display(p, repo_root);
        plan.affected = (0..plan.targets.len())
            .filter(|&t| {
                let target = &plan.targets[t];
                filter.allows(&display(&target.anchor))
                    && changed.is_none_or(|changed| {
                        target.closure.iter().any(|f| changed.contains(f))
                            || target
                                .flux
                                .iter()
                                .any(|&f| plan.flux_inputs_changed(f, changed))
                    })
            })
            .collect();

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
        let broken = checks.check_files(&files, &mut plan.sources);
        for &k in &plan.affected_kustomizations() {
            checks.check_kustomization(&plan.graph, k, &mut plan.sources);
        }
        let affected_flux: BTreeSet<usize> = plan
            .affected
            .iter()
            .flat_map(|&t| plan.targets[t].flux.iter().copied())
            .collect();
        let flux_to_check: Vec<usize> = (0..plan.flux.len())
            .filter(|&i| {
                changed.is_none_or(|c| c.contains(&plan.flux[i].file)) || affected_flux.contains(&i)
            })
            .collect();
        for index in flux_to_check {
            checks.check_flux_kustomization(
                &plan.flux[index],
                &plan.variable_sources,
                &mut plan.sources,
            );
        }
        let blocked_kustomizations = checks.blocked_kustomizations();
        for &t in &plan.affected {
            let target = &mut plan.targets[t];
            target.blocked |= target.closure.iter().any(|f| broken.contains(f))
                || target
                    .closure
                    .iter()
                    .any(|f| blocked_kustomizations.contains(f))
                || checks.blocked_targets.contains(&target.anchor);
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
        plan.lint_image_automation(&inventory.yaml_files, options, report);
        report.extend(std::mem::take(&mut checks.diagnostics));
        report.notes.extend(std::mem::take(&mut checks.notes));
        for label in &plan.skipped_empty {
            report.push(
                Diagnostic::advice(
                    codes::EMPTY,
                    format!("skipped {label}: its kustomization lists no resources"),
                )
                .with_help("nothing to render; add resources or remove the kustomization"),
            );
        }
        plan
    }

    /// Image automation lint (part 2): builds the repository-wide index once and reports
    /// the findings that need no render.
    fn lint_image_automation(
        &mut self,
        yaml_files: &[PathBuf],
        options: &Options,
        report: &mut Report,
    ) {
        // Only files that can hold what the lint reads: image automation objects,
        // Namespaces (their labels gate cross-namespace policies), GitRepositories,
        // setter markers and `images:` entries. Workloads come from the renders.
        let started = std::time::Instant::now();
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
        let config = guardrails_image_lint::Config {
            lanes: options.lanes.clone(),
            flux: options.flux_version,
        };
        let index = guardrails_image_lint::Index::build(&files, &config);
        let findings = index.lint_sources();
        drop(files);
        for finding in findings {
            self.push_image_finding(finding, report);
        }
        self.image_index = Some(index);
        self.image_lint_time += started.elapsed();
    }

    /// Whether the file defining Flux Kustomization `index`, or a ConfigMap or Secret its
    /// `postBuild.substituteFrom` reads, is among the changed files.
    fn flux_inputs_changed(&self, index: usize, changed: &BTreeSet<PathBuf>) -> bool {
        let ks = &self.flux[index];
        changed.contains(&ks.file)
            || ks.post_build.iter().any(|post_build| {
                post_build.substitute_from.iter().any(|from| {
                    self.variable_sources
                        .iter()
                        .any(|v| from.resolves_to(ks, v) && changed.contains(&v.file))
                })
            })
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

    /// Render targets: every overlay (a kustomization nothing else loads) and every Flux
    /// Kustomization whose source is this repository.
    fn build_targets(
        &mut self,
        yaml_files: &[PathBuf],
        sourceignore_files: &[PathBuf],
        git_repositories: &[GitRepository],
        options: &Options,
        checks: &mut source_checks::Checks,
    ) {
        let repo_root = self.repo_root.clone();
        // What each source leaves out of its artifact, by its `spec.ignore`.
        let mut source_ignores: HashMap<Option<String>, SourceIgnore> = HashMap::new();
        let mut by_dir: HashMap<PathBuf, usize> = HashMap::new();
        for k in self.graph.roots() {
            let kustomization = &self.graph.kustomizations[k];
            if kustomization.component {
                continue;
            }
            let mut closure = BTreeSet::new();
            self.graph.closure_files(k, &mut closure);
            by_dir.insert(kustomization.dir.clone(), self.targets.len());
            self.targets.push(Target {
                dir: kustomization.dir.clone(),
                label: paths::display(&kustomization.dir, &repo_root),
                anchor: kustomization.file.clone(),
                build: Build::Dir(kustomization.dir.clone()),
                closure,
                flux: Vec::new(),
                empty: kustomization.empty,
                blocked: false,
            });
        }
        for index in 0..self.flux.len() {
            let ks = self.flux[index].clone();
            let ks = &ks;
            let (path_text, _) = ks
                .path
                .clone()
                .unwrap_or_else(|| (".".into(), ks.kind_span));
            let dir = paths::join_normalized(&repo_root, path_text.trim_start_matches('/'));
            // A source that is not this repository cannot be checked here. Forks and
            // mirrors have other URLs, so a URL mismatch only counts when the path does
            // not exist in this checkout either.
            let source_kind = ks.source_kind.as_deref().unwrap_or("GitRepository");
            let reason = if source_kind != "GitRepository" {
                Some(format!(
                    "its source is a {source_kind}, whose contents are not this checkout"
                ))
            } else if dir.is_dir() {
                None
            } else {
                other_repository(ks, git_repositories, &options.remote_urls)
            };
            if let Some(reason) = reason {
                checks.note_external(ks, &reason);
                continue;
            }
            if !checks.check_flux_path(ks, &dir, &mut self.sources) {
                continue;
            }
            let components: Vec<PathBuf> = ks
                .components
                .iter()
                .map(|(c, _)| paths::join_normalized(&dir, c))
                .filter(|c| c.is_dir())
                .collect();
            let label = format!(
                "Flux Kustomization {} ({})",
                ks.display_name(),
                paths::display(&dir, &repo_root)
            );
            match self.graph.index_of_dir(&dir) {
                Some(k) if ks.overlay_fields.is_empty() && components.is_empty() => {
                    if let Some(&t) = by_dir.get(&dir) {
                        self.targets[t].flux.push(index);
                        continue;
                    }
                    let mut closure = BTreeSet::new();
                    self.graph.closure_files(k, &mut closure);
                    by_dir.insert(dir.clone(), self.targets.len());
                    self.targets.push(Target {
                        dir: dir.clone(),
                        label: paths::display(&dir, &repo_root),
                        anchor: self.graph.kustomizations[k].file.clone(),
                        build: Build::Dir(dir),
                        closure,
                        flux: vec![index],
                        empty: self.graph.kustomizations[k].empty,
                        blocked: false,
                    });
                }
                Some(k) => {
                    let mut closure = BTreeSet::new();
                    self.graph.closure_files(k, &mut closure);
                    self.add_components(&components, &mut closure);
                    self.targets.push(Target {
                        label,
                        dir: dir.clone(),
                        anchor: ks.file.clone(),
                        build: Build::Generated {
                            resources: vec![dir],
                            components,
                            fields: ks.overlay_fields.clone(),
                        },
                        closure,
                        flux: vec![index],
                        empty: self.graph.kustomizations[k].empty,
                        blocked: false,
                    });
                }
                None => {
                    // kustomize-controller generates a kustomization: every YAML file
                    // under the path, and sub-directories with a kustomization file as
                    // directory resources (not descended).
                    let spec_ignore = source_repository(ks, git_repositories)
                        .and_then(|repo| repo.ignore.clone());
                    let source_ignore =
                        source_ignores
                            .entry(spec_ignore)
                            .or_insert_with_key(|spec_ignore| {
                                SourceIgnore::load(
                                    &repo_root,
                                    sourceignore_files,
                                    spec_ignore.as_deref(),
                                )
                            });
                    let (resources, closure) =
                        self.generated_resources(&dir, yaml_files, source_ignore);
                    checks.check_plain_manifests(
                        ks,
                        &resources,
                        source_ignore,
                        &self.graph,
                        &mut self.sources,
                    );
                    let mut closure = closure;
                    self.add_components(&components, &mut closure);
                    self.targets.push(Target {
                        label,
                        dir: dir.clone(),
                        anchor: ks.file.clone(),
                        empty: resources.is_empty(),
                        build: Build::Generated {
                            resources,
                            components,
                            fields: ks.overlay_fields.clone(),
                        },
                        closure,
                        flux: vec![index],
                        blocked: false,
                    });
                }
            }
        }
    }

    /// What the Flux Kustomization's components read joins the build's closure.
    fn add_components(&self, components: &[PathBuf], closure: &mut BTreeSet<PathBuf>) {
        for component in components {
            if let Some(k) = self.graph.index_of_dir(component) {
                self.graph.closure_files(k, closure);
            }
        }
    }

    fn generated_resources(
        &self,
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
            // The nearest directory (between `dir` and the file) with a kustomization.
            let kustomized = file
                .ancestors()
                .skip(1)
                .take_while(|a| a.starts_with(dir) && *a != dir)
                .filter_map(|a| self.graph.index_of_dir(a))
                .last();
            if let Some(k) = kustomized {
                let sub = self.graph.kustomizations[k].dir.clone();
                self.graph.closure_files(k, &mut closure);
                kustomized_dirs.push(sub.clone());
                resources.push(sub);
                continue;
            }
            closure.insert(file.clone());
            resources.push(file.clone());
        }
        (resources, closure)
    }

    /// Affected targets that will be rendered (not blocked, not empty).
    pub fn jobs_to_render(&self) -> Vec<usize> {
        self.affected
            .iter()
            .copied()
            .filter(|&t| !self.targets[t].blocked && !self.targets[t].empty)
            .collect()
    }

    /// The work items for the renderer pool, with cache keys and substitution contexts.
    pub fn render_work(&mut self, jobs: &[usize], context: &RenderContext<'_>) -> Vec<Work> {
        let mut work = Vec::with_capacity(jobs.len());
        for &t in jobs {
            let target = &self.targets[t];
            let mut key = crate::cache::KeyBuilder::new();
            key.add(b"flux-kustomize-validate/1")
                .add(context.renderer.name().as_bytes())
                .add(context.renderer_version.as_bytes());
            match &target.build {
                Build::Dir(dir) => {
                    key.add(dir.to_string_lossy().as_bytes());
                }
                Build::Generated {
                    resources,
                    components,
                    fields,
                } => {
                    key.add(b"generated");
                    for r in resources.iter().chain(components) {
                        key.add(r.to_string_lossy().as_bytes());
                    }
                    for (field, value) in fields {
                        key.add(field.as_bytes()).add(value.as_bytes());
                    }
                }
            }
            for file in &target.closure {
                key.add(file.to_string_lossy().as_bytes());
                match self.sources.load(file).text() {
                    Some(text) => key.add(text.as_bytes()),
                    None => key.add(&std::fs::read(file).unwrap_or_default()),
                };
            }
            let substitutions = target
                .flux
                .iter()
                .filter_map(|&f| {
                    crate::rendered::Substitution::for_flux(
                        f,
                        &self.flux[f],
                        &self.variable_sources,
                    )
                })
                .collect();
            let mut cluster_names = std::collections::BTreeSet::new();
            for file in target.closure.iter().filter(|f| paths::is_yaml(f)) {
                if let Some(Ok(docs)) = self.sources.documents(file) {
                    cluster_names.extend(crate::batch::cluster_names(docs.iter()));
                }
            }
            let mut kustomization_files: Vec<String> = target
                .closure
                .iter()
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| paths::KUSTOMIZATION_FILES.contains(&n))
                })
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
                substitutions,
                cluster_names,
                lint,
            });
        }
        work
    }

    /// Turns one render's result into diagnostics.
    pub fn absorb(
        &mut self,
        result: RenderResult,
        report: &mut Report,
        stats: &mut Stats,
        options: &Options,
    ) {
        crate::rendered::absorb(self, result, report, stats, options);
    }
}

/// Why a Flux Kustomization's GitRepository is another repository, if it is.
fn other_repository(
    ks: &FluxKustomization,
    git_repositories: &[GitRepository],
    remote_urls: &[String],
) -> Option<String> {
    // `flux bootstrap` names the repository it bootstraps from `flux-system`.
    if ks.source_name.as_deref() == Some("flux-system") {
        return None;
    }
    let Some(repo) = source_repository(ks, git_repositories) else {
        // Defined elsewhere (another repository, the cluster's bootstrap, Terraform): what
        // its path holds cannot be known here.
        return ks
            .source_name
            .as_deref()
            .map(|name| format!("its GitRepository `{name}` is not defined in this repository"));
    };
    let url = repo.url.as_deref()?;
    if remote_urls.is_empty() || remote_urls.iter().any(|r| same_repository(r, url)) {
        return None;
    }
    Some(format!(
        "its GitRepository `{}` points at {url}, not at this repository's remotes",
        repo.name
    ))
}

/// The GitRepository (defined in this repository) a Flux Kustomization reads from.
fn source_repository<'a>(
    ks: &FluxKustomization,
    git_repositories: &'a [GitRepository],
) -> Option<&'a GitRepository> {
    if ks
        .source_kind
        .as_deref()
        .is_some_and(|kind| kind != "GitRepository")
    {
        return None;
    }
    let name = ks.source_name.as_deref()?;
    let namespace = ks.source_namespace.as_ref().or(ks.namespace.as_ref());
    git_repositories.iter().find(|r| {
        r.name == name
            && (namespace.is_none() || r.namespace.is_none() || r.namespace.as_ref() == namespace)
    })
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
