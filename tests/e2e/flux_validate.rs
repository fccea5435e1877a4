//! `flux-kustomize-validate` end to end: the real safeops GitOps tree copied into a
//! temporary repository, faults seeded into it, rendered by the real `kubectl kustomize`
//! (or `kustomize`), through the binary, pre-commit, prek and the shim.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Client, Run, Sandbox, framework_config_for, tool};
use crate::per_client;

pub(crate) const HOOK: &str = "flux-kustomize-validate";

fn corpus() -> PathBuf {
    crate::harness::checkout().join("../shared/corpus/safeops")
}

/// Tests need the corpus and a renderer; without them they skip loudly (and fail in CI).
pub(crate) fn available() -> bool {
    let ok = corpus().is_dir() && (tool("kubectl").is_some() || tool("kustomize").is_some());
    if !ok {
        assert!(
            std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_none(),
            "the safeops corpus or kubectl/kustomize is missing"
        );
        eprintln!("SKIPPED: the safeops corpus or kubectl/kustomize is missing");
    }
    ok
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let relative = entry.strip_prefix(from).unwrap();
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The corpus committed and pushed in a fresh sandbox (no hooks installed).
fn corpus_sandbox() -> Sandbox {
    let sandbox = Sandbox::empty();
    copy_dir(&corpus(), &sandbox.work);
    one_definition_per_lane_namespace(&sandbox.work);
    sandbox.git(&["add", "-A"]).assert_ok();
    sandbox.git(&["commit", "-q", "-m", "safeops"]).assert_ok();
    sandbox
}

/// The corpus's one real fault, repaired for the tests that seed their own: each frontend
/// overlay applies its lane's Namespace without the labels the infrastructure
/// Kustomization gives it (`flux::two-owners`, see
/// `the_safeops_corpus_is_clean_but_for_namespaces_two_kustomizations_apply`). Written the
/// same in both, it is a warning only.
fn one_definition_per_lane_namespace(work: &Path) {
    let infrastructure =
        std::fs::read_to_string(work.join("flux/bootstrap/infrastructure/base/namespaces.yaml"))
            .unwrap();
    for lane in ["develop", "staging", "production"] {
        let definition = infrastructure
            .split("---\n")
            .find(|doc| doc.contains(&format!("  name: {lane}\n")))
            .unwrap_or_else(|| panic!("no Namespace {lane} in the infrastructure"));
        std::fs::write(
            work.join(format!("flux/apps/frontend/overlays/{lane}/namespace.yaml")),
            format!("---\n{definition}"),
        )
        .unwrap();
    }
}

/// The diagnostics of a `--format json` run.
fn diagnostics(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(crate) fn validate(sandbox: &Sandbox, args: &[&str]) -> (Run, Vec<Value>) {
    let mut all = vec!["--format", "json", "--no-cache"];
    all.extend_from_slice(args);
    let run = sandbox.hook(HOOK, &all);
    let diagnostics = diagnostics(&run);
    (run, diagnostics)
}

/// A human report whose summary line's duration is replaced, for snapshots.
pub(crate) fn without_timing(report: &str) -> String {
    match report.rfind(" checked in ") {
        Some(at) => format!("{} checked in [time]", &report[..at]),
        None => report.to_owned(),
    }
}

/// The 1-based line of the first line of `file` containing `needle`, comments skipped
/// (the corpus keeps commented-out copies of its objects).
pub(crate) fn line_of(sandbox: &Sandbox, file: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(sandbox.work.join(file)).unwrap();
    text.lines()
        .position(|l| !l.trim_start().starts_with('#') && l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in {file}")) as u64
        + 1
}

/// Replaces the first occurrence of `from` outside comments.
fn edit(sandbox: &Sandbox, file: &str, from: &str, to: &str) {
    let path = sandbox.work.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut offset = 0;
    let at = loop {
        let found = text[offset..].find(from).map(|i| i + offset);
        let Some(at) = found else {
            panic!("`{from}` not in {file} outside comments")
        };
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..at].trim_start().starts_with('#') {
            break at;
        }
        offset = at + from.len();
    };
    let mut edited = text.clone();
    edited.replace_range(at..at + from.len(), to);
    std::fs::write(path, edited).unwrap();
}

#[track_caller]
pub(crate) fn assert_reported<'a>(
    diagnostics: &'a [Value],
    code: &str,
    file: &str,
    line: u64,
) -> &'a Value {
    diagnostics
        .iter()
        .find(|d| d["code"] == code && d["file"] == file && d["line"].as_u64() == Some(line))
        .unwrap_or_else(|| {
            panic!(
                "expected {code} at {file}:{line} in:\n{}",
                diagnostics
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
}

pub(crate) fn errors(diagnostics: &[Value]) -> Vec<&Value> {
    diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect()
}

#[test]
fn the_safeops_corpus_is_clean_but_for_namespaces_two_kustomizations_apply() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    copy_dir(&corpus(), &sandbox.work);
    sandbox.git(&["add", "-A"]).assert_ok();
    sandbox.git(&["commit", "-q", "-m", "safeops"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    // The one real fault: each frontend overlay applies its lane's Namespace without the
    // pod-security labels the infrastructure Kustomization gives it, so every
    // reconciliation of one strips what the other set.
    assert_eq!(run.code, 1, "{}", run.all());
    for error in errors(&diagnostics) {
        let message = error["message"].as_str().unwrap();
        assert!(
            error["code"] == "flux::two-owners"
                && message.starts_with("Namespace ")
                && message.contains("flux-system/infrastructure")
                && message.contains("written differently"),
            "{error}"
        );
    }
    assert_reported(
        &diagnostics,
        "flux::two-owners",
        "flux/apps/frontend/overlays/develop/namespace.yaml",
        5,
    );
    let skipped: Vec<_> = diagnostics
        .iter()
        .filter(|d| d["code"] == "kustomize::empty")
        .collect();
    assert_eq!(skipped.len(), 1, "{diagnostics:?}");
    assert!(
        skipped[0]["message"]
            .as_str()
            .unwrap()
            .contains("flux/secrets/observability")
    );
    let status = sandbox
        .git(&["status", "--porcelain"])
        .assert_ok()
        .stdout
        .clone();
    assert!(status.is_empty(), "the hook changed the tree:\n{status}");
}

#[test]
fn seeded_faults_are_reported_with_code_file_and_line() {
    if !available() {
        return;
    }
    let sandbox = corpus_sandbox();
    let base = "flux/apps/backend/base/kustomization.yaml";
    edit(
        &sandbox,
        base,
        "  - servicemonitor.yaml",
        "  - servicemonitor.yaml\n  - missing.yaml\n  - github.com/org/repo//base?ref=main",
    );
    let develop = "flux/apps/backend/develop/kustomization.yaml";
    edit(
        &sandbox,
        develop,
        "  - ../base\n",
        "  - ../base\n  - ../../../../../../etc\n",
    );
    let flux_ks = "flux/bootstrap/apps/production/backend.yaml";
    edit(
        &sandbox,
        flux_ks,
        "path: ./flux/apps/backend/production",
        "path: ./flux/apps/backend/prod",
    );
    let typo = "flux/bootstrap/apps/develop/backend.yaml";
    edit(&sandbox, typo, "  prune: true", "  prunee: true");
    let removed_api = "flux/bootstrap/apps/staging/frontend.yaml";
    edit(
        &sandbox,
        removed_api,
        "kustomize.toolkit.fluxcd.io/v1\n",
        "kustomize.toolkit.fluxcd.io/v1beta2\n",
    );
    sandbox.write(
        "flux/apps/frontend/base/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n",
    );
    edit(
        &sandbox,
        "flux/apps/frontend/base/kustomization.yaml",
        "  - service.yaml",
        "  - service.yaml\n  - broken.yaml",
    );
    let helm = "flux/infrastructure/chaos/develop/kustomization.yaml";
    let text = std::fs::read_to_string(sandbox.work.join(helm)).unwrap();
    sandbox.write(helm, &format!("{text}helmCharts:\n  - name: x\n"));

    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "kustomize::missing-path",
        base,
        line_of(&sandbox, base, "missing.yaml"),
    );
    assert_reported(
        &diagnostics,
        "kustomize::remote-base",
        base,
        line_of(&sandbox, base, "github.com/"),
    );
    assert_reported(
        &diagnostics,
        "kustomize::path-escapes-root",
        develop,
        line_of(&sandbox, develop, "/etc"),
    );
    assert_reported(
        &diagnostics,
        "flux::path-not-found",
        flux_ks,
        line_of(&sandbox, flux_ks, "backend/prod"),
    );
    assert_reported(
        &diagnostics,
        "flux::schema",
        typo,
        line_of(&sandbox, typo, "prunee"),
    );
    assert_reported(
        &diagnostics,
        "flux::deprecated-api",
        removed_api,
        line_of(&sandbox, removed_api, "v1beta2"),
    );
    assert_reported(
        &diagnostics,
        "yaml::syntax",
        "flux/apps/frontend/base/broken.yaml",
        6,
    );
    assert_reported(
        &diagnostics,
        "kustomize::helm-charts",
        helm,
        line_of(&sandbox, helm, "helmCharts"),
    );
    // Overlays whose inputs are already explained are not rendered into a second,
    // noisier renderer error.
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "kustomize::build-failed"),
        "{diagnostics:?}"
    );
}

#[test]
fn rendered_output_faults_point_at_their_sources() {
    if !available() {
        return;
    }
    let sandbox = corpus_sandbox();
    // An undefined variable in a Flux Kustomization with postBuild (strict since 2.9).
    let hpa = "flux/apps/backend/production/hpa.yaml";
    edit(
        &sandbox,
        hpa,
        "  name: backend\n",
        "  name: backend\n  annotations:\n    owner: ${TEAM_OWNER}\n",
    );
    // The same object under two versions of one API group: kustomize keeps both.
    sandbox.write(
        "flux/apps/backend/staging/hpa-v1.yaml",
        "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: backend\nspec:\n  maxReplicas: 2\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: backend\n",
    );
    edit(
        &sandbox,
        "flux/apps/backend/staging/kustomization.yaml",
        "  - hpa.yaml",
        "  - hpa.yaml\n  - hpa-v1.yaml",
    );
    // A patch whose target does not exist: the renderer fails.
    sandbox.write(
        "flux/apps/frontend/overlays/develop/patches/ghost.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ghost\nspec:\n  replicas: 1\n",
    );
    let frontend = "flux/apps/frontend/overlays/develop/kustomization.yaml";
    let text = std::fs::read_to_string(sandbox.work.join(frontend)).unwrap();
    sandbox.write(
        frontend,
        &text.replacen("patches:\n", "patches:\n  - path: patches/ghost.yaml\n", 1),
    );

    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    // Once, at the use, naming the Flux Kustomization that substitutes it.
    let undefined = assert_reported(
        &diagnostics,
        "flux::unresolved-variable",
        hpa,
        line_of(&sandbox, hpa, "TEAM_OWNER"),
    );
    assert!(
        undefined["breaks"][0]
            .as_str()
            .unwrap()
            .contains("Flux Kustomization"),
        "{undefined}"
    );
    assert_eq!(
        diagnostics
            .iter()
            .filter(|d| d["code"] == "flux::unresolved-variable"
                && d["message"].as_str().unwrap().contains("TEAM_OWNER"))
            .count(),
        1,
        "{diagnostics:?}"
    );
    assert_reported(
        &diagnostics,
        "k8s::duplicate-object",
        "flux/apps/backend/staging/hpa-v1.yaml",
        4,
    );
    // The failure lands on the patch entry, and names the build it breaks.
    let ghost = assert_reported(
        &diagnostics,
        "kustomize::patch-target",
        frontend,
        line_of(&sandbox, frontend, "patches/ghost.yaml"),
    );
    assert!(
        ghost["message"]
            .as_str()
            .unwrap()
            .contains("Deployment ghost"),
        "{ghost}"
    );
    assert!(!ghost.to_string().contains("/tmp/"), "{ghost}");
    // Flux 2.8 substituted undefined variables with "" (a warning, not an error).
    let (_, older) = validate(&sandbox, &["--all", "--flux-version", "2.8"]);
    assert!(
        older
            .iter()
            .any(|d| d["code"] == "flux::unresolved-variable" && d["severity"] == "warning")
    );
}

#[test]
fn a_changed_base_renders_exactly_the_overlays_that_load_it() {
    if !available() {
        return;
    }
    let sandbox = corpus_sandbox();
    let summary = |args: &[&str]| {
        let mut all = vec!["-v"];
        all.extend_from_slice(args);
        let (run, diagnostics) = validate(&sandbox, &all);
        assert_eq!(run.code, 0, "{}", run.all());
        let note = diagnostics
            .iter()
            .find(|d| d["code"] == "flux-kustomize-validate::summary")
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
        // Parents are rendered too (their renders are the cluster trees); what a change
        // affects is what gets checked.
        let checked: usize = note
            .split(" checked")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        checked
    };
    // The backend base is loaded by the develop, staging and production overlays.
    assert_eq!(summary(&["flux/apps/backend/base/service.yaml"]), 3);
    // A file nothing loads renders nothing.
    sandbox.write("notes/unrelated.yaml", "a: 1\n");
    assert_eq!(summary(&["notes/unrelated.yaml"]), 0);
    // A Flux Kustomization file renders the path it points at, and the overlay that
    // lists the file itself (flux/bootstrap/apps/production).
    assert_eq!(summary(&["flux/bootstrap/apps/production/backend.yaml"]), 2);
}

#[test]
fn a_second_run_with_nothing_changed_comes_from_the_cache() {
    if !available() {
        return;
    }
    let sandbox = corpus_sandbox();
    let first = sandbox.hook(HOOK, &["--all", "-v", "--format", "json"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let second = sandbox.hook(HOOK, &["--all", "-v", "--format", "json"]);
    assert!(second.stdout.contains("from the cache"), "{}", second.all());
    let rendered_from_cache = |run: &Run| {
        let d = diagnostics(run);
        let note = d
            .iter()
            .find(|d| d["code"] == "flux-kustomize-validate::summary")
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
        note.contains(" rendered (0 from the cache")
    };
    assert!(rendered_from_cache(&first));
    assert!(!rendered_from_cache(&second), "{}", second.stdout);
    // The cache lives in the git directory, never in the tree.
    assert!(
        sandbox
            .work
            .join(".git/gitops-guardrails/flux-kustomize-validate/renders")
            .is_dir()
    );
    assert!(
        sandbox
            .git(&["status", "--porcelain"])
            .assert_ok()
            .stdout
            .is_empty()
    );
}

#[test]
fn hostile_yaml_is_reported_not_expanded() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    sandbox.write("bomb.yaml", &bomb);
    sandbox.write(
        "deep.yaml",
        &format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
    );
    std::fs::write(sandbox.work.join("binary.yaml"), b"a: 1\n\0\x01\x02").unwrap();
    std::fs::write(sandbox.work.join("latin1.yaml"), b"a: caf\xe9\n").unwrap();
    let started = std::time::Instant::now();
    let (run, diagnostics) = validate(
        &sandbox,
        &["bomb.yaml", "deep.yaml", "binary.yaml", "latin1.yaml"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(run.code, 1, "{}", run.all());
    for (file, code) in [
        ("bomb.yaml", "yaml::limit"),
        ("deep.yaml", "yaml::limit"),
        ("binary.yaml", "yaml::not-text"),
        ("latin1.yaml", "yaml::not-text"),
    ] {
        assert!(
            diagnostics
                .iter()
                .any(|d| d["code"] == code && d["file"] == file),
            "{file}: {diagnostics:?}"
        );
    }
}

#[test]
fn a_flux_path_without_kustomization_is_generated_and_must_hold_only_manifests() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write(
        "clusters/dev/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./plain\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    sandbox.write(
        "plain/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        diagnostics
            .iter()
            .any(|d| d["message"].as_str().unwrap_or("").contains("1 rendered")),
        "{diagnostics:?}"
    );
    // source-controller's default exclusions keep CI files out of the artifact...
    sandbox.write("plain/.github/workflows/ci.yaml", "on: push\njobs: {}\n");
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    // ...until the repository has ignore patterns of its own, which replace them.
    sandbox.write("plain/.sourceignore", "chart-values/\n");
    sandbox.write("plain/chart-values/values.yaml", "replicaCount: 2\n");
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::not-kubernetes",
        "plain/.github/workflows/ci.yaml",
        1,
    );
    assert_eq!(errors(&diagnostics).len(), 1, "{diagnostics:?}");
    assert!(run.stdout.contains("replaces them"), "{}", run.all());
    sandbox.write("plain/.sourceignore", "chart-values/\n.github/\n");
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    // The GitRepository's spec.ignore counts too, after the files.
    sandbox.write(
        "clusters/dev/source.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.test/fleet.git\n  ref:\n    branch: main\n  ignore: |\n    !/plain/chart-values/\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::not-kubernetes",
        "plain/chart-values/values.yaml",
        1,
    );
    std::fs::remove_file(sandbox.work.join("clusters/dev/source.yaml")).unwrap();
    sandbox.write("plain/values.yaml", "replicaCount: 2\n");
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "flux::not-kubernetes", "plain/values.yaml", 1);
}

/// The hook configuration for the frameworks, and the corpus committed on `main`.
pub(crate) fn corpus_with_hook(client: Client) -> Sandbox {
    let mut sandbox = Sandbox::empty();
    copy_dir(&corpus(), &sandbox.work);
    one_definition_per_lane_namespace(&sandbox.work);
    if client != Client::Shim {
        sandbox.write(
            ".pre-commit-config.yaml",
            &framework_config_for(&[(HOOK, &["--no-cache"])]),
        );
    }
    sandbox.git(&["add", "-A"]).assert_ok();
    sandbox
        .git(&["commit", "-q", "--no-verify", "-m", "safeops"])
        .assert_ok();
    sandbox.install(client, &[]);
    sandbox.git(&["switch", "-q", "-c", "feat"]).assert_ok();
    sandbox
}

per_client!(a_commit_that_breaks_an_overlay_is_refused, |client| {
    if !available() {
        return;
    }
    let sandbox = corpus_with_hook(client);
    // A YAML file outside every overlay: validated, passes.
    sandbox.write("docs/example.yaml", "a: 1\n");
    sandbox.git(&["add", "docs/example.yaml"]).assert_ok();
    sandbox.git(&["commit", "-q", "-m", "docs"]).assert_ok();
    // A non-YAML file: the hook does not even run (files: filter / no staged YAML).
    sandbox.write("NOTES.txt", "${NOT_YAML\n");
    sandbox.git(&["add", "NOTES.txt"]).assert_ok();
    sandbox.git(&["commit", "-q", "-m", "notes"]).assert_ok();
    // Breaking the shared base is refused, naming the file and line.
    edit(
        &sandbox,
        "flux/apps/backend/base/kustomization.yaml",
        "  - service.yaml",
        "  - services.yaml",
    );
    sandbox.git(&["add", "-A"]).assert_ok();
    let run = sandbox.git(&["commit", "-q", "-m", "rename"]);
    run.assert_refused("kustomize::missing-path");
    run.assert_contains("flux/apps/backend/base/kustomization.yaml");
});

per_client!(
    a_commit_that_deletes_or_renames_a_loaded_file_is_refused,
    |client| {
        if !available() {
            return;
        }
        let sandbox = corpus_with_hook(client);
        // Frameworks pass no deleted file: the hook reads the deletion from the index.
        sandbox
            .git(&["rm", "-q", "flux/apps/backend/base/service.yaml"])
            .assert_ok();
        let run = sandbox.git(&["commit", "-q", "-m", "delete"]);
        run.assert_refused("kustomize::missing-path");
        run.assert_contains("flux/apps/backend/base/kustomization.yaml");
        sandbox.git(&["reset", "-q", "--hard"]).assert_ok();
        // A rename passes the new name only; the old one is still listed.
        sandbox
            .git(&[
                "mv",
                "flux/apps/backend/base/service.yaml",
                "flux/apps/backend/base/svc.yaml",
            ])
            .assert_ok();
        let run = sandbox.git(&["commit", "-q", "-m", "rename"]);
        run.assert_refused("kustomize::missing-path");
        sandbox.git(&["reset", "-q", "--hard"]).assert_ok();
        // Deleting a file nothing loads is fine.
        sandbox.write("docs/old.yaml", "a: 1\n");
        sandbox.git(&["add", "docs/old.yaml"]).assert_ok();
        sandbox.git(&["commit", "-q", "-m", "docs"]).assert_ok();
        sandbox.git(&["rm", "-q", "docs/old.yaml"]).assert_ok();
        sandbox
            .git(&["commit", "-q", "-m", "drop docs"])
            .assert_ok();
    }
);

per_client!(only_staged_changes_are_validated, |client| {
    if !available() || client == Client::Shim {
        // The shim sees the working tree as it is; only the frameworks stash unstaged
        // changes away.
        return;
    }
    let sandbox = corpus_with_hook(client);
    edit(
        &sandbox,
        "flux/apps/backend/base/service.yaml",
        "kind: Service",
        "kind: Service\n# reviewed",
    );
    sandbox
        .git(&["add", "flux/apps/backend/base/service.yaml"])
        .assert_ok();
    // An unstaged break in the same overlay must not fail the commit.
    edit(
        &sandbox,
        "flux/apps/backend/base/kustomization.yaml",
        "  - service.yaml",
        "  - services.yaml",
    );
    sandbox
        .git(&["commit", "-q", "-m", "staged only"])
        .assert_ok();
    // The unstaged change is still there.
    let text = std::fs::read_to_string(
        sandbox
            .work
            .join("flux/apps/backend/base/kustomization.yaml"),
    )
    .unwrap();
    assert!(text.contains("services.yaml"));
});

per_client!(all_files_runs_every_overlay, |client| {
    if !available() || client == Client::Shim {
        return;
    }
    let sandbox = corpus_with_hook(client);
    sandbox
        .framework(client, &["run", HOOK, "--all-files"])
        .assert_ok();
    edit(
        &sandbox,
        "flux/bootstrap/apps/production/backend.yaml",
        "path: ./flux/apps/backend/production",
        "path: ./flux/apps/backend/prod",
    );
    sandbox
        .framework(client, &["run", HOOK, "--all-files"])
        .assert_refused("flux::path-not-found");
});

#[test]
fn the_seeds_incident_a_staging_tag_pinned_in_production_is_refused() {
    if !available() {
        return;
    }
    let sandbox = corpus_sandbox();
    let production = "flux/apps/backend/production/kustomization.yaml";
    edit(
        &sandbox,
        production,
        "newTag: production-v0.0.2-025c591-1770392924",
        "newTag: staging-v0.0.2-025c591-1770392924",
    );
    // A policy that lets other lanes' tags in, and a marker naming another lane's policy.
    let staging_policy = "flux/apps/backend/staging/image-policy.yaml";
    edit(
        &sandbox,
        staging_policy,
        "pattern: '^staging-",
        "pattern: 'staging-",
    );
    let develop = "flux/apps/backend/develop/kustomization.yaml";
    edit(
        &sandbox,
        develop,
        "\"develop:backend:tag\"",
        "\"production:backend:tag\"",
    );
    let (run, diagnostics) = validate(&sandbox, &[production, staging_policy, develop]);
    assert_eq!(run.code, 1, "{}", run.all());
    let line = line_of(&sandbox, production, "newTag:");
    assert_reported(&diagnostics, "image::lane-mismatch", production, line);
    assert_reported(
        &diagnostics,
        "image-policy::unanchored",
        staging_policy,
        line_of(&sandbox, staging_policy, "pattern:"),
    );
    let marker = line_of(&sandbox, develop, "$imagepolicy");
    assert_reported(&diagnostics, "image::lane-mismatch", develop, marker);
    assert_reported(&diagnostics, "setter::not-automated", develop, marker);
    // The human report a reviewer reads, pinned.
    let human = sandbox.hook(HOOK, &["--no-cache", production]);
    let report: String = human
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("image::lane-mismatch"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("lane_mismatch_human", without_timing(&report));
}

#[test]
fn flux_codes_render_as_github_annotations() {
    if !available() {
        return;
    }
    let sandbox = corpus_sandbox();
    let flux_ks = "flux/bootstrap/apps/production/backend.yaml";
    edit(
        &sandbox,
        flux_ks,
        "path: ./flux/apps/backend/production",
        "path: ./flux/apps/backend/prod",
    );
    let run = sandbox.hook(HOOK, &["--no-cache", "--format", "github", flux_ks]);
    assert_eq!(run.code, 1, "{}", run.all());
    insta::assert_snapshot!("path_not_found_github", run.stdout);
}

#[test]
fn the_example_repository_is_clean_and_a_moved_overlay_is_caught() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    copy_dir(
        &crate::harness::checkout().join("examples/gitops-repo"),
        &sandbox.work,
    );
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    // Moving the staging overlay breaks its Flux Kustomization and its automation's path.
    sandbox
        .git(&["mv", "flux/apps/web/staging", "flux/apps/web/stage"])
        .assert_ok();
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let web = "flux/bootstrap/apps/web.yaml";
    assert_reported(
        &diagnostics,
        "flux::path-not-found",
        web,
        line_of(&sandbox, web, "web/staging"),
    );
    let automation = "flux/apps/web/stage/image-automation.yaml";
    assert_reported(
        &diagnostics,
        "setter::not-automated",
        automation,
        line_of(&sandbox, automation, "path:"),
    );
}

#[test]
fn what_kustomize_rejects_is_built_even_when_it_looks_empty_or_loads_itself() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write(
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    );
    // `resource:` for `resources:`: no resources, but kustomize rejects the unknown field.
    sandbox.write(
        "app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource:\n  - cm.yaml\n",
    );
    // Two kustomizations loading each other: each has a parent, neither is an overlay.
    sandbox.write("a/kustomization.yaml", "resources: [../b]\n");
    sandbox.write("b/kustomization.yaml", "resources: [../a]\n");
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    // kustomize's strict decoding, at the key it refuses, with the field it meant.
    let unknown = assert_reported(
        &diagnostics,
        "kustomize::invalid-kustomization",
        "app/kustomization.yaml",
        3,
    );
    assert!(
        unknown["help"]
            .as_str()
            .unwrap()
            .contains("did you mean `resources`"),
        "{unknown}"
    );
    // The headline is kustomize's error, not kubectl's log prefix.
    assert!(
        diagnostics
            .iter()
            .all(|d| !d["message"].as_str().unwrap().contains("run.go")),
        "{diagnostics:?}"
    );
    let cycles: Vec<_> = diagnostics
        .iter()
        .filter(|d| d["code"] == "kustomize::cycle")
        .collect();
    assert_eq!(cycles.len(), 1, "one finding per cycle: {diagnostics:?}");
    assert_eq!(cycles[0]["line"], 1, "{:?}", cycles[0]);
    // A kustomization that says nothing but its kind is still skipped.
    sandbox.write(
        "app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for cycle in ["a", "b"] {
        std::fs::remove_dir_all(sandbox.work.join(cycle)).unwrap();
    }
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        diagnostics.iter().any(|d| d["code"] == "kustomize::empty"),
        "{diagnostics:?}"
    );
}

