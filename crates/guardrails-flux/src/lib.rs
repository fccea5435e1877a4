//! `flux-kustomize-validate`: find the kustomize overlays and Flux Kustomizations a change
//! affects, render them the way kustomize-controller would, and validate what they load
//! and what they render.
//!
//! Rendering always shells out to `kustomize build` or `kubectl kustomize`; this crate
//! never reimplements kustomize. It reads the repository and writes only to its cache
//! directory and private temporary directories: never to the user's tree. It never prints
//! and never exits; findings come back as a [`Report`].

mod artifacts;
mod batch;
mod build_failure;
pub mod cache;
pub mod codes;
mod discover;
mod error;
pub mod flux;
mod flux_build;
pub mod flux_release;
mod job;
mod options;
pub mod paths;
mod pipeline;
mod plan;
mod reconcile;
pub mod render;
mod rendered;
mod source_checks;
mod sourceignore;
mod sources;
mod stats;
#[cfg(test)]
mod test_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::Error;
pub use flux_release::at_least;
pub use guardrails_flux_api::FluxVersion;
/// Codes of the Flux API checks (schema, API versions).
pub use guardrails_flux_api::codes as api_codes;
pub use guardrails_image_lint::Lane;
use guardrails_report::Report;
pub use options::Options;
pub use render::{Renderer, RendererChoice};
pub use stats::{Stats, checked, summary};

/// The findings and the numbers of one run.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub stats: Stats,
    /// The files this run checked as a whole (every file read with `--all` or no file
    /// list, else the changed files; never what --include/--exclude leave out): where an
    /// inline suppression that silenced nothing is known to be unused.
    pub scanned: Vec<guardrails_report::SourceFile>,
    /// The tags setter markers pin (what `--include`/`--exclude` leave in), with their
    /// lanes and images: what promotion lineage checks.
    pub pins: Vec<guardrails_image_lint::Pin>,
}

/// Validates what `options` select.
pub fn validate(options: &Options) -> Result<Outcome, Error> {
    let started = Instant::now();
    let (repo_root, root, filter) = scope(options)?;
    let changed: Option<BTreeSet<PathBuf>> =
        (!options.all && !options.files.is_empty()).then(|| {
            options
                .files
                .iter()
                .map(|f| absolute(f, &repo_root))
                .collect()
        });

    let mut report = Report::default();
    let mut stats = Stats {
        // What is scanned, said with --verbose: a root outside the repository (or `/`)
        // is shown whole.
        root: match root.strip_prefix(&repo_root) {
            Ok(inside) if inside.as_os_str().is_empty() => "the repository".to_owned(),
            Ok(inside) => inside.display().to_string(),
            Err(_) => root.display().to_string(),
        },
        ..Stats::default()
    };
    let mut pool = Pool::new(options, &repo_root);
    let mut plan = pipeline::prepare(
        &repo_root,
        &root,
        changed.as_ref(),
        &filter,
        options,
        &mut pool,
        &mut report,
    )?;
    let pins = pins_in(&plan, &filter);
    stats.kustomizations = plan.graph.kustomizations.len();
    stats.flux_kustomizations = plan.flux.len();
    stats.targets = plan.targets.len();
    stats.affected = plan.affected.len();
    stats.skipped_empty = plan.skipped_empty.clone();
    stats.image_lint = plan.image_lint_time;
    stats.rendered = plan.render_stats.rendered;
    stats.from_cache = plan.render_stats.from_cache;
    stats.renderer_time = plan.render_stats.renderer_time;
    stats.flux_version = Some(plan.flux_version_origin.clone());
    stats.clusters = plan.clusters.iter().map(|c| c.name.clone()).collect();

    stats.rendering = plan.render_stats.rendering;
    let jobs = plan.jobs_to_render();
    // Renders made while the cluster trees were built are rendering, not preparation.
    stats.preparation = started.elapsed().saturating_sub(stats.rendering);
    if !jobs.is_empty() {
        let render_started = Instant::now();
        let image_index = plan.image_index.take();
        let schemas = std::mem::take(&mut plan.schemas);
        let salt = reconcile::WaveRenderer::key_salt(&mut pool)?;
        let work = plan.render_work(&jobs, &salt);
        let context = pool.context(image_index.as_ref(), &schemas)?;
        rendered::run(&context, work, options.jobs.max(1), |result| {
            rendered::absorb(&mut plan, Some(&context), result, &mut report, &mut stats)
        });
        rendered::report_owners(&mut plan, &mut report);
        stats.rendering += render_started.elapsed();
    }
    if let Some(cache) = &pool.cache {
        cache.prune();
        stats.cache_discarded = cache.discarded();
    }
    stats.renderer = pool
        .renderer
        .as_ref()
        .map(|r| r.program.display().to_string());
    stats.renderer_version = pool.version.clone();
    dedupe(&mut report);
    report.sort_by_location();
    let scanned = plan
        .sources
        .loaded()
        .filter(|(path, _)| {
            changed
                .as_ref()
                .is_none_or(|changed| changed.contains(*path))
        })
        // What --include/--exclude leave out was not checked.
        .filter(|(_, file)| filter.allows(&file.path.to_string_lossy()))
        .map(|(_, file)| file.clone())
        .collect();
    stats.total = started.elapsed();
    Ok(Outcome {
        report,
        stats,
        scanned,
        pins,
    })
}

