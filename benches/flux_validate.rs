#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `flux-kustomize-validate` against the seed's approach, measured in the same run:
//!
//! * **safeops corpus, full run**: the hook with `--all` (cold: `--no-cache`; warm: cache
//!   primed) vs serial `kubectl kustomize --load-restrictor LoadRestrictionsNone` over every
//!   kustomization directory (what the seed script does);
//! * **generated fleet** (≥ 200 overlays over shared bases), one leaf file changed: the hook
//!   with that file vs the same full serial run; plus the hook's `--all` on the fleet with
//!   its peak memory (VmHWM of the hook process, renderer processes excluded);
//! * the share of the hook's own work (walk, parse, graph, checks) in its wall time.
//!
//! Each round runs every command once, in turn; the report gives medians and ratios.
//! Run: `cargo bench --bench flux_validate`. `BENCH_ROUNDS` (default 5), `BENCH_APPS`
//! (default 70 apps × 3 lanes = 210 overlays).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let rounds: usize = env_or("BENCH_ROUNDS", 5);
    let apps: usize = env_or("BENCH_APPS", 70);
    let hook = PathBuf::from(env!("CARGO_BIN_EXE_flux-kustomize-validate"));
    let renderer = find_tool("kubectl").expect("kubectl on PATH");

    // BENCH_ONLY=safeops|fleet|clusters runs one scenario.
    let only = std::env::var("BENCH_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let serial = |root: &Path, dirs: &[PathBuf]| {
        let start = Instant::now();
        for dir in dirs {
            Command::new(&renderer)
                .args(["kustomize", "--load-restrictor", "LoadRestrictionsNone"])
                .arg(dir)
                .current_dir(root)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
        }
        start.elapsed()
    };
    if wanted("safeops") {
        safeops(&hook, rounds, &serial);
    }
    if wanted("fleet") {
        fleet(&hook, rounds, apps, &serial);
    }
    if wanted("clusters") {
        clusters(&hook, rounds, &serial);
    }
}

fn safeops(hook: &Path, rounds: usize, serial: &dyn Fn(&Path, &[PathBuf]) -> Duration) {
    let hook = hook.to_path_buf();
    // --- safeops corpus -----------------------------------------------------------------
    let corpus = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/safeops"),
        corpus.path(),
    );
    init_repo(corpus.path());
    let dirs = kustomization_dirs(corpus.path());
    println!(
        "\nsafeops corpus: {} kustomization directories ({rounds} rounds, median wall time)",
        dirs.len()
    );

    // Prime the cache for the warm runs.
    run_hook(&hook, corpus.path(), &["--all"]);
    let mut seed = Vec::new();
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..rounds {
        seed.push(serial(corpus.path(), &dirs));
        cold.push(run_hook(&hook, corpus.path(), &["--all", "--no-cache"]).0);
        warm.push(run_hook(&hook, corpus.path(), &["--all"]).0);
    }
    let seed = median(&mut seed);
    report("seed: serial kubectl kustomize, every dir", seed, seed);
    report(
        "flux-kustomize-validate --all --no-cache",
        median(&mut cold),
        seed,
    );
    report(
        "flux-kustomize-validate --all (cached)",
        median(&mut warm),
        seed,
    );
    own_work_share(&hook, corpus.path(), &["--all", "--no-cache"]);
}

fn fleet(hook: &Path, rounds: usize, apps: usize, serial: &dyn Fn(&Path, &[PathBuf]) -> Duration) {
    let hook = hook.to_path_buf();
    // --- generated fleet ----------------------------------------------------------------
    let fleet = tempfile::tempdir().unwrap();
    let leaf = generate_fleet(fleet.path(), apps);
    init_repo(fleet.path());
    let dirs = kustomization_dirs(fleet.path());
    println!(
        "\nfleet: {} overlays + bases = {} kustomization directories, one leaf changed ({})",
        apps * 3,
        dirs.len(),
        leaf
    );
    let mut seed = Vec::new();
    let mut affected = Vec::new();
    for _ in 0..rounds.min(3) {
        seed.push(serial(fleet.path(), &dirs));
        affected.push(run_hook(&hook, fleet.path(), &["--no-cache", &leaf]).0);
    }
    let seed = median(&mut seed);
    report("seed: serial kubectl kustomize, every dir", seed, seed);
    report(
        "flux-kustomize-validate <leaf> --no-cache",
        median(&mut affected),
        seed,
    );
    let (all, peak) = run_hook(&hook, fleet.path(), &["--all", "--no-cache"]);
    report("flux-kustomize-validate --all --no-cache", all, seed);
    println!(
        "peak memory of the hook process with --all on the fleet: {:.1} MiB",
        peak as f64 / 1024.0
    );
    own_work_share(&hook, fleet.path(), &["--all", "--no-cache"]);
}

