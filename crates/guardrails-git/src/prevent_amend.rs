//! `prevent-amend-after-push`: shared history is immutable.
//!
//! A commit is public when a remote-tracking ref in scope reaches it. The guard refuses to
//! rewrite public commits, wherever git lets a hook see the rewrite coming:
//!
//! * pre-commit: `git commit --amend` (any spelling), recognised from the `git commit`
//!   ancestor process, because git gives the hook no argument at all;
//! * prepare-commit-msg: runs even with `--no-verify`. Source `commit` with an object
//!   resolving to HEAD is an amend, or `-c`/`-C HEAD` (a new commit): the process tells them
//!   apart; when it cannot be read, an amend is assumed;
//! * pre-rebase: public commits in `<upstream>..<branch>` (all of the branch for `--root`);
//! * pre-push: a non-fast-forward update of a public remote branch.

use gix::ObjectId;
use guardrails_context::{HookContext, Push, Stage};
use guardrails_report::{Diagnostic, Report, sanitize};

use crate::generation_cache::GenerationCache;
use crate::history::{
    CommitLine, HistoryError, PublicHistory, PublicScope, commits_between, is_ancestor,
};

/// Diagnostic codes of this guard: a public interface, documented in the README.
pub mod codes {
    pub const AMEND_PUBLIC: &str = "prevent-amend::amend-public";
    pub const REBASE_PUBLIC: &str = "prevent-amend::rebase-public";
    pub const FORCE_PUSH: &str = "prevent-amend::force-push";
    pub const UNKNOWN: &str = "prevent-amend::cannot-know";
    pub const NOTE: &str = "prevent-amend::note";

    pub const ALL: [&str; 5] = [AMEND_PUBLIC, REBASE_PUBLIC, FORCE_PUSH, UNKNOWN, NOTE];
}

/// How many commits a message lists.
const LISTED: usize = 10;

/// What the user configured.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub scope: PublicScope,
    /// Where to remember the public tips' highest commit-graph generation between runs
    /// (`None`: recompute it every run).
    pub cache_dir: Option<std::path::PathBuf>,
}

/// Runs the guard on `repo`.
pub fn check(
    ctx: &HookContext,
    options: &Options,
    repo: &gix::Repository,
) -> Result<Report, HistoryError> {
    let mut report = Report::default();
    // A HEAD that cannot be read (garbage, outside refs/heads/, its commit missing) hides
    // what an amend or a rebase would rewrite: could not run, at every stage. An unborn
    // branch is fine: it has nothing to rewrite.
    let head = crate::repository::head_commit(repo).map_err(HistoryError::from)?;
    let mut history = PublicHistory::read(repo, &options.scope)?;
    if let Some(dir) = &options.cache_dir {
        history = history.with_generation_cache(GenerationCache::new(dir));
    }
    report.note(
        codes::NOTE,
        format!(
            "stage {} (from {}), client {}; public: {} ({} ref{})",
            ctx.stage,
            ctx.stage_source.as_str(),
            ctx.client.as_str(),
            sanitize(&options.scope.describe()),
            history.tips.len(),
            if history.tips.len() == 1 { "" } else { "s" }
        ),
    );
    for remote in &history.unknown_remotes {
        report.push(
            Diagnostic::warning(
                codes::UNKNOWN,
                format!(
                    "--remote {} names no configured remote: its commits are not guarded",
                    sanitize(remote)
                ),
            )
            .with_help("check the spelling against `git remote`"),
        );
    }
    if history.tips.is_empty() && history.unscoped_refs > 0 && history.unknown_remotes.is_empty() {
        report.push(
            Diagnostic::warning(
                codes::UNKNOWN,
                format!(
                    "no remote-tracking branch matches {}: nothing is guarded",
                    sanitize(&options.scope.describe())
                ),
            )
            .with_help(format!(
                "{} remote-tracking branch{} (`git branch -r`); check the spelling \
                 of --remote and --public",
                history.unscoped_refs,
                if history.unscoped_refs == 1 {
                    " exists"
                } else {
                    "es exist"
                }
            )),
        );
    }
    if history.tips.is_empty() {
        report.note(
            codes::NOTE,
            "no remote-tracking branch in scope: nothing is public yet (never pushed or never \
             fetched)",
        );
        return Ok(report);
    }
    match ctx.stage {
        Stage::PreCommit | Stage::PrepareCommitMsg | Stage::CommitMsg => {
            if amend_in_progress(ctx, repo, head, &mut report) {
                check_amend(repo, head, &history, &mut report)?;
            }
        }
        Stage::PreRebase => check_rebase(ctx, repo, head, &history, &mut report)?,
        Stage::PrePush => {
            if let Some(push) = &ctx.push {
                check_push(push, repo, options, &mut report)?;
            }
        }
        _ => report.note(
            codes::NOTE,
            format!(
                "stage {}: no amend, rebase or push to check (run as a pre-commit, \
                 prepare-commit-msg, pre-rebase or pre-push hook)",
                ctx.stage
            ),
        ),
    }
    Ok(report)
}

