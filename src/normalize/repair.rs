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

/// Removes characters illegal in XML 1.0.
pub fn strip_illegal(s: &str) -> String {
    if s.chars().all(is_xml_char) {
        return s.to_string();
    }
    s.chars().filter(|c| is_xml_char(*c)).collect()
}

/// Applies every repair to a decoded XML document. `has_doctype_entities` keeps named
/// entities alone when the document declares its own (the parser expands those, bounded).
pub fn repair_xml(text: &str) -> String {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let text = drop_declaration(text);
    let text = fix_root(text);
    let text = demoronize(&text);
    let text: &str = &text;
    let mut head = text.len().min(4096);
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let declares_entities = text[..head].contains("<!ENTITY");
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(pos) = rest.find(|c: char| c == '&' || !is_xml_char(c)) {
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
                if XML_ENTITIES.contains(&name) || declares_entities {
                    out.push_str(&tail[..len]);
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
    out
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
    let rest = &tag[at + 1..];
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
        assert!(repair_xml(&doc).contains('ư'));
    }

    #[test]
    fn repairs_what_readers_recover() {
        let got = repair_xml(
            "  <?xml version='1.0' encoding='latin1'?>\n<t>AT&T &eacute;t&eacute; &nbsp;&copy; &foo; &amp; &#233; &#1; \u{1}x</t>",
        );
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
    fn keeps_declared_entities_for_the_parser() {
        let doc = "<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>";
        assert_eq!(repair_xml(doc), doc);
    }
}
