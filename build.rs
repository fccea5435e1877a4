//! Embeds the diagnostic code pages (`docs/codes/<family>/<name>.md`) in every hook, so
//! `--explain CODE` prints the same text the documentation shows.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let docs = Path::new("docs/codes");
    println!("cargo::rerun-if-changed={}", docs.display());
    let mut pages: Vec<(String, String)> = Vec::new();
    if let Ok(families) = std::fs::read_dir(docs) {
        for family in families.flatten() {
            println!("cargo::rerun-if-changed={}", family.path().display());
            let Ok(entries) = std::fs::read_dir(family.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let (Some(family), Some(name)) = (
                    family.file_name().to_str().map(str::to_owned),
                    path.file_stem().and_then(|s| s.to_str()).map(str::to_owned),
                ) else {
                    continue;
                };
                if path.extension().is_some_and(|e| e == "md") {
                    pages.push((format!("{family}::{name}"), format!("{family}/{name}.md")));
                }
            }
        }
    }
    pages.sort();
    let mut out = String::from("/// `(code, page)` of every documented code, sorted by code.\n");
    out.push_str("pub static PAGES: &[(&str, &str)] = &[\n");
    for (code, path) in &pages {
        // Read from the package being compiled, not from where this script once ran: a
        // build directory shared between checkouts may reuse this script's output.
        let _ = writeln!(
            out,
            "    ({code:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/docs/codes/{path}\"))),"
        );
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("code_pages.rs");
    if let Err(error) = std::fs::write(&target, out) {
        panic!("cannot write {}: {error}", target.display());
    }
}
