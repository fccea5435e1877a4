//! Promotion lineage: a production pin names an artifact staging pinned first.
//!
//! Lane repositories are built here commit by commit, as image automation and people
//! would write them (the fixtures are this project's own); the seeds' system from
//! `../shared/corpus` is promoted through pre-commit, prek and the shims.

use serde_json::Value;

use crate::flux_validate::{assert_reported, available, corpus_with_hook, errors, validate};
use crate::harness::Sandbox;
use crate::per_client;

const STAGING_FILTER: &str = r"^staging-v\d+\.\d+\.\d+-[a-f0-9]+-(?P<ts>\d+)$";

/// One image (`ghcr.io/example/app`) in lanes `develop`, `staging` and `production`: a
/// shared base, and per lane an overlay with its ImageRepository, its ImagePolicy and
/// the `images:` entry automation writes.
fn lanes(sandbox: &Sandbox) {
    sandbox.write(
        "apps/app/base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app\n",
    );
    sandbox.write(
        "apps/app/base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n",
    );
    for lane in ["develop", "staging", "production"] {
        policy(sandbox, lane, &STAGING_FILTER.replace("staging", lane), "");
    }
}

/// Lane `lane`'s ImageRepository and ImagePolicy (`extra`: more of the policy's spec).
fn policy(sandbox: &Sandbox, lane: &str, filter: &str, extra: &str) {
    sandbox.write(
        &format!("apps/app/{lane}/images.yaml"),
        &format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\nspec:\n  image: ghcr.io/example/app\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  imageRepositoryRef:\n    name: app\n  filterTags:\n    pattern: '{filter}'\n    extract: '$ts'\n  policy:\n    numerical:\n      order: asc\n{extra}"
        ),
    );
}

/// Writes lane `lane`'s pin.
fn pin(sandbox: &Sandbox, lane: &str, tag: &str) {
    sandbox.write(
        &format!("apps/app/{lane}/kustomization.yaml"),
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {lane}\nresources: [../base, images.yaml]\nimages:\n  - name: ghcr.io/example/app\n    newTag: {tag} # {{\"$imagepolicy\": \"{lane}:app:tag\"}}\n"
        ),
    );
}

fn commit(sandbox: &Sandbox, message: &str) {
    sandbox.git(&["add", "-A"]).assert_ok();
    sandbox
        .git(&["commit", "-q", "--no-verify", "-m", message])
        .assert_ok();
}

/// Lanes with a history: staging ran `aaaaaaa` then `bbbbbbb`; production runs `aaaaaaa`.
fn promoted_history() -> Sandbox {
    let sandbox = Sandbox::empty();
    lanes(&sandbox);
    pin(&sandbox, "develop", "develop-v1.0.0-1234abc-90");
    pin(&sandbox, "staging", "staging-v1.0.0-aaaaaaa-100");
    commit(&sandbox, "staging runs aaaaaaa");
    pin(&sandbox, "production", "production-v1.0.0-aaaaaaa-150");
    commit(&sandbox, "promote aaaaaaa");
    pin(&sandbox, "staging", "staging-v1.1.0-bbbbbbb-200");
    commit(&sandbox, "staging runs bbbbbbb");
    sandbox
}

const PRODUCTION: &str = "apps/app/production/kustomization.yaml";

