use super::*;

fn argv(words: &str) -> ProcessInfo {
    ProcessInfo {
        pid: 42,
        argv: words.split(' ').map(str::to_owned).collect(),
    }
}

fn resolve(inv: Invocation, env: &[(&str, &str)], parents: &[ProcessInfo]) -> HookContext {
    HookContext::resolve(&inv, &Environment::from_pairs(env.iter().copied()), parents)
}

#[test]
fn pre_commit_framework_stage_comes_from_hook_impl_argv() {
    let parents = [
        argv(
            "/venv/bin/python -mpre_commit hook-impl --config=.pre-commit-config.yaml --hook-type=pre-merge-commit --hook-dir /r/.git/hooks --",
        ),
        argv("git merge feat"),
    ];
    let ctx = resolve(
        Invocation::default(),
        &[("PRE_COMMIT", "1"), ("GIT_INDEX_FILE", ".git/index")],
        &parents,
    );
    assert_eq!(ctx.stage, Stage::PreMergeCommit);
    assert_eq!(ctx.stage_source, StageSource::FrameworkProcess);
    assert_eq!(ctx.client, Client::PreCommit);
    assert!(ctx.commit_in_progress);
}

#[test]
fn prek_stage_comes_from_its_variable() {
    let parents = [argv("/usr/bin/prek hook-impl --hook-type=pre-commit --")];
    let ctx = resolve(
        Invocation::default(),
        &[("PREK_HOOK_STAGE", "pre-push"), ("PRE_COMMIT", "1")],
        &parents,
    );
    assert_eq!(ctx.stage, Stage::PrePush);
    assert_eq!(ctx.stage_source, StageSource::PrekEnvironment);
    assert_eq!(ctx.client, Client::Prek);
}

