# Shared by the gitops-guardrails git-hook shims; git ignores this file (no hook has its
# name). Sourced, never executed.
#
# The shims find the hook binaries in $GITOPS_GUARDRAILS_BIN when it is set, else on PATH
# (`cargo install --path <checkout>` puts them in ~/.cargo/bin).

# guardrails_run NAME ARGS...: runs one hook binary. A missing binary fails closed with
# exit 2 and says how to install it: a guard that silently does nothing is worse than none.
guardrails_run() {
    guardrails_name=$1
    shift
    if [ -n "${GITOPS_GUARDRAILS_BIN:-}" ]; then
        guardrails_exe=$GITOPS_GUARDRAILS_BIN/$guardrails_name
    else
        guardrails_exe=$(command -v "$guardrails_name" 2>/dev/null || true)
    fi
    if [ -z "$guardrails_exe" ] || [ ! -x "$guardrails_exe" ]; then
        echo "gitops-guardrails: '$guardrails_name' not found (GITOPS_GUARDRAILS_BIN or PATH);" \
            "install it with: cargo install --path <gitops-guardrails checkout>" >&2
        return 2
    fi
    "$guardrails_exe" "$@"
}
