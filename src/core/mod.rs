//! Pure-Rust WebSocket core (placeholder; being written).
#![forbid(unsafe_code)]
