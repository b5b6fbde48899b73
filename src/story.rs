//! Story identity across sources: which stored item (from any feed) reports the same event as
//! an incoming one.
//!
//! Rules, in order (see ARCHITECTURE.md, "Story clustering"):
//! 1. **Same canonical URL** (`dedup::canonical_url`): the same article, whatever feed it came
//!    from or whatever tracking parameters it carries.
//! 2. **Near-duplicate text** within the same language and a bounded time window
//!    ([`WINDOW_SECS`]): the item joins the story of its most similar earlier item when the
//!    similarity, discounted by their distance in time ([`TIME_DECAY`]), reaches
//!    [`THRESHOLD`], one of the two covers the other's headline ([`MIN_COVERAGE`]), no veto
//!    applies between the two, and no member of that story states another fact ([`admits`]).
//!
//! Text is prepared once per item ([`Profile`]): the title without outlet decorations
//! (`VIDEO:`, `[Ảnh]`, ` | VnExpress`, ` - Tuổi Trẻ Online`), NFC, case-folded, diacritics kept;
//! stop words dropped; English/Indonesian words lightly stemmed; Vietnamese syllable pairs
//! added as phrases; numbers normalized per language (`3.000` in Vietnamese is `3,000` in
//! English); years left out. The similarity is the cosine of IDF-weighted feature vectors,
//! title features weighted [`TITLE_WEIGHT`]×; document frequencies come from the store.
//!
//! **Vetoes** keep look-alike events apart even when their words overlap:
//! different match scores (`2-1` vs `1-1`), different months (`tháng 10`, `tháng Mười` vs
//! `tháng 11`, October vs November), one headline saying up and the other down (a record
//! gold price vs the next day's fall; a headline naming no movement reports its summary's),
//! and different names in the headlines (each headline
//! names a place, team or company that the other item never mentions: floods in Quảng Trị vs
//! Quảng Ngãi), and different kinds of event in the headlines (a flood vs an earthquake; see
//! `kind`). Scores, months, directions and kinds are facts of the event, so they are checked
//! against every member of the story an item would join; names only against the matched
//! item (one outlet names the river, another the province). When a names veto is all that
//! keeps two stories apart and a new item names both sides' names
//! ([`Profile::names_reconciled_by`]), the store joins the two stories.
//!
//! Candidates come from an inverted index of the items' words keyed by language and day (the
//! store's `story_terms`), so assigning an item costs what the items of its ±2 days share with
//! it, never a scan of everything stored.

use std::borrow::Cow;
use std::collections::BTreeSet;

// foldhash, not std's SipHash: a profile hashes every word of its item several times, and
// SipHash was a tenth of a first poll's instructions. Its seed is random per process, and a
// profile's maps hold one item's words (a few hundred at most), so colliding keys crafted in
// a feed could cost little even if they were found.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

mod kind;

/// Items further apart than this (by publication time) are never the same story: the reports
/// of one event come within a day and a half of it, while the same teams' next match or the
/// next day's price move come later (a score-less recap of the first match must not reach the
/// second).
pub const WINDOW_SECS: i64 = 36 * 3600;
/// Minimum similarity for the text rule.
pub const THRESHOLD: f64 = 0.10;
/// Minimum headline coverage (see [`Profile::headline_coverage`]): one of the two items must
/// mention at least this share (IDF-weighted) of the other's headline.
pub const MIN_COVERAGE: f64 = 0.25;
/// The similarity of two items is discounted by this share of their distance in time over
/// [`DECAY_SECS`] (×0.85 at 24 h, ×0.775 at the 36 h window's edge): one event's reports come within hours of
/// each other, while look-alike events (weekly price changes, a return match) come days apart,
/// and an item that fits two stories joins the nearer one.
pub const TIME_DECAY: f64 = 0.3;
/// The distance in time over which [`TIME_DECAY`] is reached in full.
pub const DECAY_SECS: i64 = 48 * 3600;
/// Headline words count this much more than summary words.
pub const TITLE_WEIGHT: f64 = 1.5;
// Headline features are told from summary ones by their weight (headline coverage).
const _: () = assert!(TITLE_WEIGHT > 1.0);
/// Pseudo-count added to the number of documents when computing IDF, so that the first few
/// items of a fresh database do not make every word look rare.
pub const DF_PRIOR: f64 = 20.0;
/// At most this many candidates (those sharing the most words) are scored.
pub const MAX_CANDIDATES: usize = 32;
/// Candidates are looked up through at most this many of the item's words, the rarest.
pub const LOOKUP_TERMS: usize = 40;
/// Words in more than this share of a language's items (and in more than
/// [`MIN_DF_CUTOFF`] items) carry no identity and are not used to look up candidates (they
/// still count in the similarity).
pub const MAX_DF_SHARE: f64 = 0.02;
pub const MIN_DF_CUTOFF: f64 = 50.0;
/// Words in more than this many times the lookup cutoff ([`MAX_DF_SHARE`], [`MIN_DF_CUTOFF`])
/// when an item is stored get no posting for it: no later item would look it up by them.
pub const POSTING_DF_MARGIN: f64 = 2.0;
/// Candidates whose quick score reaches this share of [`THRESHOLD`] are scored exactly…
pub const RESCORE_SHARE: f64 = 0.5;
/// …at most this many of them.
pub const RESCORE: usize = 8;
/// At most this many postings of one word are read in the window; a word with more
/// identifies nothing there.
pub const MAX_POSTING: usize = 500;

/// How an item got its story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The first item of its story.
    New,
    /// Same canonical URL as an earlier item.
    Url,
    /// Similar title + summary within the window.
    Text,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::New => "new",
            Rule::Url => "url",
            Rule::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Rule {
        match s {
            "url" => Rule::Url,
            "text" => Rule::Text,
            _ => Rule::New,
        }
    }
}

/// Why two items may not be the same story although their words overlap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Veto {
    /// Both give a match score, and no score in common.
    Score(String, String),
    /// Both name a month, and no month in common.
    Month(String, String),
    /// Each headline names something the other item never mentions.
    Names(String, String),
    /// Each headline names a kind of event (a flood, an earthquake, inflation) that the other
    /// item never mentions.
    Kind(String, String),
    /// One headline says something went up, the other that it went down.
    Direction,
}

impl Veto {
    /// Vetoes on stated facts (scores, months, directions), as opposed to names, which one
    /// outlet may leave out or replace with a detail.
    pub fn is_factual(&self) -> bool {
        !matches!(self, Veto::Names(..))
    }
}

