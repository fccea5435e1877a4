#!/usr/bin/env bash
# Runs the installed hooks against the example GitOps repository, as a developer would:
# copies examples/gitops-repo into a throw-away git repository with a bare "remote",
# installs the hooks/ shims (core.hooksPath), then tries what the guards refuse and what
# they let through. Exits non-zero if any guard behaves differently from what is shown.
#
# Needs the hook binaries on PATH: `cargo install --locked --path .` first.
set -euo pipefail

checkout=$(cd "$(dirname "$0")/.." && pwd)
for bin in master-check prevent-amend-after-push flux-kustomize-validate; do
    command -v "$bin" >/dev/null || {
        echo "demo: '$bin' is not on PATH; run: cargo install --locked --path $checkout" >&2
        exit 2
    }
done

sandbox=$(mktemp -d)
trap 'rm -rf "$sandbox"' EXIT
# A private git configuration: the demo never touches yours.
export HOME=$sandbox/home GIT_CONFIG_NOSYSTEM=1 GIT_EDITOR=true
mkdir -p "$HOME"
git config --global user.name "Demo Developer"
git config --global user.email demo@example.test
git config --global init.defaultBranch main
git config --global advice.detachedHead false

git init -q --bare "$sandbox/remote.git"
git clone -q "$sandbox/remote.git" "$sandbox/gitops" 2>/dev/null
cd "$sandbox/gitops"
cp -R "$checkout/examples/gitops-repo/." .
git add -A
git commit -q -m "Initial GitOps tree"
git push -q origin main
git config core.hooksPath "$checkout/hooks"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
expect_refused() {
    if "$@"; then
        echo "demo: expected a refusal from: $*" >&2
        exit 1
    fi
    echo "-> refused, as it should be"
}
expect_allowed() {
    "$@"
    echo "-> allowed"
}

step "master-check: a commit straight onto main"
sed -i 's/replicas: 1/replicas: 2/' flux/apps/web/base/deployment.yaml
git add -A
expect_refused git commit -q -m "Scale web"

step "master-check: the same change on a feature branch (staged work comes along)"
git switch -q -c feature/scale-web
expect_allowed git commit -q -m "Scale web"

step "master-check: pushing the feature branch to main"
expect_refused git push -q origin feature/scale-web:main

step "master-check: pushing the feature branch for review"
expect_allowed git push -q origin feature/scale-web

step "prevent-amend-after-push: amending the commit that was just pushed"
expect_refused git commit -q --amend --no-edit

step "prevent-amend-after-push: a follow-up commit instead"
sed -i 's/replicas: 2/replicas: 3/' flux/apps/web/base/deployment.yaml
git add -A
expect_allowed git commit -q -m "Scale web further"

step "prevent-amend-after-push: force-pushing a rewritten branch"
git -c core.hooksPath=/dev/null reset -q --hard HEAD~2
git -c core.hooksPath=/dev/null commit -q --allow-empty -m "Rewritten history"
expect_refused git push -q --force origin feature/scale-web

step "flux-kustomize-validate: pinning a staging tag in production (the incident of the story)"
git -c core.hooksPath=/dev/null reset -q --hard origin/feature/scale-web
sed -i 's/newTag: production-v1.3.2-9e1d4c7-1766620800/newTag: staging-v1.3.2-9e1d4c7-1766620800/' \
    flux/apps/web/production/kustomization.yaml
git add -A
expect_refused git commit -q -m "Hotfix: run the staging build in production"

step "flux-kustomize-validate: moving an overlay without updating its Flux Kustomization"
git reset -q --hard HEAD
git mv flux/apps/web/staging flux/apps/web/stage
expect_refused git commit -q -m "Rename the staging overlay"

step "flux-kustomize-validate: the same move with the Flux Kustomization and the image automation's update.path updated"
sed -i 's|path: ./flux/apps/web/staging|path: ./flux/apps/web/stage|' \
    flux/bootstrap/apps/web.yaml flux/apps/web/stage/image-automation.yaml
git add -A
expect_allowed git commit -q -m "Rename the staging overlay"

step "done: every guard behaved as documented"
