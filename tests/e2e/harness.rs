//! Real git repositories in temp dirs, a bare "remote", and the three ways hooks get
//! installed: pre-commit, prek (both using this checkout as the hook repository) and the
//! plain `hooks/` shims.
//!
//! Hermetic: no user or system git config, fixed dates, CI variables removed. The hook
//! repository is a snapshot commit of the current checkout with fixed dates, so its sha (and
//! pre-commit's and prek's install caches keyed by it) only change when the code does; all
//! installs share one cargo target dir under `target/e2e`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use tempfile::TempDir;

use crate::untouched::{Scope, Snapshot};

/// The checkout under test.
pub fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where the test binaries are (what the shims run through `GITOPS_GUARDRAILS_BIN`).
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_master-check"))
        .parent()
        .expect("binary has a directory")
        .to_path_buf()
}

pub fn e2e_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| checkout().join("target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    dir
}

/// Variables that would make a test depend on the machine or on the CI running it.
const SCRUBBED: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_CONFIG",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_EXEC_PATH",
    "GIT_PREFIX",
    "GIT_REFLOG_ACTION",
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_HEAD_REF",
    "GITLAB_CI",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "PRE_COMMIT",
    "PREK_HOOK_STAGE",
    "SKIP",
    "NO_COLOR",
    "COLUMNS",
    "GITOPS_GUARDRAILS_BIN",
];

/// Applies the hermetic environment to a command.
pub fn hermetic(cmd: &mut Command, home: &Path) {
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("PRE_COMMIT_") && name != "PRE_COMMIT_HOME" {
            cmd.env_remove(&*name);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.test")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.test")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_EDITOR", "true")
        .env("GIT_SEQUENCE_EDITOR", "true")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("PRE_COMMIT_HOME", e2e_dir().join("pre-commit-home"))
        .env("PREK_HOME", e2e_dir().join("prek-home"))
        .env("PRE_COMMIT_COLOR", "never")
        .env("PREK_COLOR", "never")
        .env("PREK_NO_PROGRESS", "1")
        // Hook repositories build with `cargo install`; share one target dir between them.
        .env("CARGO_TARGET_DIR", e2e_dir().join("cargo-target"))
        .stdin(Stdio::null());
}

/// A finished command: exit code and both streams.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// stdout and stderr together (frameworks and git print hook output on either).
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success:\n{}", self.all());
        self
    }

    #[track_caller]
    pub fn assert_refused(&self, needle: &str) -> &Self {
        assert_ne!(self.code, 0, "expected a refusal:\n{}", self.all());
        assert!(
            self.all().contains(needle),
            "expected `{needle}` in:\n{}",
            self.all()
        );
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.all().contains(needle),
            "expected `{needle}` in:\n{}",
            self.all()
        );
        self
    }
}

/// How the hooks are installed into a sandbox repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    PreCommit,
    Prek,
    /// `git config core.hooksPath <checkout>/hooks`.
    Shim,
}

impl Client {
    /// The framework executable, or `None` (skip, loudly) when it is not installed and
    /// `GUARDRAILS_REQUIRE_TOOLS` is unset. CI sets it, so a missing tool fails there.
    pub fn available(self) -> bool {
        match self {
            Client::Shim => true,
            Client::PreCommit | Client::Prek => {
                let found = tool(self.exe_name()).is_some();
                if !found {
                    if std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_some() {
                        panic!(
                            "{} is required (GUARDRAILS_REQUIRE_TOOLS) but not found",
                            self.exe_name()
                        );
                    }
                    eprintln!(
                        "SKIPPED: {} not found; install it (see .ci/run)",
                        self.exe_name()
                    );
                }
                found
            }
        }
    }

    pub fn exe_name(self) -> &'static str {
        match self {
            Client::PreCommit => "pre-commit",
            Client::Prek => "prek",
            Client::Shim => "git",
        }
    }
}

