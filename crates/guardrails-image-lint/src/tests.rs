//! One failing and one passing fixture per rule. The fixtures build a small two-lane
//! repository (staging, production) shaped like the safeops tree, then break one thing.

use guardrails_yaml::{Limits, Node, parse_documents};

use crate::*;

/// A repository: `(path, text)` pairs.
#[derive(Clone)]
struct Repo {
    files: Vec<(String, String)>,
}

const REPOSITORY: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: backend
  namespace: flux-system
spec:
  image: ghcr.io/acme/backend
  interval: 1m0s
  accessFrom:
    namespaceSelectors:
      - matchLabels:
          environment: staging
      - matchLabels:
          environment: production
"#;

const NAMESPACES: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: staging
  labels:
    environment: staging
---
apiVersion: v1
kind: Namespace
metadata:
  name: production
  labels:
    environment: production
"#;

const GIT_REPOSITORY: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  url: https://github.com/acme/fleet.git
  ref:
    branch: main
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
spec:
  template:
    spec:
      containers:
        - name: backend
          image: ghcr.io/acme/backend:latest
"#;

const BASE_KUSTOMIZATION: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
"#;

const POLICY: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: backend
  namespace: {lane}
spec:
  imageRepositoryRef:
    name: backend
    namespace: flux-system
  filterTags:
    pattern: '^{lane}-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'
    extract: '$ts'
  policy:
    numerical:
      order: asc
"#;

const AUTOMATION: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: backend
  namespace: {lane}
spec:
  interval: 5m0s
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  git:
    commit:
      author:
        name: fluxcdbot
        email: fluxcdbot@example.com
      messageTemplate: 'Update {lane} backend image'
    push:
      branch: main
  update:
    path: ./apps/backend/{lane}
    strategy: Setters
"#;

const OVERLAY: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {lane}
resources:
  - ../base
  - image-policy.yaml
  - image-automation.yaml
images:
  - name: ghcr.io/acme/backend
    newTag: {lane}-v1.2.3-abc1234-1770000000 # {"$imagepolicy": "{lane}:backend:tag"}
"#;

impl Repo {
    /// The healthy two-lane repository.
    fn lanes() -> Repo {
        let mut files = vec![
            (
                "infrastructure/image-repositories.yaml".to_owned(),
                REPOSITORY.to_owned(),
            ),
            (
                "infrastructure/namespaces.yaml".to_owned(),
                NAMESPACES.to_owned(),
            ),
            (
                "infrastructure/git-repository.yaml".to_owned(),
                GIT_REPOSITORY.to_owned(),
            ),
            (
                "apps/backend/base/deployment.yaml".to_owned(),
                DEPLOYMENT.to_owned(),
            ),
            (
                "apps/backend/base/kustomization.yaml".to_owned(),
                BASE_KUSTOMIZATION.to_owned(),
            ),
        ];
        for lane in ["staging", "production"] {
            let dir = format!("apps/backend/{lane}");
            for (name, template) in [
                ("image-policy.yaml", POLICY),
                ("image-automation.yaml", AUTOMATION),
                ("kustomization.yaml", OVERLAY),
            ] {
                files.push((format!("{dir}/{name}"), template.replace("{lane}", lane)));
            }
        }
        Repo { files }
    }

    /// Replaces `from` (which must occur) by `to` in `path`.
    fn edit(mut self, path: &str, from: &str, to: &str) -> Repo {
        let file = self
            .files
            .iter_mut()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no file {path}"));
        assert!(file.1.contains(from), "{path} does not contain {from:?}");
        file.1 = file.1.replacen(from, to, 1);
        self
    }

    fn with(mut self, path: &str, text: &str) -> Repo {
        self.files.retain(|(p, _)| p != path);
        self.files.push((path.to_owned(), text.to_owned()));
        self
    }

    fn without(mut self, path: &str) -> Repo {
        self.files.retain(|(p, _)| p != path);
        self
    }

    fn parsed(&self) -> Vec<(String, String, Vec<Node>)> {
        self.files
            .iter()
            .map(|(p, t)| {
                let docs =
                    parse_documents(t, &Limits::default()).unwrap_or_else(|e| panic!("{p}: {e}"));
                (p.clone(), t.clone(), docs)
            })
            .collect()
    }

    fn index_with(&self, config: &Config) -> Index {
        let parsed = self.parsed();
        let sources: Vec<SourceFile<'_>> = parsed
            .iter()
            .map(|(path, text, docs)| SourceFile { path, text, docs })
            .collect();
        Index::build(&sources, config)
    }

    fn index(&self) -> Index {
        self.index_with(&Config::default())
    }

    fn lint(&self) -> Vec<Finding> {
        self.index().lint_sources()
    }

    fn lint_with(&self, config: &Config) -> Vec<Finding> {
        self.index_with(config).lint_sources()
    }
}

/// `(severity, path, line)` of the findings with `code`.
fn with_code(findings: &[Finding], code: &str) -> Vec<(Severity, String, usize)> {
    findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| (f.severity, f.path.clone(), f.span.map_or(0, |s| s.line)))
        .collect()
}

fn message(findings: &[Finding], code: &str) -> String {
    findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| format!("{} | {}", f.message, f.help.clone().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

const PROD_POLICY: &str = "apps/backend/production/image-policy.yaml";
const PROD_AUTOMATION: &str = "apps/backend/production/image-automation.yaml";
const PROD_OVERLAY: &str = "apps/backend/production/kustomization.yaml";
const STAGING_POLICY: &str = "apps/backend/staging/image-policy.yaml";
const REPOSITORIES: &str = "infrastructure/image-repositories.yaml";

#[test]
fn the_healthy_repository_is_clean() {
    let findings = Repo::lanes().lint();
    assert_eq!(findings, Vec::<Finding>::new());
}

#[test]
fn codes_are_stable() {
    assert_eq!(
        codes::ALL,
        &[
            "image-policy::invalid-regex",
            "image-policy::unanchored",
            "image-policy::extract-group",
            "image-policy::unsortable-tags",
            "image-policy::order-desc",
            "image-policy::semver-range",
            "image-policy::semver-prerelease",
            "image-policy::interval-reflection",
            "image-policy::substituted",
            "image-policy::lane-overlap",
            "image-policy::repository-ref",
            "image-policy::orphan",
            "image-repository::invalid-image",
            "image-repository::exclusion-override",
            "setter::invalid",
            "setter::unknown-policy",
            "setter::not-automated",
            "setter::field-shape",
            "image::unmatched-images-entry",
            "image::unknown-field",
            "image::lane-mismatch",
            "image::mutable-tag",
            "automation::source-ref",
            "automation::strategy",
            "automation::template",
            "automation::overlap",
            "automation::selector-empty",
        ]
    );
}

#[test]
fn index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Index>();
}

#[test]
fn lanes_parse_from_the_command_line() {
    assert_eq!("qa=qa-".parse::<Lane>(), Ok(Lane::new("qa", "qa-")));
    assert!("qa".parse::<Lane>().is_err());
    assert!("=qa-".parse::<Lane>().is_err());
    let config = Config::default();
    assert_eq!(config.lanes.len(), 3);
    assert_eq!(config.flux, guardrails_flux_api::FluxVersion::CURRENT);
}

// image-policy::invalid-regex ---------------------------------------------------------------

#[test]
fn invalid_regex_echoes_go() {
    let repo = Repo::lanes().edit(PROD_POLICY, "(?P<ts>[0-9]+)$'", "(?P<ts>[0-9]+$'");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::INVALID_REGEX),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 11)]
    );
    assert!(
        message(&findings, codes::INVALID_REGEX).contains(
            "invalid regular expression pattern '^production-v[0-9]+\\.[0-9]+\\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+$': error parsing regexp: missing closing ): `^production-v"
        ),
        "{}",
        message(&findings, codes::INVALID_REGEX)
    );
}

