//! The fake platform API: the record store (fed by the dispatcher) and request
//! authentication (the platform's HmacSHA256 scheme).

pub mod auth;
pub mod store;
