//! The push-service protocols in WebSocket messages: which protocol a connection speaks (first
//! pass, from the session in state.rs), the tree of each message (Engine.IO with Socket.IO,
//! STOMP, SignalR, GraphQL over WebSocket), and the heartbeats handed to keep-alive analysis.
//! MQTT messages stay with Wireshark's MQTT dissector; only their PINGREQ/PINGRESP are fed here.
//!
//! A revisit dissects the message's bytes with what the first pass stored for it (`MsgCtx`), so
//! every pass and click order shows the same. Offsets given to Wireshark lie inside the message
//! tvb (a real-data tvb: captured = reported), so nothing here can throw.
use std::os::raw::{c_int, c_uint};
use std::ptr;

use super::app_reg::{ei, ett, hf, proto, proto_index, ETT_HEADER, ETT_JSON};
use super::pkt::{captured, cstring, src_endpoint, visited, Item, Pinfo, Tree, Tvb};
use super::state::{self, conv_index};
use super::sys;
use crate::core::app::issue::Issue;
use crate::core::app::json::{self, Kind, Value};
use crate::core::app::session::{HandshakeInfo, MsgCtx};
use crate::core::app::{engineio, graphql, signalr, socketio, stomp, App};
use crate::fields_app::{eio, gq, sio, sr, st, ENGINEIO, GRAPHQL, SIGNALR, SOCKETIO, STOMP};

/// Largest message parsed (bytes); the rest of a longer one is not looked at.
const MAX_APP_MESSAGE: usize = 16 * 1024 * 1024;
/// JSON subtree limits: depth and items per message.
const JSON_DEPTH: usize = 8;
const JSON_ITEMS: u32 = 512;
/// A completed WebSocket data message (from tree.rs): dissect it when its connection speaks one
/// of the push-service protocols. Returns true when it took the message (MQTT never: Wireshark's
/// dissector shows it, and only its heartbeats are fed). `ordinal` is the WebSocket frame's
/// ordinal in the packet (the frame that completes the message): with the frame number it names
/// the message in every pass.
pub(super) unsafe fn dissect_message(
    msg: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    conv: Option<u32>,
    ordinal: u32,
    is_text: bool,
) -> bool {
    // SAFETY: the caller's contract: the live message tvb, pinfo and tree of this packet.
    unsafe {
        if proto(ENGINEIO) < 0 && proto(STOMP) < 0 && proto(SIGNALR) < 0 && proto(GRAPHQL) < 0 {
            return false;
        }
        let Some(conv) = conv.or_else(|| conv_index(pinfo, true)) else {
            return false;
        };
        let key = ((*pinfo).num, ordinal);
        // Borrowed from the message's tvb (lives for this packet's dissection): no copy per message.
        let bytes = captured(msg, 0, MAX_APP_MESSAGE);
        let ctx = if visited(pinfo) {
            let cap = state::capture();
            // A connection that speaks none of them (its first pass stored no message): no lookup.
            if cap.app.given_up.contains_key(&conv) {
                return false;
            }
            cap.app.msgs.get(&key).cloned()
        } else {
            first_pass(pinfo, conv, key, bytes, is_text)
        };
        let Some(ctx) = ctx else {
            return false;
        };
        tap_labels(pinfo, conv, bytes, is_text, &ctx);
        let Some(p) = proto_index(ctx.app) else {
            return false;
        };
        if proto(p) < 0 {
            return false;
        }
        let short = cstring(
            crate::fields_app::APP_PROTOCOLS[if ctx.app == App::SocketIo {
                SOCKETIO
            } else {
                p
            }]
            .short,
        );
        sys::col_set_str(
            (*pinfo).cinfo,
            sys::COL_PROTOCOL as c_int,
            leak_short(short),
        );
        let info = match ctx.app {
            App::EngineIo | App::SocketIo => {
                show_engineio(msg, pinfo, tree, bytes, is_text, &ctx, key)
            }
            App::Stomp => show_stomp(msg, pinfo, tree, bytes, &ctx),
            App::SignalR => show_signalr(msg, pinfo, tree, bytes, &ctx),
            App::GraphqlTransportWs | App::GraphqlWs => show_graphql(msg, pinfo, tree, bytes, &ctx),
            App::Mqtt => String::new(),
        };
        if !info.is_empty() {
            let c = cstring(&format!(" [{info}]"));
            sys::col_append_str((*pinfo).cinfo, sys::COL_INFO as c_int, c.as_ptr());
        }
        true
    }
}

