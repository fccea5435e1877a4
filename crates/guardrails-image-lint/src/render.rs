//! The rules that need what kustomize rendered: `images[]` entries that match nothing,
//! workloads running another lane's tag, and mutable references of tracked images.

use std::collections::{BTreeSet, HashSet};

use guardrails_yaml::{Node, Span, Value};

use crate::model::{ImagesEntry, Owner};
use crate::rules::{finding, image_key};
use crate::{Finding, Index, Render, Severity, codes, imageref, paths};

/// Kinds whose pod template kustomize's image transformer and the kubelet both read, and
/// where their pod spec is.
fn pod_spec(object: &Node) -> Option<&Node> {
    match object.str_at(&["kind"])? {
        "Pod" => object.get("spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => object.at(&["spec", "template", "spec"]),
        "CronJob" => object.at(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

struct Container<'a> {
    object: &'a Node,
    container: String,
    image: &'a str,
}

fn containers(objects: &[Node]) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for object in objects {
        let Some(spec) = pod_spec(object) else {
            continue;
        };
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for c in spec.get(list).and_then(Node::as_seq).unwrap_or(&[]) {
                if let Some(image) = c.get("image").and_then(Node::as_str) {
                    out.push(Container {
                        object,
                        container: c
                            .get("name")
                            .and_then(Node::scalar_text)
                            .unwrap_or_default(),
                        image,
                    });
                }
            }
        }
    }
    out
}

/// Every `image:` string anywhere in the render: kustomize's image transformer matches
/// more places than pod specs (any `containers`/`initContainers` list, custom field specs),
/// so this is the generous set an `images[]` entry may match.
fn all_images<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                match (k.as_str(), v.as_str()) {
                    (Some("image"), Some(image)) => out.push(image),
                    _ => all_images(v, out),
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| all_images(i, out)),
        _ => {}
    }
}

/// The `images[]` entries this build applied.
fn entries<'a>(index: &'a Index, render: &Render<'_>, dir: &str) -> Vec<&'a ImagesEntry> {
    let read: HashSet<&str> = render.kustomization_files.iter().copied().collect();
    index
        .model
        .images
        .iter()
        .filter(|e| match &e.owner {
            Owner::Kustomize(k) => index
                .model
                .kustomizations
                .get(*k)
                .is_some_and(|k| read.contains(k.path.as_str())),
            // A Flux Kustomization's `spec.images` apply to the build of its `spec.path`.
            Owner::Flux(f) => index.model.flux.get(*f).is_some_and(|f| {
                read.contains(f.path.as_str()) && f.spec_path.as_deref() == Some(dir)
            }),
        })
        .collect()
}

pub(crate) fn lint(index: &Index, render: &Render<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let dir = paths::normalize(render.dir).unwrap_or_default();
    let applied = entries(index, render, &dir);
    unmatched(render, &applied, &mut out);
    workloads(index, render, &dir, &applied, &mut out);
    out
}

