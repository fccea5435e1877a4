//! Opening the repository and reading what HEAD is doing.

use std::path::{Path, PathBuf};

/// The repository could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open a git repository at {}: {message}", path.display())]
pub struct OpenError {
    pub path: PathBuf,
    pub message: String,
    /// Set when the repository exists but is in a format the hooks cannot read.
    pub unsupported: Option<UnsupportedFormat>,
}

/// Repository formats the hooks cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsupportedFormat {
    /// `git init --ref-format=reftable`.
    Reftable,
    /// `git init --object-format=sha256`.
    Sha256,
}

impl std::fmt::Display for UnsupportedFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnsupportedFormat::Reftable => "reftable ref storage",
            UnsupportedFormat::Sha256 => "the SHA-256 object format",
        })
    }
}

impl OpenError {
    fn unsupported(path: PathBuf, format: UnsupportedFormat) -> Self {
        OpenError {
            path,
            message: format!("it uses {format}, which the hooks cannot read"),
            unsupported: Some(format),
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self.unsupported {
            Some(UnsupportedFormat::Reftable) => {
                "the hooks read refs from git's files backend; convert the repository with\n    \
                 git refs migrate --ref-format=files\nor leave the hooks out of it"
            }
            Some(UnsupportedFormat::Sha256) => {
                "the hooks read SHA-1 repositories only; leave them out of this repository"
            }
            None => "run it inside a git repository (or set GIT_DIR)",
        }
    }
}

/// Opens the repository containing `dir`, honouring `GIT_DIR` and `GIT_WORK_TREE` as git
/// exports them to hooks in linked worktrees and submodules.
///
/// A repository in a format the hooks cannot read is an error that says so: gix would
/// open a reftable repository and list no refs at all (every commit would look
/// unpublished), and fail on a SHA-256 one with a generic configuration error.
pub fn open(dir: &Path) -> Result<gix::Repository, OpenError> {
    match gix::discover_with_environment_overrides(dir) {
        // git keeps a reftable repository's refs under `reftable/` in the common dir.
        Ok(repo) if repo.common_dir().join("reftable").is_dir() => Err(OpenError::unsupported(
            repo.git_dir().to_path_buf(),
            UnsupportedFormat::Reftable,
        )),
        Ok(repo) => Ok(repo),
        Err(err) => Err(match unsupported_format(dir) {
            Some(format) => OpenError::unsupported(dir.to_path_buf(), format),
            None => OpenError {
                path: dir.to_path_buf(),
                message: err.to_string(),
                unsupported: None,
            },
        }),
    }
}

/// After gix failed: whether the nearest repository's config declares a format it does not
/// read (`extensions.objectFormat = sha256`).
fn unsupported_format(dir: &Path) -> Option<UnsupportedFormat> {
    let git_dir = std::env::var_os("GIT_DIR")
        .map(PathBuf::from)
        .map(|git_dir| dir.join(git_dir))
        .or_else(|| {
            dir.ancestors()
                .map(|d| d.join(".git"))
                .find(|candidate| candidate.exists())
        })?;
    let git_dir = if git_dir.is_file() {
        // A worktree's or submodule's `.git` file: `gitdir: <path>`.
        let text = std::fs::read_to_string(&git_dir).ok()?;
        let target = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
        git_dir.parent()?.join(target)
    } else {
        git_dir
    };
    // A linked worktree's git dir names the common one in `commondir`.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or(git_dir);
    let config = std::fs::read_to_string(common.join("config")).ok()?;
    config.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().to_ascii_lowercase();
        match (key.as_str(), value.as_str()) {
            ("objectformat", "sha256") => Some(UnsupportedFormat::Sha256),
            ("refstorage", "reftable") => Some(UnsupportedFormat::Reftable),
            _ => None,
        }
    })
}

/// An operation git keeps state for in the (per-worktree) git dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InProgress {
    Rebase,
    CherryPick,
    Revert,
    Bisect,
    Merge,
    ApplyMailbox,
}

impl InProgress {
    pub fn as_str(self) -> &'static str {
        match self {
            InProgress::Rebase => "rebase",
            InProgress::CherryPick => "cherry-pick",
            InProgress::Revert => "revert",
            InProgress::Bisect => "bisect",
            InProgress::Merge => "merge",
            InProgress::ApplyMailbox => "am",
        }
    }
}

/// What HEAD points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// HEAD is a branch (`unborn`: it has no commit yet).
    Branch { name: String, unborn: bool },
    /// HEAD is detached. `branch` is the branch the operation in progress started from,
    /// when git recorded one (rebase `head-name`, bisect `BISECT_START`).
    Detached { branch: Option<String> },
}

/// HEAD and the operation in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryState {
    pub head: Head,
    pub in_progress: Option<InProgress>,
}

