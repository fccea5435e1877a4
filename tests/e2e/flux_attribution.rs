//! Every finding lands on its cause: a fault seeded into a shared base, an overlay or a
//! component is reported at the file and line a reviewer must open, names the builds it
//! breaks, and says so once. Each case runs the way pre-commit runs the hook (the changed
//! file) and the way CI does (`--all`). Every fixture is written here, for this project.

use serde_json::Value;

use crate::flux_trees::{bootstrap, flux_kustomization};
use crate::flux_validate::{assert_reported, available, line_of, validate, without_timing};
use crate::harness::Sandbox;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27.0\n";

/// Two clusters; prod patches the shared base, staging adds a component to it.
fn fleet() -> Sandbox {
    let sandbox = Sandbox::empty();
    for cluster in ["prod", "staging"] {
        bootstrap(&sandbox, cluster);
        sandbox.write(
            &format!("clusters/{cluster}/apps.yaml"),
            &flux_kustomization("apps", &format!("./apps/{cluster}"), ""),
        );
    }
    sandbox.write("apps/base/kustomization.yaml", "resources:\n  - web.yaml\n");
    sandbox.write("apps/base/web.yaml", DEPLOYMENT);
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources:\n  - ../base\npatches:\n  - path: replicas.yaml\n",
    );
    sandbox.write(
        "apps/prod/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 3\n",
    );
    sandbox.write(
        "apps/staging/kustomization.yaml",
        "resources:\n  - ../base\ncomponents:\n  - ../components/debug\n",
    );
    sandbox.write(
        "apps/components/debug/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - target:\n      kind: Deployment\n      name: web\n    patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: nginx:1.27.0-debug\n",
    );
    sandbox
}

/// Runs the hook as pre-commit would (`changed`) and as CI does (`--all`); both exit with
/// `code`, and no message names a machine path.
pub(crate) fn both_ways_exiting(sandbox: &Sandbox, changed: &str, code: i32) -> [Vec<Value>; 2] {
    [&[changed][..], &["--all"][..]].map(|args| {
        let (run, diagnostics) = validate(sandbox, args);
        assert_eq!(run.code, code, "{args:?}: {}", run.all());
        for d in &diagnostics {
            let text = d.to_string();
            assert!(
                !text.contains(&*sandbox.root.to_string_lossy()) && !text.contains("/tmp/"),
                "a machine path leaked: {text}"
            );
        }
        diagnostics
    })
}

/// Both ways, failing.
pub(crate) fn both_ways(sandbox: &Sandbox, changed: &str) -> [Vec<Value>; 2] {
    both_ways_exiting(sandbox, changed, 1)
}

pub(crate) fn breaks(diagnostic: &Value) -> Vec<String> {
    diagnostic["breaks"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|b| b.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The human report from the first line with `code`, the timing of the summary removed.
fn human(sandbox: &Sandbox, changed: &str, code: &str) -> String {
    let run = sandbox.hook("flux-kustomize-validate", &["--no-cache", changed]);
    assert_eq!(run.code, 1, "{}", run.all());
    let report: Vec<&str> = run
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with(code))
        .collect();
    without_timing(&report.join("\n"))
}

#[test]
fn the_fleet_fixture_is_clean() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{diagnostics:?}", run.all());
}

#[test]
fn a_renamed_base_object_lands_on_the_patch_that_no_longer_matches() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    sandbox.write(
        "apps/base/web.yaml",
        &DEPLOYMENT.replacen("name: web\n  namespace", "name: frontend\n  namespace", 1),
    );
    let overlay = "apps/prod/kustomization.yaml";
    for diagnostics in both_ways(&sandbox, "apps/base/web.yaml") {
        let found = assert_reported(
            &diagnostics,
            "kustomize::patch-target",
            overlay,
            line_of(&sandbox, overlay, "replicas.yaml"),
        );
        assert!(
            found["message"]
                .as_str()
                .unwrap()
                .contains("Deployment default/web"),
            "{found}"
        );
        let broken = breaks(found);
        assert!(
            broken
                .iter()
                .any(|b| b.contains("flux-system/apps") && b.contains("clusters/prod")),
            "{broken:?}"
        );
        assert!(!broken.iter().any(|b| b.contains("staging")), "{broken:?}");
    }
    insta::assert_snapshot!(
        "patch_target_human",
        human(&sandbox, "apps/base/web.yaml", "kustomize::patch-target")
    );
}

