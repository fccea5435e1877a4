//! The typed definitions of the current Flux APIs this crate validates.
//!
//! Field lists, required fields, enums and types were read from the Go API types
//! (`fluxcd/source-controller:api/v1/{gitrepository,ocirepository,helmrepository}_types.go`,
//! `fluxcd/kustomize-controller:api/v1/kustomization_types.go`,
//! `fluxcd/image-reflector-controller:api/v1/{imagepolicy,imagerepository}_types.go`) and
//! from the CRD schemas of the Flux schema catalog (`fluxcd/flux-schema:catalog/latest/…`,
//! which also covers `helm.toolkit.fluxcd.io/v2` HelmRelease and
//! `image.toolkit.fluxcd.io/v1` ImageUpdateAutomation), as published for Flux 2.7 to 2.9.
//! A field is required when the CRD lists it as required and it has no default (the API
//! server applies defaults before validating, so a defaulted field is never missing).
//!
//! Where a release added fields that could not be read field by field (Kustomization
//! `spec.ignore`/`buildMetadata`/`postBuild.substituteStrategy` and the decryption and
//! kubeconfig options of 2.9, source `verify` options), the object is marked open or the
//! field is free-form: an unknown-field error there could be a false one.

use crate::apis::{IMAGE_GROUP, KUSTOMIZE_V1};
use crate::schema::{Obj, Ty, closed, open, opt, req};

/// The root schema of a Flux object of `kind` at `api_version`, when this crate has one.
pub(crate) fn root_schema(api_version: &str, kind: &str) -> Option<&'static Obj> {
    let source = "source.toolkit.fluxcd.io/v1";
    let helm = "helm.toolkit.fluxcd.io/v2";
    let image = format!("{IMAGE_GROUP}/v1");
    match (api_version, kind) {
        (v, "GitRepository") if v == source => Some(&GIT_REPOSITORY),
        (v, "OCIRepository") if v == source => Some(&OCI_REPOSITORY),
        (v, "HelmRepository") if v == source => Some(&HELM_REPOSITORY),
        (v, "Kustomization") if v == KUSTOMIZE_V1 => Some(&KUSTOMIZATION),
        (v, "HelmRelease") if v == helm => Some(&HELM_RELEASE),
        (v, "ImageRepository") if v == image => Some(&IMAGE_REPOSITORY),
        (v, "ImagePolicy") if v == image => Some(&IMAGE_POLICY),
        (v, "ImageUpdateAutomation") if v == image => Some(&IMAGE_UPDATE_AUTOMATION),
        _ => None,
    }
}

/// `apiVersion`, `kind`, `metadata`, `spec` and a `status` that is accepted and ignored.
macro_rules! root {
    ($spec:expr) => {
        closed(&[
            req("apiVersion", Ty::String),
            req("kind", Ty::String),
            opt("metadata", Ty::AnyMap),
            req("spec", Ty::Object(&$spec)),
            opt("status", Ty::Any),
        ])
    };
}

const STRINGS: Ty = Ty::Array(&Ty::String);
const STRING_MAP: Ty = Ty::Map(&Ty::String);

// Shared shapes (fluxcd/pkg/apis/meta, kustomize, acl).

/// `meta.LocalObjectReference`.
static LOCAL_REF: Obj = closed(&[req("name", Ty::String)]);

/// `meta.NamespacedObjectReference`.
static NAMESPACED_REF: Obj = closed(&[req("name", Ty::String), opt("namespace", Ty::String)]);

/// `dependsOn` items: a namespaced reference plus the CEL `readyExpr` (Flux 2.7).
static DEPENDENCY: Obj = closed(&[
    req("name", Ty::String),
    opt("namespace", Ty::String),
    opt("readyExpr", Ty::String),
]);

static COMMON_METADATA: Obj = closed(&[opt("annotations", STRING_MAP), opt("labels", STRING_MAP)]);

/// `meta.KubeConfigReference`; open because Flux 2.9 hardened kubeconfig references.
static KUBE_CONFIG: Obj = open(&[
    opt("configMapRef", Ty::Object(&LOCAL_REF)),
    opt("secretRef", Ty::Object(&SECRET_KEY_REF)),
]);

