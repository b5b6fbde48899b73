//! Deterministic news-feed fixtures for the integration tests.
//!
//! Generates realistic RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents in
//! Vietnamese (NFC, with diacritics), English and Indonesian. Standard library
//! only; no randomness and no clock: the same arguments always give the same
//! bytes.
//!
//! Titles are built from 20 templates per language, each filled with one of
//! 8 subjects and a number. Within one language, an item's "ordinal" is
//! `index * 14 + k`; titles are distinct for all ordinals below 160 (so any
//! feed of up to 160 items, and the whole acceptance set, has distinct titles).

// Each integration-test binary uses a different subset of these helpers.
#![allow(dead_code)]

/// Which document format a fixture feed is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixtureFormat {
    Rss2,
    Atom,
    JsonFeed,
}

/// One article of a fixture feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureItem {
    /// Unique, stable identifier (a `tag:` URI).
    pub guid: String,
    /// Absolute http URL built from `base_url`.
    pub link: String,
    /// Plain text; may contain `&` and quotes.
    pub title: String,
    /// HTML: a `<p>` with text, sometimes an `<img>` (absolute or relative src),
    /// sometimes an `<a href>`.
    pub summary_html: String,
    /// RFC 3339 with a `+07:00` offset, e.g. `2026-11-20T08:15:00+07:00`.
    pub published: String,
    /// Source category labels in the feed's language (0 to 2).
    pub categories: Vec<String>,
}

/// A fixture feed, rendered with [`render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureFeed {
    pub title: String,
    /// "vi", "en" or "id".
    pub lang: &'static str,
    pub format: FixtureFormat,
    pub items: Vec<FixtureItem>,
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Pool {
    /// Opposing national football teams.
    Team,
    /// Vietnamese cities and provinces.
    Place,
    /// Farm and seafood commodities.
    Commodity,
    /// Fictional Vietnamese companies.
    Company,
    /// Partner countries.
    Country,
}

/// A title template. Placeholders: `{s}` subject, `{n}` number,
/// `{w}`-`{l}` a football score (w > l).
struct Tpl {
    title: &'static str,
    lead: &'static str,
    pool: Pool,
    /// Category indices into the language's label list (see `CATS_*`).
    primary: usize,
    secondary: Option<usize>,
    base: u64,
    step: u64,
}

const fn t(
    title: &'static str,
    lead: &'static str,
    pool: Pool,
    primary: usize,
    secondary: Option<usize>,
    base: u64,
    step: u64,
) -> Tpl {
    Tpl {
        title,
        lead,
        pool,
        primary,
        secondary,
        base,
        step,
    }
}

