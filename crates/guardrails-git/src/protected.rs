//! Which branch names are protected.

use globset::{GlobBuilder, GlobMatcher};

/// The rule that made a branch protected, so messages can say why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchRule {
    /// `main` or `master`, protected because nothing else was configured.
    Default(String),
    /// `--branch NAME`.
    Exact(String),
    /// `--pattern GLOB` / `--protected=GLOB`.
    Pattern(String),
}

impl std::fmt::Display for BranchRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BranchRule::Default(_) => f.write_str("protected by default"),
            BranchRule::Exact(name) => write!(f, "--branch {name}"),
            BranchRule::Pattern(glob) => write!(f, "--pattern {glob}"),
        }
    }
}

/// A glob that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid branch pattern `{pattern}`: {source}")]
pub struct InvalidPattern {
    pub pattern: String,
    #[source]
    pub source: globset::Error,
}

/// Compiles user globs the one way the suite matches names: against the whole name, `*`
/// not crossing `/`, `\` escaping the next character.
pub(crate) fn compile_globs(
    patterns: &[String],
) -> Result<Vec<(String, GlobMatcher)>, InvalidPattern> {
    patterns
        .iter()
        .map(|pattern| {
            GlobBuilder::new(pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map(|glob| (pattern.clone(), glob.compile_matcher()))
                .map_err(|source| InvalidPattern {
                    pattern: pattern.clone(),
                    source,
                })
        })
        .collect()
}

/// Protected branch names: exact names plus globs matched against the whole name.
///
/// Globs follow gitignore/fnmatch conventions with one deliberate choice: `*` does not
/// cross `/`, so `release/*` protects `release/1.2` but not `release/1.2/hotfix`; use
/// `release/**` for both. An anchored whole-name match avoids the `re.match` surprise of
/// pre-commit-hooks (`release/.*` silently matching only at the start).
#[derive(Debug, Clone)]
pub struct ProtectedBranches {
    exact: Vec<String>,
    defaults: bool,
    globs: Vec<(String, GlobMatcher)>,
}

impl ProtectedBranches {
    /// `main` and `master`, what pre-commit-hooks and the seed script protect by default.
    pub const DEFAULT: [&'static str; 2] = ["main", "master"];

    /// Builds the set; with no names and no patterns at all, the defaults apply.
    pub fn new(names: &[String], patterns: &[String]) -> Result<Self, InvalidPattern> {
        let defaults = names.is_empty() && patterns.is_empty();
        let exact = if defaults {
            Self::DEFAULT.iter().map(|s| (*s).to_owned()).collect()
        } else {
            names.to_vec()
        };
        let globs = compile_globs(patterns)?;
        Ok(Self {
            exact,
            defaults,
            globs,
        })
    }

    /// The rule protecting `branch` (a short name such as `main` or `release/1.0`).
    pub fn rule_for(&self, branch: &str) -> Option<BranchRule> {
        if let Some(name) = self.exact.iter().find(|name| *name == branch) {
            return Some(if self.defaults {
                BranchRule::Default(name.clone())
            } else {
                BranchRule::Exact(name.clone())
            });
        }
        self.globs
            .iter()
            .find(|(_, matcher)| matcher.is_match(branch))
            .map(|(pattern, _)| BranchRule::Pattern(pattern.clone()))
    }

    /// Every rule, for messages that list what is protected.
    pub fn describe(&self) -> String {
        self.exact
            .iter()
            .cloned()
            .chain(self.globs.iter().map(|(p, _)| p.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str], patterns: &[&str]) -> ProtectedBranches {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        ProtectedBranches::new(&own(names), &own(patterns)).expect("valid patterns")
    }

    #[test]
    fn defaults_only_without_any_rule() {
        let defaults = set(&[], &[]);
        assert!(defaults.rule_for("main").is_some());
        assert!(defaults.rule_for("master").is_some());
        assert!(defaults.rule_for("mainline").is_none());
        let custom = set(&["trunk"], &[]);
        assert!(custom.rule_for("main").is_none());
        assert!(set(&[], &["release/*"]).rule_for("main").is_none());
    }

    #[test]
    fn globs_match_the_whole_name_and_stop_at_slashes() {
        let rules = set(&[], &["release/*"]);
        assert_eq!(
            rules.rule_for("release/1.0"),
            Some(BranchRule::Pattern("release/*".into()))
        );
        assert!(rules.rule_for("hotfix-release/1.0").is_none());
        assert!(rules.rule_for("release/1.0/x").is_none());
        assert!(
            set(&[], &["release/**"])
                .rule_for("release/1.0/x")
                .is_some()
        );
    }

    #[test]
    fn invalid_glob_names_the_pattern() {
        let err = ProtectedBranches::new(&[], &["release/[".into()]).unwrap_err();
        assert!(err.to_string().contains("release/["), "{err}");
    }
}
