//! The repository configuration file every hook reads, and suppressions.
//!
//! `.gitops-guardrails.yaml` (or `.yml`) at the top of the work tree says once what would
//! otherwise be repeated in every hook's `args`:
//!
//! ```yaml
//! ignore: [image::mutable-tag]            # codes (or `family::*`) never reported
//! per-path-ignores:
//!   "clusters/legacy/**": [k8s::*]         # codes silenced under a path
//! master-check:
//!   protected: [main, "release/*"]         # a hook's section: its long options
//! flux-kustomize-validate:
//!   flux-version: "2.4"
//!   lane: [develop=develop-, production=production-]
//! ```
//!
//! A hook section takes exactly the hook's command-line options (without the dashes), so
//! nothing has two names; an option given on the command line replaces the file's value.
//! Anything the file gets wrong (an unknown key, a wrong type, a bad value) is an error at
//! its line, with the nearest valid key; a hook never guesses.

mod file;
mod schema;
pub mod suppress;

pub use file::{
    CODE as INVALID, Config, ConfigError, FILE_NAMES, HookSpec, NOTE, OptionKind, OptionSpec,
    Setting, find,
};
pub use schema::json_schema;
pub use suppress::{PathIgnore, Suppressions};

/// The candidate closest to `word` when it is close enough to be a typo (edit distance at
/// most a third of the word, and at least 1).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_matched_and_strangers_are_not() {
        let keys = ["protected", "public", "remote"];
        assert_eq!(did_you_mean("protcted", keys), Some("protected"));
        assert_eq!(did_you_mean("remotes", keys), Some("remote"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
