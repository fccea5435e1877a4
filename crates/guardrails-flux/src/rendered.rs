//! The render phase: a bounded pool of workers runs the renderer (or reuses a cached
//! render), parses the output and checks it; the caller turns each result into
//! diagnostics as it arrives, so only a few renders are ever held in memory.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use guardrails_report::{Diagnostic, Report, Severity};
use guardrails_yaml::{Limits, Node, Span};

use crate::build_failure::{self, BuildDir};
use crate::flux::FluxKustomization;
use crate::job::{
    Build, Findings, ObjectKey, Problem, RenderContext, RenderResult, Substitution, Target, Work,
};
use crate::plan::Plan;
use crate::render::BuildFailure;
use crate::source_checks::at;
use crate::stats::Stats;
use crate::{codes, paths};

/// Runs `work` on `jobs` threads and hands every result to `on_result` on this thread.
pub fn run(
    context: &RenderContext<'_>,
    work: Vec<Work>,
    jobs: usize,
    mut on_result: impl FnMut(RenderResult),
) {
    let mut pending = Vec::new();
    for (index, item) in work.iter().enumerate() {
        if let Some(prerendered) = &item.prerendered {
            on_result(finish(
                context,
                item,
                prerendered.clone(),
                false,
                Duration::ZERO,
            ));
            continue;
        }
        match context.cache.and_then(|c| c.get(&item.cache_key)) {
            Some(text) => on_result(finish(context, item, Ok(text), true, Duration::ZERO)),
            None => pending.push(index),
        }
    }
    // The same build for several targets (one directory in three clusters): rendered
    // once, each copy checked with its own substitution.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut copies: HashMap<usize, Vec<usize>> = HashMap::new();
    pending.retain(
        |&index| match first_of.entry(work[index].cache_key.as_str()) {
            std::collections::hash_map::Entry::Occupied(first) => {
                copies.entry(*first.get()).or_default().push(index);
                false
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(index);
                true
            }
        },
    );
    let copies = &copies;
    // More renders than workers are batched (a failing batch costs a second round of
    // halves, rarer than the process starts saved).
    let batches = if pending.len() > jobs.max(1) {
        crate::batch::plan_batches(&work, &pending, jobs)
    } else {
        pending.iter().map(|&i| vec![i]).collect()
    };
    let next = AtomicUsize::new(0);
    let work = &work;
    let batches = &batches;
    let (sender, receiver) = mpsc::sync_channel::<RenderResult>(jobs);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(batches.len()) {
            let sender = sender.clone();
            let next = &next;
            // Parsing a render recurses per nesting level: give workers room.
            let _ = std::thread::Builder::new()
                .stack_size(16 * 1024 * 1024)
                .spawn_scoped(scope, move || {
                    while let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if process(context, work, copies, batch, &sender).is_err() {
                            break;
                        }
                    }
                });
        }
        drop(sender);
        for result in receiver {
            on_result(result);
        }
    });
}

/// The receiving side stopped listening: no more results are wanted.
struct Disconnected;

/// Renders `members` as one batch; when that fails, halves until each failing target
/// is rendered on its own (which yields its own renderer message).
fn process(
    context: &RenderContext<'_>,
    work: &[Work],
    copies: &HashMap<usize, Vec<usize>>,
    members: &[usize],
    sender: &mpsc::SyncSender<RenderResult>,
) -> Result<(), Disconnected> {
    let send = |member: usize, result: Result<String, BuildFailure>, time: Duration| {
        for &copy in copies.get(&member).into_iter().flatten() {
            sender
                .send(finish(
                    context,
                    &work[copy],
                    result.clone(),
                    true,
                    Duration::ZERO,
                ))
                .map_err(|_| Disconnected)?;
        }
        sender
            .send(finish(context, &work[member], result, false, time))
            .map_err(|_| Disconnected)
    };
    if let [single] = members {
        let started = Instant::now();
        let result = build(context, &work[*single].build);
        if let (Ok(text), Some(cache)) = (&result, context.cache) {
            cache.put(&work[*single].cache_key, text);
        }
        return send(*single, result, started.elapsed());
    }
    let started = Instant::now();
    match crate::batch::render_batch(context, work, members) {
        Ok(texts) => {
            let share = started.elapsed() / members.len() as u32;
            for (&member, text) in members.iter().zip(texts) {
                if let Some(cache) = context.cache {
                    cache.put(&work[member].cache_key, &text);
                }
                send(member, Ok(text), share)?;
            }
            Ok(())
        }
        Err(_) => {
            let (left, right) = members.split_at(members.len() / 2);
            process(context, work, copies, left, sender)?;
            process(context, work, copies, right, sender)
        }
    }
}

fn finish(
    context: &RenderContext<'_>,
    work: &Work,
    rendered: Result<String, BuildFailure>,
    cached: bool,
    renderer_time: Duration,
) -> RenderResult {
    let checking_started = Instant::now();
    let (outcome, text) = match rendered {
        Ok(text) if work.check => (Ok(check(&text, work, context)), None),
        Ok(text) => (Ok(Findings::default()), Some(text)),
        Err(failure) => (Err(failure), None),
    };
    RenderResult {
        target: work.target,
        cached,
        renderer_time,
        checking: checking_started.elapsed(),
        outcome,
        text,
        reused: work.prerendered.is_some(),
    }
}

