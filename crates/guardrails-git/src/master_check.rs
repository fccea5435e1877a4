//! `master-check`: no commits, merges or pushes onto protected branches.
//!
//! The rule depends on why the hook runs ([`HookContext`]):
//!
//! * a commit-writing git command (commit, merge, cherry-pick, revert, rebase step) is in
//!   progress: refuse when the branch it writes to is protected. That is HEAD's branch, or,
//!   with HEAD detached by a rebase or bisect, the branch git recorded for it;
//! * a push: refuse every update or deletion of a protected remote branch, whatever the
//!   local branch is called;
//! * nothing is in progress and CI is running (`pre-commit run --all-files`): checking out
//!   `main` is not committing to it. Check the pull request's source branch when CI names
//!   it, and say what was checked;
//! * nothing is in progress on a developer's machine (`pre-commit run`, `try-repo`, a
//!   person running the hook): answer the question they are asking, "would my commit
//!   here be refused?", by checking HEAD's branch as for a commit.

use guardrails_context::{Client, HookContext, Push, Stage};
use guardrails_report::{Diagnostic, Report, sanitize};

use crate::{BranchRule, Head, InProgress, OpenError, ProtectedBranches, RepositoryState};

/// Diagnostic codes of this guard: a public interface, documented in the README.
pub mod codes {
    pub const PROTECTED_COMMIT: &str = "master-check::protected-commit";
    pub const PROTECTED_MERGE: &str = "master-check::protected-merge";
    pub const PROTECTED_REWRITE: &str = "master-check::protected-rewrite";
    pub const INITIAL_COMMIT: &str = "master-check::initial-commit";
    pub const PROTECTED_PUSH: &str = "master-check::protected-push";
    pub const PROTECTED_DELETE: &str = "master-check::protected-delete";
    pub const PROTECTED_SOURCE_BRANCH: &str = "master-check::protected-source-branch";
    pub const NOTHING_IN_PROGRESS: &str = "master-check::nothing-in-progress";
    pub const PARTIAL_PUSH: &str = "master-check::partial-push";
    pub const NOTE: &str = "master-check::note";

    /// Every code, for the snapshot that makes a rename visible in review.
    pub const ALL: [&str; 10] = [
        PROTECTED_COMMIT,
        PROTECTED_MERGE,
        PROTECTED_REWRITE,
        INITIAL_COMMIT,
        PROTECTED_PUSH,
        PROTECTED_DELETE,
        PROTECTED_SOURCE_BRANCH,
        NOTHING_IN_PROGRESS,
        PARTIAL_PUSH,
        NOTE,
    ];
}

/// What the user configured.
#[derive(Debug, Clone)]
pub struct Options {
    pub protected: ProtectedBranches,
    /// Refuse the first commit of a repository on an unborn protected branch.
    pub block_initial_commit: bool,
    /// Let merge commits onto protected branches through (release managers merging locally).
    pub allow_merge: bool,
}

/// Runs the guard. `read_state` is called only when HEAD matters (never for pushes).
pub fn check(
    ctx: &HookContext,
    options: &Options,
    read_state: impl FnOnce() -> Result<RepositoryState, OpenError>,
) -> Result<Report, OpenError> {
    let mut report = Report::default();
    report.note(
        codes::NOTE,
        format!(
            "stage {} (from {}), client {}; protected: {}",
            ctx.stage,
            ctx.stage_source.as_str(),
            ctx.client.as_str(),
            sanitize(&options.protected.describe())
        ),
    );
    if ctx.stage == Stage::PrePush
        && let Some(push) = &ctx.push
    {
        check_push(push, ctx.client, options, &mut report);
        return Ok(report);
    }
    let state = read_state()?;
    if ctx.stage.writes_commit() && ctx.commit_in_progress {
        check_commit(ctx.stage, &state, options, &mut report);
    } else if ctx.ci.is_some() {
        check_ci(ctx, &state, options, &mut report);
    } else {
        report.note(
            codes::NOTE,
            "no commit in progress and not in CI: checking the branch a commit would land on",
        );
        check_commit(Stage::PreCommit, &state, options, &mut report);
    }
    Ok(report)
}

