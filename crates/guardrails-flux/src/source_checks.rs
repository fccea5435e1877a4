//! Checks that need no renderer: YAML syntax, what kustomizations point at, Flux objects
//! against their API definitions, and Flux Kustomization paths, components and variables.
//! Each finding points at the file and line that needs the fix.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use guardrails_report::{Diagnostic, Severity};
use guardrails_yaml::{ReadError, Span};

use crate::flux::{FluxKustomization, VariableSource};
use crate::options::Options;
use crate::sourceignore::SourceIgnore;
use crate::sources::Sources;
use crate::{codes, paths};
use guardrails_kustomize::graph::{Graph, Resolved};
use guardrails_kustomize::kustomization::InputKind;

/// Said of a kustomization inside a Flux Kustomization's tree that nothing builds (its
/// parent's entry commented out): a fault there deploys nothing until it is listed again.
pub const ORPHAN: &str = " (nothing builds this directory: no kustomization lists it and no Flux \
    Kustomization points at it)";

/// Why a field missing in a Flux object is only a warning: whoever applies it may set it.
pub const UNFOLLOWED_PARENT: &str = " (no tree this checkout renders applies this object; \
    the patches of one the hook cannot follow, an OCI or external artifact, may set it)";
pub const IGNORED_FILE: &str = " (the repository's Flux source ignores this file, so no \
    cluster applies it from here)";
/// Why any Flux API finding in a file is only a warning: the repository's own cluster
/// trees never reach it (an archive, a retired app), so nothing shows Flux applies it.
pub const NO_CLUSTER_READS: &str = " (no cluster tree of this repository reaches this file)";

/// Why a fault of a Flux Kustomization that only itself is an entry point is a warning
/// where the repository bootstraps its clusters: nothing may apply it at all.
pub const NOT_APPLIED: &str = " (no cluster tree of this repository applies this \
    Kustomization: if it is retired, delete it)";

/// The reasons a finding in something no cluster applies is a warning: the same finding
/// where a cluster applies it is the error.
pub const UNAPPLIED_REASONS: [&str; 4] = [NOT_APPLIED, NO_CLUSTER_READS, ORPHAN, IGNORED_BY_SOURCE];

/// Why a kustomization outside every Flux tree is a warning: the repository's Flux source
/// leaves it out of the artifact (`spec.ignore`, `.sourceignore`).
pub const IGNORED_BY_SOURCE: &str = " (the repository's Flux source ignores this directory \
    (spec.ignore or .sourceignore), so no cluster builds it)";

pub struct Checks {
    repo_root: PathBuf,
    allow_remote_bases: bool,
    /// The release of files no cluster reads.
    pub flux_version: guardrails_flux_api::FluxVersion,
    /// Per file a cluster reads: the newest release among the clusters that read it (an
    /// API version removed there fails there).
    pub releases: HashMap<PathBuf, guardrails_flux_api::FluxVersion>,
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<Diagnostic>,
    blocked_kustomizations: BTreeSet<PathBuf>,
    pub blocked_targets: BTreeSet<PathBuf>,
    /// The repository's own Flux configuration runs kustomize-controller with
    /// `--no-remote-bases=true`: a remote base fails in the cluster.
    pub remote_bases_forbidden: bool,
    /// Files whose Flux objects no followed tree applies: a field missing there is not
    /// judged, in the file or in a render of it.
    pub missing_unjudged: BTreeSet<PathBuf>,
}

/// A diagnostic at `span` of `path`, or at the file when its text is not at hand.
pub fn at(
    sources: &mut Sources,
    path: &Path,
    span: Span,
    code: &'static str,
    severity: Severity,
    message: impl Into<String>,
    label: impl Into<Option<String>>,
) -> Diagnostic {
    let diagnostic = Diagnostic::new(code, severity, message);
    match sources.source_file(path) {
        Some(source) => {
            let start = span.offset.min(source.text.len());
            let len = span.len.min(source.text.len() - start);
            diagnostic.with_span(source, start, len, label)
        }
        None => diagnostic.with_path(sources.display(path)),
    }
}

