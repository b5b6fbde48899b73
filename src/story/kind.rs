//! Kinds of event a headline names (a flood, an earthquake, an epidemic, the month's
//! inflation figure): two reports of one province on one day are different stories when one
//! is about a flood and the other about an earthquake, however many words they share. Used
//! by the `Kind` veto in [`super::Profile::veto`].
//!
//! The lexicon is deliberately small: only kinds that are never the same event under another
//! name, and phrases that name them unambiguously. A phrase that starts like one but means
//! something else ("ngập tràn", filled with; "bão giá", a price storm) is listed with no
//! kind, and the longest phrase at a position wins.

use std::collections::BTreeSet;

// Looked up once per word of every item: foldhash, as in `story`.
use foldhash::{HashMap, HashMapExt};
use std::sync::OnceLock;

/// A kind of event, as an index into [`KIND_NAMES`].
pub type Kind = u8;

/// Display names of the kinds, by index.
pub const KIND_NAMES: &[&str] = &[
    "earthquake",
    "flood",
    "storm",
    "fire",
    "landslide",
    "eruption",
    "inflation",
    "trade balance",
    "epidemic",
];

/// (language, kind or `None` for a look-alike that is no event, phrase).
const LEXICON: &[(&str, Option<Kind>, &str)] = &[
    // earthquake
    ("en", Some(0), "earthquake"),
    ("en", Some(0), "earthquakes"),
    ("en", Some(0), "quake"),
    ("en", Some(0), "quakes"),
    ("en", Some(0), "tremor"),
    ("en", Some(0), "tremors"),
    ("en", Some(0), "aftershock"),
    ("en", Some(0), "aftershocks"),
    ("id", Some(0), "gempa"),
    ("vi", Some(0), "động đất"),
    ("vi", Some(0), "dư chấn"),
    // flood
    ("en", Some(1), "flood"),
    ("en", Some(1), "floods"),
    ("en", Some(1), "flooding"),
    ("en", Some(1), "flooded"),
    ("en", Some(1), "floodwaters"),
    ("en", Some(1), "inundated"),
    ("en", None, "flood of"),
    ("id", Some(1), "banjir"),
    ("id", Some(1), "kebanjiran"),
    ("id", None, "banjir pujian"),
    ("id", None, "banjir kritik"),
    ("id", None, "banjir hujatan"),
    ("id", None, "banjir diskon"),
    ("id", None, "banjir promo"),
    ("vi", Some(1), "lũ"),
    ("vi", Some(1), "lụt"),
    ("vi", Some(1), "ngập"),
    ("vi", None, "ngập tràn"),
    ("vi", None, "ngập ngừng"),
    ("vi", None, "ngập mặn"),
    ("vi", None, "lũ lượt"),
    ("vi", None, "lũ trẻ"),
    // storm
    ("en", Some(2), "storm"),
    ("en", Some(2), "storms"),
    ("en", Some(2), "typhoon"),
    ("en", Some(2), "typhoons"),
    ("en", Some(2), "cyclone"),
    ("en", Some(2), "hurricane"),
    ("en", None, "storm of"),
    ("id", Some(2), "badai"),
    ("id", Some(2), "topan"),
    ("id", Some(2), "siklon"),
    ("id", Some(2), "puting beliung"),
    ("vi", Some(2), "bão"),
    ("vi", Some(2), "áp thấp nhiệt đới"),
    ("vi", None, "bão giá"),
    ("vi", None, "bão hòa"),
    ("vi", None, "bão mạng"),
    // fire
    ("en", Some(3), "fire"),
    ("en", Some(3), "fires"),
    ("en", Some(3), "blaze"),
    ("en", Some(3), "wildfire"),
    ("en", Some(3), "wildfires"),
    ("id", Some(3), "kebakaran"),
    ("vi", Some(3), "hỏa hoạn"),
    ("vi", Some(3), "vụ cháy"),
    ("vi", Some(3), "đám cháy"),
    ("vi", Some(3), "cháy rừng"),
    ("vi", Some(3), "cháy nhà"),
    ("vi", Some(3), "cháy lớn"),
    ("vi", Some(3), "bốc cháy"),
    // landslide
    ("en", Some(4), "landslide"),
    ("en", Some(4), "landslides"),
    ("en", Some(4), "mudslide"),
    ("en", Some(4), "mudslides"),
    ("id", Some(4), "longsor"),
    ("vi", Some(4), "sạt lở"),
    ("vi", Some(4), "lở đất"),
    // eruption
    ("en", Some(5), "eruption"),
    ("en", Some(5), "erupts"),
    ("en", Some(5), "erupted"),
    ("en", Some(5), "volcano"),
    ("id", Some(5), "erupsi"),
    ("id", Some(5), "meletus"),
    ("vi", Some(5), "núi lửa"),
    // inflation
    ("en", Some(6), "inflation"),
    ("en", Some(6), "cpi"),
    ("en", Some(6), "consumer price"),
    ("en", Some(6), "consumer prices"),
    ("id", Some(6), "inflasi"),
    ("id", Some(6), "deflasi"),
    ("id", Some(6), "ihk"),
    ("id", Some(6), "indeks harga konsumen"),
    ("vi", Some(6), "lạm phát"),
    ("vi", Some(6), "cpi"),
    ("vi", Some(6), "giá tiêu dùng"),
    // trade balance
    ("en", Some(7), "trade surplus"),
    ("en", Some(7), "trade deficit"),
    ("en", Some(7), "trade balance"),
    ("en", Some(7), "exports"),
    ("en", Some(7), "imports"),
    ("id", Some(7), "neraca perdagangan"),
    ("id", Some(7), "neraca dagang"),
    ("id", Some(7), "surplus dagang"),
    ("id", Some(7), "defisit dagang"),
    ("id", Some(7), "ekspor"),
    ("id", Some(7), "impor"),
    ("vi", Some(7), "xuất khẩu"),
    ("vi", Some(7), "nhập khẩu"),
    ("vi", Some(7), "xuất siêu"),
    ("vi", Some(7), "nhập siêu"),
    ("vi", Some(7), "cán cân thương mại"),
    ("vi", Some(7), "thặng dư thương mại"),
    // epidemic
    ("en", Some(8), "dengue"),
    ("en", Some(8), "measles"),
    ("en", Some(8), "cholera"),
    ("en", Some(8), "outbreak"),
    ("en", Some(8), "outbreaks"),
    ("en", Some(8), "epidemic"),
    ("en", Some(8), "flu"),
    ("en", Some(8), "influenza"),
    ("id", Some(8), "dbd"),
    ("id", Some(8), "demam berdarah"),
    ("id", Some(8), "campak"),
    ("id", Some(8), "kolera"),
    ("id", Some(8), "wabah"),
    ("id", Some(8), "influenza"),
    ("vi", Some(8), "sốt xuất huyết"),
    ("vi", Some(8), "dịch bệnh"),
    ("vi", Some(8), "sởi"),
    ("vi", Some(8), "cúm"),
    ("vi", Some(8), "tay chân miệng"),
];