#[test]
fn angle_named_groups_depend_on_the_flux_release() {
    let repo = Repo::lanes().edit(PROD_POLICY, "(?P<ts>", "(?<ts>");
    assert!(with_code(&repo.lint(), codes::INVALID_REGEX).is_empty());
    let old = Config {
        flux: "2.2".parse().unwrap(),
        ..Config::default()
    };
    let findings = repo.lint_with(&old);
    assert_eq!(
        with_code(&findings, codes::INVALID_REGEX),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 11)]
    );
    assert!(
        message(&findings, codes::INVALID_REGEX)
            .contains("invalid or unsupported Perl syntax: `(?<`")
    );
}

#[test]
fn go_rust_divergence_is_a_warning() {
    let repo = Repo::lanes().edit(PROD_POLICY, "-[a-f0-9]+-", r"-[a-f0-9]+\>-");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::INVALID_REGEX),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 11)]
    );
    assert!(message(&findings, codes::INVALID_REGEX).contains("a literal `<` or `>`"));
}

#[test]
fn exclusion_list_entries_are_go_regexes() {
    let repo = Repo::lanes().edit(
        REPOSITORIES,
        "  interval: 1m0s\n",
        "  interval: 1m0s\n  exclusionList:\n    - '^.*\\.sig$'\n    - '^(?!production).*'\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::INVALID_REGEX),
        vec![(Severity::Error, REPOSITORIES.to_owned(), 11)]
    );
    let fixed = Repo::lanes().edit(
        REPOSITORIES,
        "  interval: 1m0s\n",
        "  interval: 1m0s\n  exclusionList:\n    - '^.*\\.sig$'\n    - '^.*-rc[0-9]*$'\n",
    );
    assert_eq!(fixed.lint(), vec![]);
}

// image-policy::unanchored -------------------------------------------------------------------

#[test]
fn unanchored_filter_in_a_lane_is_an_error() {
    let repo = Repo::lanes().edit(PROD_POLICY, "pattern: '^production", "pattern: 'production");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNANCHORED),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 11)]
    );
    assert!(message(&findings, codes::UNANCHORED).contains("e.g. `preproduction-v0.0.0-0-0`"));
}

#[test]
fn unanchored_filter_outside_lanes_is_a_warning() {
    let policy = POLICY
        .replace("{lane}", "apps")
        .replace("'^apps-v", "'apps-v");
    let repo = Repo::lanes().with("clusters/shared/policy.yaml", &policy);
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNANCHORED),
        vec![(
            Severity::Warning,
            "clusters/shared/policy.yaml".to_owned(),
            11
        )]
    );
}

#[test]
fn filter_without_end_anchor_or_extract() {
    let repo = Repo::lanes()
        .edit(PROD_POLICY, "-(?P<ts>[0-9]+)$'", "-(?P<ts>[0-9]+)'")
        .edit(PROD_POLICY, "    extract: '$ts'\n", "")
        .edit(
            PROD_POLICY,
            "numerical:\n      order: asc",
            "alphabetical:\n      order: asc",
        );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNANCHORED),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 11)]
    );
    assert!(message(&findings, codes::UNANCHORED).contains("no trailing `$`"));
    // With an extract, the trailing part is not ordered: no finding.
    let with_extract = Repo::lanes().edit(PROD_POLICY, "-(?P<ts>[0-9]+)$'", "-(?P<ts>[0-9]+)'");
    assert!(with_code(&with_extract.lint(), codes::UNANCHORED).is_empty());
}

// image-policy::extract-group ----------------------------------------------------------------

#[test]
fn extract_names_an_unknown_group() {
    let repo = Repo::lanes().edit(PROD_POLICY, "extract: '$ts'", "extract: '$ts_utc'");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 12)]
    );
    assert!(message(&findings, codes::EXTRACT_GROUP).contains("write `${ts}_utc`"));
}

#[test]
fn extract_references_nothing() {
    let repo = Repo::lanes().edit(PROD_POLICY, "extract: '$ts'", "extract: 'ts'");
    let findings = repo.lint();
    let extract = with_code(&findings, codes::EXTRACT_GROUP);
    assert!(
        extract.contains(&(Severity::Error, PROD_POLICY.to_owned(), 12)),
        "{extract:?}"
    );
    assert!(message(&findings, codes::EXTRACT_GROUP).contains("references no capture group"));
}

#[test]
fn extract_of_an_optional_group_is_a_warning() {
    let repo = Repo::lanes().edit(PROD_POLICY, "-(?P<ts>[0-9]+)$'", "(-(?P<ts>[0-9]+))?$'");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 12)]
    );
}

#[test]
fn numerical_values_with_non_digits() {
    let repo = Repo::lanes().edit(PROD_POLICY, "-(?P<ts>[0-9]+)$'", "-(?P<ts>[0-9-]+)$'");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 12)]
    );
    assert!(message(&findings, codes::EXTRACT_GROUP).contains("e.g. `-`"));
}

#[test]
fn numerical_values_beyond_float64_precision() {
    let repo = Repo::lanes().edit(PROD_POLICY, "-(?P<ts>[0-9]+)$'", "-(?P<ts>[0-9]{17})$'");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 12)]
    );
    // Unbounded digits are fine until a pinned tag shows long values.
    let pinned = Repo::lanes().edit(PROD_OVERLAY, "-1770000000", "-17700000001234567");
    let findings = pinned.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 12)]
    );
}

#[test]
fn semver_policy_on_values_that_are_never_versions() {
    let repo = Repo::lanes()
        .edit(
            PROD_POLICY,
            r"pattern: '^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'",
            r"pattern: '^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'",
        )
        .edit(
            PROD_POLICY,
            "numerical:\n      order: asc",
            "semver:\n      range: '>=1.0.0'",
        );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 12)]
    );
    let fixed = Repo::lanes()
        .edit(
            PROD_POLICY,
            "v[0-9]+\\.[0-9]+\\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'",
            "v(?P<v>[0-9]+\\.[0-9]+\\.[0-9]+)-[a-f0-9]+-[0-9]+$'",
        )
        .edit(PROD_POLICY, "extract: '$ts'", "extract: '$v'")
        .edit(
            PROD_POLICY,
            "numerical:\n      order: asc",
            "semver:\n      range: '>=1.0.0'",
        );
    assert_eq!(fixed.lint(), vec![]);
}

#[test]
fn several_policy_choices() {
    let repo = Repo::lanes().edit(
        PROD_POLICY,
        "numerical:\n      order: asc",
        "numerical:\n      order: asc\n    alphabetical:\n      order: asc",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXTRACT_GROUP),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 14)],
        "points at the choice that is ignored"
    );
    assert!(message(&findings, codes::EXTRACT_GROUP).contains("uses only `alphabetical`"));
}

// image-policy::unsortable-tags -------------------------------------------------------------

