//! Reading an events log for replay without holding it in memory: a first pass checks
//! every line and keeps, per event to replay, only where its line is and when it was due
//! (32 bytes, not the line); the events are then sorted by `seq` (the log is written in
//! completion order) and [`LogSource`] reads each line again, by its offset, when the
//! dispatcher releases it. A log of millions of events replays in tens of megabytes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::delivery::source::Source;
use crate::delivery::{DeliveryOutcome, Released};
use crate::event::{EventKind, Webhook};
use crate::ids::{ConversationId, Hex32};
use crate::time::SimTime;

/// The fields of an events-log line that replay needs.
#[derive(Deserialize)]
struct LogLine<'a> {
    seq: u64,
    conversation_id: &'a str,
    event: &'a str,
    scheduled_at_ms: i64,
    outcome: DeliveryOutcome,
    #[serde(default)]
    duplicate: bool,
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// One event to replay: where its line is in the file and when it was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    seq: u64,
    at_ms: i64,
    offset: u64,
    len: u32,
}

/// The events of a log to replay, in `seq` order, by position in the file.
#[derive(Debug)]
pub struct LogIndex {
    path: PathBuf,
    entries: Vec<Entry>,
}

/// A checked line: the event it carries, or `None` when replay skips it.
fn parse_line(line: &str, only_failed: bool) -> Result<Option<(u64, i64, Webhook)>, String> {
    let l: LogLine<'_> =
        serde_json::from_str(line).map_err(|e| format!("not an events-log line: {e}"))?;
    if l.duplicate || (only_failed && l.outcome == DeliveryOutcome::Delivered) {
        return Ok(None);
    }
    let kind = EventKind::parse(l.event).ok_or_else(|| format!("unknown event {:?}", l.event))?;
    let id = Hex32::parse(l.conversation_id).ok_or_else(|| {
        format!(
            "conversation_id {:?} is not 32 lowercase hex",
            l.conversation_id
        )
    })?;
    let webhook = Webhook {
        kind,
        conv_key: conv_key(&id),
        conversation_id: ConversationId(id),
        body: Bytes::copy_from_slice(l.payload.get().as_bytes()),
    };
    Ok(Some((l.seq, l.scheduled_at_ms, webhook)))
}

/// The ordering lane of a conversation: the first 16 hex digits of its id (ids are
/// random, so two conversations share a lane only by a 1-in-2^64 chance, which would
/// merely order them together).
fn conv_key(id: &Hex32) -> u64 {
    // A parsed id is 32 lowercase hex digits, so its first 16 always fit.
    u64::from_str_radix(&id.as_str()[..16], 16).unwrap_or_default()
}

