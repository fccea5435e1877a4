//! `master-check` through pre-commit, prek and the shims.

use crate::harness::{Client, Sandbox};
use crate::per_client;

const REFUSED_COMMIT: &str = "master-check::protected-commit";

per_client!(commit_on_protected_branch_is_refused, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    let before = sb.rev("HEAD");
    sb.commit("on main")
        .assert_refused(REFUSED_COMMIT)
        .assert_contains("git switch -c feature/<name>");
    assert_eq!(sb.rev("HEAD"), before, "no commit was made");
    // The staged work is still there for `git switch -c`.
    let staged = sb.git(&["diff", "--cached", "--name-only"]);
    assert!(staged.stdout.contains("file-on-main"), "{}", staged.stdout);
    sb.git(&["switch", "-q", "-c", "feature/rescue"])
        .assert_ok();
    sb.git(&["commit", "-q", "-m", "rescued"]).assert_ok();
});

per_client!(commit_on_feature_branch_is_allowed, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    let run = sb.commit("feature work");
    run.assert_ok();
    assert!(
        !run.all().contains("master-check::"),
        "silent on success: {}",
        run.all()
    );
});

per_client!(
    pattern_and_seed_synonym_protect_release_branches,
    |client| {
        let sb = Sandbox::with_hooks(client, &["--protected=main", "--pattern=release/*"]);
        sb.git(&["switch", "-q", "-c", "release/1.2"]).assert_ok();
        sb.commit("release fix")
            .assert_refused("--pattern release/*");
        sb.git(&["switch", "-q", "-c", "hotfix-release/1.2"])
            .assert_ok();
        sb.git(&["commit", "-q", "-m", "hotfix"]).assert_ok();
        sb.git(&["switch", "-q", "main"]).assert_ok();
        sb.commit("main fix").assert_refused("--pattern main");
    }
);

per_client!(detached_head_commit_is_allowed, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    sb.git(&["switch", "-q", "--detach", "main"]).assert_ok();
    sb.commit("detached work").assert_ok();
});

per_client!(commit_during_rebase_of_main_is_refused, |client| {
    let mut sb = Sandbox::with_hooks(client, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.commit_unguarded("local main 1");
    // Stop the rebase at the commit (HEAD detached, rebase-merge/head-name = main) ...
    sb.set_env("GIT_SEQUENCE_EDITOR", "sed -i -e 's/^pick/edit/'");
    sb.git(&["rebase", "-q", "-i", "HEAD~1"]).assert_ok();
    assert!(
        sb.git(&["symbolic-ref", "-q", "HEAD"]).code != 0,
        "HEAD is detached"
    );
    // ... and try to commit there.
    sb.commit("mid rebase")
        .assert_refused("master-check::protected-rewrite")
        .assert_contains("git rebase --abort");
    sb.git(&["rebase", "--abort"]).assert_ok();
});

per_client!(
    commit_during_rebase_of_feature_branch_is_allowed,
    |client| {
        let mut sb = Sandbox::with_hooks(client, &[]);
        sb.commit("feat 1").assert_ok();
        sb.set_env("GIT_SEQUENCE_EDITOR", "sed -i -e 's/^pick/edit/'");
        sb.git(&["rebase", "-q", "-i", "HEAD~1"]).assert_ok();
        sb.commit("mid rebase").assert_ok();
        sb.git(&["rebase", "--continue"]).assert_ok();
    }
);

per_client!(cherry_pick_onto_main_is_refused, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    sb.commit("feat pick me").assert_ok();
    let pick = sb.rev("HEAD");
    sb.git(&["switch", "-q", "main"]).assert_ok();
    // cherry-pick runs no pre-commit hook: prepare-commit-msg catches it.
    sb.git(&["cherry-pick", &pick])
        .assert_refused("cherry-pick onto protected branch `main`");
    sb.git(&["cherry-pick", "--abort"]);
});

per_client!(merge_commit_onto_main_is_refused, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    sb.commit("feat to merge").assert_ok();
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.commit_unguarded("main moved on");
    sb.git(&["merge", "--no-ff", "-m", "merge feat", "feat"])
        .assert_refused("master-check::protected-merge")
        .assert_contains("git merge --abort");
    sb.git(&["merge", "--abort"]).assert_ok();
});

