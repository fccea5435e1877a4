//! Behaviour tests. Expected outputs come from fluxcd/pkg `envsubst/eval_test.go` and
//! `parse/parse_test.go` where they have a case, otherwise from reading the Go code.

use std::collections::HashMap;

use crate::{
    Operator, Options, SubstError, SubstErrorKind, is_valid_var_name, scan, strip_newlines,
    substitute,
};

const STRICT: Options = Options { strict: true };
const LENIENT: Options = Options { strict: false };

fn with(pairs: &[(&str, &str)], text: &str, options: Options) -> Result<String, Vec<SubstError>> {
    let vars: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    substitute(text, &|name| vars.get(name).cloned(), options)
}

/// Substitutes strictly and expects success.
fn ok(pairs: &[(&str, &str)], text: &str) -> String {
    match with(pairs, text, STRICT) {
        Ok(out) => out,
        Err(problems) => panic!("{text:?} failed: {problems:?}"),
    }
}

/// Substitutes and expects failure.
fn errors(pairs: &[(&str, &str)], text: &str, options: Options) -> Vec<SubstError> {
    match with(pairs, text, options) {
        Ok(out) => panic!("{text:?} unexpectedly gave {out:?}"),
        Err(problems) => problems,
    }
}

fn err(kind: SubstErrorKind, offset: usize, len: usize) -> SubstError {
    SubstError { kind, offset, len }
}

fn undefined(name: &str, offset: usize, len: usize) -> SubstError {
    err(
        SubstErrorKind::Undefined {
            name: name.to_owned(),
        },
        offset,
        len,
    )
}

// --- one test per operator --------------------------------------------------------------

#[test]
fn plain_variable() {
    assert_eq!(ok(&[("v", "abc")], "x ${v} y"), "x abc y");
    assert_eq!(ok(&[("v", "")], "[${v}]"), "[]");
}

#[test]
fn default_colon_equals() {
    assert_eq!(ok(&[], "${v:=xyz}"), "xyz");
    assert_eq!(ok(&[("v", "abc")], "${v:=xyz}"), "abc");
    assert_eq!(ok(&[("v", "")], "${v:=xyz}"), "xyz");
}

#[test]
fn default_colon_dash() {
    assert_eq!(ok(&[], "${v:-xyz}"), "xyz");
    assert_eq!(ok(&[("v", "abc")], "${v:-xyz}"), "abc");
    assert_eq!(ok(&[("v", "")], "${v:-xyz}"), "xyz");
}

#[test]
fn default_equals_treats_empty_like_unset() {
    // In a shell `${v=d}` keeps a set-but-empty value; Flux's toDefault only looks at
    // emptiness, so `=` and `:=` behave the same.
    assert_eq!(ok(&[], "${var=xyz}"), "xyz");
    assert_eq!(ok(&[("var", "abc")], "${var=xyz}"), "abc");
    assert_eq!(ok(&[("var", "")], "${var=xyz}"), "xyz");
    assert_eq!(ok(&[], "${v=}"), "");
    assert_eq!(ok(&[], "${v==x}"), "=x");
}

#[test]
fn default_dash_without_colon_is_unsupported_and_fails_in_flux() {
    let problems = errors(&[("v", "a")], "${v-d}", STRICT);
    assert_eq!(
        problems,
        vec![err(
            SubstErrorKind::UnsupportedOperator {
                name: "v".into(),
                operator: "-".into()
            },
            0,
            6
        )]
    );
    assert!(problems[0].flux_fails());
}

