//! The planner's stages, each a function that returns what the next one reads:
//! [`discover`] (the files, the kustomize model, the Flux objects written in files) →
//! [`trees`] (each cluster reconciled as Flux would, which yields the render targets) →
//! [`affected`] (what a change can break) → [`check_sources`] and [`lint_images`] (the
//! checks that need no render). The caller renders the affected targets afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use guardrails_kustomize::graph::{FileSystem, Graph};
use guardrails_kustomize::kustomization::{InputKind, Kustomization};
use guardrails_report::{Diagnostic, Report};

use crate::discover::Inventory;
use crate::error::Error;
use crate::flux::{self, FluxKustomization, GitRepository, VariableSource};
use crate::flux_release::Detected;
use crate::options::Options;
use crate::plan::{PathFilter, Plan};
use crate::reconcile::{self, WaveRenderer};
use crate::source_checks::{self, Checks};
use crate::sources::Sources;
use crate::{codes, discover, paths};

/// What the repository holds, read once: the files, the kustomize model, and the Flux
/// objects written in files (entry points, and the definitions a render's objects are
/// traced back to).
pub struct Discovered {
    pub inventory: Inventory,
    pub sources: Sources,
    pub graph: Graph,
    /// Files that kustomizations load as patches: partial objects.
    pub patch_files: BTreeSet<PathBuf>,
    /// Files that kustomizations read only as generator data, with the kustomization that
    /// reads them: text for a ConfigMap or Secret, never parsed as objects.
    pub data_files: BTreeMap<PathBuf, PathBuf>,
    /// The Flux releases the repository pins (install manifests, FluxInstances).
    pub declared: Vec<Detected>,
    /// kustomize-controller runs with `--no-remote-bases=true`.
    pub remote_bases_forbidden: bool,
    pub kustomizations: Vec<FluxKustomization>,
    pub instances: Vec<FluxKustomization>,
    pub repositories: Vec<GitRepository>,
    pub variable_sources: Vec<VariableSource>,
    /// The objects that `substituteFrom` and `sourceRef` name: what the trees keep.
    pub wanted: reconcile::Wanted,
}

