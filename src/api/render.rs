//! Renders records as the platform's JSON: the conversation object with its members and
//! the page object of the list, as `docs/api.md` shows them. Every choice that differs
//! between fidelity profiles is read from the [`Profile`], and the fields the events also
//! carry (`begin_time`, `end_reason`, `queue_id`, `agent_call_id`) come from the same
//! functions the event builder uses, so the record and the events cannot disagree. Called
//! by the API handlers.

use std::fmt;

use chrono::{Datelike as _, FixedOffset, NaiveDateTime, Timelike as _};
use serde::{Serialize, Serializer};

use super::store::{MemberRecord, Page, Record};
use crate::event::profile::{MemberTimeFormat, Profile};
use crate::event::{begin_agent_call, begin_queue_id, begin_time, end_reason};
use crate::ids::{CallId, ExtensionId, QueueId};
use crate::time::SimTime;

/// How records are written: the profile and the zone of local times.
#[derive(Debug, Clone)]
pub struct Renderer {
    /// Fidelity profile.
    pub profile: Profile,
    /// Zone of `"YYYY-MM-DD HH:MM:SS"` member times (`--api-tz`).
    pub zone: FixedOffset,
}

/// The conversation object, keys in the platform's order; `None` is `null`.
#[derive(Serialize)]
struct ConversationView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    subaccount_id: Option<&'a str>,
    queue_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Key::is_absent")]
    condition_id: Key<&'a str>,
    begin_time: Option<i64>,
    end_time: Option<i64>,
    end_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Key::is_absent")]
    agent_call_id: Key<&'a str>,
    members: Option<Vec<MemberView<'a>>>,
}

/// A key the profile's object may not have at all: absent, or present with a value or
/// `null`.
enum Key<T> {
    /// Not in the object.
    Absent,
    /// In the object; `None` is `null`.
    Present(Option<T>),
}

impl<T> Key<T> {
    fn is_absent(&self) -> bool {
        matches!(self, Key::Absent)
    }

    /// `value` as a key present when `present`.
    fn when(present: bool, value: Option<T>) -> Self {
        if present {
            Key::Present(value)
        } else {
            Key::Absent
        }
    }
}

impl<T: Serialize> Serialize for Key<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Key::Absent | Key::Present(None) => s.serialize_none(),
            Key::Present(Some(v)) => v.serialize(s),
        }
    }
}

/// A member; the keys a member does not have are omitted, as in the docs example.
#[derive(Serialize)]
struct MemberView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telnumber: Option<&'a str>,
    call_id: &'a str,
    mode: u8,
    begin_time: MemberTime,
    end_time: Option<MemberTime>,
}

/// A member time in the profile's format.
struct MemberTime {
    at: SimTime,
    format: MemberTimeFormat,
    zone: FixedOffset,
}

impl Serialize for MemberTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.format {
            MemberTimeFormat::EpochMs => s.serialize_i64(self.at.epoch_ms()),
            MemberTimeFormat::LocalDateTime => {
                let text = LocalDateTime(local(self.at, self.zone)).bytes();
                // Only ASCII digits and separators were written.
                s.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
            }
        }
    }
}

/// `at` as wall-clock time in `zone`; out-of-range instants become the epoch.
fn local(at: SimTime, zone: FixedOffset) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(at.epoch_ms())
        .unwrap_or_default()
        .with_timezone(&zone)
        .naive_local()
}

/// `YYYY-MM-DD HH:MM:SS`, written digit by digit: chrono's format strings and `write!`
/// with widths cost most of a record's rendering time on this hot path.
struct LocalDateTime(NaiveDateTime);

impl LocalDateTime {
    fn bytes(&self) -> [u8; 19] {
        let t = &self.0;
        let mut out = *b"0000-00-00 00:00:00";
        let mut put = |at: usize, width: usize, value: u32| {
            let mut value = value;
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        // Years outside 0..=9999 cannot come from an i64 of milliseconds that chrono
        // accepts and a sane clock; they print modulo 10000 rather than panic.
        put(0, 4, t.year().rem_euclid(10_000).unsigned_abs());
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        out
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&self.bytes()).unwrap_or_default())
    }
}

/// `"YYYY-MM-DD HH:MM:SS"` of `at` in `zone`.
pub fn local_date_time(at: SimTime, zone: FixedOffset) -> String {
    LocalDateTime(local(at, zone)).to_string()
}

