//! Reading an events log for replay without holding it in memory: a first pass checks
//! every line and keeps, per event to replay, only where its line is and when it was due
//! (32 bytes, not the line); the events are then sorted by `seq` (the log is written in
//! completion order) and [`LogSource`] reads each line again, by its offset, when the
//! dispatcher releases it. A log of millions of events replays in tens of megabytes.
//!
//! Only a regular file is read, and no line may be longer than [`MAX_LINE`]: a link to
//! `/dev/zero` or a file without newlines is refused, not read into memory. A last line
//! cut short (no newline, not a whole event: a run killed mid-write) is skipped with a
//! warning; so is a line whose `seq` an earlier line already had (its `webhook-id` would
//! be sent twice, as if a retry): the first is replayed. Both are counted ([`Skipped`]).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::delivery::source::Source;
use crate::delivery::{DeliveryOutcome, Released};
use std::sync::Arc;

use crate::agent::AgentInfo;
use crate::event::{EventKind, Subject, Webhook, agent_lane};
use crate::families::EventFamily;
use crate::ids::{ConversationId, ExtensionId, Hex32, QueueId};
use crate::shard::Shard;
use crate::time::SimTime;

/// The fields of an events-log line that replay needs.
#[derive(Deserialize)]
struct LogLine<'a> {
    seq: u64,
    #[serde(default)]
    conversation_id: Option<&'a str>,
    #[serde(default)]
    queue_id: Option<&'a str>,
    #[serde(default)]
    agent: Option<&'a str>,
    #[serde(default)]
    extension_id: Option<&'a str>,
    event: &'a str,
    scheduled_at_ms: i64,
    outcome: DeliveryOutcome,
    #[serde(default)]
    duplicate: bool,
    #[serde(default)]
    body_charset: Option<&'a str>,
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// The longest line read: 16 MiB, far above the largest event (a few kilobytes).
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// Skipped warnings printed one by one; the rest are only counted.
const WARNINGS: u64 = 5;

/// One event to replay: where its line is in the file and when it was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    seq: u64,
    at_ms: i64,
    offset: u64,
    len: u32,
    /// The 1-based line number, for warnings.
    line: u32,
}

/// Lines of a log that replay skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// A last line without its newline that is not a whole event.
    pub truncated: u64,
    /// Lines whose `seq` an earlier line had.
    pub duplicate_seq: u64,
    /// Events in the log (the extra sends of duplicates aside).
    pub logged: u64,
    /// Events left out by `--only-failed` because they were delivered.
    pub delivered: u64,
    /// Events left out because their conversation hashes to another shard (`--shard`).
    pub other_shards: u64,
}

/// The events of a log to replay, in `seq` order, by position in the file.
#[derive(Debug)]
pub struct LogIndex {
    path: PathBuf,
    entries: Vec<Entry>,
    skipped: Skipped,
}

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    /// The end of the input.
    End,
    /// A line; `newline` says whether it ended with one (else it is the last).
    Line { newline: bool },
    /// A line longer than the limit.
    TooLong,
}

/// Reads one line, its newline included, into `buf` (cleared first), never holding more
/// than `limit` bytes of it.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, limit: usize) -> std::io::Result<LineRead> {
    buf.clear();
    loop {
        let available = r.fill_buf()?;
        if available.is_empty() {
            return Ok(if buf.is_empty() {
                LineRead::End
            } else {
                LineRead::Line { newline: false }
            });
        }
        let (take, newline) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if buf.len() + take - usize::from(newline) > limit {
            return Ok(LineRead::TooLong);
        }
        buf.extend_from_slice(&available[..take]);
        r.consume(take);
        if newline {
            return Ok(LineRead::Line { newline: true });
        }
    }
}

