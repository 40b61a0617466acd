//! No panic may cross into C: every `extern "C"` entry runs its body through `guard`.
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::sys;

/// Log a warning through Wireshark's logger (domain "ws-keepalive").
pub fn warn(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    // SAFETY: `c` is a valid NUL-terminated string for the duration of the call; the shim copies it.
    unsafe { sys::wsk_log_warning(c.as_ptr()) };
}

/// Run `f`; if it panics, log which entry point failed and return `fallback` instead.
pub fn guard<T>(entry: &str, fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(e) => {
            let what = e
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            warn(&format!("ws-keepalive: panic contained in {entry}: {what}"));
            fallback
        }
    }
}