/// Decides whether the commit being made replaces HEAD.
fn amend_in_progress(
    ctx: &HookContext,
    repo: &gix::Repository,
    head: Option<ObjectId>,
    report: &mut Report,
) -> bool {
    let process_says = ctx
        .git_command
        .as_ref()
        .filter(|g| g.subcommand == "commit")
        .map(|g| g.is_amend());
    if ctx.stage != Stage::PrepareCommitMsg {
        return match process_says {
            Some(amend) => amend,
            None => {
                report.note(
                    codes::NOTE,
                    "cannot see the invoking `git commit` process, so an amend is not \
                     recognisable here; prepare-commit-msg still checks it",
                );
                false
            }
        };
    }
    // prepare-commit-msg: `commit <object>` is --amend, -c or -C.
    let message = ctx.commit_message.clone().unwrap_or_default();
    let reuses_head = message.source.as_deref() == Some("commit")
        && message.object.as_deref().is_some_and(|object| {
            // git passes `HEAD` for an amend: no need to resolve it twice.
            head.is_some()
                && (object == "HEAD"
                    || repo.rev_parse_single(object).ok().map(|id| id.detach()) == head)
        });
    match process_says {
        Some(amend) => amend,
        // A rebase's reword amends the picked commit.
        None if ctx
            .git_command
            .as_ref()
            .is_some_and(|g| g.subcommand == "rebase") =>
        {
            reuses_head
        }
        None => {
            if reuses_head {
                report.note(
                    codes::NOTE,
                    "the invoking git process is not visible: `commit HEAD` is taken as an amend \
                     (it may be `git commit -C HEAD`)",
                );
            }
            reuses_head
        }
    }
}

fn check_amend(
    repo: &gix::Repository,
    head: Option<ObjectId>,
    history: &PublicHistory<'_>,
    report: &mut Report,
) -> Result<(), HistoryError> {
    let Some(head) = head else {
        report.note(codes::NOTE, "HEAD has no commit: nothing to amend");
        return Ok(());
    };
    let upstream = current_upstream(repo);
    let prefer: Vec<&str> = upstream.iter().map(String::as_str).collect();
    let found = history.find_public(&[head], &prefer)?;
    let Some(&tip) = found.get(&head) else {
        if history.shallow {
            report.push(shallow_warning("HEAD is"));
        }
        report.note(
            codes::NOTE,
            "HEAD is not on any public branch: amending is fine",
        );
        return Ok(());
    };
    let on = format!("`{}`", sanitize(&history.tips[tip].name));
    let line = CommitLine::read(repo, head);
    report.push(
        Diagnostic::error(
            codes::AMEND_PUBLIC,
            format!(
                "amending {} \"{}\" refused: it is already on {on}",
                line.short,
                sanitize(&line.subject)
            ),
        )
        .with_help(format!(
            "Others may have built on {short}; rewriting it makes every clone and every revert \
             target disagree. Add the change as a new commit on top instead (a squash merge \
             of the pull request still lands one commit):\n    git commit\nor undo a change \
             that is already on main with:\n    git revert {short}\nTo let people rewrite \
             their own pushed feature branches, limit what is public: --public 'origin/main'",
            short = line.short
        )),
    );
    Ok(())
}

