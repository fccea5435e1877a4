//! Rendered Kubernetes objects checked against the API schema, offline: built-in kinds
//! against the embedded Kubernetes schemas, custom resources against the CRD the
//! repository defines. A fault is reported at the source line that causes it (the base,
//! or the patch that brings the field in), once, naming the builds it breaks; what Flux
//! replaces before applying (`${VAR}`, SOPS values) is never judged. Each case runs the
//! way pre-commit runs the hook (the changed file) and the way CI does (`--all`). Every
//! fixture is written here, for this project.

use serde_json::Value;

use crate::flux_attribution::{both_ways, both_ways_exiting, breaks};
use crate::flux_trees::{bootstrap, flux_kustomization};
use crate::flux_validate::{assert_reported, available, errors, line_of, validate, without_timing};
use crate::harness::Sandbox;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27.0
          imagePullPolicy: IfNotPresent
          env:
            - name: REPLICAS
              value: \"${REPLICAS:=2}\"
          resources:
            requests:
              cpu: 0.25
              memory: 64Mi
";

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size:
                  type: integer
                colour:
                  type: string
                  enum: [red, green]
";

/// Two clusters building one base (prod with a namePrefix and a patch file), a CRD in the
/// infrastructure and a custom resource of it, a SOPS-encrypted Secret.
fn fleet() -> Sandbox {
    let sandbox = Sandbox::empty();
    for cluster in ["prod", "staging"] {
        bootstrap(&sandbox, cluster);
        sandbox.write(
            &format!("clusters/{cluster}/apps.yaml"),
            &flux_kustomization("apps", &format!("./apps/{cluster}"), ""),
        );
        sandbox.write(
            &format!("clusters/{cluster}/infra.yaml"),
            &flux_kustomization("infra", "./infra", ""),
        );
    }
    sandbox.write(
        "infra/kustomization.yaml",
        "resources:\n  - widget-crd.yaml\n",
    );
    sandbox.write("infra/widget-crd.yaml", CRD);
    sandbox.write(
        "apps/base/kustomization.yaml",
        "resources:\n  - web.yaml\n  - widget.yaml\n  - token.yaml\n",
    );
    sandbox.write("apps/base/web.yaml", DEPLOYMENT);
    sandbox.write(
        "apps/base/widget.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gadget\n  namespace: default\nspec:\n  size: 3\n  colour: red\n",
    );
    sandbox.write(
        "apps/base/token.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: default\ntype: Opaque\ndata:\n  token: ENC[AES256_GCM,data:q83v,iv:AAAA,tag:BBBB,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:CCCC,type:str]\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  version: 3.9.4\n",
    );
    sandbox.write(
        "apps/prod/kustomization.yaml",
        "resources:\n  - ../base\nnamePrefix: prod-\npatches:\n  - path: replicas.yaml\n",
    );
    sandbox.write(
        "apps/prod/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 3\n",
    );
    sandbox.write(
        "apps/staging/kustomization.yaml",
        "resources:\n  - ../base\n",
    );
    sandbox
}

fn schema_findings(diagnostics: &[Value]) -> Vec<&Value> {
    diagnostics
        .iter()
        .filter(|d| d["code"] == "k8s::schema")
        .collect()
}

#[test]
fn the_schema_fixture_is_clean() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}\n{diagnostics:?}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
}

#[test]
fn a_misspelt_field_in_a_shared_base_is_reported_once_at_its_line() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let base = "apps/base/web.yaml";
    sandbox.write(base, &DEPLOYMENT.replace("  replicas: 2", "  replica: 2"));
    // kustomize-controller converts a Deployment to its Go type before applying, which
    // drops the field: the commit passes with a warning that it has no effect.
    for diagnostics in both_ways_exiting(&sandbox, base, 0) {
        let found = schema_findings(&diagnostics);
        assert_eq!(found.len(), 1, "each problem once: {found:?}");
        let found = assert_reported(
            &diagnostics,
            "k8s::schema",
            base,
            line_of(&sandbox, base, "replica: 2"),
        );
        assert_eq!(found["severity"], "warning");
        let message = found["message"].as_str().unwrap();
        assert!(
            message.contains("unknown field `spec.replica`") && message.contains("no effect"),
            "{found}"
        );
        assert_eq!(found["help"], "did you mean `replicas`?");
        let broken = breaks(found);
        assert!(
            broken.iter().any(|b| b.contains("clusters/prod")),
            "{broken:?}"
        );
        assert!(
            broken.iter().any(|b| b.contains("clusters/staging")),
            "{broken:?}"
        );
    }
    // An overlay no Flux tree applies is applied as written (`kubectl apply -k`): the API
    // server refuses the field. The repository bootstraps its clusters and none of them
    // reaches the overlay, so that is a warning that says so (a helper applied by hand,
    // an archive), not a failed reconciliation.
    sandbox.write("ci/kustomization.yaml", "resources:\n  - ../apps/base\n");
    for diagnostics in both_ways_exiting(&sandbox, base, 0) {
        let refused = diagnostics
            .iter()
            .find(|d| {
                d["code"] == "k8s::schema" && d["message"].as_str().unwrap().contains("refuses it")
            })
            .unwrap_or_else(|| panic!("{diagnostics:?}"));
        assert_eq!(refused["file"], base);
        assert_eq!(refused["severity"], "warning");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("no cluster tree of this repository reaches"),
            "{refused}"
        );
    }
}