/// The repository's top level and the discovery root (both canonical) and the path filter
/// of `options`.
fn scope(options: &Options) -> Result<(PathBuf, PathBuf, plan::PathFilter), Error> {
    let repo_root = options
        .repo_root
        .canonicalize()
        .map_err(|source| Error::Root {
            path: options.repo_root.clone(),
            source,
        })?;
    let root = options.root.canonicalize().map_err(|source| Error::Root {
        path: options.root.clone(),
        source,
    })?;
    // A file given as the root would be walked as an empty tree: nothing checked, exit 0.
    if !root.is_dir() {
        return Err(Error::Root {
            path: options.root.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let filter = plan::PathFilter::new(&options.include, &options.exclude)?;
    Ok((repo_root, root, filter))
}

/// Every pin of the files `options` select, as a run over all of them reads it (lanes
/// and images decided on the Kustomizations Flux applies), without rendering a build:
/// what the promotion history follows.
pub fn pins(options: &Options) -> Result<Vec<guardrails_image_lint::Pin>, Error> {
    let (repo_root, root, filter) = scope(options)?;
    let mut pool = Pool::new(options, &repo_root);
    let mut report = Report::default();
    let plan = pipeline::prepare(
        &repo_root,
        &root,
        None,
        &filter,
        options,
        &mut pool,
        &mut report,
    )?;
    Ok(pins_in(&plan, &filter))
}

/// The pins the plan's image index found, in the files `filter` lets through.
fn pins_in(plan: &plan::Plan, filter: &plan::PathFilter) -> Vec<guardrails_image_lint::Pin> {
    plan.image_index
        .as_ref()
        .map(guardrails_image_lint::Index::pins)
        .unwrap_or_default()
        .into_iter()
        .filter(|pin| filter.allows(&pin.path))
        .collect()
}

/// The same finding from several renders (two clusters building one base) is one, listing
/// everything it breaks. Where one of those renders is applied by no cluster (a warning)
/// and another by a cluster (an error), it is the error.
fn dedupe(report: &mut Report) {
    let without_reason = |message: &str| {
        source_checks::UNAPPLIED_REASONS
            .iter()
            .find_map(|why| message.strip_suffix(why))
            .map(str::to_owned)
    };
    for list in [&mut report.diagnostics, &mut report.notes] {
        let mut first: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
        let mut kept: Vec<guardrails_report::Diagnostic> = Vec::with_capacity(list.len());
        for d in list.drain(..) {
            let key = (
                d.code,
                d.file().map(ToOwned::to_owned),
                d.location().map(|l| (l.line, l.column)),
                without_reason(&d.message).unwrap_or_else(|| d.message.clone()),
            );
            match first.get(&key) {
                Some(&at) => {
                    let kept = &mut kept[at];
                    if d.severity < kept.severity && without_reason(&kept.message).is_some() {
                        kept.severity = d.severity;
                        kept.message = d.message.clone();
                    }
                    for what in d.breaks {
                        if !kept.breaks.contains(&what) {
                            kept.breaks.push(what);
                        }
                    }
                }
                None => {
                    first.insert(key, kept.len());
                    kept.push(d);
                }
            }
        }
        *list = kept;
    }
}

/// The renderer pool behind reconciliation and the checks: finds the renderer when the
/// first render is needed, asks its version once, and holds the render cache.
struct Pool<'a> {
    options: &'a Options,
    repo_root: PathBuf,
    renderer: Option<Renderer>,
    version: Option<String>,
    cache: Option<cache::RenderCache>,
}

impl<'a> Pool<'a> {
    fn new(options: &'a Options, repo_root: &Path) -> Self {
        Pool {
            options,
            repo_root: repo_root.to_path_buf(),
            renderer: None,
            version: None,
            cache: options.cache_dir.as_deref().map(cache::RenderCache::new),
        }
    }

    fn renderer(&mut self) -> Result<&Renderer, Error> {
        if self.renderer.is_none() {
            let renderer = Renderer::detect(self.options.renderer)?;
            // The version is part of the cache key; without a cache it is only worth the
            // extra process when someone reads it.
            let version = if self.cache.is_some() || self.options.want_renderer_version {
                renderer.version(self.cache.as_ref().map(cache::RenderCache::dir))
            } else {
                "unknown".to_owned()
            };
            self.version = Some(version);
            self.renderer = Some(renderer);
        }
        self.renderer.as_ref().ok_or_else(unreachable_renderer)
    }

    fn context<'c>(
        &'c mut self,
        image_index: Option<&'c guardrails_image_lint::Index>,
        schemas: &'c guardrails_flux_api::kubernetes::Schemas,
    ) -> Result<job::RenderContext<'c>, Error> {
        self.renderer()?;
        let renderer = self.renderer.as_ref().ok_or_else(unreachable_renderer)?;
        Ok(job::RenderContext {
            renderer,
            repo_root: &self.repo_root,
            image_index,
            schemas,
            cache: self.cache.as_ref(),
            timeout: self.options.timeout,
        })
    }
}

