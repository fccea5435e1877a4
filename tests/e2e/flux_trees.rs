//! Cluster trees built the way Flux reconciles them: each pattern below made a false
//! error when Flux Kustomizations were read from files, and a real fault seeded into it
//! must still be found. Every fixture is written here, for this project.

use serde_json::Value;

use crate::flux_validate::{assert_reported, available, errors, validate};
use crate::harness::Sandbox;

const GITREPOSITORY: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.test/fleet\n  ref:\n    branch: main\n";

/// The two files `flux bootstrap` writes for a cluster whose tree starts at `path`.
pub(crate) fn bootstrap(sandbox: &Sandbox, cluster: &str) {
    sandbox.write(
        &format!("clusters/{cluster}/flux-system/gotk-sync.yaml"),
        &format!(
            "{GITREPOSITORY}---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{cluster}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        ),
    );
    sandbox.write(
        &format!("clusters/{cluster}/flux-system/kustomization.yaml"),
        "resources: [gotk-sync.yaml]\n",
    );
}

pub(crate) fn flux_kustomization(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

fn settings(name: &str, data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: flux-system\ndata:\n{data}"
    )
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| format!("{} {}:{}", d["code"], d["file"], d["line"]))
        .collect()
}

#[test]
fn a_parent_patch_that_adds_substitute_from_reaches_every_child() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/cluster-settings.yaml",
        &settings("cluster-settings", "  CLUSTER: prod\n"),
    );
    // The parent patches every Kustomization it applies: the children's files say
    // nothing about cluster-settings.
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization(
            "apps",
            "./apps/prod",
            "  patches:\n    - target:\n        kind: Kustomization\n      patch: |\n        - op: add\n          path: /spec/postBuild/substituteFrom\n          value:\n            - kind: ConfigMap\n              name: cluster-settings\n",
        ),
    );
    sandbox.write("apps/prod/kustomization.yaml", "resources: [web.yaml]\n");
    sandbox.write(
        "apps/prod/web.yaml",
        &flux_kustomization(
            "web",
            "./apps/base/web",
            "  postBuild:\n    substitute:\n      APP: web\n",
        ),
    );
    sandbox.write(
        "apps/base/web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  host: ${APP}.${CLUSTER}.example.test\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));

    // A variable no source defines is still an error, at its use.
    sandbox.write(
        "apps/base/web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  host: ${APP}.${CLUSTR}.example.test\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["apps/base/web/config.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::unresolved-variable",
        "apps/base/web/config.yaml",
        7,
    );
}

#[test]
fn a_child_path_substituted_by_its_parent_is_followed() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/cluster-settings.yaml",
        &settings("cluster-settings", "  CLUSTER: prod\n"),
    );
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization(
            "apps",
            "./apps/entry",
            "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
        ),
    );
    sandbox.write("apps/entry/kustomization.yaml", "resources: [ks.yaml]\n");
    sandbox.write(
        "apps/entry/ks.yaml",
        &flux_kustomization("web", "./apps/${CLUSTER}/web", ""),
    );
    sandbox.write(
        "apps/prod/web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  a: b\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));

    // After substitution the path must exist: moving the directory breaks it.
    std::fs::rename(
        sandbox.work.join("apps/prod"),
        sandbox.work.join("apps/production"),
    )
    .unwrap();
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::path-not-found",
        "apps/entry/ks.yaml",
        8,
    );
    let message = diagnostics
        .iter()
        .find(|d| d["code"] == "flux::path-not-found")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("./apps/prod/web"), "{message}");
}