impl RepositoryState {
    /// Reads HEAD and the in-progress state of `repo`'s worktree.
    pub fn read(repo: &gix::Repository) -> Result<Self, OpenError> {
        let in_progress = repo.state().map(|state| {
            use gix::state::InProgress as G;
            match state {
                G::Rebase | G::RebaseInteractive | G::ApplyMailboxRebase => InProgress::Rebase,
                G::CherryPick | G::CherryPickSequence => InProgress::CherryPick,
                G::Revert | G::RevertSequence => InProgress::Revert,
                G::Bisect => InProgress::Bisect,
                G::Merge => InProgress::Merge,
                G::ApplyMailbox => InProgress::ApplyMailbox,
            }
        });
        // Fails on a HEAD that cannot be read; only an unborn branch has no commit.
        head_commit(repo)?;
        let head = repo.head().map_err(|err| OpenError {
            path: repo.git_dir().to_path_buf(),
            message: format!("cannot read HEAD: {err}"),
            unsupported: None,
        })?;
        let head = match &head.kind {
            gix::head::Kind::Symbolic(reference) => Head::Branch {
                name: short_branch(&reference.name.as_bstr().to_string()),
                unborn: false,
            },
            gix::head::Kind::Unborn(name) => Head::Branch {
                name: short_branch(&name.as_bstr().to_string()),
                unborn: true,
            },
            gix::head::Kind::Detached { .. } => Head::Detached {
                branch: original_branch(repo.path(), in_progress),
            },
        };
        Ok(Self { head, in_progress })
    }
}

/// The commit HEAD names: `Ok(None)` only for a genuinely unborn branch (a symbolic HEAD
/// naming a ref under `refs/` that does not exist yet). HEAD that cannot be read (garbage,
/// empty), that names something outside `refs/`, or whose commit object is
/// missing is an error: a guard cannot say what it would rewrite, so it must not pass.
pub fn head_commit(repo: &gix::Repository) -> Result<Option<gix::ObjectId>, OpenError> {
    let unreadable = |message: String| OpenError {
        path: repo.git_dir().to_path_buf(),
        message,
        unsupported: None,
    };
    let head = repo
        .head()
        .map_err(|err| unreadable(format!("cannot read HEAD: {err}")))?;
    let id = match &head.kind {
        gix::head::Kind::Unborn(name) => {
            let name = name.as_bstr().to_string();
            // git's own rule for a symbolic HEAD (`validate_headref`): it names a ref
            // under `refs/`.
            return if name.starts_with("refs/") {
                Ok(None)
            } else {
                Err(unreadable(format!(
                    "HEAD points at `{}`, which is outside refs/",
                    guardrails_report::sanitize(&name)
                )))
            };
        }
        gix::head::Kind::Symbolic(reference) => match reference.target.try_id() {
            Some(id) => id.to_owned(),
            None => {
                return Err(unreadable(
                    "HEAD's branch is a symbolic ref, not a commit".to_owned(),
                ));
            }
        },
        gix::head::Kind::Detached { target, .. } => *target,
    };
    match repo.find_object(id) {
        Ok(object) if object.kind == gix::object::Kind::Commit => Ok(Some(id)),
        Ok(object) => Err(unreadable(format!(
            "HEAD names {id}, which is a {}, not a commit",
            object.kind
        ))),
        Err(err) => Err(unreadable(format!(
            "HEAD names commit {id}, which the repository does not have: {err}"
        ))),
    }
}

fn short_branch(full: &str) -> String {
    full.strip_prefix("refs/heads/").unwrap_or(full).to_owned()
}

/// The branch a detached-HEAD operation belongs to, from the files git keeps for it:
/// `rebase-merge/head-name` or `rebase-apply/head-name` (`refs/heads/<b>`, or
/// `detached HEAD`), and `BISECT_START` (the branch name or commit bisect started from).
fn original_branch(git_dir: &Path, in_progress: Option<InProgress>) -> Option<String> {
    let read = |name: &str| {
        std::fs::read_to_string(git_dir.join(name))
            .ok()
            .map(|text| text.trim().to_owned())
    };
    match in_progress? {
        InProgress::Rebase => read("rebase-merge/head-name")
            .or_else(|| read("rebase-apply/head-name"))?
            .strip_prefix("refs/heads/")
            .map(str::to_owned),
        InProgress::Bisect => {
            let start = read("BISECT_START")?;
            // A bisect started from a detached HEAD records a commit id instead.
            let is_oid = start.len() >= 40 && start.bytes().all(|b| b.is_ascii_hexdigit());
            (!is_oid && !start.is_empty()).then(|| short_branch(&start))
        }
        _ => None,
    }
}

/// Where a hook that reads files works: the worktree's top level, the git directory
/// shared by all worktrees (for caches), and the URLs of the remotes.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub top_level: std::path::PathBuf,
    pub common_dir: std::path::PathBuf,
    pub remote_urls: Vec<String>,
    /// The branch checked out (`main`), unless HEAD is detached or unborn.
    pub head_branch: Option<String>,
}

impl Workspace {
    /// Reads the workspace of an open repository; `None` for a bare repository.
    pub fn of(repo: &gix::Repository) -> Option<Workspace> {
        let top_level = repo.workdir()?.to_path_buf();
        let remote_urls = repo
            .remote_names()
            .iter()
            .filter_map(|name| {
                let name: &gix::bstr::BStr = name.as_ref();
                repo.find_remote(name).ok()
            })
            .filter_map(|remote| {
                remote
                    .url(gix::remote::Direction::Fetch)
                    .map(|url| url.to_bstring().to_string())
            })
            .collect();
        let head_branch = repo
            .head_name()
            .ok()
            .flatten()
            .map(|name| name.shorten().to_string());
        Some(Workspace {
            top_level,
            common_dir: repo.common_dir().to_path_buf(),
            remote_urls,
            head_branch,
        })
    }
}