fn notes(diagnostics: &[Value], code: &str) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| d["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_staged_artifact_is_promoted_and_a_rebuild_is_refused_at_its_line() {
    if !available() {
        return;
    }
    let sandbox = promoted_history();
    // Promotion retags what staging ran: passes, and --verbose says where it was staged.
    pin(&sandbox, "production", "production-v1.1.0-bbbbbbb-300");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &["--verbose", PRODUCTION]);
    assert_eq!(run.code, 0, "{}", run.all());
    let staged_in = sandbox.rev("HEAD");
    assert!(
        notes(&diagnostics, "promotion::note")
            .iter()
            .any(|n| n.contains("runs the artifact `bbbbbbb`") && n.contains(&staged_in[..7])),
        "{diagnostics:?}"
    );
    // A build staging never ran, under a production name: refused at the pin.
    pin(&sandbox, "production", "production-v1.1.0-ccccccc-300");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(&diagnostics, "promotion::unstaged-artifact", PRODUCTION, 7);
    assert_eq!(error["severity"], "error");
    let help = error["help"].as_str().unwrap();
    // The help lists staging's last pins, newest first, with their commits.
    let newest = help.find("staging-v1.1.0-bbbbbbb-200").expect(help);
    let older = help.find("staging-v1.0.0-aaaaaaa-100").expect(help);
    assert!(newest < older && help.contains(&staged_in[..7]), "{help}");
    // The human report points at the file and line, and ends with the summary.
    let human = sandbox.hook("flux-kustomize-validate", &["--no-cache", PRODUCTION]);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stderr
            .contains("apps/app/production/kustomization.yaml:7:"),
        "{}",
        human.all()
    );
    assert!(human.all().contains("1 error in 1 file"), "{}", human.all());
    // Nothing outside the lanes' pins changed: the rest of the repository is not judged.
    assert_eq!(errors(&diagnostics).len(), 1, "{diagnostics:?}");
}

#[test]
fn a_rollback_by_revert_passes_and_says_so() {
    if !available() {
        return;
    }
    let sandbox = promoted_history();
    pin(&sandbox, "production", "production-v1.1.0-bbbbbbb-300");
    commit(&sandbox, "promote bbbbbbb");
    let promotion = sandbox.rev("HEAD");
    sandbox.git(&["revert", "--no-commit", "HEAD"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &["--verbose", PRODUCTION]);
    assert_eq!(run.code, 0, "{}", run.all());
    let deployed_from = sandbox.rev("HEAD~2");
    assert!(
        notes(&diagnostics, "promotion::note")
            .iter()
            .any(|n| n.contains("rollback")
                && n.contains("`aaaaaaa`")
                && n.contains(&deployed_from[..7])),
        "{diagnostics:?}"
    );
    sandbox
        .git(&["commit", "-q", "--no-verify", "-m", "revert"])
        .assert_ok();
    // Every current pin, each against the history before the commit that brought it.
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    // CI over a range (the checkout at its end): each pin the range changed, against the
    // history before the commit that changed it.
    pin(&sandbox, "production", "production-v1.2.0-ccccccc-400");
    commit(&sandbox, "production runs an unstaged build");
    let bad = sandbox.rev("HEAD");
    let range = |from: &str, to: &str| {
        sandbox.git(&["checkout", "-q", to]).assert_ok();
        let (run, diagnostics) = validate(&sandbox, &["--from-ref", from, "--to-ref", to]);
        sandbox.git(&["checkout", "-q", "main"]).assert_ok();
        (run, diagnostics)
    };
    let (run, _) = range(&format!("{promotion}~1"), &promotion);
    assert_eq!(run.code, 0, "{}", run.all());
    let (run, diagnostics) = range(&format!("{promotion}~1"), &bad);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "promotion::unstaged-artifact", PRODUCTION, 7);
    // A range is judged on its last commit's pins, not on what is checked out (here the
    // unstaged build, which the range before it never had).
    let (run, diagnostics) = validate(
        &sandbox,
        &[
            "--from-ref",
            &format!("{promotion}~1"),
            "--to-ref",
            &promotion,
        ],
    );
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "promotion::unstaged-artifact"),
        "{}",
        run.all()
    );
}

