//! Parents and commit times of every commit in the repository's packs, decoded in parallel.
//!
//! Without a commit-graph, proving that a commit is *not* public means visiting every public
//! commit, and a walk decodes them one after the other: each commit's parents are only known
//! once it is inflated, so a linear history cannot be walked in parallel. Reading the packs
//! in file order instead splits the same inflating over every core, and the walk then
//! continues on this index. Whatever the index lacks (loose objects, deltified commits,
//! octopus merges, packs that cannot be opened) the walk reads through the object database,
//! so the index only ever makes it faster, never different.

use gix::ObjectId;
use gix::hashtable::HashMap;
use gix::objs::commit::ref_iter::Token;
use gix::odb::pack;

/// Pack entries per block that threads take turns over.
const BLOCK: usize = 512;

/// Larger commits (huge messages) are left to the object database.
const MAX_COMMIT_SIZE: usize = 1 << 20;

/// One decoded commit: its committer time and up to two parents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexedCommit {
    pub time: i64,
    parents: [ObjectId; 2],
    count: u8,
}

impl IndexedCommit {
    pub fn parents(&self) -> &[ObjectId] {
        &self.parents[..usize::from(self.count)]
    }
}

/// Commits of the packs under `<objects>/pack`, by id.
#[derive(Debug, Default)]
pub(crate) struct CommitIndex {
    commits: HashMap<ObjectId, IndexedCommit>,
}

impl CommitIndex {
    /// Decodes every non-deltified commit of every pack of the object directory `objects`,
    /// on up to `threads` threads.
    pub fn build(objects: &std::path::Path, hash: gix::hash::Kind, threads: usize) -> Self {
        let mut index = Self::default();
        let Ok(entries) = std::fs::read_dir(objects.join("pack")) else {
            return index;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|ext| ext != "idx") {
                continue;
            }
            // A pack that cannot be read is left to the object database's own lookup.
            if let Ok(bundle) = pack::Bundle::at(&path, hash) {
                index.add_pack(&bundle, hash, threads.max(1));
            }
        }
        index
    }

    pub fn get(&self, id: &ObjectId) -> Option<&IndexedCommit> {
        self.commits.get(id)
    }

    fn add_pack(&mut self, bundle: &pack::Bundle, hash: gix::hash::Kind, threads: usize) {
        // In file order, so each thread reads its part of the pack front to back.
        let mut entries: Vec<(u64, u32)> = (0..bundle.index.num_objects())
            .map(|i| (bundle.index.pack_offset_at_index(i), i))
            .collect();
        entries.sort_unstable();
        // git writes commits first in a pack, so threads take turns over small blocks
        // rather than one contiguous share each.
        let blocks: Vec<&[(u64, u32)]> = entries.chunks(BLOCK).collect();
        let blocks = &blocks;
        let decoded: Vec<Vec<(ObjectId, IndexedCommit)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|worker| {
                    scope.spawn(move || {
                        let mut commits = Vec::new();
                        for block in blocks.iter().skip(worker).step_by(threads) {
                            decode_commits(bundle, block, hash, &mut commits);
                        }
                        commits
                    })
                })
                .collect();
            workers
                .into_iter()
                .filter_map(|worker| worker.join().ok())
                .collect()
        });
        self.commits
            .reserve(decoded.iter().map(Vec::len).sum::<usize>());
        for part in decoded {
            self.commits.extend(part);
        }
    }
}

/// The commits among `entries` (pack offset, index position), skipping deltified objects
/// and octopus merges.
fn decode_commits(
    bundle: &pack::Bundle,
    entries: &[(u64, u32)],
    hash: gix::hash::Kind,
    commits: &mut Vec<(ObjectId, IndexedCommit)>,
) {
    let mut inflate = gix::zlib::Inflate::default();
    let mut out = Vec::new();
    for &(offset, position) in entries {
        let Ok(entry) = bundle.pack.entry(offset) else {
            continue;
        };
        if entry.header != pack::data::entry::Header::Commit {
            continue;
        }
        // The size comes from the pack header: a corrupt one must not allocate gigabytes.
        let Ok(size) = usize::try_from(entry.decompressed_size) else {
            continue;
        };
        if size > MAX_COMMIT_SIZE {
            continue;
        }
        out.resize(size, 0);
        if bundle
            .pack
            .decompress_entry(&entry, &mut inflate, &mut out)
            .is_err()
        {
            continue;
        }
        if let Some(commit) = parse_header(&out, hash) {
            commits.push((bundle.index.oid_at_index(position).to_owned(), commit));
        }
    }
}

/// Parents and committer time from a commit's header; `None` for octopus merges and
/// commits that do not parse (the object database answers for those).
fn parse_header(data: &[u8], hash: gix::hash::Kind) -> Option<IndexedCommit> {
    let mut commit = IndexedCommit {
        time: 0,
        parents: [ObjectId::null(hash); 2],
        count: 0,
    };
    commit.time = read_header(data, hash, |id| {
        *commit.parents.get_mut(usize::from(commit.count))? = id;
        commit.count += 1;
        Some(())
    })?;
    Some(commit)
}

/// Reads a commit's header up to the committer line (the message is never needed): each
/// parent goes to `on_parent`, the committer time is returned. `None` when the header does
/// not parse or `on_parent` gives up.
pub(crate) fn read_header(
    data: &[u8],
    hash: gix::hash::Kind,
    mut on_parent: impl FnMut(ObjectId) -> Option<()>,
) -> Option<i64> {
    for token in gix::objs::CommitRefIter::from_bytes(data, hash) {
        match token.ok()? {
            Token::Parent { id } => on_parent(id)?,
            Token::Committer { signature } => return Some(signature.seconds()),
            _ => {}
        }
    }
    None
}