fn check_rebase(
    ctx: &HookContext,
    repo: &gix::Repository,
    head: Option<ObjectId>,
    history: &PublicHistory<'_>,
    report: &mut Report,
) -> Result<(), HistoryError> {
    let rebase = ctx.rebase.clone().unwrap_or_default();
    let branch_tip = match &rebase.branch {
        Some(branch) => repo
            .rev_parse_single(branch.as_str())
            .map(|id| id.detach())
            .map_err(|err| err.to_string()),
        // The current branch: an unborn one has nothing to rebase; an unreadable HEAD
        // cannot be judged.
        None => head.ok_or_else(String::new),
    };
    let branch_tip = match (branch_tip, &rebase.branch) {
        (Ok(tip), _) => tip,
        // git checked the branch before running the hook: a name that does not resolve
        // here (one that is not UTF-8, say) hides what the rebase rewrites.
        (Err(err), Some(branch)) => {
            return Err(HistoryError::from(format!(
                "cannot resolve the branch to rebase `{}`: {err}",
                sanitize(branch)
            )));
        }
        (Err(_), None) => {
            report.note(codes::NOTE, "the branch to rebase has no commit");
            return Ok(());
        }
    };
    let hidden: Vec<ObjectId> = if rebase.root {
        Vec::new()
    } else if let Some(upstream) = &rebase.upstream {
        match repo.rev_parse_single(upstream.as_str()) {
            Ok(id) => vec![id.detach()],
            Err(_) => {
                report.note(
                    codes::NOTE,
                    format!("cannot resolve upstream `{}`", sanitize(upstream)),
                );
                return conservative_rebase(repo, history, branch_tip, report);
            }
        }
    } else {
        return conservative_rebase(repo, history, branch_tip, report);
    };
    // One walk from the public tips answers for the whole range.
    let range = commits_between(repo, branch_tip, &hidden, 100_000)?;
    let found = history.find_public(&range, &[])?;
    let public: Vec<ObjectId> = range
        .iter()
        .filter(|id| found.contains_key(*id))
        .copied()
        .collect();
    let Some(&tip) = public.first().and_then(|id| found.get(id)) else {
        if history.shallow {
            report.push(shallow_warning("the commits this rebase rewrites are"));
        }
        report.note(
            codes::NOTE,
            format!("the rebase rewrites {} unpublished commit(s)", range.len()),
        );
        return Ok(());
    };
    report.push(rebase_refused(
        repo,
        &history.tips[tip].name,
        &public,
        range.len(),
    ));
    Ok(())
}

/// The upstream is unknown (pre-commit hides a lone `git rebase <upstream>` argument and
/// the parent process was not readable): HEAD is rewritten by any rebase that does
/// something, so refuse when HEAD is public.
fn conservative_rebase(
    repo: &gix::Repository,
    history: &PublicHistory<'_>,
    head: ObjectId,
    report: &mut Report,
) -> Result<(), HistoryError> {
    report.note(
        codes::NOTE,
        "the rebase upstream is unknown: checking HEAD, which any rebase that runs rewrites",
    );
    if let Some(&tip) = history.find_public(&[head], &[])?.get(&head) {
        report.push(rebase_refused(repo, &history.tips[tip].name, &[head], 1));
    }
    Ok(())
}

/// `public`: the public commits of the range, newest first; `on`: a public ref holding
/// the newest.
fn rebase_refused(
    repo: &gix::Repository,
    on: &str,
    public: &[ObjectId],
    total: usize,
) -> Diagnostic {
    let on = format!("`{}`", sanitize(on));
    Diagnostic::error(
        codes::REBASE_PUBLIC,
        format!(
            "rebase refused: it would rewrite {} public commit(s) (of {total}) already on {on}:\n{}",
            public.len(),
            list_commits(repo, public)
        ),
    )
    .with_help(
        "Rebase only what you have not pushed, for example:\n    git rebase -i @{upstream}\n\
         To bring a pushed branch up to date, merge instead:\n    git merge origin/main\n\
         To let people rewrite their own pushed feature branches, limit what is public: \
         --public 'origin/main'",
    )
}

