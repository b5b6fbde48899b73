//! The few fixed phrases outputs and the index page show, per language (English fallback).

pub struct Strings {
    pub language_name: &'static str,
    pub all_news: &'static str,
    pub all_news_description: &'static str,
    /// "Source: Nhân Dân" at the end of each item's content.
    pub source: &'static str,
    /// "Also reported by: Tuổi Trẻ, VnExpress" after the source line.
    pub also_reported_by: &'static str,
    pub latest: &'static str,
    pub sources: &'static str,
    pub categories: &'static str,
    pub outputs: &'static str,
}

pub fn site_name() -> &'static str {
    "bantin"
}

pub fn strings(lang: &str) -> &'static Strings {
    match lang {
        "vi" => &Strings {
            language_name: "Tiếng Việt",
            all_news: "Tin tức",
            all_news_description: "Tin tức tổng hợp từ các báo Việt Nam",
            source: "Nguồn",
            also_reported_by: "Các báo cùng đưa tin",
            latest: "Tin mới nhất",
            sources: "Nguồn tin",
            categories: "Chuyên mục",
            outputs: "Bản tin tuyển chọn",
        },
        "id" => &Strings {
            language_name: "Bahasa Indonesia",
            all_news: "Berita",
            all_news_description: "Berita dari media Vietnam",
            source: "Sumber",
            also_reported_by: "Juga diberitakan oleh",
            latest: "Berita terbaru",
            sources: "Sumber berita",
            categories: "Kategori",
            outputs: "Umpan pilihan",
        },
        "fr" => &Strings {
            language_name: "Français",
            all_news: "Actualités",
            all_news_description: "Actualités de la presse vietnamienne",
            source: "Source",
            also_reported_by: "Également rapporté par",
            latest: "Dernières nouvelles",
            sources: "Sources",
            categories: "Rubriques",
            outputs: "Fils sélectionnés",
        },
        "es" => &Strings {
            language_name: "Español",
            all_news: "Noticias",
            all_news_description: "Noticias de la prensa vietnamita",
            source: "Fuente",
            also_reported_by: "También informaron",
            latest: "Últimas noticias",
            sources: "Fuentes",
            categories: "Categorías",
            outputs: "Canales seleccionados",
        },
        _ => &Strings {
            language_name: "English",
            all_news: "News",
            all_news_description: "News from Vietnamese media",
            source: "Source",
            also_reported_by: "Also reported by",
            latest: "Latest news",
            sources: "Sources",
            categories: "Categories",
            outputs: "Curated feeds",
        },
    }
}

/// A human name for a language code (the code itself when unknown).
pub fn language_name(lang: &str) -> &str {
    match lang {
        "vi" | "en" | "id" | "fr" | "es" => strings(lang).language_name,
        "zh" => "中文",
        "ja" => "日本語",
        "ko" => "한국어",
        "ru" => "Русский",
        "lo" => "ພາສາລາວ",
        "km" => "ខ្មែរ",
        other => other,
    }
}
