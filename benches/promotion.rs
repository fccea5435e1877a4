#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Promotion lineage on a long history, timed as the hook runs (whole processes):
//!
//! * a generated repository of `BENCH_COMMITS` commits (default 60,000): every sixth a bot
//!   commit bumping a lane (staging takes a new build, production then promotes the last
//!   staged one: 10,000 lane commits), the others changing an unrelated file;
//! * **pre-commit, production pin staged**: the hook given the staged production file, once
//!   with the lineage check and once with it off (`--promote none=off`, an edge no lane
//!   matches, so no history is read): the difference is what lineage adds to a hook run;
//! * **pre-commit, a rebuild staged** (the error, with its help listing staging's pins);
//! * **`--all`** (every pin, each judged against the history before its commit);
//! * **`--promotion-history`** (every pin change of the history, JSON).
//!
//! Each round runs every command once, in turn; the report gives medians. Renders are
//! cached (primed once) so the runs differ only in the lineage work.
//! Run: `cargo bench --bench promotion`; `BENCH_ROUNDS` (default 5), `BENCH_COMMITS`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let rounds: usize = env_or("BENCH_ROUNDS", 5);
    let commits: usize = env_or("BENCH_COMMITS", 60_000);
    let hook = PathBuf::from(env!("CARGO_BIN_EXE_flux-kustomize-validate"));
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let started = Instant::now();
    let last_staged = generate(repo, commits);
    eprintln!(
        "generated {commits} commits ({} lane bumps) in {:.1} s",
        commits / 6,
        started.elapsed().as_secs_f64()
    );
    let production = "apps/app/production/kustomization.yaml";
    let stage = |tag: &str| {
        std::fs::write(repo.join(production), kustomization("production", tag)).unwrap();
        git(repo, &["add", production]);
    };
    let promoted = format!("production-v1.0.0-{last_staged}-{}", commits + 1);
    let rebuilt = format!("production-v1.0.0-fffffff-{}", commits + 1);
    // Prime the render cache.
    stage(&promoted);
    run(&hook, repo, &[production], None);

    let index = repo.join(".git/gitops-guardrails/promotion");
    // Name, the production tag staged, the arguments, the exit code, the index's state.
    type Case<'a> = (&'a str, String, Vec<&'a str>, Option<i32>, Index);
    let cases: Vec<Case> = vec![
        (
            "pre-commit, staged promotion, lineage off",
            promoted.clone(),
            vec!["--promote", "none=off", production],
            Some(0),
            Index::Warm,
        ),
        (
            "pre-commit, staged promotion (index at HEAD)",
            promoted.clone(),
            vec![production],
            Some(0),
            Index::Warm,
        ),
        (
            "pre-commit, staged promotion (one commit since)",
            promoted.clone(),
            vec![production],
            Some(0),
            Index::OneCommitBehind,
        ),
        (
            "pre-commit, staged promotion (no index: cold)",
            promoted.clone(),
            vec![production],
            Some(0),
            Index::Cold,
        ),
        (
            "pre-commit, staged rebuild (the error)",
            rebuilt.clone(),
            vec![production],
            Some(1),
            Index::Warm,
        ),
        (
            "--all",
            promoted.clone(),
            vec!["--all"],
            Some(0),
            Index::Warm,
        ),
        (
            "--promotion-history --format json",
            promoted.clone(),
            vec!["--promotion-history", "--format", "json"],
            None,
            Index::Warm,
        ),
        (
            "--promotion-history --format json (cold)",
            promoted.clone(),
            vec!["--promotion-history", "--format", "json"],
            None,
            Index::Cold,
        ),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (i, (_, tag, args, expected, state)) in cases.iter().enumerate() {
            match state {
                Index::Warm => {}
                Index::Cold => {
                    let _ = std::fs::remove_dir_all(&index);
                }
                Index::OneCommitBehind => {
                    // An unrelated commit since the index was written: one commit to walk.
                    std::fs::write(repo.join("notes/bench.txt"), format!("{i}\n")).unwrap();
                    git(repo, &["add", "notes/bench.txt"]);
                    git(
                        repo,
                        &[
                            "-c",
                            "user.name=Bench",
                            "-c",
                            "user.email=bench@example.test",
                            "commit",
                            "-q",
                            "--no-verify",
                            "-m",
                            "bench",
                        ],
                    );
                }
            }
            stage(tag);
            times[i].push(run(&hook, repo, args, *expected));
            if matches!(state, Index::OneCommitBehind) {
                git(repo, &["reset", "-q", "--hard", "HEAD~1"]);
                stage(tag);
                run(&hook, repo, args, None);
            }
        }
    }
    println!("promotion lineage, {commits} commits, medians of {rounds} (whole processes):");
    let medians: Vec<Duration> = times.iter_mut().map(|t| median(t)).collect();
    for ((name, ..), m) in cases.iter().zip(&medians) {
        println!("  {name:<50} {:>8.1} ms", m.as_secs_f64() * 1000.0);
    }
    let added = |i: usize| medians[i].saturating_sub(medians[0]).as_secs_f64() * 1000.0;
    println!(
        "  lineage adds to a pre-commit run: {:.1} ms (index at HEAD), {:.1} ms (one commit \
         since), {:.1} ms (cold)",
        added(1),
        added(2),
        added(3)
    );
}

