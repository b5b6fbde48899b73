//! Story profiles of stored items, kept between fetches by the one writer.
//!
//! Clustering compares a new item with candidates read from the store, and checks the members
//! of the stories it would join; each of those needs its [`Profile`], built from its stored
//! text. Building them was a quarter of a first poll's instructions, nearly all of it on the
//! writer, and the same recent items come back as candidates item after item (a story's
//! reports arrive close together).
//!
//! An entry is used only while the item's language and text hash as they did when the
//! profile was built, so no write (an update, a rolled-back fetch whose ids are reused,
//! another process) has to invalidate anything: a changed item simply misses.
//!
//! Eviction is generational, an LRU approximation with O(1) steps: entries live in `young`
//! until it holds [`GENERATION`] of them; then `young` becomes `old` and the previous `old`
//! is dropped. A hit in `old` moves the entry back to `young`.

use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::HashMapExt;

use crate::story::{self, Profile};

/// Entries per generation: at most twice this many profiles are kept (a profile is ~10 KB:
/// its words, features and names).
pub(super) const GENERATION: usize = 256;

struct Entry {
    /// Hash of the language and text the profile was built from.
    inputs: u64,
    profile: Arc<Profile>,
}

#[derive(Default)]
pub(super) struct ProfileMemo {
    young: foldhash::HashMap<i64, Entry>,
    old: foldhash::HashMap<i64, Entry>,
    /// Seeded per process; a 64-bit hash of an item's own text decides only whether that
    /// item's profile is rebuilt.
    hasher: foldhash::quality::RandomState,
    pub(super) hits: u64,
    pub(super) misses: u64,
}

impl ProfileMemo {
    fn inputs(&self, lang: &str, text: &str) -> u64 {
        self.hasher.hash_one((lang, text))
    }

    /// The profile of stored item `id`, whose language is `lang` and clustered text (see
    /// `story::story_text`) is `text`: the kept one if it was built from the same, else built
    /// now and kept.
    pub(super) fn profile(&mut self, id: i64, lang: &str, text: &str) -> Arc<Profile> {
        let inputs = self.inputs(lang, text);
        let found = match self.young.get(&id) {
            Some(e) if e.inputs == inputs => Some(e.profile.clone()),
            _ => match self.old.remove(&id) {
                Some(e) if e.inputs == inputs => {
                    let profile = e.profile.clone();
                    self.insert(id, e);
                    Some(profile)
                }
                _ => None,
            },
        };
        if let Some(profile) = found {
            self.hits += 1;
            return profile;
        }
        self.misses += 1;
        let (headline, summary) = story::split_story_text(text);
        let profile = Arc::new(Profile::new(lang, headline, summary));
        self.insert(
            id,
            Entry {
                inputs,
                profile: profile.clone(),
            },
        );
        profile
    }

    /// Keeps `profile`, just built for item `id` from `lang` and `text`: the item is likely a
    /// candidate of the next reports of its story.
    pub(super) fn keep(&mut self, id: i64, lang: &str, text: &str, profile: Arc<Profile>) {
        let inputs = self.inputs(lang, text);
        self.insert(id, Entry { inputs, profile });
    }

    fn insert(&mut self, id: i64, entry: Entry) {
        if self.young.len() >= GENERATION && !self.young.contains_key(&id) {
            self.old = std::mem::replace(
                &mut self.young,
                foldhash::HashMap::with_capacity(GENERATION),
            );
        }
        self.old.remove(&id);
        self.young.insert(id, entry);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Quorvane bridge collapses\nTwelve people were hurt in Tesmarin.";

    #[test]
    fn a_kept_profile_is_reused_only_for_the_same_text_and_language() {
        let mut memo = ProfileMemo::default();
        let first = memo.profile(7, "en", TEXT);
        assert_eq!((memo.hits, memo.misses), (0, 1));
        assert!(Arc::ptr_eq(&first, &memo.profile(7, "en", TEXT)));
        assert_eq!((memo.hits, memo.misses), (1, 1));
        // The item was updated: its new text gets a new profile.
        let updated = memo.profile(7, "en", "Quorvane bridge reopens\nTraffic is back.");
        assert!(!Arc::ptr_eq(&first, &updated));
        assert!(updated.features.contains_key("reope"));
        assert!(!updated.features.contains_key("colla"));
        // Another language is another profile.
        let vi = memo.profile(7, "vi", TEXT);
        assert_eq!(vi.lang, "vi");
        assert_eq!(memo.misses, 3);
    }

    #[test]
    fn memory_is_bounded_and_recently_used_profiles_stay() {
        let mut memo = ProfileMemo::default();
        let kept = memo.profile(0, "en", TEXT);
        for id in 1..(3 * GENERATION as i64) {
            memo.profile(id, "en", TEXT);
            // Item 0 is used all along, so it is never the oldest.
            assert!(Arc::ptr_eq(&kept, &memo.profile(0, "en", TEXT)));
            assert!(memo.len() <= 2 * GENERATION);
        }
        let misses = memo.misses;
        memo.profile(1, "en", TEXT);
        assert_eq!(memo.misses, misses + 1, "long unused: dropped");
    }
}
