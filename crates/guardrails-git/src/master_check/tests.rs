use guardrails_context::{Ci, Client, HookContext, Push, RefUpdate, Stage, StageSource};

use super::*;

fn options(patterns: &[&str]) -> Options {
    let patterns: Vec<String> = patterns.iter().map(|s| (*s).to_owned()).collect();
    let names = if patterns.is_empty() {
        vec![]
    } else {
        vec!["main".to_owned()]
    };
    Options {
        protected: ProtectedBranches::new(&names, &patterns).expect("valid"),
        block_initial_commit: false,
        allow_merge: false,
    }
}

fn ctx(stage: Stage, commit_in_progress: bool) -> HookContext {
    HookContext {
        stage,
        stage_source: StageSource::Flag,
        client: Client::Git,
        commit_in_progress,
        push: None,
        commit_message: None,
        rebase: None,
        from_ref: None,
        to_ref: None,
        ci: None,
        git_command: None,
        parents_visible: false,
    }
}

fn on(
    head: Head,
    in_progress: Option<InProgress>,
) -> impl FnOnce() -> Result<RepositoryState, OpenError> {
    move || Ok(RepositoryState { head, in_progress })
}

fn branch(name: &str) -> Head {
    Head::Branch {
        name: name.into(),
        unborn: false,
    }
}

fn codes_of(report: &Report) -> Vec<&'static str> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn commit_on_protected_branch_is_refused() {
    let report = check(
        &ctx(Stage::PreCommit, true),
        &options(&[]),
        on(branch("main"), None),
    )
    .unwrap();
    assert_eq!(codes_of(&report), [codes::PROTECTED_COMMIT]);
    assert!(report.has_errors());
    let help = report.diagnostics[0].help.as_deref().unwrap_or("");
    assert!(help.contains("git switch -c feature/<name>"), "{help}");
}

#[test]
fn commit_on_feature_branch_passes_silently() {
    let report = check(
        &ctx(Stage::PreCommit, true),
        &options(&[]),
        on(branch("feat"), None),
    )
    .unwrap();
    assert!(report.diagnostics.is_empty());
}

#[test]
fn pattern_protects_release_branches() {
    let opts = options(&["release/*"]);
    let report = check(
        &ctx(Stage::PreCommit, true),
        &opts,
        on(branch("release/1.2"), None),
    )
    .unwrap();
    assert!(
        report.diagnostics[0]
            .message
            .contains("--pattern release/*")
    );
    let report = check(
        &ctx(Stage::PreCommit, true),
        &opts,
        on(branch("hotfix-release/1"), None),
    )
    .unwrap();
    assert!(!report.has_errors());
}

#[test]
fn merge_is_its_own_finding_and_can_be_allowed() {
    let report = check(
        &ctx(Stage::PreMergeCommit, true),
        &options(&[]),
        on(branch("main"), Some(InProgress::Merge)),
    )
    .unwrap();
    assert_eq!(codes_of(&report), [codes::PROTECTED_MERGE]);
    let mut allow = options(&[]);
    allow.allow_merge = true;
    let report = check(
        &ctx(Stage::PreMergeCommit, true),
        &allow,
        on(branch("main"), Some(InProgress::Merge)),
    )
    .unwrap();
    assert!(!report.has_errors());
}

