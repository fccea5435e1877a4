//! A snapshot of the environment variables hooks care about.

use std::collections::BTreeMap;

/// The variables this suite reads, and nothing else: git's hook exports, pre-commit's and
/// prek's `PRE_COMMIT_*`/`PREK_*`, CI providers' pull-request variables, and output controls.
const KNOWN: &[&str] = &[
    // git, inside hooks of commit-writing commands (githooks(5), git-commit(1))
    "GIT_INDEX_FILE",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_AUTHOR_DATE",
    "GIT_REFLOG_ACTION",
    "GIT_EDITOR",
    // pre-commit (`pre_commit/commands/hook_impl.py`, `run.py`) and prek
    // (`crates/prek/src/cli/hook_impl.rs`)
    "PRE_COMMIT",
    "PREK_HOOK_STAGE",
    "PRE_COMMIT_FROM_REF",
    "PRE_COMMIT_TO_REF",
    "PRE_COMMIT_ORIGIN",
    "PRE_COMMIT_SOURCE",
    "PRE_COMMIT_LOCAL_BRANCH",
    "PRE_COMMIT_REMOTE_BRANCH",
    "PRE_COMMIT_REMOTE_NAME",
    "PRE_COMMIT_REMOTE_URL",
    "PRE_COMMIT_COMMIT_MSG_SOURCE",
    "PRE_COMMIT_COMMIT_OBJECT_NAME",
    "PRE_COMMIT_PRE_REBASE_UPSTREAM",
    "PRE_COMMIT_PRE_REBASE_BRANCH",
    // CI
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_HEAD_REF",
    "GITLAB_CI",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    // caches (flux-kustomize-validate outside a git repository)
    "XDG_CACHE_HOME",
    "HOME",
    // output
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
];

/// Environment variables as seen at start-up. Values that are not UTF-8 are dropped: none of
/// the variables above carries anything else in practice, and a guard must not act on a
/// mangled branch name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<&'static str, String>,
}

impl Environment {
    /// Reads the known variables of this process. The one place the suite reads them.
    pub fn from_process() -> Self {
        Self::from_lookup(|name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// Builds a snapshot from explicit pairs (tests, embedding). Unknown names are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let pairs: BTreeMap<&str, &str> = pairs.into_iter().collect();
        Self::from_lookup(|name| pairs.get(name).map(|v| (*v).to_owned()))
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let vars = KNOWN
            .iter()
            .filter_map(|name| lookup(name).map(|value| (*name, value)))
            .collect();
        Self { vars }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// `NO_COLOR` set to anything non-empty (no-color.org).
    pub fn no_color(&self) -> bool {
        self.get("NO_COLOR").is_some_and(|v| !v.is_empty())
    }
}
