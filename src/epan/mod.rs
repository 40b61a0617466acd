#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
//! The glue to Wireshark's epan C API: the only `unsafe` code of the plugin.
//!
//! `plugin` exports the symbols the loader looks for, `register` declares the protocol, fields,
//! subtrees, expert infos and preferences, `dissect` holds the `extern "C"` callbacks, and `state`
//! keeps what the first pass learnt (per connection, per frame) so that revisits show the same.

mod app;
mod app_reg;
mod dispatch;
mod dissect;
mod follow;
mod guard;
mod handshake;
mod ids;
mod keepalive;
mod midstream;
mod pkt;
mod plugin;
mod post;
mod register;
mod resync;
mod state;
mod sys;
mod tap;
mod tree;
mod zlib;
