//! The render cache: a render is reused when every input the graph knows, the renderer's
//! version and the flags are byte-for-byte the same.

use std::path::{Path, PathBuf};

/// A 64-bit FNV-1a fingerprint: stable across runs and platforms (std's hasher is not
/// guaranteed to be), and collisions only cost a stale cache entry between two states
/// of one repository.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Builds a 128-bit key from parts; each part is length-prefixed so boundaries count.
#[derive(Debug, Clone, Default)]
pub struct KeyBuilder {
    a: u64,
    b: u64,
}

impl KeyBuilder {
    pub fn new() -> Self {
        KeyBuilder {
            a: 0xcbf2_9ce4_8422_2325,
            b: 0x6c62_272e_07bb_0142,
        }
    }

    pub fn add(&mut self, part: &[u8]) -> &mut Self {
        for byte in (part.len() as u64).to_le_bytes().iter().chain(part) {
            self.a ^= u64::from(*byte);
            self.a = self.a.wrapping_mul(0x0000_0100_0000_01b3);
            // A second, differently seeded and rotated lane makes accidental collisions
            // of the 128-bit key negligible.
            self.b = (self.b ^ u64::from(*byte))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(23);
        }
        self
    }

    pub fn finish(&self) -> String {
        format!("{:016x}{:016x}", self.a, self.b)
    }
}

/// Render outputs stored as files named by their key.
#[derive(Debug, Clone)]
pub struct RenderCache {
    dir: PathBuf,
}

/// Entries kept: enough for a few hundred overlays in a couple of states.
const MAX_ENTRIES: usize = 2048;

impl RenderCache {
    pub fn new(dir: &Path) -> Self {
        RenderCache {
            dir: dir.join("renders"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    pub fn get(&self, key: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(key)).ok()
    }

    /// Stores a render; failures to write are ignored (the cache is an optimisation).
    /// The file is written under a temporary name and renamed, so a concurrent reader
    /// never sees half a render.
    pub fn put(&self, key: &str, rendered: &str) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let tmp = self.dir.join(format!(".{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, rendered).is_ok() {
            let _ = std::fs::rename(&tmp, self.dir.join(key));
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// Drops the oldest entries when the cache grows past its bound.
    pub fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<_> = entries
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if files.len() <= MAX_ENTRIES {
            return;
        }
        files.sort();
        for (_, path) in &files[..files.len() - MAX_ENTRIES / 2] {
            let _ = std::fs::remove_file(path);
        }
    }
}