const PROD_PATTERN: &str = r"'^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'";

/// The production policy with another filter and choice.
fn prod_policy(pattern: &str, extract: &str, choice: &str) -> Repo {
    Repo::lanes()
        .edit(PROD_POLICY, PROD_PATTERN, pattern)
        .edit(PROD_POLICY, "extract: '$ts'", extract)
        .edit(PROD_POLICY, "numerical:\n      order: asc", choice)
}

#[test]
fn alphabetical_over_commit_shas() {
    let repo = prod_policy(
        r"'^production-v[0-9]+\.[0-9]+\.[0-9]+-(?P<sha>[a-f0-9]+)-[0-9]+$'",
        "extract: '$sha'",
        "alphabetical:\n      order: asc",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNSORTABLE_TAGS),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 14)]
    );
    let text = message(&findings, codes::UNSORTABLE_TAGS);
    assert!(text.contains("like a commit SHA (`3f9a2c1`)"), "{text}");
}

#[test]
fn alphabetical_over_variable_width_numbers() {
    let repo = prod_policy(
        PROD_PATTERN,
        "extract: '$ts'",
        "alphabetical:\n      order: asc",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNSORTABLE_TAGS),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 14)]
    );
    let text = message(&findings, codes::UNSORTABLE_TAGS);
    assert!(text.contains("`9` sorts after `10`"), "{text}");
    assert!(text.contains("use `numerical: {order: asc}`"), "{text}");
    // Whole version tags: the major version decides, and a semver policy is the fix.
    let versions = prod_policy(
        r"'^production-v[0-9]+\.[0-9]+\.[0-9]+$'",
        "",
        "alphabetical:\n      order: asc",
    )
    .edit(PROD_POLICY, "    \n", "")
    .edit(
        PROD_OVERLAY,
        "production-v1.2.3-abc1234-1770000000",
        "production-v1.2.3",
    );
    let text = message(&versions.lint(), codes::UNSORTABLE_TAGS);
    assert!(
        text.contains("`production-v9.0.0` sorts after `production-v10.0.0`"),
        "{text}"
    );
}

#[test]
fn alphabetical_over_fixed_width_timestamps_is_sortable() {
    let repo = prod_policy(
        r"'^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]{10})$'",
        "extract: '$ts'",
        "alphabetical:\n      order: asc",
    );
    assert_eq!(repo.lint(), vec![]);
}

// image-policy::order-desc -------------------------------------------------------------------

#[test]
fn numerical_order_desc_selects_the_oldest() {
    let repo = Repo::lanes().edit(PROD_POLICY, "order: asc", "order: desc");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::ORDER_DESC),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 15)]
    );
    assert!(message(&findings, codes::ORDER_DESC).contains("the oldest tag"));
    // The default order is fine, written or not.
    let unset = Repo::lanes().edit(PROD_POLICY, "numerical:\n      order: asc", "numerical: {}");
    assert_eq!(unset.lint(), vec![]);
}

#[test]
fn alphabetical_order_desc_over_dates() {
    let repo = prod_policy(
        r"'^production-(?P<date>[0-9]{8}T[0-9]{6})-[a-f0-9]+$'",
        "extract: '$date'",
        "alphabetical:\n      order: desc",
    )
    .edit(
        PROD_OVERLAY,
        "production-v1.2.3-abc1234-1770000000",
        "production-20260528T153652-abc1234",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::ORDER_DESC),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 15)]
    );
    assert!(
        message(&findings, codes::ORDER_DESC).contains("(e.g. `00000000T000000`)"),
        "{}",
        message(&findings, codes::ORDER_DESC)
    );
    let asc = repo.edit(PROD_POLICY, "order: desc", "order: asc");
    assert_eq!(asc.lint(), vec![]);
}

// image-policy::semver-range -----------------------------------------------------------------

/// The production policy ordering the `X.Y.Z` of its tags with a semver range.
fn semver_policy(range: &str) -> Repo {
    prod_policy(
        r"'^production-v(?P<v>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]+-[0-9]+$'",
        "extract: '$v'",
        &format!("semver:\n      range: '{range}'"),
    )
}

#[test]
fn semver_range_masterminds_rejects() {
    let findings = semver_policy(">=1.2.0 && <2.0.0").lint();
    assert_eq!(
        with_code(&findings, codes::SEMVER_RANGE),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 15)]
    );
    let text = message(&findings, codes::SEMVER_RANGE);
    assert!(
        text.contains("(improper constraint: >=1.2.0 && <2.0.0)"),
        "{text}"
    );
    assert!(text.contains("not `&&`"), "{text}");
    // A single `|` passes Masterminds' validation and fails as a version.
    let pipe = semver_policy(">=1.2.0 | >=2.0.0").lint();
    let text = message(&pipe, codes::SEMVER_RANGE);
    assert!(text.contains("(constraint parser error)"), "{text}");
    assert!(text.contains("write `||`"), "{text}");
}

#[test]
fn semver_ranges_masterminds_accepts() {
    for range in [">=1.2.0 <2.0.0 || ^3", "1.2 - 1.4.5", "~1.2", "1.x", "*"] {
        assert_eq!(semver_policy(range).lint(), vec![], "{range}");
    }
    // Substituted by Flux at build time: not judged.
    assert!(with_code(&semver_policy("${RANGE}").lint(), codes::SEMVER_RANGE).is_empty());
}

/// What a user reads for the most common semver mistake, word for word.
#[test]
fn semver_range_finding_text() {
    let findings = semver_policy(">= 1.0.0 | < 2.0.0").lint();
    let found: Vec<String> = findings
        .iter()
        .filter(|f| f.code == codes::SEMVER_RANGE)
        .map(|f| {
            format!(
                "{}\nhelp: {}",
                f.message,
                f.help.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            "semver range `>= 1.0.0 | < 2.0.0` of ImagePolicy `backend` is not a valid \
             Masterminds/semver constraint (constraint parser error): image-reflector-controller \
             stalls the policy with reason InvalidPolicy\n\
             help: a single `|` is not an OR: Masterminds reads it as part of a version; write `||`"
        ]
    );
}

// image-policy::semver-prerelease ------------------------------------------------------------

#[test]
fn semver_range_excluding_every_prerelease_value() {
    let repo = prod_policy(
        r"'^production-v(?P<v>[0-9]+\.[0-9]+\.[0-9]+-rc\.[0-9]+)$'",
        "extract: '$v'",
        "semver:\n      range: '>=1.0.0'",
    )
    .edit(
        PROD_OVERLAY,
        "production-v1.2.3-abc1234-1770000000",
        "production-v1.2.3-rc.1",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SEMVER_PRERELEASE),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 15)]
    );
    let text = message(&findings, codes::SEMVER_PRERELEASE);
    assert!(
        text.contains("only orders prerelease versions (e.g. `0.0.0-rc.0`)"),
        "{text}"
    );
    assert!(text.contains("e.g. `>=1.0.0-0`"), "{text}");
    let opted_in = repo.edit(PROD_POLICY, "range: '>=1.0.0'", "range: '>=1.0.0-0'");
    assert_eq!(opted_in.lint(), vec![]);
}

