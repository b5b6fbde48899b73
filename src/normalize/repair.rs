//! Repairs decoded XML that feed readers accept although it is not well-formed, before the
//! strict parser sees it: characters illegal in XML 1.0 (raw or as references), bare `&`,
//! HTML named entities that XML does not declare, and the stale encoding declaration.

/// HTML named entities seen in real feeds, as the characters they stand for. Entities not
/// listed here are escaped to show literally rather than failing the whole document.
const HTML_ENTITIES: &[(&str, char)] = &[
    ("nbsp", '\u{a0}'),
    ("iexcl", '¡'),
    ("cent", '¢'),
    ("pound", '£'),
    ("curren", '¤'),
    ("yen", '¥'),
    ("brvbar", '¦'),
    ("sect", '§'),
    ("uml", '¨'),
    ("copy", '©'),
    ("ordf", 'ª'),
    ("laquo", '«'),
    ("not", '¬'),
    ("shy", '\u{ad}'),
    ("reg", '®'),
    ("macr", '¯'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("sup2", '²'),
    ("sup3", '³'),
    ("acute", '´'),
    ("micro", 'µ'),
    ("para", '¶'),
    ("middot", '·'),
    ("cedil", '¸'),
    ("sup1", '¹'),
    ("ordm", 'º'),
    ("raquo", '»'),
    ("frac14", '¼'),
    ("frac12", '½'),
    ("frac34", '¾'),
    ("iquest", '¿'),
    ("Agrave", 'À'),
    ("Aacute", 'Á'),
    ("Acirc", 'Â'),
    ("Atilde", 'Ã'),
    ("Auml", 'Ä'),
    ("Aring", 'Å'),
    ("AElig", 'Æ'),
    ("Ccedil", 'Ç'),
    ("Egrave", 'È'),
    ("Eacute", 'É'),
    ("Ecirc", 'Ê'),
    ("Euml", 'Ë'),
    ("Igrave", 'Ì'),
    ("Iacute", 'Í'),
    ("Icirc", 'Î'),
    ("Iuml", 'Ï'),
    ("ETH", 'Ð'),
    ("Ntilde", 'Ñ'),
    ("Ograve", 'Ò'),
    ("Oacute", 'Ó'),
    ("Ocirc", 'Ô'),
    ("Otilde", 'Õ'),
    ("Ouml", 'Ö'),
    ("times", '×'),
    ("Oslash", 'Ø'),
    ("Ugrave", 'Ù'),
    ("Uacute", 'Ú'),
    ("Ucirc", 'Û'),
    ("Uuml", 'Ü'),
    ("Yacute", 'Ý'),
    ("THORN", 'Þ'),
    ("szlig", 'ß'),
    ("agrave", 'à'),
    ("aacute", 'á'),
    ("acirc", 'â'),
    ("atilde", 'ã'),
    ("auml", 'ä'),
    ("aring", 'å'),
    ("aelig", 'æ'),
    ("ccedil", 'ç'),
    ("egrave", 'è'),
    ("eacute", 'é'),
    ("ecirc", 'ê'),
    ("euml", 'ë'),
    ("igrave", 'ì'),
    ("iacute", 'í'),
    ("icirc", 'î'),
    ("iuml", 'ï'),
    ("eth", 'ð'),
    ("ntilde", 'ñ'),
    ("ograve", 'ò'),
    ("oacute", 'ó'),
    ("ocirc", 'ô'),
    ("otilde", 'õ'),
    ("ouml", 'ö'),
    ("divide", '÷'),
    ("oslash", 'ø'),
    ("ugrave", 'ù'),
    ("uacute", 'ú'),
    ("ucirc", 'û'),
    ("uuml", 'ü'),
    ("yacute", 'ý'),
    ("thorn", 'þ'),
    ("yuml", 'ÿ'),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("fnof", 'ƒ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("lrm", '\u{200e}'),
    ("rlm", '\u{200f}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("bull", '•'),
    ("hellip", '…'),
    ("permil", '‰'),
    ("prime", '′'),
    ("Prime", '″'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("oline", '‾'),
    ("frasl", '⁄'),
    ("euro", '€'),
    ("trade", '™'),
    ("larr", '←'),
    ("uarr", '↑'),
    ("rarr", '→'),
    ("darr", '↓'),
    ("harr", '↔'),
    ("minus", '−'),
    ("le", '≤'),
    ("ge", '≥'),
    ("ne", '≠'),
    ("infin", '∞'),
    ("Alpha", 'Α'),
    ("alpha", 'α'),
    ("beta", 'β'),
    ("gamma", 'γ'),
    ("delta", 'δ'),
    ("pi", 'π'),
    ("mu", 'μ'),
    ("sigma", 'σ'),
    ("omega", 'ω'),
    ("hearts", '♥'),
    ("spades", '♠'),
    ("clubs", '♣'),
    ("diams", '♦'),
    ("loz", '◊'),
    ("apos", '\''),
];

const XML_ENTITIES: &[&str] = &["amp", "lt", "gt", "quot", "apos"];

/// Whether `c` may appear in an XML 1.0 document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Byte offset of the first character XML 1.0 forbids (or `&`, with `amp`). Scans bytes:
/// in UTF-8 the forbidden characters are C0 controls other than tab, LF and CR, and U+FFFE /
/// U+FFFF (`EF BF BE` / `EF BF BF`); a `str` holds no surrogates. Same answer as testing
/// `is_xml_char` on every char, several times faster.
fn find_illegal_or_amp(s: &str, amp: bool) -> Option<usize> {
    let b = s.as_bytes();
    b.iter().enumerate().position(|(i, &c)| {
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            || (amp && c == b'&')
            || (c == 0xEF
                && b.get(i + 1) == Some(&0xBF)
                && matches!(b.get(i + 2), Some(0xBE | 0xBF)))
    })
}

/// Removes characters illegal in XML 1.0.
pub fn strip_illegal(s: &str) -> String {
    if find_illegal_or_amp(s, false).is_none() {
        return s.to_string();
    }
    s.chars().filter(|c| is_xml_char(*c)).collect()
}

/// Internal entities may expand to at most this much text each, and all references of a
/// document together to at most [`MAX_EXPANSION_TOTAL`]: a billion-laughs or quadratic-blowup
/// document fails fast instead of growing.
pub const MAX_ENTITY_VALUE: usize = 16 * 1024;
pub const MAX_EXPANSION_TOTAL: usize = 256 * 1024;
/// Entities referring to entities: at most this deep.
const MAX_ENTITY_NESTING: usize = 4;

/// The general entities a DOCTYPE's internal subset declares. External ones (SYSTEM/PUBLIC)
/// are remembered only so that references to them are dropped: bantin never reads a file or
/// fetches a DTD, and parameter entities are ignored.
#[derive(Debug, Default)]
struct Entities {
    internal: std::collections::HashMap<String, String>,
    external: std::collections::HashSet<String>,
    expanded: std::collections::HashMap<String, String>,
    total: usize,
}

impl Entities {
    /// The plain-text value of entity `name`, references inside it resolved.
    fn expand(&mut self, name: &str, depth: usize) -> Result<Option<String>, String> {
        if let Some(v) = self.expanded.get(name) {
            return Ok(Some(v.clone()));
        }
        if self.external.contains(name) {
            return Ok(Some(String::new()));
        }
        let Some(raw) = self.internal.get(name).cloned() else {
            return Ok(None);
        };
        if depth > MAX_ENTITY_NESTING {
            return Err(format!(
                "entity `{name}` nests entities deeper than {MAX_ENTITY_NESTING} levels (or loops)"
            ));
        }
        let mut out = String::new();
        let mut rest = raw.as_str();
        while let Some(pos) = rest.find('&') {
            out.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            match reference(tail) {
                Some((Ref::Numeric(c), len)) => {
                    if is_xml_char(c) {
                        out.push(c);
                    }
                    rest = &tail[len..];
                }
                Some((Ref::Named(n), len)) => {
                    match predefined(n) {
                        Some(c) => out.push(c),
                        None => match self.expand(n, depth + 1)? {
                            Some(v) => out.push_str(&v),
                            None => match HTML_ENTITIES.iter().find(|(h, _)| *h == n) {
                                Some((_, c)) => out.push(*c),
                                None => out.push_str(&tail[..len]),
                            },
                        },
                    }
                    rest = &tail[len..];
                }
                None => {
                    out.push('&');
                    rest = &tail[1..];
                }
            }
            if out.len() > MAX_ENTITY_VALUE {
                return Err(format!(
                    "entity `{name}` expands to more than {MAX_ENTITY_VALUE} bytes"
                ));
            }
        }
        out.push_str(rest);
        if out.len() > MAX_ENTITY_VALUE {
            return Err(format!(
                "entity `{name}` expands to more than {MAX_ENTITY_VALUE} bytes"
            ));
        }
        self.expanded.insert(name.to_string(), out.clone());
        Ok(Some(out))
    }

    /// The escaped replacement for a reference to `name` in the document, counted against the
    /// document's budget; `None` when `name` is not declared.
    fn replacement(&mut self, name: &str) -> Result<Option<String>, String> {
        let Some(v) = self.expand(name, 0)? else {
            return Ok(None);
        };
        self.total += v.len();
        if self.total > MAX_EXPANSION_TOTAL {
            return Err(format!(
                "internal entities expand to more than {MAX_EXPANSION_TOTAL} bytes"
            ));
        }
        Ok(Some(
            v.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&quot;"),
        ))
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Finds the DOCTYPE in the prolog: its byte range and the internal subset, if any.
fn doctype(text: &str) -> Option<(std::ops::Range<usize>, Option<&str>)> {
    let mut pos = 0;
    loop {
        let lt = pos + text[pos..].find('<')?;
        let rest = &text[lt..];
        if rest.starts_with("<?") {
            pos = lt + rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            pos = lt + rest.find("-->")? + 3;
        } else if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype") {
            let (end, subset) = match (rest.find('['), rest.find('>')) {
                (Some(open), Some(gt)) if open < gt => {
                    let close = open
                        + rest[open..].find("]>").or_else(|| {
                            // `]` and `>` separated by whitespace
                            let c = rest[open..].rfind(']')?;
                            rest[open + c + 1..]
                                .trim_start()
                                .starts_with('>')
                                .then_some(c)
                        })?;
                    let gt = close + rest[close..].find('>')?;
                    (lt + gt + 1, Some(&rest[open + 1..close]))
                }
                (_, Some(gt)) => (lt + gt + 1, None),
                _ => return None,
            };
            return Some((lt..end, subset));
        } else {
            return None; // the root element: no DOCTYPE before it
        }
    }
}

/// A body cut right inside its last end tag (`…</rss`) is completed: readers accept it, and
/// nothing of the content is missing.
pub fn close_last_tag(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim_end();
    if let Some(lt) = t.rfind("</") {
        let name = &t[lt + 2..];
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
        {
            return format!("{t}>").into();
        }
    }
    text.into()
}

/// Reads `<!ENTITY …>` declarations from an internal subset.
fn parse_subset(subset: &str) -> Entities {
    let mut ents = Entities::default();
    let mut rest = subset;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + 8..];
        let decl = rest.trim_start();
        if decl.starts_with('%') {
            continue; // a parameter entity: ignored (never fetched, never expanded)
        }
        let name_end = decl.find(|c: char| c.is_whitespace()).unwrap_or(decl.len());
        let name = &decl[..name_end];
        let body = decl[name_end..].trim_start();
        match body.chars().next() {
            Some(q @ ('"' | '\'')) => {
                if let Some(end) = body[1..].find(q) {
                    ents.internal
                        .entry(name.to_string())
                        .or_insert_with(|| body[1..1 + end].to_string());
                }
            }
            _ => {
                ents.external.insert(name.to_string());
            }
        }
    }
    ents
}

/// Applies every repair to a decoded XML document: the DOCTYPE is removed (its internal
/// entities are expanded here, within a budget; external ones are dropped, never read),
/// then characters, references and the root are fixed. Fails when entity expansion would
/// exceed its budget.
pub fn repair_xml(text: &str) -> Result<String, String> {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let text = drop_declaration(text);
    let (text, mut entities) = match doctype(text) {
        Some((range, subset)) => {
            let ents = subset.map(parse_subset).unwrap_or_default();
            (
                std::borrow::Cow::Owned(format!("{}{}", &text[..range.start], &text[range.end..])),
                ents,
            )
        }
        None => (std::borrow::Cow::Borrowed(text), Entities::default()),
    };
    let text = fix_root(&text);
    let text = demoronize(&text);
    let text: &str = &text;
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(pos) = find_illegal_or_amp(rest, true) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let c = tail.chars().next().unwrap_or('&');
        if c != '&' {
            rest = &tail[c.len_utf8()..]; // an illegal character: drop it
            continue;
        }
        match reference(tail) {
            Some((Ref::Numeric(ch), len)) => {
                if is_xml_char(ch) {
                    out.push_str(&tail[..len]);
                }
                rest = &tail[len..];
            }
            Some((Ref::Named(name), len)) => {
                if XML_ENTITIES.contains(&name) {
                    out.push_str(&tail[..len]);
                } else if let Some(v) = entities.replacement(name)? {
                    out.push_str(&v);
                } else if let Some((_, ch)) = HTML_ENTITIES.iter().find(|(n, _)| *n == name) {
                    out.push_str(&format!("&#{};", *ch as u32));
                } else {
                    out.push_str("&amp;");
                    out.push_str(&tail[1..len]);
                }
                rest = &tail[len..];
            }
            None => {
                out.push_str("&amp;");
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

enum Ref<'a> {
    Numeric(char),
    Named(&'a str),
}

/// Recognizes `&#123;`, `&#x7B;` or `&name;` at the start of `s`, with its byte length.
fn reference(s: &str) -> Option<(Ref<'_>, usize)> {
    let body = &s[1..];
    let end = body.find(';').filter(|e| *e <= 40)?;
    let name = &body[..end];
    let len = end + 2;
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        // Invalid code points read as U+0000, which is then dropped as illegal.
        return Some((Ref::Numeric(char::from_u32(code).unwrap_or('\0')), len));
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        Some((Ref::Named(name), len))
    } else {
        None
    }
}

/// Makes the root element one feed-rs dispatches on: RSS 0.93/0.94, 2.0.1 or a missing
/// version are read as RSS 2.0 (they are compatible), and Atom 0.3 as Atom 1.0 (its
/// namespace and the two renamed date elements).
pub fn fix_root(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = root_start(text) else {
        return text.into();
    };
    let tag_end = match text[start..].find('>') {
        Some(e) => start + e,
        None => return text.into(),
    };
    let tag = &text[start..tag_end];
    if tag == "<rss"
        || (tag.starts_with("<rss")
            && tag[4..].starts_with(|c: char| c.is_whitespace() || c == '/'))
    {
        let version = attr(tag, "version");
        if matches!(version, Some("2.0") | Some("0.91") | Some("0.92")) {
            return text.into();
        }
        let mut new_tag = match version {
            Some(v) => tag.replacen(&format!("version=\"{v}\""), "", 1).replacen(
                &format!("version='{v}'"),
                "",
                1,
            ),
            None => tag.to_string(),
        };
        new_tag.insert_str(4, " version=\"2.0\"");
        return format!("{}{}{}", &text[..start], new_tag, &text[tag_end..]).into();
    }
    if tag.starts_with("<feed") && tag.contains("http://purl.org/atom/ns#") {
        return text
            .replace("http://purl.org/atom/ns#", "http://www.w3.org/2005/Atom")
            .replace("<issued>", "<published>")
            .replace("</issued>", "</published>")
            .replace("<modified>", "<updated>")
            .replace("</modified>", "</updated>")
            .replace("<tagline", "<subtitle")
            .replace("</tagline>", "</subtitle>")
            // Atom 0.3 named content types by MIME type; 1.0 by keyword.
            .replace(" type=\"text/plain\"", " type=\"text\"")
            .replace(" type=\"text/html\"", " type=\"html\"")
            .replace(" type=\"application/xhtml+xml\"", " type=\"xhtml\"")
            .into();
    }
    text.into()
}

/// Byte offset of the root element's `<` (skipping declarations, comments, DOCTYPE).
pub fn root_start(text: &str) -> Option<usize> {
    let mut pos = 0;
    loop {
        let lt = pos + text[pos..].find('<')?;
        let rest = &text[lt..];
        if rest.starts_with("<?") {
            pos = lt + rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            pos = lt + rest.find("-->")? + 3;
        } else if rest.starts_with("<!") {
            // DOCTYPE, possibly with an internal subset in brackets.
            let bracket = rest.find('[');
            let close = rest.find('>')?;
            pos = match bracket {
                Some(b) if b < close => lt + rest.find("]>").or_else(|| rest.find("]\n>"))? + 2,
                _ => lt + close + 1,
            };
        } else {
            return Some(lt);
        }
    }
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}="))? + name.len() + 2;
    let quote = tag[at..].chars().next()?;
    let rest = &tag[at + quote.len_utf8()..];
    Some(&rest[..rest.find(quote)?])
}

/// Text decoded as Latin-1 or UTF-8 sometimes carries C1 control characters that were meant
/// as windows-1252 punctuation (`’` as U+0092): read them as such, as browsers do.
pub fn demoronize(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if ('\u{80}'..='\u{9f}').contains(&c) {
                let byte = [c as u32 as u8];
                let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
                decoded.chars().next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect::<String>()
        .into()
}

/// The text is UTF-8 now, whatever its declaration said: drop the declaration so the parser
/// does not decode it a second time.
fn drop_declaration(text: &str) -> &str {
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
    {
        return text[end + 2..].trim_start();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_character_across_the_entity_probe_does_not_panic() {
        // 'ư' is two bytes; put it across byte 4096.
        let doc = format!("<rss>{}ư</rss>", "a".repeat(4095 - 5));
        assert!(repair_xml(&doc).unwrap().contains('ư'));
    }

    #[test]
    fn byte_scan_agrees_with_is_xml_char() {
        for s in [
            "plain",
            "tab\tok\r\n",
            "a\u{1}b",
            "x\u{FFFE}y",
            "\u{FFFF}",
            "é&ü",
            "\u{FFFD}\u{EFFF}ok",
            "\u{7f}\u{9f}",
        ] {
            let by_char = s.find(|c: char| c == '&' || !is_xml_char(c));
            assert_eq!(find_illegal_or_amp(s, true), by_char, "{s:?}");
            let by_char = s.find(|c: char| !is_xml_char(c));
            assert_eq!(find_illegal_or_amp(s, false), by_char, "{s:?}");
        }
    }

    #[test]
    fn repairs_what_readers_recover() {
        let got = repair_xml(
            "  <?xml version='1.0' encoding='latin1'?>\n<t>AT&T &eacute;t&eacute; &nbsp;&copy; &foo; &amp; &#233; &#1; \u{1}x</t>",
        )
        .unwrap();
        assert_eq!(
            got,
            "<t>AT&amp;T &#233;t&#233; &#160;&#169; &amp;foo; &amp; &#233;  x</t>"
        );
    }

    #[test]
    fn roots_feed_rs_would_refuse_are_fixed() {
        assert_eq!(
            fix_root("<!-- c --><rss><channel/></rss>"),
            "<!-- c --><rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(
            fix_root("<rss version=\"0.93\"><channel/></rss>"),
            "<rss version=\"2.0\" ><channel/></rss>"
        );
        assert_eq!(fix_root("<rss version=\"2.0\"/>"), "<rss version=\"2.0\"/>");
        assert!(
            fix_root(
                "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><issued>x</issued></feed>"
            )
            .contains("<published>x</published>")
        );
        assert_eq!(demoronize("don\u{92}t"), "don’t");
    }

    #[test]
    fn internal_entities_are_expanded_external_ones_dropped() {
        let doc = "<!DOCTYPE r [<!ENTITY x \"y&amp;&eacute;\"><!ENTITY z \"&x;&x;\"><!ENTITY e SYSTEM \"file:///etc/passwd\"><!ENTITY % p SYSTEM \"http://127.0.0.1:9/\"> %p;]><r a=\"&x;\">&z;|&e;|&nope;</r>";
        assert_eq!(
            repair_xml(doc).unwrap(),
            "<r a=\"y&amp;é\">y&amp;éy&amp;é||&amp;nope;</r>"
        );
        assert_eq!(
            repair_xml("<!DOCTYPE rss><rss/>").unwrap(),
            "<rss version=\"2.0\"/>"
        );
    }

    #[test]
    fn entity_bombs_fail_fast() {
        let mut laughs = String::from("<!DOCTYPE l [<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            laughs.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        laughs.push_str("]><l>&lol9;</l>");
        let started = std::time::Instant::now();
        assert!(repair_xml(&laughs).is_err());
        let big = "x".repeat(10_000);
        let quadratic = format!(
            "<!DOCTYPE q [<!ENTITY a \"{big}\">]><q>{}</q>",
            "&a;".repeat(10_000)
        );
        assert!(repair_xml(&quadratic).is_err());
        let looping = "<!DOCTYPE q [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]><q>&a;</q>";
        assert!(repair_xml(looping).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
