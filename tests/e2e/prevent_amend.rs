//! `prevent-amend-after-push` through pre-commit, prek and the shims.

use std::process::Command;

use crate::harness::{Client, Sandbox};
use crate::per_client;

const AMEND: &str = "prevent-amend::amend-public";
const REBASE: &str = "prevent-amend::rebase-public";
const FORCE: &str = "prevent-amend::force-push";

fn guarded(client: Client, args: &[&str]) -> Sandbox {
    Sandbox::with_config(client, &[("prevent-amend-after-push", args)])
}

/// Rewinds the current branch by one commit without running hooks (what a developer
/// does before a force-push).
fn drop_last_commit(sb: &Sandbox) {
    sb.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "reset",
        "-q",
        "--hard",
        "HEAD~1",
    ])
    .assert_ok();
}

/// `feat` with one pushed commit (and its remote-tracking ref).
fn pushed_feature(client: Client, args: &[&str]) -> Sandbox {
    let sb = guarded(client, args);
    sb.commit("feat pushed").assert_ok();
    sb.git(&["push", "-q", "-u", "origin", "feat"]).assert_ok();
    sb
}

per_client!(amend_of_pushed_commit_is_refused, |client| {
    let sb = pushed_feature(client, &[]);
    let before = sb.rev("HEAD");
    sb.git(&["commit", "-q", "--amend", "--no-edit"])
        .assert_refused(AMEND)
        .assert_contains("Add the change as a new commit on top");
    sb.git(&["commit", "-q", "--amend", "-m", "reworded"])
        .assert_refused(AMEND);
    // prepare-commit-msg still runs with --no-verify.
    sb.git(&["commit", "-q", "--amend", "--no-edit", "--no-verify"])
        .assert_refused(AMEND);
    sb.git(&["commit", "-q", "--am", "--no-edit"])
        .assert_refused(AMEND);
    sb.git(&["config", "alias.ci", "commit"]).assert_ok();
    sb.git(&["ci", "-q", "--amend", "--no-edit"])
        .assert_refused(AMEND);
    assert_eq!(sb.rev("HEAD"), before, "HEAD was not rewritten");
});

per_client!(new_commits_reusing_a_pushed_message_are_allowed, |client| {
    let sb = pushed_feature(client, &[]);
    let pushed = sb.rev("HEAD");
    sb.write("x1", "1");
    sb.git(&["add", "x1"]).assert_ok();
    sb.git(&["commit", "-q", "-C", "HEAD"]).assert_ok();
    sb.write("x2", "2");
    sb.git(&["add", "x2"]).assert_ok();
    sb.git(&["commit", "-q", "-c", &pushed]).assert_ok();
    sb.write("x3", "3");
    sb.git(&["add", "x3"]).assert_ok();
    sb.git(&["commit", "-q", "--fixup=amend:HEAD", "--no-edit"])
        .assert_ok();
});

per_client!(
    amend_of_unpushed_commit_on_pushed_one_is_allowed,
    |client| {
        let sb = pushed_feature(client, &[]);
        sb.commit("local only").assert_ok();
        sb.git(&["commit", "-q", "--amend", "--no-edit"])
            .assert_ok();
        sb.git(&["commit", "-q", "--amend", "-m", "local only, reworded"])
            .assert_ok();
    }
);

per_client!(amend_after_remote_branch_was_deleted_is_allowed, |client| {
    let sb = guarded(client, &["--public", "origin/feat"]);
    sb.commit("feat pushed").assert_ok();
    sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
    sb.git(&["push", "-q", "origin", "--delete", "feat"])
        .assert_ok();
    sb.git(&["commit", "-q", "--amend", "--no-edit"])
        .assert_ok();
});

per_client!(without_remote_or_fetch_nothing_is_public, |client| {
    let sb = guarded(client, &[]);
    sb.commit("local").assert_ok();
    // The remote-tracking refs are what counts: drop them (a remote never fetched).
    sb.git(&["update-ref", "-d", "refs/remotes/origin/main"])
        .assert_ok();
    sb.git(&["commit", "-q", "--amend", "--no-edit"])
        .assert_ok();
    sb.git(&["remote", "remove", "origin"]).assert_ok();
    sb.git(&["commit", "-q", "--amend", "--no-edit"])
        .assert_ok();
});

per_client!(
    interactive_rebase_over_pushed_commits_is_refused,
    |client| {
        let sb = pushed_feature(client, &[]);
        sb.commit("local only").assert_ok();
        let before = sb.rev("HEAD");
        sb.git(&["rebase", "-q", "-i", "HEAD~2"])
            .assert_refused(REBASE)
            .assert_contains("feat pushed");
        sb.git(&["rebase", "-q", "--root"]).assert_refused(REBASE);
        assert_eq!(sb.rev("HEAD"), before);
        // Only the unpushed commit: fine.
        sb.git(&["rebase", "-q", "-i", "HEAD~1"]).assert_ok();
    }
);

