//! The output writer: one thread that writes the events log and the report's snapshots,
//! so the async runtime never waits on a disk. The collector hands it whole lines in
//! batches through a bounded channel; each batch is written with one `write_all`, so the
//! log on disk always ends at a line boundary, and a batch that fails half-way is cut back
//! to the last whole one. The first events-log failure is told on stderr at once and stops
//! the run (`stop` is cancelled); a snapshot that cannot be written is told once and the
//! run goes on (the final report is tried again at the end). See `docs/faults.md`.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use tokio_util::sync::CancellationToken;

use crate::console;
use crate::files;

/// Batches queued for the thread at most; with batches of [`BATCH`] bytes, about 4 MiB.
const QUEUE: usize = 64;

/// Lines are handed to the thread once they reach this many bytes (or are old enough).
pub const BATCH: usize = 64 * 1024;

/// What the writer is asked to do.
enum Message {
    /// Append these whole lines to the events log.
    Lines(Vec<u8>),
    /// Replace the report file with this snapshot.
    Snapshot(Vec<u8>),
}

/// What went wrong with the outputs the writer wrote, each as a message naming the file
/// and the OS error.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteFailures {
    /// The events log's first write error (the log stops there, at a line boundary).
    pub events_log: Option<String>,
    /// The first snapshot's write error (later snapshots are still tried).
    pub snapshot: Option<String>,
}

/// Lines handed back because the writer's queue is full.
#[derive(Debug)]
pub struct Busy(pub Vec<u8>);

/// The writer thread and the channel to it.
#[derive(Debug)]
pub struct OutputWriter {
    tx: SyncSender<Message>,
    thread: JoinHandle<WriteFailures>,
}

/// The thread's state.
struct Thread {
    log: Option<(PathBuf, File)>,
    /// Bytes of the log written whole so far.
    log_len: u64,
    report: Option<PathBuf>,
    stop: CancellationToken,
    failures: WriteFailures,
}

impl OutputWriter {
    /// Starts the thread writing `log` (already created) and snapshots of `report`; the
    /// first events-log failure cancels `stop`.
    pub fn start(
        log: Option<(PathBuf, File)>,
        report: Option<PathBuf>,
        stop: CancellationToken,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let state = Thread {
            log,
            log_len: 0,
            report,
            stop,
            failures: WriteFailures::default(),
        };
        let thread = std::thread::Builder::new()
            .name("ccsim-output".into())
            .spawn(move || state.run(rx))?;
        Ok(Self { tx, thread })
    }

    /// Queues whole lines for the log without waiting; hands them back when the queue is
    /// full (the caller keeps them and tries again later).
    pub fn try_lines(&self, lines: Vec<u8>) -> Result<(), Busy> {
        match self.tx.try_send(Message::Lines(lines)) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => Ok(()),
            Err(TrySendError::Full(Message::Lines(l))) => Err(Busy(l)),
            Err(TrySendError::Full(Message::Snapshot(_))) => Ok(()),
        }
    }

    /// Queues whole lines for the log, waiting for room: the last resort when the disk is
    /// slower than the events for long (see [`crate::report::collector`]).
    pub fn lines_waiting(&self, lines: Vec<u8>) {
        let _ = self.tx.send(Message::Lines(lines));
    }

    /// Queues a snapshot of the report unless the thread is busy (a later one will do).
    pub fn try_snapshot(&self, json: Vec<u8>) {
        let _ = self.tx.try_send(Message::Snapshot(json));
    }

    /// Hands over the last `lines`, waits (off the runtime) for everything queued to be
    /// written, and returns what failed.
    pub async fn finish(self, lines: Vec<u8>) -> WriteFailures {
        let OutputWriter { tx, thread } = self;
        let joined = tokio::task::spawn_blocking(move || {
            if !lines.is_empty() {
                let _ = tx.send(Message::Lines(lines));
            }
            drop(tx);
            thread.join()
        })
        .await;
        match joined {
            Ok(Ok(failures)) => failures,
            _ => WriteFailures {
                events_log: Some("the output writer thread failed".into()),
                snapshot: None,
            },
        }
    }
}

impl Thread {
    fn run(mut self, rx: Receiver<Message>) -> WriteFailures {
        while let Ok(message) = rx.recv() {
            match message {
                Message::Lines(lines) => self.append(&lines),
                Message::Snapshot(json) => self.snapshot(&json),
            }
        }
        self.failures
    }

    fn append(&mut self, lines: &[u8]) {
        let Some((path, file)) = &mut self.log else {
            return;
        };
        let writing = files::writing();
        let written = file.write_all(lines);
        if written.is_err() {
            // Cut a half-written batch back to the last whole line (best effort: a
            // device such as /dev/full has no length).
            let _ = file.set_len(self.log_len);
        }
        drop(writing);
        match written {
            Ok(()) => self.log_len += lines.len() as u64,
            Err(e) => {
                let message = format!("cannot write the events log {}: {e}", path.display());
                console::err(&format!(
                    "error: {message}; stopping the run (the log keeps every whole line \
                     written before; the final report follows)"
                ));
                self.failures.events_log = Some(message);
                self.log = None;
                self.stop.cancel();
            }
        }
    }

    fn snapshot(&mut self, json: &[u8]) {
        let Some(path) = &self.report else { return };
        if let Err(e) = files::replace(path, json)
            && self.failures.snapshot.is_none()
        {
            let message = format!("cannot write the report snapshot {}: {e}", path.display());
            console::err(&format!(
                "warning: {message}; the run goes on, the final report is tried at the end"
            ));
            self.failures.snapshot = Some(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_reach_the_file_in_order_and_a_full_device_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.jsonl");
        let file = File::create(&path).unwrap();
        let stop = CancellationToken::new();
        let w = OutputWriter::start(Some((path.clone(), file)), None, stop.clone()).unwrap();
        w.try_lines(b"a\n".to_vec()).unwrap();
        w.lines_waiting(b"b\n".to_vec());
        assert_eq!(w.finish(b"c\n".to_vec()).await, WriteFailures::default());
        assert_eq!(std::fs::read(&path).unwrap(), b"a\nb\nc\n");
        assert!(!stop.is_cancelled());

        let full = File::options().write(true).open("/dev/full").unwrap();
        let w = OutputWriter::start(Some(("/dev/full".into(), full)), None, stop.clone()).unwrap();
        let failures = w.finish(b"a\n".to_vec()).await;
        let e = failures.events_log.unwrap();
        assert!(
            e.starts_with("cannot write the events log /dev/full: "),
            "{e}"
        );
        assert!(stop.is_cancelled(), "a failed log stops the run");
    }

    #[tokio::test]
    async fn a_failed_snapshot_is_kept_and_the_run_goes_on() {
        let stop = CancellationToken::new();
        let w = OutputWriter::start(None, Some("/dev/full".into()), stop.clone()).unwrap();
        w.try_snapshot(b"{}".to_vec());
        let failures = w.finish(Vec::new()).await;
        assert!(failures.snapshot.unwrap().contains("/dev/full"));
        assert!(!stop.is_cancelled());
    }
}
