//! What no cluster applies, and what kustomize never parses, breaks no reconciliation.
//!
//! Each pattern here made false errors on repositories that reconcile: archives of Flux
//! Kustomizations, bootstrap helpers and other tools' YAML next to the cluster trees,
//! generator data that is not YAML, a `flux-system` directory the sync path leaves out,
//! the flux-instance chart's values in a file of their own, and Go's reading of `*app:`.
//! A real fault seeded into each tree must still be an error. Every fixture is written
//! here, for this project.

use serde_json::Value;

use crate::flux_trees::{bootstrap, flux_kustomization};
use crate::flux_validate::{assert_reported, available, errors, validate};
use crate::harness::Sandbox;

fn found<'a>(diagnostics: &'a [Value], code: &str, file: &str) -> &'a Value {
    diagnostics
        .iter()
        .find(|d| d["code"] == code && d["file"] == file)
        .unwrap_or_else(|| panic!("expected {code} in {file}: {diagnostics:?}"))
}

fn config_map(name: &str, data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n{data}"
    )
}

/// A cluster `prod` applying `./apps/prod`, which lists `web`.
fn live_cluster(sandbox: &Sandbox) {
    bootstrap(sandbox, "prod");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps/prod", ""),
    );
    sandbox.write("apps/prod/kustomization.yaml", "resources: [web.yaml]\n");
    sandbox.write(
        "apps/prod/web.yaml",
        &flux_kustomization("web", "./apps/web", ""),
    );
    sandbox.write("apps/web/kustomization.yaml", "resources: [config.yaml]\n");
    sandbox.write("apps/web/config.yaml", &config_map("web", "  mode: live\n"));
}

#[test]
fn generator_data_is_text_kustomize_never_parses() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // An application's own format in a `.yaml` file: a custom tag on an alias, which no
    // YAML parser accepts, and a document that looks like an object without a name.
    sandbox.write(
        "apps/web/kustomization.yaml",
        "resources: [config.yaml]\nconfigMapGenerator:\n  - name: blueprints\n    files:\n      - rules.yaml\n",
    );
    sandbox.write(
        "apps/web/rules.yaml",
        "kind: Deployment\nentries:\n  - target: !Find *missing\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let warning = found(&diagnostics, "yaml::syntax", "apps/web/rules.yaml");
    assert_eq!(warning["severity"], "warning");
    let message = warning["message"].as_str().unwrap();
    assert!(
        message.contains("configMapGenerator") && message.contains("apps/web/kustomization.yaml"),
        "{message}"
    );
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    // The same file listed as a resource is a manifest: an error that breaks the build.
    sandbox.write(
        "apps/web/kustomization.yaml",
        "resources: [config.yaml, rules.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "yaml::syntax", "apps/web/rules.yaml", 3);
}

#[test]
fn an_alias_used_as_a_key_is_read_as_the_controllers_read_it() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // go-yaml ends an alias name at `:`; YAML 1.2 would read the alias `app:`.
    sandbox.write(
        "apps/web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &app web\n  namespace: default\ndata:\n  *app: enabled\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{diagnostics:?}", run.all());
    // A fault after the alias is still found, on its own line.
    sandbox.write(
        "apps/web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &app web\n  namespace: default\ndata:\n  *app: enabled\n  broken: [\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = found(&diagnostics, "yaml::syntax", "apps/web/config.yaml");
    assert_eq!(error["severity"], "error");
}

#[test]
fn what_no_cluster_tree_reaches_is_a_warning_that_says_so() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // An archived app: its Flux Kustomization names a component that is gone, and its
    // directory a resource that is gone.
    sandbox.write(
        "archive/old/ks.yaml",
        &flux_kustomization(
            "old",
            "./archive/old/app",
            "  components:\n    - ../../components/gone\n",
        ),
    );
    sandbox.write(
        "archive/old/app/kustomization.yaml",
        "resources: [gone.yaml]\n",
    );
    // A template for another tool, not YAML until it is rendered.
    sandbox.write(
        "templates/node.yaml",
        "machine:\n  install:\n{{ if .Wipe }}\n    wipe: true\n{{ end }}\n",
    );
    // A bootstrap overlay applied by hand after a secret manager fills its placeholders.
    sandbox.write(
        "bootstrap/secrets/kustomization.yaml",
        "resources: [secret.yaml]\n",
    );
    sandbox.write(
        "bootstrap/secrets/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: default\ndata:\n  token: ref+vault://kv/token\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    for (code, file) in [
        ("flux::component", "archive/old/ks.yaml"),
        (
            "kustomize::missing-path",
            "archive/old/app/kustomization.yaml",
        ),
        ("yaml::syntax", "templates/node.yaml"),
        ("k8s::schema", "bootstrap/secrets/secret.yaml"),
    ] {
        let warning = found(&diagnostics, code, file);
        assert_eq!(warning["severity"], "warning", "{warning}");
        assert!(
            warning["message"]
                .as_str()
                .unwrap()
                .contains("no cluster tree"),
            "{warning}"
        );
    }
    // Listed by the live cluster, the archived app's faults are errors again.
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources: [web.yaml, ../../archive/old/ks.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let component = found(&diagnostics, "flux::component", "archive/old/ks.yaml");
    assert_eq!(component["severity"], "error", "{component}");
}

#[test]
fn a_disabled_app_is_not_judged_without_the_variables_its_parent_would_give() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // The cluster's parent patches substituteFrom into every child; this app's entry is
    // commented out, so nothing applies it and nothing says what it would substitute.
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources:\n  - web.yaml\n  # - ../chat/ks.yaml\n",
    );
    sandbox.write(
        "apps/chat/ks.yaml",
        &flux_kustomization(
            "chat",
            "./apps/chat/app",
            "  postBuild:\n    substitute:\n      APP: chat\n",
        ),
    );
    sandbox.write(
        "apps/chat/app/kustomization.yaml",
        "resources: [config.yaml]\n",
    );
    sandbox.write(
        "apps/chat/app/config.yaml",
        &config_map("chat", "  url: https://${APP}.${DOMAIN}\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "flux::unresolved-variable"),
        "{diagnostics:?}"
    );
}

