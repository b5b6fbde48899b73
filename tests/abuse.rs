//! Endpoint abuse against the real binary: slowloris (half-sent headers held open), 10k
//! concurrent idle connections, huge URLs and headers, path traversal, unknown methods. The
//! server must stay responsive for other clients, keep its memory bounded, and answer with
//! clean 4xx (never 5xx).

mod common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("local.rss");
    std::fs::write(&feed, "<rss version=\"2.0\"><channel><title>T</title><link>http://example.test/</link><item><guid>1</guid><title>Tin</title><link>http://example.test/1</link></item></channel></rss>").unwrap();
    let entries = vec![common::FeedEntry {
        name: "Local".into(),
        url: "local.rss".into(),
        lang: Some("vi".into()),
        categories: vec![],
    }];
    let path = common::write_config(dir.path(), &entries, "");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "base_url = \"http://news.test\"",
        "base_url = \"http://news.test\"\nheader_timeout = \"1s\"",
    );
    std::fs::write(&path, text).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bantin"));
    cmd.arg("--config")
        .arg(&path)
        .args(["run", "--listen", "127.0.0.1:0"]);
    let (child, addr, _log) = common::spawn_run(cmd);
    Server {
        child,
        addr,
        _dir: dir,
    }
}

impl Server {
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// Sends raw bytes and returns the status code of the answer (None: closed without one).
async fn raw(addr: &str, request: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(request).await.ok()?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A normal client is still served promptly.
async fn healthy(addr: &str) -> Duration {
    let t = Instant::now();
    let status = tokio::time::timeout(
        Duration::from_secs(3),
        raw(
            addr,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ),
    )
    .await
    .expect("a normal request must not hang");
    assert_eq!(status, Some(200));
    t.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_dropped_and_others_served() {
    let server = start();
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(&server.addr).await.unwrap();
        s.write_all(b"GET /feeds/vi.rss HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        held.push(s);
    }
    assert!(healthy(&server.addr).await < Duration::from_secs(1));
    // After the 1 s header timeout every half-sent request has been dropped.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut closed = 0;
    for s in &mut held {
        let mut b = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(200), s.read(&mut b)).await {
            Ok(Ok(_)) | Ok(Err(_)) => closed += 1, // EOF or an error response then EOF
            Err(_) => {}
        }
    }
    assert_eq!(closed, held.len(), "half-sent requests must be dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_connections_leave_the_server_responsive() {
    let server = start();
    let before = server.rss_kib();
    let mut idle = Vec::with_capacity(10_000);
    for _ in 0..20 {
        let batch: Vec<_> = (0..500)
            .map(|_| TcpStream::connect(server.addr.clone()))
            .collect();
        idle.extend(
            futures_util::future::join_all(batch)
                .await
                .into_iter()
                .flatten(),
        );
    }
    assert!(idle.len() >= 9_000, "opened {}", idle.len());
    let latency = healthy(&server.addr).await;
    let during = server.rss_kib();
    println!(
        "10k idle: {} open, healthz in {latency:?}, RSS {before} KiB -> {during} KiB",
        idle.len()
    );
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    assert!(
        during < before + 256 * 1024,
        "memory grew by {} KiB",
        during - before
    );
    drop(idle);
    assert!(healthy(&server.addr).await < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_clean_client_errors() {
    let server = start();
    let a = &server.addr;
    let long_path = format!(
        "GET /feeds/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(100_000)
    );
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "b".repeat(200_000)
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n",
        "X-H: 1\r\n".repeat(5_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("long path", long_path.into_bytes()),
        ("huge header", huge_header.into_bytes()),
        ("many headers", many_headers.into_bytes()),
        ("traversal", b"GET /feeds/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("encoded traversal", b"GET /feeds/..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("dot-encoded traversal", b"GET /feeds/%2e%2e/%2e%2e/etc/passwd.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("backslash traversal", b"GET /feeds/..\\..\\etc\\passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("PROPFIND", b"PROPFIND / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("DELETE", b"DELETE /feeds/vi.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("made-up method", b"BREW /coffee HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("garbage", b"\x00\x01\x02 nonsense\r\n\r\n".to_vec()),
        ("body on GET", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\nxxxx".to_vec()),
    ];
    for (name, req) in cases {
        let status = raw(a, &req).await;
        if let Some(s) = status {
            assert!(
                (400..500).contains(&s) || (name == "body on GET" && s == 200),
                "{name}: {s}"
            );
        }
        // Nothing from the file system leaks, whatever the answer.
        let mut s = TcpStream::connect(a).await.unwrap();
        s.write_all(&req[..req.len().min(4096)]).await.ok();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut buf)).await;
        assert!(
            !String::from_utf8_lossy(&buf).contains("root:"),
            "{name} leaked a file"
        );
        healthy(a).await;
    }
}
