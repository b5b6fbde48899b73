//! Bytes → clean UTF-8 text that an XML/JSON parser can take as it is.
//!
//! Order of evidence: byte-order mark > HTTP `charset` > XML declaration > sniffing (valid
//! UTF-8, else chardetng's guess). Labels follow the WHATWG Encoding Standard, so
//! `ISO-8859-1` means windows-1252. One correction: a body that is valid, non-ASCII UTF-8 but
//! declared as a Latin single-byte charset is decoded as UTF-8, since decoding it as declared
//! can only produce mojibake.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Finds the `charset` parameter of a Content-Type header value.
fn header_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// Reads `encoding="…"` from an XML declaration at the start of `bytes`.
fn declared_charset(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let pos = decl.find("encoding")?;
    let rest = decl[pos + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// UTF-16 without a BOM shows itself by NUL bytes around the first `<`.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, b'?', 0, ..] | [b'<', 0, _, 0, ..] => Some(UTF_16LE),
        [0, b'<', 0, b'?', ..] | [0, b'<', 0, _, ..] => Some(UTF_16BE),
        _ => None,
    }
}

fn is_latin_single_byte(e: &'static Encoding) -> bool {
    e == WINDOWS_1252 || e.name().starts_with("ISO-8859") || e.name().starts_with("windows-125")
}

/// Decodes `bytes` using the evidence described in the module docs.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let from_bom = Encoding::for_bom(bytes);
    let from_header = content_type
        .and_then(header_charset)
        .and_then(|l| Encoding::for_label(l.as_bytes()));
    let from_decl = declared_charset(bytes)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        // A declaration read as ASCII cannot truthfully announce UTF-16.
        .filter(|e| *e != UTF_16LE && *e != UTF_16BE);
    let encoding = match (from_bom, from_header.or(from_decl)) {
        (Some((e, _)), _) => e,
        (None, Some(e)) => {
            let utf8_text = std::str::from_utf8(bytes).ok();
            if is_latin_single_byte(e) && utf8_text.is_some_and(|t| !t.is_ascii()) {
                UTF_8
            } else {
                e
            }
        }
        (None, None) => sniff_utf16(bytes).unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                UTF_8
            } else {
                let mut det = chardetng::EncodingDetector::new();
                det.feed(bytes, true);
                det.guess(None, true)
            }
        }),
    };
    // `decode` strips a BOM that matches; output is always UTF-8.
    let (text, _used, _had_errors) = encoding.decode(bytes);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_beats_header_and_declaration() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(
            "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>Việt</a>".as_bytes(),
        );
        let d = decode(&bytes, Some("text/xml; charset=windows-1252"));
        assert!(d.contains("Việt"));
    }

    #[test]
    fn header_then_declaration() {
        let bytes = b"<?xml version='1.0' encoding='windows-1252'?><a>caf\xe9</a>";
        assert!(decode(bytes, None).contains("café"));
        assert!(decode(bytes, Some("application/xml; charset=\"ISO-8859-1\"")).contains("café"));
    }

    #[test]
    fn utf8_declared_as_latin1_is_read_as_utf8() {
        let bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Nhân Dân</a>".as_bytes();
        assert!(decode(bytes, None).contains("Nhân Dân"));
    }

    #[test]
    fn invalid_utf8_without_declaration_is_sniffed() {
        let bytes = b"<rss><title>Caf\xe9 cr\xe8me br\xfbl\xe9e</title></rss>";
        assert!(decode(bytes, None).contains("Café crème brûlée"));
    }

    #[test]
    fn utf16_without_bom() {
        let s = "<?xml version=\"1.0\"?><a>Đà Nẵng</a>";
        let bytes: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert!(decode(&bytes, None).contains("Đà Nẵng"));
    }
}
