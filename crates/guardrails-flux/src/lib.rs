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
pub mod flux;
mod flux_build;
pub mod flux_release;
pub mod paths;
mod plan;
mod reconcile;
pub mod render;
mod rendered;
mod source_checks;
mod sourceignore;
mod sources;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use guardrails_flux_api::FluxVersion;
/// Codes of the Flux API checks (schema, API versions).
pub use guardrails_flux_api::codes as api_codes;
pub use guardrails_image_lint::Lane;
use guardrails_report::Report;
pub use render::{Renderer, RendererChoice};

/// What to validate and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository's top level: Flux `spec.path` is relative to it, and no input may
    /// leave it.
    pub repo_root: PathBuf,
    /// Where discovery starts (defaults to `repo_root`).
    pub root: PathBuf,
    /// Changed files; empty means every kustomization.
    pub files: Vec<PathBuf>,
    pub all: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub renderer: RendererChoice,
    pub jobs: usize,
    pub allow_remote_bases: bool,
    /// The Flux release to mirror; `None`: the one the repository declares, else the
    /// newest known.
    pub flux_version: Option<FluxVersion>,
    /// Where renders are cached; `None` turns the cache off.
    pub cache_dir: Option<PathBuf>,
    /// A renderer running longer than this is killed and reported.
    pub timeout: Duration,
    /// URLs of the repository's git remotes: a Flux GitRepository with another URL is
    /// another repository, whose paths cannot be checked here.
    pub remote_urls: Vec<String>,
    /// The branch the checkout has checked out: a GitRepository of this repository on
    /// another branch holds other content.
    pub current_branch: Option<String>,
    /// Ask the renderer for its kustomize version even without a cache (for `--verbose`).
    pub want_renderer_version: bool,
    /// Promotion lanes and the tag prefix of each, for the image automation lint.
    pub lanes: Vec<guardrails_image_lint::Lane>,
}

/// Why validation could not run at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the root directory {path}: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid glob `{glob}`: {source}")]
    Glob {
        glob: String,
        source: globset::Error,
    },
    #[error(transparent)]
    Renderer(#[from] render::RendererError),
}

/// Counts and timings of one run, shown with `--verbose` and used by the benchmarks.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub kustomizations: usize,
    pub flux_kustomizations: usize,
    pub targets: usize,
    pub affected: usize,
    /// Renders made (renderer runs and cache hits), for the checks and for the trees.
    pub rendered: usize,
    pub from_cache: usize,
    /// Renders whose output was checked (the affected builds).
    pub checked: usize,
    /// Of those, overlays built on their own, and builds of Flux Kustomizations.
    pub checked_overlays: usize,
    pub checked_flux: usize,
    pub skipped_empty: Vec<String>,
    pub renderer: Option<String>,
    pub renderer_version: Option<String>,
    /// The Flux release mirrored, and where it was read.
    pub flux_version: Option<String>,
    pub clusters: Vec<String>,
    /// Walking, parsing and graph work before the first render.
    pub preparation: Duration,
    /// Wall time of the render phase (renders and the checks of their output).
    pub rendering: Duration,
    /// Time spent inside renderer processes, all workers together.
    pub renderer_time: Duration,
    /// Time spent parsing and checking renders, all workers together.
    pub checking: Duration,
    /// Time spent in the image automation lint (sources and renders).
    pub image_lint: Duration,
    pub total: Duration,
}

/// The findings and the numbers of one run.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub stats: Stats,
}