fn check_commit(stage: Stage, state: &RepositoryState, options: &Options, report: &mut Report) {
    match &state.head {
        Head::Branch { name, unborn: true } => {
            if options.protected.rule_for(name).is_some() && options.block_initial_commit {
                report.push(
                    Diagnostic::error(
                        codes::INITIAL_COMMIT,
                        format!(
                            "the first commit of this repository would land on protected branch `{}`",
                            sanitize(name)
                        ),
                    )
                    .with_help(
                        "--block-initial-commit is set: start history on a branch and merge it \
                         through review:\n    git switch -c feature/<name>",
                    ),
                );
            } else {
                report.note(
                    codes::NOTE,
                    format!(
                        "`{}` has no commit yet: the first commit shares nothing, allowed \
                         (--block-initial-commit refuses it)",
                        sanitize(name)
                    ),
                );
            }
        }
        Head::Branch {
            name,
            unborn: false,
        } => {
            let Some(rule) = options.protected.rule_for(name) else {
                report.note(
                    codes::NOTE,
                    format!("`{}` is not protected", sanitize(name)),
                );
                return;
            };
            let merging =
                stage == Stage::PreMergeCommit || state.in_progress == Some(InProgress::Merge);
            if merging && options.allow_merge {
                report.note(
                    codes::NOTE,
                    format!(
                        "merge commit onto `{}` allowed by --allow-merge",
                        sanitize(name)
                    ),
                );
                return;
            }
            report.push(blocked_commit(name, &rule, merging, state.in_progress));
        }
        Head::Detached {
            branch: Some(branch),
        } => match options.protected.rule_for(branch) {
            Some(rule) => report.push(blocked_detached(branch, &rule, state.in_progress)),
            None => report.note(
                codes::NOTE,
                format!(
                    "HEAD is detached by a {} of `{}`, which is not protected",
                    state.in_progress.map_or("operation", InProgress::as_str),
                    sanitize(branch)
                ),
            ),
        },
        Head::Detached { branch: None } => report.note(
            codes::NOTE,
            "HEAD is detached: this commit lands on no branch, allowed",
        ),
    }
}

fn blocked_commit(
    branch: &str,
    rule: &BranchRule,
    merging: bool,
    in_progress: Option<InProgress>,
) -> Diagnostic {
    let branch = sanitize(branch);
    if merging {
        return Diagnostic::error(
            codes::PROTECTED_MERGE,
            format!("merge commit onto protected branch `{branch}` refused ({rule})"),
        )
        .with_help(format!(
            "`{branch}` changes only through reviewed pull requests, so every deployed state has \
             a reviewed commit to revert to. Undo this merge and merge on a branch instead:\n    \
             git merge --abort\n    git switch -c merge/<name>"
        ));
    }
    let what = match in_progress {
        Some(InProgress::CherryPick) => "cherry-pick onto",
        Some(InProgress::Revert) => "revert commit on",
        _ => "commit on",
    };
    Diagnostic::error(
        codes::PROTECTED_COMMIT,
        format!("{what} protected branch `{branch}` refused ({rule})"),
    )
    .with_help(format!(
        "`{branch}` changes only through reviewed pull requests, so every deployed state has a \
         reviewed commit to revert to. Move your work to a new branch (staged changes come \
         along) and commit there:\n    git switch -c feature/<name>"
    ))
}