/// A checked line: the event it carries, or `None` when replay skips it.
/// One line of the log: `None` for the extra send of a `--duplicate-rate` duplicate, else
/// the event's `seq`, due time, webhook and whether it was delivered.
fn parse_line(line: &str) -> Result<Option<(u64, i64, Webhook, bool)>, String> {
    let l: LogLine<'_> =
        serde_json::from_str(line).map_err(|e| format!("not an events-log line: {e}"))?;
    if l.duplicate {
        return Ok(None);
    }
    let delivered = l.outcome == DeliveryOutcome::Delivered;
    let kind = EventKind::parse(l.event).ok_or_else(|| format!("unknown event {:?}", l.event))?;
    let hex = |field: &str, value: Option<&str>| {
        let value = value.ok_or_else(|| format!("no {field} (a {} event has one)", l.event))?;
        Hex32::parse(value).ok_or_else(|| format!("{field} {value:?} is not 32 lowercase hex"))
    };
    let (lane, subject) = match kind.family() {
        EventFamily::Conversation => {
            let id = hex("conversation_id", l.conversation_id)?;
            (lane_of(&id), Subject::Conversation(ConversationId(id)))
        }
        EventFamily::Queue => {
            let conversation = hex("conversation_id", l.conversation_id)?;
            let task = hex("queue_id", l.queue_id)?;
            (
                lane_of(&conversation),
                Subject::Queue(Box::new((QueueId(task), ConversationId(conversation)))),
            )
        }
        EventFamily::Agent => {
            let name = l
                .agent
                .ok_or_else(|| format!("no agent (a {} event has one)", l.event))?;
            let extension = hex("extension_id", l.extension_id)?;
            let number = (lane_of(&extension) & (u64::MAX >> 1)) as usize;
            (
                agent_lane(number),
                Subject::Agent(Arc::new(AgentInfo {
                    number,
                    name: name.into(),
                    extension_id: ExtensionId(extension),
                })),
            )
        }
    };
    let body = match l.body_charset {
        None => Bytes::copy_from_slice(l.payload.get().as_bytes()),
        // Sent in ISO-8859-1 (`--legacy-charset`): the same bytes again.
        Some("iso-8859-1") => Bytes::from(crate::event::charset::to_latin1(l.payload.get())),
        Some(other) => return Err(format!("unknown body_charset {other:?}")),
    };
    let webhook = Webhook {
        kind,
        lane,
        subject,
        body,
    };
    Ok(Some((l.seq, l.scheduled_at_ms, webhook, delivered)))
}

/// The id whose hash decides a replayed event's shard: its conversation's (conversation
/// and queue events) or its agent's extension's.
fn shard_key(webhook: &Webhook) -> &Hex32 {
    match &webhook.subject {
        Subject::Queue(ids) => &ids.1.0,
        other => other.id(),
    }
}

/// The ordering lane of a conversation: the first 16 hex digits of its id (ids are
/// random, so two conversations share a lane only by a 1-in-2^64 chance, which would
/// merely order them together).
fn lane_of(id: &Hex32) -> u64 {
    // A parsed id is 32 lowercase hex digits, so its first 16 always fit.
    u64::from_str_radix(&id.as_str()[..16], 16).unwrap_or_default()
}

impl LogIndex {
    /// Checks every line of the log at `path` and indexes the events to replay (all but
    /// the logged duplicates; with `only_failed`, only those not delivered). An error
    /// names the 1-based line.
    pub fn build(path: &Path, only_failed: bool) -> Result<Self, String> {
        Self::build_shard(path, only_failed, Shard::WHOLE)
    }

