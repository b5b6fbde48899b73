//! Each item's language and categories, decided from the config's rules.
//!
//! **Language**, in order of precedence:
//! 1. `lang` on the `[[feed]]` in the config;
//! 2. confident detection on enough text (title + summary): at least
//!    [`lang::MIN_WORDS`] words and a relative confidence of [`lang::MIN_CONFIDENCE`], or
//!    letters only Vietnamese uses ([`lang`]), among the `[classify] languages`;
//! 3. the item's own `xml:lang`/`dc:language`, when it is a configured language;
//! 4. the channel's `<language>`, when it is a configured language;
//! 5. the detector's best guess on too little text;
//! 6. whatever the item or the channel declares, even when not configured.
//!
//! A declaration of a configured language that detection cannot recognize (no model compiled
//! in) is trusted over detection. Codes are lower-case primary subtags (`en-US` → `en`,
//! `in` → `id`); `und`, `mul`, `zxx` declare nothing.
//!
//! **Categories**: every source of evidence scores: the source's own `<category>` labels mapped
//! through `[[category]].labels` (case- and accent-insensitive), keyword rules for the item's
//! language on the title (whole words; multi-word phrases as phrases) and on the summary, and
//! the feed's configured `categories`. The list is ordered by score, primary first; ties keep
//! that order of sources (labels, then keywords, then the feed's default). Labels are
//! evidence, not verdicts: a "Thời sự" (news) section label loses to two environment keywords
//! in the headline.

pub mod lang;

// The keyword index is looked up once per word of every item: foldhash, as in `story`.
use foldhash::{HashMap, HashMapExt};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::config::{Config, FeedConfig};
use crate::model::{FeedMeta, Item};

/// Score of a source label that maps onto a category.
pub const LABEL_SCORE: f64 = 1.5;
/// Score of each distinct keyword found in the title.
pub const TITLE_KEYWORD_SCORE: f64 = 2.0;
/// Score of each distinct keyword found only in the summary.
pub const SUMMARY_KEYWORD_SCORE: f64 = 1.0;
/// Score of the feed's configured default categories.
pub const DEFAULT_SCORE: f64 = 1.5;
/// A category joins the list only with at least this share of the primary's score (the
/// feed's defaults always join).
pub const SECONDARY_SHARE: f64 = 0.5;

/// Compiled rules: labels and keywords pre-folded once per config.
pub struct Classifier {
    /// (folded label, category id)
    labels: Vec<(String, String)>,
    /// (lang, keyword as case-folded words, category id, keyword as written)
    keywords: Vec<(String, Vec<String>, String, String)>,
    /// (lang, first word of a keyword) → indices into `keywords`: an item's words are looked
    /// up here instead of every keyword scanning every word (hundreds of keywords per item).
    keywords_by_first: HashMap<String, HashMap<String, Vec<usize>>>,
    languages: Vec<String>,
    detector: lang::Detector,
}

/// How the language was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LangRule {
    Config,
    Detected,
    Item,
    Channel,
    Guess,
    Unlisted,
    Unknown,
}

impl LangRule {
    pub fn describe(self) -> &'static str {
        match self {
            LangRule::Config => "`lang` of the [[feed]] in the config",
            LangRule::Detected => "detected with confidence on enough text",
            LangRule::Item => "declared by the item (xml:lang / dc:language)",
            LangRule::Channel => "declared by the channel (<language>)",
            LangRule::Guess => {
                "detector's best guess (too little text to be sure, nothing declared)"
            }
            LangRule::Unlisted => "declared, but not one of [classify] languages",
            LangRule::Unknown => "no declaration and no detectable text",
        }
    }
}

/// The language decision with everything that went into it.
#[derive(Debug, Clone, Serialize)]
pub struct LangDecision {
    pub lang: Option<String>,
    pub rule: LangRule,
    pub configured: Option<String>,
    pub item: Option<String>,
    pub channel: Option<String>,
    pub detected: Option<lang::Detection>,
}

/// One category's evidence.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryEvidence {
    pub id: String,
    pub score: f64,
    /// e.g. `label "Thời sự"`, `keyword "bóng đá" in the title`, `feed default`.
    pub reasons: Vec<String>,
}

