//! The command lines of the three hooks: their options, documented where they are declared.
//! The binaries parse them; the configuration file takes the same options (see
//! [`crate::config`]), so both come from here.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::cli::{ConfigArgs, HookArgs, OutputArgs};

/// Refuse commits, merges and pushes onto protected branches.
///
/// Without --branch, --pattern or --protected, `main` and `master` are protected.
#[derive(Debug, Parser)]
#[command(name = "master-check", version)]
pub struct MasterCheck {
    /// Protect this exact branch name (repeatable).
    #[arg(long = "branch", short = 'b', value_name = "NAME")]
    pub branches: Vec<String>,

    /// Protect branches whose whole name matches this glob, e.g. `release/*` (repeatable;
    /// `*` stops at `/`, `**` does not).
    #[arg(long = "pattern", short = 'p', value_name = "GLOB")]
    pub patterns: Vec<String>,

    /// Same as --pattern; accepted so existing `--protected=main` configurations keep working.
    #[arg(long = "protected", value_name = "GLOB")]
    pub protected: Vec<String>,

    /// Also refuse the first commit of a repository on an unborn protected branch.
    #[arg(long)]
    pub block_initial_commit: bool,

    /// Let merge commits onto protected branches through.
    #[arg(long)]
    pub allow_merge: bool,

    #[command(flatten)]
    pub hook: HookArgs,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Refuse to rewrite commits a remote already has: amend, rebase, force-push.
///
/// A commit is public when a remote-tracking branch (`refs/remotes/<remote>/<branch>`)
/// reaches it. Without --remote or --public, every remote branch counts.
#[derive(Debug, Parser)]
#[command(name = "prevent-amend-after-push", version)]
pub struct PreventAmend {
    /// Only this remote's branches make commits public (repeatable).
    #[arg(long = "remote", value_name = "NAME")]
    pub remotes: Vec<String>,

    /// Only remote branches matching this glob (against `<remote>/<branch>`, e.g.
    /// `origin/main`, `origin/release/*`) make commits public (repeatable).
    #[arg(long = "public", value_name = "GLOB")]
    pub public: Vec<String>,

    /// Do not remember the remote branches' highest commit-graph generation in
    /// `<git dir>/gitops-guardrails/` (recompute it every run).
    #[arg(long)]
    pub no_cache: bool,

    #[command(flatten)]
    pub hook: HookArgs,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Render every kustomization a change affects, the way Flux's kustomize-controller
/// builds it, and validate what it loads and renders.
///
/// With FILES (what pre-commit passes), only overlays and Flux Kustomizations that load
/// one of them, directly or through bases and components, are rendered. With no files or
/// --all, every one is.
#[derive(Debug, Parser)]
#[command(name = "flux-kustomize-validate", version)]
pub struct FluxValidate {
    /// Changed files (relative to the current directory).
    pub files: Vec<PathBuf>,

    /// Validate every kustomization, whatever the file list says.
    #[arg(long)]
    pub all: bool,

    /// Bound discovery to this directory (default: the repository's top level).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Only overlays and files under paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip overlays and files under paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// The renderer: `kustomize build` when kustomize is on PATH, else `kubectl kustomize`.
    #[arg(long, value_enum, default_value_t = RendererArg::Auto)]
    pub renderer: RendererArg,

    /// Renders run in parallel (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Allow remote bases (URLs, `github.com/...`) in `resources`; they are fetched at
    /// render time.
    #[arg(long)]
    pub allow_remote_bases: bool,

    /// Mirror this Flux release (e.g. 2.7): removed API versions, strict substitution.
    /// Default: the release the repository declares (`gotk-components.yaml`'s
    /// `# Flux Version` header, a FluxInstance's `spec.distribution.version`), else the
    /// newest known; `--verbose` says which.
    #[arg(long, value_name = "X.Y")]
    pub flux_version: Option<guardrails_flux::FluxVersion>,

    /// A promotion lane and the tag prefix its ImagePolicy selects (repeatable; replaces
    /// the defaults develop=develop-, staging=staging-, production=production-).
    #[arg(long = "lane", value_name = "NAME=TAG_PREFIX")]
    pub lanes: Vec<guardrails_flux::Lane>,

    /// A promotion edge: lane TO runs only artifacts lane FROM pinned first (repeatable;
    /// replaces the default staging=production, e.g. develop=staging when develop builds
    /// are retagged for staging).
    #[arg(long = "promote", value_name = "FROM=TO")]
    pub promote: Vec<guardrails_promotion::Edge>,

    /// Where a tag names its artifact, for tag schemes without a commit sha segment: a
    /// regular expression with a group `id`, e.g. `-build\.(?P<id>\d+)$`.
    #[arg(long, value_name = "REGEX")]
    pub artifact_id: Option<String>,

    /// Instead of validating, list every change of every lane's pins along the history
    /// (with --from-ref/--to-ref, the changes of that range), each with the commit where
    /// the lane before pinned its artifact: a table per lane, one JSON object per change
    /// (`--format json`), or a pull request's promotion evidence (`--format markdown`).
    #[arg(long)]
    pub promotion_history: bool,

    /// Do not read or write the render cache, nor the promotion lineage's index of pin
    /// changes (then each run walks the whole history).
    #[arg(long)]
    pub no_cache: bool,

    /// Kill and report a render that runs longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,

    /// Validate the files changed between two commits (CI); pre-commit passes them itself.
    #[arg(long, value_name = "REF", requires = "to_ref")]
    pub from_ref: Option<String>,

    #[arg(long, value_name = "REF", requires = "from_ref")]
    pub to_ref: Option<String>,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RendererArg {
    Auto,
    Kustomize,
    Kubectl,
}
