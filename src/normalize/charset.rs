//! Bytes → clean UTF-8 text that an XML/JSON parser can take as it is.
//!
//! Order of evidence: byte-order mark > HTTP `charset` > XML declaration > sniffing (valid
//! UTF-8, else windows-1252 — or windows-1258 when chardetng is sure the text is Vietnamese). Labels follow the WHATWG Encoding Standard, so
//! `ISO-8859-1` means windows-1252. One correction: a body that is valid, non-ASCII UTF-8 but
//! declared as a Latin single-byte charset is decoded as UTF-8, since decoding it as declared
//! can only produce mojibake.
//!
//! Vietnamese legacy encodings: windows-1258 writes most letters as a base letter plus a
//! combining tone mark, so its text is composed to NFC; VISCII (not in the WHATWG standard)
//! is decoded with its own table; TCVN3, VNI and VPS are refused by name (an `encoding`
//! error) rather than guessed into mojibake. Any other label nobody knows is ignored when the
//! bytes are valid UTF-8 and refused otherwise.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1258};
use unicode_normalization::UnicodeNormalization;

/// Why the bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CharsetError {
    #[error(
        "unsupported character encoding `{0}` (Vietnamese TCVN3/VNI/VPS are not decoded; publish UTF-8)"
    )]
    Unsupported(String),
    #[error("unknown character encoding `{0}` and the bytes are not UTF-8")]
    Unknown(String),
}

/// What a charset label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Whatwg(&'static Encoding),
    Viscii,
}

/// Labels of Vietnamese encodings bantin refuses by name.
const UNSUPPORTED: &[&str] = &[
    "tcvn",
    "tcvn3",
    "tcvn-3",
    "tcvn5712",
    "tcvn-5712",
    "tcvn5712-1",
    "tcvn5712-1:1993",
    "x-viet-tcvn5712",
    "x-viet-tcvn",
    "vni",
    "x-viet-vni",
    "vps",
    "x-viet-vps",
];

fn lookup(label: &str) -> Result<Option<Charset>, CharsetError> {
    let l = label.trim().to_ascii_lowercase();
    if let Some(e) = Encoding::for_label(l.as_bytes()) {
        return Ok(Some(Charset::Whatwg(e)));
    }
    if matches!(
        l.as_str(),
        "viscii" | "csviscii" | "viscii1.1-1" | "x-viet-viscii"
    ) {
        return Ok(Some(Charset::Viscii));
    }
    if UNSUPPORTED.contains(&l.as_str()) {
        return Err(CharsetError::Unsupported(label.trim().to_string()));
    }
    Ok(None)
}

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
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Result<String, CharsetError> {
    let from_bom = Encoding::for_bom(bytes);
    let header_label = content_type.and_then(header_charset);
    let decl_label = declared_charset(bytes);
    let from_header = match (from_bom, header_label) {
        (None, Some(l)) => lookup(l)?,
        _ => None,
    };
    let from_decl = match (from_bom, decl_label) {
        (None, Some(l)) => lookup(l)?
            // A declaration read as ASCII cannot truthfully announce UTF-16.
            .filter(|c| !matches!(c, Charset::Whatwg(e) if *e == UTF_16LE || *e == UTF_16BE)),
        _ => None,
    };
    let utf8_text = || std::str::from_utf8(bytes).ok();
    let charset = match (from_bom, from_header.or(from_decl)) {
        (Some((e, _)), _) => Charset::Whatwg(e),
        (None, Some(Charset::Whatwg(e))) => {
            if is_latin_single_byte(e) && utf8_text().is_some_and(|t| !t.is_ascii()) {
                Charset::Whatwg(UTF_8)
            } else {
                Charset::Whatwg(e)
            }
        }
        (None, Some(Charset::Viscii)) => {
            if utf8_text().is_some_and(|t| !t.is_ascii()) {
                Charset::Whatwg(UTF_8)
            } else {
                Charset::Viscii
            }
        }
        (None, None) => {
            let unknown = header_label.or(decl_label);
            Charset::Whatwg(sniff_utf16(bytes).unwrap_or_else(|| {
                if utf8_text().is_some() {
                    UTF_8
                } else {
                    // Not UTF-8 and undeclared: windows-1252, as the issue and browsers
                    // do — unless the bytes are clearly Vietnamese windows-1258.
                    let mut det = chardetng::EncodingDetector::new();
                    det.feed(bytes, true);
                    match det.guess(None, true) {
                        e if e == WINDOWS_1258 => e,
                        _ => WINDOWS_1252,
                    }
                }
            }))
            .check_unknown(unknown, bytes)?
        }
    };
    Ok(match charset {
        Charset::Viscii => decode_viscii(bytes),
        Charset::Whatwg(e) => {
            // `decode` strips a BOM that matches; output is always UTF-8.
            let (text, _used, _had_errors) = e.decode(bytes);
            if e == WINDOWS_1258 {
                text.nfc().collect()
            } else {
                text.into_owned()
            }
        }
    })
}

