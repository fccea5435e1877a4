//! `master-check`: no commits, merges or pushes onto protected branches.

use std::process::ExitCode;

use clap::Parser;
use gitops_guardrails::cli::{self, HookArgs, Inputs, Output, OutputArgs};
use guardrails_git::master_check::{self, Options};
use guardrails_git::{ProtectedBranches, RepositoryState};
use guardrails_report::Diagnostic;

/// Refuse commits, merges and pushes onto protected branches.
///
/// Without --branch, --pattern or --protected, `main` and `master` are protected.
#[derive(Debug, Parser)]
#[command(name = "master-check", version)]
struct Cli {
    /// Protect this exact branch name (repeatable).
    #[arg(long = "branch", short = 'b', value_name = "NAME")]
    branches: Vec<String>,

    /// Protect branches whose whole name matches this glob, e.g. `release/*` (repeatable;
    /// `*` stops at `/`, `**` does not).
    #[arg(long = "pattern", short = 'p', value_name = "GLOB")]
    patterns: Vec<String>,

    /// Same as --pattern; accepted so existing `--protected=main` configurations keep working.
    #[arg(long = "protected", value_name = "GLOB")]
    protected: Vec<String>,

    /// Also refuse the first commit of a repository on an unborn protected branch.
    #[arg(long)]
    block_initial_commit: bool,

    /// Let merge commits onto protected branches through.
    #[arg(long)]
    allow_merge: bool,

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
    let output = Output::new("master-check", &cli.output, &inputs.env);
    if let Some(unreadable) = inputs.cannot_read() {
        return output.fail(unreadable);
    }

    let patterns: Vec<String> = cli.patterns.iter().chain(&cli.protected).cloned().collect();
    let protected = match ProtectedBranches::new(&cli.branches, &patterns) {
        Ok(protected) => protected,
        Err(err) => {
            return output.fail(
                Diagnostic::error(cli::CANNOT_RUN, err.to_string())
                    .with_help("branch patterns are globs such as `release/*`"),
            );
        }
    };
    let options = Options {
        protected,
        block_initial_commit: cli.block_initial_commit,
        allow_merge: cli.allow_merge,
    };
    let read_state = || {
        let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
        RepositoryState::read(&guardrails_git::open(&cwd)?)
    };
    match master_check::check(&inputs.context, &options, read_state) {
        Ok(report) => output.finish(&report),
        Err(err) => {
            output.fail(Diagnostic::error(cli::CANNOT_RUN, err.to_string()).with_help(err.help()))
        }
    }
}
