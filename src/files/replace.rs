//! Replacing a file whole: the new content goes to a temporary file beside it
//! (`.NAME.PID.tmp`), which is then renamed over it, so a reader, a kill or a full disk
//! finds the old file or the new one, never a truncated or half-written one; the
//! temporary is removed when anything fails. Nothing is truncated before the new content
//! is complete. A device or a pipe (`/dev/stdout`) is written directly.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file a write to `path` lands in (through a symbolic link), and whether it is a
/// device or a pipe rather than a regular file or nothing yet.
fn destination(path: &Path) -> (PathBuf, bool) {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => (path.to_path_buf(), true),
        Ok(_) => (
            path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
            false,
        ),
        Err(_) => (path.to_path_buf(), false),
    }
}

/// The temporary file beside `path` that [`replace`] writes first.
pub fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Replaces `path` with `bytes` by way of a temporary file renamed over it.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let _writing = super::writing();
    let (path, stream) = destination(path);
    if stream {
        return super::open_for_writing(&path, false, super::FIFO_READER_WAIT)?.write_all(bytes);
    }
    let tmp = temporary(&path);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Checks, at start, that [`replace`] can write `path` (its directory takes a new file;
/// it is not a directory) without touching what is there now.
pub fn probe_replaceable(path: &Path) -> std::io::Result<()> {
    let (path, stream) = destination(path);
    if stream {
        return super::open_for_writing(&path, false, super::FIFO_READER_WAIT).map(drop);
    }
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory",
        ));
    }
    let tmp = temporary(&path);
    std::fs::File::create(&tmp)?;
    std::fs::remove_file(&tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "old").unwrap();
        probe_replaceable(&path).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"old",
            "the probe touches nothing"
        );
        replace(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary left: {names:?}");
    }

    #[test]
    fn a_link_is_followed_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        replace(&link, b"new").unwrap();
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }

    #[test]
    fn a_full_device_fails_and_leaves_no_temporary() {
        let err = replace(Path::new("/dev/full"), b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
        // A directory that cannot take the file: the error comes at the probe.
        let dir = tempfile::tempdir().unwrap();
        let inside = dir.path().join("no").join("r.json");
        assert!(probe_replaceable(&inside).is_err());
        assert!(probe_replaceable(dir.path()).is_err(), "a directory");
    }

    #[test]
    fn a_failed_replace_removes_its_temporary_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        // The rename fails: a directory is in the way.
        let taken = dir.path().join("r.json");
        std::fs::create_dir(&taken).unwrap();
        std::fs::write(taken.join("inside"), "kept").unwrap();
        assert!(replace(&taken, b"new").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r.json"], "no temporary left");
        assert_eq!(std::fs::read(taken.join("inside")).unwrap(), b"kept");
    }
}
