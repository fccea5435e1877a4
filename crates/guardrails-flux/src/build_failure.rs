//! Why a build failed, said in one sentence where the cause is written.
//!
//! kustomize reports a failure as one chain of wrapped errors through every kustomization
//! it descended into (`accumulating resources from '../base': … recursed accumulation of
//! path '/repo/base': …`, api/internal/target/kusttarget.go). The last kustomization the
//! chain names is the smallest that fails on its own, and what follows is its own error.
//! When a renderer's message has no such chain (older kustomize), the included
//! kustomizations are built one by one, only now that the build has failed, until the
//! smallest failing one is found. Its error is then recognised (a patch that matches
//! nothing, an id registered twice, a cycle, an unknown field, …) and placed at the entry
//! of its kustomization file that caused it; anything else keeps kustomize's words,
//! trimmed, with the repository's paths relative.

use std::path::{Path, PathBuf};

use guardrails_yaml::{Node, Span};

use crate::codes;
use crate::paths;
use crate::render::BuildFailure;
use crate::sources::Sources;
use guardrails_kustomize::graph::{Graph, Resolved};
use guardrails_kustomize::kustomization::InputKind;

/// Builds one directory on its own (the renderer, or a fake in tests).
pub trait BuildDir {
    fn build_dir(&self, dir: &Path) -> Result<String, BuildFailure>;
}

/// At most this many extra builds while looking for the smallest failing kustomization.
const DESCENT_BUDGET: usize = 16;

/// A build failure explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub code: &'static str,
    /// The file to open: the failing kustomization's, or the file its error names.
    pub file: PathBuf,
    /// Where in `file`, when the entry could be found.
    pub span: Option<Span>,
    pub sentence: String,
    pub help: String,
    /// The smallest failing kustomization's directory.
    pub culprit: PathBuf,
    /// kustomize's own error for it, paths relative to the repository.
    pub raw: String,
}

/// Explains why building `dir` (whose kustomization file is `anchor` when there is no
/// kustomization of the graph there) failed.
pub fn explain(
    graph: &Graph,
    sources: &mut Sources,
    builder: Option<&dyn BuildDir>,
    dir: &Path,
    anchor: &Path,
    failure: &BuildFailure,
) -> Cause {
    let repo_root = sources.repo_root().to_path_buf();
    let error = error_text(&failure.stderr);
    let relative = |text: &str| relative_paths(text, &repo_root);
    if failure.timed_out {
        return Cause {
            code: codes::BUILD_FAILED,
            file: anchor.to_path_buf(),
            span: None,
            sentence: error.clone(),
            help: "a build this slow blocks every commit: look for a remote base or a large \
                   generator, or raise --timeout"
                .into(),
            culprit: dir.to_path_buf(),
            raw: relative(&error),
        };
    }
    let (culprit, own) = smallest_failing(graph, builder, dir, &error);
    let file = graph.index_of_dir(&culprit).map_or_else(
        || anchor.to_path_buf(),
        |k| graph.kustomizations[k].file.clone(),
    );
    let shown_dir = paths::display(&culprit, &repo_root);
    // A Flux build's own patches are written in the Flux Kustomization, not in the
    // kustomization file of its path.
    let recognised = match recognise(graph, sources, &culprit, &file, &own) {
        Some(cause) if cause.span.is_none() && culprit == dir && anchor != file => {
            recognise(graph, sources, &culprit, anchor, &own)
                .filter(|c| c.span.is_some())
                .or(Some(cause))
        }
        other => other,
    };
    let mut cause = recognised.unwrap_or_else(|| Cause {
        code: codes::BUILD_FAILED,
        file: file.clone(),
        span: None,
        sentence: format!(
            "{shown_dir} does not build: {}",
            first_clause(&relative(&own))
        ),
        help: format!("`kustomize build {shown_dir}` shows the whole error"),
        culprit: culprit.clone(),
        raw: String::new(),
    });
    cause.culprit = culprit;
    cause.raw = relative(&error);
    cause
}