#[test]
fn pre_commit_run_in_ci_is_not_a_commit() {
    let ctx = resolve(
        Invocation::default(),
        &[
            ("PRE_COMMIT", "1"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_HEAD_REF", "feature/x"),
        ],
        &[argv("bash -c pre-commit run --all-files")],
    );
    assert_eq!(ctx.stage, Stage::Manual);
    assert!(!ctx.commit_in_progress);
    assert_eq!(
        ctx.ci,
        Some(Ci {
            provider: "github",
            source_branch: Some("feature/x".into())
        })
    );
}

#[test]
fn framework_push_exposes_one_ref_and_says_it_is_incomplete() {
    let ctx = resolve(
        Invocation::default(),
        &[
            ("PRE_COMMIT", "1"),
            ("PRE_COMMIT_REMOTE_NAME", "origin"),
            ("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/main"),
            ("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/feat"),
            ("PRE_COMMIT_FROM_REF", "aaa"),
            ("PRE_COMMIT_TO_REF", "bbb"),
        ],
        &[],
    );
    assert_eq!(ctx.stage, Stage::PrePush);
    assert_eq!(ctx.stage_source, StageSource::Inferred);
    let push = ctx.push.expect("push context");
    assert!(!push.complete);
    assert_eq!(push.remote_name.as_deref(), Some("origin"));
    assert_eq!(push.updates.len(), 1);
    assert_eq!(push.updates[0].remote_branch(), Some("main"));
    assert_eq!(push.updates[0].local_oid, "bbb");
}

#[test]
fn shim_push_reads_every_stdin_line() {
    let zero = "0".repeat(40);
    let stdin = format!(
        "refs/heads/feat {one} refs/heads/feat {zero}\n(delete) {zero} refs/heads/main {two}\n\n",
        one = "1".repeat(40),
        two = "2".repeat(40),
    );
    let ctx = resolve(
        Invocation {
            stage: Some(Stage::PrePush),
            hook_args: vec!["origin".into(), "/srv/r.git".into()],
            push_stdin: Some(stdin),
            ..Invocation::default()
        },
        &[],
        &[],
    );
    assert_eq!(ctx.client, Client::Git);
    let push = ctx.push.expect("push context");
    assert!(push.complete);
    assert_eq!(push.remote_url.as_deref(), Some("/srv/r.git"));
    assert_eq!(push.updates.len(), 2);
    assert!(push.updates[0].is_creation());
    assert!(push.updates[1].is_deletion());
    assert!(push.malformed.is_none());

    // A line git never writes: what is pushed is unknown, and the context says so.
    let ctx = resolve(
        Invocation {
            stage: Some(Stage::PrePush),
            hook_args: vec!["origin".into(), "/srv/r.git".into()],
            push_stdin: Some("garbage\n".into()),
            ..Invocation::default()
        },
        &[],
        &[],
    );
    let push = ctx.push.expect("push context");
    assert!(push.updates.is_empty());
    assert_eq!(push.malformed.map(|m| m.line), Some(1));
}

#[test]
fn prepare_commit_msg_from_pre_commit_variables() {
    let ctx = resolve(
        Invocation::default(),
        &[
            ("PRE_COMMIT", "1"),
            ("PRE_COMMIT_COMMIT_MSG_SOURCE", "commit"),
            ("PRE_COMMIT_COMMIT_OBJECT_NAME", "HEAD"),
            ("GIT_INDEX_FILE", ".git/index"),
        ],
        &[],
    );
    assert_eq!(ctx.stage, Stage::PrepareCommitMsg);
    let msg = ctx.commit_message.expect("commit message context");
    assert_eq!(msg.source.as_deref(), Some("commit"));
    assert_eq!(msg.object.as_deref(), Some("HEAD"));
}

#[test]
fn prepare_commit_msg_from_git_arguments() {
    let ctx = resolve(
        Invocation {
            stage: Some(Stage::PrepareCommitMsg),
            hook_args: vec![
                ".git/COMMIT_EDITMSG".into(),
                "message".into(),
                String::new(),
            ],
            ..Invocation::default()
        },
        &[("GIT_INDEX_FILE", ".git/index")],
        &[],
    );
    let msg = ctx.commit_message.expect("commit message context");
    assert_eq!(msg.source.as_deref(), Some("message"));
    assert_eq!(msg.object, None, "an empty object (--squash) is no object");
}

#[test]
fn lone_pre_rebase_argument_is_recovered_from_pre_commit_argv() {
    // pre-commit exports the pre-rebase variables only for two arguments
    // (`pre_commit/commands/hook_impl.py`), so nothing for `git rebase main`.
    let parents = [argv(
        "python -mpre_commit hook-impl --hook-type=pre-rebase --hook-dir /r/.git/hooks -- main",
    )];
    let ctx = resolve(Invocation::default(), &[("PRE_COMMIT", "1")], &parents);
    assert_eq!(ctx.stage, Stage::PreRebase);
    assert_eq!(
        ctx.rebase,
        Some(Rebase {
            upstream: Some("main".into()),
            branch: None,
            root: false
        })
    );
}

#[test]
fn rebase_root_is_not_an_upstream() {
    let ctx = resolve(
        Invocation {
            stage: Some(Stage::PreRebase),
            hook_args: vec!["--root".into()],
            ..Invocation::default()
        },
        &[],
        &[],
    );
    let rebase = ctx.rebase.expect("rebase context");
    assert!(rebase.root);
    assert_eq!(rebase.upstream, None);
}

#[test]
fn old_stage_names_are_accepted() {
    assert_eq!("push".parse::<Stage>(), Ok(Stage::PrePush));
    assert_eq!("merge-commit".parse::<Stage>(), Ok(Stage::PreMergeCommit));
    assert!("pre-bogus".parse::<Stage>().is_err());
}

#[test]
fn zero_oids_of_any_hash_length() {
    assert!(push::is_zero_oid(&"0".repeat(64)));
    assert!(!push::is_zero_oid(""));
    assert!(!push::is_zero_oid("000a"));
}

#[test]
fn the_parent_chain_ends_at_the_nearest_git_command() {
    // hook <- sh shim <- git commit --amend <- git alias <- bash <- init
    let table = |pid: u32| -> Option<(u32, Vec<String>)> {
        let (parent, argv): (u32, &[&str]) = match pid {
            50 => (40, &["/bin/sh", ".git/hooks/pre-commit"]),
            40 => (30, &["/usr/bin/git", "commit", "--amend"]),
            30 => (20, &["git", "amend-all"]),
            20 => (1, &["bash"]),
            _ => return None,
        };
        Some((parent, argv.iter().map(|a| (*a).to_owned()).collect()))
    };
    let chain = process::chain_from(50, 8, table);
    let pids: Vec<u32> = chain.iter().map(|p| p.pid).collect();
    assert_eq!(pids, [50, 40], "nothing above the nearest git is read");
    assert!(GitCommand::nearest(&chain).is_some_and(|git| git.is_amend()));
    // Without a git command the walk goes on to the limit or to init.
    let no_git = |pid: u32| (pid > 1).then(|| (pid - 1, vec!["sh".to_owned()]));
    assert_eq!(process::chain_from(9, 3, no_git).len(), 3);
    assert_eq!(process::chain_from(4, 8, no_git).len(), 3);
}

#[test]
fn ancestors_of_this_test_process_are_readable() {
    // The test runner has a parent; on Linux its argv is readable from /proc.
    let chain = ancestors(2);
    if cfg!(target_os = "linux") {
        assert!(!chain.is_empty());
        assert!(!chain[0].argv.is_empty());
    }
}
