//! A serde `Deserializer` over [`Node`]s whose errors know where they happened: the span of
//! the innermost value (or key) that failed and the field path to it
//! (`conversations[0].timeline[2].at`). [`Located`] fields additionally keep their span for
//! the semantic checks that run after deserialization. Used by `reader` to read each part of
//! a file into the [`model`](super::model) types.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer};

use super::node::{Key, Node, Value};

/// A deserialization error with its position and field path.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    /// Where it went wrong, once known.
    pub span: Option<Range<usize>>,
    /// Field path, innermost segment first while bubbling up.
    path: Vec<String>,
    /// What is wrong.
    pub message: String,
}

impl DeError {
    fn at(mut self, span: &Range<usize>) -> Self {
        if self.span.is_none() {
            self.span = Some(span.clone());
        }
        self
    }

    fn within(mut self, segment: String) -> Self {
        self.path.push(segment);
        self
    }

    /// The field path, outermost first: `timeline[2].at`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in self.path.iter().rev() {
            if !seg.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            span: None,
            path: Vec::new(),
            message: msg.to_string(),
        }
    }
}

/// Deserializes a `T` from a node.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Node) -> Result<T, DeError> {
    T::deserialize(node).map_err(|e| e.at(&node.span))
}

/// A value with the byte range it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// Byte range in the source.
    pub span: Range<usize>,
    /// The value.
    pub value: T,
}

const LOCATED: &str = "$__ccsim_located";
const LOCATED_FIELDS: &[&str] = &["$__start", "$__end", "$__value"];

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
                let mut start = 0usize;
                let mut end = 0usize;
                let mut value = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "$__start" => start = map.next_value()?,
                        "$__end" => end = map.next_value()?,
                        _ => value = Some(map.next_value()?),
                    }
                }
                let value = value.ok_or_else(|| de::Error::custom("missing value"))?;
                Ok(Located {
                    span: start..end,
                    value,
                })
            }
        }
        d.deserialize_struct(LOCATED, LOCATED_FIELDS, V(std::marker::PhantomData))
    }
}

/// Feeds a located node as the three-field map `Located` expects.
struct LocatedAccess<'a> {
    node: &'a Node,
    state: usize,
}

impl<'de> de::MapAccess<'de> for LocatedAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(name) = LOCATED_FIELDS.get(self.state) else {
            return Ok(None);
        };
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let state = self.state;
        self.state += 1;
        match state {
            0 => seed.deserialize((self.node.span.start as u64).into_deserializer()),
            1 => seed.deserialize((self.node.span.end as u64).into_deserializer()),
            _ => seed.deserialize(self.node),
        }
    }
}

struct SeqAccess<'a> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(node)
            .map(Some)
            .map_err(|e| e.at(&node.span).within(format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    value: Option<&'a (Key, Node)>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        let key: de::value::StrDeserializer<'_, DeError> =
            entry.0.name.as_str().into_deserializer();
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.at(&entry.0.span))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, node)) = self.value.take() else {
            return Err(de::Error::custom("value without a key"));
        };
        seed.deserialize(node)
            .map_err(|e| e.at(&node.span).within(key.name.clone()))
    }
}

/// Externally tagged enums: a string (unit variant) or a one-key table.
struct EnumAccess<'a> {
    name: &'a str,
    span: &'a Range<usize>,
    value: Option<&'a Node>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = DeError;
    type Variant = VariantAccess<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DeError> {
        let name: de::value::StrDeserializer<'_, DeError> = self.name.into_deserializer();
        let v = seed.deserialize(name).map_err(|e| e.at(self.span))?;
        Ok((v, VariantAccess { value: self.value }))
    }
}

struct VariantAccess<'a> {
    value: Option<&'a Node>,
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            None => Ok(()),
            Some(n) => Err(<DeError as de::Error>::custom("expected a plain string").at(&n.span)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        match self.value {
            Some(n) => seed.deserialize(n),
            None => Err(de::Error::custom("expected a value for this variant")),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Some(n) => de::Deserializer::deserialize_seq(n, visitor),
            None => Err(de::Error::custom("expected an array for this variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            Some(n) => de::Deserializer::deserialize_map(n, visitor),
            None => Err(de::Error::custom("expected a table for this variant")),
        }
    }
}

impl<'de> Deserializer<'de> for &'de Node {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(SeqAccess {
                items: items.iter(),
                index: 0,
            }),
            Value::Table(entries) => visitor.visit_map(MapAccess {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|e| e.at(&self.span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(|e| e.at(&self.span))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| e.at(&self.span))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED {
            return visitor.visit_map(LocatedAccess {
                node: self,
                state: 0,
            });
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let access = match &self.value {
            Value::Str(s) => EnumAccess {
                name: s,
                span: &self.span,
                value: None,
            },
            Value::Table(entries) if entries.len() == 1 => EnumAccess {
                name: &entries[0].0.name,
                span: &entries[0].0.span,
                value: Some(&entries[0].1),
            },
            _ => return self.deserialize_any(visitor),
        };
        visitor.visit_enum(access).map_err(|e| e.at(&self.span))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::scenario::node::{Syntax, parse};

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[allow(dead_code)]
        inner: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        n: Located<u32>,
    }

    #[test]
    fn errors_name_the_innermost_span_and_the_field_path() {
        let text = r#"{"inner": [{"n": 1}, {"n": "two"}]}"#;
        let node = parse(text, Syntax::Json).expect("valid");
        let err = from_node::<Outer>(&node).unwrap_err();
        assert_eq!(err.path(), "inner[1].n");
        assert_eq!(&text[err.span.clone().expect("span")], "\"two\"");
        assert!(
            err.message.starts_with("invalid type: string \"two\""),
            "{}",
            err.message
        );
    }

    #[test]
    fn unknown_fields_point_at_the_key() {
        let text = "[[inner]]\nn = 1\nm = 2\n";
        let node = parse(text, Syntax::Toml).expect("valid");
        let err = from_node::<Outer>(&node).unwrap_err();
        assert_eq!(&text[err.span.clone().expect("span")], "m");
        assert_eq!(err.message, "unknown field `m`, expected `n`");
    }

    #[test]
    fn located_values_keep_their_span() {
        let text = "[[inner]]\nn = 42\n";
        let node = parse(text, Syntax::Toml).expect("valid");
        let Value::Array(items) = &node.get("inner").expect("inner").value else {
            panic!("array")
        };
        let inner: Inner = from_node(&items[0]).expect("valid");
        assert_eq!(inner.n.value, 42);
        assert_eq!(&text[inner.n.span], "42");
    }
}
