//! Which Flux API version is served, deprecated or removed in which Flux release.
//!
//! # History this table encodes
//!
//! Read from the Flux release umbrella issues, the controllers' "remove deprecated APIs"
//! pull requests and changelogs, and the Flux release notes (public GitHub material,
//! mid-2026):
//!
//! | Group | Old versions | Current | Promoted | Old versions removed |
//! |---|---|---|---|---|
//! | `source.toolkit.fluxcd.io` | `v1beta1`, `v1beta2` | `v1` | GitRepository 2.0; HelmRepository and HelmChart 2.3 (source-controller 1.3); Bucket 2.4 (source-controller 1.4); OCIRepository 2.6 (source-controller 1.6); ExternalArtifact is `v1` only (2.7) | `v1beta1` in 2.7, `v1beta2` in 2.8 |
//! | `kustomize.toolkit.fluxcd.io` | `v1beta1`, `v1beta2` | `v1` | Kustomization 2.0 | `v1beta1` in 2.7, `v1beta2` in 2.8 |
//! | `helm.toolkit.fluxcd.io` | `v2beta1`, `v2beta2` (2.2) | `v2` | HelmRelease 2.3 (helm-controller 1.0) | `v2beta1` in 2.7, `v2beta2` in 2.8 |
//! | `notification.toolkit.fluxcd.io` | `v1beta1`, `v1beta2` | Receiver `v1`; Alert, Provider `v1beta3` | Receiver `v1` in 2.0; Alert, Provider `v1beta3` in 2.2 (there is no `v1` Alert or Provider in 2.9) | `v1beta1` in 2.7, `v1beta2` in 2.9 |
//! | `image.toolkit.fluxcd.io` | `v1beta1`, `v1beta2` | `v1` | ImageRepository, ImagePolicy, ImageUpdateAutomation 2.7 (reflector and automation controllers 1.0) | `v1beta1` in 2.7, `v1beta2` in 2.9 (controllers 1.2) |
//!
//! Sources: fluxcd/flux2#5474 and the Flux 2.7 release notes ("the following APIs have
//! reached end-of-life and have been removed from the CRDs": source, kustomize, image and
//! notification `v1beta1`, helm `v2beta1`; also fluxcd/helm-controller#1396); fluxcd/flux2#5711
//! "Prepare for Flux v2.8.0" (source and kustomize `v1beta2`, helm `v2beta2`;
//! fluxcd/source-controller#1983, fluxcd/kustomize-controller#1584,
//! fluxcd/helm-controller#1404); fluxcd/flux2#5942 "Prepare for Flux v2.9.0" (image and
//! notification `v1beta2`; fluxcd/image-reflector-controller#896 and its 1.2.0 changelog,
//! fluxcd/image-automation-controller#1049, fluxcd/notification-controller#1327);
//! promotions: fluxcd/flux2#3758 (2.0: GitRepository, Kustomization, Receiver `v1`),
//! fluxcd/source-controller#1428 and #1472 (2.3), #1620 (Bucket, source-controller 1.4),
//! the Flux 2.6 announcement (OCIRepository `v1`), fluxcd/notification-controller#540 and
//! fluxcd/website#1718 (Alert and Provider `v1beta3` in 2.2), fluxcd/image-reflector-controller#818
//! and fluxcd/image-automation-controller#963 (image `v1` in 2.7, `v1beta2` deprecated),
//! fluxcd/image-reflector-controller 0.25.0 changelog (ImageRepository/ImagePolicy `v1beta2`
//! before Flux 2.0), fluxcd/image-automation-controller#677 (ImageUpdateAutomation `v1beta1`
//! deprecated in favour of `v1beta2`, Flux 2.3).
//!
//! Approximations, all in the direction of fewer findings: versions that already existed
//! before Flux 2.0 are recorded as served (and, when superseded, deprecated) "since 2.0",
//! the oldest release line this table speaks about. Where the deprecation release of an old
//! version could not be pinned down, the later candidate is used.

use crate::FluxVersion;

/// The verdict on one `apiVersion` + `kind` for a target Flux release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiStatus {
    /// Served and not deprecated.
    Current,
    /// Still served by the target release, but superseded by `replacement`.
    Deprecated { replacement: &'static str },
    /// No longer served since `removed_in`: the API server rejects the object.
    Removed {
        replacement: &'static str,
        removed_in: FluxVersion,
    },
    /// Not a Flux API, an unknown version or kind, or a version the target release does not
    /// serve yet.
    Unknown,
}