static SECRET_KEY_REF: Obj = closed(&[req("name", Ty::String), opt("key", Ty::String)]);

/// `kustomize.Selector`.
static SELECTOR: Obj = closed(&[
    opt("group", Ty::String),
    opt("version", Ty::String),
    opt("kind", Ty::String),
    opt("name", Ty::String),
    opt("namespace", Ty::String),
    opt("annotationSelector", Ty::String),
    opt("labelSelector", Ty::String),
]);

/// `kustomize.Patch`: the patch itself is a string of YAML or JSON, not looked into.
static PATCH: Obj = closed(&[
    req("patch", Ty::String),
    opt("target", Ty::Object(&SELECTOR)),
]);

/// `kustomize.Image`.
static IMAGE: Obj = closed(&[
    req("name", Ty::String),
    opt("newName", Ty::String),
    opt("newTag", Ty::String),
    opt("digest", Ty::String),
]);

/// `kustomize.CustomHealthCheck`. `kind` became optional in Flux 2.9, so it is not required.
static HEALTH_CHECK_EXPR: Obj = closed(&[
    req("apiVersion", Ty::String),
    opt("kind", Ty::String),
    req("current", Ty::String),
    opt("inProgress", Ty::String),
    opt("failed", Ty::String),
]);

/// `meta.NamespacedObjectKindReference`.
static KIND_REF: Obj = closed(&[
    opt("apiVersion", Ty::String),
    req("kind", Ty::String),
    req("name", Ty::String),
    opt("namespace", Ty::String),
]);

/// Drift ignore rules: HelmRelease `driftDetection.ignore`, Kustomization `ignore` (2.9).
static IGNORE_RULE: Obj = closed(&[req("paths", STRINGS), opt("target", Ty::Object(&SELECTOR))]);

/// `acl.AccessFrom`.
static ACCESS_FROM: Obj = closed(&[req(
    "namespaceSelectors",
    Ty::Array(&Ty::Object(&NAMESPACE_SELECTOR)),
)]);

static NAMESPACE_SELECTOR: Obj = closed(&[opt("matchLabels", STRING_MAP)]);

/// `metav1.LabelSelector`.
static LABEL_SELECTOR: Obj = closed(&[
    opt("matchLabels", STRING_MAP),
    opt(
        "matchExpressions",
        Ty::Array(&Ty::Object(&LABEL_SELECTOR_REQUIREMENT)),
    ),
]);

static LABEL_SELECTOR_REQUIREMENT: Obj = closed(&[
    req("key", Ty::String),
    req("operator", Ty::String),
    opt("values", STRINGS),
]);

/// A Git reference: GitRepository `spec.ref`, ImageUpdateAutomation `git.checkout.ref`.
static GIT_REF: Obj = closed(&[
    opt("branch", Ty::String),
    opt("tag", Ty::String),
    opt("semver", Ty::String),
    opt("name", Ty::String),
    opt("commit", Ty::String),
]);

const AUTH_PROVIDERS: Ty = Ty::Enum(&["generic", "aws", "azure", "gcp"]);

// source.toolkit.fluxcd.io/v1 GitRepository

static GIT_REPOSITORY: Obj = root!(GIT_REPOSITORY_SPEC);

static GIT_REPOSITORY_SPEC: Obj = closed(&[
    req("url", Ty::Prefixed(&["http://", "https://", "ssh://"])),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
    // `aws` arrived with AWS CodeCommit workload identity (Flux 2.9).
    opt("provider", Ty::Enum(&["generic", "aws", "azure", "github"])),
    opt("serviceAccountName", Ty::String),
    req("interval", Ty::Duration),
    opt("timeout", Ty::ShortDuration),
    opt("ref", Ty::Object(&GIT_REF)),
    opt("verify", Ty::Object(&GIT_VERIFY)),
    opt("proxySecretRef", Ty::Object(&LOCAL_REF)),
    opt("ignore", Ty::String),
    opt("suspend", Ty::Boolean),
    opt("recurseSubmodules", Ty::Boolean),
    opt("include", Ty::Array(&Ty::Object(&GIT_INCLUDE))),
    opt("sparseCheckout", STRINGS),
]);

