//! The finding for a pin whose artifact the lane before never pinned: one wording for the
//! check of a commit and for the history audit.

use gix::ObjectId;
use guardrails_report::Diagnostic;

use crate::codes;

/// What the finding says.
pub(crate) struct Facts<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub tag: &'a str,
    pub digest: Option<&'a str>,
    pub image: &'a str,
    pub artifact: &'a str,
    /// The digest lane FROM ran for the same build, when it is another.
    pub other_digest: Option<&'a str>,
    /// Lane FROM's last pins, most recently held first: tag, the commit that brought it,
    /// its time.
    pub last_pins: &'a [(String, ObjectId, i64)],
    /// The history is cut: how many commits were seen and whether by a shallow clone.
    pub blind: Option<(usize, bool)>,
    /// The commit that made the change, for findings about the history.
    pub commit: Option<ObjectId>,
}

/// `promotion::unstaged-artifact` (error), or `promotion::cannot-know` (warning) when the
/// history at hand is cut.
pub(crate) fn diagnostic(facts: &Facts<'_>) -> Diagnostic {
    let Facts { from, to, tag, .. } = facts;
    let mut what = match facts.other_digest {
        Some(other) => format!(
            "lane `{to}` pins `{tag}` with digest `{}`, but the artifact `{}` lane `{from}` ran \
             is `{other}`: not the image that was tested",
            facts.digest.unwrap_or_default(),
            facts.artifact
        ),
        None => format!(
            "lane `{to}` pins `{tag}`, an artifact (`{}`) lane `{from}` never pinned for `{}`",
            facts.artifact, facts.image
        ),
    };
    if let Some(commit) = &facts.commit {
        what.push_str(&format!(" (commit {})", short(commit)));
    }
    let recent = if facts.last_pins.is_empty() {
        format!("lane `{from}` pinned no tag of this image before")
    } else {
        let listed: Vec<String> = facts
            .last_pins
            .iter()
            .map(|(tag, commit, time)| {
                format!("`{tag}` (commit {}, {})", short(commit), date(*time))
            })
            .collect();
        format!("lane `{from}`'s last pins: {}", listed.join(", "))
    };
    let diagnostic = match facts.blind {
        Some((commits, shallow)) => Diagnostic::warning(
            codes::CANNOT_KNOW,
            format!(
                "{what} in the history at hand ({commits} commits{}): whether it ran there \
                 earlier cannot be known",
                if shallow {
                    ", a shallow clone"
                } else {
                    ", the walk's limit"
                }
            ),
        )
        .with_help(format!(
            "fetch the full history (`git fetch --unshallow`) and run again; {recent}"
        )),
        None => Diagnostic::error(codes::UNSTAGED_ARTIFACT, what).with_help(format!(
            "promotion retags the artifact lane `{from}` tested; pin the `{to}` tag of one it \
             ran. {recent}"
        )),
    };
    match &facts.commit {
        Some(commit) => diagnostic.with_commit(commit.to_string()),
        None => diagnostic,
    }
}

/// A commit as people cite it.
pub fn short(id: &ObjectId) -> String {
    id.to_hex_with_len(7).to_string()
}

/// A commit time as a day (`2026-12-08`).
pub fn date(seconds: i64) -> String {
    gix::date::Time::new(seconds, 0)
        .format(gix::date::time::format::SHORT)
        .unwrap_or_else(|_| seconds.to_string())
}
