//! Test helper: runs real git in a sandboxed environment.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `git args` in `dir` (no system or user config) and returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_with_input(dir, args, None)
}

/// The commit `rev` names, resolved by git.
pub fn rev(dir: &Path, rev: &str) -> gix::ObjectId {
    gix::ObjectId::from_hex(git(dir, &["rev-parse", rev]).as_bytes()).unwrap()
}

/// [`git`], feeding `input` on stdin.
pub fn git_with_input(dir: &Path, args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.test")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