/// The smallest kustomization that fails on its own, and its own error.
fn smallest_failing(
    graph: &Graph,
    builder: Option<&dyn BuildDir>,
    dir: &Path,
    error: &str,
) -> (PathBuf, String) {
    const CHAIN: &str = "recursed accumulation of path '";
    if let Some(at) = error.rfind(CHAIN) {
        let rest = &error[at + CHAIN.len()..];
        if let Some(end) = rest.find('\'') {
            let culprit = PathBuf::from(&rest[..end]);
            let own = rest[end + 1..].trim_start_matches(':').trim_start();
            if graph.index_of_dir(&culprit).is_some() {
                return (culprit, own.to_owned());
            }
        }
    }
    let (Some(builder), Some(start)) = (builder, graph.index_of_dir(dir)) else {
        return (dir.to_path_buf(), error.to_owned());
    };
    let (mut current, mut own) = (start, error.to_owned());
    let mut budget = DESCENT_BUDGET;
    'descend: loop {
        let mut children: Vec<usize> = graph.kustomizations[current]
            .inputs
            .iter()
            .zip(&graph.resolved[current])
            .filter_map(|(input, resolved)| match resolved {
                Resolved::Kustomization(child)
                    if matches!(input.kind, InputKind::Resource | InputKind::Base)
                        && !graph.kustomizations[*child].component =>
                {
                    Some(*child)
                }
                _ => None,
            })
            .collect();
        // The children the message names first: usually the first build finds it.
        children.sort_by_key(|&c| !own.contains(&*graph.kustomizations[c].dir.to_string_lossy()));
        for child in children {
            if budget == 0 {
                break 'descend;
            }
            budget -= 1;
            if let Err(failure) = builder.build_dir(&graph.kustomizations[child].dir) {
                if failure.timed_out {
                    break 'descend;
                }
                current = child;
                own = error_text(&failure.stderr);
                continue 'descend;
            }
        }
        break;
    }
    (graph.kustomizations[current].dir.clone(), own)
}

/// The renderer's error without klog's wrapping and kustomize's deprecation warnings.
/// `kubectl kustomize` prints `E1203 … run.go:72] "command failed" err="…"`, or for a
/// multi-line error `err=<` and the lines up to `>`; `kustomize build` prints `Error: …`.
pub fn error_text(stderr: &str) -> String {
    let mut lines = stderr.lines();
    let mut fallback = None;
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || is_warning(trimmed) {
            continue;
        }
        if let Some(start) = trimmed.find(" err=\"") {
            let quoted = &trimmed[start + " err=\"".len()..];
            let quoted = quoted.strip_suffix('"').unwrap_or(quoted);
            return quoted.replace("\\\"", "\"").replace("\\\\", "\\");
        }
        if trimmed.ends_with(" err=<") {
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|l| l.trim() != ">")
                .map(|l| l.strip_prefix('\t').unwrap_or(l))
                .collect();
            return block.join("\n").trim().to_owned();
        }
        fallback.get_or_insert(trimmed.strip_prefix("Error: ").unwrap_or(trimmed));
    }
    fallback.map_or_else(|| "the renderer failed".to_owned(), ToOwned::to_owned)
}

fn is_warning(line: &str) -> bool {
    let line = line.trim_start_matches('#').trim_start();
    let klog_warning = line
        .strip_prefix('W')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    klog_warning || line.starts_with("Warning:") || line.starts_with("warning:")
}

/// Absolute paths of the repository written relative to its top level.
pub fn relative_paths(text: &str, repo_root: &Path) -> String {
    let root = repo_root.to_string_lossy();
    text.replace(&format!("{root}/"), "").replace(&*root, ".")
}