    /// [`LogIndex::build`] keeping only the events of the conversations whose id hashes to
    /// `shard` ([`Shard::owns_key`]): every event of a conversation in one shard, in order.
    pub fn build_shard(path: &Path, only_failed: bool, shard: Shard) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!(
                "cannot replay {}: not a regular file (a directory, device or pipe); replay reads the log twice",
                path.display()
            ));
        }
        Self::from_reader(path, BufReader::new(file), only_failed, shard)
            .map_err(|e| format!("{}:{e}", path.display()))
    }

    fn from_reader(
        path: &Path,
        mut r: impl BufRead,
        only_failed: bool,
        shard: Shard,
    ) -> Result<Self, String> {
        let mut entries = Vec::new();
        let mut skipped = Skipped::default();
        let mut buf = Vec::new();
        let mut offset = 0u64;
        for number in 1u32.. {
            let newline = match read_line(&mut r, &mut buf, MAX_LINE)
                .map_err(|e| format!("{number}: cannot read: {e}"))?
            {
                LineRead::End => break,
                LineRead::Line { newline } => newline,
                LineRead::TooLong => {
                    return Err(format!(
                        "{number}: line longer than the limit of {} MiB (an events-log line is a few kilobytes: is this an events log?)",
                        MAX_LINE / (1024 * 1024)
                    ));
                }
            };
            let start = offset;
            offset += buf.len() as u64;
            let parsed = std::str::from_utf8(&buf)
                .map_err(|e| format!("not UTF-8 (byte {})", e.valid_up_to()))
                .and_then(|line| {
                    let text = line.trim_end_matches(['\n', '\r']);
                    if text.trim().is_empty() {
                        return Ok(None);
                    }
                    let event = parse_line(text)?;
                    Ok(event.map(|(seq, at_ms, webhook, delivered)| {
                        let owned = shard.owns_key(shard_key(&webhook).as_str().as_bytes());
                        (seq, at_ms, text.len(), delivered, owned)
                    }))
                });
            let event = match parsed {
                Ok(event) => event,
                // A run killed mid-write leaves its last line without a newline.
                Err(e) if !newline => {
                    skipped.truncated += 1;
                    crate::console::err(&format!(
                        "warning: {}:{number}: the last line is cut short (no newline; {e}): skipped",
                        path.display()
                    ));
                    None
                }
                Err(e) => return Err(format!("{number}: {e}")),
            };
            if let Some((seq, at_ms, len, delivered, owned)) = event {
                skipped.logged += 1;
                if !owned {
                    skipped.other_shards += 1;
                    continue;
                }
                if only_failed && delivered {
                    skipped.delivered += 1;
                    continue;
                }
                entries.push(Entry {
                    seq,
                    at_ms,
                    offset: start,
                    // At most MAX_LINE.
                    len: u32::try_from(len).unwrap_or(u32::MAX),
                    line: number,
                });
            }
        }
        // Stable: of lines with one seq, the first in the file stays first.
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by(|later, first| {
            let same = later.seq == first.seq;
            if same {
                skipped.duplicate_seq += 1;
                if skipped.duplicate_seq <= WARNINGS {
                    crate::console::err(&format!(
                        "warning: {}:{}: seq {} already on line {}: skipped (its webhook-id would be sent twice)",
                        path.display(),
                        later.line,
                        later.seq,
                        first.line
                    ));
                }
            }
            same
        });
        if skipped.duplicate_seq > WARNINGS {
            crate::console::err(&format!(
                "warning: {}: {} lines with a duplicate seq skipped in all",
                path.display(),
                skipped.duplicate_seq
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            entries,
            skipped,
        })
    }

    /// The lines skipped: a truncated last line, duplicate `seq`s.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }

    /// How many events will be replayed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is nothing to replay.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
        match parse_line(text)? {
            Some((seq, _, webhook, _)) if seq == e.seq => Ok(webhook),
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
            Err(err) => crate::console::err(&format!(
                "warning: {} changed during the replay: event {} at byte {} skipped ({err})",
                self.path.display(),
                e.seq,
                e.offset
            )),
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
        assert_eq!(all[1].1.webhook.lane, all[2].1.webhook.lane);
        assert_ne!(all[0].1.webhook.lane, all[1].1.webhook.lane);
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
            let text = lines.join("\n") + "\n";
            LogIndex::from_reader(Path::new("x"), text.as_bytes(), false, Shard::WHOLE).unwrap_err()
        };
        let err = index(&[line(1, A, "failed", ""), "not json".into()]);
        assert!(err.starts_with("2: not an events-log line"), "{err}");
        let err = index(&[line(1, "xyz", "failed", "")]);
        assert_eq!(err, "1: conversation_id \"xyz\" is not 32 lowercase hex");
        let err = index(&[line(1, A, "failed", "").replace("parts_changed", "nope")]);
        assert_eq!(err, "1: unknown event \"callcenter.conversation.nope\"");
    }

    #[test]
    fn shards_replay_disjoint_whole_conversations_in_order() {
        // 24 conversations of 3 events each, interleaved.
        let convs: Vec<String> = (0..24u128)
            .map(|i| {
                format!(
                    "{:032x}",
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
                )
            })
            .collect();
        let lines: Vec<String> = (0..72u64)
            .map(|seq| line(seq + 1, &convs[(seq % 24) as usize], "failed", ""))
            .collect();
        let f = log_file(&lines);
        let mut owner: std::collections::HashMap<String, u32> = Default::default();
        let mut total = 0;
        for k in 0..4 {
            let shard = Shard::new(k, 4).unwrap();
            let index = LogIndex::build_shard(f.path(), false, shard).unwrap();
            assert_eq!(index.skipped().logged, 72);
            assert_eq!(index.skipped().other_shards, 72 - index.len() as u64);
            let events = drain(index.into_source().unwrap());
            let seqs: Vec<u64> = events.iter().filter_map(|(_, r)| r.seq).collect();
            assert!(seqs.is_sorted(), "shard {k} kept the order: {seqs:?}");
            for (_, r) in &events {
                let conv = r.webhook.subject.id().as_str().to_owned();
                assert_eq!(*owner.entry(conv.clone()).or_insert(k), k, "{conv} split");
            }
            total += events.len();
        }
        // Every event in exactly one shard, every conversation whole.
        assert_eq!(total, 72);
        assert_eq!(owner.len(), 24);
        let mut per = [0; 4];
        owner.values().for_each(|&k| per[k as usize] += 1);
        assert!(per.iter().all(|&n| n > 0), "{per:?}");
    }

    #[test]
    fn a_truncated_last_line_is_skipped_and_counted_not_fatal() {
        let whole = line(2, B, "failed", "");
        let f = log_file(&[
            line(1, A, "failed", ""),
            whole[..whole.len() / 2].to_owned(),
        ]);
        let index = LogIndex::build(f.path(), false).unwrap();
        assert_eq!(
            index.skipped(),
            Skipped {
                truncated: 1,
                duplicate_seq: 0,
                logged: 1,
                delivered: 0,
                other_shards: 0,
            }
        );
        let seqs: Vec<u64> = drain(index.into_source().unwrap())
            .iter()
            .filter_map(|(_, r)| r.seq)
            .collect();
        assert_eq!(seqs, [1]);
        // With its newline, the same line is a bad line, not a cut one.
        let err = LogIndex::from_reader(
            Path::new("x"),
            format!("{}\n", &whole[..9]).as_bytes(),
            false,
            Shard::WHOLE,
        )
        .unwrap_err();
        assert!(err.starts_with("1: not an events-log line"), "{err}");
    }

    #[test]
    fn a_second_line_with_a_seq_already_seen_is_skipped_and_counted() {
        let f = log_file(&[
            line(1, A, "failed", ""),
            line(2, A, "failed", ""),
            line(1, B, "failed", ""),
        ]);
        let index = LogIndex::build(f.path(), false).unwrap();
        assert_eq!(index.skipped().duplicate_seq, 1);
        let all = drain(index.into_source().unwrap());
        let seqs: Vec<u64> = all.iter().filter_map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, [1, 2]);
        assert_eq!(
            all[0].1.webhook.subject.id().as_str(),
            A,
            "the first line of a seq is the one replayed"
        );
    }

    #[test]
    fn lines_are_read_up_to_a_limit_and_only_from_regular_files() {
        let mut buf = Vec::new();
        let mut r: &[u8] = b"abc\nabcdef\nxy";
        assert_eq!(
            read_line(&mut r, &mut buf, 3).unwrap(),
            LineRead::Line { newline: true }
        );
        assert_eq!(buf, b"abc\n");
        assert_eq!(read_line(&mut r, &mut buf, 3).unwrap(), LineRead::TooLong);
        assert!(buf.len() <= 3, "never more than the limit is held");
        let mut r: &[u8] = b"xy";
        assert_eq!(
            read_line(&mut r, &mut buf, 3).unwrap(),
            LineRead::Line { newline: false }
        );
        assert_eq!(read_line(&mut r, &mut buf, 3).unwrap(), LineRead::End);

        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("zero.jsonl");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let err = LogIndex::build(&zero, false).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        let long = dir.path().join("long.jsonl");
        let file = File::create(&long).unwrap();
        file.set_len(MAX_LINE as u64 + 10).unwrap();
        let err = LogIndex::build(&long, false).unwrap_err();
        assert!(err.ends_with("1: line longer than the limit of 16 MiB (an events-log line is a few kilobytes: is this an events log?)"), "{err}");
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
