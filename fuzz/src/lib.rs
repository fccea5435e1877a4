//! What the fuzz targets share: one input read as a small repository.
//!
//! A multi-file input is YAML text in which a line `#> <path>` starts the file `<path>`
//! (text before the first such line is `kustomization.yaml`). To YAML the marker is a
//! comment, so a seed is still a readable, parseable stream, and libFuzzer's mutations can
//! move text between files, add files and rename them. A path given twice is one file.

use guardrails_yaml::{Limits, Node, parse_documents};

/// One file of a fuzz input.
pub struct File {
    pub path: String,
    pub text: String,
    /// The parsed documents; empty when the text is not YAML the project accepts.
    pub docs: Vec<Node>,
}

/// Splits `data` into files and parses each (bounded by the limits the hooks use).
pub fn files(data: &[u8]) -> Vec<File> {
    let text = String::from_utf8_lossy(data);
    let mut files: Vec<(String, String)> = Vec::new();
    let mut current = ("kustomization.yaml".to_owned(), String::new());
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("#> ") {
            let path = path.trim();
            if !path.is_empty() {
                let done = std::mem::replace(&mut current, (path.to_owned(), String::new()));
                files.push(done);
                continue;
            }
        }
        current.1.push_str(line);
    }
    files.push(current);
    // A repository holds one file per path: a path given twice is one file with both texts.
    let mut merged: Vec<(String, String)> = Vec::new();
    for (path, text) in files {
        match merged.iter_mut().find(|(seen, _)| *seen == path) {
            Some((_, existing)) => existing.push_str(&text),
            None => merged.push((path, text)),
        }
    }
    merged
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .map(|(path, text)| {
            let docs = parse_documents(&text, &Limits::default()).unwrap_or_default();
            File { path, text, docs }
        })
        .collect()
}

/// Lines of `data` as text (lossy), for targets that take a few fields.
pub fn lines(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .split('\n')
        .map(str::to_owned)
        .collect()
}
