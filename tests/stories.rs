//! Cross-source stories end to end: two outlets report one flood (one of them twice, once with
//! a tracking URL), a look-alike flood in another province stays apart; outputs show the
//! story once, from the outlet with the higher `priority`, credit the other outlet (visible
//! and machine-readable) and still validate; `min_sources` keeps only multi-outlet stories;
//! `bantin explain` says why.

mod common;

use bantin::config::Config;
use bantin::render::cache::RenderCache;
use common::{FixtureServer, Served};

fn rss(title: &str, site: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title><link>{site}</link><language>vi</language>\n"
    );
    for (t, link, summary, date) in items {
        s.push_str(&format!(
            "<item><title>{t}</title><link>{link}</link><guid>{link}#{date}</guid><pubDate>{date}</pubDate><description>{summary}</description></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn config(dir: &std::path::Path, a: &str, b: &str) -> Config {
    let text = format!(
        r#"[server]
base_url = "http://news.test"
[storage]
path = "data/bantin.db"
[poll]
allow_private = ["127.0.0.1"]
[classify]
languages = ["vi", "en"]
{categories}
[[feed]]
name = "Báo A"
url = "{a}"
[[feed]]
name = "Báo B"
url = "{b}"
priority = 10
[[output]]
id = "vi-top"
title = "Tin nổi bật"
lang = "vi"
min_sources = 2
"#,
        categories = common::shipped_categories()
    );
    let path = dir.join("feeds.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap()
}

/// The `story` of the item with this link in `bantin items --json` output.
fn story_by_link(items: &[serde_json::Value], link: &str) -> serde_json::Value {
    items
        .iter()
        .find(|v| v["link"].as_str().unwrap() == link)
        .unwrap_or_else(|| panic!("no item {link}"))["story"]
        .clone()
}

fn doc(cache: &RenderCache, key: &str) -> String {
    let snap = cache.snapshot();
    String::from_utf8(snap.docs[key].body().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_item_per_story_with_the_other_outlets_credited() {
    let server = FixtureServer::start().await;
    let a = rss(
        "Báo A",
        "https://a.example/",
        &[
            (
                "Lũ lụt ở Quảng Trị, hơn 3.000 nhà bị ngập | Báo A",
                "https://a.example/lu-quang-tri.html?utm_source=rss",
                "Mưa lớn kéo dài khiến nước sông Kiến Giang dâng cao, nhiều xã ở Quảng Trị bị chia cắt, hơn 1.200 hộ dân phải sơ tán.",
                "Tue, 03 Nov 2026 06:40:00 +0700",
            ),
            (
                "Lũ lụt ở Quảng Ngãi, một người mất tích",
                "https://a.example/lu-quang-ngai.html",
                "Nước sông Trà Khúc vượt báo động 3, nhiều khu dân cư ven sông ở Quảng Ngãi bị ngập sâu.",
                "Tue, 03 Nov 2026 09:00:00 +0700",
            ),
            (
                "Giá vàng tăng mạnh",
                "https://a.example/gia-vang.html",
                "Giá vàng miếng tăng thêm 1,5 triệu đồng mỗi lượng trong phiên sáng.",
                "Tue, 03 Nov 2026 09:20:00 +0700",
            ),
        ],
    );
    let b = rss(
        "Báo B",
        "https://b.example/",
        &[
            (
                "Quảng Trị: hơn 3.000 ngôi nhà bị ngập, 1.200 hộ dân phải sơ tán",
                "https://b.example/quang-tri-ngap.html",
                "Nước sông Kiến Giang lên nhanh, nhiều xã phía nam tỉnh Quảng Trị bị chia cắt do mưa lớn.",
                "Tue, 03 Nov 2026 08:00:00 +0700",
            ),
            (
                "[Ảnh] Lũ lụt Quảng Trị nhìn từ trên cao",
                "http://www.a.example/lu-quang-tri.html#comments",
                "",
                "Tue, 03 Nov 2026 10:00:00 +0700",
            ),
        ],
    );
    server.set("/a.rss", Served::feed("application/rss+xml", a));
    server.set("/b.rss", Served::feed("application/rss+xml", b));
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &server.url("/a.rss"), &server.url("/b.rss"));
    let lines = common::poll(&config).await;
    assert!(lines.last().unwrap().contains("0 with errors"), "{lines:?}");

    let items = common::items_json(&config).await;
    let story_of = |needle: &str| {
        items
            .iter()
            .find(|v| v["title"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no item {needle}"))["story"]
            .clone()
    };
    let flood = story_of("Lũ lụt ở Quảng Trị");
    assert_eq!(
        story_of("Quảng Trị: hơn 3.000"),
        flood,
        "paraphrase joins by text"
    );
    assert_eq!(
        story_of("nhìn từ trên cao"),
        flood,
        "same article joins by URL"
    );
    assert_ne!(
        story_of("Quảng Ngãi"),
        flood,
        "a flood elsewhere is another story"
    );
    assert_ne!(story_of("Giá vàng"), flood);
    for v in &items {
        assert_eq!(v["lang"], "vi");
    }

    let store = bantin::daemon::open_store(&config).await.unwrap();
    let cache = RenderCache::default();
    cache.refresh(&store, &config).unwrap();
    let rss = doc(&cache, "vi.rss");
    // Canonical: Báo B (priority 10) although Báo A published first.
    assert!(rss.contains("Quảng Trị: hơn 3.000 ngôi nhà"), "{rss}");
    assert!(
        !rss.contains("Lũ lụt ở Quảng Trị, hơn"),
        "one item per story:\n{rss}"
    );
    assert_eq!(rss.matches("<item>").count(), 3, "{rss}");
    assert!(rss.contains("Các báo cùng đưa tin"), "{rss}");
    assert!(
        rss.contains("<atom:link rel=\"related\" type=\"text/html\" href=\"https://a.example/lu-quang-tri.html?utm_source=rss\" title=\"Báo A\"/>"),
        "{rss}"
    );
    let atom = doc(&cache, "vi.atom");
    assert!(atom.contains("<link rel=\"related\""), "{atom}");
    let json: serde_json::Value = serde_json::from_str(&doc(&cache, "vi.json")).unwrap();
    let with_related: Vec<&serde_json::Value> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            !i["_bantin"]["also_reported_by"]
                .as_array()
                .unwrap()
                .is_empty()
        })
        .collect();
    assert_eq!(with_related.len(), 1);
    assert_eq!(
        with_related[0]["_bantin"]["also_reported_by"],
        serde_json::json!([{ "title": "Báo A", "url": "https://a.example/lu-quang-tri.html?utm_source=rss" }])
    );
    // min_sources = 2: only the story two outlets carried.
    let top = doc(&cache, "vi-top.rss");
    assert_eq!(top.matches("<item>").count(), 1, "{top}");
    assert!(top.contains("Quảng Trị: hơn 3.000"));

    for (name, body) in [("vi.rss", rss), ("vi.atom", atom), ("vi-top.rss", top)] {
        let file = dir.path().join(name);
        std::fs::write(&file, body).unwrap();
        common::validate_feed(&file);
    }

    // explain, by link (tracking parameters and all) and by id.
    let mut out = Vec::new();
    bantin::commands::explain(&config, "https://a.example/lu-quang-tri.html", &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("language: vi"), "{text}");
    assert!(text.contains("detected: vi"), "{text}");
    assert!(text.contains("categories: current-events"), "{text}");
    assert!(text.contains("keyword \"lũ lụt\" in the title"), "{text}");
    assert!(text.contains("3 item(s) from 2 outlet(s)"), "{text}");
    // The checks of a story decision, and their values against each other member.
    assert!(text.contains("no story-level veto"), "{text}");
    assert!(text.contains("time discount ×"), "{text}");
    assert!(text.contains("headline coverage"), "{text}");
    let ngai = items
        .iter()
        .find(|v| v["title"].as_str().unwrap().contains("Quảng Ngãi"))
        .unwrap()["id"]
        .to_string();
    let mut out = Vec::new();
    bantin::commands::explain(&config, &ngai, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("1 item(s) from 1 outlet(s)"), "{text}");
    // Feeds are polled concurrently: whichever of the two copies of the article arrived
    // second joined by URL.
    let mut both = String::new();
    for link in [
        "http://www.a.example/lu-quang-tri.html#comments",
        "https://a.example/lu-quang-tri.html?utm_source=rss",
    ] {
        let mut out = Vec::new();
        bantin::commands::explain(&config, link, &mut out)
            .await
            .unwrap();
        both.push_str(&String::from_utf8(out).unwrap());
    }
    assert!(both.contains("joined by rule url"), "{both}");
    assert!(both.contains("similarity"), "{both}");
}

/// An item whose text changes on a later poll (an outlet replaces a placeholder headline and
/// summary with the real story, then re-purposes the entry) has its story decided again: it
/// joins the story it now tells, and leaves it when it no longer tells it, while the other
/// outlet's item keeps its own story throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_updated_item_is_clustered_again() {
    let server = FixtureServer::start().await;
    let flood = (
        "Lũ lụt ở Quảng Trị, hơn 3.000 nhà bị ngập",
        "https://a.example/lu-quang-tri.html",
        "Mưa lớn kéo dài khiến nước sông Kiến Giang dâng cao, nhiều xã ở Quảng Trị bị chia cắt, hơn 1.200 hộ dân phải sơ tán.",
        "Tue, 03 Nov 2026 06:40:00 +0700",
    );
    let gold = (
        "Giá vàng tăng mạnh",
        "https://a.example/gia-vang.html",
        "Giá vàng miếng tăng thêm 1,5 triệu đồng mỗi lượng trong phiên sáng.",
        "Tue, 03 Nov 2026 09:20:00 +0700",
    );
    server.set(
        "/a.rss",
        Served::feed(
            "application/rss+xml",
            rss("Báo A", "https://a.example/", &[flood, gold]),
        ),
    );
    let b_link = "https://b.example/tin-nong.html";
    let b_date = "Tue, 03 Nov 2026 08:00:00 +0700";
    let serve_b = |title: &str, summary: &str| {
        server.set(
            "/b.rss",
            Served::feed(
                "application/rss+xml",
                rss(
                    "Báo B",
                    "https://b.example/",
                    &[(title, b_link, summary, b_date)],
                ),
            ),
        );
    };
    serve_b(
        "Tin nóng sáng 3/11",
        "Bài viết đang được cập nhật, mời bạn đọc quay lại sau.",
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &server.url("/a.rss"), &server.url("/b.rss"));
    let story_of = story_by_link;

    common::poll(&config).await;
    let items = common::items_json(&config).await;
    assert_eq!(items.len(), 3);
    let flood_story = story_of(&items, flood.1);
    assert_ne!(
        story_of(&items, b_link),
        flood_story,
        "a placeholder is no story yet"
    );

    // The placeholder becomes a retelling of the flood: same entry, now the same story.
    serve_b(
        "Quảng Trị: hơn 3.000 ngôi nhà bị ngập, 1.200 hộ dân phải sơ tán",
        "Nước sông Kiến Giang lên nhanh, nhiều xã phía nam tỉnh Quảng Trị bị chia cắt do mưa lớn.",
    );
    common::poll(&config).await;
    let items = common::items_json(&config).await;
    assert_eq!(items.len(), 3, "an update, not a new item");
    assert_eq!(
        story_of(&items, b_link),
        flood_story,
        "the update joins the story"
    );
    assert_eq!(story_of(&items, flood.1), flood_story);
    assert_ne!(story_of(&items, gold.1), flood_story);

    // Re-purposed to another event: it leaves, and the flood item keeps its story.
    serve_b(
        "Khánh thành cầu Tứ Liên bắc qua sông Hồng",
        "Cây cầu dài 4,5 km nối quận Tây Hồ với huyện Đông Anh chính thức thông xe.",
    );
    common::poll(&config).await;
    let items = common::items_json(&config).await;
    assert_eq!(items.len(), 3);
    assert_ne!(
        story_of(&items, b_link),
        flood_story,
        "the update leaves the story"
    );
    assert_eq!(story_of(&items, flood.1), flood_story);
    let mut out = Vec::new();
    bantin::commands::explain(&config, flood.1, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("1 item(s) from 1 outlet(s)"), "{text}");
}

/// Online clustering sees items one at a time: two outlets that name different places of one
/// flood (the river, the province) are kept apart by the names veto, and a third outlet's
/// report naming both joins them, whatever the order. Stories kept apart because they are
/// different events (the month's inflation and its exports) are not joined by a report on
/// both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_naming_both_places_joins_two_partial_stories() {
    use bantin::pipeline::{Ingest, poll_feed};
    use common::{FeedEntry, write_config};

    let date = |h: u32| format!("Tue, 03 Nov 2026 {h:02}:00:00 +0700");
    let river = (
        "Nước sông Kiến Giang lên nhanh, hàng nghìn ngôi nhà chìm trong lũ",
        "https://a.example/song-kien-giang.html",
        "Mưa lớn kéo dài hai ngày khiến nước sông dâng cao, nhiều xã phía nam bị chia cắt, hàng nghìn ngôi nhà chìm trong lũ.",
        date(7),
    );
    let cpi = (
        "Chỉ số giá tiêu dùng tháng 10 tăng 0,35%",
        "https://a.example/cpi-thang-10.html",
        "Giá điện và giá thực phẩm đẩy chỉ số giá tiêu dùng đi lên.",
        date(9),
    );
    let province = (
        "Người dân vùng rốn lũ Quảng Trị chạy lũ trong đêm",
        "https://b.example/ron-lu-quang-tri.html",
        "Nước lên nhanh sau hai ngày mưa lớn, hàng nghìn ngôi nhà chìm trong lũ, nhiều xã phía nam bị chia cắt.",
        date(8),
    );
    let exports = (
        "Xuất khẩu 10 tháng tăng 14%",
        "https://b.example/xuat-khau-10-thang.html",
        "Kim ngạch xuất khẩu điện tử và nông sản dẫn đầu trong tháng 10.",
        date(9),
    );
    let both = (
        "Lũ lụt ở Quảng Trị, hơn 3.000 nhà bị ngập",
        "https://c.example/lu-lut-quang-tri.html",
        "Mưa lớn hai ngày khiến nước sông Kiến Giang dâng cao, hàng nghìn ngôi nhà chìm trong lũ, nhiều xã phía nam tỉnh Quảng Trị bị chia cắt.",
        date(10),
    );
    let release = (
        "Số liệu kinh tế tháng 10: giá tiêu dùng tăng 0,35%, xuất khẩu tăng 14%",
        "https://c.example/so-lieu-thang-10.html",
        "Chỉ số giá tiêu dùng tháng 10 tăng 0,35% do giá điện và thực phẩm; kim ngạch xuất khẩu 10 tháng tăng 14%.",
        date(11),
    );
    let as_ref =
        |t: &(&'static str, &'static str, &'static str, String)| (t.0, t.1, t.2, t.3.clone());
    let server = FixtureServer::start().await;
    for (path, name, site, items) in [
        (
            "/a.rss",
            "Báo A",
            "https://a.example/",
            [as_ref(&river), as_ref(&cpi)],
        ),
        (
            "/b.rss",
            "Báo B",
            "https://b.example/",
            [as_ref(&province), as_ref(&exports)],
        ),
        (
            "/c.rss",
            "Báo C",
            "https://c.example/",
            [as_ref(&both), as_ref(&release)],
        ),
    ] {
        let items: Vec<(&str, &str, &str, &str)> = items
            .iter()
            .map(|(t, l, s, d)| (*t, *l, *s, d.as_str()))
            .collect();
        server.set(
            path,
            Served::feed("application/rss+xml", rss(name, site, &items)),
        );
    }
    let entries: Vec<FeedEntry> = ["a", "b", "c"]
        .iter()
        .map(|f| FeedEntry {
            name: format!("Báo {}", f.to_uppercase()),
            url: server.url(&format!("/{f}.rss")),
            lang: Some("vi".into()),
            categories: vec![],
        })
        .collect();
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
        let store = bantin::daemon::open_store(&config).await.unwrap();
        let ingest = Ingest::new(&config, store).unwrap();
        for i in order {
            let report = poll_feed(&ingest, &config.feeds[i]).await.unwrap();
            assert!(report.error.is_none(), "{}", report.summary());
        }
        let items = common::items_json(&config).await;
        let story_of = |link: &str| story_by_link(&items, link);
        assert_eq!(story_of(river.1), story_of(province.1), "order {order:?}");
        assert_eq!(story_of(river.1), story_of(both.1), "order {order:?}");
        assert_ne!(story_of(cpi.1), story_of(exports.1), "order {order:?}");
        assert_ne!(story_of(cpi.1), story_of(river.1), "order {order:?}");
        if order == [0, 1, 2] {
            // The province's report started a story of its own, joined later.
            let mut out = Vec::new();
            bantin::commands::explain(&config, province.1, &mut out)
                .await
                .unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("a story of its own"), "{text}");
            assert!(text.contains("different names in the headlines"), "{text}");
            assert!(text.contains("reconciled by item"), "{text}");
        }
    }
}