#[test]
fn two_clusters_resolve_variables_from_their_own_settings() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    for (cluster, data) in [("east", "  REGION: east\n"), ("west", "  ZONE: w1\n")] {
        bootstrap(&sandbox, cluster);
        // Same name, same namespace, one per cluster.
        sandbox.write(
            &format!("clusters/{cluster}/cluster-settings.yaml"),
            &settings("cluster-settings", data),
        );
        sandbox.write(
            &format!("clusters/{cluster}/app.yaml"),
            &flux_kustomization(
                "app",
                "./apps/app",
                "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
            ),
        );
    }
    sandbox.write(
        "apps/app/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  region: ${REGION:=none}\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert!(
        run.stdout
            .contains("clusters: clusters/east, clusters/west"),
        "{}",
        run.all()
    );

    // REGION without a default: defined in east only, so west (and only west) fails.
    sandbox.write(
        "apps/app/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  region: ${REGION}\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["apps/app/config.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let unresolved: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "flux::unresolved-variable")
        .collect();
    assert!(!unresolved.is_empty(), "{:?}", codes(&diagnostics));
    // What it breaks is west's build, never east's.
    for d in &unresolved {
        let text = d.to_string();
        assert!(!text.contains("cluster clusters/east"), "{text}");
    }
    assert!(
        unresolved
            .iter()
            .any(|d| d["breaks"].to_string().contains("cluster clusters/west")),
        "{unresolved:?}"
    );
}

#[test]
fn components_run_before_the_directory_patches_as_kustomize_controller_merges_them() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/app.yaml",
        &flux_kustomization(
            "app",
            "./apps/app",
            "  components:\n    - ../../components/monitoring\n",
        ),
    );
    sandbox.write(
        "components/monitoring/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [monitor.yaml]\n",
    );
    sandbox.write(
        "components/monitoring/monitor.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: monitor\n  namespace: default\ndata:\n  interval: 1m\n",
    );
    // The app's own patch edits the component's object: it only exists when the component
    // is part of the same kustomization.
    sandbox.write(
        "apps/app/kustomization.yaml",
        "resources: [app.yaml]\npatches:\n  - path: monitor-patch.yaml\n",
    );
    sandbox.write(
        "apps/app/app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  a: b\n",
    );
    sandbox.write(
        "apps/app/monitor-patch.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: monitor\n  namespace: default\ndata:\n  interval: 5m\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    // The user's tree is never written.
    assert_eq!(
        std::fs::read_to_string(sandbox.work.join("apps/app/kustomization.yaml")).unwrap(),
        "resources: [app.yaml]\npatches:\n  - path: monitor-patch.yaml\n"
    );

    // A patch whose target neither the app nor its components render fails the build.
    sandbox.write(
        "apps/app/monitor-patch.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: monitoring\n  namespace: default\ndata:\n  interval: 5m\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["apps/app/monitor-patch.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    // At the patch entry, naming the Flux Kustomization it breaks.
    let failure = assert_reported(
        &diagnostics,
        "kustomize::patch-target",
        "apps/app/kustomization.yaml",
        3,
    );
    let text = failure.to_string();
    assert!(
        failure["breaks"][0]
            .as_str()
            .unwrap()
            .contains("Flux Kustomization flux-system/app"),
        "{text}"
    );
    assert!(!text.contains("/tmp/"), "{text}");
}

#[test]
fn patch_files_are_partial_objects_not_objects_missing_fields() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps/prod", ""),
    );
    sandbox.write(
        "apps/base/podinfo/release.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n",
    );
    sandbox.write(
        "apps/base/podinfo/kustomization.yaml",
        "resources: [release.yaml]\n",
    );
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources: [../base/podinfo]\npatches:\n  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n",
    );
    // Only what the patch changes: no interval, no sourceRef.
    sandbox.write(
        "apps/prod/podinfo-values.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  chart:\n    spec:\n      version: \">=1.0.0\"\n  values:\n    replicaCount: 2\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    let (run, diagnostics) = validate(&sandbox, &["apps/prod/podinfo-values.yaml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));

    // What a patch can get wrong is still found: a misspelt field, with the fix.
    sandbox.write(
        "apps/prod/podinfo-values.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  valuess:\n    replicaCount: 2\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["apps/prod/podinfo-values.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::schema",
        "apps/prod/podinfo-values.yaml",
        7,
    );
    assert_eq!(errors(&diagnostics).len(), 1, "{:?}", codes(&diagnostics));
    assert!(
        diagnostics.iter().any(|d| d["help"]
            .as_str()
            .is_some_and(|h| h.contains("did you mean `values`?"))),
        "{:?}",
        diagnostics
    );

    // Broken YAML in a patch file is still found.
    sandbox.write("apps/prod/podinfo-values.yaml", "spec: [\n");
    let (run, diagnostics) = validate(&sandbox, &["apps/prod/podinfo-values.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "yaml::syntax" && d["file"] == "apps/prod/podinfo-values.yaml"),
        "{:?}",
        codes(&diagnostics)
    );
}

