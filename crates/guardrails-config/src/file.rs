//! Finding, reading and checking the configuration file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use guardrails_report::{Diagnostic, SourceFile, sanitize};
use guardrails_yaml::{Limits, Node, Value};

use crate::did_you_mean;
use crate::suppress::{PathIgnore, Suppressions, code_matches};

/// The file names looked for at the top of the work tree, in this order.
pub const FILE_NAMES: [&str; 2] = [".gitops-guardrails.yaml", ".gitops-guardrails.yml"];

/// Code of configuration errors (the hook then exits 2, like any "could not run").
pub const CODE: &str = "config::invalid";
/// Which configuration file was read (`--verbose`).
pub const NOTE: &str = "config::note";

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A flag: `true` or `false` in the file.
    Switch,
    /// One value.
    One,
    /// Repeatable: a list (or one value).
    Many,
}

/// An option a hook accepts in its section: its long name, without the dashes.
#[derive(Debug, Clone)]
pub struct OptionSpec {
    pub name: String,
    pub kind: OptionKind,
    /// The values it accepts, when it accepts only some.
    pub choices: Vec<String>,
    /// Its one-line help, for the JSON Schema.
    pub help: String,
}

/// A hook's section of the file.
#[derive(Debug, Clone)]
pub struct HookSpec {
    pub name: String,
    pub options: Vec<OptionSpec>,
}

/// One option set in a hook's section.
#[derive(Debug, Clone)]
pub struct Setting {
    pub name: String,
    pub kind: OptionKind,
    /// Its values as command-line arguments (`true`/`false` for a switch).
    pub values: Vec<String>,
    /// Where the option's key is written.
    pub start: usize,
    pub len: usize,
}

/// A configuration file that was read and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file as its text, named as the user reads it.
    pub source: SourceFile,
    pub suppressions: Suppressions,
    sections: BTreeMap<String, Vec<Setting>>,
}

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: guardrails_yaml::ReadError,
    },
    #[error("{message}")]
    Invalid {
        message: String,
        help: String,
        file: SourceFile,
        start: usize,
        len: usize,
    },
}

impl ConfigError {
    /// The error as a diagnostic at its line.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            ConfigError::Read { path, .. } => Diagnostic::error(CODE, sanitize(&self.to_string()))
                .with_path(path.clone())
                .with_help("fix the file's permissions or encoding, or pass --config another file"),
            ConfigError::Invalid {
                message,
                help,
                file,
                start,
                len,
            } => Diagnostic::error(CODE, sanitize(message))
                .with_span(file.clone(), *start, *len, None)
                .with_help(sanitize(help)),
        }
    }
}

/// The configuration file at the top of the work tree containing `start`: `work_tree` when
/// git says where it is (`GIT_WORK_TREE`), else the first of `start` and its parents that
/// holds `.git` (a directory, or the file of a linked worktree or submodule). Outside a
/// work tree there is none: a file further up belongs to no repository.
pub fn find(start: &Path, work_tree: Option<&Path>) -> Option<PathBuf> {
    let top = match work_tree {
        Some(top) => start.join(top),
        None => start
            .ancestors()
            .find(|dir| dir.join(".git").exists())?
            .to_path_buf(),
    };
    FILE_NAMES
        .iter()
        .map(|name| top.join(name))
        .find(|candidate| candidate.is_file())
}

impl Config {
    /// Reads `path` (shown to the user as `display`) and checks it against the hooks'
    /// options and every known diagnostic code.
    pub fn load(
        path: &Path,
        display: &Path,
        hooks: &[HookSpec],
        known_codes: &[&str],
    ) -> Result<Config, ConfigError> {
        let text = guardrails_yaml::read_text(path, &Limits::default()).map_err(|source| {
            ConfigError::Read {
                path: display.to_path_buf(),
                source,
            }
        })?;
        Config::parse(
            SourceFile::new(display, Arc::<str>::from(text)),
            hooks,
            known_codes,
        )
    }

