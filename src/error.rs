//! The errors and exit codes every command shares. A leaf: it imports nothing from the
//! crate, so any layer may name them.

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// A threshold was breached (failures, contract).
    Thresholds = 1,
    /// Bad usage or an invalid scenario.
    Usage = 2,
    /// Interrupted; a partial report was written.
    Interrupted = 3,
    /// The target was unreachable at start.
    Unreachable = 4,
    /// An output could not be written (a full disk, a closed or full stdout): the
    /// message names the file and the OS error (`docs/faults.md`).
    Io = 5,
}

/// A mistake in the input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Why a command could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input (exit 2).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The target did not accept connections at start (exit 4).
    #[error("{0}")]
    Unreachable(String),
    /// An output could not be written (exit 5): the message names the file and the OS
    /// error.
    #[error("{0}")]
    Io(String),
    /// Anything else (exit 1).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl RunError {
    /// The exit code for this error.
    pub fn exit(&self) -> Exit {
        match self {
            RunError::Usage(_) => Exit::Usage,
            RunError::Unreachable(_) => Exit::Unreachable,
            RunError::Io(_) => Exit::Io,
            RunError::Other(_) => Exit::Thresholds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_exit_code() {
        assert_eq!(RunError::from(UsageError("x".into())).exit(), Exit::Usage);
        assert_eq!(RunError::Unreachable("x".into()).exit(), Exit::Unreachable);
        assert_eq!(RunError::Io("x".into()).exit(), Exit::Io);
        assert_eq!(
            RunError::from(anyhow::anyhow!("x")).exit(),
            Exit::Thresholds
        );
    }
}
