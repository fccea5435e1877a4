//! Repository layouts seen on real, reconciling Flux repositories that once made false
//! errors: a sync object under another name over a generated tree, a source that ignores
//! an archive, a cluster synced from an OCI artifact that CI pushes from this checkout, and
//! Kustomization files that no cluster applies. Every fixture is written here, for this
//! project; each also proves the tree is still checked, with a seeded fault.

use serde_json::Value;

use crate::flux_trees::{bootstrap, flux_kustomization};
use crate::flux_validate::{assert_reported, available, errors, line_of, validate};
use crate::harness::Sandbox;

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {} {}:{}",
                d["severity"], d["code"], d["file"], d["line"]
            )
        })
        .collect()
}

fn config_map(name: &str, data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n{data}"
    )
}

/// A Kustomization of `source` (kind, name) at `path`, with `extra` spec lines.
fn ks(name: &str, path: &str, source: (&str, &str), extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  path: {path}\n  sourceRef:\n    kind: {}\n    name: {}\n{extra}",
        source.0, source.1
    )
}

const DEFAULTS: &str = "  interval: 10m\n  prune: true\n";

/// The parent's patch that gives every child Kustomization its interval, prune and the
/// variables it substitutes.
const CHILD_DEFAULTS: &str = "  patches:\n    - patch: |-\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n        kind: Kustomization\n        metadata:\n          name: not-used\n        spec:\n          interval: 10m\n          prune: true\n          postBuild:\n            substitute:\n              DOMAIN: example.test\n      target:\n        group: kustomize.toolkit.fluxcd.io\n        kind: Kustomization\n";

#[test]
fn a_sync_object_over_a_generated_tree_is_the_cluster_not_its_overlays() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    let home = ("GitRepository", "home");
    // `cluster` applies its own directory, which has no kustomization file: Flux
    // generates one holding `apps.yaml` and the `config/` kustomization.
    sandbox.write(
        "k8s/flux/config/cluster.yaml",
        &format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: home\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.test/someone/home\n  ref:\n    branch: main\n---\n{}",
            ks("cluster", "./k8s/flux", home, DEFAULTS)
        ),
    );
    // Flux itself from an OCI artifact at `./`: it holds none of this checkout's files.
    sandbox.write(
        "k8s/flux/config/flux.yaml",
        &ks("flux", "./", ("OCIRepository", "flux-manifests"), DEFAULTS),
    );
    sandbox.write(
        "k8s/flux/config/kustomization.yaml",
        "resources: [cluster.yaml, flux.yaml]\n",
    );
    sandbox.write(
        "k8s/flux/apps.yaml",
        &ks(
            "apps",
            "./k8s/apps",
            home,
            &format!("{DEFAULTS}{CHILD_DEFAULTS}"),
        ),
    );
    // `k8s/apps` has no kustomization file either; each namespace directory lists the
    // Kustomizations of its apps, which have neither interval nor prune of their own.
    sandbox.write("k8s/apps/web/kustomization.yaml", "resources: [ks.yaml]\n");
    sandbox.write(
        "k8s/apps/web/ks.yaml",
        &ks("web", "./k8s/apps/web/app", home, "  postBuild: {}\n"),
    );
    sandbox.write(
        "k8s/apps/web/app/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    sandbox.write(
        "k8s/apps/web/app/cm.yaml",
        &config_map("web", "  host: web.${DOMAIN}\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{:?}", run.all(), codes(&diagnostics));
    assert!(errors(&diagnostics).is_empty(), "{:?}", codes(&diagnostics));
    let (run, _) = validate(&sandbox, &["--all", "-v"]);
    assert!(
        run.stdout.contains("clusters: k8s/flux;"),
        "one cluster, from the sync object: {}",
        run.stdout
    );
    // The child is built with what its parent gives it: an undefined variable is found.
    sandbox.write(
        "k8s/apps/web/app/cm.yaml",
        &config_map("web", "  host: web.${DOMAN}\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["k8s/apps/web/app/cm.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "flux::unresolved-variable",
        "k8s/apps/web/app/cm.yaml",
        7,
    );
}

#[test]
fn what_the_repository_source_ignores_is_no_cluster_input() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    // The bootstrap source ships only `clusters/` and `apps/`.
    let sync = "clusters/prod/flux-system/gotk-sync.yaml";
    let text = std::fs::read_to_string(sandbox.work.join(sync)).unwrap();
    sandbox.write(
        sync,
        &text.replacen(
            "  ref:\n    branch: main\n",
            "  ref:\n    branch: main\n  ignore: |\n    /*\n    !/clusters\n    !/apps\n",
            1,
        ),
    );
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    sandbox.write("apps/kustomization.yaml", "resources: [web.yaml]\n");
    sandbox.write("apps/web.yaml", &config_map("web", "  a: b\n"));
    // An archive of retired apps: a Kustomization pointing at a deleted path, and an
    // overlay listing a deleted file.
    sandbox.write(
        ".archive/old/ks.yaml",
        &flux_kustomization("old", "./apps/old", ""),
    );
    sandbox.write(
        ".archive/old/app/kustomization.yaml",
        "resources: [gone.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{:?}", run.all(), codes(&diagnostics));
    let missing = diagnostics
        .iter()
        .find(|d| d["code"] == "kustomize::missing-path")
        .unwrap_or_else(|| panic!("{:?}", codes(&diagnostics)));
    assert_eq!(missing["severity"], "warning");
    assert!(
        missing["message"].as_str().unwrap().contains("ignores"),
        "{missing}"
    );
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "flux::path-not-found"),
        "{:?}",
        codes(&diagnostics)
    );
    // What the source ships is still checked.
    sandbox.write(
        "apps/kustomization.yaml",
        "resources: [web.yaml, gone.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["apps/kustomization.yaml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "kustomize::missing-path",
        "apps/kustomization.yaml",
        1,
    );
}