/// The message's commands/events for the statistics tree (one tap record each).
unsafe fn tap_labels(pinfo: Pinfo, conv: u32, bytes: &[u8], is_text: bool, ctx: &MsgCtx) {
    // SAFETY: the caller's contract: pinfo is the live packet's.
    unsafe {
        if !super::tap::listening() {
            return;
        }
        let name = match proto_index(ctx.app) {
            None => "MQTT",
            Some(_) if ctx.app == App::SocketIo => crate::fields_app::APP_PROTOCOLS[SOCKETIO].short,
            Some(p) => crate::fields_app::APP_PROTOCOLS[p].short,
        };
        let from = src_endpoint(pinfo);
        for what in crate::core::app::label::labels(ctx.app, bytes, is_text, ctx) {
            let note = super::tap::AppNote {
                app: Some(name),
                what: Some(&what),
                late: false,
            };
            super::tap::queue_note(
                pinfo,
                conv,
                Some(&from),
                super::tap::APP,
                0,
                bytes.len() as u64,
                None,
                None,
                None,
                &note,
            );
        }
    }
}

/// col_set_str keeps the pointer: the five short names, leaked once each.
fn leak_short(c: std::ffi::CString) -> *const std::os::raw::c_char {
    use std::sync::Mutex;
    static NAMES: Mutex<Vec<&'static std::ffi::CStr>> = Mutex::new(Vec::new());
    let mut v = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = v.iter().find(|s| **s == c.as_c_str()) {
        return s.as_ptr();
    }
    let s: &'static std::ffi::CStr = Box::leak(c.into_boxed_c_str());
    v.push(s);
    s.as_ptr()
}

/// First pass: the session decides and learns; heartbeats go to keep-alive analysis.
unsafe fn first_pass(
    pinfo: Pinfo,
    conv: u32,
    key: (u32, u32),
    bytes: &[u8],
    is_text: bool,
) -> Option<MsgCtx> {
    // SAFETY: the caller's contract: pinfo is the live packet's.
    unsafe {
        let (ctx, acts) = {
            let mut guard = state::capture();
            let cap = &mut *guard;
            // Decode As ("ws.app.port"): the server's port first, else the lower one.
            let (sp, dp) = ((*pinfo).srcport, (*pinfo).destport);
            let c = cap.ws.conns.get(&conv);
            let server_port = c.and_then(|c| c.server.as_ref().map(|e| e.port));
            let ports = [server_port.unwrap_or(0), sp.min(dp), sp.max(dp)];
            // Decided to be none of them, with no Decode As for these ports: nothing to do (the
            // same ports were looked up when it was decided; Decode As does not change in a pass).
            if cap.app.given_up.get(&conv) == Some(&ports) {
                return None;
            }
            let forced = super::app_reg::decode_as(&ports);
            let src = src_endpoint(pinfo);
            let (protocol, target, from_client) = match c {
                Some(c) => {
                    let known = c.hs.response_frame.is_some();
                    let from_client = match (&c.client, &c.server) {
                        (Some(cl), _) => *cl == src,
                        (None, Some(sv)) => *sv != src,
                        (None, None) => true,
                    };
                    (
                        c.hs.protocol.as_deref().filter(|_| known),
                        c.hs.target.as_deref().filter(|_| known),
                        from_client,
                    )
                }
                None => (None, None, true),
            };
            let hs = HandshakeInfo { protocol, target };
            let session = cap.app.sessions.entry(conv).or_default();
            let got = session.on_message(key, bytes, is_text, from_client, &hs, forced);
            if session.given_up() {
                cap.app.given_up.insert(conv, ports);
            } else {
                // Decode As can still name a protocol for a connection decided to be none.
                cap.app.given_up.remove(&conv);
            }
            let (ctx, acts) = got?;
            if let Some((pkey, _, _)) = ctx.attachment_of {
                cap.app.attachments.entry(pkey).or_default().push(key.0);
            }
            // Kept for MQTT too: a revisit taps its packet types for the statistics.
            cap.app.msgs.insert(key, ctx.clone());
            (ctx, acts)
        };
        super::keepalive::feed_app(pinfo, conv, ctx.app.heartbeat_name(), &acts);
        Some(ctx)
    }
}