/// A tool from the project's venv (`.venv/bin`, what .ci/run creates) or PATH.
pub fn tool(name: &str) -> Option<PathBuf> {
    let venv = checkout().join(".venv/bin").join(name);
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// This checkout as a hook repository: a commit of the working tree (tracked and untracked,
/// not ignored files), so tests exercise the code as it is, committed or not.
pub struct HookRepo {
    pub path: PathBuf,
    pub rev: String,
}

pub fn hook_repo() -> &'static HookRepo {
    static REPO: OnceLock<HookRepo> = OnceLock::new();
    REPO.get_or_init(|| {
        let path = e2e_dir().join("hook-repo");
        let home = e2e_dir().join("home");
        std::fs::create_dir_all(&home).expect("home");
        if path.exists() {
            std::fs::remove_dir_all(&path).expect("clean hook repo");
        }
        std::fs::create_dir_all(&path).expect("hook repo dir");
        let files = Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(checkout())
            .output()
            .expect("git ls-files");
        for name in files.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
            let name = Path::new(OsStr::new(std::str::from_utf8(name).expect("utf-8 path")));
            let from = checkout().join(name);
            if !from.is_file() {
                continue; // deleted in the working tree
            }
            let to = path.join(name);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&from, &to).expect("copy file");
        }
        let git = |args: &[&str]| {
            let mut cmd = Command::new("git");
            cmd.args(args).current_dir(&path);
            hermetic(&mut cmd, &home);
            let run = Run::from(cmd.output().expect("git"));
            run.assert_ok();
            run.stdout.trim().to_owned()
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "-A"]);
        git(&["commit", "-q", "--no-verify", "-m", "snapshot"]);
        let rev = git(&["rev-parse", "HEAD"]);
        HookRepo { path, rev }
    })
}

/// A developer's clone with a bare remote, in a temp dir.
pub struct Sandbox {
    _dir: TempDir,
    pub root: PathBuf,
    pub work: PathBuf,
    pub remote: PathBuf,
    pub home: PathBuf,
    pub client: Option<Client>,
    extra_env: Vec<(String, String)>,
}