impl Checks {
    pub fn new(repo_root: &Path, options: &Options) -> Self {
        Checks {
            repo_root: repo_root.to_path_buf(),
            allow_remote_bases: options.allow_remote_bases,
            flux_version: options.flux_version.unwrap_or_default(),
            releases: HashMap::new(),
            diagnostics: Vec::new(),
            notes: Vec::new(),
            blocked_kustomizations: BTreeSet::new(),
            blocked_targets: BTreeSet::new(),
            remote_bases_forbidden: false,
            missing_unjudged: BTreeSet::new(),
        }
    }

    fn release_of(&self, file: &Path) -> guardrails_flux_api::FluxVersion {
        self.releases
            .get(file)
            .copied()
            .unwrap_or(self.flux_version)
    }

    fn show(&self, path: &Path) -> String {
        paths::display(path, &self.repo_root)
    }

    /// YAML syntax and Flux API checks of `files`; returns the files that cannot be
    /// parsed (builds reading them are not rendered: the YAML diagnostic says why).
    /// `patch_files` hold partial objects: only their syntax is checked here, and the
    /// object they patch is checked once rendered.
    /// `rendered_by_flux` files reach the cluster through a Flux build, whose render is
    /// checked: a field missing here may come from a parent Kustomization's patches, so
    /// only the render says whether it is missing. In `uncertain_parent` files (applied by
    /// no tree the hook follows, while one it cannot follow exists) a missing field is a
    /// warning: that tree's patches may set it. `data_files` are generator data: text
    /// that kustomize never parses, so only a syntax error is said, as a warning.
    pub fn check_files(
        &mut self,
        files: &BTreeSet<PathBuf>,
        patch_files: &BTreeSet<PathBuf>,
        data_files: &std::collections::BTreeMap<PathBuf, PathBuf>,
        rendered_by_flux: &BTreeSet<PathBuf>,
        uncertain_parent: &std::collections::BTreeMap<PathBuf, &'static str>,
        sources: &mut Sources,
    ) -> BTreeSet<PathBuf> {
        let mut broken = BTreeSet::new();
        for file in files.iter().filter(|f| paths::is_yaml(f)) {
            if !file.is_file() {
                continue;
            }
            if let Some(reader) = data_files.get(file) {
                self.check_data_file(file, reader, sources);
                continue;
            }
            let uncertain = uncertain_parent.get(file).copied();
            // A file no cluster tree reaches (a template, an archive, another tool's YAML)
            // breaks no reconciliation: what stops it from parsing is a warning.
            let unreached = uncertain.filter(|&why| why == NO_CLUSTER_READS);
            let unparsable_severity = if unreached.is_some() {
                Severity::Warning
            } else {
                Severity::Error
            };
            if let Some(error) = &sources.load(file).read_error {
                let (code, help) = match error {
                    ReadError::TooLarge { .. } => (
                        codes::YAML_LIMIT,
                        "split the file, or exclude it with --exclude if it is not a manifest",
                    ),
                    ReadError::Io(_) => (codes::YAML_NOT_TEXT, "check the file's permissions"),
                    ReadError::Binary { .. } | ReadError::NotUtf8 { .. } => (
                        codes::YAML_NOT_TEXT,
                        "Kubernetes manifests are UTF-8 text; re-encode the file or exclude it",
                    ),
                };
                self.diagnostics.push(
                    Diagnostic::new(
                        code,
                        unparsable_severity,
                        format!("{}: {error}{}", self.show(file), unreached.unwrap_or("")),
                    )
                    .with_path(self.show(file))
                    .with_help(help),
                );
                broken.insert(file.clone());
                continue;
            }
            // Only the findings leave the borrow of the parsed documents, not the trees.
            let partial = patch_files.contains(file);
            let parsed = match sources.documents(file) {
                Some(Ok(docs)) => {
                    let release = self.release_of(file);
                    let check = if partial {
                        guardrails_flux_api::check_patch
                    } else {
                        guardrails_flux_api::check_object
                    };
                    Ok(docs
                        .iter()
                        .flat_map(|doc| check(doc, release))
                        .collect::<Vec<_>>())
                }
                Some(Err(error)) => Err(error.clone()),
                None => continue,
            };
            match parsed {
                Err(error) => {
                    let budget = error.message.contains("budget")
                        || error.message.contains("limit exceeded");
                    let (code, help) = if budget {
                        (
                            codes::YAML_LIMIT,
                            "the document exceeds the parser's limits (nesting, aliases or size); \
                             Kubernetes manifests never need this much",
                        )
                    } else {
                        (
                            codes::YAML_SYNTAX,
                            "fix the YAML syntax; kustomize and the Flux controllers reject the file",
                        )
                    };
                    let span = error_span(sources, file, &error);
                    let diagnostic = at(
                        sources,
                        file,
                        span,
                        code,
                        unparsable_severity,
                        format!(
                            "{}: {}{}",
                            self.show(file),
                            error.message,
                            unreached.unwrap_or("")
                        ),
                        Some("here".to_owned()),
                    )
                    .with_help(help);
                    self.diagnostics.push(diagnostic);
                    broken.insert(file.clone());
                }
                Ok(findings) => {
                    // A field missing where the render is checked, or in a file no tree the
                    // hook follows applies (an archive or a disabled app of Kustomizations
                    // whose parents patch in `interval` and `sourceRef`, a tree the hook
                    // cannot render), cannot be judged from the file.
                    let judge_missing = !rendered_by_flux.contains(file) && uncertain.is_none();
                    if uncertain.is_some() {
                        self.missing_unjudged.insert(file.clone());
                    }
                    for mut finding in findings.into_iter().filter(|f| judge_missing || !f.missing)
                    {
                        let severity = match (finding.severity, uncertain) {
                            (_, Some(why)) if finding.missing || why == NO_CLUSTER_READS => {
                                finding.message.push_str(why);
                                Severity::Warning
                            }
                            (severity, _) => severity,
                        };
                        let mut d = at(
                            sources,
                            file,
                            finding.span,
                            finding.code,
                            severity,
                            finding.message,
                            None,
                        );
                        d.help = finding.help;
                        self.diagnostics.push(d);
                    }
                }
            }
        }
        broken
    }

