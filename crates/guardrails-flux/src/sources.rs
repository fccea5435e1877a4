//! Every source file the run looks at, read once and parsed once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use guardrails_report::SourceFile;
use guardrails_yaml::{Limits, Node, ParseError};

/// One file's text (or why it has none) and, once asked for, its YAML documents.
#[derive(Debug)]
pub struct Source {
    pub file: Option<SourceFile>,
    pub read_error: Option<guardrails_yaml::ReadError>,
    docs: Option<Result<Vec<Node>, ParseError>>,
}

impl Source {
    pub fn text(&self) -> Option<&str> {
        self.file.as_ref().map(|f| &*f.text)
    }
}

/// The file cache of one run. Paths are absolute.
pub struct Sources {
    repo_root: PathBuf,
    limits: Limits,
    files: HashMap<PathBuf, Source>,
}

impl Sources {
    pub fn new(repo_root: &Path) -> Self {
        Sources {
            repo_root: repo_root.to_path_buf(),
            limits: Limits::default(),
            files: HashMap::new(),
        }
    }

    /// The repository's top level: what displayed paths are relative to.
    pub fn repo_root(&self) -> &Path {
        &self.repo_root
    }

    /// Reads `path` once; later calls return the same text.
    pub fn load(&mut self, path: &Path) -> &Source {
        let repo_root = &self.repo_root;
        let limits = &self.limits;
        self.files.entry(path.to_path_buf()).or_insert_with(|| {
            match guardrails_yaml::read_text(path, limits) {
                Ok(text) => Source {
                    file: Some(SourceFile::new(
                        crate::paths::display(path, repo_root),
                        Arc::<str>::from(text),
                    )),
                    read_error: None,
                    docs: None,
                },
                Err(error) => Source {
                    file: None,
                    read_error: Some(error),
                    docs: None,
                },
            }
        })
    }

    /// The YAML documents of `path`; `None` when it could not be read as text.
    pub fn documents(&mut self, path: &Path) -> Option<&Result<Vec<Node>, ParseError>> {
        self.load(path);
        let limits = self.limits;
        let source = self.files.get_mut(path)?;
        let text = source.file.as_ref()?.text.clone();
        Some(
            source
                .docs
                .get_or_insert_with(|| guardrails_yaml::parse_documents(&text, &limits)),
        )
    }

    /// The documents of `path` whose `kind` is `kind`; the file is parsed only when its
    /// text mentions the kind, so a scan of every file for one kind stays cheap.
    pub fn of_kind(&mut self, path: &Path, kind: &str) -> Vec<&Node> {
        let mentions = self
            .load(path)
            .text()
            .is_some_and(|text| text.contains(kind));
        if !mentions {
            return Vec::new();
        }
        match self.documents(path) {
            Some(Ok(docs)) => docs
                .iter()
                .filter(|d| d.str_at(&["kind"]) == Some(kind))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Text and documents of a file already parsed without errors.
    pub fn parsed(&self, path: &Path) -> Option<(&str, &[Node])> {
        let source = self.files.get(path)?;
        let text = &*source.file.as_ref()?.text;
        match source.docs.as_ref()? {
            Ok(docs) => Some((text, docs)),
            Err(_) => None,
        }
    }

    /// How `path` shows in diagnostics.
    pub fn display(&self, path: &Path) -> String {
        crate::paths::display(path, &self.repo_root)
    }

    /// Every file read as text so far, with its absolute path.
    pub fn loaded(&self) -> impl Iterator<Item = (&Path, &SourceFile)> {
        self.files
            .iter()
            .filter_map(|(path, source)| Some((path.as_path(), source.file.as_ref()?)))
    }

    pub fn source_file(&mut self, path: &Path) -> Option<SourceFile> {
        self.load(path).file.clone()
    }
}