#[test]
fn a_json_patch_in_a_shared_component_lands_on_its_operation() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let component = "apps/components/debug/kustomization.yaml";
    let text = std::fs::read_to_string(sandbox.work.join(component)).unwrap();
    sandbox.write(
        component,
        &text.replace("containers/0/image", "containers/2/image"),
    );
    for diagnostics in both_ways(&sandbox, component) {
        let found = assert_reported(
            &diagnostics,
            "kustomize::patch-failed",
            component,
            line_of(&sandbox, component, "containers/2/image"),
        );
        let broken = breaks(found);
        assert!(
            broken.iter().any(|b| b.contains("clusters/staging")),
            "{broken:?}"
        );
    }
    insta::assert_snapshot!(
        "patch_failed_human",
        human(&sandbox, component, "kustomize::patch-failed")
    );
}

#[test]
fn an_object_defined_twice_lands_on_the_entry_that_adds_it_again() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    sandbox.write("apps/prod/web-copy.yaml", DEPLOYMENT);
    let overlay = "apps/prod/kustomization.yaml";
    sandbox.write(
        overlay,
        "resources:\n  - ../base\n  - web-copy.yaml\npatches:\n  - path: replicas.yaml\n",
    );
    for diagnostics in both_ways(&sandbox, "apps/prod/web-copy.yaml") {
        let found = assert_reported(
            &diagnostics,
            "kustomize::duplicate-id",
            overlay,
            line_of(&sandbox, overlay, "web-copy.yaml"),
        );
        assert!(
            found["message"].as_str().unwrap().contains("web-copy.yaml"),
            "{found}"
        );
    }
    insta::assert_snapshot!(
        "duplicate_id_human",
        human(
            &sandbox,
            "apps/prod/web-copy.yaml",
            "kustomize::duplicate-id"
        )
    );
}

#[test]
fn a_yaml_error_in_a_shared_base_names_every_build_it_breaks() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    sandbox.write(
        "apps/base/web.yaml",
        &DEPLOYMENT.replacen("  selector:\n", "  selector: [\n", 1),
    );
    for diagnostics in both_ways(&sandbox, "apps/base/web.yaml") {
        let found: Vec<&Value> = diagnostics
            .iter()
            .filter(|d| d["code"] == "yaml::syntax")
            .collect();
        assert_eq!(found.len(), 1, "once: {diagnostics:?}");
        assert_eq!(found[0]["file"], "apps/base/web.yaml");
        let broken = breaks(found[0]);
        for cluster in ["clusters/prod", "clusters/staging"] {
            assert!(broken.iter().any(|b| b.contains(cluster)), "{broken:?}");
        }
        // No second, noisier renderer error for what is already explained.
        assert!(
            !diagnostics
                .iter()
                .any(|d| d["code"].as_str().unwrap().starts_with("kustomize::")),
            "{diagnostics:?}"
        );
    }
}

#[test]
fn an_unknown_kustomization_field_lands_on_its_key() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let overlay = "apps/prod/kustomization.yaml";
    sandbox.write(
        overlay,
        "resources:\n  - ../base\npatchs:\n  - path: replicas.yaml\n",
    );
    for diagnostics in both_ways(&sandbox, overlay) {
        let found = assert_reported(&diagnostics, "kustomize::invalid-kustomization", overlay, 3);
        assert!(
            found["help"]
                .as_str()
                .unwrap()
                .contains("did you mean `patches`"),
            "{found}"
        );
    }
}

#[test]
fn one_base_broken_for_two_clusters_is_one_finding() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    // Both clusters build the base; a cycle in it breaks both.
    sandbox.write(
        "apps/base/kustomization.yaml",
        "resources:\n  - web.yaml\n  - ../loop\n",
    );
    sandbox.write("apps/loop/kustomization.yaml", "resources:\n  - ../base\n");
    for diagnostics in both_ways(&sandbox, "apps/base/kustomization.yaml") {
        let cycles: Vec<&Value> = diagnostics
            .iter()
            .filter(|d| d["code"] == "kustomize::cycle")
            .collect();
        assert_eq!(cycles.len(), 1, "{diagnostics:?}");
        let broken = breaks(cycles[0]);
        for cluster in ["clusters/prod", "clusters/staging"] {
            assert!(broken.iter().any(|b| b.contains(cluster)), "{broken:?}");
        }
    }
}