fn unreachable_renderer() -> Error {
    Error::Renderer(render::RendererError::NotFound)
}

impl reconcile::WaveRenderer for Pool<'_> {
    fn key_salt(&mut self) -> Result<String, Error> {
        let name = self.renderer()?.name();
        Ok(format!(
            "{name}\0{}",
            self.version.as_deref().unwrap_or("unknown")
        ))
    }

    fn render(&mut self, work: Vec<job::Work>) -> Result<Vec<job::RenderResult>, Error> {
        let jobs = self.options.jobs.max(1);
        // Tree renders are checked later, with the schemas the plan collected.
        let schemas = guardrails_flux_api::kubernetes::Schemas::new();
        let context = self.context(None, &schemas)?;
        let mut results = Vec::with_capacity(work.len());
        rendered::run(&context, work, jobs, |result| results.push(result));
        Ok(results)
    }
}

fn absolute(path: &Path, repo_root: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| repo_root.to_path_buf())
            .join(path)
    };
    // Canonicalise the directory part so `./x.yaml` and symlinked checkouts compare
    // equal to the walk's paths; a deleted file keeps its lexical path.
    match (joined.parent(), joined.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map(|p| p.join(name))
            .unwrap_or_else(|_| paths::normalize(&joined)),
        _ => paths::normalize(&joined),
    }
}

/// Files changed between two commits, as `git diff --name-only` lists them (deletions
/// included: deleting a file a kustomization loads is a change that breaks it).
pub fn changed_files(repo_root: &Path, from: &str, to: &str) -> Result<Vec<PathBuf>, String> {
    let output = duct::cmd!(
        "git",
        "diff",
        "--name-only",
        "-z",
        "--no-renames",
        from,
        to,
        "--"
    )
    .dir(repo_root)
    .stdin_null()
    .stderr_capture()
    .stdout_capture()
    .unchecked()
    .run()
    .map_err(|e| format!("cannot run git diff: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git diff {from} {to} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| repo_root.join(String::from_utf8_lossy(p).as_ref()))
        .collect())
}
