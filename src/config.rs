//! The configuration file at the command-line edge: a hook section's keys are the hook's
//! long options, read from the clap definitions in [`crate::args`], so the file, the
//! `--help` text and the JSON Schema cannot drift apart.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches};
use guardrails_config::{Config, HookSpec, OptionKind, OptionSpec};
use guardrails_context::Environment;

use crate::args::{FluxValidate, MasterCheck, PreventAmend};
use crate::cli::{ConfigArgs, Output, OutputArgs};

/// Options that describe one invocation rather than the repository: never in the file.
const PER_RUN: &[&str] = &[
    "stage",
    "from-ref",
    "to-ref",
    "remote-name",
    "remote-branch",
    "local-branch",
    "completions",
    "explain",
    "config",
    "no-config",
    "help",
    "version",
];

/// A hook binary's command line.
pub trait Hook: CommandFactory + FromArgMatches {
    /// The binary's name, also its section in the configuration file.
    const NAME: &'static str;
    fn output_args(&self) -> &OutputArgs;
    fn config_args(&self) -> &ConfigArgs;
    /// The diagnostic codes this hook reports.
    fn codes() -> Vec<&'static str>;
    /// What the hook would refuse about its options beyond what clap checks (globs), so a
    /// bad value written in the configuration file is reported at its line.
    fn check_values(&self) -> Result<(), String> {
        Ok(())
    }
}

impl Hook for MasterCheck {
    const NAME: &'static str = "master-check";
    fn output_args(&self) -> &OutputArgs {
        &self.output
    }
    fn config_args(&self) -> &ConfigArgs {
        &self.config
    }
    fn codes() -> Vec<&'static str> {
        guardrails_git::master_check::codes::ALL.to_vec()
    }
    fn check_values(&self) -> Result<(), String> {
        let patterns: Vec<String> = self
            .patterns
            .iter()
            .chain(&self.protected)
            .cloned()
            .collect();
        guardrails_git::ProtectedBranches::new(&self.branches, &patterns)
            .map(drop)
            .map_err(|error| error.to_string())
    }
}

impl Hook for PreventAmend {
    const NAME: &'static str = "prevent-amend-after-push";
    fn output_args(&self) -> &OutputArgs {
        &self.output
    }
    fn config_args(&self) -> &ConfigArgs {
        &self.config
    }
    fn codes() -> Vec<&'static str> {
        guardrails_git::prevent_amend::codes::ALL.to_vec()
    }
    fn check_values(&self) -> Result<(), String> {
        guardrails_git::history::PublicScope::new(&self.remotes, &self.public)
            .map(drop)
            .map_err(|error| error.to_string())
    }
}

impl Hook for FluxValidate {
    const NAME: &'static str = "flux-kustomize-validate";
    fn output_args(&self) -> &OutputArgs {
        &self.output
    }
    fn config_args(&self) -> &ConfigArgs {
        &self.config
    }
    fn codes() -> Vec<&'static str> {
        let mut codes = guardrails_flux::codes::ALL.to_vec();
        codes.extend(guardrails_image_lint::codes::ALL);
        codes.extend(guardrails_promotion::codes::ALL);
        codes.sort_unstable();
        codes
    }
    fn check_values(&self) -> Result<(), String> {
        match &self.artifact_id {
            Some(pattern) => guardrails_promotion::Identity::with_pattern(pattern)
                .map(drop)
                .map_err(|error| error.to_string()),
            None => Ok(()),
        }
    }
}

/// Every hook's section.
pub fn hook_specs() -> Vec<HookSpec> {
    [
        (MasterCheck::NAME, MasterCheck::command()),
        (PreventAmend::NAME, PreventAmend::command()),
        (FluxValidate::NAME, FluxValidate::command()),
    ]
    .into_iter()
    .map(|(name, command)| spec(name, &command))
    .collect()
}

/// Every code any hook reports (what the file and inline comments may name).
pub fn known_codes() -> Vec<&'static str> {
    let mut codes = MasterCheck::codes();
    codes.extend(PreventAmend::codes());
    codes.extend(FluxValidate::codes());
    codes.extend(guardrails_config::suppress::codes::ALL);
    codes.extend([guardrails_config::INVALID, guardrails_config::NOTE]);
    codes.push(crate::cli::CANNOT_RUN);
    codes.sort_unstable();
    codes
}

