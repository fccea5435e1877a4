//! Character sets as far as OCI tags can tell them apart.
//!
//! A Go class is a set of Unicode code points. Tags are ASCII (`[\w][\w.-]{0,127}`), so the
//! only part of a class that can ever decide a match is its ASCII part — plus two non-ASCII
//! letters that case folding ties to ASCII ones: U+017F (ſ, folds with `s`/`S`) and U+212A
//! (Kelvin sign, folds with `k`/`K`). Go's own parser tests list exactly these two
//! (`(?i)[a-z]` = `cc{0x41-0x5a 0x61-0x7a 0x17f 0x212a}`), so a set over ASCII ∪ {ſ, K} is
//! closed under Go's simple case folding, and union, negation and folding computed on it are
//! exact for every ASCII haystack.

use crate::GoTarget;

/// U+017F LATIN SMALL LETTER LONG S: folds to `s` and `S`.
pub(crate) const LONG_S: char = '\u{17F}';
/// U+212A KELVIN SIGN: folds to `k` and `K`.
pub(crate) const KELVIN: char = '\u{212A}';

/// A class restricted to ASCII ∪ {ſ, K}.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CharSet {
    pub(crate) ascii: u128,
    pub(crate) long_s: bool,
    pub(crate) kelvin: bool,
}

const fn bit(c: u8) -> u128 {
    1u128 << c
}

const fn span(lo: u8, hi: u8) -> u128 {
    let mut m = 0u128;
    let mut c = lo;
    while c <= hi {
        m |= bit(c);
        if c == 127 {
            break;
        }
        c += 1;
    }
    m
}

const UPPER: u128 = span(b'A', b'Z');
const LOWER: u128 = span(b'a', b'z');
const DIGIT: u128 = span(b'0', b'9');
const ALL_ASCII: u128 = u128::MAX;

impl CharSet {
    pub(crate) const EMPTY: CharSet = CharSet {
        ascii: 0,
        long_s: false,
        kelvin: false,
    };
    pub(crate) const ALL: CharSet = CharSet {
        ascii: ALL_ASCII,
        long_s: true,
        kelvin: true,
    };

    const fn ascii(mask: u128) -> CharSet {
        CharSet {
            ascii: mask,
            long_s: false,
            kelvin: false,
        }
    }

    /// The code points `lo..=hi`.
    pub(crate) fn range(lo: u32, hi: u32) -> CharSet {
        let mut set = CharSet::EMPTY;
        if lo <= 127 {
            let top = hi.min(127);
            // Both ends are at most 127, so the casts are lossless.
            set.ascii = span(lo as u8, top as u8);
        }
        set.long_s = lo <= LONG_S as u32 && LONG_S as u32 <= hi;
        set.kelvin = lo <= KELVIN as u32 && KELVIN as u32 <= hi;
        set
    }

    pub(crate) fn single(c: char) -> CharSet {
        CharSet::range(c as u32, c as u32)
    }

    pub(crate) fn union(self, other: CharSet) -> CharSet {
        CharSet {
            ascii: self.ascii | other.ascii,
            long_s: self.long_s || other.long_s,
            kelvin: self.kelvin || other.kelvin,
        }
    }

    pub(crate) fn negate(self) -> CharSet {
        CharSet {
            ascii: !self.ascii,
            long_s: !self.long_s,
            kelvin: !self.kelvin,
        }
    }

    /// Closure under Go's `unicode.SimpleFold` orbits (restricted to this universe).
    pub(crate) fn fold(self) -> CharSet {
        let mut out = self;
        let letters = (self.ascii & UPPER) | ((self.ascii & LOWER) >> 32);
        out.ascii |= letters | (letters << 32);
        let s = self.contains(b's') || self.contains(b'S') || self.long_s;
        if s {
            out.ascii |= bit(b's') | bit(b'S');
            out.long_s = true;
        }
        let k = self.contains(b'k') || self.contains(b'K') || self.kelvin;
        if k {
            out.ascii |= bit(b'k') | bit(b'K');
            out.kelvin = true;
        }
        out
    }

    pub(crate) fn contains(self, b: u8) -> bool {
        b < 128 && self.ascii & bit(b) != 0
    }