per_client!(rebase_onto_main_of_pushed_feature_is_refused, |client| {
    let sb = pushed_feature(client, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.commit_unguarded("main moved");
    sb.git(&["push", "-q", "--no-verify", "origin", "main"])
        .assert_ok();
    sb.git(&["switch", "-q", "feat"]).assert_ok();
    // One argument: pre-commit exports nothing for it; the hook-impl argv has it.
    sb.git(&["rebase", "-q", "main"]).assert_refused(REBASE);
    sb.git(&["rebase", "-q", "main", "feat"])
        .assert_refused(REBASE);
});

per_client!(pull_rebase_with_only_local_commits_is_allowed, |client| {
    let sb = pushed_feature(client, &[]);
    // Someone else pushes to feat.
    let other = sb.root.join("other");
    sb.git_in(
        &sb.root,
        &["clone", "-q", "-b", "feat", "remote.git", "other"],
    )
    .assert_ok();
    std::fs::write(other.join("theirs"), "x").unwrap();
    sb.git_in(&other, &["add", "theirs"]).assert_ok();
    sb.git_in(
        &other,
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "-m",
            "theirs",
        ],
    )
    .assert_ok();
    sb.git_in(
        &other,
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "push",
            "-q",
            "origin",
            "feat",
        ],
    )
    .assert_ok();
    sb.commit("mine").assert_ok();
    sb.git(&["pull", "-q", "--rebase", "origin", "feat"])
        .assert_ok();
});

per_client!(force_push_to_main_is_refused, |client| {
    let sb = guarded(client, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.commit_unguarded("main two");
    sb.git(&["push", "-q", "--no-verify", "origin", "main"])
        .assert_ok();
    drop_last_commit(&sb);
    sb.commit_unguarded("main rewritten");
    let remote_before = sb.git_in(&sb.remote, &["rev-parse", "main"]).stdout;
    sb.git(&["push", "-q", "--force", "origin", "main"])
        .assert_refused(FORCE)
        .assert_contains("main two");
    assert_eq!(
        sb.git_in(&sb.remote, &["rev-parse", "main"]).stdout,
        remote_before
    );
});

per_client!(
    force_push_of_own_feature_branch_allowed_when_only_main_is_public,
    |client| {
        let sb = pushed_feature(client, &["--public", "origin/main"]);
        sb.git(&["commit", "-q", "--amend", "-m", "feat rewritten"])
            .assert_ok();
        sb.git(&["push", "-q", "--force", "origin", "feat"])
            .assert_ok();
        // With every branch public (the default), the same force-push is refused.
        let strict = pushed_feature(client, &[]);
        strict
            .git(&[
                "-c",
                "core.hooksPath=/dev/null",
                "commit",
                "-q",
                "--amend",
                "-m",
                "x",
            ])
            .assert_ok();
        strict
            .git(&["push", "-q", "--force", "origin", "feat"])
            .assert_refused(FORCE);
    }
);

per_client!(linked_worktree_and_detached_head, |client| {
    let sb = pushed_feature(client, &[]);
    let wt = sb.root.join("wt");
    sb.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        wt.to_str().unwrap(),
        "feat",
    ])
    .assert_ok();
    sb.git_in(&wt, &["commit", "-q", "--amend", "--no-edit"])
        .assert_refused(AMEND);
    std::fs::write(wt.join("new"), "x").unwrap();
    sb.git_in(&wt, &["add", "new"]).assert_ok();
    sb.git_in(&wt, &["commit", "-q", "-m", "detached new"])
        .assert_ok();
    sb.git_in(&wt, &["commit", "-q", "--amend", "--no-edit"])
        .assert_ok();
});

#[test]
fn unborn_head_has_nothing_to_check() {
    let mut sb = Sandbox::empty();
    sb.install(Client::Shim, &[]);
    // A feature branch, so master-check (also run by the shims) stays out of the way.
    sb.git(&["switch", "-q", "-c", "feat"]).assert_ok();
    sb.commit("first").assert_ok();
    sb.git(&["commit", "-q", "--amend", "--no-edit"])
        .assert_ok();
}

