//! The Flux release a repository targets, read from the repository itself: the
//! `# Flux Version: vX.Y.Z` header `flux bootstrap` / `flux install --export` writes at the
//! top of `gotk-components.yaml`, and a Flux Operator `FluxInstance`'s
//! `spec.distribution.version` (a semver range such as `2.x`: the newest release it
//! admits), also as the `instance.distribution.version` value of the operator's
//! `flux-instance` Helm chart. Removed API versions and strict substitution depend on it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use guardrails_flux_api::FluxVersion;

use crate::paths;
use crate::sources::Sources;

/// A release and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub version: FluxVersion,
    /// `clusters/prod/flux-system/gotk-components.yaml:1`.
    pub origin: String,
    /// The file that declares it: the cluster whose tree reads it (or whose entry point it
    /// is) runs that release.
    pub file: PathBuf,
}

/// Every release the repository's files declare.
pub fn declared(yaml_files: &[PathBuf], sources: &mut Sources, repo_root: &Path) -> Vec<Detected> {
    let mut found: Vec<Detected> = Vec::new();
    for file in yaml_files {
        let is_components =
            file.file_name().and_then(|n| n.to_str()) == Some("gotk-components.yaml");
        let Some(text) = sources.load(file).text() else {
            continue;
        };
        if is_components {
            // The header is among the first lines.
            for (number, line) in text.lines().take(5).enumerate() {
                if let Some(version) = line
                    .trim_start_matches('#')
                    .trim()
                    .strip_prefix("Flux Version:")
                    .and_then(|v| v.trim().parse::<FluxVersion>().ok())
                {
                    found.push(Detected {
                        version,
                        origin: format!("{}:{}", paths::display(file, repo_root), number + 1),
                        file: file.clone(),
                    });
                }
            }
            continue;
        }
        let origin = |line: usize| format!("{}:{line}", paths::display(file, repo_root));
        // Flux installed from its own manifests at a release tag: a kustomize remote
        // resource `github.com/fluxcd/flux2/manifests/install?ref=v2.3.0`.
        for (number, line) in text.lines().enumerate() {
            if let Some(version) = install_ref(line) {
                found.push(Detected {
                    version,
                    origin: origin(number + 1),
                    file: file.clone(),
                });
            }
        }
        let mentions_instance = text.contains("FluxInstance") || text.contains("instance:");
        let mentions_manifests = text.contains("fluxcd/flux2") || text.contains("flux-manifests");
        if !mentions_instance && !mentions_manifests {
            continue;
        }
        let Some(Ok(docs)) = sources.documents(file) else {
            continue;
        };
        for doc in docs {
            let distribution = match doc.str_at(&["kind"]) {
                // The Flux Operator's FluxInstance.
                Some("FluxInstance") => doc.at(&["spec", "distribution"]),
                // The operator's `flux-instance` chart, with its values inline or in a
                // values file that a generator turns into the release's `valuesFrom`.
                Some("HelmRelease") => doc.at(&["spec", "values", "instance", "distribution"]),
                None => doc.at(&["instance", "distribution"]),
                _ => None,
            };
            if let Some(distribution) = distribution {
                if let Some(detected) = instance_release(distribution, file, &origin) {
                    found.push(detected);
                }
                continue;
            }
            let node = match doc.str_at(&["kind"]) {
                // Flux's own install manifests as a source at a release tag: a
                // GitRepository of github.com/fluxcd/flux2, or the OCI artifact
                // `oci://ghcr.io/fluxcd/flux-manifests` `flux bootstrap` can also use.
                Some("GitRepository" | "OCIRepository") => {
                    let url = doc.str_at(&["spec", "url"]).unwrap_or_default();
                    let flux_manifests = url.trim_end_matches(".git").ends_with("fluxcd/flux2")
                        || url.ends_with("fluxcd/flux-manifests");
                    flux_manifests
                        .then(|| {
                            doc.at(&["spec", "ref", "tag"])
                                .or_else(|| doc.at(&["spec", "ref", "semver"]))
                        })
                        .flatten()
                }
                _ => None,
            };
            let Some(node) = node else {
                continue;
            };
            if let Some(version) = node.as_str().and_then(newest_admitted) {
                found.push(Detected {
                    version,
                    origin: origin(node.span.line),
                    file: file.clone(),
                });
            }
        }
    }
    found
}

