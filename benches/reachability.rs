#![allow(clippy::unwrap_used, clippy::expect_used)]
//! "Is this commit on any remote branch?" — the question behind prevent-amend-after-push —
//! against the seed's `git branch -r --contains <sha>` and a `git merge-base --is-ancestor`
//! loop over every remote branch, in the same run.
//!
//! Setup generates a repository with `git fast-import`: a history of `BENCH_COMMITS`
//! commits (default 200,000) and `BENCH_BRANCHES` remote-tracking branches (default 2,000)
//! spread over it, plus one local commit on top. Queries: the local commit (recent, not
//! public), the newest public commit, and an old commit every branch contains (below the
//! oldest branch tip, so no tip is the answer itself). Measured without and with
//! `git commit-graph write --reachable`.
//!
//! gitops-guardrails is measured in-process (open the repository, read the public refs,
//! answer) and as the hook process git runs for `git commit --amend` (prepare-commit-msg
//! with git's arguments `COMMIT_EDITMSG commit HEAD`, as the hooks/ shim passes them), the
//! baselines as the processes a hook would spawn.
//!
//! Run: `cargo bench --bench reachability` (`BENCH_GRAPH_ONLY=1`: only with a commit-graph).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use guardrails_git::history::{PublicHistory, PublicScope};

/// How many refs the is-ancestor loop runs over before it is scaled (see below).
const SAMPLE_REFS: usize = 40;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let commits = env_or("BENCH_COMMITS", 200_000);
    let branches = env_or("BENCH_BRANCHES", 2_000);
    let rounds = env_or("BENCH_ROUNDS", 5);
    let dir = tempfile::tempdir().expect("tempdir");
    let repo_dir = dir.path();
    let started = Instant::now();
    generate(repo_dir, commits, branches);
    eprintln!(
        "generated {commits} commits, {branches} remote branches in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let recent = rev(repo_dir, "refs/heads/main");
    let newest_public = rev(repo_dir, "refs/remotes/origin/b0");
    let old = rev(repo_dir, "refs/tags/old");
    let queries = [
        ("recent, unpushed", recent.as_str(), false),
        ("newest public", newest_public.as_str(), true),
        ("old (on every branch)", old.as_str(), true),
    ];

    // BENCH_GRAPH_ONLY=1 skips the (slow) runs without a commit-graph.
    let phases: &[bool] = if std::env::var_os("BENCH_GRAPH_ONLY").is_some() {
        &[true]
    } else {
        &[false, true]
    };
    for &graph in phases {
        if graph {
            // Written before the local commit exists, as after a fetch: the hook must
            // derive the new commit's generation from its parents.
            git(repo_dir, &["update-ref", "-d", "refs/heads/main"]);
            git(repo_dir, &["commit-graph", "write", "--reachable"]);
            git(repo_dir, &["update-ref", "refs/heads/main", &recent]);
        }
        println!(
            "\n{} commit-graph ({rounds} rounds, median per query)",
            if graph { "with" } else { "without" }
        );
        println!(
            "{:<24} {:>14} {:>22} {:>26} {:>10} {:>10}",
            "commit",
            "guardrails",
            "git branch -r --contains",
            "merge-base --is-ancestor",
            "ratio A",
            "ratio B"
        );
        {
            // Where guardrails' time goes, for the first query.
            let t0 = Instant::now();
            let repo = gix::open(repo_dir).expect("open");
            let t1 = Instant::now();
            let history = PublicHistory::read(&repo, &PublicScope::default()).expect("refs");
            let t2 = Instant::now();
            let id = gix::ObjectId::from_hex(queries[0].1.as_bytes()).expect("sha");
            history.is_public(id).expect("reachability");
            let t3 = Instant::now();
            println!(
                "breakdown (recent): open {:.1}ms, read refs {:.1}ms, query {:.1}ms",
                ms(t1 - t0),
                ms(t2 - t1),
                ms(t3 - t2)
            );
        }
        amend_as_process(repo_dir, rounds, graph);
        for (label, sha, expected) in queries {
            let ours = median_of(rounds, || {
                let start = Instant::now();
                let repo = gix::open(repo_dir).expect("open");
                let history = PublicHistory::read(&repo, &PublicScope::default()).expect("refs");
                let id = gix::ObjectId::from_hex(sha.as_bytes()).expect("sha");
                let public = history.is_public(id).expect("reachability");
                assert_eq!(public, expected, "{label}");
                start.elapsed()
            });
            let contains = median_of(rounds, || {
                let start = Instant::now();
                let out = Command::new("git")
                    .args(["branch", "-r", "--contains", sha])
                    .current_dir(repo_dir)
                    .output()
                    .expect("git");
                assert_eq!(!out.stdout.is_empty(), expected, "{label}");
                start.elapsed()
            });
            // One process per ref: on large repositories the full loop takes minutes, so
            // it runs over a sample of refs and is scaled to all of them when the answer
            // needs every ref (an unpushed commit); a hit stops the loop early anyway.
            let refs = remote_refs(repo_dir);
            let sample = refs.len().min(SAMPLE_REFS);
            let mut found = false;
            let start = Instant::now();
            for r in &refs[..sample] {
                let ok = Command::new("git")
                    .args(["merge-base", "--is-ancestor", sha, r])
                    .current_dir(repo_dir)
                    .status()
                    .expect("git")
                    .success();
                if ok {
                    found = true;
                    break;
                }
            }
            let mut is_ancestor = start.elapsed();
            if !found {
                is_ancestor = is_ancestor.mul_f64(refs.len() as f64 / sample as f64);
            }
            assert_eq!(found, expected, "{label}");
            println!(
                "{:<24} {:>12.1}ms {:>20.1}ms {:>24.1}ms {:>9.1}x {:>9.1}x",
                label,
                ms(ours),
                ms(contains),
                ms(is_ancestor),
                ms(contains) / ms(ours),
                ms(is_ancestor) / ms(ours),
            );
        }
    }
    println!(
        "\nratio A = git branch -r --contains / guardrails; ratio B = is-ancestor loop / guardrails \
         (loop over {SAMPLE_REFS} refs, scaled to all refs when it finds nothing)"
    );
}

