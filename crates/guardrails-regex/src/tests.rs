use super::*;

const GO_1_19: GoTarget = GoTarget::go(19);

fn go_err(pattern: &str, target: GoTarget) -> GoSyntaxError {
    match check_go_syntax(pattern, target) {
        Ok(_) => panic!("{pattern:?} should be rejected"),
        Err(e) => e,
    }
}

#[test]
fn error_texts_are_gos() {
    let cases: &[(&str, &str, usize, usize)] = &[
        (
            r"^pr-(?P<ts>[0-9]+",
            "error parsing regexp: missing closing ): `^pr-(?P<ts>[0-9]+`",
            4,
            7,
        ),
        (
            r"a**",
            "error parsing regexp: invalid nested repetition operator: `**`",
            1,
            2,
        ),
        (
            r"[0-9]++",
            "error parsing regexp: invalid nested repetition operator: `++`",
            5,
            2,
        ),
        (
            r"(?<ts>\d+)",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?<`",
            0,
            3,
        ),
        (
            r"\d{1001}",
            "error parsing regexp: invalid repeat count: `{1001}`",
            2,
            6,
        ),
        (
            r"a\Z",
            "error parsing regexp: invalid escape sequence: `\\Z`",
            1,
            2,
        ),
        (
            r"(?P<a.b>x)",
            "error parsing regexp: invalid named capture: `(?P<a.b>`",
            0,
            8,
        ),
        (
            r"[z-a]",
            "error parsing regexp: invalid character class range: `z-a`",
            1,
            3,
        ),
        (
            r"\p{Emoji}",
            "error parsing regexp: invalid character class range: `\\p{Emoji}`",
            0,
            9,
        ),
        (
            r"(?x)a",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
            0,
            3,
        ),
        (
            r"(?=a)",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
            0,
            3,
        ),
        (r"a)", "error parsing regexp: unexpected ): `a)`", 1, 1),
        (r"[a", "error parsing regexp: missing closing ]: `[a`", 0, 2),
        (
            r"*",
            "error parsing regexp: missing argument to repetition operator: `*`",
            0,
            1,
        ),
        (
            "a\\",
            "error parsing regexp: trailing backslash at end of expression: ``",
            1,
            1,
        ),
    ];
    for (pattern, text, offset, len) in cases {
        let e = go_err(pattern, GO_1_19);
        assert_eq!(e.to_string(), *text, "{pattern}");
        assert_eq!(
            (e.offset, e.len),
            (*offset, *len),
            "{pattern}: span of {text}"
        );
    }
}

#[test]
fn named_groups_with_angle_brackets_depend_on_the_target() {
    assert!(check_go_syntax(r"^(?<ts>\d+)$", GoTarget::go(22)).is_ok());
    assert!(
        check_go_syntax(
            r"^(?<ts>\d+)$",
            GoTarget {
                named_group_angle: false,
                go_minor: 26
            }
        )
        .is_err()
    );
    let re = check_go_syntax(r"^(?<ts>\d+)$", GoTarget::LATEST).unwrap();
    assert_eq!(re.groups()[0].name.as_deref(), Some("ts"));
    // The too-large error changed its wording in Go 1.20.
    let big = "(xx?){1000}".repeat(1000);
    assert_eq!(go_err(&big, GO_1_19).code, GoErrorCode::InternalError);
    assert_eq!(go_err(&big, GoTarget::go(20)).code, GoErrorCode::Large);
}

#[test]
fn go_only_syntax_is_accepted_and_still_simulated() {
    let re = check_go_syntax(r"^\Qv1.2\E-(?P<a>\d+)-(?P<a>\d+)\012?(?P<1x>x)?$", GO_1_19).unwrap();
    let kinds: Vec<GoOnlyKind> = re.go_only_constructs().iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        vec![
            GoOnlyKind::QuotedLiteral,
            GoOnlyKind::DuplicateGroupName,
            GoOnlyKind::OctalEscape,
            GoOnlyKind::DigitLeadingGroupName
        ]
    );
    assert!(!re.rust_regex_compatible());
    let kinds = |p: &str| -> Vec<GoOnlyKind> {
        check_go_syntax(p, GO_1_19)
            .unwrap()
            .go_only_constructs()
            .iter()
            .map(|c| c.kind)
            .collect()
    };
    assert_eq!(
        kinds(r"a{,3}[\d-z][[:alpha:]-]"),
        vec![GoOnlyKind::LiteralBrace, GoOnlyKind::DashAfterClass]
    );
    assert_eq!(kinds(r"(?)a{2}"), vec![GoOnlyKind::EmptyFlags]);
    assert!(re.accepts("v1.2-1-2"));
    assert!(re.accepts("v1.2-1-2\n"));
    assert!(!re.accepts("v1x2-1-2"), "\\Q…\\E quotes the dot");
    assert!(
        check_go_syntax(r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$", GO_1_19)
            .unwrap()
            .rust_regex_compatible()
    );
}

#[test]
fn groups_know_whether_they_are_optional() {
    let re = check_go_syntax(
        r"^(?P<a>x)(?:-(?P<b>y))?(?P<c>z|w)(?:(?P<d>1)|2)(?P<e>\d*)$",
        GO_1_19,
    )
    .unwrap();
    let g = re.groups();
    assert_eq!(g.len(), 5);
    assert_eq!(g[0].optional, None);
    assert_eq!(g[1].optional, Some(Optionality::OptionalRepetition));
    assert_eq!(g[2].optional, None);
    assert_eq!(g[3].optional, Some(Optionality::AlternationBranch));
    assert!(g[4].may_match_empty && !g[0].may_match_empty);
    assert_eq!((g[0].offset, g[0].len), (1, 8));
    assert_eq!(
        &re.pattern()[g[1].offset..g[1].offset + g[1].len],
        "(?P<b>y)"
    );
}

#[test]
fn anchoring_follows_every_alternative() {
    let cases = [
        (r"^main-[0-9]+$", true, true),
        (r"main-[0-9]+", false, false),
        (r"^a|b$", false, false),
        (r"^a$|^b$", true, true),
        (r"(^a)|(?:^b)", true, false),
        (r"(?:^)+a", true, false),
        (r"\Aa\z", true, true),
        (r"(?m)^a$", false, false),
        (r"\b^a", true, false),
        (r"(?:^)?a", false, false),
        (r"^(?P<ts>[0-9]+)(?:-rc)?$", true, true),
        (r"a(?:$)", false, true),
        (r"^$", true, true),
        (r"(", false, false),
    ];
    for (pattern, start, end) in cases {
        assert_eq!(anchoring(pattern), Anchoring { start, end }, "{pattern}");
    }
}

#[test]
fn extract_problems() {
    let p = r"^main-[a-f0-9]+-(?P<ts>[0-9]+)(?:-(?P<rc>rc[0-9]+))?$";
    assert_eq!(check_extract(p, "$ts"), vec![]);
    assert_eq!(check_extract(p, "${ts}"), vec![]);
    assert_eq!(check_extract(p, ""), vec![]);
    assert_eq!(check_extract(p, "$0"), vec![]);
    assert_eq!(
        check_extract(p, "$ts_x"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::UnknownGroup {
                reference: GroupRef::Name("ts_x".into()),
                suggestion: Some("${ts}_x".into())
            },
            offset: 0,
            len: 5
        }]
    );
    assert_eq!(
        check_extract(p, "v-$time"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::UnknownGroup {
                reference: GroupRef::Name("time".into()),
                suggestion: None
            },
            offset: 2,
            len: 5
        }]
    );
    assert_eq!(
        check_extract(p, "$1x"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::UnknownGroup {
                reference: GroupRef::Name("1x".into()),
                suggestion: Some("${1}x".into())
            },
            offset: 0,
            len: 3
        }]
    );
    assert_eq!(
        check_extract(p, "$3"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::UnknownGroup {
                reference: GroupRef::Index(3),
                suggestion: None
            },
            offset: 0,
            len: 2
        }]
    );
    assert_eq!(
        check_extract(p, "latest"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::NoReference,
            offset: 0,
            len: 6
        }]
    );
    assert_eq!(
        check_extract(p, "$$ts"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::NoReference,
            offset: 0,
            len: 4
        }],
        "$$ is a literal dollar"
    );
    assert_eq!(
        check_extract(p, "$ts-$rc"),
        vec![ExtractProblem {
            kind: ExtractProblemKind::MayBeEmpty {
                reference: GroupRef::Name("rc".into()),
                cause: EmptyCause::Unmatched(Optionality::OptionalRepetition)
            },
            offset: 4,
            len: 3
        }]
    );
    let alt = r"^(?:dev-(?P<ts>\d+)|v(?P<v>\d+))$";
    assert_eq!(
        check_extract(alt, "$ts").first().map(|p| &p.kind),
        Some(&ExtractProblemKind::MayBeEmpty {
            reference: GroupRef::Name("ts".into()),
            cause: EmptyCause::Unmatched(Optionality::AlternationBranch)
        })
    );
    // A name used in every branch always participates (Go expands the first matched one).
    assert_eq!(
        check_extract(r"^(?:a-(?P<n>\d+)|b-(?P<n>\d+))$", "$n"),
        vec![]
    );
    assert_eq!(
        check_extract(r"^x-(?P<n>\d*)$", "$n")
            .first()
            .map(|p| &p.kind),
        Some(&ExtractProblemKind::MayBeEmpty {
            reference: GroupRef::Name("n".into()),
            cause: EmptyCause::MatchesEmpty
        })
    );
    assert_eq!(
        check_extract("(", "$ts"),
        vec![],
        "a pattern Go rejects is reported elsewhere"
    );
}

#[test]
fn value_shapes() {
    let lane = r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$";
    let shape = value_shape(lane, "$ts");
    assert_eq!(shape.source, ValueSource::Extract);
    assert_eq!(shape.non_digit, Possibility::Never);
    assert_eq!(shape.empty, Possibility::Never);
    assert_eq!(shape.max_digits, DigitBound::Unbounded);
    assert_eq!(shape.semver, Possibility::Never);

    let whole = value_shape(lane, "");
    assert_eq!(whole.source, ValueSource::WholeTag);
    assert_eq!(
        whole.non_digit,
        Possibility::Possible {
            example: "main-0-0".into()
        }
    );
    assert_eq!(whole.empty, Possibility::Never);

    let ts = value_shape(r"^build-(?P<ts>[0-9]{10})$", "$ts");
    assert_eq!(ts.max_digits, DigitBound::Bounded(10));
    let ms = value_shape(r"^(?P<d>\d{8})-(?P<t>\d{9})$", "$d$t");
    assert_eq!(ms.max_digits, DigitBound::Bounded(17));
    assert_eq!(ms.non_digit, Possibility::Never);
    let dash = value_shape(r"^(?P<d>\d{8})-(?P<t>\d{6})$", "$d-$t");
    assert_eq!(
        dash.non_digit,
        Possibility::Possible {
            example: "00000000-000000".into()
        }
    );

    let sha = value_shape(r"^(?P<sha>[a-f0-9]{7})$", "$sha");
    assert_eq!(
        sha.non_digit,
        Possibility::Possible {
            example: "000000a".into()
        }
    );
    assert_eq!(sha.max_digits, DigitBound::Bounded(7));

    let dotted = value_shape(r"^v(?P<v>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]{7}$", "$v");
    assert_eq!(
        dotted.semver,
        Possibility::Possible {
            example: "0.0.0".into()
        }
    );
    let two = value_shape(r"^v(?P<v>[0-9]+\.[0-9]+)$", "$v");
    assert_eq!(two.semver, Possibility::Never);
    let tag_semver = value_shape(r"^v[0-9]+\.[0-9]+\.[0-9]+$", "");
    assert_eq!(
        tag_semver.semver,
        Possibility::Possible {
            example: "v0.0.0".into()
        }
    );
    assert_eq!(
        tag_semver.non_digit,
        Possibility::Possible {
            example: "v0.0.0".into()
        }
    );
    let dates = value_shape(r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})$", "$date");
    assert_eq!(dates.semver, Possibility::Never);

    let optional = value_shape(r"^x(?:-(?P<n>[0-9]+))?$", "$n");
    assert_eq!(
        optional.empty,
        Possibility::Possible {
            example: String::new()
        }
    );
    let typo = value_shape(r"^x-(?P<ts>[0-9]+)$", "$ts_x");
    assert_eq!(
        typo.empty,
        Possibility::Possible {
            example: String::new()
        }
    );
    assert_eq!(typo.non_digit, Possibility::Never);
    assert_eq!(typo.max_digits, DigitBound::Bounded(0));

    let unanchored = value_shape(r"[0-9]+", "");
    assert!(unanchored.non_digit.is_possible());
    assert_eq!(unanchored.max_digits, DigitBound::Unbounded);
    let digits_only = value_shape(r"^[0-9]+$", "");
    assert_eq!(digits_only.non_digit, Possibility::Never);

    assert!(matches!(
        value_shape("(", "$1").non_digit,
        Possibility::Unknown { .. }
    ));
}

#[test]
fn lanes_do_not_overlap() {
    let prod = r"^production-v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]{7}-(?P<ts>[0-9]+)$";
    let staging = r"^staging-v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]{7}-(?P<ts>[0-9]+)$";
    assert_eq!(intersect(prod, staging, Limits::default()), Ok(None));
    assert_eq!(accepts_prefix(prod, "staging-"), Ok(None));
    assert_eq!(
        accepts_prefix(r"production-.*", "preproduction-")
            .unwrap()
            .as_deref(),
        Some("preproduction-")
    );
    assert_eq!(
        intersect(r"production-", r"^pre", Limits::default())
            .unwrap()
            .as_deref(),
        Some("preproduction-")
    );
    assert_eq!(
        intersect(prod, prod, Limits::default()).unwrap().as_deref(),
        Some("production-v0.0.0-0000000-0")
    );
    // Suffixes survive an unanchored end.
    assert!(accepts(r"^v[0-9]+\.[0-9]+\.[0-9]+", "v1.2.3-rc1"));
    assert!(!accepts(r"^v[0-9]+\.[0-9]+\.[0-9]+$", "v1.2.3-rc1"));
    assert!(!accepts("(", "x"));
}

#[test]
fn go_semantics_not_rust_semantics() {
    // `\<` is a literal `<` in Go.
    assert!(!accepts(r"\<tag\>", "tag"));
    assert!(accepts(r"\<tag\>", "<tag>"));
    // `[a-z&&[^aeiou]]` is the class `[a-z&[^aeiou]` followed by `]` in Go.
    assert!(accepts(r"^[a-z&&[^aeiou]]$", "a]"));
    assert!(!accepts(r"^[a-z&&[^aeiou]]$", "b"));
    // `\b{start}` is `\b` then the text `{start}`.
    assert!(accepts(r"\b{start}", "{start}") == accepts(r"\b\{start\}", "{start}"));
    assert!(!accepts(r"^\b{start}x", "x"));
    // ASCII classes and word boundaries; `$` is the end of text.
    assert!(!accepts(r"^v\d+$", "v\u{661}\u{662}"));
    assert!(accepts(r"(?i)^PROD-", "prod-1"));
    assert!(accepts(r"(?i)^ſ$", "S"), "ſ folds to s/S in Go");
    assert!(accepts(r"a{0}b", "b"));
    assert!(!accepts(r"^a$", "a\n"));
    assert!(accepts(r"(?m)^a$", "x\na"));
}

#[test]
fn divergences_are_located() {
    let d = divergences(r"^\<v[a-z&&[^aeiou]]\>\b{start}$");
    let kinds: Vec<(DivergenceKind, usize, usize)> =
        d.iter().map(|d| (d.kind, d.offset, d.len)).collect();
    assert_eq!(
        kinds,
        vec![
            (DivergenceKind::AngleWordBoundary, 1, 2),
            (DivergenceKind::ClassSetOperation, 8, 2),
            (DivergenceKind::NestedClass, 10, 8),
            (DivergenceKind::AngleWordBoundary, 19, 2),
            (DivergenceKind::SpecialWordBoundary, 21, 9),
        ]
    );
    assert_eq!(divergences(r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$"), vec![]);
    assert_eq!(
        divergences(r"\Qa\E\<"),
        vec![],
        "Rust rejects \\Q: not a divergence"
    );
    assert_eq!(
        divergences(r"a**\<"),
        vec![],
        "Go rejects a**: not a divergence"
    );
    assert!(!DivergenceKind::NestedClass.go_meaning().is_empty());
}

#[test]
fn budgets_yield_too_large() {
    let tiny = Limits {
        dfa_size_limit: 4096,
        determinize_size_limit: 4096,
        ..Limits::default()
    };
    let blowup = r"(a|b)*a(a|b){12}";
    let err = intersect(blowup, "b", tiny).unwrap_err();
    assert!(
        err.to_string().starts_with("too large to decide: "),
        "{err}"
    );
    let few = Limits {
        max_product_states: 10,
        ..Limits::default()
    };
    assert!(intersect(r"^[a-z]{20}$", r"^a", few).is_err());
    assert!(
        intersect(r"^[a-z]{20}$", r"^a", Limits::default())
            .unwrap()
            .is_some()
    );
}

#[test]
fn witnesses_respect_the_tag_grammar() {
    // A tag starts with a word character and holds at most 128 characters.
    assert_eq!(intersect(r"^[.-]", r".", Limits::default()), Ok(None));
    assert_eq!(
        intersect(r"^a{128}$", r".", Limits::default())
            .unwrap()
            .map(|w| w.len()),
        Some(128)
    );
    assert_eq!(intersect(r"^a{129}$", r".", Limits::default()), Ok(None));
    assert_eq!(intersect(r"é", r".", Limits::default()), Ok(None));
    assert_eq!(
        intersect(r"^$", r"", Limits::default()),
        Ok(None),
        "no empty tag"
    );
}

#[test]
fn dense_and_lazy_matchers_agree() {
    let patterns = [
        r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$",
        r"\bx\B",
        r"(?i)k+",
        r"a|^b$",
        r"(?s).",
        r"[^a]",
    ];
    let tags = [
        "main-abc-123",
        "x",
        "xy",
        "K",
        "kk",
        "b",
        "a",
        "ab",
        "-",
        "main-1-x",
    ];
    for p in patterns {
        let re = check_go_syntax(p, GO_1_19).unwrap();
        let m = re.matcher(Limits::default()).unwrap();
        for t in tags {
            assert_eq!(m.accepts(t), re.accepts(t), "{p} on {t}");
        }
    }
}

#[test]
fn typical_lane_pair_is_fast_enough() {
    // A generous sanity bound (debug build, shared CI machine): the release build decides
    // such a pair in well under a millisecond.
    let prod = r"^production-v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]{7}-(?P<ts>[0-9]+)$";
    let preprod = r"production-v[0-9]+";
    let start = std::time::Instant::now();
    for _ in 0..10 {
        assert!(
            intersect(prod, preprod, Limits::default())
                .unwrap()
                .is_some()
        );
    }
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn deep_nesting_is_handled_without_stack_trouble() {
    // Each level adds a capture and a star: 480 levels stay under Go's depth of 1000, but
    // are too deep to compile to an automaton safely.
    let deep = format!("^{}a{}$", "(".repeat(480), ")*".repeat(480));
    let re = check_go_syntax(&deep, GO_1_19).unwrap();
    assert_eq!(re.groups().len(), 480);
    let too_deep = format!("^{}a{}$", "(".repeat(500), ")*".repeat(500));
    assert_eq!(go_err(&too_deep, GO_1_19).code, GoErrorCode::NestingDepth);
    assert!(!re.accepts("aaa"), "refused, not simulated");
    assert!(re.matcher(Limits::default()).is_err());
    assert_eq!(
        anchoring(&deep),
        Anchoring {
            start: true,
            end: true
        }
    );
    let err = intersect(&deep, "a", Limits::default()).unwrap_err();
    assert!(err.reason.contains("nesting depth"), "{err}");
    assert!(matches!(
        value_shape(&deep, "$480").non_digit,
        Possibility::Unknown { .. }
    ));
    assert_eq!(check_extract(&deep, "$481").len(), 1);
    assert_eq!(divergences(&deep), vec![]);
    // Go's deepest trees are still parsed and analysed structurally.
    let alternations = format!("^{}a{}$", "(?:b|".repeat(490), ")".repeat(490));
    assert!(check_go_syntax(&alternations, GO_1_19).is_ok());
    let nested_groups = format!("{}a{}", "(".repeat(998), ")".repeat(998));
    assert!(check_go_syntax(&nested_groups, GO_1_19).is_ok());
    assert!(check_extract(&nested_groups, "$998").is_empty());
    // The deepest repetition nesting the default budget simulates.
    let stars = format!("^{}a{}$", "(?:".repeat(99), ")*".repeat(99));
    assert!(intersect(&stars, "a", Limits::default()).unwrap().is_some());
    assert!(value_shape(&stars, "").non_digit.is_possible());
    // Moderate nesting is simulated.
    let moderate = format!("^{}a{}$", "(".repeat(40), ")*".repeat(40));
    assert_eq!(
        intersect(&moderate, "a", Limits::default())
            .unwrap()
            .as_deref(),
        Some("a")
    );
}