/// One `apiVersion` + `kind` and its life in Flux releases.
struct ApiEntry {
    api_version: &'static str,
    kind: &'static str,
    since: FluxVersion,
    deprecated_in: Option<FluxVersion>,
    removed_in: Option<FluxVersion>,
}

const fn v(minor: u32) -> FluxVersion {
    FluxVersion::new(2, minor)
}

const fn served(api_version: &'static str, kind: &'static str, since: FluxVersion) -> ApiEntry {
    ApiEntry {
        api_version,
        kind,
        since,
        deprecated_in: None,
        removed_in: None,
    }
}

const fn retired(
    api_version: &'static str,
    kind: &'static str,
    since: FluxVersion,
    deprecated_in: FluxVersion,
    removed_in: FluxVersion,
) -> ApiEntry {
    ApiEntry {
        api_version,
        kind,
        since,
        deprecated_in: Some(deprecated_in),
        removed_in: Some(removed_in),
    }
}

const SOURCE_V1BETA1: &str = "source.toolkit.fluxcd.io/v1beta1";
const SOURCE_V1BETA2: &str = "source.toolkit.fluxcd.io/v1beta2";
const SOURCE_V1: &str = "source.toolkit.fluxcd.io/v1";
const KUSTOMIZE_V1BETA1: &str = "kustomize.toolkit.fluxcd.io/v1beta1";
const KUSTOMIZE_V1BETA2: &str = "kustomize.toolkit.fluxcd.io/v1beta2";
pub(crate) const KUSTOMIZE_V1: &str = "kustomize.toolkit.fluxcd.io/v1";
const HELM_V2BETA1: &str = "helm.toolkit.fluxcd.io/v2beta1";
const HELM_V2BETA2: &str = "helm.toolkit.fluxcd.io/v2beta2";
const HELM_V2: &str = "helm.toolkit.fluxcd.io/v2";
const NOTIFICATION_V1BETA1: &str = "notification.toolkit.fluxcd.io/v1beta1";
const NOTIFICATION_V1BETA2: &str = "notification.toolkit.fluxcd.io/v1beta2";
const NOTIFICATION_V1BETA3: &str = "notification.toolkit.fluxcd.io/v1beta3";
const NOTIFICATION_V1: &str = "notification.toolkit.fluxcd.io/v1";
const IMAGE_V1BETA1: &str = "image.toolkit.fluxcd.io/v1beta1";
const IMAGE_V1BETA2: &str = "image.toolkit.fluxcd.io/v1beta2";
const IMAGE_V1: &str = "image.toolkit.fluxcd.io/v1";

pub(crate) const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io";

static APIS: &[ApiEntry] = &[
    // source-controller
    retired(SOURCE_V1BETA1, "GitRepository", v(0), v(0), v(7)),
    retired(SOURCE_V1BETA1, "HelmRepository", v(0), v(0), v(7)),
    retired(SOURCE_V1BETA1, "HelmChart", v(0), v(0), v(7)),
    retired(SOURCE_V1BETA1, "Bucket", v(0), v(0), v(7)),
    retired(SOURCE_V1BETA2, "GitRepository", v(0), v(0), v(8)),
    retired(SOURCE_V1BETA2, "HelmRepository", v(0), v(3), v(8)),
    retired(SOURCE_V1BETA2, "HelmChart", v(0), v(3), v(8)),
    retired(SOURCE_V1BETA2, "Bucket", v(0), v(4), v(8)),
    retired(SOURCE_V1BETA2, "OCIRepository", v(0), v(6), v(8)),
    served(SOURCE_V1, "GitRepository", v(0)),
    served(SOURCE_V1, "HelmRepository", v(3)),
    served(SOURCE_V1, "HelmChart", v(3)),
    served(SOURCE_V1, "Bucket", v(4)),
    served(SOURCE_V1, "OCIRepository", v(6)),
    served(SOURCE_V1, "ExternalArtifact", v(7)),
    // kustomize-controller
    retired(KUSTOMIZE_V1BETA1, "Kustomization", v(0), v(0), v(7)),
    retired(KUSTOMIZE_V1BETA2, "Kustomization", v(0), v(0), v(8)),
    served(KUSTOMIZE_V1, "Kustomization", v(0)),
    // helm-controller
    retired(HELM_V2BETA1, "HelmRelease", v(0), v(2), v(7)),
    retired(HELM_V2BETA2, "HelmRelease", v(2), v(3), v(8)),
    served(HELM_V2, "HelmRelease", v(3)),
    // notification-controller
    retired(NOTIFICATION_V1BETA1, "Alert", v(0), v(0), v(7)),
    retired(NOTIFICATION_V1BETA1, "Provider", v(0), v(0), v(7)),
    retired(NOTIFICATION_V1BETA1, "Receiver", v(0), v(0), v(7)),
    retired(NOTIFICATION_V1BETA2, "Alert", v(0), v(2), v(9)),
    retired(NOTIFICATION_V1BETA2, "Provider", v(0), v(2), v(9)),
    retired(NOTIFICATION_V1BETA2, "Receiver", v(0), v(0), v(9)),
    served(NOTIFICATION_V1BETA3, "Alert", v(2)),
    served(NOTIFICATION_V1BETA3, "Provider", v(2)),
    served(NOTIFICATION_V1, "Receiver", v(0)),
    // image-reflector-controller
    retired(IMAGE_V1BETA1, "ImageRepository", v(0), v(0), v(7)),
    retired(IMAGE_V1BETA1, "ImagePolicy", v(0), v(0), v(7)),
    retired(IMAGE_V1BETA2, "ImageRepository", v(0), v(7), v(9)),
    retired(IMAGE_V1BETA2, "ImagePolicy", v(0), v(7), v(9)),
    served(IMAGE_V1, "ImageRepository", v(7)),
    served(IMAGE_V1, "ImagePolicy", v(7)),
    // image-automation-controller
    retired(IMAGE_V1BETA1, "ImageUpdateAutomation", v(0), v(3), v(7)),
    retired(IMAGE_V1BETA2, "ImageUpdateAutomation", v(3), v(7), v(9)),
    served(IMAGE_V1, "ImageUpdateAutomation", v(7)),
];

