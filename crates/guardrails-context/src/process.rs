//! The chain of parent processes.
//!
//! Under pre-commit and prek the hook's parent is the framework's `hook-impl` process, whose
//! argv names the git hook (`--hook-type=pre-push`) and ends with git's raw hook arguments
//! after `--`; its grandparent is the git command itself (`git commit --amend …`). Neither
//! framework exports all of that, so reading the chain is the only way to learn it
//! (the frameworks' `hook-impl` commands in pre-commit's `pre_commit/commands/hook_impl.py`
//! and prek's `crates/prek/src/cli/hook_impl.rs`).

/// One ancestor process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub argv: Vec<String>,
}

/// Up to `max` ancestors of the current process, nearest first, ending at the nearest git
/// command: everything a hook learns from its parents (the framework's `hook-impl`, the git
/// command) sits at or below it, and each ancestor read costs a dozen system calls on a
/// path that runs at every commit. Best effort: an empty list when the platform hides them
/// (containers with a private PID namespace, hidepid `/proc`).
#[cfg(unix)]
pub fn ancestors(max: usize) -> Vec<ProcessInfo> {
    chain_from(std::os::unix::process::parent_id(), max, read_process)
}

/// The chain from `pid` up, as [`ancestors`] reads it, with `read` giving a process's parent
/// and argv.
pub(crate) fn chain_from(
    mut pid: u32,
    max: usize,
    read: impl Fn(u32) -> Option<(u32, Vec<String>)>,
) -> Vec<ProcessInfo> {
    let mut chain = Vec::new();
    while chain.len() < max && pid > 1 {
        let Some((parent, argv)) = read(pid) else {
            break;
        };
        let process = ProcessInfo { pid, argv };
        let is_git = crate::GitCommand::parse(&process).is_some();
        chain.push(process);
        if is_git {
            break;
        }
        pid = parent;
    }
    chain
}

/// Windows gives no portable way to read another process's command line; the guards that
/// need it say so and rely on the hooks git runs with arguments.
#[cfg(not(unix))]
pub fn ancestors(_max: usize) -> Vec<ProcessInfo> {
    Vec::new()
}

#[cfg(target_os = "linux")]
fn read_process(pid: u32) -> Option<(u32, Vec<String>)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in field 2 may contain spaces and parentheses: the parent pid is the
    // second field after the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let parent = after_name.split_whitespace().nth(1)?.parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv = cmdline
        .split(|b| *b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    Some((parent, argv))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn read_process(pid: u32) -> Option<(u32, Vec<String>)> {
    // macOS and the BSDs have no /proc; `ps` prints the parent and the command line (argv
    // boundaries are lost, which the parsers here tolerate: they look for single words).
    let output = std::process::Command::new("ps")
        .args(["-o", "ppid=,command=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace();
    let parent = words.next()?.parse().ok()?;
    Some((parent, words.map(str::to_owned).collect()))
}