#[test]
fn an_inline_patch_and_a_removed_api_version_land_on_their_lines() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let overlay = "apps/staging/kustomization.yaml";
    sandbox.write(
        overlay,
        "resources:\n  - ../base\n  - hpa.yaml\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n        namespace: default\n      spec:\n        revisionHistoryLimit: ten\n",
    );
    let hpa = "apps/staging/hpa.yaml";
    sandbox.write(
        hpa,
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: default\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 1\n  maxReplicas: 3\n",
    );
    for diagnostics in both_ways(&sandbox, overlay) {
        let patched = assert_reported(
            &diagnostics,
            "k8s::schema",
            overlay,
            line_of(&sandbox, overlay, "revisionHistoryLimit"),
        );
        assert!(
            patched["message"]
                .as_str()
                .unwrap()
                .contains("expected integer, found string"),
            "{patched}"
        );
        let removed = assert_reported(&diagnostics, "k8s::removed-api", hpa, 1);
        assert!(
            removed["message"]
                .as_str()
                .unwrap()
                .contains("use autoscaling/v2"),
            "{removed}"
        );
    }
}

#[test]
fn a_wrong_type_brought_in_by_a_patch_lands_on_the_patch() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let patch = "apps/prod/replicas.yaml";
    let text = std::fs::read_to_string(sandbox.work.join(patch)).unwrap();
    sandbox.write(patch, &text.replace("replicas: 3", "replicas: \"3\""));
    for diagnostics in both_ways(&sandbox, patch) {
        let found = assert_reported(
            &diagnostics,
            "k8s::schema",
            patch,
            line_of(&sandbox, patch, "replicas:"),
        );
        let message = found["message"].as_str().unwrap();
        assert!(
            message.contains("wrong type for `spec.replicas`")
                && message.contains("expected integer"),
            "{found}"
        );
        assert_eq!(found["help"], "write `3` without quotes");
        let broken = breaks(found);
        assert!(broken.iter().all(|b| !b.contains("staging")), "{broken:?}");
    }
    let run = sandbox.hook("flux-kustomize-validate", &["--no-cache", patch]);
    assert_eq!(run.code, 1, "{}", run.all());
    insta::assert_snapshot!("wrong_type_human", without_timing(run.stderr.trim_end()));
}

#[test]
fn a_plain_value_under_secret_data_and_a_bad_enum_are_found_in_their_files() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let secret = "apps/base/plain.yaml";
    sandbox.write(
        secret,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  namespace: default\ndata:\n  password: hunter2\n",
    );
    sandbox.write(
        "apps/base/kustomization.yaml",
        "resources:\n  - web.yaml\n  - widget.yaml\n  - token.yaml\n  - plain.yaml\n",
    );
    let base = "apps/base/web.yaml";
    sandbox.write(base, &DEPLOYMENT.replace("IfNotPresent", "IfNotPresnt"));
    for diagnostics in both_ways(&sandbox, secret) {
        let found = assert_reported(
            &diagnostics,
            "k8s::schema",
            secret,
            line_of(&sandbox, secret, "password"),
        );
        assert!(
            found["help"].as_str().unwrap().contains("stringData"),
            "{found}"
        );
    }
    let (_, diagnostics) = validate(&sandbox, &["--all"]);
    let found = assert_reported(
        &diagnostics,
        "k8s::schema",
        base,
        line_of(&sandbox, base, "IfNotPresnt"),
    );
    assert_eq!(found["help"], "did you mean `IfNotPresent`?");
}