#[test]
fn defaults_nest_expressions_and_mix_text() {
    assert_eq!(
        ok(&[("default_var", "foo")], "something ${var=${default_var}}"),
        "something foo"
    );
    assert_eq!(
        ok(
            &[("default_var", "foo1")],
            "foo: ${var=${default_var}-suffix}"
        ),
        "foo: foo1-suffix"
    );
    assert_eq!(
        ok(
            &[("default_var", "foo1")],
            "foo: ${var=prefix${default_var}-suffix}"
        ),
        "foo: prefixfoo1-suffix"
    );
    assert_eq!(
        ok(&[("var01", "abcdEFGH28ij")], "${var=${var01^^}}"),
        "ABCDEFGH28IJ"
    );
    assert_eq!(ok(&[], "${a:-${b:-${c:-deep}}}"), "deep");
    // A default word ends at its first `}`: the second brace is plain text.
    assert_eq!(ok(&[], "${a:={x}}"), "{x}");
}

#[test]
fn assigning_defaults_assign_nothing() {
    // `:=` and `=` only yield the default; the variable stays unset for later uses.
    assert_eq!(
        errors(&[], "${a:=x} ${a}", STRICT),
        vec![undefined("a", 8, 4)]
    );
}

#[test]
fn nested_default_is_evaluated_even_when_the_variable_is_set() {
    // template.go evaluates the arguments before looking at the variable.
    assert_eq!(
        errors(&[("a", "set")], "${a:=${b}}", STRICT),
        vec![undefined("b", 5, 4)]
    );
    assert_eq!(
        with(&[("a", "set")], "${a:=${b}}", LENIENT),
        Ok("set".into())
    );
}

#[test]
fn length_counts_bytes() {
    assert_eq!(ok(&[("var01", "abcdEFGH28ij")], "${#var01}"), "12");
    assert_eq!(ok(&[("v", "héllo")], "${#v}"), "6");
    assert_eq!(ok(&[("v", "")], "${#v}"), "0");
}

#[test]
fn upper_first() {
    assert_eq!(
        ok(&[("var01", "abcdEFGH28ij")], "${var01^}"),
        "AbcdEFGH28ij"
    );
    assert_eq!(ok(&[("v", "élan")], "${v^}"), "Élan");
    assert_eq!(ok(&[("v", "")], "${v^}"), "");
}

#[test]
fn upper_all() {
    assert_eq!(
        ok(&[("var01", "abcdEFGH28ij")], "${var01^^}"),
        "ABCDEFGH28IJ"
    );
    // Simple case mapping, as in Go: ß has no single-character uppercase.
    assert_eq!(ok(&[("v", "straße")], "${v^^}"), "STRAßE");
}

#[test]
fn lower_first() {
    assert_eq!(
        ok(&[("var01", "ABCDEFGH28IJ")], "${var01,}"),
        "aBCDEFGH28IJ"
    );
}

#[test]
fn lower_all() {
    assert_eq!(
        ok(&[("var01", "ABCDEFGH28IJ")], "${var01,,}"),
        "abcdefgh28ij"
    );
    // No final-sigma rule in Go's per-character mapping.
    assert_eq!(ok(&[("v", "ΟΔΟΣ")], "${v,,}"), "οδοσ");
}

#[test]
fn mixed_casing_is_unsupported_but_accepted_by_flux() {
    let problems = errors(&[("v", "aB")], "${v^,}", STRICT);
    assert_eq!(problems.len(), 1);
    assert!(!problems[0].flux_fails());
}

#[test]
fn substring_with_offset() {
    let vars = [("path_name", "/home/bozo/ideas/thoughts.for.today")];
    assert_eq!(ok(&vars, "${path_name:11}"), "ideas/thoughts.for.today");
    assert_eq!(ok(&vars, "${path_name:100}"), "");
    assert_eq!(
        ok(&vars, "${path_name: -5}"),
        "/home/bozo/ideas/thoughts.for.today"
    );
    assert_eq!(
        ok(&vars, "${path_name:x}"),
        "/home/bozo/ideas/thoughts.for.today"
    );
    assert_eq!(ok(&[("s", "abcdef"), ("n", "4")], "${s:${n}}"), "ef");
}

