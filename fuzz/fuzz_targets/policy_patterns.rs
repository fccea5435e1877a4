//! guardrails-regex: ImagePolicy tag filters through the Go-compatibility pass, and the
//! language questions the lane checks ask. Lines of the input: pattern, second pattern,
//! tag, extract template. A witness the intersection returns is kept by both patterns.
#![no_main]

use guardrails_regex::{GoTarget, Limits, accepts, accepts_prefix, intersect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = gitops_guardrails_fuzz::lines(data);
    let field = |i: usize| lines.get(i).map_or("", String::as_str);
    let (a, b, tag, extract) = (field(0), field(1), field(2), field(3));
    for target in [GoTarget::go(20), GoTarget::LATEST] {
        if let Ok(re) = guardrails_regex::check_go_syntax(a, target) {
            let _ = re.anchoring();
            let _ = re.rust_regex_compatible();
            let _ = re.go_only_constructs();
            let accepted = re.accepts(tag);
            if let Ok(matcher) = re.matcher(Limits::default()) {
                assert_eq!(
                    matcher.accepts(tag),
                    accepted,
                    "matcher and pattern disagree"
                );
            }
        }
    }
    let _ = guardrails_regex::anchoring(a);
    let _ = guardrails_regex::check_extract(a, extract);
    let _ = guardrails_regex::value_shape(a, extract);
    let _ = guardrails_regex::divergences(a);
    if let Ok(Some(witness)) = intersect(a, b, Limits::default()) {
        assert!(
            accepts(a, &witness),
            "witness `{witness}` not kept by the first pattern"
        );
        assert!(
            accepts(b, &witness),
            "witness `{witness}` not kept by the second pattern"
        );
    }
    if let Ok(Some(witness)) = accepts_prefix(a, tag) {
        assert!(
            witness.starts_with(tag),
            "witness `{witness}` lacks the prefix"
        );
        assert!(
            accepts(a, &witness),
            "witness `{witness}` not kept by the pattern"
        );
    }
});