fn build(context: &RenderContext<'_>, build: &Build) -> Result<String, BuildFailure> {
    match build {
        Build::Dir(dir) => context.renderer.build(dir, context.timeout),
        Build::Flux {
            dir,
            kustomization,
            reads,
        } => {
            let (_temp, scratch) = context.private_dir("flux-kustomize-validate-")?;
            let mirrored = crate::flux_build::write_mirror(
                &scratch,
                context.repo_root,
                dir,
                kustomization,
                reads,
            )
            .map_err(|e| {
                context.setup_failure(format!(
                    "cannot write the kustomization kustomize-controller would build: {e}"
                ))
            })?;
            context
                .renderer
                .build(&mirrored, context.timeout)
                .map_err(|mut failure| {
                    // The mirror stands for the repository: its paths are the repository's.
                    let scratch = scratch.to_string_lossy();
                    let repo = context.repo_root.to_string_lossy();
                    failure.stderr = failure.stderr.replace(&*scratch, &repo);
                    failure.command = format!(
                        "{} (with the Flux Kustomization's spec merged into its kustomization, as kustomize-controller builds it)",
                        failure.command.replace(&*scratch, &repo)
                    );
                    failure
                })
        }
    }
}

/// Checks one render: every object has apiVersion, kind and metadata.name; Flux objects
/// fit their API and built-in Kubernetes objects and custom resources their schemas; no
/// object appears twice; and Flux's postBuild substitution would succeed.
fn check(text: &str, work: &Work, context: &RenderContext<'_>) -> Findings {
    let substitutions = &work.substitutions;
    let docs = match guardrails_yaml::parse_documents(text, &Limits::rendered()) {
        Ok(docs) => docs,
        Err(error) => {
            return Findings {
                image_lint_time: Duration::ZERO,
                objects: 0,
                problems: vec![Problem::Unparsable(error.message)],
                ids: Vec::new(),
            };
        }
    };
    let mut findings = Findings::default();
    if let Some(index) = context.image_index {
        let lint_started = Instant::now();
        let files: Vec<&str> = work
            .lint
            .kustomization_files
            .iter()
            .map(String::as_str)
            .collect();
        let render = guardrails_image_lint::Render {
            label: &work.lint.label,
            dir: &work.lint.dir,
            kustomization_files: &files,
            objects: &docs,
        };
        findings
            .problems
            .extend(index.lint_render(&render).into_iter().map(Problem::Image));
        findings.image_lint_time = lint_started.elapsed();
    }
    let mut seen: HashSet<ObjectKey> = HashSet::new();
    let mut reported_undefined: HashSet<(usize, String)> = HashSet::new();
    let objects: Vec<&Node> = docs.iter().filter(|d| !d.is_null()).collect();
    findings.objects = objects.len();
    for (i, doc) in objects.iter().enumerate() {
        let api = doc.str_at(&["apiVersion"]);
        let kind = doc.str_at(&["kind"]);
        let name = doc.str_at(&["metadata", "name"]);
        let namespace = doc.str_at(&["metadata", "namespace"]).unwrap_or("");
        let object = describe(kind, namespace, name);
        for (field, present) in [
            ("apiVersion", api.is_some()),
            ("kind", kind.is_some()),
            ("metadata.name", name.is_some()),
        ] {
            if !present {
                findings.problems.push(Problem::MissingField {
                    object: object.clone(),
                    kind: kind.map(str::to_owned),
                    name: name.map(str::to_owned),
                    field,
                });
            }
        }
        if let (Some(api), Some(kind), Some(name)) = (api, kind, name) {
            if api.contains(".toolkit.fluxcd.io/") {
                for finding in guardrails_flux_api::check_object(doc, work.flux_version) {
                    findings.problems.push(Problem::FluxApi {
                        object: object.clone(),
                        kind: kind.to_owned(),
                        name: name.to_owned(),
                        finding,
                    });
                }
            } else {
                for finding in context.schemas.check(doc, work.applier) {
                    findings.problems.push(Problem::Schema {
                        object: object.clone(),
                        kind: kind.to_owned(),
                        name: name.to_owned(),
                        finding,
                    });
                }
            }
            let group = api.rsplit_once('/').map_or("", |(g, _)| g);
            let key = (
                group.to_owned(),
                kind.to_owned(),
                namespace.to_owned(),
                name.to_owned(),
            );
            if seen.insert(key.clone()) {
                findings.ids.push((key, owned_content(doc)));
            } else {
                findings.problems.push(Problem::Duplicate {
                    object: object.clone(),
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                });
            }
        }
        if substitutions.is_empty() || substitution_disabled(doc) {
            continue;
        }
        let chunk = object_text(text, &objects, i);
        if !chunk.contains("${") {
            continue;
        }
        for substitution in substitutions {
            let lookup = |name: &str| -> Option<String> {
                substitution
                    .vars
                    .get(name)
                    .map(|v| v.clone().unwrap_or_default())
            };
            let options = guardrails_envsubst::Options { strict: true };
            let errors = match guardrails_envsubst::substitute(chunk, &lookup, options) {
                Ok(substituted) => {
                    if !api.is_some_and(|a| a.contains(".toolkit.fluxcd.io/")) {
                        typed_by_substitution(
                            doc,
                            &substituted,
                            substitution,
                            &object,
                            work,
                            context,
                            &mut findings,
                        );
                    }
                    continue;
                }
                Err(errors) => errors,
            };
            for error in errors {
                let expression = chunk
                    .get(error.offset..error.offset + error.len)
                    .unwrap_or("")
                    .to_owned();
                let variable = match &error.kind {
                    guardrails_envsubst::SubstErrorKind::Undefined { name } => Some(name.clone()),
                    _ => None,
                };
                let undefined = variable.is_some();
                if undefined && !substitution.complete {
                    // A substituteFrom source outside the repository may define it.
                    continue;
                }
                let dedupe = (substitution.flux, format!("{}|{expression}", error.kind));
                if !reported_undefined.insert(dedupe) {
                    continue;
                }
                findings.problems.push(Problem::Substitution {
                    flux: substitution.flux,
                    object: object.clone(),
                    message: error.kind.to_string(),
                    expression,
                    variable,
                    undefined,
                    fails: error.flux_fails(),
                });
            }
        }
    }
    findings
}

