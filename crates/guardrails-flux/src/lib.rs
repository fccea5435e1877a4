//! `flux-kustomize-validate`: find the kustomize overlays and Flux Kustomizations a change
//! affects, render them the way kustomize-controller would, and validate what they load
//! and what they render.
//!
//! Rendering always shells out to `kustomize build` or `kubectl kustomize`; this crate
//! never reimplements kustomize. It reads the repository and writes only to its cache
//! directory and private temporary directories: never to the user's tree. It never prints
//! and never exits; findings come back as a [`Report`].

mod batch;
pub mod cache;
pub mod codes;
mod discover;
pub mod flux;
mod graph;
pub mod kustomization;
pub mod paths;
mod plan;
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
    pub flux_version: FluxVersion,
    /// Where renders are cached; `None` turns the cache off.
    pub cache_dir: Option<PathBuf>,
    /// A renderer running longer than this is killed and reported.
    pub timeout: Duration,
    /// URLs of the repository's git remotes: a Flux GitRepository with another URL is
    /// another repository, whose paths cannot be checked here.
    pub remote_urls: Vec<String>,
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
    pub rendered: usize,
    pub from_cache: usize,
    pub skipped_empty: Vec<String>,
    pub renderer: Option<String>,
    pub renderer_version: Option<String>,
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
    let mut plan = plan::Plan::prepare(
        &repo_root,
        &root,
        changed.as_ref(),
        &filter,
        options,
        &mut report,
    );
    stats.kustomizations = plan.graph.kustomizations.len();
    stats.flux_kustomizations = plan.flux.len();
    stats.targets = plan.targets.len();
    stats.affected = plan.affected.len();
    stats.skipped_empty = plan.skipped_empty.clone();
    stats.image_lint = plan.image_lint_time;

    let jobs = plan.jobs_to_render();
    stats.preparation = started.elapsed();
    if !jobs.is_empty() {
        let renderer = Renderer::detect(options.renderer)?;
        let cache = options.cache_dir.as_deref().map(cache::RenderCache::new);
        // The version is part of the cache key; without a cache it is only worth the
        // extra process when someone reads it.
        let version = if cache.is_some() || options.want_renderer_version {
            renderer.version(cache.as_ref().map(cache::RenderCache::dir))
        } else {
            "unknown".to_owned()
        };
        stats.renderer = Some(renderer.program.display().to_string());
        stats.renderer_version = Some(version.clone());
        let render_started = Instant::now();
        let image_index = plan.image_index.take();
        let context = rendered::RenderContext {
            image_index: image_index.as_ref(),
            renderer: &renderer,
            renderer_version: &version,
            cache: cache.as_ref(),
            timeout: options.timeout,
        };
        let work = plan.render_work(&jobs, &context);
        rendered::run(&context, work, options.jobs.max(1), |result| {
            plan.absorb(result, &mut report, &mut stats, options)
        });
        stats.rendering = render_started.elapsed();
        if let Some(cache) = &cache {
            cache.prune();
        }
    }
    report.diagnostics.sort_by(|a, b| {
        (a.file(), a.location().map(|l| (l.line, l.column)))
            .cmp(&(b.file(), b.location().map(|l| (l.line, l.column))))
    });
    stats.total = started.elapsed();
    Ok(Outcome { report, stats })
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
pub fn summary(stats: &Stats) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut text = format!(
        "{} kustomizations, {} Flux Kustomizations, {} render targets; {} affected, {} rendered ({} from cache)",
        stats.kustomizations,
        stats.flux_kustomizations,
        stats.targets,
        stats.affected,
        stats.rendered,
        stats.from_cache,
    );
    if let (Some(renderer), Some(version)) = (&stats.renderer, &stats.renderer_version) {
        text.push_str(&format!("; renderer {renderer} (kustomize {version})"));
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
