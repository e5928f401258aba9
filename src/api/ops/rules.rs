//! The value rules of the control endpoints, each refusing with `000001` naming the field:
//! agent names, 32-hex ids, phone numbers, agent states (by profile), modes, ACD
//! expressions and `<enqueue>` documents.

use std::collections::HashMap;
use std::sync::Arc;

use super::fields::{Fields, bad};
use crate::acd::{enqueue, expr};
use crate::operation::{Enqueue, Mode, Page, Refusal};

/// Longest agent name.
pub(super) const MAX_AGENT_NAME: usize = 32;
/// Longest extension part of a state (`busy/…`).
pub(super) const MAX_STATE_EXTENSION: usize = 256;
/// Longest phone number.
pub(super) const MAX_NUMBER: usize = 32;
/// Longest call (`max_answer_seconds`, `max_dial_seconds`): the platform's 6 h.
pub(super) const MAX_CALL_SECONDS: i64 = 21_600;

/// An agent name: 1 to 32 letters, digits or `_`.
pub(super) fn agent_name(field: &str, name: &str) -> Result<Arc<str>, Refusal> {
    if name.is_empty() {
        return Err(bad(format!("{field}: empty")));
    }
    if name.chars().count() > MAX_AGENT_NAME {
        return Err(bad(format!(
            "{field}: \"{name}\" is longer than {MAX_AGENT_NAME} characters"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(bad(format!(
            "{field}: \"{name}\" has '{c}'; only letters, digits and _ are allowed"
        )));
    }
    Ok(name.into())
}

/// A platform id: 32 hexadecimal digits (kept as given).
pub(super) fn hex32(field: &str, id: &str) -> Result<Arc<str>, Refusal> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.into())
    } else {
        Err(bad(format!(
            "{field}: \"{id}\" is not 32 hexadecimal digits"
        )))
    }
}

/// A phone number: 1 to 32 of digits, `+`, `-`, `*`, `#`.
pub(super) fn number(field: &str, number: &str) -> Result<Arc<str>, Refusal> {
    let ok = !number.is_empty()
        && number.chars().count() <= MAX_NUMBER
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '*' | '#'));
    if ok {
        Ok(number.into())
    } else {
        Err(bad(format!(
            "{field}: \"{number}\" is not a phone number (1 to {MAX_NUMBER} digits, + - * #)"
        )))
    }
}

/// What a state field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StateRule {
    /// The documented profile: `idle`, `busy[/x]`, `away[/x]` (login: also `online`),
    /// the part after `/` 1 to 256 characters.
    Documented,
    /// The platform profile: any non-blank string, as the platform's code accepts.
    Platform,
}

/// A state for `POST agent/{name}/state` (`login`: the initial state of a login).
pub(super) fn state(
    rule: StateRule,
    field: &str,
    state: &str,
    login: bool,
) -> Result<Arc<str>, Refusal> {
    if state.trim().is_empty() {
        return Err(bad(format!("{field}: empty")));
    }
    if rule == StateRule::Platform {
        return Ok(state.into());
    }
    let (base, extension) = match state.split_once('/') {
        Some((base, extension)) => (base, Some(extension)),
        None => (state, None),
    };
    let base_ok = match base {
        "busy" | "away" => true,
        "idle" | "online" => extension.is_none() && (base == "idle" || login),
        _ => false,
    };
    let accepted = if login {
        "idle, online, busy, away, busy/… or away/…"
    } else {
        "idle, busy, away, busy/… or away/…"
    };
    if !base_ok {
        return Err(bad(format!(
            "{field}: \"{state}\" is not one of {accepted}"
        )));
    }
    if let Some(extension) = extension {
        let n = extension.chars().count();
        if n == 0 || n > MAX_STATE_EXTENSION {
            return Err(bad(format!(
                "{field}: the part after \"{base}/\" must be 1 to {MAX_STATE_EXTENSION} characters, not {n}"
            )));
        }
    }
    Ok(state.into())
}

/// The optional `mode` field (1 to 4), `default` when absent.
pub(super) fn mode(fields: &mut Fields, default: Option<u8>) -> Result<Mode, Refusal> {
    match fields.opt_int("mode", 1..=4)? {
        Some(n) => Ok(Mode(u8::try_from(n).unwrap_or(1))),
        None => default
            .map(Mode)
            .ok_or_else(|| bad(format!("{}: missing", fields.name("mode")))),
    }
}

