//! Deterministic, news-like synthetic RSS 2.0 feeds for the benchmarks (`examples/loadgen`,
//! `benches/stages.rs`). Standard library only, no clock, no randomness source: the same
//! arguments always give the same bytes.
//!
//! Each item has a title in Vietnamese, English or Indonesian, a CDATA `<description>` with
//! an `<img>` (absolute or relative) and a lead paragraph, a ~1 KB CDATA `content:encoded`
//! article (paragraphs, links, emphasis, a figure), an author, a date and one or two source
//! categories that the shipped taxonomy maps.
//!
//! A feed's `rev` models time passing: at `rev` r the feed has `r * NEW_PER_REV` newer items
//! on top (the oldest ones drop off the bottom, so the count stays `n_items`) and
//! `UPDATED_PER_REV` of the others carry a revised title and body. Together that is 10 % of a
//! 100-item feed changed per rev.

#![allow(dead_code)]

use std::fmt::Write;

/// Items added on top of a feed per rev.
pub const NEW_PER_REV: usize = 5;
/// Items revised in place per rev.
pub const UPDATED_PER_REV: usize = 5;

struct Lang {
    code: &'static str,
    feed_names: &'static [&'static str],
    words: &'static [&'static str],
    /// Phrases that the shipped keyword rules match, mixed into some titles.
    hot: &'static [&'static str],
    categories: &'static [&'static str],
    authors: &'static [&'static str],
    read_more: &'static str,
    updated: &'static str,
}

const VI: Lang = Lang {
    code: "vi",
    feed_names: &[
        "Tin nhanh",
        "Thời sự 24h",
        "Báo Điện tử",
        "Tin tức Việt",
        "Nhịp sống",
        "Thông tấn",
        "Tuổi trẻ",
        "Lao động",
        "Người đưa tin",
        "Đời sống",
    ],
    words: &[
        "người",
        "dân",
        "thành",
        "phố",
        "Hà",
        "Nội",
        "Đà",
        "Nẵng",
        "kinh",
        "tế",
        "phát",
        "triển",
        "tăng",
        "trưởng",
        "dự",
        "án",
        "đường",
        "cao",
        "tốc",
        "mùa",
        "mưa",
        "bão",
        "nông",
        "dân",
        "xuất",
        "khẩu",
        "gạo",
        "cà",
        "phê",
        "giá",
        "vàng",
        "ngân",
        "hàng",
        "lãi",
        "suất",
        "học",
        "sinh",
        "trường",
        "đại",
        "học",
        "bệnh",
        "viện",
        "bác",
        "sĩ",
        "đội",
        "tuyển",
        "bóng",
        "đá",
        "huấn",
        "luyện",
        "viên",
        "trận",
        "đấu",
        "khán",
        "giả",
        "doanh",
        "nghiệp",
        "công",
        "nghệ",
        "điện",
        "thoại",
        "thông",
        "minh",
        "du",
        "lịch",
        "biển",
        "đảo",
        "văn",
        "hóa",
        "lễ",
        "hội",
        "truyền",
        "thống",
        "mới",
        "nhất",
        "năm",
        "nay",
        "tháng",
        "tuần",
        "trước",
        "sau",
        "khi",
        "được",
        "những",
        "các",
        "một",
        "và",
        "của",
        "cho",
        "với",
        "trong",
        "tại",
        "đã",
        "sẽ",
        "đang",
        "rất",
        "nhiều",
    ],
    hot: &[
        "bóng đá",
        "Quốc hội",
        "giá vàng",
        "tai nạn giao thông",
        "chứng khoán",
        "du lịch",
        "học sinh",
        "công nghệ",
        "bệnh viện",
        "lũ lụt",
    ],
    categories: &[
        "Thời sự",
        "Thể thao",
        "Kinh doanh",
        "Chính trị",
        "Giáo dục",
        "Du lịch",
        "Sức khỏe",
        "Số hóa",
        "Giải trí",
        "Thế giới",
        "Pháp luật",
        "Văn hóa",
    ],
    authors: &["Minh Anh", "Hoàng Nam", "Thu Trang", "Đức Huy", "Ngọc Lan"],
    read_more: "Xem thêm",
    updated: "cập nhật",
};