/// Plans a run: every stage up to the render jobs. Findings of the stages go to `report`.
pub fn prepare(
    repo_root: &Path,
    root: &Path,
    changed: Option<&BTreeSet<PathBuf>>,
    filter: &PathFilter,
    options: &Options,
    backend: &mut dyn WaveRenderer,
    report: &mut Report,
) -> Result<Plan, Error> {
    let discovered = discover(repo_root, root);
    let mut checks = Checks::new(repo_root, options);
    checks.remote_bases_forbidden = discovered.remote_bases_forbidden;
    let mut plan = trees(discovered, options, &mut checks, backend)?;
    plan.affected = affected(&mut plan, changed, filter);
    let files = check_sources(&mut plan, root, changed, filter, &mut checks);
    plan.in_scope = changed.map(|_| {
        // Findings about a whole render name the built directory.
        let rendered = plan.affected.iter().map(|&t| plan.targets[t].dir.clone());
        files.iter().cloned().chain(rendered).collect()
    });
    if changed.is_some() {
        plan.select_owner_checks();
    }
    let yaml_files = plan.yaml_files.clone();
    for diagnostic in lint_images(&mut plan, &yaml_files, changed, options) {
        report.push(diagnostic);
    }
    plan.collect_crds(&yaml_files);
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

/// Stage 1: the files under `root`, the kustomize model of the repository and the Flux
/// objects written in its files.
pub fn discover(repo_root: &Path, root: &Path) -> Discovered {
    let inventory = discover::walk(root, repo_root);
    let mut sources = Sources::new(repo_root);

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
            // Unreadable or unparsable: kept in the graph so overlays that load it are
            // blocked with the YAML diagnostic rather than a renderer dump.
            kustomizations.push(Kustomization::unreadable(file));
        }
    }
    let graph = Graph::build(
        kustomizations,
        &FileSystem {
            canonical_root: repo_root,
        },
    );
    let declared = crate::flux_release::declared(&inventory.yaml_files, &mut sources, repo_root);
    // kustomize-controller's `--no-remote-bases=true`, set by patching its arguments
    // (Flux's multi-tenancy lockdown) or by a FluxInstance's multitenant profile.
    let remote_bases_forbidden = inventory.yaml_files.iter().any(|file| {
        sources.load(file).text().is_some_and(|text| {
            written(text, "--no-remote-bases=true") || written(text, "multitenant: true")
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
    let mut data_files = data_files(&graph);

    let mut file_kustomizations = Vec::new();
    let mut instances = Vec::new();
    let mut repositories = Vec::new();
    let mut variable_sources = Vec::new();
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
            } else if let Some(repo) = flux::git_repository(file, doc) {
                repositories.push(repo);
            } else if let Some(sync) = flux::flux_instance_sync(file, doc) {
                instances.push(sync);
            } else if let Some(vars) = flux::variable_source(file, doc) {
                variable_sources.push(vars);
            }
        }
    }
    // A file under the path of a Flux Kustomization without a kustomization file is a
    // manifest of the build kustomize-controller generates there, whatever else loads it
    // as data; the rest of the generator data holds no objects (only, perhaps, the
    // flux-instance chart's values).
    data_files.retain(|file, _| !generated_manifest(file, &file_kustomizations, &graph, repo_root));
    file_kustomizations.retain(|ks| !data_files.contains_key(&ks.file));
    repositories.retain(|repo| !data_files.contains_key(&repo.file));
    variable_sources.retain(|vars| !data_files.contains_key(&vars.file));
    let mut wanted = reconcile::Wanted::default();
    for file in &inventory.yaml_files {
        let mentions = sources
            .load(file)
            .text()
            .is_some_and(|t| t.contains("substituteFrom") || t.contains("sourceRef"));
        if mentions && let Some(Ok(parsed)) = sources.documents(file) {
            parsed.iter().for_each(|doc| wanted.add(doc));
        }
    }
    Discovered {
        inventory,
        sources,
        graph,
        patch_files,
        data_files,
        declared,
        remote_bases_forbidden,
        kustomizations: file_kustomizations,
        instances,
        repositories,
        variable_sources,
        wanted,
    }
}

/// Whether `needle` is written in `text` outside comments (a commented-out patch of the
/// controller's arguments configures nothing).
fn written(text: &str, needle: &str) -> bool {
    text.contains(needle)
        && text.lines().any(|line| {
            let code = match line.find(" #") {
                Some(at) => &line[..at],
                None => line,
            };
            !code.trim_start().starts_with('#') && code.contains(needle)
        })
}

/// Whether `file` is one of the manifests kustomize-controller's generated kustomization
/// takes for a Flux Kustomization whose `spec.path` has no kustomization file: every YAML
/// file under it, but not below a sub-directory with a kustomization of its own (that
/// directory is taken whole).
fn generated_manifest(
    file: &Path,
    kustomizations: &[FluxKustomization],
    graph: &Graph,
    repo_root: &Path,
) -> bool {
    kustomizations.iter().any(|ks| {
        let Some((path, _)) = &ks.path else {
            return false;
        };
        if path.contains("${") {
            return false;
        }
        let root = paths::join_normalized(repo_root, path.trim_start_matches('/'));
        file.starts_with(&root)
            && file
                .ancestors()
                .skip(1)
                .take_while(|dir| dir.starts_with(&root))
                .all(|dir| graph.index_of_dir(dir).is_none())
    })
}

