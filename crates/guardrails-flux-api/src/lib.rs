//! Offline, typed validation of Flux CD objects against their current API versions, and
//! the table of deprecated and removed Flux API versions.
//!
//! [`check_object`] looks at one parsed YAML document. When it is a Flux object (its
//! `apiVersion` is in a `*.toolkit.fluxcd.io` group) it reports:
//!
//! - an `apiVersion` the target Flux release deprecates or no longer serves
//!   ([`codes::DEPRECATED_API`], one code whatever the group), or one it does not know
//!   ([`codes::UNKNOWN_API`]);
//! - for a current version of GitRepository, OCIRepository, HelmRepository, Kustomization,
//!   HelmRelease, ImageRepository, ImagePolicy and ImageUpdateAutomation, every schema
//!   problem ([`codes::SCHEMA`]): unknown fields, wrong types, missing required fields,
//!   values outside an enum, malformed durations and URLs.
//!
//! Every [`Finding`] carries the span of the key or value it is about, so the caller can
//! print a file and a line.
//!
//! It errs on the side of silence: a finding here blocks a commit, so anything the API
//! server might accept is accepted (`${VAR}` placeholders that Flux substitutes later,
//! YAML 1.1 booleans, integers written as `3.0`, explicit nulls), and objects whose shape
//! could have grown in a release this table could not read are left open.
//!
//! It never touches the network or a cluster, never reads files or the environment, never
//! validates `metadata` (other tools check ObjectMeta) nor `status`, and never prints.

mod apis;
mod kinds;
pub mod kubernetes;
mod schema;
mod version;

use guardrails_yaml::{Node, Span};

pub use apis::{ApiStatus, api_status, is_flux_api};
pub use schema::closest;
pub use version::{FluxVersion, ParseFluxVersionError};

/// The stable finding codes.
pub mod codes {
    /// Unknown field, wrong type, missing required field, invalid enum value, malformed
    /// duration or URL in a current Flux API version. Error.
    pub const SCHEMA: &str = "flux::schema";
    /// A deprecated (Warning) or removed (Error) Flux API version, whatever the group.
    pub const DEPRECATED_API: &str = "flux::deprecated-api";
    /// An `apiVersion`/`kind` in a Flux group that the target release does not serve and
    /// this crate does not know as removed: a typo, or a version from a newer release.
    /// Warning.
    pub const UNKNOWN_API: &str = "flux::unknown-api";
}

/// How serious a finding is (shared by every check of the suite).
pub use guardrails_diagnostics::Severity;

/// One problem in one Flux object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// One of [`codes`].
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// The key or value the finding is about.
    pub span: Span,
    /// A required field is absent: what a patch (a parent Kustomization's `spec.patches`
    /// applied to the render) may still add; everything else is wrong whatever is added.
    pub missing: bool,
    /// The field the finding is about, from the object's root; empty when it is about the
    /// object as a whole (or not yet recorded, as for Flux schema findings).
    pub path: kubernetes::FieldPath,
}

/// Checks one document if it is a Flux object (by apiVersion group *.toolkit.fluxcd.io);
/// returns no findings for any other object.
///
/// The API version is judged for the target release `flux`. Schema checks run only on
/// current versions, against the newest schema this crate knows (Flux 2.9): for an older
/// target, fields added since are accepted.
pub fn check_object(doc: &Node, flux: FluxVersion) -> Vec<Finding> {
    check(doc, flux, false)
}

/// Checks one document of a kustomize patch file (`patches[].path`,
/// `patchesStrategicMerge`): a partial object, so only what a patch can get wrong is
/// reported — API versions, unknown fields (with "did you mean"), wrong types and values —
/// never a required field the patched object already has.
pub fn check_patch(doc: &Node, flux: FluxVersion) -> Vec<Finding> {
    check(doc, flux, true)
}

