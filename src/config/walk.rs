//! Typed reads from a span-preserving TOML tree that record problems instead of stopping at
//! the first one. Each reader returns `None` (and records why) when a value is missing or wrong.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use toml_edit::{Item, TableLike};

/// The problems found so far, and the text needed to turn byte offsets into line:column.
pub struct Problems<'t> {
    text: &'t str,
    list: Vec<(usize, String)>,
}

impl<'t> Problems<'t> {
    pub fn new(text: &'t str) -> Self {
        Problems {
            text,
            list: Vec::new(),
        }
    }

    /// Records `message` at byte offset `at` (start of file when unknown).
    pub fn at(&mut self, at: Option<usize>, message: String) {
        self.list.push((at.unwrap_or(0), message));
    }

    pub fn into_vec(self) -> Vec<super::ConfigProblem> {
        let mut list = self.list;
        list.sort_by_key(|(at, _)| *at);
        list.into_iter()
            .map(|(at, message)| {
                let (line, col) = line_col(self.text, at);
                super::ConfigProblem { line, col, message }
            })
            .collect()
    }
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = text[line_start..at].chars().count() + 1;
    (line, col)
}

/// A table in the document, with the dotted name used in messages (`poll`, `feed[2]`).
pub struct Node<'d> {
    table: Option<&'d dyn TableLike>,
    name: String,
}

fn span_of(item: &Item) -> Option<usize> {
    item.span().map(|s| s.start)
}

impl<'d> Node<'d> {
    pub fn root(table: &'d toml_edit::Table) -> Self {
        Node {
            table: Some(table),
            name: String::new(),
        }
    }