#[test]
fn semver_range_excluding_the_pinned_prerelease() {
    let repo = prod_policy(
        r"'^production-v(?P<v>[0-9]+\.[0-9]+\.[0-9]+(-rc\.[0-9]+)?)$'",
        "extract: '$v'",
        "semver:\n      range: '^1.0'",
    )
    .edit(
        PROD_OVERLAY,
        "production-v1.2.3-abc1234-1770000000",
        "production-v1.2.3-rc.1",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SEMVER_PRERELEASE),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 15)]
    );
    assert!(
        message(&findings, codes::SEMVER_PRERELEASE)
            .contains("the tag `production-v1.2.3-rc.1` pinned")
    );
    // A pinned release: prereleases are just filtered out, as intended.
    let release = repo.edit(PROD_OVERLAY, "production-v1.2.3-rc.1", "production-v1.2.3");
    assert_eq!(release.lint(), vec![]);
}

// image-policy::interval-reflection ----------------------------------------------------------

#[test]
fn interval_needs_digest_reflection_always() {
    let interval = Repo::lanes().edit(PROD_POLICY, "  policy:\n", "  interval: 10m\n  policy:\n");
    let findings = interval.lint();
    assert_eq!(
        with_code(&findings, codes::INTERVAL_REFLECTION),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 13)]
    );
    assert!(message(&findings, codes::INTERVAL_REFLECTION).contains("only accepted when"));

    let always = Repo::lanes().edit(
        PROD_POLICY,
        "  policy:\n",
        "  digestReflectionPolicy: Always\n  policy:\n",
    );
    let findings = always.lint();
    assert_eq!(
        with_code(&findings, codes::INTERVAL_REFLECTION),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 13)]
    );
    assert!(message(&findings, codes::INTERVAL_REFLECTION).contains("IntervalNotConfigured"));

    let both = always.edit(PROD_POLICY, "  policy:\n", "  interval: 10m\n  policy:\n");
    assert_eq!(both.lint(), vec![]);
}

// image-policy::substituted ------------------------------------------------------------------

#[test]
fn braced_extract_is_substituted_by_flux() {
    let repo = Repo::lanes().edit(PROD_POLICY, "extract: '$ts'", "extract: '${ts}'");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SUBSTITUTED),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 12)]
    );
    let text = message(&findings, codes::SUBSTITUTED);
    assert!(text.contains("contains `${ts}`"), "{text}");
    assert!(text.contains("write `$ts`"), "{text}");
    assert!(text.contains("escape it as `$${ts}`"), "{text}");
    // Opted out of substitution: Flux leaves the object alone.
    let opted_out = repo.edit(
        PROD_POLICY,
        "  namespace: production\n",
        "  namespace: production\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n",
    );
    assert_eq!(opted_out.lint(), vec![]);
}

#[test]
fn braced_variables_in_commit_templates() {
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "messageTemplate: 'Update production backend image'",
        "messageTemplate: 'Update ${LANE} backend image'",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SUBSTITUTED),
        vec![(Severity::Warning, PROD_AUTOMATION.to_owned(), 17)]
    );
    assert!(message(&findings, codes::SUBSTITUTED).contains("escape it as `$${LANE}`"));
    let go_variables = Repo::lanes().edit(
        PROD_AUTOMATION,
        "messageTemplate: 'Update production backend image'",
        "messageTemplate: '{{ range $f, $c := .Changed.FileChanges }}{{ $f }}{{ end }}'",
    );
    assert_eq!(go_variables.lint(), vec![]);
}

// image-policy::lane-overlap -----------------------------------------------------------------

#[test]
fn a_lane_policy_accepting_another_lanes_tags() {
    let repo = Repo::lanes().edit(PROD_POLICY, "'^production-v", "'^(production|staging)-v");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::LANE_OVERLAP),
        vec![
            (Severity::Error, PROD_POLICY.to_owned(), 11),
            (Severity::Error, PROD_POLICY.to_owned(), 11)
        ]
    );
    let text = message(&findings, codes::LANE_OVERLAP);
    assert!(text.contains("also keeps tags of lane `staging`"), "{text}");
    assert!(text.contains("accepts `staging-v0.0.0-0-0`"), "{text}");
    assert!(
        text.contains("can both select tag `staging-v0.0.0-0-0`"),
        "{text}"
    );
}

#[test]
fn two_lanes_selecting_the_same_tag() {
    let repo = Repo::lanes()
        .edit(
            PROD_POLICY,
            r"'^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'",
            r"'^v[0-9]+\.[0-9]+\.(?P<ts>[0-9]+)$'",
        )
        .edit(
            STAGING_POLICY,
            r"'^staging-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'",
            r"'^v[0-9]+\.[0-9]+\.(?P<ts>[0-9]+)$'",
        )
        .edit(
            PROD_OVERLAY,
            "production-v1.2.3-abc1234-1770000000",
            "v1.2.3",
        )
        .edit(
            "apps/backend/staging/kustomization.yaml",
            "staging-v1.2.3-abc1234-1770000000",
            "v1.2.3",
        );
    let findings = repo.lint();
    let overlap = with_code(&findings, codes::LANE_OVERLAP);
    assert!(
        overlap.contains(&(Severity::Error, PROD_POLICY.to_owned(), 11)),
        "{overlap:?}"
    );
    assert!(message(&findings, codes::LANE_OVERLAP).contains("can both select tag `v0.0.0`"));
}

#[test]
fn a_lane_policy_without_filter_keeps_every_lanes_tags() {
    let repo = Repo::lanes()
        .edit(PROD_POLICY, "  filterTags:\n", "")
        .edit(
            PROD_POLICY,
            r"    pattern: '^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'
",
            "",
        )
        .edit(PROD_POLICY, "    extract: '$ts'\n", "")
        .edit(
            PROD_POLICY,
            "numerical:\n      order: asc",
            "alphabetical:\n      order: asc",
        );
    let findings = repo.lint();
    assert!(
        with_code(&findings, codes::LANE_OVERLAP).contains(&(
            Severity::Error,
            PROD_POLICY.to_owned(),
            4
        )),
        "{findings:#?}"
    );
    assert!(message(&findings, codes::LANE_OVERLAP).contains("missing `filterTags`"));
}

#[test]
fn undecidable_overlap_is_a_warning() {
    let repo = Repo::lanes().edit(
        PROD_POLICY,
        r"'^production-v[0-9]+\.[0-9]+\.[0-9]+-[a-f0-9]+-(?P<ts>[0-9]+)$'",
        r"'^production-[ab]*a[ab]{40}-(?P<ts>[0-9]+)$'",
    );
    let findings = repo.lint();
    let overlap = with_code(&findings, codes::LANE_OVERLAP);
    assert!(!overlap.is_empty(), "{findings:#?}");
    assert!(
        overlap
            .iter()
            .all(|(s, p, l)| *s == Severity::Warning && p == PROD_POLICY && *l == 11)
    );
    assert!(message(&findings, codes::LANE_OVERLAP).contains("too large to decide"));
}

// image-policy::repository-ref ---------------------------------------------------------------

#[test]
fn policy_refers_to_a_missing_repository() {
    let repo = Repo::lanes().edit(PROD_POLICY, "    name: backend\n", "    name: backnd\n");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::REPOSITORY_REF),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 8)]
    );
}

