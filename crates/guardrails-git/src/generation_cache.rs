//! The highest commit-graph generation among the public tips, remembered between runs.
//!
//! An amend of an unpushed commit is answered by one comparison: a commit whose generation
//! is higher than every public tip's cannot be reached from them. Finding the highest tip
//! generation is one commit-graph lookup per tip, thousands of binary searches over a
//! graph of many megabytes, most of it page faults, repeated on every commit although the
//! answer only changes when a fetch moves the tips or the graph is rewritten. It is a pure
//! function of the tip ids and the graph's content, so the entry is keyed on exactly those:
//! the sorted tip ids and the graph files' trailing checksums (git names and verifies graph
//! files by them; see gitformat-commit-graph(5)).
//!
//! The entry is one line, `gitops-guardrails tip-generation v1 <key> <generation> <check>`,
//! where `<check>` is a checksum of what precedes it: a truncated or altered entry is
//! recomputed, never trusted. Writes go to a unique temporary file renamed into place, so
//! concurrent runs never read half an entry; a repository that cannot be written to only
//! loses the cache.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use gix::ObjectId;

const MAGIC: &str = "gitops-guardrails tip-generation v1";
const FILE_NAME: &str = "tip-generation";

/// Where entries live (a directory created on first write).
#[derive(Debug, Clone)]
pub struct GenerationCache {
    dir: PathBuf,
}

/// What the highest tip generation depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationKey(String);

impl GenerationCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The key of `tips` (in any order, duplicates allowed) against the commit-graph of
    /// `objects_dir`; `None` when the graph files cannot be identified.
    pub fn key(
        objects_dir: &Path,
        hash: gix::hash::Kind,
        tips: &mut Vec<ObjectId>,
    ) -> Option<GenerationKey> {
        tips.sort_unstable();
        tips.dedup();
        let mut hasher = gix::hash::hasher(hash);
        hasher.update(MAGIC.as_bytes());
        graph_identity(objects_dir, hash, &mut |bytes| hasher.update(bytes))?;
        for tip in tips.iter() {
            hasher.update(tip.as_bytes());
        }
        Some(GenerationKey(hasher.try_finalize().ok()?.to_string()))
    }

    /// The generation stored for `key`: `Some(None)` when the tips' highest generation is
    /// unknown (a tip outside the graph), `None` when there is no sound entry.
    pub fn get(&self, key: &GenerationKey) -> Option<Option<u32>> {
        let text = std::fs::read_to_string(self.dir.join(FILE_NAME)).ok()?;
        let line = text.strip_suffix('\n')?;
        let (body, check) = line.rsplit_once(' ')?;
        if check != checksum(body) {
            return None;
        }
        let rest = body.strip_prefix(MAGIC)?.strip_prefix(' ')?;
        let (stored_key, generation) = rest.split_once(' ')?;
        if stored_key != key.0 {
            return None;
        }
        match generation {
            "unknown" => Some(None),
            number => number.parse().ok().map(Some),
        }
    }

    /// Stores `generation` for `key`, replacing the entry of another key.
    pub fn put(&self, key: &GenerationKey, generation: Option<u32>) {
        let generation = generation.map_or_else(|| "unknown".to_owned(), |g| g.to_string());
        let body = format!("{MAGIC} {} {generation}", key.0);
        let line = format!("{body} {}\n", checksum(&body));
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let temporary = self
            .dir
            .join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        if std::fs::write(&temporary, line).is_ok()
            && std::fs::rename(&temporary, self.dir.join(FILE_NAME)).is_err()
        {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

/// Feeds what identifies the commit-graph of `objects_dir` to `update`: the trailing
/// checksum of `info/commit-graph` and the content of `info/commit-graphs/commit-graph-chain`
/// (which lists its files by checksum), or that either is absent.
fn graph_identity(
    objects_dir: &Path,
    hash: gix::hash::Kind,
    update: &mut dyn FnMut(&[u8]),
) -> Option<()> {
    let info = objects_dir.join("info");
    match std::fs::File::open(info.join("commit-graph")) {
        Ok(mut file) => {
            let mut trailer = vec![0; hash.len_in_bytes()];
            file.seek(SeekFrom::End(-(trailer.len() as i64))).ok()?;
            file.read_exact(&mut trailer).ok()?;
            update(b"graph");
            update(&trailer);
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => update(b"no graph"),
        Err(_) => return None,
    }
    match std::fs::read(info.join("commit-graphs/commit-graph-chain")) {
        Ok(chain) => {
            update(b"chain");
            update(&chain);
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => update(b"no chain"),
        Err(_) => return None,
    }
    Some(())
}

/// A short checksum of an entry's text (FNV-1a, stable across runs and platforms).
fn checksum(text: &str) -> String {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[byte; 20])
    }

    fn key_of(objects: &Path, tips: &[ObjectId]) -> GenerationKey {
        GenerationCache::key(objects, gix::hash::Kind::Sha1, &mut tips.to_vec()).unwrap()
    }

    #[test]
    fn the_key_follows_the_tip_set_and_the_graph() {
        let dir = tempfile::tempdir().unwrap();
        let objects = dir.path();
        std::fs::create_dir_all(objects.join("info")).unwrap();
        let ab = key_of(objects, &[id(1), id(2)]);
        assert_eq!(
            ab,
            key_of(objects, &[id(2), id(1), id(2)]),
            "order, duplicates"
        );
        assert_ne!(ab, key_of(objects, &[id(1), id(3)]), "another tip");
        std::fs::write(objects.join("info/commit-graph"), [7u8; 64]).unwrap();
        let with_graph = key_of(objects, &[id(1), id(2)]);
        assert_ne!(ab, with_graph, "a graph appeared");
        let mut rewritten = vec![7u8; 44];
        rewritten.extend([8u8; 20]);
        std::fs::write(objects.join("info/commit-graph"), rewritten).unwrap();
        assert_ne!(
            with_graph,
            key_of(objects, &[id(1), id(2)]),
            "graph rewritten"
        );
    }

    #[test]
    fn entries_round_trip_and_damage_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = GenerationCache::new(dir.path().join("cache"));
        let key = key_of(dir.path(), &[id(1)]);
        let other = key_of(dir.path(), &[id(2)]);
        assert_eq!(cache.get(&key), None, "nothing stored");
        cache.put(&key, Some(123_456));
        assert_eq!(cache.get(&key), Some(Some(123_456)));
        assert_eq!(cache.get(&other), None, "another key");
        cache.put(&other, None);
        assert_eq!(cache.get(&other), Some(None));
        assert_eq!(cache.get(&key), None, "replaced");

        cache.put(&key, Some(123_456));
        let path = dir.path().join("cache").join(FILE_NAME);
        let whole = std::fs::read_to_string(&path).unwrap();
        for damaged in [
            String::new(),
            whole[..whole.len() / 2].to_owned(),
            whole.replace("123456", "123457"),
            whole.replace("123456", "12345"),
            whole.trim_end().to_owned(),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            assert_eq!(cache.get(&key), None, "{damaged:?}");
        }
        let leftovers = std::fs::read_dir(dir.path().join("cache")).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
