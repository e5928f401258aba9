//! The order in which Java's `HashMap` iterates its keys, which is the order the platform's
//! Jackson writes a webhook body's keys in (it serialises a `HashMap`): bucket by bucket,
//! and within a bucket in insertion order. A key's bucket is `spread(hash) & (capacity - 1)`,
//! where `hash` is Java's `String.hashCode` (`s[0]*31^(n-1) + … + s[n-1]`, wrapping `i32`
//! arithmetic over UTF-16 code units), `spread(h)` is `h ^ (h >>> 16)`, and the capacity
//! starts at 16 and doubles whenever the size exceeds three quarters of it. Doubling keeps
//! the relative order of the keys that share a bucket, so the final capacity alone decides.
//!
//! The keys' spread hashes are computed at compile time ([`ascii_spread`] in `key!`), so
//! ordering a body costs a scan of at most `capacity × keys` comparisons and no allocation.

/// Java's `String.hashCode` of `s`: wrapping `i32`, over UTF-16 code units.
#[cfg(test)]
pub(super) fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `HashMap.hash`: the hash's high half folded into its low half (`h ^ (h >>> 16)`).
pub(super) const fn spread(hash: i32) -> u32 {
    let h = hash as u32;
    h ^ (h >> 16)
}

/// [`spread`] of [`string_hash`] of `name`, at compile time; for ASCII names, whose bytes
/// are their UTF-16 code units (a unit test checks every key the builder writes).
pub(super) const fn ascii_spread(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let mut h: i32 = 0;
    let mut i = 0;
    while i < bytes.len() {
        h = h.wrapping_mul(31).wrapping_add(bytes[i] as i32);
        i += 1;
    }
    spread(h)
}

/// The table's capacity once `size` keys are in a `new HashMap<>()`: 16, doubled while the
/// size exceeds three quarters of it.
pub(super) fn capacity(size: usize) -> usize {
    let mut capacity = 16;
    while size > capacity / 4 * 3 {
        capacity *= 2;
    }
    capacity
}

/// Calls `visit` with each entry of `inserted` (the entries in the order they were put,
/// each key once) in the order a Java `HashMap` iterates them; `spread_of` gives an entry's
/// key's [`spread`] hash.
pub(super) fn visit<T: Copy>(
    inserted: impl Iterator<Item = T> + Clone,
    spread_of: impl Fn(T) -> u32,
    mut visit: impl FnMut(T),
) {
    let size = inserted.clone().count();
    let mask = capacity(size) as u32 - 1;
    let mut seen = 0;
    // Buckets in index order; a bucket's keys in insertion order. Stops after the last key.
    for bucket in 0..=mask {
        for entry in inserted.clone() {
            if spread_of(entry) & mask == bucket {
                visit(entry);
                seen += 1;
            }
        }
        if seen == size {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys in Java `HashMap` order, put in the order given.
    fn order<'a>(keys: &[&'a str]) -> Vec<&'a str> {
        let mut out = Vec::new();
        visit(
            keys.iter().copied(),
            |k| spread(string_hash(k)),
            |k| {
                out.push(k);
            },
        );
        out
    }

    #[test]
    fn string_hash_is_javas() {
        // Values Java prints for "".hashCode(), "a".hashCode(), "id".hashCode(),
        // "action".hashCode() and "中文".hashCode().
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        // 'i' = 105, 'd' = 100: 105*31 + 100 = 3355.
        assert_eq!(string_hash("id"), 3355);
        assert_eq!(string_hash("action"), -1_422_950_858);
        // '中' = 0x4E2D = 20013, '文' = 0x6587 = 25991: 20013*31 + 25991 = 646394.
        assert_eq!(string_hash("中文"), 646_394);
        // A character outside the BMP counts as its two UTF-16 surrogates: 0xD83D, 0xDE00.
        assert_eq!(string_hash("😀"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn ascii_spread_at_compile_time_is_spread_of_string_hash() {
        for k in ["", "action", "event", "subaccount_id", "agent_extension_id"] {
            assert_eq!(ascii_spread(k), spread(string_hash(k)), "{k}");
        }
        const ID: u32 = ascii_spread("id");
        assert_eq!(ID, 3355, "short hashes have no high half to fold in");
    }

    #[test]
    fn the_capacity_doubles_when_the_size_exceeds_three_quarters() {
        assert_eq!(capacity(0), 16);
        assert_eq!(capacity(12), 16);
        assert_eq!(capacity(13), 32);
        assert_eq!(capacity(24), 32);
        assert_eq!(capacity(25), 64);
    }

    #[test]
    fn a_begin_body_is_ordered_by_bucket_then_insertion() {
        // Inserted as the platform's conversationBeginEvent puts them, `action` last.
        // hashCode → spread (h ^ h>>>16) → bucket (& 15):
        //   event          96891546 = 0x05c6729a → 0x05c6775c → 12
        //   id                 3355 = 0x00000d1b → 0x00000d1b → 11
        //   subaccount_id 2025261741 = 0x78b70aad → 0x78b7721a → 10
        //   type            3575610 = 0x00368f3a → 0x00368f0c → 12 (after event: put later)
        //   queue_id    -1164479735 = 0xba977309 → 0xba97c99e → 14
        //   agent_call_id 170755938 = 0x0a2d8762 → 0x0a2d8d4f → 15
        //   user_data     339043230 = 0x1435639e → 0x143577ab → 11 (after id)
        //   action      -1422950858 = 0xab2f7e36 → 0xab2fd519 →  9
        let inserted = [
            "event",
            "id",
            "subaccount_id",
            "type",
            "queue_id",
            "agent_call_id",
            "user_data",
            "action",
        ];
        assert_eq!(
            order(&inserted),
            [
                "action",
                "subaccount_id",
                "id",
                "user_data",
                "event",
                "type",
                "queue_id",
                "agent_call_id"
            ]
        );
    }

    #[test]
    fn keys_sharing_a_bucket_keep_their_insertion_order() {
        // name 3373707 = 0x00337a8b → 0x00337ab8 → 8; latest_state 620869081 = 0x2501b5d9
        // → 0x250190d8 → 8; agent_extension_id -1983025131 = 0x89cd7015 → 0x89cdf9d8 → 8.
        assert_eq!(
            order(&["latest_state", "name", "agent_extension_id"]),
            ["latest_state", "name", "agent_extension_id"]
        );
        assert_eq!(
            order(&["agent_extension_id", "name", "latest_state"]),
            ["agent_extension_id", "name", "latest_state"]
        );
    }

    #[test]
    fn thirteen_keys_spread_over_thirty_two_buckets() {
        // With 13 keys the table has 32 buckets: `type` (spread 0x00368f0c) moves to
        // bucket 12 & 31 = 12 while `event` (0x05c6775c) moves to 0x1c = 28, so `type`
        // now comes first; `name` (0x00337ab8) goes to 24.
        let keys = [
            "event", "name", "type", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12",
        ];
        let got = order(&keys);
        let pos = |k: &str| got.iter().position(|g| *g == k).expect(k);
        assert!(
            pos("type") < pos("name") && pos("name") < pos("event"),
            "{got:?}"
        );
        // With 12 keys (16 buckets) `event` and `type` share bucket 12, in insertion order,
        // and `name` (bucket 8) is before both.
        let got = order(&keys[..12]);
        let pos = |k: &str| got.iter().position(|g| *g == k).expect(k);
        assert!(
            pos("name") < pos("event") && pos("event") < pos("type"),
            "{got:?}"
        );
        assert_eq!(got.len(), 12);
    }
}