impl std::fmt::Display for Veto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Veto::Score(a, b) => write!(f, "different scores ({a} vs {b})"),
            Veto::Month(a, b) => write!(f, "different months ({a} vs {b})"),
            Veto::Names(a, b) => write!(f, "different names in the headlines ({a} vs {b})"),
            Veto::Kind(a, b) => write!(f, "different kinds of event ({a} vs {b})"),
            Veto::Direction => write!(f, "one headline says up, the other down"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decorations
// ---------------------------------------------------------------------------------------------

/// Media-format labels that outlets put before a headline (`VIDEO: …`, `Ảnh: …`).
const MEDIA_LABELS: &[&str] = &[
    "video",
    "clip",
    "photo",
    "photos",
    "ảnh",
    "infographic",
    "infographics",
    "emagazine",
    "e-magazine",
    "longform",
    "megastory",
    "podcast",
    "live",
    "trực tiếp",
    "tường thuật",
    "foto",
    "galeri",
    "breaking",
    "breaking news",
    "exclusive",
    "update",
    "updated",
    "cập nhật",
    "độc quyền",
    "interactive",
    "vidéo",
    "en direct",
    "en vivo",
    "fotos",
    "directo",
];

fn fold(s: &str) -> String {
    crate::classify::fold_accents(s)
}

/// Folded, without anything but letters and digits (`Tuổi Trẻ Online` → `tuoitreonline`).
fn squash(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

fn looks_like_domain(s: &str) -> bool {
    let s = s.trim().to_lowercase();
    [".com", ".vn", ".net", ".org", ".id", ".co", ".info"]
        .iter()
        .any(|tld| s.contains(tld))
        && !s.contains(' ')
}

/// Whether `tail` (what follows ` - ` or ` | ` at the end of a headline) names the outlet.
fn names_outlet(tail: &str, outlets: &[&str]) -> bool {
    let t = squash(tail);
    if t.is_empty() {
        return false;
    }
    if looks_like_domain(tail) {
        return true;
    }
    let first = fold(tail)
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_string();
    outlets.iter().any(|o| {
        let so = squash(o);
        !so.is_empty()
            && (so.starts_with(&t)
                || t.starts_with(&so)
                || (first.len() >= 3
                    && fold(o)
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == first)))
    })
}

/// The headline without outlet decorations: leading media labels (`VIDEO:`, `[Ảnh]`,
/// `Infographic:`) and a trailing outlet name (` | VnExpress`, ` - Tuổi Trẻ Online`,
/// ` - Kompas.com`). `outlets` are names the source is known by (feed name and title, the
/// link's host); a trailing ` - X` is removed only when X names one of them or is a domain,
/// so `Nam Định - Bangkok United` keeps its second team.
pub fn strip_decorations(title: &str, outlets: &[&str]) -> String {
    let mut t = title.trim().to_string();
    for _ in 0..3 {
        let before = t.clone();
        // [Ảnh] …, (VIDEO) …
        if let Some(rest) = t.strip_prefix('[').or_else(|| t.strip_prefix('('))
            && let Some(end) = rest.find([']', ')'])
            && rest[..end].split_whitespace().count() <= 3
            && !rest[end + 1..].trim().is_empty()
        {
            t = rest[end + 1..]
                .trim_start_matches([' ', ':', '-', '–', '|'])
                .to_string();
        }
        // VIDEO: …, Infographic - …
        if let Some(pos) = t.find([':', '|', '–']) {
            let label = t[..pos].trim().to_lowercase();
            if MEDIA_LABELS.contains(&label.as_str()) && !t[pos + 1..].trim().is_empty() {
                t = t[pos + t[pos..].chars().next().map_or(1, char::len_utf8)..]
                    .trim()
                    .to_string();
            }
        }
        if let Some(pos) = t.find(" - ") {
            let label = t[..pos].trim().to_lowercase();
            if MEDIA_LABELS.contains(&label.as_str()) {
                t = t[pos + 3..].trim().to_string();
            }
        }
        if t == before {
            break;
        }
    }
    // Trailing " | Outlet" (any short tail) or " - Outlet" (only when it names the outlet).
    for _ in 0..2 {
        let before = t.clone();
        if let Some(pos) = t.rfind(" | ") {
            let tail = &t[pos + 3..];
            if tail.split_whitespace().count() <= 6 && pos > 0 {
                t = t[..pos].trim().to_string();
            }
        }
        for sep in [" - ", " – ", " — "] {
            if let Some(pos) = t.rfind(sep) {
                let tail = &t[pos + sep.len()..];
                if pos > 0 && tail.split_whitespace().count() <= 5 && names_outlet(tail, outlets) {
                    t = t[..pos].trim().to_string();
                }
            }
        }
        if t == before {
            break;
        }
    }
    if t.is_empty() {
        title.trim().to_string()
    } else {
        t
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Token<'a> {
    /// As written (NFC).
    text: &'a str,
    /// Lower-case (borrowed when the word has no capital).
    lower: Cow<'a, str>,
    /// First token of a sentence (its capital letter says nothing).
    sentence_start: bool,
    /// First token after punctuation (a comma, a dash between spaces, brackets…): no phrase
    /// spans the break.
    clause_start: bool,
    number: bool,
}

impl Token<'_> {
    fn capitalized(&self) -> bool {
        !self.number && self.text.chars().next().is_some_and(char::is_uppercase)
    }

    fn all_caps(&self) -> bool {
        !self.number
            && self.text.chars().count() >= 2
            && self.text.chars().all(|c| !c.is_lowercase())
    }
}

/// `word` in lower case, borrowed when lower-casing leaves it as it is (most words of a
/// text): one allocation less per word.
fn lower_case(word: &str) -> Cow<'_, str> {
    let unchanged = |c: char| {
        let mut l = c.to_lowercase();
        l.next() == Some(c) && l.next().is_none()
    };
    if word.chars().all(unchanged) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.to_lowercase())
    }
}

/// The words and numbers of `text`, which must be NFC (see `normalize::text::nfc_str`).
/// Tokens borrow from it.
fn tokenize(text: &str) -> Vec<Token<'_>> {
    // (byte offset, char): tokens are slices of `text`, and the rules look one character
    // behind and ahead.
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut out = Vec::with_capacity(chars.len() / 5);
    let mut i = 0;
    let mut sentence_start = true;
    let mut clause_start = true;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_ascii_digit() {
            let start = i;
            let digit = |i: usize| at(i).is_some_and(|c| c.is_ascii_digit());
            while digit(i) {
                i += 1;
            }
            // 3.000 / 4,1 / 1,200.5
            while matches!(at(i), Some('.' | ',')) && digit(i + 1) {
                i += 1;
                while digit(i) {
                    i += 1;
                }
            }
            // 2-1 (a score)
            if at(i) == Some('-') && digit(i + 1) {
                i += 1;
                while digit(i) {
                    i += 1;
                }
            }
            if at(i) == Some('%') {
                i += 1;
            }
            let text = &text[offset(start)..offset(i)];
            out.push(Token {
                lower: Cow::Borrowed(text),
                text,
                sentence_start,
                clause_start,
                number: true,
            });
            sentence_start = false;
            clause_start = false;
        } else if c.is_alphabetic() {
            let start = i;
            while at(i).is_some_and(|c| {
                c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c)
            }) {
                i += 1;
            }
            let word = &text[offset(start)..offset(i)];
            // The "s" of a possessive ("Hanoi's") is not a word.
            let possessive =
                matches!(word, "s" | "S") && start > 0 && matches!(chars[start - 1].1, '\'' | '’');
            if !possessive {
                out.push(Token {
                    text: word,
                    lower: lower_case(word),
                    sentence_start,
                    clause_start,
                    number: false,
                });
                sentence_start = false;
                clause_start = false;
            }
        } else {
            if matches!(c, '.' | ':' | '!' | '?' | '\n' | '|') {
                sentence_start = true;
            }
            // A hyphen or apostrophe inside a word ("Gol-gol", "Hanoi's") joins; spaces do
            // not break a clause; anything else does.
            let inside_word = matches!(c, '-' | '\'' | '’')
                && i > 0
                && chars[i - 1].1.is_alphanumeric()
                && at(i + 1).is_some_and(|n| n.is_alphanumeric());
            if !c.is_whitespace() && !inside_word {
                clause_start = true;
            }
            i += 1;
        }
    }
    out
}