    /// A generator's data file that reads as YAML but does not parse: kustomize copies it
    /// into the ConfigMap or Secret byte for byte, so only the program reading that data
    /// can fail on it. (Binary or non-UTF-8 data is fine for a generator.)
    fn check_data_file(&mut self, file: &Path, reader: &Path, sources: &mut Sources) {
        if sources.load(file).read_error.is_some() {
            return;
        }
        let Some(Err(error)) = sources.documents(file) else {
            return;
        };
        let error = error.clone();
        let span = error_span(sources, file, &error);
        let message = format!(
            "{}: {} (the file is data of a configMapGenerator or secretGenerator in {}: \
             kustomize and Flux copy it as text and never parse it)",
            self.show(file),
            error.message,
            self.show(reader)
        );
        let diagnostic = at(
            sources,
            file,
            span,
            codes::YAML_SYNTAX,
            Severity::Warning,
            message,
            Some("here".to_owned()),
        )
        .with_help(
            "the program that reads this ConfigMap or Secret parses it: fix the syntax if it \
             expects YAML, or exclude the file from the check if it is another format",
        );
        self.diagnostics.push(diagnostic);
    }

    /// What one kustomization points at: missing entries, escapes, remote bases,
    /// `helmCharts` and plugins that kustomize-controller refuses. A kustomization no
    /// Flux tree applies (`applied_by_flux` false) is built by other tools (`kubectl
    /// apply -k`, `kustomize build --enable-helm`): what only kustomize-controller refuses
    /// is a warning that it could not be validated there.
    pub fn check_kustomization(
        &mut self,
        graph: &Graph,
        k: usize,
        applied_by_flux: bool,
        orphan: Option<&'static str>,
        sources: &mut Sources,
    ) {
        let kustomization = &graph.kustomizations[k];
        let file = kustomization.file.clone();
        let mut blocked = false;
        for (input, resolved) in kustomization.inputs.iter().zip(&graph.resolved[k]) {
            let field = input.kind.field();
            let entry = &input.entry;
            let finding = match resolved {
                Resolved::File(path) if input.kind.accepts_directory() || !path.is_dir() => {
                    self.check_plugin_file(
                        input.kind,
                        path,
                        input.span,
                        &file,
                        applied_by_flux,
                        sources,
                    );
                    None
                }
                Resolved::File(_) | Resolved::Kustomization(_) => None,
                // A directory where kustomize reads one file (`must resolve to a file`).
                Resolved::Missing if input.path.is_dir() => Some((
                    codes::MISSING_PATH,
                    Severity::Error,
                    format!(
                        "`{field}` entry `{entry}` is a directory: kustomize needs a file here"
                    ),
                    format!(
                        "{} reads {} as one file (kustomize: \"must resolve to a file\"); name a file in it",
                        self.show(&file),
                        self.show(&input.path)
                    ),
                )),
                Resolved::Missing => Some((
                    codes::MISSING_PATH,
                    Severity::Error,
                    format!("`{field}` entry `{entry}` does not exist"),
                    format!(
                        "{} resolves to {}; fix the path or restore the file",
                        self.show(&file),
                        self.show(&input.path)
                    ),
                )),
                Resolved::DirWithoutKustomization(dir) => Some((
                    codes::MISSING_PATH,
                    Severity::Error,
                    format!(
                        "`{field}` entry `{entry}` is a directory without a kustomization file"
                    ),
                    format!(
                        "kustomize needs kustomization.yaml, kustomization.yml or Kustomization in {}",
                        self.show(dir)
                    ),
                )),
                Resolved::EscapesRoot => Some((
                    codes::PATH_ESCAPES_ROOT,
                    Severity::Error,
                    format!("`{field}` entry `{entry}` leaves the repository"),
                    "kustomize-controller only reads files inside the source it fetched; \
                     move the file into the repository"
                        .to_owned(),
                )),
                Resolved::Remote if !self.allow_remote_bases => {
                    let refused = applied_by_flux && self.remote_bases_forbidden;
                    // A URL of one file (a generator's `files:`, a raw manifest) is not a
                    // base: say what it is.
                    let what = if remote_file(input.kind, &input.entry) {
                        "a remote file"
                    } else {
                        "a remote base"
                    };
                    Some((
                        codes::REMOTE_BASE,
                        if refused {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        if refused {
                            format!(
                                "`{field}` entry `{entry}` is {what}, and this repository runs kustomize-controller with --no-remote-bases=true"
                            )
                        } else {
                            format!(
                                "`{field}` entry `{entry}` is {what}: this build was not validated (the hook runs offline)"
                            )
                        },
                        if refused {
                            "kustomize-controller refuses remote bases here; vendor it into the repository".to_owned()
                        } else {
                            "kustomize-controller fetches remote bases unless it runs with --no-remote-bases; \
                             vendor it to have it checked, or pass --allow-remote-bases to fetch it now"
                                .to_owned()
                        },
                    ))
                }
                Resolved::Remote => None,
            };
            if let Some((code, mut severity, mut message, mut help)) = finding {
                blocked = true;
                if let Some(why) = orphan.filter(|_| severity == Severity::Error) {
                    severity = Severity::Warning;
                    message.push_str(why);
                    help = format!("{help}; or delete the directory if it is retired");
                }
                let d =
                    at(sources, &file, input.span, code, severity, message, None).with_help(help);
                self.diagnostics.push(d);
            }
        }
        if let Some(span) = kustomization.helm_charts {
            blocked = true;
            let (severity, message, help) = if applied_by_flux {
                (
                    Severity::Error,
                    "`helmCharts` needs `--enable-helm`, which kustomize-controller never passes",
                    "deploy the chart with a Flux HelmRelease instead",
                )
            } else {
                (
                    Severity::Warning,
                    "`helmCharts` needs `--enable-helm`: this overlay, which no Flux Kustomization applies, was not validated",
                    "build it with `kustomize build --enable-helm`; a Flux Kustomization applying it would fail",
                )
            };
            let d = at(
                sources,
                &file,
                span,
                codes::HELM_CHARTS,
                severity,
                message,
                None,
            )
            .with_help(help);
            self.diagnostics.push(d);
        }
        for plugin in &kustomization.inline_plugins {
            if let Some(reason) = plugin_reason(&plugin.text) {
                blocked = true;
                let (severity, reason) = plugin_severity(applied_by_flux, reason);
                let d = at(
                    sources,
                    &file,
                    plugin.span,
                    codes::PLUGIN,
                    severity,
                    reason,
                    None,
                )
                .with_help(PLUGIN_HELP);
                self.diagnostics.push(d);
            }
        }
        if blocked {
            self.blocked_kustomizations.insert(file);
        }
    }

    fn check_plugin_file(
        &mut self,
        kind: InputKind,
        path: &Path,
        span: Span,
        kustomization_file: &Path,
        applied_by_flux: bool,
        sources: &mut Sources,
    ) {
        if !matches!(
            kind,
            InputKind::Generator | InputKind::Transformer | InputKind::Validator
        ) {
            return;
        }
        let Some(text) = sources.load(path).text().map(str::to_owned) else {
            return;
        };
        if let Some(reason) = plugin_reason(&text) {
            let (severity, reason) = plugin_severity(applied_by_flux, reason);
            let d = at(
                sources,
                kustomization_file,
                span,
                codes::PLUGIN,
                severity,
                format!("{reason} ({})", self.show(path)),
                None,
            )
            .with_help(PLUGIN_HELP);
            self.diagnostics.push(d);
            self.blocked_kustomizations
                .insert(kustomization_file.to_path_buf());
        }
    }

    /// `spec.path` must exist inside the repository; returns whether it does.
    /// `applied_by_no_cluster`: the Kustomization is an entry point only because no
    /// cluster tree of the repository applies it (an archived or retired file while
    /// bootstraps exist): its path is then a warning, since nothing may apply it at all.
    pub fn check_flux_path(
        &mut self,
        ks: &FluxKustomization,
        dir: &Path,
        applied_by_no_cluster: bool,
        sources: &mut Sources,
    ) -> bool {
        let (text, span) = ks
            .path
            .clone()
            .unwrap_or_else(|| (".".into(), ks.kind_span));
        let problem = if paths::escapes_root(dir, &self.repo_root) {
            Some((
                codes::PATH_ESCAPES_ROOT,
                format!(
                    "Flux Kustomization {} has spec.path `{text}` outside the repository",
                    ks.display_name()
                ),
            ))
        } else if !dir.exists() {
            Some((
                codes::PATH_NOT_FOUND,
                format!(
                    "Flux Kustomization {}: spec.path `{text}` does not exist \
                     (kustomize-controller: \"kustomization path not found\")",
                    ks.display_name()
                ),
            ))
        } else if !dir.is_dir() {
            Some((
                codes::PATH_NOT_FOUND,
                format!(
                    "Flux Kustomization {}: spec.path `{text}` is a file, not a directory",
                    ks.display_name()
                ),
            ))
        } else {
            None
        };
        let Some((code, mut message)) = problem else {
            return true;
        };
        let severity = if applied_by_no_cluster {
            message.push_str(NOT_APPLIED);
            Severity::Warning
        } else {
            Severity::Error
        };
        let d = at(sources, &ks.file, span, code, severity, message, None).with_help(
            "spec.path is relative to the root of the source (this repository); \
             after moving a directory, update every Flux Kustomization that points at it",
        );
        self.diagnostics.push(d);
        false
    }

    /// A `spec.path` without a kustomization file: kustomize-controller generates one
    /// listing every YAML file, and every one of them must be Kubernetes objects.
    pub fn check_plain_manifests(
        &mut self,
        ks: &FluxKustomization,
        resources: &[PathBuf],
        source_ignore: &SourceIgnore,
        graph: &Graph,
        sources: &mut Sources,
    ) {
        let mut blocked = false;
        for file in resources.iter().filter(|r| graph.index_of_dir(r).is_none()) {
            // The first document that is not a Kubernetes object (no apiVersion/kind).
            let stray = match sources.documents(file) {
                Some(Ok(docs)) => docs
                    .iter()
                    .filter(|d| !d.is_null())
                    .find(|d| d.str_at(&["apiVersion"]).is_none() || d.str_at(&["kind"]).is_none())
                    .map(|d| d.span),
                _ => None,
            };
            if let Some(span) = stray {
                blocked = true;
                let d = at(
                    sources,
                    file,
                    span,
                    codes::NOT_KUBERNETES,
                    Severity::Error,
                    format!(
                        "{} is not a Kubernetes object, but Flux Kustomization {} applies every YAML file under its path",
                        self.show(file),
                        ks.display_name()
                    ),
                    Some("no apiVersion/kind".to_owned()),
                )
                .with_help(format!(
                    "kustomize-controller generates a kustomization listing every .yaml/.yml file \
                     in a path without one; move this file out, list it in .sourceignore, or add a \
                     kustomization.yaml that names the manifests{}",
                    if source_ignore.only_defaults_exclude(file) {
                        "\nsource-controller's default exclusions (.github/, .gitlab-ci.yml, …) \
                         would leave this file out, but a .sourceignore file or the \
                         GitRepository's spec.ignore replaces them: list the pattern there again"
                    } else {
                        ""
                    }
                ));
                self.diagnostics.push(d);
            }
        }
        if blocked {
            self.blocked_targets.insert(ks.file.clone());
        }
    }

    /// Components and substitution variables of a Flux Kustomization.
    /// `applied_by_no_cluster` as for [`Checks::check_flux_path`].
    pub fn check_flux_kustomization(
        &mut self,
        ks: &FluxKustomization,
        variable_sources: &[VariableSource],
        applied_by_no_cluster: bool,
        sources: &mut Sources,
    ) {
        let (severity, unapplied) = if applied_by_no_cluster {
            (Severity::Warning, NOT_APPLIED)
        } else {
            (Severity::Error, "")
        };
        let base = paths::join_normalized(
            &self.repo_root,
            ks.path
                .as_ref()
                .map_or(".", |(p, _)| p.trim_start_matches('/')),
        );
        for (component, span) in &ks.components {
            let mut missing = false;
            let problem = if paths::is_remote(component) || Path::new(component).is_absolute() {
                Some(format!(
                    "component `{component}` is not a local relative path; kustomize-controller only accepts local components"
                ))
            } else {
                let dir = paths::join_normalized(&base, component);
                if paths::escapes_root(&dir, &self.repo_root) {
                    Some(format!("component `{component}` leaves the repository"))
                } else if !dir.is_dir() && !ks.ignore_missing_components {
                    missing = true;
                    Some(format!(
                        "component `{component}` does not exist (resolved against spec.path: {})",
                        self.show(&dir)
                    ))
                } else {
                    None
                }
            };
            if let Some(message) = problem {
                let help = if missing {
                    "components are directories relative to spec.path; set spec.ignoreMissingComponents to tolerate absent ones"
                } else {
                    "components are directories relative to spec.path inside this repository; vendor the component"
                };
                let message = format!("{message}{unapplied}");
                let d = at(
                    sources,
                    &ks.file,
                    *span,
                    codes::COMPONENT,
                    severity,
                    message,
                    None,
                )
                .with_help(help);
                self.diagnostics.push(d);
                self.blocked_targets.insert(ks.file.clone());
            }
        }
        let Some(post_build) = &ks.post_build else {
            return;
        };
        for variable in &post_build.substitute {
            if !guardrails_envsubst::is_valid_var_name(&variable.name) {
                let d = at(
                    sources,
                    &ks.file,
                    variable.name_span,
                    codes::SUBSTITUTION,
                    severity,
                    format!(
                        "substitution variable `{}` is not a valid name; kustomize-controller fails the whole build{unapplied}",
                        variable.name
                    ),
                    None,
                )
                .with_help("variable names match ^[_[:alpha:]][_[:alpha:][:digit:]]*$");
                self.diagnostics.push(d);
            }
        }
        for from in &post_build.substitute_from {
            if !variable_sources.iter().any(|v| from.resolves_to(ks, v)) {
                self.notes.push(
                    Diagnostic::advice(
                        codes::UNRESOLVED_VARIABLE,
                        format!(
                            "{}{} {} (substituteFrom of {}) is not in the repository; variables it may define are not checked",
                            if from.optional { "optional " } else { "" },
                            from.kind,
                            from.name,
                            ks.display_name()
                        ),
                    )
                    .with_path(self.show(&ks.file)),
                );
            }
        }
    }

    pub fn note_ignored(&mut self, ks: &FluxKustomization) {
        self.notes.push(
            Diagnostic::advice(
                codes::UNUSED,
                format!(
                    "not checking Flux Kustomization {}: the repository's Flux source ignores \
                     its file (spec.ignore or .sourceignore), so no cluster applies it",
                    ks.display_name()
                ),
            )
            .with_path(self.show(&ks.file)),
        );
    }

    pub fn note_external(&mut self, ks: &FluxKustomization, reason: &str) {
        self.notes.push(
            Diagnostic::advice(
                codes::EXTERNAL_SOURCE,
                format!(
                    "not rendering Flux Kustomization {}: {reason}",
                    ks.display_name()
                ),
            )
            .with_path(self.show(&ks.file)),
        );
    }

    pub fn blocked_kustomizations(&self) -> &BTreeSet<PathBuf> {
        &self.blocked_kustomizations
    }
}

/// Whether a remote entry names one file rather than a kustomization: a generator's
/// `files:`/`envs:` entry, or a URL whose last segment has a file extension.
fn remote_file(kind: guardrails_kustomize::kustomization::InputKind, entry: &str) -> bool {
    use guardrails_kustomize::kustomization::InputKind;
    if matches!(kind, InputKind::GeneratorFile | InputKind::GeneratorEnv) {
        return true;
    }
    let path = entry.split(['?', '#']).next().unwrap_or(entry);
    let last = path.rsplit('/').next().unwrap_or(path);
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| last.to_ascii_lowercase().ends_with(ext))
}

