//! What a run is asked to do.

use std::path::PathBuf;
use std::time::Duration;

use crate::render::RendererChoice;
use guardrails_flux_api::FluxVersion;

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