#[test]
fn a_flux_system_directory_its_sync_path_leaves_out_is_not_a_second_cluster() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // `clusters/prod` lists its Kustomizations but not `flux-system`: the sync still
    // applies `./clusters/prod`, once.
    sandbox.write(
        "clusters/prod/kustomization.yaml",
        "resources: [apps.yaml]\n",
    );
    // A seeded fault in the live tree.
    sandbox.write(
        "apps/web/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: default\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let faults: Vec<&Value> = errors(&diagnostics);
    assert_eq!(faults.len(), 1, "{diagnostics:?}");
    // One cluster: what the fault breaks needs no cluster name.
    let breaks = faults[0]["breaks"].to_string();
    assert!(breaks.contains("flux-system/web"), "{breaks}");
    assert!(!breaks.contains("clusters/prod/flux-system"), "{breaks}");
}

#[test]
fn flux_instance_values_in_a_file_of_their_own_start_the_cluster_tree() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // The flux-instance chart reads its values from a generated ConfigMap; the values
    // say which path the cluster syncs.
    sandbox.write(
        "infra/flux-instance/kustomization.yaml",
        "resources: [helmrelease.yaml]\nconfigMapGenerator:\n  - name: flux-instance-values\n    namespace: flux-system\n    files:\n      - values.yaml\n",
    );
    sandbox.write(
        "infra/flux-instance/helmrelease.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n  namespace: flux-system\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: flux-instance\n      sourceRef:\n        kind: HelmRepository\n        name: controlplaneio\n  valuesFrom:\n    - kind: ConfigMap\n      name: flux-instance-values\n",
    );
    sandbox.write(
        "infra/flux-instance/values.yaml",
        "instance:\n  distribution:\n    version: 2.x\n  sync:\n    kind: GitRepository\n    url: https://example.test/fleet.git\n    ref: refs/heads/main\n    path: clusters/staging\n",
    );
    // The cluster's parent patches substituteFrom into every child.
    sandbox.write(
        "clusters/staging/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  DOMAIN: staging.example.test\n",
    );
    sandbox.write(
        "clusters/staging/apps.yaml",
        &flux_kustomization(
            "apps",
            "./apps/staging",
            "  patches:\n    - target:\n        kind: Kustomization\n      patch: |\n        - op: add\n          path: /spec/postBuild\n          value:\n            substituteFrom:\n              - kind: ConfigMap\n                name: cluster-settings\n",
        ),
    );
    // The cluster lists the common apps one by one, never `apps/common` itself.
    sandbox.write(
        "apps/staging/kustomization.yaml",
        "resources: [../common/chat]\n",
    );
    sandbox.write("apps/common/kustomization.yaml", "resources: [chat]\n");
    sandbox.write(
        "apps/common/chat/kustomization.yaml",
        "resources: [ks.yaml]\n",
    );
    sandbox.write(
        "apps/common/chat/ks.yaml",
        &flux_kustomization("chat", "./apps/common/chat/app", ""),
    );
    sandbox.write(
        "apps/common/chat/app/kustomization.yaml",
        "resources: [config.yaml]\n",
    );
    sandbox.write(
        "apps/common/chat/app/config.yaml",
        &config_map("chat", "  url: https://chat.${DOMAIN}\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{diagnostics:?}", run.all());
    // A variable the cluster does not define is a real fault of the live tree.
    sandbox.write(
        "apps/common/chat/app/config.yaml",
        &config_map(
            "chat",
            "  url: https://chat.${DOMAIN}\n  region: ${REGION}\n",
        ),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let unresolved = found(
        &diagnostics,
        "flux::unresolved-variable",
        "apps/common/chat/app/config.yaml",
    );
    assert_eq!(unresolved["severity"], "error");
    assert_eq!(unresolved["line"], 8);
}

#[test]
fn an_app_kustomization_beside_its_resources_is_not_a_sync_object() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // `ks.yaml` sits inside its own spec.path, but that directory's kustomization does not
    // list it: it is an app, disabled in its parent, not a sync object applying itself.
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources:\n  - web.yaml\n  # - ../backup/ks.yaml\n",
    );
    sandbox.write(
        "apps/backup/ks.yaml",
        &flux_kustomization("backup", "./apps/backup", ""),
    );
    sandbox.write(
        "apps/backup/kustomization.yaml",
        "resources: [config.yaml, values.yaml]\n",
    );
    sandbox.write(
        "apps/backup/config.yaml",
        &config_map("backup", "  schedule: daily\n"),
    );
    // Not an object: values someone meant for substitution.
    sandbox.write(
        "apps/backup/values.yaml",
        "APP: backup\nNAMESPACE: default\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let warning = assert_reported(
        &diagnostics,
        "k8s::missing-field",
        "apps/backup/values.yaml",
        1,
    );
    assert_eq!(warning["severity"], "warning", "{warning}");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("no cluster tree"),
        "{warning}"
    );
    // Enabled again, the same fault is an error at the same line.
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources:\n  - web.yaml\n  - ../backup/ks.yaml\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(
        &diagnostics,
        "k8s::missing-field",
        "apps/backup/values.yaml",
        1,
    );
    assert_eq!(error["severity"], "error", "{error}");
}

