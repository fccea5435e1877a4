//! The repository configuration file and suppressions, as users meet them: through
//! pre-commit, prek and the shims, and the flux hook run by hand.

use crate::flux_validate::{HOOK, assert_reported, validate};
use crate::harness::Sandbox;
use crate::per_client;

const REFUSED_COMMIT: &str = "master-check::protected-commit";

per_client!(
    the_file_configures_every_client_and_a_typo_stops_the_hook,
    |client| {
        let sb = Sandbox::with_hooks(client, &[]);
        sb.write(
            ".gitops-guardrails.yaml",
            "master-check:\n  protected: [\"release/*\"]\n",
        );
        sb.git(&["add", ".gitops-guardrails.yaml"]).assert_ok();
        sb.git(&["commit", "-q", "--no-verify", "-m", "config"])
            .assert_ok();
        sb.git(&["switch", "-q", "-c", "release/1.2"]).assert_ok();
        sb.commit("release fix").assert_refused(REFUSED_COMMIT);
        // The file replaced the default: `main` is no longer protected.
        sb.git(&["switch", "-q", "-c", "main-work"]).assert_ok();
        sb.git(&["branch", "-f", "main", "HEAD"]).assert_ok();
        sb.git(&["switch", "-q", "main"]).assert_ok();
        sb.commit("on main").assert_ok();
        // An unknown key stops the hook (exit 2) at its line, with the nearest key.
        sb.write(
            ".gitops-guardrails.yaml",
            "master-check:\n  protcted: [\"release/*\"]\n",
        );
        // Staged: the frameworks check what is committed and set unstaged changes aside.
        sb.git(&["add", ".gitops-guardrails.yaml"]).assert_ok();
        sb.commit("typo")
            .assert_refused("config::invalid")
            .assert_contains(".gitops-guardrails.yaml:2:3")
            .assert_contains("did you mean `protected`?");
    }
);

/// Inline comments silence one finding; configured ignores silence a code or a path; a
/// comment that silences nothing is reported.
#[test]
fn findings_are_silenced_inline_by_code_and_by_path() {
    if !crate::flux_validate::available() {
        return;
    }
    let sandbox = Sandbox::empty();
    sandbox.write(
        "apps/web/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\n",
    );
    let deployment = |comment: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:{comment}\n  \
             template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n        \
             - name: web\n          image: nginx:1.27\n"
        )
    };
    sandbox.write("apps/web/deploy.yaml", &deployment(""));
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let code = assert_reported(&diagnostics, "k8s::schema", "apps/web/deploy.yaml", 5)["code"]
        .as_str()
        .unwrap()
        .to_owned();

    sandbox.write(
        "apps/web/deploy.yaml",
        &deployment(&format!(
            " # gitops-guardrails: ignore[{code}] a webhook adds it"
        )),
    );
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let verbose = sandbox.hook(
        HOOK,
        &["--all", "--no-cache", "--verbose", "--color", "never"],
    );
    verbose.assert_contains("silenced k8s::schema by the comment at apps/web/deploy.yaml:5");

    // Fixed, the comment silences nothing: a warning at the comment, exit 0.
    let fixed = deployment(" # gitops-guardrails: ignore[k8s::schema]").replace(
        "  template:",
        "  selector:\n    matchLabels: {app: web}\n  template:",
    );
    sandbox.write("apps/web/deploy.yaml", &fixed);
    let (run, diagnostics) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_reported(
        &diagnostics,
        "suppression::unused",
        "apps/web/deploy.yaml",
        5,
    );

    // Configured: by code everywhere, or under a path only.
    sandbox.write("apps/web/deploy.yaml", &deployment(""));
    sandbox.write(".gitops-guardrails.yaml", "ignore: [k8s::*]\n");
    let (run, _) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    sandbox.write(
        ".gitops-guardrails.yaml",
        "per-path-ignores:\n  \"apps/other/**\": [k8s::schema]\n",
    );
    let (run, _) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 1, "another path: still reported\n{}", run.all());
    sandbox.write(
        ".gitops-guardrails.yaml",
        "per-path-ignores:\n  \"apps/web/**\": [k8s::schema]\n",
    );
    let (run, _) = validate(&sandbox, &["--all"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let (run, _) = validate(&sandbox, &["--all", "--no-config"]);
    assert_eq!(run.code, 1, "--no-config reads no file\n{}", run.all());
}
