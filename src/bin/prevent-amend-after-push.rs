//! `prevent-amend-after-push`: no rewriting (amend, rebase, force-push) of pushed commits.

use std::process::ExitCode;

use clap::Parser;
use gitops_guardrails::cli::{self, HookArgs, Inputs, Output, OutputArgs};
use guardrails_git::history::PublicScope;
use guardrails_git::prevent_amend::{self, Options};
use guardrails_report::Diagnostic;

/// Refuse to rewrite commits a remote already has: amend, rebase, force-push.
///
/// A commit is public when a remote-tracking branch (`refs/remotes/<remote>/<branch>`)
/// reaches it. Without --remote or --public, every remote branch counts.
#[derive(Debug, Parser)]
#[command(name = "prevent-amend-after-push", version)]
struct Cli {
    /// Only this remote's branches make commits public (repeatable).
    #[arg(long = "remote", value_name = "NAME")]
    remotes: Vec<String>,

    /// Only remote branches matching this glob (against `<remote>/<branch>`, e.g.
    /// `origin/main`, `origin/release/*`) make commits public (repeatable).
    #[arg(long = "public", value_name = "GLOB")]
    public: Vec<String>,

    /// Do not remember the remote branches' highest commit-graph generation in
    /// `<git dir>/gitops-guardrails/` (recompute it every run).
    #[arg(long)]
    no_cache: bool,

    #[command(flatten)]
    hook: HookArgs,

    #[command(flatten)]
    output: OutputArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(shell) = cli.output.completions {
        return cli::print_completions::<Cli>(shell);
    }
    let inputs = Inputs::read(&cli.hook);
    let output = Output::new("prevent-amend-after-push", &cli.output, &inputs.env);
    if let Some(unreadable) = inputs.cannot_read() {
        return output.fail(unreadable);
    }
    let scope = match PublicScope::new(&cli.remotes, &cli.public) {
        Ok(scope) => scope,
        Err(err) => {
            return output.fail(
                Diagnostic::error(cli::CANNOT_RUN, err.to_string())
                    .with_help("--public takes globs such as `origin/main` or `origin/release/*`"),
            );
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let repo = match guardrails_git::open(&cwd) {
        Ok(repo) => repo,
        Err(err) => {
            return output
                .fail(Diagnostic::error(cli::CANNOT_RUN, err.to_string()).with_help(err.help()));
        }
    };
    let cache_dir = (!cli.no_cache).then(|| {
        repo.common_dir()
            .join("gitops-guardrails")
            .join("prevent-amend-after-push")
    });
    let options = Options { scope, cache_dir };
    let outcome = prevent_amend::check(&inputs.context, &options, &repo);
    // The repository maps the commit-graph and pack indexes (megabytes on large
    // repositories): unmapping them one by one costs more than the process exit that
    // follows, which releases everything at once.
    std::mem::forget(repo);
    match outcome {
        Ok(report) => output.finish(&report),
        Err(err) => output.fail(Diagnostic::error(cli::CANNOT_RUN, err.to_string())),
    }
}