#[test]
fn cross_namespace_reference_needs_access_from() {
    let repo = Repo::lanes().edit(REPOSITORIES, "  accessFrom:\n    namespaceSelectors:\n      - matchLabels:\n          environment: staging\n      - matchLabels:\n          environment: production\n", "");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::REPOSITORY_REF),
        vec![
            (Severity::Error, PROD_POLICY.to_owned(), 8),
            (Severity::Error, STAGING_POLICY.to_owned(), 8)
        ]
    );
    assert!(message(&findings, codes::REPOSITORY_REF).contains("no `spec.accessFrom`"));
}

#[test]
fn access_from_must_match_the_namespace_labels() {
    let repo = Repo::lanes().edit(REPOSITORIES, "environment: production", "environment: prod");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::REPOSITORY_REF),
        vec![(Severity::Error, PROD_POLICY.to_owned(), 8)]
    );
    // Without the Namespace object the labels are unknown: no finding.
    let unknown = repo.without("infrastructure/namespaces.yaml");
    assert!(with_code(&unknown.lint(), codes::REPOSITORY_REF).is_empty());
}

// image-policy::orphan -----------------------------------------------------------------------

#[test]
fn policy_used_by_no_marker() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        " # {\"$imagepolicy\": \"production:backend:tag\"}",
        "",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::ORPHAN),
        vec![(Severity::Warning, PROD_POLICY.to_owned(), 4)]
    );
}

// image-repository::invalid-image / exclusion-override ----------------------------------------

#[test]
fn repository_image_with_tag_or_scheme() {
    for (image, what) in [
        ("ghcr.io/acme/backend:latest", "includes the tag `:latest`"),
        (
            "https://ghcr.io/acme/backend",
            "includes the URL scheme `https://`",
        ),
        ("ghcr.io/acme/backend@sha256:0123", "includes the digest"),
        ("ghcr.io/Acme/backend", "upper-case"),
    ] {
        let repo = Repo::lanes().edit(
            REPOSITORIES,
            "image: ghcr.io/acme/backend",
            &format!("image: {image}"),
        );
        let findings = repo.lint();
        assert_eq!(
            with_code(&findings, codes::INVALID_IMAGE),
            vec![(Severity::Error, REPOSITORIES.to_owned(), 7)],
            "{image}"
        );
        assert!(
            message(&findings, codes::INVALID_IMAGE).contains(what),
            "{image}"
        );
    }
    let port = Repo::lanes().edit(
        REPOSITORIES,
        "image: ghcr.io/acme/backend",
        "image: registry.local:5000/acme/backend",
    );
    assert!(with_code(&port.lint(), codes::INVALID_IMAGE).is_empty());
}

#[test]
fn exclusion_list_replacing_the_signature_default() {
    let repo = Repo::lanes().edit(
        REPOSITORIES,
        "  interval: 1m0s\n",
        "  interval: 1m0s\n  exclusionList:\n    - '^.*-rc[0-9]*$'\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::EXCLUSION_OVERRIDE),
        vec![(Severity::Warning, REPOSITORIES.to_owned(), 10)]
    );
}

// setter::invalid ----------------------------------------------------------------------------

#[test]
fn malformed_markers() {
    for (marker, what) in [
        (
            r#"# {"$imagepolicy": "production:backend:tag"} # pinned"#,
            "text after",
        ),
        (
            r#"# {'$imagepolicy': 'production:backend:tag'}"#,
            "single quotes",
        ),
        (
            r#"# {"$imagepolicy": "backend:tag:x"}"#,
            "unknown suffix `:x`",
        ),
        (r#"# {"$imagepolicy": "backend"}"#, "no namespace"),
        (r#"# {"$imagepolicy": "production/backend"}"#, "with `/`"),
        (r#"# {"$imagepolicy": "production::tag"}"#, "empty part"),
        (
            r#"# {"$imagepolicy": "production:backend:version"}"#,
            "unknown suffix `:version`",
        ),
    ] {
        let repo = Repo::lanes().edit(
            PROD_OVERLAY,
            r#"# {"$imagepolicy": "production:backend:tag"}"#,
            marker,
        );
        let findings = repo.lint();
        assert_eq!(
            with_code(&findings, codes::SETTER_INVALID),
            vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)],
            "{marker}"
        );
        assert!(
            message(&findings, codes::SETTER_INVALID).contains(what),
            "{marker}: {findings:#?}"
        );
    }
}

#[test]
fn markers_inside_strings_are_invisible() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "images:\n  - name: ghcr.io/acme/backend\n    newTag: production-v1.2.3-abc1234-1770000000 # {\"$imagepolicy\": \"production:backend:tag\"}\n",
        "patches:\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000 # {\"$imagepolicy\": \"production:backend\"}\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_INVALID),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 14)]
    );
    assert!(message(&findings, codes::SETTER_INVALID).contains("inside a string value"));
}

#[test]
fn markers_in_files_the_controller_never_reads() {
    let repo = Repo::lanes().with(
        "apps/backend/production/deployment.yaml.tmpl",
        "image: ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000 # {\"$imagepolicy\": \"production:backend\"}\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_INVALID),
        vec![(
            Severity::Error,
            "apps/backend/production/deployment.yaml.tmpl".to_owned(),
            1
        )]
    );
    assert!(message(&findings, codes::SETTER_INVALID).contains("never reads"));
}

#[test]
fn markers_not_on_a_scalar_line() {
    let own_line = Repo::lanes().edit(
        PROD_OVERLAY,
        "images:\n",
        "# {\"$imagepolicy\": \"production:backend:tag\"}\nimages:\n",
    );
    assert_eq!(
        with_code(&own_line.lint(), codes::SETTER_INVALID),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 8)]
    );
    let after_key = Repo::lanes().edit(
        PROD_OVERLAY,
        "images:\n",
        "images: # {\"$imagepolicy\": \"production:backend:tag\"}\n",
    );
    assert_eq!(
        with_code(&after_key.lint(), codes::SETTER_INVALID),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 8)]
    );
    // Commented-out YAML and prose mentioning the token are left alone, and a head comment
    // above a sequence item is read by kyaml.
    let quiet = Repo::lanes()
        .edit(
            PROD_OVERLAY,
            "images:\n",
            "# Markers look like $imagepolicy comments.\n#  newTag: x # {\"$imagepolicy\": \"production:backend:tag\"}\nimages:\n",
        )
        .with(
            "apps/backend/production/args.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: args\n  namespace: production\ndata:\n  list:\n    # {\"$imagepolicy\": \"production:backend:tag\"}\n    - production-v1.2.3-abc1234-1770000000\n",
        );
    assert!(
        with_code(&quiet.lint(), codes::SETTER_INVALID).is_empty(),
        "{:#?}",
        quiet.lint()
    );
}

// setter::unknown-policy ---------------------------------------------------------------------

#[test]
fn marker_names_a_missing_policy() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "\"production:backend:tag\"",
        "\"prod:backend:tag\"",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_UNKNOWN_POLICY),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)]
    );
    assert!(message(&findings, codes::SETTER_UNKNOWN_POLICY).contains("`production/backend`"));
}

// setter::not-automated ----------------------------------------------------------------------

#[test]
fn marker_outside_every_update_path() {
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "path: ./apps/backend/production",
        "path: ./apps/frontend/production",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_NOT_AUTOMATED),
        vec![
            (Severity::Error, PROD_AUTOMATION.to_owned(), 21),
            (Severity::Error, PROD_OVERLAY.to_owned(), 10)
        ]
    );
    let text = message(&findings, codes::SETTER_NOT_AUTOMATED);
    assert!(text.contains("matches no YAML file"), "{text}");
    assert!(text.contains("does not contain this file"), "{text}");
}