#[test]
fn a_tenant_on_another_repository_is_not_this_checkout_even_without_a_remote() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/tenants.yaml",
        &flux_kustomization("tenants", "./tenants", ""),
    );
    sandbox.write(
        "tenants/team/sync.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: team\n  namespace: team\nspec:\n  interval: 1m\n  url: https://example.test/team/deploy\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: team\n  namespace: team\nspec:\n  interval: 5m\n  path: ./production\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: team\n",
    );
    // No remote is configured, and `./production` does not exist here.
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "flux::external-source"
                && d["message"].as_str().unwrap().contains("team/team")),
        "{:?}",
        codes(&diagnostics)
    );

    // A tenant Kustomization on this repository must point at a path that exists.
    sandbox.write(
        "tenants/team/sync.yaml",
        &flux_kustomization("team", "./tenants/team/production", ""),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::path-not-found",
        "tenants/team/sync.yaml",
        8,
    );
}

const OLD_POLICY: &str = "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  image: ghcr.io/example/app\n  interval: 5m\n";

#[test]
fn the_flux_release_is_read_from_the_repository() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/flux-system/kustomization.yaml",
        "resources: [gotk-components.yaml, gotk-sync.yaml]\n",
    );
    sandbox.write(
        "clusters/prod/flux-system/gotk-components.yaml",
        "---\n# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: v2.8.1\n# Components: source-controller,kustomize-controller\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n",
    );
    sandbox.write("clusters/prod/image-repository.yaml", OLD_POLICY);
    // image v1beta2 is removed in Flux 2.9 only: at 2.8 a warning naming that release.
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert!(
        run.stdout
            .contains("Flux 2.8 (clusters/prod/flux-system/gotk-components.yaml:3)"),
        "{}",
        run.all()
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d["severity"] == "warning"
                && d["file"] == "clusters/prod/image-repository.yaml"),
        "{:?}",
        codes(&diagnostics)
    );
    // --flux-version overrides what the repository says.
    let (run, _) = validate(&sandbox, &["--all", "--flux-version", "2.9"]);
    assert_eq!(run.code, 1, "{}", run.all());
}

fn gotk_components(sandbox: &Sandbox, cluster: &str, version: &str) {
    sandbox.write(
        &format!("clusters/{cluster}/flux-system/kustomization.yaml"),
        "resources: [gotk-components.yaml, gotk-sync.yaml]\n",
    );
    sandbox.write(
        &format!("clusters/{cluster}/flux-system/gotk-components.yaml"),
        &format!(
            "---\n# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: {version}\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"
        ),
    );
}

