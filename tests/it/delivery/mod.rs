//! Delivery end to end: faults survived, signing checked by the official libraries,
//! ordering and robustness options, graceful interruption, and replay.

mod faults;
mod interrupt;
mod listen;
mod replay;
mod robustness;
mod signing;
mod support;
