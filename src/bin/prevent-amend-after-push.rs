//! `prevent-amend-after-push`: no rewriting (amend, rebase, force-push) of pushed commits.

use std::process::ExitCode;

use gitops_guardrails::args::PreventAmend;
use gitops_guardrails::cli::{self, Inputs};
use guardrails_git::history::PublicScope;
use guardrails_git::prevent_amend::{self, Options};
use guardrails_report::Diagnostic;

fn main() -> ExitCode {
    let (cli, output) = match gitops_guardrails::config::parse::<PreventAmend>() {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let inputs = Inputs::read(&cli.hook);
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