/// A whole number already checked to fit, as a `u32`.
pub(super) fn u32_of(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An ACD expression field: it must parse and be of type `want`.
pub(super) fn expression(field: &str, src: &str, want: expr::Type) -> Result<Arc<str>, Refusal> {
    let parsed = expr::Expr::parse(src).map_err(|e| bad(format!("{field}: {e}")))?;
    if parsed.ty() != want {
        return Err(bad(format!(
            "{field}: the expression is {}, expected {want}",
            parsed.ty()
        )));
    }
    Ok(src.into())
}

/// The `enqueue` field: an `<enqueue>` document, its `reserve_state` checked as a state.
pub(super) fn enqueue(rule: StateRule, fields: &mut Fields) -> Result<Enqueue, Refusal> {
    let xml = fields.text("enqueue")?;
    let name = fields.name("enqueue");
    let parsed = enqueue::parse(&xml).map_err(|e| bad(format!("{name}: {e}")))?;
    if let Some(reserve) = &parsed.reserve_state {
        state(rule, &format!("{name}: reserve_state"), reserve, false)?;
    }
    Ok(parsed)
}

/// Largest `pageSize` ("小于2000": below 2000).
pub(super) const MAX_PAGE_SIZE: u64 = 1999;

/// `pageNo` (default 1) and `pageSize` (default 20, at most [`MAX_PAGE_SIZE`]) of a list.
pub(super) fn page(query: &HashMap<String, String>) -> Result<Page, Refusal> {
    let read = |key: &str, default: u64, max: u64| match query.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                bad(format!(
                    "{key}: \"{text}\" is not a whole number from 1 to {max}"
                ))
            }),
    };
    Ok(Page {
        number: read("pageNo", 1, i32::MAX as u64)?,
        size: read("pageSize", 20, MAX_PAGE_SIZE)?,
    })
}

/// The `force` of a logout: `true` or `false` (default).
pub(super) fn flag(query: &HashMap<String, String>, key: &str) -> Result<bool, Refusal> {
    match query.get(key).map(String::as_str) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(bad(format!("{key}: \"{other}\" is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(r: Result<Arc<str>, Refusal>) -> String {
        r.unwrap_err().detail
    }

    #[test]
    fn agent_names_are_32_letters_digits_or_underscores() {
        assert!(agent_name("name", &"a".repeat(32)).is_ok());
        assert!(agent_name("name", "agent_01").is_ok());
        assert_eq!(
            detail(agent_name("name", &"a".repeat(33))),
            format!("name: \"{}\" is longer than 32 characters", "a".repeat(33))
        );
        assert_eq!(
            detail(agent_name("name", "a-b")),
            "name: \"a-b\" has '-'; only letters, digits and _ are allowed"
        );
        assert_eq!(detail(agent_name("name", "")), "name: empty");
        assert!(agent_name("name", "坐席").is_err());
    }

    #[test]
    fn states_by_profile() {
        use StateRule::{Documented, Platform};
        for ok in ["idle", "busy", "away", "busy/打印文件", "away/x"] {
            assert!(state(Documented, "state", ok, false).is_ok(), "{ok}");
        }
        assert!(state(Documented, "state", "online", true).is_ok());
        assert!(
            state(
                Documented,
                "state",
                &format!("busy/{}", "x".repeat(256)),
                false
            )
            .is_ok()
        );
        for bad_state in [
            "online",
            "talking",
            "fetching/x",
            "idle/x",
            "busy/",
            "Idle",
            "x",
        ] {
            assert!(
                state(Documented, "state", bad_state, false).is_err(),
                "{bad_state}"
            );
        }
        assert!(
            state(
                Documented,
                "state",
                &format!("away/{}", "x".repeat(257)),
                false
            )
            .is_err()
        );
        for ok in ["online", "talking", "whatever", "idle/x"] {
            assert!(state(Platform, "state", ok, false).is_ok(), "{ok}");
        }
        assert!(state(Platform, "state", " ", false).is_err());
    }

    #[test]
    fn ids_and_numbers() {
        assert!(hex32("id", &"a".repeat(32)).is_ok());
        assert!(hex32("id", &"A".repeat(32)).is_ok());
        assert!(hex32("id", &"g".repeat(32)).is_err());
        assert!(hex32("id", &"a".repeat(31)).is_err());
        assert!(number("to", "13800000000").is_ok());
        assert!(number("to", "+86-138").is_ok());
        assert!(number("to", "138 0000").is_err());
        assert!(number("to", &"1".repeat(33)).is_err());
    }
}