/// Validates what `options` select.
pub fn validate(options: &Options) -> Result<Outcome, Error> {
    let started = Instant::now();
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
    let filter = plan::PathFilter::new(&options.include, &options.exclude)?;
    let changed: Option<BTreeSet<PathBuf>> =
        (!options.all && !options.files.is_empty()).then(|| {
            options
                .files
                .iter()
                .map(|f| absolute(f, &repo_root))
                .collect()
        });

    let mut report = Report::default();
    let mut stats = Stats::default();
    let mut pool = Pool::new(options, &repo_root);
    let mut plan = plan::Plan::prepare(
        &repo_root,
        &root,
        changed.as_ref(),
        &filter,
        options,
        &mut pool,
        &mut report,
    )?;
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
            plan.absorb(Some(&context), result, &mut report, &mut stats)
        });
        rendered::report_owners(&mut plan, &mut report);
        stats.rendering += render_started.elapsed();
    }
    if let Some(cache) = &pool.cache {
        cache.prune();
    }
    stats.renderer = pool
        .renderer
        .as_ref()
        .map(|r| r.program.display().to_string());
    stats.renderer_version = pool.version.clone();
    dedupe(&mut report);
    report.diagnostics.sort_by(|a, b| {
        (a.file(), a.location().map(|l| (l.line, l.column)))
            .cmp(&(b.file(), b.location().map(|l| (l.line, l.column))))
    });
    stats.total = started.elapsed();
    Ok(Outcome { report, stats })
}

/// The same finding from several renders (two clusters building one base) is one, listing
/// everything it breaks.
fn dedupe(report: &mut Report) {
    for list in [&mut report.diagnostics, &mut report.notes] {
        let mut first: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
        let mut kept: Vec<guardrails_report::Diagnostic> = Vec::with_capacity(list.len());
        for d in list.drain(..) {
            let key = (
                d.code,
                d.file().map(ToOwned::to_owned),
                d.location().map(|l| (l.line, l.column)),
                d.message.clone(),
            );
            match first.get(&key) {
                Some(&at) => {
                    for what in d.breaks {
                        if !kept[at].breaks.contains(&what) {
                            kept[at].breaks.push(what);
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
    ) -> Result<rendered::RenderContext<'c>, Error> {
        self.renderer()?;
        let renderer = self.renderer.as_ref().ok_or_else(unreachable_renderer)?;
        Ok(rendered::RenderContext {
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

    fn render(&mut self, work: Vec<rendered::Work>) -> Result<Vec<rendered::RenderResult>, Error> {
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

/// Whether the target Flux release is `major.minor` or newer.
pub fn at_least(version: FluxVersion, major: u32, minor: u32) -> bool {
    (version.major, version.minor) >= (major, minor)
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

/// One paragraph for `--verbose`: what was found, rendered and how long it took.
/// What a run checked, for the last line of people's output:
/// `41 overlays and 12 Flux Kustomizations checked in 1.2 s`.
pub fn checked(stats: &Stats) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let what = match (stats.checked_overlays, stats.checked_flux) {
        (0, 0) => "nothing affected".to_owned(),
        (overlays, 0) => plural(overlays, "overlay"),
        (0, flux) => plural(flux, "Flux Kustomization"),
        (overlays, flux) => format!(
            "{} and {}",
            plural(overlays, "overlay"),
            plural(flux, "Flux Kustomization")
        ),
    };
    format!("{what} checked in {:.1} s", stats.total.as_secs_f64())
}

pub fn summary(stats: &Stats) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut text = format!(
        "{} kustomizations, {} Flux Kustomizations, {} render targets; {} affected, {} checked, {} rendered ({} from the cache or shared with an identical build)",
        stats.kustomizations,
        stats.flux_kustomizations,
        stats.targets,
        stats.affected,
        stats.checked,
        stats.rendered,
        stats.from_cache,
    );
    if let (Some(renderer), Some(version)) = (&stats.renderer, &stats.renderer_version) {
        text.push_str(&format!("; renderer {renderer} (kustomize {version})"));
    }
    if let Some(flux) = &stats.flux_version {
        text.push_str(&format!("; Flux {flux}"));
    }
    if !stats.clusters.is_empty() {
        text.push_str(&format!("; clusters: {}", stats.clusters.join(", ")));
    }
    if !stats.skipped_empty.is_empty() {
        text.push_str(&format!(
            "; skipped empty: {}",
            stats.skipped_empty.join(", ")
        ));
    }
    text.push_str(&format!(
        "; {:.1} ms total: {:.1} ms discovery and graph, {:.1} ms rendering ({:.1} ms inside the renderer and {:.1} ms checking renders, all workers); {:.1} ms image automation lint",
        ms(stats.total),
        ms(stats.preparation),
        ms(stats.rendering),
        ms(stats.renderer_time),
        ms(stats.checking),
        ms(stats.image_lint),
    ));
    text
}