#[test]
fn a_cluster_synced_from_an_artifact_ci_pushes_from_this_checkout_is_built_from_it() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    let artifact = ("OCIRepository", "flux-system");
    sandbox.write(
        ".github/workflows/push.yaml",
        "on: push\njobs:\n  push:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          flux push artifact oci://registry.example.test/fleet:$(git rev-parse --short HEAD) \\\n            --path=\"./kubernetes\" \\\n            --source=\"$(git config --get remote.origin.url)\"\n",
    );
    // Paths are the artifact's: `./apps/...` is `kubernetes/apps/...` here.
    sandbox.write(
        "kubernetes/clusters/prod/cluster.yaml",
        &ks(
            "cluster",
            "./apps/overlays/prod",
            artifact,
            &format!("{DEFAULTS}{CHILD_DEFAULTS}"),
        ),
    );
    sandbox.write(
        "kubernetes/apps/overlays/prod/kustomization.yaml",
        "resources: [../../base/web/ks.yaml]\n",
    );
    sandbox.write(
        "kubernetes/apps/base/web/ks.yaml",
        &ks("web", "./apps/base/web/app", artifact, "  postBuild: {}\n"),
    );
    sandbox.write(
        "kubernetes/apps/base/web/app/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    sandbox.write(
        "kubernetes/apps/base/web/app/cm.yaml",
        &config_map("web", "  host: web.${DOMAIN}\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{:?}", run.all(), codes(&diagnostics));
    assert!(
        !diagnostics.iter().any(|d| d["severity"] == "warning"),
        "the parent's patches are applied, nothing is missing: {:?}",
        codes(&diagnostics)
    );
    // The app is built from this checkout: a fault in it is found.
    sandbox.write(
        "kubernetes/apps/base/web/app/kustomization.yaml",
        "resources: [cm.yaml, gone.yaml]\n",
    );
    let (run, diagnostics) = validate(
        &sandbox,
        &["kubernetes/apps/base/web/app/kustomization.yaml"],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "kustomize::missing-path",
        "kubernetes/apps/base/web/app/kustomization.yaml",
        1,
    );
    // Without the CI push the artifact may be anything: the tree is not followed, and
    // what it would give its children (interval, prune, paths inside the artifact) is
    // not claimed missing.
    std::fs::remove_dir_all(sandbox.work.join(".github")).unwrap();
    sandbox.write(
        "kubernetes/apps/base/web/app/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{:?}", run.all(), codes(&diagnostics));
}

