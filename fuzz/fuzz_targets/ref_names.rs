//! guardrails-git: branch and ref names against the protected-branch rules and the public
//! scope (globs from flags), and a repository's `packed-refs` file. The first line holds
//! the rules (`name` or `glob` words), the rest are names to judge, or the file itself.
#![no_main]

use guardrails_git::history::PublicScope;
use guardrails_git::{ProtectedBranches, remote_refs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(refs) = remote_refs::parse_packed(data) {
        for (name, _) in &refs {
            assert!(!name.contains('\n'), "a ref name runs over its line");
        }
    }
    let lines = gitops_guardrails_fuzz::lines(data);
    let Some((rules, names)) = lines.split_first() else {
        return;
    };
    let words: Vec<String> = rules.split(' ').map(str::to_owned).collect();
    let (globs, exact): (Vec<String>, Vec<String>) = words
        .into_iter()
        .partition(|w| w.contains(['*', '?', '[', '{']));
    if let Ok(protected) = ProtectedBranches::new(&exact, &globs) {
        let _ = protected.describe();
        for name in names {
            if let Some(rule) = protected.rule_for(name) {
                let _ = format!("{rule:?}");
            }
            if exact.contains(name) {
                assert!(
                    protected.rule_for(name).is_some(),
                    "a listed branch is not protected"
                );
            }
        }
    }
    if let Ok(scope) = PublicScope::new(&exact, &globs) {
        let _ = scope.describe();
        for name in names {
            let (remote, branch) = name.split_once('/').unwrap_or(("origin", name));
            let _ = scope.includes(remote, branch);
        }
    }
});
