use std::path::{Path, PathBuf};

use guardrails_yaml::{Limits, Node, parse_documents};

use crate::schema::{Checker, Obj, Ty, closed, is_duration, opt};
use crate::*;

fn doc(text: &str) -> Node {
    let mut docs = parse_documents(text, &Limits::default()).unwrap();
    assert_eq!(docs.len(), 1, "one document expected");
    docs.remove(0)
}

fn check_at(text: &str, flux: &str) -> Vec<Finding> {
    check_object(&doc(text), flux.parse().unwrap())
}

fn check(text: &str) -> Vec<Finding> {
    check_object(&doc(text), FluxVersion::CURRENT)
}

/// `(code, severity, line)` of each finding, for compact assertions.
fn summary(findings: &[Finding]) -> Vec<(&'static str, Severity, usize)> {
    findings
        .iter()
        .map(|f| (f.code, f.severity, f.span.line))
        .collect()
}

const KUSTOMIZATION: &str = "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
";

#[test]
fn a_valid_kustomization_has_no_findings() {
    assert_eq!(check(KUSTOMIZATION), vec![]);
}

#[test]
fn unknown_field_is_reported_at_its_key_with_a_suggestion() {
    let text = KUSTOMIZATION.replace("  interval: 10m0s", "  intervall: 10m0s");
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![
            (codes::SCHEMA, Severity::Error, 7),
            (codes::SCHEMA, Severity::Error, 6),
        ]
    );
    let unknown = &findings[0];
    assert_eq!(
        unknown.message,
        "unknown field `spec.intervall` in Kustomization kustomize.toolkit.fluxcd.io/v1"
    );
    assert_eq!(unknown.help.as_deref(), Some("did you mean `interval`?"));
    // The key, not the value: column 3, and the span covers `intervall`.
    assert_eq!(unknown.span.column, 3);
    assert_eq!(
        &text[unknown.span.offset..unknown.span.offset + unknown.span.len],
        "intervall"
    );
    assert_eq!(
        findings[1].message,
        "missing required field `spec.interval` in Kustomization kustomize.toolkit.fluxcd.io/v1"
    );
}

#[test]
fn unknown_field_without_a_close_match_lists_the_allowed_fields_when_few() {
    let text = KUSTOMIZATION.replace(
        "    name: flux-system",
        "    name: flux-system\n    branch: main",
    );
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 13)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("allowed fields: `apiVersion`, `kind`, `name`, `namespace`")
    );
    // Unknown top-level fields are errors too.
    let findings = check(&format!("{KUSTOMIZATION}specs: {{}}\n"));
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 13)]
    );
    assert_eq!(findings[0].help.as_deref(), Some("did you mean `spec`?"));
}

#[test]
fn wrong_types_are_reported_at_the_value() {
    let text = KUSTOMIZATION.replace(
        "  prune: true",
        "  prune: \"true\"\n  postBuild:\n    substitute:\n      REPLICAS: 3\n      NAME: web",
    );
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![
            (codes::SCHEMA, Severity::Error, 9),
            (codes::SCHEMA, Severity::Error, 12),
        ]
    );
    assert_eq!(
        findings[0].message,
        "wrong type for `spec.prune` in Kustomization kustomize.toolkit.fluxcd.io/v1: expected boolean, found string"
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("write `true` without quotes")
    );
    assert_eq!(findings[0].span.column, 10);
    assert_eq!(
        findings[1].message,
        "wrong type for `spec.postBuild.substitute.REPLICAS` in Kustomization kustomize.toolkit.fluxcd.io/v1: expected string, found integer"
    );
    assert_eq!(findings[1].help.as_deref(), Some("quote it: `\"3\"`"));
    // An integer where an integer is expected is fine; a quoted one is not.
    let release = HELM_RELEASE.replace("      retries: 3", "      retries: \"3\"");
    let findings = check(&release);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 16)]
    );
    assert!(
        findings[0]
            .message
            .ends_with("expected integer, found string")
    );
}