impl Charset {
    /// A label nobody knows is harmless when the bytes are UTF-8 (or UTF-16 by their shape);
    /// otherwise bantin refuses to guess a legacy charset.
    fn check_unknown(self, label: Option<&str>, bytes: &[u8]) -> Result<Charset, CharsetError> {
        match (label, self) {
            (Some(l), Charset::Whatwg(e))
                if e != UTF_8
                    && e != UTF_16LE
                    && e != UTF_16BE
                    && std::str::from_utf8(bytes).is_err() =>
            {
                Err(CharsetError::Unknown(l.to_string()))
            }
            _ => Ok(self),
        }
    }
}

/// VISCII (RFC 1456) bytes 0x80–0xFF as Unicode scalar values (checked against glibc iconv).
const VISCII_HIGH: [u16; 128] = [
    0x1EA0, 0x1EAE, 0x1EB0, 0x1EB6, 0x1EA4, 0x1EA6, 0x1EA8, 0x1EAC, 0x1EBC, 0x1EB8, 0x1EBE, 0x1EC0,
    0x1EC2, 0x1EC4, 0x1EC6, 0x1ED0, 0x1ED2, 0x1ED4, 0x1ED6, 0x1ED8, 0x1EE2, 0x1EDA, 0x1EDC, 0x1EDE,
    0x1ECA, 0x1ECE, 0x1ECC, 0x1EC8, 0x1EE6, 0x0168, 0x1EE4, 0x1EF2, 0x00D5, 0x1EAF, 0x1EB1, 0x1EB7,
    0x1EA5, 0x1EA7, 0x1EA9, 0x1EAD, 0x1EBD, 0x1EB9, 0x1EBF, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EC7, 0x1ED1,
    0x1ED3, 0x1ED5, 0x1ED7, 0x1EE0, 0x01A0, 0x1ED9, 0x1EDD, 0x1EDF, 0x1ECB, 0x1EF0, 0x1EE8, 0x1EEA,
    0x1EEC, 0x01A1, 0x1EDB, 0x01AF, 0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x1EA2, 0x0102, 0x1EB3, 0x1EB5,
    0x00C8, 0x00C9, 0x00CA, 0x1EBA, 0x00CC, 0x00CD, 0x0128, 0x1EF3, 0x0110, 0x1EE9, 0x00D2, 0x00D3,
    0x00D4, 0x1EA1, 0x1EF7, 0x1EEB, 0x1EED, 0x00D9, 0x00DA, 0x1EF9, 0x1EF5, 0x00DD, 0x1EE1, 0x01B0,
    0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x1EA3, 0x0103, 0x1EEF, 0x1EAB, 0x00E8, 0x00E9, 0x00EA, 0x1EBB,
    0x00EC, 0x00ED, 0x0129, 0x1EC9, 0x0111, 0x1EF1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x1ECF, 0x1ECD,
    0x1EE5, 0x00F9, 0x00FA, 0x0169, 0x1EE7, 0x00FD, 0x1EE3, 0x1EEE,
];

