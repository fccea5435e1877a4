//! Setter markers: the `# {"$imagepolicy": "<ns>:<name>[:tag|:name|:digest]"}` comments
//! image-automation-controller rewrites values at.
//!
//! kyaml's `fieldmeta.Read` (kyaml/fieldmeta/fieldmeta.go) takes a scalar's line comment
//! (its head comment only when there is no line comment), trims the leading `#`
//! characters and `json.Unmarshal`s the rest into `map[string]string`; any failure means
//! "not a marker", silently. The setter names image-automation-controller registers per
//! ImagePolicy (internal/update/setters.go) are exactly `<ns>:<name>`, `<ns>:<name>:tag`,
//! `<ns>:<name>:name` and `<ns>:<name>:digest`; any other value matches no setter and the
//! marker is a no-op.

/// The JSON key of a setter marker (`constants.SetterShortHand`).
pub const TOKEN: &str = "$imagepolicy";

/// Which part of the policy's latest image the setter writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suffix {
    /// `<ns>:<name>`: `name:tag`, plus `@digest` when the policy reflects digests.
    Full,
    /// `:tag`
    Tag,
    /// `:name`
    Name,
    /// `:digest`
    Digest,
}

impl Suffix {
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::Full => "",
            Suffix::Tag => ":tag",
            Suffix::Name => ":name",
            Suffix::Digest => ":digest",
        }
    }
}

/// A well-formed marker's reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetterRef {
    pub namespace: String,
    pub name: String,
    pub suffix: Suffix,
}

impl SetterRef {
    pub fn display(&self) -> String {
        format!("{}:{}{}", self.namespace, self.name, self.suffix.as_str())
    }
}

/// Why a comment holding `$imagepolicy` is not a marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub help: String,
}

fn invalid(message: impl Into<String>, help: impl Into<String>) -> Invalid {
    Invalid {
        message: message.into(),
        help: help.into(),
    }
}

const EXAMPLE: &str = r#"# {"$imagepolicy": "<namespace>:<policy>:tag"}"#;

/// Reads a comment (starting at its first `#`) as image-automation-controller does.
/// `Ok(None)`: not about markers at all.
pub fn parse_comment(comment: &str) -> Result<Option<SetterRef>, Invalid> {
    if !comment.contains(TOKEN) {
        return Ok(None);
    }
    let body = comment.trim_start_matches('#');
    let pairs = match parse_json_object(body) {
        Ok(pairs) => pairs,
        Err(error) => {
            let message = match error {
                JsonError::SingleQuotes => {
                    "the marker uses single quotes; it must be JSON with double quotes".to_owned()
                }
                JsonError::TrailingText(text) => format!(
                    "text after the marker's closing `}}` (`{}`) makes it invalid JSON",
                    text.trim()
                ),
                JsonError::NotObject => "the marker is not a JSON object".to_owned(),
                JsonError::NotString(key) => format!(
                    "the marker's `{key}` value is not a string; kyaml reads markers as a map of strings"
                ),
                JsonError::Syntax(what) => format!("the marker is not valid JSON: {what}"),
            };
            return Err(invalid(
                format!("{message}: image-automation-controller ignores it"),
                format!(
                    "write the comment as exactly `{EXAMPLE}` after the value, with nothing after the `}}`"
                ),
            ));
        }
    };
    // Go's json.Unmarshal into a map keeps the last duplicate key.
    let Some(value) = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == TOKEN)
        .map(|(_, v)| v.clone())
    else {
        return Err(invalid(
            format!("the comment mentions `{TOKEN}` but has no `\"{TOKEN}\"` key"),
            format!("write `{EXAMPLE}`"),
        ));
    };
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(invalid(
            format!("the marker's `{TOKEN}` value is empty"),
            format!("write `{EXAMPLE}`"),
        ));
    };
    parse_reference(&value).map(Some)
}

