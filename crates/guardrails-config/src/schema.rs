//! The JSON Schema of the configuration file, for editors (YAML language servers read it
//! through a `# yaml-language-server: $schema=...` comment or their settings).

use serde_json::{Value, json};

use crate::file::{HookSpec, OptionKind};

/// The schema of a file for `hooks`, whose codes are `known_codes`, as pretty JSON text.
pub fn json_schema(hooks: &[HookSpec], known_codes: &[&str]) -> String {
    let mut text = serde_json::to_string_pretty(&schema(hooks, known_codes)).unwrap_or_default();
    text.push('\n');
    text
}

fn schema(hooks: &[HookSpec], known_codes: &[&str]) -> Value {
    let mut families: Vec<String> = known_codes
        .iter()
        .filter_map(|code| {
            code.split_once("::")
                .map(|(family, _)| format!("{family}::*"))
        })
        .collect();
    families.sort();
    families.dedup();
    let mut codes: Vec<String> = known_codes.iter().map(|c| (*c).to_owned()).collect();
    codes.sort();
    codes.extend(families);
    let code_list = json!({
        "description": "Diagnostic codes, or `family::*` for every code of a family.",
        "oneOf": [
            {"type": "array", "items": {"$ref": "#/$defs/code"}},
            {"$ref": "#/$defs/code"}
        ]
    });
    let mut properties = serde_json::Map::new();
    properties.insert(
        "ignore".to_owned(),
        json!({"description": "Codes never reported.", "$ref": "#/$defs/codes"}),
    );
    properties.insert(
        "per-path-ignores".to_owned(),
        json!({
            "description": "Codes not reported for repository-relative paths matching a glob.",
            "type": "object",
            "additionalProperties": {"$ref": "#/$defs/codes"}
        }),
    );
    for hook in hooks {
        let mut options = serde_json::Map::new();
        for option in &hook.options {
            let mut value = match option.kind {
                OptionKind::Switch => json!({"type": "boolean"}),
                OptionKind::One => scalar(&option.choices),
                OptionKind::Many => {
                    json!({"oneOf": [{"type": "array", "items": scalar(&option.choices)}, scalar(&option.choices)]})
                }
            };
            if let Some(map) = value.as_object_mut() {
                map.insert("description".to_owned(), Value::String(option.help.clone()));
            }
            options.insert(option.name.clone(), value);
        }
        properties.insert(
            hook.name.clone(),
            json!({
                "description": format!("Options of {} (its long command-line options; the command line wins).", hook.name),
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": options
            }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "gitops-guardrails configuration (.gitops-guardrails.yaml)",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": properties,
        "$defs": {
            "code": {"type": "string", "enum": codes},
            "codes": code_list
        }
    })
}

/// A string (any, or one of `choices`); numbers are accepted where YAML would read them.
fn scalar(choices: &[String]) -> Value {
    if choices.is_empty() {
        json!({"type": ["string", "number"]})
    } else {
        json!({"type": "string", "enum": choices})
    }
}
