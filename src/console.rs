//! Writing to stdout and stderr without panicking. `print!` and `eprint!` panic when the
//! stream is closed (a broken pipe, `ccsim … | head -1`) or full (`> /dev/full`); here
//! stdout's failures are returned, a closed stdout told apart from a failed one, and
//! stderr, the last resort, is written best effort. `clippy.toml` forbids the panicking
//! macros everywhere else.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::RunError;

/// Why stdout could not take a write.
#[derive(Debug)]
pub enum StdoutError {
    /// The reader went away (a broken pipe): stop printing, quietly.
    Closed,
    /// Any other failure (a full device, an I/O error).
    Failed(std::io::Error),
}

impl StdoutError {
    fn from_io(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            StdoutError::Closed
        } else {
            StdoutError::Failed(e)
        }
    }

    /// What a command does about it: a closed stdout is a quiet end (like ripgrep), any
    /// other failure an I/O error (exit 5) naming stdout.
    pub fn into_result(self) -> Result<(), RunError> {
        match self {
            StdoutError::Closed => Ok(()),
            StdoutError::Failed(e) => Err(RunError::Io(format!("cannot write to stdout: {e}"))),
        }
    }
}

/// Writes `text` to stdout and flushes it.
pub fn out(text: &str) -> Result<(), StdoutError> {
    write_to(&mut std::io::stdout().lock(), text)
}

/// Writes `text` to stdout and flushes it; a closed stdout is fine, any other failure an
/// I/O error.
pub fn out_or_fail(text: &str) -> Result<(), RunError> {
    out(text).or_else(StdoutError::into_result)
}

fn write_to(w: &mut impl Write, text: &str) -> Result<(), StdoutError> {
    w.write_all(text.as_bytes())
        .and_then(|()| w.flush())
        .map_err(StdoutError::from_io)
}

/// Writes `line` and a newline to stderr, ignoring failures: there is nowhere left to
/// report them.
pub fn err(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e
        .write_all(line.as_bytes())
        .and_then(|()| e.write_all(b"\n"));
    let _ = e.flush();
}

/// Prints lines to stdout until it fails, then stops printing (telling stderr once) and
/// remembers a failure other than a closed pipe, for the exit code. The built-in receiver
/// prints through one so it keeps answering its peers whatever happens to stdout.
#[derive(Debug, Default)]
pub struct LinePrinter {
    stopped: AtomicBool,
    failure: Mutex<Option<String>>,
}

impl LinePrinter {
    /// Prints `line` and a newline, unless printing has stopped.
    pub fn line(&self, line: &str) {
        if self.stopped.load(Ordering::Relaxed) {
            return;
        }
        let mut out = std::io::stdout().lock();
        let result = write_to(&mut out, line).and_then(|()| write_to(&mut out, "\n"));
        drop(out);
        self.settle(result);
    }

    fn settle(&self, result: Result<(), StdoutError>) {
        let Err(e) = result else { return };
        if self.stopped.swap(true, Ordering::Relaxed) {
            return;
        }
        match e {
            StdoutError::Closed => {
                err("stdout was closed: no longer printing events (still answering them)");
            }
            StdoutError::Failed(e) => {
                let message = format!("cannot write to stdout: {e}");
                err(&format!(
                    "error: {message}: no longer printing events (still answering them)"
                ));
                if let Ok(mut f) = self.failure.lock() {
                    *f = Some(message);
                }
            }
        }
    }

    /// The failure that stopped printing, if it was not a closed pipe.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_a_quiet_end_and_a_full_device_an_io_error() {
        let closed = write_to(&mut Failing(std::io::ErrorKind::BrokenPipe), "x").unwrap_err();
        assert!(matches!(closed, StdoutError::Closed));
        assert!(closed.into_result().is_ok());
        let full = write_to(&mut Failing(std::io::ErrorKind::StorageFull), "x").unwrap_err();
        let e = full.into_result().unwrap_err();
        assert_eq!(e.exit(), crate::error::Exit::Io);
        assert!(e.to_string().starts_with("cannot write to stdout: "), "{e}");
    }

    #[test]
    fn the_printer_stops_at_the_first_failure_and_keeps_only_a_real_one() {
        let p = LinePrinter::default();
        p.settle(Err(StdoutError::Closed));
        assert!(p.stopped.load(Ordering::Relaxed));
        assert_eq!(p.failure(), None);
        let p = LinePrinter::default();
        p.settle(Err(StdoutError::Failed(
            std::io::ErrorKind::StorageFull.into(),
        )));
        assert!(p.failure().unwrap().starts_with("cannot write to stdout"));
        p.settle(Err(StdoutError::Closed));
        assert!(p.failure().is_some(), "the first failure is kept");
    }
}
