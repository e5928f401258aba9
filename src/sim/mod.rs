//! The simulation: simulated time, distributions, the agent pool, the workload plan,
//! scripted conversations, the discrete-event engine and its statistics. Pure: no I/O, no wall clock.

pub mod agents;
pub mod dist;
pub mod engine;
pub mod erlang;
pub mod script;
pub mod stats;
pub mod workload;
