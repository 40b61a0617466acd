//! Pure-Rust WebSocket (RFC 6455) core: frame parsing, unmasking, close
//! payloads, handshake helpers, per-connection message state and Info text.
//!
//! Nothing here knows about Wireshark; the `epan` glue maps these types onto
//! fields, expert infos and value/range strings.
#![forbid(unsafe_code)]

pub mod anomaly;
pub mod app;
pub mod backlog;
pub mod close;
pub mod closing;
pub mod deflate;
pub mod follow;
pub mod frame;
pub mod handshake;
pub mod http;
pub mod info;
pub mod keepalive;
pub mod mask;
pub mod message;
pub mod midstream;
pub mod opcode;
pub mod resync;
pub mod tcphdr;
#[cfg(test)]
pub(crate) mod testutil;
pub mod upgrade;
