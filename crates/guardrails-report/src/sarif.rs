//! SARIF 2.1.0 (OASIS), the format GitHub code scanning and other CI dashboards read: one
//! document per run, with the hook as the tool, one rule per diagnostic code and one result
//! per diagnostic.

use serde::Serialize;

use crate::{Diagnostic, Severity};

/// The hook that produced a run, as SARIF's `tool.driver` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
struct Run {
    tool: ToolComponent,
    results: Vec<SarifResult>,
    /// Where relative artifact URIs start: the repository's top level.
    #[serde(rename = "originalUriBaseIds")]
    original_uri_base_ids: serde_json::Value,
}

#[derive(Serialize)]
struct ToolComponent {
    driver: Driver,
}

#[derive(Serialize)]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Rule {
    id: &'static str,
    #[serde(rename = "shortDescription")]
    short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Text>,
    #[serde(rename = "defaultConfiguration")]
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct SarifResult {
    #[serde(rename = "ruleId")]
    rule_id: &'static str,
    #[serde(rename = "ruleIndex")]
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct Location {
    #[serde(rename = "physicalLocation")]
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
struct PhysicalLocation {
    #[serde(rename = "artifactLocation")]
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
    #[serde(rename = "uriBaseId")]
    uri_base_id: &'static str,
}

#[derive(Serialize)]
struct Region {
    #[serde(rename = "startLine")]
    start_line: usize,
    #[serde(rename = "startColumn")]
    start_column: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "note",
    }
}

/// A repository-relative path as a relative URI reference (RFC 3986): `/`-separated, with
/// everything outside the unreserved characters percent-encoded.
fn relative_uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// The whole run as one SARIF document (valid with no diagnostic at all: an empty run says
/// the hook ran and found nothing).
pub(crate) fn document<'a>(
    tool: Tool,
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
) -> String {
    let mut rules: Vec<Rule> = Vec::new();
    let mut results = Vec::new();
    for diagnostic in diagnostics {
        let rule_index = match rules.iter().position(|r| r.id == diagnostic.code) {
            Some(index) => index,
            None => {
                rules.push(Rule {
                    id: diagnostic.code,
                    short_description: Text {
                        text: diagnostic.code.to_owned(),
                    },
                    help: diagnostic
                        .help
                        .as_ref()
                        .map(|help| Text { text: help.clone() }),
                    default_configuration: Configuration {
                        level: level(diagnostic.severity),
                    },
                });
                rules.len() - 1
            }
        };
        let mut message = diagnostic.full_message();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let locations = diagnostic
            .file()
            .map(|file| Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: relative_uri(file),
                        uri_base_id: "%SRCROOT%",
                    },
                    region: diagnostic.location().map(|l| Region {
                        start_line: l.line,
                        start_column: l.column,
                    }),
                },
            })
            .into_iter()
            .collect();
        results.push(SarifResult {
            rule_id: diagnostic.code,
            rule_index,
            level: level(diagnostic.severity),
            message: Text { text: message },
            locations,
        });
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: ToolComponent {
                driver: Driver {
                    name: tool.name,
                    version: tool.version,
                    rules,
                },
            },
            results,
            original_uri_base_ids: serde_json::json!({
                "%SRCROOT%": { "description": { "text": "The repository's top level." } }
            }),
        }],
    };
    // Plain strings and numbers: serialising cannot fail.
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    #[test]
    fn one_rule_per_code_and_one_result_per_diagnostic_at_its_line() {
        let source = SourceFile::new("apps/my app/k.yaml", "a: 1\nimage: web:latest\n");
        let first = Diagnostic::error("image::mutable-tag", "mutable tag `latest`")
            .with_span(source.clone(), 5, 17, None)
            .with_help("pin an immutable tag");
        let second =
            Diagnostic::error("image::mutable-tag", "again").with_path("apps/my app/k.yaml");
        let third = Diagnostic::warning("flux::orphan", "unused");
        let text = document(
            Tool {
                name: "flux-kustomize-validate",
                version: "0.1.0",
            },
            [&first, &second, &third],
        );
        let log: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["name"], "flux-kustomize-validate");
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["help"]["text"], "pin an immutable tag");
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), 3);
        assert_eq!(results[1]["ruleIndex"], 0);
        assert_eq!(results[2]["ruleIndex"], 1);
        assert_eq!(results[2]["level"], "warning");
        let location = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "apps/my%20app/k.yaml");
        assert_eq!(location["region"]["startLine"], 2);
        assert!(results[2].get("locations").is_none());
    }

    #[test]
    fn a_run_without_findings_is_an_empty_run() {
        let text = document(
            Tool {
                name: "master-check",
                version: "0.1.0",
            },
            [],
        );
        let log: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    }
}
