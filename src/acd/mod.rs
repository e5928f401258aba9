//! The platform's ACD vocabulary as text: condition expressions (`where`, `sort`) and the
//! `<enqueue>` XML of IVRs, `call_agent` and `invite_agent`, parsed into checked values.

pub mod enqueue;
pub mod expr;
