//! flux-kustomize-validate's promotion lineage step: which pins a run checks, from its
//! mode (the changed files, `--all`, a `--from-ref`/`--to-ref` range), and the history
//! audit of `--promotion-history` ([`history`]).

pub mod history;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use guardrails_image_lint::{Lane, Pin};
use guardrails_promotion::{Edge, Identity, Options, Scope};
use guardrails_report::Report;

use crate::args::FluxValidate;

/// The most commits one lineage walk visits: far beyond any promotion history a hook is
/// asked about, and a bound on the time a run can take.
const COMMIT_LIMIT: usize = 200_000;

/// Runs the lineage check for a run of `cli` with `flux` options whose validation found
/// `pins`. The files are the changed files the run was given (absolute or relative to the
/// current directory); `range` the commits a CI or pre-push run spans.
pub fn check(
    cli: &FluxValidate,
    repo: &gix::Repository,
    flux: &guardrails_flux::Options,
    pins: &[Pin],
    range: Option<(&str, &str)>,
) -> Result<Report, String> {
    let (repo_root, files) = (&flux.repo_root, &flux.files);
    let scope = if cli.all {
        Scope::All
    } else if let Some((from, to)) = range {
        range_scope(repo, from, to)?
    } else if files.is_empty() {
        Scope::All
    } else {
        Scope::Changed(relative(files, repo_root))
    };
    let options = options(cli, &flux.lanes, scope, flux.cache_dir.as_deref())?;
    guardrails_promotion::check(repo, repo_root, pins, &options).map_err(|e| e.to_string())
}

/// The commits between `from` and `to`.
fn range_scope(repo: &gix::Repository, from: &str, to: &str) -> Result<Scope, String> {
    let resolve = |name: &str| {
        repo.rev_parse_single(name)
            .map(|id| id.detach())
            .map_err(|e| format!("cannot resolve `{name}`: {e}"))
    };
    Ok(Scope::Range {
        from: resolve(from)?,
        to: resolve(to)?,
    })
}

/// What the lineage rule needs from the command line.
fn options(
    cli: &FluxValidate,
    lanes: &[Lane],
    scope: Scope,
    render_cache: Option<&Path>,
) -> Result<Options, String> {
    let identity = match &cli.artifact_id {
        Some(pattern) => Identity::with_pattern(pattern).map_err(|e| e.to_string())?,
        None => Identity::default(),
    };
    Ok(Options {
        edges: if cli.promote.is_empty() {
            Edge::defaults()
        } else {
            cli.promote.clone()
        },
        lanes: lanes.to_vec(),
        identity,
        scope,
        commit_limit: COMMIT_LIMIT,
        // Next to the render cache (`<git dir>/gitops-guardrails/`); off with --no-cache.
        cache_dir: render_cache
            .and_then(Path::parent)
            .map(|dir| dir.join("promotion")),
    })
}

/// Repository-relative, `/`-separated paths of `files`.
fn relative(files: &[PathBuf], repo_root: &Path) -> BTreeSet<String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let roots = [
        repo_root.to_path_buf(),
        repo_root
            .canonicalize()
            .unwrap_or_else(|_| repo_root.to_path_buf()),
    ];
    files
        .iter()
        .filter_map(|file| {
            let absolute = if file.is_absolute() {
                file.clone()
            } else {
                cwd.join(file)
            };
            let canonical = absolute.canonicalize().ok();
            roots.iter().find_map(|root| {
                [Some(&absolute), canonical.as_ref()]
                    .into_iter()
                    .flatten()
                    .find_map(|path| path.strip_prefix(root).ok())
                    .map(|inside| inside.to_string_lossy().replace('\\', "/"))
            })
        })
        .collect()
}
