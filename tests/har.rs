//! `scripts/ws-messages --har FILE` (HAR 1.2 in the shape Chrome DevTools exports WebSocket
//! connections) on real captures, validated against the HAR 1.2 JSON schema (npm `har-schema`,
//! the schema of `har-validator`) with Ajv by scripts/dev/har-check/validate.js, and compared value
//! by value with the capture.
#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// scripts/dev/har-check with its node_modules (`npm ci` once, from its package-lock.json). None only
/// inside scripts/dev/compat.sh's chroots (`WSK_WS_VERSION` set), which have tshark but no Node.js:
/// there the export is checked and the schema validation is left to the host's run.
fn checker() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let has_node = Command::new("node").arg("--version").output().is_ok();
        if !has_node && std::env::var_os("WSK_WS_VERSION").is_some() {
            eprintln!("no Node.js here (a compat chroot): HAR schema validation skipped");
            return None;
        }
        let dir = common::root().join("scripts/dev/har-check");
        if !dir.join("node_modules/har-schema/package.json").exists() {
            let st = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("npm (Node.js) is needed to validate HAR files");
            assert!(st.success(), "npm ci in scripts/dev/har-check failed");
        }
        Some(dir)
    })
    .as_deref()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wsk-har-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Run `scripts/ws-messages --har OUT CAPTURE extra...`; returns OUT's path.
fn export(capture: &str, extra: &[&str]) -> PathBuf {
    // One file per call: the tests run in parallel threads and several export the same capture.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = tmp(&capture.replace(".pcapng", &format!(".{n}.har")));
    let capture = common::root().join("tests/captures").join(capture);
    let mut args = vec![
        "--har".into(),
        out.clone().into_os_string(),
        capture.into_os_string(),
    ];
    args.extend(extra.iter().map(Into::into));
    common::ws_messages(args);
    out
}

/// The validator's verdict line (stdout), and whether it accepted the file; None without the
/// validator (see [`checker`]).
fn validate(file: &Path) -> Option<(String, bool)> {
    let dir = checker()?;
    let out = Command::new("node")
        .arg(dir.join("validate.js"))
        .arg(file)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((
        text.replace(&format!("{}: ", file.display()), ""),
        out.status.success(),
    ))
}

