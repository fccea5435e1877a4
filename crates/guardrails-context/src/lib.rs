//! Why a hook runs.
//!
//! A guard has to know whether it was started by `git commit`, by a push, by CI re-running
//! the hooks, or by a person, and what the operation is about (the refs being pushed, the
//! commit message source, the rebase upstream). That information arrives in four different
//! shapes:
//!
//! * plain git hooks (the `hooks/` shims) get git's own arguments and, for pre-push, one
//!   stdin line per ref;
//! * pre-commit 4.x passes no arguments and exports `PRE_COMMIT_*` variables, exposes only
//!   the first pushed ref, and never says which stage runs;
//! * prek 0.5 does the same plus `PREK_HOOK_STAGE`, and rewrites `PRE_COMMIT_FROM_REF`;
//! * people and CI pass flags (`--stage`, `--from-ref`, ...).
//!
//! [`HookContext::resolve`] folds them into one value. This crate is the one place that
//! knows those conventions: githooks(5) for git's own arguments, pre-commit's
//! `pre_commit/commands/hook_impl.py` and prek's `crates/prek/src/cli/hook_impl.rs` for what the
//! frameworks pass on. It reads nothing by itself: the caller hands it an [`Environment`] snapshot,
//! the parent processes and stdin, so every rule here is testable without a real hook run.

mod environment;
mod git_command;
mod process;
mod push;
mod stage;

pub use environment::Environment;
pub use git_command::GitCommand;
pub use process::{ProcessInfo, ancestors};
pub use push::{MalformedPushLine, RefUpdate, is_zero_oid, parse_push_lines};
pub use stage::{Client, Stage, StageSource, UnknownStage};

use std::path::PathBuf;

/// What the command line said (flags for people and CI, git's arguments from a shim).
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// `--stage`: wins over everything the environment suggests.
    pub stage: Option<Stage>,
    /// Git's own hook arguments, passed through by a `hooks/` shim after `--`.
    pub hook_args: Vec<String>,
    /// Raw pre-push stdin, when the caller read it (only a shim has it; frameworks empty it).
    pub push_stdin: Option<String>,
    pub from_ref: Option<String>,
    pub to_ref: Option<String>,
    pub remote_name: Option<String>,
    pub remote_branch: Option<String>,
    pub local_branch: Option<String>,
}

/// A push and what is known of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Push {
    pub remote_name: Option<String>,
    pub remote_url: Option<String>,
    /// The ref updates this hook can see.
    pub updates: Vec<RefUpdate>,
    /// True when `updates` is every ref of the push (git's stdin through a shim). Under
    /// pre-commit and prek only the first ref is visible, and some pushes run no hook at all.
    pub complete: bool,
    /// git's stdin held a line that is not a ref update: what is pushed is unknown, and a
    /// guard must say it could not run rather than pass the push.
    pub malformed: Option<MalformedPushLine>,
}

/// prepare-commit-msg inputs: git's `<file> [<source> [<object>]]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitMessage {
    pub file: Option<PathBuf>,
    /// `message`, `template`, `merge`, `squash` or `commit`; absent for a plain `git commit`.
    pub source: Option<String>,
    /// With source `commit`: the commit named by `-c`/`-C`/`--amend` (`HEAD` for an amend).
    pub object: Option<String>,
}

/// pre-rebase inputs: git's `<upstream> [<branch>]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rebase {
    /// `None` when the hook could not learn it (pre-commit hides a lone argument).
    pub upstream: Option<String>,
    pub branch: Option<String>,
    /// `git rebase --root`.
    pub root: bool,
}

/// A continuous-integration run and what it says about the change under test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ci {
    /// `github`, `gitlab`, or `unknown` when only `CI` is set.
    pub provider: &'static str,
    /// The pull/merge request's source branch, when the provider exports it.
    pub source_branch: Option<String>,
}

/// Everything a guard knows about why it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookContext {
    pub stage: Stage,
    /// How the stage was learnt (so `--verbose` can say it).
    pub stage_source: StageSource,
    pub client: Client,
    /// A git command that writes a commit (commit, merge, cherry-pick, revert, rebase) started
    /// this hook. git exports `GIT_INDEX_FILE` to exactly those hooks; `pre-commit run` and
    /// `prek run` (CI, people) do not.
    pub commit_in_progress: bool,
    pub push: Option<Push>,
    pub commit_message: Option<CommitMessage>,
    pub rebase: Option<Rebase>,
    /// `--from-ref`/`--to-ref` or `PRE_COMMIT_FROM_REF`/`TO_REF`.
    pub from_ref: Option<String>,
    pub to_ref: Option<String>,
    pub ci: Option<Ci>,
    /// The git command that started the hook, when the parent processes could be read.
    pub git_command: Option<GitCommand>,
    /// Whether any parent process could be read at all (false in containers with a private
    /// PID namespace or a hidepid `/proc`): without it, `git_command` proves nothing.
    pub parents_visible: bool,
}