/// kustomize-controller substitutes into the object's YAML text and decodes it again, so
/// a variable whose value is a number or a boolean turns a string field into one (and the
/// apply fails): the schema findings of the substituted object at fields that held a
/// `${...}`.
fn typed_by_substitution(
    doc: &Node,
    substituted: &str,
    substitution: &Substitution,
    object: &str,
    work: &Work,
    context: &RenderContext<'_>,
    findings: &mut Findings,
) {
    let Ok(docs) = guardrails_yaml::parse_documents(substituted, &Limits::rendered()) else {
        return;
    };
    let Some(after) = docs.iter().find(|d| !d.is_null()) else {
        return;
    };
    let (Some(kind), Some(name)) = (doc.str_at(&["kind"]), doc.str_at(&["metadata", "name"]))
    else {
        return;
    };
    for mut finding in context.schemas.check(after, work.applier) {
        let before = guardrails_flux_api::kubernetes::node_at(doc, &finding.path)
            .and_then(Node::as_str)
            .filter(|text| text.contains("${"));
        let Some(before) = before else {
            continue;
        };
        // A SOPS-encrypted value is defined but unknown here: its type is too.
        let unknown = variables_in(before)
            .any(|name| substitution.vars.get(name).is_some_and(Option::is_none));
        if unknown {
            continue;
        }
        finding.message = format!(
            "{} after postBuild substitution of `{before}`",
            finding.message
        );
        finding.help = Some(
            "Flux substitutes into the YAML text, so a value that reads as a number or a \
             boolean becomes one: keep the field a string with quotes that survive the \
             substitution (Flux documents a `quote: '\"'` variable used as \
             `${quote}${VAR}${quote}`), or give the variable a non-numeric value"
                .to_owned(),
        );
        findings.problems.push(Problem::Schema {
            object: object.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            finding,
        });
    }
}

