//! Flags, inputs and output shared by the hooks.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use guardrails_context::{Client, Environment, HookContext, Invocation, Stage, ancestors};
use guardrails_report::{Diagnostic, ExitStatus, Format, Renderer, Report, Style};

/// How long a shim's pre-push stdin may take to arrive. git writes every line before it
/// waits for the hook, so this only matters when someone runs the hook with an idle pipe
/// as stdin: the hook must never hang.
const STDIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How many parent processes to look at: the framework and the git command sit within the
/// first three; aliases and shell wrappers add a few.
pub const ANCESTOR_DEPTH: usize = 8;

/// Flags every hook accepts to learn why it runs. Under pre-commit and prek none is needed.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The git hook this run stands for (pre-commit, pre-merge-commit, prepare-commit-msg,
    /// pre-push, pre-rebase, manual, ...). The hooks/ shims pass it; pre-commit and prek
    /// runs are recognised without it.
    #[arg(long, value_name = "STAGE", value_parser = parse_stage)]
    pub stage: Option<Stage>,

    /// Old revision of a push or of a CI range (like `pre-commit run --from-ref`).
    #[arg(long, value_name = "REF")]
    pub from_ref: Option<String>,

    /// New revision of a push or of a CI range (like `pre-commit run --to-ref`).
    #[arg(long, value_name = "REF")]
    pub to_ref: Option<String>,

    /// Remote being pushed to (pre-push).
    #[arg(long, value_name = "NAME")]
    pub remote_name: Option<String>,

    /// Remote ref being pushed to, e.g. `refs/heads/main` (pre-push).
    #[arg(long, value_name = "REF")]
    pub remote_branch: Option<String>,

    /// Local ref being pushed (pre-push).
    #[arg(long, value_name = "REF")]
    pub local_branch: Option<String>,

    /// git's own hook arguments, as a shim receives them (`-- "$@"`). For pre-push, stdin is
    /// then read as git's ref lines.
    // Bytes, like git's ref names: a branch name that is not UTF-8 must not turn a hook run
    // into a usage error.
    #[arg(last = true, value_name = "GIT_HOOK_ARGS")]
    pub hook_args: Vec<std::ffi::OsString>,
}

/// Output flags every hook accepts.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print the completion script for SHELL (bash, elvish, fish, powershell, zsh) and exit.
    #[arg(long, value_name = "SHELL")]
    pub completions: Option<clap_complete::Shell>,

    /// Print the documentation of a diagnostic code (what it detects, why it matters, a
    /// failing and a fixed example) and exit, e.g. `--explain image::mutable-tag`.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,

    /// Output format: `human` (miette reports on stderr), `json` (one object per diagnostic
    /// and line, on stdout), `github` (workflow-command annotations, on stdout) or `sarif`
    /// (one SARIF 2.1.0 document, on stdout, for code scanning) or `markdown` (a list, on
    /// stdout, for pull-request comments).
    #[arg(long, value_enum, default_value_t = FormatArg::Human, value_name = "FORMAT")]
    pub format: FormatArg,

    /// Colours: `auto` (a terminal without NO_COLOR), `always` or `never`.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,

    /// Also say what was checked and why it passed.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Github,
    Sarif,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

fn parse_stage(value: &str) -> Result<Stage, String> {
    value
        .parse()
        .map_err(|err: guardrails_context::UnknownStage| {
            let names: Vec<_> = Stage::ALL.iter().map(|s| s.as_str()).collect();
            format!("{err}; expected one of: {}", names.join(", "))
        })
}

/// Everything a hook learns before it checks anything.
pub struct Inputs {
    pub env: Environment,
    pub context: HookContext,
    /// What the hook guards could not be read (git's pre-push lines): it must not pass.
    unreadable: Option<String>,
}