per_client!(shallow_clone_says_what_it_cannot_know, |client| {
    let sb = pushed_feature(client, &[]);
    for i in 0..3 {
        sb.commit_unguarded(&format!("more {i}"));
    }
    sb.git(&["push", "-q", "--no-verify", "origin", "feat"])
        .assert_ok();
    let url = format!("file://{}", sb.remote.display());
    sb.git_in(
        &sb.root,
        &["clone", "-q", "--depth", "2", "-b", "feat", &url, "shallow"],
    )
    .assert_ok();
    let shallow = sb.root.join("shallow");
    match client {
        Client::Shim => {
            sb.git_in(
                &shallow,
                &[
                    "config",
                    "core.hooksPath",
                    crate::harness::checkout().join("hooks").to_str().unwrap(),
                ],
            )
            .assert_ok();
        }
        Client::PreCommit | Client::Prek => {
            // The clone carries the committed .pre-commit-config.yaml; install it there.
            let exe = crate::harness::tool(client.exe_name()).unwrap();
            let mut cmd = std::process::Command::new(exe);
            cmd.arg("install").current_dir(&shallow);
            for hook_type in crate::harness::HOOK_TYPES {
                cmd.args(["--hook-type", hook_type]);
            }
            sb.run_cmd(cmd).assert_ok();
        }
    }
    // HEAD itself is on origin/feat: refused even though history is cut.
    sb.git_in(&shallow, &["commit", "-q", "--amend", "--no-edit"])
        .assert_refused(AMEND);
    // A local commit: not provably public; allowed (never a crash).
    std::fs::write(shallow.join("local"), "x").unwrap();
    sb.git_in(&shallow, &["add", "local"]).assert_ok();
    sb.git_in(&shallow, &["commit", "-q", "-m", "local"])
        .assert_ok();
    sb.git_in(&shallow, &["commit", "-q", "--amend", "--no-edit"])
        .assert_ok();
});

#[test]
fn diagnostic_codes_are_stable() {
    insta::assert_snapshot!(guardrails_git::prevent_amend::codes::ALL.join("\n"));
}

/// git hands pre-push the ref names as bytes; a branch name that is not UTF-8 must not hide
/// the force-push pushed next to it.
#[test]
fn a_branch_name_that_is_not_utf8_hides_nothing_of_the_push() {
    use std::os::unix::ffi::OsStrExt;
    let sb = pushed_feature(Client::Shim, &[]);
    sb.commit("feat second").assert_ok();
    sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let mut create = Command::new("git");
    create.args(["branch".as_ref(), latin1]);
    sb.run_cmd(create).assert_ok();
    drop_last_commit(&sb);
    let mut push = Command::new("git");
    push.args([
        "push".as_ref(),
        "-q".as_ref(),
        "--force".as_ref(),
        "origin".as_ref(),
        "feat".as_ref(),
        latin1,
    ]);
    sb.run_cmd(push)
        .assert_refused(FORCE)
        .assert_contains("feat second");
    // pre-rebase gets the name as an argument: the hook cannot resolve it, so it says so
    // and the rebase does not run.
    let before = sb.rev("HEAD");
    let mut rebase = Command::new("git");
    rebase.args([
        "rebase".as_ref(),
        "-q".as_ref(),
        "-f".as_ref(),
        "main".as_ref(),
        latin1,
    ]);
    let run = sb.run_cmd(rebase);
    assert_ne!(run.code, 0, "{}", run.all());
    run.assert_contains("cannot resolve the branch to rebase");
    assert_eq!(sb.rev("HEAD"), before);
}

/// What git passes prepare-commit-msg for `git commit --amend` (or `-c/-C HEAD`).
const AMEND_ARGS: [&str; 6] = [
    "--stage",
    "prepare-commit-msg",
    "--",
    ".git/COMMIT_EDITMSG",
    "commit",
    "HEAD",
];

/// A typo in `--remote` or `--public` would switch the guard off without a word.
#[test]
fn a_scope_that_matches_nothing_is_reported() {
    let sb = pushed_feature(Client::Shim, &[]);
    let amend = AMEND_ARGS;
    let run = sb.hook(
        "prevent-amend-after-push",
        &[&["--remote", "orign"][..], &amend].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_contains("--remote orign names no configured remote");
    let run = sb.hook(
        "prevent-amend-after-push",
        &[&["--public", "origin/mian"][..], &amend].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_contains("no remote-tracking branch matches branches origin/mian");
    let run = sb.hook(
        "prevent-amend-after-push",
        &[&["--public", "origin/feat"][..], &amend].concat(),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!run.all().contains("matches"), "{}", run.all());
}

/// Repositories in formats the hooks cannot read fail closed, and say which format.
#[test]
fn reftable_and_sha256_repositories_are_refused_with_the_reason() {
    let sb = Sandbox::empty();
    for (flag, format) in [
        ("--ref-format=reftable", "reftable ref storage"),
        ("--object-format=sha256", "SHA-256 object format"),
    ] {
        let dir = sb.root.join(format.split(' ').next().unwrap());
        let init = sb.git(&["init", "-q", flag, dir.to_str().unwrap()]);
        if init.code != 0 {
            eprintln!(
                "SKIPPED: this git cannot create `{flag}` repositories: {}",
                init.all()
            );
            continue;
        }
        sb.git_in(&dir, &["commit", "-q", "--allow-empty", "-m", "one"])
            .assert_ok();
        for hook in ["prevent-amend-after-push", "master-check"] {
            let mut cmd = Command::new(crate::harness::bin_dir().join(hook));
            cmd.args(AMEND_ARGS).current_dir(&dir);
            let run = sb.run_cmd(cmd);
            assert_eq!(
                run.code,
                2,
                "{hook} in a {format} repository: {}",
                run.all()
            );
            run.assert_contains(format);
        }
    }
}
