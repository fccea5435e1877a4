//! Differential test: our port of Go's parser against the real `regexp.Compile`.
//!
//! Runs `tests/go/regexcheck` with the `go` found on PATH over a hand-written list (every
//! construct Go's RE2 syntax and Rust's `regex` read differently, real tag filters, every
//! error code) and a few thousand generated patterns, and requires the same accept/reject
//! decision and the same error text for every one of them.
//!
//! Without `go` the test is skipped with a message on stderr — unless the environment
//! variable `GUARDRAILS_REQUIRE_TOOLS` is set (CI), then it fails.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use guardrails_regex::{GoTarget, Limits, check_go_syntax};

/// The hand-written patterns. Error texts are compared for all of them.
fn hand_written() -> Vec<String> {
    let fixed: &[&str] = &[
        // Real-world tag filters.
        r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$",
        r"^production-v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]{7}-(?P<ts>[0-9]+)$",
        r"^staging-v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-[a-f0-9]{7}-(?P<ts>[0-9]+)$",
        r"^develop-[a-f0-9]{7}-(?P<ts>\d{10})$",
        r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
        r"^[0-9]+\.[0-9]+\.[0-9]+$",
        r"^v\d+\.\d+\.\d+(-rc\.\d+)?$",
        r"^.*\.sig$",
        r"^(?P<ts>\d{14})$",
        r"^[a-fA-F0-9]{40}$",
        r"production-.*",
        r"^pr-(?P<ts>[0-9]+",
        r"^(?P<env>dev|staging|prod)-(?P<ts>[0-9]{8}T[0-9]{6})$",
        r"^(?P<ts>\d+)-(?P<sha>[a-f0-9]{7,40})$",
        // (?P<name>) / (?<name>) and names.
        r"(?P<ts>[0-9]+)",
        r"^(?<ts>[0-9]+)$",
        r"(?<ts",
        r"(?<>a)",
        r"(?P<a>x)(?P<a>y)",
        r"(?P<1x>a)",
        r"(?P<a.b>a)",
        r"(?P<a b>a)",
        r"(?P<>a)",
        r"(?P<name",
        r"(?P<name>",
        r"(?P=name)",
        r"(?P>a)",
        r"(?P",
        // Flags.
        r"(?i)abc",
        r"(?i:abc)d",
        r"(?im-s:a.)",
        r"(?x)a b",
        r"(?u)a",
        r"(?R)a",
        r"(?-)a",
        r"(?i-)a",
        r"(?)a",
        r"(?",
        r"(?:",
        r"(?i",
        r"(?--i)a",
        r"(?U)a*",
        r"(?s).",
        r"(?m)^a$",
        r"(?i)[k]",
        // Nested and possessive repetition, counts.
        r"a**",
        r"a*+",
        r"[0-9]++",
        r"a+?+",
        r"a???",
        r"a??",
        r"a{2}{3}",
        r"a{2}*",
        r"a*{2}",
        r"a*{",
        r"\d{1001}",
        r"\d{1000}",
        r"x{1,1001}",
        r"x{2,1}",
        r"x{99999999999}",
        r"x{1001",
        r"a{,3}",
        r"a{02}",
        r"{2}",
        r"(?:a{100}){11}",
        r"(?:a{100}){10}",
        r"(?:[a-z]{4}){0,250}",
        r"(?:[a-z]{4}){0,251}",
        r"((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})",
        r"((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}))",
        r"(a{1000}){1000}",
        r"(?:a{0}){2000}",
        // Missing arguments.
        r"*a",
        r"a|*",
        r"(*)",
        r"(?i)*",
        r"a(?i)*",
        r"a*(?i)*",
        r"^*",
        r"$+",
        r"\b+",
        r"\Q\E*",
        // \Q…\E and octal.
        r"\Qa.b\E",
        r"\Qa.b",
        r"\Qab\E+",
        r"\Q\\E",
        r"\012",
        r"\0",
        r"[\012-\234]\141",
        r"\1",
        r"\18",
        r"\8",
        // Unicode classes.
        r"\p{Emoji}",
        r"\p{Greek}",
        r"\pL",
        r"\pX",
        r"\p{^Greek}",
        r"\P{^Greek}",
        r"\PL",
        r"\p{Any}",
        r"\p{Letter}",
        r"\p{Toto}",
        r"\p",
        r"\p{",
        r"\p{}",
        r"[\p{Lu}]",
        r"[\p{Foo}]",
        r"(?i)\p{Lu}",
        // Same text, different meaning in Rust.
        r"\<tag\>",
        r"\b{start}v1",
        r"[a-z&&[^aeiou]]",
        r"[a--b]",
        r"[a~~b]",
        r"[[a]]",
        // Rejected by both.
        r"(?=a)",
        r"(?!a)",
        r"(?<=a)b",
        r"(?<!a)b",
        r"(a)\1",
        r"a\Z",
        // Escapes.
        r"\z",
        r"\Aa",
        r"\C",
        r"\e",
        r"\x4",
        r"\x41",
        r"\x{41}",
        r"\x{110000}",
        r"\x{}",
        r"\x{4",
        r"\xZZ",
        r"\_",
        r"\-",
        "\\é",
        "\\",
        "a\\",
        r"\.",
        // Parentheses.
        r"(",
        r")",
        r"a)",
        r"(a))",
        r"(a|b",
        r"a|b)",
        r"()",
        r"(|)",
        r"|",
        r"",
        r"((a)",
        // Classes.
        r"[a-z",
        r"[]",
        r"[]a]",
        r"[^]",
        r"[^]a]",
        r"[z-a]",
        r"[[:alpha:]]",
        r"[[:foo:]]",
        r"[[:^digit:]x]",
        r"[[:a]b:]]",
        r"[a-\d]",
        r"[\d-z]",
        r"[a-]",
        r"[-a]",
        r"[\Q]",
        r"[\b]",
        r"[a-b-c]",
        r"(?i)[a-Z]",
        r"[\x{D800}-\x{E000}]",
        "[\u{3b1}-\u{3b5}\u{263a}]",
    ];
    let mut out: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    // Go's nesting and size limits (parse_test.go).
    out.push("(".repeat(999) + &")".repeat(999));
    out.push("(".repeat(1000) + &")".repeat(1000));
    out.push("(?:".repeat(999) + &")*".repeat(999));
    out.push("(?:".repeat(1000) + &")*".repeat(1000));
    out.push(format!("({}){{1000}}", "(xx?)".repeat(1000)));
    out.push("(xx?){1000}".repeat(1000));
    out.push("(xx?){1000}".repeat(500));
    out.push(format!("({})", "|".repeat(12345)));
    out
}

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const LITERALS: &[&str] = &[
    "a", "b", "x", "0", "9", "-", "_", ".", "é", "{", "}", "]", ",", "k", "S",
];
const CLASSES: &[&str] = &[
    "[a-z]",
    "[^0-9]",
    "[a-f0-9]",
    "[z-a]",
    "[[:alpha:]]",
    "[[:word:]]",
    "[[:foo:]]",
    "[]a]",
    "[^]",
    "[a-",
    "[\\d-z]",
    "[a-\\d]",
    "[\\w.-]",
    "[\\p{Greek}]",
    "[a&&b]",
    "[a--b]",
    "[[a]]",
    "[\\Q]",
    "[\\x41-\\x5a]",
    "[\\012]",
    "[^\\n]",
    "[.]",
    "[\\]]",
    "[[:^space:]]",
    ".",
];
const OPENERS: &[&str] = &[
    "(", "(", "(", "(?:", "(?:", "(?P<ts>", "(?P<v>", "(?P<1x>", "(?P<a.b>", "(?<n>", "(?i)",
    "(?i:", "(?s:", "(?m)", "(?-m)", "(?x)", "(?U)", "(?)", "(?-)", "(?i-s)", "(?=", "(?!", "(?<=",
    "(?P<", "(?P=ts)", "(?P<ts>",
];
const REPEATS: &[&str] = &[
    "*", "+", "?", "*", "+", "?", "*?", "+?", "??", "{2}", "{2,}", "{2,5}", "{0,3}", "{5,2}",
    "{1001}", "{1000}", "{10}", "{100}", "{,3}", "{", "{2", "{02}", "{0}", "{1,}?", "{3}",
];
const ASSERTIONS: &[&str] = &["^", "$", "\\A", "\\z", "\\b", "\\B", "\\Z"];
const ESCAPES: &[&str] = &[
    "\\d",
    "\\D",
    "\\w",
    "\\s",
    "\\.",
    "\\-",
    "\\_",
    "\\Qa.b\\E",
    "\\Q*",
    "\\012",
    "\\0",
    "\\1",
    "\\8",
    "\\x41",
    "\\x{41}",
    "\\x4",
    "\\x{110000}",
    "\\pL",
    "\\p{Greek}",
    "\\p{Emoji}",
    "\\PN",
    "\\p{^L}",
    "\\pZ",
    "\\p",
    "\\C",
    "\\<",
    "\\>",
    "\\b{start}",
    "\\e",
    "\\n",
    "\\t",
    "\\é",
    "\\p{Letter}",
    "\\x{4",
    "\\Q\\E",
];