per_client!(linked_worktree_on_main_is_refused, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    let wt = sb.root.join("wt-main");
    sb.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "main"])
        .assert_ok();
    std::fs::write(wt.join("wt-file"), "x").unwrap();
    sb.git_in(&wt, &["add", "wt-file"]).assert_ok();
    sb.git_in(&wt, &["commit", "-q", "-m", "in worktree"])
        .assert_refused(REFUSED_COMMIT);
    let wt2 = sb.root.join("wt-topic");
    sb.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "topic",
        wt2.to_str().unwrap(),
    ])
    .assert_ok();
    std::fs::write(wt2.join("wt-file"), "x").unwrap();
    sb.git_in(&wt2, &["add", "wt-file"]).assert_ok();
    sb.git_in(&wt2, &["commit", "-q", "-m", "in worktree"])
        .assert_ok();
});

per_client!(push_to_protected_destination_is_refused, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    sb.commit("feat for push").assert_ok();
    let before = sb.git_in(&sb.remote, &["rev-parse", "main"]).stdout;
    sb.git(&["push", "-q", "origin", "feat:main"])
        .assert_refused("master-check::protected-push")
        .assert_contains("git push origin HEAD:feature/<name>");
    sb.git(&["push", "-q", "origin", "HEAD:refs/heads/main"])
        .assert_refused("master-check::protected-push");
    assert_eq!(sb.git_in(&sb.remote, &["rev-parse", "main"]).stdout, before);
});

per_client!(push_of_feature_branch_while_on_main_is_allowed, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    sb.commit("feat for push").assert_ok();
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
});

per_client!(
    multi_ref_push_with_main_already_pushed_elsewhere,
    |client| {
        let sb = Sandbox::with_hooks(client, &[]);
        // `release` holds a commit the remote already has; moving `main` onto it in the same
        // push as a new `feat` commit is the multi-ref case the frameworks cannot see.
        sb.git(&["switch", "-q", "-c", "release", "main"])
            .assert_ok();
        sb.commit("release work").assert_ok();
        sb.git(&["push", "-q", "origin", "release"]).assert_ok();
        sb.git(&["switch", "-q", "feat"]).assert_ok();
        sb.commit("feat work").assert_ok();
        sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
        sb.commit("feat more").assert_ok();
        // git lists the remote's existing refs in its order (feat before main), so the
        // frameworks pick `feat`.
        let run = sb.git(&["push", "-q", "origin", "feat", "release:main"]);
        match client {
            Client::Shim => {
                run.assert_refused("master-check::protected-push");
            }
            // The frameworks hand their hooks only the first qualifying ref (feat): the update
            // of main gets through. This pins that limit; the
            // `chained_shim_completes_framework_push_protection` tests cover the remedy.
            Client::PreCommit | Client::Prek => {
                run.assert_ok();
            }
        }
    }
);

per_client!(deleting_protected_branch, |client| {
    let sb = Sandbox::with_hooks(client, &[]);
    let run = sb.git(&["push", "-q", "origin", "--delete", "main"]);
    match client {
        Client::Shim => {
            run.assert_refused("master-check::protected-delete");
        }
        // Deletions run no framework hook at all (pinned; remedy: the chained shim). The
        // bare remote refuses to delete its HEAD branch by itself, so only the absence of
        // our message is asserted.
        Client::PreCommit | Client::Prek => {
            assert!(!run.all().contains("master-check::"), "{}", run.all());
        }
    }
});

per_client!(chained_shim_completes_framework_push_protection, |client| {
    if client == Client::Shim {
        return; // the shim alone is already complete
    }
    let mut sb = Sandbox::empty();
    sb.write("README", "hello\n");
    sb.write(
        ".pre-commit-config.yaml",
        &crate::harness::framework_config(&[]),
    );
    sb.git(&["add", "-A"]).assert_ok();
    sb.git(&["commit", "-q", "-m", "initial"]).assert_ok();
    sb.git(&["push", "-q", "origin", "main"]).assert_ok();
    sb.git(&["switch", "-q", "-c", "release"]).assert_ok();
    sb.commit_unguarded("release work");
    sb.git(&["push", "-q", "origin", "release"]).assert_ok();
    sb.git(&["switch", "-q", "main"]).assert_ok();
    // Documented order: the native shim first, then the framework keeps it as .legacy.
    sb.chain_push_shim();
    sb.install(client, &[]);
    assert!(
        sb.work.join(".git/hooks/pre-push.legacy").exists(),
        "framework kept the shim"
    );
    sb.git(&["switch", "-q", "-c", "feat"]).assert_ok();
    sb.commit("feat work").assert_ok();
    sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
    sb.commit("feat more").assert_ok();
    sb.git(&["push", "-q", "origin", "feat", "release:main"])
        .assert_refused("master-check::protected-push");
    // Creating a protected branch from already-pushed commits runs no framework hook at
    // all (pre-commit's `hook_impl.py` skips pushes with nothing new); the chained shim
    // still sees it.
    sb.git(&["push", "-q", "origin", "release:master"])
        .assert_refused("master-check::protected-push");
    sb.git(&["push", "-q", "origin", "--delete", "main"])
        .assert_refused("master-check::protected-delete");
    sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
});

