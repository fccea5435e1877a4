//! The index of pin changes: every commit reachable from a tip (its parents and time) and
//! every change of a pin in the followed files, kept in the git directory between runs.
//!
//! A run whose tip the index was built for reads it and walks nothing; a run on a newer
//! tip walks only the commits the index does not have (`git rev-list NEW ^OLD`), looks the
//! files up in those commits and their parents, and keeps what the new tip reaches. The
//! file carries a format version, its length and a checksum: a damaged index is rebuilt,
//! never trusted, and it is replaced atomically (a temporary file renamed over it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use guardrails_git::file_history::{self, FileHistoryError, PathLookup, WalkedCommit};
use guardrails_image_lint::Pin;

use crate::audit::PinValue;

/// One change of a pin: the commit made it at this setter of this file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawChange {
    /// Index in [`Index::commits`].
    pub node: u32,
    /// Index in [`Index::paths`].
    pub path: u32,
    pub setter: String,
    pub value: PinValue,
    /// The value the commit's first parent had at this setter.
    pub previous: Option<PinValue>,
    /// The file's content in the commit, and where the pin is written in it.
    pub blob: ObjectId,
    pub line: u32,
    pub offset: u32,
    pub len: u32,
}

/// The history of the followed paths from `tip`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Index {
    pub tip: Option<ObjectId>,
    pub paths: Vec<String>,
    /// Newest first for a fresh walk; the commits an update adds come first.
    pub commits: Vec<WalkedCommit>,
    pub changes: Vec<RawChange>,
    pub shallow: bool,
    pub truncated: bool,
}

/// The index of `paths` at `tip`: read from `cache` (a directory; `None` keeps none, as
/// with `--no-cache`), brought up to `tip` or built, and written back.
pub(crate) fn load_or_build(
    repo: &gix::Repository,
    cache: Option<&Path>,
    tip: ObjectId,
    paths: &[String],
    limit: usize,
) -> Result<Index, FileHistoryError> {
    let file = cache.map(|dir| dir.join("pin-changes"));
    let cached = file
        .as_deref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|bytes| decode(&bytes));
    let shallow = repo.is_shallow().unwrap_or(false);
    let usable = cached.filter(|index| {
        // A shallow clone's boundary moves with every fetch: its index is never reused.
        !index.shallow && !index.truncated && !shallow && index.paths == paths
    });
    let usable = usable.unwrap_or_default();
    if usable.tip == Some(tip) {
        return Ok(usable);
    }
    let index = update(repo, usable, tip, paths, limit)?;
    if let Some(file) = &file
        && !index.shallow
        && !index.truncated
    {
        // An index that cannot be written is rebuilt next time: never a failure.
        let _ = write_atomically(file, &encode(&index));
    }
    Ok(index)
}

