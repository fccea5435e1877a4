//! The prebuilt install, as a team without a Rust toolchain gets it: the wheel
//! (`scripts/build-wheel`) and the Python hook repository (`scripts/make-mirror`), installed
//! by pre-commit (pip) and prek (uv) with the wheel directory as the only package source and
//! no cargo on PATH, and `pip install` of the wheel for the plain `hooks/` shims. Each guard
//! then refuses what it guards: a commit on `main`, an amend of a pushed commit, an overlay
//! that no longer builds.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{
    Client, HOOK_TYPES, Run, Sandbox, checkout, e2e_dir, framework_config_from, tool,
};
use crate::per_client;

/// The wheel and the mirror, built once per test run.
struct Prebuilt {
    /// The only package source: the gitops-guardrails wheel and the mirror's build backend.
    wheels: PathBuf,
    mirror: PathBuf,
    rev: String,
}

fn prebuilt() -> &'static Prebuilt {
    static PREBUILT: OnceLock<Prebuilt> = OnceLock::new();
    PREBUILT.get_or_init(|| {
        let dir = e2e_dir().join("prebuilt");
        let wheels = dir.join("wheels");
        let mirror = dir.join("mirror");
        for stale in [&wheels, &mirror] {
            if stale.exists() {
                std::fs::remove_dir_all(stale).expect("clean prebuilt dir");
            }
        }
        // Built with the toolchain (this is the release side), sharing the hook repositories'
        // target dir so the release build is reused.
        let mut build = Command::new(checkout().join("scripts/build-wheel"));
        build
            .arg(&wheels)
            .env("CARGO_TARGET_DIR", e2e_dir().join("cargo-target"));
        let built = Run::from(build.output().expect("scripts/build-wheel"));
        built.assert_ok();
        // The mirror's package is built by the installer: its build backend comes from the
        // same directory (a user's pip or uv gets it from their index).
        let pip = checkout().join(".venv/bin/pip");
        let mut download = Command::new(pip);
        download
            .args(["download", "--quiet", "--only-binary=:all:", "--dest"])
            .arg(&wheels)
            .arg("setuptools>=61");
        Run::from(download.output().expect("pip download")).assert_ok();
        let mut make = Command::new(checkout().join("scripts/make-mirror"));
        make.arg(&mirror);
        let made = Run::from(make.output().expect("scripts/make-mirror"));
        made.assert_ok();
        let rev = made
            .stdout
            .trim()
            .rsplit(' ')
            .next()
            .expect("the tag")
            .to_owned();
        Prebuilt {
            wheels,
            mirror,
            rev,
        }
    })
}

/// PATH without cargo or rustup: the project's venv (pre-commit, prek, uv, python) and the
/// system directories (git, kubectl).
fn path_without_cargo() -> String {
    let venv = checkout().join(".venv/bin");
    let path = std::env::join_paths(
        std::iter::once(venv).chain(
            ["/usr/local/bin", "/usr/bin", "/bin"]
                .iter()
                .map(PathBuf::from),
        ),
    )
    .expect("PATH");
    let path = path.into_string().expect("utf-8 PATH");
    for dir in std::env::split_paths(&path) {
        assert!(
            !dir.join("cargo").exists(),
            "cargo in {} would hide a source build",
            dir.display()
        );
    }
    path
}

/// A sandbox whose pushed `main` holds an overlay over a base, with the prebuilt hooks
/// installed for `client` and `feat` checked out; returns how long the install took.
fn installed(client: Client) -> (Sandbox, Duration) {
    let prebuilt = prebuilt();
    let mut sb = Sandbox::empty();
    let path = path_without_cargo();
    sb.set_env("PATH", &path);
    // pre-commit installs with pip, prek with uv: neither may reach an index.
    let wheels = prebuilt.wheels.display().to_string();
    sb.set_env("PIP_NO_INDEX", "1");
    sb.set_env("PIP_FIND_LINKS", &wheels);
    sb.set_env("UV_NO_INDEX", "1");
    sb.set_env("UV_FIND_LINKS", &wheels);
    sb.set_env("UV_OFFLINE", "1");
    // A fresh install every time: this is what a new developer's first commit costs. (In
    // the sandbox's home, which the hooks may write: logs, the frameworks' databases.)
    let homes = sb.home.join("installs");
    sb.set_env(
        "PRE_COMMIT_HOME",
        &homes.join("pre-commit").display().to_string(),
    );
    sb.set_env("PREK_HOME", &homes.join("prek").display().to_string());
    sb.set_env("UV_CACHE_DIR", &homes.join("uv").display().to_string());
    sb.set_env("PIP_CACHE_DIR", &homes.join("pip").display().to_string());

    sb.write("README", "hello\n");
    sb.write(
        "base/kustomization.yaml",
        "resources:\n  - deployment.yaml\n",
    );
    sb.write(
        "base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.test/web:1.0.0\n",
    );
    sb.write(
        "production/kustomization.yaml",
        "resources:\n  - ../base\nnamespace: production\n",
    );
    let hooks: [(&str, &[&str]); 3] = [
        ("master-check", &[]),
        ("prevent-amend-after-push", &["--public", "origin/*"]),
        ("flux-kustomize-validate", &[]),
    ];
    if client != Client::Shim {
        sb.write(
            ".pre-commit-config.yaml",
            &framework_config_from(&prebuilt.mirror, &prebuilt.rev, &hooks),
        );
    }
    sb.git(&["add", "-A"]).assert_ok();
    sb.commit_unguarded("initial");
    sb.git(&["push", "-q", "origin", "main"]).assert_ok();

    let started = Instant::now();
    match client {
        Client::PreCommit | Client::Prek => {
            let exe = tool(client.exe_name()).expect("framework available");
            let mut install = Command::new(&exe);
            install.arg("install");
            for hook_type in HOOK_TYPES {
                install.args(["--hook-type", hook_type]);
            }
            sb.run_cmd(install).assert_ok();
            let mut hooks = Command::new(&exe);
            hooks.arg("install-hooks");
            sb.run_cmd(hooks).assert_ok();
        }
        Client::Shim => {
            // `pip install gitops-guardrails` into a tool venv; the shims find the binaries
            // on PATH.
            let venv = sb.home.join("tools");
            let mut create = Command::new("python3");
            create.arg("-m").arg("venv").arg(&venv);
            sb.run_cmd(create).assert_ok();
            let mut pip = Command::new(venv.join("bin/pip"));
            pip.args(["install", "--quiet", "gitops-guardrails"]);
            sb.run_cmd(pip).assert_ok();
            sb.set_env("PATH", &format!("{}:{path}", venv.join("bin").display()));
            for (id, args) in hooks {
                if id == "prevent-amend-after-push" {
                    sb.set_env("GUARDRAILS_PREVENT_AMEND_ARGS", &args.join(" "));
                }
            }
            let hooks_dir = checkout().join("hooks");
            sb.git(&[
                "config",
                "core.hooksPath",
                hooks_dir.to_str().expect("utf-8"),
            ])
            .assert_ok();
        }
    }
    let took = started.elapsed();
    sb.client = Some(client);
    sb.git(&["switch", "-q", "-c", "feat"]).assert_ok();
    (sb, took)
}