/// `<ns>:<name>[:tag|:name|:digest]`.
pub fn parse_reference(value: &str) -> Result<SetterRef, Invalid> {
    let setters_help = |ns: &str, name: &str| {
        format!(
            "image-automation-controller registers only `{ns}:{name}`, `{ns}:{name}:tag`, \
             `{ns}:{name}:name` and `{ns}:{name}:digest`"
        )
    };
    if value.chars().any(char::is_whitespace) {
        return Err(invalid(
            format!("the marker value `{value}` contains whitespace, so it names no setter"),
            "write `<namespace>:<policy>` without spaces".to_owned(),
        ));
    }
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() == 1 {
        if let Some((ns, name)) = value.split_once('/') {
            return Err(invalid(
                format!("the marker value `{value}` separates namespace and name with `/`"),
                format!(
                    "use `{ns}:{name}`: a `/` would be read as a JSON pointer path, and {}",
                    setters_help(ns, name)
                ),
            ));
        }
        return Err(invalid(
            format!("the marker value `{value}` has no namespace"),
            format!(
                "the namespace is mandatory (there is no default): write `<namespace>:{value}`"
            ),
        ));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            format!("the marker value `{value}` has an empty part"),
            "write `<namespace>:<policy>`, optionally followed by `:tag`, `:name` or `:digest`"
                .to_owned(),
        ));
    }
    if parts.iter().any(|p| p.contains('/')) {
        return Err(invalid(
            format!("the marker value `{value}` contains `/`"),
            setters_help(parts[0], parts[1]),
        ));
    }
    let suffix = match parts.get(2) {
        None => Suffix::Full,
        Some(&"tag") => Suffix::Tag,
        Some(&"name") => Suffix::Name,
        Some(&"digest") => Suffix::Digest,
        Some(other) => {
            return Err(invalid(
                format!("the marker value `{value}` has the unknown suffix `:{other}`"),
                setters_help(parts[0], parts[1]),
            ));
        }
    };
    if parts.len() > 3 {
        return Err(invalid(
            format!("the marker value `{value}` has too many `:`-separated parts"),
            setters_help(parts[0], parts[1]),
        ));
    }
    Ok(SetterRef {
        namespace: parts[0].to_owned(),
        name: parts[1].to_owned(),
        suffix,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum JsonError {
    SingleQuotes,
    TrailingText(String),
    NotObject,
    NotString(String),
    Syntax(String),
}

/// Go's `json.Unmarshal(comment, &map[string]string{})`: a JSON object whose values are
/// strings (or `null`, which Go leaves as the zero value), with only whitespace around it.
/// Returns the pairs in order; `None` values are `null`.
fn parse_json_object(text: &str) -> Result<Vec<(String, Option<String>)>, JsonError> {
    let mut p = Json {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    match p.peek() {
        Some(b'{') => p.i += 1,
        Some(b'\'') => return Err(JsonError::SingleQuotes),
        _ => return Err(JsonError::NotObject),
    }
    let mut pairs = Vec::new();
    let mut type_error = None;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let key = match p.peek() {
                Some(b'"') => p.string()?,
                Some(b'\'') => return Err(JsonError::SingleQuotes),
                _ => return Err(JsonError::Syntax("expected a double-quoted key".to_owned())),
            };
            p.ws();
            if p.peek() != Some(b':') {
                return Err(JsonError::Syntax(format!("expected `:` after \"{key}\"")));
            }
            p.i += 1;
            p.ws();
            match p.peek() {
                Some(b'"') => {
                    let value = p.string()?;
                    pairs.push((key, Some(value)));
                }
                Some(b'\'') => return Err(JsonError::SingleQuotes),
                Some(b'n') if p.s[p.i..].starts_with(b"null") => {
                    p.i += 4;
                    pairs.push((key, None));
                }
                Some(_) => {
                    // Go keeps decoding after a type mismatch and reports it at the end.
                    p.skip_value()?;
                    type_error.get_or_insert(key);
                }
                None => return Err(JsonError::Syntax("unexpected end of comment".to_owned())),
            }
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => {
                    return Err(JsonError::Syntax(
                        "expected `,` or `}` after a value".to_owned(),
                    ));
                }
            }
        }
    }
    p.ws();
    if p.i < p.s.len() {
        return Err(JsonError::TrailingText(
            String::from_utf8_lossy(&p.s[p.i..]).into_owned(),
        ));
    }
    if let Some(key) = type_error {
        return Err(JsonError::NotString(key));
    }
    Ok(pairs)
}

struct Json<'a> {
    s: &'a [u8],
    i: usize,
}