impl Sandbox {
    /// A clone of an empty bare remote; nothing committed, no hooks installed.
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("guardrails-e2e-")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical tempdir");
        let home = root.join("home");
        std::fs::create_dir_all(&home).expect("home");
        let sandbox = Self {
            work: root.join("work"),
            remote: root.join("remote.git"),
            home,
            root,
            _dir: dir,
            client: None,
            extra_env: Vec::new(),
        };
        sandbox
            .git_in(
                &sandbox.root,
                &["init", "-q", "--bare", "-b", "main", "remote.git"],
            )
            .assert_ok();
        sandbox
            .git_in(&sandbox.root, &["clone", "-q", "remote.git", "work"])
            .assert_ok();
        sandbox
            .git(&["config", "advice.detachedHead", "false"])
            .assert_ok();
        sandbox
    }

    /// A repository whose `main` has one pushed commit (holding the hook configuration for
    /// `client`), with the hooks installed, and `feat` checked out.
    pub fn with_hooks(client: Client, args: &[&str]) -> Self {
        Self::with_config(client, &[("master-check", args)])
    }

    /// Like [`Self::with_hooks`] for any set of hooks (`(id, args)`). Shims run every hook;
    /// `args` reach them through the `GUARDRAILS_*_ARGS` variables.
    pub fn with_config(client: Client, hooks: &[(&str, &[&str])]) -> Self {
        let mut sandbox = Self::empty();
        sandbox.write("README", "hello\n");
        if client != Client::Shim {
            sandbox.write(".pre-commit-config.yaml", &framework_config_for(hooks));
        }
        sandbox.git(&["add", "-A"]).assert_ok();
        sandbox.git(&["commit", "-q", "-m", "initial"]).assert_ok();
        sandbox.git(&["push", "-q", "origin", "main"]).assert_ok();
        sandbox.install(client, &[]);
        if client == Client::Shim {
            for (id, args) in hooks {
                if !args.is_empty() {
                    let var = match *id {
                        "master-check" => "GUARDRAILS_MASTER_CHECK_ARGS",
                        "flux-kustomize-validate" => "GUARDRAILS_FLUX_VALIDATE_ARGS",
                        _ => "GUARDRAILS_PREVENT_AMEND_ARGS",
                    };
                    sandbox.set_env(var, &args.join(" "));
                }
            }
        }
        sandbox.git(&["switch", "-q", "-c", "feat"]).assert_ok();
        sandbox
    }

    /// Installs the hooks for `client`. Shims take master-check's `args` from
    /// `GUARDRAILS_MASTER_CHECK_ARGS`.
    pub fn install(&mut self, client: Client, args: &[&str]) {
        self.client = Some(client);
        match client {
            Client::Shim => {
                if !args.is_empty() {
                    self.set_env("GUARDRAILS_MASTER_CHECK_ARGS", &args.join(" "));
                }
                let hooks = checkout().join("hooks");
                self.git(&["config", "core.hooksPath", hooks.to_str().expect("utf-8")])
                    .assert_ok();
                self.extra_env.push((
                    "GITOPS_GUARDRAILS_BIN".into(),
                    bin_dir().display().to_string(),
                ));
            }
            Client::PreCommit | Client::Prek => {
                let exe = tool(client.exe_name()).expect("framework available");
                let mut cmd = Command::new(exe);
                cmd.arg("install");
                for hook_type in HOOK_TYPES {
                    cmd.args(["--hook-type", hook_type]);
                }
                self.run_cmd(cmd).assert_ok();
            }
        }
    }

    pub fn set_env(&mut self, name: &str, value: &str) {
        self.extra_env.push((name.into(), value.into()));
    }

    pub fn write(&self, name: &str, content: &str) {
        let path = self.work.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    /// Runs git in the work tree with the sandbox's environment.
    pub fn git(&self, args: &[&str]) -> Run {
        self.git_in(&self.work, args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        self.run_cmd(cmd)
    }

    /// Runs any command in the work tree with the sandbox's environment. A hook process, a
    /// framework `run`, and a commit, push or rebase a hook refused must leave the sandbox's
    /// repositories as they were (see [`crate::untouched`]).
    pub fn run_cmd(&self, cmd: Command) -> Run {
        self.run_cmd_with_stdin(cmd, None)
    }

    /// [`Self::run_cmd`] with `stdin` written to the command's standard input (closed
    /// after it; a hook that refuses without reading may close it first).
    pub fn run_cmd_with_stdin(&self, mut cmd: Command, stdin: Option<&str>) -> Run {
        if cmd.get_current_dir().is_none() {
            cmd.current_dir(&self.work);
        }
        hermetic(&mut cmd, &self.home);
        for (name, value) in &self.extra_env {
            cmd.env(name, value);
        }
        let scope = self.guarded(&cmd);
        let before = scope.map(|scope| Snapshot::of(&self.root, scope));
        let run = match stdin {
            None => Run::from(cmd.output().expect("spawn")),
            Some(input) => {
                use std::io::Write;
                cmd.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = cmd.spawn().expect("spawn");
                let _ = child
                    .stdin
                    .take()
                    .expect("piped")
                    .write_all(input.as_bytes());
                Run::from(child.wait_with_output().expect("wait"))
            }
        };
        if let (Some(scope), Some(before)) = (scope, before)
            && (scope == Scope::Hook || run.code != 0)
        {
            let what = std::iter::once(cmd.get_program())
                .chain(cmd.get_args())
                .map(OsStr::to_string_lossy)
                .collect::<Vec<_>>()
                .join(" ");
            before.assert_same(&Snapshot::of(&self.root, scope), &what);
        }
        run
    }

    /// The sandbox as a hook must leave it (for tests that spawn hooks themselves).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.root, Scope::Hook)
    }

    /// Whether `cmd` runs hooks, and what of the sandbox they must leave alone.
    fn guarded(&self, cmd: &Command) -> Option<Scope> {
        let program = Path::new(cmd.get_program());
        if program.parent() == Some(bin_dir().as_path()) {
            return Some(Scope::Hook);
        }
        let mut args = cmd.get_args();
        match program.file_name().and_then(OsStr::to_str) {
            Some("pre-commit" | "prek") => {
                (args.next() == Some(OsStr::new("run"))).then_some(Scope::Hook)
            }
            Some("git") if self.client.is_some() => {
                // The subcommand: the first argument that is not a global option.
                let subcommand = loop {
                    match args.next()?.to_str()? {
                        "-c" | "-C" => {
                            args.next();
                        }
                        option if option.starts_with('-') => {}
                        subcommand => break subcommand,
                    }
                };
                matches!(subcommand, "commit" | "push" | "rebase").then_some(Scope::RefusedGit)
            }
            _ => None,
        }
    }

    /// Runs a framework command (`pre-commit run …`, `prek run …`).
    pub fn framework(&self, client: Client, args: &[&str]) -> Run {
        let mut cmd = Command::new(tool(client.exe_name()).expect("framework available"));
        cmd.args(args);
        self.run_cmd(cmd)
    }

    /// Runs a hook binary directly.
    pub fn hook(&self, name: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new(bin_dir().join(name));
        cmd.args(args);
        self.run_cmd(cmd)
    }

    /// Stages a new file and commits it with the hooks (a new file each time, so no commit
    /// is ever empty).
    pub fn commit(&self, message: &str) -> Run {
        let name = format!(
            "file-{}",
            message.replace(|c: char| !c.is_alphanumeric(), "-")
        );
        self.write(&name, message);
        self.git(&["add", &name]).assert_ok();
        self.git(&["commit", "-q", "-m", message])
    }

    /// Commits with every hook bypassed (to build history the hooks would refuse).
    pub fn commit_unguarded(&self, message: &str) {
        let name = format!(
            "file-{}",
            message.replace(|c: char| !c.is_alphanumeric(), "-")
        );
        self.write(&name, message);
        self.git(&["add", &name]).assert_ok();
        self.git(&[
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            message,
        ])
        .assert_ok();
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev])
            .assert_ok()
            .stdout
            .trim()
            .to_owned()
    }

    /// Copies the pre-push shim into the repository's own hooks dir, where `pre-commit
    /// install` / `prek install` keep it as `pre-push.legacy` and run it first.
    pub fn chain_push_shim(&mut self) {
        let hooks = self.work.join(".git/hooks");
        std::fs::create_dir_all(&hooks).expect("hooks dir");
        for name in ["pre-push", "_guardrails.sh"] {
            std::fs::copy(checkout().join("hooks").join(name), hooks.join(name))
                .expect("copy shim");
        }
        self.extra_env.push((
            "GITOPS_GUARDRAILS_BIN".into(),
            bin_dir().display().to_string(),
        ));
    }
}

/// Every hook type the suite's hooks declare (pre-rebase is added by later guards).
pub const HOOK_TYPES: [&str; 5] = [
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "pre-rebase",
    "pre-push",
];

/// A `.pre-commit-config.yaml` using this checkout as the hook repository (master-check).
pub fn framework_config(args: &[&str]) -> String {
    framework_config_for(&[("master-check", args)])
}

/// A `.pre-commit-config.yaml` with the given hooks (`(id, args)`).
pub fn framework_config_for(hooks: &[(&str, &[&str])]) -> String {
    let repo = hook_repo();
    framework_config_from(&repo.path, &repo.rev, hooks)
}

/// A `.pre-commit-config.yaml` with the given hooks of the hook repository at `path`.
pub fn framework_config_from(path: &Path, rev: &str, hooks: &[(&str, &[&str])]) -> String {
    let mut config = format!(
        "default_install_hook_types: [{types}]\nrepos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n",
        types = HOOK_TYPES.join(", "),
        path = path.display(),
    );
    for (id, args) in hooks {
        let args = args
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        config.push_str(&format!("      - id: {id}\n        args: [{args}]\n"));
    }
    config
}
