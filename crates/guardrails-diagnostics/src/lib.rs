//! What every check of the suite shares, with no dependency: the severity of a finding and
//! "did you mean …?" suggestions. The rule crates (image automation, Flux APIs) emit this
//! `Severity` and the report crate renders it, so there is nothing to map between them.

pub mod suggest;

/// How serious a finding is. Only errors make a hook fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something the hook refuses: exit status 1 (the controller or the API server
    /// rejects the object, or the promotion path silently stops working).
    Error,
    /// Worth fixing, but never blocks: very likely wrong, or works only by luck.
    Warning,
    /// What was checked, or why nothing was: shown so nobody has to guess.
    Advice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        }
    }
}
