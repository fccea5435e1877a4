//! Diagnostic codes of promotion lineage.

/// A lane pins an artifact the lane it is promoted from never pinned.
pub const UNSTAGED_ARTIFACT: &str = "promotion::unstaged-artifact";
/// The history at hand cannot tell (a shallow clone, a history past the walk's budget).
pub const CANNOT_KNOW: &str = "promotion::cannot-know";
/// What lineage decided for each pin (`--verbose`).
pub const NOTE: &str = "promotion::note";

/// Every code above.
pub const ALL: &[&str] = &[CANNOT_KNOW, NOTE, UNSTAGED_ARTIFACT];
