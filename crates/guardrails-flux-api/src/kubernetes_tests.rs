//! The Kubernetes schema checker on objects written the way repositories write them.

use guardrails_yaml::{Limits, Node, parse_documents};

use crate::Severity;
use crate::kubernetes::{Applier, Schemas, key_at, kubernetes_release};

fn doc(text: &str) -> Node {
    parse_documents(text, &Limits::default())
        .expect("test YAML parses")
        .remove(0)
}

fn messages(schemas: &Schemas, text: &str) -> Vec<String> {
    schemas
        .check(&doc(text), Applier::Direct)
        .into_iter()
        .map(|f| format!("{}: {}", f.span.line, f.message))
        .collect()
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
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
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 80
          resources:
            limits:
              cpu: 0.5
              memory: 128Mi
          env:
            - name: PORT
              value: \"80\"
";

#[test]
fn a_valid_deployment_has_no_findings() {
    assert_eq!(messages(&Schemas::new(), DEPLOYMENT), Vec::<String>::new());
    assert!(kubernetes_release().starts_with("1."));
}

#[test]
fn unknown_fields_wrong_types_and_enums_are_found_where_they_are_written() {
    let text = DEPLOYMENT
        .replace("  replicas: 2", "  replica: 2")
        .replace("value: \"80\"", "value: 80")
        .replace("IfNotPresent", "ifNotPresent");
    let schemas = Schemas::new();
    let findings = schemas.check(&doc(&text), Applier::Direct);
    let got: Vec<String> = findings
        .iter()
        .map(|f| format!("{}: {}", f.span.line, f.message))
        .collect();
    assert_eq!(
        got,
        [
            "8: unknown field `spec.replica` in Deployment apps/v1: the API server refuses it (field not declared in schema)",
            "20: invalid value `ifNotPresent` for `spec.template.spec.containers[0].imagePullPolicy` in Deployment apps/v1: must be one of Always, Never, IfNotPresent",
            "29: wrong type for `spec.template.spec.containers[0].env[0].value` in Deployment apps/v1: expected string, found integer",
        ]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("did you mean `replicas`?")
    );
    assert_eq!(findings[2].help.as_deref(), Some("quote it: `\"80\"`"));
    // The path leads back to the same key in the source document.
    let source = doc(&text);
    assert_eq!(
        key_at(&source, &findings[0].path).map(|k| k.span.line),
        Some(8)
    );
    assert_eq!(
        findings[1].path.to_string(),
        "spec.template.spec.containers[0].imagePullPolicy"
    );
}

#[test]
fn required_fields_are_reported_at_the_object_that_lacks_them() {
    let text = DEPLOYMENT.replace("        - name: web\n          image", "        - image");
    let findings = Schemas::new().check(&doc(&text), Applier::Direct);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].missing);
    assert_eq!(
        findings[0].message,
        "missing required field `spec.template.spec.containers[0].name` in Deployment apps/v1"
    );
    assert_eq!(findings[0].span.line, 18);
}

#[test]
fn what_flux_replaces_before_applying_is_not_judged() {
    // postBuild substitution and SOPS decryption happen before the API server sees these.
    let substituted = DEPLOYMENT.replace("replicas: 2", "replicas: ${REPLICAS}");
    assert_eq!(
        messages(&Schemas::new(), &substituted),
        Vec::<String>::new()
    );
    let sops = "\
apiVersion: v1
kind: Secret
metadata:
  name: token
data:
  token: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
sops:
  mac: ENC[AES256_GCM,data:xyz]
  version: 3.9.0
";
    assert_eq!(messages(&Schemas::new(), sops), Vec::<String>::new());
}

#[test]
fn secret_data_must_be_base64() {
    let text = "\
apiVersion: v1
kind: Secret
metadata:
  name: token
data:
  good: aGVsbG8=
  wrapped: |
    aGVsbG8g
    d29ybGQ=
  plain: hunter2
stringData:
  plain: hunter2
";
    let findings = Schemas::new().check(&doc(text), Applier::Direct);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].span.line, 10);
    assert_eq!(
        findings[0].help.as_deref(),
        Some("values under `data` are base64; put plain text under `stringData` instead")
    );
}