per_client!(ci_run_on_main_passes_and_says_what_it_checked, |client| {
    let mut sb = Sandbox::with_hooks(client, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.set_env("CI", "true");
    let run = match client {
        Client::PreCommit | Client::Prek => {
            sb.framework(client, &["run", "--all-files", "--verbose", "master-check"])
        }
        Client::Shim => sb.hook("master-check", &[]),
    };
    run.assert_ok()
        .assert_contains("master-check::nothing-in-progress")
        .assert_contains("`main` is checked out");
});

per_client!(ci_checks_pull_request_source_branch, |client| {
    let mut sb = Sandbox::with_hooks(client, &[]);
    sb.git(&["switch", "-q", "--detach", "main"]).assert_ok();
    sb.set_env("GITHUB_ACTIONS", "true");
    sb.set_env("GITHUB_HEAD_REF", "main");
    let run = match client {
        Client::PreCommit | Client::Prek => {
            sb.framework(client, &["run", "--all-files", "master-check"])
        }
        Client::Shim => sb.hook("master-check", &[]),
    };
    run.assert_refused("master-check::protected-source-branch");
    sb.set_env("GITHUB_HEAD_REF", "feature/ok");
    let run = match client {
        Client::PreCommit | Client::Prek => {
            sb.framework(client, &["run", "--all-files", "--verbose", "master-check"])
        }
        Client::Shim => sb.hook("master-check", &[]),
    };
    run.assert_ok().assert_contains("`feature/ok`");
});

#[test]
fn first_commit_on_unborn_main_is_allowed_unless_blocked() {
    let mut sb = Sandbox::empty();
    sb.install(Client::Shim, &[]);
    sb.commit("first").assert_ok();

    let mut strict = Sandbox::empty();
    strict.install(Client::Shim, &["--block-initial-commit"]);
    strict
        .commit("first")
        .assert_refused("master-check::initial-commit");
    // `git switch -c` works on an unborn branch and keeps the staged file.
    strict
        .git(&["switch", "-q", "-c", "feature/start"])
        .assert_ok();
    strict.git(&["commit", "-q", "-m", "first"]).assert_ok();
}

#[test]
fn git_dir_and_work_tree_variables_are_honoured() {
    let mut sb = Sandbox::with_hooks(Client::Shim, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    sb.write("elsewhere", "x");
    let (git_dir, work) = (sb.work.join(".git"), sb.work.clone());
    sb.set_env("GIT_DIR", git_dir.to_str().unwrap());
    sb.set_env("GIT_WORK_TREE", work.to_str().unwrap());
    sb.git(&["add", "elsewhere"]).assert_ok();
    // From outside the work tree: only the variables say where the repository is.
    sb.git_in(&sb.root, &["commit", "-q", "-m", "from outside"])
        .assert_refused(REFUSED_COMMIT);
}

#[test]
fn missing_binary_fails_closed_with_exit_2() {
    let mut sb = Sandbox::with_hooks(Client::Shim, &[]);
    sb.set_env("GITOPS_GUARDRAILS_BIN", "/nonexistent");
    sb.commit("anything")
        .assert_refused("'master-check' not found");
}

#[test]
fn pre_commit_try_repo_blocks_a_commit_on_main() {
    if !Client::PreCommit.available() {
        return;
    }
    let sb = Sandbox::empty();
    sb.commit_unguarded("initial");
    sb.write("README", "x");
    sb.git(&["add", "README"]).assert_ok();
    let repo = crate::harness::hook_repo();
    let run = sb.framework(
        Client::PreCommit,
        &[
            "try-repo",
            repo.path.to_str().unwrap(),
            "master-check",
            "--ref",
            &repo.rev,
            "--verbose",
        ],
    );
    // On a developer's machine (no CI), a run outside `git commit` answers "would my commit
    // here be refused?".
    run.assert_refused(REFUSED_COMMIT);
    sb.git(&["switch", "-q", "-c", "feature/x"]).assert_ok();
    let run = sb.framework(
        Client::PreCommit,
        &[
            "try-repo",
            repo.path.to_str().unwrap(),
            "master-check",
            "--ref",
            &repo.rev,
        ],
    );
    run.assert_ok();
}