fn unmatched(render: &Render<'_>, applied: &[&ImagesEntry], out: &mut Vec<Finding>) {
    let mut images = Vec::new();
    for object in render.objects {
        all_images(object, &mut images);
    }
    // kustomize compares the entry's `name` with the image name without tag or digest
    // (api/internal/image: IsImageMatched against Split). An entry renamed by an outer
    // entry (`newName`) is matched by the name it had before.
    let mut reachable: BTreeSet<String> = images
        .iter()
        .map(|i| imageref::split(i).name.to_owned())
        .collect();
    // An entry written with the tag (`name: nginx:1.0`) matches that exact image.
    reachable.extend(images.iter().map(|i| (*i).to_owned()));
    loop {
        let before = reachable.len();
        for e in applied {
            if let (Some(name), Some(new_name)) = (&e.name, &e.new_name)
                && reachable.contains(&new_name.value)
            {
                reachable.insert(name.value.clone());
            }
        }
        if reachable.len() == before {
            break;
        }
    }
    for e in applied {
        let Some(name) = &e.name else { continue };
        if name.value.contains("${") || reachable.contains(&name.value) {
            continue;
        }
        let rendered: Vec<String> = images
            .iter()
            .map(|i| imageref::split(i).name.to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(6)
            .map(|n| format!("`{n}`"))
            .collect();
        let last = name.value.rsplit('/').next().unwrap_or("");
        let near = images
            .iter()
            .map(|i| imageref::split(i).name)
            .find(|n| n.rsplit('/').next() == Some(last));
        let help = match near {
            Some(n) => {
                format!("did you mean `{n}`? kustomize matches the full name, registry included")
            }
            None if rendered.is_empty() => "the render has no container images".to_owned(),
            None => format!("images in the render: {}", rendered.join(", ")),
        };
        out.push(finding(
            codes::UNMATCHED_IMAGES_ENTRY,
            Severity::Error,
            &e.path,
            Some(name.span),
            format!(
                "images entry `{}` matches no container image in {}: kustomize silently ignores \
                 it, so the tag it sets (and any marker on it) has no effect",
                name.value, render.label
            ),
            help,
        ));
    }
}

/// The lane of a render: the namespace its kustomization gives every object, else a
/// directory named after a lane.
fn render_lane(index: &Index, dir: &str) -> Option<usize> {
    let from_ns: BTreeSet<Option<usize>> = index
        .model
        .kdir
        .get(dir)
        .and_then(|&k| index.model.kctx.get(k))
        .map(|ctxs| {
            ctxs.iter()
                .map(|c| {
                    c.namespace
                        .as_deref()
                        .and_then(|ns| index.config.lane_of_namespace(ns))
                })
                .collect()
        })
        .unwrap_or_default();
    match from_ns.len() {
        1 => from_ns
            .into_iter()
            .next()
            .flatten()
            .or_else(|| index.config.lane_of_dir(dir)),
        0 => index.config.lane_of_dir(dir),
        _ => None,
    }
}

/// Where to point a finding about a rendered image: the `newTag` that set it, else the
/// source line with that exact image, else the overlay's kustomization file.
fn locate(
    index: &Index,
    render: &Render<'_>,
    dir: &str,
    applied: &[&ImagesEntry],
    image: &str,
) -> (String, Option<Span>) {
    let parts = imageref::split(image);
    let setting = |e: &&&ImagesEntry| {
        let effective = e.new_name.as_ref().or(e.name.as_ref());
        effective.is_some_and(|n| n.value == parts.name) && e.new_tag.is_some()
    };
    let own = |e: &&&ImagesEntry| paths::parent(&e.path) == dir;
    if let Some(e) = applied
        .iter()
        .filter(setting)
        .find(own)
        .or_else(|| applied.iter().find(setting))
        && let Some(tag) = &e.new_tag
    {
        return (e.path.clone(), Some(tag.span));
    }
    if let Some(literals) = index.model.image_literals.get(image) {
        let dirs: Vec<&str> = render
            .kustomization_files
            .iter()
            .map(|f| paths::parent(f))
            .collect();
        let best = literals
            .iter()
            .find(|(p, _)| dirs.iter().any(|d| paths::parent(p) == *d))
            .or_else(|| literals.first());
        if let Some((path, span)) = best {
            return (path.clone(), Some(*span));
        }
    }
    match index.model.kdir.get(dir) {
        Some(&k) => (
            index
                .model
                .kustomizations
                .get(k)
                .map_or_else(|| dir.to_owned(), |k| k.path.clone()),
            None,
        ),
        None => (dir.to_owned(), None),
    }
}

/// A finding about a rendered container that `locate` could not place on a line carries
/// the rendered image, for the caller to find in the render's files.
fn placed(mut finding: Finding, image: &str) -> Finding {
    if finding.span.is_none() {
        finding.rendered_image = Some(image.to_owned());
    }
    finding
}

fn workloads(
    index: &Index,
    render: &Render<'_>,
    dir: &str,
    applied: &[&ImagesEntry],
    out: &mut Vec<Finding>,
) {
    let model = &index.model;
    if model.repositories.is_empty() {
        return;
    }
    let tracked: HashSet<String> = model
        .repositories
        .iter()
        .filter_map(|r| r.image.as_ref())
        .map(|i| imageref::normalize_repository(&i.value))
        .collect();
    let default_lane = render_lane(index, dir);
    // A base only ever deployed through overlays is not judged on its own.
    let base_only = model.loaded_dirs.contains(dir)
        && !model
            .flux
            .iter()
            .any(|f| f.spec_path.as_deref() == Some(dir));
    for c in containers(render.objects) {
        if c.image.contains("${") {
            continue;
        }
        let parts = imageref::split(c.image);
        let repository = imageref::normalize_repository(parts.name);
        if !tracked.contains(&repository) || parts.digest.is_some() {
            // Untracked images are not on the promotion path; a digest pins the artifact.
            continue;
        }
        let namespace = c.object.str_at(&["metadata", "namespace"]);
        let lane = namespace
            .and_then(|ns| index.config.lane_of_namespace(ns))
            .or(default_lane);
        let kind = c.object.str_at(&["kind"]).unwrap_or("object");
        let name = c.object.str_at(&["metadata", "name"]).unwrap_or("");
        let who = format!(
            "{kind} `{}{name}` (container `{}`) in {}",
            namespace.map(|n| format!("{n}/")).unwrap_or_default(),
            c.container,
            render.label
        );
        let tag = parts.tag.unwrap_or("");
        let alias = index.config.lanes.iter().find(|l| {
            tag == l.name
                || tag
                    == l.tag_prefix
                        .trim_end_matches(|c: char| !c.is_alphanumeric())
        });
        if tag.is_empty() || tag == "latest" || alias.is_some() {
            if lane.is_none() && base_only {
                continue;
            }
            let what = match (tag, alias) {
                ("", _) => "no tag (the runtime pulls `latest`)".to_owned(),
                ("latest", _) => "the mutable tag `latest`".to_owned(),
                (_, Some(l)) => format!(
                    "the environment alias `{tag}`, which moves with every promotion to `{}`",
                    l.name
                ),
                _ => format!("the mutable tag `{tag}`"),
            };
            let (path, span) = locate(index, render, dir, applied, c.image);
            out.push(placed(
                finding(
                    codes::MUTABLE_TAG,
                    Severity::Error,
                    &path,
                    span,
                    format!(
                        "{who} runs `{}` with {what}; an ImageRepository tracks `{}`, so this \
                     workload is on the promotion path and must run one immutable artifact",
                        c.image, parts.name
                    ),
                    "pin an immutable tag the lane's ImagePolicy selects (a kustomize `images` \
                 entry with a `:tag` setter marker) or an `@sha256:` digest"
                        .to_owned(),
                ),
                c.image,
            ));
            continue;
        }
        let Some(lane) = lane else { continue };
        let policies: Vec<_> = model
            .policies
            .iter()
            .filter(|p| p.meta.lane == Some(lane))
            .filter(|p| image_key(index, p).as_deref() == Some(repository.as_str()))
            .collect();
        if policies.is_empty() {
            continue;
        }
        let verdicts: Vec<Option<bool>> = policies
            .iter()
            .map(|p| index.policy_accepts(p, tag))
            .collect();
        if verdicts.iter().all(|v| *v == Some(false)) {
            let lane_name = index.config.lanes.get(lane).map_or("", |l| l.name.as_str());
            let names: Vec<String> = policies
                .iter()
                .map(|p| format!("`{}` (filter `{}`)", p.meta.display(), p.pattern_text()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let (path, span) = locate(index, render, dir, applied, c.image);
            out.push(placed(finding(
                codes::LANE_MISMATCH,
                Severity::Error,
                &path,
                span,
                format!(
                    "{who} is in lane `{lane_name}` but renders tag `{tag}` of `{}`, which no \
                     ImagePolicy of that lane can select: {}",
                    parts.name,
                    names.join(", ")
                ),
                "each lane must run only tags its own policy selects; promote by retagging the \
                 tested artifact (e.g. `staging-…` → `production-…`), never by pinning another \
                 lane's tag"
                    .to_owned(),
            ), c.image));
        }
    }
}