#[test]
fn unknown_kinds_and_api_versions_are_left_alone() {
    let schemas = Schemas::new();
    for text in [
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {anything: 1}\n",
        "apiVersion: resource.k8s.io/v1beta1\nkind: ResourceClaim\nmetadata: {name: w}\nspec: {x: 1}\n",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: w}\nspec: {x: 1}\n",
    ] {
        assert_eq!(messages(&schemas, text), Vec::<String>::new(), "{text}");
    }
}

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
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
                color:
                  type: string
                  enum: [red, green]
                extra:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                port:
                  x-kubernetes-int-or-string: true
    - name: v0
      served: false
      storage: false
      schema:
        openAPIV3Schema:
          type: object
";

#[test]
fn custom_resources_follow_their_crd() {
    let mut schemas = Schemas::new();
    assert_eq!(schemas.add_crd(&doc(CRD)), 1);
    // The CRD itself is a built-in object with a valid schema.
    assert_eq!(messages(&schemas, CRD), Vec::<String>::new());
    let good = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 3\n  color: red\n  extra: {any: [1, 2]}\n  port: http\n";
    assert_eq!(messages(&schemas, good), Vec::<String>::new());
    let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  colour: blue\n  port: 1.5\n";
    assert_eq!(
        messages(&schemas, bad),
        [
            "5: unknown field `spec.colour` in Widget example.com/v1: the API server refuses it (field not declared in schema)",
            "6: wrong type for `spec.port` in Widget example.com/v1: expected integer or string, found number",
            "4: missing required field `spec.size` in Widget example.com/v1",
        ]
    );
    // A version the CRD does not serve has no schema here.
    let old = "apiVersion: example.com/v0\nkind: Widget\nmetadata: {name: w}\nspec: {x: 1}\n";
    assert_eq!(messages(&schemas, old), Vec::<String>::new());
}

#[test]
fn kustomize_controller_drops_undeclared_fields_of_kinds_it_converts() {
    // fluxcd/pkg ssa/normalize converts the object to its Go type and back: the typo is
    // gone before the API server sees it. A warning: the field has no effect.
    let text = DEPLOYMENT.replace("  replicas: 2", "  replica: 2");
    let findings = Schemas::new().check(&doc(&text), Applier::KustomizeController);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].severity, Severity::Warning);
    assert!(
        findings[0].message.contains("has no effect"),
        "{}",
        findings[0].message
    );
    // A wrong type breaks the conversion: the object is sent as written, and refused.
    let both = text.replace("value: \"80\"", "value: 80");
    let findings = Schemas::new().check(&doc(&both), Applier::KustomizeController);
    assert!(
        findings.iter().all(|f| f.severity == Severity::Error),
        "{findings:?}"
    );
    // Role and ClusterRole are not converted (fluxcd/pkg skips them).
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules:\n  - verbs: [get]\n    resources: [pods]\n    apiGroup: [\"\"]\n";
    let findings = Schemas::new().check(&doc(role), Applier::KustomizeController);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].severity, Severity::Error);
    assert_eq!(
        findings[0].help.as_deref(),
        Some("did you mean `apiGroups`?")
    );
}

#[test]
fn status_is_not_judged_and_crd_defaults_fill_required_fields() {
    let with_status = format!("{DEPLOYMENT}status:\n  foo: 1\n  replicas: \"x\"\n");
    assert_eq!(
        messages(&Schemas::new(), &with_status),
        Vec::<String>::new()
    );
    let crd = CRD.replace(
        "                size:\n                  type: integer\n",
        "                size:\n                  type: integer\n                  default: 1\n",
    );
    let mut schemas = Schemas::new();
    schemas.add_crd(&doc(&crd));
    let defaulted =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  color: red\n";
    assert_eq!(messages(&schemas, defaulted), Vec::<String>::new());
}

#[test]
fn removed_built_in_api_versions_are_errors_at_the_api_version() {
    let text = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {}\n";
    let findings = Schemas::new().check(&doc(text), Applier::KustomizeController);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, crate::kubernetes::REMOVED_API);
    assert_eq!(findings[0].span.line, 1);
    assert_eq!(
        findings[0].message,
        "HorizontalPodAutoscaler autoscaling/v2beta2 is no longer served since Kubernetes 1.26; use autoscaling/v2"
    );
    // A current version of the same kind is checked against its schema instead.
    let current = text.replace("v2beta2", "v2");
    let findings = Schemas::new().check(&doc(&current), Applier::KustomizeController);
    assert!(
        findings.iter().all(|f| f.code == crate::kubernetes::SCHEMA),
        "{findings:?}"
    );
}