#[test]
fn each_cluster_is_judged_for_the_flux_release_it_runs() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    for (cluster, version) in [("old", "v2.8.1"), ("new", "v2.9.0")] {
        bootstrap(&sandbox, cluster);
        gotk_components(&sandbox, cluster, version);
        sandbox.write(
            &format!("clusters/{cluster}/image-repository.yaml"),
            OLD_POLICY,
        );
    }
    // Both clusters apply one shared directory: what the newer release removed fails there.
    sandbox.write(
        "clusters/old/shared.yaml",
        &flux_kustomization("shared", "./shared", ""),
    );
    sandbox.write(
        "clusters/new/shared.yaml",
        &flux_kustomization("shared", "./shared", ""),
    );
    sandbox.write(
        "shared/image-repository.yaml",
        &OLD_POLICY.replace("name: app", "name: shared"),
    );

    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let severity_at = |file: &str| -> Vec<String> {
        diagnostics
            .iter()
            .filter(|d| d["file"] == file)
            .map(|d| d["severity"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // image v1beta2 is removed in Flux 2.9: a warning where 2.8 runs, an error where 2.9 runs.
    assert_eq!(
        severity_at("clusters/old/image-repository.yaml"),
        ["warning"],
        "{:?}",
        codes(&diagnostics)
    );
    assert_eq!(
        severity_at("clusters/new/image-repository.yaml"),
        ["error"],
        "{:?}",
        codes(&diagnostics)
    );
    assert_eq!(
        severity_at("shared/image-repository.yaml"),
        ["error"],
        "{:?}",
        codes(&diagnostics)
    );
    assert!(
        run.stdout
            .contains("2.8 for clusters/old (clusters/old/flux-system/gotk-components.yaml:3)")
            && run
                .stdout
                .contains("2.9 for clusters/new (clusters/new/flux-system/gotk-components.yaml:3)"),
        "{}",
        run.all()
    );

    // A changed file of one cluster is judged for that cluster's release.
    let (_, diagnostics) = validate(&sandbox, &["clusters/old/image-repository.yaml"]);
    let at_old: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["file"] == "clusters/old/image-repository.yaml")
        .collect();
    assert_eq!(at_old.len(), 1, "{:?}", codes(&diagnostics));
    assert_eq!(at_old[0]["severity"], "warning");
}

#[test]
fn a_flux_instance_version_range_means_its_newest_release() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write(
        "clusters/prod/flux-instance.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: \"2.x\"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://example.test/fleet.git\n    ref: refs/heads/main\n    path: clusters/prod\n",
    );
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    sandbox.write(
        "apps/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  a: b\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert!(
        run.stdout
            .contains("Flux 2.9 (clusters/prod/flux-instance.yaml:8)"),
        "{}",
        run.all()
    );
    // The FluxInstance's sync is the entry point: its path is built.
    assert!(
        run.stdout.contains("clusters: clusters/prod"),
        "{}",
        run.all()
    );
    // At 2.x (the newest release), image v1beta2 is gone: an error.
    sandbox.write("apps/image-repository.yaml", OLD_POLICY);
    let (run, _) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
}

#[test]
fn a_kustomization_file_no_tree_applies_is_unused_not_checked() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    sandbox.write("apps/kustomization.yaml", "resources: [web.yaml]\n");
    sandbox.write(
        "apps/web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  a: b\n",
    );
    // Listed by no kustomization: it never reaches the cluster, whatever its path says.
    sandbox.write("apps/old-ks.yaml", &flux_kustomization("old", "./gone", ""));
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert_reported(&diagnostics, "flux::unused", "apps/old-ks.yaml", 2);
}

#[test]
fn overlays_no_flux_tree_applies_are_not_held_to_the_controller() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    // Built by a task runner with `kustomize build --enable-helm`: a warning at most.
    sandbox.write(
        "bootstrap/helm/kustomization.yaml",
        "helmCharts:\n  - name: cilium\n    repo: https://helm.cilium.io\n    version: 1.16.0\n",
    );
    sandbox.write(
        "ci/remote/kustomization.yaml",
        "resources:\n  - https://github.com/example/manifests//base?ref=v1\n",
    );
    // One file fetched by URL is a remote file, not a base.
    sandbox.write(
        "ci/dashboards/kustomization.yaml",
        "configMapGenerator:\n  - name: dashboards\n    files:\n      - https://example.test/grafana/node.json\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    let file = assert_reported(
        &diagnostics,
        "kustomize::remote-base",
        "ci/dashboards/kustomization.yaml",
        4,
    );
    assert!(
        file["message"]
            .as_str()
            .unwrap()
            .contains("is a remote file"),
        "{file}"
    );
    assert_reported(
        &diagnostics,
        "kustomize::helm-charts",
        "bootstrap/helm/kustomization.yaml",
        1,
    );
    assert_reported(
        &diagnostics,
        "kustomize::remote-base",
        "ci/remote/kustomization.yaml",
        2,
    );

    // Applied by a Flux Kustomization, helmCharts fails in the cluster.
    sandbox.write(
        "clusters/prod/helm.yaml",
        &flux_kustomization("helm", "./bootstrap/helm", ""),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|d| d["code"] == "kustomize::helm-charts"),
        "{:?}",
        codes(&diagnostics)
    );
    std::fs::remove_file(sandbox.work.join("clusters/prod/helm.yaml")).unwrap();

    // A remote base in a Flux tree is fetched by kustomize-controller: not validated
    // offline, a warning; an error only where the repository turns remote bases off.
    sandbox.write(
        "clusters/prod/remote.yaml",
        &flux_kustomization("remote", "./ci/remote", ""),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_reported(
        &diagnostics,
        "kustomize::remote-base",
        "ci/remote/kustomization.yaml",
        2,
    );
    sandbox.write(
        "clusters/prod/flux-system/kustomization.yaml",
        "resources: [gotk-sync.yaml]\npatches:\n  - patch: |\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n        value: --no-remote-bases=true\n    target:\n      kind: Deployment\n      name: kustomize-controller\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|d| d["code"] == "kustomize::remote-base"),
        "{:?}",
        codes(&diagnostics)
    );
}