fn clusters(hook: &Path, rounds: usize, serial: &dyn Fn(&Path, &[PathBuf]) -> Duration) {
    let hook = hook.to_path_buf();
    // --- generated clusters -------------------------------------------------------------
    let clusters = tempfile::tempdir().unwrap();
    let cluster_apps: usize = env_or("BENCH_CLUSTER_APPS", 80);
    generate_clusters(clusters.path(), 3, cluster_apps);
    init_repo(clusters.path());
    let dirs = kustomization_dirs(clusters.path());
    println!(
        "\nclusters: 3 clusters x {cluster_apps} apps (a Flux Kustomization, HelmRelease and component each, a parent per cluster patching its children), {} kustomization directories",
        dirs.len()
    );
    let mut seed = Vec::new();
    let mut cold = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..rounds.min(3) {
        seed.push(serial(clusters.path(), &dirs));
        let (time, peak) = run_hook(&hook, clusters.path(), &["--all", "--no-cache"]);
        cold.push(time);
        peaks.push(peak);
    }
    let seed = median(&mut seed);
    report("seed: serial kubectl kustomize, every dir", seed, seed);
    report(
        "flux-kustomize-validate --all --no-cache",
        median(&mut cold),
        seed,
    );
    println!(
        "peak memory of the hook process with --all on the clusters: {:.1} MiB",
        peaks.iter().max().copied().unwrap_or(0) as f64 / 1024.0
    );
    own_work_share(&hook, clusters.path(), &["--all", "--no-cache"]);
}

/// `clusters` clusters as `flux bootstrap` lays them out, each with a `cluster-settings`
/// ConfigMap and an `apps` Kustomization whose patches give every child its
/// `substituteFrom`; `apps` applications, each a Flux Kustomization with its own
/// directory (a HelmRelease, its HelmRepository, a ConfigMap using `${CLUSTER}`) and a
/// shared component, applied by every cluster.
fn generate_clusters(root: &Path, clusters: usize, apps: usize) {
    let write = |path: &str, text: String| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "components/common/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs:\n      team: platform\n".into(),
    );
    let mut list = String::from("resources:\n");
    for app in 0..apps {
        list.push_str(&format!("  - ../../apps/app-{app}/ks.yaml\n"));
        write(
            &format!("apps/app-{app}/ks.yaml"),
            format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app-{app}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/app-{app}/app\n  prune: true\n  targetNamespace: app-{app}\n  components:\n    - ../../../components/common\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      APP: app-{app}\n"
            ),
        );
        write(
            &format!("apps/app-{app}/app/kustomization.yaml"),
            "resources:\n  - helmrepository.yaml\n  - helmrelease.yaml\n  - settings.yaml\n".into(),
        );
        write(
            &format!("apps/app-{app}/app/helmrepository.yaml"),
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\nspec:\n  interval: 1h\n  url: https://charts.example.test\n".into(),
        );
        write(
            &format!("apps/app-{app}/app/helmrelease.yaml"),
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: web\n      version: 1.x\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n  values:\n    host: ${APP}.${CLUSTER}.example.test\n    replicas: 2\n".into(),
        );
        write(
            &format!("apps/app-{app}/app/settings.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  cluster: ${CLUSTER}\n  region: ${REGION:=none}\n".into(),
        );
    }
    for cluster in 0..clusters {
        let c = format!("cluster-{cluster}");
        write(
            &format!("clusters/{c}/flux-system/gotk-sync.yaml"),
            format!(
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.test/fleet\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{c}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
            ),
        );
        write(
            &format!("clusters/{c}/flux-system/kustomization.yaml"),
            "resources:\n  - gotk-sync.yaml\n".into(),
        );
        write(
            &format!("clusters/{c}/cluster-settings.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  CLUSTER: {c}\n"
            ),
        );
        write(
            &format!("clusters/{c}/apps.yaml"),
            format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./lists/{c}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  patches:\n    - target:\n        kind: Kustomization\n      patch: |\n        - op: add\n          path: /spec/postBuild/substituteFrom\n          value:\n            - kind: ConfigMap\n              name: cluster-settings\n"
            ),
        );
        // Outside the cluster's directory: what the flux-system Kustomization applies
        // must not apply the apps a second time.
        write(&format!("lists/{c}/kustomization.yaml"), list.clone());
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(name: &str, time: Duration, seed: Duration) {
    println!(
        "{name:<48} {:>9.1} ms {:>8.1}x faster than the seed",
        time.as_secs_f64() * 1e3,
        seed.as_secs_f64() / time.as_secs_f64()
    );
}

