//! Identifier newtypes and their generation, in the formats the platform uses: fully
//! random 32-hex ids for conversations, calls, queue tasks
//! and recordings; Hibernate `UUIDHexGenerator`-shaped 32-hex ids for extensions and
//! sub-accounts; realistic Chinese phone numbers.

use std::fmt;
use std::sync::Arc;

use rand::Rng;

use crate::shard::Shard;

/// The two lowercase hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        pairs[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
        i += 1;
    }
    pairs
};

/// A 32-character lowercase hexadecimal identifier, stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hex32([u8; 32]);

impl Hex32 {
    /// Parses a 32-character hex string (either case; stored lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        let bytes = s.as_bytes();
        if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut out = [0u8; 32];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_lowercase();
        }
        Some(Self(out))
    }

    /// Sixteen random bytes as 32 hex digits, like the platform's `UUIDGenerator.uuid()`.
    pub fn random(rng: &mut impl Rng) -> Self {
        Self::from_u128(rng.random::<u128>())
    }

    /// Like [`Hex32::random`], from the same draw, moved into `shard`'s part of the id
    /// space ([`Shard::place`]): no two shards of a run can make the same id, and the whole
    /// run's ids are exactly those of [`Hex32::random`].
    pub fn random_in(rng: &mut impl Rng, shard: Shard) -> Self {
        Self::from_u128(shard.place(rng.random::<u128>()))
    }

    fn from_u128(value: u128) -> Self {
        let pairs = value.to_be_bytes().map(|byte| HEX_PAIRS[usize::from(byte)]);
        let mut out = [0u8; 32];
        out.copy_from_slice(pairs.as_flattened());
        Self(out)
    }

    /// A Hibernate `UUIDHexGenerator`-shaped id: IP (8) + JVM start (8) + high time (4) +
    /// low time (8) + counter (4), as extension, agent and sub-account ids are.
    pub fn hibernate(ip: u32, jvm_start: u32, time_ms: i64, counter: u16) -> Self {
        let time = time_ms as u64;
        let hi = ((time >> 32) & 0xffff) as u128;
        let lo = (time & 0xffff_ffff) as u128;
        let value = (u128::from(ip) << 96)
            | (u128::from(jvm_start) << 64)
            | (hi << 48)
            | (lo << 16)
            | u128::from(counter);
        Self::from_u128(value)
    }

    /// The id's 32 ASCII hex digits.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        // Every constructor writes ASCII hex digits only.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Hex32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Hex32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl serde::Serialize for Hex32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub Hex32);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }
    };
}

id_newtype!(
    /// A conversation (交谈) id.
    ConversationId
);
id_newtype!(
    /// A call (leg) id: customer, agent, or external callee.
    CallId
);
id_newtype!(
    /// A queue task id (one ACD request).
    QueueId
);
id_newtype!(
    /// An agent's extension id.
    ExtensionId
);
id_newtype!(
    /// A recording file id.
    RecordFileId
);

/// Generates realistic caller and callee numbers.
pub fn phone_number(rng: &mut impl Rng) -> Arc<str> {
    let mut number = Digits::default();
    // Mostly mobiles (11 digits, 13x–19x); some landlines with their area code.
    if rng.random_bool(0.8) {
        let second = rng.random_range(3..=9u8);
        number.push_str("1");
        number.push_padded(second.into(), 1);
        number.push_padded(rng.random_range(0..1_000_000_000u32), 9);
    } else {
        const AREAS: &[(&str, u32)] = &[
            ("010", 8),
            ("020", 8),
            ("021", 8),
            ("0755", 8),
            ("0571", 8),
            ("028", 8),
            ("0731", 7),
        ];
        let (area, digits) = AREAS[rng.random_range(0..AREAS.len())];
        let first = rng.random_range(2..=8u32);
        let rest = rng.random_range(0..10u32.pow(digits - 1));
        number.push_str(area);
        number.push_padded(first, 1);
        number.push_padded(rest, digits as usize - 1);
    }
    Arc::from(number.as_str())
}

/// A phone number being written: digits inline, so only the final `Arc<str>` allocates.
#[derive(Default)]
struct Digits {
    buf: [u8; 16],
    len: usize,
}

