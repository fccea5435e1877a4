//! Writes the OpenAPI schemas of the built-in Kubernetes kinds the hook validates into
//! `$OUT_DIR/kubernetes-schemas.json`, generated from the `k8s-openapi` bindings (one
//! Kubernetes release, chosen by the feature below) through their `schemars` impls.
//!
//! The generator runs at build time only: the binaries embed a compact JSON document
//! (descriptions removed) and never link the bindings themselves.

use std::path::PathBuf;

use k8s_openapi::Resource;
use serde_json::{Map, Value};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let mut generator = schemars::SchemaGenerator::default();
    let mut roots = Map::new();
    macro_rules! kinds {
        ($($ty:ty),* $(,)?) => {$(
            let schema = generator.subschema_for::<$ty>();
            let key = format!("{}/{}", <$ty as Resource>::API_VERSION, <$ty as Resource>::KIND);
            roots.insert(key, schema.to_value());
        )*};
    }
    use k8s_openapi::api::{
        admissionregistration, apps, autoscaling, batch, certificates, coordination, core,
        discovery, flowcontrol, networking, node, policy, rbac, scheduling, storage,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
    use k8s_openapi::kube_aggregator::pkg::apis::apiregistration;
    // The GA kinds a GitOps repository applies. Alpha and beta APIs are left out: a
    // cluster serves them only when a feature gate says so, and they change shape.
    kinds!(
        admissionregistration::v1::MutatingWebhookConfiguration,
        admissionregistration::v1::ValidatingWebhookConfiguration,
        admissionregistration::v1::ValidatingAdmissionPolicy,
        admissionregistration::v1::ValidatingAdmissionPolicyBinding,
        admissionregistration::v1::MutatingAdmissionPolicy,
        admissionregistration::v1::MutatingAdmissionPolicyBinding,
        apiextensions::v1::CustomResourceDefinition,
        apiregistration::v1::APIService,
        apps::v1::ControllerRevision,
        apps::v1::DaemonSet,
        apps::v1::Deployment,
        apps::v1::ReplicaSet,
        apps::v1::StatefulSet,
        autoscaling::v1::HorizontalPodAutoscaler,
        autoscaling::v2::HorizontalPodAutoscaler,
        batch::v1::CronJob,
        batch::v1::Job,
        certificates::v1::CertificateSigningRequest,
        coordination::v1::Lease,
        core::v1::ConfigMap,
        core::v1::Endpoints,
        core::v1::LimitRange,
        core::v1::Namespace,
        core::v1::PersistentVolume,
        core::v1::PersistentVolumeClaim,
        core::v1::Pod,
        core::v1::PodTemplate,
        core::v1::ReplicationController,
        core::v1::ResourceQuota,
        core::v1::Secret,
        core::v1::Service,
        core::v1::ServiceAccount,
        discovery::v1::EndpointSlice,
        flowcontrol::v1::FlowSchema,
        flowcontrol::v1::PriorityLevelConfiguration,
        networking::v1::Ingress,
        networking::v1::IngressClass,
        networking::v1::NetworkPolicy,
        node::v1::RuntimeClass,
        policy::v1::PodDisruptionBudget,
        rbac::v1::ClusterRole,
        rbac::v1::ClusterRoleBinding,
        rbac::v1::Role,
        rbac::v1::RoleBinding,
        scheduling::v1::PriorityClass,
        storage::v1::CSIDriver,
        storage::v1::StorageClass,
        storage::v1::VolumeAttributesClass,
    );
    let mut definitions = generator.take_definitions(true);
    definitions.values_mut().for_each(strip_descriptions);
    for (definition, field, values) in ENUMS {
        let Some(property) = definitions
            .get_mut(*definition)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*field))
        else {
            panic!("{definition}.{field} is not in the k8s-openapi schemas: update ENUMS");
        };
        // A list of enumerated strings (`accessModes`) takes the enum on its items.
        let target = match property.get_mut("items") {
            Some(items) => items,
            None => property,
        };
        target["enum"] = Value::from(values.to_vec());
    }
    let document = serde_json::json!({
        "release": KUBERNETES_RELEASE,
        "roots": roots,
        "definitions": definitions,
    });
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let text = serde_json::to_string(&document).expect("a JSON value serialises");
    std::fs::write(out.join("kubernetes-schemas.json"), text).expect("OUT_DIR is writable");
}

/// Enumerated string fields the API server validates value by value. The bindings carry
/// no enums (the OpenAPI document lists them only in descriptions), so these come from the
/// `+enum` types of k8s.io/api (`core/v1/types.go`, `apps/v1/types.go`, `batch/v1/types.go`,
/// `networking/v1/types.go`, `rbac/v1/types.go`) and the validation that checks them
/// (k8s.io/kubernetes `pkg/apis/*/validation`). Only fields whose every allowed value is
/// listed; a field that also accepts the empty string is left out.
const ENUMS: &[(&str, &str, &[&str])] = &[
    (
        "io.k8s.api.core.v1.Container",
        "imagePullPolicy",
        &["Always", "Never", "IfNotPresent"],
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "imagePullPolicy",
        &["Always", "Never", "IfNotPresent"],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "restartPolicy",
        &["Always", "OnFailure", "Never"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "dnsPolicy",
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "type",
        &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "sessionAffinity",
        &["ClientIP", "None"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ipFamilyPolicy",
        &["SingleStack", "PreferDualStack", "RequireDualStack"],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "accessModes",
        &[
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "volumeMode",
        &["Block", "Filesystem"],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        "type",
        &["Recreate", "RollingUpdate"],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetSpec",
        "podManagementPolicy",
        &["OrderedReady", "Parallel"],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetUpdateStrategy",
        "type",
        &["RollingUpdate", "OnDelete"],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetUpdateStrategy",
        "type",
        &["RollingUpdate", "OnDelete"],
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        "concurrencyPolicy",
        &["Allow", "Forbid", "Replace"],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressPath",
        "pathType",
        &["Exact", "Prefix", "ImplementationSpecific"],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        "policyTypes",
        &["Ingress", "Egress"],
    ),
    (
        "io.k8s.api.rbac.v1.Subject",
        "kind",
        &["User", "Group", "ServiceAccount"],
    ),
];

/// The release the `k8s-openapi` feature in Cargo.toml selects (`v1_37`).
const KUBERNETES_RELEASE: &str = "1.37";

/// Documentation is most of the bytes and none of the checks. `value` is a schema, or the
/// map of named schemas under `properties` and the definitions, whose keys are field
/// names (PriorityClass has a field called `description`).
fn strip_descriptions(value: &mut Value) {
    strip_schema(value);
}

fn strip_schema(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    map.remove("description");
    for (keyword, child) in map.iter_mut() {
        match (keyword.as_str(), child) {
            ("properties" | "$defs" | "definitions", Value::Object(named)) => {
                named.values_mut().for_each(strip_schema);
            }
            (_, Value::Array(items)) => items.iter_mut().for_each(strip_schema),
            (_, child @ Value::Object(_)) => strip_schema(child),
            _ => {}
        }
    }
}
