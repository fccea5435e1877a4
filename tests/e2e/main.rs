//! End-to-end tests: real git, real pre-commit and prek, real shims.
//!
//! One integration binary (`autotests = false`) keeps link time down.

// A failed unwrap in a test is a test failure with a backtrace: exactly what is wanted.
#![allow(clippy::unwrap_used)]

mod config;
mod docs;
mod fail_closed;
mod flux_attribution;
mod flux_layouts;
mod flux_schemas;
mod flux_trees;
mod flux_unapplied;
mod flux_validate;
mod harness;
mod master_check;
mod output;
mod prebuilt;
mod prevent_amend;
mod promotion;
mod untouched;

/// Generates one test per client (pre-commit, prek, shim) from one scenario, so each runs
/// in parallel and a failure names the client.
#[macro_export]
macro_rules! per_client {
    ($name:ident, |$client:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::harness::Client;

            fn scenario($client: Client) $body

            #[test]
            fn pre_commit() {
                if Client::PreCommit.available() {
                    scenario(Client::PreCommit);
                }
            }

            #[test]
            fn prek() {
                if Client::Prek.available() {
                    scenario(Client::Prek);
                }
            }

            #[test]
            fn shim() {
                scenario(Client::Shim);
            }
        }
    };
}
