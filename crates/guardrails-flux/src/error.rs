//! Why a run could not be made.

use std::path::PathBuf;

use crate::render;

/// Why validation could not run at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the root directory {path}: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid glob `{glob}`: {source}")]
    Glob {
        glob: String,
        source: globset::Error,
    },
    #[error(transparent)]
    Renderer(#[from] render::RendererError),
}