#[test]
fn rebase_of_protected_branch_is_refused_while_detached() {
    let head = Head::Detached {
        branch: Some("main".into()),
    };
    let report = check(
        &ctx(Stage::PrepareCommitMsg, true),
        &options(&[]),
        on(head, Some(InProgress::Rebase)),
    )
    .unwrap();
    assert_eq!(codes_of(&report), [codes::PROTECTED_REWRITE]);
    assert!(
        report.diagnostics[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("git rebase --abort")
    );
}

#[test]
fn plain_detached_head_is_allowed_and_says_so_verbosely() {
    let report = check(
        &ctx(Stage::PreCommit, true),
        &options(&[]),
        on(Head::Detached { branch: None }, None),
    )
    .unwrap();
    assert!(report.diagnostics.is_empty());
    assert!(report.notes.iter().any(|n| n.message.contains("detached")));
}

#[test]
fn unborn_protected_branch_is_allowed_unless_configured() {
    let unborn = || Head::Branch {
        name: "main".into(),
        unborn: true,
    };
    let report = check(
        &ctx(Stage::PreCommit, true),
        &options(&[]),
        on(unborn(), None),
    )
    .unwrap();
    assert!(!report.has_errors());
    let mut strict = options(&[]);
    strict.block_initial_commit = true;
    let report = check(&ctx(Stage::PreCommit, true), &strict, on(unborn(), None)).unwrap();
    assert_eq!(codes_of(&report), [codes::INITIAL_COMMIT]);
}

#[test]
fn push_checks_every_destination_not_the_checked_out_branch() {
    let zero = "0".repeat(40);
    let mut c = ctx(Stage::PrePush, false);
    c.push = Some(Push {
        remote_name: Some("origin".into()),
        remote_url: None,
        updates: vec![
            RefUpdate {
                local_ref: "refs/heads/feat".into(),
                local_oid: "a".repeat(40),
                remote_ref: "refs/heads/feat".into(),
                remote_oid: zero.clone(),
            },
            RefUpdate {
                local_ref: "HEAD".into(),
                local_oid: "a".repeat(40),
                remote_ref: "refs/heads/main".into(),
                remote_oid: "b".repeat(40),
            },
            RefUpdate {
                local_ref: "(delete)".into(),
                local_oid: zero.clone(),
                remote_ref: "refs/heads/master".into(),
                remote_oid: "b".repeat(40),
            },
            RefUpdate {
                local_ref: "refs/tags/v1".into(),
                local_oid: "a".repeat(40),
                remote_ref: "refs/tags/main".into(),
                remote_oid: zero,
            },
        ],
        complete: true,
        malformed: None,
    });
    let report = check(&c, &options(&[]), || panic!("a push never reads HEAD")).unwrap();
    assert_eq!(
        codes_of(&report),
        [codes::PROTECTED_PUSH, codes::PROTECTED_DELETE]
    );
    assert!(
        report.diagnostics[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("git push origin HEAD:feature/<name>")
    );
}

#[test]
fn ci_run_on_main_is_not_a_commit() {
    let mut c = ctx(Stage::PreCommit, false);
    c.ci = Some(Ci {
        provider: "unknown",
        source_branch: None,
    });
    let report = check(&c, &options(&[]), on(branch("main"), None)).unwrap();
    assert!(!report.has_errors());
    assert_eq!(codes_of(&report), [codes::NOTHING_IN_PROGRESS]);
}

#[test]
fn ci_checks_the_pull_request_source_branch() {
    let mut c = ctx(Stage::PreCommit, false);
    c.ci = Some(Ci {
        provider: "github",
        source_branch: Some("main".into()),
    });
    let report = check(&c, &options(&[]), on(Head::Detached { branch: None }, None)).unwrap();
    assert_eq!(codes_of(&report), [codes::PROTECTED_SOURCE_BRANCH]);
    c.ci = Some(Ci {
        provider: "github",
        source_branch: Some("feature/x".into()),
    });
    let report = check(&c, &options(&[]), on(branch("main"), None)).unwrap();
    assert!(!report.has_errors());
    assert!(report.diagnostics[0].message.contains("feature/x"));
}

#[test]
fn hostile_branch_names_are_printed_escaped() {
    let report = check(
        &ctx(Stage::PreCommit, true),
        &options(&["*"]),
        on(branch("x\u{1b}]0;pwned\u{7}"), None),
    )
    .unwrap();
    let message = &report.diagnostics[0].message;
    assert!(!message.contains('\u{1b}'), "{message}");
    assert!(message.contains("\\u{1b}"), "{message}");
}

#[test]
fn local_manual_run_on_main_answers_would_my_commit_be_refused() {
    let report = check(
        &ctx(Stage::Manual, false),
        &options(&[]),
        on(branch("main"), None),
    )
    .unwrap();
    assert_eq!(codes_of(&report), [codes::PROTECTED_COMMIT]);
    let report = check(
        &ctx(Stage::Manual, false),
        &options(&[]),
        on(branch("feat"), None),
    )
    .unwrap();
    assert!(report.diagnostics.is_empty());
}