/// Files read only by generators' `files:` and `envs:` (kustomize loads them as bytes
/// into a ConfigMap or Secret), with the first kustomization that reads them. A file
/// another kustomization also loads as a resource, patch or configuration is a manifest.
fn data_files(graph: &Graph) -> BTreeMap<PathBuf, PathBuf> {
    let inputs = || {
        graph
            .kustomizations
            .iter()
            .flat_map(|k| k.inputs.iter().map(move |i| (k, i)))
    };
    let generator = |kind| matches!(kind, InputKind::GeneratorFile | InputKind::GeneratorEnv);
    let manifests: BTreeSet<&PathBuf> = inputs()
        .filter(|(_, input)| !generator(input.kind) && !input.remote)
        .map(|(_, input)| &input.path)
        .collect();
    let mut data = BTreeMap::new();
    for (k, input) in inputs() {
        if generator(input.kind) && !input.remote && !manifests.contains(&input.path) {
            data.entry(input.path.clone())
                .or_insert_with(|| k.file.clone());
        }
    }
    data
}

/// Stage 2: each cluster's tree, built as Flux reconciles it (parents rendered before
/// their children), then the overlays no tree applies; every build is a target, judged
/// for the Flux release of the clusters that apply it.
pub fn trees(
    discovered: Discovered,
    options: &Options,
    checks: &mut Checks,
    backend: &mut dyn WaveRenderer,
) -> Result<Plan, Error> {
    let Discovered {
        inventory,
        sources,
        graph,
        patch_files,
        data_files,
        declared,
        kustomizations,
        instances,
        repositories,
        variable_sources,
        wanted,
        ..
    } = discovered;
    let mut plan = Plan::new(
        graph,
        sources,
        patch_files,
        data_files,
        &inventory,
        &kustomizations,
        &repositories,
    );
    let inputs = reconcile::Inputs {
        wanted: &wanted,
        options,
        file_kustomizations: &kustomizations,
        instances: &instances,
        file_repositories: &repositories,
        file_variable_sources: &variable_sources,
    };
    plan.reconcile(&inputs, checks, backend)?;
    plan.add_standalone_targets();
    plan.assign_releases(&declared, options.flux_version, checks);
    plan.helm_templates = inventory.helm_templates;
    Ok(plan)
}

/// Stage 3: the targets a change affects: what reads a changed file, what renders a
/// custom resource whose CustomResourceDefinition changed (its schema decides whether it
/// applies), and what runs an image whose ImagePolicy changed (a pinned tag the new
/// filter no longer selects is a lane mismatch in that build). With no change: every
/// target `--include`/`--exclude` allow.
pub fn affected(
    plan: &mut Plan,
    changed: Option<&BTreeSet<PathBuf>>,
    filter: &PathFilter,
) -> Vec<usize> {
    let repo_root = plan.repo_root.clone();
    let display = |p: &Path| paths::display(p, &repo_root);
    let changed_kinds = changed.map(|changed| plan.custom_kinds_defined_in(changed));
    let reads_change: Vec<usize> = (0..plan.targets.len())
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
    let yaml_files = plan.yaml_files.clone();
    let changed_images = changed
        .map(|changed| plan.images_of_changed_policies(changed, &yaml_files))
        .unwrap_or_default();
    let kinds = changed_kinds.unwrap_or_default();
    if kinds.is_empty() && changed_images.is_empty() {
        return reads_change;
    }
    (0..plan.targets.len())
        .filter(|&t| {
            reads_change.contains(&t)
                || (filter.allows(&display(&plan.targets[t].anchor))
                    && ((!kinds.is_empty() && plan.renders_kind_of(t, &kinds))
                        || plan.mentions_image(t, &changed_images)))
        })
        .collect()
}