fn check(doc: &Node, flux: FluxVersion, partial: bool) -> Vec<Finding> {
    // The API table starts at Flux 2.0 (the first GA APIs): what a 0.x release served is
    // not judged, rather than judged wrongly.
    if flux < FluxVersion::new(2, 0) {
        return Vec::new();
    }
    let Some(api_node) = doc.get("apiVersion") else {
        return Vec::new();
    };
    let Some(api_version) = api_node.as_str() else {
        return Vec::new();
    };
    if !is_flux_api(api_version) {
        return Vec::new();
    }
    // Without a kind there is no schema to pick; object sanity is other checks' job.
    let Some(kind_node) = doc.get("kind") else {
        return Vec::new();
    };
    let Some(kind) = kind_node.as_str() else {
        return Vec::new();
    };
    match api_status(api_version, kind, flux) {
        ApiStatus::Current => match kinds::root_schema(api_version, kind) {
            Some(root) => {
                let mut checker = if partial {
                    schema::Checker::partial(kind, api_version)
                } else {
                    schema::Checker::new(kind, api_version)
                };
                checker.object(doc, root, "", kind_node.span);
                checker.findings
            }
            None => Vec::new(),
        },
        ApiStatus::Deprecated { replacement } => {
            let removal = apis::removal_of(api_version, kind)
                .filter(|removed| *removed > flux)
                .map(|removed| format!(" and removed in Flux {removed}"))
                .unwrap_or_default();
            vec![Finding {
                code: codes::DEPRECATED_API,
                severity: Severity::Warning,
                message: format!(
                    "{api_version} is deprecated{removal}; use {replacement} (run `flux migrate`)"
                ),
                help: Some(format!(
                    "Flux {flux} still serves {kind} {api_version}; `flux migrate -f .` rewrites \
                     the Flux objects in the repository to the current API versions"
                )),
                span: api_node.span,
                missing: false,
                path: kubernetes::FieldPath::default(),
            }]
        }
        ApiStatus::Removed {
            replacement,
            removed_in,
        } => vec![Finding {
            code: codes::DEPRECATED_API,
            severity: Severity::Error,
            message: format!(
                "{api_version} was removed in Flux {removed_in}; use {replacement} (run `flux migrate`)"
            ),
            help: Some(format!(
                "Flux {flux} no longer serves it: applying this object fails with \
                 `no matches for kind \"{kind}\" in version \"{api_version}\"`; \
                 `flux migrate -f .` rewrites the Flux objects in the repository"
            )),
            span: api_node.span,
            missing: false,
            path: kubernetes::FieldPath::default(),
        }],
        ApiStatus::Unknown => vec![unknown_api(api_node, kind_node, api_version, kind, flux)],
    }
}

fn unknown_api(
    api_node: &Node,
    kind_node: &Node,
    api_version: &str,
    kind: &str,
    flux: FluxVersion,
) -> Finding {
    let known_kinds = apis::kinds_of_group(api_version);
    if !known_kinds.is_empty() && !known_kinds.contains(&kind) {
        let help = match schema::closest(kind, &known_kinds) {
            Some(best) => Some(format!("did you mean `{best}`?")),
            None => Some(format!(
                "kinds in this group: {}",
                known_kinds
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        let group = api_version.split_once('/').map_or(api_version, |(g, _)| g);
        return Finding {
            code: codes::UNKNOWN_API,
            severity: Severity::Warning,
            message: format!("unknown kind `{kind}` in the Flux API group {group}"),
            help,
            span: kind_node.span,
            missing: false,
            path: kubernetes::FieldPath::default(),
        };
    }
    let help = apis::current_api_version(kind, flux).map(|current| format!("use {current}"));
    Finding {
        code: codes::UNKNOWN_API,
        severity: Severity::Warning,
        message: format!("{kind} {api_version} is not an API version served by Flux {flux}"),
        help,
        span: api_node.span,
        missing: false,
        path: kubernetes::FieldPath::default(),
    }
}

#[cfg(test)]
mod kubernetes_tests;
#[cfg(test)]
mod tests;
