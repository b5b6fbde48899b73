//! Admin edits of `feeds.toml` and source lists: enabling/disabling a feed and importing
//! OPML edit the file with `toml_edit` so its comments and layout survive; every edit is
//! validated as a whole config before it replaces the file (atomically). Also OPML export of
//! the configured sources.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use quick_xml::events::Event;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::classify::fold_accents;
use crate::config::{Config, ConfigError, FeedSource};
use crate::render::escape_attr;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML: {message}")]
    Toml { path: String, message: String },
    #[error("no [[feed]] named `{0}`")]
    NoSuchFeed(String),
    #[error("the edited configuration would be invalid:\n{0}")]
    Invalid(ConfigError),
    #[error("cannot read the OPML file: {0}")]
    Opml(String),
}

fn read(path: &Path) -> Result<(String, DocumentMut), AdminError> {
    let text = std::fs::read_to_string(path).map_err(|source| AdminError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let toml_error = |message: String| AdminError::Toml {
        path: path.display().to_string(),
        message,
    };
    // toml_edit's error recovery panics on some invalid documents (see `Config::parse`).
    let doc = std::panic::catch_unwind(|| text.parse::<DocumentMut>())
        .map_err(|_| toml_error("not valid TOML (the parser gave up)".to_string()))?
        .map_err(|e| toml_error(e.to_string()))?;
    Ok((text, doc))
}

/// Validates `text` as the config at `path`, then replaces the file atomically.
fn write_validated(path: &Path, text: &str) -> Result<Config, AdminError> {
    let config = Config::parse(text, path).map_err(AdminError::Invalid)?;
    let tmp = path.with_extension("toml.tmp");
    let err = |source| AdminError::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(config)
}

/// Sets `enabled` on the `[[feed]]` named `name` (removing the key when enabling, since
/// enabled is the default).
pub fn set_enabled(path: &Path, name: &str, enabled: bool) -> Result<(), AdminError> {
    let (_, mut doc) = read(path)?;
    let feeds = doc
        .get_mut("feed")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| AdminError::NoSuchFeed(name.to_string()))?;
    let table = feeds
        .iter_mut()
        .find(|t| t.get("name").and_then(Item::as_str) == Some(name))
        .ok_or_else(|| AdminError::NoSuchFeed(name.to_string()))?;
    if enabled {
        table.remove("enabled");
    } else {
        table.insert("enabled", value(false));
    }
    write_validated(path, &doc.to_string())?;
    Ok(())
}

/// One source found in an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    pub title: String,
    pub url: String,
    /// The texts of the enclosing outlines (folders), outermost first.
    pub folders: Vec<String>,
}

/// Reads the feed outlines of an OPML document, leniently: any version or none, nested
/// folders, `xmlUrl`/`xmlurl`/`url` spellings, titles from `title` or `text`.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, AdminError> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut out = Vec::new();
    let mut saw_opml = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| AdminError::Opml(e.to_string()))?;
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().into_inner().eq_ignore_ascii_case("outline") {
                    folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let local = e.local_name();
        if local.into_inner().eq_ignore_ascii_case("opml") {
            saw_opml = true;
        }
        if !local.into_inner().eq_ignore_ascii_case("outline") {
            continue;
        }
        let mut title = None;
        let mut text_attr = None;
        let mut url = None;
        for a in e.attributes().flatten() {
            let key = a.key.local_name().into_inner().to_ascii_lowercase();
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            match key.as_str() {
                "xmlurl" | "url" if url.is_none() && !v.is_empty() => url = Some(v),
                "title" if !v.is_empty() => title = Some(v),
                "text" if !v.is_empty() => text_attr = Some(v),
                _ => {}
            }
        }
        let label = title.clone().or(text_attr.clone());
        if let Some(url) = url {
            out.push(OpmlFeed {
                title: label.clone().unwrap_or_else(|| url.clone()),
                url,
                folders: folders.iter().flatten().cloned().collect(),
            });
        }
        if !empty {
            folders.push(label);
        }
    }
    if !saw_opml {
        return Err(AdminError::Opml("no <opml> element".into()));
    }
    Ok(out)
}