struct Lang {
    code: &'static str,
    cats: [&'static str; 8],
    teams: [&'static str; 8],
    places: [&'static str; 8],
    commodities: [&'static str; 8],
    companies: [&'static str; 8],
    countries: [&'static str; 8],
    authors: [&'static str; 4],
    feed_titles: [&'static str; 6],
    description: &'static str,
    read_more: &'static str,
    templates: [Tpl; 20],
}

// Category indices: 0 news, 1 politics, 2 business, 3 sports, 4 travel,
// 5 technology, 6 health, 7 culture.
const NEWS: usize = 0;
const POLITICS: usize = 1;
const BUSINESS: usize = 2;
const SPORTS: usize = 3;
const TRAVEL: usize = 4;
const TECH: usize = 5;
const HEALTH: usize = 6;
const CULTURE: usize = 7;

static VI: Lang = Lang {
    code: "vi",
    cats: [
        "Thời sự",
        "Chính trị",
        "Kinh doanh",
        "Thể thao",
        "Du lịch",
        "Số hóa",
        "Sức khỏe",
        "Văn hóa",
    ],
    teams: [
        "Thái Lan",
        "Indonesia",
        "Malaysia",
        "Philippines",
        "Singapore",
        "Myanmar",
        "Campuchia",
        "Lào",
    ],
    places: [
        "Hà Nội",
        "TP HCM",
        "Đà Nẵng",
        "Hải Phòng",
        "Cần Thơ",
        "Huế",
        "Quảng Ninh",
        "Khánh Hòa",
    ],
    commodities: [
        "gạo",
        "cà phê",
        "hồ tiêu",
        "cao su",
        "hạt điều",
        "sầu riêng",
        "thanh long",
        "tôm",
    ],
    companies: [
        "Tập đoàn Sông Hồng",
        "Công ty Hoàng Long",
        "Ngân hàng Phương Đông",
        "Tập đoàn Đại Việt",
        "Công ty Mê Kông Food",
        "Tập đoàn Trường Sơn",
        "Công ty Sao Việt",
        "Tập đoàn Hồng Bàng",
    ],
    countries: [
        "Nhật Bản",
        "Hàn Quốc",
        "Mỹ",
        "Australia",
        "Đức",
        "Pháp",
        "Ấn Độ",
        "Singapore",
    ],
    authors: ["Minh Anh", "Quốc Huy", "Thu Trang", "Đức Thắng"],
    feed_titles: [
        "Tin nhanh Hà Nội - Tin mới nhất",
        "Báo Phương Nam - Thời sự",
        "Đà Nẵng 24h - Kinh tế & Đời sống",
        "Nhịp sống Cần Thơ",
        "Người Huế Online",
        "Hải Phòng Ngày Nay",
    ],
    description: "Tin tức mới nhất trong ngày từ khắp Việt Nam",
    read_more: "Xem chi tiết",
    templates: [
        t(
            "Đội tuyển Việt Nam thắng {w}-{l} trước {s} tại Mỹ Đình",
            "Thầy trò huấn luyện viên trưởng giành chiến thắng {w}-{l} trước {s} ở vòng loại Asian Cup, trước sự cổ vũ của hơn {n} nghìn khán giả.",
            Pool::Team,
            SPORTS,
            Some(NEWS),
            20,
            2,
        ),
        t(
            "Đoàn đại biểu {s} góp ý dự thảo Luật Đất đai sửa đổi",
            "Tại phiên thảo luận tổ, đoàn đại biểu Quốc hội {s} đề xuất {n} nội dung cần chỉnh sửa liên quan đến bồi thường và tái định cư.",
            Pool::Place,
            POLITICS,
            Some(NEWS),
            3,
            1,
        ),
        t(
            "Xuất khẩu {s} tăng {n}% trong mười tháng đầu năm",
            "Theo Tổng cục Hải quan, kim ngạch xuất khẩu {s} mười tháng qua tăng {n}% so với cùng kỳ, mức cao nhất từ trước đến nay.",
            Pool::Commodity,
            BUSINESS,
            None,
            5,
            3,
        ),
        t(
            "{s} đón {n} nghìn lượt khách quốc tế dịp cuối năm",
            "Các khách sạn và khu nghỉ dưỡng tại {s} kín phòng; ngành du lịch kỳ vọng đón {n} nghìn lượt khách quốc tế trong tháng 12.",
            Pool::Place,
            TRAVEL,
            None,
            120,
            15,
        ),
        t(
            "{s} ra mắt ứng dụng thanh toán số, thu hút {n} nghìn người dùng",
            "Chỉ sau một tuần, ứng dụng ví điện tử của {s} đã có {n} nghìn người dùng đăng ký, chủ yếu ở các thành phố lớn.",
            Pool::Company,
            TECH,
            Some(BUSINESS),
            50,
            10,
        ),
        t(
            "{s} ghi nhận {n} ca sốt xuất huyết trong tuần",
            "Sở Y tế {s} khuyến cáo người dân diệt lăng quăng, bọ gậy sau khi số ca sốt xuất huyết tăng lên {n} ca trong tuần qua.",
            Pool::Place,
            HEALTH,
            Some(NEWS),
            140,
            25,
        ),
        t(
            "Lễ hội \"Sắc màu văn hóa\" khai mạc tại {s}",
            "Lễ hội kéo dài {n} ngày tại {s} với các hoạt động trình diễn áo dài, ẩm thực và nghệ thuật dân gian.",
            Pool::Place,
            CULTURE,
            Some(TRAVEL),
            3,
            1,
        ),
        t(
            "Giá {s} hôm nay tăng mạnh, lên {n} nghìn đồng/kg",
            "Giá {s} tại các vùng nguyên liệu đồng loạt tăng, thương lái thu mua ở mức {n} nghìn đồng mỗi kg.",
            Pool::Commodity,
            BUSINESS,
            None,
            30,
            4,
        ),
        t(
            "Mưa lớn gây ngập nhiều tuyến phố ở {s}",
            "Lượng mưa đo được tới {n} mm khiến nhiều tuyến đường ở {s} ngập sâu, giao thông ùn tắc trong giờ cao điểm.",
            Pool::Place,
            NEWS,
            None,
            80,
            12,
        ),
        t(
            "Thương vụ M&A: {s} mua lại {n}% cổ phần đối tác",
            "{s} vừa hoàn tất thương vụ mua lại {n}% cổ phần, qua đó trở thành cổ đông lớn nhất của doanh nghiệp đối tác.",
            Pool::Company,
            BUSINESS,
            None,
            15,
            5,
        ),
        t(
            "Thủ tướng tiếp Bộ trưởng Ngoại giao {s}",
            "Hai bên nhất trí thúc đẩy kim ngạch thương mại song phương giữa Việt Nam và {s} đạt {n} tỷ USD trong thời gian tới.",
            Pool::Country,
            POLITICS,
            None,
            10,
            5,
        ),
        t(
            "CLB {s} giành vé dự giải châu Á sau chiến thắng {w}-{l}",
            "Thắng {w}-{l} ở vòng {n} V-League, CLB {s} chính thức giành suất dự giải đấu cấp châu lục mùa tới.",
            Pool::Place,
            SPORTS,
            None,
            18,
            1,
        ),
        t(
            "Du khách {s} chọn Việt Nam là điểm đến hàng đầu mùa đông",
            "Lượng du khách {s} đến Việt Nam tăng {n}% so với cùng kỳ, nhờ chính sách thị thực thông thoáng và nhiều đường bay thẳng.",
            Pool::Country,
            TRAVEL,
            Some(BUSINESS),
            12,
            6,
        ),
        t(
            "Việt Nam và {s} hợp tác phát triển chip bán dẫn",
            "Thỏa thuận với {s} hướng tới đào tạo {n} nghìn kỹ sư bán dẫn và xây dựng trung tâm thiết kế vi mạch.",
            Pool::Country,
            TECH,
            Some(POLITICS),
            5,
            5,
        ),
        t(
            "Bệnh viện ở {s} ứng dụng AI chẩn đoán sớm ung thư",
            "Hệ thống trí tuệ nhân tạo tại một bệnh viện ở {s} cho kết quả chính xác {n}% khi đọc phim chụp X-quang phổi.",
            Pool::Place,
            HEALTH,
            Some(TECH),
            85,
            1,
        ),
        t(
            "Phim Việt \"Mùa lúa chín\" ra mắt khán giả {s}",
            "Bộ phim được trình chiếu tại {n} rạp ở {s}, đánh dấu lần đầu điện ảnh Việt phát hành rộng rãi tại thị trường này.",
            Pool::Country,
            CULTURE,
            None,
            40,
            10,
        ),
        t(
            "Khánh thành cầu mới nối đôi bờ sông tại {s}",
            "Cây cầu dài {n} m tại {s} được đưa vào sử dụng, rút ngắn đáng kể thời gian di chuyển giữa hai bờ.",
            Pool::Place,
            NEWS,
            Some(BUSINESS),
            450,
            50,
        ),
        t(
            "{s} báo lãi quý III tăng {n}% nhờ xuất khẩu",
            "Báo cáo tài chính cho thấy lợi nhuận sau thuế quý III của {s} tăng {n}%, chủ yếu nhờ đơn hàng xuất khẩu phục hồi.",
            Pool::Company,
            BUSINESS,
            None,
            8,
            4,
        ),
        t(
            "Học sinh {s} giành {n} huy chương Olympic Toán quốc tế",
            "Đội tuyển có học sinh {s} mang về {n} huy chương, trong đó có hai huy chương vàng.",
            Pool::Place,
            NEWS,
            None,
            2,
            1,
        ),
        t(
            "Ngày hội sách & văn hóa đọc thu hút giới trẻ {s}",
            "Hơn {n} gian hàng sách cùng các buổi giao lưu tác giả thu hút đông đảo bạn trẻ {s} tham gia.",
            Pool::Place,
            CULTURE,
            None,
            60,
            5,
        ),
    ],
};

static EN: Lang = Lang {
    code: "en",
    cats: [
        "News",
        "Politics",
        "Business",
        "Sports",
        "Travel",
        "Technology",
        "Health",
        "Culture",
    ],
    teams: [
        "Thailand",
        "Indonesia",
        "Malaysia",
        "the Philippines",
        "Singapore",
        "Myanmar",
        "Cambodia",
        "Laos",
    ],
    places: [
        "Hanoi",
        "Ho Chi Minh City",
        "Da Nang",
        "Hai Phong",
        "Can Tho",
        "Hue",
        "Quang Ninh",
        "Khanh Hoa",
    ],
    commodities: [
        "rice",
        "coffee",
        "pepper",
        "rubber",
        "cashew",
        "durian",
        "dragon fruit",
        "shrimp",
    ],
    companies: [
        "Song Hong Group",
        "Hoang Long Corp",
        "Phuong Dong Bank",
        "Dai Viet Holdings",
        "Mekong Food",
        "Truong Son Group",
        "Sao Viet JSC",
        "Hong Bang Group",
    ],
    countries: [
        "Japan",
        "South Korea",
        "the US",
        "Australia",
        "Germany",
        "France",
        "India",
        "Singapore",
    ],
    authors: ["Linh Pham", "Mark Evans", "Hoa Nguyen", "Sarah Lee"],
    feed_titles: [
        "Hanoi Daily - Latest News",
        "Saigon Business & Markets",
        "Da Nang Herald",
        "Mekong Delta Times",
        "Vietnam Weekly Review",
        "Hai Phong Observer",
    ],
    description: "The latest news from across Vietnam",
    read_more: "Read more",
    templates: [
        t(
            "Vietnam beat {s} {w}-{l} at My Dinh Stadium",
            "The national team beat {s} {w}-{l} in an Asian Cup qualifier in front of more than {n},000 fans.",
            Pool::Team,
            SPORTS,
            Some(NEWS),
            20,
            2,
        ),
        t(
            "{s} lawmakers debate amended Land Law",
            "The {s} delegation to the National Assembly proposed {n} changes on compensation and resettlement.",
            Pool::Place,
            POLITICS,
            Some(NEWS),
            3,
            1,
        ),
        t(
            "Vietnam's {s} exports rise {n}% in first ten months",
            "Customs data show {s} export turnover grew {n}% year-on-year, the highest level on record.",
            Pool::Commodity,
            BUSINESS,
            None,
            5,
            3,
        ),
        t(
            "{s} welcomes {n},000 international visitors in year-end season",
            "Hotels and resorts in {s} are fully booked as the city expects {n},000 foreign arrivals in December.",
            Pool::Place,
            TRAVEL,
            None,
            120,
            15,
        ),
        t(
            "{s} launches digital payment app, draws {n},000 users",
            "Within a week, the e-wallet app from {s} signed up {n},000 users, mostly in major cities.",
            Pool::Company,
            TECH,
            Some(BUSINESS),
            50,
            10,
        ),
        t(
            "{s} records {n} dengue cases in a week",
            "Health officials in {s} urged residents to clear mosquito breeding sites after {n} dengue cases were reported.",
            Pool::Place,
            HEALTH,
            Some(NEWS),
            140,
            25,
        ),
        t(
            "\"Colours of Culture\" festival opens in {s}",
            "The {n}-day festival in {s} features ao dai shows, street food and folk art performances.",
            Pool::Place,
            CULTURE,
            Some(TRAVEL),
            3,
            1,
        ),
        t(
            "Price of {s} jumps to {n},000 VND per kilo",
            "Traders are buying {s} at {n},000 VND per kilogram as prices rise across growing regions.",
            Pool::Commodity,
            BUSINESS,
            None,
            30,
            4,
        ),
        t(
            "Heavy rain floods streets across {s}",
            "Up to {n} mm of rain left many streets in {s} under water, causing rush-hour gridlock.",
            Pool::Place,
            NEWS,
            None,
            80,
            12,
        ),
        t(
            "M&A: {s} acquires {n}% stake in partner",
            "{s} has completed the purchase of a {n}% stake, becoming the largest shareholder of its partner.",
            Pool::Company,
            BUSINESS,
            None,
            15,
            5,
        ),
        t(
            "Prime Minister receives foreign minister of {s}",
            "Both sides agreed to lift two-way trade between Vietnam and {s} to {n} billion USD.",
            Pool::Country,
            POLITICS,
            None,
            10,
            5,
        ),
        t(
            "{s} FC books AFC ticket after {w}-{l} win",
            "A {w}-{l} victory in round {n} of the V-League sealed {s} FC's place in next season's continental competition.",
            Pool::Place,
            SPORTS,
            None,
            18,
            1,
        ),
        t(
            "Tourists from {s} pick Vietnam as top winter destination",
            "Arrivals from {s} rose {n}% year-on-year thanks to easier visas and more direct flights.",
            Pool::Country,
            TRAVEL,
            Some(BUSINESS),
            12,
            6,
        ),
        t(
            "Vietnam, {s} team up on semiconductor chips",
            "The agreement with {s} aims to train {n},000 chip engineers and set up a chip design centre.",
            Pool::Country,
            TECH,
            Some(POLITICS),
            5,
            5,
        ),
        t(
            "{s} hospital uses AI for early cancer detection",
            "An artificial intelligence system at a hospital in {s} reached {n}% accuracy when reading lung X-rays.",
            Pool::Place,
            HEALTH,
            Some(TECH),
            85,
            1,
        ),
        t(
            "Vietnamese film 'Ripening Rice' premieres in {s}",
            "The film opens in {n} cinemas in {s}, the widest release yet for a Vietnamese movie there.",
            Pool::Country,
            CULTURE,
            None,
            40,
            10,
        ),
        t(
            "New bridge opens across river in {s}",
            "The {n}-metre bridge in {s} cuts travel time between the two banks significantly.",
            Pool::Place,
            NEWS,
            Some(BUSINESS),
            450,
            50,
        ),
        t(
            "{s} Q3 profit up {n}% on exports",
            "Financial statements show {s} posted a {n}% rise in after-tax profit as export orders recovered.",
            Pool::Company,
            BUSINESS,
            None,
            8,
            4,
        ),
        t(
            "{s} students win {n} medals at International Math Olympiad",
            "The team, including students from {s}, brought home {n} medals, two of them gold.",
            Pool::Place,
            NEWS,
            None,
            2,
            1,
        ),
        t(
            "Book & reading festival draws young crowds in {s}",
            "More than {n} book stalls and author talks drew crowds of young readers in {s}.",
            Pool::Place,
            CULTURE,
            None,
            60,
            5,
        ),
    ],
};

static ID: Lang = Lang {
    code: "id",
    cats: [
        "Berita",
        "Politik",
        "Ekonomi",
        "Olahraga",
        "Wisata",
        "Teknologi",
        "Kesehatan",
        "Budaya",
    ],
    teams: [
        "Thailand",
        "Indonesia",
        "Malaysia",
        "Filipina",
        "Singapura",
        "Myanmar",
        "Kamboja",
        "Laos",
    ],
    places: [
        "Hanoi",
        "Kota Ho Chi Minh",
        "Da Nang",
        "Hai Phong",
        "Can Tho",
        "Hue",
        "Quang Ninh",
        "Khanh Hoa",
    ],
    commodities: [
        "beras",
        "kopi",
        "lada",
        "karet",
        "mete",
        "durian",
        "buah naga",
        "udang",
    ],
    companies: [
        "Grup Song Hong",
        "Hoang Long Corp",
        "Bank Phuong Dong",
        "Dai Viet Holdings",
        "Mekong Food",
        "Grup Truong Son",
        "Sao Viet JSC",
        "Grup Hong Bang",
    ],
    countries: [
        "Jepang",
        "Korea Selatan",
        "Amerika Serikat",
        "Australia",
        "Jerman",
        "Prancis",
        "India",
        "Singapura",
    ],
    authors: ["Dewi Lestari", "Budi Santoso", "Rina Wijaya", "Agus Salim"],
    feed_titles: [
        "Kabar Vietnam - Berita Terkini",
        "Warta Asia Tenggara",
        "Jendela Hanoi",
        "Suara Mekong",
        "Harian Indochina",
        "Ekonomi & Bisnis Vietnam",
    ],
    description: "Berita terbaru dari seluruh Vietnam",
    read_more: "Baca selengkapnya",
    templates: [
        t(
            "Vietnam kalahkan {s} {w}-{l} di Stadion My Dinh",
            "Tim nasional menang {w}-{l} atas {s} di babak kualifikasi Piala Asia, disaksikan lebih dari {n} ribu penonton.",
            Pool::Team,
            SPORTS,
            Some(NEWS),
            20,
            2,
        ),
        t(
            "Anggota parlemen {s} bahas revisi UU Pertanahan",
            "Delegasi {s} di Majelis Nasional mengusulkan {n} perubahan terkait ganti rugi dan relokasi warga.",
            Pool::Place,
            POLITICS,
            Some(NEWS),
            3,
            1,
        ),
        t(
            "Ekspor {s} Vietnam naik {n}% dalam sepuluh bulan pertama",
            "Data bea cukai menunjukkan nilai ekspor {s} tumbuh {n}% dibanding periode yang sama tahun lalu.",
            Pool::Commodity,
            BUSINESS,
            None,
            5,
            3,
        ),
        t(
            "{s} sambut {n} ribu wisatawan asing jelang akhir tahun",
            "Hotel dan resor di {s} penuh dipesan; kota ini menargetkan {n} ribu kunjungan wisatawan asing pada Desember.",
            Pool::Place,
            TRAVEL,
            None,
            120,
            15,
        ),
        t(
            "{s} luncurkan aplikasi pembayaran digital, raih {n} ribu pengguna",
            "Dalam sepekan, dompet digital milik {s} menjaring {n} ribu pengguna, sebagian besar di kota besar.",
            Pool::Company,
            TECH,
            Some(BUSINESS),
            50,
            10,
        ),
        t(
            "{s} catat {n} kasus demam berdarah dalam sepekan",
            "Dinas kesehatan {s} mengimbau warga membersihkan sarang nyamuk setelah {n} kasus demam berdarah dilaporkan.",
            Pool::Place,
            HEALTH,
            Some(NEWS),
            140,
            25,
        ),
        t(
            "Festival \"Warna Budaya\" dibuka di {s}",
            "Festival selama {n} hari di {s} menampilkan peragaan ao dai, kuliner jalanan dan seni rakyat.",
            Pool::Place,
            CULTURE,
            Some(TRAVEL),
            3,
            1,
        ),
        t(
            "Harga {s} melonjak jadi {n} ribu VND per kilo",
            "Pedagang membeli {s} seharga {n} ribu VND per kilogram seiring kenaikan harga di daerah sentra.",
            Pool::Commodity,
            BUSINESS,
            None,
            30,
            4,
        ),
        t(
            "Hujan deras rendam sejumlah jalan di {s}",
            "Curah hujan hingga {n} mm membuat banyak jalan di {s} tergenang dan lalu lintas macet pada jam sibuk.",
            Pool::Place,
            NEWS,
            None,
            80,
            12,
        ),
        t(
            "M&A: {s} akuisisi {n}% saham mitra",
            "{s} menuntaskan pembelian {n}% saham dan menjadi pemegang saham terbesar perusahaan mitranya.",
            Pool::Company,
            BUSINESS,
            None,
            15,
            5,
        ),
        t(
            "Perdana Menteri terima Menlu {s}",
            "Kedua pihak sepakat meningkatkan perdagangan Vietnam dan {s} hingga {n} miliar dolar AS.",
            Pool::Country,
            POLITICS,
            None,
            10,
            5,
        ),
        t(
            "Klub {s} raih tiket Asia usai menang {w}-{l}",
            "Kemenangan {w}-{l} di pekan ke-{n} V-League memastikan klub {s} tampil di kompetisi Asia musim depan.",
            Pool::Place,
            SPORTS,
            None,
            18,
            1,
        ),
        t(
            "Pariwisata Vietnam menarik wisatawan {s}",
            "Kunjungan wisatawan dari {s} naik {n}% berkat kemudahan visa dan bertambahnya penerbangan langsung.",
            Pool::Country,
            TRAVEL,
            Some(BUSINESS),
            12,
            6,
        ),
        t(
            "Vietnam dan {s} kerja sama kembangkan cip semikonduktor",
            "Kesepakatan dengan {s} menargetkan pelatihan {n} ribu insinyur cip dan pusat desain sirkuit terpadu.",
            Pool::Country,
            TECH,
            Some(POLITICS),
            5,
            5,
        ),
        t(
            "Rumah sakit di {s} gunakan AI untuk deteksi dini kanker",
            "Sistem kecerdasan buatan di sebuah rumah sakit di {s} mencapai akurasi {n}% saat membaca foto rontgen paru.",
            Pool::Place,
            HEALTH,
            Some(TECH),
            85,
            1,
        ),
        t(
            "Film Vietnam 'Padi Menguning' tayang perdana di {s}",
            "Film ini diputar di {n} bioskop di {s}, rilis terluas film Vietnam di negara tersebut.",
            Pool::Country,
            CULTURE,
            None,
            40,
            10,
        ),
        t(
            "Jembatan baru diresmikan di {s}",
            "Jembatan sepanjang {n} meter di {s} memangkas waktu tempuh antara kedua tepi sungai.",
            Pool::Place,
            NEWS,
            Some(BUSINESS),
            450,
            50,
        ),
        t(
            "Laba kuartal III {s} naik {n}% berkat ekspor",
            "Laporan keuangan menunjukkan laba bersih {s} naik {n}% seiring pulihnya pesanan ekspor.",
            Pool::Company,
            BUSINESS,
            None,
            8,
            4,
        ),
        t(
            "Pelajar {s} raih {n} medali di Olimpiade Matematika Internasional",
            "Tim yang diperkuat pelajar {s} membawa pulang {n} medali, dua di antaranya emas.",
            Pool::Place,
            NEWS,
            None,
            2,
            1,
        ),
        t(
            "Festival buku & budaya baca tarik minat anak muda {s}",
            "Lebih dari {n} stan buku dan diskusi penulis menarik banyak pembaca muda di {s}.",
            Pool::Place,
            CULTURE,
            None,
            60,
            5,
        ),
    ],
};

fn lang_data(lang: &str) -> (&'static Lang, usize) {
    match lang {
        "vi" => (&VI, 0),
        "en" => (&EN, 1),
        "id" => (&ID, 2),
        other => {
            panic!("fixtures: unsupported language {other:?} (expected \"vi\", \"en\" or \"id\")")
        }
    }
}

fn pool(l: &Lang, p: Pool) -> &[&'static str; 8] {
    match p {
        Pool::Team => &l.teams,
        Pool::Place => &l.places,
        Pool::Commodity => &l.commodities,
        Pool::Company => &l.companies,
        Pool::Country => &l.countries,
    }
}

/// Replace `{s}`, `{n}`, `{w}`, `{l}` in a template.
fn fill(tpl: &str, s: &str, n: u64, w: u64, l: u64) -> String {
    tpl.replace("{s}", s)
        .replace("{n}", &n.to_string())
        .replace("{w}", &w.to_string())
        .replace("{l}", &l.to_string())
}

// ---------------------------------------------------------------------------
// Dates (proleptic Gregorian, no clock)
// ---------------------------------------------------------------------------

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date for days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Publication time of slot `slot`: counting back from 2026-11-25T00:00+07:00,
/// 53-57 minutes apart, strictly decreasing with `slot`. Slots 0..=251 (the
/// acceptance set) fall within the 10 days before 2026-11-25.
fn published_for_slot(slot: u64) -> String {
    let before = 17 + slot * 53 + (slot * 7) % 11;
    let before = i64::try_from(before).unwrap_or(i64::MAX / 4);
    let local_min = days_from_civil(2026, 11, 25) * 1440 - before;
    let days = local_min.div_euclid(1440);
    let mins = local_min.rem_euclid(1440);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00+07:00",
        mins / 60,
        mins % 60
    )
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_rfc3339(s: &str) -> Option<(i64, i64, i64, i64, i64, i64, String)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let zone = match rest {
        "Z" | "z" => "+0000".to_string(),
        r if r.len() == 6
            && (r.starts_with('+') || r.starts_with('-'))
            && r.get(3..4) == Some(":") =>
        {
            let (oh, om) = (r.get(1..3)?, r.get(4..6)?);
            if !(oh.bytes().all(|c| c.is_ascii_digit()) && om.bytes().all(|c| c.is_ascii_digit())) {
                return None;
            }
            format!("{}{oh}{om}", &r[..1])
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    Some((y, mo, d, h, mi, se, zone))
}

/// RFC 3339 -> RFC 822 (`Fri, 20 Nov 2026 08:15:00 +0700`). Unparseable input
/// is passed through unchanged.
fn rfc822(rfc3339: &str) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match parse_rfc3339(rfc3339) {
        Some((y, mo, d, h, mi, se, zone)) => {
            let wd = DAYS[days_from_civil(y, mo, d).rem_euclid(7) as usize];
            let mon = MONTHS[(mo - 1) as usize];
            format!("{wd}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{se:02} {zone}")
        }
        None => rfc3339.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------

/// Characters XML 1.0 does not allow at all are dropped.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars().filter(|&c| xml_allowed(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Wrap in a CDATA section, splitting any `]]>` in the content.
fn cdata(s: &str) -> String {
    let clean: String = s.chars().filter(|&c| xml_allowed(c)).collect();
    format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"))
}

/// A JSON string literal, quotes included.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `scheme://host[:port]` of a URL (the whole string if it has no path).
fn origin(url: &str) -> &str {
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => &url[..i + 3 + j],
            None => url,
        },
        None => url.trim_end_matches('/'),
    }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Items per feed slot used to space ordinals (the acceptance set has 13-14).
const ORD_STRIDE: usize = 14;

/// `index` selects a feed deterministically; `lang` one of "vi","en","id";
/// `n_items` items; `base_url` like "http://127.0.0.1:4567" used for item
/// links (`{base_url}/{lang}/{index}/article-{k}.html`).
pub fn make_feed(
    index: usize,
    lang: &'static str,
    format: FixtureFormat,
    n_items: usize,
    base_url: &str,
) -> FixtureFeed {
    let (l, lang_idx) = lang_data(lang);
    let base = base_url.trim_end_matches('/');
    let title = if index < l.feed_titles.len() {
        l.feed_titles[index].to_string()
    } else {
        format!(
            "{} ({})",
            l.feed_titles[index % l.feed_titles.len()],
            index / l.feed_titles.len() + 1
        )
    };

    let items = (0..n_items)
        .map(|k| {
            let ord = (index as u64).wrapping_mul(ORD_STRIDE as u64).wrapping_add(k as u64);
            let ti = (ord % 20) as usize;
            let round = ord / 20;
            let tpl = &l.templates[ti];
            let subjects = pool(l, tpl.pool);
            let subject = subjects[((round + ti as u64 * 3) % 8) as usize];
            let j = (round / 8 + round % 8) % 10;
            let n = tpl.base + tpl.step * j;
            let w = 2 + (j + ti as u64) % 3;
            let lo = (j + ti as u64) % 2;

            let item_title = fill(tpl.title, subject, n, w, lo);
            let lead = fill(tpl.lead, subject, n, w, lo);
            let link = format!("{base}/{lang}/{index}/article-{k}.html");
            let guid = format!("tag:fixtures.bantin.test,2026:{lang}/{index}/{k}");

            let alt = html_escape(&item_title);
            let img = match ord % 4 {
                0 => format!(
                    "<a href=\"{}\"><img src=\"{base}/images/{lang}/{index}/thumb-{k}.jpg\" alt=\"{alt}\" width=\"500\" height=\"300\"></a>",
                    html_escape(&link)
                ),
                1 => format!("<img src=\"/images/{lang}/{index}/thumb-{k}.jpg\" alt=\"{alt}\">"),
                3 => format!("<img src=\"images/thumb-{index}-{k}.jpg\" alt=\"{alt}\">"),
                _ => String::new(),
            };
            let more = if ord % 3 == 1 {
                format!(" <a href=\"{}\">{}</a>", html_escape(&link), html_escape(l.read_more))
            } else {
                String::new()
            };
            let summary_html = format!("{img}<p>{}{more}</p>", html_escape(&lead));

            let slot = ord.wrapping_mul(3).wrapping_add(lang_idx as u64);
            let published = published_for_slot(slot);

            let categories = if ord % 5 == 4 {
                Vec::new()
            } else {
                let mut c = vec![l.cats[tpl.primary].to_string()];
                // The secondary label only on alternate blocks of five.
                if let Some(s) = tpl.secondary.filter(|_| (ord / 5) & 1 == 0) {
                    c.push(l.cats[s].to_string());
                }
                c
            };

            FixtureItem { guid, link, title: item_title, summary_html, published, categories }
        })
        .collect();

    FixtureFeed {
        title,
        lang: l.code,
        format,
        items,
    }
}

/// The 18-feed set used by the acceptance test: 6 feeds per language (vi, en,
/// id), formats cycling Rss2, Atom, JsonFeed, Rss2, Atom, JsonFeed, and item
/// counts (13 or 14 each: two 14s per language) summing to exactly 240.
/// GUIDs and titles are unique across the whole set; publication times are
/// distinct and lie between 2026-11-15 and 2026-11-25 (+07:00).
pub fn acceptance_set(base_url: &str) -> Vec<FixtureFeed> {
    const LANGS: [&str; 3] = ["vi", "en", "id"];
    const FORMATS: [FixtureFormat; 3] = [
        FixtureFormat::Rss2,
        FixtureFormat::Atom,
        FixtureFormat::JsonFeed,
    ];
    let mut out = Vec::with_capacity(18);
    for (li, lang) in LANGS.into_iter().enumerate() {
        for i in 0..6 {
            let n = if (i + li) % 3 == 0 { 14 } else { 13 };
            out.push(make_feed(i, lang, FORMATS[i % 3], n, base_url));
        }
    }
    out
}

/// Serialize a feed to its document text. `self_url` is the URL the feed is served at.
pub fn render(feed: &FixtureFeed, self_url: &str) -> String {
    match feed.format {
        FixtureFormat::Rss2 => render_rss(feed, self_url),
        FixtureFormat::Atom => render_atom(feed, self_url),
        FixtureFormat::JsonFeed => render_json(feed, self_url),
    }
}

/// Content-Type to serve a fixture document with.
pub fn content_type(format: &FixtureFormat) -> &'static str {
    match format {
        FixtureFormat::Rss2 => "application/rss+xml; charset=utf-8",
        FixtureFormat::Atom => "application/atom+xml; charset=utf-8",
        FixtureFormat::JsonFeed => "application/feed+json; charset=utf-8",
    }
}

// ---------------------------------------------------------------------------
// Renderers
// ---------------------------------------------------------------------------

fn description_for(feed: &FixtureFeed) -> &'static str {
    match feed.lang {
        "vi" => VI.description,
        "id" => ID.description,
        _ => EN.description,
    }
}

fn author_for(feed: &FixtureFeed, pos: usize) -> &'static str {
    let authors = match feed.lang {
        "vi" => &VI.authors,
        "id" => &ID.authors,
        _ => &EN.authors,
    };
    authors[pos % authors.len()]
}

/// Newest publication time of the feed (all fixture times share one format
/// and offset, so the lexicographic maximum is the latest).
fn feed_updated(feed: &FixtureFeed) -> String {
    feed.items
        .iter()
        .map(|i| i.published.as_str())
        .max()
        .unwrap_or("2026-11-25T00:00:00+07:00")
        .to_string()
}

fn render_rss(feed: &FixtureFeed, self_url: &str) -> String {
    let home = format!("{}/", origin(self_url));
    let mut s = String::with_capacity(1024 + feed.items.len() * 1024);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n");
    s.push_str("  <channel>\n");
    s.push_str(&format!("    <title>{}</title>\n", xml_escape(&feed.title)));
    s.push_str(&format!("    <link>{}</link>\n", xml_escape(&home)));
    s.push_str(&format!(
        "    <description>{}</description>\n",
        xml_escape(description_for(feed))
    ));
    s.push_str(&format!(
        "    <language>{}</language>\n",
        xml_escape(feed.lang)
    ));
    s.push_str(&format!(
        "    <lastBuildDate>{}</lastBuildDate>\n",
        rfc822(&feed_updated(feed))
    ));
    s.push_str("    <generator>bantin test fixtures</generator>\n");
    s.push_str(&format!(
        "    <atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        xml_escape(self_url)
    ));
    for item in &feed.items {
        s.push_str("    <item>\n");
        s.push_str(&format!(
            "      <title>{}</title>\n",
            xml_escape(&item.title)
        ));
        s.push_str(&format!("      <link>{}</link>\n", xml_escape(&item.link)));
        s.push_str(&format!(
            "      <guid isPermaLink=\"false\">{}</guid>\n",
            xml_escape(&item.guid)
        ));
        s.push_str(&format!(
            "      <pubDate>{}</pubDate>\n",
            xml_escape(&rfc822(&item.published))
        ));
        s.push_str(&format!(
            "      <description>{}</description>\n",
            cdata(&item.summary_html)
        ));
        for c in &item.categories {
            s.push_str(&format!("      <category>{}</category>\n", xml_escape(c)));
        }
        s.push_str("    </item>\n");
    }
    s.push_str("  </channel>\n</rss>\n");
    s
}

fn render_atom(feed: &FixtureFeed, self_url: &str) -> String {
    let home = format!("{}/", origin(self_url));
    let mut s = String::with_capacity(1024 + feed.items.len() * 1280);
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        xml_escape(feed.lang)
    ));
    s.push_str(&format!("  <id>{}</id>\n", xml_escape(self_url)));
    s.push_str(&format!("  <title>{}</title>\n", xml_escape(&feed.title)));
    s.push_str(&format!(
        "  <subtitle>{}</subtitle>\n",
        xml_escape(description_for(feed))
    ));
    s.push_str(&format!(
        "  <updated>{}</updated>\n",
        xml_escape(&feed_updated(feed))
    ));
    s.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_escape(self_url)
    ));
    s.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_escape(&home)
    ));
    s.push_str("  <generator>bantin test fixtures</generator>\n");
    for (pos, item) in feed.items.iter().enumerate() {
        s.push_str("  <entry>\n");
        s.push_str(&format!("    <id>{}</id>\n", xml_escape(&item.guid)));
        s.push_str(&format!("    <title>{}</title>\n", xml_escape(&item.title)));
        s.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_escape(&item.link)
        ));
        s.push_str(&format!(
            "    <published>{}</published>\n",
            xml_escape(&item.published)
        ));
        s.push_str(&format!(
            "    <updated>{}</updated>\n",
            xml_escape(&item.published)
        ));
        s.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            xml_escape(author_for(feed, pos))
        ));
        s.push_str(&format!(
            "    <summary type=\"html\">{}</summary>\n",
            xml_escape(&item.summary_html)
        ));
        for c in &item.categories {
            s.push_str(&format!("    <category term=\"{}\"/>\n", xml_escape(c)));
        }
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