    /// Checks the text of a configuration file.
    pub fn parse(
        source: SourceFile,
        hooks: &[HookSpec],
        known_codes: &[&str],
    ) -> Result<Config, ConfigError> {
        let checker = Checker { source: &source };
        let documents = guardrails_yaml::parse_documents(&source.text, &Limits::default())
            .map_err(|error| {
                checker.at_offset(
                    error.offset.unwrap_or(0),
                    format!("not valid YAML: {}", error.message),
                    "fix the YAML syntax",
                )
            })?;
        let mut config = Config {
            source: source.clone(),
            suppressions: Suppressions::default(),
            sections: BTreeMap::new(),
        };
        let root = match documents.as_slice() {
            [] => return Ok(config),
            [root] if root.is_null() => return Ok(config),
            [root] => root,
            [_, second, ..] => {
                return Err(checker.at(
                    second,
                    "the file holds several YAML documents",
                    "keep one document (remove the `---` separators)",
                ));
            }
        };
        let Some(entries) = root.as_map() else {
            return Err(checker.at(
                root,
                format!("the file is {}, not a mapping", article(root)),
                "write `key: value` lines (see docs/configuration.md)",
            ));
        };
        let top_keys: Vec<&str> = ["ignore", "per-path-ignores"]
            .into_iter()
            .chain(hooks.iter().map(|h| h.name.as_str()))
            .collect();
        for (key, value) in entries {
            let name = checker.key(key)?;
            match name {
                "ignore" => {
                    config.suppressions.ignore = checker.codes(value, known_codes)?;
                }
                "per-path-ignores" => {
                    config.suppressions.per_path = checker.per_path(value, known_codes)?;
                }
                _ => {
                    let Some(hook) = hooks.iter().find(|h| h.name == name) else {
                        return Err(checker.unknown(key, name, "top-level key", &top_keys, hooks));
                    };
                    let settings = checker.section(hook, value, hooks)?;
                    config.sections.insert(hook.name.clone(), settings);
                }
            }
        }
        Ok(config)
    }

    /// The options `hook`'s section sets.
    pub fn settings(&self, hook: &str) -> &[Setting] {
        self.sections.get(hook).map_or(&[], Vec::as_slice)
    }

    /// The error to report when a hook rejects `setting`'s value (`why` is the hook's
    /// own message).
    pub fn rejected(&self, setting: &Setting, why: &str) -> ConfigError {
        Checker {
            source: &self.source,
        }
        .error(
            setting.start,
            setting.len,
            format!("bad value for `{}`: {}", setting.name, why.trim()),
            "fix the value, or remove the key to use the default".to_owned(),
        )
    }
}

/// Builds errors pointing into the file.
struct Checker<'a> {
    source: &'a SourceFile,
}