/// Open: Flux 2.9 added SSH keys for commit verification and may grow options here.
static GIT_VERIFY: Obj = open(&[
    opt("mode", Ty::Enum(&["head", "HEAD", "Tag", "TagAndHEAD"])),
    req("secretRef", Ty::Object(&LOCAL_REF)),
]);

static GIT_INCLUDE: Obj = closed(&[
    req("repository", Ty::Object(&LOCAL_REF)),
    opt("fromPath", Ty::String),
    opt("toPath", Ty::String),
]);

// source.toolkit.fluxcd.io/v1 OCIRepository

static OCI_REPOSITORY: Obj = root!(OCI_REPOSITORY_SPEC);

static OCI_REPOSITORY_SPEC: Obj = closed(&[
    req("url", Ty::Prefixed(&["oci://"])),
    opt("ref", Ty::Object(&OCI_REF)),
    opt("layerSelector", Ty::Object(&OCI_LAYER_SELECTOR)),
    opt("provider", AUTH_PROVIDERS),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
    opt("verify", Ty::Object(&OCI_VERIFY)),
    opt("serviceAccountName", Ty::String),
    opt("certSecretRef", Ty::Object(&LOCAL_REF)),
    opt("proxySecretRef", Ty::Object(&LOCAL_REF)),
    req("interval", Ty::Duration),
    opt("timeout", Ty::ShortDuration),
    opt("ignore", Ty::String),
    opt("insecure", Ty::Boolean),
    opt("suspend", Ty::Boolean),
]);

static OCI_REF: Obj = closed(&[
    opt("digest", Ty::String),
    opt("semver", Ty::String),
    opt("semverFilter", Ty::String),
    opt("tag", Ty::String),
]);

static OCI_LAYER_SELECTOR: Obj = closed(&[
    opt("mediaType", Ty::String),
    opt("operation", Ty::Enum(&["extract", "copy"])),
]);

/// Open: `trustedRootSecretRef` (Flux 2.9) and further keyless options. `provider` is
/// required by the CRD but defaulted to `cosign`.
static OCI_VERIFY: Obj = open(&[
    opt("provider", Ty::Enum(&["cosign", "notation"])),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
    opt("matchOIDCIdentity", Ty::Array(&Ty::Object(&OIDC_IDENTITY))),
    opt("trustedRootSecretRef", Ty::Object(&LOCAL_REF)),
]);

static OIDC_IDENTITY: Obj = closed(&[req("issuer", Ty::String), req("subject", Ty::String)]);

// source.toolkit.fluxcd.io/v1 HelmRepository

static HELM_REPOSITORY: Obj = root!(HELM_REPOSITORY_SPEC);

static HELM_REPOSITORY_SPEC: Obj = closed(&[
    req("url", Ty::Prefixed(&["http://", "https://", "oci://"])),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
    opt("certSecretRef", Ty::Object(&LOCAL_REF)),
    opt("passCredentials", Ty::Boolean),
    // Optional: the Go field carries `omitempty` (the controller defaults to one minute).
    opt("interval", Ty::Duration),
    opt("insecure", Ty::Boolean),
    opt("timeout", Ty::ShortDuration),
    opt("suspend", Ty::Boolean),
    opt("accessFrom", Ty::Object(&ACCESS_FROM)),
    opt("type", Ty::Enum(&["default", "oci"])),
    opt("provider", AUTH_PROVIDERS),
]);

// kustomize.toolkit.fluxcd.io/v1 Kustomization

static KUSTOMIZATION: Obj = root!(KUSTOMIZATION_SPEC);