#[test]
fn an_automation_of_another_repository_walks_that_repository() {
    // `update.path` names a directory of the repository the automation writes to: when its
    // GitRepository is another repository, this checkout says nothing about it.
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "path: ./apps/backend/production",
        "path: ./components",
    );
    assert!(!with_code(&repo.lint(), codes::SETTER_NOT_AUTOMATED).is_empty());
    let source = repo
        .files
        .iter()
        .find(|(path, _)| path == PROD_AUTOMATION)
        .and_then(|(_, text)| {
            let at = text.find("sourceRef:")?;
            let name = text[at..].find("name: ")? + at + "name: ".len();
            Some(text[name..].lines().next()?.trim().to_owned())
        })
        .unwrap();
    let config = Config {
        other_repositories: [source].into_iter().collect(),
        ..Config::default()
    };
    let findings = repo.lint_with(&config);
    let automation: Vec<_> = with_code(&findings, codes::SETTER_NOT_AUTOMATED)
        .into_iter()
        .filter(|(_, path, _)| path == PROD_AUTOMATION)
        .collect();
    assert!(automation.is_empty(), "{automation:?}");
}

#[test]
fn marker_policy_not_selected() {
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "  update:\n",
        "  policySelector:\n    matchLabels:\n      promote: \"true\"\n  update:\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_NOT_AUTOMATED),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)]
    );
    assert!(
        message(&findings, codes::SETTER_NOT_AUTOMATED).contains("policySelector (promote=true)")
    );
    // The automation's side is automation::selector-empty, not "applies to no marker".
    assert_eq!(
        with_code(&findings, codes::AUTOMATION_SELECTOR_EMPTY),
        vec![(Severity::Warning, PROD_AUTOMATION.to_owned(), 20)]
    );
    let labelled = repo.edit(
        PROD_POLICY,
        "  namespace: production\n",
        "  namespace: production\n  labels:\n    promote: \"true\"\n",
    );
    assert!(with_code(&labelled.lint(), codes::SETTER_NOT_AUTOMATED).is_empty());
}

#[test]
fn marker_without_automation_in_its_namespace() {
    let repo = Repo::lanes().without(PROD_AUTOMATION).edit(
        PROD_OVERLAY,
        "  - image-automation.yaml\n",
        "",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_NOT_AUTOMATED),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 9)]
    );
    assert!(
        message(&findings, codes::SETTER_NOT_AUTOMATED)
            .contains("only applies ImagePolicies of the automation's own namespace")
    );
}

#[test]
fn update_path_leaving_the_repository() {
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "path: ./apps/backend/production",
        "path: ../../production",
    );
    let findings = repo.lint();
    assert!(
        with_code(&findings, codes::SETTER_NOT_AUTOMATED).contains(&(
            Severity::Error,
            PROD_AUTOMATION.to_owned(),
            21
        ))
    );
    assert!(message(&findings, codes::SETTER_NOT_AUTOMATED).contains("leaves the repository"));
}

// setter::field-shape ------------------------------------------------------------------------

fn deployment_with_marker(image: &str, marker: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\n  namespace: production\nspec:\n  template:\n    spec:\n      containers:\n        - name: worker\n          image: {image} # {{\"$imagepolicy\": \"{marker}\"}}\n"
    )
}

#[test]
fn marker_shapes() {
    let path = "apps/backend/production/worker.yaml";
    for (image, marker, what) in [
        (
            "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
            "production:backend:tag",
            "a full image reference",
        ),
        (
            "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
            "production:backend:name",
            "carries a tag",
        ),
        (
            "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
            "production:backend:digest",
            "`:digest` marker on `image`",
        ),
    ] {
        let repo = Repo::lanes().with(path, &deployment_with_marker(image, marker));
        let findings = repo.lint();
        assert_eq!(
            with_code(&findings, codes::SETTER_FIELD_SHAPE),
            vec![(Severity::Error, path.to_owned(), 11)],
            "{marker}"
        );
        assert!(
            message(&findings, codes::SETTER_FIELD_SHAPE).contains(what),
            "{marker}"
        );
    }
    let fine = Repo::lanes().with(
        path,
        &deployment_with_marker(
            "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
            "production:backend",
        ),
    );
    assert_eq!(fine.lint(), vec![]);
}

#[test]
fn full_marker_on_new_tag_and_marker_on_images_name() {
    let full = Repo::lanes().edit(PROD_OVERLAY, "production:backend:tag", "production:backend");
    let findings = full.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_FIELD_SHAPE),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)]
    );
    assert!(
        message(&findings, codes::SETTER_FIELD_SHAPE)
            .contains("writes `name:tag` into a tag field")
    );

    let on_name = Repo::lanes().edit(
        PROD_OVERLAY,
        "  - name: ghcr.io/acme/backend\n    newTag: production-v1.2.3-abc1234-1770000000 # {\"$imagepolicy\": \"production:backend:tag\"}",
        "  - name: ghcr.io/acme/backend # {\"$imagepolicy\": \"production:backend:name\"}\n    newTag: production-v1.2.3-abc1234-1770000000 # {\"$imagepolicy\": \"production:backend:tag\"}",
    );
    let findings = on_name.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_FIELD_SHAPE),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 9)]
    );
    assert!(message(&findings, codes::SETTER_FIELD_SHAPE).contains("`images[].name`"));
}

#[test]
fn digest_marker_needs_digest_reflection() {
    let marked = Repo::lanes().edit(
        PROD_OVERLAY,
        "1770000000 # {\"$imagepolicy\": \"production:backend:tag\"}\n",
        "1770000000 # {\"$imagepolicy\": \"production:backend:tag\"}\n    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000 # {\"$imagepolicy\": \"production:backend:digest\"}\n",
    );
    let findings = marked.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_FIELD_SHAPE),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 11)]
    );
    assert!(
        message(&findings, codes::SETTER_FIELD_SHAPE).contains("digestReflectionPolicy `unset`")
    );
    let reflecting = marked.edit(
        PROD_POLICY,
        "  policy:\n",
        "  digestReflectionPolicy: IfNotPresent\n  policy:\n",
    );
    assert_eq!(reflecting.lint(), vec![]);
}

#[test]
fn full_marker_on_a_digest_pinned_image_needs_digest_reflection() {
    let path = "apps/backend/production/worker.yaml";
    let image = "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let repo = Repo::lanes().with(path, &deployment_with_marker(image, "production:backend"));
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_FIELD_SHAPE),
        vec![(Severity::Error, path.to_owned(), 11)]
    );
    assert!(message(&findings, codes::SETTER_FIELD_SHAPE).contains("without the digest"));
    let reflecting = repo.edit(
        PROD_POLICY,
        "  policy:\n",
        "  digestReflectionPolicy: IfNotPresent\n  policy:\n",
    );
    assert_eq!(reflecting.lint(), vec![]);
}

// image::unmatched-images-entry (static digest, sources) -------------------------------------

#[test]
fn static_digest_beside_an_automated_tag() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "\"production:backend:tag\"}\n",
        "\"production:backend:tag\"}\n    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNMATCHED_IMAGES_ENTRY),
        vec![(Severity::Warning, PROD_OVERLAY.to_owned(), 11)]
    );
}

