//! ws-keepalive: a Wireshark plugin that dissects WebSocket connections.
//!
//! `core` is pure Rust (no Wireshark types, no `unsafe`); `epan` is the glue
//! to Wireshark's C API and is only built when Wireshark's headers were found.

pub mod core;
pub mod fields;
pub mod fields_app;

#[cfg(has_epan)]
mod epan;
