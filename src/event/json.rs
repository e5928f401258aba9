//! The hand-written JSON object writer of webhook bodies (the hot path at high event
//! rates): the fields are listed first, so the body is allocated once at its exact size and
//! handed to [`Bytes`] without a copy; keys come quoted, with their comma and colon, so a
//! field takes few writes. Produces the same bytes serde_json would, with the keys in the
//! order listed or in the order the platform's Java `HashMap` iterates them
//! ([`KeyOrder`]).

use bytes::Bytes;

use super::java_order;
use super::profile::KeyOrder;

/// A field's key as written after the previous field (`,"name":`), and the key's Java
/// `HashMap` spread hash. Made by [`key!`], at compile time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    /// `,"name":`.
    pub(super) text: &'static str,
    /// `java_order::spread` of the name's Java `String.hashCode`.
    pub(super) spread: u32,
}

/// The [`Key`] of field `name` (an ASCII literal that needs no escaping).
macro_rules! key {
    ($name:literal) => {
        const {
            $crate::event::json::Key {
                text: concat!(",\"", $name, "\":"),
                spread: $crate::event::java_order::ascii_spread($name),
            }
        }
    };
}
pub(crate) use key;

impl Key {
    /// As written after another field.
    fn after(self) -> &'static [u8] {
        self.text.as_bytes()
    }

    /// As written first (no comma).
    fn first(self) -> &'static [u8] {
        &self.text.as_bytes()[1..]
    }

    /// The bare name.
    #[cfg(test)]
    pub(super) fn name(self) -> &'static str {
        self.text.trim_start_matches(",\"").trim_end_matches("\":")
    }
}

/// A field's value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value<'a> {
    /// ASCII that needs no escaping: ids and fixed names (checked in debug builds).
    Plain(&'a [u8]),
    /// Any string, escaped as JSON requires.
    Text(&'a str),
    /// An integer.
    Int(i64),
}

impl Value<'_> {
    /// The bytes the value takes, assuming a `Text` needs no escaping (if it does, the body
    /// grows once while it is written).
    fn len(self) -> usize {
        match self {
            Value::Plain(s) => s.len() + 2,
            Value::Text(s) => s.len() + 2,
            Value::Int(v) => {
                let digits = v
                    .unsigned_abs()
                    .checked_ilog10()
                    .map_or(1, |d| d as usize + 1);
                digits + usize::from(v < 0)
            }
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        match self {
            Value::Plain(s) => {
                debug_assert!(s.is_ascii() && is_plain(s), "{s:?} needs escaping");
                write_quoted(out, s);
            }
            Value::Text(s) if is_plain(s.as_bytes()) => write_quoted(out, s.as_bytes()),
            Value::Text(s) => {
                if serde_json::to_writer(&mut *out, s).is_err() {
                    // Writing a &str into a Vec cannot fail; keep the body valid JSON regardless.
                    out.extend_from_slice(b"\"\"");
                }
            }
            Value::Int(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        }
    }
}

/// The JSON object of `fields` in `order`, `None` fields omitted.
pub(super) fn object(fields: &[(Key, Option<Value<'_>>)], order: KeyOrder) -> Bytes {
    let mut out = Vec::with_capacity(size(fields));
    out.push(b'{');
    let mut first = true;
    let put = |(k, v): (Key, Value<'_>)| {
        out.extend_from_slice(if first { k.first() } else { k.after() });
        first = false;
        v.write(&mut out);
    };
    match order {
        KeyOrder::Listed => present(fields).for_each(put),
        KeyOrder::JavaHashMap => {
            let (action, rest) = fields.split_at(fields.len().min(1));
            let inserted = present(rest).chain(present(action));
            java_order::visit(inserted, |(k, _)| k.spread, put);
        }
    }
    out.push(b'}');
    Bytes::from(out)
}

fn present<'f, 'a>(
    fields: &'f [(Key, Option<Value<'a>>)],
) -> impl Iterator<Item = (Key, Value<'a>)> + Clone + 'f {
    fields.iter().filter_map(|&(k, v)| Some((k, v?)))
}

/// The body's size when no `Text` needs escaping: `{}`, plus per field `,"key":` and the
/// value, less the first field's comma.
fn size(fields: &[(Key, Option<Value<'_>>)]) -> usize {
    let fields: usize = present(fields).map(|(k, v)| k.text.len() + v.len()).sum();
    fields.max(1) + 1
}

/// Whether `s` can be written between quotes as is (no quote, backslash or control byte).
/// Branch-free over the bytes, so the compiler vectorises it.
fn is_plain(s: &[u8]) -> bool {
    s.iter()
        .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'))
}

fn write_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(s);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json writes for the same fields.
    fn expected(fields: &[(Key, Option<Value<'_>>)]) -> Vec<u8> {
        let json = |v: serde_json::Value| serde_json::to_string(&v).expect("json");
        let pairs: Vec<String> = present(fields)
            .map(|(k, v)| {
                let v = match v {
                    Value::Plain(s) => json(String::from_utf8_lossy(s).into()),
                    Value::Text(s) => json(s.into()),
                    Value::Int(n) => json(n.into()),
                };
                format!("{}:{v}", json(k.name().into()))
            })
            .collect();
        format!("{{{}}}", pairs.join(",")).into_bytes()
    }

    #[test]
    fn objects_are_what_serde_json_writes_and_sized_exactly() {
        let cases: [&[(Key, Option<Value<'_>>)]; 5] = [
            &[],
            &[(key!("a"), None)],
            &[
                (key!("skip"), None),
                (key!("id"), Some(Value::Plain(b"0123abcd"))),
                (key!("n"), Some(Value::Int(0))),
                (key!("neg"), Some(Value::Int(-1_700_000_000_123))),
                (key!("min"), Some(Value::Int(i64::MIN))),
                (key!("max"), Some(Value::Int(i64::MAX))),
                (key!("t"), Some(Value::Text("ticket=1 \u{fc}n\u{ef}code"))),
            ],
            &[
                (key!("n"), Some(Value::Int(9))),
                (key!("m"), Some(Value::Int(10))),
            ],
            &[(key!("only"), Some(Value::Plain(b"")))],
        ];
        for fields in cases {
            let body = object(fields, KeyOrder::Listed);
            assert_eq!(body, expected(fields));
            assert_eq!(body.len(), size(fields), "{body:?}");
        }
    }

    #[test]
    fn java_order_puts_the_first_field_last_and_sorts_by_bucket_then_insertion() {
        // action → bucket 9, event and type → 12 (event put first), id → 11.
        let fields = [
            (key!("action"), Some(Value::Plain(b"event_notify"))),
            (key!("event"), Some(Value::Plain(b"e"))),
            (key!("skipped"), None),
            (key!("id"), Some(Value::Plain(b"i"))),
            (key!("type"), Some(Value::Plain(b"t"))),
        ];
        let body = object(&fields, KeyOrder::JavaHashMap);
        assert_eq!(
            body,
            r#"{"action":"event_notify","id":"i","event":"e","type":"t"}"#.as_bytes()
        );
        assert_eq!(body.len(), size(&fields));
        assert_eq!(object(&[], KeyOrder::JavaHashMap), "{}".as_bytes());
    }

    #[test]
    fn text_is_escaped_like_serde_json() {
        for s in [
            "quote \" here",
            "back\\slash",
            "new\nline\t\u{1}",
            "del\u{7f}",
        ] {
            let fields = [(key!("k"), Some(Value::Text(s)))];
            assert_eq!(
                object(&fields, KeyOrder::Listed),
                expected(&fields),
                "{s:?}"
            );
        }
    }
}