/// Whether `api_version` belongs to a Flux toolkit API group (`*.toolkit.fluxcd.io/<version>`).
pub fn is_flux_api(api_version: &str) -> bool {
    let Some((group, version)) = api_version.split_once('/') else {
        return false;
    };
    !version.is_empty()
        && !version.contains('/')
        && group
            .strip_suffix(".toolkit.fluxcd.io")
            .is_some_and(|name| !name.is_empty() && !name.contains('.'))
}

/// The verdict on `apiVersion` + `kind` for the target Flux release: current, deprecated
/// (still served), removed (rejected), or unknown to this table.
pub fn api_status(api_version: &str, kind: &str, flux: FluxVersion) -> ApiStatus {
    if !is_flux_api(api_version) {
        return ApiStatus::Unknown;
    }
    let Some(entry) = APIS
        .iter()
        .find(|e| e.api_version == api_version && e.kind == kind)
    else {
        return ApiStatus::Unknown;
    };
    if flux < entry.since {
        return ApiStatus::Unknown;
    }
    let replacement = || current_api_version(kind, flux).unwrap_or(entry.api_version);
    match (entry.deprecated_in, entry.removed_in) {
        (_, Some(removed_in)) if removed_in <= flux => ApiStatus::Removed {
            replacement: replacement(),
            removed_in,
        },
        (Some(deprecated_in), _) if deprecated_in <= flux => ApiStatus::Deprecated {
            replacement: replacement(),
        },
        _ => ApiStatus::Current,
    }
}

/// The release in which a deprecated version stops being served, when it is known.
pub(crate) fn removal_of(api_version: &str, kind: &str) -> Option<FluxVersion> {
    APIS.iter()
        .find(|e| e.api_version == api_version && e.kind == kind)
        .and_then(|e| e.removed_in)
}

/// The `apiVersion` a manifest of `kind` should use for the target release: the newest
/// version served and not deprecated there, else the newest version of the kind at all.
pub(crate) fn current_api_version(kind: &str, flux: FluxVersion) -> Option<&'static str> {
    let of_kind = || APIS.iter().filter(move |e| e.kind == kind);
    let live_at = |e: &&ApiEntry| {
        e.since <= flux
            && e.deprecated_in.is_none_or(|d| d > flux)
            && e.removed_in.is_none_or(|r| r > flux)
    };
    of_kind()
        .filter(live_at)
        .max_by_key(|e| e.since)
        .or_else(|| {
            of_kind()
                .filter(|e| e.removed_in.is_none())
                .max_by_key(|e| e.since)
        })
        .map(|e| e.api_version)
}

/// The kinds this table knows in the group of `api_version`, for "did you mean" help.
pub(crate) fn kinds_of_group(api_version: &str) -> Vec<&'static str> {
    let group = api_version.split_once('/').map_or(api_version, |(g, _)| g);
    let mut kinds: Vec<&'static str> = APIS
        .iter()
        .filter(|e| {
            e.api_version
                .split_once('/')
                .is_some_and(|(g, _)| g == group)
        })
        .map(|e| e.kind)
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}
