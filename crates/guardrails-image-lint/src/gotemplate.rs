//! Just enough of Go's text/template lexer and parser to tell whether an
//! ImageUpdateAutomation `git.commit.messageTemplate` parses, and whether it reads the
//! removed `.Updated` field.
//!
//! image-automation-controller parses the template with `template.New("commit message")
//! .Parse(...)` and executes it with `.AutomationObject`, `.Changed` and `.Values`; the
//! `.Updated` data was removed in v1 (docs "Removal Note"), so a template using it fails
//! and the automation stalls.

/// One problem, at `offset..offset + len` (bytes) of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    /// `true` for `.Updated`, `false` for a parse error.
    pub updated: bool,
}

/// Go's control keywords that open a block closed by `{{end}}`.
const OPENERS: &[&str] = &["if", "range", "with", "define", "block"];

pub fn check(template: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let bytes = template.as_bytes();
    let mut stack: Vec<(&str, usize)> = Vec::new();
    let mut i = 0;
    while let Some(found) = template[i..].find("{{") {
        let open = i + found;
        let mut j = open + 2;
        // `{{- ` trims the preceding space; the `-` must be followed by a space.
        if bytes.get(j) == Some(&b'-') && bytes.get(j + 1).is_some_and(u8::is_ascii_whitespace) {
            j += 2;
        }
        // Comments: `{{/* … */}}`, nothing else allowed in the action.
        let rest = &template[j..];
        if rest.trim_start().starts_with("/*") {
            match rest.find("*/") {
                Some(end) => {
                    let after = j + end + 2;
                    match template[after..].find("}}") {
                        Some(close) => {
                            i = after + close + 2;
                            continue;
                        }
                        None => {
                            problems.push(unclosed(open, template.len()));
                            return problems;
                        }
                    }
                }
                None => {
                    problems.push(Problem {
                        offset: open,
                        len: template.len() - open,
                        message: "unclosed comment".to_owned(),
                        updated: false,
                    });
                    return problems;
                }
            }
        }
        // Scan the action to its `}}`, skipping string, raw string and char literals.
        let mut k = j;
        let mut code = String::new();
        let close = loop {
            let Some(&b) = bytes.get(k) else {
                break None;
            };
            match b {
                b'"' | b'\'' => {
                    k += 1;
                    while let Some(&c) = bytes.get(k) {
                        if c == b'\\' {
                            k += 2;
                            continue;
                        }
                        k += 1;
                        if c == b {
                            break;
                        }
                        if c == b'\n' {
                            break;
                        }
                    }
                    code.push(' ');
                }
                b'`' => {
                    k += 1;
                    while let Some(&c) = bytes.get(k) {
                        k += 1;
                        if c == b'`' {
                            break;
                        }
                    }
                    code.push(' ');
                }
                b'}' if bytes.get(k + 1) == Some(&b'}') => break Some(k),
                _ => {
                    // Multi-byte characters are copied whole.
                    let ch_len = template[k..].chars().next().map_or(1, char::len_utf8);
                    code.push_str(&template[k..k + ch_len]);
                    k += ch_len;
                }
            }
        };
        let Some(close) = close else {
            problems.push(unclosed(open, template.len()));
            return problems;
        };
        let code = code
            .trim_end()
            .strip_suffix(" -")
            .unwrap_or(code.trim_end());
        let code = code.trim();
        for (at, _) in code.match_indices(".Updated") {
            let next = code[at + ".Updated".len()..].chars().next();
            if next.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                problems.push(Problem {
                    offset: open,
                    len: close + 2 - open,
                    message: "`.Updated` was removed from the commit message data in \
                              image-automation-controller v1; use `.Changed`"
                        .to_owned(),
                    updated: true,
                });
                break;
            }
        }
        let keyword = code
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or("");
        if let Some(opener) = OPENERS.iter().find(|o| **o == keyword) {
            stack.push((opener, open));
        } else if keyword == "end" {
            if stack.pop().is_none() {
                problems.push(Problem {
                    offset: open,
                    len: close + 2 - open,
                    message: "unexpected {{end}}".to_owned(),
                    updated: false,
                });
            }
        } else if keyword == "else"
            && !stack
                .last()
                .is_some_and(|(o, _)| matches!(*o, "if" | "range" | "with"))
        {
            problems.push(Problem {
                offset: open,
                len: close + 2 - open,
                message: "unexpected {{else}}".to_owned(),
                updated: false,
            });
        }
        i = close + 2;
    }
    if let Some((opener, at)) = stack.last() {
        problems.push(Problem {
            offset: *at,
            len: 2 + opener.len(),
            message: format!("unexpected EOF: `{{{{{opener}}}}}` has no `{{{{end}}}}`"),
            updated: false,
        });
    }
    problems
}

fn unclosed(open: usize, end: usize) -> Problem {
    Problem {
        offset: open,
        len: end - open,
        message: "unclosed action: `{{` without `}}`".to_owned(),
        updated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(t: &str) -> Vec<String> {
        check(t).into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn valid_templates() {
        assert!(check("Update image\n\n[ci skip]").is_empty());
        assert!(
            check(
                "Automated update\n{{ range $file, $changes := .Changed.FileChanges -}}\n- {{ $file }}\n{{ end -}}"
            )
            .is_empty()
        );
        assert!(check("{{/* a comment */}}x").is_empty());
        assert!(check("{{ \"}}\" }}").is_empty(), "braces inside strings");
        assert!(check("{{ if .Values }}a{{ else }}b{{ end }}").is_empty());
        assert!(check("text with }} is literal").is_empty());
    }

    #[test]
    fn updated_is_reported() {
        let problems = check("{{range .Updated.Images}}{{println .}}{{end}}");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].updated);
        assert!(check("{{ .UpdatedAt }}").iter().all(|p| !p.updated));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            messages("Update {{ .Changed"),
            vec!["unclosed action: `{{` without `}}`"]
        );
        assert_eq!(
            messages("{{ range .Changed.Changes }}x"),
            vec!["unexpected EOF: `{{range}}` has no `{{end}}`"]
        );
        assert_eq!(messages("x{{ end }}"), vec!["unexpected {{end}}"]);
    }
}
