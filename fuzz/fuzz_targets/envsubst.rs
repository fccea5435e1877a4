//! guardrails-envsubst: Flux's postBuild substitution on any text, strict and not; every
//! problem it reports lies inside the text, on character boundaries.
#![no_main]

use guardrails_envsubst::{Options, scan, substitute};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vars = |name: &str| match name {
        "cluster" => Some("production".to_owned()),
        "empty" => Some(String::new()),
        "multibyte" => Some("żółw🐢".to_owned()),
        _ => None,
    };
    let in_text = |offset: usize, len: usize| {
        offset + len <= text.len()
            && text.is_char_boundary(offset)
            && text.is_char_boundary(offset + len)
    };
    let scanned = scan(text);
    let _ = scanned.is_clean();
    for expression in &scanned.expressions {
        assert!(
            in_text(expression.offset, expression.len),
            "{expression:?} outside the text"
        );
    }
    for problem in &scanned.problems {
        assert!(
            in_text(problem.offset, problem.len),
            "{problem:?} outside the text"
        );
    }
    for &escape in &scanned.escapes {
        assert!(
            text[escape..].starts_with("$$"),
            "escape at {escape} is no `$$`"
        );
    }
    for strict in [false, true] {
        if let Err(problems) = substitute(text, &vars, Options { strict }) {
            for problem in &problems {
                assert!(
                    in_text(problem.offset, problem.len),
                    "{problem:?} outside the text"
                );
                let _ = problem.flux_fails();
            }
        }
    }
});
