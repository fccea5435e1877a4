//! The render cache: a render is reused when every input the graph knows, the renderer's
//! version and the flags are byte-for-byte the same.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Render outputs stored as files named by their key. Each entry starts with a header
/// line, `gitops-guardrails render <format> <length> <fingerprint>`, so a truncated,
/// emptied or otherwise damaged entry is recognised, discarded and rebuilt instead of
/// being read as a render.
#[derive(Debug, Clone)]
pub struct RenderCache {
    dir: PathBuf,
    /// Damaged entries discarded by this run (said with `--verbose`).
    discarded: Arc<AtomicUsize>,
}

/// The entry format; entries of another format are discarded.
const FORMAT: &str = "v1";
const MAGIC: &str = "gitops-guardrails render";

/// A unique suffix per write of this process (threads of one run write concurrently).
static WRITES: AtomicUsize = AtomicUsize::new(0);

/// Entries kept: enough for a few hundred overlays in a couple of states.
const MAX_ENTRIES: usize = 2048;

impl RenderCache {
    pub fn new(dir: &Path) -> Self {
        RenderCache {
            dir: dir.join("renders"),
            discarded: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    /// The render stored under `key`, when its entry is whole.
    pub fn get(&self, key: &str) -> Option<String> {
        let path = self.dir.join(key);
        let bytes = std::fs::read(&path).ok()?;
        match entry_content(&bytes) {
            Some(render) => Some(render.to_owned()),
            None => {
                let _ = std::fs::remove_file(&path);
                self.discarded.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// How many damaged entries this run discarded.
    pub fn discarded(&self) -> usize {
        self.discarded.load(Ordering::Relaxed)
    }

    /// Stores a render; failures to write are ignored (the cache is an optimisation).
    /// The file is written under a temporary name unique to this write and renamed, so a
    /// concurrent reader (another thread, another run) never sees half an entry.
    pub fn put(&self, key: &str, rendered: &str) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let tmp = self.dir.join(format!(
            ".{key}.{}.{}.tmp",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let entry = format!(
            "{MAGIC} {FORMAT} {} {:016x}\n{rendered}",
            rendered.len(),
            fingerprint(rendered.as_bytes())
        );
        if std::fs::write(&tmp, entry).is_ok() {
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

/// The render an entry holds, when its header matches this format and its content has the
/// length and fingerprint the header records.
fn entry_content(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (header, content) = text.split_once('\n')?;
    let rest = header.strip_prefix(MAGIC)?.strip_prefix(' ')?;
    let mut fields = rest.split(' ');
    let (format, length, sum) = (fields.next()?, fields.next()?, fields.next()?);
    let whole = fields.next().is_none()
        && format == FORMAT
        && length.parse::<usize>().ok()? == content.len()
        && u64::from_str_radix(sum, 16).ok()? == fingerprint(content.as_bytes());
    whole.then_some(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_entry_is_discarded_and_a_whole_one_read() {
        let temp = tempfile::tempdir().unwrap();
        let cache = RenderCache::new(temp.path());
        let render = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        cache.put("k", render);
        assert_eq!(cache.get("k").as_deref(), Some(render));
        let path = temp.path().join("renders/k");
        let whole = std::fs::read(&path).unwrap();
        for damaged in [
            Vec::new(),
            whole[..whole.len() - 5].to_vec(),
            render.as_bytes().to_vec(),
            [&whole[..whole.len() - 2], b"y\n"].concat(),
            String::from_utf8(whole.clone())
                .unwrap()
                .replacen(" v1 ", " v0 ", 1)
                .into_bytes(),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            assert_eq!(
                cache.get("k"),
                None,
                "{:?}",
                String::from_utf8_lossy(&damaged)
            );
            assert!(!path.exists(), "a damaged entry is removed");
        }
        assert_eq!(cache.discarded(), 5);
        cache.put("k", render);
        assert_eq!(cache.get("k").as_deref(), Some(render));
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(temp.path().join("renders"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["k"]);
    }
}
