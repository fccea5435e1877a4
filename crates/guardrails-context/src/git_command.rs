//! The git command that started a hook, read from the parent processes.
//!
//! Neither git nor the frameworks tell a pre-commit hook that `git commit --amend` is
//! running (prepare-commit-msg even reports `git commit --amend -m x` as a plain `message`
//! commit, see githooks(5)), but the `git commit` process is an ancestor of the hook.

use crate::ProcessInfo;

/// A `git <subcommand> …` ancestor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommand {
    /// `commit`, `rebase`, `merge`, … (after git's global options).
    pub subcommand: String,
    /// The words after the subcommand.
    pub args: Vec<String>,
}

/// git's global options that take a separate value (`git -c k=v commit`).
const GLOBAL_WITH_VALUE: &[&str] = &[
    "-c",
    "-C",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--exec-path",
    "--config-env",
    "--super-prefix",
    "--list-cmds",
    "--attr-source",
];

impl GitCommand {
    /// Parses one process; `None` unless it is git running a subcommand.
    pub fn parse(process: &ProcessInfo) -> Option<Self> {
        let exe = process.argv.first()?;
        let name = exe.rsplit(['/', '\\']).next().unwrap_or(exe);
        if name != "git" && name != "git.exe" {
            return None;
        }
        let mut words = process.argv[1..].iter();
        while let Some(word) = words.next() {
            if GLOBAL_WITH_VALUE.contains(&word.as_str()) {
                words.next();
            } else if word.starts_with('-') {
                continue; // --no-pager, --git-dir=…, -p, --bare, …
            } else {
                return Some(Self {
                    subcommand: word.clone(),
                    args: words.cloned().collect(),
                });
            }
        }
        None
    }

    /// The nearest git ancestor (aliases show up as a nearer `git commit` child process).
    pub fn nearest(parents: &[ProcessInfo]) -> Option<Self> {
        parents.iter().find_map(Self::parse)
    }

    /// `git commit` with `--amend` in effect: the last of `--amend` (or a unique prefix of it,
    /// `--am`, which git accepts) and `--no-amend` wins. Option parsing stops at `--`.
    pub fn is_amend(&self) -> bool {
        if self.subcommand != "commit" {
            return false;
        }
        let mut amend = false;
        for arg in &self.args {
            if arg == "--" {
                break;
            }
            if arg.len() >= 4 && "--amend".starts_with(arg.as_str()) {
                amend = true;
            } else if arg.len() >= 7 && "--no-amend".starts_with(arg.as_str()) {
                amend = false;
            }
        }
        amend
    }

    /// The value of `-c`/`-C`/`--reuse-message`/`--reedit-message`, when given.
    pub fn reused_message(&self) -> Option<&str> {
        let mut args = self.args.iter();
        let mut found = None;
        while let Some(arg) = args.next() {
            if arg == "--" {
                break;
            }
            match arg.as_str() {
                "-c" | "-C" | "--reuse-message" | "--reedit-message" => {
                    found = args.next().map(String::as_str);
                }
                other => {
                    if let Some(v) = other
                        .strip_prefix("--reuse-message=")
                        .or_else(|| other.strip_prefix("--reedit-message="))
                    {
                        found = Some(v);
                    } else if let Some(v) = other
                        .strip_prefix("-C")
                        .or_else(|| other.strip_prefix("-c"))
                        && !v.is_empty()
                        && !other.starts_with("--")
                    {
                        found = Some(v);
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(words: &str) -> Option<GitCommand> {
        GitCommand::parse(&ProcessInfo {
            pid: 1,
            argv: words.split(' ').map(str::to_owned).collect(),
        })
    }

    #[test]
    fn amend_forms() {
        assert!(git("git commit --amend --no-edit").unwrap().is_amend());
        assert!(git("git commit --am -m x").unwrap().is_amend());
        assert!(
            git("/usr/lib/git-core/git -c user.name=x commit --amend")
                .unwrap()
                .is_amend()
        );
        assert!(!git("git commit --amend --no-amend").unwrap().is_amend());
        assert!(!git("git commit -C HEAD").unwrap().is_amend());
        assert!(
            !git("git commit --a").unwrap().is_amend(),
            "--a is ambiguous (--all)"
        );
        assert!(!git("git rebase --amend").unwrap().is_amend());
        assert!(git("bash -c git commit --amend").is_none());
    }

    #[test]
    fn reused_message_forms() {
        assert_eq!(
            git("git commit -C HEAD").unwrap().reused_message(),
            Some("HEAD")
        );
        assert_eq!(
            git("git commit -cHEAD~1").unwrap().reused_message(),
            Some("HEAD~1")
        );
        assert_eq!(
            git("git commit --reuse-message=abc")
                .unwrap()
                .reused_message(),
            Some("abc")
        );
        assert_eq!(git("git commit --amend").unwrap().reused_message(), None);
    }
}
