//! The fake platform API (`docs/api.md`): the record store (fed by the dispatcher), request
//! authentication (the platform's HmacSHA256 scheme), the JSON renderer, the axum router
//! and its errors, and the flags that configure it.

pub mod auth;
pub mod config;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod listener;
mod ops;
pub mod parse_errors;
pub mod render;
pub mod serve;
pub mod server;
pub mod staging;
pub mod store;

pub use server::{ApiState, router};