unsafe fn add_str(tree: Tree, hfid: c_int, tvb: Tvb, span: (usize, usize), v: &str) -> Item {
    // SAFETY: the caller's contract; span lies inside the real-data tvb.
    unsafe {
        let c = cstring(v);
        sys::proto_tree_add_string(
            tree,
            hfid,
            tvb,
            span.0 as c_int,
            (span.1 - span.0) as c_int,
            c.as_ptr(),
        )
    }
}

unsafe fn add_gen_str(tree: Tree, hfid: c_int, tvb: Tvb, v: &str) -> Item {
    // SAFETY: the caller's contract.
    unsafe {
        let it = add_str(tree, hfid, tvb, (0, 0), v);
        sys::wsk_item_set_generated(it);
        it
    }
}

unsafe fn add_uint(tree: Tree, hfid: c_int, tvb: Tvb, span: (usize, usize), v: u32) -> Item {
    // SAFETY: the caller's contract; span lies inside the real-data tvb.
    unsafe {
        sys::proto_tree_add_uint(
            tree,
            hfid,
            tvb,
            span.0 as c_int,
            (span.1 - span.0) as c_int,
            v,
        )
    }
}

unsafe fn add_gen_uint(tree: Tree, hfid: c_int, tvb: Tvb, v: u32) -> Item {
    // SAFETY: the caller's contract.
    unsafe {
        let it = add_uint(tree, hfid, tvb, (0, 0), v);
        sys::wsk_item_set_generated(it);
        it
    }
}

unsafe fn add_bool(tree: Tree, hfid: c_int, tvb: Tvb, span: (usize, usize), v: bool) -> Item {
    // SAFETY: the caller's contract; span lies inside the real-data tvb.
    unsafe {
        sys::proto_tree_add_boolean(
            tree,
            hfid,
            tvb,
            span.0 as c_int,
            (span.1 - span.0) as c_int,
            v as u32,
        )
    }
}

unsafe fn subtree(
    tree: Tree,
    p: usize,
    tvb: Tvb,
    span: (usize, usize),
    ett_i: usize,
    label: &str,
) -> (Item, Tree) {
    // SAFETY: the caller's contract; span lies inside the real-data tvb.
    unsafe {
        let ti = sys::proto_tree_add_item(
            tree,
            proto(p),
            tvb,
            span.0 as c_int,
            (span.1 - span.0) as c_int,
            sys::ENC_NA as c_uint,
        );
        let c = cstring(label);
        sys::proto_item_append_text(ti, c", %s".as_ptr(), c.as_ptr());
        (ti, sys::proto_item_add_subtree(ti, ett(ett_i)))
    }
}

unsafe fn expert(pinfo: Pinfo, item: Item, issues: &[Issue]) {
    // SAFETY: the caller's contract.
    unsafe {
        for i in issues {
            sys::expert_add_info(pinfo, item, ei(*i));
        }
    }
}

fn text(bytes: &[u8], span: (usize, usize)) -> String {
    String::from_utf8_lossy(&bytes[span.0..span.1]).into_owned()
}

