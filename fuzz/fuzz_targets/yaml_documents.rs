//! guardrails-yaml: any text is parsed or refused within its limits, and every node the
//! parser returns has a span inside the text.
#![no_main]

use guardrails_yaml::{Limits, Node, Value, parse_documents};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Small limits too, so the refusals (depth, aliases, nodes) are exercised.
    let small = Limits {
        max_depth: 8,
        max_nodes: 200,
        max_aliases: 4,
        max_documents: 4,
        max_alias_replay: 50,
        ..Limits::default()
    };
    for limits in [Limits::default(), small] {
        if let Ok(docs) = parse_documents(text, &limits) {
            assert!(docs.len() <= limits.max_documents);
            for doc in &docs {
                visit(doc, text, 0);
            }
        }
    }
});

fn visit(node: &Node, text: &str, depth: usize) {
    assert!(depth <= 256, "deeper than any limit allows");
    let span = node.span;
    assert!(span.offset <= text.len(), "span starts past the text");
    assert!(
        span.line >= 1 && span.column >= 1,
        "lines and columns are 1-based"
    );
    let _ = node.value.type_name();
    let _ = node.scalar_text();
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| visit(n, text, depth + 1)),
        Value::Map(entries) => {
            for (key, value) in entries {
                visit(key, text, depth + 1);
                visit(value, text, depth + 1);
                if let Some(name) = key.as_str() {
                    assert!(
                        node.get(name).is_some(),
                        "a key found by iteration is found by get"
                    );
                }
            }
        }
        _ => {}
    }
}