static KUSTOMIZATION_SPEC: Obj = closed(&[
    opt("commonMetadata", Ty::Object(&COMMON_METADATA)),
    opt("dependsOn", Ty::Array(&Ty::Object(&DEPENDENCY))),
    opt("decryption", Ty::Object(&DECRYPTION)),
    req("interval", Ty::Duration),
    opt("retryInterval", Ty::Duration),
    opt("kubeConfig", Ty::Object(&KUBE_CONFIG)),
    opt("path", Ty::String),
    opt("postBuild", Ty::Object(&POST_BUILD)),
    req("prune", Ty::Boolean),
    opt(
        "deletionPolicy",
        Ty::Enum(&["MirrorPrune", "Delete", "WaitForTermination", "Orphan"]),
    ),
    opt("healthChecks", Ty::Array(&Ty::Object(&KIND_REF))),
    opt("namePrefix", Ty::String),
    opt("nameSuffix", Ty::String),
    opt("patches", Ty::Array(&Ty::Object(&PATCH))),
    opt("images", Ty::Array(&Ty::Object(&IMAGE))),
    opt("serviceAccountName", Ty::String),
    req("sourceRef", Ty::Object(&KUSTOMIZATION_SOURCE_REF)),
    opt("suspend", Ty::Boolean),
    opt("targetNamespace", Ty::String),
    opt("timeout", Ty::Duration),
    opt("force", Ty::Boolean),
    opt("wait", Ty::Boolean),
    opt("components", STRINGS),
    opt("ignoreMissingComponents", Ty::Boolean),
    opt(
        "healthCheckExprs",
        Ty::Array(&Ty::Object(&HEALTH_CHECK_EXPR)),
    ),
    // Flux 2.9: server-side apply ignore rules.
    opt("ignore", Ty::Array(&Ty::Object(&IGNORE_RULE))),
    // Flux 2.8/2.9: shape not pinned down from the sources at hand.
    opt("buildMetadata", Ty::Any),
]);

static KUSTOMIZATION_SOURCE_REF: Obj = closed(&[
    opt("apiVersion", Ty::String),
    req(
        "kind",
        Ty::Enum(&[
            "GitRepository",
            "OCIRepository",
            "Bucket",
            "ExternalArtifact",
        ]),
    ),
    req("name", Ty::String),
    opt("namespace", Ty::String),
]);

/// Open: Flux 2.9 added OpenBao/Vault workload identity for SOPS.
static DECRYPTION: Obj = open(&[
    req("provider", Ty::Enum(&["sops"])),
    opt("serviceAccountName", Ty::String),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
]);

static POST_BUILD: Obj = closed(&[
    opt("substitute", STRING_MAP),
    opt("substituteFrom", Ty::Array(&Ty::Object(&SUBSTITUTE_FROM))),
    // kustomize-controller 1.9 (Flux 2.9): `WithVariables` (default) or `Always`; kept a
    // plain string because the enum was not read from the CRD itself.
    opt("substituteStrategy", Ty::String),
]);

static SUBSTITUTE_FROM: Obj = closed(&[
    req("kind", Ty::Enum(&["Secret", "ConfigMap"])),
    req("name", Ty::String),
    opt("optional", Ty::Boolean),
]);

// helm.toolkit.fluxcd.io/v2 HelmRelease

static HELM_RELEASE: Obj = root!(HELM_RELEASE_SPEC);

static HELM_RELEASE_SPEC: Obj = Obj {
    fields: &[
        opt("chart", Ty::Object(&HELM_CHART_TEMPLATE)),
        opt("chartRef", Ty::Object(&HELM_CHART_REF)),
        opt("commonMetadata", Ty::Object(&COMMON_METADATA)),
        req("interval", Ty::Duration),
        opt("kubeConfig", Ty::Object(&KUBE_CONFIG)),
        opt("suspend", Ty::Boolean),
        opt("releaseName", Ty::String),
        opt("targetNamespace", Ty::String),
        opt("storageNamespace", Ty::String),
        opt("dependsOn", Ty::Array(&Ty::Object(&DEPENDENCY))),
        opt("timeout", Ty::Duration),
        opt("maxHistory", Ty::Integer),
        opt("serviceAccountName", Ty::String),
        opt("persistentClient", Ty::Boolean),
        opt("driftDetection", Ty::Object(&DRIFT_DETECTION)),
        opt("install", Ty::Object(&HELM_INSTALL)),
        opt("upgrade", Ty::Object(&HELM_UPGRADE)),
        opt("test", Ty::Object(&HELM_TEST)),
        opt("rollback", Ty::Object(&HELM_ROLLBACK)),
        opt("uninstall", Ty::Object(&HELM_UNINSTALL)),
        opt("valuesFrom", Ty::Array(&Ty::Object(&VALUES_REFERENCE))),
        opt("values", Ty::Any),
        // Post-renderer internals are kustomize patches and images: left to kustomize.
        opt("postRenderers", Ty::Array(&Ty::Any)),
        opt(
            "postRenderStrategy",
            Ty::Enum(&["nohooks", "combined", "separate"]),
        ),
        opt(
            "healthCheckExprs",
            Ty::Array(&Ty::Object(&HEALTH_CHECK_EXPR)),
        ),
        opt("waitStrategy", Ty::Object(&WAIT_STRATEGY)),
    ],
    open: false,
    // CRD rule: "either chart or chartRef must be set".
    exactly_one_of: &[&["chart", "chartRef"]],
};