/// Lanes named by their tags alone: directories that are not lane names, a production
/// lane whose tags start with `main-`.
#[test]
fn lanes_are_known_by_their_tag_prefixes() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    lanes(&sandbox);
    for (lane, dir, filter) in [
        (
            "staging",
            "site-staging",
            r"^staging-[a-f0-9]+-(?P<ts>\d+)$",
        ),
        ("production", "site", r"^main-[a-f0-9]+-(?P<ts>\d+)$"),
    ] {
        let old = sandbox.work.join(format!("apps/app/{lane}"));
        std::fs::rename(&old, sandbox.work.join(format!("apps/app/{dir}"))).unwrap();
        policy(&sandbox, dir, filter, "");
        std::fs::remove_dir_all(sandbox.work.join(format!("apps/app/{lane}"))).ok();
    }
    let overlay = |dir: &str, namespace: &str, tag: &str| {
        sandbox.write(
            &format!("apps/app/{dir}/kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {namespace}\nresources: [../base, images.yaml]\nimages:\n  - name: ghcr.io/example/app\n    newTag: {tag} # {{\"$imagepolicy\": \"{namespace}:app:tag\"}}\n"
            ),
        );
    };
    overlay("site-staging", "web-staging", "staging-aaaaaaa-100");
    overlay("site", "web", "main-0000000-50");
    commit(&sandbox, "lanes");
    let lanes = ["--lane", "staging=staging-", "--lane", "production=main-"];
    let file = "apps/app/site/kustomization.yaml";
    overlay("site", "web", "main-bbbbbbb-200");
    sandbox.git(&["add", "-A"]).assert_ok();
    let mut args = lanes.to_vec();
    args.push(file);
    let (run, diagnostics) = validate(&sandbox, &args);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "promotion::unstaged-artifact", file, 7);
    overlay("site", "web", "main-aaaaaaa-200");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &args);
    assert_eq!(run.code, 0, "{} {diagnostics:?}", run.all());
}

#[test]
fn a_staging_pin_on_a_branch_never_merged_does_not_count() {
    if !available() {
        return;
    }
    let sandbox = promoted_history();
    sandbox
        .git(&["switch", "-q", "-c", "experiment"])
        .assert_ok();
    pin(&sandbox, "staging", "staging-v1.2.0-ddddddd-400");
    commit(&sandbox, "staging tries ddddddd");
    sandbox.git(&["switch", "-q", "main"]).assert_ok();
    pin(&sandbox, "production", "production-v1.2.0-ddddddd-500");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "promotion::unstaged-artifact", PRODUCTION, 7);
    // Merged, the staging history is the production branch's: the promotion passes.
    sandbox.git(&["stash", "-q"]).assert_ok();
    sandbox
        .git(&["merge", "-q", "--no-edit", "--no-ff", "experiment"])
        .assert_ok();
    sandbox.git(&["stash", "pop", "-q"]).assert_ok();
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 0, "{} {diagnostics:?}", run.all());
}

