//! End-to-end tests: the real `run_plan()` (and the real binary) against test receivers on
//! 127.0.0.1:0.

mod binary;
mod delivery;
mod erlang;
mod lifecycles;
mod support;
