//! Webhook delivery: the dispatcher releases a [`Source`]'s events at their scheduled
//! wall-clock time (or as fast as possible at `--speed max`); for a simulation the source
//! applies each happening to the record store *before* the webhooks announcing it are
//! handed to the network. It orders each conversation's events (or not, with
//! `--ordering none`), applies the receiver-robustness options (duplicates, reordering,
//! jitter), bounds concurrency and backlog, retries, and reports every send's outcome to
//! the collector. On cancellation it stops scheduling, cancels what has not been sent,
//! and gives in-flight attempts a grace period.
//!
//! `run` and `replay` call [`run_delivery`] with a [`DeliveryConfig`], a [`Source`] and a
//! [`Sink`]; the report collector reads [`Job`]s and [`Completion`]s, and the progress
//! line reads the [`LiveCounters`]. Everything they use is re-exported here.
//!
//! | module | owns |
//! |---|---|
//! | `dispatcher` | the control loop ([`run_delivery`]) |
//! | `lanes` | per-conversation ordering, events held for a swap, the backlog count |
//! | `jitter` | sends waiting out their `--jitter` |
//! | `workers` | the worker tasks that attempt each send, with retries |
//! | `transport` | where webhooks go, and each worker's connection |
//! | `attempt` | what an attempt is and came to |
//! | `sleep`, `pages` | waiting for a send's time; memory pages that do not stall it |
//! | `h1`, `https` | the `http://` and `https://` clients |
//! | `config`, `job`, `sink`, `counters` | the types shared with the rest of ccsim |

pub mod attempt;
pub mod clock;
pub mod config;
pub mod counters;
pub mod dispatcher;
pub mod h1;
pub mod handover;
pub mod https;
mod jitter;
pub mod job;
mod lanes;
pub mod options;
mod pages;
pub mod preflight;
pub mod retry;
pub mod robustness;
pub mod signing;
pub mod sink;
mod sleep;
pub mod source;
pub mod transport;
mod workers;

pub use config::DeliveryConfig;
pub use counters::LiveCounters;
pub use dispatcher::{DeliveryEnd, run_delivery};
pub use handover::Handover;
pub use job::{Completion, DeliveryOutcome, Job};
pub use sink::Sink;
pub use source::{Released, Source};