impl Checker<'_> {
    fn error(&self, start: usize, len: usize, message: String, help: String) -> ConfigError {
        ConfigError::Invalid {
            message: format!("{}: {message}", self.source.path.display()),
            help,
            file: self.source.clone(),
            start,
            len,
        }
    }

    fn at(&self, node: &Node, message: impl Into<String>, help: impl Into<String>) -> ConfigError {
        self.error(node.span.offset, node.span.len, message.into(), help.into())
    }

    fn at_offset(&self, offset: usize, message: String, help: &str) -> ConfigError {
        self.error(
            offset.min(self.source.text.len()),
            0,
            message,
            help.to_owned(),
        )
    }

    fn key<'n>(&self, key: &'n Node) -> Result<&'n str, ConfigError> {
        key.as_str().ok_or_else(|| {
            self.at(
                key,
                format!("a key must be a string, found {}", article(key)),
                "quote the key",
            )
        })
    }

    fn unknown(
        &self,
        key: &Node,
        name: &str,
        what: &str,
        valid: &[&str],
        hooks: &[HookSpec],
    ) -> ConfigError {
        let elsewhere: Vec<&str> = hooks
            .iter()
            .filter(|h| h.options.iter().any(|o| o.name == name))
            .map(|h| h.name.as_str())
            .collect();
        let help = if let Some(near) = did_you_mean(name, valid.iter().copied()) {
            format!("did you mean `{near}`?")
        } else if !elsewhere.is_empty() {
            format!(
                "`{name}` is an option of {}: put it in that section",
                elsewhere.join(", ")
            )
        } else {
            format!("valid here: {}", valid.join(", "))
        };
        self.at(key, format!("unknown {what} `{name}`"), help)
    }

    fn scalar(&self, node: &Node, what: &str) -> Result<String, ConfigError> {
        // A number is taken as written: `1.10` is a branch name or a Flux release, not
        // the float 1.1.
        if matches!(node.value, Value::Int(_) | Value::Float(_))
            && let Some(written) = self
                .source
                .text
                .get(node.span.offset..node.span.offset + node.span.len)
                .filter(|w| !w.is_empty())
        {
            return Ok(written.to_owned());
        }
        node.scalar_text().ok_or_else(|| {
            self.at(
                node,
                format!("{what} must be a string, found {}", article(node)),
                "write a single value",
            )
        })
    }

    /// A list of scalars, or one scalar as a list of one.
    fn list<'n>(&self, node: &'n Node, what: &str) -> Result<Vec<(String, &'n Node)>, ConfigError> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .map(|item| Ok((self.scalar(item, what)?, item)))
                .collect(),
            _ => Ok(vec![(self.scalar(node, what)?, node)]),
        }
    }

    fn codes(&self, node: &Node, known: &[&str]) -> Result<Vec<String>, ConfigError> {
        let mut codes = Vec::new();
        for (code, item) in self.list(node, "a code")? {
            if !known.iter().any(|k| code_matches(&code, k)) {
                let help = match did_you_mean(&code, known.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "codes look like `image::mutable-tag`; `image::*` names a family (docs/codes/README.md lists them)".to_owned(),
                };
                return Err(self.at(
                    item,
                    format!("`{code}` is not a gitops-guardrails code"),
                    help,
                ));
            }
            codes.push(code);
        }
        Ok(codes)
    }

    fn per_path(&self, node: &Node, known: &[&str]) -> Result<Vec<PathIgnore>, ConfigError> {
        let Some(entries) = node.as_map() else {
            return Err(self.at(
                node,
                format!(
                    "`per-path-ignores` must be a mapping of globs to codes, found {}",
                    article(node)
                ),
                "write `\"clusters/legacy/**\": [k8s::missing-field]`",
            ));
        };
        let mut rules = Vec::new();
        for (key, value) in entries {
            let glob = self.key(key)?;
            let matcher = globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|error| {
                    self.at(
                        key,
                        format!("bad glob `{glob}`: {}", error.kind()),
                        "globs use `*`, `**`, `?` and `{a,b}`",
                    )
                })?
                .compile_matcher();
            rules.push(PathIgnore {
                glob: glob.to_owned(),
                matcher,
                codes: self.codes(value, known)?,
            });
        }
        Ok(rules)
    }

    fn section(
        &self,
        hook: &HookSpec,
        node: &Node,
        hooks: &[HookSpec],
    ) -> Result<Vec<Setting>, ConfigError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        let Some(entries) = node.as_map() else {
            return Err(self.at(
                node,
                format!(
                    "`{}` must be a mapping of its options, found {}",
                    hook.name,
                    article(node)
                ),
                "write the hook's long options as keys, e.g. `protected: [main]`",
            ));
        };
        let names: Vec<&str> = hook.options.iter().map(|o| o.name.as_str()).collect();
        let mut settings = Vec::new();
        for (key, value) in entries {
            let name = self.key(key)?;
            let Some(option) = hook.options.iter().find(|o| o.name == name) else {
                return Err(self.unknown(
                    key,
                    name,
                    &format!("option of {}", hook.name),
                    &names,
                    hooks,
                ));
            };
            let values = match option.kind {
                OptionKind::Switch => match value.value {
                    Value::Bool(on) => vec![on.to_string()],
                    _ => {
                        return Err(self.at(
                            value,
                            format!(
                                "`{name}` is a switch: it takes true or false, found {}",
                                article(value)
                            ),
                            format!("write `{name}: true`"),
                        ));
                    }
                },
                OptionKind::One => vec![self.scalar(value, &format!("`{name}`"))?],
                OptionKind::Many => self
                    .list(value, &format!("each value of `{name}`"))?
                    .into_iter()
                    .map(|(v, _)| v)
                    .collect(),
            };
            if !option.choices.is_empty()
                && let Some(bad) = values.iter().find(|v| !option.choices.contains(v))
            {
                let choices: Vec<&str> = option.choices.iter().map(String::as_str).collect();
                let help = match did_you_mean(bad, choices.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("one of: {}", choices.join(", ")),
                };
                return Err(self.at(value, format!("`{bad}` is not a value of `{name}`"), help));
            }
            settings.push(Setting {
                name: name.to_owned(),
                kind: option.kind,
                values,
                start: key.span.offset,
                len: key.span.len,
            });
        }
        Ok(settings)
    }
}