/// A random token soup: valid and invalid, balanced or not.
fn soup(rng: &mut Rng) -> String {
    let n = 1 + rng.below(9);
    let mut s = String::new();
    for _ in 0..n {
        let token = match rng.below(16) {
            0..=3 => rng.pick(LITERALS),
            4 | 5 => rng.pick(CLASSES),
            6 | 7 => rng.pick(OPENERS),
            8 | 9 => ")",
            10 => "|",
            11 | 12 => rng.pick(REPEATS),
            13 => rng.pick(ASSERTIONS),
            _ => rng.pick(ESCAPES),
        };
        s.push_str(token);
    }
    if rng.below(40) == 0 {
        s.push('\\');
    }
    s
}

/// Balanced nests of counted repetitions: Go's product-of-counts and size rules.
fn nest(rng: &mut Rng) -> String {
    let counts = [
        "{1}", "{2}", "{3}", "{10}", "{31}", "{32}", "{100}", "{500}", "{1000}", "*", "+", "{0,5}",
        "{2,}",
    ];
    let mut s = rng.pick(&["a", "[a-z]", "(?:ab)", "(x)", "\\d"]).to_owned();
    for _ in 0..1 + rng.below(4) {
        let open = rng.pick(&["(", "(?:", "(?P<g>"]);
        let other = if rng.below(3) == 0 { "|b" } else { "" };
        s = format!("{open}{s}{other}){}", rng.pick(&counts));
    }
    s
}