fn preview(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A JSON value as a subtree of text items (objects by member, arrays by index), bounded.
unsafe fn json_tree(
    tree: Tree,
    tvb: Tvb,
    base: usize,
    v: &Value,
    label: &str,
    depth: usize,
    budget: &mut u32,
) {
    // SAFETY: the caller's contract; spans come from the scanner, inside the message.
    unsafe {
        if *budget == 0 || tree.is_null() {
            return;
        }
        *budget -= 1;
        let summary = match v.kind {
            Kind::Object => format!("{{…}} ({} members)", v.members().count()),
            Kind::Array => format!("[…] ({} elements)", v.elements().count()),
            _ => preview(&v.text()),
        };
        let c = cstring(&format!("{label}{summary}"));
        let mut sub: Tree = ptr::null_mut();
        sys::proto_tree_add_subtree(
            tree,
            tvb,
            (base + v.start) as c_int,
            (v.end - v.start) as c_int,
            ett(ETT_JSON),
            &mut sub,
            c.as_ptr(),
        );
        if depth >= JSON_DEPTH {
            return;
        }
        match v.kind {
            Kind::Object => {
                for (k, m) in v.members() {
                    let name = k.as_str().map(|s| s.into_owned()).unwrap_or_default();
                    json_tree(sub, tvb, base, &m, &format!("{name}: "), depth + 1, budget);
                }
            }
            Kind::Array => {
                for (i, e) in v.elements().enumerate() {
                    json_tree(sub, tvb, base, &e, &format!("[{i}]: "), depth + 1, budget);
                }
            }
            _ => {}
        }
    }
}

/// A JSON span of the message as a string field with its subtree.
unsafe fn json_field(
    tree: Tree,
    hfid: c_int,
    tvb: Tvb,
    bytes: &[u8],
    span: (usize, usize),
    budget: &mut u32,
) {
    // SAFETY: the caller's contract; span lies inside the message.
    unsafe {
        let it = add_str(tree, hfid, tvb, span, &text(bytes, span));
        if let Ok(v) = json::parse(&bytes[span.0..span.1]) {
            if matches!(v.kind, Kind::Object | Kind::Array) {
                let sub = sys::proto_item_add_subtree(it, ett(ETT_JSON));
                for (k, m) in v.members() {
                    let name = k.as_str().map(|s| s.into_owned()).unwrap_or_default();
                    json_tree(sub, tvb, span.0, &m, &format!("{name}: "), 1, budget);
                }
                for (i, e) in v.elements().enumerate() {
                    json_tree(sub, tvb, span.0, &e, &format!("[{i}]: "), 1, budget);
                }
            }
        }
    }
}

unsafe fn show_engineio(
    tvb: Tvb,
    pinfo: Pinfo,
    tree: Tree,
    b: &[u8],
    is_text: bool,
    ctx: &MsgCtx,
    key: (u32, u32),
) -> String {
    // SAFETY: the caller's contract: the live message tvb, pinfo and tree; spans inside `b`.
    unsafe {
        let p = match engineio::parse(b, !is_text) {
            Ok(p) => p,
            Err(issue) => {
                let (ti, _) = subtree(
                    tree,
                    ENGINEIO,
                    tvb,
                    (0, b.len()),
                    ENGINEIO,
                    "not an Engine.IO packet",
                );
                expert(pinfo, ti, &[issue]);
                return "Engine.IO: malformed".into();
            }
        };
        let (ti, t) = subtree(tree, ENGINEIO, tvb, (0, b.len()), ENGINEIO, p.ptype.name());
        let _ = ti;
        if p.binary {
            let it = add_gen_uint(t, hf(ENGINEIO, eio::TYPE), tvb, p.ptype as u32);
            let _ = it;
            let bi = add_bool(t, hf(ENGINEIO, eio::BINARY), tvb, (0, 0), true);
            sys::wsk_item_set_generated(bi);
        } else {
            add_uint(t, hf(ENGINEIO, eio::TYPE), tvb, (0, 1), p.ptype as u32);
        }
        add_gen_str(t, hf(ENGINEIO, eio::DETECTED_BY), tvb, ctx.basis.as_str());
        let mut info = format!("Engine.IO {}", p.ptype.name());
        if let Some(o) = &p.open {
            if let Some(s) = &o.sid {
                add_gen_str(t, hf(ENGINEIO, eio::SID), tvb, s);
            }
            add_gen_str(t, hf(ENGINEIO, eio::UPGRADES), tvb, &o.upgrades.join(","));
            if let Some(v) = o.ping_interval {
                add_gen_uint(
                    t,
                    hf(ENGINEIO, eio::PING_INTERVAL),
                    tvb,
                    v.min(u32::MAX as u64) as u32,
                );
            }
            if let Some(v) = o.ping_timeout {
                add_gen_uint(
                    t,
                    hf(ENGINEIO, eio::PING_TIMEOUT),
                    tvb,
                    v.min(u32::MAX as u64) as u32,
                );
            }
            if let Some(v) = o.max_payload {
                let it =
                    sys::proto_tree_add_uint64(t, hf(ENGINEIO, eio::MAX_PAYLOAD), tvb, 0, 0, v);
                sys::wsk_item_set_generated(it);
            }
            info = format!(
                "Engine.IO open sid={} pingInterval={} pingTimeout={}",
                o.sid.as_deref().unwrap_or(""),
                o.ping_interval.unwrap_or(0),
                o.ping_timeout.unwrap_or(0)
            );
        } else if !p.binary
            && b.len() > 1
            && !(p.ptype == engineio::PacketType::Message && ctx.app == App::SocketIo)
        {
            add_str(
                t,
                hf(ENGINEIO, eio::DATA),
                tvb,
                (1, b.len()),
                &text(b, (1, b.len())),
            );
            info.push(' ');
            info.push_str(&preview(&text(b, (1, b.len()))));
        }
        if ctx.app != App::SocketIo
            || p.ptype != engineio::PacketType::Message
            || proto(SOCKETIO) < 0
        {
            return info;
        }
        if p.binary {
            let (sti, s) = subtree(
                t,
                SOCKETIO,
                tvb,
                (0, b.len()),
                SOCKETIO,
                "binary attachment",
            );
            if let Some((_, frame, num)) = ctx.attachment_of {
                add_gen_uint(s, hf(SOCKETIO, sio::ATTACHMENT_OF), tvb, frame);
                add_gen_uint(s, hf(SOCKETIO, sio::ATTACHMENT_NUM), tvb, num);
                return format!("Socket.IO attachment #{num} of {frame}");
            }
            if ctx.unexpected_binary {
                expert(pinfo, sti, &[Issue::SioUnexpectedBinary]);
            }
            return "Socket.IO binary".into();
        }
        let data = &b[1..];
        let sp = match socketio::parse(data) {
            Ok(sp) => sp,
            Err(issue) => {
                let (sti, _) = subtree(t, SOCKETIO, tvb, (1, b.len()), SOCKETIO, "malformed");
                expert(pinfo, sti, &[issue]);
                return "Socket.IO: malformed".into();
            }
        };
        let sh = |sp: (usize, usize)| (sp.0 + 1, sp.1 + 1);
        let (sti, s) = subtree(t, SOCKETIO, tvb, (1, b.len()), SOCKETIO, sp.type_name());
        add_uint(s, hf(SOCKETIO, sio::TYPE), tvb, (1, 2), u32::from(sp.ptype));
        if let Some(n) = sp.attachments {
            add_gen_uint(
                s,
                hf(SOCKETIO, sio::ATTACHMENTS),
                tvb,
                n.min(u32::MAX as u64) as u32,
            );
            let frames = state::capture()
                .app
                .attachments
                .get(&key)
                .cloned()
                .unwrap_or_default();
            for f in frames {
                add_gen_uint(s, hf(SOCKETIO, sio::ATTACHMENT_IN), tvb, f);
            }
        }
        match sp.nsp_span {
            Some(span) => add_str(s, hf(SOCKETIO, sio::NSP), tvb, sh(span), &sp.nsp),
            None => add_gen_str(s, hf(SOCKETIO, sio::NSP), tvb, &sp.nsp),
        };
        if let (Some(id), Some(span)) = (sp.ack_id, sp.ack_span) {
            let (a, e) = sh(span);
            let it = sys::proto_tree_add_uint64(
                s,
                hf(SOCKETIO, sio::ACK_ID),
                tvb,
                a as c_int,
                (e - a) as c_int,
                id,
            );
            let _ = it;
        }
        let mut info = format!("Socket.IO {}", sp.type_name());
        if sp.nsp != "/" {
            info.push_str(&format!(" {}", sp.nsp));
        }
        if let Some(e) = &sp.event {
            let at = sp.data.map(sh).unwrap_or((1, 1));
            add_str(s, hf(SOCKETIO, sio::EVENT), tvb, at, e);
            info.push_str(&format!(" \"{}\"", preview(e)));
        }
        if let Some(id) = sp.ack_id {
            info.push_str(&format!(" id={id}"));
        }
        if let Some(e) = &sp.error {
            add_str(
                s,
                hf(SOCKETIO, sio::ERROR),
                tvb,
                sp.data.map(sh).unwrap_or((1, 1)),
                e,
            );
            info.push_str(&format!(" {}", preview(e)));
        }
        let mut budget = JSON_ITEMS;
        for a in &sp.args {
            json_field(s, hf(SOCKETIO, sio::ARG), tvb, b, sh(*a), &mut budget);
        }
        if let Some(d) = sp.data {
            if sp.args.is_empty() && sp.event.is_none() {
                json_field(s, hf(SOCKETIO, sio::DATA), tvb, b, sh(d), &mut budget);
            } else {
                add_str(s, hf(SOCKETIO, sio::DATA), tvb, sh(d), &text(b, sh(d)));
            }
        }
        expert(pinfo, sti, &sp.issues);
        if ctx.missing_attachment {
            expert(pinfo, sti, &[Issue::SioMissingAttachment]);
        }
        info
    }
}

unsafe fn show_stomp(tvb: Tvb, pinfo: Pinfo, tree: Tree, b: &[u8], ctx: &MsgCtx) -> String {
    // SAFETY: the caller's contract: the live message tvb, pinfo and tree; spans inside `b`.
    unsafe {
        let mut infos: Vec<String> = Vec::new();
        for item in stomp::parse(b, ctx.stomp_version) {
            match item {
                stomp::Item::HeartBeat(span) => {
                    let (_, t) = subtree(tree, STOMP, tvb, span, STOMP, "heart-beat");
                    add_bool(t, hf(STOMP, st::EOL_HEARTBEAT), tvb, span, true);
                    if infos.last().map(String::as_str) != Some("heart-beat") {
                        infos.push("heart-beat".into());
                    }
                }
                stomp::Item::Junk(span, issue) => {
                    let (ti, _) = subtree(tree, STOMP, tvb, span, STOMP, "not a STOMP frame");
                    expert(pinfo, ti, &[issue]);
                    infos.push("malformed".into());
                }
                stomp::Item::Frame(f) => {
                    let (ti, t) = subtree(tree, STOMP, tvb, f.span, STOMP, &f.command);
                    add_str(t, hf(STOMP, st::COMMAND), tvb, f.command_span, &f.command);
                    add_gen_str(t, hf(STOMP, st::DETECTED_BY), tvb, ctx.basis.as_str());
                    for h in &f.headers {
                        let line = text(b, h.line);
                        let hi = add_str(t, hf(STOMP, st::HEADER), tvb, h.line, &line);
                        let ht = sys::proto_item_add_subtree(hi, ett(ETT_HEADER));
                        add_str(ht, hf(STOMP, st::HEADER_NAME), tvb, h.line, &h.name);
                        add_str(ht, hf(STOMP, st::HEADER_VALUE), tvb, h.line, &h.value);
                    }
                    // The well-known headers (the first of each name counts, STOMP 1.2).
                    for (name, field) in [
                        ("destination", st::DESTINATION),
                        ("id", st::ID),
                        ("subscription", st::SUBSCRIPTION),
                        ("message-id", st::MESSAGE_ID),
                        ("receipt", st::RECEIPT),
                        ("receipt-id", st::RECEIPT_ID),
                        ("heart-beat", st::HEART_BEAT),
                        ("content-type", st::CONTENT_TYPE),
                    ] {
                        if let Some(h) = f.headers.iter().find(|h| h.name == name) {
                            add_str(t, hf(STOMP, field), tvb, h.line, &h.value);
                        }
                    }
                    if let Some(h) = f
                        .headers
                        .iter()
                        .find(|h| h.name == "version" || h.name == "accept-version")
                    {
                        add_str(t, hf(STOMP, st::VERSION), tvb, h.line, &h.value);
                    }
                    if let Some(h) = f.headers.iter().find(|h| h.name == "content-length") {
                        if let Ok(n) = h.value.trim().parse::<u32>() {
                            add_uint(t, hf(STOMP, st::CONTENT_LENGTH), tvb, h.line, n);
                        }
                    }
                    if let Some((c2s, s2c)) =
                        ctx.stomp_heart_beat.filter(|_| f.command == "CONNECTED")
                    {
                        add_gen_uint(
                            t,
                            hf(STOMP, st::HB_C2S),
                            tvb,
                            c2s.min(u32::MAX as u64) as u32,
                        );
                        add_gen_uint(
                            t,
                            hf(STOMP, st::HB_S2C),
                            tvb,
                            s2c.min(u32::MAX as u64) as u32,
                        );
                    }
                    let (bs, be) = f.body;
                    if be > bs {
                        sys::proto_tree_add_item(
                            t,
                            hf(STOMP, st::BODY),
                            tvb,
                            bs as c_int,
                            (be - bs) as c_int,
                            sys::ENC_NA as c_uint,
                        );
                        if std::str::from_utf8(&b[bs..be]).is_ok() {
                            sys::proto_tree_add_item(
                                t,
                                hf(STOMP, st::BODY_TEXT),
                                tvb,
                                bs as c_int,
                                (be - bs) as c_int,
                                sys::ENC_UTF_8 as c_uint,
                            );
                        }
                    }
                    expert(pinfo, ti, &f.issues);
                    let mut s = f.command.clone();
                    if let Some(d) = f.header("destination") {
                        s.push(' ');
                        s.push_str(&preview(d));
                    }
                    infos.push(s);
                }
            }
        }
        format!("STOMP {}", infos.join(", "))
    }
}

unsafe fn show_signalr(tvb: Tvb, pinfo: Pinfo, tree: Tree, b: &[u8], ctx: &MsgCtx) -> String {
    // SAFETY: the caller's contract: the live message tvb, pinfo and tree; spans inside `b`.
    unsafe {
        let mut infos: Vec<String> = Vec::new();
        let mut budget = JSON_ITEMS;
        for r in signalr::parse(b, ctx.signalr_handshake) {
            let label = match (r.handshake, r.mtype) {
                (Some(h), _) => format!("handshake {h}"),
                (None, Some(t)) => signalr::type_name(t).to_string(),
                (None, None) => "record".into(),
            };
            let end = if r.terminated {
                (r.span.1 + 1).min(b.len())
            } else {
                r.span.1
            };
            let (ti, t) = subtree(tree, SIGNALR, tvb, (r.span.0, end), SIGNALR, &label);
            add_gen_str(t, hf(SIGNALR, sr::DETECTED_BY), tvb, ctx.basis.as_str());
            if let Some(h) = r.handshake {
                add_gen_str(t, hf(SIGNALR, sr::HANDSHAKE), tvb, h);
            }
            if let Some(p) = &r.protocol {
                add_gen_str(t, hf(SIGNALR, sr::PROTOCOL), tvb, p);
            }
            if let Some(v) = r.version {
                add_gen_uint(
                    t,
                    hf(SIGNALR, sr::VERSION),
                    tvb,
                    v.min(u32::MAX as u64) as u32,
                );
            }
            if let Some(ty) = r.mtype {
                add_gen_uint(t, hf(SIGNALR, sr::TYPE), tvb, ty.min(255) as u32);
            }
            let mut s = label.clone();
            if let Some(x) = &r.target {
                add_gen_str(t, hf(SIGNALR, sr::TARGET), tvb, x);
                s.push_str(&format!(" {}", preview(x)));
            }
            if let Some(x) = &r.invocation_id {
                add_gen_str(t, hf(SIGNALR, sr::INVOCATION_ID), tvb, x);
                s.push_str(&format!(" id={}", preview(x)));
            }
            if let Some(a) = r.arguments {
                add_str(t, hf(SIGNALR, sr::ARGUMENTS), tvb, a, &text(b, a));
            }
            for a in &r.args {
                json_field(t, hf(SIGNALR, sr::ARG), tvb, b, *a, &mut budget);
            }
            if let Some(a) = r.item {
                json_field(t, hf(SIGNALR, sr::ITEM), tvb, b, a, &mut budget);
            }
            if let Some(a) = r.result {
                json_field(t, hf(SIGNALR, sr::RESULT), tvb, b, a, &mut budget);
            }
            if let Some(e) = &r.error {
                add_gen_str(t, hf(SIGNALR, sr::ERROR), tvb, e);
                s.push_str(&format!(" error={}", preview(e)));
            }
            for id in &r.stream_ids {
                add_gen_str(t, hf(SIGNALR, sr::STREAM_ID), tvb, id);
            }
            if let Some(a) = r.allow_reconnect {
                let it = add_bool(t, hf(SIGNALR, sr::ALLOW_RECONNECT), tvb, (0, 0), a);
                sys::wsk_item_set_generated(it);
            }
            expert(pinfo, ti, &r.issues);
            infos.push(s);
        }
        format!("SignalR {}", infos.join(", "))
    }
}

unsafe fn show_graphql(tvb: Tvb, pinfo: Pinfo, tree: Tree, b: &[u8], ctx: &MsgCtx) -> String {
    // SAFETY: the caller's contract: the live message tvb, pinfo and tree; spans inside `b`.
    unsafe {
        let f = ctx
            .app
            .graphql_flavor()
            .unwrap_or(graphql::Flavor::TransportWs);
        let m = graphql::parse(b, f);
        let ty = m.mtype.clone().unwrap_or_else(|| "?".into());
        let (ti, t) = subtree(tree, GRAPHQL, tvb, (0, b.len()), GRAPHQL, &ty);
        add_gen_str(t, hf(GRAPHQL, gq::SUBPROTOCOL), tvb, f.subprotocol());
        add_gen_str(t, hf(GRAPHQL, gq::DETECTED_BY), tvb, ctx.basis.as_str());
        let mut info = format!("GraphQL {ty}");
        if let Some(x) = &m.mtype {
            add_gen_str(t, hf(GRAPHQL, gq::TYPE), tvb, x);
        }
        if let Some(x) = &m.id {
            add_gen_str(t, hf(GRAPHQL, gq::ID), tvb, x);
            info.push_str(&format!(" id={}", preview(x)));
        }
        if let Some(x) = &m.operation_name {
            add_gen_str(t, hf(GRAPHQL, gq::OPERATION_NAME), tvb, x);
            info.push_str(&format!(" {}", preview(x)));
        }
        if let Some(x) = &m.query {
            add_gen_str(t, hf(GRAPHQL, gq::QUERY), tvb, x);
        }
        if let Some(p) = m.payload {
            let mut budget = JSON_ITEMS;
            json_field(t, hf(GRAPHQL, gq::PAYLOAD), tvb, b, p, &mut budget);
        }
        expert(pinfo, ti, &m.issues);
        info
    }
}