/// The page object, keys in the platform's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageView<'a> {
    page_size: u64,
    start_index: u64,
    total_count: u64,
    total_page_count: u64,
    current_page_no: u64,
    result: Option<Vec<ConversationView<'a>>>,
}

impl Renderer {
    /// Appends the conversation object of `record` to `out` as JSON.
    pub fn write_conversation(&self, record: &Record, out: &mut Vec<u8>) {
        write_json(out, &self.view(record, true));
    }

    /// Appends the conversation object without its members (as the list and
    /// `GET agent/{name}/conversation` show it) to `out` as JSON.
    pub fn write_conversation_summary(&self, record: &Record, out: &mut Vec<u8>) {
        write_json(out, &self.view(record, false));
    }

    /// Appends the page object for page `page_no` (1-based) of `size` to `out` as JSON.
    pub fn write_page(&self, page: &Page, page_no: u64, size: u64, out: &mut Vec<u8>) {
        let total = page.total as u64;
        let result: Vec<_> = page.records.iter().map(|r| self.view(r, false)).collect();
        write_json(
            out,
            &PageView {
                page_size: size,
                start_index: page_no
                    .saturating_sub(1)
                    .saturating_mul(size)
                    .saturating_add(1),
                total_count: total,
                total_page_count: total.div_ceil(size.max(1)),
                current_page_no: page_no,
                result: (!result.is_empty()).then_some(result),
            },
        );
    }

    fn view<'a>(&self, record: &'a Record, with_members: bool) -> ConversationView<'a> {
        let p = &self.profile;
        let conv = &*record.info;
        ConversationView {
            id: conv.id.as_str(),
            kind: conv.kind.as_str(),
            subaccount_id: conv.subaccount_id.as_deref(),
            queue_id: begin_queue_id(p, conv)
                .filter(|_| p.record_queue_id)
                .map(QueueId::as_str),
            condition_id: Key::when(
                p.record_condition_and_agent_call,
                conv.condition_id.as_deref(),
            ),
            begin_time: begin_time(p, conv, record.started_at).map(SimTime::epoch_ms),
            end_time: record.end_time.map(SimTime::epoch_ms),
            end_reason: record.end_reason.as_ref().and_then(|r| end_reason(p, r)),
            agent_call_id: Key::when(
                p.record_condition_and_agent_call,
                begin_agent_call(p, conv, record.answered_call.as_ref()).map(CallId::as_str),
            ),
            members: with_members
                .then(|| {
                    record
                        .members
                        .iter()
                        .map(|m| self.member(m))
                        .collect::<Vec<_>>()
                })
                .filter(|members| !(members.is_empty() && p.record_no_members_null)),
        }
    }

    fn member<'a>(&self, m: &'a MemberRecord) -> MemberView<'a> {
        let time = |at| MemberTime {
            at,
            format: self.profile.member_time,
            zone: self.zone,
        };
        let agent = m.info.is_agent();
        MemberView {
            name: m.info.agent_name.as_deref(),
            extension_id: m.info.extension_id.as_ref().map(ExtensionId::as_str),
            telnumber: (!agent || self.profile.agent_telnumber).then_some(&*m.info.telnumber),
            call_id: m.info.call_id.as_str(),
            mode: m.info.mode,
            begin_time: time(m.begin_time),
            end_time: m.end_time.map(time),
        }
    }
}

/// Serializes a view of strings, integers and options into `out`; writing those to a
/// `Vec` cannot fail.
fn write_json(out: &mut Vec<u8>, value: &impl Serialize) {
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::{DEFAULT_ZONE, parse_utc_offset};

    #[test]
    fn local_date_times_are_written_in_the_api_zone() {
        let at = SimTime::from_millis(1_700_000_000_999); // 2023-11-14T22:13:20.999Z
        assert_eq!(local_date_time(at, DEFAULT_ZONE), "2023-11-15 06:13:20");
        let utc = parse_utc_offset("Z").expect("valid offset");
        assert_eq!(local_date_time(at, utc), "2023-11-14 22:13:20");
    }

    #[test]
    fn local_date_times_are_zero_padded() {
        let utc = parse_utc_offset("Z").expect("valid offset");
        assert_eq!(
            local_date_time(SimTime::from_millis(0), utc),
            "1970-01-01 00:00:00"
        );
        // 0999-02-03T04:05:06Z
        let early = SimTime::from_millis(-30_638_894_094_000);
        assert_eq!(local_date_time(early, utc), "0999-02-03 04:05:06");
    }
}