#[test]
fn substring_with_offset_and_length() {
    let vars = [("path_name", "/home/bozo/ideas/thoughts.for.today")];
    assert_eq!(ok(&vars, "${path_name:11:5}"), "ideas");
    assert_eq!(ok(&[("s", "abcdef")], "${s:1:-1}"), "bcde");
    assert_eq!(
        ok(&[("s", "abcdef")], "${s:-3:2}"),
        "abcdef",
        "`:-` is a default"
    );
    assert_eq!(ok(&[("s", "")], "${s:-3:2}"), "3:2");
    assert_eq!(
        ok(&[("s", "abcdef")], "${s:2::2}"),
        "cd",
        "several colons separate"
    );
}

#[test]
fn trim_shortest_prefix() {
    assert_eq!(
        ok(&[("filename", "bash.string.txt")], "${filename#*.}"),
        "string.txt"
    );
    assert_eq!(
        ok(&[("filename", "path/to/file")], "${filename#*/}"),
        "to/file"
    );
    assert_eq!(
        ok(&[("filename", "/path/to/file")], "${filename#*/}"),
        "path/to/file"
    );
    // Quirk: the empty prefix is never tried, so `*` removes one byte.
    assert_eq!(ok(&[("v", "abc")], "${v#*}"), "bc");
    assert_eq!(ok(&[("v", "abc")], "${v#x}"), "abc");
}

#[test]
fn trim_longest_prefix() {
    assert_eq!(
        ok(&[("filename", "bash.string.txt")], "${filename##*.}"),
        "txt"
    );
    // `*` crosses `/` in Flux's matcher.
    assert_eq!(
        ok(&[("filename", "path/to/file")], "${filename##*/}"),
        "file"
    );
    assert_eq!(
        ok(&[("filename", "/path/to/file")], "${filename##*/}"),
        "file"
    );
}

#[test]
fn trim_shortest_suffix() {
    assert_eq!(
        ok(&[("filename", "bash.string.txt")], "${filename%.*}"),
        "bash.string"
    );
    // The pattern is reversed too, so a class becomes malformed: value unchanged.
    assert_eq!(ok(&[("v", "abc")], "${v%[bc]}"), "abc");
}

#[test]
fn trim_longest_suffix() {
    assert_eq!(
        ok(&[("filename", "bash.string.txt")], "${filename%%.*}"),
        "bash"
    );
}

#[test]
fn replace_first() {
    assert_eq!(
        ok(&[("stringZ", "abcABC123ABCabc")], "${stringZ/abc/xyz}"),
        "xyzABC123ABCabc"
    );
    assert_eq!(ok(&[("stringZ", "foo.bar")], "${stringZ/./}"), "foobar");
    assert_eq!(ok(&[("stringZ", "foo/bar")], r"${stringZ/\//-}"), "foo-bar");
}

#[test]
fn replace_all() {
    assert_eq!(
        ok(&[("stringZ", "abcABC123ABCabc")], "${stringZ//abc/xyz}"),
        "xyzABC123ABCxyz"
    );
    assert_eq!(
        ok(&[("stringZ", "foo/bar/baz")], r"${stringZ//\//-}"),
        "foo-bar-baz"
    );
    assert_eq!(
        ok(&[("s", "a-b-c"), ("p", "-"), ("r", "+")], "${s//${p}/${r}}"),
        "a+b+c"
    );
    // Empty pattern: inserted at the start and after every character.
    assert_eq!(ok(&[("s", "ab")], "${s///x}"), "xaxbx");
}

#[test]
fn replace_prefix_and_suffix() {
    let vars = [("stringZ", "abcABC123ABCabc")];
    assert_eq!(ok(&vars, "${stringZ/#abc/XYZ}"), "XYZABC123ABCabc");
    assert_eq!(ok(&vars, "${stringZ/%abc/XYZ}"), "abcABC123ABCXYZ");
    assert_eq!(
        ok(&[("stringZ", "somevalue")], "${stringZ/#/prefix-}"),
        "prefix-somevalue"
    );
    assert_eq!(
        ok(&[("stringZ", "somevalue")], "${stringZ/%/-suffix}"),
        "somevalue-suffix"
    );
    // Without a replacement these leave the value alone (funcs.go wants two arguments).
    assert_eq!(ok(&vars, "${stringZ/#abc/}"), "abcABC123ABCabc");
}