/// `old` extended to `tip`: the commits `tip` reaches that `old` lacks are walked, and
/// what `tip` does not reach is dropped.
fn update(
    repo: &gix::Repository,
    old: Index,
    tip: ObjectId,
    paths: &[String],
    limit: usize,
) -> Result<Index, FileHistoryError> {
    let hidden: Vec<ObjectId> = old.tip.into_iter().collect();
    let mut lookup = PathLookup::default();
    let walk = file_history::walk_paths(repo, &[tip], &hidden, paths, &mut lookup, limit)?;
    let new: HashMap<ObjectId, usize> = walk
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.commit.id, i))
        .collect();
    // The blobs of each parent the walk did not visit (a commit of the old index, or past
    // a shallow boundary: then no parent at all).
    let mut old_blobs: HashMap<ObjectId, Vec<Option<ObjectId>>> = HashMap::new();
    for c in &walk.commits {
        for parent in &c.commit.parents {
            if !new.contains_key(parent)
                && !old_blobs.contains_key(parent)
                && repo.has_object(parent)
            {
                let blobs = lookup.blobs_in_commit(repo, *parent, paths)?;
                old_blobs.insert(*parent, blobs);
            }
        }
    }
    let blobs_of = |id: &ObjectId| -> Option<&[Option<ObjectId>]> {
        match new.get(id) {
            Some(&i) => Some(&walk.commits[i].blobs),
            None => old_blobs.get(id).map(Vec::as_slice),
        }
    };
    // Which contents to read: a path's blob in each commit where it differs from a parent's,
    // and those parents' blobs.
    let mut wanted: Vec<(usize, ObjectId)> = Vec::new();
    let mut differs: Vec<(usize, usize)> = Vec::new(); // (commit, path)
    for (ci, c) in walk.commits.iter().enumerate() {
        let parents: Vec<&[Option<ObjectId>]> =
            c.commit.parents.iter().filter_map(&blobs_of).collect();
        for (p, blob) in c.blobs.iter().enumerate() {
            let Some(blob) = blob else { continue };
            if !parents.is_empty() && parents.iter().all(|b| b[p] == Some(*blob)) {
                continue;
            }
            differs.push((ci, p));
            wanted.push((p, *blob));
            wanted.extend(parents.iter().filter_map(|b| b[p].map(|id| (p, id))));
        }
    }
    wanted.sort();
    wanted.dedup();
    let pins = read_pins(repo, paths, &wanted)?;
    let no_pins: Vec<Pin> = Vec::new();
    let pins_of = |p: usize, blob: Option<ObjectId>| -> &Vec<Pin> {
        blob.and_then(|b| pins.get(&(p, b))).unwrap_or(&no_pins)
    };
    // Node numbers: the new commits first, then the old index's.
    let offset = u32::try_from(walk.commits.len()).unwrap_or(u32::MAX);
    let mut changes = Vec::new();
    for (ci, p) in differs {
        let c = &walk.commits[ci];
        let here = pins_of(p, c.blobs[p]);
        let parent_pins: Vec<&Vec<Pin>> = c
            .commit
            .parents
            .iter()
            .filter_map(&blobs_of)
            .map(|b| pins_of(p, b[p]))
            .collect();
        let same =
            |a: &Pin, b: &Pin| a.setter == b.setter && a.tag == b.tag && a.digest == b.digest;
        let mut seen: Vec<&Pin> = Vec::new();
        for pin in here {
            if seen.iter().any(|s| same(s, pin)) {
                continue;
            }
            seen.push(pin);
            if parent_pins.iter().any(|pp| pp.iter().any(|q| same(q, pin))) {
                continue;
            }
            let value = |p: &Pin| PinValue {
                tag: p.tag.clone(),
                digest: p.digest.clone(),
            };
            changes.push(RawChange {
                node: u32::try_from(ci).unwrap_or(u32::MAX),
                path: u32::try_from(p).unwrap_or(u32::MAX),
                setter: pin.setter.clone(),
                previous: parent_pins
                    .first()
                    .and_then(|pp| pp.iter().find(|q| q.setter == pin.setter))
                    .map(value),
                value: value(pin),
                blob: c.blobs[p].unwrap_or_else(|| ObjectId::null(gix::hash::Kind::Sha1)),
                line: u32::try_from(pin.span.line).unwrap_or(u32::MAX),
                offset: u32::try_from(pin.span.offset).unwrap_or(u32::MAX),
                len: u32::try_from(pin.span.len).unwrap_or(u32::MAX),
            });
        }
    }
    let mut commits: Vec<WalkedCommit> = walk.commits.into_iter().map(|c| c.commit).collect();
    commits.extend(old.commits);
    changes.extend(old.changes.into_iter().map(|c| RawChange {
        node: c.node.saturating_add(offset),
        ..c
    }));
    let index = Index {
        tip: Some(tip),
        paths: paths.to_vec(),
        commits,
        changes,
        shallow: walk.shallow,
        truncated: walk.truncated,
    };
    Ok(if hidden.is_empty() {
        index
    } else {
        reachable_part(index)
    })
}