#[test]
fn a_mutable_tag_in_a_shared_base_lands_on_the_image_line() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    sandbox.write(
        "clusters/prod/image-repository.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: nginx\n  namespace: flux-system\nspec:\n  image: nginx\n  interval: 5m\n",
    );
    let base = "apps/base/web.yaml";
    sandbox.write(base, &DEPLOYMENT.replace("nginx:1.27.0", "nginx:latest"));
    for diagnostics in both_ways(&sandbox, base) {
        let found = assert_reported(
            &diagnostics,
            "image::mutable-tag",
            base,
            line_of(&sandbox, base, "image: nginx:latest"),
        );
        // The build that renders it is named; staging's component replaces the image.
        let message = found["message"].as_str().unwrap();
        assert!(message.contains("apps/prod"), "{found}");
        assert!(
            !diagnostics.iter().any(|d| d["code"] == "image::mutable-tag"
                && d["message"].as_str().unwrap().contains("staging")),
            "{diagnostics:?}"
        );
    }
}

#[test]
fn a_namespace_that_merges_two_objects_and_a_directory_given_as_a_file_are_one_sentence_each() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    let config = |namespace: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: {namespace}\n"
        )
    };
    sandbox.write("merged/one.yaml", &config("one"));
    sandbox.write("merged/two.yaml", &config("two"));
    let merged = "merged/kustomization.yaml";
    sandbox.write(
        merged,
        "resources: [one.yaml, two.yaml]\nnamespace: shared\n",
    );
    let generator = "generated/kustomization.yaml";
    sandbox.write("generated/files/app.conf", "key = value\n");
    sandbox.write(
        generator,
        "configMapGenerator:\n  - name: app\n    files: [files]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let conflict = assert_reported(&diagnostics, "kustomize::duplicate-id", merged, 2);
    assert_eq!(
        conflict["message"],
        "`namespace: shared` in merged makes ConfigMap settings of namespaces one and two one object (ConfigMap shared/settings)"
    );
    let directory = assert_reported(&diagnostics, "kustomize::missing-path", generator, 3);
    assert!(
        directory["message"]
            .as_str()
            .unwrap()
            .contains("is a directory: kustomize needs a file here"),
        "{directory}"
    );
}

#[test]
fn a_changed_path_that_became_a_symlink_or_lost_its_kustomization_is_checked_like_all() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write("base/kustomization.yaml", "resources: [cm.yaml]\n");
    sandbox.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    sandbox.write("overlay/kustomization.yaml", "resources: [../base]\n");
    let outside = sandbox.root.join("outside.yaml");
    std::fs::write(
        &outside,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
    )
    .unwrap();

    // A base file replaced by a symlink that leaves the repository.
    std::fs::remove_file(sandbox.work.join("base/cm.yaml")).unwrap();
    std::os::unix::fs::symlink(&outside, sandbox.work.join("base/cm.yaml")).unwrap();
    for diagnostics in both_ways(&sandbox, "base/cm.yaml") {
        let found = diagnostics
            .iter()
            .find(|d| d["code"] == "kustomize::path-escapes-root")
            .unwrap_or_else(|| panic!("{diagnostics:?}"));
        assert_eq!(found["file"], "base/kustomization.yaml");
        assert_eq!(breaks(found), ["overlay"]);
    }
    std::fs::remove_file(sandbox.work.join("base/cm.yaml")).unwrap();
    sandbox.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );

    // The base's kustomization deleted, then replaced by a directory of that name.
    std::fs::remove_file(sandbox.work.join("base/kustomization.yaml")).unwrap();
    for round in ["deleted", "a directory"] {
        for diagnostics in both_ways(&sandbox, "base/kustomization.yaml") {
            assert!(
                diagnostics
                    .iter()
                    .any(|d| d["code"] == "kustomize::missing-path"
                        && d["file"] == "overlay/kustomization.yaml"),
                "{round}: {diagnostics:?}"
            );
        }
        if round == "deleted" {
            std::fs::create_dir(sandbox.work.join("base/kustomization.yaml")).unwrap();
        }
    }
}