    pub(crate) fn intersect_ascii(self, mask: u128) -> CharSet {
        CharSet {
            ascii: self.ascii & mask,
            long_s: false,
            kelvin: false,
        }
    }

    /// The ASCII bytes of the set as inclusive ranges.
    pub(crate) fn ascii_ranges(self) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        let mut c: u16 = 0;
        while c < 128 {
            // c < 128, so the cast is lossless.
            let b = c as u8;
            if self.contains(b) {
                let lo = b;
                let mut hi = b;
                while hi < 127 && self.contains(hi + 1) {
                    hi += 1;
                }
                out.push((lo, hi));
                c = u16::from(hi) + 1;
            } else {
                c += 1;
            }
        }
        out
    }

    /// `.` without the `s` flag: everything but `\n`.
    pub(crate) fn any_not_nl() -> CharSet {
        CharSet {
            ascii: !bit(b'\n'),
            long_s: true,
            kelvin: true,
        }
    }
}

/// OCI tag characters: `[A-Za-z0-9_.-]` (distribution-spec `[\w][\w.-]{0,127}`).
pub(crate) const TAG_CHARS: u128 = UPPER | LOWER | DIGIT | bit(b'_') | bit(b'.') | bit(b'-');
/// Characters a tag may start with: `\w`.
pub(crate) const TAG_FIRST: u128 = UPPER | LOWER | DIGIT | bit(b'_');

/// Perl classes (`perl_groups.go`): `\d`, `\s`, `\w` and their negations.
pub(crate) fn perl_group(c: char) -> Option<(bool, CharSet)> {
    let set = match c.to_ascii_lowercase() {
        'd' => CharSet::ascii(DIGIT),
        's' => CharSet::ascii(bit(b'\t') | bit(b'\n') | bit(0x0c) | bit(b'\r') | bit(b' ')),
        'w' => CharSet::ascii(DIGIT | UPPER | LOWER | bit(b'_')),
        _ => return None,
    };
    Some((c.is_ascii_uppercase(), set))
}

/// POSIX classes (`perl_groups.go`): `[:alpha:]` etc. `name` is the text between `[:` and `:]`.
pub(crate) fn posix_group(name: &str) -> Option<(bool, CharSet)> {
    let (negated, name) = match name.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let mask = match name {
        "alnum" => DIGIT | UPPER | LOWER,
        "alpha" => UPPER | LOWER,
        "ascii" => span(0, 0x7f),
        "blank" => bit(b'\t') | bit(b' '),
        "cntrl" => span(0, 0x1f) | bit(0x7f),
        "digit" => DIGIT,
        "graph" => span(0x21, 0x7e),
        "lower" => LOWER,
        "print" => span(0x20, 0x7e),
        "punct" => span(0x21, 0x2f) | span(0x3a, 0x40) | span(0x5b, 0x60) | span(0x7b, 0x7e),
        "space" => span(0x09, 0x0d) | bit(b' '),
        "upper" => UPPER,
        "word" => DIGIT | UPPER | LOWER | bit(b'_'),
        "xdigit" => DIGIT | span(b'A', b'F') | span(b'a', b'f'),
        _ => return None,
    };
    Some((negated, CharSet::ascii(mask)))
}

