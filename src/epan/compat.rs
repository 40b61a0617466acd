// Version-stable faces of the epan functions whose C signature changed between the Wireshark
// versions the plugin builds for (4.0, 4.4, 4.6).
//
// Not a module of its own: build.rs appends `include!` of this file to the generated bindings, so
// it lives in `sys` and the callers keep writing `sys::proto_tree_add_boolean(...)` whatever the
// headers. build.rs renames bindgen's raw declarations of these functions to `wsk_raw_<name>`
// (they keep their C symbol through `#[link_name]`); the wrappers below convert to and from the
// types of 4.0, so code written against 4.0 compiles unchanged against 4.4 and 4.6.
//
// build.rs also sets `cfg(ws_4_2_plus)`, `cfg(ws_4_4_plus)` and `cfg(ws_4_6_plus)` from the
// version in the headers' ws_version.h.

/// `proto_tree_add_boolean`: the value is `guint32` in 4.0 and `uint64_t` from 4.2.
///
/// # Safety
/// As the C function: `tree` may be null, `tvb` must be the packet's tvb, `hfindex` registered.
#[inline]
pub unsafe fn proto_tree_add_boolean(
    tree: *mut proto_tree,
    hfindex: ::std::os::raw::c_int,
    tvb: *mut tvbuff_t,
    start: ::std::os::raw::c_int,
    length: ::std::os::raw::c_int,
    value: u32,
) -> *mut proto_item {
    wsk_raw_proto_tree_add_boolean(tree, hfindex, tvb, start, length, value.into())
}

/// `proto_name_already_registered`: returns `gboolean` in 4.0 and `bool` in 4.4+; here non-zero
/// when the name is taken, as in 4.0.
///
/// # Safety
/// `name` must be a NUL-terminated string.
#[inline]
pub unsafe fn proto_name_already_registered(
    name: *const ::std::os::raw::c_char,
) -> ::std::os::raw::c_int {
    #[allow(clippy::unnecessary_cast)]
    let taken = wsk_raw_proto_name_already_registered(name) as ::std::os::raw::c_int;
    taken
}