per_client!(
    the_prebuilt_hooks_install_without_cargo_and_guard,
    |client| {
        let (sb, took) = installed(client);
        eprintln!("{client:?}: prebuilt install took {took:.1?}");
        // Generous against a loaded CI machine; the README reports the measured figures.
        assert!(took < Duration::from_secs(90), "install took {took:?}");

        // The binaries that run are the wheel's, not a build of this checkout.
        let which = sb.run_cmd({
            let mut cmd = Command::new("sh");
            cmd.args(["-c", "command -v cargo || echo no-cargo"]);
            cmd
        });
        which.assert_contains("no-cargo");

        // master-check: no commit on main.
        sb.git(&["switch", "-q", "main"]).assert_ok();
        sb.write("on-main", "x\n");
        sb.git(&["add", "on-main"]).assert_ok();
        sb.git(&["commit", "-q", "-m", "straight onto main"])
            .assert_refused("master-check::protected-commit");
        sb.git(&["reset", "-q", "--hard"]).assert_ok();
        sb.git(&["switch", "-q", "feat"]).assert_ok();

        // prevent-amend-after-push: the pushed commit stays as it is.
        sb.write("feature", "x\n");
        sb.git(&["add", "feature"]).assert_ok();
        sb.git(&["commit", "-q", "-m", "feature"]).assert_ok();
        sb.git(&["push", "-q", "origin", "feat"]).assert_ok();
        sb.git(&["commit", "-q", "--amend", "-m", "rewritten"])
            .assert_refused("prevent-amend::amend-public");

        // flux-kustomize-validate: an overlay that no longer builds.
        sb.write(
            "production/kustomization.yaml",
            "resources:\n  - ../base\n  - missing.yaml\nnamespace: production\n",
        );
        sb.git(&["add", "production/kustomization.yaml"])
            .assert_ok();
        sb.git(&["commit", "-q", "-m", "break the overlay"])
            .assert_refused("missing.yaml");
    }
);

/// The installed hooks are the prebuilt binaries of this version.
#[test]
fn the_wheel_holds_the_three_hooks_of_this_version() {
    let prebuilt = prebuilt();
    let version = env!("CARGO_PKG_VERSION");
    let wheel = std::fs::read_dir(&prebuilt.wheels)
        .expect("wheels")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("gitops_guardrails-{version}-py3-none-")))
        })
        .expect("a gitops_guardrails wheel of this version");
    let listing = Command::new("python3")
        .args(["-m", "zipfile", "-l"])
        .arg(&wheel)
        .output()
        .expect("python3 -m zipfile");
    let listing = String::from_utf8_lossy(&listing.stdout);
    for hook in [
        "master-check",
        "prevent-amend-after-push",
        "flux-kustomize-validate",
    ] {
        assert!(
            listing.contains(&format!(".data/scripts/{hook}")),
            "{hook} missing from {}:\n{listing}",
            wheel.display()
        );
    }
    assert_eq!(prebuilt.rev, format!("v{version}"));
    let hooks = std::fs::read_to_string(prebuilt.mirror.join(".pre-commit-hooks.yaml"))
        .expect("mirror hooks");
    let ours = std::fs::read_to_string(checkout().join(".pre-commit-hooks.yaml")).expect("hooks");
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("- id: "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(ids(&hooks), ids(&ours), "the mirror offers the same hooks");
    assert!(!hooks.contains("language: rust"), "{hooks}");
}
