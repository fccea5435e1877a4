//! guardrails-context: git's pre-push stdin. Anything is either every ref update, each
//! with full object ids, or one malformed line the guards refuse (exit 2); never a
//! silently shorter list.
#![no_main]

use guardrails_context::{is_zero_oid, parse_push_lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let full =
        |oid: &str| matches!(oid.len(), 40 | 64) && oid.bytes().all(|b| b.is_ascii_hexdigit());
    match parse_push_lines(text) {
        Ok(updates) => {
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            assert_eq!(updates.len(), lines, "a line was dropped");
            for update in &updates {
                assert!(full(&update.local_oid) && full(&update.remote_oid));
                assert_eq!(update.is_deletion(), is_zero_oid(&update.local_oid));
                let _ = update.remote_branch();
            }
        }
        Err(malformed) => {
            assert!(malformed.line >= 1 && malformed.line <= text.lines().count());
            let _ = malformed.to_string();
        }
    }
});