#[test]
fn changes_reach_the_builds_that_read_them_and_only_those() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // A transformer config listed in `configurations:` is an input of the build.
    sandbox.write(
        "base/kustomization.yaml",
        "resources: [crontab.yaml]\nconfigurations: [kconfig.yaml]\nimages:\n  - name: app\n    newTag: v2\n",
    );
    sandbox.write(
        "base/crontab.yaml",
        "apiVersion: example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  image: app:v1\n",
    );
    sandbox.write(
        "base/kconfig.yaml",
        "images:\n  - path: spec/image\n    kind: CronTab\n",
    );
    // A local Helm chart: its templates are Go templates, not YAML, and no build reads them.
    sandbox.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    sandbox.write(
        "charts/web/templates/deployment.yaml",
        "metadata:\n  labels:\n    {{- include \"web.labels\" . | nindent 4 }}\n",
    );
    // A Flux Kustomization substituting from a ConfigMap defined in another file.
    sandbox.write(
        "clusters/dev/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n",
    );
    sandbox.write(
        "clusters/vars/cluster-vars.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\ndata:\n  DOMAIN: example.com\n",
    );
    sandbox.write(
        "apps/ingress-host.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: host\ndata:\n  host: web.${DOMAIN}\n",
    );
    // A Flux Kustomization whose GitRepository is defined elsewhere: its path is not ours.
    sandbox.write(
        "clusters/dev/tenant.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: tenant\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./deploy\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: tenant-repo\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    let (run, _) = validate(&sandbox, &["charts/web/templates/deployment.yaml"]);
    assert_eq!(run.code, 0, "{}", run.all());

    sandbox.write(
        "base/kconfig.yaml",
        "images:\n  - path: spec/image\n    kind: CronTab\nbogus: 1\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["base/kconfig.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    // At the key of the configuration file that kustomize refuses.
    assert_reported(
        &diagnostics,
        "kustomize::build-failed",
        "base/kconfig.yaml",
        4,
    );
    sandbox.write(
        "base/kconfig.yaml",
        "images:\n  - path: spec/image\n    kind: CronTab\n",
    );

    edit(
        &sandbox,
        "clusters/vars/cluster-vars.yaml",
        "DOMAIN:",
        "DOMAIN_NAME:",
    );
    let (run, diagnostics) = validate(&sandbox, &["clusters/vars/cluster-vars.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "flux::unresolved-variable"
                && d["message"].as_str().unwrap().contains("DOMAIN")),
        "{diagnostics:?}"
    );
}