#[test]
fn replace_pattern_may_contain_a_brace() {
    // The pattern ends at `/`, not at `}`.
    assert_eq!(ok(&[("s", "a}b")], "${s/}/-}"), "a-b");
}

// --- escapes and plain text -------------------------------------------------------------

#[test]
fn double_dollar_brace_is_a_literal_expression() {
    assert_eq!(ok(&[("var01", "abcdEFGH28ij")], "$${var01}"), "${var01}");
    assert_eq!(
        ok(
            &[("var01", "abcdEFGH28ij")],
            "some text ${var01}$${var$${var01}$var01${var01}"
        ),
        "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"
    );
    assert_eq!(
        ok(
            &[("default_var", "foo")],
            "something $${var=${default_var}}"
        ),
        "something ${var=foo}"
    );
    // Undefined names behind an escape are not looked up.
    assert_eq!(ok(&[], "$${MISSING}"), "${MISSING}");
}

#[test]
fn double_dollar_anywhere_becomes_one_dollar() {
    assert_eq!(ok(&[], "$$string"), "$string");
    assert_eq!(ok(&[], "pid $$ and $$$"), "pid $ and $$");
    assert_eq!(scan("a $$ b $${x}").escapes, vec![2, 7]);
}

#[test]
fn escapes_do_not_apply_inside_default_words() {
    // `$$` there is two dollars, and `$${b}` a dollar followed by the expression `${b}`.
    assert_eq!(ok(&[], "${a:-$$}"), "$$");
    assert_eq!(ok(&[("b", "B")], "${a:=$${b}}"), "$B");
}

#[test]
fn unbraced_and_backslashes_are_untouched() {
    assert_eq!(ok(&[("x", "1")], "$x ${x} $ {x} $"), "$x 1 $ {x} $");
    assert_eq!(
        ok(&[], r"\\.\pipe\pipename }text"),
        r"\\.\pipe\pipename }text"
    );
}

// --- strict and non-strict --------------------------------------------------------------

#[test]
fn strict_undefined_error_has_flux_wording_and_offset() {
    let problems = errors(&[], "key: ${MISSING}\n", STRICT);
    assert_eq!(problems, vec![undefined("MISSING", 5, 10)]);
    assert_eq!(
        problems[0].to_string(),
        r#"variable not set (strict mode): "MISSING""#
    );
    assert!(problems[0].flux_fails());
}

#[test]
fn strict_covers_transformation_operators() {
    // fluxcd/pkg#1167: every operator that reads the value fails on an unset variable.
    for text in [
        "${missing^}",
        "${#missing}",
        "${missing,,}",
        "${missing:0:1}",
        "${missing/a/b}",
        "${missing##a}",
    ] {
        let problems = errors(&[], text, STRICT);
        assert_eq!(
            problems,
            vec![undefined("missing", 0, text.len())],
            "{text}"
        );
    }
}

#[test]
fn strict_accepts_defaults_for_undefined() {
    assert_eq!(ok(&[], "${missing:-fallback}"), "fallback");
    assert_eq!(ok(&[], "${missing:=assigned}"), "assigned");
    assert_eq!(ok(&[], "${missing=assigned}"), "assigned");
    assert_eq!(ok(&[], "${missing:=}"), "");
}

#[test]
fn non_strict_replaces_undefined_with_empty() {
    assert_eq!(with(&[], "a${MISSING}b", LENIENT), Ok("ab".into()));
    assert_eq!(with(&[], "${#MISSING}", LENIENT), Ok("0".into()));
    assert_eq!(with(&[], "${MISSING:-d}", LENIENT), Ok("d".into()));
}

#[test]
fn default_options_are_strict() {
    assert_eq!(Options::default(), STRICT);
}

// --- syntax problems --------------------------------------------------------------------

