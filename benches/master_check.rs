#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One `master-check` invocation against its baselines, measured in the same run:
//!
//! * the seed's shell check: `git branch --show-current` plus a bash glob match;
//! * pre-commit-hooks' `no-commit-to-branch` (PyPI), what most teams use today.
//!
//! Each round runs every command once, in turn, so machine noise hits all of them alike;
//! the report gives medians and the ratio of each baseline to `master-check`.
//!
//! Run: `cargo bench --bench master_check` (needs `no-commit-to-branch` in `.venv/bin` or on
//! PATH; `.ci/run` installs it). `BENCH_ROUNDS` sets the number of rounds (default 60).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SEED_CHECK: &str = r#"branch=$(git branch --show-current)
for pattern in master main; do
  if [[ $branch == $pattern ]]; then echo "COMMIT BLOCKED"; exit 1; fi
done
exit 0"#;

struct Candidate {
    name: &'static str,
    command: Vec<String>,
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(60);
    let repo = tempfile::tempdir().expect("tempdir");
    setup_repo(repo.path());

    let master_check = env!("CARGO_BIN_EXE_master-check").to_owned();
    let mut candidates = vec![
        Candidate {
            name: "master-check",
            command: vec![master_check],
        },
        Candidate {
            name: "seed shell check",
            command: vec!["bash".into(), "-c".into(), SEED_CHECK.into()],
        },
    ];
    match find_tool("no-commit-to-branch") {
        Some(path) => candidates.push(Candidate {
            name: "pre-commit-hooks no-commit-to-branch",
            command: vec![path.display().to_string()],
        }),
        None => eprintln!("no-commit-to-branch not found: pip install pre-commit-hooks"),
    }

    for (branch, expect_blocked) in [("feature/x", false), ("main", true)] {
        git(repo.path(), &["switch", "-q", branch]);
        let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); candidates.len()];
        for round in 0..rounds + 3 {
            for (i, candidate) in candidates.iter().enumerate() {
                let (elapsed, blocked) = time(repo.path(), &candidate.command);
                assert_eq!(
                    blocked, expect_blocked,
                    "{} on {branch}: unexpected verdict",
                    candidate.name
                );
                if round >= 3 {
                    // the first rounds warm the page cache
                    samples[i].push(elapsed);
                }
            }
        }
        let medians: Vec<Duration> = samples.iter_mut().map(|s| median(s)).collect();
        println!("\nbranch `{branch}` ({rounds} rounds, median wall time per invocation)");
        println!(
            "{:<40} {:>10} {:>22}",
            "command", "median", "vs master-check"
        );
        for (candidate, median) in candidates.iter().zip(&medians) {
            println!(
                "{:<40} {:>8.2}ms {:>21.1}x",
                candidate.name,
                median.as_secs_f64() * 1e3,
                median.as_secs_f64() / medians[0].as_secs_f64()
            );
        }
    }
}

fn time(dir: &Path, command: &[String]) -> (Duration, bool) {
    let start = Instant::now();
    let status = Command::new(&command[0])
        .args(&command[1..])
        .current_dir(dir)
        // Inside `git commit`: what git exports to hooks.
        .env("GIT_INDEX_FILE", ".git/index")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    (start.elapsed(), !status.success())
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn setup_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "bench"]);
    git(dir, &["config", "user.email", "bench@example.test"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "initial"]);
    git(dir, &["branch", "feature/x"]);
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    if venv.is_file() {
        return Some(venv);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