/// kustomize's innermost clause: what follows the last `err='…':` wrapper, without the
/// `must build at directory` fallback it appends when a file entry fails.
fn first_clause(error: &str) -> String {
    let mut text = error.trim();
    if let Some(at) = text.find(": must build at directory") {
        text = &text[..at];
    }
    let text = text
        .trim_start_matches("accumulating resources: ")
        .trim_start_matches("accumulation err='")
        .trim_end_matches('\'');
    let line = text.lines().next().unwrap_or(text);
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// An object id as kustomize prints it: `Deployment.v1.apps/web.prod`,
/// `ConfigMap.[noVer].[noGrp]/settings.[noNs]` (the namespace never has a dot; the name may).
#[derive(Debug, PartialEq, Eq)]
struct ObjectId {
    kind: String,
    name: String,
    namespace: Option<String>,
}

impl ObjectId {
    fn parse(text: &str) -> Option<ObjectId> {
        let (gvk, rest) = text.split_once('/')?;
        let kind = gvk.split('.').next()?.to_owned();
        let (name, namespace) = rest.rsplit_once('.')?;
        Some(ObjectId {
            kind,
            name: name.to_owned(),
            namespace: (namespace != "[noNs]").then(|| namespace.to_owned()),
        })
    }

    fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// The id that follows `marker` in `error`, up to a `;`, a quote or the end.
fn id_after(error: &str, marker: &str) -> Option<ObjectId> {
    let rest = &error[error.find(marker)? + marker.len()..];
    let rest = rest.trim_start_matches('"');
    let end = rest.find([';', '"', '\'', ' ']).unwrap_or(rest.len());
    ObjectId::parse(&rest[..end])
}

/// The entry of the last `… from '<entry>'` before `before` (or anywhere).
fn entry_before(error: &str, before: Option<&str>) -> Option<String> {
    let scope = match before.and_then(|b| error.find(b)) {
        Some(at) => &error[..at],
        None => error,
    };
    let at = scope.rfind(" from '")?;
    let rest = &scope[at + " from '".len()..];
    Some(rest[..rest.find('\'')?].to_owned())
}

/// What a kustomization file may hold (kustomize's `types.Kustomization`).
const KUSTOMIZATION_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// The kustomization files whose entries can explain `culprit`'s own error: its own (or
/// `file`), then those of the components it includes, which kustomize applies as part of it.
fn explaining_files(graph: &Graph, culprit: &Path, file: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut files = vec![(file.to_path_buf(), culprit.to_path_buf())];
    let Some(k) = graph.index_of_dir(culprit) else {
        return files;
    };
    let mut stack = vec![k];
    let mut seen = vec![k];
    while let Some(k) = stack.pop() {
        for (input, resolved) in graph.kustomizations[k]
            .inputs
            .iter()
            .zip(&graph.resolved[k])
        {
            if let (InputKind::Component, Resolved::Kustomization(c)) = (input.kind, resolved)
                && !seen.contains(c)
            {
                seen.push(*c);
                stack.push(*c);
                let component = &graph.kustomizations[*c];
                files.push((component.file.clone(), component.dir.clone()));
            }
        }
    }
    files
}

/// Recognises kustomize's common errors; `None` leaves the error in kustomize's words.
fn recognise(
    graph: &Graph,
    sources: &mut Sources,
    culprit: &Path,
    file: &Path,
    own: &str,
) -> Option<Cause> {
    let repo_root = sources.repo_root().to_path_buf();
    let shown_dir = paths::display(culprit, &repo_root);
    let kustomization = graph
        .index_of_dir(culprit)
        .map(|k| &graph.kustomizations[k]);
    let entry_span = |kinds: &[InputKind], wanted: &dyn Fn(&str, &Path) -> bool| {
        kustomization.and_then(|k| {
            k.inputs
                .iter()
                .find(|i| kinds.contains(&i.kind) && wanted(&i.entry, &i.path))
                .map(|i| i.span)
        })
    };
    let cause = |code, span, sentence: String, help: String| Cause {
        code,
        file: file.to_path_buf(),
        span,
        sentence,
        help,
        culprit: culprit.to_path_buf(),
        raw: String::new(),
    };

    if own.contains("failed to find unique target for patch")
        || own.contains("no resource matches strategic merge patch")
    {
        let id = id_after(own, "failed to find unique target for patch ")
            .or_else(|| id_after(own, "no matches for Id "))?;
        let found = explaining_files(graph, culprit, file)
            .into_iter()
            .find_map(|(f, dir)| patch_entry(sources, &f, &dir, &id).map(|span| (f, span)));
        let (at_file, span) = match found {
            Some((f, span)) => (f, Some(span)),
            None => (file.to_path_buf(), None),
        };
        return Some(Cause {
            file: at_file,
            ..cause(
                codes::PATCH_TARGET,
                span,
                format!(
                    "the patch for {} matches no object that {shown_dir} builds",
                    id.describe()
                ),
                format!(
                    "the object was renamed, moved or removed: point the patch at an object the \
                 build defines (`kustomize build {shown_dir}` lists them), or remove the patch"
                ),
            )
        });
    }
    if own.contains("missing Resource metadata") {
        // A resource file whose document is not an object (values meant for
        // substitution, a data file listed as a resource): at that document.
        let entry = entry_before(own, Some("missing Resource metadata"))?;
        let path = paths::join_normalized(culprit, &entry);
        let span = sources.documents(&path).and_then(|docs| {
            docs.as_ref()
                .ok()?
                .iter()
                .find(|d| !d.is_null() && d.get("metadata").is_none())
                .map(|d| d.span)
        });
        let shown = paths::display(&path, &repo_root);
        let sentence = format!(
            "{shown}, a resource of {shown_dir}, holds a document that is not a Kubernetes \
             object (it has no metadata): kustomize refuses the whole build"
        );
        let help = "a resource file holds whole objects (apiVersion, kind, metadata.name): \
                    move values meant for substitution into postBuild, load data with a \
                    configMapGenerator, or remove the entry"
            .to_owned();
        return Some(match span {
            Some(span) => Cause {
                file: path,
                ..cause(codes::MISSING_FIELD, Some(span), sentence, help)
            },
            None => cause(
                codes::MISSING_FIELD,
                entry_span(&[InputKind::Resource], &|e, _| e == entry),
                sentence,
                help,
            ),
        });
    }
    if own.contains("already registered id") {
        let id = id_after(own, "already registered id: ")?;
        let entry = entry_before(own, Some("may not add resource"));
        let span = entry.as_deref().and_then(|e| {
            entry_span(&[InputKind::Resource, InputKind::Base], &|entry, _| {
                entry == e
            })
        });
        let by = entry
            .map(|e| format!(": `{e}` adds it again"))
            .unwrap_or_default();
        return Some(cause(
            codes::DUPLICATE_ID,
            span,
            format!("{} is defined twice in {shown_dir}{by}", id.describe()),
            "kustomize refuses two objects with the same kind, namespace and name: drop one \
             of the entries, or patch the object instead of defining it again"
                .into(),
        ));
    }
    if own.contains("namespace transformation produces ID conflict") {
        // kustomize prints the colliding objects as JSON (kubectl escapes its quotes).
        let text = own.replace("\\\"", "\"");
        let value_of = |key: &str| {
            let needle = format!("\"{key}\":\"");
            let at = text.find(&needle)? + needle.len();
            text[at..].split('"').next().map(str::to_owned)
        };
        let kind = value_of("kind").unwrap_or_else(|| "object".to_owned());
        let name = value_of("name").unwrap_or_default();
        let namespace = value_of("namespace").unwrap_or_default();
        let needle = "previousNamespaces\":\"";
        let before: Vec<&str> = text
            .match_indices(needle)
            .filter_map(|(at, _)| text[at + needle.len()..].split('"').next())
            .collect();
        let from = if before.is_empty() {
            String::new()
        } else {
            format!(" of namespaces {}", before.join(" and "))
        };
        return Some(cause(
            codes::DUPLICATE_ID,
            key_span(sources, file, "namespace"),
            format!(
                "`namespace: {namespace}` in {shown_dir} makes {kind} {name}{from} one object \
                 ({kind} {namespace}/{name})"
            ),
            "kustomize's namespace transformer moves every object of the build into one \
             namespace, so objects that differed only by namespace collide: rename one (a \
             `namePrefix` in its base), or build them in separate kustomizations"
                .into(),
        ));
    }
    if own.contains("cycle detected") {
        let entry = entry_before(own, Some("cycle detected"));
        let span = entry.as_deref().and_then(|e| {
            entry_span(
                &[InputKind::Resource, InputKind::Base, InputKind::Component],
                &|entry, _| entry == e,
            )
        });
        return Some(cause(
            codes::CYCLE,
            span,
            format!(
                "{shown_dir} includes {}, which includes {shown_dir} again",
                entry
                    .as_deref()
                    .map_or("a kustomization".into(), |e| format!("`{e}`"))
            ),
            "kustomizations must form a tree: move what both need into a base (or a \
             component) that neither of them includes"
                .into(),
        ));
    }
    let unknown_field = quoted_after(own, "json: unknown field \"");
    if let Some(field) = unknown_field
        .as_ref()
        .filter(|_| !own.contains("invalid Kustomization"))
    {
        // A file the kustomization reads as configuration (transformer configs, plugin
        // configs, openapi) has a key kustomize does not know.
        let inputs = kustomization.map_or(&[][..], |k| &k.inputs[..]);
        let found = inputs.iter().find_map(|input| {
            key_span(sources, &input.path, field).map(|span| (input.path.clone(), span))
        });
        if let Some((config, span)) = found {
            return Some(Cause {
                file: config.clone(),
                ..cause(
                    codes::BUILD_FAILED,
                    Some(span),
                    format!(
                        "`{field}` is not a field kustomize knows in {}",
                        paths::display(&config, &repo_root)
                    ),
                    "kustomize decodes the files a kustomization reads strictly and refuses \
                     the build: remove or rename the field"
                        .into(),
                )
            });
        }
    }
    if let Some(field) = unknown_field.filter(|_| own.contains("invalid Kustomization")) {
        let span = key_span(sources, file, &field);
        let suggestion = guardrails_flux_api::closest(&field, KUSTOMIZATION_FIELDS)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return Some(cause(
            codes::INVALID_KUSTOMIZATION,
            span,
            format!("`{field}` is not a kustomization field"),
            format!(
                "{suggestion}kustomize reads kustomization files strictly and refuses the \
                 whole file"
            ),
        ));
    }
    if let Some(rest) = own
        .find("json: cannot unmarshal ")
        .map(|at| &own[at + "json: cannot unmarshal ".len()..])
    {
        let found = rest.split(" into ").next().unwrap_or("a value");
        let field = rest
            .split("Go struct field Kustomization.")
            .nth(1)
            .and_then(|f| f.split([' ', '.']).next())
            .unwrap_or("a field");
        let expected = rest
            .rsplit(" of type ")
            .next()
            .map(go_type)
            .unwrap_or_default();
        let span = key_span(sources, file, field);
        return Some(cause(
            codes::INVALID_KUSTOMIZATION,
            span,
            format!("`{field}` must be {expected}, not {}", article(found)),
            "kustomize reads kustomization files strictly and refuses the whole file".into(),
        ));
    }
    if own.contains("doc is missing path") || own.contains("operation does not apply") {
        let path = own
            .split("missing path: ")
            .nth(1)
            .and_then(|p| p.split(':').next())
            .unwrap_or("")
            .trim()
            // kustomize quotes the path for `add` (`missing path: "/spec/…": missing value`).
            .trim_matches('"')
            .to_owned();
        // The operation is inline in a kustomization (the culprit's or a component's) or
        // in a patch file one of them names.
        let mut candidates: Vec<PathBuf> = Vec::new();
        for (f, _) in explaining_files(graph, culprit, file) {
            candidates.push(f.clone());
            if let Some(k) = graph.index_of_dir(f.parent().unwrap_or(Path::new("."))) {
                candidates.extend(
                    graph.kustomizations[k]
                        .inputs
                        .iter()
                        .filter(|i| matches!(i.kind, InputKind::Patch | InputKind::PatchJson6902))
                        .map(|i| i.path.clone()),
                );
            }
        }
        let found = candidates.iter().find_map(|f| {
            written(sources, f, &format!("path: {path}"))
                .or_else(|| written(sources, f, &format!("\"path\": \"{path}\"")))
                .map(|span| (f.clone(), span))
        });
        let (at_file, span) = match found {
            Some((f, span)) => (f, Some(span)),
            None => (
                file.to_path_buf(),
                entry_span(&[InputKind::Patch, InputKind::PatchJson6902], &|_, _| true),
            ),
        };
        let op = own
            .split(" operation")
            .next()
            .and_then(|o| o.rsplit(' ').next())
            .unwrap_or("patch");
        // `add` creates only the last segment of its path: what is missing is a parent.
        let (message, help) = if op == "add" {
            let parent = path.rsplit_once('/').map_or("/", |(parent, _)| parent);
            (
                format!(
                    "the JSON patch's `add` of `{path}` does not apply: the object it patches \
                     has no `{parent}`"
                ),
                format!(
                    "`add` creates only the last part of its path, so `{parent}` must exist \
                     (list items are counted from 0): add the parent with the value nested \
                     in it, or fix the path"
                ),
            )
        } else {
            (
                format!(
                    "the JSON patch's `{op}` of `{path}` does not apply: the object it patches \
                     has no such field"
                ),
                "`replace` and `remove` need the field to exist (list items are counted from \
                 0); use `add` to create it, or fix the path"
                    .to_owned(),
            )
        };
        return Some(Cause {
            file: at_file,
            ..cause(codes::PATCH_FAILED, span, message, help)
        });
    }
    if let Some(path) = own
        .split("failed to get the patch file from path(")
        .nth(1)
        .and_then(|p| p.split(')').next())
    {
        let span = entry_span(
            &[
                InputKind::Patch,
                InputKind::PatchStrategicMerge,
                InputKind::PatchJson6902,
            ],
            &|entry, _| entry == path,
        );
        let why = if own.contains("is a directory") {
            "is a directory"
        } else {
            "does not exist"
        };
        return Some(cause(
            codes::PATCH_FAILED,
            span,
            format!("patch file `{path}` {why}"),
            "a patch entry's `path:` names one YAML file, relative to the kustomization".into(),
        ));
    }
    if let Some(rest) = own.split("nothing selected by ").nth(1) {
        let (id, field) = rest.split_once(':').unwrap_or((rest, ""));
        let id = ObjectId::parse(id)?;
        let span = written(sources, file, &format!("name: {}", id.name));
        return Some(cause(
            codes::REPLACEMENT,
            span,
            format!(
                "the replacement's source {} (`{field}`) is not in what {shown_dir} builds",
                id.describe()
            ),
            "a replacement copies a field of an object of the same build: add the object, or \
             fix the source's kind, name or fieldPath"
                .into(),
        ));
    }
    if let Some(plugin) = quoted_after(own, "unable to load external plugin '") {
        let span = entry_span(
            &[
                InputKind::Generator,
                InputKind::Transformer,
                InputKind::Validator,
            ],
            &|_, _| true,
        );
        return Some(cause(
            codes::PLUGIN,
            span,
            format!("`{plugin}` is an external kustomize plugin"),
            "kustomize-controller never enables plugins: use a built-in generator or \
             transformer, or render it in CI and commit the output"
                .into(),
        ));
    }
    if own.contains("must specify --enable-helm") {
        let span = key_span(sources, file, "helmCharts");
        return Some(cause(
            codes::HELM_CHARTS,
            span,
            "`helmCharts` needs kustomize's --enable-helm".into(),
            "kustomize-controller never enables Helm: use a Flux HelmRelease instead".into(),
        ));
    }
    if let Some(rest) = own.split("MalformedYAMLError: yaml: line ").nth(1) {
        let (line, rest) = rest.split_once(": ")?;
        let line: usize = line.parse().ok()?;
        let (message, named) = rest.split_once(" in File: ").unwrap_or((rest, ""));
        let broken = paths::join_normalized(culprit, named.trim());
        let span = line_span(sources, &broken, line);
        return Some(Cause {
            file: broken,
            ..cause(
                codes::YAML_SYNTAX,
                span,
                format!("not valid YAML: {message}"),
                "fix the YAML at this line".into(),
            )
        });
    }
    if own.contains("no such file or directory") {
        let entry = entry_before(own, Some(": "))
            .or_else(|| entry_before(own, None))
            .or_else(|| quoted_after(own, "evalsymlink failure on '"));
        let span = entry.as_deref().and_then(|e| {
            entry_span(
                &[
                    InputKind::Resource,
                    InputKind::Base,
                    InputKind::Component,
                    InputKind::GeneratorFile,
                    InputKind::GeneratorEnv,
                ],
                &|entry, path| entry == e || path == Path::new(e),
            )
        });
        if let Some(e) = entry {
            return Some(cause(
                codes::MISSING_PATH,
                span,
                format!("`{}` does not exist", relative_paths(&e, &repo_root)),
                "a renamed or deleted file is still listed: update the entry or restore the \
                 file"
                    .into(),
            ));
        }
    }
    None
}

/// The quoted text that follows `marker` (which ends with the opening quote).
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let quote = marker.chars().last()?;
    Some(rest[..rest.find(quote)?].to_owned())
}

/// `[]string` as people say it.
fn go_type(text: &str) -> String {
    let text = text.trim();
    match text {
        "[]string" => "a list of strings".into(),
        "string" => "a string".into(),
        "bool" => "true or false".into(),
        "int" | "int64" => "a number".into(),
        t if t.starts_with("[]") => "a list".into(),
        t if t.starts_with("map[") => "a mapping".into(),
        t => format!("a {}", t.rsplit('.').next().unwrap_or(t)),
    }
}

fn article(go_kind: &str) -> String {
    match go_kind {
        "array" => "a list".into(),
        "object" => "a mapping".into(),
        "string" => "a string".into(),
        "number" => "a number".into(),
        other => format!("a {other}"),
    }
}

/// A top-level key of the file's first document.
fn key_span(sources: &mut Sources, file: &Path, key: &str) -> Option<Span> {
    let Some(Ok(docs)) = sources.documents(file) else {
        return None;
    };
    docs.first()?.entry(key).map(|(k, _)| k.span)
}

/// The first place `needle` is written in `file`.
fn written(sources: &mut Sources, file: &Path, needle: &str) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let text = sources.load(file).text()?;
    let offset = text.find(needle)?;
    Some(span_at(text, offset, needle.len()))
}