/// "a string", "a list", ... for messages.
fn article(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hooks() -> Vec<HookSpec> {
        let option = |name: &str, kind, choices: &[&str]| OptionSpec {
            name: name.to_owned(),
            kind,
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            help: String::new(),
        };
        vec![
            HookSpec {
                name: "master-check".to_owned(),
                options: vec![
                    option("protected", OptionKind::Many, &[]),
                    option("verbose", OptionKind::Switch, &[]),
                ],
            },
            HookSpec {
                name: "flux-kustomize-validate".to_owned(),
                options: vec![
                    option("flux-version", OptionKind::One, &[]),
                    option(
                        "renderer",
                        OptionKind::One,
                        &["auto", "kubectl", "kustomize"],
                    ),
                ],
            },
        ]
    }

    const KNOWN: &[&str] = &["image::mutable-tag", "k8s::missing-field"];

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(
            SourceFile::new(".gitops-guardrails.yaml", text),
            &hooks(),
            KNOWN,
        )
    }

    /// The message, the help and the line of an error.
    fn error(text: &str) -> (String, String, usize) {
        let diagnostic = parse(text).unwrap_err().diagnostic();
        (
            diagnostic.message.clone(),
            diagnostic.help.clone().unwrap(),
            diagnostic.location().unwrap().line,
        )
    }

    #[test]
    fn a_valid_file_gives_settings_and_suppressions() {
        let config = parse(
            "ignore: [image::*]\nper-path-ignores:\n  \"legacy/**\": k8s::missing-field\n\
             master-check:\n  protected: [main, \"release/*\"]\n  verbose: true\n\
             flux-kustomize-validate:\n  flux-version: 2.4\n",
        )
        .unwrap();
        assert_eq!(config.suppressions.ignore, ["image::*"]);
        assert!(
            config.suppressions.per_path[0]
                .matcher
                .is_match("legacy/a/b.yaml")
        );
        let master = config.settings("master-check");
        assert_eq!(master[0].values, ["main", "release/*"]);
        assert_eq!(master[1].values, ["true"]);
        assert_eq!(
            config.settings("flux-kustomize-validate")[0].values,
            ["2.4"]
        );
        assert!(config.settings("prevent-amend-after-push").is_empty());
        assert!(parse("").unwrap().settings("master-check").is_empty());
        assert!(parse("# only a comment\n").is_ok());
    }

    #[test]
    fn mistakes_are_errors_at_their_line_with_the_nearest_key() {
        let (message, help, line) = error("master-check:\n  protcted: [main]\n");
        assert!(
            message.contains("unknown option of master-check `protcted`"),
            "{message}"
        );
        assert_eq!((help.as_str(), line), ("did you mean `protected`?", 2));

        let (_, help, line) = error("ignore: []\nmaster-chek: {}\n");
        assert_eq!((help.as_str(), line), ("did you mean `master-check`?", 2));

        let (_, help, _) = error("master-check:\n  flux-version: \"2.4\"\n");
        assert!(
            help.contains("an option of flux-kustomize-validate"),
            "{help}"
        );

        let (message, _, line) = error("master-check:\n  verbose: yes please\n");
        assert!(message.contains("is a switch"), "{message}");
        assert_eq!(line, 2);

        let (message, _, _) = error("master-check:\n  protected: {a: b}\n");
        assert!(
            message.contains("must be a string, found a mapping"),
            "{message}"
        );

        let (_, help, line) = error("flux-kustomize-validate:\n  renderer: kubctl\n");
        assert_eq!((help.as_str(), line), ("did you mean `kubectl`?", 2));

        let (message, help, line) = error("ignore:\n  - image::mutable-tga\n");
        assert!(
            message.contains("not a gitops-guardrails code"),
            "{message}"
        );
        assert_eq!(
            (help.as_str(), line),
            ("did you mean `image::mutable-tag`?", 2)
        );

        let (message, _, _) = error("- a\n- b\n");
        assert!(message.contains("not a mapping"), "{message}");
        let (message, _, _) = error("a: [\n");
        assert!(message.contains("not valid YAML"), "{message}");
        let (_, _, line) = error("per-path-ignores:\n  \"a/[\": [k8s::*]\n");
        assert_eq!(line, 2);
    }

    #[test]
    fn the_file_is_found_at_the_top_of_the_work_tree_only() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("repo");
        std::fs::create_dir_all(top.join(".git")).unwrap();
        std::fs::create_dir_all(top.join("apps/a")).unwrap();
        let inner = top.join("apps/a");
        assert_eq!(find(&inner, None), None);
        std::fs::write(dir.path().join(FILE_NAMES[0]), "").unwrap();
        assert_eq!(find(&inner, None), None, "not above the work tree");
        std::fs::write(inner.join(FILE_NAMES[0]), "").unwrap();
        assert_eq!(find(&inner, None), None, "not below its top");
        std::fs::write(top.join(FILE_NAMES[1]), "").unwrap();
        assert_eq!(find(&inner, None), Some(top.join(FILE_NAMES[1])));
        // Without `.git` in the work tree (GIT_DIR elsewhere), git's GIT_WORK_TREE says.
        std::fs::remove_dir(top.join(".git")).unwrap();
        assert_eq!(find(&inner, None), None);
        assert_eq!(find(&inner, Some(&top)), Some(top.join(FILE_NAMES[1])));
    }
}