#[test]
fn a_plugin_in_an_overlay_no_flux_tree_applies_is_not_validated_not_refused() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // A plain overlay a task runner builds with `kustomize build --enable-alpha-plugins`.
    sandbox.write(
        "deploy/kustomization.yaml",
        "resources: [config.yaml]\ntransformers: [inject.yaml]\n",
    );
    sandbox.write("deploy/config.yaml", &config_map("web", "  mode: live\n"));
    sandbox.write(
        "deploy/inject.yaml",
        "apiVersion: example.test/v1\nkind: Inject\nmetadata:\n  name: inject\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./inject.sh\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let warning = found(
        &diagnostics,
        "kustomize::plugin",
        "deploy/kustomization.yaml",
    );
    assert_eq!(warning["severity"], "warning", "{warning}");
    // Applied by a Flux Kustomization, kustomize-controller refuses it.
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/deploy.yaml",
        &flux_kustomization("deploy", "./deploy", ""),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = found(
        &diagnostics,
        "kustomize::plugin",
        "deploy/kustomization.yaml",
    );
    assert_eq!(error["severity"], "error", "{error}");
}

#[test]
fn a_flux_system_kustomization_a_sync_object_applies_is_not_a_second_cluster() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // `cluster` applies `./kubernetes/flux` (no kustomization file: every manifest under
    // it), which holds the `flux-system` Kustomization that applies the apps.
    sandbox.write(
        "kubernetes/flux/config/cluster.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.test/fleet\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./kubernetes/flux\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    sandbox.write(
        "kubernetes/flux/cluster/ks.yaml",
        &flux_kustomization("flux-system", "./kubernetes/apps", ""),
    );
    sandbox.write(
        "kubernetes/apps/kustomization.yaml",
        "resources: [config.yaml]\n",
    );
    // A seeded fault, to be reported once.
    sandbox.write(
        "kubernetes/apps/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  replicas: [2]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let faults: Vec<&Value> = errors(&diagnostics);
    assert_eq!(faults.len(), 1, "{diagnostics:?}");
    assert_reported(
        &diagnostics,
        "k8s::schema",
        "kubernetes/apps/config.yaml",
        7,
    );
}

