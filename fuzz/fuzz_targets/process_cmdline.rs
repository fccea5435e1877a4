//! guardrails-context: the parent processes' command lines (git, pre-commit's and prek's
//! `hook-impl`), with any environment the frameworks export, fold into one hook context.
//! Processes are separated by a blank argument (`\0\0`), arguments by `\0`; lines of the
//! form `NAME=value` in the last process become the environment.
#![no_main]

use guardrails_context::{Environment, GitCommand, HookContext, Invocation, ProcessInfo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut processes: Vec<ProcessInfo> = text
        .split("\0\0")
        .enumerate()
        .map(|(pid, argv)| ProcessInfo {
            pid: pid as u32 + 2,
            argv: argv.split('\0').map(str::to_owned).collect(),
        })
        .collect();
    let env_words: Vec<String> = processes.pop().map(|p| p.argv).unwrap_or_default();
    let pairs: Vec<(&str, &str)> = env_words.iter().filter_map(|w| w.split_once('=')).collect();
    let env = Environment::from_pairs(pairs);
    for process in &processes {
        if let Some(git) = GitCommand::parse(process) {
            let _ = git.is_amend();
            let _ = git.reused_message();
        }
    }
    let invocation = Invocation {
        hook_args: env_words.clone(),
        ..Invocation::default()
    };
    for invocation in [Invocation::default(), invocation] {
        let context = HookContext::resolve(&invocation, &env, &processes);
        assert_eq!(context.parents_visible, !processes.is_empty());
        let _ = context.stage.as_str();
    }
});
