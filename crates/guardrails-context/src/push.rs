//! git's pre-push stdin.

/// One line of git's pre-push stdin: `<local ref> <local oid> <remote ref> <remote oid>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefUpdate {
    /// `refs/heads/x`, `HEAD` (for `HEAD:main`), or `(delete)`.
    pub local_ref: String,
    pub local_oid: String,
    pub remote_ref: String,
    pub remote_oid: String,
}

impl RefUpdate {
    /// The push deletes `remote_ref` (`git push origin --delete x`, `:x`).
    pub fn is_deletion(&self) -> bool {
        is_zero_oid(&self.local_oid)
    }

    /// The push creates `remote_ref`.
    pub fn is_creation(&self) -> bool {
        is_zero_oid(&self.remote_oid)
    }

    /// The branch name of `remote_ref`, if it is a branch (`refs/heads/…`).
    pub fn remote_branch(&self) -> Option<&str> {
        self.remote_ref.strip_prefix("refs/heads/")
    }
}

/// An all-zero object id of any length: SHA-1 repositories use 40 zeros, SHA-256 ones 64.
pub fn is_zero_oid(oid: &str) -> bool {
    !oid.is_empty() && oid.bytes().all(|b| b == b'0')
}

/// A line of pre-push stdin that is not git's `<local ref> <local oid> <remote ref>
/// <remote oid>`: the guard cannot tell what is pushed, so it must not pass the push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedPushLine {
    /// 1-based line number.
    pub line: usize,
    pub reason: &'static str,
}

impl std::fmt::Display for MalformedPushLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} of git's pre-push input is not `<local ref> <local object> <remote ref> \
             <remote object>`: {}",
            self.line, self.reason
        )
    }
}

impl std::error::Error for MalformedPushLine {}

/// Parses pre-push stdin (githooks(5), "pre-push": one line per ref, four fields separated
/// by a space). Blank lines are skipped (a shim that echoes an empty push prints one);
/// anything else that is not such a line, or whose object ids are not full hexadecimal
/// SHA-1 or SHA-256 ids, is an error.
pub fn parse_push_lines(stdin: &str) -> Result<Vec<RefUpdate>, MalformedPushLine> {
    let mut updates = Vec::new();
    for (index, line) in stdin.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |reason| MalformedPushLine {
            line: index + 1,
            reason,
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_oid, remote_ref, remote_oid] = words[..] else {
            return Err(malformed(if words.len() < 4 {
                "fewer than four fields"
            } else {
                "more than four fields"
            }));
        };
        if !is_full_oid(local_oid) || !is_full_oid(remote_oid) {
            return Err(malformed(
                "an object id is not 40 (SHA-1) or 64 (SHA-256) hexadecimal digits",
            ));
        }
        updates.push(RefUpdate {
            local_ref: local_ref.to_owned(),
            local_oid: local_oid.to_owned(),
            remote_ref: remote_ref.to_owned(),
            remote_oid: remote_oid.to_owned(),
        });
    }
    Ok(updates)
}

/// A whole object id as git writes it on pre-push stdin.
fn is_full_oid(oid: &str) -> bool {
    matches!(oid.len(), 40 | 64) && oid.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_lines_parse_and_anything_else_is_an_error_naming_its_line() {
        let a = "a".repeat(40);
        let zero = "0".repeat(64);
        let good =
            format!("\nrefs/heads/x {a} refs/heads/x {a}\n(delete) {zero} refs/heads/y {zero}\n");
        let updates = parse_push_lines(&good).unwrap();
        assert_eq!(updates.len(), 2);
        assert!(updates[1].is_deletion());
        for (text, line) in [
            (format!("refs/heads/x {a} refs/heads/x\n"), 1),
            (
                format!("refs/heads/x {a} refs/heads/x {a}\nrefs/heads/y {a} refs/heads/y {a} z\n"),
                2,
            ),
            (format!("refs/heads/x {} refs/heads/x {a}\n", &a[..39]), 1),
            (format!("refs/heads/x {a} refs/heads/x {}g\n", &a[..39]), 1),
        ] {
            let err = parse_push_lines(&text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}");
            assert!(err.to_string().contains(&format!("line {line} ")));
        }
    }
}
