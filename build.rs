//! Finds Wireshark's headers, generates the epan bindings (allowlisted) and compiles the C shim.
//!
//! Without Wireshark's headers (or with `WSK_NO_EPAN=1`) only the pure-Rust core is built, so
//! `cargo test` works on a machine without Wireshark. `WIRESHARK_INCLUDE_DIR` points the build at
//! another version's headers (the directory holding `ws_version.h`); scripts/dev/compat.sh uses it
//! to build for Wireshark 4.4 and 4.6. The version read from `ws_version.h` sets the cfg flags
//! `ws_4_2_plus`, `ws_4_4_plus` and `ws_4_6_plus`. Functions whose C signature differs between
//! versions get a version-stable Rust face in src/epan/compat.rs (appended to the bindings).
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pkg_config(args: &[&str]) -> Option<String> {
    let out = Command::new("pkg-config").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn version_of(include: &Path) -> Option<(u32, u32, u32)> {
    let text = std::fs::read_to_string(include.join("ws_version.h")).ok()?;
    let get = |name: &str| -> Option<u32> {
        text.lines()
            .filter_map(|l| l.strip_prefix("#define "))
            .find_map(|l| l.strip_prefix("WIRESHARK_").unwrap_or(l).strip_prefix(name))
            .and_then(|rest| rest.trim().parse().ok())
    };
    Some((
        get("VERSION_MAJOR ")?,
        get("VERSION_MINOR ")?,
        get("VERSION_MICRO ")?,
    ))
}

/// Functions bound under the name `wsk_raw_<name>` and wrapped in src/epan/compat.rs.
const WRAPPED: &[&str] = &["proto_tree_add_boolean", "proto_name_already_registered"];

#[derive(Debug)]
struct Renames;

impl bindgen::callbacks::ParseCallbacks for Renames {
    fn generated_name_override(&self, item: bindgen::callbacks::ItemInfo<'_>) -> Option<String> {
        match item.kind {
            bindgen::callbacks::ItemKind::Function if WRAPPED.contains(&item.name) => {
                Some(format!("wsk_raw_{}", item.name))
            }
            _ => None,
        }
    }
}

fn main() {
    println!("cargo:rustc-check-cfg=cfg(has_epan)");
    println!("cargo:rustc-check-cfg=cfg(ws_4_2_plus)");
    println!("cargo:rustc-check-cfg=cfg(ws_4_4_plus)");
    println!("cargo:rustc-check-cfg=cfg(ws_4_6_plus)");
    println!("cargo:rerun-if-changed=src/epan/compat.rs");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=src/epan/shim.c");
    println!("cargo:rerun-if-changed=src/epan/dispatch.c");
    println!("cargo:rerun-if-changed=src/epan/decode_as.c");
    println!("cargo:rerun-if-changed=src/epan/tap.c");
    println!("cargo:rerun-if-changed=src/epan/tap.h");
    println!("cargo:rerun-if-changed=src/epan/stats.c");
    println!("cargo:rerun-if-changed=src/epan/follow.c");
    println!("cargo:rerun-if-env-changed=WSK_NO_EPAN");
    println!("cargo:rerun-if-env-changed=WIRESHARK_INCLUDE_DIR");
    if env::var_os("WSK_NO_EPAN").is_some() {
        return;
    }

    // Include directories: Wireshark's own plus glib's.
    let glib_cflags = pkg_config(&["--cflags", "glib-2.0"]).unwrap_or_default();
    let (ws_include, mut includes): (PathBuf, Vec<PathBuf>) =
        match env::var_os("WIRESHARK_INCLUDE_DIR") {
            Some(dir) => (PathBuf::from(&dir), vec![PathBuf::from(dir)]),
            None => match pkg_config(&["--cflags-only-I", "wireshark"]) {
                Some(flags) => {
                    let dirs: Vec<PathBuf> = flags
                        .split_whitespace()
                        .filter_map(|f| f.strip_prefix("-I"))
                        .map(PathBuf::from)
                        .collect();
                    let ws = dirs
                        .iter()
                        .find(|d| d.join("ws_version.h").exists())
                        .cloned();
                    match ws {
                        Some(ws) => (ws, dirs),
                        None => return no_epan("ws_version.h not found"),
                    }
                }
                None => return no_epan("pkg-config does not know wireshark"),
            },
        };
    for f in glib_cflags.split_whitespace() {
        if let Some(d) = f.strip_prefix("-I") {
            includes.push(PathBuf::from(d));
        }
    }
    let Some((major, minor, micro)) = version_of(&ws_include) else {
        return no_epan("cannot read the version from ws_version.h");
    };
    println!(
        "cargo:rerun-if-changed={}",
        ws_include.join("ws_version.h").display()
    );
    let at_least = |ma: u32, mi: u32| major > ma || (major == ma && minor >= mi);
    for (mi, flag) in [(2, "ws_4_2_plus"), (4, "ws_4_4_plus"), (6, "ws_4_6_plus")] {
        if at_least(4, mi) {
            println!("cargo:rustc-cfg={flag}");
        }
    }

    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    std::fs::write(
        out.join("ws_version.rs"),
        format!(
            "pub const WS_MAJOR: i32 = {major};\npub const WS_MINOR: i32 = {minor};\npub const WS_MICRO: i32 = {micro};\n"
        ),
    )
    .unwrap();

    let clang_args: Vec<String> = includes
        .iter()
        .map(|d| format!("-I{}", d.display()))
        .collect();
    let b = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(&clang_args)
        .allowlist_function(
            "proto_.*|tvb_.*|col_.*|expert_.*|heur_dissector_add|find_heur_dissector_by_unique_short_name|\
             register_dissector|create_dissector_handle|find_dissector|call_dissector.*|dissector_add_.*|\
             tcp_dissect_pdus|add_new_data_source|conversation_set_dissector|find_or_create_conversation|\
             find_conversation_pinfo|p_(add|get|set)_proto_data|wmem_alloc|wmem_alloc0|\
             register_init_routine|register_cleanup_routine|register_postdissector|\
             prefs_register_protocol|prefs_register_uint_preference|prefs_register_bool_preference|wsk_.*|\
             inflate|inflateEnd|inflateReset|inflateResetKeep",
        )
        .allowlist_type("field_display_e|hf_register_info|ei_register_info|value_string|range_string|true_false_string|packet_info|conversation_t|field_info|wsk_pdu_ctx|z_stream")
        .allowlist_var("ENC_.*|COL_.*|BASE_.*|PI_.*|FT_.*|HEURISTIC_.*|DESEGMENT_.*|Z_.*")
        // 4.4+ headers: bindgen cannot lay this union out (harmless for 4.0).
        .opaque_type("wtap_pseudo_header")
        .derive_default(false)
        .derive_debug(false)
        .layout_tests(false)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .parse_callbacks(Box::new(Renames));
    let bindings = b.generate().expect("bindgen failed on wrapper.h");
    let mut text = bindings.to_string();
    text.push_str("\ninclude!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/src/epan/compat.rs\"));\n");
    std::fs::write(out.join("bindings.rs"), text).unwrap();

    let mut cc = cc::Build::new();
    cc.file("src/epan/shim.c")
        .file("src/epan/dispatch.c")
        .file("src/epan/decode_as.c")
        .file("src/epan/tap.c")
        .file("src/epan/stats.c")
        .file("src/epan/follow.c")
        .warnings(false);
    for d in &includes {
        cc.include(d);
    }
    cc.compile("wsk_shim");

    // zlib, for permessage-deflate (src/epan/zlib.rs): the library Wireshark itself links.
    println!("cargo:rustc-link-lib=z");
    println!("cargo:rustc-cfg=has_epan");
    println!("cargo:warning=building the Wireshark plugin against {major}.{minor}.{micro} headers");
}

fn no_epan(why: &str) {
    println!(
        "cargo:warning=Wireshark headers not usable ({why}): building the pure-Rust core only"
    );
}
