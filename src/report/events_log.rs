//! `--events-log FILE.jsonl`: one JSON line per event with its payload, schedule, attempts
//! and outcome, formatted as each event finishes (documented in `docs/report.md`); the
//! collector batches the lines and the output writer ([`super::writer`]) writes them,
//! whole lines only.

use serde::Serialize;

use crate::delivery::attempt::AttemptResult;
use crate::delivery::{Completion, DeliveryOutcome};

/// The log's line format.
pub struct EventsLog {
    /// A wall-clock reading and the monotonic instant it was taken at, to turn the
    /// dispatcher's instants into epoch milliseconds.
    anchor: (tokio::time::Instant, i64),
}

impl std::fmt::Debug for EventsLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsLog").finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    webhook_id: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension_id: Option<&'a str>,
    event: &'static str,
    /// `iso-8859-1` for a `--legacy-charset` body that is not UTF-8: the payload below is
    /// its text, and replay sends it in ISO-8859-1 again (the same bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    body_charset: Option<&'static str>,
    scheduled_at_ms: i64,
    sent_at_ms: Option<i64>,
    latency_ms: f64,
    attempts: u32,
    status: Option<u16>,
    outcome: DeliveryOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl EventsLog {
    /// The format, its times anchored to the wall clock now.
    pub fn new() -> Self {
        Self {
            anchor: (
                tokio::time::Instant::now(),
                chrono::Utc::now().timestamp_millis(),
            ),
        }
    }

    /// Appends one event's whole line to `out`; on an error `out` is left as it was.
    pub fn append(&self, c: &Completion, out: &mut Vec<u8>) -> std::io::Result<()> {
        let (status, error) = match &c.last {
            Some(AttemptResult::Status(s)) => (
                Some(*s),
                (c.outcome == DeliveryOutcome::Failed).then(|| format!("HTTP {s}")),
            ),
            Some(other) => (None, Some(other.describe())),
            None => (None, None),
        };
        let ids = c.job.webhook.subject.ids();
        let (payload, latin1) = crate::event::charset::body_text(&c.job.webhook.body);
        let line = Line {
            seq: c.job.seq,
            webhook_id: &c.job.webhook_id(),
            duplicate: c.job.duplicate,
            conversation_id: ids.conversation_id,
            queue_id: ids.queue_id,
            agent: ids.agent,
            extension_id: ids.extension_id,
            event: c.job.webhook.kind.name(),
            body_charset: latin1.then_some("iso-8859-1"),
            scheduled_at_ms: c.job.scheduled_sim.epoch_ms(),
            sent_at_ms: c.first_sent.map(|t| {
                let since = t.saturating_duration_since(self.anchor.0).as_millis();
                self.anchor.1 + i64::try_from(since).unwrap_or(i64::MAX / 2)
            }),
            latency_ms: c
                .done
                .saturating_duration_since(c.job.scheduled)
                .as_secs_f64()
                * 1e3,
            attempts: c.attempts,
            status,
            outcome: c.outcome,
            error,
        };
        let start = out.len();
        if let Err(e) = serde_json::to_writer(&mut *out, &line) {
            out.truncate(start);
            return Err(std::io::Error::other(e));
        }
        // Splice the payload in verbatim: it is already a JSON object (as text: a Latin-1
        // body's bytes are not UTF-8).
        out.pop();
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(payload.as_bytes());
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

impl Default for EventsLog {
    fn default() -> Self {
        Self::new()
    }
}
