//! Git guards: the checks behind `master-check` and `prevent-amend-after-push`.
//!
//! Everything here reads the repository through gix without spawning git, and returns
//! findings as [`guardrails_report::Report`]s. `Err` means a guard could not do its job (an
//! unreadable repository); a refusal is a finding, not an error. It never prints and never
//! exits.

mod commit_index;
pub mod file_history;
pub mod generation_cache;
pub mod history;
pub mod master_check;
pub mod prevent_amend;
mod protected;
pub mod remote_refs;
mod repository;
mod staged;
#[cfg(test)]
mod test_git;

pub use protected::{BranchRule, InvalidPattern, ProtectedBranches};
pub use repository::{
    Head, InProgress, OpenError, RepositoryState, UnsupportedFormat, Workspace, head_commit, open,
};
pub use staged::{StagedError, staged_deletions};