/// The real-world trees of `../shared/corpus` (read there, copied into a sandbox, never
/// part of the project) reconcile in real clusters: `--all` reports no error but one that
/// names the controller behaviour failing for the detected Flux release.
fn corpus_reports(name: &str) -> Option<Vec<String>> {
    let corpus = crate::harness::checkout()
        .join("../shared/corpus")
        .join(name);
    if !corpus.is_dir() || !available() {
        assert!(
            std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_none(),
            "GUARDRAILS_REQUIRE_TOOLS is set but {} is missing",
            corpus.display()
        );
        eprintln!("SKIPPED: {} is missing", corpus.display());
        return None;
    }
    let sandbox = Sandbox::empty();
    crate::flux_validate::copy_dir(&corpus, &sandbox.work);
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert!(run.code <= 1, "{}", run.all());
    for error in errors(&diagnostics) {
        let message = error["message"].as_str().unwrap();
        // Explained by a controller: an API the release no longer serves, or one object
        // two Kustomizations overwrite at every reconciliation.
        assert!(
            (error["code"] == "flux::deprecated-api" && message.contains("removed in Flux"))
                || (error["code"] == "flux::two-owners" && message.contains("written differently")),
            "{name}: an error that names no controller behaviour: {error}"
        );
    }
    assert!(
        !run.all().contains(&*sandbox.work.to_string_lossy()),
        "{}",
        run.all()
    );
    let mut shown: Vec<String> = diagnostics
        .iter()
        .filter(|d| d["severity"] != "advice")
        .map(|d| {
            format!(
                "{} {} {}:{}: {}",
                d["severity"].as_str().unwrap(),
                d["code"].as_str().unwrap(),
                d["file"].as_str().unwrap_or("-"),
                d["line"],
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    shown.sort();
    Some(shown)
}

#[test]
fn the_corpus_safeops_tree_reconciles_cleanly() {
    if let Some(reports) = corpus_reports("safeops") {
        insta::assert_snapshot!(reports.join("\n"));
    }
}

#[test]
fn the_corpus_kustomize_helm_example_reconciles_cleanly() {
    if let Some(reports) = corpus_reports("flux2-kustomize-helm-example") {
        insta::assert_snapshot!(reports.join("\n"));
    }
}

#[test]
fn the_corpus_multi_tenancy_example_reconciles_cleanly() {
    if let Some(reports) = corpus_reports("flux2-multi-tenancy") {
        insta::assert_snapshot!(reports.join("\n"));
    }
}

#[test]
fn fields_a_parent_patch_adds_are_not_missing_in_the_child_file() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    let parent = |patches: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{patches}"
        )
    };
    sandbox.write(
        "clusters/prod/apps.yaml",
        &parent("  patches:\n    - target:\n        kind: Kustomization\n      patch: |\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n        kind: Kustomization\n        metadata:\n          name: _\n        spec:\n          interval: 30m\n          prune: true\n"),
    );
    sandbox.write("apps/kustomization.yaml", "resources: [podinfo.yaml]\n");
    // Only what the defaults patch does not give it.
    sandbox.write(
        "apps/podinfo.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  path: ./podinfo\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    sandbox.write(
        "podinfo/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo\n  namespace: default\ndata:\n  a: b\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    let (run, _) = validate(&sandbox, &["apps/podinfo.yaml"]);
    assert_eq!(run.code, 0, "{}", run.all());

    // Without the parent's defaults, the object Flux receives has no interval.
    sandbox.write("clusters/prod/apps.yaml", &parent(""));
    let (run, diagnostics) = validate(&sandbox, &["clusters/prod/apps.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|d| d["code"] == "flux::schema"
                && d["file"] == "apps/podinfo.yaml"
                && d["message"].as_str().unwrap().contains("spec.interval")),
        "{:?}",
        codes(&diagnostics)
    );
}

/// A HelmRelease on an API version Flux 2.7 removed, which older releases serve.
const OLD_HELM_RELEASE: &str = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: web\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: web\n      sourceRef:\n        kind: HelmRepository\n        name: web\n";

#[test]
fn flux_installed_from_its_manifests_at_a_tag_runs_that_release() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/flux-system/kustomization.yaml",
        "resources:\n  - github.com/fluxcd/flux2/manifests/install?ref=v2.6.4\n  - gotk-sync.yaml\n",
    );
    sandbox.write("clusters/prod/web.yaml", OLD_HELM_RELEASE);
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    // Flux 2.6 still serves helm v2beta1: a warning (and the remote install is not fetched).
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert!(
        run.stdout
            .contains("Flux 2.6 (clusters/prod/flux-system/kustomization.yaml:2)"),
        "{}",
        run.all()
    );

    // Flux's manifests as a GitRepository at a tag say the same; at 2.7 the API is gone.
    sandbox.write(
        "clusters/prod/flux-system/kustomization.yaml",
        "resources: [gotk-sync.yaml, flux.yaml]\n",
    );
    sandbox.write(
        "clusters/prod/flux-system/flux.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://github.com/fluxcd/flux2\n  ref:\n    tag: v2.7.0\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::deprecated-api",
        "clusters/prod/web.yaml",
        1,
    );
}

