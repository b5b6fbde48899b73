//! WebSub publishing: when outputs change, tell each configured hub (`[publish] hubs`) so
//! subscribers get the new items without polling. Pings are batched (debounced), retried
//! with backoff, and logged; a hub that stays down never blocks anything else.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use url::Url;

/// Changes arriving within this window are announced together.
pub const DEBOUNCE: Duration = Duration::from_secs(2);
/// Delays before the 2nd, 3rd and 4th attempt of a failed ping.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(60),
];

/// Sends `hub.mode=publish` for `topic` to `hub`, retrying failures. Returns whether the hub
/// accepted it (any 2xx).
pub async fn ping(client: &reqwest::Client, hub: &Url, topic: &str) -> bool {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.url", topic)
        .finish();
    for attempt in 0..=RETRY_DELAYS.len() {
        let result = client
            .post(hub.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => {
                tracing::info!(hub = %hub, topic, "WebSub hub notified");
                return true;
            }
            Ok(r) => {
                tracing::warn!(hub = %hub, topic, status = r.status().as_u16(), attempt, "WebSub hub refused the ping")
            }
            Err(e) => tracing::warn!(hub = %hub, topic, attempt, "WebSub ping failed: {e}"),
        }
        if let Some(delay) = RETRY_DELAYS.get(attempt) {
            tokio::time::sleep(*delay).await;
        }
    }
    tracing::error!(hub = %hub, topic, "giving up on this WebSub ping");
    false
}

/// Collects changed output URLs from `changes` and pings every hub for them, batched.
pub async fn run(
    hubs: watch::Receiver<Vec<Url>>,
    mut changes: mpsc::UnboundedReceiver<Vec<String>>,
    mut stop: watch::Receiver<bool>,
) {
    crate::fetch::install_crypto_provider();
    let client = match reqwest::Client::builder()
        .user_agent(crate::fetch::USER_AGENT)
        .timeout(Duration::from_secs(15))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("WebSub disabled: cannot build an HTTP client: {e}");
            return;
        }
    };
    loop {
        let mut topics: BTreeSet<String> = BTreeSet::new();
        tokio::select! {
            msg = changes.recv() => match msg {
                Some(urls) => topics.extend(urls),
                None => return,
            },
            _ = stop.changed() => return,
        }
        // Gather what else changes shortly after, then announce once.
        let deadline = tokio::time::Instant::now() + DEBOUNCE;
        loop {
            tokio::select! {
                msg = changes.recv() => match msg {
                    Some(urls) => topics.extend(urls),
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
                _ = stop.changed() => return,
            }
        }
        let hubs = hubs.borrow().clone();
        if hubs.is_empty() {
            continue;
        }
        let client = client.clone();
        // Pings run on their own so a slow hub never delays the next batch.
        tokio::spawn(async move {
            for hub in &hubs {
                for topic in &topics {
                    ping(&client, hub, topic).await;
                }
            }
        });
    }
}