/// Keeps the commits (and their changes) the tip reaches: an index updated after a
/// branch switch or a rewrite drops what only the old tip had.
fn reachable_part(index: Index) -> Index {
    let position: HashMap<ObjectId, usize> = index
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut keep = vec![false; index.commits.len()];
    let mut stack: Vec<usize> = index
        .tip
        .and_then(|t| position.get(&t).copied())
        .into_iter()
        .collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut keep[i], true) {
            continue;
        }
        stack.extend(
            index.commits[i]
                .parents
                .iter()
                .filter_map(|p| position.get(p).copied()),
        );
    }
    if keep.iter().all(|&k| k) {
        return index;
    }
    let mut renumber = vec![u32::MAX; keep.len()];
    let mut next = 0u32;
    for (i, &k) in keep.iter().enumerate() {
        if k {
            renumber[i] = next;
            next += 1;
        }
    }
    Index {
        commits: index
            .commits
            .into_iter()
            .zip(&keep)
            .filter_map(|(c, &k)| k.then_some(c))
            .collect(),
        changes: index
            .changes
            .into_iter()
            .filter(|c| keep.get(c.node as usize).copied().unwrap_or(false))
            .map(|c| RawChange {
                node: renumber[c.node as usize],
                ..c
            })
            .collect(),
        ..index
    }
}

