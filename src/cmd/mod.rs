//! One module per subcommand: each holds its clap `Args` and its `exec`, which turns the
//! flags into plain domain values and calls the layers below (`plan`, `session`,
//! `sending`, and the domain modules). Flag groups that several subcommands share live in
//! [`flags`]. Nothing below this module names a clap type.

pub mod examples;
pub mod flags;
pub mod listen;
pub mod load;
pub mod replay;
pub mod report;
pub mod run;
pub mod schema;
pub mod serve;
pub mod sign;
pub mod validate;