/// The first Flux Operator release whose manifests ship Flux 2.9 (flux-operator v0.53.0,
/// controlplaneio-fluxcd/flux-operator#934): an instance whose `distribution.artifact`
/// pins the operator's manifests below it runs Flux 2.8 at most, whatever range its
/// `version` admits.
const FIRST_OPERATOR_WITH_2_9: (u32, u32) = (0, 53);

/// The release a FluxInstance's `distribution` (or the flux-instance chart's) runs: the
/// newest its `version` admits (none written: the chart's default `2.x`), no newer than
/// what a pinned `artifact` of the operator's manifests ships.
fn instance_release(
    distribution: &guardrails_yaml::Node,
    file: &Path,
    origin: &dyn Fn(usize) -> String,
) -> Option<Detected> {
    let version = distribution.get("version");
    let artifact = distribution.get("artifact");
    let pinned_operator = artifact
        .and_then(|a| a.as_str())
        .and_then(|a| a.split_once("flux-operator-manifests:"))
        .and_then(|(_, tag)| {
            let mut numbers = tag.trim_start_matches('v').split('.');
            Some((
                numbers.next()?.parse::<u32>().ok()?,
                numbers.next()?.parse::<u32>().ok()?,
            ))
        });
    let capped = pinned_operator.filter(|&operator| operator < FIRST_OPERATOR_WITH_2_9);
    let admitted = match version {
        Some(node) => newest_admitted(node.as_str()?)?,
        None if capped.is_some() => FluxVersion::CURRENT,
        None => return None,
    };
    let ceiling = FluxVersion::new(2, 8);
    let (release, line) = match (capped, artifact) {
        (Some(_), Some(artifact)) if admitted > ceiling => (ceiling, artifact.span.line),
        _ => (
            admitted,
            version.map_or(distribution.span.line, |v| v.span.line),
        ),
    };
    Some(Detected {
        version: release,
        origin: origin(line),
        file: file.to_path_buf(),
    })
}

/// The release of a kustomize remote resource on Flux's install manifests
/// (`github.com/fluxcd/flux2/manifests/install?ref=v2.3.0`, also with `https://` and `//`).
fn install_ref(line: &str) -> Option<FluxVersion> {
    let at = line.find("fluxcd/flux2")?;
    let rest = &line[at..];
    if !rest.contains("manifests") {
        return None;
    }
    let version = &rest[rest.find("ref=")? + "ref=".len()..];
    let end = version
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(version.len());
    version[..end].parse().ok()
}

/// The release each cluster runs: the oldest declared by a file its tree reads or by its
/// entry point (`cluster_files[c]`), `None` where its tree declares none.
pub fn per_cluster(
    declared: &[Detected],
    cluster_files: &[BTreeSet<PathBuf>],
) -> Vec<Option<Detected>> {
    cluster_files
        .iter()
        .map(|files| {
            declared
                .iter()
                .filter(|d| files.contains(&d.file))
                .min_by_key(|d| d.version)
                .cloned()
        })
        .collect()
}

