//! `--explain CODE`: the documentation page of a diagnostic code, the same text as
//! `docs/codes/<family>/<name>.md` (embedded at build time), and the generated index of
//! every code (`docs/codes/README.md`).

use std::io::Write;
use std::process::ExitCode;

use guardrails_report::{Diagnostic, ExitStatus, sanitize};

use crate::cli::{self, Output};

mod pages {
    include!(concat!(env!("OUT_DIR"), "/code_pages.rs"));
}

/// The page of `code`.
pub fn page(code: &str) -> Option<&'static str> {
    pages::PAGES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| pages::PAGES[i].1)
}

/// Every documented code.
pub fn documented() -> impl Iterator<Item = &'static str> {
    pages::PAGES.iter().map(|(code, _)| *code)
}

/// Prints the page of `code` to stdout (exit 0), or says there is none (exit 2).
pub fn print(code: &str, output: &Output) -> ExitCode {
    let Some(page) = page(code) else {
        let help = match guardrails_config::did_you_mean(code, documented()) {
            Some(near) => format!("did you mean `{near}`? (`--explain {near}`)"),
            None => "codes look like `image::mutable-tag`; docs/codes/README.md lists them all"
                .to_owned(),
        };
        return output.fail(
            Diagnostic::error(
                cli::CANNOT_RUN,
                format!("`{}` is not a gitops-guardrails code", sanitize(code)),
            )
            .with_help(help),
        );
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(page.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            cli::exit(ExitStatus::Failure)
        }
        _ => cli::exit(ExitStatus::Clean),
    }
}

/// The severity and hook line of a page, and its one-sentence summary.
fn header(page: &str) -> (&str, &str) {
    let mut paragraphs = page.split("\n\n").map(str::trim).skip(1);
    let meta = paragraphs.next().unwrap_or_default();
    let summary = paragraphs.next().unwrap_or_default();
    (meta, summary)
}

/// `docs/codes/README.md`: every code with its severity, hook and summary, linked to its
/// page.
pub fn index() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Every finding of every hook carries one of these codes. Each page says what the code\n\
         detects, why it matters, and shows a failing and a fixed example; `<hook> --explain\n\
         CODE` prints the same page. Silence a finding with `ignore`, `per-path-ignores` or an\n\
         inline `# gitops-guardrails: ignore[CODE]` comment (see the configuration guide).\n\
         This index is generated from the pages (a test keeps it current).\n\n\
         | code | severity · hook | summary |\n|---|---|---|\n",
    );
    for (code, page) in pages::PAGES {
        let (family, name) = code.split_once("::").unwrap_or((code, ""));
        let (meta, summary) = header(page);
        let meta = meta
            .replace("Severity: ", "")
            .replace("Hook: ", "")
            .replace('`', "");
        let summary = if summary.starts_with("**") {
            ""
        } else {
            summary
        };
        out.push_str(&format!(
            "| [`{code}`]({family}/{name}.md) | {meta} | {} |\n",
            summary.replace('\n', " ").replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every code a hook can report has a page, and every page is such a code.
    #[test]
    fn every_code_has_a_page_and_every_page_a_code() {
        let known = crate::config::known_codes();
        let documented: Vec<&str> = documented().collect();
        let missing: Vec<&&str> = known.iter().filter(|c| page(c).is_none()).collect();
        assert!(missing.is_empty(), "codes without a page: {missing:?}");
        let stray: Vec<&&str> = documented.iter().filter(|c| !known.contains(c)).collect();
        assert!(stray.is_empty(), "pages of no code: {stray:?}");
        for (code, page) in pages::PAGES {
            assert!(
                page.starts_with(&format!("# `{code}`\n\nSeverity: ")),
                "{code}: a page starts with its code and a `Severity: … · Hook: …` line"
            );
        }
    }

    #[test]
    fn the_generated_index_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/codes/README.md");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, index()).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == index(),
            "docs/codes/README.md is stale: run `UPDATE_DOCS=1 cargo test --lib explain`"
        );
    }
}
