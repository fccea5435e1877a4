//! The load graph: which kustomization loads which file and which other kustomization,
//! and from it, which render targets a changed file affects.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::kustomization::{Input, Kustomization};

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
    pub fn build(kustomizations: Vec<Kustomization>, canonical_root: &Path) -> Graph {
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
                .map(|input| graph.resolve(input, canonical_root))
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

    fn resolve(&self, input: &Input, canonical_root: &Path) -> Resolved {
        if input.remote {
            return Resolved::Remote;
        }
        if crate::paths::escapes_root(&input.path, canonical_root) {
            return Resolved::EscapesRoot;
        }
        if input.path.is_dir() && input.kind.accepts_directory() {
            return match self.by_dir.get(&input.path) {
                Some(&child) => Resolved::Kustomization(child),
                None => Resolved::DirWithoutKustomization(input.path.clone()),
            };
        }
        if input.path.is_file() {
            Resolved::File(input.path.clone())
        } else {
            Resolved::Missing
        }
    }

    pub fn index_of_dir(&self, dir: &Path) -> Option<usize> {
        self.by_dir.get(dir).copied()
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
                    // change that breaks the build.
                    Resolved::Missing => {
                        into.insert(input.path.clone());
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