fn stop_words(lang: &str) -> &'static [&'static str] {
    match lang {
        "vi" => &[
            "và", "của", "các", "những", "là", "có", "được", "trong", "cho", "với", "đã", "sẽ",
            "này", "một", "không", "khi", "tại", "ở", "từ", "đến", "theo", "về", "sau", "trên",
            "dưới", "ra", "vào", "bị", "do", "để", "như", "cũng", "đang", "vẫn", "thì", "mà",
            "nên", "hay", "hoặc", "còn", "rất", "hơn", "nhiều", "ngày", "năm", "tháng", "giờ",
            "nay", "hôm", "qua", "lúc", "đó", "kia", "nơi", "việc", "vì", "đây", "chỉ", "cùng",
            "mới", "đều", "lại", "rằng", "cả", "gần", "khoảng", "thêm", "sẽ", "nhưng", "bởi",
            "vừa", "đi", "lên", "xuống", "trước", "người", "số", "tới", "phải", "nhất",
        ],
        "en" => &[
            "the", "a", "an", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and",
            "or", "but", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it",
            "its", "as", "this", "that", "these", "those", "after", "before", "over", "into",
            "about", "than", "up", "down", "out", "off", "new", "will", "would", "can", "could",
            "said", "says", "say", "not", "no", "also", "more", "most", "their", "his", "her",
            "they", "he", "she", "we", "our", "you", "your", "per", "cent", "percent", "which",
            "who", "while", "amid", "its", "first", "last", "year", "years", "week", "day", "days",
            "month", "months", "s",
        ],
        "id" => &[
            "yang", "di", "dan", "ke", "dari", "untuk", "dengan", "pada", "dalam", "ini", "itu",
            "atau", "juga", "akan", "telah", "sudah", "adalah", "oleh", "karena", "sebagai",
            "bagi", "para", "serta", "tidak", "belum", "masih", "lebih", "hingga", "sampai",
            "saat", "setelah", "sebelum", "kata", "ujar", "menjadi", "jadi", "ada", "persen",
            "tahun", "bulan", "hari", "sejak", "se", "per", "sebesar", "sekitar", "usai",
        ],
        "fr" => &[
            "le", "la", "les", "un", "une", "des", "de", "du", "d", "l", "et", "ou", "en", "à",
            "au", "aux", "pour", "par", "sur", "dans", "avec", "est", "sont", "a", "ont", "qui",
            "que", "ce", "cette", "ces", "son", "sa", "ses", "plus", "pas", "ne", "se",
        ],
        "es" => &[
            "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "y", "o", "en",
            "a", "al", "para", "por", "con", "es", "son", "que", "se", "su", "sus", "más", "lo",
            "como", "este", "esta", "no",
        ],
        _ => &[],
    }
}

/// [`stop_words`] as a set, built once per language (building it in every
/// [`Profile::new`] was a tenth of that function's time).
fn stop_set(lang: &str) -> &'static HashSet<&'static str> {
    static SETS: std::sync::LazyLock<HashMap<&'static str, HashSet<&'static str>>> =
        std::sync::LazyLock::new(|| {
            ["vi", "en", "id", "fr", "es", ""]
                .into_iter()
                .map(|l| (l, stop_words(l).iter().copied().collect()))
                .collect()
        });
    SETS.get(lang).unwrap_or(&SETS[""])
}

/// Words that join the parts of a name ("Energi Baru dan Energi Terbarukan").
fn connectors(lang: &str) -> &'static [&'static str] {
    match lang {
        "vi" => &["và"],
        "en" => &["of", "and", "the", "for", "de"],
        "id" => &["dan"],
        "fr" => &["de", "du", "des", "et"],
        "es" => &["de", "del", "y"],
        _ => &[],
    }
}