impl Digits {
    fn push_str(&mut self, s: &str) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }

    /// Appends `value` as exactly `width` decimal digits, zero-padded (`value` fits).
    fn push_padded(&mut self, mut value: u32, width: usize) {
        for d in self.buf[self.len..self.len + width].iter_mut().rev() {
            *d = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len += width;
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits are written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn is_hex32(s: &str) -> bool {
        s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn random_ids_are_32_lowercase_hex_and_seed_determined() {
        let mut a = ChaCha8Rng::seed_from_u64(7);
        let mut b = ChaCha8Rng::seed_from_u64(7);
        let x = Hex32::random(&mut a);
        assert!(is_hex32(x.as_str()), "{x}");
        assert_eq!(x, Hex32::random(&mut b));
        assert_ne!(x, Hex32::random(&mut a));
    }

    #[test]
    fn shards_of_one_seed_never_make_the_same_id() {
        // Every shard draws from the same seed here: the worst case for collisions.
        let mut seen = std::collections::HashMap::new();
        for count in [1u32, 2, 3, 4, 16] {
            seen.clear();
            for index in 0..count {
                let shard = Shard::new(index, count).unwrap();
                let mut rng = ChaCha8Rng::seed_from_u64(11);
                for _ in 0..5_000 {
                    let id = Hex32::random_in(&mut rng, shard);
                    let value = u128::from_str_radix(id.as_str(), 16).unwrap();
                    assert!(shard.owns_id(value), "{shard} {id}");
                    assert_eq!(
                        seen.insert(id, index),
                        None,
                        "{id} in two shards of {count}"
                    );
                }
            }
        }
        // The whole run's ids are the plain random ones.
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(5), ChaCha8Rng::seed_from_u64(5));
        assert_eq!(
            Hex32::random_in(&mut a, Shard::WHOLE),
            Hex32::random(&mut b)
        );
    }

    #[test]
    fn hibernate_ids_put_ip_jvm_time_and_counter_in_their_fields() {
        let id = Hex32::hibernate(0x4028_8aca, 0x5876_5982, 0x0158_765c_305f, 0);
        assert_eq!(id.as_str(), "40288aca587659820158765c305f0000");
    }

    #[test]
    fn parse_accepts_only_32_hex_digits() {
        assert!(Hex32::parse("40288ACA587659820158765C305F0000").is_some());
        assert!(Hex32::parse("40288aca").is_none());
        assert!(Hex32::parse("g0288aca587659820158765c305f0000").is_none());
    }

    #[test]
    fn ids_are_the_hex_digits_of_their_value_most_significant_first() {
        let value = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
        assert_eq!(
            Hex32::from_u128(value).as_str(),
            format!("{value:032x}"),
            "the same digits as formatting"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..1_000 {
            let value: u128 = rng.random();
            assert_eq!(Hex32::from_u128(value).as_str(), format!("{value:032x}"));
        }
    }

    #[test]
    fn phone_numbers_are_the_formatted_draws() {
        // The numbers written digit by digit are those `format!` writes from the same draws.
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(9), ChaCha8Rng::seed_from_u64(9));
        for _ in 0..2_000 {
            let expected = if b.random_bool(0.8) {
                let second = b.random_range(3..=9u8);
                format!("1{second}{:09}", b.random_range(0..1_000_000_000u32))
            } else {
                let areas = [8, 8, 8, 8, 8, 8, 7];
                let names = ["010", "020", "021", "0755", "0571", "028", "0731"];
                let i = b.random_range(0..areas.len());
                let first = b.random_range(2..=8u32);
                let rest = b.random_range(0..10u32.pow(areas[i] - 1));
                let width = (areas[i] - 1) as usize;
                format!("{}{first}{rest:0width$}", names[i])
            };
            assert_eq!(&*phone_number(&mut a), expected);
        }
    }

    #[test]
    fn phone_numbers_look_like_mobiles_or_landlines() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..500 {
            let n = phone_number(&mut rng);
            assert!(n.bytes().all(|b| b.is_ascii_digit()), "{n}");
            if n.starts_with('1') {
                assert_eq!(n.len(), 11, "{n}");
                assert!((b'3'..=b'9').contains(&n.as_bytes()[1]), "{n}");
            } else {
                assert!(n.starts_with('0') && (11..=12).contains(&n.len()), "{n}");
            }
        }
    }
}
