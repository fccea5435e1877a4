//! Promotion lineage: production runs only what staging ran.
//!
//! In a promotion path one build is retagged from lane to lane (`staging-v1.4.0-3f9c2a1-…`
//! becomes `production-v1.4.0-3f9c2a1-…`); develop and staging are separate builds. A pin in
//! lane TO of an edge `FROM -> TO` must name an artifact ([`artifact`]) that lane FROM
//! pinned, for the same image, at a commit before the one that brings the pin: else
//! production runs a build staging never ran (a rebuild under a familiar name, the wrong
//! build promoted). A pin returning to an artifact lane TO itself ran before is a rollback
//! (`git revert` of the promotion) and passes.
//!
//! Pins are setter markers (`guardrails_image_lint::Pin`); the history comes from
//! [`guardrails_git::file_history`], restricted to the files that hold the lanes' pins.
//! This crate never prints and never exits; findings come back as a [`Report`].

pub mod artifact;
mod audit;
pub mod codes;
mod finding;
mod graph;
mod index;
mod lineage;

use std::str::FromStr;

pub use artifact::{Artifact, Identity, InvalidIdentity};
pub use audit::{Audit, Lineage, PinChange, PinValue, Staged, audit};
pub use finding::{date, short};
pub use guardrails_git::file_history::FileHistoryError;
pub use lineage::check;

/// A promotion edge `FROM=TO`: lane TO runs artifacts lane FROM ran first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

/// `--promote` that is not `FROM=TO`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid promotion `{input}`: expected FROM=TO such as `staging=production`")]
pub struct ParseEdgeError {
    input: String,
}

impl FromStr for Edge {
    type Err = ParseEdgeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((from, to))
                if !from.trim().is_empty() && !to.trim().is_empty() && from.trim() != to.trim() =>
            {
                Ok(Edge {
                    from: from.trim().to_owned(),
                    to: to.trim().to_owned(),
                })
            }
            _ => Err(ParseEdgeError {
                input: s.to_owned(),
            }),
        }
    }
}

impl Edge {
    /// The seeds' model: staging is retagged for production; develop and staging are
    /// separate builds.
    pub fn defaults() -> Vec<Edge> {
        vec![Edge {
            from: "staging".to_owned(),
            to: "production".to_owned(),
        }]
    }
}

/// Which pins to check, against which history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The pins of `files` (repository-relative) that differ from HEAD's: a commit being
    /// made (pre-commit), checked against HEAD's history.
    Changed(std::collections::BTreeSet<String>),
    /// Every current pin, each against the history before the commit that brought it.
    All,
    /// The pins that differ between two commits (CI), each against the history before
    /// the commit that brought it.
    Range {
        from: gix::ObjectId,
        to: gix::ObjectId,
    },
}

/// What to check.
#[derive(Debug, Clone)]
pub struct Options {
    pub edges: Vec<Edge>,
    /// Lane names and their tag prefixes.
    pub lanes: Vec<guardrails_image_lint::Lane>,
    pub identity: Identity,
    pub scope: Scope,
    /// The most commits one history walk visits (a bound, so a hook never hangs).
    pub commit_limit: usize,
    /// Where the index of pin changes is kept between runs (the repository's git
    /// directory); `None` keeps none.
    pub cache_dir: Option<std::path::PathBuf>,
}