impl Inputs {
    /// Reads the environment, the parent processes and (for a shim's pre-push) stdin.
    pub fn read(args: &HookArgs) -> Self {
        let env = Environment::from_process();
        let shim_push = args.stage == Some(Stage::PrePush) && !args.hook_args.is_empty();
        let mut unreadable = None;
        let mut invocation = Invocation {
            stage: args.stage,
            hook_args: args
                .hook_args
                .iter()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect(),
            push_stdin: None,
            from_ref: args.from_ref.clone(),
            to_ref: args.to_ref.clone(),
            remote_name: args.remote_name.clone(),
            remote_branch: args.remote_branch.clone(),
            local_branch: args.local_branch.clone(),
        };
        let parents = ancestors(ANCESTOR_DEPTH);
        let mut context = HookContext::resolve(&invocation, &env, &parents);
        // `--stage pre-push` run by git or by hand, without git's arguments and without
        // --remote-branch: git's ref lines are what is pushed, so read them as well.
        let by_hand_push = args.stage == Some(Stage::PrePush)
            && args.hook_args.is_empty()
            && args.remote_branch.is_none()
            && args.from_ref.is_none()
            && args.to_ref.is_none()
            && matches!(context.client, Client::Git | Client::Manual);
        if shim_push || by_hand_push {
            match read_stdin_bounded() {
                Ok(stdin) => {
                    invocation.push_stdin = Some(stdin);
                    context = HookContext::resolve(&invocation, &env, &parents);
                }
                Err(why) => unreadable = Some(why),
            }
        }
        if let Some(malformed) = context.push.as_ref().and_then(|p| p.malformed.as_ref()) {
            unreadable = Some(malformed.to_string());
        }
        Self {
            env,
            context,
            unreadable,
        }
    }

    /// "Could not run" when what is pushed could not be read: a guard that cannot see
    /// the push refuses it instead of passing it.
    pub fn cannot_read(&self) -> Option<Diagnostic> {
        let why = self.unreadable.as_ref()?;
        Some(
            Diagnostic::error(CANNOT_RUN, format!("cannot tell what is pushed: {why}")).with_help(
                "at pre-push the hook reads git's ref lines on stdin (`<local ref> <local sha> \
                 <remote ref> <remote sha>`, see githooks(5)); run it from git's pre-push hook \
                 with git's arguments after `--` (as hooks/pre-push does), or pass \
                 --remote-branch",
            ),
        )
    }
}

/// Reads all of stdin unless it is a terminal or nothing arrives within [`STDIN_TIMEOUT`];
/// the error says which.
fn read_stdin_bounded() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        return Err("stdin is a terminal, not git's ref lines".to_owned());
    }
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        // git passes ref names as bytes: one that is not UTF-8 must not hide the other lines.
        let mut bytes = Vec::new();
        let result = std::io::stdin()
            .read_to_end(&mut bytes)
            .map(|_| String::from_utf8_lossy(&bytes).into_owned());
        let _ = sender.send(result);
    });
    match receiver.recv_timeout(STDIN_TIMEOUT) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(err)) => Err(format!("cannot read stdin: {err}")),
        Err(_) => Err(format!(
            "stdin stayed open for {} s without ending",
            STDIN_TIMEOUT.as_secs()
        )),
    }
}

/// Where and how reports are written.
pub struct Output {
    renderer: Renderer,
    verbose: bool,
    /// What the configuration file silences, and the codes of this hook.
    silence: Option<Silence>,
}

/// Suppressions to apply before a report is written.
struct Silence {
    suppressions: guardrails_config::Suppressions,
    own_codes: Vec<&'static str>,
    /// Said with `--verbose`: which configuration file was read.
    note: Option<String>,
}

/// Flags every hook accepts about the configuration file.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Read options and suppressions from FILE instead of the repository's
    /// `.gitops-guardrails.yaml` (or `.yml`) at the top of the work tree.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Read no configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