// image::unknown-field ----------------------------------------------------------------------

#[test]
fn images_entry_with_new_digest() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "\"production:backend:tag\"}\n",
        "\"production:backend:tag\"}\n    newDigest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::UNKNOWN_FIELD),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 11)]
    );
    let text = message(&findings, codes::UNKNOWN_FIELD);
    assert!(text.contains("json: unknown field \"newDigest\""), "{text}");
    assert!(text.contains("did you mean `digest`?"), "{text}");

    let not_a_mapping = Repo::lanes().edit(
        PROD_OVERLAY,
        "images:\n",
        "images:\n  - ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000\n",
    );
    assert_eq!(
        with_code(&not_a_mapping.lint(), codes::UNKNOWN_FIELD),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 9)]
    );
}

#[test]
fn images_entry_fields_kustomize_knows() {
    // Go's encoding/json matches field names case-insensitively; `tagSuffix` is kustomize's.
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "  - name: ghcr.io/acme/backend\n",
        "  - name: ghcr.io/acme/backend\n    tagSuffix: -debug\n  - Name: nginx\n    NewTag: 1.27.0\n",
    );
    assert_eq!(repo.lint(), vec![]);
    // A Flux Kustomization's `spec.images` are guardrails-flux-api's schema check.
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: backend\n  namespace: flux-system\nspec:\n  path: ./apps/backend/production\n  images:\n    - name: ghcr.io/acme/backend\n      newDigest: sha256:00\n";
    let with_flux = Repo::lanes().with("clusters/production/backend.yaml", flux);
    assert!(with_code(&with_flux.lint(), codes::UNKNOWN_FIELD).is_empty());
}

// image::lane-mismatch (sources) -------------------------------------------------------------

#[test]
fn staging_tag_pinned_in_production() {
    // The seeds' incident: a `staging-*` tag pinned under the production marker.
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "newTag: production-v1.2.3",
        "newTag: staging-v1.2.3",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::LANE_MISMATCH),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)]
    );
    assert!(
        message(&findings, codes::LANE_MISMATCH)
            .contains("`staging-v1.2.3-abc1234-1770000000` pinned")
    );
}

#[test]
fn production_file_with_a_staging_marker() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "\"production:backend:tag\"",
        "\"staging:backend:tag\"",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::LANE_MISMATCH),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)],
        "one finding: the marker, not also the value judged by the wrong filter"
    );
    assert!(
        message(&findings, codes::LANE_MISMATCH)
            .contains("belongs to lane `production` but its setter marker `staging:backend:tag`")
    );
}

// automation::* ------------------------------------------------------------------------------

#[test]
fn automation_source_must_be_a_git_repository_of_the_repo() {
    let kind = Repo::lanes().edit(
        PROD_AUTOMATION,
        "kind: GitRepository",
        "kind: OCIRepository",
    );
    assert_eq!(
        with_code(&kind.lint(), codes::AUTOMATION_SOURCE_REF),
        vec![(Severity::Error, PROD_AUTOMATION.to_owned(), 9)]
    );
    let name = Repo::lanes().edit(
        PROD_AUTOMATION,
        "    name: flux-system\n",
        "    name: flux-sytem\n",
    );
    assert_eq!(
        with_code(&name.lint(), codes::AUTOMATION_SOURCE_REF),
        vec![(Severity::Error, PROD_AUTOMATION.to_owned(), 10)]
    );
    // GitRepositories defined elsewhere: nothing to compare against.
    let elsewhere = name.without("infrastructure/git-repository.yaml");
    assert!(with_code(&elsewhere.lint(), codes::AUTOMATION_SOURCE_REF).is_empty());
}

#[test]
fn automation_strategy_must_be_setters() {
    let repo = Repo::lanes().edit(PROD_AUTOMATION, "strategy: Setters", "strategy: Pull");
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::AUTOMATION_STRATEGY),
        vec![(Severity::Error, PROD_AUTOMATION.to_owned(), 22)]
    );
}

#[test]
fn automation_template_uses_updated() {
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "messageTemplate: 'Update production backend image'",
        "messageTemplate: '{{range .Updated.Images}}{{println .}}{{end}}'",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::AUTOMATION_TEMPLATE),
        vec![(Severity::Error, PROD_AUTOMATION.to_owned(), 17)]
    );
    let unclosed = Repo::lanes().edit(
        PROD_AUTOMATION,
        "messageTemplate: 'Update production backend image'",
        "messageTemplate: 'Update {{ .AutomationObject'",
    );
    assert!(message(&unclosed.lint(), codes::AUTOMATION_TEMPLATE).contains("unclosed action"));
    let fine = Repo::lanes().edit(
        PROD_AUTOMATION,
        "messageTemplate: 'Update production backend image'",
        "messageTemplate: |\n        Update {{ .AutomationObject }}\n        {{ range .Changed.Changes }}- {{ .NewValue }}\n        {{ end }}",
    );
    assert_eq!(fine.lint(), vec![]);
}

#[test]
fn two_automations_for_one_file() {
    let second = AUTOMATION
        .replace("{lane}", "production")
        .replace("  name: backend\n", "  name: everything\n")
        .replace("path: ./apps/backend/production", "path: ./apps");
    let repo = Repo::lanes().with("apps/automation-production.yaml", &second);
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::AUTOMATION_OVERLAP),
        vec![(
            Severity::Warning,
            "apps/automation-production.yaml".to_owned(),
            21
        )]
    );
}

#[test]
fn policy_selector_selecting_no_marked_policy() {
    let repo = Repo::lanes().edit(
        PROD_AUTOMATION,
        "  update:\n",
        "  policySelector:\n    matchExpressions:\n      - key: app\n        operator: In\n        values: [frontend]\n  update:\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::AUTOMATION_SELECTOR_EMPTY),
        vec![(Severity::Warning, PROD_AUTOMATION.to_owned(), 20)]
    );
    let text = message(&findings, codes::AUTOMATION_SELECTOR_EMPTY);
    assert!(
        text.contains("policySelector (app in (frontend))"),
        "{text}"
    );
    assert!(text.contains("`production/backend` (no labels)"), "{text}");
    let labelled = repo.edit(
        PROD_POLICY,
        "  namespace: production\n",
        "  namespace: production\n  labels:\n    app: frontend\n",
    );
    assert_eq!(labelled.lint(), vec![]);
}

// Namespaces and labels from overlays ---------------------------------------------------------

#[test]
fn overlay_namespace_and_labels_apply_to_base_objects() {
    // A policy without namespace in a base, placed by the overlay's `namespace:`; the
    // automation selects it by a label the overlay adds.
    let policy = POLICY
        .replace("{lane}", "production")
        .replace("  namespace: production\n", "");
    let repo = Repo::lanes()
        .with(PROD_POLICY, &policy)
        .edit(
            PROD_OVERLAY,
            "namespace: production\n",
            "namespace: production\ncommonLabels:\n  promote: \"true\"\n",
        )
        .edit(
            PROD_AUTOMATION,
            "  update:\n",
            "  policySelector:\n    matchLabels:\n      promote: \"true\"\n  update:\n",
        );
    assert_eq!(repo.lint(), vec![]);
}

// Render rules --------------------------------------------------------------------------------

