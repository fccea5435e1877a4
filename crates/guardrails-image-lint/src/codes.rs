//! The stable finding codes of the image automation lint: a public interface, documented in
//! the README's "Image automation rules" section and snapshot-tested, so a rename shows up in review.

/// `filterTags.pattern` or an ImageRepository `exclusionList` entry that Go's `regexp`
/// rejects (Error, Go's error text); a construct Go and Rust read differently (Warning);
/// `(?<name>…)` when targeting Flux before 2.3 (Error).
pub const INVALID_REGEX: &str = "image-policy::invalid-regex";
/// A tag filter without `^` (or without `$` when no `extract` is set): the unanchored
/// search keeps foreign tags. Error when the policy's lane is known, Warning otherwise.
pub const UNANCHORED: &str = "image-policy::unanchored";
/// `extract` naming a group the pattern does not define or nothing at all (Error), an
/// optional group (Warning); numerical values that can hold non-digits (Error) or more than
/// 15 digits (Warning); semver values that can never be `X.Y.Z` (Warning); more than one
/// policy choice (Warning).
pub const EXTRACT_GROUP: &str = "image-policy::extract-group";
/// An `alphabetical` policy whose values first differ in a commit SHA or a variable-width
/// number, so byte order is not age order. Warning.
pub const UNSORTABLE_TAGS: &str = "image-policy::unsortable-tags";
/// `order: desc` on a numerical policy, or on an alphabetical one over dates, timestamps or
/// build numbers: it selects the oldest tag. Warning.
pub const ORDER_DESC: &str = "image-policy::order-desc";
/// `semver.range` that Masterminds/semver v3 rejects (Error, its error text).
pub const SEMVER_RANGE: &str = "image-policy::semver-range";
/// A semver policy whose values, or pinned tags, are prereleases while its range has no
/// prerelease opt-in (`-0`). Warning.
pub const SEMVER_PRERELEASE: &str = "image-policy::semver-prerelease";
/// `interval` without `digestReflectionPolicy: Always`, or `Always` without `interval`. Error.
pub const INTERVAL_REFLECTION: &str = "image-policy::interval-reflection";
/// `${…}` in a tag filter, an `extract` or an ImageUpdateAutomation commit message
/// template, which Flux's postBuild substitution would replace. Warning.
pub const SUBSTITUTED: &str = "image-policy::substituted";
/// Two lanes' policies for one image can select the same tag, or a lane's policy accepts
/// another lane's tags (Error, with a witness tag); undecidable within budget (Warning).
pub const LANE_OVERLAP: &str = "image-policy::lane-overlap";
/// `imageRepositoryRef` names no ImageRepository, or crosses namespaces without an
/// `accessFrom` that admits the policy's namespace. Error.
pub const REPOSITORY_REF: &str = "image-policy::repository-ref";
/// An ImagePolicy that no setter marker uses. Warning.
pub const ORPHAN: &str = "image-policy::orphan";
/// ImageRepository `spec.image` with a URL scheme, a tag or a digest. Error.
pub const INVALID_IMAGE: &str = "image-repository::invalid-image";
/// ImageRepository `exclusionList` that drops the default `^.*\.sig$`. Warning.
pub const EXCLUSION_OVERRIDE: &str = "image-repository::exclusion-override";
/// A `$imagepolicy` comment image-automation-controller ignores. Error.
pub const SETTER_INVALID: &str = "setter::invalid";
/// A setter marker naming an ImagePolicy that does not exist in that namespace. Error.
pub const SETTER_UNKNOWN_POLICY: &str = "setter::unknown-policy";
/// A setter marker no ImageUpdateAutomation applies (Error); an automation whose
/// `update.path` is missing or leaves the repository (Error) or covers no marker (Warning).
pub const SETTER_NOT_AUTOMATED: &str = "setter::not-automated";
/// A setter marker on a field whose whole value the setter would replace wrongly. Error.
pub const SETTER_FIELD_SHAPE: &str = "setter::field-shape";
/// A kustomize or Flux `images[]` entry whose `name` matches no container image of the
/// render (Error); a static `digest` beside an automated `newTag` (Warning).
pub const UNMATCHED_IMAGES_ENTRY: &str = "image::unmatched-images-entry";
/// A kustomize `images[]` entry with a field kustomize does not know (`newDigest`), or that
/// is not a mapping. Error.
pub const UNKNOWN_FIELD: &str = "image::unknown-field";
/// A pinned or rendered tag that the lane's policy for that image does not accept, or a
/// marker pointing at another lane's policy. Error.
pub const LANE_MISMATCH: &str = "image::lane-mismatch";
/// A rendered workload using a mutable reference (`latest`, no tag, a lane alias) of an
/// image that an ImageRepository tracks. Error.
pub const MUTABLE_TAG: &str = "image::mutable-tag";
/// ImageUpdateAutomation `sourceRef` that is not a GitRepository of the repository. Error.
pub const AUTOMATION_SOURCE_REF: &str = "automation::source-ref";
/// ImageUpdateAutomation `update.strategy` other than `Setters`. Error.
pub const AUTOMATION_STRATEGY: &str = "automation::strategy";
/// `git.commit.messageTemplate` using the removed `.Updated`, or not a parsable Go
/// template. Error.
pub const AUTOMATION_TEMPLATE: &str = "automation::template";
/// Two ImageUpdateAutomations of one namespace write the same marked file. Warning.
pub const AUTOMATION_OVERLAP: &str = "automation::overlap";
/// An ImageUpdateAutomation whose `policySelector` selects none of the policies that the
/// markers under its `update.path` name. Warning.
pub const AUTOMATION_SELECTOR_EMPTY: &str = "automation::selector-empty";

/// Every code, in the order the README's "Image automation rules" section documents them.
pub const ALL: &[&str] = &[
    INVALID_REGEX,
    UNANCHORED,
    EXTRACT_GROUP,
    UNSORTABLE_TAGS,
    ORDER_DESC,
    SEMVER_RANGE,
    SEMVER_PRERELEASE,
    INTERVAL_REFLECTION,
    SUBSTITUTED,
    LANE_OVERLAP,
    REPOSITORY_REF,
    ORPHAN,
    INVALID_IMAGE,
    EXCLUSION_OVERRIDE,
    SETTER_INVALID,
    SETTER_UNKNOWN_POLICY,
    SETTER_NOT_AUTOMATED,
    SETTER_FIELD_SHAPE,
    UNMATCHED_IMAGES_ENTRY,
    UNKNOWN_FIELD,
    LANE_MISMATCH,
    MUTABLE_TAG,
    AUTOMATION_SOURCE_REF,
    AUTOMATION_STRATEGY,
    AUTOMATION_TEMPLATE,
    AUTOMATION_OVERLAP,
    AUTOMATION_SELECTOR_EMPTY,
];
