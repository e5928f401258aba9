//! End-to-end tests: one binary driving the public library — the fake API's router
//! in-process, scenario files, and the real `run_plan()` (and the real binary where exit
//! codes and signals matter) against test servers on 127.0.0.1 port 0.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A test may print a note: a panic on a closed stdout is a failed test too.
#![allow(clippy::disallowed_macros)]

mod agents;
mod api;
mod binary;
mod bounds;
mod control;
mod delivery;
mod deploy;
mod drive;
mod erlang;
mod example_app;
mod examples;
mod families;
mod faults;
mod golden;
mod html;
mod layers;
mod lifecycle_doc;
mod lifecycles;
mod manual_clock;
mod merge;
mod platform;
mod retries;
mod scenarios;
mod scheduler;
mod shard;
mod support;
