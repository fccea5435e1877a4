//! What kustomize-controller builds for a Flux Kustomization: the kustomization file of
//! `spec.path` (generated when there is none) with the Flux spec merged *into* it, as
//! fluxcd/pkg's `kustomize.Generator` does (`kustomize_generator.go`): `targetNamespace`
//! replaces `namespace`, `namePrefix`/`nameSuffix` replace theirs, `patches`,
//! `patchesStrategicMerge`, `patchesJson6902` and `components` are appended, `images` are
//! merged by name. Merging matters: components appended to the directory's own
//! kustomization run before its patches, so an app patch may target a component's object;
//! a wrapping overlay would build the directory without them and fail.
//!
//! The merged file cannot be written into the user's tree. It is written into a mirror of
//! the repository in a private directory: the chain of directories from the repository's
//! top level down to `spec.path` is recreated, every other entry is a symlink to the real
//! one, so each relative entry (`../base`, `patch.yaml`, `../../components/x`) resolves to
//! the same file it would in the repository, and kustomize's messages and origin paths stay
//! repository-relative once the mirror's root is replaced.

use std::path::{Path, PathBuf};

use guardrails_yaml::{Node, Span, Value};

use crate::flux::to_json;
use crate::paths;

/// The kustomization kustomize-controller builds for `spec` (a Flux Kustomization's spec)
/// at a directory whose own kustomization is `original` (`None`: generated, listing
/// `generated_resources`, relative to the directory).
pub fn merged_kustomization(
    original: Option<&Node>,
    generated_resources: &[String],
    spec: Option<&Node>,
    components: &[String],
) -> String {
    let mut entries: Vec<(Node, Node)> = match original.map(|o| &o.value) {
        Some(Value::Map(entries)) => entries.clone(),
        _ => Vec::new(),
    };
    if original.is_none() {
        set(
            &mut entries,
            "apiVersion",
            string("kustomize.config.k8s.io/v1beta1"),
        );
        set(&mut entries, "kind", string("Kustomization"));
        if generated_resources.is_empty() {
            // fluxcd/pkg writes a placeholder namespace so kustomize accepts the empty file.
            set(&mut entries, "namespace", string("_placeholder"));
        } else {
            let list = generated_resources.iter().map(|r| string(r)).collect();
            set(&mut entries, "resources", node(Value::Seq(list)));
        }
    }
    let field = |name: &str| spec.and_then(|s| s.get(name)).filter(|v| !v.is_null());
    for (flux, kustomize) in [
        ("targetNamespace", "namespace"),
        ("namePrefix", "namePrefix"),
        ("nameSuffix", "nameSuffix"),
    ] {
        if let Some(value) = field(flux).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
            set(&mut entries, kustomize, value.clone());
        }
    }
    for list in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
        if let Some(items) = field(list).and_then(Node::as_seq) {
            append(&mut entries, list, items.iter().cloned());
        }
    }
    if !components.is_empty() {
        append(
            &mut entries,
            "components",
            components.iter().map(|c| string(c)),
        );
    }
    if let Some(images) = field("images").and_then(Node::as_seq) {
        merge_images(&mut entries, images);
    }
    to_json(&node(Value::Map(entries))) + "\n"
}

/// `images` merged by `name`, fields overriding like an overlay; a new tag or digest
/// replaces both (they go together).
fn merge_images(entries: &mut Vec<(Node, Node)>, images: &[Node]) {
    let mut list: Vec<Node> = entries
        .iter()
        .find(|(k, _)| k.as_str() == Some("images"))
        .and_then(|(_, v)| v.as_seq())
        .map(<[Node]>::to_vec)
        .unwrap_or_default();
    for image in images {
        let Some(name) = image.str_at(&["name"]) else {
            continue;
        };
        let Some(existing) = list.iter_mut().find(|i| i.str_at(&["name"]) == Some(name)) else {
            list.push(image.clone());
            continue;
        };
        let Value::Map(fields) = &mut existing.value else {
            continue;
        };
        let given = |key: &str| {
            image
                .get(key)
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                .cloned()
        };
        if let Some(new_name) = given("newName") {
            set(fields, "newName", new_name);
        }
        if given("newTag").is_some() || given("digest").is_some() {
            fields.retain(|(k, _)| !matches!(k.as_str(), Some("newTag" | "digest")));
            for key in ["newTag", "digest"] {
                if let Some(value) = given(key) {
                    set(fields, key, value);
                }
            }
        }
    }
    set(entries, "images", node(Value::Seq(list)));
}

fn node(value: Value) -> Node {
    Node {
        value,
        span: Span::default(),
    }
}

fn string(text: &str) -> Node {
    node(Value::String(text.to_owned()))
}

fn set(entries: &mut Vec<(Node, Node)>, key: &str, value: Node) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, existing)) => *existing = value,
        None => entries.push((string(key), value)),
    }
}