fn load(file: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn every_capture_exports_valid_har_1_2() {
    if common::tshark().is_none() {
        return;
    }
    let cases: &[(&str, &[&str], &str)] = &[
        ("py_basic.pcapng", &[], "1 entries, 18 WebSocket messages"),
        ("node_frag.pcapng", &[], "1 entries, 46 WebSocket messages"),
        (
            "m_deflate_py.pcapng",
            &[],
            "1 entries, 20 WebSocket messages",
        ),
        (
            "m_json_subprotocol.pcapng",
            &[],
            "1 entries, 9 WebSocket messages",
        ),
        ("m_mqtt_ws.pcapng", &[], "1 entries, 15 WebSocket messages"),
        (
            "m_midstream_py.pcapng",
            &[],
            "1 entries, 19 WebSocket messages",
        ),
        (
            "m_four_connections.pcapng",
            &[],
            "4 entries, 92 WebSocket messages",
        ),
        (
            "m_wss_443.pcapng",
            &["-o", "tls.keylog_file:tests/captures/m_wss_443.keys"],
            "1 entries, 8 WebSocket messages",
        ),
    ];
    for (cap, extra, want) in cases {
        let extra: Vec<String> = extra
            .iter()
            .map(|a| {
                a.replace(
                    "tests/captures/",
                    &format!("{}/tests/captures/", common::root().display()),
                )
            })
            .collect();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let file = export(cap, &extra);
        let n = load(&file)["log"]["entries"]
            .as_array()
            .map_or(0, |e| e.len());
        assert_eq!(
            format!("{n} entries"),
            want.split(',').next().unwrap(),
            "{cap}"
        );
        let Some((verdict, ok)) = validate(&file) else {
            continue;
        };
        assert!(ok, "{cap}: {verdict}");
        assert_eq!(verdict.trim(), format!("valid HAR 1.2, {want}"), "{cap}");
    }
}

#[test]
fn the_validator_rejects_a_har_without_a_request_url() {
    if common::tshark().is_none() || checker().is_none() {
        return;
    }
    let mut har = load(&export("py_basic.pcapng", &[]));
    har["log"]["entries"][0]["request"]
        .as_object_mut()
        .unwrap()
        .remove("url");
    let bad = tmp("no_url.har");
    std::fs::write(&bad, har.to_string()).unwrap();
    let (verdict, ok) = validate(&bad).unwrap();
    assert!(!ok, "accepted: {verdict}");
    assert!(
        verdict.contains("must have required property 'url'"),
        "{verdict}"
    );
    // And a message with an opcode DevTools never writes.
    let mut har = load(&export("py_basic.pcapng", &[]));
    har["log"]["entries"][0]["_webSocketMessages"][0]["opcode"] = 9.into();
    std::fs::write(&bad, har.to_string()).unwrap();
    let (verdict, ok) = validate(&bad).unwrap();
    assert!(!ok, "accepted: {verdict}");
    assert!(
        verdict.contains("entry 0 is not a DevTools WebSocket entry"),
        "{verdict}"
    );
}

#[test]
fn the_python_connection_as_devtools_would_export_it() {
    if common::tshark().is_none() {
        return;
    }
    let har = load(&export("py_basic.pcapng", &[]));
    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(har["log"]["creator"]["name"], "ws-keepalive");
    let e = &har["log"]["entries"][0];
    assert_eq!(e["_resourceType"], "websocket");
    assert_eq!(e["startedDateTime"], "2026-11-21T23:25:31.699Z");
    assert_eq!(e["time"], 0.699);
    assert_eq!(e["serverIPAddress"], "10.77.0.2");
    assert_eq!(e["connection"], "44208");
    let req = &e["request"];
    assert_eq!(req["method"], "GET");
    assert_eq!(req["url"], "ws://10.77.0.2:8765/echo");
    assert_eq!(req["httpVersion"], "HTTP/1.1");
    // The GET's TCP payload is 198 bytes, the 101's 203 (tshark -T fields -e tcp.len).
    assert_eq!(req["headersSize"], 198);
    assert_eq!(
        req["headers"][3],
        serde_json::json!({"name": "Sec-WebSocket-Key", "value": "fmby2tTuDIS4BiNjffgwdA=="})
    );
    assert_eq!(req["headers"].as_array().unwrap().len(), 6);
    let resp = &e["response"];
    assert_eq!(resp["status"], 101);
    assert_eq!(resp["statusText"], "Switching Protocols");
    assert_eq!(resp["headersSize"], 203);
    assert_eq!(
        resp["headers"][2],
        serde_json::json!({"name": "Sec-WebSocket-Accept", "value": "uShezozuuFmI/19e4QiJ99QipJ4="})
    );
    let m = e["_webSocketMessages"].as_array().unwrap();
    assert_eq!(m.len(), 18, "Text and Binary only: no ping, pong or Close");
    assert_eq!(m[0]["type"], "send");
    assert_eq!(m[0]["opcode"], 1);
    assert_eq!(m[0]["data"], "hello");
    // frame.time_epoch 1795303531.734611511 as a double.
    assert_eq!(m[0]["time"].as_f64(), Some(1_795_303_531.734_611_5));
    assert_eq!(m[1]["type"], "receive");
    assert_eq!(m[1]["data"], "hello");
    assert_eq!(m[2]["opcode"], 2);
    assert_eq!(m[2]["data"], "");
    // Binary is base64: bytes 0..125 of Client.3.
    assert!(m[4]["data"].as_str().unwrap().starts_with("AAECAwQFBgcICQ"));
    assert_eq!(m[16]["data"], "héllo wörld ✓ 日本");
}

#[test]
fn compressed_messages_are_exported_inflated_and_wss_as_wss() {
    if common::tshark().is_none() {
        return;
    }
    let har = load(&export("m_deflate_py.pcapng", &[]));
    let m = &har["log"]["entries"][0]["_webSocketMessages"];
    assert!(m[0]["data"]
        .as_str()
        .unwrap()
        .starts_with("{\"type\":\"quote\",\"seq\":1,\"symbol\":\"ACME\""));
    let keys = common::root().join("tests/captures/m_wss_443.keys");
    let opt = format!("tls.keylog_file:{}", keys.display());
    let har = load(&export("m_wss_443.pcapng", &["-o", &opt]));
    let e = &har["log"]["entries"][0];
    assert_eq!(e["request"]["url"], "wss://10.79.0.2/secure");
    assert_eq!(e["_webSocketMessages"][0]["data"], "hello over TLS");
}

#[test]
fn a_connection_recognised_midstream_says_its_handshake_is_missing() {
    if common::tshark().is_none() {
        return;
    }
    let har = load(&export("m_midstream_py.pcapng", &[]));
    let e = &har["log"]["entries"][0];
    assert_eq!(e["request"]["url"], "ws://10.79.0.2:9001/");
    assert_eq!(e["request"]["headers"], serde_json::json!([]));
    assert_eq!(
        e["comment"],
        "The capture began after the WebSocket handshake: request and response headers are not in it."
    );
    // One pass: from the segment where mid-stream detection decided (the server's answer to id 2).
    assert_eq!(
        e["_webSocketMessages"][0]["data"],
        "{\"op\":\"ping\",\"id\":2}"
    );
}
