//! `flux-kustomize-validate`: render and validate the kustomize overlays and Flux
//! Kustomizations that a change affects.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use gitops_guardrails::args::{FluxValidate, RendererArg};
use gitops_guardrails::cli;
use guardrails_context::{Client, Environment, HookContext, Invocation, Stage};
use guardrails_flux::{Options, RendererChoice};
use guardrails_report::Diagnostic;

fn main() -> ExitCode {
    let (cli, output) = match gitops_guardrails::config::parse::<FluxValidate>() {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let env = Environment::from_process();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let repo = guardrails_git::open(&cwd).ok();
    let workspace = repo.as_ref().and_then(guardrails_git::Workspace::of);
    let repo_root = workspace
        .as_ref()
        .map_or_else(|| cwd.clone(), |w| w.top_level.clone());
    let cache_dir = (!cli.no_cache)
        .then(|| cache_dir(workspace.as_ref(), &env))
        .flatten();

    let mut files = cli.files.clone();
    // pre-commit and prek never pass deleted files: a commit (or push) that deletes or
    // renames a file an entry names is caught only if the hook reads the deletions itself.
    // The manifest runs the hook whatever changed (`always_run`), so that a commit deleting
    // YAML files and changing nothing else still reaches it, with no files to check.
    let framework = framework_run(&env);
    // A push a framework runs the hook for spans these commits.
    let push_range = framework
        .as_ref()
        .filter(|run| run.stage == Stage::PrePush)
        .and_then(|run| run.refs.clone());
    if !cli.all
        && !cli.promotion_history
        && cli.from_ref.is_none()
        && (!files.is_empty() || framework.is_some())
    {
        let deleted = match &framework {
            Some(FrameworkRun {
                stage: Stage::PrePush,
                refs: Some((from, to)),
            }) => Some(guardrails_flux::changed_files(&repo_root, from, to)),
            Some(FrameworkRun {
                stage: Stage::PrePush,
                refs: None,
            }) => None,
            _ => repo.as_ref().map(|repo| {
                guardrails_git::staged_deletions(repo)
                    .map(|d| d.into_iter().map(|f| repo_root.join(f)).collect())
                    .map_err(|e| e.to_string())
            }),
        };
        match deleted {
            Some(Ok(deleted)) => {
                for file in deleted {
                    if !files.contains(&file) {
                        files.push(file);
                    }
                }
            }
            Some(Err(error)) => return output.fail(Diagnostic::error(cli::CANNOT_RUN, error)),
            None => {}
        }
        // Under a framework, no file at all means the change holds no YAML: nothing to do.
        if files.is_empty() && framework.is_some() {
            return output.finish(&Default::default());
        }
    }
    if files.is_empty()
        && !cli.all
        && !cli.promotion_history
        && let (Some(from), Some(to)) = (&cli.from_ref, &cli.to_ref)
    {
        match guardrails_flux::changed_files(&repo_root, from, to) {
            Ok(changed) if changed.is_empty() => return output.finish(&Default::default()),
            Ok(changed) => files = changed,
            Err(error) => return output.fail(Diagnostic::error(cli::CANNOT_RUN, error)),
        }
    }

    let options = Options {
        root: cli.root.clone().unwrap_or_else(|| repo_root.clone()),
        repo_root,
        files,
        all: cli.all,
        include: cli.include.clone(),
        exclude: cli.exclude.clone(),
        renderer: match cli.renderer {
            RendererArg::Auto => RendererChoice::Auto,
            RendererArg::Kustomize => RendererChoice::Kustomize,
            RendererArg::Kubectl => RendererChoice::Kubectl,
        },
        jobs: cli.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        }),
        allow_remote_bases: cli.allow_remote_bases,
        flux_version: cli.flux_version,
        cache_dir,
        timeout: Duration::from_secs(cli.timeout.max(1)),
        current_branch: workspace.as_ref().and_then(|w| w.head_branch.clone()),
        remote_urls: workspace.map(|w| w.remote_urls).unwrap_or_default(),
        want_renderer_version: cli.output.verbose,
        lanes: if cli.lanes.is_empty() {
            guardrails_image_lint::Config::default().lanes
        } else {
            cli.lanes.clone()
        },
    };
    if cli.promotion_history {
        return gitops_guardrails::promotion::history::run(&cli, repo.as_ref(), &options, &output);
    }
    match guardrails_flux::validate(&options) {
        Ok(mut outcome) => {
            if let Some(repo) = &repo {
                let started = std::time::Instant::now();
                let range = cli
                    .from_ref
                    .as_deref()
                    .zip(cli.to_ref.as_deref())
                    .or(push_range.as_ref().map(|(f, t)| (f.as_str(), t.as_str())));
                match gitops_guardrails::promotion::check(
                    &cli,
                    repo,
                    &options,
                    &outcome.pins,
                    range,
                ) {
                    Ok(lineage) => {
                        outcome.report.merge(lineage);
                        // The run's time, as the summary line says it, includes lineage.
                        outcome.stats.total += started.elapsed();
                    }
                    Err(error) => return output.fail(Diagnostic::error(cli::CANNOT_RUN, error)),
                }
            }
            if cli.output.verbose {
                let note = guardrails_flux::summary(&outcome.stats);
                outcome
                    .report
                    .note("flux-kustomize-validate::summary", note);
            }
            output.finish_with_summary(
                &outcome.report,
                &outcome.scanned,
                &guardrails_flux::checked(&outcome.stats),
            )
        }
        Err(error) => {
            let help = match &error {
                guardrails_flux::Error::Renderer(_) => {
                    "install kubectl (it embeds kustomize) or kustomize, or choose one with --renderer"
                }
                guardrails_flux::Error::Glob { .. } => "globs use `*`, `**`, `?` and `{a,b}`",
                guardrails_flux::Error::Root { .. } => "--root must be a readable directory",
            };
            output.fail(Diagnostic::error(cli::CANNOT_RUN, error.to_string()).with_help(help))
        }
    }
}

/// Renders are cached in the repository's git directory (shared by its worktrees), or in
/// the user's cache directory outside a repository.
fn cache_dir(workspace: Option<&guardrails_git::Workspace>, env: &Environment) -> Option<PathBuf> {
    const NAME: &str = "flux-kustomize-validate";
    if let Some(workspace) = workspace {
        return Some(workspace.common_dir.join("gitops-guardrails").join(NAME));
    }
    let base = env.get("XDG_CACHE_HOME").map(PathBuf::from).or_else(|| {
        env.get("HOME")
            .map(|home| PathBuf::from(home).join(".cache"))
    })?;
    Some(base.join("gitops-guardrails").join(NAME))
}

/// A run started by pre-commit or prek: the stage, and for a push the refs it spans.
struct FrameworkRun {
    stage: Stage,
    refs: Option<(String, String)>,
}

/// `None` when neither framework started the hook (a person, CI, or a `hooks/` shim,
/// which passes every changed file, deleted ones included, itself).
fn framework_run(env: &Environment) -> Option<FrameworkRun> {
    let parents = guardrails_context::ancestors(cli::ANCESTOR_DEPTH);
    let context = HookContext::resolve(&Invocation::default(), env, &parents);
    if !matches!(context.client, Client::PreCommit | Client::Prek) {
        return None;
    }
    Some(FrameworkRun {
        stage: context.stage,
        refs: context.from_ref.zip(context.to_ref),
    })
}