#[test]
fn int_or_string_accepts_integers_and_strings() {
    static OBJ: Obj = closed(&[opt("port", Ty::IntOrString)]);
    for (text, expected) in [
        ("port: 8080\n", 0),
        ("port: http\n", 0),
        ("port: true\n", 1),
        ("port: 1.5\n", 1),
    ] {
        let mut checker = Checker::new("Test", "test.toolkit.fluxcd.io/v1");
        let node = doc(text);
        checker.object(&node, &OBJ, "", node.span);
        assert_eq!(checker.findings.len(), expected, "{text}");
    }
}

#[test]
fn missing_required_fields_point_at_the_parent_key() {
    let text = "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  path: ./apps
  sourceRef:
    kind: GitRepository
";
    let findings = check(text);
    assert_eq!(
        summary(&findings),
        vec![
            (codes::SCHEMA, Severity::Error, 7),
            (codes::SCHEMA, Severity::Error, 5),
            (codes::SCHEMA, Severity::Error, 5),
        ]
    );
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "missing required field `spec.sourceRef.name` in Kustomization kustomize.toolkit.fluxcd.io/v1",
            "missing required field `spec.interval` in Kustomization kustomize.toolkit.fluxcd.io/v1",
            "missing required field `spec.prune` in Kustomization kustomize.toolkit.fluxcd.io/v1",
        ]
    );
    // Without `sourceRef` at all, the finding names what it needs.
    let text = "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
spec:
  interval: 5m
  prune: false
";
    let findings = check(text);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 3)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("`sourceRef` needs `kind`, `name`")
    );
}

#[test]
fn a_missing_spec_is_reported_at_the_kind() {
    let text = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n";
    let findings = check(text);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 2)]
    );
    assert_eq!(findings[0].span.column, 7);
    assert_eq!(
        findings[0].message,
        "missing required field `spec` in Kustomization kustomize.toolkit.fluxcd.io/v1"
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("`spec` needs `interval`, `prune`, `sourceRef`")
    );
}

#[test]
fn invalid_enum_values() {
    let text = KUSTOMIZATION.replace("    kind: GitRepository", "    kind: HelmRepository");
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 11)]
    );
    assert_eq!(
        findings[0].message,
        "invalid value `HelmRepository` for `spec.sourceRef.kind` in Kustomization \
         kustomize.toolkit.fluxcd.io/v1: must be one of GitRepository, OCIRepository, Bucket, ExternalArtifact"
    );
    let text = KUSTOMIZATION.replace("    kind: GitRepository", "    kind: OCIRepo");
    assert_eq!(
        check(&text)[0].help.as_deref(),
        Some("did you mean `OCIRepository`?")
    );
    let text = KUSTOMIZATION.replace("    kind: GitRepository", "    kind: gitrepository");
    assert_eq!(
        check(&text)[0].help.as_deref(),
        Some("did you mean `GitRepository`?")
    );

    let automation = IMAGE_UPDATE_AUTOMATION.replace("strategy: Setters", "strategy: Regex");
    let findings = check(&automation);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 22)]
    );
    assert!(findings[0].message.contains("must be one of Setters"));

    let policy = IMAGE_POLICY
        .replace("      order: asc", "      order: newest")
        .replace(
            "spec:\n",
            "spec:\n  digestReflectionPolicy: Sometimes\n  interval: 5m\n",
        );
    let findings = check(&policy);
    assert_eq!(
        summary(&findings),
        vec![
            (codes::SCHEMA, Severity::Error, 8),
            (codes::SCHEMA, Severity::Error, 18),
        ]
    );
    assert!(
        findings[0]
            .message
            .contains("must be one of Never, IfNotPresent, Always")
    );
    assert!(
        findings[1]
            .message
            .contains("`spec.policy.numerical.order`")
    );
    assert!(findings[1].message.contains("must be one of asc, desc"));
}