impl HookContext {
    /// Combines the command line, the environment and the parent processes (nearest
    /// first) into one context. Nothing is read here; see the crate docs.
    pub fn resolve(invocation: &Invocation, env: &Environment, parents: &[ProcessInfo]) -> Self {
        let framework = parents.iter().find_map(stage::FrameworkCall::parse);
        let client = stage::client(invocation, env, framework.as_ref());
        let (stage, stage_source) =
            stage::resolve_stage(invocation, env, framework.as_ref(), client);

        // Git's raw hook arguments: from a shim, or recovered from the framework's argv
        // (`hook-impl … -- <args>`), which is where pre-commit leaves a lone pre-rebase
        // argument that it does not export.
        let raw_args: &[String] = if !invocation.hook_args.is_empty() {
            &invocation.hook_args
        } else {
            framework.as_ref().map_or(&[], |f| f.hook_args.as_slice())
        };

        let from_ref = invocation
            .from_ref
            .clone()
            .or_else(|| env.get("PRE_COMMIT_FROM_REF").map(str::to_owned));
        let to_ref = invocation
            .to_ref
            .clone()
            .or_else(|| env.get("PRE_COMMIT_TO_REF").map(str::to_owned));

        let push = (stage == Stage::PrePush).then(|| push_of(invocation, env, raw_args, &to_ref));
        let commit_message =
            (stage == Stage::PrepareCommitMsg).then(|| commit_message_of(env, raw_args, client));
        let rebase = (stage == Stage::PreRebase).then(|| rebase_of(env, raw_args));

        HookContext {
            stage,
            stage_source,
            client,
            commit_in_progress: env.get("GIT_INDEX_FILE").is_some()
                || (stage.writes_commit() && stage_source == StageSource::Flag),
            push,
            commit_message,
            rebase,
            from_ref,
            to_ref,
            ci: ci_of(env),
            git_command: GitCommand::nearest(parents),
            parents_visible: !parents.is_empty(),
        }
    }
}

fn push_of(
    inv: &Invocation,
    env: &Environment,
    raw_args: &[String],
    to_ref: &Option<String>,
) -> Push {
    let remote_name = inv
        .remote_name
        .clone()
        .or_else(|| raw_args.first().cloned())
        .or_else(|| env.get("PRE_COMMIT_REMOTE_NAME").map(str::to_owned));
    let remote_url = raw_args
        .get(1)
        .cloned()
        .or_else(|| env.get("PRE_COMMIT_REMOTE_URL").map(str::to_owned));

    if let Some(stdin) = &inv.push_stdin {
        let (updates, malformed) = match parse_push_lines(stdin) {
            Ok(updates) => (updates, None),
            Err(malformed) => (Vec::new(), Some(malformed)),
        };
        return Push {
            remote_name,
            remote_url,
            updates,
            complete: true,
            malformed,
        };
    }

    // Framework (or flags): one ref at most. Its old value is only trustworthy under
    // pre-commit; prek rewrites FROM_REF for force pushes (its `cli/hook_impl.rs`).
    let remote_ref = inv
        .remote_branch
        .clone()
        .or_else(|| env.get("PRE_COMMIT_REMOTE_BRANCH").map(str::to_owned));
    let local_ref = inv
        .local_branch
        .clone()
        .or_else(|| env.get("PRE_COMMIT_LOCAL_BRANCH").map(str::to_owned));
    let updates = remote_ref
        .map(|remote_ref| RefUpdate {
            local_ref: local_ref.unwrap_or_default(),
            local_oid: to_ref.clone().unwrap_or_default(),
            remote_ref,
            remote_oid: env
                .get("PRE_COMMIT_FROM_REF")
                .map(str::to_owned)
                .unwrap_or_default(),
        })
        .into_iter()
        .collect();
    Push {
        remote_name,
        remote_url,
        updates,
        complete: false,
        malformed: None,
    }
}

fn commit_message_of(env: &Environment, raw_args: &[String], client: Client) -> CommitMessage {
    if client == Client::Git || !raw_args.is_empty() {
        // git: `<file> [<source> [<object>]]`; an empty object (`--squash`) means none.
        return CommitMessage {
            file: raw_args.first().map(PathBuf::from),
            source: raw_args.get(1).filter(|s| !s.is_empty()).cloned(),
            object: raw_args.get(2).filter(|s| !s.is_empty()).cloned(),
        };
    }
    CommitMessage {
        file: None,
        source: env.get("PRE_COMMIT_COMMIT_MSG_SOURCE").map(str::to_owned),
        object: env
            .get("PRE_COMMIT_COMMIT_OBJECT_NAME")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    }
}

fn rebase_of(env: &Environment, raw_args: &[String]) -> Rebase {
    let upstream = env
        .get("PRE_COMMIT_PRE_REBASE_UPSTREAM")
        .map(str::to_owned)
        .or_else(|| raw_args.first().cloned());
    let branch = env
        .get("PRE_COMMIT_PRE_REBASE_BRANCH")
        .map(str::to_owned)
        .or_else(|| raw_args.get(1).cloned())
        .filter(|b| !b.is_empty());
    let root = upstream.as_deref() == Some("--root");
    Rebase {
        upstream: upstream.filter(|u| u != "--root"),
        branch,
        root,
    }
}

fn ci_of(env: &Environment) -> Option<Ci> {
    let non_empty = |name| env.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    if env.get("GITHUB_ACTIONS").is_some() {
        return Some(Ci {
            provider: "github",
            source_branch: non_empty("GITHUB_HEAD_REF"),
        });
    }
    if env.get("GITLAB_CI").is_some() {
        return Some(Ci {
            provider: "gitlab",
            source_branch: non_empty("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
        });
    }
    let source_branch =
        non_empty("GITHUB_HEAD_REF").or_else(|| non_empty("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"));
    let is_ci = env
        .get("CI")
        .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
    (is_ci || source_branch.is_some()).then_some(Ci {
        provider: "unknown",
        source_branch,
    })
}

#[cfg(test)]
mod tests;
