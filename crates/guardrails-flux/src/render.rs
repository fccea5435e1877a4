//! The renderer: `kustomize build` or `kubectl kustomize`, run through duct with the
//! options kustomize-controller uses and nothing more.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which renderer to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RendererChoice {
    /// `kustomize` when it is on PATH, else `kubectl kustomize`.
    #[default]
    Auto,
    Kustomize,
    Kubectl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RendererKind {
    Kustomize,
    Kubectl,
}

#[derive(Debug, thiserror::Error)]
pub enum RendererError {
    #[error("no renderer found: neither `kustomize` nor `kubectl` is on PATH")]
    NotFound,
    #[error("`{0}` is not on PATH")]
    Missing(&'static str),
}

/// A renderer that was found on PATH.
#[derive(Debug, Clone)]
pub struct Renderer {
    pub kind: RendererKind,
    pub program: PathBuf,
}

/// A render that did not produce output.
#[derive(Debug, Clone)]
pub struct BuildFailure {
    pub command: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Renderer {
    pub fn detect(choice: RendererChoice) -> Result<Renderer, RendererError> {
        let kustomize = || {
            find_on_path("kustomize").map(|program| Renderer {
                kind: RendererKind::Kustomize,
                program,
            })
        };
        let kubectl = || {
            find_on_path("kubectl").map(|program| Renderer {
                kind: RendererKind::Kubectl,
                program,
            })
        };
        match choice {
            RendererChoice::Auto => kustomize().or_else(kubectl).ok_or(RendererError::NotFound),
            RendererChoice::Kustomize => kustomize().ok_or(RendererError::Missing("kustomize")),
            RendererChoice::Kubectl => kubectl().ok_or(RendererError::Missing("kubectl")),
        }
    }

    /// The arguments that mirror kustomize-controller: no load restriction inside the
    /// source (the repository bound is checked separately), and never `--enable-helm`,
    /// `--enable-exec` or `--enable-alpha-plugins`.
    pub fn args(&self, dir: &Path) -> Vec<String> {
        let mut args = match self.kind {
            RendererKind::Kustomize => vec!["build".to_owned()],
            RendererKind::Kubectl => vec!["kustomize".to_owned()],
        };
        args.push("--load-restrictor".into());
        args.push("LoadRestrictionsNone".into());
        args.push(dir.to_string_lossy().into_owned());
        args
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            RendererKind::Kustomize => "kustomize build",
            RendererKind::Kubectl => "kubectl kustomize",
        }
    }

    /// Renders `dir`; a renderer that runs past `timeout` is killed.
    pub fn build(&self, dir: &Path, timeout: Duration) -> Result<String, BuildFailure> {
        let args = self.args(dir);
        let command = format!("{} {}", self.program.display(), args.join(" "));
        let failure = |stderr: String, timed_out| BuildFailure {
            command: command.clone(),
            stderr,
            timed_out,
        };
        let handle = duct::cmd(&self.program, &args)
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .start()
            .map_err(|error| failure(error.to_string(), false))?;
        let output = match handle.wait_timeout(timeout) {
            Ok(Some(output)) => output.clone(),
            Ok(None) => {
                let _ = handle.kill();
                return Err(failure(
                    format!("the renderer did not finish within {}s", timeout.as_secs()),
                    true,
                ));
            }
            Err(error) => return Err(failure(error.to_string(), false)),
        };
        if output.status.success() {
            String::from_utf8(output.stdout)
                .map_err(|_| failure("the renderer's output is not UTF-8".into(), false))
        } else {
            Err(failure(
                String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                false,
            ))
        }
    }

    /// The kustomize version inside the renderer (`v5.5.0`), asked once per binary: the
    /// answer is cached next to the render cache, keyed by the binary's size and mtime,
    /// because `kubectl version` alone costs more than a cached run.
    pub fn version(&self, cache_dir: Option<&Path>) -> String {
        let stamp = std::fs::metadata(&self.program)
            .ok()
            .map(|m| {
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{}|{}|{mtime}", self.program.display(), m.len())
            })
            .unwrap_or_default();
        let cache_file = cache_dir.map(|dir| {
            dir.join(format!(
                "renderer-{:016x}",
                crate::cache::fingerprint(stamp.as_bytes())
            ))
        });
        if let Some(version) = cache_file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
        {
            return version;
        }
        let version = self.ask_version().unwrap_or_else(|| "unknown".into());
        if let Some(file) = cache_file
            && version != "unknown"
        {
            let _ = std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")));
            let _ = std::fs::write(file, &version);
        }
        version
    }

    fn ask_version(&self) -> Option<String> {
        let args: &[&str] = match self.kind {
            RendererKind::Kustomize => &["version"],
            RendererKind::Kubectl => &["version", "--client", "-o", "json"],
        };
        let out = duct::cmd(&self.program, args)
            .stdin_null()
            .stderr_null()
            .unchecked()
            .read()
            .ok()?;
        let text = match self.kind {
            // `"kustomizeVersion": "v5.5.0"`
            RendererKind::Kubectl => {
                let rest = &out[out.find("\"kustomizeVersion\"")? + 18..];
                let start = rest.find('"')? + 1;
                let end = start + rest[start..].find('"')?;
                rest[start..end].to_owned()
            }
            // `v5.8.1`, or `{Version:kustomize/v4.5.7 GitCommit:...}` from older releases.
            RendererKind::Kustomize => {
                let start = out.find('v')?;
                out[start..]
                    .split(|c: char| c.is_whitespace() || c == '}')
                    .next()?
                    .to_owned()
            }
        };
        Some(text)
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| executable(dir.join(program)))
}

#[cfg(unix)]
fn executable(path: PathBuf) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(&path)
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .then_some(path)
}

#[cfg(not(unix))]
fn executable(path: PathBuf) -> Option<PathBuf> {
    // Windows finds programs by extension; the path handed to the renderer must be the file.
    let exe = path.with_extension("exe");
    [path, exe]
        .into_iter()
        .find(|candidate| candidate.is_file())
}