/// A Unicode general category or major class as Go's `unicode.Categories` holds it, projected
/// onto ASCII ∪ {ſ, K}. The projections follow UnicodeData.txt: every ASCII code point has
/// the same category in every Unicode version Go has shipped.
fn category(name: &str) -> Option<CharSet> {
    let cc = span(0, 0x1f) | bit(0x7f);
    let zs = bit(b' ');
    let po = bit(b'!')
        | bit(b'"')
        | bit(b'#')
        | bit(b'%')
        | bit(b'&')
        | bit(b'\'')
        | bit(b'*')
        | bit(b',')
        | bit(b'.')
        | bit(b'/')
        | bit(b':')
        | bit(b';')
        | bit(b'?')
        | bit(b'@')
        | bit(b'\\');
    let sc = bit(b'$');
    let ps = bit(b'(') | bit(b'[') | bit(b'{');
    let pe = bit(b')') | bit(b']') | bit(b'}');
    let sm = bit(b'+') | bit(b'<') | bit(b'=') | bit(b'>') | bit(b'|') | bit(b'~');
    let pd = bit(b'-');
    let sk = bit(b'^') | bit(b'`');
    let pc = bit(b'_');
    let ll = CharSet {
        ascii: LOWER,
        long_s: true,
        kelvin: false,
    };
    let lu = CharSet {
        ascii: UPPER,
        long_s: false,
        kelvin: true,
    };
    let set = match name {
        "C" | "Cc" => CharSet::ascii(cc),
        "Cf" | "Co" | "Cs" | "Cn" | "Lm" | "Lo" | "Lt" | "M" | "Mc" | "Me" | "Mn" | "Nl" | "No"
        | "Pf" | "Pi" | "So" | "Zl" | "Zp" => CharSet::EMPTY,
        "L" | "LC" => ll.union(lu),
        "Ll" => ll,
        "Lu" => lu,
        "N" | "Nd" => CharSet::ascii(DIGIT),
        "P" => CharSet::ascii(po | ps | pe | pd | pc),
        "Pc" => CharSet::ascii(pc),
        "Pd" => CharSet::ascii(pd),
        "Pe" => CharSet::ascii(pe),
        "Po" => CharSet::ascii(po),
        "Ps" => CharSet::ascii(ps),
        "S" => CharSet::ascii(sm | sc | sk),
        "Sc" => CharSet::ascii(sc),
        "Sk" => CharSet::ascii(sk),
        "Sm" => CharSet::ascii(sm),
        "Z" | "Zs" => CharSet::ascii(zs),
        _ => return None,
    };
    Some(set)
}

/// Keys of Go's `unicode.Categories` before Go 1.25.
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// Keys of Go's `unicode.Scripts` for Unicode 13.0.0 (Go 1.16 – 1.20).
const SCRIPTS_13: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Ugaritic",
    "Vai",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

/// Scripts added by Unicode 14.0 and 15.0 (Go 1.21 moved to Unicode 15.0.0).
const SCRIPTS_15_ADDED: &[&str] = &[
    "Cypro_Minoan",
    "Kawi",
    "Nag_Mundari",
    "Old_Uyghur",
    "Tangsa",
    "Toto",
    "Vithkuqi",
];

/// Long names of the general categories (Unicode PropertyValueAliases.txt), as Go 1.25's
/// `unicode.CategoryAliases` holds them, already passed through [`canonical_name`].
const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Other", "C"),
    ("Control", "Cc"),
    ("Cntrl", "Cc"),
    ("Format", "Cf"),
    ("Unassigned", "Cn"),
    ("Privateuse", "Co"),
    ("Surrogate", "Cs"),
    ("Letter", "L"),
    ("Casedletter", "LC"),
    ("Lowercaseletter", "Ll"),
    ("Modifierletter", "Lm"),
    ("Otherletter", "Lo"),
    ("Titlecaseletter", "Lt"),
    ("Uppercaseletter", "Lu"),
    ("Mark", "M"),
    ("Combiningmark", "M"),
    ("Spacingmark", "Mc"),
    ("Enclosingmark", "Me"),
    ("Nonspacingmark", "Mn"),
    ("Number", "N"),
    ("Decimalnumber", "Nd"),
    ("Digit", "Nd"),
    ("Letternumber", "Nl"),
    ("Othernumber", "No"),
    ("Punctuation", "P"),
    ("Punct", "P"),
    ("Connectorpunctuation", "Pc"),
    ("Dashpunctuation", "Pd"),
    ("Closepunctuation", "Pe"),
    ("Finalpunctuation", "Pf"),
    ("Initialpunctuation", "Pi"),
    ("Otherpunctuation", "Po"),
    ("Openpunctuation", "Ps"),
    ("Symbol", "S"),
    ("Currencysymbol", "Sc"),
    ("Modifiersymbol", "Sk"),
    ("Mathsymbol", "Sm"),
    ("Othersymbol", "So"),
    ("Separator", "Z"),
    ("Lineseparator", "Zl"),
    ("Paragraphseparator", "Zp"),
    ("Spaceseparator", "Zs"),
];

