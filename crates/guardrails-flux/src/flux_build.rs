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

/// A mirror of the repository in a private directory, shared by the Flux builds of one
/// renderer process. Placing a build turns the directories from the top level down to its
/// `spec.path` into real directories and writes the merged kustomization there; of
/// everything else, only what the build reads is linked (the first entry of each read
/// path that leaves those directories: a file, or a whole directory). A mirror of every
/// sibling of every level would cost a symlink per entry, seconds on a large tree.
pub struct Mirror {
    root: PathBuf,
    repo_root: PathBuf,
    /// Directories (relative) that are real in the mirror.
    real: std::collections::HashSet<PathBuf>,
    /// Entries (relative) linked to the repository's.
    linked: std::collections::HashSet<PathBuf>,
    /// Directories (relative) holding a placed kustomization.
    placed: Vec<PathBuf>,
}

impl Mirror {
    pub fn new(root: &Path, repo_root: &Path) -> std::io::Result<Mirror> {
        std::fs::create_dir_all(root)?;
        Ok(Mirror {
            root: root.to_path_buf(),
            repo_root: repo_root.to_path_buf(),
            real: std::collections::HashSet::from([PathBuf::new()]),
            linked: std::collections::HashSet::new(),
            placed: Vec::new(),
        })
    }

    /// Writes `kustomization` as `dir`'s kustomization file, links what the build
    /// `reads`, and returns the mirrored `dir`; `None` when `dir` is, contains or is
    /// inside a directory placed before (its build would read the other's merged
    /// kustomization): use another mirror.
    pub fn place(
        &mut self,
        dir: &Path,
        kustomization: &str,
        reads: &[PathBuf],
    ) -> std::io::Result<Option<PathBuf>> {
        let relative = self.relative(dir)?;
        if self
            .placed
            .iter()
            .any(|p| p.starts_with(&relative) || relative.starts_with(p))
        {
            return Ok(None);
        }
        let mut current = PathBuf::new();
        for component in relative.iter() {
            current.push(component);
            if self.real.contains(&current) {
                continue;
            }
            if self.linked.remove(&current) {
                // Linked for another build until now: becomes a real directory with
                // the entries that build reads linked again.
                std::fs::remove_file(self.root.join(&current))?;
                std::fs::create_dir(self.root.join(&current))?;
                self.real.insert(current.clone());
                let real = self.repo_root.join(&current);
                for entry in std::fs::read_dir(&real)? {
                    let entry = current.join(entry?.file_name());
                    self.link(&entry)?;
                }
            } else {
                std::fs::create_dir(self.root.join(&current))?;
                self.real.insert(current.clone());
            }
        }
        for file in reads {
            let Ok(read) = file.strip_prefix(&self.repo_root) else {
                continue;
            };
            // The first entry of the path that is not a real directory of the mirror.
            let mut entry = PathBuf::new();
            for component in read.iter() {
                entry.push(component);
                if !self.real.contains(&entry) {
                    break;
                }
            }
            if self.real.contains(&entry) || self.linked.contains(&entry) {
                continue;
            }
            let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if entry.parent() == Some(relative.as_path())
                && paths::KUSTOMIZATION_FILES.contains(&name)
            {
                continue;
            }
            if self.repo_root.join(&entry).symlink_metadata().is_ok() {
                self.link(&entry)?;
            }
        }
        let mirrored = self.root.join(&relative);
        for name in paths::KUSTOMIZATION_FILES {
            let link = mirrored.join(name);
            if link.symlink_metadata().is_ok() {
                std::fs::remove_file(&link)?;
                self.linked.remove(&relative.join(name));
            }
        }
        std::fs::write(mirrored.join("kustomization.yaml"), kustomization)?;
        self.placed.push(relative);
        Ok(Some(mirrored))
    }

    fn relative(&self, dir: &Path) -> std::io::Result<PathBuf> {
        dir.strip_prefix(&self.repo_root)
            .map(Path::to_path_buf)
            .map_err(|_| {
                std::io::Error::other(format!(
                    "{} is not inside the repository",
                    paths::display(dir, &self.repo_root)
                ))
            })
    }

    fn link(&mut self, entry: &Path) -> std::io::Result<()> {
        symlink(&self.repo_root.join(entry), &self.root.join(entry))?;
        self.linked.insert(entry.to_path_buf());
        Ok(())
    }
}

/// A mirror holding the one build of `dir`; returns the mirrored `dir`.
pub fn write_mirror(
    mirror: &Path,
    repo_root: &Path,
    dir: &Path,
    kustomization: &str,
    reads: &[PathBuf],
) -> std::io::Result<PathBuf> {
    Mirror::new(mirror, repo_root)?
        .place(dir, kustomization, reads)?
        .ok_or_else(|| std::io::Error::other("an empty mirror has no placed directory"))
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
        let reads = [root.join("apps/x/p.yaml"), root.join("apps/base/cm.yaml")];
        let mirrored = write_mirror(
            scratch.path(),
            &root,
            &root.join("apps/x"),
            "merged\n",
            &reads,
        )
        .unwrap();
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

    #[test]
    fn one_mirror_holds_many_builds_but_never_nested_ones() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path().canonicalize().unwrap();
        for dir in ["apps/a", "apps/b", "apps/a/sub"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            std::fs::write(root.join(dir).join("kustomization.yaml"), "original\n").unwrap();
        }
        let scratch = tempfile::tempdir().unwrap();
        let mut mirror = Mirror::new(scratch.path(), &root).unwrap();
        let reads = [root.join("apps/a/sub/kustomization.yaml")];
        let a = mirror
            .place(&root.join("apps/a"), "a\n", &reads)
            .unwrap()
            .unwrap();
        let b = mirror
            .place(&root.join("apps/b"), "b\n", &[])
            .unwrap()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(a.join("kustomization.yaml")).unwrap(),
            "a\n"
        );
        assert_eq!(
            std::fs::read_to_string(b.join("kustomization.yaml")).unwrap(),
            "b\n"
        );
        assert!(
            mirror
                .place(&root.join("apps/a/sub"), "s\n", &[])
                .unwrap()
                .is_none()
        );
        assert!(
            mirror
                .place(&root.join("apps"), "s\n", &[])
                .unwrap()
                .is_none()
        );
        // `sub` is still the repository's own.
        assert_eq!(
            std::fs::read_to_string(a.join("sub/kustomization.yaml")).unwrap(),
            "original\n"
        );
    }
}