#[test]
fn unsupported_operators_are_reported_with_offsets() {
    let text = "a: ${x:+set}\nb: ${y:?err}\nc: ${z+word}";
    let problems = errors(&[("x", "1"), ("y", "2"), ("z", "3")], text, STRICT);
    let unsupported = |name: &str, operator: &str, offset, len| {
        err(
            SubstErrorKind::UnsupportedOperator {
                name: name.into(),
                operator: operator.into(),
            },
            offset,
            len,
        )
    };
    assert_eq!(
        problems,
        vec![
            unsupported("x", ":+", 3, 9),
            unsupported("y", ":?", 16, 9),
            unsupported("z", "+", 29, 9),
        ]
    );
    assert_eq!(&text[3..12], "${x:+set}");
    assert_eq!(&text[29..38], "${z+word}");
    assert_eq!(
        problems
            .iter()
            .map(SubstError::flux_fails)
            .collect::<Vec<_>>(),
        vec![false, false, true]
    );
    assert_eq!(
        problems[0].to_string(),
        r#"unsupported substitution operator ":+" on "x" (Flux does not fail but treats it like ":-")"#
    );
}

#[test]
fn invalid_names() {
    let cases: [(&str, &str, usize); 5] = [
        ("${}", "", 3),
        ("${ foo}", " foo", 7),
        ("${-x}", "-x", 5),
        ("${a.b}", "a.b", 6),
        ("${my var}", "my var", 9),
    ];
    for (text, name, len) in cases {
        let problems = errors(&[("a", "1"), ("my", "1")], text, STRICT);
        assert_eq!(
            problems,
            vec![err(
                SubstErrorKind::InvalidName { name: name.into() },
                0,
                len
            )],
            "{text}"
        );
    }
    assert_eq!(
        errors(&[], "${.x}", LENIENT)[0].to_string(),
        r#"unable to parse variable name: ".x""#
    );
}

#[test]
fn is_valid_var_name_follows_the_flux_regex() {
    for good in ["a", "_", "_1", "APP_NAME", "camelCase9"] {
        assert!(is_valid_var_name(good), "{good}");
    }
    for bad in ["", "1a", "my-var", "a.b", "café", "a b", "ünicode"] {
        assert!(!is_valid_var_name(bad), "{bad}");
    }
}

#[test]
fn names_flux_can_parse_but_nobody_can_set_are_undefined() {
    // Go's parser takes Unicode letters and leading digits; the var-name regex does not.
    assert_eq!(
        errors(&[], "${café}", STRICT),
        vec![undefined("café", 0, 8)]
    );
    assert_eq!(
        errors(&[], "${1abc}", STRICT),
        vec![undefined("1abc", 0, 7)]
    );
    let found = scan("${1abc}");
    assert!(found.is_clean());
    assert!(!is_valid_var_name(&found.expressions[0].name));
}

#[test]
fn unterminated_expressions() {
    let problems = errors(&[], "x: ${abc\ny: 1", STRICT);
    assert_eq!(problems, vec![err(SubstErrorKind::Unterminated, 3, 5)]);
    assert_eq!(problems[0].to_string(), "missing closing brace");
    for text in ["${", "${a:-foo", "${a:1", "${a/b/c", "${#a", "${a^^"] {
        let problems = errors(&[("a", "1")], text, STRICT);
        assert_eq!(
            problems,
            vec![err(SubstErrorKind::Unterminated, 0, text.len())],
            "{text}"
        );
    }
}

#[test]
fn other_syntax_errors_use_flux_messages() {
    let bad = |message| SubstErrorKind::BadSubstitution {
        flux_message: message,
    };
    let cases = [
        (
            "${v#}",
            bad("unable to parse substitution within function"),
            5,
        ),
        (
            "${v:}",
            bad("unable to parse substitution within function"),
            5,
        ),
        ("${v^^^}", bad("bad substitution"), 7),
        ("${#v:1}", bad("bad substitution"), 7),
        // The replace pattern swallows the `}` and finds no `/`.
        ("${v/abc} tail", bad("bad substitution"), 8),
    ];
    for (text, kind, len) in cases {
        let problems = errors(&[("v", "1")], text, STRICT);
        assert_eq!(problems, vec![err(kind, 0, len)], "{text}");
    }
}