#[test]
fn a_flux_instance_version_in_a_generated_values_file_is_read() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/flux-system/kustomization.yaml",
        "resources: [gotk-sync.yaml, instance.yaml]\nconfigMapGenerator:\n  - name: flux-instance-values\n    namespace: flux-system\n    files: [values.yaml=instance-values.yaml]\n",
    );
    sandbox.write(
        "clusters/prod/flux-system/instance.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n  namespace: flux-system\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: flux-instance\n      sourceRef:\n        kind: HelmRepository\n        name: controlplane\n  valuesFrom:\n    - kind: ConfigMap\n      name: flux-instance-values\n",
    );
    sandbox.write(
        "clusters/prod/flux-system/instance-values.yaml",
        "instance:\n  distribution:\n    version: 2.8.x\n",
    );
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization(
            "apps",
            "./apps",
            "  postBuild:\n    substitute:\n      DOMAIN: example.test\n",
        ),
    );
    sandbox.write(
        "apps/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: default\ndata:\n  url: https://${DOMAIN}/${UNSET_PATH}\n",
    );
    // Flux 2.8 substitutes an undefined variable with nothing (strict only from 2.9).
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    assert!(
        run.stdout
            .contains("Flux 2.8 (clusters/prod/flux-system/instance-values.yaml:3)"),
        "{}",
        run.all()
    );
    sandbox.write(
        "clusters/prod/flux-system/instance-values.yaml",
        "instance:\n  distribution:\n    version: 2.9.x\n",
    );
    let (run, _) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
}

#[test]
fn a_sync_object_under_another_name_is_this_repository_without_a_remote() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // A cluster's sync object written by hand: it applies its own directory from a
    // GitRepository whose URL is no remote of this clone.
    sandbox.write(
        "cluster/flux/sync.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: home\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.test/home/cluster\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./cluster/flux\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: home\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./cluster/apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: home\n",
    );
    sandbox.write(
        "cluster/flux/kustomization.yaml",
        "resources: [sync.yaml]\n",
    );
    sandbox.write("cluster/apps/kustomization.yaml", "resources: [web.yaml]\n");
    sandbox.write(
        "cluster/apps/web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "flux::external-source"),
        "{:?}",
        codes(&diagnostics)
    );
    // So its children are built: a fault in one is found.
    sandbox.write(
        "cluster/apps/kustomization.yaml",
        "resources: [web.yaml, gone.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "kustomize::missing-path",
        "cluster/apps/kustomization.yaml",
        1,
    );
}