fn month_of(lang: &str, word: &str) -> Option<u8> {
    const EN: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    const ID: &[&str] = &[
        "januari",
        "februari",
        "maret",
        "april",
        "mei",
        "juni",
        "juli",
        "agustus",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    const ES: &[&str] = &[
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    const FR: &[&str] = &[
        "janvier",
        "février",
        "",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let list = match lang {
        "en" => EN,
        "id" => ID,
        "es" => ES,
        "fr" => FR,
        _ => return None,
    };
    list.iter()
        .position(|m| !m.is_empty() && *m == word)
        .map(|i| i as u8 + 1)
}

/// A Vietnamese month written as a word after `tháng` (`tháng Mười`, `tháng Giêng`, `tháng
/// Mười Một`); the small numerals count only when capitalized (`tháng Ba`), since `tháng ba`
/// can be "three months" in a run of words.
fn vi_month_word(word: &Token, next: Option<&Token>) -> Option<u8> {
    let m = match word.lower.as_ref() {
        "giêng" => 1,
        "chạp" => 12,
        "mười" => match next.map(|n| n.lower.as_ref()) {
            Some("một") => 11,
            Some("hai") => 12,
            _ => 10,
        },
        w if word.capitalized() => match w {
            "một" => 1,
            "hai" => 2,
            "ba" => 3,
            "tư" => 4,
            "năm" => 5,
            "sáu" => 6,
            "bảy" => 7,
            "tám" => 8,
            "chín" => 9,
            _ => return None,
        },
        _ => return None,
    };
    Some(m)
}

/// Whether a headline word says that something went up (`Some(true)`) or down
/// (`Some(false)`): prices, profits, counts. `next` rules out compounds that are not
/// movements (`tăng trưởng` is growth, `tăng cường` to strengthen).
fn direction(lang: &str, word: &str, next: Option<&str>) -> Option<bool> {
    const EN_UP: &[&str] = &[
        "rise",
        "rises",
        "rose",
        "risen",
        "rising",
        "jump",
        "jumps",
        "jumped",
        "soar",
        "soars",
        "soared",
        "surge",
        "surges",
        "surged",
        "climb",
        "climbs",
        "climbed",
        "gain",
        "gains",
        "gained",
        "increase",
        "increases",
        "increased",
        "hike",
        "hikes",
        "hiked",
        "rally",
        "rallies",
        "rallied",
    ];
    const EN_DOWN: &[&str] = &[
        "fall",
        "falls",
        "fell",
        "falling",
        "drop",
        "drops",
        "dropped",
        "plunge",
        "plunges",
        "plunged",
        "slump",
        "slumps",
        "slumped",
        "decline",
        "declines",
        "declined",
        "slide",
        "slides",
        "slid",
        "dip",
        "dips",
        "dipped",
        "tumble",
        "tumbles",
        "tumbled",
        "sink",
        "sinks",
        "sank",
        "decrease",
        "decreases",
        "decreased",
    ];
    const ID_UP: &[&str] = &[
        "naik",
        "menaik",
        "melonjak",
        "meningkat",
        "melambung",
        "melesat",
        "menguat",
    ];
    const ID_DOWN: &[&str] = &[
        "turun", "menurun", "anjlok", "merosot", "melemah", "ambruk", "terjun",
    ];
    match lang {
        "vi" => match (word, next) {
            ("tăng", Some("trưởng" | "cường" | "ca" | "tốc")) => None,
            ("tăng", _) => Some(true),
            ("giảm", Some("thiểu" | "nghèo" | "tốc" | "trừ")) => None,
            ("giảm", _) => Some(false),
            ("lao", Some("dốc")) => Some(false),
            _ => None,
        },
        "en" if EN_UP.contains(&word) => Some(true),
        "en" if EN_DOWN.contains(&word) => Some(false),
        "id" if ID_UP.contains(&word) => Some(true),
        "id" if ID_DOWN.contains(&word) => Some(false),
        _ => None,
    }
}

/// A light stemmer: enough to let `floods`/`floodwaters`/`flood` or `disahkan`/`sahkan` meet.
fn stem(lang: &str, w: &str) -> String {
    // Affixes are ASCII, so byte and character lengths agree on them; what is left is
    // counted in characters.
    let first = |s: &str, n: usize| {
        s.char_indices()
            .nth(n)
            .map_or(s, |(i, _)| &s[..i])
            .to_string()
    };
    match lang {
        "id" => {
            let mut s = w;
            for p in ["meng", "meny", "mem", "men", "me", "di", "ber", "ter", "pe"] {
                if let Some(rest) = s.strip_prefix(p)
                    && rest.chars().count() >= 4
                {
                    s = rest;
                    break;
                }
            }
            for suf in ["nya", "kan", "an", "i"] {
                if let Some(rest) = s.strip_suffix(suf)
                    && rest.chars().count() >= 4
                {
                    s = rest;
                    break;
                }
            }
            first(s, 6)
        }
        "en" | "fr" | "es" => first(w, 5),
        _ => w.to_string(),
    }
}

/// A number as a comparable value: `3.000` (vi) and `3,000` (en) are both `3000`; `4,1` (vi)
/// and `4.1` (en) both `4.1`. Scores (`2-1`) become `score:1-2` (order-free).
fn number_key(lang: &str, raw: &str) -> (String, Option<f64>) {
    let t = raw.trim_end_matches('%');
    if let Some((a, b)) = t.split_once('-')
        && a.len() <= 2
        && b.len() <= 2
        && let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>())
    {
        return (format!("score:{}-{}", a.min(b), a.max(b)), None);
    }
    let t = t.split('-').next().unwrap_or(t);
    let normalized = if lang == "en" {
        t.replace(',', "")
    } else {
        t.replace('.', "").replace(',', ".")
    };
    match normalized.parse::<f64>() {
        Ok(v) => (format!("#{v}"), Some(v)),
        Err(_) => (format!("#{t}"), None),
    }
}

// ---------------------------------------------------------------------------------------------
// Profile
// ---------------------------------------------------------------------------------------------

/// What the clustering knows about one item's text.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub lang: String,
    /// Features (stemmed words, Vietnamese syllable pairs, numbers), each with its weight
    /// multiplier (headline features weigh more).
    pub features: HashMap<String, f64>,
    /// Names in the headline (runs of capitalized words), lower-case.
    pub headline_names: Vec<Vec<String>>,
    /// Every lower-case word of the item, plus the acronyms of its names.
    vocabulary: HashSet<String>,
    /// Match scores as (low, high).
    scores: BTreeSet<(u32, u32)>,
    months: BTreeSet<u8>,
    /// Movements the headline reports (or, when it names none, its summary): (something went
    /// up, something went down).
    moves: (bool, bool),
    /// Features that say when (month names, `tháng 10`), not what: left out of the headline
    /// coverage.
    when: HashSet<String>,
    /// Kinds of event the headline names (see `kind`).
    headline_kinds: BTreeSet<kind::Kind>,
    /// Kinds of event the headline or the summary names.
    kinds: BTreeSet<kind::Kind>,
}

impl Profile {
    /// Builds the profile of an item from its decoration-free headline and its summary as
    /// plain text.
    pub fn new(lang: &str, headline: &str, summary: &str) -> Profile {
        use crate::normalize::text::nfc_str;
        let (headline, summary) = (nfc_str(headline), nfc_str(summary));
        let title = tokenize(&headline);
        let body = tokenize(&summary);
        let stop = stop_set(lang);
        let conn = connectors(lang);

        // Which capitalized words are names: capitalized where a sentence does not start, or
        // in all capitals; in Vietnamese also a headline that opens with two capitalized
        // syllables ("Quảng Trị ngập sâu").
        let mut proper: HashSet<String> = title
            .iter()
            .chain(&body)
            .filter(|t| t.capitalized() && (!t.sentence_start || t.all_caps()))
            .map(|t| t.lower.to_string())
            .collect();
        if lang == "vi" && title.len() >= 2 && title[0].capitalized() && title[1].capitalized() {
            proper.insert(title[0].lower.to_string());
        }
        let is_name = |t: &Token| {
            t.capitalized() && t.text.chars().count() > 1 && proper.contains(t.lower.as_ref())
        };
        let runs = |tokens: &[Token]| -> Vec<Vec<String>> {
            let mut runs = Vec::new();
            let mut cur: Vec<String> = Vec::new();
            // "tháng Mười Một" is a month, not a name.
            let mut month_word = vec![false; tokens.len()];
            if lang == "vi" {
                for k in 1..tokens.len() {
                    if tokens[k - 1].lower == "tháng"
                        && vi_month_word(&tokens[k], tokens.get(k + 1)).is_some()
                    {
                        month_word[k] = true;
                        if tokens[k].lower == "mười"
                            && tokens
                                .get(k + 1)
                                .is_some_and(|n| matches!(n.lower.as_ref(), "một" | "hai"))
                        {
                            month_word[k + 1] = true;
                        }
                    }
                }
            }
            for (k, t) in tokens.iter().enumerate() {
                if is_name(t) && !month_word[k] {
                    cur.push(t.lower.to_string());
                } else if !cur.is_empty() && conn.contains(&t.lower.as_ref()) && !t.sentence_start {
                    cur.push(String::new()); // a connector: kept for acronyms, not a name part
                } else if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
            if !cur.is_empty() {
                runs.push(cur);
            }
            runs
        };
        let title_runs = runs(&title);
        let body_runs = runs(&body);

        let mut vocabulary: HashSet<String> = title
            .iter()
            .chain(&body)
            .map(|t| t.lower.to_string())
            .collect();
        // Stems too, so that "Vietnamese" mentions "Vietnam" and "Japanese" "Japan".
        if matches!(lang, "en" | "id") {
            let stems: Vec<String> = vocabulary.iter().map(|w| stem(lang, w)).collect();
            vocabulary.extend(stems);
        }
        // Acronyms of every part of every name ("RUU Energi Baru dan Energi Terbarukan" gives
        // "ebet", "rebet", …), so that "EBET" elsewhere names the same thing.
        for run in title_runs.iter().chain(&body_runs) {
            let parts: Vec<&String> = run.iter().filter(|w| !w.is_empty()).collect();
            for start in 0..parts.len() {
                for end in start + 2..=parts.len().min(start + 8) {
                    let initials: String = parts[start..end]
                        .iter()
                        .filter_map(|w| w.chars().next())
                        .collect();
                    vocabulary.insert(initials);
                }
            }
        }
        // An acronym before or after a name is the kind of office, body or company that the
        // name is ("BPBD Semarang", "PT Pertamina", "DKI Jakarta"): the name alone says
        // which one, and outlets leave the acronym out.
        let acronyms: HashSet<&str> = title
            .iter()
            .filter(|t| t.all_caps())
            .map(|t| t.lower.as_ref())
            .collect();
        let headline_names: Vec<Vec<String>> = title_runs
            .into_iter()
            .map(|r| {
                let words: Vec<String> = r.into_iter().filter(|w| !w.is_empty()).collect();
                if words.iter().all(|w| acronyms.contains(w.as_str())) {
                    words
                } else {
                    words
                        .into_iter()
                        .filter(|w| !acronyms.contains(w.as_str()))
                        .collect()
                }
            })
            .filter(|r: &Vec<String>| !r.is_empty() && !r.iter().all(|w| stop.contains(w.as_str())))
            .collect();

        let mut scores = BTreeSet::new();
        let mut months = BTreeSet::new();
        let mut features: HashMap<String, f64> = HashMap::new();
        let mut when: HashSet<String> = HashSet::new();
        let movements = |tokens: &[Token]| {
            let mut moves = (false, false);
            for (k, t) in tokens.iter().enumerate() {
                let next = tokens.get(k + 1).map(|n| n.lower.as_ref());
                match direction(lang, &t.lower, next) {
                    Some(true) => moves.0 = true,
                    Some(false) => moves.1 = true,
                    None => {}
                }
            }
            moves
        };
        let mut moves = movements(&title);
        // A headline that names no movement ("gold hits a record") reports the one its
        // summary states, when the summary states only one.
        if moves == (false, false) {
            let told = movements(&body);
            if told.0 != told.1 {
                moves = told;
            }
        }
        for (tokens, weight) in [(&body, 1.0), (&title, TITLE_WEIGHT)] {
            let mut prev: Option<&Token> = None;
            for (k, t) in tokens.iter().enumerate() {
                if t.number {
                    let (key, value) = number_key(lang, &t.lower);
                    if let Some(s) = key.strip_prefix("score:")
                        && let Some((a, b)) = s.split_once('-')
                    {
                        scores.insert((a.parse().unwrap_or(0), b.parse().unwrap_or(0)));
                    }
                    if lang == "vi"
                        && prev.is_some_and(|p| p.lower == "tháng")
                        && let Some(v) = value
                        && (1.0..=12.0).contains(&v)
                        && v.fract() == 0.0
                    {
                        months.insert(v as u8);
                        when.insert(key.clone());
                    }
                    // Years say little about which event it is.
                    let is_year = value.is_some_and(|v| (1900.0..=2100.0).contains(&v));
                    if !is_year {
                        features.insert(key, weight);
                    }
                    prev = None;
                    continue;
                }
                if let Some(m) = month_of(lang, &t.lower) {
                    months.insert(m);
                    when.insert(stem(lang, &t.lower));
                }
                if lang == "vi"
                    && prev.is_some_and(|p| p.lower == "tháng")
                    && let Some(m) = vi_month_word(t, tokens.get(k + 1))
                {
                    // "tháng Mười" is "tháng 10".
                    months.insert(m);
                    let key = number_key(lang, &m.to_string()).0;
                    when.insert(key.clone());
                    features.insert(key, weight);
                    prev = None;
                    continue;
                }
                if !stop.contains(t.lower.as_ref()) {
                    features.insert(stem(lang, &t.lower), weight);
                    if lang == "vi"
                        && !t.clause_start
                        && let Some(p) = prev
                        && !stop.contains(p.lower.as_ref())
                    {
                        features.insert(format!("{}_{}", p.lower, t.lower), weight);
                    }
                }
                prev = Some(t);
            }
        }
        // Phrases naming a kind of event do not span a clause break.
        let words = |tokens: &[Token]| {
            let mut out: Vec<Option<&str>> = Vec::with_capacity(tokens.len() + 4);
            for t in tokens {
                if t.clause_start {
                    out.push(None);
                }
                out.push(Some(t.lower.as_ref()));
            }
            kind::kinds_in(lang, out)
        };
        let headline_kinds = words(&title);
        let mut kinds = words(&body);
        kinds.extend(headline_kinds.iter().copied());
        Profile {
            lang: lang.to_string(),
            headline_kinds,
            kinds,
            features,
            headline_names,
            vocabulary,
            scores,
            months,
            moves,
            when,
        }
    }

    /// The words the item is found by in the index (its single-word features and numbers).
    pub fn index_terms(&self) -> Vec<&str> {
        let mut terms: Vec<&str> = self
            .features
            .keys()
            .filter(|f| !f.contains('_'))
            .map(String::as_str)
            .collect();
        terms.sort_unstable();
        terms
    }

    /// Names in this item's headline that `other` never mentions (a name counts as mentioned
    /// when more than half of its words appear, or its acronym does).
    fn unmatched_names(&self, other: &Profile) -> Vec<String> {
        self.headline_names
            .iter()
            .filter(|run| !self.mentioned_in(run, other))
            .map(|run| run.join(" "))
            .collect()
    }

    /// Whether `other` mentions the headline name `run` of this item.
    fn mentioned_in(&self, run: &[String], other: &Profile) -> bool {
        let present = run
            .iter()
            .filter(|w| {
                other.vocabulary.contains(w.as_str())
                    || (matches!(self.lang.as_str(), "en" | "id")
                        && other.vocabulary.contains(&stem(&self.lang, w)))
            })
            .count();
        let initials: String = run.iter().filter_map(|w| w.chars().next()).collect();
        present * 2 > run.len() || (run.len() >= 2 && other.vocabulary.contains(&initials))
    }

    /// Whether the only thing keeping `self` and `other` apart is a names veto that a third
    /// item `via` reconciles: `via` mentions every headline name of each that the other
    /// leaves out (one outlet names the river, another the province, a third both).
    pub fn names_reconciled_by(&self, other: &Profile, via: &Profile) -> bool {
        let reconciled = |a: &Profile, b: &Profile| {
            a.headline_names
                .iter()
                .filter(|run| !a.mentioned_in(run, b))
                .all(|run| a.mentioned_in(run, via))
        };
        matches!(self.veto(other), Some(Veto::Names(..)))
            && reconciled(self, other)
            && reconciled(other, self)
    }

    /// Why `self` and `other` cannot be the same story, if they cannot.
    pub fn veto(&self, other: &Profile) -> Option<Veto> {
        let fmt_scores = |s: &BTreeSet<(u32, u32)>| {
            s.iter()
                .map(|(a, b)| format!("{b}-{a}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.scores.is_empty()
            && !other.scores.is_empty()
            && self.scores.is_disjoint(&other.scores)
        {
            return Some(Veto::Score(
                fmt_scores(&self.scores),
                fmt_scores(&other.scores),
            ));
        }
        let fmt_months = |s: &BTreeSet<u8>| {
            s.iter()
                .map(|m| format!("month {m}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.months.is_empty()
            && !other.months.is_empty()
            && self.months.is_disjoint(&other.months)
        {
            return Some(Veto::Month(
                fmt_months(&self.months),
                fmt_months(&other.months),
            ));
        }
        let mine: BTreeSet<kind::Kind> = self
            .headline_kinds
            .difference(&other.kinds)
            .copied()
            .collect();
        let theirs: BTreeSet<kind::Kind> = other
            .headline_kinds
            .difference(&self.kinds)
            .copied()
            .collect();
        if !mine.is_empty() && !theirs.is_empty() {
            return Some(Veto::Kind(kind::describe(&mine), kind::describe(&theirs)));
        }
        let mine = self.unmatched_names(other);
        let theirs = other.unmatched_names(self);
        if !mine.is_empty() && !theirs.is_empty() {
            return Some(Veto::Names(mine.join(", "), theirs.join(", ")));
        }
        let (up, down) = self.moves;
        let (other_up, other_down) = other.moves;
        if (up && !down && other_down && !other_up) || (down && !up && other_up && !other_down) {
            return Some(Veto::Direction);
        }
        None
    }

    /// How much of this item's headline the other item covers: the IDF-weighted share of the
    /// headline's features that appear anywhere in `other`. Months are left out: they say when
    /// something happened, and two releases of one month share them.
    pub fn headline_coverage(&self, other: &Profile, idf: &mut impl FnMut(&str) -> f64) -> f64 {
        let (mut shared, mut total) = (0.0, 0.0);
        for (f, w) in &self.features {
            if *w < TITLE_WEIGHT || self.when.contains(f) {
                continue;
            }
            let x = idf(f);
            total += x;
            if other.features.contains_key(f) {
                shared += x;
            }
        }
        if total == 0.0 { 0.0 } else { shared / total }
    }

    /// Cosine similarity of the IDF-weighted feature vectors; `idf` gives a feature's weight.
    pub fn similarity(&self, other: &Profile, idf: &mut impl FnMut(&str) -> f64) -> f64 {
        let mut dot = 0.0;
        let mut na = 0.0;
        for (f, w) in &self.features {
            let x = idf(f) * w;
            na += x * x;
            if let Some(wo) = other.features.get(f) {
                dot += x * idf(f) * wo;
            }
        }
        let mut nb = 0.0;
        for (f, w) in &other.features {
            let x = idf(f) * w;
            nb += x * x;
        }
        if na == 0.0 || nb == 0.0 {
            0.0
        } else {
            dot / (na.sqrt() * nb.sqrt())
        }
    }
}

/// The IDF of a feature seen in `df` of `n` documents of its language.
pub fn idf(df: u64, n: u64) -> f64 {
    ((n as f64 + DF_PRIOR) / (df as f64 + 0.5)).ln().max(0.0)
}

/// The index key of a feature in a language (stable across runs: stored in SQLite).
pub fn term_id(lang: &str, feature: &str) -> i64 {
    let mut h = blake3::Hasher::new();
    h.update(lang.as_bytes());
    h.update(b"\0");
    h.update(feature.as_bytes());
    let bytes = h.finalize();
    i64::from_le_bytes(bytes.as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

/// The key under which a language's document count is kept beside the document frequencies.
pub fn count_id(lang: &str) -> i64 {
    term_id(lang, "\0documents")
}

/// The day bucket of a Unix time (the index is keyed by language-specific term and day).
pub fn day_of(ts: i64) -> i64 {
    ts.div_euclid(86_400)
}

/// The text kept for clustering: the headline without decorations, then the summary as plain
/// text (bounded).
pub fn story_text(headline: &str, summary_text: &str) -> String {
    let summary = crate::normalize::text::truncate_chars(summary_text.trim(), 1200);
    format!("{}\n{}", headline.trim(), summary)
}

/// Splits a stored [`story_text`] back into headline and summary.
pub fn split_story_text(s: &str) -> (&str, &str) {
    s.split_once('\n').unwrap_or((s, ""))
}

/// An earlier item that the incoming one may belong with.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub story: i64,
    pub published: i64,
    /// Shared with the store's kept profiles (see `store::memo`).
    pub profile: std::sync::Arc<Profile>,
    /// The length of its weighted feature vector, computed when it was stored.
    pub norm: f64,
}

/// The best match among `candidates` for `item` (whose weighted vector has length
/// `norm`): (candidate index, similarity), only when the similarity reaches [`THRESHOLD`]
/// and no veto applies.
///
/// Candidates are first scored with the vector lengths computed when they were stored (so
/// only the shared features need a document frequency now); lengths grow stale while the
/// corpus is young, so the few that come near the threshold are scored again exactly.
pub fn best_match(
    item: &Profile,
    norm: f64,
    published: i64,
    candidates: &[Candidate],
    idf: &mut impl FnMut(&str) -> f64,
) -> Option<(usize, f64)> {
    matches(item, norm, published, candidates, idf)
        .into_iter()
        .next()
}

/// Every match among `candidates` for `item` (as [`best_match`]), best first: the store takes
/// the first whose whole story admits the item (see [`admits`]).
pub fn matches(
    item: &Profile,
    norm: f64,
    published: i64,
    candidates: &[Candidate],
    idf: &mut impl FnMut(&str) -> f64,
) -> Vec<(usize, f64)> {
    let mut rough: Vec<(f64, usize)> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if (c.published - published).abs() > WINDOW_SECS || c.profile.lang != item.lang {
            continue;
        }
        if norm == 0.0 || c.norm == 0.0 || item.veto(&c.profile).is_some() {
            continue;
        }
        let mut dot = 0.0;
        for (f, w) in &item.features {
            if let Some(wc) = c.profile.features.get(f) {
                let x = idf(f);
                dot += x * x * w * wc;
            }
        }
        let s = dot / (norm * c.norm);
        if s >= THRESHOLD * RESCORE_SHARE {
            rough.push((s, i));
        }
    }
    rough.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    rough.truncate(RESCORE);
    let mut found: Vec<(usize, f64)> = Vec::new();
    for (_, i) in rough {
        let c = &candidates[i].profile;
        let s = item.similarity(c, idf) * decay(candidates[i].published - published);
        if s >= THRESHOLD && covers(item, c, idf) {
            found.push((i, s));
        }
    }
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    found
}

/// The factor by which the similarity of two items `dt` seconds apart is discounted (see
/// [`TIME_DECAY`]).
pub fn decay(dt: i64) -> f64 {
    1.0 - TIME_DECAY * (dt.abs() as f64 / DECAY_SECS as f64).min(1.0)
}

/// Whether one of the two items covers the other's headline (at least [`MIN_COVERAGE`]). The
/// headline says what the event is; a retelling of it mentions that. Two statistics of one
/// release ("18 million arrivals in 10 months", "exports up 14 % in ten months") share their
/// context words (the period, the country, the office) but neither mentions the other's
/// subject.
pub fn covers(a: &Profile, b: &Profile, idf: &mut impl FnMut(&str) -> f64) -> bool {
    a.headline_coverage(b, idf) >= MIN_COVERAGE || b.headline_coverage(a, idf) >= MIN_COVERAGE
}

/// Whether a story whose members are `members` admits `item`: no member states a different
/// fact (score, month, direction; see [`Veto::is_factual`]). A story is one event, so an item
/// that matches one member (a terse "two late goals" recap) must not join a story another
/// member of which gives a different score; otherwise the order items arrive in would decide
/// which look-alike events end up merged. Names are checked against the matched item only: a
/// member naming a detail (a river, a stadium) the newcomer leaves out is common.
pub fn admits<'a>(item: &Profile, members: impl IntoIterator<Item = &'a Profile>) -> bool {
    members
        .into_iter()
        .all(|m| !item.veto(m).is_some_and(|v| v.is_factual()))
}

#[cfg(test)]
mod tests {
    /// The stemmer as first written (allocating), kept to check the faster one against.
    fn stem_reference(lang: &str, w: &str) -> String {
        let chars: Vec<char> = w.chars().collect();
        match lang {
            "id" => {
                let mut s: &[char] = &chars;
                for p in ["meng", "meny", "mem", "men", "me", "di", "ber", "ter", "pe"] {
                    let pc: Vec<char> = p.chars().collect();
                    if s.starts_with(&pc) && s.len() - pc.len() >= 4 {
                        s = &s[pc.len()..];
                        break;
                    }
                }
                for suf in ["nya", "kan", "an", "i"] {
                    let sc: Vec<char> = suf.chars().collect();
                    if s.ends_with(&sc) && s.len() - sc.len() >= 4 {
                        s = &s[..s.len() - sc.len()];
                        break;
                    }
                }
                s.iter().take(6).collect()
            }
            "en" | "fr" | "es" => chars.iter().take(5).collect(),
            _ => w.to_string(),
        }
    }

    #[test]
    fn stem_agrees_with_the_reference_on_every_word_of_the_eval_sets() {
        let mut words = 0;
        for file in ["tests/eval/items.jsonl", "tests/eval-holdout/items.jsonl"] {
            let text = std::fs::read_to_string(file).unwrap();
            for token in tokenize(&text) {
                for lang in ["id", "en", "vi", "fr"] {
                    assert_eq!(stem(lang, &token.lower), stem_reference(lang, &token.lower));
                }
                words += 1;
            }
        }
        assert!(words > 10_000, "{words}");
        for w in [
            "di",
            "menyanyikan",
            "pengeboran",
            "ăn",
            "đổi",
            "pemerintahannya",
        ] {
            assert_eq!(stem("id", w), stem_reference("id", w));
        }
    }

    use super::*;

    #[test]
    fn decorations_are_stripped() {
        let o = ["VnExpress", "vnexpress.net"];
        assert_eq!(
            strip_decorations("Lũ lụt ở Quảng Trị | VnExpress", &o),
            "Lũ lụt ở Quảng Trị"
        );
        assert_eq!(
            strip_decorations(
                "VIDEO: Bàn thắng trận Nam Định - Bangkok United",
                &["Tuổi Trẻ"]
            ),
            "Bàn thắng trận Nam Định - Bangkok United"
        );
        assert_eq!(
            strip_decorations(
                "Nước lên nhanh - Tuổi Trẻ Online",
                &["Tuổi Trẻ", "tuoitre.vn"]
            ),
            "Nước lên nhanh"
        );
        assert_eq!(
            strip_decorations("[Ảnh] Người dân chạy lũ", &[]),
            "Người dân chạy lũ"
        );
        assert_eq!(
            strip_decorations("Gempa magnitudo 5,6 - Kompas.com", &["Kompas"]),
            "Gempa magnitudo 5,6"
        );
        assert_eq!(
            strip_decorations("Infographic: Vietnam's CPI in October", &[]),
            "Vietnam's CPI in October"
        );
        assert_eq!(
            strip_decorations("BPS: inflasi naik", &[]),
            "BPS: inflasi naik"
        );
        assert_eq!(strip_decorations("VIDEO:", &[]), "VIDEO:");
    }

    #[test]
    fn numbers_are_normalized_per_language() {
        assert_eq!(number_key("vi", "3.000").0, number_key("en", "3,000").0);
        assert_eq!(number_key("vi", "4,1").0, number_key("en", "4.1").0);
        assert_eq!(number_key("en", "2-1").0, number_key("en", "1-2").0);
        assert_eq!(number_key("id", "30%").0, "#30");
    }

    #[test]
    fn vetoes() {
        let a = Profile::new("vi", "Lũ lụt ở Quảng Trị, hơn 3.000 nhà bị ngập", "");
        let b = Profile::new("vi", "Lũ lụt ở Quảng Ngãi, một người mất tích", "");
        assert!(
            matches!(a.veto(&b), Some(Veto::Names(..))),
            "{:?}",
            a.veto(&b)
        );
        let a = Profile::new(
            "en",
            "Vietnam beats Thailand",
            "Vietnam won 2-1 on Saturday.",
        );
        let b = Profile::new("en", "Thailand hold Vietnam to 1-1 draw", "");
        assert!(matches!(a.veto(&b), Some(Veto::Score(..))));
        let a = Profile::new("vi", "Phiên họp Chính phủ thường kỳ tháng 10", "");
        let b = Profile::new("vi", "Phiên họp Chính phủ chuyên đề tháng 11", "");
        assert!(matches!(a.veto(&b), Some(Veto::Month(..))));
        // An acronym names the same thing as its long form.
        let a = Profile::new("id", "Paripurna DPR setujui RUU EBET", "");
        let b = Profile::new(
            "id",
            "DPR sahkan RUU Energi Baru dan Energi Terbarukan",
            "Rapat paripurna menyetujui regulasi.",
        );
        assert_eq!(a.veto(&b), None);
        // Different kinds of event in one province: a flood is not an earthquake.
        let a = Profile::new(
            "vi",
            "Quảng Ngãi ngập sâu",
            "Mực nước sông Trà Khúc còn lên, nguy cơ sạt lở đất cao.",
        );
        let b = Profile::new(
            "vi",
            "Động đất 4,1 độ ở Quảng Ngãi",
            "Người dân cảm nhận rung lắc.",
        );
        assert!(
            matches!(a.veto(&b), Some(Veto::Kind(..))),
            "{:?}",
            a.veto(&b)
        );
        assert!(a.veto(&b).unwrap().is_factual());
        // …but a storm report that mentions the flooding is not vetoed by it.
        let b = Profile::new(
            "vi",
            "Bão số 13 đổ bộ Quảng Ngãi",
            "Mưa lớn gây ngập nhiều xã.",
        );
        assert_eq!(a.veto(&b), None);
        // An acronym beside a name is the kind of body it is: "BPBD Semarang" is named by
        // "Semarang".
        let a = Profile::new("id", "Semarang dikepung banjir, jalur Pantura lumpuh", "");
        let b = Profile::new(
            "id",
            "BPBD Semarang evakuasi 500 warga terdampak banjir",
            "",
        );
        assert_eq!(a.veto(&b), None);
        // Different cities with the same kind of office still differ.
        let c = Profile::new("id", "BPBD Kendal evakuasi 500 warga terdampak banjir", "");
        assert!(
            matches!(a.veto(&c), Some(Veto::Names(..))),
            "{:?}",
            a.veto(&c)
        );
    }

    #[test]
    fn a_third_report_reconciles_names_only_when_it_names_both() {
        let river = Profile::new(
            "vi",
            "Nước sông Kiến Giang lên nhanh, hàng nghìn ngôi nhà chìm trong lũ",
            "",
        );
        let province = Profile::new(
            "vi",
            "Người dân vùng rốn lũ Quảng Trị chạy lũ trong đêm",
            "",
        );
        assert!(matches!(river.veto(&province), Some(Veto::Names(..))));
        let both = Profile::new(
            "vi",
            "Lũ lụt ở Quảng Trị, hơn 3.000 nhà bị ngập",
            "Nước sông Kiến Giang dâng cao.",
        );
        assert!(river.names_reconciled_by(&province, &both));
        assert!(province.names_reconciled_by(&river, &both));
        let one = Profile::new("vi", "Lũ lụt ở Quảng Trị, hơn 3.000 nhà bị ngập", "");
        assert!(!river.names_reconciled_by(&province, &one));
        // Nothing to reconcile when names did not keep them apart.
        assert!(!river.names_reconciled_by(&both, &province));
    }

    #[test]
    fn syllable_pairs_do_not_span_punctuation() {
        let p = Profile::new(
            "vi",
            "Hội đàm cấp cao Việt Nam - Chile",
            "thương mại, năng lượng",
        );
        assert!(p.features.contains_key("việt_nam"));
        assert!(!p.features.contains_key("nam_chile"));
        assert!(!p.features.contains_key("mại_năng"));
        assert!(p.features.contains_key("năng_lượng"));
    }

    #[test]
    fn vietnamese_month_words_and_directions() {
        // "tháng Mười" is October, the same as "tháng 10" (a feature and a month).
        let a = Profile::new("vi", "Chỉ số giá tiêu dùng tháng Mười tăng", "");
        let b = Profile::new("vi", "CPI tháng 10 tăng 0,35%", "");
        let c = Profile::new("vi", "CPI tháng Mười Một dự báo giảm", "");
        assert!(a.features.contains_key("#10") && b.features.contains_key("#10"));
        assert!(
            matches!(a.veto(&c), Some(Veto::Month(..))),
            "{:?}",
            a.veto(&c)
        );
        assert_eq!(a.veto(&b), None);
        // Up vs down in the headlines; "tăng trưởng" (growth) is no movement.
        let up = Profile::new("en", "Gold prices soar to record", "");
        let down = Profile::new("en", "Gold prices plunge", "");
        assert_eq!(up.veto(&down), Some(Veto::Direction));
        // A headline with no direction reports its summary's (when it states only one).
        let record = Profile::new(
            "vi",
            "Giá vàng miếng lập đỉnh mới",
            "Sáng nay, giá vàng miếng tăng thêm 1,8 triệu đồng mỗi lượng.",
        );
        let turn = Profile::new("vi", "Giá vàng quay đầu giảm mạnh", "");
        assert_eq!(record.veto(&turn), Some(Veto::Direction));
        let mixed = Profile::new("vi", "Giá vàng biến động", "Sáng tăng, chiều giảm.");
        assert_eq!(mixed.veto(&turn), None);
        let growth = Profile::new("vi", "Giá vàng và tăng trưởng", "");
        let fall = Profile::new("vi", "Giá vàng giảm mạnh", "");
        assert_eq!(growth.veto(&fall), None);
        // A story admits an item only when no member states another fact.
        let recap = Profile::new("en", "Late goals lift Vietnam past Indonesia", "");
        let draw = Profile::new("en", "Vietnam draw 1-1 with Indonesia", "");
        let win = Profile::new("en", "Vietnam beat Indonesia 2-0", "");
        assert!(admits(&recap, [&draw]));
        assert!(!admits(&win, [&recap, &draw]));
    }

    #[test]
    fn headline_coverage_and_time() {
        let mut idf = |_: &str| 1.0;
        let arrivals = Profile::new(
            "en",
            "Vietnam welcomes 18 million foreign arrivals in October",
            "",
        );
        let exports = Profile::new(
            "en",
            "Exports up 14 percent in October",
            "Vietnam's exports rose, the statistics office said.",
        );
        let retold = Profile::new(
            "en",
            "Foreign arrivals hit 18 million",
            "Vietnam received more foreign visitors.",
        );
        // The month says when, not what: the exports item covers none of the arrivals.
        assert!(!covers(&arrivals, &exports, &mut idf));
        assert!(covers(&arrivals, &retold, &mut idf));
        // Reports of one event come within the window; the same teams' next match, two days
        // later, is out of it however similar.
        let first = Profile::new("en", "Late goals sink Indonesia against Vietnam", "");
        let next = Profile::new("en", "Late goal rescues Indonesia against Vietnam", "");
        let norm = |p: &Profile| p.features.values().map(|w| w * w).sum::<f64>().sqrt();
        let at = |published: i64| Candidate {
            id: 1,
            story: 1,
            published,
            profile: std::sync::Arc::new(next.clone()),
            norm: norm(&next),
        };
        let mut found = |dt: i64| matches(&first, norm(&first), 0, &[at(dt)], &mut idf).len();
        assert_eq!(found(30 * 3600), 1);
        assert_eq!(found(39 * 3600), 0);
        assert_eq!(decay(0), 1.0);
        assert!((decay(-DECAY_SECS) - (1.0 - TIME_DECAY)).abs() < 1e-9);
        assert!(decay(3600) > decay(24 * 3600));
    }

    #[test]
    fn paraphrases_are_similar_and_other_events_are_not() {
        let mut idf = |_: &str| 1.0;
        let a = Profile::new(
            "en",
            "Floods submerge 3,000 homes in Quang Tri",
            "Torrential rain pushed the Kien Giang River to record levels.",
        );
        let b = Profile::new(
            "en",
            "Quang Tri evacuates 1,200 households as floodwaters rise",
            "Rescue teams used motorboats.",
        );
        let c = Profile::new(
            "en",
            "Gold prices soar",
            "Gold bar prices jumped in morning trade.",
        );
        assert!(a.similarity(&b, &mut idf) > a.similarity(&c, &mut idf));
        assert_eq!(a.similarity(&c, &mut idf), 0.0);
    }

    #[test]
    fn tokens_and_names() {
        let p = Profile::new("en", "Hanoi's PM2.5 pollution worsens", "");
        assert!(p.vocabulary.contains("hanoi"));
        assert!(!p.vocabulary.contains("s"));
        let p = Profile::new("vi", "Quảng Trị ngập sâu", "");
        assert_eq!(
            p.headline_names,
            vec![vec!["quảng".to_string(), "trị".to_string()]]
        );
    }
}
