//! Remote-tracking refs read straight from the files backend.
//!
//! A hook asks "is this commit public?" on every commit, in repositories with thousands
//! of remote branches. Listing them through gix's reference iterator builds a reference
//! object (name, target, peeling state) per entry; here the `packed-refs` file is scanned
//! once for the `refs/remotes/` lines and loose files under `refs/remotes/` override
//! them, which is what git's files backend means. Anything unusual (a reftable
//! repository, an unreadable file) returns `None` and the caller uses gix.

use std::path::Path;

use gix::ObjectId;

/// `(name without "refs/remotes/", target)` of every direct remote-tracking ref, sorted by
/// name; symbolic refs (`origin/HEAD`) are left out.
pub fn read(common_dir: &Path) -> Option<Vec<(String, ObjectId)>> {
    if common_dir.join("reftable").exists() {
        return None;
    }
    let mut refs = match std::fs::read(common_dir.join("packed-refs")) {
        Ok(packed) => parse_packed(&packed)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(_) => return None,
    };
    let mut loose = Vec::new();
    collect_loose(&common_dir.join("refs/remotes"), "", &mut loose)?;
    if !loose.is_empty() {
        // A loose ref wins over its packed copy; a loose symbolic ref hides it.
        let loose_names: std::collections::HashSet<&str> =
            loose.iter().map(|(name, _)| name.as_str()).collect();
        refs.retain(|(name, _)| !loose_names.contains(name.as_str()));
        refs.extend(
            loose
                .into_iter()
                .filter_map(|(name, id)| id.map(|id| (name, id))),
        );
    }
    // git writes `packed-refs` sorted (its header says `sorted`): only loose refs need it.
    if !refs.is_sorted_by(|a, b| a.0 <= b.0) {
        refs.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Some(refs)
}

/// The `refs/remotes/` entries of a `packed-refs` file, as `(name without "refs/remotes/",
/// target)` in file order; `None` for a line that is not `<hex id> <name>` (the caller then
/// reads the refs through gix, which reports what is wrong).
pub fn parse_packed(packed: &[u8]) -> Option<Vec<(String, ObjectId)>> {
    let mut refs = Vec::new();
    for line in packed.split(|&b| b == b'\n') {
        // `<hex> <name>`; `#` starts the header, `^` a peeled line for the ref above.
        let rest = line.strip_suffix(b"\r").unwrap_or(line);
        if rest.first().is_none_or(|&b| b == b'#' || b == b'^') {
            continue;
        }
        let space = rest.iter().position(|&b| b == b' ')?;
        let (hex, name) = (&rest[..space], &rest[space + 1..]);
        let Some(short) = name.strip_prefix(b"refs/remotes/") else {
            continue;
        };
        let id = ObjectId::from_hex(hex).ok()?;
        refs.push((String::from_utf8(short.to_vec()).ok()?, id));
    }
    Some(refs)
}

/// Loose refs under `dir`: `(name, Some(id))` for direct refs, `(name, None)` for
/// symbolic ones.
fn collect_loose(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, Option<ObjectId>)>,
) -> Option<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Some(()),
        Err(_) => return None,
    };
    for entry in entries {
        let entry = entry.ok()?;
        let name = entry.file_name().into_string().ok()?;
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let file_type = entry.file_type().ok()?;
        if file_type.is_dir() {
            collect_loose(&entry.path(), &full, out)?;
        } else if name.ends_with(".lock") {
            continue;
        } else {
            let content = std::fs::read(entry.path()).ok()?;
            let text = content.trim_ascii();
            if text.starts_with(b"ref:") {
                out.push((full, None));
            } else {
                out.push((full, Some(ObjectId::from_hex(text).ok()?)));
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_git::git;

    /// The files-backend reading agrees with gix's iterator: packed refs, loose refs that
    /// override packed ones, nested names, and symbolic refs left out.
    #[test]
    fn agrees_with_gix_on_packed_loose_and_symbolic_refs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["commit", "-q", "--allow-empty", "-m", "one"]);
        let one = git(root, &["rev-parse", "HEAD"]);
        git(root, &["commit", "-q", "--allow-empty", "-m", "two"]);
        let two = git(root, &["rev-parse", "HEAD"]);
        for name in ["origin/main", "origin/release/1", "upstream/main"] {
            git(root, &["update-ref", &format!("refs/remotes/{name}"), &one]);
        }
        git(root, &["pack-refs", "--all"]);
        // Loose after packing: overrides the packed origin/main, adds a new one.
        git(root, &["update-ref", "refs/remotes/origin/main", &two]);
        git(root, &["update-ref", "refs/remotes/origin/feature/x", &two]);
        git(
            root,
            &[
                "symbolic-ref",
                "refs/remotes/origin/HEAD",
                "refs/remotes/origin/main",
            ],
        );

        let fast = read(&root.join(".git")).unwrap();
        let repo = gix::open(root).unwrap();
        let mut slow: Vec<(String, ObjectId)> = repo
            .references()
            .unwrap()
            .remote_branches()
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|r| match r.target() {
                gix::refs::TargetRef::Object(id) => Some((
                    r.name()
                        .as_bstr()
                        .to_string()
                        .trim_start_matches("refs/remotes/")
                        .to_owned(),
                    id.to_owned(),
                )),
                gix::refs::TargetRef::Symbolic(_) => None,
            })
            .collect();
        slow.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 4);
        assert!(fast.iter().any(
            |(n, id)| n == "origin/main" && *id == ObjectId::from_hex(two.as_bytes()).unwrap()
        ));
    }
}
