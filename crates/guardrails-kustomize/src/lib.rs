//! The kustomize model that the render planner and the image automation lint share: what
//! each kustomization file loads (entry by entry, with positions, plus the namespace and
//! labels its transformers impose), how each entry resolves, and the include graph between
//! kustomizations. One parser and one graph, so a fix to kustomize semantics is made once.
//!
//! Nothing here runs kustomize: it answers the questions that decide *what* to build and
//! how a build's objects are placed, from the files alone.

pub mod graph;
pub mod kustomization;
pub mod paths;

pub use graph::{FileSet, FileSystem, Graph, Resolved, Tree, TreeEntry};
pub use kustomization::{InlinePlugin, Input, InputKind, Kustomization};