#[test]
fn a_branch_of_this_repository_that_is_not_checked_out_is_another_source() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox
        .git(&[
            "remote",
            "set-url",
            "origin",
            "https://example.test/org/fleet.git",
        ])
        .assert_ok();
    sandbox.write(
        "clusters/prod/tenants.yaml",
        &flux_kustomization("tenants", "./tenants", ""),
    );
    sandbox.write(
        "tenants/team.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: team\n  namespace: team\nspec:\n  interval: 1m\n  url: https://example.test/org/fleet\n  ref:\n    branch: team\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: team\n  namespace: team\nspec:\n  interval: 5m\n  path: ./staging\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: team\n",
    );
    // `./staging` exists on branch `team` only; `./` exists here, but holds `main`'s
    // files, not `team`'s.
    for path in ["./staging", "./"] {
        let text = std::fs::read_to_string(sandbox.work.join("tenants/team.yaml")).unwrap();
        sandbox.write(
            "tenants/team.yaml",
            &text
                .replace("path: ./staging\n", &format!("path: {path}\n"))
                .replace("path: ./\n", &format!("path: {path}\n")),
        );
        let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
        assert_eq!(run.code, 0, "{path}: {}", run.all());
        assert!(
            diagnostics
                .iter()
                .any(|d| d["code"] == "flux::external-source"
                    && d["message"].as_str().unwrap().contains("branch `team`")),
            "{path}: {diagnostics:?}"
        );
    }
}

#[test]
fn a_directory_nothing_builds_inside_a_flux_tree_is_a_warning() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    // The parent's entry is commented out: Flux never builds `./runner`.
    sandbox.write(
        "apps/kustomization.yaml",
        "resources:\n  - web.yaml\n  # - ./runner\n",
    );
    sandbox.write(
        "apps/web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\n",
    );
    sandbox.write("apps/runner/kustomization.yaml", "resources: [rbac.yaml]\n");
    for args in [&["--all"][..], &["apps/runner/kustomization.yaml"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 0, "{}", run.all());
        let found = diagnostics
            .iter()
            .find(|d| d["code"] == "kustomize::missing-path")
            .unwrap_or_else(|| panic!("{:?}", codes(&diagnostics)));
        assert_eq!(found["severity"], "warning");
        assert_eq!(found["file"], "apps/runner/kustomization.yaml");
    }
    // Listed again, the fault is an error.
    sandbox.write(
        "apps/kustomization.yaml",
        "resources:\n  - web.yaml\n  - ./runner\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "kustomize::missing-path",
        "apps/runner/kustomization.yaml",
        1,
    );
}

#[test]
fn each_cluster_reads_its_own_source_of_the_same_name() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // Two clusters each define GitRepository `fleet`, ignoring all but their own
    // directory; their trees start in a directory without a kustomization file, so what
    // kustomize-controller generates there depends on that cluster's ignore rules.
    for cluster in ["a", "b"] {
        sandbox.write(
            &format!("k/{cluster}/flux/config/cluster.yaml"),
            &format!(
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.test/fleet\n  ref:\n    branch: main\n  ignore: |\n    /*\n    !/k/{cluster}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./k/{cluster}/flux\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n"
            ),
        );
        sandbox.write(
            &format!("k/{cluster}/flux/apps.yaml"),
            &format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./k/{cluster}/apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n"
            ),
        );
        // A seeded fault in each cluster's apps.
        sandbox.write(
            &format!("k/{cluster}/apps/config.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  replicas: [2]\n",
        );
    }
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    for cluster in ["a", "b"] {
        assert_reported(
            &diagnostics,
            "k8s::schema",
            &format!("k/{cluster}/apps/config.yaml"),
            7,
        );
    }
    assert!(
        !diagnostics.iter().any(|d| d["code"] == "flux::unused"),
        "{diagnostics:?}"
    );
}