#[test]
fn damaged_render_cache_entries_are_rebuilt_never_read() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write("base/kustomization.yaml", "resources: [cm.yaml]\n");
    sandbox.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
    );
    sandbox.write("overlay/kustomization.yaml", "resources: [../base]\n");
    let first = sandbox.hook("flux-kustomize-validate", &["--all", "--verbose"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let renders = sandbox
        .work
        .join(".git/gitops-guardrails/flux-kustomize-validate/renders");
    let entries: Vec<std::path::PathBuf> = std::fs::read_dir(&renders)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!entries.is_empty());
    for (i, entry) in entries.iter().enumerate() {
        let text = std::fs::read(entry).unwrap();
        // Emptied, truncated.
        let damaged = if i % 2 == 0 {
            &text[..0]
        } else {
            &text[..text.len() / 2]
        };
        std::fs::write(entry, damaged).unwrap();
    }
    let run = sandbox.hook("flux-kustomize-validate", &["--all", "--verbose"]);
    assert_eq!(run.code, 0, "a clean repository stays clean: {}", run.all());
    run.assert_contains("damaged cache entr");
    // Rebuilt: the next run reads them again and says nothing about damage.
    let again = sandbox.hook("flux-kustomize-validate", &["--all", "--verbose"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(!again.all().contains("damaged"), "{}", again.all());
    // A damaged entry never makes a broken render pass: break the base, damage the
    // entries, and the error is still found.
    sandbox.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
    );
    let broken = sandbox.hook("flux-kustomize-validate", &["--all"]);
    assert_eq!(broken.code, 1, "{}", broken.all());
    for entry in std::fs::read_dir(&renders).unwrap() {
        std::fs::write(entry.unwrap().path(), "").unwrap();
    }
    let broken = sandbox.hook("flux-kustomize-validate", &["--all"]);
    assert_eq!(broken.code, 1, "{}", broken.all());
}

#[test]
fn a_root_that_is_not_a_directory_is_refused_and_verbose_says_what_is_scanned() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write("apps/kustomization.yaml", "resources: [cm.yaml]\n");
    sandbox.write(
        "apps/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    let run = sandbox.hook(
        "flux-kustomize-validate",
        &["--root", "apps/cm.yaml", "--all"],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    run.assert_contains("not a directory");
    let run = sandbox.hook(
        "flux-kustomize-validate",
        &["--root", "apps", "--all", "--verbose"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_contains("scanned apps:");
    let run = sandbox.hook("flux-kustomize-validate", &["--all", "--verbose"]);
    run.assert_contains("scanned the repository:");
}

#[test]
fn eight_runs_at_once_share_the_cache_and_agree() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write("base/kustomization.yaml", "resources: [cm.yaml]\n");
    sandbox.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    for i in 0..6 {
        sandbox.write(
            &format!("overlay-{i}/kustomization.yaml"),
            &format!("resources: [../base]\nnamePrefix: o{i}-\n"),
        );
    }
    // One overlay is broken, so the agreed output is not empty.
    sandbox.write(
        "overlay-5/kustomization.yaml",
        "resources: [../base, missing.yaml]\n",
    );
    let bin = crate::harness::bin_dir().join("flux-kustomize-validate");
    let run_eight = || -> Vec<(Option<i32>, String)> {
        let children: Vec<_> = (0..8)
            .map(|_| {
                let mut cmd = std::process::Command::new(&bin);
                cmd.args(["--all", "--format", "json"])
                    .current_dir(&sandbox.work);
                crate::harness::hermetic(&mut cmd, &sandbox.home);
                cmd.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                (
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                )
            })
            .collect()
    };
    let before = sandbox.snapshot();
    let cold = run_eight();
    let warm = run_eight();
    before.assert_same(&sandbox.snapshot(), "sixteen concurrent runs");
    let first = cold[0].clone();
    assert_eq!(first.0, Some(1), "{}", first.1);
    assert!(first.1.contains("missing.yaml"), "{}", first.1);
    for (i, result) in cold.iter().chain(&warm).enumerate() {
        assert_eq!(result, &first, "run {i} disagrees");
    }
    // No temporary file is left in the cache.
    let renders = sandbox
        .work
        .join(".git/gitops-guardrails/flux-kustomize-validate/renders");
    for entry in std::fs::read_dir(renders).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(!name.to_string_lossy().ends_with(".tmp"), "{name:?}");
    }
}
