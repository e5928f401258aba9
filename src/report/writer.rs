//! The output writer: two threads, one appending to the events log and one replacing the
//! report with its snapshots, so the async runtime never waits on a disk. The collector
//! hands the first whole lines in batches through a bounded channel; each batch is
//! written with one `write_all`, so the
//! log on disk always ends at a line boundary, and a batch that fails half-way is cut back
//! to the last whole one. The first events-log failure is told on stderr at once and stops
//! the run (`stop` is cancelled); a snapshot that cannot be written is told once and the
//! run goes on (the final report is tried again at the end). See `docs/faults.md`.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::console;
use crate::files;

/// Batches queued for the log's thread at most; with batches of [`BATCH`] bytes, about 4 MiB.
const QUEUE: usize = 16;

/// Lines are handed to the thread once they reach this many bytes (or are old enough).
pub const BATCH: usize = 256 * 1024;

/// How long a write may still take once the run is interrupted.
pub const STUCK_WAIT: Duration = Duration::from_secs(5);

/// Runs `work` on the blocking pool and waits for it; once `hurry` fires, [`STUCK_WAIT`]
/// at most (`None` then: the work goes on, unwaited for).
pub async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
    hurry: &CancellationToken,
) -> Option<T> {
    let job = tokio::task::spawn_blocking(work);
    tokio::pin!(job);
    let deadline = async {
        hurry.cancelled().await;
        tokio::time::sleep(STUCK_WAIT).await;
    };
    tokio::select! {
        done = &mut job => done.ok(),
        () = deadline => None,
    }
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

/// A report snapshot, rendered to its bytes on the snapshots' thread (building a report
/// walks and compresses its histograms: milliseconds the sending thread does not spend);
/// `None` if it cannot be rendered.
pub type Snapshot = Box<dyn FnOnce() -> Option<Vec<u8>> + Send>;

/// One writing thread and the bounded channel to it; the thread returns its first failure.
struct Lane<T> {
    tx: SyncSender<T>,
    thread: JoinHandle<Option<String>>,
}

impl<T> std::fmt::Debug for Lane<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("thread", &self.thread.thread().name())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Lane<T> {
    fn start(
        name: &str,
        queue: usize,
        work: impl FnOnce(Receiver<T>) -> Option<String> + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(queue);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(rx))?;
        Ok(Self { tx, thread })
    }

    /// Waits for everything queued to be written (a blocking wait).
    fn finish(self) -> Option<String> {
        drop(self.tx);
        self.thread
            .join()
            .unwrap_or_else(|_| Some("an output writer thread failed".to_owned()))
    }
}

/// The two writing threads: the events log's and the report snapshots', apart so a log
/// that takes no writes does not hold the snapshots back.
#[derive(Debug)]
pub struct OutputWriter {
    log: Option<Lane<Vec<u8>>>,
    snapshots: Option<Lane<Snapshot>>,
}

impl OutputWriter {
    /// Starts a thread appending to `log` (already created) and one replacing `report`
    /// with each snapshot; the first events-log failure cancels `stop`.
    pub fn start(
        log: Option<(PathBuf, File)>,
        report: Option<PathBuf>,
        stop: CancellationToken,
    ) -> std::io::Result<Self> {
        let log = match log {
            Some((path, file)) => Some(Lane::start("ccsim-events-log", QUEUE, move |rx| {
                append_lines(&path, file, &rx, &stop)
            })?),
            None => None,
        };
        let snapshots = match report {
            Some(path) => Some(Lane::start("ccsim-snapshots", 1, move |rx| {
                replace_snapshots(&path, &rx)
            })?),
            None => None,
        };
        Ok(Self { log, snapshots })
    }