#[test]
fn invalid_durations() {
    let text = KUSTOMIZATION
        .replace("  interval: 10m0s", "  interval: 1d")
        .replace(
            "  path: ./apps",
            "  path: ./apps\n  timeout: 5 minutes\n  retryInterval: 30",
        );
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![
            (codes::SCHEMA, Severity::Error, 7),
            (codes::SCHEMA, Severity::Error, 9),
            (codes::SCHEMA, Severity::Error, 10),
        ]
    );
    assert!(findings[0].message.starts_with(
        "invalid duration `1d` for `spec.interval` in Kustomization kustomize.toolkit.fluxcd.io/v1"
    ));
    assert_eq!(
        findings[0].help.as_deref(),
        Some("days, weeks and years are not Go duration units: use hours, such as `24h`")
    );
    assert_eq!(
        findings[1].help.as_deref(),
        Some("write the duration without spaces, such as `1h30m`")
    );
    assert!(
        findings[2]
            .message
            .ends_with("expected duration string, found integer")
    );

    // Source timeouts have no hours.
    let repo = GIT_REPOSITORY.replace("  interval: 1m0s", "  interval: 1m0s\n  timeout: 1h");
    let findings = check(&repo);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 8)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("this timeout does not accept hours: use minutes, such as `90m`")
    );
}

#[test]
fn duration_pattern() {
    for good in ["1h", "10m0s", "1m30s", "500ms", "1.5h", "0s", "2h45m10.5s"] {
        assert!(is_duration(good, true), "{good}");
    }
    for bad in [
        "", "1", "1d", "5 m", "m", "1.h", ".5s", "1H", "-1s", "1us", "1m ", "1ms5",
    ] {
        assert!(!is_duration(bad, true), "{bad}");
    }
    assert!(is_duration("90s", false));
    assert!(!is_duration("1h", false));
}

#[test]
fn deprecated_api_version_is_a_warning_on_the_api_version() {
    let text = KUSTOMIZATION.replace(
        "kustomize.toolkit.fluxcd.io/v1",
        "kustomize.toolkit.fluxcd.io/v1beta2",
    );
    let findings = check_at(&text, "2.7");
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Warning, 1)]
    );
    assert_eq!(
        findings[0].message,
        "kustomize.toolkit.fluxcd.io/v1beta2 is deprecated and removed in Flux 2.8; \
         use kustomize.toolkit.fluxcd.io/v1 (run `flux migrate`)"
    );
    assert_eq!(findings[0].span.column, 13);
}

#[test]
fn removed_api_version_is_an_error_and_skips_the_schema() {
    // `intervall` would be a schema finding on v1; on a removed version only the version counts.
    let text = KUSTOMIZATION
        .replace(
            "kustomize.toolkit.fluxcd.io/v1",
            "kustomize.toolkit.fluxcd.io/v1beta2",
        )
        .replace("interval:", "intervall:");
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Error, 1)]
    );
    assert_eq!(
        findings[0].message,
        "kustomize.toolkit.fluxcd.io/v1beta2 was removed in Flux 2.8; \
         use kustomize.toolkit.fluxcd.io/v1 (run `flux migrate`)"
    );
    let release = HELM_RELEASE.replace(
        "helm.toolkit.fluxcd.io/v2",
        "helm.toolkit.fluxcd.io/v2beta1",
    );
    let findings = check(&release);
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Error, 1)]
    );
    assert!(
        findings[0]
            .message
            .contains("removed in Flux 2.7; use helm.toolkit.fluxcd.io/v2")
    );
}

#[test]
fn removed_image_api_is_an_error_in_2_9_and_a_warning_in_2_8() {
    let policy = IMAGE_POLICY.replace(
        "image.toolkit.fluxcd.io/v1",
        "image.toolkit.fluxcd.io/v1beta2",
    );
    let findings = check_at(&policy, "2.9");
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Error, 2)]
    );
    assert_eq!(
        findings[0].message,
        "image.toolkit.fluxcd.io/v1beta2 was removed in Flux 2.9; use image.toolkit.fluxcd.io/v1 (run `flux migrate`)"
    );
    let findings = check_at(&policy, "v2.8.3");
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Warning, 2)]
    );
    assert!(
        findings[0]
            .message
            .contains("deprecated and removed in Flux 2.9")
    );

    let repository = IMAGE_REPOSITORY.replace(
        "image.toolkit.fluxcd.io/v1",
        "image.toolkit.fluxcd.io/v1beta2",
    );
    assert_eq!(
        summary(&check_at(&repository, "2.7")),
        vec![(codes::DEPRECATED_API, Severity::Warning, 2)]
    );
    let automation = IMAGE_UPDATE_AUTOMATION.replace(
        "image.toolkit.fluxcd.io/v1",
        "image.toolkit.fluxcd.io/v1beta1",
    );
    let findings = check(&automation);
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Error, 2)]
    );
    assert!(findings[0].message.contains("removed in Flux 2.7"));
}