fn blocked_detached(
    branch: &str,
    rule: &BranchRule,
    in_progress: Option<InProgress>,
) -> Diagnostic {
    let branch = sanitize(branch);
    let operation = in_progress.map_or("operation", InProgress::as_str);
    let undo = match in_progress {
        Some(InProgress::Bisect) => "git bisect reset",
        _ => "git rebase --abort",
    };
    Diagnostic::error(
        codes::PROTECTED_REWRITE,
        format!(
            "commit during a {operation} of protected branch `{branch}` refused ({rule}): it \
             would rewrite `{branch}`"
        ),
    )
    .with_help(format!(
        "Shared history of `{branch}` is never rewritten; fix forward with a pull request. \
         Restore the branch with:\n    {undo}\nthen rebase or commit on a feature branch:\n    \
         git switch -c feature/<name> {branch}"
    ))
}

fn check_push(push: &Push, client: Client, options: &Options, report: &mut Report) {
    let remote = push.remote_name.as_deref().unwrap_or("the remote");
    let remote = sanitize(remote);
    for update in &push.updates {
        let Some(branch) = update.remote_branch() else {
            report.note(
                codes::NOTE,
                format!("`{}` is not a branch", sanitize(&update.remote_ref)),
            );
            continue;
        };
        let Some(rule) = options.protected.rule_for(branch) else {
            report.note(
                codes::NOTE,
                format!("push to `{}` allowed: not protected", sanitize(branch)),
            );
            continue;
        };
        let branch = sanitize(branch);
        if update.is_deletion() {
            report.push(
                Diagnostic::error(
                    codes::PROTECTED_DELETE,
                    format!("deleting protected branch `{branch}` on {remote} refused ({rule})"),
                )
                .with_help(format!(
                    "Deleting `{branch}` removes what Flux deploys from and every revert target. \
                     Delete protected branches only through the hosting platform's settings."
                )),
            );
        } else {
            report.push(
                Diagnostic::error(
                    codes::PROTECTED_PUSH,
                    format!("push to protected branch `{branch}` on {remote} refused ({rule})"),
                )
                .with_help(format!(
                    "`{branch}` changes only through reviewed pull requests. Push your work to a \
                     branch of its own and open a pull request:\n    git push {remote} \
                     HEAD:feature/<name>"
                )),
            );
        }
    }
    if !push.complete {
        report.note(
            codes::PARTIAL_PUSH,
            format!(
                "{} shows a pre-push hook only the first pushed ref and runs no hook for \
                 deletions or already-pushed commits: chain the hooks/pre-push shim for complete \
                 push protection (see README)",
                client.as_str()
            ),
        );
    }
}

fn check_ci(ctx: &HookContext, state: &RepositoryState, options: &Options, report: &mut Report) {
    let head = match &state.head {
        Head::Branch { name, .. } => format!("`{}`", sanitize(name)),
        Head::Detached { .. } => "a detached HEAD".to_owned(),
    };
    if let Some(ci) = &ctx.ci
        && let Some(source) = &ci.source_branch
    {
        if let Some(rule) = options.protected.rule_for(source) {
            report.push(
                Diagnostic::error(
                    codes::PROTECTED_SOURCE_BRANCH,
                    format!(
                        "this change was committed on protected branch `{}` ({rule}) and \
                         proposed from there",
                        sanitize(source)
                    ),
                )
                .with_help(
                    "Open the pull request from a feature branch:\n    git switch -c \
                     feature/<name>\n    git push origin HEAD:feature/<name>",
                ),
            );
        } else {
            report.push(Diagnostic::advice(
                codes::NOTHING_IN_PROGRESS,
                format!(
                    "no commit, merge or push in progress ({} CI): checked the pull request's \
                     source branch `{}`, not protected; {head} is checked out",
                    ci.provider,
                    sanitize(source)
                ),
            ));
        }
        return;
    }
    report.push(Diagnostic::advice(
        codes::NOTHING_IN_PROGRESS,
        format!(
            "no commit, merge or push in progress (stage {}): nothing to refuse; {head} is \
             checked out, which is not committing to it",
            ctx.stage
        ),
    ));
}

#[cfg(test)]
#[path = "master_check/tests.rs"]
mod tests;