fn append(entries: &mut Vec<(Node, Node)>, key: &str, items: impl Iterator<Item = Node>) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, existing)) => match &mut existing.value {
            Value::Seq(list) => list.extend(items),
            _ => *existing = node(Value::Seq(items.collect())),
        },
        None => entries.push((string(key), node(Value::Seq(items.collect())))),
    }
}

/// Recreates the directories from `repo_root` down to `dir` under `mirror` (every other
/// entry a symlink to the real one; the kustomization files of `dir` left out) and writes
/// `kustomization` as `dir`'s kustomization.yaml. Returns the mirrored `dir`.
pub fn write_mirror(
    mirror: &Path,
    repo_root: &Path,
    dir: &Path,
    kustomization: &str,
) -> std::io::Result<PathBuf> {
    let relative = dir.strip_prefix(repo_root).map_err(|_| {
        std::io::Error::other(format!(
            "{} is not inside the repository",
            paths::display(dir, repo_root)
        ))
    })?;
    let chain: Vec<&std::ffi::OsStr> = relative.iter().collect();
    let mut real = repo_root.to_path_buf();
    let mut mirrored = mirror.to_path_buf();
    std::fs::create_dir_all(&mirrored)?;
    for depth in 0..=chain.len() {
        let next = chain.get(depth).copied();
        for entry in std::fs::read_dir(&real)? {
            let name = entry?.file_name();
            if Some(name.as_os_str()) == next {
                continue;
            }
            if next.is_none()
                && name
                    .to_str()
                    .is_some_and(|n| paths::KUSTOMIZATION_FILES.contains(&n))
            {
                continue;
            }
            symlink(&real.join(&name), &mirrored.join(&name))?;
        }
        if let Some(next) = next {
            real.push(next);
            mirrored.push(next);
            std::fs::create_dir(&mirrored)?;
        }
    }
    std::fs::write(mirrored.join("kustomization.yaml"), kustomization)?;
    Ok(mirrored)
}

#[cfg(unix)]
fn symlink(original: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(original, link)
}

#[cfg(windows)]
fn symlink(original: &Path, link: &Path) -> std::io::Result<()> {
    if original.is_dir() {
        std::os::windows::fs::symlink_dir(original, link)
    } else {
        std::os::windows::fs::symlink_file(original, link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrails_yaml::{Limits, parse_documents};

    fn doc(text: &str) -> Node {
        parse_documents(text, &Limits::default()).unwrap().remove(0)
    }

    #[test]
    fn flux_spec_merges_into_the_directory_kustomization() {
        let original = doc(
            "resources: [app.yaml]\nnamespace: a\ncomponents: [../c1]\nimages:\n- {name: app, newTag: '1', digest: sha256:x}\n- {name: other, newName: o}\n",
        );
        let spec = doc(
            "targetNamespace: b\npatches:\n- patch: x\ncomponents: [../c2]\nimages:\n- {name: app, newTag: '2'}\n- {name: third, newTag: '3'}\n",
        );
        let merged = merged_kustomization(Some(&original), &[], Some(&spec), &["../c2".into()]);
        assert_eq!(
            merged,
            "{\"resources\":[\"app.yaml\"],\"namespace\":\"b\",\"components\":[\"../c1\",\"../c2\"],\"images\":[{\"name\":\"app\",\"newTag\":\"2\"},{\"name\":\"other\",\"newName\":\"o\"},{\"name\":\"third\",\"newTag\":\"3\"}],\"patches\":[{\"patch\":\"x\"}]}\n"
        );
    }

    #[test]
    fn a_plain_directory_gets_a_generated_kustomization() {
        let merged = merged_kustomization(None, &[], None, &[]);
        assert!(
            merged.contains("\"namespace\":\"_placeholder\""),
            "{merged}"
        );
        let merged = merged_kustomization(None, &["./a.yaml".into()], None, &[]);
        assert!(merged.contains("\"resources\":[\"./a.yaml\"]"), "{merged}");
    }

    #[test]
    fn the_mirror_resolves_relative_entries_like_the_repository() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("apps/base")).unwrap();
        std::fs::create_dir_all(root.join("apps/x")).unwrap();
        std::fs::write(root.join("apps/base/cm.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("apps/x/kustomization.yaml"), "original\n").unwrap();
        std::fs::write(root.join("apps/x/p.yaml"), "p: 1\n").unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let mirrored =
            write_mirror(scratch.path(), &root, &root.join("apps/x"), "merged\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(mirrored.join("kustomization.yaml")).unwrap(),
            "merged\n"
        );
        assert_eq!(
            std::fs::read_to_string(mirrored.join("p.yaml")).unwrap(),
            "p: 1\n"
        );
        assert_eq!(
            std::fs::read_to_string(mirrored.join("../base/cm.yaml")).unwrap(),
            "a: 1\n"
        );
        // The user's tree is untouched.
        assert_eq!(
            std::fs::read_to_string(root.join("apps/x/kustomization.yaml")).unwrap(),
            "original\n"
        );
    }
}
