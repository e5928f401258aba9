//! Opening an output for writing without hanging on a FIFO that nobody reads: `open(2)`
//! of a FIFO for writing waits for a reader, forever if none comes, before any interrupt
//! handling can help.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// How long an output that is a FIFO may wait for its reader at start.
pub const FIFO_READER_WAIT: Duration = Duration::from_secs(5);

/// Opens `path` for writing: a regular file is created (or truncated, with `truncate`);
/// any other existing file (a device, a FIFO) is opened as it is. A FIFO whose reader has
/// not come within `wait` is an error instead of a hang (the open is left to finish, or
/// not, on a thread of its own).
pub fn open_for_writing(path: &Path, truncate: bool, wait: Duration) -> io::Result<File> {
    let fifo = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo());
    if !fifo {
        return OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(truncate)
            .open(path);
    }
    let (tx, rx) = mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::Builder::new()
        .name("ccsim-open-fifo".into())
        .spawn(move || {
            let _ = tx.send(OpenOptions::new().write(true).open(&owned));
        })?;
    rx.recv_timeout(wait).unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "it is a FIFO and nothing opened it for reading within {}s",
                wait.as_secs()
            ),
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn fifo(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("pipe");
        let made = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
        assert!(made.success());
        path
    }

    #[test]
    fn a_fifo_nobody_reads_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = fifo(dir.path());
        let err = open_for_writing(&path, true, Duration::from_millis(200)).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
    }

    #[test]
    fn a_fifo_with_a_reader_opens_and_a_regular_file_is_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = fifo(dir.path());
        let reader_path = path.clone();
        let reader =
            std::thread::spawn(move || std::fs::read_to_string(&reader_path).expect("read"));
        let mut f = open_for_writing(&path, true, Duration::from_secs(30)).expect("open");
        std::io::Write::write_all(&mut f, b"line\n").expect("write");
        drop(f);
        assert_eq!(reader.join().expect("reader"), "line\n");
        let file = dir.path().join("plain.txt");
        open_for_writing(&file, true, Duration::ZERO).expect("created");
        assert!(file.is_file());
    }
}