fn check_push(
    push: &Push,
    repo: &gix::Repository,
    options: &Options,
    report: &mut Report,
) -> Result<(), HistoryError> {
    let remote = push
        .remote_name
        .clone()
        .unwrap_or_else(|| "origin".to_owned());
    for update in &push.updates {
        let Some(branch) = update.remote_branch() else {
            continue;
        };
        if update.is_deletion() || !options.scope.includes(&remote, branch) {
            continue;
        }
        // Under the frameworks FROM_REF is unreliable (prek rewrites it for force pushes):
        // the remote-tracking ref is what the remote had at the last fetch.
        let tracking = repo
            .find_reference(format!("refs/remotes/{remote}/{branch}").as_str())
            .ok()
            .and_then(|mut r| r.peel_to_id().ok().map(|id| id.detach()));
        let old = if push.complete {
            ObjectId::from_hex(update.remote_oid.as_bytes()).ok()
        } else {
            tracking.or_else(|| ObjectId::from_hex(update.remote_oid.as_bytes()).ok())
        };
        let Some(old) = old.filter(|o| !o.is_null()) else {
            continue; // a new remote branch rewrites nothing
        };
        let Ok(new) = ObjectId::from_hex(update.local_oid.as_bytes()) else {
            continue;
        };
        let display = format!("{}/{}", sanitize(&remote), sanitize(branch));
        if repo.find_object(old).is_err() {
            report.push(
                Diagnostic::error(
                    codes::FORCE_PUSH,
                    format!(
                        "push to `{display}` refused: the remote has commits you never fetched \
                         (its tip {} is unknown here), so this push would overwrite them",
                        old.to_hex_with_len(7)
                    ),
                )
                .with_help(format!(
                    "Fetch and integrate what is there first:\n    git fetch {remote}\n    \
                     git merge {remote}/{branch}"
                )),
            );
            continue;
        }
        if is_ancestor(repo, old, new)? {
            continue;
        }
        let dropped = commits_between(repo, old, &[new], LISTED + 1)?;
        let shown: Vec<ObjectId> = dropped.iter().take(LISTED).copied().collect();
        let more = if dropped.len() > LISTED {
            "\n  …and more"
        } else {
            ""
        };
        report.push(
            Diagnostic::error(
                codes::FORCE_PUSH,
                format!(
                    "force-push to `{display}` refused: it would drop public commits:\n{}{more}",
                    list_commits(repo, &shown)
                ),
            )
            .with_help(format!(
                "Shared history of `{display}` is never rewritten. Integrate and push normally:\n    \
                 git pull --no-rebase {remote} {branch}\n    git push {remote} HEAD:{branch}\nUndo \
                 a public change with `git revert`. To let people force-push their own feature \
                 branches, limit what is public: --public '{remote}/main'"
            )),
        );
    }
    Ok(())
}

fn list_commits(repo: &gix::Repository, ids: &[ObjectId]) -> String {
    ids.iter()
        .take(LISTED)
        .map(|id| {
            let line = CommitLine::read(repo, *id);
            format!("  {} {}", line.short, sanitize(&line.subject))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `subject`: what cannot be proven public, e.g. "HEAD is".
fn shallow_warning(subject: &str) -> Diagnostic {
    Diagnostic::warning(
        codes::UNKNOWN,
        format!(
            "this is a shallow clone: history past its boundary is missing, so whether \
             {subject} public cannot be proven"
        ),
    )
    .with_help("fetch full history for a reliable answer:\n    git fetch --unshallow")
}

/// `<remote>/<branch>` of the current branch's upstream, when configured.
fn current_upstream(repo: &gix::Repository) -> Option<String> {
    let head = repo.head_name().ok()??;
    let tracking = repo
        .branch_remote_tracking_ref_name(head.as_ref(), gix::remote::Direction::Fetch)?
        .ok()?;
    Some(
        tracking
            .as_bstr()
            .to_string()
            .strip_prefix("refs/remotes/")?
            .to_owned(),
    )
}
