//! Replaying an events log: the log streamed from disk ([`log`]) as a delivery source.
//! `ccsim replay` (in `cmd/replay.rs`) sends it with the same delivery and report as a run.

pub mod log;

pub use log::{LogIndex, LogSource, Skipped};
