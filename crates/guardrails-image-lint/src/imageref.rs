//! Container image references: kustomize's split into name, tag and digest, and the
//! registry normalisation go-containerregistry applies before comparing repositories.

/// `name[:tag][@digest]` as kustomize splits it (api/internal/image/image.go `Split`): the
/// first `:` or `@` after the first `/` separates the name, so a registry port
/// (`host:5000/app`) stays in the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn split(image: &str) -> ImageRef<'_> {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    match (colon, at) {
        (None, None) => ImageRef {
            name: image,
            tag: None,
            digest: None,
        },
        (c, Some(a)) if c.is_none_or(|c| a < c) => ImageRef {
            name: &image[..a],
            tag: None,
            digest: Some(&image[a + 1..]),
        },
        (Some(c), Some(a)) => ImageRef {
            name: &image[..c],
            tag: Some(&image[c + 1..a]),
            digest: Some(&image[a + 1..]),
        },
        (Some(c), None) => ImageRef {
            name: &image[..c],
            tag: Some(&image[c + 1..]),
            digest: None,
        },
        // Covered by the guard above; kept for exhaustiveness.
        (None, Some(a)) => ImageRef {
            name: &image[..a],
            tag: None,
            digest: Some(&image[a + 1..]),
        },
    }
}

/// The repository a name designates, as go-containerregistry's `name.ParseReference`
/// normalises it (the library both Flux image controllers use): no registry means Docker
/// Hub, Docker Hub's aliases are one registry, and a one-segment Hub path is under
/// `library/`. Registry host names are case-insensitive.
pub fn normalize_repository(name: &str) -> String {
    let (registry, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_ascii_lowercase(), rest.to_owned())
        }
        _ => ("docker.io".to_owned(), name.to_owned()),
    };
    let registry = match registry.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
        _ => registry,
    };
    if registry == "docker.io" && !path.contains('/') {
        format!("docker.io/library/{path}")
    } else {
        format!("{registry}/{path}")
    }
}

/// Whether a value written by a `:name` setter already carries a tag or digest: a `:` after
/// the last `/` (a registry port such as `host:5000/app` is before it) or an `@`.
pub fn name_carries_tag(value: &str) -> bool {
    let last = value.rsplit_once('/').map_or(value, |(_, last)| last);
    last.contains(':') || value.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_kustomize() {
        assert_eq!(
            split("ghcr.io/x/app:1.0"),
            ImageRef {
                name: "ghcr.io/x/app",
                tag: Some("1.0"),
                digest: None
            }
        );
        assert_eq!(
            split("host:5000/app"),
            ImageRef {
                name: "host:5000/app",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            split("host:5000/app:v1@sha256:abc"),
            ImageRef {
                name: "host:5000/app",
                tag: Some("v1"),
                digest: Some("sha256:abc")
            }
        );
        assert_eq!(
            split("nginx@sha256:abc"),
            ImageRef {
                name: "nginx",
                tag: None,
                digest: Some("sha256:abc")
            }
        );
        assert_eq!(split("nginx:1").tag, Some("1"));
    }

    #[test]
    fn normalizes_docker_hub() {
        assert_eq!(normalize_repository("nginx"), "docker.io/library/nginx");
        assert_eq!(
            normalize_repository("index.docker.io/library/nginx"),
            "docker.io/library/nginx"
        );
        assert_eq!(
            normalize_repository("bitnami/kubectl"),
            "docker.io/bitnami/kubectl"
        );
        assert_eq!(
            normalize_repository("GHCR.io/ldbl/backend"),
            "ghcr.io/ldbl/backend"
        );
        assert_eq!(normalize_repository("localhost/app"), "localhost/app");
    }

    #[test]
    fn name_with_tag() {
        assert!(!name_carries_tag("host:5000/app"));
        assert!(name_carries_tag("ghcr.io/app:v1"));
        assert!(name_carries_tag("app@sha256:x"));
        assert!(!name_carries_tag("ghcr.io/x/app"));
    }
}