impl Json<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        // At the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(JsonError::Syntax("unterminated string".to_owned()));
            };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(JsonError::Syntax("unterminated string".to_owned()));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = self
                                .s
                                .get(self.i..self.i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .ok_or_else(|| {
                                    JsonError::Syntax("invalid \\u escape".to_owned())
                                })?;
                            self.i += 4;
                            let c = char::from_u32(hex).unwrap_or('\u{fffd}');
                            let mut buf = [0; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            return Err(JsonError::Syntax(format!(
                                "invalid escape `\\{}`",
                                e as char
                            )));
                        }
                    }
                }
                c if c < 0x20 => {
                    return Err(JsonError::Syntax("control character in string".to_owned()));
                }
                c => out.push(c),
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Skips a number, `true`, `false`, an array or an object (values that are not strings).
    fn skip_value(&mut self) -> Result<(), JsonError> {
        let mut depth = 0usize;
        loop {
            self.ws();
            match self.peek() {
                None => return Err(JsonError::Syntax("unexpected end of comment".to_owned())),
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.i += 1;
                    continue;
                }
                Some(b'}' | b']') if depth > 0 => {
                    depth -= 1;
                    self.i += 1;
                }
                Some(b',' | b':') if depth > 0 => {
                    self.i += 1;
                    continue;
                }
                Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.') => {
                    let start = self.i;
                    while self.peek().is_some_and(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')
                    }) {
                        self.i += 1;
                    }
                    let word = &self.s[start..self.i];
                    let number = word[0] == b'-' || word[0].is_ascii_digit();
                    if !(number || matches!(word, b"true" | b"false" | b"null")) {
                        return Err(JsonError::Syntax(format!(
                            "invalid literal `{}`",
                            String::from_utf8_lossy(word)
                        )));
                    }
                }
                Some(c) => {
                    return Err(JsonError::Syntax(format!(
                        "unexpected character `{}`",
                        c as char
                    )));
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(comment: &str) -> SetterRef {
        parse_comment(comment).unwrap().unwrap()
    }

    fn err(comment: &str) -> String {
        parse_comment(comment).unwrap_err().message
    }

    #[test]
    fn markers() {
        assert_eq!(
            ok(r#"# {"$imagepolicy": "production:backend:tag"}"#),
            SetterRef {
                namespace: "production".into(),
                name: "backend".into(),
                suffix: Suffix::Tag
            }
        );
        assert_eq!(ok(r#"#{"$imagepolicy":"a:b"}"#).suffix, Suffix::Full);
        assert_eq!(
            ok(r#"## {"$imagepolicy": "a:b:name"}  "#).suffix,
            Suffix::Name
        );
        assert_eq!(
            ok(r#"# {"note": "x", "$imagepolicy": "a:b:digest"}"#).suffix,
            Suffix::Digest
        );
        assert_eq!(parse_comment("# just a comment"), Ok(None));
    }

    #[test]
    fn invalid_markers() {
        assert!(err(r#"# {'$imagepolicy': 'a:b'}"#).contains("single quotes"));
        assert!(err(r#"# {"$imagepolicy": "a:b"} # pinned"#).contains("text after"));
        assert!(err(r#"# $imagepolicy: a:b"#).contains("not a JSON object"));
        assert!(err(r#"# {"$imagepolicy": "a:b", "n": 1}"#).contains("not a string"));
        assert!(err(r#"# {"$imagepolicy": "backend"}"#).contains("no namespace"));
        assert!(err(r#"# {"$imagepolicy": "prod/backend"}"#).contains("`/`"));
        assert!(err(r#"# {"$imagepolicy": "prod:backend:version"}"#).contains("unknown suffix"));
        assert!(err(r#"# {"$imagepolicy": "prod::tag"}"#).contains("empty part"));
        assert!(err(r#"# {"$imagepolicy": ""}"#).contains("empty"));
        assert!(err(r#"# {"$imagepolicy": "a:b:tag:x"}"#).contains("too many"));
        assert!(err(r#"# {"$imagepolicy": "a: b"}"#).contains("whitespace"));
        assert!(err(r#"# {"$imagepolicy" "a:b"}"#).contains("not valid JSON"));
    }
}
