//! The list of published outputs: one per language, one per language × category, and each
//! `[[output]]`; with localized titles taken from the category names in `feeds.toml`.

use crate::config::{Config, DEFAULT_LIMIT};
use crate::store::ItemQuery;

use super::i18n;

/// One published output (served in every format).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// The path under `/feeds/` without extension: `vi`, `vi/sports`, `id-heritage`.
    pub path: String,
    pub title: String,
    pub description: String,
    pub lang: Option<String>,
    pub categories: Vec<String>,
    pub limit: usize,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Only stories carried by at least this many outlets (1: every story).
    pub min_sources: usize,
    /// Which kind of output this is, for the index page.
    pub kind: OutputKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Language,
    Category,
    Curated,
}

impl OutputSpec {
    pub fn query(&self) -> ItemQuery {
        ItemQuery {
            lang: self.lang.clone(),
            categories: self.categories.clone(),
            // One item per story, keyword filters and `min_sources` drop items after the
            // query: fetch more so the output stays full.
            limit: if self.include.is_empty() && self.exclude.is_empty() && self.min_sources <= 1 {
                self.limit * 4
            } else {
                self.limit * 10
            },
            offset: 0,
        }
    }
}

/// Every output the config implies, in a stable order.
pub fn outputs(config: &Config) -> Vec<OutputSpec> {
    let mut out = Vec::new();
    let site = i18n::site_name();
    for lang in &config.classify.languages {
        let t = i18n::strings(lang);
        out.push(OutputSpec {
            path: lang.clone(),
            title: format!("{site} – {}", t.all_news),
            description: t.all_news_description.to_string(),
            lang: Some(lang.clone()),
            categories: vec![],
            limit: DEFAULT_LIMIT,
            include: vec![],
            exclude: vec![],
            min_sources: 1,
            kind: OutputKind::Language,
        });
        for c in &config.categories {
            let name = c.display_name(lang);
            out.push(OutputSpec {
                path: format!("{lang}/{}", c.id),
                title: format!("{site} – {name}"),
                description: format!("{}: {name}", t.all_news),
                lang: Some(lang.clone()),
                categories: vec![c.id.clone()],
                limit: DEFAULT_LIMIT,
                include: vec![],
                exclude: vec![],
                min_sources: 1,
                kind: OutputKind::Category,
            });
        }
    }
    for o in &config.outputs {
        let t = i18n::strings(o.lang.as_deref().unwrap_or("en"));
        let description = o.description.clone().unwrap_or_else(|| {
            let names: Vec<&str> = o
                .categories
                .iter()
                .filter_map(|id| config.category(id))
                .map(|c| c.display_name(o.lang.as_deref().unwrap_or("en")))
                .collect();
            if names.is_empty() {
                o.title.clone()
            } else {
                format!("{}: {}", t.all_news, names.join(", "))
            }
        });
        out.push(OutputSpec {
            path: o.id.clone(),
            title: o.title.clone(),
            description,
            lang: o.lang.clone(),
            categories: o.categories.clone(),
            limit: o.limit,
            include: o.include.clone(),
            exclude: o.exclude.clone(),
            min_sources: o.min_sources,
            kind: OutputKind::Curated,
        });
    }
    out
}
