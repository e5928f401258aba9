//! The hand-written JSON object writer of webhook bodies (the hot path at high event
//! rates): the fields are listed first, so the body is allocated once at its exact size and
//! handed to [`Bytes`] without a copy; keys come quoted, with their comma and colon, so a
//! field takes few writes. Produces the same bytes serde_json would.

use bytes::Bytes;

/// A field's key as written after the previous field: `,"name":`. Made by [`key!`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Key(pub &'static str);

/// The [`Key`] of field `name` (a literal that needs no escaping).
macro_rules! key {
    ($name:literal) => {
        $crate::event::json::Key(concat!(",\"", $name, "\":"))
    };
}
pub(crate) use key;

impl Key {
    /// As written after another field.
    fn after(self) -> &'static [u8] {
        self.0.as_bytes()
    }

    /// As written first (no comma).
    fn first(self) -> &'static [u8] {
        &self.0.as_bytes()[1..]
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

/// The JSON object of `fields` in their order, `None` fields omitted.
pub(super) fn object(fields: &[(Key, Option<Value<'_>>)]) -> Bytes {
    let mut out = Vec::with_capacity(size(fields));
    out.push(b'{');
    for (i, (k, v)) in present(fields).enumerate() {
        out.extend_from_slice(if i == 0 { k.first() } else { k.after() });
        v.write(&mut out);
    }
    out.push(b'}');
    Bytes::from(out)
}

fn present<'f, 'a>(
    fields: &'f [(Key, Option<Value<'a>>)],
) -> impl Iterator<Item = (Key, Value<'a>)> + 'f {
    fields.iter().filter_map(|&(k, v)| Some((k, v?)))
}

/// The body's size when no `Text` needs escaping: `{}`, plus per field `,"key":` and the
/// value, less the first field's comma.
fn size(fields: &[(Key, Option<Value<'_>>)]) -> usize {
    let fields: usize = present(fields).map(|(k, v)| k.0.len() + v.len()).sum();
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
                let name = k.0.trim_start_matches(",\"").trim_end_matches("\":");
                format!("{}:{v}", json(name.into()))
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
            let body = object(fields);
            assert_eq!(body, expected(fields));
            assert_eq!(body.len(), size(fields), "{body:?}");
        }
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
            assert_eq!(object(&fields), expected(&fields), "{s:?}");
        }
    }
}
