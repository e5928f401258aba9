//! `ccsim schema`: prints the JSON Schema of scenario files (for editor completion).

use clap::Args;

use crate::console;
use crate::error::{Exit, RunError};
use crate::scenario::SCHEMA;

/// Flags of `ccsim schema` (none).
#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {}

/// Runs `ccsim schema`: exit 5 when stdout cannot be written (a closed stdout is fine).
pub fn exec(_: &SchemaArgs) -> Result<Exit, RunError> {
    console::out_or_fail(SCHEMA)?;
    Ok(Exit::Ok)
}
