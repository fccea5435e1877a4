//! A guard that cannot read what it guards says so and exits 2: malformed pre-push input,
//! and a HEAD that cannot be read. Only a genuinely unborn branch is "no commit".

use std::process::Command;

use crate::harness::{Run, Sandbox, bin_dir};

const GUARDS: [&str; 2] = ["master-check", "prevent-amend-after-push"];

/// Runs a hook binary with `stdin` as its standard input.
fn with_stdin(sb: &Sandbox, name: &str, args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new(bin_dir().join(name));
    cmd.args(args);
    sb.run_cmd_with_stdin(cmd, Some(stdin))
}

fn pushed_main() -> Sandbox {
    let sb = Sandbox::empty();
    sb.commit_unguarded("first");
    sb.git(&["push", "-q", "origin", "main"]).assert_ok();
    sb
}

#[test]
fn a_pre_push_line_that_is_not_a_ref_update_is_could_not_run() {
    let sb = pushed_main();
    let head = sb.rev("HEAD");
    let zero = "0".repeat(40);
    for stdin in [
        "garbage\n".to_owned(),
        format!("refs/heads/main {head} refs/heads/main\n"),
        format!("refs/heads/main {head} refs/heads/main {zero} extra\n"),
        format!("refs/heads/main {} refs/heads/main {zero}\n", &head[..12]),
        format!(
            "refs/heads/main {head} refs/heads/main not-hex-{}\n",
            "x".repeat(32)
        ),
        // A good line does not excuse a bad one.
        format!("refs/heads/feat {head} refs/heads/feat {zero}\nrefs/heads/main oops\n"),
    ] {
        for guard in GUARDS {
            let run = with_stdin(
                &sb,
                guard,
                &["--stage", "pre-push", "--verbose", "--", "origin", "url"],
                &stdin,
            );
            assert_eq!(run.code, 2, "{guard} {stdin:?}: {}", run.all());
            run.assert_contains("cannot tell what is pushed");
            run.assert_contains("guardrails::cannot-run");
        }
    }
}

#[test]
fn well_formed_pre_push_input_is_still_judged() {
    let sb = pushed_main();
    let head = sb.rev("HEAD");
    let zero = "0".repeat(40);
    // Blank lines are what a shim echoing an empty push writes.
    let run = with_stdin(
        &sb,
        "master-check",
        &["--stage", "pre-push", "--", "origin", "url"],
        "\n",
    );
    run.assert_ok();
    let to_main = format!("refs/heads/feat {head} refs/heads/main {zero}\n");
    with_stdin(
        &sb,
        "master-check",
        &["--stage", "pre-push", "--", "origin", "url"],
        &to_main,
    )
    .assert_refused("master-check::protected-push");
    // Without `--` and git's arguments, `--stage pre-push` reads git's lines as well.
    let run = with_stdin(&sb, "master-check", &["--stage", "pre-push"], &to_main);
    assert_eq!(run.code, 1, "{}", run.all());
    run.assert_contains("push to protected branch `main`");
    let run = with_stdin(&sb, "master-check", &["--stage", "pre-push"], "nonsense\n");
    assert_eq!(run.code, 2, "{}", run.all());
}

#[test]
fn an_unreadable_head_is_could_not_run_for_every_guard() {
    let stages: [&[&str]; 3] = [
        &[
            "--stage",
            "prepare-commit-msg",
            "--",
            ".git/COMMIT_EDITMSG",
            "commit",
            "HEAD",
        ],
        &["--stage", "pre-rebase", "--", "main"],
        &["--stage", "pre-commit"],
    ];
    let missing = "1".repeat(40);
    for (case, head) in [
        ("garbage", "this is not a ref\n".to_owned()),
        ("empty", String::new()),
        ("outside refs/", "ref: outside/main\n".to_owned()),
        ("missing commit", format!("{missing}\n")),
    ] {
        let sb = pushed_main();
        std::fs::write(sb.work.join(".git/HEAD"), &head).unwrap();
        for guard in GUARDS {
            for args in stages {
                let run = sb.hook(guard, args);
                assert_eq!(run.code, 2, "{case}: {guard} {args:?}: {}", run.all());
            }
        }
    }
}

#[test]
fn an_unborn_branch_is_no_commit() {
    let sb = Sandbox::empty();
    let run = sb.hook(
        "prevent-amend-after-push",
        &[
            "--stage",
            "prepare-commit-msg",
            "--",
            ".git/COMMIT_EDITMSG",
            "commit",
            "HEAD",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let run = sb.hook("prevent-amend-after-push", &["--stage", "pre-rebase"]);
    assert_eq!(run.code, 0, "{}", run.all());
}
