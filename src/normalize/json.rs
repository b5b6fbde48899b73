//! JSON Feed documents with wrong types, coerced before feed-rs (whose strict serde model would
//! reject the whole feed for one numeric title): numbers where strings belong become strings,
//! other wrong values are dropped, items that are not objects are skipped.

use serde_json::{Map, Value};

const FEED_STRINGS: &[&str] = &[
    "version",
    "title",
    "home_page_url",
    "feed_url",
    "description",
    "user_comment",
    "next_url",
    "icon",
    "favicon",
    "language",
];
const ITEM_STRINGS: &[&str] = &[
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "image",
    "banner_image",
    "date_published",
    "date_modified",
    "language",
];
/// Fields where a number is not a usable string (a numeric date's epoch and unit are unknown).
const NO_NUMBERS: &[&str] = &["date_published", "date_modified", "url", "external_url"];

fn strings(obj: &mut Map<String, Value>, keys: &[&str]) {
    for key in keys {
        match obj.get(*key) {
            None | Some(Value::String(_)) => {}
            Some(Value::Number(n)) if !NO_NUMBERS.contains(key) => {
                let s = n.to_string();
                obj.insert(key.to_string(), Value::String(s));
            }
            Some(_) => {
                obj.remove(*key);
            }
        }
    }
}

fn person(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => Some(serde_json::json!({ "name": s })),
        Value::Object(o) => {
            let mut o = o.clone();
            strings(&mut o, &["name", "url", "avatar"]);
            Some(Value::Object(o))
        }
        _ => None,
    }
}

fn people(obj: &mut Map<String, Value>) {
    if let Some(v) = obj.remove("authors") {
        let list: Vec<Value> = match &v {
            Value::Array(a) => a.iter().filter_map(person).collect(),
            other => person(other).into_iter().collect(),
        };
        obj.insert("authors".into(), Value::Array(list));
    }
    if let Some(v) = obj.remove("author")
        && let Some(p) = person(&v)
    {
        obj.insert("author".into(), p);
    }
}

fn item(v: Value) -> Option<Value> {
    let Value::Object(mut o) = v else {
        return None;
    };
    strings(&mut o, ITEM_STRINGS);
    if !o.contains_key("id")
        && let Some(Value::String(u)) = o.get("url")
    {
        let u = u.clone();
        o.insert("id".into(), Value::String(u));
    }
    if let Some(tags) = o.remove("tags") {
        let list: Vec<Value> = match tags {
            Value::String(s) => vec![Value::String(s)],
            Value::Array(a) => a.into_iter().filter(Value::is_string).collect(),
            _ => vec![],
        };
        o.insert("tags".into(), Value::Array(list));
    }
    if let Some(att) = o.remove("attachments")
        && let Value::Array(a) = att
    {
        let list: Vec<Value> = a
            .into_iter()
            .filter(|x| x.get("url").is_some_and(Value::is_string))
            .collect();
        o.insert("attachments".into(), Value::Array(list));
    }
    people(&mut o);
    Some(Value::Object(o))
}

/// Coerces a JSON Feed's fields to the types the spec gives them. Invalid JSON stays an error.
pub fn coerce(text: &str) -> Result<String, serde_json::Error> {
    let mut v: Value = serde_json::from_str(text)?;
    if let Value::Object(feed) = &mut v {
        strings(feed, FEED_STRINGS);
        // Some feeds write the version as a number-like string ("1.1") or an http URL.
        let version = feed.get("version").and_then(Value::as_str).map(str::trim);
        let fixed = match version {
            Some("1" | "1.0") => Some("https://jsonfeed.org/version/1".to_string()),
            Some("1.1") => Some("https://jsonfeed.org/version/1.1".to_string()),
            Some(v) if v.starts_with("http://jsonfeed.org/version/1") => {
                Some(v.replacen("http://", "https://", 1))
            }
            _ => None,
        };
        if let Some(fixed) = fixed {
            feed.insert("version".into(), Value::String(fixed));
        }
        if !feed.contains_key("title") {
            feed.insert("title".into(), Value::String(String::new()));
        }
        people(feed);
        let items = match feed.remove("items") {
            Some(Value::Array(a)) => a.into_iter().filter_map(item).collect(),
            _ => Vec::new(),
        };
        feed.insert("items".into(), Value::Array(items));
    }
    serde_json::to_string(&v)
}