/// Lower-case, accents removed (`Thời sự` → `thoi su`): for matching source labels.
pub fn fold_accents(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lower-case words of `s`, diacritics kept (Vietnamese `bóng đá` ≠ `bóng da`).
pub fn words(s: &str) -> Vec<String> {
    // Item text is NFC already: checking is cheaper than composing, which was most of this
    // function's time.
    crate::normalize::text::nfc_str(s)
        .chars()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn contains_phrase(haystack: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && haystack.windows(phrase.len()).any(|w| w == phrase)
}

/// Whether `word` is `keyword` or one of its regular English inflections (`flood` matches
/// `floods`, `flooded`, `flooding`).
fn inflects(word: &str, keyword: &str) -> bool {
    word == keyword
        || (keyword.chars().count() >= 3
            && word
                .strip_prefix(keyword)
                .is_some_and(|rest| matches!(rest, "s" | "es" | "ed" | "d" | "ing" | "er" | "ers")))
}

/// The keyword words `word` can match: itself, and in English the stems [`inflects`] accepts
/// (`floods` → `flood`, `flooded` → `flood`, `flooding` → `flood`).
fn base_forms<'a>(lang: &str, word: &'a str) -> impl Iterator<Item = &'a str> {
    let stems = (lang == "en").then(|| {
        ["s", "es", "ed", "d", "ing", "er", "ers"]
            .into_iter()
            .filter_map(move |suffix| word.strip_suffix(suffix))
            .filter(|stem| stem.chars().count() >= 3)
    });
    std::iter::once(word).chain(stems.into_iter().flatten())
}

/// [`contains_phrase`] with English inflections allowed on each word.
fn contains_phrase_in(lang: &str, haystack: &[String], phrase: &[String]) -> bool {
    if lang != "en" {
        return contains_phrase(haystack, phrase);
    }
    !phrase.is_empty()
        && haystack
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase).all(|(a, b)| inflects(a, b)))
}

/// A declared language tag that actually declares something.
fn declared(tag: &Option<String>) -> Option<String> {
    tag.as_deref()
        .filter(|t| !matches!(*t, "und" | "mul" | "zxx" | "mis"))
        .map(str::to_string)
}

impl Classifier {
    pub fn new(config: &Config) -> Classifier {
        let mut labels = Vec::new();
        let mut keywords = Vec::new();
        for c in &config.categories {
            for l in c.labels.iter().chain(c.name.values()) {
                labels.push((fold_accents(l), c.id.clone()));
            }
            for (lang, list) in &c.keywords {
                for k in list {
                    keywords.push((lang.clone(), words(k), c.id.clone(), k.clone()));
                }
            }
        }
        let mut keywords_by_first: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        for (i, (lang, kw, _, _)) in keywords.iter().enumerate() {
            if let Some(first) = kw.first() {
                (keywords_by_first.entry(lang.clone()).or_default())
                    .entry(first.clone())
                    .or_default()
                    .push(i);
            }
        }
        Classifier {
            labels,
            keywords,
            keywords_by_first,
            languages: config.classify.languages.clone(),
            detector: lang::Detector::new(&config.classify.languages),
        }
    }

