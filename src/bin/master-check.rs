//! `master-check`: no commits, merges or pushes onto protected branches.

use std::process::ExitCode;

use gitops_guardrails::args::MasterCheck;
use gitops_guardrails::cli::{self, Inputs};
use guardrails_git::master_check::{self, Options};
use guardrails_git::{ProtectedBranches, RepositoryState};
use guardrails_report::Diagnostic;

fn main() -> ExitCode {
    let (cli, output) = match gitops_guardrails::config::parse::<MasterCheck>() {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let inputs = Inputs::read(&cli.hook);
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
