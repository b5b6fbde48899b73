//! Each item's language and categories, decided from the config's rules.
//!
//! Language precedence: `lang` on the `[[feed]]` > the item's own `xml:lang`/`dc:language` >
//! the channel's `<language>`. Categories, in order, primary first: the source's own
//! `<category>` labels mapped through `[[category]].labels` (case- and accent-insensitive),
//! keyword rules for the item's language on title + summary (whole words; multi-word phrases
//! as phrases), then the feed's configured `categories`.

use unicode_normalization::UnicodeNormalization;

use crate::config::{Config, FeedConfig};
use crate::model::{FeedMeta, Item};
use crate::normalize::text::plain_text;

/// Compiled rules: labels and keywords pre-folded once per config.
pub struct Classifier {
    /// (folded label, category id)
    labels: Vec<(String, String)>,
    /// (lang, keyword as case-folded words, category id)
    keywords: Vec<(String, Vec<String>, String)>,
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
    s.nfc()
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
                    keywords.push((lang.clone(), words(k), c.id.clone()));
                }
            }
        }
        Classifier { labels, keywords }
    }

    /// Sets `item.lang` and `item.categories`.
    pub fn classify(&self, feed: &FeedConfig, meta: &FeedMeta, item: &mut Item) {
        item.lang = feed
            .lang
            .clone()
            .or_else(|| item.declared_lang.clone())
            .or_else(|| meta.lang.clone());
        item.categories = self.categories(feed, item);
    }

    fn categories(&self, feed: &FeedConfig, item: &Item) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |id: &str| {
            if !out.iter().any(|c| c == id) {
                out.push(id.to_string());
            }
        };
        for label in &item.source_categories {
            let folded = fold_accents(label);
            for (l, id) in &self.labels {
                if *l == folded {
                    push(id);
                }
            }
        }
        if let Some(lang) = &item.lang {
            let mut text = item.title.clone();
            if let Some(s) = &item.summary {
                text.push(' ');
                text.push_str(&plain_text(s));
            }
            let text_words = words(&text);
            for (klang, kw, id) in &self.keywords {
                if klang == lang && contains_phrase(&text_words, kw) {
                    push(id);
                }
            }
        }
        for id in &feed.categories {
            push(id);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_phrases() {
        assert_eq!(fold_accents("  Thời   Sự "), "thoi su");
        assert_eq!(fold_accents("Đà Nẵng"), "da nang");
        let w = words("Đội tuyển bóng đá Việt Nam thắng");
        assert!(contains_phrase(&w, &words("bóng đá")));
        assert!(!contains_phrase(&w, &words("bóng da")));
        assert!(!contains_phrase(&words("football-like"), &words("foot")));
    }
}
