//! The load graph: which kustomization loads which file and which other kustomization,
//! and from it, which render targets a changed file affects.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::kustomization::{Input, Kustomization};

/// What a path is in the tree the kustomizations are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeEntry {
    File,
    Dir,
    Missing,
}

/// Where entries resolve: the checkout on disk for the planner, a set of files for a
/// caller that has the files in memory (the image lint on its own, unit tests).
pub trait Tree {
    fn entry(&self, path: &Path) -> TreeEntry;
    /// Whether `path` leaves the source root (kustomize-controller's confined file system
    /// refuses it even when the file exists).
    fn escapes_root(&self, path: &Path) -> bool;
}

/// The checkout on disk, below its canonical root; symlinks are followed as kustomize
/// follows them, and one that points outside the root leaves it.
pub struct FileSystem<'a> {
    pub canonical_root: &'a Path,
}

impl Tree for FileSystem<'_> {
    fn entry(&self, path: &Path) -> TreeEntry {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => TreeEntry::Dir,
            Ok(meta) if meta.is_file() => TreeEntry::File,
            _ => TreeEntry::Missing,
        }
    }

    fn escapes_root(&self, path: &Path) -> bool {
        crate::paths::escapes_root(path, self.canonical_root)
    }
}

/// Files known by their root-relative paths: a directory exists when a file is under it.
#[derive(Debug, Default)]
pub struct FileSet {
    files: BTreeSet<PathBuf>,
}

impl FileSet {
    pub fn new(files: impl IntoIterator<Item = PathBuf>) -> FileSet {
        FileSet {
            files: files.into_iter().collect(),
        }
    }
}

impl Tree for FileSet {
    fn entry(&self, path: &Path) -> TreeEntry {
        if self.files.contains(path) {
            return TreeEntry::File;
        }
        let under = self
            .files
            .range(path.to_path_buf()..)
            .next()
            .is_some_and(|f| f.starts_with(path));
        if under || path.as_os_str().is_empty() {
            TreeEntry::Dir
        } else {
            TreeEntry::Missing
        }
    }

    fn escapes_root(&self, path: &Path) -> bool {
        path.is_absolute() || path.starts_with("..")
    }
}

/// A local entry resolved against the file system.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A file the kustomization reads.
    File(PathBuf),
    /// Another kustomization (index into `Graph::kustomizations`).
    Kustomization(usize),
    /// A directory without a kustomization file.
    DirWithoutKustomization(PathBuf),
    Missing,
    EscapesRoot,
    Remote,
}

pub struct Graph {
    pub kustomizations: Vec<Kustomization>,
    /// Per kustomization, per input: how it resolved.
    pub resolved: Vec<Vec<Resolved>>,
    pub parents: Vec<Vec<usize>>,
    by_dir: HashMap<PathBuf, usize>,
}

impl Graph {
    pub fn build(kustomizations: Vec<Kustomization>, tree: &dyn Tree) -> Graph {
        let by_dir: HashMap<PathBuf, usize> = kustomizations
            .iter()
            .enumerate()
            .map(|(i, k)| (k.dir.clone(), i))
            .collect();
        let mut graph = Graph {
            resolved: Vec::with_capacity(kustomizations.len()),
            parents: vec![Vec::new(); kustomizations.len()],
            kustomizations,
            by_dir,
        };
        for index in 0..graph.kustomizations.len() {
            let resolved: Vec<Resolved> = graph.kustomizations[index]
                .inputs
                .iter()
                .map(|input| graph.resolve(input, tree))
                .collect();
            for r in &resolved {
                if let Resolved::Kustomization(child) = r {
                    graph.parents[*child].push(index);
                }
            }
            graph.resolved.push(resolved);
        }
        graph
    }

    fn resolve(&self, input: &Input, tree: &dyn Tree) -> Resolved {
        if input.remote {
            return Resolved::Remote;
        }
        if tree.escapes_root(&input.path) {
            return Resolved::EscapesRoot;
        }
        match tree.entry(&input.path) {
            TreeEntry::Dir if input.kind.accepts_directory() => {
                match self.by_dir.get(&input.path) {
                    Some(&child) => Resolved::Kustomization(child),
                    None => Resolved::DirWithoutKustomization(input.path.clone()),
                }
            }
            TreeEntry::File => Resolved::File(input.path.clone()),
            TreeEntry::Dir | TreeEntry::Missing => Resolved::Missing,
        }
    }