/// Mostly well-formed patterns from a small grammar, so that acceptance paths (and the
/// rare invalid token inside a valid structure) are exercised too.
fn structured(rng: &mut Rng, depth: usize) -> String {
    let branches = 1 + rng.below(if depth == 0 { 2 } else { 3 });
    let mut alts = Vec::new();
    for _ in 0..branches {
        let mut s = String::new();
        if rng.below(4) == 0 {
            s.push('^');
        }
        for _ in 0..1 + rng.below(4) {
            let atom = match rng.below(10) {
                0..=3 => rng.pick(LITERALS).to_owned(),
                4 | 5 => rng
                    .pick(&[
                        "[a-z]",
                        "[^0-9]",
                        "[a-f0-9]",
                        "[[:alpha:]]",
                        "[\\w.-]",
                        "[]a]",
                        ".",
                        "[\\d-]",
                    ])
                    .to_owned(),
                6 => rng
                    .pick(&[
                        "\\d",
                        "\\w",
                        "\\.",
                        "\\pL",
                        "\\p{Greek}",
                        "\\x41",
                        "\\Qa.\\E",
                        "\\012",
                        "\\b",
                    ])
                    .to_owned(),
                7 if depth < 3 => {
                    let open = rng.pick(&["(", "(?:", "(?P<ts>", "(?i:", "(?P<v>", "(?s:"]);
                    format!("{open}{})", structured(rng, depth + 1))
                }
                8 => rng
                    .pick(&[
                        "\\Z",
                        "(?x)",
                        "{1001}",
                        "**",
                        "\\p{Emoji}",
                        "(?=a)",
                        "[z-a]",
                        "\\8",
                    ])
                    .to_owned(),
                _ => rng.pick(LITERALS).to_owned(),
            };
            s.push_str(&atom);
            if rng.below(3) == 0 {
                s.push_str(
                    rng.pick(&["*", "+", "?", "{2}", "{1,3}", "{0,}", "*?", "{10}", "{100}"]),
                );
            }
        }
        if rng.below(4) == 0 {
            s.push('$');
        }
        alts.push(s);
    }
    alts.join("|")
}

