//! Batched rendering. Starting `kubectl` costs far more than building a small overlay,
//! so independent targets are built by one renderer process: a generated kustomization
//! lists one wrapper per target, each adding a unique `namePrefix` so the targets'
//! objects cannot collide, and the output is split back per target by that prefix (and
//! the prefix removed) before the usual checks run on it.
//!
//! kustomize builds a resource directory completely (its own generators, patches and
//! transformers) before the wrapper's prefix applies, so each target renders as it would
//! alone. Namespaces keep their names under `namePrefix`: targets that define the same
//! Namespace (or CRD) never share a batch, and an object that cannot be attributed, or
//! a batch that fails, falls back to halves and finally to single renders, so a broken
//! overlay is always reported on its own.

use std::collections::{BTreeSet, HashMap};

use guardrails_yaml::Limits;

use crate::job::{Build, RenderContext, Work};
use crate::paths;
use crate::render::BuildFailure;

/// Splits `members` (indices into `work`) into at most `slots` batches whose members
/// define no Namespace or CRD with the same name.
pub fn plan_batches(work: &[Work], members: &[usize], slots: usize) -> Vec<Vec<usize>> {
    let slots = slots.max(1);
    let mut batches: Vec<(Vec<usize>, BTreeSet<String>)> = Vec::new();
    for &member in members {
        let names = &work[member].cluster_names;
        let candidate = batches
            .iter_mut()
            .filter(|(_, taken)| taken.is_disjoint(names))
            .min_by_key(|(items, _)| items.len());
        match candidate {
            Some((items, taken)) if batches_len_ok(items.len(), members.len(), slots) => {
                items.push(member);
                taken.extend(names.iter().cloned());
            }
            _ => batches.push((vec![member], names.clone())),
        }
    }
    batches.into_iter().map(|(items, _)| items).collect()
}

/// Keeps batches balanced: no batch grows past its share while others could start.
fn batches_len_ok(len: usize, total: usize, slots: usize) -> bool {
    len < total.div_ceil(slots)
}

/// Renders a batch; `Ok` holds each member's render text (prefix removed), in member
/// order. `Err` means the batch must be split (a member fails, or objects could not be
/// attributed).
pub fn render_batch(
    context: &RenderContext<'_>,
    work: &[Work],
    members: &[usize],
) -> Result<Vec<String>, BuildFailure> {
    let failure = |stderr: String| context.setup_failure(stderr);
    let (_temp, root) = context.private_dir("flux-kustomize-validate-batch-")?;
    // A prefix no real name starts with: lowercase, DNS-safe, unique per run.
    let nonce = format!("{:x}", std::process::id());
    let prefixes: Vec<String> = (0..members.len())
        .map(|i| format!("zgg{nonce}b{i}-"))
        .collect();
    let mut wrappers = Vec::new();
    // Flux builds share mirrors of the repository (one more only where two would nest).
    let mut mirrors: Vec<crate::flux_build::Mirror> = Vec::new();
    for (i, &member) in members.iter().enumerate() {
        let wrapper = root.join(format!("w{i}"));
        std::fs::create_dir_all(&wrapper)
            .map_err(|e| failure(format!("cannot write the batch: {e}")))?;
        let target_dir = match &work[member].build {
            Build::Dir(dir) => dir.clone(),
            Build::Flux {
                dir,
                kustomization,
                reads,
            } => {
                let written = mirrors
                    .iter_mut()
                    .find_map(|mirror| mirror.place(dir, kustomization, reads).transpose());
                match written {
                    Some(written) => {
                        written.map_err(|e| failure(format!("cannot write the batch: {e}")))?
                    }
                    None => {
                        let mut mirror = crate::flux_build::Mirror::new(
                            &root.join(format!("m{}", mirrors.len())),
                            context.repo_root,
                        )
                        .map_err(|e| failure(format!("cannot write the batch: {e}")))?;
                        let placed = mirror
                            .place(dir, kustomization, reads)
                            .map_err(|e| failure(format!("cannot write the batch: {e}")))?
                            .ok_or_else(|| {
                                failure("cannot place a build in a new mirror".into())
                            })?;
                        mirrors.push(mirror);
                        placed
                    }
                }
            }
        };
        let mut text = String::from("{\"resources\":[");
        crate::flux::write_json_string(
            &paths::relative_to(&target_dir, &wrapper).to_string_lossy(),
            &mut text,
        );
        text.push_str("],\"namePrefix\":");
        crate::flux::write_json_string(&prefixes[i], &mut text);
        text.push_str("}\n");
        std::fs::write(wrapper.join("kustomization.yaml"), text)
            .map_err(|e| failure(format!("cannot write the batch: {e}")))?;
        wrappers.push(format!("w{i}"));
    }
    let mut text = String::from("{\"resources\":[");
    for (i, wrapper) in wrappers.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        crate::flux::write_json_string(wrapper, &mut text);
    }
    text.push_str("]}\n");
    std::fs::write(root.join("kustomization.yaml"), text)
        .map_err(|e| failure(format!("cannot write the batch: {e}")))?;

    let output = context.renderer.build(&root, context.timeout)?;
    split(&output, work, members, &prefixes).ok_or_else(|| {
        failure("objects of the batch could not be attributed to their overlays".into())
    })
}