#[test]
fn entry_points_whose_trees_nest_are_one_cluster() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // The operator syncs `kubernetes/flux/cluster`; an older sync object `cluster` still
    // applies all of `kubernetes/flux` (no kustomization file: every manifest under it),
    // which holds that same tree.
    sandbox.write(
        "kubernetes/flux/config/cluster.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./kubernetes/flux\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    sandbox.write(
        "kubernetes/flux/cluster/ks.yaml",
        &flux_kustomization("cluster-apps", "./kubernetes/apps", ""),
    );
    sandbox.write(
        "kubernetes/operator/instance.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: 2.x\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://example.test/fleet.git\n    ref: refs/heads/main\n    path: kubernetes/flux/cluster\n",
    );
    sandbox.write(
        "kubernetes/apps/kustomization.yaml",
        "resources: [config.yaml]\n",
    );
    // A seeded fault, to be reported once, in one cluster.
    sandbox.write(
        "kubernetes/apps/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  replicas: [2]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all", "-v"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let faults: Vec<&Value> = errors(&diagnostics);
    assert_eq!(faults.len(), 1, "{diagnostics:?}");
    assert_reported(
        &diagnostics,
        "k8s::schema",
        "kubernetes/apps/config.yaml",
        7,
    );
    // Both really apply `cluster-apps`, as the controller sees it: that is said once.
    let owners: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "flux::two-owners")
        .collect();
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(owners[0]["file"], "kubernetes/flux/cluster/ks.yaml");
    assert_eq!(owners[0]["severity"], "warning");
}

/// A ConfigMap with a list where a string must be: a fault the API server refuses.
fn faulty_config(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  replicas: [2]\n"
    )
}