fn generated() -> Vec<String> {
    let mut rng = Rng(0x5EED_F1A7_2026);
    let mut out = Vec::new();
    for _ in 0..3000 {
        out.push(soup(&mut rng));
    }
    for _ in 0..400 {
        out.push(nest(&mut rng));
    }
    for _ in 0..1600 {
        out.push(structured(&mut rng, 0));
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Decode the JSON string starting at `s[0] == '"'`; returns the string and the rest.
fn parse_json_string(s: &str) -> (String, &str) {
    let mut chars = s.char_indices();
    assert_eq!(
        chars.next().map(|c| c.1),
        Some('"'),
        "not a JSON string: {s}"
    );
    let mut out = String::new();
    let mut pending_high: Option<u32> = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => {
                let (_, e) = chars.next().expect("escape");
                match e {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let hex: String = (0..4).map(|_| chars.next().expect("hex").1).collect();
                        let v = u32::from_str_radix(&hex, 16).expect("hex");
                        if (0xD800..0xDC00).contains(&v) {
                            pending_high = Some(v);
                            continue;
                        }
                        let v = match pending_high.take() {
                            Some(high) => 0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00),
                            None => v,
                        };
                        out.push(char::from_u32(v).expect("scalar"));
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    panic!("unterminated JSON string: {s}");
}

struct GoRun {
    minor: u32,
    version: String,
    /// Per input line: `Ok(match flags)` (empty without `-match`) or Go's error text.
    results: Vec<Result<String, String>>,
}

/// Run `regexcheck` with `args` over `lines` (each already one JSON value).
fn run_go(lines: &[String], args: &[&str]) -> GoRun {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guardrails-regex-go");
    let mut child = Command::new("go")
        .args(["run", "."])
        .args(args)
        .current_dir(manifest.join("tests/go/regexcheck"))
        .env("GOCACHE", tmp.join("cache"))
        .env("GOPATH", tmp.join("path"))
        .env("GOTMPDIR", std::env::temp_dir())
        .env("GOFLAGS", "-mod=mod")
        .env("GO111MODULE", "on")
        .env("GOWORK", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOTELEMETRY", "off")
        .env("CGO_ENABLED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start `go run`");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write patterns");
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut out = stdout.lines();
    let header = out.next().expect("version line").expect("read");
    let version = header
        .strip_prefix("{\"go\":")
        .map(|rest| parse_json_string(rest).0)
        .unwrap_or_else(|| panic!("unexpected header {header}"));
    let minor = version
        .split("go1.")
        .nth(1)
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the Go version from {version}"));
    let mut results = Vec::new();
    for line in out {
        let line = line.expect("read");
        if line == "{\"ok\":true}" {
            results.push(Ok(String::new()));
        } else if let Some(rest) = line.strip_prefix("{\"ok\":true,\"match\":") {
            results.push(Ok(parse_json_string(rest).0));
        } else if let Some(rest) = line.strip_prefix("{\"ok\":false,\"error\":") {
            results.push(Err(parse_json_string(rest).0));
        } else {
            panic!("unexpected line from regexcheck: {line}");
        }
    }
    writer.join().expect("writer");
    let status = child.wait().expect("wait");
    assert!(status.success(), "regexcheck failed: {status}");
    assert_eq!(results.len(), lines.len(), "one result per input line");
    GoRun {
        minor,
        version,
        results,
    }
}

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether to run: `go` is present, or it is absent and allowed to be.
fn go_or_skip(test: &str) -> bool {
    if go_available() {
        return true;
    }
    if std::env::var_os("GUARDRAILS_REQUIRE_TOOLS").is_some() {
        panic!("`go` is not on PATH but GUARDRAILS_REQUIRE_TOOLS is set: install golang-go");
    }
    // Written to the process's stderr directly: libtest captures `eprintln!` of passing
    // tests, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: `go` is not on PATH (apt-get install golang-go)"
    );
    false
}

fn show(p: &str) -> String {
    if p.len() <= 120 {
        return format!("{p:?}");
    }
    let mut cut = 100;
    while !p.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{:?}… ({} bytes)", &p[..cut], p.len())
}

/// Syntax: same accept/reject decision and same error text for every pattern.
#[test]
fn go_regexp_compile_agrees() {
    if !go_or_skip("go_regexp_compile_agrees") {
        return;
    }
    let hand = hand_written();
    let generated = generated();
    assert!(hand.len() >= 80, "{} hand-written patterns", hand.len());
    assert!(
        generated.len() >= 2000,
        "{} generated patterns",
        generated.len()
    );
    let all: Vec<String> = hand.iter().chain(&generated).cloned().collect();
    let lines: Vec<String> = all.iter().map(|p| json_string(p)).collect();
    let go = run_go(&lines, &[]);
    let target = GoTarget::go(go.minor);

    let mut mismatches = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    let text = |r: &Result<(), String>| match r {
        Ok(()) => "accepted".to_owned(),
        Err(e) => show(e),
    };
    for (i, (pattern, want)) in all.iter().zip(&go.results).enumerate() {
        let got = check_go_syntax(pattern, target)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let want = want.clone().map(|_| ());
        match want {
            Ok(()) => accepted += 1,
            Err(_) => rejected += 1,
        }
        if got != want {
            let origin = if i < hand.len() {
                "hand-written"
            } else {
                "generated"
            };
            mismatches.push(format!(
                "{origin} {}: Go {}, ours {}",
                show(pattern),
                text(&want),
                text(&got)
            ));
        }
    }
    eprintln!(
        "{}: {} hand-written + {} generated patterns, {accepted} accepted and {rejected} rejected by Go",
        go.version,
        hand.len(),
        generated.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} disagreements with {}:\n{}",
        mismatches.len(),
        go.version,
        mismatches.join("\n")
    );
}

/// ASCII haystacks for the matching test: fixed ones, random ones over characters that
/// classes, anchors and word boundaries care about, and mutated pieces of the pattern.
fn haystacks(rng: &mut Rng, pattern: &str) -> Vec<String> {
    const FIXED: &[&str] = &[
        "",
        "a",
        "b",
        "k",
        "K",
        "s",
        "S",
        "x",
        "0",
        "9",
        "_",
        "-",
        ".",
        "ab",
        "a\nb",
        "\n",
        "aaa",
        "1x",
        "main-abc1234-1700000000",
        "production-v1.2.3-abc1234-1700000000",
        "staging-v1.2.3-abc1234-1",
        "v1.2.3",
        "v1.2.3-rc.1",
        "<tag>",
        "{start}",
        "a]",
        "a{,3}",
        "x{1001",
        "\u{7f}",
        "\t \r",
    ];
    const CHARS: &[u8] = b"abkKsSxyz019_.-<>{}[]&~^$ \n!AZ\\|()*+?,:=\"'@`";
    let mut out: Vec<String> = FIXED.iter().map(|s| (*s).to_owned()).collect();
    for _ in 0..12 {
        let len = rng.below(9);
        out.push(
            (0..len)
                .map(|_| char::from(CHARS[rng.below(CHARS.len())]))
                .collect(),
        );
    }
    let ascii: Vec<char> = pattern
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .collect();
    for _ in 0..10 {
        if ascii.is_empty() {
            break;
        }
        let start = rng.below(ascii.len());
        let len = rng.below(ascii.len() - start + 1);
        let mut piece: Vec<char> = ascii[start..start + len]
            .iter()
            .copied()
            .filter(|c| !"\\[](){}?*+|^$".contains(*c))
            .collect();
        if !piece.is_empty() && rng.below(2) == 0 {
            let at = rng.below(piece.len());
            piece[at] = char::from(CHARS[rng.below(CHARS.len())]);
        }
        out.push(piece.into_iter().collect());
    }
    out
}

/// Matching: for every pattern Go accepts, our automata keep exactly the haystacks in which
/// Go's `FindStringSubmatchIndex` finds a match (all ASCII, where exactness is promised).
#[test]
fn go_matching_agrees() {
    if !go_or_skip("go_matching_agrees") {
        return;
    }
    let mut rng = Rng(0x3A7C_4E55_0001);
    let patterns: Vec<String> = hand_written().into_iter().chain(generated()).collect();
    let cases: Vec<(String, Vec<String>)> = patterns
        .into_iter()
        .map(|p| {
            let hay = haystacks(&mut rng, &p);
            (p, hay)
        })
        .collect();
    let lines: Vec<String> = cases
        .iter()
        .map(|(p, hay)| {
            let items: Vec<String> = std::iter::once(p)
                .chain(hay)
                .map(|s| json_string(s))
                .collect();
            format!("[{}]", items.join(","))
        })
        .collect();
    let go = run_go(&lines, &["-match"]);
    let target = GoTarget::go(go.minor);
    let mut mismatches = Vec::new();
    let (mut patterns_checked, mut haystacks_checked) = (0, 0);
    let mut refused: Vec<String> = Vec::new();
    for ((pattern, hay), want) in cases.iter().zip(&go.results) {
        let Ok(flags) = want else {
            continue;
        };
        let Ok(re) = check_go_syntax(pattern, target) else {
            mismatches.push(format!("{}: Go accepts, ours rejects", show(pattern)));
            continue;
        };
        // A small dense-DFA budget keeps the debug build fast: larger patterns get the
        // lazy DFA, which is what `GoRegex::matcher` falls back to anyway.
        let small = Limits {
            dfa_size_limit: 64 << 10,
            determinize_size_limit: 64 << 10,
            ..Limits::default()
        };
        let matcher = match re.matcher(small) {
            Ok(m) => m,
            Err(e) => {
                // Deliberately not simulated: nested deeper than Limits::max_nesting, or
                // an NFA above Limits::nfa_size_limit (multi-kilobyte stress patterns).
                refused.push(format!("{} ({e})", show(pattern)));
                continue;
            }
        };
        patterns_checked += 1;
        for (tag, flag) in hay.iter().zip(flags.chars()) {
            let ours = matcher.accepts(tag);
            haystacks_checked += 1;
            if ours != (flag == '1') {
                mismatches.push(format!(
                    "{} on {tag:?}: Go {}, ours {ours}",
                    show(pattern),
                    flag == '1'
                ));
            }
        }
    }
    eprintln!(
        "{}: {patterns_checked} patterns, {haystacks_checked} haystack matches compared; not simulated: {refused:#?}",
        go.version
    );
    assert!(
        refused.len() <= 3,
        "too many patterns not simulated: {refused:#?}"
    );
    assert!(
        patterns_checked > 1500,
        "{patterns_checked} patterns compared"
    );
    assert!(
        mismatches.is_empty(),
        "{} disagreements with {}:\n{}",
        mismatches.len(),
        go.version,
        mismatches.join("\n")
    );
}

#[test]
fn json_helpers_round_trip() {
    for s in ["plain", "q\"uote", "back\\slash", "nl\nx", "\u{1}", "é☺"] {
        let encoded = json_string(s);
        let (back, rest) = parse_json_string(&encoded);
        assert_eq!(back, s);
        assert_eq!(rest, "");
    }
    assert_eq!(parse_json_string("\"\\ud83d\\ude00\"").0, "😀");
}