/// prevent-amend-after-push as git runs it for an amend of the unpushed HEAD, against the
/// seed's `git branch -r --contains HEAD` process, with what the process spends outside the
/// library: start-up alone (`--version`). Measured warm (the highest tip generation
/// remembered from the previous run, as on every commit between two fetches) and with
/// `--no-cache` (as on the first commit after a fetch). Process times on a shared machine
/// are noisy: the contenders alternate within each round, so a slow moment slows all of
/// them, and with a commit-graph (a few milliseconds each) each figure is the median of at
/// least 21 rounds. Without one there is nothing to remember (the answer is a walk of the
/// whole public history) and `--no-cache` is not measured.
fn amend_as_process(repo_dir: &Path, rounds: usize, graph: bool) {
    let hook = env!("CARGO_BIN_EXE_prevent-amend-after-push");
    let message = repo_dir.join(".git/COMMIT_EDITMSG");
    let amend = |extra: &[&str]| {
        let start = Instant::now();
        let out = Command::new(hook)
            .args(["--stage", "prepare-commit-msg"])
            .args(extra)
            .arg("--")
            .arg(&message)
            .args(["commit", "HEAD"])
            .current_dir(repo_dir)
            .output()
            .expect("hook");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        start.elapsed()
    };
    let startup = || {
        let start = Instant::now();
        let out = Command::new(hook).arg("--version").output().expect("hook");
        assert!(out.status.success());
        start.elapsed()
    };
    let contains = || {
        let start = Instant::now();
        let out = Command::new("git")
            .args(["branch", "-r", "--contains", "HEAD"])
            .current_dir(repo_dir)
            .output()
            .expect("git");
        assert!(out.stdout.is_empty(), "HEAD is not public");
        start.elapsed()
    };
    amend(&[]); // The first run after a fetch fills the cache.
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for _ in 0..if graph { rounds.max(21) } else { rounds } {
        samples[0].push(amend(&[]));
        if graph {
            samples[1].push(amend(&["--no-cache"]));
        }
        samples[2].push(startup());
        samples[3].push(contains());
    }
    let [warm, cold, startup, contains] = samples.map(|mut s| {
        s.sort();
        s.get(s.len() / 2).copied()
    });
    let (warm, startup, contains) = (
        ms(warm.unwrap_or_default()),
        ms(startup.unwrap_or_default()),
        ms(contains.unwrap_or_default()),
    );
    let cold = cold.map_or_else(String::new, |cold| {
        format!(
            " ({:.1}ms with --no-cache: {:.1}x)",
            ms(cold),
            contains / ms(cold)
        )
    });
    println!(
        "amend of the unpushed HEAD, as processes: prevent-amend-after-push {warm:.1}ms \
         (start-up {startup:.1}ms), git branch -r --contains HEAD {contains:.1}ms: {:.1}x{cold}",
        contains / warm
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median_of(rounds: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut samples: Vec<Duration> = (0..rounds.max(1)).map(|_| f()).collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// A linear history (so every branch contains the old commits) with branches every
/// `commits / branches` commits from the top, and one unpushed local commit.
fn generate(dir: &Path, commits: usize, branches: usize) {
    git(dir, &["init", "-q", "-b", "main"]);
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("fast-import");
    let mut stdin = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
    for i in 1..=commits {
        writeln!(stdin, "commit refs/heads/history\nmark :{i}").unwrap();
        writeln!(
            stdin,
            "committer Bench <b@example.test> {} +0000",
            1_600_000_000 + i
        )
        .unwrap();
        writeln!(stdin, "data 0").unwrap();
        if i > 1 {
            writeln!(stdin, "from :{}", i - 1).unwrap();
        }
        writeln!(stdin).unwrap();
    }
    let step = (commits / branches.max(1)).max(1);
    for b in 0..branches {
        let mark = commits.saturating_sub(b * step).max(1);
        writeln!(stdin, "reset refs/remotes/origin/b{b}\nfrom :{mark}\n").unwrap();
    }
    // Below the oldest branch tip, so no tip is the answer itself.
    let oldest_tip = commits.saturating_sub((branches.max(1) - 1) * step).max(1);
    writeln!(
        stdin,
        "reset refs/tags/old\nfrom :{}\n",
        (oldest_tip / 2).max(1)
    )
    .unwrap();
    writeln!(
        stdin,
        "commit refs/heads/main\ncommitter Bench <b@example.test> {} +0000\ndata 5\nlocal\nfrom :{commits}\n",
        1_600_000_000 + commits + 1
    )
    .unwrap();
    drop(stdin);
    assert!(child.wait().expect("fast-import").success());
    // Refs as a clone has them (packed-refs); fast-import leaves them loose.
    git(dir, &["pack-refs", "--all"]);
}

fn remote_refs(dir: &Path) -> Vec<String> {
    let out = Command::new("git")
        .args(["for-each-ref", "--format=%(refname)", "refs/remotes"])
        .current_dir(dir)
        .output()
        .expect("git");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn rev(dir: &Path, name: &str) -> String {
    let out = Command::new("git")
        .args(["rev-parse", name])
        .current_dir(dir)
        .output()
        .expect("git");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
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