fn render_json(feed: &FixtureFeed, self_url: &str) -> String {
    let home = format!("{}/", origin(self_url));
    let mut s = String::with_capacity(1024 + feed.items.len() * 1024);
    s.push_str("{\n");
    s.push_str("  \"version\": \"https://jsonfeed.org/version/1.1\",\n");
    s.push_str(&format!("  \"title\": {},\n", json_str(&feed.title)));
    s.push_str(&format!("  \"home_page_url\": {},\n", json_str(&home)));
    s.push_str(&format!("  \"feed_url\": {},\n", json_str(self_url)));
    s.push_str(&format!(
        "  \"description\": {},\n",
        json_str(description_for(feed))
    ));
    s.push_str(&format!("  \"language\": {},\n", json_str(feed.lang)));
    s.push_str("  \"items\": [");
    for (pos, item) in feed.items.iter().enumerate() {
        s.push_str(if pos == 0 { "\n" } else { ",\n" });
        s.push_str("    {\n");
        s.push_str(&format!("      \"id\": {},\n", json_str(&item.guid)));
        s.push_str(&format!("      \"url\": {},\n", json_str(&item.link)));
        s.push_str(&format!("      \"title\": {},\n", json_str(&item.title)));
        s.push_str(&format!(
            "      \"content_html\": {},\n",
            json_str(&item.summary_html)
        ));
        s.push_str(&format!(
            "      \"date_published\": {},\n",
            json_str(&item.published)
        ));
        s.push_str(&format!(
            "      \"authors\": [{{ \"name\": {} }}]",
            json_str(author_for(feed, pos))
        ));
        if !item.categories.is_empty() {
            let tags: Vec<String> = item.categories.iter().map(|c| json_str(c)).collect();
            s.push_str(&format!(",\n      \"tags\": [{}]", tags.join(", ")));
        }
        s.push_str("\n    }");
    }
    if !feed.items.is_empty() {
        s.push_str("\n  ");
    }
    s.push_str("]\n}\n");
    s
}