#[test]
fn digests_must_be_the_ones_staging_ran() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    lanes(&sandbox);
    // The setter writes `name:tag@digest` only when the policy reflects digests.
    for lane in ["staging", "production"] {
        policy(
            &sandbox,
            lane,
            &STAGING_FILTER.replace("staging", lane),
            "  digestReflectionPolicy: IfNotPresent\n",
        );
    }
    let image = |lane: &str, tag: &str, digest: &str| {
        sandbox.write(
            &format!("apps/app/{lane}/release.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release\ndata:\n  image: ghcr.io/example/app:{tag}@sha256:{digest} # {{\"$imagepolicy\": \"{lane}:app\"}}\n"
            ),
        );
        // The workload's tag, written by the tag setter without the digest.
        sandbox.write(
            &format!("apps/app/{lane}/kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {lane}\nresources: [../base, images.yaml, release.yaml]\nimages:\n  - name: ghcr.io/example/app\n    newTag: {tag} # {{\"$imagepolicy\": \"{lane}:app:tag\"}}\n"
            ),
        );
    };
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    image("staging", "staging-v1.0.0-aaaaaaa-100", &a);
    image("production", "production-v0.9.0-aaaaaaa-50", &a);
    commit(&sandbox, "lanes");
    // The same build sha with another digest: not the image staging tested.
    image("production", "production-v1.0.0-aaaaaaa-150", &b);
    sandbox.git(&["add", "-A"]).assert_ok();
    let file = "apps/app/production/release.yaml";
    let (run, diagnostics) = validate(&sandbox, &[file]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(&diagnostics, "promotion::unstaged-artifact", file, 6);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&format!("sha256:{a}")),
        "{error}"
    );
    image("production", "production-v1.0.0-aaaaaaa-150", &a);
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, _) = validate(&sandbox, &[file]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_digest_setter_pins_the_digest_of_its_tag() {
    if !available() {
        return;
    }
    let sandbox = Sandbox::empty();
    lanes(&sandbox);
    for lane in ["staging", "production"] {
        policy(
            &sandbox,
            lane,
            &STAGING_FILTER.replace("staging", lane),
            "  digestReflectionPolicy: IfNotPresent\n",
        );
    }
    // kustomize's `images[]` entry with the tag and the digest setter side by side.
    let pin_with_digest = |lane: &str, tag: &str, digest: &str| {
        sandbox.write(
            &format!("apps/app/{lane}/kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {lane}\nresources: [../base, images.yaml]\nimages:\n  - name: ghcr.io/example/app\n    newTag: {tag} # {{\"$imagepolicy\": \"{lane}:app:tag\"}}\n    digest: sha256:{digest} # {{\"$imagepolicy\": \"{lane}:app:digest\"}}\n"
            ),
        );
    };
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    pin_with_digest("staging", "staging-v1.0.0-aaaaaaa-100", &a);
    pin_with_digest("production", "production-v0.9.0-0123456-50", &b);
    commit(&sandbox, "lanes");
    // The build staging ran, under another digest: refused at the tag.
    pin_with_digest("production", "production-v1.0.0-aaaaaaa-150", &b);
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 1, "{}", run.all());
    let error = assert_reported(&diagnostics, "promotion::unstaged-artifact", PRODUCTION, 7);
    assert!(
        error["message"].as_str().unwrap_or_default().contains(&a),
        "{error}"
    );
    // The digest staging ran passes.
    pin_with_digest("production", "production-v1.0.0-aaaaaaa-150", &a);
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, _) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn other_edges_and_tag_schemes() {
    if !available() {
        return;
    }
    let sandbox = promoted_history();
    // develop=staging: staging retags develop builds; staging's `bbbbbbb` was never a
    // develop pin.
    pin(&sandbox, "staging", "staging-v1.2.0-1234abc-600");
    sandbox.git(&["add", "-A"]).assert_ok();
    let staging = "apps/app/staging/kustomization.yaml";
    let (run, _) = validate(&sandbox, &["--promote", "develop=staging", staging]);
    assert_eq!(run.code, 0, "{}", run.all());
    pin(&sandbox, "staging", "staging-v1.2.0-eeeeeee-600");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &["--promote", "develop=staging", staging]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "promotion::unstaged-artifact", staging, 7);
    // The default edge does not judge staging.
    let (run, _) = validate(&sandbox, &[staging]);
    assert_eq!(run.code, 0, "{}", run.all());
    sandbox
        .git(&["checkout", "-q", "HEAD", "--", "."])
        .assert_ok();

    // A scheme whose sha comes first: the policy's `sha` group says where it is.
    for lane in ["staging", "production"] {
        policy(
            &sandbox,
            lane,
            &format!(r"^{lane}-(?P<sha>[a-f0-9]{{7}})-v\d+-(?P<ts>\d+)$"),
            "",
        );
    }
    pin(&sandbox, "staging", "staging-fffffff-v3-700");
    commit(&sandbox, "staging runs fffffff");
    pin(&sandbox, "production", "production-fffffff-v3-800");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 0, "{} {diagnostics:?}", run.all());
    // --artifact-id for tags with no sha: a build number.
    pin(&sandbox, "production", "production-0000000-v3-800");
    sandbox.git(&["add", "-A"]).assert_ok();
    let (run, diagnostics) = validate(&sandbox, &[PRODUCTION]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_reported(&diagnostics, "promotion::unstaged-artifact", PRODUCTION, 7);
    let (run, _) = validate(&sandbox, &[r"--artifact-id=-(?P<id>v\d+)-", PRODUCTION]);
    assert_eq!(run.code, 0, "v3 ran in staging: {}", run.all());
    let (run, _) = validate(&sandbox, &["--artifact-id", "[a-f]+", PRODUCTION]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.all().contains("named group `id`"), "{}", run.all());
}