/// Phrases of one language by first word: (the phrase's words, its kind).
type Index = HashMap<&'static str, Vec<(Vec<&'static str>, Option<Kind>)>>;

fn index(lang: &str) -> Option<&'static Index> {
    static INDEXES: OnceLock<HashMap<&'static str, Index>> = OnceLock::new();
    INDEXES
        .get_or_init(|| {
            let mut all: HashMap<&'static str, Index> = HashMap::new();
            for &(lang, kind, phrase) in LEXICON {
                let words: Vec<&'static str> = phrase.split(' ').collect();
                all.entry(lang)
                    .or_default()
                    .entry(words[0])
                    .or_default()
                    .push((words, kind));
            }
            all
        })
        .get(lang)
}

/// The kinds of event named in `words` (lower-case, in order; `None` marks a break that no
/// phrase spans).
pub fn kinds_in<'a>(
    lang: &str,
    words: impl IntoIterator<Item = Option<&'a str>>,
) -> BTreeSet<Kind> {
    let mut found = BTreeSet::new();
    let Some(index) = index(lang) else {
        return found;
    };
    let words: Vec<Option<&str>> = words.into_iter().collect();
    for (k, w) in words.iter().enumerate() {
        let Some(phrases) = w.and_then(|w| index.get(w)) else {
            continue;
        };
        let longest = phrases
            .iter()
            .filter(|(p, _)| {
                p.len() <= words.len() - k && p.iter().zip(&words[k..]).all(|(a, b)| Some(*a) == *b)
            })
            .max_by_key(|(p, _)| p.len());
        if let Some((_, Some(kind))) = longest {
            found.insert(*kind);
        }
    }
    found
}

/// The names of `kinds`, for an explanation.
pub fn describe(kinds: &BTreeSet<Kind>) -> String {
    kinds
        .iter()
        .map(|k| KIND_NAMES.get(*k as usize).copied().unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(lang: &str, text: &str) -> String {
        describe(&kinds_in(lang, text.split(' ').map(Some)))
    }

    #[test]
    fn phrases_name_kinds_and_look_alikes_do_not() {
        assert_eq!(kinds("vi", "quảng ngãi ngập sâu"), "flood");
        assert_eq!(kinds("vi", "động đất 4,1 độ ở quảng ngãi"), "earthquake");
        assert_eq!(kinds("vi", "phố cổ ngập tràn đèn lồng"), "");
        assert_eq!(kinds("vi", "bão giá xăng dầu"), "");
        assert_eq!(kinds("vi", "trồng rừng ngập mặn"), "");
        assert_eq!(kinds("id", "timnas banjir pujian"), "");
        assert_eq!(kinds("en", "a flood of complaints"), "");
        assert_eq!(
            kinds("id", "jawa barat waspada lonjakan demam berdarah"),
            "epidemic"
        );
        assert_eq!(kinds("vi", "bão số 13 gây ngập"), "flood, storm");
        assert_eq!(kinds("id", "inflasi tahunan ri 2,6 persen"), "inflation");
        assert_eq!(
            kinds("id", "neraca perdagangan ri surplus"),
            "trade balance"
        );
        assert_eq!(kinds("en", "consumer prices rise"), "inflation");
        assert_eq!(kinds("en", "firefighters rescue cat"), "");
        assert_eq!(kinds("xx", "flood"), "");
    }

    #[test]
    fn phrases_do_not_span_breaks() {
        let words = [Some("giá"), None, Some("tiêu"), Some("dùng")];
        assert!(kinds_in("vi", words).is_empty());
        let words = [Some("giá"), Some("tiêu"), Some("dùng")];
        assert_eq!(describe(&kinds_in("vi", words)), "inflation");
    }
}