/// Adds every OPML source not configured yet (by URL or name) as a `[[feed]]`, mapping a
/// folder name to a category when it matches a category's id, name or label. Returns the
/// names added.
pub fn import_opml(config_path: &Path, opml_text: &str) -> Result<Vec<String>, AdminError> {
    let found = parse_opml(opml_text)?;
    let config = Config::load(config_path).map_err(AdminError::Invalid)?;
    let (_, mut doc) = read(config_path)?;
    let mut urls: HashSet<String> = config.feeds.iter().map(|f| f.source.to_string()).collect();
    let mut names: HashSet<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
    let mut added = Vec::new();
    if doc.get("feed").is_none() {
        doc.insert("feed", Item::ArrayOfTables(Default::default()));
    }
    let feeds = doc
        .get_mut("feed")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| AdminError::Toml {
            path: config_path.display().to_string(),
            message: "`feed` is not an array of tables".into(),
        })?;
    for f in found {
        let normalized = url::Url::parse(&f.url)
            .map(|u| u.to_string())
            .unwrap_or(f.url.clone());
        if urls.contains(&normalized) || urls.contains(&f.url) {
            continue;
        }
        let mut name = crate::normalize::text::plain_text(&f.title);
        if name.is_empty() {
            name = f.url.clone();
        }
        let base = name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        let category = f.folders.iter().rev().find_map(|folder| {
            let folded = fold_accents(folder);
            config.categories.iter().find(|c| {
                c.id == folded.replace(' ', "-")
                    || c.name
                        .values()
                        .chain(c.labels.iter())
                        .any(|l| fold_accents(l) == folded)
            })
        });
        let mut t = Table::new();
        t.insert("name", value(name.clone()));
        t.insert("url", value(f.url.clone()));
        if let Some(c) = category {
            let mut arr = toml_edit::Array::new();
            arr.push(c.id.clone());
            t.insert("categories", value(arr));
        }
        feeds.push(t);
        urls.insert(normalized);
        names.insert(name.clone());
        added.push(name);
    }
    if !added.is_empty() {
        write_validated(config_path, &doc.to_string())?;
    }
    Ok(added)
}

/// The configured sources as OPML 2.0, grouped by language.
pub fn export_opml(config: &Config) -> String {
    let mut o = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head>\n<title>bantin sources</title>\n</head>\n<body>\n",
    );
    let mut langs: Vec<Option<&str>> = Vec::new();
    for f in &config.feeds {
        if !langs.contains(&f.lang.as_deref()) {
            langs.push(f.lang.as_deref());
        }
    }
    for lang in langs {
        let _ = writeln!(
            o,
            "<outline text=\"{}\">",
            escape_attr(lang.unwrap_or("other"))
        );
        for f in config.feeds.iter().filter(|f| f.lang.as_deref() == lang) {
            let url = match &f.source {
                FeedSource::Http(u) => u.to_string(),
                FeedSource::File(p) => url::Url::from_file_path(p)
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
            };
            let _ = writeln!(
                o,
                "<outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{}\"{}/>",
                escape_attr(&url),
                f.categories
                    .first()
                    .map(|c| format!(" category=\"{}\"", escape_attr(c)))
                    .unwrap_or_default(),
                t = escape_attr(&f.name)
            );
        }
        o.push_str("</outline>\n");
    }
    o.push_str("</body>\n</opml>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document that makes toml_edit's error recovery panic (found by fuzzing the config
    /// parser) is an error for the admin commands too, not a crash, and the file is untouched.
    #[test]
    fn a_document_the_parser_gives_up_on_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feeds.toml");
        std::fs::write(&path, "==\n.=").unwrap();
        let err = set_enabled(&path, "A", false).unwrap_err();
        assert!(err.to_string().contains("feeds.toml"), "{err}");
        assert!(import_opml(&path, "<opml><body/></opml>").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "==\n.=");
    }
}
