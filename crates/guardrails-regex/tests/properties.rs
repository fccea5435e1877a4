//! Property tests of the language machinery against an independent oracle.
//!
//! Small random patterns over the alphabet `a b - 1 .` (classes, groups, alternations,
//! repetitions, anchors, `\b`) mean the same in Go and in the Rust `regex` crate in ASCII
//! mode, so `regex::bytes` can judge:
//! (a) every witness `intersect` returns is a valid tag that both patterns match;
//! (b) when `intersect` says there is none, no string of length 1..=6 over the alphabet
//!     (first character a word character, as for tags) is matched by both;
//! (c) a witness is never longer than a common string found by enumeration (shortest);
//! (d) `TagMatcher::accepts` and `accepts` agree with `regex` on every enumerated string.

use guardrails_regex::{GoTarget, Limits, accepts, accepts_prefix, check_go_syntax, intersect};

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

const ALPHABET: &[u8] = b"ab-1.";

fn atom(rng: &mut Rng, depth: usize) -> String {
    match rng.below(12) {
        0..=4 => rng.pick(&["a", "b", "-", "1", "\\.", "a", "b"]).to_owned(),
        5 | 6 => rng
            .pick(&["[ab]", "[^a]", "[a1.]", "[-.]", "[b-]", "\\w", "\\d"])
            .to_owned(),
        7 => ".".to_owned(),
        8 | 9 if depth < 2 => {
            let open = rng.pick(&["(", "(?:"]);
            format!("{open}{})", alternation(rng, depth + 1))
        }
        10 => rng.pick(&["\\b", "\\B"]).to_owned(),
        _ => rng.pick(&["a", "1"]).to_owned(),
    }
}

fn concat(rng: &mut Rng, depth: usize) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.below(3) {
        s.push_str(&atom(rng, depth));
        if rng.below(3) == 0 {
            s.push_str(rng.pick(&["*", "+", "?", "{1,2}", "{2}", "*?", "{0,2}"]));
        }
    }
    s
}

fn alternation(rng: &mut Rng, depth: usize) -> String {
    let mut s = concat(rng, depth);
    if rng.below(4) == 0 {
        s.push('|');
        s.push_str(&concat(rng, depth));
    }
    s
}

fn pattern(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.below(2) == 0 {
        s.push('^');
    }
    s.push_str(&alternation(rng, 0));
    if rng.below(2) == 0 {
        s.push('$');
    }
    s
}

/// All strings of length 1..=6 over ALPHABET whose first byte is a word character.
fn domain() -> Vec<String> {
    let mut out = Vec::new();
    let mut layer: Vec<String> = ALPHABET
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|&b| char::from(b).to_string())
        .collect();
    for _ in 0..6 {
        out.extend(layer.iter().cloned());
        let mut next = Vec::new();
        for s in &layer {
            for &b in ALPHABET {
                next.push(format!("{s}{}", char::from(b)));
            }
        }
        layer = next;
    }
    out
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

#[test]
fn intersection_witnesses_and_emptiness_agree_with_regex() {
    let mut rng = Rng(0xD1FF_E2E2_0001);
    let patterns: Vec<String> = (0..70).map(|_| pattern(&mut rng)).collect();
    let strings = domain();
    assert_eq!(strings.len(), 3 * (1 + 5 + 25 + 125 + 625 + 3125));

    // Oracle match sets, and check (d) on the way.
    let mut sets: Vec<Vec<bool>> = Vec::new();
    for p in &patterns {
        let oracle = regex::bytes::Regex::new(&format!("(?-u:{p})")).expect("oracle compiles");
        let re = check_go_syntax(p, GoTarget::go(19)).unwrap_or_else(|e| panic!("{p}: {e}"));
        let matcher = re.matcher(Limits::default()).expect("matcher");
        let set: Vec<bool> = strings
            .iter()
            .map(|s| oracle.is_match(s.as_bytes()))
            .collect();
        for (s, &want) in strings.iter().zip(&set) {
            assert_eq!(matcher.accepts(s), want, "TagMatcher {p:?} on {s:?}");
        }
        for s in strings.iter().step_by(97) {
            assert_eq!(
                accepts(p, s),
                oracle.is_match(s.as_bytes()),
                "accepts {p:?} on {s:?}"
            );
        }
        sets.push(set);
    }

    let (mut some, mut none) = (0, 0);
    for i in 0..patterns.len() {
        for j in i..patterns.len() {
            let (a, b) = (&patterns[i], &patterns[j]);
            let common = strings
                .iter()
                .zip(sets[i].iter().zip(&sets[j]))
                .find(|(_, (x, y))| **x && **y);
            match intersect(a, b, Limits::default()).expect("decidable") {
                Some(w) => {
                    some += 1;
                    assert!(valid_tag(&w), "{a:?} ∩ {b:?}: witness {w:?} is not a tag");
                    for p in [a, b] {
                        let oracle =
                            regex::bytes::Regex::new(&format!("(?-u:{p})")).expect("oracle");
                        assert!(
                            oracle.is_match(w.as_bytes()),
                            "{a:?} ∩ {b:?}: witness {w:?} not matched by {p:?}"
                        );
                    }
                    if let Some((s, _)) = common {
                        assert!(
                            w.len() <= s.len(),
                            "{a:?} ∩ {b:?}: witness {w:?} longer than {s:?}"
                        );
                    }
                }
                None => {
                    none += 1;
                    assert!(
                        common.is_none(),
                        "{a:?} ∩ {b:?}: said empty, but both match {:?}",
                        common.map(|c| c.0)
                    );
                }
            }
        }
    }
    eprintln!(
        "{} patterns, {} pairs: {some} intersecting, {none} disjoint",
        patterns.len(),
        some + none
    );
    assert!(
        some > 100 && none > 100,
        "the generator should produce both outcomes ({some}/{none})"
    );
}

#[test]
fn prefix_witnesses_start_with_the_prefix() {
    let mut rng = Rng(0xD1FF_E2E2_0002);
    let strings = domain();
    for _ in 0..150 {
        let p = pattern(&mut rng);
        let oracle = regex::bytes::Regex::new(&format!("(?-u:{p})")).expect("oracle");
        for prefix in ["a", "1-", "ab.", "b1"] {
            match accepts_prefix(&p, prefix).expect("decidable") {
                Some(w) => {
                    assert!(
                        w.starts_with(prefix) && valid_tag(&w),
                        "{p:?}/{prefix}: {w:?}"
                    );
                    assert!(
                        oracle.is_match(w.as_bytes()),
                        "{p:?}/{prefix}: {w:?} not matched"
                    );
                }
                None => {
                    for s in strings.iter().filter(|s| s.starts_with(prefix)) {
                        assert!(
                            !oracle.is_match(s.as_bytes()),
                            "{p:?}/{prefix}: said none, but {s:?} matches"
                        );
                    }
                }
            }
        }
    }
}