#[test]
fn a_shallow_clone_warns_instead_of_refusing() {
    if !available() {
        return;
    }
    let sandbox = promoted_history();
    pin(&sandbox, "production", "production-v1.1.0-bbbbbbb-300");
    commit(&sandbox, "promote bbbbbbb");
    let run = in_shallow_clone(&sandbox, "1", &["--format", "json", "--no-cache", "--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let diagnostics: Vec<Value> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let warning = diagnostics
        .iter()
        .find(|d| d["code"] == "promotion::cannot-know")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["file"], PRODUCTION);
}

per_client!(promotion_of_the_seeds_system, |client| {
    if !available() {
        return;
    }
    let sandbox = corpus_with_hook(client);
    let production = "flux/apps/frontend/overlays/production/kustomization.yaml";
    let staging = "flux/apps/frontend/overlays/staging/kustomization.yaml";
    let retag = |from: &str, to: &str| {
        let path = sandbox.work.join(production);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{production} pins {from}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
        sandbox.git(&["add", production]).assert_ok();
    };
    let pinned = std::fs::read_to_string(sandbox.work.join(staging)).unwrap();
    assert!(
        pinned.contains("staging-v0.0.3-76bc7f9-1771664028"),
        "{staging}"
    );
    // Staging's artifact, retagged: the promotion commits.
    retag(
        "production-v0.0.2-69175fe-1771335946",
        "production-v0.0.3-76bc7f9-1771700000",
    );
    sandbox
        .git(&["commit", "-q", "-m", "promote frontend"])
        .assert_ok();
    // A rebuild under a production name: refused, naming the pin's file.
    retag(
        "production-v0.0.3-76bc7f9-1771700000",
        "production-v0.0.3-0badc0d-1771800000",
    );
    let run = sandbox.git(&["commit", "-q", "-m", "rebuild"]);
    run.assert_refused("promotion::unstaged-artifact");
    run.assert_contains(production);
    sandbox.git(&["reset", "-q", "--hard"]).assert_ok();
    // Rolling the promotion back is a revert: it commits.
    sandbox.git(&["revert", "--no-commit", "HEAD"]).assert_ok();
    sandbox
        .git(&["commit", "-q", "-m", "roll back frontend"])
        .assert_ok();
});

/// Runs the hook with `args` in a clone of `sandbox` `depth` commits deep.
fn in_shallow_clone(sandbox: &Sandbox, depth: &str, args: &[&str]) -> crate::harness::Run {
    let shallow = sandbox.root.join("shallow");
    let source = format!("file://{}", sandbox.work.display());
    let target = shallow.to_string_lossy();
    sandbox
        .git_in(
            &sandbox.root,
            &["clone", "-q", "--depth", depth, &source, &target],
        )
        .assert_ok();
    let mut cmd =
        std::process::Command::new(crate::harness::bin_dir().join("flux-kustomize-validate"));
    cmd.args(args).current_dir(&shallow);
    sandbox.run_cmd(cmd)
}

/// The history audit: every pin change of every lane, with its lineage.
fn audit(sandbox: &Sandbox, args: &[&str]) -> crate::harness::Run {
    let mut all = vec!["--no-cache", "--promotion-history"];
    all.extend_from_slice(args);
    sandbox.hook("flux-kustomize-validate", &all)
}

/// Staging bumps on a branch merged into main, a promotion, a rollback by revert and a
/// rebuild production pins without staging.
fn audited_history() -> Sandbox {
    let sandbox = promoted_history();
    sandbox.git(&["checkout", "-q", "-b", "bot"]).assert_ok();
    pin(&sandbox, "staging", "staging-v1.2.0-ccccccc-250");
    commit(&sandbox, "staging runs ccccccc (automation branch)");
    sandbox.git(&["checkout", "-q", "main"]).assert_ok();
    sandbox.write("docs/notes.md", "unrelated\n");
    commit(&sandbox, "unrelated work on main");
    sandbox
        .git(&["merge", "-q", "--no-edit", "--no-ff", "bot"])
        .assert_ok();
    pin(&sandbox, "production", "production-v1.2.0-ccccccc-300");
    commit(&sandbox, "promote ccccccc");
    sandbox.git(&["revert", "--no-edit", "HEAD"]).assert_ok();
    pin(&sandbox, "production", "production-v1.3.0-ddddddd-400");
    commit(&sandbox, "production runs a rebuild");
    sandbox
}

#[test]
fn the_history_audit_lists_every_pin_change_with_its_lineage() {
    if !available() {
        return;
    }
    let sandbox = audited_history();
    let run = audit(&sandbox, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    insta::assert_snapshot!("promotion_history_json", run.stdout);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    let records: Vec<&Value> = lines
        .iter()
        .filter(|l| l["record"] == "pin-change")
        .collect();
    let of = |lane: &str| -> Vec<(String, String)> {
        records
            .iter()
            .filter(|r| r["lane"] == lane)
            .map(|r| {
                (
                    r["tag"].as_str().unwrap_or_default().to_owned(),
                    r["lineage"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let pair = |tag: &str, lineage: &str| (tag.to_owned(), lineage.to_owned());
    assert_eq!(
        of("staging"),
        [
            pair("staging-v1.0.0-aaaaaaa-100", "not-promoted"),
            pair("staging-v1.1.0-bbbbbbb-200", "not-promoted"),
            // Made on the automation branch: the merge that brought it is not a change.
            pair("staging-v1.2.0-ccccccc-250", "not-promoted"),
        ]
    );
    assert_eq!(
        of("production"),
        [
            pair("production-v1.0.0-aaaaaaa-150", "staged"),
            pair("production-v1.2.0-ccccccc-300", "staged"),
            pair("production-v1.0.0-aaaaaaa-150", "rollback"),
            pair("production-v1.3.0-ddddddd-400", "unstaged"),
        ]
    );
    // Each record names its commit in full, and a promotion where staging pinned it.
    let branch_commit = sandbox.rev("bot");
    let promotion = records
        .iter()
        .find(|r| r["tag"] == "production-v1.2.0-ccccccc-300")
        .expect("the promotion");
    assert_eq!(promotion["staged_in"], branch_commit.as_str());
    assert_eq!(promotion["previous_tag"], "production-v1.0.0-aaaaaaa-150");
    assert_eq!(promotion["file"], PRODUCTION);
    assert_eq!(promotion["line"], 7);
    assert_eq!(promotion["selected"], true);
    assert_eq!(promotion["digest"], Value::Null);
    assert_eq!(promotion["commit"], sandbox.rev("HEAD~2").as_str());
    // The violation is a finding too, at its line, naming the commit that made it.
    let head = sandbox.rev("HEAD");
    let violation = assert_reported(&lines, "promotion::unstaged-artifact", PRODUCTION, 7);
    assert_eq!(violation["commit"], head.as_str());
    assert_eq!(errors(&lines).len(), 1, "{lines:?}");
    // The rollback names the commit that deployed the artifact first.
    let rollback = records
        .iter()
        .find(|r| r["lineage"] == "rollback")
        .expect("the rollback");
    assert_eq!(rollback["rollback_to"], sandbox.rev("HEAD~6").as_str());
}

#[test]
fn the_history_audit_in_human_and_markdown_form() {
    if !available() {
        return;
    }
    let sandbox = audited_history();
    let human = audit(&sandbox, &[]);
    assert_eq!(human.code, 1, "{}", human.all());
    insta::assert_snapshot!("promotion_history_human", human.stdout);
    assert!(
        human
            .stderr
            .contains("1 error in 1 file; 8 pin changes in 9 commits"),
        "{}",
        human.stderr
    );
    // A pull request's range: the evidence of the changes it makes, for a review comment.
    let base = sandbox.rev("HEAD~3");
    let evidence = audit(
        &sandbox,
        &[
            "--format",
            "markdown",
            "--from-ref",
            &base,
            "--to-ref",
            "HEAD",
        ],
    );
    assert_eq!(evidence.code, 1, "{}", evidence.all());
    insta::assert_snapshot!("promotion_history_markdown", evidence.stdout);
    // A range whose changes were all staged passes.
    let clean = audit(
        &sandbox,
        &[
            "--format",
            "json",
            "--from-ref",
            "HEAD~4",
            "--to-ref",
            "HEAD~2",
        ],
    );
    assert_eq!(clean.code, 0, "{}", clean.all());
    // The merged staging bump and the promotion; no finding.
    assert_eq!(clean.stdout.lines().count(), 2, "{}", clean.stdout);
    assert!(!clean.stdout.contains("\"code\""), "{}", clean.stdout);
}

#[test]
fn the_history_audit_of_a_shallow_clone_warns() {
    if !available() {
        return;
    }
    let sandbox = audited_history();
    let run = in_shallow_clone(
        &sandbox,
        "2",
        &["--no-cache", "--promotion-history", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["code"] == "promotion::cannot-know" && l["severity"] == "warning"),
        "{}",
        run.stdout
    );
    assert!(errors(&lines).is_empty(), "{}", run.stdout);
}

#[test]
fn the_index_of_pin_changes_follows_the_history_and_is_never_trusted_damaged() {
    if !available() {
        return;
    }
    let sandbox = audited_history();
    let history = |cached: bool| {
        let mut args = vec!["--promotion-history", "--format", "json"];
        if !cached {
            args.push("--no-cache");
        }
        let run = sandbox.hook("flux-kustomize-validate", &args);
        assert_eq!(run.code, 1, "{}", run.all());
        run.stdout
    };
    let index = sandbox
        .work
        .join(".git/gitops-guardrails/promotion/pin-changes");
    let first = history(true);
    assert_eq!(first, history(false));
    let built = std::fs::read(&index).expect("the index is kept in the git directory");
    // A new commit: the index is brought up to date, not rebuilt from nothing, and says
    // what a run without it says.
    pin(&sandbox, "staging", "staging-v1.4.0-eeeeeee-500");
    commit(&sandbox, "staging runs eeeeeee");
    let updated = history(true);
    assert_eq!(updated, history(false));
    assert_ne!(updated, first);
    // Back to an older commit (a branch switch, a reset): what the old tip reached only
    // is dropped.
    sandbox
        .git(&["reset", "-q", "--hard", "HEAD~1"])
        .assert_ok();
    assert_eq!(history(true), first);
    // Truncated, emptied or overwritten: rebuilt, never read as pin changes.
    for damage in [&built[..built.len() / 2], &[][..], &b"not an index"[..]] {
        std::fs::write(&index, damage).unwrap();
        assert_eq!(history(true), first);
        assert_eq!(std::fs::read(&index).unwrap(), built);
    }
    // The commit check reads the same index.
    pin(&sandbox, "production", "production-v1.4.0-fffffff-600");
    sandbox.git(&["add", "-A"]).assert_ok();
    let run = sandbox.hook("flux-kustomize-validate", &["--format", "json", PRODUCTION]);
    assert_eq!(run.code, 1, "{}", run.all());
    let diagnostics: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_reported(&diagnostics, "promotion::unstaged-artifact", PRODUCTION, 7);
}
