use std::fmt;
use std::str::FromStr;

/// A Flux release line, `MAJOR.MINOR`. The patch number never changes which API versions
/// are served, so it is accepted when parsing and then dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FluxVersion {
    pub major: u32,
    pub minor: u32,
}

impl FluxVersion {
    /// The current Flux release line: Flux 2.9 (2026-06).
    pub const CURRENT: FluxVersion = FluxVersion::new(2, 9);

    pub const fn new(major: u32, minor: u32) -> Self {
        FluxVersion { major, minor }
    }
}

impl Default for FluxVersion {
    fn default() -> Self {
        FluxVersion::CURRENT
    }
}

impl fmt::Display for FluxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A string that is not a Flux version such as `2.9`, `v2.9` or `2.9.1`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid Flux version `{input}`: expected MAJOR.MINOR such as `2.9` (a leading `v` and a patch number are accepted)"
)]
pub struct ParseFluxVersionError {
    input: String,
}

impl FromStr for FluxVersion {
    type Err = ParseFluxVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseFluxVersionError {
            input: s.to_owned(),
        };
        let trimmed = s.trim();
        let bare = trimmed
            .strip_prefix('v')
            .or_else(|| trimmed.strip_prefix('V'))
            .unwrap_or(trimmed);
        let mut parts = bare.splitn(3, '.');
        let major = parts.next().and_then(number).ok_or_else(error)?;
        let minor = parts.next().and_then(number).ok_or_else(error)?;
        if let Some(patch) = parts.next() {
            // `2.9.1`, and release tags such as `2.9.0-rc.1` or `2.9.1+build`: the digits
            // must be there, anything after a `-` or `+` belongs to the tag.
            let digits = patch.len() - patch.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let rest = &patch[digits..];
            if digits == 0 || !(rest.is_empty() || rest.starts_with(['-', '+'])) {
                return Err(error());
            }
        }
        Ok(FluxVersion::new(major, minor))
    }
}

fn number(part: &str) -> Option<u32> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}