/// The state of the index of pin changes before a run.
enum Index {
    /// Written for HEAD by the run before.
    Warm,
    /// Written for HEAD's parent: the run walks one commit.
    OneCommitBehind,
    /// Absent: the run builds it from the whole history.
    Cold,
}

fn run(hook: &Path, repo: &Path, args: &[&str], expected: Option<i32>) -> Duration {
    let start = Instant::now();
    let output = Command::new(hook)
        .args(args)
        .current_dir(repo)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    if let Some(code) = expected {
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    elapsed
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(repo)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn kustomization(lane: &str, tag: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {lane}\nresources: [../base, images.yaml]\nimages:\n  - name: ghcr.io/example/app\n    newTag: {tag} # {{\"$imagepolicy\": \"{lane}:app:tag\"}}\n"
    )
}

fn policy(lane: &str) -> String {
    format!(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\nspec:\n  image: ghcr.io/example/app\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  imageRepositoryRef:\n    name: app\n  filterTags:\n    pattern: '^{lane}-v\\d+\\.\\d+\\.\\d+-[a-f0-9]+-(?P<ts>\\d+)$'\n    extract: '$ts'\n  policy:\n    numerical:\n      order: asc\n"
    )
}

/// Writes the history with `git fast-import`; returns the last build staging pinned.
fn generate(repo: &Path, commits: usize) -> String {
    git(repo, &["init", "-q", "-b", "main"]);
    let mut stream = Vec::new();
    let blob = |out: &mut Vec<u8>, path: &str, text: &str| {
        write!(out, "M 100644 inline {path}\ndata {}\n{text}\n", text.len()).unwrap();
    };
    let base = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app\n";
    let mut staged = "0000000".to_owned();
    for i in 1..=commits {
        let message = format!("c{i}");
        write!(
            stream,
            "commit refs/heads/main\ncommitter Bot <bot@example.test> {} +0000\ndata {}\n{message}\n",
            1_600_000_000 + i,
            message.len()
        )
        .unwrap();
        if i == 1 {
            blob(&mut stream, "apps/app/base/deployment.yaml", base);
            blob(
                &mut stream,
                "apps/app/base/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n",
            );
            for lane in ["staging", "production"] {
                blob(
                    &mut stream,
                    &format!("apps/app/{lane}/images.yaml"),
                    &policy(lane),
                );
                blob(
                    &mut stream,
                    &format!("apps/app/{lane}/kustomization.yaml"),
                    &kustomization(lane, &format!("{lane}-v1.0.0-0000000-1")),
                );
            }
        } else if i % 12 == 0 {
            staged = format!("{i:07x}");
            blob(
                &mut stream,
                "apps/app/staging/kustomization.yaml",
                &kustomization("staging", &format!("staging-v1.0.0-{staged}-{i}")),
            );
        } else if i % 12 == 6 {
            blob(
                &mut stream,
                "apps/app/production/kustomization.yaml",
                &kustomization("production", &format!("production-v1.0.0-{staged}-{i}")),
            );
        } else {
            blob(&mut stream, "notes/log.txt", &format!("{i}\n"));
        }
        stream.push(b'\n');
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    git(repo, &["reset", "-q", "--hard", "main"]);
    staged
}