static HELM_CHART_TEMPLATE: Obj = closed(&[
    opt("metadata", Ty::Object(&COMMON_METADATA)),
    req("spec", Ty::Object(&HELM_CHART_TEMPLATE_SPEC)),
]);

static HELM_CHART_TEMPLATE_SPEC: Obj = closed(&[
    req("chart", Ty::String),
    opt("version", Ty::String),
    req("sourceRef", Ty::Object(&HELM_CHART_SOURCE_REF)),
    opt("interval", Ty::Duration),
    opt("reconcileStrategy", Ty::Enum(&["ChartVersion", "Revision"])),
    opt("valuesFiles", STRINGS),
    opt("ignoreMissingValuesFiles", Ty::Boolean),
    opt("verify", Ty::Object(&HELM_CHART_VERIFY)),
]);

static HELM_CHART_SOURCE_REF: Obj = closed(&[
    opt("apiVersion", Ty::String),
    req(
        "kind",
        Ty::Enum(&["HelmRepository", "GitRepository", "Bucket"]),
    ),
    req("name", Ty::String),
    opt("namespace", Ty::String),
]);

/// Open for the same reason as OCIRepository `verify`.
static HELM_CHART_VERIFY: Obj = open(&[
    opt("provider", Ty::Enum(&["cosign", "notation"])),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
]);

static HELM_CHART_REF: Obj = closed(&[
    opt("apiVersion", Ty::String),
    req(
        "kind",
        Ty::Enum(&["OCIRepository", "HelmChart", "ExternalArtifact"]),
    ),
    req("name", Ty::String),
    opt("namespace", Ty::String),
]);

static DRIFT_DETECTION: Obj = closed(&[
    opt("mode", Ty::Enum(&["enabled", "warn", "disabled"])),
    opt("ignore", Ty::Array(&Ty::Object(&IGNORE_RULE))),
]);

const CRDS_POLICY: Ty = Ty::Enum(&["Skip", "Create", "CreateReplace"]);
const SERVER_SIDE_APPLY: Ty = Ty::Enum(&["enabled", "disabled", "auto"]);

static HELM_INSTALL: Obj = closed(&[
    opt("timeout", Ty::Duration),
    opt("remediation", Ty::Object(&INSTALL_REMEDIATION)),
    opt("strategy", Ty::Object(&RELEASE_STRATEGY)),
    opt("disableWait", Ty::Boolean),
    opt("disableWaitForJobs", Ty::Boolean),
    opt("disableHooks", Ty::Boolean),
    opt("disableOpenAPIValidation", Ty::Boolean),
    opt("disableSchemaValidation", Ty::Boolean),
    opt("disableTakeOwnership", Ty::Boolean),
    opt("replace", Ty::Boolean),
    opt("skipCRDs", Ty::Boolean),
    opt("crds", CRDS_POLICY),
    opt("createNamespace", Ty::Boolean),
    // A boolean on install, an enum on upgrade and rollback (as the v2 CRD has it).
    opt("serverSideApply", Ty::Boolean),
]);

static INSTALL_REMEDIATION: Obj = closed(&[
    opt("retries", Ty::Integer),
    opt("ignoreTestFailures", Ty::Boolean),
    opt("remediateLastFailure", Ty::Boolean),
]);