#[test]
fn all_problems_of_a_text_are_reported_together() {
    let text = "a: ${A}\nb: ${x.y}\nc: ${B:+z}\nd: ${C:-${D}}\ne: ${E";
    let problems = errors(&[("B", "1")], text, STRICT);
    let at = |needle: &str| text.find(needle).unwrap_or_default();
    let kinds: Vec<(usize, &SubstErrorKind)> =
        problems.iter().map(|p| (p.offset, &p.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (at("${A}"), &SubstErrorKind::Undefined { name: "A".into() }),
            (
                at("${x.y}"),
                &SubstErrorKind::InvalidName { name: "x.y".into() }
            ),
            (
                at("${B:+"),
                &SubstErrorKind::UnsupportedOperator {
                    name: "B".into(),
                    operator: ":+".into()
                }
            ),
            (at("${D}"), &SubstErrorKind::Undefined { name: "D".into() }),
            (at("${E"), &SubstErrorKind::Unterminated),
        ]
    );
}

#[test]
fn scanning_resumes_after_a_broken_expression() {
    // The bad expression does not hide the next one, even on the same line.
    let found = scan("${a b ${ok} ${c:}");
    assert_eq!(found.problems.len(), 2);
    assert_eq!(found.expressions.len(), 1);
    assert_eq!(found.expressions[0].name, "ok");
}

// --- offsets, UTF-8 ---------------------------------------------------------------------

#[test]
fn offsets_are_bytes_around_utf8_text() {
    let text = "héllo ${v} wörld ${MISSING} ✓";
    assert_eq!(
        with(&[("v", "ünï")], "héllo ${v} wörld ✓", STRICT),
        Ok("héllo ünï wörld ✓".into())
    );
    let problems = errors(&[("v", "ünï")], text, STRICT);
    let offset = text.find("${MISSING}").unwrap_or_default();
    assert_eq!(offset, 19);
    assert_eq!(problems, vec![undefined("MISSING", offset, 10)]);
    let found = scan(text);
    assert_eq!(found.expressions[0].offset, 7);
    assert_eq!(
        &text[found.expressions[1].offset..][..found.expressions[1].len],
        "${MISSING}"
    );
}

#[test]
fn spans_stay_on_character_boundaries() {
    for text in ["${€}", "${a€}", "${v:€", "é${", "${a/€"] {
        for problem in scan(text).problems {
            assert!(text.is_char_boundary(problem.offset), "{text}");
            assert!(
                text.is_char_boundary(problem.offset + problem.len),
                "{text}"
            );
        }
    }
}

#[test]
fn cutting_a_character_is_reported() {
    let problems = errors(&[("v", "é")], "x: ${v:0:1}", STRICT);
    assert_eq!(problems, vec![err(SubstErrorKind::InvalidUtf8, 3, 8)]);
    // Two halves joined again are fine.
    assert_eq!(ok(&[("v", "é")], "${v:0:1}${v:1}"), "é");
}

// --- scan -------------------------------------------------------------------------------

#[test]
fn scan_lists_nested_expressions_and_skips_escapes() {
    let text = "$${skip} ${a:=${b^^}-x} ${#c} ${d//x/y}";
    let found = scan(text);
    assert!(found.is_clean());
    let summary: Vec<(usize, usize, &str, &Operator, bool, usize)> = found
        .expressions
        .iter()
        .map(|e| {
            (
                e.offset,
                e.len,
                e.name.as_str(),
                &e.operator,
                e.has_default,
                e.depth,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                9,
                14,
                "a",
                &Operator::Default {
                    assign: true,
                    colon: true
                },
                true,
                0
            ),
            (14, 6, "b", &Operator::UpperAll, false, 1),
            (24, 5, "c", &Operator::Length, false, 0),
            (30, 9, "d", &Operator::Replace { all: true }, false, 0),
        ]
    );
    assert_eq!(found.escapes, vec![0]);
}

