//! YAML documents as trees whose every node knows where it came from.
//!
//! Diagnostics point at a file, a line and the offending text, so the validators need
//! positions on values, not just on parse errors. Parsing goes through serde-saphyr with
//! explicit budgets: a hook reads whatever is in the repository, and an alias bomb, a
//! 10,000-level nesting or a binary blob must become a diagnostic, never a hang or a crash.
//!
//! This crate never reads the environment and never prints.

mod go_names;
mod node;
mod parse;

pub use node::{Node, Span, Value};
pub use parse::{Limits, ParseError, ReadError, parse_documents, parse_each, read_text};

#[cfg(test)]
mod tests;