/// Stage 4: the checks that need no renderer, on what the affected targets read, the
/// changed YAML files themselves, and with no file list every YAML file under `root`
/// (those two only where `--include`/`--exclude` allow). Marks the targets a problem
/// found here already explains as blocked. Returns the files checked.
pub fn check_sources(
    plan: &mut Plan,
    root: &Path,
    changed: Option<&BTreeSet<PathBuf>>,
    filter: &PathFilter,
    checks: &mut Checks,
) -> BTreeSet<PathBuf> {
    let repo_root = plan.repo_root.clone();
    let display = |p: &Path| paths::display(p, &repo_root);
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
        None => plan.yaml_files.iter().collect(),
    };
    files.extend(
        extra
            .into_iter()
            .filter(|f| !plan.helm_templates.contains(*f) && filter.allows(&display(f)))
            .cloned(),
    );
    let flux_read = plan.flux_read_files();
    let uncertain = uncertain_files(plan, &files, &flux_read);
    let broken = checks.check_files(
        &files,
        &plan.patch_files,
        &plan.data_files,
        &flux_read,
        &uncertain,
        &mut plan.sources,
    );
    plan.missing_unjudged = std::mem::take(&mut checks.missing_unjudged);
    plan.orphans = plan.orphans(&flux_read);
    for &k in &plan.affected_kustomizations() {
        let file = &plan.graph.kustomizations[k].file;
        let applied_by_flux = flux_read.contains(file);
        let orphan = plan.orphans.get(file).copied().or_else(|| {
            plan.read_only_by_unapplied(file)
                .then_some(source_checks::NOT_APPLIED)
        });
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
                plan.surely_unapplied(index),
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
    files
}

/// Files whose Flux API findings are warnings, with the reason said after them: where
/// what the hook could not follow may set what they lack.
fn uncertain_files(
    plan: &mut Plan,
    files: &BTreeSet<PathBuf>,
    flux_read: &BTreeSet<PathBuf>,
) -> BTreeMap<PathBuf, &'static str> {
    let mut uncertain = BTreeMap::new();
    // A field missing in a Kustomization that no followed tree applies may be set by the
    // patches of a parent the hook could not render.
    if plan.unfollowed_tree {
        for file in files.iter().filter(|f| !flux_read.contains(*f)) {
            uncertain.insert(file.clone(), source_checks::UNFOLLOWED_PARENT);
        }
    }
    for file in files {
        if !flux_read.contains(file) && plan.ignored_by_own_sources(file) {
            uncertain.insert(file.clone(), source_checks::IGNORED_FILE);
        }
    }
    // Where the repository has cluster trees of its own, a Flux object in a file none of
    // them reaches (only an out-of-band Kustomization, or nothing) is not applied from
    // here: what its API says is a warning, not an error.
    if plan.has_entry_points {
        let reached = plan.reached_by_clusters();
        for file in files {
            if !reached.contains(file) {
                uncertain
                    .entry(file.clone())
                    .or_insert(source_checks::NO_CLUSTER_READS);
            }
        }
    }
    uncertain
}

