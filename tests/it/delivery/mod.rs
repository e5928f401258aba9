//! Delivery end to end: keep-alive connections, faults survived, signing checked by the official libraries,
//! ordering and robustness options, graceful interruption, and replay.

mod connections;
mod faults;
mod https;
mod interrupt;
mod listen;
mod replay;
mod robustness;
mod signing;
mod support;
