//! End-to-end tests: the real `run()`/`run_plan()` (and the real binary where signals
//! matter) against test receivers on 127.0.0.1:0.

mod delivery;