fn rendered(namespace: &str, image: &str) -> Vec<Node> {
    parse_documents(
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: backend\n  namespace: {namespace}\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: migrate\n          image: busybox:latest\n      containers:\n        - name: backend\n          image: {image}\n"
        ),
        &Limits::default(),
    )
    .unwrap()
}

fn lint_render(repo: &Repo, dir: &str, objects: &[Node]) -> Vec<Finding> {
    let files = [
        format!("{dir}/kustomization.yaml"),
        "apps/backend/base/kustomization.yaml".to_owned(),
    ];
    let read: Vec<&str> = files.iter().map(String::as_str).collect();
    repo.index().lint_render(&Render {
        label: dir,
        dir,
        kustomization_files: &read,
        objects,
    })
}

#[test]
fn healthy_render_is_clean() {
    let objects = rendered(
        "production",
        "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
    );
    assert_eq!(
        lint_render(&Repo::lanes(), "apps/backend/production", &objects),
        vec![]
    );
}

#[test]
fn images_entry_matching_no_container() {
    let repo = Repo::lanes().edit(
        PROD_OVERLAY,
        "  - name: ghcr.io/acme/backend\n",
        "  - name: acme/backend\n",
    );
    let objects = rendered("production", "ghcr.io/acme/backend:latest");
    let findings = lint_render(&repo, "apps/backend/production", &objects);
    assert!(
        with_code(&findings, codes::UNMATCHED_IMAGES_ENTRY).contains(&(
            Severity::Error,
            PROD_OVERLAY.to_owned(),
            9
        )),
        "{findings:#?}"
    );
    assert!(
        message(&findings, codes::UNMATCHED_IMAGES_ENTRY)
            .contains("did you mean `ghcr.io/acme/backend`?")
    );
    // A renamed image matches by its old name.
    let renamed = Repo::lanes().edit(
        PROD_OVERLAY,
        "  - name: ghcr.io/acme/backend\n",
        "  - name: acme/backend\n    newName: ghcr.io/acme/backend\n",
    );
    let objects = rendered(
        "production",
        "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
    );
    let source = DEPLOYMENT.replace("ghcr.io/acme/backend:latest", "acme/backend:latest");
    let renamed = renamed.with("apps/backend/base/deployment.yaml", &source);
    assert!(
        with_code(
            &lint_render(&renamed, "apps/backend/production", &objects),
            codes::UNMATCHED_IMAGES_ENTRY
        )
        .is_empty()
    );
}

#[test]
fn flux_kustomization_images_are_checked_against_their_build() {
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: backend-production\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/backend/production\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  images:\n    - name: ghcr.io/acme/backnd\n      newTag: production-v1.2.3-abc1234-1770000000\n";
    let repo = Repo::lanes().with("clusters/production/backend.yaml", flux);
    let objects = rendered(
        "production",
        "ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000",
    );
    let read = [
        "apps/backend/production/kustomization.yaml",
        "apps/backend/base/kustomization.yaml",
        "clusters/production/backend.yaml",
    ];
    let findings = repo.index().lint_render(&Render {
        label: "Flux Kustomization flux-system/backend-production",
        dir: "apps/backend/production",
        kustomization_files: &read,
        objects: &objects,
    });
    assert_eq!(
        with_code(&findings, codes::UNMATCHED_IMAGES_ENTRY),
        vec![(
            Severity::Error,
            "clusters/production/backend.yaml".to_owned(),
            14
        )]
    );
}

#[test]
fn rendered_tag_of_another_lane() {
    let objects = rendered(
        "production",
        "ghcr.io/acme/backend:staging-v1.2.3-abc1234-1770000000",
    );
    let findings = lint_render(&Repo::lanes(), "apps/backend/production", &objects);
    assert_eq!(
        with_code(&findings, codes::LANE_MISMATCH),
        vec![(Severity::Error, PROD_OVERLAY.to_owned(), 10)]
    );
    assert!(
        message(&findings, codes::LANE_MISMATCH).contains(
            "is in lane `production` but renders tag `staging-v1.2.3-abc1234-1770000000`"
        )
    );
}

#[test]
fn rendered_mutable_tags() {
    for (image, what) in [
        ("ghcr.io/acme/backend:latest", "`latest`"),
        ("ghcr.io/acme/backend", "no tag"),
        (
            "ghcr.io/acme/backend:production",
            "environment alias `production`",
        ),
    ] {
        let objects = rendered("production", image);
        let repo = Repo::lanes().edit(
            PROD_OVERLAY,
            "images:\n  - name: ghcr.io/acme/backend\n    newTag: production-v1.2.3-abc1234-1770000000 # {\"$imagepolicy\": \"production:backend:tag\"}\n",
            "",
        );
        let findings = lint_render(&repo, "apps/backend/production", &objects);
        let found = with_code(&findings, codes::MUTABLE_TAG);
        assert_eq!(found.len(), 1, "{image}: {findings:#?}");
        assert_eq!(found[0].0, Severity::Error);
        assert!(
            message(&findings, codes::MUTABLE_TAG).contains(what),
            "{image}"
        );
        if image.ends_with(":latest") {
            // Pointed at the source line the image comes from.
            assert_eq!(found[0].1, "apps/backend/base/deployment.yaml");
            assert_eq!(found[0].2, 10);
        }
    }
    // Digests are immutable; untracked images (busybox above) are not on the path.
    let pinned = rendered(
        "production",
        "ghcr.io/acme/backend@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    );
    assert_eq!(
        lint_render(&Repo::lanes(), "apps/backend/production", &pinned),
        vec![]
    );
}

#[test]
fn a_base_rendered_alone_is_not_a_lane() {
    let objects = parse_documents(DEPLOYMENT, &Limits::default()).unwrap();
    let findings = lint_render(&Repo::lanes(), "apps/backend/base", &objects);
    assert_eq!(findings, vec![]);
}

#[test]
fn markers_inside_quoted_strings_are_invisible() {
    let repo = Repo::lanes().with(
        "apps/backend/production/values.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  namespace: production\ndata:\n  image: \"ghcr.io/acme/backend:production-v1.2.3-abc1234-1770000000 # {\\\"$imagepolicy\\\": \\\"production:backend\\\"}\"\n",
    );
    let findings = repo.lint();
    assert_eq!(
        with_code(&findings, codes::SETTER_INVALID),
        vec![(
            Severity::Error,
            "apps/backend/production/values.yaml".to_owned(),
            7
        )]
    );
}

#[test]
fn cron_job_templates_and_ephemeral_containers_are_workloads() {
    let objects = parse_documents(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\n  namespace: production\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: report\n              image: ghcr.io/acme/backend:staging\n          ephemeralContainers:\n            - name: debug\n              image: ghcr.io/acme/backend\n",
        &Limits::default(),
    )
    .unwrap();
    let findings = lint_render(&Repo::lanes(), "apps/backend/production", &objects);
    let found = with_code(&findings, codes::MUTABLE_TAG);
    assert_eq!(found.len(), 2, "{findings:#?}");
    assert!(
        found
            .iter()
            .all(|(s, p, _)| *s == Severity::Error && p == PROD_OVERLAY)
    );
    let text = message(&findings, codes::MUTABLE_TAG);
    assert!(
        text.contains("CronJob `production/report` (container `report`)"),
        "{text}"
    );
    assert!(text.contains("(container `debug`)"), "{text}");
}