/// The JSON Schema of the configuration file (`docs/config.schema.json`).
pub fn json_schema() -> String {
    guardrails_config::json_schema(&hook_specs(), &known_codes())
}

fn spec(name: &str, command: &clap::Command) -> HookSpec {
    let options = command
        .get_arguments()
        .filter(|arg| !arg.is_positional() && !arg.is_hide_set())
        .filter_map(|arg| {
            let long = arg.get_long()?;
            if PER_RUN.contains(&long) {
                return None;
            }
            let kind = match arg.get_action() {
                ArgAction::SetTrue | ArgAction::SetFalse => OptionKind::Switch,
                ArgAction::Append | ArgAction::Count => OptionKind::Many,
                _ => OptionKind::One,
            };
            Some(OptionSpec {
                name: long.to_owned(),
                kind,
                choices: arg
                    .get_possible_values()
                    .iter()
                    .filter(|v| !v.is_hide_set())
                    .map(|v| v.get_name().to_owned())
                    .collect(),
                help: arg.get_help().map(|h| h.to_string()).unwrap_or_default(),
            })
        })
        .collect();
    HookSpec {
        name: name.to_owned(),
        options,
    }
}

/// The hook's command line with its configuration file applied, and the output to report
/// with; `Err` is the exit code of a run that ends here: `--completions`, `--explain`, or a
/// configuration file that cannot be used.
pub fn parse<H: Hook>() -> Result<(H, Output), ExitCode> {
    parse_from::<H>(std::env::args_os().collect())
}

fn parse_from<H: Hook>(args: Vec<OsString>) -> Result<(H, Output), ExitCode> {
    let env = Environment::from_process();
    let matches = H::command().get_matches_from(args.clone());
    let given = H::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let fallback = || Output::new(H::NAME, given.output_args(), &env);
    // What prints and exits reads no configuration (a broken file must not hide the help
    // that fixes it).
    if let Some(shell) = given.output_args().completions {
        return Err(crate::cli::print_completions::<H>(shell));
    }
    if let Some(code) = &given.output_args().explain {
        return Err(crate::explain::print(code, &fallback()));
    }
    let path = match (&given.config_args().config, given.config_args().no_config) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
            let work_tree = env.get("GIT_WORK_TREE").map(PathBuf::from);
            guardrails_config::find(&cwd, work_tree.as_deref())
        }
    };
    let Some(path) = path else {
        let output = fallback().silencing(Default::default(), H::codes(), None);
        return Ok((given, output));
    };
    let display = display_path(&path);
    let config = Config::load(&path, &display, &hook_specs(), &known_codes())
        .map_err(|error| fallback().fail(error.diagnostic()))?;

    // The file's values come first, so the command line's are parsed after them; an
    // option given on the command line replaces the file's value rather than adding to it.
    let command = H::command();
    // Paths in the file are relative to the file, wherever the hook runs from.
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut merged: Vec<OsString> = vec![args.first().cloned().unwrap_or_default()];
    for setting in config.settings(H::NAME) {
        let Some(arg) = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(setting.name.as_str()))
        else {
            continue;
        };
        if matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            continue;
        }
        let takes_path = arg.get_value_names().is_some_and(|names| {
            names
                .iter()
                .any(|n| ["DIR", "FILE", "PATH"].contains(&n.as_str()))
        });
        let own = setting_args(setting, takes_path.then_some(base.as_path()));
        let mut alone = vec![merged[0].clone()];
        alone.extend(own.iter().cloned());
        let checked = H::command()
            .try_get_matches_from(alone)
            .and_then(|matches| H::from_arg_matches(&matches))
            .map_err(|error| {
                let why = error.to_string();
                why.lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_owned()
            })
            .and_then(|alone| alone.check_values());
        if let Err(why) = checked {
            return Err(fallback().fail(config.rejected(setting, &why).diagnostic()));
        }
        merged.extend(own);
    }
    merged.extend(args.into_iter().skip(1));
    let matches = H::command().get_matches_from(merged);
    let cli = H::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let output = Output::new(H::NAME, cli.output_args(), &env).silencing(
        config.suppressions.clone(),
        H::codes(),
        Some(format!("configuration read from {}", display.display())),
    );
    Ok((cli, output))
}

