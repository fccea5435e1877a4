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

/// Parses pre-push stdin, skipping blank and malformed lines (git never writes those; a
/// person piping text in gets what could be read).
pub fn parse_push_lines(stdin: &str) -> Vec<RefUpdate> {
    stdin
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let update = RefUpdate {
                local_ref: words.next()?.to_owned(),
                local_oid: words.next()?.to_owned(),
                remote_ref: words.next()?.to_owned(),
                remote_oid: words.next()?.to_owned(),
            };
            words.next().is_none().then_some(update)
        })
        .collect()
}
