//! Which git hook is running, and which client started it.

use std::fmt;
use std::str::FromStr;

use crate::{Environment, Invocation, ProcessInfo};

/// The git hook a guard runs as, or `Manual` for a person or CI calling it directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    PreCommit,
    PreMergeCommit,
    PrepareCommitMsg,
    CommitMsg,
    PreRebase,
    PrePush,
    PostCheckout,
    PostCommit,
    PostMerge,
    PostRewrite,
    Manual,
}

impl Stage {
    pub const ALL: [Stage; 11] = [
        Stage::PreCommit,
        Stage::PreMergeCommit,
        Stage::PrepareCommitMsg,
        Stage::CommitMsg,
        Stage::PreRebase,
        Stage::PrePush,
        Stage::PostCheckout,
        Stage::PostCommit,
        Stage::PostMerge,
        Stage::PostRewrite,
        Stage::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreCommit => "pre-commit",
            Stage::PreMergeCommit => "pre-merge-commit",
            Stage::PrepareCommitMsg => "prepare-commit-msg",
            Stage::CommitMsg => "commit-msg",
            Stage::PreRebase => "pre-rebase",
            Stage::PrePush => "pre-push",
            Stage::PostCheckout => "post-checkout",
            Stage::PostCommit => "post-commit",
            Stage::PostMerge => "post-merge",
            Stage::PostRewrite => "post-rewrite",
            Stage::Manual => "manual",
        }
    }

    /// Hooks that run while git is about to write a commit on HEAD.
    pub fn writes_commit(self) -> bool {
        matches!(
            self,
            Stage::PreCommit | Stage::PreMergeCommit | Stage::PrepareCommitMsg | Stage::CommitMsg
        )
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown stage name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStage(pub String);

impl fmt::Display for UnknownStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown stage `{}`", self.0)
    }
}

impl std::error::Error for UnknownStage {}

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // pre-commit 1.x/2.x stage names (`commit`, `push`, `merge-commit`) are still
        // accepted by pre-commit and prek, so they are accepted here too.
        let canonical = match s {
            "commit" => "pre-commit",
            "push" => "pre-push",
            "merge-commit" => "pre-merge-commit",
            other => other,
        };
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == canonical)
            .ok_or_else(|| UnknownStage(s.to_owned()))
    }
}

/// What started the hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// git itself, through a `hooks/` shim.
    Git,
    PreCommit,
    Prek,
    /// A person or a CI script.
    Manual,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Git => "git",
            Client::PreCommit => "pre-commit",
            Client::Prek => "prek",
            Client::Manual => "manual",
        }
    }
}

/// How the stage was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageSource {
    /// `--stage` on the command line (the shims pass it).
    Flag,
    /// prek's `PREK_HOOK_STAGE`.
    PrekEnvironment,
    /// The framework's `hook-impl --hook-type=…` parent process.
    FrameworkProcess,
    /// Guessed from the `PRE_COMMIT_*` or git variables that are set.
    Inferred,
    /// Nothing said: a manual run.
    Default,
}

impl StageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StageSource::Flag => "--stage",
            StageSource::PrekEnvironment => "PREK_HOOK_STAGE",
            StageSource::FrameworkProcess => "the framework's hook-impl process",
            StageSource::Inferred => "the hook environment",
            StageSource::Default => "no hook signal (manual run)",
        }
    }
}

/// A `pre-commit hook-impl …` or `prek hook-impl …` parent process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameworkCall {
    pub client: Client,
    pub hook_type: Option<Stage>,
    /// git's raw hook arguments, after the framework's `--`.
    pub hook_args: Vec<String>,
}

impl FrameworkCall {
    pub(crate) fn parse(process: &ProcessInfo) -> Option<Self> {
        let argv = &process.argv;
        let impl_at = argv.iter().position(|a| a == "hook-impl")?;
        // prek is its own executable; pre-commit runs as `python -mpre_commit` or a
        // `pre-commit` entry point.
        let is_prek = argv[..impl_at].iter().any(|arg| {
            let name = arg.rsplit(['/', '\\']).next().unwrap_or(arg);
            name == "prek" || name == "prek.exe"
        });
        let client = if is_prek {
            Client::Prek
        } else {
            Client::PreCommit
        };
        let mut hook_type = None;
        let mut hook_args = Vec::new();
        let mut rest = argv[impl_at + 1..].iter();
        while let Some(arg) = rest.next() {
            if arg == "--" {
                hook_args = rest.cloned().collect();
                break;
            }
            if let Some(value) = arg.strip_prefix("--hook-type=") {
                hook_type = value.parse().ok();
            } else if arg == "--hook-type" {
                hook_type = rest.next().and_then(|v| v.parse().ok());
            }
        }
        Some(Self {
            client,
            hook_type,
            hook_args,
        })
    }
}

pub(crate) fn client(
    invocation: &Invocation,
    env: &Environment,
    framework: Option<&FrameworkCall>,
) -> Client {
    if let Some(framework) = framework {
        framework.client
    } else if env.get("PREK_HOOK_STAGE").is_some() {
        Client::Prek
    } else if env.get("PRE_COMMIT").is_some() {
        Client::PreCommit
    } else if invocation.stage.is_some() && env.get("GIT_INDEX_FILE").is_some()
        || !invocation.hook_args.is_empty()
        || invocation.push_stdin.is_some()
    {
        Client::Git
    } else {
        Client::Manual
    }
}

pub(crate) fn resolve_stage(
    invocation: &Invocation,
    env: &Environment,
    framework: Option<&FrameworkCall>,
    client: Client,
) -> (Stage, StageSource) {
    if let Some(stage) = invocation.stage {
        return (stage, StageSource::Flag);
    }
    if let Some(stage) = env.get("PREK_HOOK_STAGE").and_then(|s| s.parse().ok()) {
        return (stage, StageSource::PrekEnvironment);
    }
    if let Some(stage) = framework.and_then(|f| f.hook_type) {
        return (stage, StageSource::FrameworkProcess);
    }
    // pre-commit never names the stage; each stage exports its own variables.
    let inferred = if env.get("PRE_COMMIT_REMOTE_NAME").is_some()
        || env.get("PRE_COMMIT_REMOTE_BRANCH").is_some()
    {
        Some(Stage::PrePush)
    } else if env.get("PRE_COMMIT_COMMIT_MSG_SOURCE").is_some() {
        Some(Stage::PrepareCommitMsg)
    } else if env.get("PRE_COMMIT_PRE_REBASE_UPSTREAM").is_some() {
        Some(Stage::PreRebase)
    } else if env.get("GIT_INDEX_FILE").is_some() && client != Client::Manual {
        Some(Stage::PreCommit)
    } else {
        None
    };
    match inferred {
        Some(stage) => (stage, StageSource::Inferred),
        None => (Stage::Manual, StageSource::Default),
    }
}