    /// Queues whole lines for the log without waiting; hands them back when the queue is
    /// full (the caller keeps them and tries again later).
    pub fn try_lines(&self, lines: Vec<u8>) -> Result<(), Busy> {
        let Some(log) = &self.log else { return Ok(()) };
        match log.tx.try_send(lines) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => Ok(()),
            Err(TrySendError::Full(lines)) => Err(Busy(lines)),
        }
    }

    /// Queues whole lines for the log, waiting for room: the last resort when the disk is
    /// slower than the events for long (see [`crate::report::collector`]). Gives up and
    /// hands the lines back once `hurry` fires, so an interrupt is never stuck behind a
    /// disk.
    pub fn lines_waiting(&self, mut lines: Vec<u8>, hurry: &CancellationToken) -> Result<(), Busy> {
        loop {
            match self.try_lines(lines) {
                Ok(()) => return Ok(()),
                Err(Busy(back)) if hurry.is_cancelled() => return Err(Busy(back)),
                Err(Busy(back)) => {
                    lines = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    /// Queues a snapshot of the report, rendered and written on the snapshots' thread,
    /// unless the last one is still being written (a later one will do).
    pub fn try_snapshot(&self, render: impl FnOnce() -> Option<Vec<u8>> + Send + 'static) {
        if let Some(snapshots) = &self.snapshots {
            let _ = snapshots.tx.try_send(Box::new(render));
        }
    }

    /// Whether snapshots are written at all.
    pub fn takes_snapshots(&self) -> bool {
        self.snapshots.is_some()
    }

    /// Hands over the last `lines`, waits (off the runtime) for everything queued to be
    /// written, and returns what failed. Once `hurry` fires (an interrupt), waits
    /// [`STUCK_WAIT`] at most: an output that takes no writes (a pipe nobody reads, a hung
    /// network disk) then fails instead of holding the run forever.
    pub async fn finish(self, lines: Vec<u8>, hurry: &CancellationToken) -> WriteFailures {
        let OutputWriter { log, snapshots } = self;
        let joined = off_runtime(
            move || {
                let events_log = log.and_then(|log| {
                    if !lines.is_empty() {
                        let _ = log.tx.send(lines);
                    }
                    log.finish()
                });
                let snapshot = snapshots.and_then(Lane::finish);
                WriteFailures {
                    events_log,
                    snapshot,
                }
            },
            hurry,
        )
        .await;
        joined.unwrap_or_else(|| {
            let message = format!(
                "the outputs took no writes for {}s after the interrupt: the events log may lack its last lines",
                STUCK_WAIT.as_secs()
            );
            console::err(&format!("error: {message}"));
            WriteFailures {
                events_log: Some(message),
                snapshot: None,
            }
        })
    }
}

/// The events log's thread: appends each batch with one write; on the first failure cuts
/// a half-written batch back to the last whole line, tells stderr, cancels `stop`, and
/// writes no more.
fn append_lines(
    path: &std::path::Path,
    mut file: File,
    rx: &Receiver<Vec<u8>>,
    stop: &CancellationToken,
) -> Option<String> {
    let mut whole = 0u64;
    while let Ok(lines) = rx.recv() {
        let writing = files::writing();
        let written = file.write_all(&lines);
        if written.is_err() {
            // Best effort: a device such as /dev/full has no length.
            let _ = file.set_len(whole);
        }
        drop(writing);
        match written {
            Ok(()) => whole += lines.len() as u64,
            Err(e) => {
                let message = format!("cannot write the events log {}: {e}", path.display());
                console::err(&format!(
                    "error: {message}; stopping the run (the log keeps every whole line \
                     written before; the final report follows)"
                ));
                stop.cancel();
                // Drain the queue unwritten, so nobody waits on a full one.
                while rx.recv().is_ok() {}
                return Some(message);
            }
        }
    }
    None
}

/// The snapshots' thread: replaces the report with each; tells stderr of the first
/// failure once and goes on.
fn replace_snapshots(path: &std::path::Path, rx: &Receiver<Snapshot>) -> Option<String> {
    let mut failure = None;
    while let Ok(render) = rx.recv() {
        let Some(json) = render() else { continue };
        if let Err(e) = files::replace(path, &json)
            && failure.is_none()
        {
            let message = format!("cannot write the report snapshot {}: {e}", path.display());
            console::err(&format!(
                "warning: {message}; the run goes on, the final report is tried at the end"
            ));
            failure = Some(message);
        }
    }
    failure
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
        w.lines_waiting(b"b\n".to_vec(), &stop).unwrap();
        assert_eq!(
            w.finish(b"c\n".to_vec(), &CancellationToken::new()).await,
            WriteFailures::default()
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"a\nb\nc\n");
        assert!(!stop.is_cancelled());

        let full = File::options().write(true).open("/dev/full").unwrap();
        let w = OutputWriter::start(Some(("/dev/full".into(), full)), None, stop.clone()).unwrap();
        let failures = w.finish(b"a\n".to_vec(), &CancellationToken::new()).await;
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
        w.try_snapshot(|| Some(b"{}".to_vec()));
        let failures = w.finish(Vec::new(), &CancellationToken::new()).await;
        assert!(failures.snapshot.unwrap().contains("/dev/full"));
        assert!(!stop.is_cancelled());
    }

    #[tokio::test]
    async fn a_snapshot_is_rendered_on_the_snapshots_thread_not_the_callers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let w = OutputWriter::start(None, Some(path.clone()), CancellationToken::new()).unwrap();
        w.try_snapshot(|| {
            let name = std::thread::current().name().map(str::to_owned);
            Some(format!("{name:?}").into_bytes())
        });
        let failures = w.finish(Vec::new(), &CancellationToken::new()).await;
        assert_eq!(failures, WriteFailures::default());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Some(\"ccsim-snapshots\")"
        );
    }
}
