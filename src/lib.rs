//! The command-line edge shared by every hook binary: common flags, reading the hook's
//! inputs (environment, parent processes, pre-push stdin), and writing reports.
//!
//! Library crates under `crates/` never print and never exit; this module and the thin
//! `src/bin/*` mains are the only code that talks to the terminal.

pub mod args;
pub mod cli;
pub mod config;
pub mod explain;
pub mod promotion;