const PLUGIN_HELP: &str = "kustomize-controller builds without plugins (no exec, container or \
    alpha KRM functions, no Helm); use built-in generators and transformers, or render the \
    output into the repository";

/// A plugin kustomize-controller refuses fails a Flux build; an overlay no Flux
/// Kustomization applies is built by other tools (`kustomize build
/// --enable-alpha-plugins`), so there it is a warning that it was not validated.
fn plugin_severity(applied_by_flux: bool, reason: String) -> (Severity, String) {
    if applied_by_flux {
        (Severity::Error, reason)
    } else {
        (
            Severity::Warning,
            format!(
                "{reason}: this overlay, which no Flux Kustomization applies, was not validated"
            ),
        )
    }
}

/// Why a generator/transformer configuration would be refused: it names an exec or
/// container KRM function, or a plugin kind that is not built in.
fn plugin_reason(text: &str) -> Option<String> {
    if text.contains("config.kubernetes.io/function") || text.contains("config.k8s.io/function") {
        return Some("the plugin configuration names a KRM function (exec or container)".into());
    }
    let docs = guardrails_yaml::parse_documents(text, &guardrails_yaml::Limits::default()).ok()?;
    for doc in docs {
        let api = doc.str_at(&["apiVersion"]).unwrap_or("");
        let kind = doc.str_at(&["kind"]).unwrap_or("");
        if kind.is_empty() || api == "builtin" || api.starts_with("builtin/") {
            continue;
        }
        if BUILTIN_PLUGIN_KINDS.contains(&kind) {
            continue;
        }
        if kind == "HelmChartInflationGenerator" {
            return Some("HelmChartInflationGenerator needs --enable-helm, which kustomize-controller never passes".into());
        }
        return Some(format!(
            "`{api}` `{kind}` is not a built-in kustomize plugin; it would need plugins enabled"
        ));
    }
    None
}