    fn label(&self, key: &str) -> String {
        if self.name.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.name)
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.is_some_and(|t| t.contains_key(key))
    }

    /// Position of `key` itself (for messages about the key rather than its value).
    pub fn key_at(&self, key: &str) -> Option<usize> {
        let (k, _) = self.table?.get_key_value(key)?;
        k.span().map(|s| s.start)
    }

    fn get(&self, key: &str) -> Option<(&'d Item, Option<usize>)> {
        let (k, item) = self.table?.get_key_value(key)?;
        let at = span_of(item).or_else(|| k.span().map(|s| s.start));
        Some((item, at))
    }

    /// Records every key not in `allowed`, at the key's position.
    pub fn reject_unknown(&self, allowed: &[&str], p: &mut Problems) {
        let Some(t) = self.table else { return };
        for (key, _) in t.iter() {
            if !allowed.contains(&key) {
                let at = t.key(key).and_then(|k| k.span()).map(|s| s.start);
                let where_ = if self.name.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in [{}]", self.name.split('[').next().unwrap_or(&self.name))
                };
                p.at(
                    at,
                    format!(
                        "unknown key `{key}` {where_}; expected one of: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// A sub-table such as `[server]`; absent tables read as empty.
    pub fn table(&self, key: &str, p: &mut Problems) -> Node<'d> {
        let name = self.label(key);
        match self.get(key) {
            None => Node { table: None, name },
            Some((item, at)) => match item.as_table_like() {
                Some(t) => Node {
                    table: Some(t),
                    name,
                },
                None => {
                    p.at(
                        at,
                        format!("`{name}` must be a table, found {}", item.type_name()),
                    );
                    Node { table: None, name }
                }
            },
        }
    }

    /// The entries of an array of tables such as `[[feed]]`.
    pub fn array_of_tables(&self, key: &str, p: &mut Problems) -> Vec<Node<'d>> {
        let Some((item, at)) = self.get(key) else {
            return vec![];
        };
        if let Some(aot) = item.as_array_of_tables() {
            return aot
                .iter()
                .enumerate()
                .map(|(i, t)| Node {
                    table: Some(t as &dyn TableLike),
                    name: format!("{key}[{}]", i + 1),
                })
                .collect();
        }
        if let Some(arr) = item.as_array() {
            let mut out = Vec::new();
            for (i, v) in arr.iter().enumerate() {
                match v.as_inline_table() {
                    Some(t) => out.push(Node {
                        table: Some(t as &dyn TableLike),
                        name: format!("{key}[{}]", i + 1),
                    }),
                    None => p.at(
                        v.span().map(|s| s.start),
                        format!("`{key}` entries must be tables"),
                    ),
                }
            }
            return out;
        }
        p.at(at, format!("`{key}` must be written as [[{key}]] tables"));
        vec![]
    }

    pub fn string(&self, key: &str, p: &mut Problems) -> Option<(String, Option<usize>)> {
        let (item, at) = self.get(key)?;
        match item.as_str() {
            Some(s) => Some((s.to_string(), at)),
            None => {
                p.at(
                    at,
                    format!(
                        "`{}` must be a string, found {}",
                        self.label(key),
                        item.type_name()
                    ),
                );
                None
            }
        }
    }

    pub fn required_string(
        &self,
        key: &str,
        what: &str,
        p: &mut Problems,
    ) -> Option<(String, Option<usize>)> {
        if !self.has(key) {
            let at = self.table.and_then(|t| {
                t.iter()
                    .next()
                    .and_then(|(k, _)| t.key(k))
                    .and_then(|k| k.span())
                    .map(|s| s.start)
            });
            p.at(
                at,
                format!(
                    "{what} entry `{}` is missing required key `{key}`",
                    self.name
                ),
            );
            return None;
        }
        self.string(key, p)
    }

    pub fn integer(&self, key: &str, p: &mut Problems) -> Option<i64> {
        let (item, at) = self.get(key)?;
        match item.as_integer() {
            Some(n) => Some(n),
            None => {
                p.at(
                    at,
                    format!(
                        "`{}` must be an integer, found {}",
                        self.label(key),
                        item.type_name()
                    ),
                );
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn count(&self, key: &str, min: usize, max: usize, p: &mut Problems) -> Option<usize> {
        let n = self.integer(key, p)?;
        if n < min as i64 || n > max as i64 {
            p.at(
                self.get(key).and_then(|(_, at)| at),
                format!(
                    "`{}` must be between {min} and {max}, found {n}",
                    self.label(key)
                ),
            );
            return None;
        }
        Some(n as usize)
    }

    pub fn boolean(&self, key: &str, p: &mut Problems) -> Option<bool> {
        let (item, at) = self.get(key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                p.at(at, format!("`{}` must be true or false", self.label(key)));
                None
            }
        }
    }

    pub fn duration(&self, key: &str, p: &mut Problems) -> Option<Duration> {
        let (s, at) = self.string(key, p)?;
        match super::parse_duration(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                p.at(at, format!("{}: {e}", self.label(key)));
                None
            }
        }
    }

    /// A duration of at least `min_secs` seconds.
    pub fn duration_min(&self, key: &str, min_secs: u64, p: &mut Problems) -> Option<Duration> {
        let d = self.duration(key, p)?;
        if d < Duration::from_secs(min_secs) {
            p.at(
                self.get(key).and_then(|(_, at)| at),
                format!("`{}` must be at least {min_secs}s", self.label(key)),
            );
            return None;
        }
        Some(d)
    }

    pub fn size(&self, key: &str, p: &mut Problems) -> Option<u64> {
        let (item, at) = self.get(key)?;
        let parsed = match (item.as_integer(), item.as_str()) {
            (Some(n), _) if n > 0 => Ok(n as u64),
            (_, Some(s)) => super::parse_size(s),
            _ => Err("must be a size like \"16MiB\"".to_string()),
        };
        match parsed {
            Ok(n) if n > 0 => Some(n),
            Ok(_) => {
                p.at(at, format!("`{}` must be positive", self.label(key)));
                None
            }
            Err(e) => {
                p.at(at, format!("{}: {e}", self.label(key)));
                None
            }
        }
    }

    /// A language tag, normalized to its lower-case primary subtag.
    pub fn lang(&self, key: &str, p: &mut Problems) -> Option<String> {
        let (s, at) = self.string(key, p)?;
        match super::normalize_lang(&s) {
            Some(l) => Some(l),
            None => {
                p.at(
                    at,
                    format!(
                        "`{}`: `{s}` is not a language code like \"vi\", \"en\" or \"id\"",
                        self.label(key)
                    ),
                );
                None
            }
        }
    }

    /// An array of strings, each with its position. Absent means empty.
    pub fn string_list(&self, key: &str, p: &mut Problems) -> Vec<(String, Option<usize>)> {
        let Some((item, at)) = self.get(key) else {
            return vec![];
        };
        let Some(arr) = item.as_array() else {
            p.at(
                at,
                format!("`{}` must be an array of strings", self.label(key)),
            );
            return vec![];
        };
        let mut out = Vec::new();
        for v in arr.iter() {
            let vat = v.span().map(|s| s.start);
            match v.as_str() {
                Some(s) => out.push((s.to_string(), vat)),
                None => p.at(
                    vat,
                    format!(
                        "`{}` must contain only strings, found {}",
                        self.label(key),
                        v.type_name()
                    ),
                ),
            }
        }
        out
    }

    /// A list of category ids, each of which must be defined by a `[[category]]`.
    pub fn category_list(
        &self,
        key: &str,
        known: &HashSet<String>,
        p: &mut Problems,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (id, at) in self.string_list(key, p) {
            if known.contains(&id) {
                out.push(id);
            } else {
                let mut ids: Vec<_> = known.iter().map(String::as_str).collect();
                ids.sort();
                p.at(
                    at,
                    format!(
                        "unknown category `{id}`; defined categories: {}",
                        ids.join(", ")
                    ),
                );
            }
        }
        out
    }

    fn inline_map(&self, key: &str, p: &mut Problems) -> Vec<(String, &'d Item, Option<usize>)> {
        let Some((item, at)) = self.get(key) else {
            return vec![];
        };
        let Some(t) = item.as_table_like() else {
            p.at(
                at,
                format!(
                    "`{}` must be a table like {{ vi = …, en = … }}",
                    self.label(key)
                ),
            );
            return vec![];
        };
        let mut out = Vec::new();
        for (k, v) in t.iter() {
            let kat = t.key(k).and_then(|kk| kk.span()).map(|s| s.start);
            match super::normalize_lang(k) {
                Some(l) if l == k => out.push((l, v, span_of(v).or(kat))),
                _ => p.at(
                    kat,
                    format!(
                        "`{}`: `{k}` is not a lower-case language code like \"vi\"",
                        self.label(key)
                    ),
                ),
            }
        }
        out
    }

    /// A table `{ lang = "text" }`.
    pub fn string_map(&self, key: &str, p: &mut Problems) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (lang, v, at) in self.inline_map(key, p) {
            match v.as_str() {
                Some(s) => {
                    out.insert(lang, s.to_string());
                }
                None => p.at(at, format!("`{}.{lang}` must be a string", self.label(key))),
            }
        }
        out
    }

    /// A table `{ lang = ["text", …] }`.
    pub fn string_list_map(&self, key: &str, p: &mut Problems) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for (lang, v, at) in self.inline_map(key, p) {
            let Some(arr) = v.as_array() else {
                p.at(
                    at,
                    format!("`{}.{lang}` must be an array of strings", self.label(key)),
                );
                continue;
            };
            let mut words = Vec::new();
            for w in arr.iter() {
                match w.as_str() {
                    Some(s) if !s.trim().is_empty() => words.push(s.to_string()),
                    _ => p.at(
                        w.span().map(|s| s.start),
                        format!(
                            "`{}.{lang}` must contain non-empty strings",
                            self.label(key)
                        ),
                    ),
                }
            }
            out.insert(lang, words);
        }
        out
    }
}
