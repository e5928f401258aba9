//! Field checks every event family shares: only the allowed keys and none empty, 32-hex
//! ids, epoch-millisecond times, values from a closed list, fields required, optional or
//! forbidden.

use serde_json::{Map, Value};

/// Whether `s` is 32 lowercase hex digits (the platform's ids).
pub(super) fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The smallest `current_time`, `begin_time` or `end_time` taken for epoch milliseconds
/// (2001-09-09); a smaller number is seconds or garbage.
const EPOCH_MS_MIN: i64 = 1_000_000_000_000;

/// Whether a field must, may or must not be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// It must be there.
    Required,
    /// It may be there.
    Optional,
    /// It must not be there; the text says why (`for type call_out`).
    Forbidden(&'static str),
}

impl Need {
    /// `Required` when `yes`, else `Forbidden(why)`.
    pub(super) fn required_or_forbidden(yes: bool, why: &'static str) -> Self {
        if yes {
            Need::Required
        } else {
            Need::Forbidden(why)
        }
    }
}

/// The fields of one event body, and the problems found in them.
pub(super) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    /// Problems found so far.
    pub(super) out: Vec<String>,
}

impl<'a> Fields<'a> {
    /// The fields of `obj`, no problem found yet.
    pub(super) fn new(obj: &'a Map<String, Value>) -> Self {
        Self {
            obj,
            out: Vec::new(),
        }
    }

    /// Records problem `p`.
    pub(super) fn problem(&mut self, p: String) {
        self.out.push(p);
    }

    /// Every key not in `allowed` is unexpected, and every empty value (null or blank)
    /// should have been omitted.
    pub(super) fn allow_only(&mut self, allowed: &[&str]) {
        for (k, v) in self.obj {
            if !allowed.contains(&k.as_str()) {
                self.out.push(format!("unexpected field {k:?}"));
            }
            if v.as_str().is_some_and(|s| s.trim().is_empty()) || v.is_null() {
                self.out
                    .push(format!("empty field {k:?} should be omitted"));
            }
        }
    }

    /// Whether `name` is there.
    pub(super) fn has(&self, name: &str) -> bool {
        self.obj.contains_key(name)
    }

    /// The text of `name`, if it is a string.
    pub(super) fn text(&self, name: &str) -> Option<&'a str> {
        self.obj.get(name).and_then(Value::as_str)
    }

    /// Checks presence only: `name` there when required, absent when forbidden. Whether it
    /// is there.
    pub(super) fn presence(&mut self, name: &str, need: Need) -> bool {
        let there = self.has(name);
        match need {
            Need::Required if !there => self.out.push(format!("{name} missing")),
            Need::Forbidden(why) if there => self.out.push(format!("{name} present {why}")),
            _ => {}
        }
        there
    }

    /// `name` is 32 lowercase hex, when there, and there as `need` says.
    pub(super) fn hex(&mut self, name: &str, need: Need) {
        if self.presence(name, need)
            && !matches!(need, Need::Forbidden(_))
            && !self.text(name).is_some_and(is_hex32)
        {
            self.out.push(format!("{name} is not 32 lowercase hex"));
        }
    }

    /// `name` is a string, when there, and there as `need` says; its text.
    pub(super) fn string(&mut self, name: &str, need: Need) -> Option<&'a str> {
        if self.presence(name, need) && self.text(name).is_none() {
            self.out.push(format!("{name} is not a string"));
        }
        self.text(name)
    }

    /// `name` is one of `values`, when there, and there as `need` says; its value when it
    /// is one of them.
    pub(super) fn one_of(
        &mut self,
        name: &str,
        values: &[&'static str],
        need: Need,
    ) -> Option<&'static str> {
        if !self.presence(name, need) || matches!(need, Need::Forbidden(_)) {
            return None;
        }
        let found = self
            .text(name)
            .and_then(|t| values.iter().copied().find(|v| *v == t));
        if found.is_none() {
            self.out.push(format!(
                "{name} {} is not one of {}",
                self.obj.get(name).map(Value::to_string).unwrap_or_default(),
                values.join("|")
            ));
        }
        found
    }

    /// `name`, required, is an integer of epoch milliseconds; its value when it is.
    pub(super) fn epoch_ms(&mut self, name: &str) -> Option<i64> {
        match self.obj.get(name).map(Value::as_i64) {
            None => self.out.push(format!("{name} missing")),
            Some(Some(t)) if t >= EPOCH_MS_MIN => return Some(t),
            Some(_) => self
                .out
                .push(format!("{name} is not an integer of epoch milliseconds")),
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(v: Value, check: impl FnOnce(&mut Fields<'_>)) -> Vec<String> {
        let obj = v.as_object().cloned().unwrap_or_default();
        let mut f = Fields::new(&obj);
        check(&mut f);
        f.out
    }

    #[test]
    fn each_check_names_the_field_and_what_is_wrong() {
        let hex = "0123456789abcdef0123456789abcdef";
        let v = json!({"a": hex, "b": "ABC", "e": "", "n": null, "t": 1_700_000_000_000i64,
                       "s": 1_700_000_000, "x": "enter"});
        assert_eq!(
            problems(v.clone(), |f| f.allow_only(&["a", "b", "e", "t", "s", "x"])),
            [
                "empty field \"e\" should be omitted",
                "unexpected field \"n\"",
                "empty field \"n\" should be omitted"
            ]
        );
        assert!(problems(v.clone(), |f| f.hex("a", Need::Required)).is_empty());
        assert_eq!(
            problems(v.clone(), |f| f.hex("b", Need::Optional)),
            ["b is not 32 lowercase hex"]
        );
        assert_eq!(
            problems(v.clone(), |f| f.hex("z", Need::Required)),
            ["z missing"]
        );
        assert!(problems(v.clone(), |f| f.hex("z", Need::Optional)).is_empty());
        assert_eq!(
            problems(v.clone(), |f| f.hex("a", Need::Forbidden("for type ivr"))),
            ["a present for type ivr"]
        );
        assert_eq!(
            problems(v.clone(), |f| {
                f.epoch_ms("t");
                f.epoch_ms("s");
                f.epoch_ms("z");
            }),
            ["s is not an integer of epoch milliseconds", "z missing"]
        );
        assert_eq!(
            problems(v.clone(), |f| {
                assert_eq!(
                    f.one_of("x", &["enter", "exit"], Need::Required),
                    Some("enter")
                );
                f.one_of("b", &["enter", "exit"], Need::Optional);
            }),
            ["b \"ABC\" is not one of enter|exit"]
        );
        assert_eq!(
            problems(v, |f| {
                f.string("t", Need::Required);
            }),
            ["t is not a string"]
        );
    }
}
