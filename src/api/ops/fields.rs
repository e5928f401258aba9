//! A JSON object body read field by field: a field not in the endpoint's list, a value of
//! the wrong type, a missing required field or a blank string is refused with `000001`
//! naming the field (`skills[1].score: …`). `null` counts as absent.

use std::ops::RangeInclusive;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::operation::{Code, Refusal};

/// A `000001` refusal saying `detail`.
pub(super) fn bad(detail: impl Into<String>) -> Refusal {
    Refusal::new(Code::BadParameter, detail)
}

/// The fields of one JSON object, taken one by one.
#[derive(Debug)]
pub(super) struct Fields {
    map: Map<String, Value>,
    /// How fields are named in messages (`skills[0].`).
    prefix: String,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Fields {
    /// The object `body` holds, with only `allowed` fields.
    pub(super) fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, Refusal> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(bad("body: empty, expected a JSON object"));
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|e| bad(format!("body: not JSON ({e})")))?;
        Self::object(value, String::new(), allowed, "body")
    }

    /// `value` as an object with only `allowed` fields, named `prefix…` in messages;
    /// `what` names `value` itself.
    pub(super) fn object(
        value: Value,
        prefix: String,
        allowed: &[&str],
        what: &str,
    ) -> Result<Self, Refusal> {
        let Value::Object(map) = value else {
            return Err(bad(format!(
                "{what}: expected a JSON object, got {}",
                kind(&value)
            )));
        };
        if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(format!("unknown field \"{prefix}{key}\"")));
        }
        Ok(Self { map, prefix })
    }

    /// The message's name of field `key`.
    pub(super) fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|v| !v.is_null())
    }

    fn missing(&self, key: &str) -> Refusal {
        bad(format!("{}: missing", self.name(key)))
    }

    fn wrong(&self, key: &str, want: &str, got: &Value) -> Refusal {
        bad(format!(
            "{}: expected {want}, got {}",
            self.name(key),
            kind(got)
        ))
    }

    /// A string field that may be empty (`user_data`, `remark`).
    pub(super) fn opt_any_text(&mut self, key: &str) -> Result<Option<String>, Refusal> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(key, "a string", &other)),
        }
    }

    /// An optional string field, not blank when given.
    pub(super) fn opt_text(&mut self, key: &str) -> Result<Option<String>, Refusal> {
        match self.opt_any_text(key)? {
            Some(s) if s.trim().is_empty() => Err(bad(format!("{}: empty", self.name(key)))),
            other => Ok(other),
        }
    }

    /// A required string field, not blank.
    pub(super) fn text(&mut self, key: &str) -> Result<String, Refusal> {
        self.opt_text(key)?.ok_or_else(|| self.missing(key))
    }

    /// [`Fields::opt_any_text`] as shared text.
    pub(super) fn opt_any_arc(&mut self, key: &str) -> Result<Option<Arc<str>>, Refusal> {
        Ok(self.opt_any_text(key)?.map(Arc::from))
    }

    /// An optional whole number in `range`.
    pub(super) fn opt_int(
        &mut self,
        key: &str,
        range: RangeInclusive<i64>,
    ) -> Result<Option<i64>, Refusal> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        let Some(n) = value.as_i64() else {
            if value.is_number() {
                return Err(bad(format!(
                    "{}: {value} is not a whole number from {} to {}",
                    self.name(key),
                    range.start(),
                    range.end()
                )));
            }
            return Err(self.wrong(key, "a whole number", &value));
        };
        if !range.contains(&n) {
            return Err(bad(format!(
                "{}: {n} is not from {} to {}",
                self.name(key),
                range.start(),
                range.end()
            )));
        }
        Ok(Some(n))
    }

    /// A required whole number in `range`.
    pub(super) fn int(&mut self, key: &str, range: RangeInclusive<i64>) -> Result<i64, Refusal> {
        self.opt_int(key, range)?.ok_or_else(|| self.missing(key))
    }

    /// An optional boolean.
    pub(super) fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, Refusal> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.wrong(key, "true or false", &other)),
        }
    }

    /// An optional array.
    pub(super) fn opt_array(&mut self, key: &str) -> Result<Option<Vec<Value>>, Refusal> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(self.wrong(key, "an array", &other)),
        }
    }

    /// A required array.
    pub(super) fn array(&mut self, key: &str) -> Result<Vec<Value>, Refusal> {
        self.opt_array(key)?.ok_or_else(|| self.missing(key))
    }
}
