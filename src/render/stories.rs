//! One item per story: the canonical item of each story (from the feed with the highest
//! `[[feed]] priority`, then the earliest), with the other outlets that reported it.

use std::collections::HashMap;

use crate::config::Config;
use crate::model::StoredItem;

/// Another outlet's report of the same story.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// The outlet's feed name.
    pub source: String,
    /// Its article.
    pub link: Option<String>,
}

/// Who an item counts as: the host of its article (without `www.`), else its feed. Two
/// section feeds of one newspaper are one outlet.
pub fn outlet(item: &StoredItem) -> String {
    item.link
        .as_deref()
        .and_then(|l| url::Url::parse(l).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
        })
        .unwrap_or_else(|| format!("feed:{}", item.feed))
}

fn priority(config: &Config, item: &StoredItem) -> i64 {
    config.feed(&item.feed).map_or(0, |f| f.priority)
}

/// The canonical member of a story: highest feed priority, then earliest, then first stored.
pub fn canonical<'a>(config: &Config, members: &'a [StoredItem]) -> Option<&'a StoredItem> {
    members.iter().min_by(|a, b| {
        priority(config, b)
            .cmp(&priority(config, a))
            .then(a.published.cmp(&b.published))
            .then(a.id.cmp(&b.id))
    })
}

/// Collapses `items` (newest first, as queried) to one item per story, in the order the
/// stories first appear, keeping stories carried by at least `min_sources` outlets, at most
/// `limit`. `members` holds every item of those stories (any order).
pub fn collapse(
    config: &Config,
    items: &[StoredItem],
    members: &[StoredItem],
    min_sources: usize,
    limit: usize,
) -> (Vec<StoredItem>, Vec<Vec<Related>>) {
    let mut by_story: HashMap<i64, Vec<StoredItem>> = HashMap::new();
    for m in members {
        by_story.entry(m.story).or_default().push(m.clone());
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut related = Vec::new();
    for item in items {
        if out.len() >= limit {
            break;
        }
        if !seen.insert(item.story) {
            continue;
        }
        let group = by_story
            .get(&item.story)
            .cloned()
            .unwrap_or_else(|| vec![item.clone()]);
        let Some(head) = canonical(config, &group) else {
            continue;
        };
        let head_outlet = outlet(head);
        let mut outlets = vec![head_outlet.clone()];
        let mut also = Vec::new();
        let mut others: Vec<&StoredItem> = group.iter().filter(|m| m.id != head.id).collect();
        others.sort_by(|a, b| a.published.cmp(&b.published).then(a.id.cmp(&b.id)));
        for m in others {
            let o = outlet(m);
            if outlets.contains(&o) {
                continue;
            }
            outlets.push(o);
            also.push(Related {
                source: m.feed.clone(),
                link: m.link.clone(),
            });
        }
        if outlets.len() < min_sources.max(1) {
            continue;
        }
        out.push(head.clone());
        related.push(also);
    }
    (out, related)
}
