use std::io::Read;
use std::path::Path;

use serde_saphyr::{Budget, Options};

use crate::Node;

/// Parser budgets. The defaults are far above any real manifest and far below what would
/// stall a commit: Kubernetes objects nest a few dozen levels, and kustomize output for a
/// large overlay is a few thousand nodes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files larger than this are reported, not parsed.
    pub max_file_bytes: u64,
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Total nodes, alias replays included: what an alias bomb inflates.
    pub max_nodes: usize,
    /// Alias (`*name`) uses.
    pub max_aliases: usize,
    /// Documents in one stream.
    pub max_documents: usize,
    /// Nodes that alias uses may copy in, all aliases together. An alias bomb needs
    /// billions; Go's yaml.v3 (what kustomize and the Flux controllers decode with) accepts
    /// a document whose alias expansions stay under its ratio up to about 400,000 decoded
    /// nodes, so a file reusing one anchor a few hundred times is real and must parse.
    pub max_alias_replay: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 4 * 1024 * 1024,
            max_depth: 128,
            max_nodes: 1_000_000,
            max_aliases: 10_000,
            max_documents: 10_000,
            max_alias_replay: 400_000,
        }
    }
}

impl Limits {
    /// Limits for a renderer's output: one stream holding a whole overlay.
    pub fn rendered() -> Self {
        Limits {
            max_file_bytes: 256 * 1024 * 1024,
            max_nodes: 20_000_000,
            max_documents: 200_000,
            ..Limits::default()
        }
    }

    fn options(&self) -> Options {
        let mut budget = Budget::default();
        budget.max_depth = self.max_depth;
        budget.flow_nesting_limit = self.max_depth;
        budget.max_nodes = self.max_nodes;
        budget.max_aliases = self.max_aliases;
        budget.max_documents = self.max_documents;
        budget.max_events = self.max_nodes.saturating_mul(2);
        // Many aliases of few anchors is ordinary (one `&app` reused all over a
        // HelmRelease); what an alias bomb costs is bounded by the replay budget below.
        budget.enforce_alias_anchor_ratio = false;
        let mut options = Options::default();
        options.budget = Some(budget);
        options.alias_limits.max_total_replayed_events = self.max_alias_replay;
        // Kubernetes decodes YAML 1.1 spellings (`yes`, `on`) as strings in most fields; keep
        // them as strings so a schema check reports the type that the API server sees.
        options.strict_booleans = true;
        options
    }
}

/// A YAML syntax error or a budget breach, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    /// Byte offset of the error, when the parser knows it.
    pub offset: Option<usize>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Why a file could not be read as YAML text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("the file is binary (it contains a NUL byte at offset {offset})")]
    Binary { offset: usize },
    #[error("the file is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
}

/// Reads a file as text under the size limit, refusing binary and non-UTF-8 content.
pub fn read_text(path: &Path, limits: &Limits) -> Result<String, ReadError> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limits.max_file_bytes {
        return Err(ReadError::TooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` guards against a file that grows between stat and read.
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(ReadError::Binary { offset });
    }
    String::from_utf8(bytes).map_err(|error| ReadError::NotUtf8 {
        offset: error.utf8_error().valid_up_to(),
    })
}

/// Parses every document of a YAML stream. Empty documents (a lone `---`, a file of
/// comments) come back as null nodes so document numbering matches the file.
pub fn parse_documents(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    on_parser_thread(|| parse_on_this_thread(text, limits))?
}

/// Parses each of `texts` as [`parse_documents`] does, all on one parser thread (one thread
/// start for all of them, where [`parse_documents`] starts one per text), handing `each`
/// the index and the result. For many small texts, such as the versions of a file along
/// a history.
pub fn parse_each<F>(texts: &[&str], limits: &Limits, mut each: F) -> Result<(), ParseError>
where
    F: FnMut(usize, Result<Vec<Node>, ParseError>) + Send,
{
    on_parser_thread(move || {
        for (i, text) in texts.iter().enumerate() {
            each(i, parse_on_this_thread(text, limits));
        }
    })
}

/// Runs `work` on a scoped thread with the parser's stack. The deserializer recurses once
/// per nesting level and a debug build spends tens of kilobytes of stack per level: a
/// 2 MiB thread overflows before the depth budget answers. A generous stack makes the
/// budget, not the stack, the limit; spawning one costs microseconds.
fn on_parser_thread<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, ParseError> {
    let failed = |message: String| ParseError {
        message,
        offset: None,
        line: None,
        column: None,
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("yaml-parse".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, work)
            .map_err(|error| failed(format!("cannot start the parser thread: {error}")))?
            .join()
            .map_err(|_| failed("the YAML parser failed on this input".into()))
    })
}

const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

fn parse_on_this_thread(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let error = match parse_spec(text, limits) {
        Ok(nodes) => return Ok(nodes),
        Err(error) => error,
    };
    // Read as the Flux controllers read it: `*app:` is the alias `app` used as a key.
    if error.message.contains("unknown anchor")
        && let Some(split) = crate::go_names::split(text)
    {
        return match parse_spec(&split.text, limits) {
            Ok(mut nodes) => {
                split.restore(&mut nodes);
                Ok(nodes)
            }
            Err(mut error) => {
                let split_column = error.column;
                (error.offset, error.column) =
                    split.restore_position(error.offset, error.line, error.column);
                // The parser's message quotes the position too.
                if let (Some(from), Some(to)) = (split_column, error.column)
                    && from != to
                {
                    error.message = error.message.replacen(
                        &format!("column {from}"),
                        &format!("column {to}"),
                        1,
                    );
                }
                Err(error)
            }
        };
    }
    Err(error)
}

fn parse_spec(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    serde_saphyr::from_multiple_with_options::<Node>(text, limits.options()).map_err(|error| {
        let location = error.location();
        let offset = location
            .and_then(|l| l.span().byte_offset())
            .map(|o| o as usize);
        let line = location.map(|l| l.line() as usize).filter(|&l| l > 0);
        let column = location.map(|l| l.column() as usize).filter(|&c| c > 0);
        ParseError {
            message: first_line(&error.to_string()),
            offset,
            line,
            column,
        }
    })
}

/// serde-saphyr's Display may append a source snippet; diagnostics draw their own.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    // The parser's advice is for programs using it, not for the file's author.
    line.trim_end_matches(", set DuplicateKeyPolicy in Options if acceptable")
        .to_owned()
}
