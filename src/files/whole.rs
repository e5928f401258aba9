//! Files read whole (scenario files, `ccsim sign --body`): only regular files, and at
//! most [`MAX_WHOLE_FILE`] bytes, so a link to `/dev/zero` or a huge file is refused with
//! a message naming the file and the limit instead of exhausting memory.

use std::io::Read;
use std::path::Path;

/// The largest file read whole: 16 MiB, far above any scenario file or request body.
pub const MAX_WHOLE_FILE: u64 = 16 * 1024 * 1024;

/// The bytes of the regular file at `path`, if it holds at most `limit` bytes; the error
/// says why not, without the path (callers name it).
pub fn read_whole(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(
            "not a regular file (a directory, device or pipe): only regular files are read".into(),
        );
    }
    let too_big = || format!("larger than the limit of {} MiB", limit / (1024 * 1024));
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: never past the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read_whole`] as UTF-8 text.
pub fn read_whole_text(path: &Path, limit: u64) -> Result<String, String> {
    String::from_utf8(read_whole(path, limit)?)
        .map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_large_files_are_refused() {
        let zero = read_whole(Path::new("/dev/zero"), MAX_WHOLE_FILE).unwrap_err();
        assert!(zero.starts_with("not a regular file"), "{zero}");
        let dir = tempfile::tempdir().unwrap();
        assert!(read_whole(dir.path(), MAX_WHOLE_FILE).is_err());
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(
            read_whole(&link, MAX_WHOLE_FILE)
                .unwrap_err()
                .starts_with("not a regular")
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 2 * 1024 * 1024 + 1]).unwrap();
        let err = read_whole(&big, 2 * 1024 * 1024).unwrap_err();
        assert_eq!(err, "larger than the limit of 2 MiB");
        assert_eq!(
            read_whole(&big, MAX_WHOLE_FILE).unwrap().len(),
            2 * 1024 * 1024 + 1
        );
        std::fs::write(&big, b"\xff").unwrap();
        assert!(
            read_whole_text(&big, 10)
                .unwrap_err()
                .starts_with("not UTF-8")
        );
    }
}