const BUILTIN_PLUGIN_KINDS: &[&str] = &[
    "AnnotationsTransformer",
    "ConfigMapGenerator",
    "HashTransformer",
    "ImageTagTransformer",
    "LabelTransformer",
    "NamespaceTransformer",
    "PatchJson6902Transformer",
    "PatchStrategicMergeTransformer",
    "PatchTransformer",
    "PrefixSuffixTransformer",
    "PrefixTransformer",
    "SuffixTransformer",
    "ReplicaCountTransformer",
    "SecretGenerator",
    "ValueAddTransformer",
    "ReplacementTransformer",
    "IAMPolicyGenerator",
    "SortOrderTransformer",
];

fn error_span(sources: &mut Sources, file: &Path, error: &guardrails_yaml::ParseError) -> Span {
    if let Some(offset) = error.offset {
        return Span {
            offset,
            len: 1,
            line: error.line.unwrap_or(0),
            column: error.column.unwrap_or(0),
        };
    }
    // Without a byte offset, derive it from line and column.
    let text = sources.load(file).text().unwrap_or("");
    let line = error.line.unwrap_or(1).max(1);
    let column = error.column.unwrap_or(1).max(1);
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let line_text = text[line_start.min(text.len())..]
        .lines()
        .next()
        .unwrap_or("");
    let column_offset: usize = line_text
        .char_indices()
        .nth(column - 1)
        .map_or(line_text.len(), |(i, _)| i);
    Span {
        offset: (line_start + column_offset).min(text.len()),
        len: usize::from(line_start + column_offset < text.len()),
        line,
        column,
    }
}