fn script(name: &str) -> CharSet {
    match name {
        // Latin holds A-Z, a-z, ſ and the Kelvin sign; Common holds every other ASCII
        // code point (Scripts.txt); no other script reaches ASCII.
        "Latin" => CharSet {
            ascii: UPPER | LOWER,
            long_s: true,
            kelvin: true,
        },
        "Common" => CharSet::ascii(!(UPPER | LOWER)),
        _ => CharSet::EMPTY,
    }
}

/// Go 1.25's `canonicalName`: drop `_`, `-` and spaces, upper-case the first letter and
/// lower-case the rest.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for c in name.chars() {
        match c {
            '_' | '-' | ' ' => {}
            c if first => {
                out.push(c.to_ascii_uppercase());
                first = false;
            }
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Go's `unicodeTable(name)`: the positive set a `\p{name}` denotes, or `None` when the
/// target Go release knows no such table (`invalid character class range`).
pub(crate) fn unicode_table(name: &str, target: GoTarget) -> Option<CharSet> {
    let scripts_15 = target.go_minor >= 21;
    let is_script =
        |n: &str| SCRIPTS_13.contains(&n) || (scripts_15 && SCRIPTS_15_ADDED.contains(&n));
    if target.go_minor < 25 {
        if name == "Any" {
            return Some(CharSet::ALL);
        }
        if CATEGORIES.contains(&name) {
            return category(name);
        }
        if is_script(name) {
            return Some(script(name));
        }
        return None;
    }
    // Go 1.25+: case-, space-, underscore- and hyphen-insensitive lookup, plus Any, Assigned,
    // ASCII, Cn, LC and the long category names (regexp/syntax parse.go `unicodeTable`).
    let canon = canonical_name(name);
    match canon.as_str() {
        "Any" | "Assigned" => return Some(CharSet::ALL),
        "Ascii" => return Some(CharSet::ascii(ALL_ASCII)),
        "Lc" => return category("LC"),
        "Cn" => return category("Cn"),
        _ => {}
    }
    if CATEGORIES.contains(&canon.as_str()) {
        return category(&canon);
    }
    // Go looks the canonical name up in `unicode.Scripts`, whose multi-word keys keep their
    // underscores; whether such names still resolve is not settled here, so they are
    // accepted (never a false error): compare canonical forms on both sides.
    let all_scripts = SCRIPTS_13
        .iter()
        .chain(if scripts_15 { SCRIPTS_15_ADDED } else { &[] });
    for key in all_scripts {
        if canonical_name(key) == canon {
            return Some(script(key));
        }
    }
    CATEGORY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == canon)
        .and_then(|(_, cat)| category(cat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_closes_ascii_letters_and_the_two_specials() {
        let s = CharSet::single('s').fold();
        assert!(s.contains(b'S') && s.long_s && !s.kelvin);
        let k = CharSet::single(KELVIN).fold();
        assert!(k.contains(b'k') && k.contains(b'K'));
        let digits = CharSet::range('0' as u32, '9' as u32);
        assert_eq!(digits.fold(), digits);
    }

    #[test]
    fn ranges_round_trip() {
        let set = CharSet::range('a' as u32, 'f' as u32).union(CharSet::single('-'));
        assert_eq!(set.ascii_ranges(), vec![(b'-', b'-'), (b'a', b'f')]);
        assert_eq!(CharSet::ALL.ascii_ranges(), vec![(0, 127)]);
        assert!(CharSet::range(0x80, 0x10FFFF).ascii_ranges().is_empty());
    }

    #[test]
    fn unicode_names_follow_the_target() {
        let old = GoTarget::go(19);
        let new = GoTarget::go(25);
        assert!(unicode_table("Greek", old).is_some());
        assert!(unicode_table("Emoji", old).is_none());
        assert!(unicode_table("Emoji", new).is_none());
        assert!(unicode_table("letter", old).is_none());
        assert_eq!(unicode_table("letter", new), unicode_table("L", old));
        assert!(unicode_table("Toto", old).is_none());
        assert!(unicode_table("Toto", GoTarget::go(21)).is_some());
        assert!(unicode_table("ASCII", new).is_some());
    }
}