/// Stage 5: the image automation lint of the sources. Builds the repository-wide index
/// once (kept in the plan for the renders) and returns the findings that need no render;
/// widens the files in scope by the object relations a change touches.
pub fn lint_images(
    plan: &mut Plan,
    yaml_files: &[PathBuf],
    changed: Option<&BTreeSet<PathBuf>>,
    options: &Options,
) -> Vec<Diagnostic> {
    // Only files that can hold what the lint reads: image automation objects,
    // Namespaces (their labels gate cross-namespace policies), GitRepositories,
    // setter markers and `images:` entries. Workloads come from the renders.
    let started = std::time::Instant::now();
    // The changed files as the lint names them, and whether one defines a Namespace.
    let changed_sides = changed.map(|changed| {
        let shown: BTreeSet<String> = changed
            .iter()
            .map(|f| paths::display(f, &plan.repo_root))
            .collect();
        let namespaces = changed.iter().any(|f| {
            plan.sources
                .load(f)
                .text()
                .is_some_and(|t| t.contains("kind: Namespace"))
        });
        (shown, namespaces)
    });
    let relevant: BTreeSet<PathBuf> = yaml_files
        .iter()
        .filter(|file| {
            plan.sources.load(file).text().is_some_and(|text| {
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
        plan.sources.documents(file);
    }
    let shown: Vec<String> = relevant
        .iter()
        .map(|f| paths::display(f, &plan.repo_root))
        .collect();
    let mut files: Vec<guardrails_image_lint::SourceFile<'_>> = relevant
        .iter()
        .zip(&shown)
        .filter_map(|(file, path)| {
            let (text, docs) = plan.sources.parsed(file)?;
            Some(guardrails_image_lint::SourceFile { path, text, docs })
        })
        .collect();
    // The other YAML files still exist: an automation's `update.path` that holds only
    // them covers files, just no markers.
    let others: Vec<String> = yaml_files
        .iter()
        .filter(|f| !relevant.contains(*f))
        .map(|f| paths::display(f, &plan.repo_root))
        .collect();
    files.extend(others.iter().map(|path| guardrails_image_lint::SourceFile {
        path,
        text: "",
        docs: &[],
    }));
    let bootstrap = plan
        .file_repositories
        .iter()
        .find(|r| plan.own_sources.contains(&r.name));
    let other_repositories = plan
        .file_repositories
        .iter()
        .filter(|r| reconcile::other_repository(r, &options.remote_urls, bootstrap).is_some())
        .map(|r| r.name.clone())
        .collect();
    // One model: the image lint decides lanes and namespaces on the Kustomizations the
    // cluster trees apply (a parent's patch may set a child's `targetNamespace`).
    let reconciled = plan
        .flux
        .iter()
        .map(|ks| guardrails_image_lint::ReconciledFlux {
            path: paths::display(&ks.file, &plan.repo_root),
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
        flux: plan.flux_version,
        other_repositories,
        reconciled,
    };
    // The same kustomize model as the renders: every kustomization file of the
    // repository places objects, whether or not it is among the lint's files.
    let layout = guardrails_image_lint::Layout {
        graph: &plan.graph,
        root: &plan.repo_root,
    };
    let index = guardrails_image_lint::Index::build_on(&files, &config, layout);
    // A change re-checks what it can break through object relations too (a renamed
    // ImageRepository and the policies that still name it).
    if let (Some((shown, namespaces_changed)), Some(scope)) =
        (&changed_sides, plan.in_scope.as_mut())
    {
        scope.extend(
            index
                .related_files(shown, *namespaces_changed)
                .into_iter()
                .map(|f| plan.repo_root.join(f)),
        );
    }
    let findings = index.lint_sources();
    drop(files);
    let diagnostics = findings
        .into_iter()
        .filter_map(|finding| plan.image_diagnostic(finding))
        .collect();
    plan.image_index = Some(index);
    plan.image_lint_time += started.elapsed();
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Concatenate, bootstrap, ks, options, write};

    /// A cluster applying two apps, `web` (an overlay over a shared base, with a patch
    /// file) and `api`; and an overlay no cluster applies.
    fn repository(root: &Path) {
        bootstrap(root, "prod");
        write(root, "clusters/prod/web.yaml", &ks("web", "./apps/web", ""));
        write(root, "clusters/prod/api.yaml", &ks("api", "./apps/api", ""));
        write(
            root,
            "apps/web/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: replicas.yaml\n",
        );
        write(
            root,
            "apps/web/replicas.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
        );
        write(
            root,
            "apps/base/kustomization.yaml",
            "resources: [cm.yaml]\n",
        );
        write(
            root,
            "apps/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\n",
        );
        write(
            root,
            "apps/api/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
        );
        write(root, "ci/kustomization.yaml", "resources: [../apps/base]\n");
    }

    fn planned(root: &Path) -> Plan {
        let mut checks = Checks::new(root, &options(root));
        let mut renderer = Concatenate { renders: 0 };
        trees(
            discover(root, root),
            &options(root),
            &mut checks,
            &mut renderer,
        )
        .unwrap()
    }

    fn labels(plan: &Plan, targets: &[usize]) -> BTreeSet<String> {
        targets
            .iter()
            .map(|&t| paths::display(&plan.targets[t].dir, &plan.repo_root))
            .collect()
    }

    #[test]
    fn a_commented_out_setting_is_not_written() {
        assert!(written(
            "args:\n  - --no-remote-bases=true\n",
            "--no-remote-bases=true"
        ));
        assert!(!written(
            "#  - --no-remote-bases=true\n",
            "--no-remote-bases=true"
        ));
        assert!(!written(
            "x: 1 # --no-remote-bases=true\n",
            "--no-remote-bases=true"
        ));
        assert!(written(
            "a: 1\n  multitenant: true # lockdown\n",
            "multitenant: true"
        ));
    }

    #[test]
    fn discovery_reads_the_kustomize_model_and_the_flux_objects_written_in_files() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        repository(&root);
        let discovered = discover(&root, &root);
        let mut names: Vec<&str> = discovered
            .kustomizations
            .iter()
            .map(|ks| ks.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["api", "flux-system", "web"]);
        // apps/web, apps/base, ci: `apps/api` and `clusters/prod` have no kustomization.
        assert_eq!(discovered.graph.kustomizations.len(), 3);
        assert_eq!(
            discovered.patch_files,
            BTreeSet::from([root.join("apps/web/replicas.yaml")])
        );
        assert!(!discovered.remote_bases_forbidden);
    }

    #[test]
    fn a_change_affects_the_builds_that_read_it_and_nothing_else() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        repository(&root);
        let mut plan = planned(&root);
        let filter = PathFilter::new(&[], &[]).unwrap();
        let base = BTreeSet::from([root.join("apps/base/cm.yaml")]);
        let affected_by_base = affected(&mut plan, Some(&base), &filter);
        assert_eq!(
            labels(&plan, &affected_by_base),
            BTreeSet::from(["apps/web".to_owned(), "ci".to_owned()])
        );
        let api = BTreeSet::from([root.join("apps/api/cm.yaml")]);
        let affected_by_api = affected(&mut plan, Some(&api), &filter);
        assert_eq!(
            labels(&plan, &affected_by_api),
            BTreeSet::from(["apps/api".to_owned()])
        );
        // The file defining a Flux Kustomization decides its build too.
        let definition = BTreeSet::from([root.join("clusters/prod/api.yaml")]);
        let affected_by_definition = affected(&mut plan, Some(&definition), &filter);
        assert!(labels(&plan, &affected_by_definition).contains("apps/api"));
        // --exclude keeps a build out even when it reads the change.
        let filter = PathFilter::new(&[], &["ci/**".to_owned()]).unwrap();
        let filtered = affected(&mut plan, Some(&base), &filter);
        assert_eq!(
            labels(&plan, &filtered),
            BTreeSet::from(["apps/web".to_owned()])
        );
    }

    #[test]
    fn a_source_problem_blocks_the_builds_it_explains_and_no_other() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        repository(&root);
        write(
            &root,
            "apps/base/cm.yaml",
            "apiVersion: v1\nkind: [ConfigMap\n",
        );
        let mut plan = planned(&root);
        let filter = PathFilter::new(&[], &[]).unwrap();
        plan.affected = affected(&mut plan, None, &filter);
        let mut checks = Checks::new(&root, &options(&root));
        let files = check_sources(&mut plan, &root, None, &filter, &mut checks);
        assert!(files.contains(&root.join("apps/base/cm.yaml")));
        assert!(
            checks
                .diagnostics
                .iter()
                .any(|d| d.code == codes::YAML_SYNTAX),
            "{:?}",
            checks.diagnostics
        );
        let blocked: Vec<usize> = (0..plan.targets.len())
            .filter(|&t| plan.targets[t].blocked)
            .collect();
        assert_eq!(
            labels(&plan, &blocked),
            BTreeSet::from(["apps/web".to_owned(), "ci".to_owned()])
        );
    }
}
