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

pub use guardrails_report::suggest::did_you_mean;