/// Runs the hook; returns its wall time and its peak resident set (KiB), read from
/// /proc while it runs (the renderer processes it starts are not counted).
fn run_hook(hook: &Path, dir: &Path, args: &[&str]) -> (Duration, u64) {
    let start = Instant::now();
    let stderr = tempfile::tempfile().unwrap();
    let mut child = Command::new(hook)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = peak.max(
                line.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    // Findings (exit 1: the safeops corpus has one, two Kustomizations applying its lane
    // Namespaces) are a result; only a hook that could not run (exit 2) spoils the figure.
    if !matches!(status.code(), Some(0 | 1)) {
        use std::io::{Read, Seek};
        let mut stderr = stderr;
        let mut text = String::new();
        stderr.rewind().unwrap();
        stderr.read_to_string(&mut text).unwrap();
        panic!("the hook could not run: {args:?}\n{text}");
    }
    (elapsed, peak)
}

/// The hook's own summary: time before the first render (walk, parse, graph, source
/// checks) plus the workers' time parsing and checking renders, against the wall time.
fn own_work_share(hook: &Path, dir: &Path, args: &[&str]) {
    let mut all = vec!["-v", "--format", "json"];
    all.extend_from_slice(args);
    let out = Command::new(hook)
        .args(&all)
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .find(|l| l.contains("flux-kustomize-validate::summary"))
        .unwrap_or("");
    let value: serde_json::Value = serde_json::from_str(summary).unwrap_or_default();
    let message = value["message"].as_str().unwrap_or("");
    let number_before = |marker: &str| -> f64 {
        message
            .split(marker)
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let total = number_before(" ms total");
    let own = number_before(" ms discovery and graph") + number_before(" ms checking renders");
    println!(
        "own work (walk, parse, graph, checks) {:.1} ms of {:.1} ms wall: {:.1}%",
        own,
        total,
        own / total * 100.0
    );
    let lint = number_before(" ms image automation lint");
    println!(
        "image automation lint (sources and renders): {:.1} ms, {:.1}% of the run",
        lint,
        lint / total * 100.0
    );
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn kustomization_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().unwrap() != ".git" {
                    stack.push(path);
                }
            } else if path.file_name().unwrap() == "kustomization.yaml" {
                out.push(dir.clone());
            }
        }
    }
    out.sort();
    out
}

/// `apps` applications × develop/staging/production overlays over ten shared bases.
/// Returns the leaf file to change (one overlay's patch).
fn generate_fleet(root: &Path, apps: usize) -> String {
    let write = |path: &str, text: String| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    for base in 0..10 {
        write(
            &format!("bases/base-{base}/kustomization.yaml"),
            "resources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n".into(),
        );
        write(
            &format!("bases/base-{base}/deployment.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/example/base-{base}:1.0.0\n          ports:\n            - containerPort: 8080\n"
            ),
        );
        write(
            &format!("bases/base-{base}/service.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 8080\n".into(),
        );
        write(
            &format!("bases/base-{base}/configmap.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  base: \"{base}\"\n"
            ),
        );
    }
    for app in 0..apps {
        for lane in ["develop", "staging", "production"] {
            let dir = format!("apps/app-{app}/{lane}");
            write(
                &format!("{dir}/kustomization.yaml"),
                format!(
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {lane}\nnamePrefix: app-{app}-\nresources:\n  - ../../../bases/base-{}\npatches:\n  - path: replicas.yaml\nconfigMapGenerator:\n  - name: settings\n    literals:\n      - LANE={lane}\nimages:\n  - name: ghcr.io/example/base-{}\n    newTag: {lane}-1.0.{app}\n",
                    app % 10,
                    app % 10
                ),
            );
            write(
                &format!("{dir}/replicas.yaml"),
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n".into(),
            );
        }
    }
    "apps/app-7/staging/replicas.yaml".into()
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn init_repo(dir: &Path) {
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.test",
            "commit",
            "-q",
            "-m",
            "fixture",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
}

fn find_tool(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
