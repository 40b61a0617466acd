//! ws-keepalive: a Wireshark plugin that dissects WebSocket connections.
//!
//! `core` is pure Rust (no Wireshark types, no `unsafe`); `epan` is the glue
//! to Wireshark's C API and is only built when Wireshark's headers were found.

pub mod core;
pub mod fields;

#[cfg(has_epan)]
mod epan;