#[test]
fn a_live_tree_stays_checked_when_what_else_might_apply_it_is_unknown() {
    if !available() {
        return;
    }
    // 1. A sync object whose own build is not rendered (a remote base) holds the
    //    `flux-system` Kustomization that applies the apps: the apps are still a cluster's.
    let sandbox = Sandbox::empty();
    sandbox.write(
        "kubernetes/flux/config/cluster.yaml",
        &format!(
            "{}---\n{}",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.test/fleet\n  ref:\n    branch: main\n",
            flux_kustomization("cluster", "./kubernetes/flux", "")
        ),
    );
    sandbox.write(
        "kubernetes/flux/cluster/ks.yaml",
        &flux_kustomization("flux-system", "./kubernetes/apps", ""),
    );
    sandbox.write(
        "kubernetes/flux/install/kustomization.yaml",
        "resources: [https://example.test/flux/install.yaml]\n",
    );
    sandbox.write(
        "kubernetes/apps/kustomization.yaml",
        "resources: [config.yaml]\n",
    );
    sandbox.write("kubernetes/apps/config.yaml", &faulty_config("web"));
    for args in [&["--all"][..], &["kubernetes/apps/config.yaml"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        let error = assert_reported(
            &diagnostics,
            "k8s::schema",
            "kubernetes/apps/config.yaml",
            7,
        );
        assert_eq!(error["severity"], "error");
    }

    // 2. Apps a ResourceSet generates Kustomizations for (from templates the hook does
    //    not expand) may be applied: their faults stay errors.
    let sandbox = Sandbox::empty();
    sandbox.write(
        "clusters/prod/flux-instance.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: 2.x\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://example.test/fleet.git\n    ref: refs/heads/main\n    path: clusters/prod\n",
    );
    sandbox.write(
        "clusters/prod/kustomization.yaml",
        "resources: [flux-instance.yaml, apps.yaml]\n",
    );
    sandbox.write(
        "clusters/prod/apps.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  inputs:\n    - name: web\n  resources:\n    - apiVersion: kustomize.toolkit.fluxcd.io/v1\n      kind: Kustomization\n      metadata:\n        name: << inputs.name >>\n        namespace: flux-system\n      spec:\n        interval: 10m\n        path: ./apps/<< inputs.name >>\n        prune: true\n        sourceRef:\n          kind: GitRepository\n          name: flux-system\n",
    );
    sandbox.write("apps/web/kustomization.yaml", "resources: [config.yaml]\n");
    sandbox.write("apps/web/config.yaml", &faulty_config("web"));
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "k8s::schema", "apps/web/config.yaml", 7);

    // 3. A vendored flux-instance chart's default values (`url: ""`, `path: ""`) sync
    //    nothing: they start no tree at the repository's top.
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    sandbox.write(
        "charts/flux-instance/values.yaml",
        "instance:\n  sync:\n    kind: GitRepository\n    url: \"\"\n    ref: \"\"\n    path: \"\"\n",
    );
    sandbox.write("apps/web/config.yaml", &faulty_config("web"));
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(&diagnostics, "k8s::schema", "apps/web/config.yaml", 7);
    assert_eq!(error["severity"], "error");
}

#[test]
fn a_sync_pair_its_cluster_kustomization_leaves_out_is_still_the_cluster_root() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    // `staging` (not `flux-system`) syncs ./clusters/staging, written beside its
    // GitRepository; the cluster's kustomization does not list `flux-system/`.
    sandbox.write(
        "clusters/staging/flux-system/gotk-sync.yaml",
        &format!(
            "{}---\n{}",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.test/fleet\n  ref:\n    branch: main\n",
            flux_kustomization("staging", "./clusters/staging", "").replace("name: flux-system\n", "name: fleet\n")
        ),
    );
    sandbox.write(
        "clusters/staging/kustomization.yaml",
        "resources: [apps.yaml]\n",
    );
    sandbox.write(
        "clusters/staging/apps.yaml",
        &flux_kustomization("apps", "./apps/staging", "")
            .replace("    name: flux-system\n", "    name: fleet\n"),
    );
    sandbox.write(
        "apps/staging/kustomization.yaml",
        "resources: [config.yaml]\n",
    );
    sandbox.write("apps/staging/config.yaml", &faulty_config("web"));
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(&diagnostics, "k8s::schema", "apps/staging/config.yaml", 7);
    assert_eq!(error["severity"], "error");
}

#[test]
fn generator_data_under_a_generated_flux_build_is_still_its_manifest() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    live_cluster(&sandbox);
    // `./apps/raw` has no kustomization: kustomize-controller takes every manifest there,
    // even one another kustomization also loads as generator data.
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources: [web.yaml, raw.yaml]\n",
    );
    sandbox.write(
        "apps/prod/raw.yaml",
        &flux_kustomization("raw", "./apps/raw", ""),
    );
    sandbox.write("apps/raw/config.yaml", &faulty_config("raw"));
    sandbox.write(
        "apps/web/kustomization.yaml",
        "resources: [config.yaml]\nconfigMapGenerator:\n  - name: copies\n    files:\n      - ../raw/config.yaml\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(&diagnostics, "k8s::schema", "apps/raw/config.yaml", 7);
    assert_eq!(error["severity"], "error");
}