#[test]
fn a_custom_resource_is_checked_against_the_crd_in_the_repository() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    let widget = "apps/base/widget.yaml";
    sandbox.write(
        widget,
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gadget\n  namespace: default\nspec:\n  colour: blue\n  sizes: 3\n",
    );
    for diagnostics in both_ways(&sandbox, widget) {
        let enum_value = assert_reported(
            &diagnostics,
            "k8s::schema",
            widget,
            line_of(&sandbox, widget, "colour"),
        );
        assert!(
            enum_value["message"]
                .as_str()
                .unwrap()
                .contains("must be one of red, green"),
            "{enum_value}"
        );
        let unknown = assert_reported(
            &diagnostics,
            "k8s::schema",
            widget,
            line_of(&sandbox, widget, "sizes"),
        );
        assert_eq!(unknown["help"], "did you mean `size`?");
        // `size` is required: reported at the object that lacks it, the `spec:` key.
        let missing = assert_reported(
            &diagnostics,
            "k8s::schema",
            widget,
            line_of(&sandbox, widget, "spec:"),
        );
        assert!(
            missing["message"]
                .as_str()
                .unwrap()
                .contains("missing required field `spec.size`"),
            "{missing}"
        );
    }
    // Changing only the CRD so that the resource no longer fits re-checks the builds that
    // render the resource, though none of them reads the CRD's file.
    let sandbox = fleet();
    let crd = "infra/widget-crd.yaml";
    sandbox.write(crd, &CRD.replace("[red, green]", "[green, blue]"));
    for diagnostics in both_ways(&sandbox, crd) {
        assert_reported(
            &diagnostics,
            "k8s::schema",
            widget,
            line_of(&sandbox, widget, "colour"),
        );
    }
}

#[test]
fn a_number_substituted_into_a_string_field_is_found_at_the_use() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    bootstrap(&sandbox, "prod");
    sandbox.write(
        "clusters/prod/apps.yaml",
        &flux_kustomization(
            "apps",
            "./apps/prod",
            "  postBuild:\n    substitute:\n      PORT: \"8080\"\n      NAME: web\n",
        ),
    );
    sandbox.write("apps/prod/kustomization.yaml", "resources:\n  - web.yaml\n");
    let web = "apps/prod/web.yaml";
    // kustomize writes `"${PORT}"` without its quotes, and Flux substitutes into that text.
    sandbox.write(
        web,
        &DEPLOYMENT.replace(
            "            - name: REPLICAS\n              value: \"${REPLICAS:=2}\"\n",
            "            - name: PORT\n              value: \"${PORT}\"\n            - name: NAME\n              value: \"${NAME}\"\n",
        ),
    );
    for diagnostics in both_ways(&sandbox, web) {
        let found = schema_findings(&diagnostics);
        assert_eq!(found.len(), 1, "only the number: {found:?}");
        let found = assert_reported(
            &diagnostics,
            "k8s::schema",
            web,
            line_of(&sandbox, web, "${PORT}"),
        );
        let message = found["message"].as_str().unwrap();
        assert!(
            message.contains("expected string, found integer")
                && message.contains("after postBuild substitution of `${PORT}`"),
            "{found}"
        );
    }
}

#[test]
fn an_object_rendered_twice_under_a_name_prefix_lands_on_its_definition() {
    if !available() {
        return;
    }
    let sandbox = fleet();
    // autoscaling/v1 and v2 of one HPA: kustomize keeps both, the API server has one.
    let hpa = |version: &str| {
        format!(
            "apiVersion: autoscaling/{version}\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: default\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 1\n  maxReplicas: 3\n"
        )
    };
    sandbox.write("apps/base/hpa-v1.yaml", &hpa("v1"));
    sandbox.write("apps/base/hpa-v2.yaml", &hpa("v2"));
    sandbox.write(
        "apps/base/kustomization.yaml",
        "resources:\n  - web.yaml\n  - widget.yaml\n  - token.yaml\n  - hpa-v1.yaml\n  - hpa-v2.yaml\n",
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    // prod renders it as `prod-web`; the finding is still at a definition's name.
    let prod = diagnostics
        .iter()
        .find(|d| {
            d["code"] == "k8s::duplicate-object"
                && d["message"].as_str().unwrap().contains("prod-web")
        })
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert!(
        prod["file"]
            .as_str()
            .unwrap()
            .starts_with("apps/base/hpa-v"),
        "{prod}"
    );
    assert_eq!(prod["line"], 4, "{prod}");
}