#[test]
fn operator_symbols_round_trip() {
    let text = "${a}${a=x}${a:=x}${a:-x}${#a}${a^}${a^^}${a,}${a,,}${a:1}${a#x}${a##x}\
                ${a%x}${a%%x}${a/x/y}${a//x/y}${a/#x/y}${a/%x/y}${a:+x}";
    let symbols: Vec<String> = scan(text)
        .expressions
        .iter()
        .map(|e| e.operator.symbol().to_owned())
        .collect();
    assert_eq!(
        symbols,
        [
            "", "=", ":=", ":-", "#", "^", "^^", ",", ",,", ":", "#", "##", "%", "%%", "/", "//",
            "/#", "/%", ":+"
        ]
    );
}

// --- values -----------------------------------------------------------------------------

#[test]
fn strip_newlines_removes_line_feeds_only() {
    assert_eq!(strip_newlines("a\nb\n"), "ab");
    assert_eq!(strip_newlines("crlf\r\n"), "crlf\r");
    assert_eq!(strip_newlines(""), "");
}

// --- property ---------------------------------------------------------------------------

/// A small deterministic generator (xorshift) over an alphabet rich in the characters the
/// grammar cares about.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn text(&mut self, alphabet: &[&str]) -> String {
        let len = (self.next() % 40) as usize;
        let len_alphabet = alphabet.len() as u64;
        (0..len)
            .map(|_| alphabet[(self.next() % len_alphabet) as usize])
            .collect()
    }
}

#[test]
fn text_without_expressions_is_unchanged_except_for_double_dollars() {
    let alphabet = [
        "$", "{", "}", "a", "_", "1", ":", "-", "=", "/", "#", "%", "^", ",", "\\", "\n", " ", "é",
        "✓",
    ];
    let mut generator = Generator(0x9E37_79B9_7F4A_7C15);
    let mut checked = 0;
    for _ in 0..5000 {
        let text = generator.text(&alphabet);
        if text.contains("${") {
            continue;
        }
        checked += 1;
        // Flux drops the first `$` of every `$$` pair (left to right) and nothing else.
        let mut expected = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("$$") {
            expected.push_str(&rest[..=at]);
            rest = &rest[at + 2..];
        }
        expected.push_str(rest);
        for options in [STRICT, LENIENT] {
            assert_eq!(with(&[], &text, options), Ok(expected.clone()), "{text:?}");
        }
        let found = scan(&text);
        assert!(
            found.expressions.is_empty() && found.problems.is_empty(),
            "{text:?}"
        );
        if !text.contains("$$") {
            assert_eq!(expected, text);
        }
    }
    assert!(checked > 1000, "only {checked} texts without `${{`");
}

#[test]
fn arbitrary_text_never_panics_and_spans_are_sane() {
    let alphabet = [
        "${", "$", "{", "}", "a", "b", ":", "-", "+", "?", "=", "/", "#", "%", "^", ",", "\\",
        "\n", " ", "é", "0",
    ];
    let mut generator = Generator(0x0123_4567_89AB_CDEF);
    for _ in 0..5000 {
        let text = generator.text(&alphabet);
        let found = scan(&text);
        for problem in &found.problems {
            assert!(
                problem.len >= 2 && problem.offset + problem.len <= text.len(),
                "{text:?}"
            );
            assert_eq!(&text[problem.offset..problem.offset + 2], "${", "{text:?}");
        }
        for expression in &found.expressions {
            let span = &text[expression.offset..expression.offset + expression.len];
            assert!(span.starts_with("${") && span.ends_with('}'), "{text:?}");
        }
        let _ = with(&[("a", "é"), ("b", "")], &text, STRICT);
        let _ = with(&[("a", "é")], &text, LENIENT);
    }
}
