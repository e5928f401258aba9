//! Outputs that name an input or another output: `ccsim replay v.jsonl --events-log v.jsonl`
//! would truncate the log it replays, `--report s.toml` the scenario, `--report x
//! --events-log x` one output with the other. Paths are compared as the files they name
//! (through symbolic and hard links, `..` and relative paths); a path that does not exist
//! yet is compared by its canonical directory. Devices and pipes (`/dev/null`) may be
//! named twice: they are never truncated or replaced.

use std::path::{Path, PathBuf};

use crate::error::UsageError;

/// What a path names, for comparison.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    /// An existing regular file (or directory): its device and inode.
    Inode(u64, u64),
    /// A path that does not exist yet: its canonical form.
    Path(PathBuf),
    /// A device or a pipe, which nothing overwrites: never the same as anything.
    Stream,
}

fn identity(path: &Path) -> Identity {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() || meta.is_dir() => inode(&meta)
            .map(|(dev, ino)| Identity::Inode(dev, ino))
            .unwrap_or_else(|| Identity::Path(canonical(path))),
        Ok(_) => Identity::Stream,
        Err(_) => Identity::Path(canonical(path)),
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The canonical path, or for a file not there yet its canonical directory joined with
/// its name (a dangling symbolic link counts as its target's name).
fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let target = std::fs::read_link(path)
        .map(|t| match path.parent() {
            Some(dir) if t.is_relative() => dir.join(t),
            _ => t,
        })
        .unwrap_or_else(|_| path.to_path_buf());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (dir.canonicalize(), target.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => std::env::current_dir()
            .map(|cwd| cwd.join(&target))
            .unwrap_or(target),
    }
}

/// Refuses (exit 2, naming both flags) any output that is the same file as an input or as
/// another output. `inputs` and `outputs` are `(flag, path)` pairs, e.g. `("--report",
/// path)`; every command that writes files checks all of them here, once, at start.
pub fn refuse_clashes(
    inputs: &[(&str, &Path)],
    outputs: &[(&str, &Path)],
) -> Result<(), UsageError> {
    let ins: Vec<Identity> = inputs.iter().map(|(_, p)| identity(p)).collect();
    let outs: Vec<Identity> = outputs.iter().map(|(_, p)| identity(p)).collect();
    for (i, (flag, path)) in outputs.iter().enumerate() {
        if outs[i] == Identity::Stream {
            continue;
        }
        if let Some(j) = ins.iter().position(|id| *id == outs[i]) {
            let (in_flag, in_path) = inputs[j];
            return Err(UsageError(format!(
                "{flag} {} is the same file as {in_flag} {}: writing it would destroy the input",
                path.display(),
                in_path.display()
            )));
        }
        if let Some(j) = outs[..i].iter().position(|id| *id == outs[i]) {
            let (other_flag, other_path) = outputs[j];
            return Err(UsageError(format!(
                "{other_flag} {} and {flag} {} are the same file: give each output its own",
                other_path.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clash(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Option<String> {
        refuse_clashes(inputs, outputs).err().map(|e| e.0)
    }

    #[test]
    fn an_output_that_is_an_input_is_refused_naming_both_flags() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("v.jsonl");
        std::fs::write(&log, "{}\n").unwrap();
        let err = clash(&[("FILE.jsonl", &log)], &[("--events-log", &log)]).unwrap();
        assert!(
            err.starts_with("--events-log ") && err.contains("same file as FILE.jsonl"),
            "{err}"
        );
        // Through `..`, a relative-looking detour and a symbolic link.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let detour = sub.join("..").join("v.jsonl");
        assert!(clash(&[("FILE.jsonl", &log)], &[("--report", &detour)]).is_some());
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&log, &link).unwrap();
        assert!(clash(&[("FILE.jsonl", &link)], &[("--report", &log)]).is_some());
        let hard = dir.path().join("hard.jsonl");
        std::fs::hard_link(&log, &hard).unwrap();
        assert!(clash(&[("SCENARIO", &hard)], &[("--report", &log)]).is_some());
    }

    #[test]
    fn two_outputs_that_do_not_exist_yet_clash_by_their_canonical_directory() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("x");
        let b = dir.path().join("sub").join("..").join("x");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let err = clash(&[], &[("--report", &a), ("--events-log", &b)]).unwrap();
        assert!(
            err.starts_with("--report ") && err.contains(" and --events-log "),
            "{err}"
        );
        // A dangling link to a file not yet written is that file.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&a, &link).unwrap();
        assert!(clash(&[], &[("--report", &a), ("--events-log", &link)]).is_some());
    }

    #[test]
    fn distinct_files_and_devices_pass() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        assert_eq!(clash(&[("SCENARIO", &a)], &[("--report", &b)]), None);
        let null = Path::new("/dev/null");
        assert_eq!(
            clash(&[], &[("--report", null), ("--events-log", null)]),
            None
        );
    }
}
