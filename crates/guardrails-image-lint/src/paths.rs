//! Repository-relative paths (always `/`-separated, no leading `./`, `""` for the root).

/// Normalises a path relative to the repository root: drops `.` segments, empty segments
/// and a leading `/` (image-automation-controller SecureJoins `update.path` under the
/// checkout, so `/apps` means `apps`), resolves `..`. `None` when it leaves the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// The directory of a file path (`""` for a file at the root).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The last segment of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// Whether the directory `dir` is `path` or one of its ancestors (`""` covers everything).
pub fn covers(dir: &str, path: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// The three names kustomize accepts for a kustomization file.
pub fn is_kustomization_file(path: &str) -> bool {
    matches!(
        file_name(path),
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// Whether image-automation-controller reads the file at all: its ScreeningLocalReader
/// (internal/update/filereader.go) keeps files whose `filepath.Ext` is exactly `.yaml` or
/// `.yml`, or whose base name is `Kustomization`.
pub fn automation_reads(path: &str) -> bool {
    let name = file_name(path);
    let ext = name.rfind('.').map_or("", |i| &name[i..]);
    ext == ".yaml" || ext == ".yml" || name == "Kustomization"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("./flux/apps/").as_deref(), Some("flux/apps"));
        assert_eq!(
            normalize("/flux//apps/./x/..").as_deref(),
            Some("flux/apps")
        );
        assert_eq!(normalize(".").as_deref(), Some(""));
        assert_eq!(normalize("../x"), None);
    }

    #[test]
    fn coverage() {
        assert!(covers("", "a/b.yaml"));
        assert!(covers("a", "a/b.yaml"));
        assert!(covers("a/b.yaml", "a/b.yaml"));
        assert!(!covers("a", "ab/c.yaml"));
        assert!(!covers("a/b", "a"));
    }

    #[test]
    fn automation_reads_yaml_and_kustomization_only() {
        assert!(automation_reads("a/deploy.yaml"));
        assert!(automation_reads("a/deploy.yml"));
        assert!(automation_reads("a/Kustomization"));
        assert!(!automation_reads("a/deploy.yaml.tmpl"));
        assert!(!automation_reads("a/deploy.YAML"));
        assert!(!automation_reads("a/values.json"));
    }
}
