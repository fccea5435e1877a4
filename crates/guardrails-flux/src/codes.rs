//! Diagnostic codes of `flux-kustomize-validate`: a public interface, documented in the
//! README and snapshot-tested, so a rename shows up in review.

pub const YAML_SYNTAX: &str = "yaml::syntax";
pub const YAML_LIMIT: &str = "yaml::limit";
pub const YAML_NOT_TEXT: &str = "yaml::not-text";
pub const MISSING_PATH: &str = "kustomize::missing-path";
pub const BUILD_FAILED: &str = "kustomize::build-failed";
pub const PATCH_TARGET: &str = "kustomize::patch-target";
pub const PATCH_FAILED: &str = "kustomize::patch-failed";
pub const DUPLICATE_ID: &str = "kustomize::duplicate-id";
pub const CYCLE: &str = "kustomize::cycle";
pub const INVALID_KUSTOMIZATION: &str = "kustomize::invalid-kustomization";
pub const REPLACEMENT: &str = "kustomize::replacement";
pub const PATH_ESCAPES_ROOT: &str = "kustomize::path-escapes-root";
pub const REMOTE_BASE: &str = "kustomize::remote-base";
pub const HELM_CHARTS: &str = "kustomize::helm-charts";
pub const PLUGIN: &str = "kustomize::plugin";
pub const EMPTY: &str = "kustomize::empty";
pub const PATH_NOT_FOUND: &str = "flux::path-not-found";
/// Declared with the Flux API checks that raise it.
pub const SCHEMA: &str = guardrails_flux_api::codes::SCHEMA;
/// Declared with the Flux API checks that raise it.
pub const DEPRECATED_API: &str = guardrails_flux_api::codes::DEPRECATED_API;
pub const UNKNOWN_API: &str = guardrails_flux_api::codes::UNKNOWN_API;
pub const UNRESOLVED_VARIABLE: &str = "flux::unresolved-variable";
pub const SUBSTITUTION: &str = "flux::substitution";
pub const NOT_KUBERNETES: &str = "flux::not-kubernetes";
pub const COMPONENT: &str = "flux::component";
pub const EXTERNAL_SOURCE: &str = "flux::external-source";
pub const UNUSED: &str = "flux::unused";
pub const DUPLICATE_OBJECT: &str = "k8s::duplicate-object";
pub const TWO_OWNERS: &str = "flux::two-owners";
pub const MISSING_FIELD: &str = "k8s::missing-field";
pub const KUBERNETES_SCHEMA: &str = guardrails_flux_api::kubernetes::SCHEMA;
pub const KUBERNETES_REMOVED_API: &str = guardrails_flux_api::kubernetes::REMOVED_API;

/// Every code, in the order the README documents them.
pub const ALL: &[&str] = &[
    YAML_SYNTAX,
    YAML_LIMIT,
    YAML_NOT_TEXT,
    MISSING_PATH,
    BUILD_FAILED,
    PATCH_TARGET,
    PATCH_FAILED,
    DUPLICATE_ID,
    CYCLE,
    INVALID_KUSTOMIZATION,
    REPLACEMENT,
    PATH_ESCAPES_ROOT,
    REMOTE_BASE,
    HELM_CHARTS,
    PLUGIN,
    EMPTY,
    PATH_NOT_FOUND,
    SCHEMA,
    DEPRECATED_API,
    UNKNOWN_API,
    UNRESOLVED_VARIABLE,
    SUBSTITUTION,
    NOT_KUBERNETES,
    COMPONENT,
    EXTERNAL_SOURCE,
    UNUSED,
    TWO_OWNERS,
    DUPLICATE_OBJECT,
    MISSING_FIELD,
    KUBERNETES_SCHEMA,
    KUBERNETES_REMOVED_API,
];