const EN: Lang = Lang {
    code: "en",
    feed_names: &[
        "Daily News",
        "The Observer",
        "Morning Post",
        "City Herald",
        "World Wire",
        "The Tribune",
        "Evening Standard",
        "Metro",
        "Business Times",
        "Sports Desk",
    ],
    words: &[
        "government",
        "city",
        "officials",
        "said",
        "new",
        "plan",
        "market",
        "prices",
        "rise",
        "fall",
        "week",
        "month",
        "year",
        "report",
        "shows",
        "growth",
        "export",
        "rice",
        "coffee",
        "bank",
        "interest",
        "rates",
        "students",
        "school",
        "hospital",
        "doctors",
        "team",
        "coach",
        "match",
        "fans",
        "league",
        "company",
        "technology",
        "phone",
        "startup",
        "tourism",
        "beach",
        "festival",
        "culture",
        "traditional",
        "storm",
        "rain",
        "flood",
        "farmers",
        "province",
        "highway",
        "project",
        "the",
        "a",
        "of",
        "in",
        "on",
        "after",
        "before",
        "with",
        "for",
        "and",
        "to",
        "as",
        "by",
        "record",
        "first",
        "largest",
        "local",
        "national",
        "international",
        "people",
    ],
    hot: &[
        "football",
        "National Assembly",
        "gold prices",
        "traffic accident",
        "stock market",
        "tourism",
        "students",
        "technology",
        "hospital",
        "flooding",
    ],
    categories: &[
        "News",
        "Sports",
        "Business",
        "Politics",
        "Education",
        "Travel",
        "Health",
        "Technology",
        "Entertainment",
        "World",
        "Law",
        "Culture",
    ],
    authors: &[
        "Alex Carter",
        "Jamie Lee",
        "Sam Nguyen",
        "Taylor Brooks",
        "Chris Tran",
    ],
    read_more: "Read more",
    updated: "updated",
};

const ID: Lang = Lang {
    code: "id",
    feed_names: &[
        "Kabar Harian",
        "Warta Kota",
        "Suara Rakyat",
        "Berita Nusantara",
        "Info Terkini",
        "Jurnal Pagi",
        "Kabar Bisnis",
        "Gelora Olahraga",
        "Sinar Nasional",
        "Pos Kota",
    ],
    words: &[
        "pemerintah",
        "kota",
        "pejabat",
        "mengatakan",
        "rencana",
        "baru",
        "pasar",
        "harga",
        "naik",
        "turun",
        "minggu",
        "bulan",
        "tahun",
        "laporan",
        "menunjukkan",
        "pertumbuhan",
        "ekspor",
        "beras",
        "kopi",
        "bank",
        "suku",
        "bunga",
        "siswa",
        "sekolah",
        "rumah",
        "sakit",
        "dokter",
        "tim",
        "pelatih",
        "pertandingan",
        "penggemar",
        "liga",
        "perusahaan",
        "teknologi",
        "ponsel",
        "pariwisata",
        "pantai",
        "festival",
        "budaya",
        "tradisional",
        "badai",
        "hujan",
        "banjir",
        "petani",
        "provinsi",
        "jalan",
        "tol",
        "proyek",
        "yang",
        "di",
        "dan",
        "dengan",
        "untuk",
        "dari",
        "pada",
        "ke",
        "setelah",
        "sebelum",
        "oleh",
        "rekor",
        "pertama",
        "terbesar",
        "lokal",
        "nasional",
    ],
    hot: &[
        "sepak bola",
        "Majelis Nasional",
        "harga emas",
        "kecelakaan lalu lintas",
        "pasar saham",
        "pariwisata",
        "siswa",
        "teknologi",
        "rumah sakit",
        "banjir",
    ],
    categories: &[
        "Berita",
        "Olahraga",
        "Bisnis",
        "Politik",
        "Pendidikan",
        "Wisata",
        "Kesehatan",
        "Teknologi",
        "Hiburan",
        "Dunia",
        "Hukum",
        "Budaya",
    ],
    authors: &[
        "Budi Santoso",
        "Siti Rahma",
        "Agus Pratama",
        "Dewi Lestari",
        "Rudi Hartono",
    ],
    read_more: "Baca selengkapnya",
    updated: "diperbarui",
};

const LANGS: [&Lang; 3] = [&VI, &EN, &ID];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