#[test]
fn unknown_flux_versions_and_kinds_are_warnings() {
    let text = KUSTOMIZATION.replace(
        "kustomize.toolkit.fluxcd.io/v1",
        "kustomize.toolkit.fluxcd.io/v2",
    );
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![(codes::UNKNOWN_API, Severity::Warning, 1)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("use kustomize.toolkit.fluxcd.io/v1")
    );

    let text = KUSTOMIZATION.replace("kind: Kustomization", "kind: Kustomisation");
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![(codes::UNKNOWN_API, Severity::Warning, 2)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("did you mean `Kustomization`?")
    );

    // image v1 is not served before Flux 2.7.
    let findings = check_at(IMAGE_POLICY, "2.6");
    assert_eq!(
        summary(&findings),
        vec![(codes::UNKNOWN_API, Severity::Warning, 2)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("use image.toolkit.fluxcd.io/v1beta2")
    );
}

#[test]
fn non_flux_objects_are_ignored() {
    for text in [
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  intervall: 5\n",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
        "kind: Kustomization\nspec: {}\n",
        "apiVersion: 3\nkind: Kustomization\n",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    toolkit.fluxcd.io/tenant: platform\n",
        "just a string\n",
        "- a\n- b\n",
    ] {
        assert_eq!(check(text), vec![], "{text}");
    }
    // A Flux object without a kind is left to the object-sanity checks.
    assert_eq!(
        check("apiVersion: kustomize.toolkit.fluxcd.io/v1\nspec: {}\n"),
        vec![]
    );
    // Kinds without a typed schema get only the version verdict.
    assert_eq!(
        check(
            "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nspec:\n  anything: 1\n"
        ),
        vec![]
    );
}

#[test]
fn substitution_placeholders_nulls_and_yaml11_booleans_are_accepted() {
    let text = KUSTOMIZATION
        .replace("  interval: 10m0s", "  interval: ${SYNC_INTERVAL}")
        .replace(
            "  prune: true",
            "  prune: ${PRUNE:=true}\n  wait: yes\n  force: On\n  timeout: ~",
        );
    assert_eq!(check(&text), vec![]);
    // A null required field is missing.
    let text = KUSTOMIZATION.replace("  prune: true", "  prune:");
    let findings = check(&text);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 6)]
    );
    assert!(findings[0].message.contains("`spec.prune`"));
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = "\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
spec:
  url: git@github.com:org/app.git
  interval: 1 m
  ref:
    branch: 3
  provider: gitlab
  secretref:
    name: creds
";
    let findings = check(text);
    assert_eq!(
        summary(&findings),
        vec![
            (codes::SCHEMA, Severity::Error, 6),
            (codes::SCHEMA, Severity::Error, 7),
            (codes::SCHEMA, Severity::Error, 9),
            (codes::SCHEMA, Severity::Error, 10),
            (codes::SCHEMA, Severity::Error, 11),
        ]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("scp-like addresses are not accepted: write `ssh://git@host/owner/repo`")
    );
    assert_eq!(
        findings[4].help.as_deref(),
        Some("did you mean `secretRef`?")
    );
}

#[test]
fn helm_release_needs_exactly_one_of_chart_and_chart_ref() {
    assert_eq!(check(HELM_RELEASE), vec![]);
    let both = HELM_RELEASE.replace(
        "  values:",
        "  chartRef:\n    kind: OCIRepository\n    name: podinfo\n  values:",
    );
    let findings = check(&both);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 20)]
    );
    assert!(
        findings[0]
            .message
            .contains("exactly one of `spec.chart` or `spec.chartRef`")
    );

    let neither = "\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  interval: 30m
  values:
    anything: [goes, {here: 1}]
";
    let findings = check(neither);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 5)]
    );
    assert_eq!(
        findings[0].message,
        "missing required field: one of `spec.chart` or `spec.chartRef` in HelmRelease helm.toolkit.fluxcd.io/v2"
    );
}