/// The six C0 positions VISCII reuses for capital letters.
const VISCII_LOW: [(u8, u16); 6] = [
    (0x02, 0x1EB2),
    (0x05, 0x1EB4),
    (0x06, 0x1EAA),
    (0x14, 0x1EF6),
    (0x19, 0x1EF8),
    (0x1E, 0x1EF4),
];

/// Decodes VISCII: ASCII except six C0 positions, and 128 Vietnamese letters above 0x7F.
fn decode_viscii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            let cp = if b >= 0x80 {
                VISCII_HIGH[(b - 0x80) as usize] as u32
            } else {
                VISCII_LOW
                    .iter()
                    .find(|(k, _)| *k == b)
                    .map_or(b as u32, |(_, v)| *v as u32)
            };
            char::from_u32(cp).unwrap_or('\u{fffd}')
        })
        .collect::<String>()
        .nfc()
        .collect()
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
        let d = decode(&bytes, Some("text/xml; charset=windows-1252")).unwrap();
        assert!(d.contains("Việt"));
    }

    #[test]
    fn header_then_declaration() {
        let bytes = b"<?xml version='1.0' encoding='windows-1252'?><a>caf\xe9</a>";
        assert!(decode(bytes, None).unwrap().contains("café"));
        assert!(
            decode(bytes, Some("application/xml; charset=\"ISO-8859-1\""))
                .unwrap()
                .contains("café")
        );
    }

    #[test]
    fn utf8_declared_as_latin1_is_read_as_utf8() {
        let bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Nhân Dân</a>".as_bytes();
        assert!(decode(bytes, None).unwrap().contains("Nhân Dân"));
    }

    #[test]
    fn invalid_utf8_without_declaration_is_sniffed() {
        let bytes = b"<rss><title>Caf\xe9 cr\xe8me br\xfbl\xe9e</title></rss>";
        assert!(decode(bytes, None).unwrap().contains("Café crème brûlée"));
    }

    #[test]
    fn utf16_without_bom() {
        let s = "<?xml version=\"1.0\"?><a>Đà Nẵng</a>";
        let bytes: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert!(decode(&bytes, None).unwrap().contains("Đà Nẵng"));
    }

    #[test]
    fn vietnamese_legacy_encodings() {
        // windows-1258: "Việt" as V i e-circumflex (0xEA) + combining dot below (0xF2) t.
        let bytes = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><a>Vi\xea\xf2t</a>";
        let d = decode(bytes, None).unwrap();
        assert!(d.contains("Việt") && !d.contains('\u{323}'), "{d:?}");
        // VISCII: "Việt" has ệ at 0xAE; "Đà" is 0xD0 0xE0.
        let bytes = b"<?xml version=\"1.0\" encoding=\"VISCII\"?><a>Vi\xaet \xd0\xe0</a>";
        assert!(decode(bytes, None).unwrap().contains("Việt Đà"));
        let bytes = b"<?xml version=\"1.0\" encoding=\"TCVN3\"?><a>Vi\xd6t</a>";
        assert_eq!(
            decode(bytes, None),
            Err(CharsetError::Unsupported("TCVN3".into()))
        );
        // An unknown label: fine over UTF-8, refused over anything else.
        let bytes = "<?xml version=\"1.0\" encoding=\"x-no-such\"?><a>Việt</a>".as_bytes();
        assert!(decode(bytes, None).unwrap().contains("Việt"));
        let bytes = b"<?xml version=\"1.0\" encoding=\"x-no-such\"?><a>Vi\xaet</a>";
        assert!(matches!(decode(bytes, None), Err(CharsetError::Unknown(_))));
    }
}