static RELEASE_STRATEGY: Obj = closed(&[
    req("name", Ty::Enum(&["RemediateOnFailure", "RetryOnFailure"])),
    opt("retryInterval", Ty::Duration),
]);

static HELM_UPGRADE: Obj = closed(&[
    opt("timeout", Ty::Duration),
    opt("remediation", Ty::Object(&UPGRADE_REMEDIATION)),
    opt("strategy", Ty::Object(&RELEASE_STRATEGY)),
    opt("disableWait", Ty::Boolean),
    opt("disableWaitForJobs", Ty::Boolean),
    opt("disableHooks", Ty::Boolean),
    opt("disableOpenAPIValidation", Ty::Boolean),
    opt("disableSchemaValidation", Ty::Boolean),
    opt("disableTakeOwnership", Ty::Boolean),
    opt("force", Ty::Boolean),
    opt("preserveValues", Ty::Boolean),
    opt("cleanupOnFail", Ty::Boolean),
    opt("crds", CRDS_POLICY),
    opt("serverSideApply", SERVER_SIDE_APPLY),
    opt(
        "chartNameChangeStrategy",
        Ty::Enum(&["InPlaceUpdate", "Reinstall"]),
    ),
]);

static UPGRADE_REMEDIATION: Obj = closed(&[
    opt("retries", Ty::Integer),
    opt("ignoreTestFailures", Ty::Boolean),
    opt("remediateLastFailure", Ty::Boolean),
    opt("strategy", Ty::Enum(&["rollback", "uninstall"])),
]);

static HELM_TEST: Obj = closed(&[
    opt("enable", Ty::Boolean),
    opt("timeout", Ty::Duration),
    opt("ignoreFailures", Ty::Boolean),
    opt("filters", Ty::Array(&Ty::Object(&TEST_FILTER))),
]);

static TEST_FILTER: Obj = closed(&[req("name", Ty::String), opt("exclude", Ty::Boolean)]);

static HELM_ROLLBACK: Obj = closed(&[
    opt("timeout", Ty::Duration),
    opt("disableWait", Ty::Boolean),
    opt("disableWaitForJobs", Ty::Boolean),
    opt("disableHooks", Ty::Boolean),
    opt("recreate", Ty::Boolean),
    opt("force", Ty::Boolean),
    opt("cleanupOnFail", Ty::Boolean),
    opt("serverSideApply", SERVER_SIDE_APPLY),
]);

static HELM_UNINSTALL: Obj = closed(&[
    opt("timeout", Ty::Duration),
    opt("disableHooks", Ty::Boolean),
    opt("keepHistory", Ty::Boolean),
    opt("disableWait", Ty::Boolean),
    opt(
        "deletionPropagation",
        Ty::Enum(&["background", "foreground", "orphan"]),
    ),
]);

static VALUES_REFERENCE: Obj = closed(&[
    req("kind", Ty::Enum(&["Secret", "ConfigMap"])),
    req("name", Ty::String),
    opt("valuesKey", Ty::String),
    opt("targetPath", Ty::String),
    opt("optional", Ty::Boolean),
    // Flux 2.9: `--set-literal` semantics.
    opt("literal", Ty::Boolean),
]);

static WAIT_STRATEGY: Obj = closed(&[req("name", Ty::Enum(&["poller", "legacy"]))]);

// image.toolkit.fluxcd.io/v1 ImageRepository

static IMAGE_REPOSITORY: Obj = root!(IMAGE_REPOSITORY_SPEC);

static IMAGE_REPOSITORY_SPEC: Obj = closed(&[
    req("image", Ty::String),
    req("interval", Ty::Duration),
    opt("timeout", Ty::ShortDuration),
    opt("secretRef", Ty::Object(&LOCAL_REF)),
    opt("proxySecretRef", Ty::Object(&LOCAL_REF)),
    opt("serviceAccountName", Ty::String),
    opt("certSecretRef", Ty::Object(&LOCAL_REF)),
    opt("suspend", Ty::Boolean),
    opt("accessFrom", Ty::Object(&ACCESS_FROM)),
    opt("exclusionList", STRINGS),
    opt("provider", AUTH_PROVIDERS),
    opt("insecure", Ty::Boolean),
]);