fn sentence(rng: &mut Rng, lang: &Lang, min: usize, max: usize) -> String {
    let n = min + rng.below(max - min + 1);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let w = if i == n / 2 && rng.below(3) == 0 {
            rng.pick(lang.hot)
        } else {
            rng.pick(lang.words)
        };
        if i == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                s.extend(first.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The language code of feed `index`.
pub fn lang_of(index: usize) -> &'static str {
    LANGS[index % 3].code
}

/// The feed's display title.
pub fn feed_title(index: usize) -> String {
    let lang = LANGS[index % 3];
    let name = lang.feed_names[(index / 3) % lang.feed_names.len()];
    format!("{name} {}", index / 3 / lang.feed_names.len() + 1)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// RFC 822 date (+0700) of `unix` seconds; days-from-civil inverse, no chrono needed.
fn rfc822(unix: i64) -> String {
    let local = unix + 7 * 3600;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{weekday}, {d:02} {} {y} {:02}:{:02}:{:02} +0700",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Writes one item with sequence number `seq` (higher is newer) of feed `index`.
fn write_item(out: &mut String, index: usize, seq: u64, revisions: usize, base: &str) {
    let lang = LANGS[index % 3];
    let mut rng = Rng::new((index as u64) << 32 ^ seq);
    let link = format!(
        "{base}/{}/{index}/{seq}-{}.html",
        lang.code,
        rng.next() % 100_000
    );
    let mut title = sentence(&mut rng, lang, 7, 13);
    // Base time 2026-11-20 00:00 UTC; items are 7 minutes apart per feed.
    let published = 1_795_132_800 + seq as i64 * 420 + (index as i64 % 97) * 3;
    let lead = sentence(&mut rng, lang, 18, 30);
    let thumb = match seq % 3 {
        0 => format!("{base}/img/{index}/{seq}.jpg"),
        1 => format!("/img/{index}/{seq}.jpg"),
        _ => format!("img/{seq}-thumb.jpg"),
    };
    let mut body = String::with_capacity(1400);
    for p in 0..4 {
        body.push_str("<p>");
        body.push_str(&sentence(&mut rng, lang, 14, 24));
        body.push_str(". ");
        if p == 1 {
            let _ = write!(body, "<strong>{}</strong> ", sentence(&mut rng, lang, 3, 6));
        }
        if p == 2 {
            let _ = write!(
                body,
                "<a href=\"/{}/{}/related-{}.html\">{}</a>. ",
                lang.code,
                index,
                rng.next() % 1000,
                sentence(&mut rng, lang, 3, 6)
            );
            let _ = write!(
                body,
                "<figure><img src=\"{base}/img/{index}/{seq}-b.jpg\" alt=\"{}\" width=\"800\" height=\"450\"><figcaption><em>{}</em></figcaption></figure>",
                xml_escape(&title),
                sentence(&mut rng, lang, 5, 9)
            );
        }
        body.push_str(&sentence(&mut rng, lang, 10, 20));
        body.push_str(".</p>");
    }
    if revisions > 0 {
        let _ = write!(title, " ({} {revisions})", lang.updated);
        let _ = write!(
            body,
            "<p><em>{}:</em> {}.</p>",
            lang.updated,
            sentence(&mut rng, lang, 8, 14)
        );
    }
    let description = format!(
        "<a href=\"{link}\"><img src=\"{thumb}\" alt=\"\" width=\"240\" height=\"160\"></a><p>{lead}. <a href=\"{link}\">{}</a></p>",
        lang.read_more
    );
    let _ = write!(
        out,
        "<item>\n<title>{}</title>\n<link>{link}</link>\n<guid isPermaLink=\"true\">{link}</guid>\n<pubDate>{}</pubDate>\n<dc:creator>{}</dc:creator>\n",
        xml_escape(&title),
        rfc822(published),
        rng.pick(lang.authors),
    );
    let c1 = rng.below(lang.categories.len());
    let _ = writeln!(out, "<category>{}</category>", lang.categories[c1]);
    if seq % 2 == 0 {
        let c2 = (c1 + 1 + rng.below(lang.categories.len() - 1)) % lang.categories.len();
        let _ = writeln!(out, "<category>{}</category>", lang.categories[c2]);
    }
    let _ = write!(
        out,
        "<description><![CDATA[{description}]]></description>\n<content:encoded><![CDATA[{body}]]></content:encoded>\n</item>\n"
    );
}

/// RSS 2.0 document of feed `index` with `n_items` items at revision `rev`, its links under
/// `base` (e.g. `https://news-12.example`).
pub fn feed_xml(index: usize, n_items: usize, rev: usize, base: &str) -> String {
    let lang = LANGS[index % 3];
    let top = (n_items + rev * NEW_PER_REV) as u64; // exclusive upper sequence number
    let mut out = String::with_capacity(512 + n_items * 2600);
    let newest = 1_795_132_800 + (top as i64 - 1) * 420;
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n<title>{}</title>\n<link>{base}/</link>\n<description>{} – {}</description>\n<language>{}</language>\n<lastBuildDate>{}</lastBuildDate>\n<atom:link href=\"{base}/rss/{index}.xml\" rel=\"self\" type=\"application/rss+xml\"/>\n<ttl>15</ttl>\n",
        xml_escape(&feed_title(index)),
        xml_escape(&feed_title(index)),
        lang.read_more,
        lang.code,
        rfc822(newest),
    );
    for i in 0..n_items as u64 {
        let seq = top - 1 - i;
        // Each rev revises UPDATED_PER_REV items (one in `period`); a revision sticks.
        let period = (n_items / UPDATED_PER_REV).max(1);
        let revisions = (1..=rev)
            .filter(|r| (seq as usize + r * 7) % period == 0)
            .count();
        write_item(&mut out, index, seq, revisions, base);
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(
            super::rfc822(1_795_132_800),
            "Fri, 20 Nov 2026 07:00:00 +0700"
        );
    }
}