/// A setting as command-line arguments; a relative path value is taken from `base`.
fn setting_args(setting: &guardrails_config::Setting, base: Option<&Path>) -> Vec<OsString> {
    match setting.kind {
        OptionKind::Switch if setting.values == ["true"] => {
            vec![format!("--{}", setting.name).into()]
        }
        OptionKind::Switch => Vec::new(),
        OptionKind::One | OptionKind::Many => setting
            .values
            .iter()
            .map(|value| {
                let mut arg = OsString::from(format!("--{}=", setting.name));
                match base {
                    Some(base) => arg.push(base.join(value)),
                    None => arg.push(value),
                }
                arg
            })
            .collect(),
    }
}

/// The file as the user reads it: relative to the current directory when inside it.
fn display_path(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::Parser;

    /// Editors read the committed schema: it must say what the hooks accept today.
    #[test]
    fn the_committed_json_schema_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.schema.json");
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, json_schema()).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == json_schema(),
            "docs/config.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test --lib config`"
        );
    }

    /// Each code is declared by one family only: the list is not deduplicated, so a code
    /// declared twice fails here.
    #[test]
    fn every_code_is_declared_once() {
        let codes = known_codes();
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(codes, unique, "a code is declared twice");
    }

    #[test]
    fn every_hook_section_offers_its_options_and_no_per_run_flag() {
        let specs = hook_specs();
        let names = |hook: &str| -> Vec<String> {
            let spec = specs.iter().find(|s| s.name == hook).unwrap();
            spec.options.iter().map(|o| o.name.clone()).collect()
        };
        let master = names("master-check");
        assert!(master.contains(&"protected".to_owned()), "{master:?}");
        assert!(
            !master.iter().any(|n| PER_RUN.contains(&n.as_str())),
            "{master:?}"
        );
        let flux = names("flux-kustomize-validate");
        for option in ["flux-version", "lane", "exclude", "renderer"] {
            assert!(flux.contains(&option.to_owned()), "{option}: {flux:?}");
        }
        assert!(names("prevent-amend-after-push").contains(&"public".to_owned()));
    }

    /// A value only the hook can judge (a glob) is still reported at its line in the file.
    #[test]
    fn a_bad_glob_in_the_file_is_reported_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".gitops-guardrails.yaml");
        std::fs::write(&file, "master-check:\n  protected: [\"release/[0-9\"]\n").unwrap();
        let config = Config::load(
            &file,
            Path::new(".gitops-guardrails.yaml"),
            &hook_specs(),
            &known_codes(),
        )
        .unwrap();
        let setting = &config.settings("master-check")[0];
        let alone =
            MasterCheck::try_parse_from(["master-check", "--protected=release/[0-9"]).unwrap();
        let why = alone.check_values().unwrap_err();
        let diagnostic = config.rejected(setting, &why).diagnostic();
        assert_eq!(diagnostic.location().unwrap().line, 2);
        assert!(
            diagnostic.message.contains("bad value for `protected`"),
            "{}",
            diagnostic.message
        );
    }

    /// The file's value is used unless the command line gives the option; lists from the
    /// command line replace the file's list.
    #[test]
    fn the_command_line_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let file = dir.path().join(".gitops-guardrails.yaml");
        std::fs::write(
            &file,
            "master-check:\n  protected: [\"release/*\"]\n  allow-merge: true\n",
        )
        .unwrap();
        let run = |extra: &[&str]| {
            let mut args: Vec<OsString> = vec!["master-check".into(), "--config".into()];
            args.push(file.clone().into());
            args.extend(extra.iter().map(OsString::from));
            parse_from::<MasterCheck>(args).ok().unwrap().0
        };
        let from_file = run(&[]);
        assert_eq!(from_file.protected, ["release/*"]);
        assert!(from_file.allow_merge);
        let overridden = run(&["--protected", "main"]);
        assert_eq!(overridden.protected, ["main"]);
        assert!(overridden.allow_merge);
    }
}