/// The pins of each wanted content, parsed on one parser thread.
fn read_pins(
    repo: &gix::Repository,
    paths: &[String],
    wanted: &[(usize, ObjectId)],
) -> Result<HashMap<(usize, ObjectId), Vec<Pin>>, FileHistoryError> {
    let mut texts: Vec<String> = Vec::with_capacity(wanted.len());
    for (p, blob) in wanted {
        let data = repo
            .find_blob(*blob)
            .map_err(|e| FileHistoryError::new(paths[*p].clone(), e))?;
        texts.push(String::from_utf8_lossy(&data.data).into_owned());
    }
    let parseable: Vec<usize> = (0..texts.len())
        .filter(|&i| texts[i].contains("$imagepolicy"))
        .collect();
    let limits = guardrails_yaml::Limits::default();
    let pins_of = |i: usize, docs: &[guardrails_yaml::Node]| {
        let (p, blob) = wanted[i];
        let file = guardrails_image_lint::SourceFile {
            path: &paths[p],
            text: &texts[i],
            docs,
        };
        (p, blob, guardrails_image_lint::pins_in(&file))
    };
    // The versions of a long history are parsed on every core, each share on one parser
    // thread (a thread per version costs more than the parse).
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let share = parseable.len().div_ceil(cores.clamp(1, 4)).max(64);
    let parse_share = |share: &[usize]| {
        let refs: Vec<&str> = share.iter().map(|&i| texts[i].as_str()).collect();
        let mut found = Vec::new();
        // A content that does not parse pinned nothing anyone applied.
        let parsed = guardrails_yaml::parse_each(&refs, &limits, |k, docs| {
            if let Ok(docs) = docs {
                found.push(pins_of(share[k], &docs));
            }
        });
        if parsed.is_err() {
            found.clear();
            for &i in share {
                if let Ok(docs) = guardrails_yaml::parse_documents(&texts[i], &limits) {
                    found.push(pins_of(i, &docs));
                }
            }
        }
        found
    };
    let found: Vec<Vec<(usize, ObjectId, Vec<Pin>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = parseable
            .chunks(share)
            .map(|chunk| scope.spawn(move || parse_share(chunk)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    Ok(found
        .into_iter()
        .flatten()
        .map(|(p, blob, pins)| ((p, blob), pins))
        .collect())
}

const MAGIC: &[u8; 8] = b"GGPINIX2";

/// The index as bytes: magic, length, checksum, then the fields.
fn encode(index: &Index) -> Vec<u8> {
    let mut body = Vec::new();
    let mut w = Writer(&mut body);
    w.id(index.tip.as_ref());
    w.u32(index.paths.len());
    for p in &index.paths {
        w.str(p);
    }
    w.u32(index.commits.len());
    let position: gix::hashtable::HashMap<ObjectId, usize> = index
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    for c in &index.commits {
        w.id(Some(&c.id));
        w.0.extend_from_slice(&c.time.to_le_bytes());
        w.u32(c.parents.len());
        for p in &c.parents {
            // A parent outside the index (past a shallow boundary) is written as its id.
            match position.get(p) {
                Some(&i) => {
                    w.0.push(0);
                    w.u32(i);
                }
                None => {
                    w.0.push(1);
                    w.id(Some(p));
                }
            }
        }
    }
    w.u32(index.changes.len());
    for c in &index.changes {
        w.u32(c.node as usize);
        w.u32(c.path as usize);
        w.str(&c.setter);
        w.value(Some(&c.value));
        w.value(c.previous.as_ref());
        w.id(Some(&c.blob));
        w.u32(c.line as usize);
        w.u32(c.offset as usize);
        w.u32(c.len as usize);
    }
    let mut out = Vec::with_capacity(body.len() + 24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The index `bytes` hold; `None` for anything damaged, truncated or of another format.
fn decode(bytes: &[u8]) -> Option<Index> {
    let header = bytes.get(..24)?;
    if &header[..8] != MAGIC {
        return None;
    }
    let len = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let sum = u64::from_le_bytes(header[16..24].try_into().ok()?);
    let body = bytes.get(24..)?;
    if body.len() as u64 != len || fnv1a(body) != sum {
        return None;
    }
    let mut r = Reader(body);
    let tip = r.id()?;
    let paths = (0..r.u32()?).map(|_| r.str()).collect::<Option<Vec<_>>>()?;
    // A parent is a position in the index, or (past a shallow boundary) an id; read into
    // one list first, as a parent's position may come after its child.
    type Parent = Result<usize, ObjectId>;
    let count = r.u32()?;
    // A commit takes at least 33 bytes: a count the file cannot hold reserves nothing.
    let reserve = count.min(body.len() / 33);
    let mut heads: Vec<(ObjectId, i64, usize, usize)> = Vec::with_capacity(reserve);
    let mut tokens: Vec<Parent> = Vec::with_capacity(reserve + reserve / 8);
    for _ in 0..count {
        let id = r.id()??;
        let time = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        let start = tokens.len();
        for _ in 0..r.u32()? {
            tokens.push(match r.take(1)?[0] {
                0 => Ok(r.u32()?),
                _ => Err(r.id()??),
            });
        }
        heads.push((id, time, start, tokens.len()));
    }
    let commits = heads
        .iter()
        .map(|&(id, time, start, end)| {
            let parents = tokens[start..end]
                .iter()
                .map(|p| match p {
                    Ok(i) => heads.get(*i).map(|h| h.0),
                    Err(id) => Some(*id),
                })
                .collect::<Option<Vec<_>>>()?;
            Some(WalkedCommit { id, time, parents })
        })
        .collect::<Option<Vec<_>>>()?;
    let ids_len = heads.len();
    let changes = (0..r.u32()?)
        .map(|_| {
            let node = u32::try_from(r.u32()?).ok()?;
            let path = u32::try_from(r.u32()?).ok()?;
            let setter = r.str()?;
            let value = r.value()??;
            let previous = r.value()?;
            let blob = r.id()??;
            let change = RawChange {
                node,
                path,
                setter,
                value,
                previous,
                blob,
                line: u32::try_from(r.u32()?).ok()?,
                offset: u32::try_from(r.u32()?).ok()?,
                len: u32::try_from(r.u32()?).ok()?,
            };
            ((node as usize) < ids_len && (path as usize) < paths.len()).then_some(change)
        })
        .collect::<Option<Vec<_>>>()?;
    r.0.is_empty().then_some(Index {
        tip,
        paths,
        commits,
        changes,
        shallow: false,
        truncated: false,
    })
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u32(&mut self, n: usize) {
        self.0
            .extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn id(&mut self, id: Option<&ObjectId>) {
        match id {
            Some(id) => {
                self.0.push(1);
                self.0.extend_from_slice(id.as_bytes());
            }
            None => self.0.push(0),
        }
    }
    fn value(&mut self, value: Option<&PinValue>) {
        match value {
            Some(v) => {
                self.0.push(1);
                self.str(&v.tag);
                match &v.digest {
                    Some(d) => {
                        self.0.push(1);
                        self.str(d);
                    }
                    None => self.0.push(0),
                }
            }
            None => self.0.push(0),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<usize> {
        let bytes = self.take(4)?;
        usize::try_from(u32::from_le_bytes(bytes.try_into().ok()?)).ok()
    }
    fn str(&mut self) -> Option<String> {
        let len = self.u32()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
    /// `Some(None)` for an absent id; `None` for damage.
    fn id(&mut self) -> Option<Option<ObjectId>> {
        match self.take(1)?[0] {
            0 => Some(None),
            _ => Some(Some(ObjectId::try_from(self.take(20)?).ok()?)),
        }
    }
    fn value(&mut self) -> Option<Option<PinValue>> {
        if self.take(1)?[0] == 0 {
            return Some(None);
        }
        let tag = self.str()?;
        let digest = match self.take(1)?[0] {
            0 => None,
            _ => Some(self.str()?),
        };
        Some(Some(PinValue { tag, digest }))
    }
}

/// FNV-1a over 64-bit words (then the last bytes): enough to tell a damaged file from a
/// whole one, at a word per step on an index of megabytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut words = bytes.chunks_exact(8);
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        hash = (hash ^ word).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        hash = (hash ^ u64::from(b)).wrapping_mul(PRIME);
    }
    hash
}

fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temp: PathBuf = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("index"),
        std::process::id()
    ));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    fn sample() -> Index {
        Index {
            tip: Some(id(2)),
            paths: vec!["apps/production/kustomization.yaml".to_owned()],
            commits: vec![
                WalkedCommit {
                    id: id(2),
                    time: 20,
                    parents: vec![id(1), id(9)],
                },
                WalkedCommit {
                    id: id(1),
                    time: 10,
                    parents: vec![],
                },
            ],
            changes: vec![RawChange {
                node: 0,
                path: 0,
                setter: "production:app".to_owned(),
                value: PinValue {
                    tag: "production-v1-abcdef0-1".to_owned(),
                    digest: Some("sha256:00".to_owned()),
                },
                previous: None,
                blob: id(3),
                line: 7,
                offset: 120,
                len: 20,
            }],
            shallow: false,
            truncated: false,
        }
    }

    #[test]
    fn an_index_round_trips_and_damage_is_never_read() {
        let bytes = encode(&sample());
        assert_eq!(decode(&bytes), Some(sample()));
        // Truncated, emptied, one byte flipped, another format: rebuilt, not trusted.
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[]), None);
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(decode(&flipped), None);
        let mut other = bytes;
        other[7] = b'9';
        assert_eq!(decode(&other), None);
    }

    #[test]
    fn an_update_keeps_only_what_the_tip_reaches() {
        let mut index = sample();
        index.commits.push(WalkedCommit {
            id: id(5),
            time: 5,
            parents: vec![],
        });
        index.changes.push(RawChange {
            node: 2,
            ..index.changes[0].clone()
        });
        let kept = reachable_part(index);
        assert_eq!(kept.commits.len(), 2);
        assert_eq!(kept.changes.len(), 1);
        assert_eq!(kept, sample());
    }
}