/// The names of the `${NAME...}` variables a text uses.
fn variables_in(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("${").filter_map(|(at, _)| {
        let rest = &text[at + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// Label prefixes that only describe who applies an object: Flux's own
/// (`kustomize.toolkit.fluxcd.io/name` differs between owners by design) and the
/// Kubernetes recommended labels (`app.kubernetes.io/instance`, `part-of`), which each
/// owner's `commonMetadata` or `labels` may write its own way. Their flip on each
/// reconciliation changes no behaviour; any other label (`pod-security.kubernetes.io/…`
/// on a Namespace) does.
const DESCRIPTIVE_METADATA: [&str; 2] = ["kustomize.toolkit.fluxcd.io/", "app.kubernetes.io/"];

/// What two Kustomizations applying one object may disagree on: the whole object but its
/// descriptive labels and annotations. A difference anywhere else means each apply
/// undoes the other's.
fn owned_content(doc: &Node) -> u64 {
    fn write(node: &Node, top: bool, out: &mut String) {
        use guardrails_yaml::Value;
        match &node.value {
            Value::Map(entries) => {
                out.push('{');
                for (key, value) in entries {
                    let name = key.scalar_text().unwrap_or_default();
                    if top && name == "metadata" {
                        out.push_str("metadata:{");
                        for (k, v) in value.as_map().unwrap_or_default() {
                            let field = k.scalar_text().unwrap_or_default();
                            if field == "labels" || field == "annotations" {
                                // Only what counts; no entry left is no field at all.
                                let mut kept = String::new();
                                for (key, text) in v.as_map().unwrap_or_default() {
                                    let key = key.scalar_text().unwrap_or_default();
                                    // Annotations such as `kustomize.toolkit.fluxcd.io/prune`
                                    // change what the controller does: they all count.
                                    let descriptive = field == "labels"
                                        && DESCRIPTIVE_METADATA.iter().any(|p| key.starts_with(p));
                                    if !descriptive {
                                        kept.push_str(&format!("{key:?}:"));
                                        write(text, false, &mut kept);
                                        kept.push(',');
                                    }
                                }
                                if !kept.is_empty() {
                                    out.push_str(&format!("{field:?}:{{{kept}}},"));
                                }
                                continue;
                            }
                            out.push_str(&format!("{field:?}:"));
                            write(v, false, out);
                            out.push(',');
                        }
                        out.push_str("},");
                        continue;
                    }
                    out.push_str(&format!("{name:?}:"));
                    write(value, false, out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Seq(items) => {
                out.push('[');
                for item in items {
                    write(item, false, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&format!("{other:?}")),
        }
    }
    let mut text = String::new();
    write(doc, true, &mut text);
    crate::cache::fingerprint(text.as_bytes())
}

/// The text of the `i`th of a render's `objects` (up to the next one).
pub(crate) fn object_text<'t>(text: &'t str, objects: &[&Node], i: usize) -> &'t str {
    let start = objects[i].span.offset.min(text.len());
    let end = objects
        .get(i + 1)
        .map_or(text.len(), |next| next.span.offset.min(text.len()));
    text.get(start..end.max(start)).unwrap_or("")
}

/// The opt-out kustomize-controller honours, as a label or an annotation.
pub(crate) fn substitution_disabled(doc: &Node) -> bool {
    ["labels", "annotations"].iter().any(|field| {
        doc.at(&["metadata", field, "kustomize.toolkit.fluxcd.io/substitute"])
            .and_then(Node::as_str)
            == Some("disabled")
    })
}

fn describe(kind: Option<&str>, namespace: &str, name: Option<&str>) -> String {
    let kind = kind.unwrap_or("<no kind>");
    let name = name.unwrap_or("<no name>");
    if namespace.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {namespace}/{name}")
    }
}

/// What each Flux Kustomization of target `t` applies, per cluster: one object, two
/// appliers.
fn record_owners(plan: &mut Plan, t: usize, ids: &[(ObjectKey, u64)]) {
    for &flux in &plan.targets[t].flux {
        let applies_to = applies_to(&plan.flux[flux]);
        let substitution = plan.targets[t]
            .substitutions
            .iter()
            .find(|s| s.flux == flux);
        for (id, content) in ids {
            // The name the cluster sees: after postBuild, when every variable is known.
            let Some(id) = substituted(id, substitution) else {
                continue;
            };
            plan.owners
                .entry((plan.flux_cluster[flux], applies_to.clone(), id))
                .or_default()
                .push((flux, t, *content));
        }
    }
}

/// Turns one result into diagnostics, pointing at sources where they can be found. The
/// render of Flux Kustomizations that no cluster tree of the repository applies (entry
/// points only because nothing applies them, while the repository bootstraps its
/// clusters) breaks no reconciliation: its errors are warnings that say so.
pub fn absorb(
    plan: &mut Plan,
    builder: Option<&dyn BuildDir>,
    result: RenderResult,
    report: &mut Report,
    stats: &mut Stats,
) {
    let first = report.diagnostics.len();
    let target = &plan.targets[result.target];
    let unapplied = if target.flux.is_empty() {
        // An overlay no cluster tree reaches (an archive, a bootstrap helper).
        plan.orphans
            .get(&target.anchor)
            .copied()
            .filter(|_| target.standalone)
    } else if target.flux.iter().all(|&f| plan.surely_unapplied(f)) {
        Some(crate::source_checks::NOT_APPLIED)
    } else {
        None
    };
    absorb_result(plan, builder, result, report, stats);
    if let Some(why) = unapplied {
        // Which variables a tree substitutes is what the parent applying it says (its
        // patches add substituteFrom): with no parent, an unset one proves nothing.
        let mut kept = report.diagnostics.split_off(first);
        kept.retain(|d| d.code != codes::UNRESOLVED_VARIABLE);
        for diagnostic in &mut kept {
            if diagnostic.severity == Severity::Error {
                diagnostic.severity = Severity::Warning;
                diagnostic.message.push_str(why);
            }
        }
        report.diagnostics.extend(kept);
    }
}

fn absorb_result(
    plan: &mut Plan,
    builder: Option<&dyn BuildDir>,
    result: RenderResult,
    report: &mut Report,
    stats: &mut Stats,
) {
    // Rendered only to learn what it applies: its owners, nothing else.
    if plan.owner_only.contains(&result.target) {
        if let Ok(findings) = result.outcome {
            record_owners(plan, result.target, &findings.ids);
        }
        return;
    }
    // A render made while the cluster trees were built is counted there already.
    if !result.reused {
        stats.rendered += 1;
        stats.renderer_time += result.renderer_time;
        if result.cached {
            stats.from_cache += 1;
        }
    }
    stats.checked += 1;
    if plan.targets[result.target].flux.is_empty() {
        stats.checked_overlays += 1;
    } else {
        stats.checked_flux += plan.targets[result.target].flux.len();
    }
    stats.checking += result.checking;
    let target = plan.targets[result.target].clone();
    let mut findings = match result.outcome {
        Ok(findings) => {
            stats.image_lint += findings.image_lint_time;
            findings
        }
        Err(failure) => {
            build_failed(plan, builder, &target, &failure, report);
            return;
        }
    };
    let ids = std::mem::take(&mut findings.ids);
    record_owners(plan, result.target, &ids);
    let flux_version = target.release;
    let strict = crate::flux_release::at_least(flux_version, 2, 9);
    for problem in findings.problems {
        match problem {
            Problem::Image(mut finding) => {
                // A rendered container the lint could not place: where its image is written
                // in this build's files.
                if let Some(image) = finding.rendered_image.take()
                    && let Some((file, span)) = find_image(plan, &target, &image)
                {
                    finding.path = paths::display(&file, &plan.repo_root);
                    finding.span = Some(span);
                }
                plan.push_image_finding(finding, report)
            }
            Problem::Unparsable(message) => report.push(
                Diagnostic::error(
                    codes::BUILD_FAILED,
                    format!(
                        "{}: the renderer's output is not valid YAML: {message}",
                        target.label
                    ),
                )
                .with_path(paths::display(&target.anchor, &plan.repo_root)),
            ),
            Problem::MissingField {
                object,
                kind,
                name,
                field,
            } => {
                let message = format!("{object} rendered by {} has no `{field}`", target.label);
                let help = "every Kubernetes object needs apiVersion, kind and metadata.name; \
                            kustomize-controller refuses the whole apply otherwise";
                let d = locate(plan, &target, kind.as_deref(), name.as_deref())
                    .map(|(file, span)| {
                        at(
                            &mut plan.sources,
                            &file,
                            span,
                            codes::MISSING_FIELD,
                            Severity::Error,
                            message.clone(),
                            None,
                        )
                    })
                    .unwrap_or_else(|| {
                        Diagnostic::error(codes::MISSING_FIELD, message.clone())
                            .with_path(paths::display(&target.anchor, &plan.repo_root))
                    });
                report.push(d.with_help(help));
            }
            Problem::FluxApi {
                object,
                kind,
                name,
                finding,
            } => {
                // The check of the sources said it already: at the file that defines the
                // object (judged there for the newest release that reads it), or at the
                // patch file the build reads that brought the field in.
                let Some((file, span)) = locate(plan, &target, Some(&kind), Some(&name)) else {
                    continue;
                };
                if finding.missing && plan.missing_unjudged.contains(&file) {
                    continue;
                }
                let shown = paths::display(&file, &plan.repo_root);
                let said = report.diagnostics.iter().any(|d| {
                    d.code == finding.code
                        && d.file().is_some_and(|said_at| {
                            said_at == Path::new(&shown)
                                || (d.message == finding.message
                                    && target.closure.contains(&plan.repo_root.join(said_at)))
                        })
                });
                if said {
                    continue;
                }
                let severity = finding.severity;
                let mut d = at(
                    &mut plan.sources,
                    &file,
                    span,
                    finding.code,
                    severity,
                    format!(
                        "{}, as {} renders {object} (patches applied)",
                        finding.message, target.label
                    ),
                    None,
                );
                d.help = finding.help;
                report.push(d);
            }
            Problem::Schema {
                object,
                kind,
                name,
                finding,
            } => {
                let (file, span, exact) =
                    match source_of_field(plan, &target, &kind, &name, &finding) {
                        Some(found) => found,
                        None => (target.anchor.clone(), None, false),
                    };
                let message = if exact {
                    finding.message.clone()
                } else {
                    format!(
                        "{} ({object} as {} renders it)",
                        finding.message, target.label
                    )
                };
                let severity = finding.severity;
                let d = match span {
                    Some(span) => at(
                        &mut plan.sources,
                        &file,
                        span,
                        finding.code,
                        severity,
                        message,
                        None,
                    ),
                    None => Diagnostic::new(finding.code, severity, message)
                        .with_path(paths::display(&file, &plan.repo_root)),
                };
                let d = match finding.help {
                    Some(help) => d.with_help(help),
                    None => d,
                };
                report.push(d.breaking(target.label.clone()));
            }
            Problem::Duplicate { object, kind, name } => {
                let message = format!("{object} is rendered twice by {}", target.label);
                let d = locate(plan, &target, Some(&kind), Some(&name))
                    .map(|(file, span)| {
                        at(
                            &mut plan.sources,
                            &file,
                            span,
                            codes::DUPLICATE_OBJECT,
                            Severity::Error,
                            message.clone(),
                            None,
                        )
                    })
                    .unwrap_or_else(|| {
                        Diagnostic::error(codes::DUPLICATE_OBJECT, message.clone())
                            .with_path(paths::display(&target.anchor, &plan.repo_root))
                    });
                report.push(d.with_help(
                    "two resources produce the same (group, kind, namespace, name); \
                     remove one, or give them distinct names (namePrefix/nameSuffix)",
                ));
            }
            Problem::Substitution {
                flux,
                object,
                message,
                expression,
                variable,
                undefined,
                fails,
            } => {
                let ks = plan.flux[flux].clone();
                let (code, severity) = if undefined {
                    let severity = if strict {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    (codes::UNRESOLVED_VARIABLE, severity)
                } else if fails {
                    (codes::SUBSTITUTION, Severity::Error)
                } else {
                    (codes::SUBSTITUTION, Severity::Warning)
                };
                let help = match (&variable, strict) {
                    (Some(var), true) => format!(
                        "Flux {} substitutes strictly: define `{var}` in postBuild.substitute or a \
                         substituteFrom ConfigMap/Secret, give it a default (`${{{var}:=value}}`), \
                         escape it as `$${{{var}}}`, or label the object \
                         kustomize.toolkit.fluxcd.io/substitute: disabled",
                        flux_version
                    ),
                    (Some(var), false) => format!(
                        "Flux {} replaces an undefined `{var}` with an empty string (and Flux 2.9 \
                         fails the build): define it, give it a default, or escape it as `$${{{var}}}`",
                        flux_version
                    ),
                    (None, _) => {
                        "Flux's envsubst supports ${var}, ${var:=default}, ${var:-default} \
                                  and the string operators; escape a literal as $${...}"
                            .to_owned()
                    }
                };
                // Once, where the variable is written, naming the build that substitutes
                // it; at the postBuild only when the use cannot be found.
                let d = match find_use(plan, &target, &expression) {
                    Some((file, span)) => at(
                        &mut plan.sources,
                        &file,
                        span,
                        code,
                        severity,
                        format!("{message} (in {object})"),
                        Some(expression.clone()),
                    ),
                    None => {
                        let span = ks.post_build.as_ref().map_or(ks.kind_span, |p| p.span);
                        at(
                            &mut plan.sources,
                            &ks.file,
                            span,
                            code,
                            severity,
                            format!("{message} (in {object})"),
                            Some("postBuild of this Kustomization".to_owned()),
                        )
                    }
                };
                report.push(d.with_help(help).breaking(target.label.clone()));
            }
        }
    }
}

/// The cluster a Kustomization applies to: its own, or the one its `spec.kubeConfig`
/// names (a hub applying to spokes).
fn applies_to(ks: &FluxKustomization) -> Option<String> {
    let kube_config = ks.spec.as_ref()?.get("kubeConfig")?;
    // The reference is local to the Kustomization's namespace.
    let namespace = ks.namespace.as_deref().unwrap_or_default();
    ["secretRef", "configMapRef"].iter().find_map(|field| {
        kube_config
            .at(&[field, "name"])
            .and_then(Node::as_str)
            .map(|name| format!("{namespace}/{field}/{name}"))
    })
}

/// An object's identity after postBuild substitution; `None` when a variable in its name
/// or namespace is not known.
fn substituted(id: &ObjectKey, substitution: Option<&Substitution>) -> Option<ObjectKey> {
    let (group, kind, namespace, name) = id;
    if !namespace.contains('$') && !name.contains('$') {
        return Some(id.clone());
    }
    let substitution = substitution?;
    let lookup = |var: &str| -> Option<String> { substitution.vars.get(var).cloned().flatten() };
    let strict = guardrails_envsubst::Options { strict: true };
    let namespace = guardrails_envsubst::substitute(namespace, &lookup, strict).ok()?;
    let name = guardrails_envsubst::substitute(name, &lookup, strict).ok()?;
    Some((group.clone(), kind.clone(), namespace, name))
}

/// Objects two Flux Kustomizations of one cluster apply. Each labels the object as its
/// own on every apply, and prunes what its inventory lists and its new build lacks, if
/// the labels still name it (kustomize-controller's garbage collection): written
/// differently, they overwrite each other at every reconciliation (an error); written the
/// same, the one that stops applying it last deletes it until the other reapplies it (a
/// warning). Reported where the object is written, naming both Kustomizations.
pub fn report_owners(plan: &mut Plan, report: &mut Report) {
    let owners = std::mem::take(&mut plan.owners);
    let mut shared: Vec<_> = owners
        .into_iter()
        .filter_map(|(key, mut appliers)| {
            appliers.sort_unstable();
            appliers.dedup_by_key(|(flux, _, _)| *flux);
            // A Kustomization whose path holds its own file applies itself as well as its
            // parent does (as `flux-system` does): not a second owner.
            let (_, _, (group, kind, namespace, name)) = &key;
            if group == "kustomize.toolkit.fluxcd.io" && kind == "Kustomization" {
                appliers.retain(|&(flux, _, _)| {
                    let ks = &plan.flux[flux];
                    !(ks.name == *name && ks.namespace.as_deref().unwrap_or_default() == namespace)
                });
            }
            // At commit, only what an affected build applies is the commit's business.
            let checked = appliers
                .iter()
                .any(|(_, t, _)| !plan.owner_only.contains(t));
            (appliers.len() > 1 && checked).then_some((key, appliers))
        })
        .collect();
    shared.sort();
    for ((cluster, _, (_, kind, namespace, name)), appliers) in shared {
        let names: Vec<String> = appliers
            .iter()
            .map(|&(flux, _, _)| plan.flux[flux].display_name())
            .collect();
        let differ = appliers.iter().any(|a| a.2 != appliers[0].2);
        let object = describe(Some(&kind), &namespace, Some(&name));
        let (severity, how, help) = if differ {
            (
                Severity::Error,
                "written differently, so each reconciliation overwrites the other's",
                "let one Kustomization apply it: keep one definition, in a base only one \
                 of them builds",
            )
        } else {
            (
                Severity::Warning,
                "written the same; when one stops applying it, it may prune it from under \
                 the other",
                "let one Kustomization apply it: drop the copy, or move it to a base only one \
                 of them builds",
            )
        };
        let message = format!(
            "{object} is applied by {} Flux Kustomizations of cluster {} ({}), {how}",
            names.len(),
            plan.clusters[cluster].name,
            names.join(", ")
        );
        for &(flux, t, _) in &appliers {
            let target = plan.targets[t].clone();
            let d = match locate(plan, &target, Some(&kind), Some(&name)) {
                Some((file, span)) => at(
                    &mut plan.sources,
                    &file,
                    span,
                    codes::TWO_OWNERS,
                    severity,
                    message.clone(),
                    None,
                ),
                None => Diagnostic::new(codes::TWO_OWNERS, severity, message.clone())
                    .with_path(paths::display(&plan.flux[flux].file, &plan.repo_root)),
            };
            report.push(d.with_help(help).breaking(target.label.clone()));
        }
    }
}

/// The first source document of `target` with this kind and name: its `metadata.name`.
fn locate(
    plan: &mut Plan,
    target: &Target,
    kind: Option<&str>,
    name: Option<&str>,
) -> Option<(PathBuf, Span)> {
    // Patch files hold partial objects: the whole object is defined elsewhere.
    let files: Vec<&PathBuf> = target
        .closure
        .iter()
        .filter(|f| plan.defines_objects(f))
        .collect();
    // The exact name first; then one that namePrefix/nameSuffix renamed (`prod-web`).
    for renamed in [false, true] {
        for file in &files {
            let Some(Ok(docs)) = plan.sources.documents(file) else {
                continue;
            };
            for doc in docs {
                if kind.is_some() && doc.str_at(&["kind"]) != kind {
                    continue;
                }
                let source = doc.str_at(&["metadata", "name"]);
                let named = match (name, source) {
                    (None, _) => true,
                    (Some(name), Some(source)) if renamed => {
                        !source.is_empty() && name.contains(source)
                    }
                    (Some(name), source) => source == Some(name),
                };
                if !named {
                    continue;
                }
                let span = doc
                    .at(&["metadata", "name"])
                    .or_else(|| doc.get("kind"))
                    .map_or(doc.span, |n| n.span);
                return Some(((*file).clone(), span));
            }
        }
        if name.is_none() {
            break;
        }
    }
    None
}

/// Where a schema finding about a rendered object is written: the key (or list item) at
/// the finding's field path in the document that defines the object, else in a patch file
/// of the build that sets that field; for a missing field, the object that lacks it.
/// `exact` is false when only the object was found (an inline patch or a generator made
/// the field).
fn source_of_field(
    plan: &mut Plan,
    target: &Target,
    kind: &str,
    name: &str,
    finding: &guardrails_flux_api::Finding,
) -> Option<(PathBuf, Option<Span>, bool)> {
    use guardrails_flux_api::kubernetes::{FieldPath, key_at};
    let path = if finding.missing {
        FieldPath(finding.path.0[..finding.path.0.len().saturating_sub(1)].to_vec())
    } else {
        finding.path.clone()
    };
    // Patches first: kustomize applies them after the definition, so a patch that sets
    // the field decides its final value. A missing field is the definition's.
    let (patches, definitions) = patches_and_definitions(plan, target);
    let patches = if finding.missing { Vec::new() } else { patches };
    let mut object: Option<(PathBuf, Span)> = None;
    for (file, is_patch) in patches
        .iter()
        .map(|f| (f, true))
        .chain(definitions.iter().map(|f| (f, false)))
    {
        let Some(Ok(docs)) = plan.sources.documents(file) else {
            continue;
        };
        for doc in docs {
            if doc.str_at(&["kind"]) != Some(kind) {
                continue;
            }
            // namePrefix and nameSuffix rename what the source calls `name`.
            let named = doc
                .str_at(&["metadata", "name"])
                .is_some_and(|source| source == name || name.contains(source));
            if !named {
                continue;
            }
            let found = if path.0.is_empty() {
                // A finding about the object's API version.
                (finding.code == guardrails_flux_api::kubernetes::REMOVED_API)
                    .then(|| doc.entry("apiVersion").map(|(key, _)| key))
                    .flatten()
            } else {
                key_at(doc, &path)
            };
            match found {
                Some(key) => return Some((file.clone(), Some(key.span), true)),
                None if finding.missing && path.0.is_empty() && !is_patch => {
                    let span = doc.get("kind").map_or(doc.span, |k| k.span);
                    return Some((file.clone(), Some(span), true));
                }
                None if object.is_none() && !is_patch => {
                    let span = doc
                        .at(&["metadata", "name"])
                        .or_else(|| doc.get("kind"))
                        .map_or(doc.span, |n| n.span);
                    object = Some((file.clone(), span));
                }
                None => {}
            }
        }
    }
    // An inline patch in a kustomization of the build (`patches[].patch`, a JSON 6902
    // operation's `path`) that names the field.
    if !finding.missing
        && let Some(guardrails_flux_api::kubernetes::Step::Key(key)) = finding.path.0.last()
    {
        let kustomizations: Vec<PathBuf> = target
            .closure
            .iter()
            .filter(|f| paths::is_kustomization_file(f))
            .cloned()
            .collect();
        for file in kustomizations {
            if let Some(span) = plan
                .sources
                .load(&file)
                .text()
                .and_then(|text| inline_patch_line(text, key))
            {
                return Some((file, Some(span), true));
            }
        }
    }
    object.map(|(file, span)| (file, Some(span), false))
}

/// The first line after a kustomization's patch fields that sets `key` (`key:` or
/// `- key:` in an inline patch) or names it at the end of a JSON 6902 `path`.
fn inline_patch_line(text: &str, key: &str) -> Option<Span> {
    let mut in_patches = false;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.is_empty() && !trimmed.starts_with('#') {
            in_patches = ["patches:", "patchesStrategicMerge:", "patchesJson6902:"]
                .iter()
                .any(|field| trimmed.starts_with(field));
            continue;
        }
        if !in_patches {
            continue;
        }
        let item = trimmed.trim_start_matches("- ");
        let sets = item
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'));
        let json_path = item
            .strip_prefix("path:")
            .map(|p| p.trim().trim_matches(['"', '\'']))
            .is_some_and(|p| p.starts_with('/') && p.rsplit('/').next() == Some(key));
        if sets || json_path {
            let column = line.len() - item.len();
            return Some(Span {
                offset: start + column,
                len: item.trim_end().len(),
                line: index + 1,
                column: column + 1,
            });
        }
    }
    None
}

/// The YAML files a build reads: its patch files, and the files that define objects.
fn patches_and_definitions(plan: &Plan, target: &Target) -> (Vec<PathBuf>, Vec<PathBuf>) {
    target
        .closure
        .iter()
        .filter(|f| paths::is_yaml(f) && !plan.data_files.contains_key(*f))
        .cloned()
        .partition(|f| plan.patch_files.contains(f))
}

/// Where a render's `image` is written: an `image:` value equal to it in a patch file of
/// the build (kustomize applies patches last), else in the file that defines it.
fn find_image(plan: &mut Plan, target: &Target, image: &str) -> Option<(PathBuf, Span)> {
    let (patches, definitions) = patches_and_definitions(plan, target);
    for file in patches.iter().chain(&definitions) {
        let Some(text) = plan.sources.load(file).text() else {
            continue;
        };
        if !text.contains(image) {
            continue;
        }
        let mut offset = 0;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            let Some(at) = line.find("image:") else {
                continue;
            };
            let value = line[at + "image:".len()..].trim();
            let value = value.split(" #").next().unwrap_or(value).trim();
            if value.trim_matches(['"', '\'']) != image {
                continue;
            }
            let column = line.len() - line[at + "image:".len()..].trim_start().len();
            return Some((
                file.clone(),
                Span {
                    offset: start + column,
                    len: value.len(),
                    line: index + 1,
                    column: column + 1,
                },
            ));
        }
    }
    None
}

/// Where a `${...}` expression is written in the sources of a render.
fn find_use(plan: &mut Plan, target: &Target, expression: &str) -> Option<(PathBuf, Span)> {
    if expression.is_empty() {
        return None;
    }
    for file in &target.closure {
        let Some(text) = plan.sources.load(file).text() else {
            continue;
        };
        if let Some(offset) = text.find(expression) {
            let line = text[..offset].matches('\n').count() + 1;
            let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
            return Some((
                file.clone(),
                Span {
                    offset,
                    len: expression.len(),
                    line,
                    column,
                },
            ));
        }
    }
    None
}

fn build_failed(
    plan: &mut Plan,
    builder: Option<&dyn BuildDir>,
    target: &Target,
    failure: &BuildFailure,
    report: &mut Report,
) {
    let cause = build_failure::explain(
        &plan.graph,
        &mut plan.sources,
        builder,
        &target.dir,
        &target.anchor,
        failure,
    );
    let orphan = plan
        .orphans
        .get(&target.anchor)
        .copied()
        .filter(|_| target.standalone);
    let severity = if orphan.is_some() {
        Severity::Warning
    } else {
        Severity::Error
    };
    let message = format!("{}{}", cause.sentence, orphan.unwrap_or(""));
    let diagnostic = match cause.span {
        Some(span) => at(
            &mut plan.sources,
            &cause.file,
            span,
            cause.code,
            severity,
            message,
            None,
        ),
        None => Diagnostic::new(cause.code, severity, message)
            .with_path(paths::display(&cause.file, &plan.repo_root)),
    };
    let diagnostic = diagnostic.with_help(cause.help);
    // An overlay failing on its own needs no "breaks itself".
    report.push(if cause.culprit == target.dir && target.flux.is_empty() {
        diagnostic
    } else {
        diagnostic.breaking(target.label.clone())
    });
    // kustomize's own words, for `--verbose`: trimmed, the repository's paths relative.
    let lines: Vec<&str> = cause.raw.lines().collect();
    let mut raw = lines
        .iter()
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > 12 {
        raw.push_str(&format!("\n… {} more lines", lines.len() - 12));
    }
    report.note(
        cause.code,
        format!(
            "{}: {} said: {raw}",
            target.label,
            build_failure::relative_paths(&failure.command, &plan.repo_root)
        ),
    );
}

impl BuildDir for RenderContext<'_> {
    fn build_dir(&self, dir: &Path) -> Result<String, BuildFailure> {
        self.renderer.build(dir, self.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::{inline_patch_line, variables_in};

    #[test]
    fn the_variables_a_value_uses_are_named() {
        let names: Vec<&str> = variables_in("${A}:${B_2:=x}/$${C}-${}").collect();
        assert_eq!(names, ["A", "B_2", "C"]);
    }

    #[test]
    fn an_inline_patch_is_found_at_the_line_that_sets_the_field() {
        let text = "resources:\n  - ../base\nreplicas:\n  - name: web\n    count: 2\npatches:\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: add\n        path: /spec/template/spec/nodeSelectr\n        value: {}\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        replicas: \"3\"\n";
        let span = inline_patch_line(text, "replicas").unwrap();
        assert_eq!(span.line, 19);
        assert_eq!(
            &text[span.offset..span.offset + span.len],
            "replicas: \"3\""
        );
        assert_eq!(inline_patch_line(text, "nodeSelectr").unwrap().line, 11);
        assert_eq!(inline_patch_line(text, "count"), None);
    }
}