// image.toolkit.fluxcd.io/v1 ImagePolicy

static IMAGE_POLICY: Obj = root!(IMAGE_POLICY_SPEC);

static IMAGE_POLICY_SPEC: Obj = closed(&[
    req("imageRepositoryRef", Ty::Object(&NAMESPACED_REF)),
    req("policy", Ty::Object(&IMAGE_POLICY_CHOICE)),
    opt("filterTags", Ty::Object(&TAG_FILTER)),
    opt(
        "digestReflectionPolicy",
        Ty::Enum(&["Never", "IfNotPresent", "Always"]),
    ),
    opt("interval", Ty::Duration),
    opt("suspend", Ty::Boolean),
]);

static IMAGE_POLICY_CHOICE: Obj = closed(&[
    opt("semver", Ty::Object(&SEMVER_POLICY)),
    opt("alphabetical", Ty::Object(&ORDER_POLICY)),
    opt("numerical", Ty::Object(&ORDER_POLICY)),
]);

static SEMVER_POLICY: Obj = closed(&[req("range", Ty::String)]);

static ORDER_POLICY: Obj = closed(&[opt("order", Ty::Enum(&["asc", "desc"]))]);

/// Both fields are optional: the Go fields lack `omitempty` but carry `+optional`.
static TAG_FILTER: Obj = closed(&[opt("pattern", Ty::String), opt("extract", Ty::String)]);

// image.toolkit.fluxcd.io/v1 ImageUpdateAutomation

static IMAGE_UPDATE_AUTOMATION: Obj = root!(IMAGE_UPDATE_AUTOMATION_SPEC);

static IMAGE_UPDATE_AUTOMATION_SPEC: Obj = closed(&[
    req("sourceRef", Ty::Object(&AUTOMATION_SOURCE_REF)),
    opt("git", Ty::Object(&GIT_SPEC)),
    req("interval", Ty::Duration),
    opt("policySelector", Ty::Object(&LABEL_SELECTOR)),
    opt("update", Ty::Object(&UPDATE_STRATEGY)),
    opt("suspend", Ty::Boolean),
]);

/// `kind` is required by the CRD but defaulted to `GitRepository`, so never missing.
static AUTOMATION_SOURCE_REF: Obj = closed(&[
    opt("apiVersion", Ty::String),
    opt("kind", Ty::Enum(&["GitRepository"])),
    req("name", Ty::String),
    opt("namespace", Ty::String),
]);

static GIT_SPEC: Obj = closed(&[
    opt("checkout", Ty::Object(&GIT_CHECKOUT)),
    req("commit", Ty::Object(&COMMIT_SPEC)),
    opt("push", Ty::Object(&PUSH_SPEC)),
]);

static GIT_CHECKOUT: Obj = closed(&[req("ref", Ty::Object(&GIT_REF))]);

static COMMIT_SPEC: Obj = closed(&[
    req("author", Ty::Object(&COMMIT_USER)),
    opt("signingKey", Ty::Object(&SIGNING_KEY)),
    opt("messageTemplate", Ty::String),
    opt("messageTemplateValues", STRING_MAP),
]);

static COMMIT_USER: Obj = closed(&[opt("name", Ty::String), req("email", Ty::String)]);

/// `type` (`gpg` or `ssh`) arrived with SSH commit signing in Flux 2.9.
static SIGNING_KEY: Obj = closed(&[
    req("secretRef", Ty::Object(&LOCAL_REF)),
    opt("type", Ty::Enum(&["gpg", "ssh"])),
]);

static PUSH_SPEC: Obj = closed(&[
    opt("branch", Ty::String),
    opt("refspec", Ty::String),
    opt("options", STRING_MAP),
]);

/// `strategy` is defaulted to `Setters`, the only strategy there is.
static UPDATE_STRATEGY: Obj = closed(&[
    opt("strategy", Ty::Enum(&["Setters"])),
    opt("path", Ty::String),
]);
