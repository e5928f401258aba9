//! End-to-end tests: the real library driven from outside, one module per area.

mod scenarios;