#[test]
fn a_kustomization_file_no_cluster_applies_has_its_path_checked_as_a_warning() {
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
    sandbox.write("apps/web.yaml", &config_map("web", "  a: b\n"));
    sandbox.write(
        "retired/kyverno/ks.yaml",
        &flux_kustomization("kyverno", "./apps/kyverno", ""),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let found = assert_reported(
        &diagnostics,
        "flux::path-not-found",
        "retired/kyverno/ks.yaml",
        8,
    );
    assert_eq!(found["severity"], "warning");
    // Applied by the cluster, the same path is an error.
    sandbox.write(
        "apps/kustomization.yaml",
        "resources: [web.yaml, ../retired/kyverno/ks.yaml]\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let found = assert_reported(
        &diagnostics,
        "flux::path-not-found",
        "retired/kyverno/ks.yaml",
        8,
    );
    assert_eq!(found["severity"], "error");
}

#[test]
fn one_object_applied_by_two_kustomizations_of_a_cluster_names_both() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    for app in ["web", "api"] {
        sandbox.write(
            &format!("clusters/prod/{app}.yaml"),
            &flux_kustomization(app, &format!("./apps/{app}"), ""),
        );
        sandbox.write(
            &format!("apps/{app}/kustomization.yaml"),
            "resources: [config.yaml]\n",
        );
    }
    // A copied file that still carries the other app's name, changed since.
    sandbox.write(
        "apps/web/config.yaml",
        &config_map("shared", "  owner: web\n"),
    );
    sandbox.write(
        "apps/api/config.yaml",
        &config_map("shared", "  owner: api\n"),
    );
    // With `--all` (CI), and at commit when only one side changes: the other
    // Kustomization's build defines an object of that kind and name, so it is rendered to
    // learn what it applies.
    for args in [&["--all"][..], &["apps/web/config.yaml"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{}", run.all());
        for file in ["apps/web/config.yaml", "apps/api/config.yaml"] {
            let found = assert_reported(&diagnostics, "flux::two-owners", file, 4);
            let message = found["message"].as_str().unwrap();
            assert!(
                message.contains("flux-system/web") && message.contains("flux-system/api"),
                "{message}"
            );
        }
    }
    // The same object written the same way: a warning (one prunes it from the other).
    sandbox.write(
        "apps/api/config.yaml",
        &config_map("shared", "  owner: web\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let found = assert_reported(&diagnostics, "flux::two-owners", "apps/api/config.yaml", 4);
    assert_eq!(found["severity"], "warning");
    // A recommended label one owner adds (its kustomization's `labels`) only describes
    // it: its flip on each apply changes nothing, still written the same.
    sandbox.write(
        "apps/api/kustomization.yaml",
        "resources: [config.yaml]\nlabels:\n  - pairs:\n      app.kubernetes.io/part-of: api\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let found = assert_reported(&diagnostics, "flux::two-owners", "apps/api/config.yaml", 4);
    assert_eq!(found["severity"], "warning");
    // Any other label flipping changes behaviour: written differently.
    sandbox.write(
        "apps/api/kustomization.yaml",
        "resources: [config.yaml]\nlabels:\n  - pairs:\n      tier: backend\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let found = assert_reported(&diagnostics, "flux::two-owners", "apps/api/config.yaml", 4);
    assert_eq!(found["severity"], "error");
    sandbox.write("apps/api/kustomization.yaml", "resources: [config.yaml]\n");
    // Another name: no finding.
    sandbox.write("apps/api/config.yaml", &config_map("api", "  owner: api\n"));
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !diagnostics.iter().any(|d| d["code"] == "flux::two-owners"),
        "{:?}",
        codes(&diagnostics)
    );
}

#[test]
fn an_automation_that_stops_covering_a_marker_is_reported_at_the_marker() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    // The automation is applied with the cluster; the app and its marker by another build.
    let automation = "clusters/prod/image-automation.yaml";
    let write_automation = |path: &str| {
        sandbox.write(
            automation,
            &format!(
                "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 5m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    checkout:\n      ref:\n        branch: main\n    commit:\n      author:\n        email: bot@example.test\n        name: bot\n    push:\n      branch: main\n  update:\n    path: {path}\n    strategy: Setters\n"
            ),
        );
    };
    write_automation("./apps");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    sandbox.write(
        "apps/kustomization.yaml",
        "resources: [policy.yaml, deployment.yaml]\nimages:\n  - name: registry.example.test/web\n    newTag: production-v1.0.0 # {\"$imagepolicy\": \"flux-system:web:tag\"}\n",
    );
    sandbox.write(
        "apps/policy.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  image: registry.example.test/web\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: web\n  filterTags:\n    pattern: '^production-v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'\n    extract: '$version'\n  policy:\n    semver:\n      range: '>=1.0.0'\n",
    );
    sandbox.write(
        "apps/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.test/web:production-v1.0.0\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "setter::not-automated"),
        "{}\n{:?}",
        run.all(),
        codes(&diagnostics)
    );
    // Only the automation changes: the marker it no longer covers is another build's file.
    write_automation("./elsewhere");
    let (run, diagnostics) = validate(&sandbox, &[automation]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "setter::not-automated",
        "apps/kustomization.yaml",
        4,
    );
}

#[test]
fn renaming_an_image_repository_or_policy_re_checks_what_names_it_in_other_builds() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    // Three builds: the repository (infra), the policy (the cluster's own directory) and
    // the marker (apps) never share a file.
    sandbox.write(
        "clusters/prod/infra.yaml",
        &flux_kustomization("infra", "./infra", ""),
    );
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    let repository = "infra/repositories.yaml";
    let write_repository = |name: &str| {
        sandbox.write(
            repository,
            &format!("apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  image: registry.example.test/web\n  interval: 5m\n"),
        );
    };
    write_repository("web");
    sandbox.write(
        "infra/kustomization.yaml",
        "resources: [repositories.yaml]\n",
    );
    let policy = "clusters/prod/policy.yaml";
    let write_policy = |name: &str| {
        sandbox.write(
            policy,
            &format!("apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: web\n  filterTags:\n    pattern: '^production-v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'\n    extract: '$version'\n  policy:\n    semver:\n      range: '>=1.0.0'\n"),
        );
    };
    write_policy("web");
    sandbox.write(
        "apps/kustomization.yaml",
        "resources: [deployment.yaml]\nimages:\n  - name: registry.example.test/web\n    newTag: production-v1.0.0 # {\"$imagepolicy\": \"flux-system:web:tag\"}\n",
    );
    sandbox.write(
        "apps/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.test/web:production-v1.0.0\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert!(
        errors(&diagnostics).is_empty(),
        "{}\n{:?}",
        run.all(),
        codes(&diagnostics)
    );
    // Only the repository is renamed: the policy that still names it is another build's.
    write_repository("web-api");
    for args in [&[repository][..], &["--all"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert_reported(
            &diagnostics,
            "image-policy::repository-ref",
            policy,
            line_of(&sandbox, policy, "    name: web"),
        );
    }
    write_repository("web");
    // Only the policy is renamed: the marker that still names it is another build's.
    write_policy("web-production");
    for args in [&[policy][..], &["--all"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        let found = diagnostics
            .iter()
            .find(|d| d["file"] == "apps/kustomization.yaml" && d["line"] == 4)
            .unwrap_or_else(|| panic!("{args:?}: {:?}", codes(&diagnostics)));
        assert!(
            found["code"].as_str().unwrap().starts_with("setter::"),
            "{found}"
        );
    }
}

#[test]
fn relabelling_a_namespace_re_checks_the_policies_an_access_from_admits() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    for (name, path) in [("infra", "./infra"), ("namespaces", "./namespaces")] {
        sandbox.write(
            &format!("clusters/prod/{name}.yaml"),
            &flux_kustomization(name, path, ""),
        );
    }
    sandbox.write(
        "infra/kustomization.yaml",
        "resources: [repositories.yaml]\n",
    );
    sandbox.write(
        "infra/repositories.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  image: registry.example.test/web\n  interval: 5m\n  accessFrom:\n    namespaceSelectors:\n      - matchLabels:\n          team: web\n",
    );
    let namespace = "namespaces/web.yaml";
    let write_namespace = |team: &str| {
        sandbox.write(
            namespace,
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels:\n    team: {team}\n"),
        );
    };
    write_namespace("web");
    sandbox.write("namespaces/kustomization.yaml", "resources: [web.yaml]\n");
    let policy = "clusters/prod/policy.yaml";
    sandbox.write(
        policy,
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: web\n  namespace: web\nspec:\n  imageRepositoryRef:\n    name: web\n    namespace: flux-system\n  policy:\n    semver:\n      range: '>=1.0.0'\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "image-policy::repository-ref"),
        "{}\n{:?}",
        run.all(),
        codes(&diagnostics)
    );
    // Only the Namespace's labels change: the policy in another build is denied access.
    write_namespace("api");
    for args in [&[namespace][..], &["--all"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        let found = assert_reported(
            &diagnostics,
            "image-policy::repository-ref",
            policy,
            line_of(&sandbox, policy, "    name: web"),
        );
        assert!(
            found["message"]
                .as_str()
                .unwrap()
                .contains("does not admit"),
            "{found}"
        );
    }
}

#[test]
fn the_image_lint_sees_the_namespace_a_parent_patch_gives_a_child() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    // The parent patches every child into `production`; the child's file names no namespace.
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization(
            "apps",
            "./apps/tree",
            "  patches:\n    - target:\n        kind: Kustomization\n      patch: |-\n        - op: add\n          path: /spec/targetNamespace\n          value: production\n",
        ),
    );
    sandbox.write("apps/tree/kustomization.yaml", "resources: [web.yaml]\n");
    sandbox.write(
        "apps/tree/web.yaml",
        &flux_kustomization("web", "./apps/web", ""),
    );
    let mut images = String::new();
    for lane in ["staging", "production"] {
        images.push_str(&format!("---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: web\n  namespace: {lane}\nspec:\n  image: registry.example.test/web\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: web\n  namespace: {lane}\nspec:\n  imageRepositoryRef:\n    name: web\n  filterTags:\n    pattern: '^{lane}-v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'\n    extract: '$version'\n  policy:\n    semver:\n      range: '>=1.0.0'\n"));
    }
    sandbox.write("clusters/prod/images.yaml", &images);
    let overlay = "apps/web/kustomization.yaml";
    sandbox.write(
        overlay,
        "resources: [deployment.yaml]\nimages:\n  - name: registry.example.test/web\n    newTag: staging-v1.0.0 # {\"$imagepolicy\": \"staging:web:tag\"}\n",
    );
    sandbox.write(
        "apps/web/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.test/web:production-v1.0.0\n",
    );
    for args in [&[overlay][..], &["--all"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        let found = diagnostics
            .iter()
            .find(|d| {
                d["code"] == "image::lane-mismatch"
                    && d["file"] == overlay
                    && d["line"] == 4
                    && d["message"]
                        .as_str()
                        .unwrap()
                        .contains("belongs to lane `production`")
            })
            .unwrap_or_else(|| panic!("{args:?}: {:?}", codes(&diagnostics)));
        assert_eq!(found["severity"], "error");
    }
}

#[test]
fn a_policy_whose_filter_stops_selecting_a_pinned_tag_re_checks_the_builds_that_run_it() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    // The policy and the workload are in two builds that share no file.
    for (name, path) in [("apps", "./apps"), ("infra", "./infra")] {
        sandbox.write(
            &format!("clusters/prod/{name}.yaml"),
            &flux_kustomization(name, path, ""),
        );
    }
    sandbox.write("infra/kustomization.yaml", "resources: [images.yaml]\n");
    let policy = "infra/images.yaml";
    let write_policy = |prefix: &str| {
        sandbox.write(
            policy,
            &format!("apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: web\n  namespace: production\nspec:\n  image: registry.example.test/web\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: web\n  namespace: production\nspec:\n  imageRepositoryRef:\n    name: web\n  filterTags:\n    pattern: '^{prefix}-v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'\n    extract: '$version'\n  policy:\n    semver:\n      range: '>=1.0.0'\n"),
        );
    };
    write_policy("production");
    sandbox.write("apps/kustomization.yaml", "resources: [deployment.yaml]\n");
    let deployment = "apps/deployment.yaml";
    sandbox.write(
        deployment,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: production\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.test/web:production-v1.0.0\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert!(
        errors(&diagnostics).is_empty(),
        "{}\n{:?}",
        run.all(),
        codes(&diagnostics)
    );
    // Only the policy changes: the tag the other build pins is no longer the lane's.
    write_policy("prod");
    for args in [&[policy][..], &["--all"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert_reported(
            &diagnostics,
            "image::lane-mismatch",
            deployment,
            line_of(&sandbox, deployment, "image:"),
        );
    }
}

#[test]
fn a_flux_object_no_cluster_tree_reaches_is_a_warning_not_an_error() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization("apps", "./apps", ""),
    );
    sandbox.write("apps/kustomization.yaml", "resources: [release.yaml]\n");
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: default\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: web\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n";
    sandbox.write("apps/release.yaml", release);
    // A retired copy that no tree of the repository reaches.
    sandbox.write("archive/web/release.yaml", release);
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let applied = assert_reported(&diagnostics, "flux::deprecated-api", "apps/release.yaml", 1);
    assert_eq!(applied["severity"], "error");
    let retired = assert_reported(
        &diagnostics,
        "flux::deprecated-api",
        "archive/web/release.yaml",
        1,
    );
    assert_eq!(retired["severity"], "warning");
    assert!(
        retired["message"]
            .as_str()
            .unwrap()
            .contains("no cluster tree of this repository reaches this file"),
        "{retired}"
    );
}

#[test]
fn a_namespace_from_an_overlay_that_mentions_no_image_still_decides_the_lane_of_its_base() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    let mut images = String::new();
    for lane in ["staging", "production"] {
        images.push_str(&format!("---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: web\n  namespace: {lane}\nspec:\n  image: registry.example.test/web\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: web\n  namespace: {lane}\nspec:\n  imageRepositoryRef:\n    name: web\n  filterTags:\n    pattern: '^{lane}-v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'\n    extract: '$version'\n  policy:\n    semver:\n      range: '>=1.0.0'\n"));
    }
    sandbox.write("images/policies.yaml", &images);
    sandbox.write("images/kustomization.yaml", "resources: [policies.yaml]\n");
    // The only overlay of the base puts it in `production`; neither kustomization file
    // names an image, a marker or a policy.
    sandbox.write(
        "deploy/eu-west/kustomization.yaml",
        "namespace: production\nresources: [../base]\n",
    );
    sandbox.write("deploy/base/kustomization.yaml", "resources: [web.yaml]\n");
    let base = "deploy/base/web.yaml";
    let write_base = |policy: &str| {
        sandbox.write(
            base,
            &format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: registry.example.test/web:production-v1.0.0 # {{\"$imagepolicy\": \"{policy}:web\"}}\n"),
        );
    };
    write_base("staging");
    for args in [&[base][..], &["--all"][..]] {
        let (run, diagnostics) = validate(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert!(
            diagnostics
                .iter()
                .any(|d| d["code"] == "image::lane-mismatch"
                    && d["file"] == base
                    && d["line"] == 16
                    && d["message"]
                        .as_str()
                        .unwrap()
                        .contains("belongs to lane `production`")),
            "{args:?}: {diagnostics:?}"
        );
    }
    write_base("production");
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}: {diagnostics:?}", run.all());
}

/// A Flux Kustomization whose `spec.path` kustomization lists nothing but whose
/// `spec.components` add objects is built, not skipped as empty: what the components add
/// is checked.
#[test]
fn components_make_an_empty_path_a_build() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/web.yaml",
        &flux_kustomization(
            "web",
            "./apps/web",
            "  components:\n    - ../../components/settings\n",
        ),
    );
    sandbox.write(
        "apps/web/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
    );
    sandbox.write(
        "components/settings/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [settings.yaml]\n",
    );
    sandbox.write(
        "components/settings/settings.yaml",
        &config_map("settings", "  replicas: 3\n"),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(
        &diagnostics,
        "k8s::schema",
        "components/settings/settings.yaml",
        7,
    );
    assert!(
        !codes(&diagnostics)
            .iter()
            .any(|c| c.contains("kustomize::empty")),
        "{diagnostics:?}"
    );
}