/// The newest known release a version or semver range admits: `2.x`, `*`, `>=2.5` and
/// `^2.3` admit the current release; `2.7.x`, `~2.7` and `2.7.1` mean 2.7; `<2.8` means 2.7.
pub fn newest_admitted(range: &str) -> Option<FluxVersion> {
    let range = range.trim();
    // Of several constraints (`>=2.5 <2.8`, `2.6 || 2.7`), the most restrictive upper
    // bound decides; without one, the newest.
    let parts: Vec<&str> = range
        .split(['|', ',', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let mut best: Option<FluxVersion> = None;
    let mut bounded = false;
    for part in parts {
        let (operator, version) = part.split_at(
            part.find(|c: char| c.is_ascii_digit() || c == '*' || c == 'x' || c == 'X' || c == 'v')
                .unwrap_or(part.len()),
        );
        let version = version.trim_start_matches('v');
        let mut numbers = version.split('.');
        let major = numbers.next().and_then(|m| m.parse::<u32>().ok());
        let minor = numbers.next().and_then(|m| m.parse::<u32>().ok());
        let candidate = match (operator, major, minor) {
            (_, None, _) => Some(FluxVersion::CURRENT),
            (">=" | ">" | "^", Some(major), _) => Some(if major == FluxVersion::CURRENT.major {
                FluxVersion::CURRENT
            } else {
                FluxVersion::new(major, 0)
            }),
            ("<", Some(major), Some(minor)) if minor > 0 => {
                bounded = true;
                Some(FluxVersion::new(major, minor - 1))
            }
            ("" | "=" | "~" | "<=", Some(major), Some(minor)) => {
                bounded = true;
                Some(FluxVersion::new(major, minor))
            }
            (_, Some(major), None) if major == FluxVersion::CURRENT.major => {
                Some(FluxVersion::CURRENT)
            }
            (_, Some(major), _) => Some(FluxVersion::new(major, 0)),
        };
        best = match (best, candidate) {
            (Some(b), Some(c)) if bounded => Some(b.min(c)),
            (Some(b), Some(c)) => Some(b.max(c)),
            (b, c) => b.or(c),
        };
    }
    best
}

/// Whether the target Flux release is `major.minor` or newer.
pub fn at_least(version: FluxVersion, major: u32, minor: u32) -> bool {
    (version.major, version.minor) >= (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_manifests_at_a_tag_name_their_release() {
        let v = |s: &str| install_ref(s).map(|v| v.to_string());
        assert_eq!(
            v("  - github.com/fluxcd/flux2/manifests/install?ref=v0.31.4").as_deref(),
            Some("0.31")
        );
        assert_eq!(
            v("- https://github.com/fluxcd/flux2//manifests/install?ref=v2.9.0 # pinned")
                .as_deref(),
            Some("2.9")
        );
        assert_eq!(
            v("  - github.com/fluxcd/flux2/manifests/install").as_deref(),
            None
        );
        assert_eq!(v("  - github.com/example/app?ref=v1.2.3").as_deref(), None);
    }

    #[test]
    fn pinned_operator_manifests_cap_the_release() {
        let release = |text: &str| {
            let docs = guardrails_yaml::parse_documents(text, &Default::default()).unwrap();
            let distribution = docs[0].at(&["instance", "distribution"]).unwrap();
            instance_release(distribution, Path::new("values.yaml"), &|l| {
                format!("values.yaml:{l}")
            })
            .map(|d| (d.version.to_string(), d.origin))
        };
        let manifests = "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests";
        // Before v0.53.0 the operator ships no Flux 2.9: `2.x` (or no version) is 2.8.
        assert_eq!(
            release(&format!(
                "instance:\n  distribution:\n    artifact: {manifests}:v0.46.0\n"
            )),
            Some(("2.8".to_owned(), "values.yaml:3".to_owned()))
        );
        assert_eq!(
            release(&format!(
                "instance:\n  distribution:\n    version: 2.x\n    artifact: {manifests}:v0.46.0\n"
            )),
            Some(("2.8".to_owned(), "values.yaml:4".to_owned()))
        );
        // A narrower version, a newer operator, or a tag the hook cannot read decide alone.
        assert_eq!(
            release(&format!(
                "instance:\n  distribution:\n    version: 2.6.x\n    artifact: {manifests}:v0.46.0\n"
            )),
            Some(("2.6".to_owned(), "values.yaml:3".to_owned()))
        );
        assert_eq!(
            release(&format!(
                "instance:\n  distribution:\n    version: 2.x\n    artifact: {manifests}:v0.53.0\n"
            ))
            .map(|(v, _)| v),
            Some(FluxVersion::CURRENT.to_string())
        );
        assert_eq!(
            release(&format!(
                "instance:\n  distribution:\n    artifact: {manifests}:${{VERSION}}\n"
            )),
            None
        );
    }

    #[test]
    fn ranges_admit_their_newest_release() {
        let v = |s: &str| newest_admitted(s).map(|v| v.to_string());
        assert_eq!(v("2.x").as_deref(), Some("2.9"));
        assert_eq!(v("*").as_deref(), Some("2.9"));
        assert_eq!(v(">=2.5.0").as_deref(), Some("2.9"));
        assert_eq!(v("2.7.x").as_deref(), Some("2.7"));
        assert_eq!(v("~2.6").as_deref(), Some("2.6"));
        assert_eq!(v("2.4.1").as_deref(), Some("2.4"));
        assert_eq!(v("v2.3.0").as_deref(), Some("2.3"));
        assert_eq!(v("<2.8").as_deref(), Some("2.7"));
        assert_eq!(v(">=2.5 <2.8").as_deref(), Some("2.7"));
    }
}