/// Splits a batch render per member; `None` when an object belongs to no member.
fn split(
    output: &str,
    work: &[Work],
    members: &[usize],
    prefixes: &[String],
) -> Option<Vec<String>> {
    let docs = guardrails_yaml::parse_documents(output, &Limits::rendered()).ok()?;
    let docs: Vec<_> = docs.iter().filter(|d| !d.is_null()).collect();
    // Objects namePrefix leaves alone, by the member predicted to define them.
    let mut unprefixed: HashMap<&str, usize> = HashMap::new();
    for (i, &member) in members.iter().enumerate() {
        for name in &work[member].cluster_names {
            unprefixed.insert(name.as_str(), i);
        }
    }
    let mut texts = vec![String::new(); members.len()];
    for (index, doc) in docs.iter().enumerate() {
        let name = doc.str_at(&["metadata", "name"]).unwrap_or("");
        let kind = doc.str_at(&["kind"]).unwrap_or("");
        let owner = prefixes
            .iter()
            .position(|p| name.starts_with(p.as_str()))
            .or_else(|| unprefixed.get(format!("{kind}/{name}").as_str()).copied())?;
        let start = doc.span.offset.min(output.len());
        let end = docs
            .get(index + 1)
            .map_or(output.len(), |next| next.span.offset.min(output.len()));
        let chunk = output.get(start..end.max(start))?;
        let chunk = chunk.strip_suffix("---\n").unwrap_or(chunk);
        let text = &mut texts[owner];
        if !text.is_empty() {
            text.push_str("---\n");
        }
        text.push_str(&chunk.replace(prefixes[owner].as_str(), ""));
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    Some(texts)
}

/// Namespace and CRD names (`Kind/name`) defined by the YAML files of a closure.
pub fn cluster_names<'a>(
    docs: impl Iterator<Item = &'a guardrails_yaml::Node>,
) -> BTreeSet<String> {
    docs.filter_map(|doc| {
        let kind = doc.str_at(&["kind"])?;
        let name = doc.str_at(&["metadata", "name"])?;
        matches!(kind, "Namespace" | "CustomResourceDefinition").then(|| format!("{kind}/{name}"))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Build;
    use crate::job::Work;

    fn work(names: &[&str]) -> Work {
        Work {
            target: 0,
            build: Build::Dir("/x".into()),
            cache_key: String::new(),
            substitutions: Vec::new(),
            cluster_names: names.iter().map(|n| (*n).to_owned()).collect(),
            lint: crate::job::LintTarget {
                label: String::new(),
                dir: String::new(),
                kustomization_files: Vec::new(),
            },
            check: true,
            prerendered: None,
            flux_version: guardrails_flux_api::FluxVersion::CURRENT,
            applier: guardrails_flux_api::kubernetes::Applier::Direct,
        }
    }

    #[test]
    fn batches_are_balanced_and_never_share_a_namespace() {
        let work: Vec<Work> = (0..10)
            .map(|i| {
                if i % 2 == 0 {
                    work(&["Namespace/develop"])
                } else {
                    work(&[])
                }
            })
            .collect();
        let members: Vec<usize> = (0..10).collect();
        let batches = plan_batches(&work, &members, 2);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, members);
        for batch in &batches {
            let defining = batch.iter().filter(|&&m| m % 2 == 0).count();
            assert!(defining <= 1, "{batches:?}");
        }
    }
}
