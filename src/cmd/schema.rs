//! `ccsim schema`: prints the JSON Schema of scenario files (for editor completion).

use clap::Args;

use crate::error::Exit;
use crate::scenario::SCHEMA;

/// Flags of `ccsim schema` (none).
#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {}

/// Runs `ccsim schema`.
pub fn exec(_: &SchemaArgs) -> Exit {
    print!("{SCHEMA}");
    Exit::Ok
}