fn line_span(sources: &mut Sources, file: &Path, line: usize) -> Option<Span> {
    let text = sources.load(file).text()?;
    let offset: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let len = text[offset.min(text.len())..]
        .find('\n')
        .unwrap_or(text.len() - offset.min(text.len()));
    (offset <= text.len()).then(|| span_at(text, offset, len))
}

fn span_at(text: &str, offset: usize, len: usize) -> Span {
    let before = &text[..offset];
    Span {
        offset,
        len,
        line: before.matches('\n').count() + 1,
        column: offset - before.rfind('\n').map_or(0, |i| i + 1) + 1,
    }
}

/// The `patches` / `patchesStrategicMerge` entry that patches `id`: a patch file that
/// defines it, an inline patch that names it, or a `target:` that selects it.
fn patch_entry(sources: &mut Sources, file: &Path, dir: &Path, id: &ObjectId) -> Option<Span> {
    let docs = match sources.documents(file) {
        Some(Ok(docs)) => docs.clone(),
        _ => return None,
    };
    let names = |node: &Node| -> bool {
        node.str_at(&["kind"]) == Some(id.kind.as_str())
            && node.str_at(&["metadata", "name"]) == Some(id.name.as_str())
    };
    // A kustomization's own `patches`, or a Flux Kustomization's `spec.patches`.
    let lists = |doc: &Node| -> Vec<(Node, &'static str)> {
        ["patches", "patchesStrategicMerge"]
            .into_iter()
            .flat_map(|field| {
                [doc.get(field), doc.at(&["spec", field])]
                    .into_iter()
                    .flatten()
                    .map(move |list| (list.clone(), field))
            })
            .collect()
    };
    let mut first_list = None;
    for doc in &docs {
        for (list, field) in lists(doc) {
            first_list.get_or_insert(list.span);
            for item in list.as_seq().unwrap_or(&[]) {
                let path = item.get("path").and_then(Node::as_str).or_else(|| {
                    (field == "patchesStrategicMerge")
                        .then(|| item.as_str())
                        .flatten()
                        .filter(|s| !s.contains('\n'))
                });
                if let Some(path) = path {
                    let patch_file = paths::join_normalized(dir, path);
                    if let Some(Ok(patches)) = sources.documents(&patch_file)
                        && patches.iter().any(names)
                    {
                        return Some(item.get("path").unwrap_or(item).span);
                    }
                    continue;
                }
                let inline = item.get("patch").and_then(Node::as_str).or(item.as_str());
                let names_inline = inline.is_some_and(|text| {
                    text.contains(&format!("name: {}", id.name)) && text.contains(&id.kind)
                });
                let selects =
                    item.at(&["target", "name"]).and_then(Node::as_str) == Some(id.name.as_str());
                if names_inline || selects {
                    return Some(
                        item.get("patch")
                            .or(item.get("target"))
                            .unwrap_or(item)
                            .span,
                    );
                }
            }
        }
    }
    first_list
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::*;

    /// Builds fail for the directories in `failing`, with an error that names no chain
    /// (as older kustomize releases print it); every build asked for is recorded.
    struct FakeRenderer {
        failing: BTreeSet<PathBuf>,
        asked: RefCell<Vec<PathBuf>>,
    }

    impl BuildDir for FakeRenderer {
        fn build_dir(&self, dir: &Path) -> Result<String, BuildFailure> {
            self.asked.borrow_mut().push(dir.to_path_buf());
            if self.failing.contains(dir) {
                Err(BuildFailure {
                    command: "kustomize build".into(),
                    stderr: format!("Error: {} is broken", dir.display()),
                    timed_out: false,
                })
            } else {
                Ok(String::new())
            }
        }
    }

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, Graph, Sources) {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        let mut kustomizations = Vec::new();
        for (path, text) in files {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, text).unwrap();
        }
        for (path, text) in files {
            if path.ends_with("kustomization.yaml") {
                let docs = guardrails_yaml::parse_documents(text, &Default::default()).unwrap();
                kustomizations.push(
                    guardrails_kustomize::kustomization::Kustomization::from_document(
                        &root.join(path),
                        &docs[0],
                    ),
                );
            }
        }
        let graph = Graph::build(
            kustomizations,
            &guardrails_kustomize::FileSystem {
                canonical_root: &root,
            },
        );
        let sources = Sources::new(&root);
        (temp, root, graph, sources)
    }

    #[test]
    fn without_a_chain_the_included_kustomizations_are_built_until_the_smallest_failing() {
        let (_temp, root, graph, mut sources) = tree(&[
            ("top/kustomization.yaml", "resources: [../ok, ../mid]\n"),
            ("mid/kustomization.yaml", "resources: [../base]\n"),
            ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
            ("base/cm.yaml", "kind: ConfigMap\n"),
            ("ok/kustomization.yaml", "resources: []\n"),
        ]);
        let fake = FakeRenderer {
            failing: [root.join("mid"), root.join("base")].into(),
            asked: RefCell::new(Vec::new()),
        };
        let failure = BuildFailure {
            command: "kustomize build".into(),
            stderr: format!("Error: {} is broken", root.join("top").display()),
            timed_out: false,
        };
        let top = root.join("top");
        let cause = explain(
            &graph,
            &mut sources,
            Some(&fake),
            &top,
            &top.join("kustomization.yaml"),
            &failure,
        );
        assert_eq!(cause.culprit, root.join("base"));
        assert_eq!(cause.file, root.join("base/kustomization.yaml"));
        assert_eq!(cause.code, codes::BUILD_FAILED);
        assert_eq!(cause.sentence, "base does not build: base is broken");
        // `ok` passes and is not descended; nothing is built twice.
        let asked = fake.asked.borrow();
        assert_eq!(
            *asked,
            vec![root.join("ok"), root.join("mid"), root.join("base")]
        );
    }

    #[test]
    fn a_chain_names_the_smallest_failing_kustomization_without_building() {
        let (_temp, root, graph, mut sources) = tree(&[
            ("top/kustomization.yaml", "resources: [../app]\n"),
            (
                "app/kustomization.yaml",
                "resources:\n  - deploy.yaml\npatches:\n  - path: ghost.yaml\n",
            ),
            (
                "app/deploy.yaml",
                "kind: Deployment\nmetadata:\n  name: web\n",
            ),
            (
                "app/ghost.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ghost\n",
            ),
        ]);
        let fake = FakeRenderer {
            failing: BTreeSet::new(),
            asked: RefCell::new(Vec::new()),
        };
        let app = root.join("app");
        let stderr = format!(
            "E1203 06:06:27.976138 2898 run.go:72] \"command failed\" err=\"accumulating resources: accumulation err='accumulating resources from '../app': read {app}: is a directory': recursed accumulation of path '{app}': no resource matches strategic merge patch \\\"Deployment.v1.apps/ghost.[noNs]\\\": no matches for Id Deployment.v1.apps/ghost.[noNs]; failed to find unique target for patch Deployment.v1.apps/ghost.[noNs]\"",
            app = app.display()
        );
        let failure = BuildFailure {
            command: "kubectl kustomize".into(),
            stderr,
            timed_out: false,
        };
        let top = root.join("top");
        let cause = explain(
            &graph,
            &mut sources,
            Some(&fake),
            &top,
            &top.join("kustomization.yaml"),
            &failure,
        );
        assert!(fake.asked.borrow().is_empty());
        assert_eq!(cause.code, codes::PATCH_TARGET);
        assert_eq!(cause.file, app.join("kustomization.yaml"));
        assert_eq!(cause.span.map(|s| s.line), Some(4));
        assert!(
            cause.sentence.contains("Deployment ghost") && cause.sentence.contains("app"),
            "{}",
            cause.sentence
        );
        assert!(
            !cause.raw.contains(&*root.to_string_lossy()),
            "{}",
            cause.raw
        );
    }

    #[test]
    fn klog_wrapped_errors_are_unwrapped() {
        let single = "# Warning: 'patchesStrategicMerge' is deprecated.\nE1203 06:06:24.310278    2640 run.go:72] \"command failed\" err=\"no matches for Id Deployment.v1.apps/api.[noNs]; failed\"";
        assert_eq!(
            error_text(single),
            "no matches for Id Deployment.v1.apps/api.[noNs]; failed"
        );
        let block = "E1203 06:06:23.065903    2564 run.go:72] \"command failed\" err=<\n\ttrouble configuring builtin PatchTransformer with config: `\n\tpath: sub\n\t`: failed to get the patch file from path(sub): read /r/p7/sub: is a directory\n >";
        assert_eq!(
            error_text(block),
            "trouble configuring builtin PatchTransformer with config: `\npath: sub\n`: failed to get the patch file from path(sub): read /r/p7/sub: is a directory"
        );
        assert_eq!(error_text("Error: boom\n"), "boom");
    }

    #[test]
    fn object_ids_keep_dotted_names() {
        assert_eq!(
            ObjectId::parse("Deployment.v1.apps/web.v2.prod"),
            Some(ObjectId {
                kind: "Deployment".into(),
                name: "web.v2".into(),
                namespace: Some("prod".into())
            })
        );
        assert_eq!(
            ObjectId::parse("ConfigMap.[noVer].[noGrp]/settings.[noNs]")
                .unwrap()
                .describe(),
            "ConfigMap settings"
        );
    }

    #[test]
    fn the_entry_before_a_phrase_is_the_last_one_quoted() {
        let error = "accumulating resources: accumulation err='merging resources from 'deploy.yaml': may not add resource with an already registered id: Deployment.v1.apps/web.[noNs]'";
        assert_eq!(
            entry_before(error, Some("may not add resource")).as_deref(),
            Some("deploy.yaml")
        );
    }
}