    pub fn index_of_dir(&self, dir: &Path) -> Option<usize> {
        self.by_dir.get(dir).copied()
    }

    /// The kustomizations that load `k` (its directory is one of their entries).
    pub fn loaders(&self, k: usize) -> &[usize] {
        &self.parents[k]
    }

    /// kustomize-controller's generator (fluxcd/pkg `kustomize.Generator`, used when
    /// `spec.path` has no kustomization file): it lists every manifest under the path,
    /// except that a directory holding a kustomization is listed as one entry and not
    /// descended into. For `path` under `top`, the outermost directory strictly between
    /// them that has a kustomization: the entry that takes `path` in, when there is one.
    pub fn generator_entry_between(&self, top: &Path, path: &Path) -> Option<usize> {
        path.ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(top) && *a != top)
            .filter_map(|a| self.index_of_dir(a))
            .last()
    }

    /// Whether a Flux Kustomization building `spec_dir` builds the objects of `dir`: `dir`
    /// is its path, or the generated kustomization at `spec_dir` lists `dir`'s files (or
    /// `dir`'s own kustomization) directly.
    pub fn flux_builds_dir(&self, spec_dir: &Path, dir: &Path) -> bool {
        spec_dir == dir
            || (dir.starts_with(spec_dir)
                && self.index_of_dir(spec_dir).is_none()
                && self.generator_entry_between(spec_dir, dir).is_none())
    }

    /// Kustomizations reachable from `start` (itself included), each once, even when
    /// the graph has a cycle (kustomize reports cycles itself).
    pub fn reachable(&self, start: usize) -> Vec<usize> {
        let mut seen = vec![false; self.kustomizations.len()];
        let mut stack = vec![start];
        let mut out = Vec::new();
        while let Some(k) = stack.pop() {
            if std::mem::replace(&mut seen[k], true) {
                continue;
            }
            out.push(k);
            for r in &self.resolved[k] {
                if let Resolved::Kustomization(child) = r {
                    stack.push(*child);
                }
            }
        }
        out
    }

    /// Every file a build of `start` reads: kustomization files and their local inputs.
    pub fn closure_files(&self, start: usize, into: &mut BTreeSet<PathBuf>) {
        for k in self.reachable(start) {
            into.insert(self.kustomizations[k].file.clone());
            for (input, r) in self.kustomizations[k].inputs.iter().zip(&self.resolved[k]) {
                match r {
                    Resolved::File(path) => {
                        into.insert(path.clone());
                    }
                    // A deleted input is part of the closure too: deleting it is the
                    // change that breaks the build; so is one turned into a symlink that
                    // leaves the repository.
                    Resolved::Missing | Resolved::EscapesRoot => {
                        into.insert(input.path.clone());
                        if input.kind.accepts_directory() {
                            // It may have been a directory whose kustomization is gone.
                            into.extend(crate::paths::kustomization_files_in(&input.path));
                        }
                    }
                    // A directory whose kustomization file was deleted (or replaced by a
                    // directory): that file's change is what breaks the build.
                    Resolved::DirWithoutKustomization(dir) => {
                        into.extend(crate::paths::kustomization_files_in(dir));
                    }
                    _ => {}
                }
            }
        }
    }

    /// The kustomizations to build on their own: those nothing else loads (the overlays),
    /// plus one member of every cycle that no overlay reaches. In a cycle each member is
    /// loaded by another, so without the second rule nothing would build it, and
    /// kustomize's `cycle detected` error would never be seen.
    pub fn roots(&self) -> Vec<usize> {
        let mut covered = vec![false; self.kustomizations.len()];
        let mut roots = Vec::new();
        let overlays = (0..self.kustomizations.len()).filter(|&k| self.parents[k].is_empty());
        let rest = (0..self.kustomizations.len()).filter(|&k| !self.parents[k].is_empty());
        for k in overlays.chain(rest) {
            if covered[k] {
                continue;
            }
            roots.push(k);
            for reached in self.reachable(k) {
                covered[reached] = true;
            }
        }
        roots.sort_unstable();
        roots
    }
}