impl Output {
    /// Output for the hook `tool` (its binary name, recorded by formats that name the tool).
    pub fn new(tool: &'static str, args: &OutputArgs, env: &Environment) -> Self {
        let format = match args.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Markdown => Format::Markdown,
        };
        let terminal = std::io::stderr().is_terminal();
        let color = match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => terminal && !env.no_color(),
        };
        let width = env
            .get("COLUMNS")
            .and_then(|c| c.parse().ok())
            .filter(|w| (40..=400).contains(w))
            .unwrap_or(if terminal { 100 } else { 80 });
        let style = Style {
            color,
            unicode: terminal,
            width,
        };
        Self {
            renderer: Renderer::new(format, style).with_tool(guardrails_report::Tool {
                name: tool,
                version: env!("CARGO_PKG_VERSION"),
            }),
            verbose: args.verbose,
            silence: None,
        }
    }

    /// Applies the configuration's suppressions (and inline ones) to every report this
    /// output writes; `own_codes` are the hook's codes; `read_from` names the file read.
    pub fn silencing(
        mut self,
        suppressions: guardrails_config::Suppressions,
        own_codes: Vec<&'static str>,
        read_from: Option<String>,
    ) -> Self {
        self.silence = Some(Silence {
            suppressions,
            own_codes,
            note: read_from,
        });
        self
    }

    /// The report as written: suppressions applied, the configuration file named.
    fn prepared(&self, report: &Report, scanned: &[guardrails_report::SourceFile]) -> Report {
        let mut report = report.clone();
        if let Some(silence) = &self.silence {
            silence.suppressions.apply(
                &mut report,
                scanned,
                &silence.own_codes,
                &crate::config::known_codes(),
            );
            if let Some(note) = &silence.note {
                report
                    .notes
                    .insert(0, Diagnostic::advice(guardrails_config::NOTE, note.clone()));
            }
        }
        report
    }

    /// Writes the report and maps it to the exit code.
    pub fn finish(&self, report: &Report) -> ExitCode {
        let report = self.prepared(report, &[]);
        let written = self.write(&self.renderer.render_all(report.visible(self.verbose)));
        exit_after(written, report.exit_status())
    }

    /// Like [`Self::finish`], and people's output ends with one line saying what was
    /// found and what was checked (`2 errors in 1 file; 4 overlays checked in 0.3 s`).
    /// Machine formats stay one record per finding.
    /// `scanned`: the files the run checked as a whole (see [`guardrails_config::Suppressions::apply`]).
    pub fn finish_with_summary(
        &self,
        report: &Report,
        scanned: &[guardrails_report::SourceFile],
        checked: &str,
    ) -> ExitCode {
        let report = &self.prepared(report, scanned);
        let mut text = self.renderer.render_all(report.visible(self.verbose));
        let summary = self.verbose || !report.diagnostics.is_empty();
        match self.renderer.format() {
            Format::Human if summary => {
                text.push_str(&format!("{}; {checked}\n", report.tally()));
            }
            Format::Markdown if summary => {
                text.push_str(&format!(
                    "\n**{}**; {}\n",
                    report.tally(),
                    guardrails_report::markdown_text(checked)
                ));
            }
            _ => {}
        }
        let written = self.write(&text);
        exit_after(written, report.exit_status())
    }

    /// Reports that the hook could not run (exit 2).
    pub fn fail(&self, diagnostic: Diagnostic) -> ExitCode {
        let written = self.write(&self.renderer.render_all([&diagnostic]));
        exit_after(written, ExitStatus::Failure)
    }

    fn write(&self, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        // Human reports go to stderr like compiler diagnostics; machine formats to stdout so
        // CI can capture them.
        match self.renderer.format() {
            Format::Human => {
                let mut stderr = std::io::stderr().lock();
                stderr.write_all(text.as_bytes())?;
                stderr.flush()
            }
            Format::Json | Format::Github | Format::Sarif | Format::Markdown => print(text),
        }
    }

    pub fn format(&self) -> Format {
        self.renderer.format()
    }

    /// Writes `text`, a run's records rather than its findings, to stdout; a reader that
    /// went away is not an error.
    pub fn print(&self, text: &str) -> std::io::Result<()> {
        match print(text) {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

fn print(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// `--completions SHELL`: writes the completion script of `Cli` to stdout.
pub fn print_completions<Cli: clap::CommandFactory>(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(&script).and_then(|()| stdout.flush());
    exit_after(written, ExitStatus::Clean)
}

pub fn exit(status: ExitStatus) -> ExitCode {
    ExitCode::from(status.code())
}

/// The exit code once the report is written. A reader that went away (`| head`, a closed
/// pipe) ends the run quietly with the findings' status; any other write error (a full
/// disk, a closed descriptor) means the report was lost, so the run could not do its job.
fn exit_after(written: std::io::Result<()>, status: ExitStatus) -> ExitCode {
    match written {
        Ok(()) => exit(status),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => exit(status),
        Err(err) => {
            // stderr may be what failed: then there is nobody left to tell.
            let _ = writeln!(
                std::io::stderr(),
                "{CANNOT_RUN}: cannot write the report: {err}"
            );
            exit(ExitStatus::Failure)
        }
    }
}

/// The code of every "could not run" diagnostic.
pub const CANNOT_RUN: &str = "guardrails::cannot-run";
