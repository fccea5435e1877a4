//! What a run did: counts and times, and the lines that say them.

use std::time::Duration;

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
    /// What was scanned: `the repository`, a directory in it, or a path outside it.
    pub root: String,
    /// Damaged render-cache entries found, discarded and rebuilt.
    pub cache_discarded: usize,
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
        "scanned {}: {} kustomizations, {} Flux Kustomizations, {} render targets; {} affected, {} checked, {} rendered ({} from the cache or shared with an identical build)",
        stats.root,
        stats.kustomizations,
        stats.flux_kustomizations,
        stats.targets,
        stats.affected,
        stats.checked,
        stats.rendered,
        stats.from_cache,
    );
    if stats.cache_discarded > 0 {
        text.push_str(&format!(
            "; {} damaged cache entr{} discarded and rebuilt",
            stats.cache_discarded,
            if stats.cache_discarded == 1 {
                "y"
            } else {
                "ies"
            }
        ));
    }
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