impl LogIndex {
    /// Checks every line of the log at `path` and indexes the events to replay (all but
    /// the logged duplicates; with `only_failed`, only those not delivered). An error
    /// names the 1-based line.
    pub fn build(path: &Path, only_failed: bool) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_reader(path, BufReader::new(file), only_failed)
            .map_err(|e| format!("{}:{e}", path.display()))
    }

    fn from_reader(path: &Path, mut r: impl BufRead, only_failed: bool) -> Result<Self, String> {
        let mut entries = Vec::new();
        let mut line = String::new();
        let mut offset = 0u64;
        for number in 1.. {
            line.clear();
            let read = r
                .read_line(&mut line)
                .map_err(|e| format!("{number}: cannot read: {e}"))?;
            if read == 0 {
                break;
            }
            let start = offset;
            offset += read as u64;
            let text = line.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            if let Some((seq, at_ms, _)) =
                parse_line(text, only_failed).map_err(|e| format!("{number}: {e}"))?
            {
                let len = u32::try_from(text.len())
                    .map_err(|_| format!("{number}: line longer than 4 GiB"))?;
                entries.push(Entry {
                    seq,
                    at_ms,
                    offset: start,
                    len,
                });
            }
        }
        entries.sort_by_key(|e| e.seq);
        Ok(Self {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// When the first and the last event were due (the replay's window), if any.
    pub fn window(&self) -> Option<(SimTime, SimTime)> {
        let at = |e: &Entry| SimTime::from_millis(e.at_ms);
        Some((at(self.entries.first()?), at(self.entries.last()?)))
    }

    /// A source releasing the events in `seq` order, each read from the file when due.
    pub fn into_source(self) -> Result<LogSource, String> {
        let file = File::open(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        Ok(LogSource {
            path: self.path,
            file,
            entries: self.entries.into_iter(),
            next: None,
            buf: Vec::new(),
        })
    }
}

/// Logged events played back at their logged times, one per batch, read from the log as
/// they are released.
pub struct LogSource {
    path: PathBuf,
    file: File,
    entries: std::vec::IntoIter<Entry>,
    next: Option<Entry>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for LogSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSource")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LogSource {
    fn peek(&mut self) -> Option<Entry> {
        if self.next.is_none() {
            self.next = self.entries.next();
        }
        self.next
    }

    /// The event at `e`, read and parsed again (it was checked by the first pass).
    fn read(&mut self, e: Entry) -> Result<Webhook, String> {
        self.buf.resize(e.len as usize, 0);
        self.file
            .seek(SeekFrom::Start(e.offset))
            .and_then(|_| self.file.read_exact(&mut self.buf))
            .map_err(|err| err.to_string())?;
        let text = std::str::from_utf8(&self.buf).map_err(|err| err.to_string())?;
        match parse_line(text, false)? {
            Some((seq, _, webhook)) if seq == e.seq => Ok(webhook),
            _ => Err("the line is no longer the one first read".into()),
        }
    }
}

impl Source for LogSource {
    fn next_at(&mut self) -> Option<SimTime> {
        self.peek().map(|e| SimTime::from_millis(e.at_ms))
    }

    fn release(&mut self, out: &mut Vec<Released>) {
        let Some(e) = self.peek() else { return };
        self.next = None;
        match self.read(e) {
            Ok(webhook) => out.push(Released {
                seq: Some(e.seq),
                webhook,
                change: None,
            }),
            // Only a log changed under a running replay gets here; say so rather than
            // send something else.
            Err(err) => eprintln!(
                "warning: {} changed during the replay: event {} at byte {} skipped ({err})",
                self.path.display(),
                e.seq,
                e.offset
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    fn line(seq: u64, conv: &str, outcome: &str, extra: &str) -> String {
        format!(
            r#"{{"seq":{seq},"webhook_id":"msg_{conv}_{seq}",{extra}"conversation_id":"{conv}","event":"callcenter.conversation.parts_changed","scheduled_at_ms":{},"attempts":1,"status":200,"outcome":"{outcome}","payload":{{"id":"{conv}", "n": {seq}}}}}"#,
            1_700_000_000_000i64 + seq as i64 * 1000
        )
    }

    fn log_file(lines: &[String]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(lines.join("\n").as_bytes()).unwrap();
        f
    }

    /// Everything a source releases, with the times it said they were due.
    fn drain(mut source: LogSource) -> Vec<(SimTime, Released)> {
        let mut out = Vec::new();
        while let Some(at) = source.next_at() {
            let mut batch = Vec::new();
            source.release(&mut batch);
            out.extend(batch.into_iter().map(|r| (at, r)));
        }
        out
    }

    fn replayed(f: &tempfile::NamedTempFile, only_failed: bool) -> Vec<(SimTime, Released)> {
        let index = LogIndex::build(f.path(), only_failed).unwrap();
        drain(index.into_source().unwrap())
    }

    #[test]
    fn a_log_is_read_in_seq_order_with_payloads_verbatim_and_duplicates_skipped() {
        let f = log_file(&[
            line(3, A, "delivered", ""),
            line(1, B, "failed", ""),
            String::new(),
            line(1, B, "delivered", r#""duplicate":true,"#),
            line(2, A, "cancelled", ""),
        ]);
        let all = replayed(&f, false);
        let seqs: Vec<u64> = all.iter().filter_map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(
            &all[0].1.webhook.body[..],
            format!(r#"{{"id":"{B}", "n": 1}}"#).as_bytes()
        );
        assert_eq!(all[0].0, SimTime::from_millis(1_700_000_001_000));
        assert_eq!(all[1].1.webhook.conv_key, all[2].1.webhook.conv_key);
        assert_ne!(all[0].1.webhook.conv_key, all[1].1.webhook.conv_key);
        let undelivered = replayed(&f, true);
        let seqs: Vec<u64> = undelivered.iter().filter_map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn crlf_line_ends_and_a_missing_last_newline_are_fine() {
        let f = log_file(&[line(2, A, "failed", "") + "\r", line(1, B, "failed", "")]);
        let seqs: Vec<u64> = replayed(&f, false)
            .iter()
            .filter_map(|(_, r)| r.seq)
            .collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn bad_lines_are_reported_by_line_number() {
        let index = |lines: &[String]| {
            LogIndex::from_reader(Path::new("x"), lines.join("\n").as_bytes(), false).unwrap_err()
        };
        let err = index(&[line(1, A, "failed", ""), "not json".into()]);
        assert!(err.starts_with("2: not an events-log line"), "{err}");
        let err = index(&[line(1, "xyz", "failed", "")]);
        assert_eq!(err, "1: conversation_id \"xyz\" is not 32 lowercase hex");
        let err = index(&[line(1, A, "failed", "").replace("parts_changed", "nope")]);
        assert_eq!(err, "1: unknown event \"callcenter.conversation.nope\"");
    }

    #[test]
    fn a_line_changed_under_the_replay_is_skipped_not_sent() {
        let f = log_file(&[line(1, A, "failed", ""), line(2, B, "failed", "")]);
        let source = LogIndex::build(f.path(), false)
            .unwrap()
            .into_source()
            .unwrap();
        std::fs::write(
            f.path(),
            line(7, A, "failed", "") + "\n" + &line(2, B, "failed", ""),
        )
        .unwrap();
        let seqs: Vec<u64> = drain(source).iter().filter_map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, [2]);
    }
}