    /// A digest of the rules: items classified under other rules are classified again
    /// (see `normalize::KnownEntries`).
    pub fn fingerprint(&self) -> String {
        let mut h = blake3::Hasher::new();
        let mut rules: Vec<String> = self
            .labels
            .iter()
            .map(|(label, id)| format!("label\0{label}\0{id}"))
            .chain(
                self.keywords
                    .iter()
                    .map(|(lang, _, id, k)| format!("keyword\0{lang}\0{id}\0{k}")),
            )
            .chain(self.languages.iter().map(|l| format!("lang\0{l}")))
            .collect();
        rules.sort_unstable();
        for r in rules {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        h.finalize().to_hex()[..32].to_string()
    }

    /// Sets `item.lang` and `item.categories`.
    pub fn classify(&self, feed: &FeedConfig, meta: &FeedMeta, item: &mut Item) {
        item.lang = self.language(feed, meta, item).lang;
        item.categories = self
            .category_evidence(feed, item)
            .into_iter()
            .map(|c| c.id)
            .collect();
    }

    /// The text language detection and keyword rules look at.
    fn text(item: &Item) -> String {
        let mut text = item.title.clone();
        if !item.summary_text.is_empty() {
            text.push_str(". ");
            text.push_str(&item.summary_text);
        }
        text
    }

    fn listed(&self, lang: &Option<String>) -> Option<String> {
        lang.clone()
            .filter(|l| self.languages.is_empty() || self.languages.contains(l))
    }

    /// The language decision for `item` (see the module docs for the precedence).
    pub fn language(&self, feed: &FeedConfig, meta: &FeedMeta, item: &Item) -> LangDecision {
        let item_lang = declared(&item.declared_lang);
        let channel = declared(&meta.lang);
        let detected = if feed.lang.is_some() {
            None
        } else {
            self.detector.detect(&Self::text(item))
        };
        let mut decision = LangDecision {
            lang: None,
            rule: LangRule::Unknown,
            configured: feed.lang.clone(),
            item: item_lang.clone(),
            channel: channel.clone(),
            detected: detected.clone(),
        };
        let listed_item = self.listed(&item_lang);
        let listed_channel = self.listed(&channel);
        // A configured language the detector cannot recognize: trust its declaration.
        let undetectable = listed_item
            .clone()
            .map(|l| (l, LangRule::Item))
            .or(listed_channel.clone().map(|l| (l, LangRule::Channel)))
            .filter(|(l, _)| !self.detector.can_detect(l));
        let (lang, rule) = if let Some(l) = &feed.lang {
            (Some(l.clone()), LangRule::Config)
        } else if let Some((l, rule)) = undetectable {
            (Some(l), rule)
        } else if let Some(d) = detected.as_ref().filter(|d| d.confident) {
            (Some(d.lang.clone()), LangRule::Detected)
        } else if let Some(l) = listed_item {
            (Some(l), LangRule::Item)
        } else if let Some(l) = listed_channel {
            (Some(l), LangRule::Channel)
        } else if let Some(d) = &detected {
            (Some(d.lang.clone()), LangRule::Guess)
        } else if let Some(l) = item_lang.or(channel) {
            (Some(l), LangRule::Unlisted)
        } else {
            (None, LangRule::Unknown)
        };
        decision.lang = lang;
        decision.rule = rule;
        decision
    }

    /// Every category with evidence for `item` (whose `lang` is already decided), best first,
    /// cut to those with at least [`SECONDARY_SHARE`] of the best score (defaults always kept).
    pub fn category_evidence(&self, feed: &FeedConfig, item: &Item) -> Vec<CategoryEvidence> {
        let mut all = self.all_category_evidence(feed, item);
        let top = all.first().map_or(0.0, |c| c.score);
        all.retain(|c| c.score >= top * SECONDARY_SHARE || feed.categories.contains(&c.id));
        all
    }

    /// Which keywords of `lang` occur in `words`, by index into `keywords` (the same matches
    /// as [`contains_phrase_in`] over every keyword, found through `keywords_by_first`).
    fn matching_keywords(&self, lang: &str, words: &[String]) -> Vec<bool> {
        let mut found = vec![false; self.keywords.len()];
        let Some(by_first) = self.keywords_by_first.get(lang) else {
            return found;
        };
        for (at, word) in words.iter().enumerate() {
            for base in base_forms(lang, word) {
                for &i in by_first.get(base).into_iter().flatten() {
                    let kw = &self.keywords[i].1;
                    let here = &words[at..(at + kw.len()).min(words.len())];
                    if !found[i] && contains_phrase_in(lang, here, kw) {
                        found[i] = true;
                    }
                }
            }
        }
        found
    }

    /// Every category with any evidence, best first (for `bantin explain`).
    pub fn all_category_evidence(&self, feed: &FeedConfig, item: &Item) -> Vec<CategoryEvidence> {
        let mut out: Vec<CategoryEvidence> = Vec::new();
        let mut add =
            |id: &str, score: f64, reason: String| match out.iter_mut().find(|c| c.id == id) {
                Some(c) => {
                    if !c.reasons.contains(&reason) {
                        c.score += score;
                        c.reasons.push(reason);
                    }
                }
                None => out.push(CategoryEvidence {
                    id: id.to_string(),
                    score,
                    reasons: vec![reason],
                }),
            };
        for label in &item.source_categories {
            let folded = fold_accents(label);
            for (l, id) in &self.labels {
                if *l == folded {
                    add(id, LABEL_SCORE, format!("label \"{label}\""));
                }
            }
        }
        if let Some(lang) = &item.lang {
            let title_words = words(&item.title);
            let summary_words = words(&item.summary_text);
            let in_title = self.matching_keywords(lang, &title_words);
            let in_summary = self.matching_keywords(lang, &summary_words);
            // Keyword order decides ties, so walk the matches in configuration order.
            for (i, (_, _, id, written)) in self.keywords.iter().enumerate() {
                if in_title[i] {
                    add(
                        id,
                        TITLE_KEYWORD_SCORE,
                        format!("keyword \"{written}\" in the title"),
                    );
                } else if in_summary[i] {
                    add(
                        id,
                        SUMMARY_KEYWORD_SCORE,
                        format!("keyword \"{written}\" in the summary"),
                    );
                }
            }
        }
        for id in &feed.categories {
            add(id, DEFAULT_SCORE, "feed default".to_string());
        }
        // Stable: ties keep the order of sources (labels, keywords, default).
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::text::plain_text;

    /// The keyword index finds exactly what scanning every keyword finds, on sentences made
    /// of the shipped keywords (inflected, split, adjacent) in every language.
    #[test]
    fn keyword_index_matches_the_scan() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
        let c = Classifier::new(&Config::load(&path).unwrap());
        let scan = |lang: &str, w: &[String]| -> Vec<bool> {
            (c.keywords.iter())
                .map(|(l, kw, _, _)| l == lang && contains_phrase_in(lang, w, kw))
                .collect()
        };
        let mut checked = 0;
        for (i, (lang, kw, _, _)) in c.keywords.iter().enumerate() {
            let next = &c.keywords[(i + 1) % c.keywords.len()].1;
            let mut sentences = vec![kw.clone(), [kw.clone(), next.clone()].concat()];
            // Half a phrase, and English inflections of its last word.
            sentences.push(kw[..kw.len().div_ceil(2)].to_vec());
            for suffix in ["s", "ed", "ing", "ers", "x"] {
                let mut w = kw.clone();
                *w.last_mut().unwrap() += suffix;
                sentences.push([vec!["the".to_string()], w].concat());
            }
            for w in sentences {
                assert_eq!(
                    c.matching_keywords(lang, &w),
                    scan(lang, &w),
                    "{lang} {w:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 300, "only {checked} sentences");
    }

    #[test]
    fn folding_and_phrases() {
        assert_eq!(fold_accents("  Thời   Sự "), "thoi su");
        assert_eq!(fold_accents("Đà Nẵng"), "da nang");
        let w = words("Đội tuyển bóng đá Việt Nam thắng");
        assert!(contains_phrase(&w, &words("bóng đá")));
        assert!(!contains_phrase(&w, &words("bóng da")));
        assert!(!contains_phrase(&words("football-like"), &words("foot")));
        assert!(contains_phrase_in(
            "en",
            &words("Floods hit"),
            &words("flood")
        ));
        assert!(!contains_phrase_in(
            "en",
            &words("floodwaters"),
            &words("flood")
        ));
        assert!(!contains_phrase_in("vi", &words("lũs"), &words("lũ")));
    }

    fn config() -> Config {
        let text = r#"
[classify]
languages = ["vi", "en", "id"]
[[category]]
id = "current-events"
labels = ["Thời sự"]
[[category]]
id = "environment"
keywords.vi = ["bụi mịn", "ô nhiễm"]
[[category]]
id = "sports"
keywords.en = ["football"]
[[feed]]
name = "A"
url = "http://a.example/rss"
"#;
        Config::parse(text, std::path::Path::new("feeds.toml")).unwrap()
    }

    fn item(title: &str, summary: &str, declared: Option<&str>) -> Item {
        Item {
            key: "k".into(),
            title: title.into(),
            summary: Some(summary.into()).filter(|s: &String| !s.is_empty()),
            summary_text: plain_text(summary),
            declared_lang: declared.map(str::to_string),
            ..Item::default()
        }
    }

    #[test]
    fn language_precedence() {
        let config = config();
        let c = Classifier::new(&config);
        let feed = &config.feeds[0];
        let meta = FeedMeta {
            lang: Some("en".into()),
            ..FeedMeta::default()
        };
        // Detection on enough text beats a wrong declaration.
        let i = item(
            "Thể Công thắng đậm",
            "Đội bóng áo lính đánh bại Hải Phòng 4-0 ở vòng 8 V-League.",
            Some("en"),
        );
        let d = c.language(feed, &meta, &i);
        assert_eq!(
            (d.lang.as_deref(), d.rule),
            (Some("vi"), LangRule::Detected)
        );
        // Too little text: the declaration wins.
        let i = item("Viettel go top", "", Some("en"));
        assert_eq!(c.language(feed, &meta, &i).rule, LangRule::Item);
        // An unconfigured declaration (ms) is not used while detection has a guess.
        let i = item("Garuda Muda menang", "", Some("ms"));
        let d = c.language(feed, &FeedMeta::default(), &i);
        assert_eq!(d.rule, LangRule::Guess);
        // The config beats everything.
        let mut f = feed.clone();
        f.lang = Some("id".into());
        assert_eq!(c.language(&f, &meta, &i).lang.as_deref(), Some("id"));
    }

    #[test]
    fn categories_are_scored() {
        let config = config();
        let c = Classifier::new(&config);
        let feed = &config.feeds[0];
        let mut i = item(
            "Bụi mịn bao phủ Hà Nội",
            "Người dân hạn chế ra ngoài khi không khí ô nhiễm.",
            None,
        );
        i.lang = Some("vi".into());
        i.source_categories = vec!["Thời sự".into()];
        let ev = c.category_evidence(feed, &i);
        assert_eq!(ev[0].id, "environment");
        assert_eq!(ev[1].id, "current-events");
        assert!(ev[0].reasons[0].contains("bụi mịn"));
    }
}
