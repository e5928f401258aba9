//! The simulation: what to simulate (`workload`: the plan and its generated arrivals;
//! `behaviour`: how callers, callees and agents behave; `mechanics`: the platform's delays and
//! limits; `script`: scripted conversations; `dist`: duration distributions), the agent pool
//! (`agents`), its split into shards (`partition`), the discrete-event engine (`engine`) and the counts it keeps (`stats`); the
//! queueing theory it is compared with is `report::theory`. Pure: no I/O, no wall clock;
//! simulated time itself is [`crate::time`].

pub mod agents;
pub mod behaviour;
pub mod dist;
pub mod engine;
pub mod mechanics;
pub mod partition;
pub mod script;
pub mod stats;
pub mod workload;