#[test]
fn image_objects_validate() {
    assert_eq!(check(IMAGE_POLICY), vec![]);
    assert_eq!(check(IMAGE_REPOSITORY), vec![]);
    assert_eq!(check(IMAGE_UPDATE_AUTOMATION), vec![]);
    // sourceRef.kind is defaulted by the CRD, so it may be left out.
    let automation = IMAGE_UPDATE_AUTOMATION.replace("    kind: GitRepository\n", "");
    assert_eq!(check(&automation), vec![]);
    let automation = IMAGE_UPDATE_AUTOMATION.replace("        email: bot@example.com\n", "");
    let findings = check(&automation);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 16)]
    );
    assert!(
        findings[0]
            .message
            .contains("`spec.git.commit.author.email`")
    );
}

/// Shapes from the Flux documentation that use most optional fields.
#[test]
fn documented_examples_have_no_findings() {
    let text = r#"
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
spec:
  interval: 10m
  url: oci://ghcr.io/stefanprodan/charts/podinfo
  ref:
    semver: ">=6.0.0"
    semverFilter: ".*-rc.*"
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  verify:
    provider: cosign
    matchOIDCIdentity:
      - issuer: "^https://token.actions.githubusercontent.com$"
        subject: "^https://github.com/stefanprodan/podinfo.*$"
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  interval: 10m
  timeout: 5m
  chartRef:
    kind: OCIRepository
    name: podinfo
  releaseName: podinfo
  install:
    crds: CreateReplace
    remediation:
      retries: -1
    strategy:
      name: RetryOnFailure
      retryInterval: 2m
  upgrade:
    crds: CreateReplace
    cleanupOnFail: true
    remediation:
      retries: 3
      remediateLastFailure: true
  test:
    enable: true
    filters:
      - name: smoke
        exclude: false
  driftDetection:
    mode: enabled
    ignore:
      - paths: ["/spec/replicas"]
        target:
          kind: Deployment
  valuesFrom:
    - kind: ConfigMap
      name: podinfo-values
      valuesKey: values.yaml
      optional: true
  values:
    replicaCount: 2
  postRenderers:
    - kustomize:
        patches:
          - target:
              kind: Deployment
            patch: |
              - op: add
                path: /metadata/labels/x
                value: y
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: podinfo
spec:
  type: oci
  interval: 5m0s
  url: oci://ghcr.io/stefanprodan/charts
  provider: generic
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: backend
spec:
  interval: 10m
  retryInterval: 2m
  timeout: 3m
  targetNamespace: default
  path: ./deploy
  prune: true
  wait: true
  force: false
  deletionPolicy: Delete
  sourceRef:
    kind: OCIRepository
    name: backend
    namespace: flux-system
  dependsOn:
    - name: common
      readyExpr: status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')
  decryption:
    provider: sops
    secretRef:
      name: sops-age
  healthChecks:
    - apiVersion: apps/v1
      kind: Deployment
      name: backend
      namespace: default
  healthCheckExprs:
    - apiVersion: example.com/v1
      kind: Cluster
      current: status.phase == 'Ready'
  patches:
    - patch: |-
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: not-used
        spec:
          replicas: 2
      target:
        kind: Deployment
        labelSelector: "app.kubernetes.io/part-of=backend"
  images:
    - name: ghcr.io/example/backend
      newTag: "1.2.3"
  components:
    - ../components/ingress
  postBuild:
    substitute:
      cluster_env: prod
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
        optional: true
  commonMetadata:
    labels:
      team: backend
  kubeConfig:
    secretRef:
      name: remote-kubeconfig
      key: value
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
spec:
  interval: 5m
  timeout: 60s
  url: ssh://git@github.com/stefanprodan/podinfo
  secretRef:
    name: ssh-credentials
  ref:
    tag: 6.0.0
  ignore: |
    /*
    !/deploy
  verify:
    mode: TagAndHEAD
    secretRef:
      name: pgp-public-keys
  include:
    - repository:
        name: config
      fromPath: deploy
      toPath: config
  sparseCheckout:
    - deploy
"#;
    let docs = parse_documents(text, &Limits::default()).unwrap();
    assert_eq!(docs.len(), 5);
    for doc in &docs {
        assert_eq!(check_object(doc, FluxVersion::CURRENT), vec![]);
    }
}

#[test]
fn api_status_table() {
    let v = |s: &str| s.parse::<FluxVersion>().unwrap();
    assert_eq!(
        api_status("kustomize.toolkit.fluxcd.io/v1", "Kustomization", v("2.9")),
        ApiStatus::Current
    );
    assert_eq!(
        api_status(
            "source.toolkit.fluxcd.io/v1beta2",
            "OCIRepository",
            v("2.6")
        ),
        ApiStatus::Deprecated {
            replacement: "source.toolkit.fluxcd.io/v1"
        }
    );
    assert_eq!(
        api_status(
            "source.toolkit.fluxcd.io/v1beta2",
            "OCIRepository",
            v("2.5")
        ),
        ApiStatus::Current
    );
    assert_eq!(
        api_status(
            "source.toolkit.fluxcd.io/v1beta2",
            "HelmRepository",
            v("2.8")
        ),
        ApiStatus::Removed {
            replacement: "source.toolkit.fluxcd.io/v1",
            removed_in: v("2.8")
        }
    );
    assert_eq!(
        api_status("notification.toolkit.fluxcd.io/v1beta2", "Alert", v("2.9")),
        ApiStatus::Removed {
            replacement: "notification.toolkit.fluxcd.io/v1beta3",
            removed_in: v("2.9")
        }
    );
    assert_eq!(
        api_status(
            "notification.toolkit.fluxcd.io/v1beta2",
            "Receiver",
            v("2.8")
        ),
        ApiStatus::Deprecated {
            replacement: "notification.toolkit.fluxcd.io/v1"
        }
    );
    assert_eq!(
        api_status(
            "notification.toolkit.fluxcd.io/v1beta3",
            "Provider",
            v("2.9")
        ),
        ApiStatus::Current
    );
    assert_eq!(
        api_status("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease", v("2.7")),
        ApiStatus::Deprecated {
            replacement: "helm.toolkit.fluxcd.io/v2"
        }
    );
    // At 2.5 the image APIs were at v1beta2: that is the replacement for v1beta1.
    assert_eq!(
        api_status(
            "image.toolkit.fluxcd.io/v1beta1",
            "ImageUpdateAutomation",
            v("2.5")
        ),
        ApiStatus::Deprecated {
            replacement: "image.toolkit.fluxcd.io/v1beta2"
        }
    );
    assert_eq!(
        api_status("image.toolkit.fluxcd.io/v1", "ImagePolicy", v("2.6")),
        ApiStatus::Unknown
    );
    assert_eq!(
        api_status("apps/v1", "Deployment", v("2.9")),
        ApiStatus::Unknown
    );
    assert_eq!(
        api_status("source.toolkit.fluxcd.io/v1", "GitRepo", v("2.9")),
        ApiStatus::Unknown
    );
}

#[test]
fn flux_api_groups() {
    assert!(is_flux_api("kustomize.toolkit.fluxcd.io/v1"));
    assert!(is_flux_api("image.toolkit.fluxcd.io/v1beta2"));
    assert!(!is_flux_api("kustomize.config.k8s.io/v1beta1"));
    assert!(!is_flux_api("toolkit.fluxcd.io/v1"));
    assert!(!is_flux_api("fluxcd.controlplane.io/v1"));
    assert!(!is_flux_api("source.extensions.fluxcd.io/v1beta1"));
    assert!(!is_flux_api("kustomize.toolkit.fluxcd.io"));
    assert!(!is_flux_api("kustomize.toolkit.fluxcd.io/"));
    assert!(!is_flux_api("v1"));
}

#[test]
fn flux_versions_parse_and_display() {
    for (text, major, minor) in [
        ("2.9", 2, 9),
        ("v2.9", 2, 9),
        ("2.9.1", 2, 9),
        ("v2.10.0-rc.1", 2, 10),
        (" 2.7 ", 2, 7),
    ] {
        assert_eq!(text.parse(), Ok(FluxVersion { major, minor }), "{text}");
    }
    for bad in [
        "", "2", "2.", "2.x", "two.nine", "2.9.x", "2.9.1.2x", "-2.9", "2.9 .1",
    ] {
        assert!(bad.parse::<FluxVersion>().is_err(), "{bad}");
    }
    assert_eq!(FluxVersion::CURRENT.to_string(), "2.9");
    assert!(FluxVersion::new(2, 10) > FluxVersion::new(2, 9));
    assert_eq!(
        "x".parse::<FluxVersion>().unwrap_err().to_string(),
        "invalid Flux version `x`: expected MAJOR.MINOR such as `2.9` (a leading `v` and a patch number are accepted)"
    );
}

/// Every Flux object of a real GitOps tree must pass: a false error blocks real commits.
#[test]
fn the_safeops_corpus_has_no_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/safeops");
    if !root.is_dir() {
        assert!(
            std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_none(),
            "GUARDRAILS_REQUIRE_TOOLS is set but the corpus {} is missing",
            root.display()
        );
        eprintln!(
            "SKIPPED the_safeops_corpus_has_no_findings: {} is missing",
            root.display()
        );
        return;
    }
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    let mut flux_objects = 0;
    let mut problems = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let docs = match parse_documents(&text, &Limits::default()) {
            Ok(docs) => docs,
            // Templated or broken YAML is other checks' business.
            Err(error) => {
                eprintln!("not YAML, skipped: {}: {error}", file.display());
                continue;
            }
        };
        for doc in &docs {
            if doc.str_at(&["apiVersion"]).is_some_and(is_flux_api) {
                flux_objects += 1;
            }
            for finding in check_object(doc, FluxVersion::CURRENT) {
                problems.push(format!(
                    "{}:{}: {} {}",
                    file.display(),
                    finding.span.line,
                    finding.code,
                    finding.message
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        flux_objects >= 50,
        "only {flux_objects} Flux objects found in {}",
        root.display()
    );
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != ".git") {
                yaml_files(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            out.push(path);
        }
    }
}

const HELM_RELEASE: &str = "\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  interval: 30m
  chart:
    spec:
      chart: podinfo
      version: '>=6.0.0'
      sourceRef:
        kind: HelmRepository
        name: podinfo
  install:
    remediation:
      retries: 3
  upgrade:
    remediation:
      strategy: rollback
  values:
    replicaCount: 2
";

const GIT_REPOSITORY: &str = "\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  url: https://github.com/example/app.git
";

const IMAGE_POLICY: &str = "\
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: backend
  namespace: production
spec:
  imageRepositoryRef:
    name: backend
    namespace: flux-system
  filterTags:
    pattern: '^production-(?P<ts>[0-9]+)$'
    extract: '$ts'
  policy:
    numerical:
      order: asc
";

const IMAGE_REPOSITORY: &str = "\
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: backend
spec:
  image: ghcr.io/example/backend
  interval: 1m0s
  accessFrom:
    namespaceSelectors:
      - matchLabels:
          environment: production
";

const IMAGE_UPDATE_AUTOMATION: &str = "\
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: backend
spec:
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: bot@example.com
        name: bot
    push:
      branch: main
  update:
    strategy: Setters
    path: ./apps
";

#[test]
fn a_patch_is_checked_for_what_a_patch_can_get_wrong_only() {
    // Only the fields the patch changes, a strategic-merge directive, and one misspelt key.
    let patch = "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  $retainKeys: [postBuild]
  postBuild:
    substitutee: {}
";
    let findings = check_patch(&doc(patch), FluxVersion::CURRENT);
    assert_eq!(
        summary(&findings),
        vec![(codes::SCHEMA, Severity::Error, 8)]
    );
    assert_eq!(
        findings[0].help.as_deref(),
        Some("did you mean `substitute`?")
    );
    // The same document as a whole object misses its required fields.
    let whole = check_object(&doc(patch), FluxVersion::CURRENT);
    assert!(whole.iter().any(|f| f.missing), "{whole:?}");
    // An API version the release removed is wrong in a patch too: it matches no object.
    let old = patch.replace("/v1\n", "/v1beta1\n");
    let findings = check_patch(&doc(&old), FluxVersion::CURRENT);
    assert_eq!(
        summary(&findings),
        vec![(codes::DEPRECATED_API, Severity::Error, 1)]
    );
}
