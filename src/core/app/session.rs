//! One WebSocket connection's application protocol, message by message (first pass, in order):
//! which protocol it is (and why), what the negotiation said (Engine.IO open, STOMP heart-beat,
//! MQTT Keep Alive), which binary messages are Socket.IO attachments, and what each message means
//! for keep-alive analysis. The glue stores the [`MsgCtx`] per message and feeds the
//! [`HbAction`]s to the connection's keep-alive tracker.

use super::engineio::{self, PacketType};
use super::graphql::{self, Beat};
use super::CONTENT_CHECK_MESSAGES;
use super::{by_content, by_subprotocol, by_target, mqtt, signalr, socketio, stomp, App, Basis};
use crate::core::keepalive::{Expect, Late};

/// What the WebSocket handshake told (all None when it is not in the capture).
#[derive(Clone, Copy, Debug, Default)]
pub struct HandshakeInfo<'a> {
    pub protocol: Option<&'a str>,
    pub target: Option<&'a str>,
}

/// What keep-alive analysis learns from one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HbAction {
    /// The session starts: the clock for the first heartbeats.
    Start,
    /// A message that is not a heartbeat (a sign of life of its sender).
    Data,
    Ping {
        late: Option<Late>,
        expect: Expect,
    },
    Pong,
    Heartbeat {
        late: Option<Late>,
    },
}

/// What the first pass decided for one message; a revisit dissects the bytes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgCtx {
    pub app: App,
    pub basis: Basis,
    pub stomp_version: stomp::Version,
    /// SignalR: this message starts with its sender's handshake record.
    pub signalr_handshake: bool,
    /// A binary Socket.IO attachment: (the packet's message key, its frame, attachment number).
    pub attachment_of: Option<((u32, u32), u32, u32)>,
    /// Binary message where no attachment was announced.
    pub unexpected_binary: bool,
    /// The previous binary packet still lacked attachments when this packet came.
    pub missing_attachment: bool,
    /// STOMP CONNECTED: the negotiated heart-beats (client→server, server→client), ms.
    pub stomp_heart_beat: Option<(u64, u64)>,
}

#[derive(Clone, Debug)]
struct PendingAttachments {
    key: (u32, u32),
    frame: u32,
    remaining: u64,
    next: u32,
}

/// Per-connection state.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// None: not decided yet; Some(None): not an application protocol we know.
    decided: Option<Option<(App, Basis)>>,
    checked: u32,
    /// Engine.IO open: pingInterval, pingTimeout (ms).
    eio_ping: Option<(u64, u64)>,
    stomp_version: Option<stomp::Version>,
    stomp_client_hb: Option<(u64, u64)>,
    /// Negotiated (client→server, server→client), ms.
    stomp_hb: (u64, u64),
    signalr_hs_sent: [bool; 2],
    sio_pending: Option<PendingAttachments>,
    mqtt_keep_alive: Option<u16>,
}

fn secs_ms(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1e3)
}

const MS: i64 = 1_000_000;

impl Session {
    /// Decided to be none of the protocols known (only Decode As can still name one).
    pub fn given_up(&self) -> bool {
        self.decided == Some(None)
    }

    /// The protocol decided so far.
    pub fn app(&self) -> Option<(App, Basis)> {
        self.decided.flatten()
    }

    fn decide(
        &mut self,
        msg: &[u8],
        is_text: bool,
        hs: &HandshakeInfo,
        forced: Option<App>,
    ) -> Option<(App, Basis)> {
        if let Some(app) = forced {
            // The user's Decode As choice wins over anything found; made once per connection.
            if self.app().is_none_or(|(_, b)| b != Basis::DecodeAs) {
                // One Decode As entry covers both GraphQL subprotocols: the content tells which.
                let app = match (app, by_content(msg, is_text)) {
                    (App::GraphqlTransportWs, Some(App::GraphqlWs)) => App::GraphqlWs,
                    _ => app,
                };
                self.decided = Some(Some((app, Basis::DecodeAs)));
                self.stomp_version = hs
                    .protocol
                    .and_then(|p| stomp::Version::from_name(p.split(',').next().unwrap_or("")));
            }
        }
        if let Some(d) = self.decided {
            return d;
        }
        if let Some(app) = hs.protocol.and_then(by_subprotocol) {
            self.decided = Some(Some((app, Basis::Subprotocol)));
        } else if let Some(app) = hs.target.and_then(by_target) {
            self.decided = Some(Some((app, Basis::Path)));
        } else if let Some(app) = by_content(msg, is_text) {
            self.decided = Some(Some((app, Basis::Content)));
        } else {
            self.checked += 1;
            if self.checked >= CONTENT_CHECK_MESSAGES {
                self.decided = Some(None);
            }
            return None;
        }
        if let (Some(Some((App::Stomp, _))), Some(p)) = (self.decided, hs.protocol) {
            self.stomp_version = stomp::Version::from_name(p.split(',').next().unwrap_or(""));
        }
        self.app()
    }

    /// One complete WebSocket data message (first pass, in order). `key` identifies the message
    /// (frame, ordinal); `forced` is a Decode As choice.
    pub fn on_message(
        &mut self,
        key: (u32, u32),
        msg: &[u8],
        is_text: bool,
        from_client: bool,
        hs: &HandshakeInfo,
        forced: Option<App>,
    ) -> Option<(MsgCtx, Vec<HbAction>)> {
        let (app, basis) = self.decide(msg, is_text, hs, forced)?;
        let mut ctx = MsgCtx {
            app,
            basis,
            stomp_version: self.stomp_version.unwrap_or(stomp::Version::V12),
            signalr_handshake: false,
            attachment_of: None,
            unexpected_binary: false,
            missing_attachment: false,
            stomp_heart_beat: None,
        };
        let side = usize::from(!from_client);
        let acts = match app {
            App::EngineIo | App::SocketIo => self.engineio(key, msg, is_text, &mut ctx),
            App::Stomp => self.stomp(msg, from_client, &mut ctx),
            App::SignalR => {
                ctx.signalr_handshake = !self.signalr_hs_sent[side];
                self.signalr_hs_sent[side] = true;
                let recs = signalr::parse(msg, ctx.signalr_handshake);
                recs.iter()
                    .map(|r| match (r.handshake, r.mtype) {
                        (Some(_), _) => HbAction::Start,
                        (None, Some(6)) => HbAction::Heartbeat {
                            late: Some(Late {
                                limit_ns: 30_000 * MS,
                                from_activity: true,
                                why: "SignalR's default timeout is 30.0 s: the peer closes the connection".into(),
                            }),
                        },
                        _ => HbAction::Data,
                    })
                    .collect()
            }
            App::GraphqlTransportWs | App::GraphqlWs => {
                let f = app.graphql_flavor().unwrap_or(graphql::Flavor::TransportWs);
                let m = graphql::parse(msg, f);
                vec![match (m.beat(f), m.mtype.as_deref()) {
                    (Some(Beat::Ping), _) => HbAction::Ping {
                        late: None,
                        expect: Expect::default(),
                    },
                    (Some(Beat::Pong), _) => HbAction::Pong,
                    (Some(Beat::KeepAlive), _) => HbAction::Heartbeat { late: None },
                    (None, Some("connection_ack")) => HbAction::Start,
                    _ => HbAction::Data,
                }]
            }
            App::Mqtt => self.mqtt(msg, is_text),
        };
        Some((ctx, acts))
    }

    fn engineio(
        &mut self,
        key: (u32, u32),
        msg: &[u8],
        is_text: bool,
        ctx: &mut MsgCtx,
    ) -> Vec<HbAction> {
        if !is_text {
            // Socket.IO: binary attachments follow their packet in order.
            if let Some(p) = &mut self.sio_pending {
                ctx.attachment_of = Some((p.key, p.frame, p.next));
                p.next += 1;
                p.remaining -= 1;
                if p.remaining == 0 {
                    self.sio_pending = None;
                }
            } else if ctx.app == App::SocketIo {
                ctx.unexpected_binary = true;
            }
            return vec![HbAction::Data];
        }
        let Ok(p) = engineio::parse(msg, false) else {
            return vec![HbAction::Data];
        };
        match p.ptype {
            PacketType::Open => {
                if let Some(o) = &p.open {
                    self.eio_ping = o.ping_interval.zip(o.ping_timeout);
                }
                vec![HbAction::Start]
            }
            PacketType::Ping if msg == b"2" => {
                let late = self.eio_ping.map(|(i, t)| Late {
                    limit_ns: (i.saturating_add(t)).min(i64::MAX as u64 / MS as u64) as i64 * MS,
                    from_activity: false,
                    why: format!(
                        "pingInterval+pingTimeout is {}: the peer closes the connection",
                        secs_ms(i.saturating_add(t))
                    ),
                });
                let expect = match self.eio_ping {
                    Some((_, t)) => Expect {
                        within: Some((
                            t.min(i64::MAX as u64 / MS as u64) as i64 * MS,
                            format!(
                                "pingTimeout is {}: the pinger closes the connection",
                                secs_ms(t)
                            ),
                        )),
                        unanswered: Some(format!(
                            "no pong: the pinger closes the connection after pingTimeout ({})",
                            secs_ms(t)
                        )),
                    },
                    None => Expect::default(),
                };
                vec![HbAction::Ping { late, expect }]
            }
            PacketType::Pong if msg == b"3" => vec![HbAction::Pong],
            PacketType::Message if ctx.app == App::SocketIo => {
                if self.sio_pending.take().is_some() {
                    ctx.missing_attachment = true;
                }
                if let Ok(sp) = socketio::parse(&msg[1..]) {
                    if let Some(n) = sp.attachments.filter(|n| *n > 0) {
                        self.sio_pending = Some(PendingAttachments {
                            key,
                            frame: key.0,
                            remaining: n,
                            next: 0,
                        });
                    }
                }
                vec![HbAction::Data]
            }
            _ => vec![HbAction::Data],
        }
    }

    fn stomp(&mut self, msg: &[u8], from_client: bool, ctx: &mut MsgCtx) -> Vec<HbAction> {
        let mut acts = Vec::new();
        for item in stomp::parse(msg, ctx.stomp_version) {
            match item {
                stomp::Item::HeartBeat(_) => {
                    let ms = if from_client {
                        self.stomp_hb.0
                    } else {
                        self.stomp_hb.1
                    };
                    let late = (ms > 0).then(|| Late {
                        limit_ns: (ms.saturating_mul(2)).min(i64::MAX as u64 / MS as u64) as i64
                            * MS,
                        from_activity: true,
                        why: format!(
                            "more than twice the negotiated heart-beat of {}",
                            secs_ms(ms)
                        ),
                    });
                    acts.push(HbAction::Heartbeat { late });
                }
                stomp::Item::Frame(f) => {
                    match f.command.as_str() {
                        "CONNECT" | "STOMP" => {
                            self.stomp_client_hb =
                                f.header("heart-beat").and_then(stomp::parse_heart_beat);
                        }
                        "CONNECTED" => {
                            if let Some(v) = f.header("version").and_then(stomp::Version::from_name)
                            {
                                self.stomp_version = Some(v);
                            }
                            let server = f
                                .header("heart-beat")
                                .and_then(stomp::parse_heart_beat)
                                .unwrap_or((0, 0));
                            self.stomp_hb =
                                stomp::negotiate(self.stomp_client_hb.unwrap_or((0, 0)), server);
                            ctx.stomp_heart_beat = Some(self.stomp_hb);
                            acts.push(HbAction::Start);
                            continue;
                        }
                        _ => {}
                    }
                    acts.push(HbAction::Data);
                }
                stomp::Item::Junk(..) => acts.push(HbAction::Data),
            }
        }
        acts
    }

    fn mqtt(&mut self, msg: &[u8], is_text: bool) -> Vec<HbAction> {
        if is_text {
            return vec![HbAction::Data];
        }
        mqtt::packets(msg, 64)
            .iter()
            .map(|p| match p.ptype {
                mqtt::CONNECT => {
                    self.mqtt_keep_alive = p.keep_alive;
                    HbAction::Start
                }
                mqtt::PINGREQ => HbAction::Ping {
                    late: self.mqtt_keep_alive.filter(|k| *k > 0).map(|k| Late {
                        limit_ns: i64::from(k) * 1500 * MS,
                        from_activity: true,
                        why: format!("1.5 × the CONNECT Keep Alive of {k} s: the server closes the connection"),
                    }),
                    expect: Expect {
                        within: None,
                        unanswered: Some("no PINGRESP: the client closes the connection".into()),
                    },
                },
                mqtt::PINGRESP => HbAction::Pong,
                _ => HbAction::Data,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs<'a>(p: Option<&'a str>, t: Option<&'a str>) -> HandshakeInfo<'a> {
        HandshakeInfo {
            protocol: p,
            target: t,
        }
    }

    #[test]
    fn socketio_session_with_attachments() {
        let mut s = Session::default();
        let h = hs(None, Some("/socket.io/?EIO=4&transport=websocket"));
        let open = br#"0{"sid":"a","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":1000000}"#;
        let (c, a) = s.on_message((1, 0), open, true, false, &h, None).unwrap();
        assert_eq!(
            (c.app, c.basis, a),
            (App::SocketIo, Basis::Path, vec![HbAction::Start])
        );
        let (_, a) = s.on_message((2, 0), b"2", true, false, &h, None).unwrap();
        match &a[0] {
            HbAction::Ping {
                late: Some(l),
                expect,
            } => {
                assert_eq!(l.limit_ns, 1_500_000_000);
                assert_eq!(expect.within.as_ref().unwrap().0, 500_000_000);
            }
            x => panic!("{x:?}"),
        }
        assert_eq!(
            s.on_message((3, 0), b"3", true, true, &h, None).unwrap().1,
            [HbAction::Pong]
        );
        let ev = br#"451-["upload",{"_placeholder":true,"num":0}]"#;
        s.on_message((4, 0), ev, true, true, &h, None).unwrap();
        let (c, _) = s
            .on_message((5, 0), b"\x01\x02", false, true, &h, None)
            .unwrap();
        assert_eq!(c.attachment_of, Some(((4, 0), 4, 0)));
        let (c, _) = s
            .on_message((6, 0), b"\x01\x02", false, true, &h, None)
            .unwrap();
        assert!(c.unexpected_binary);
        s.on_message((7, 0), br#"452-["two",{}]"#, true, true, &h, None)
            .unwrap();
        let (c, _) = s
            .on_message((8, 0), br#"42["next"]"#, true, true, &h, None)
            .unwrap();
        assert!(c.missing_attachment);
    }

    #[test]
    fn stomp_negotiation_and_beats() {
        let mut s = Session::default();
        let h = hs(Some("v12.stomp"), None);
        s.on_message(
            (1, 0),
            b"CONNECT\naccept-version:1.2\nheart-beat:4000,4000\n\n\0",
            true,
            true,
            &h,
            None,
        )
        .unwrap();
        let (c, a) = s
            .on_message(
                (2, 0),
                b"CONNECTED\nversion:1.2\nheart-beat:10000,10000\n\n\0",
                true,
                false,
                &h,
                None,
            )
            .unwrap();
        assert_eq!(
            (c.app, c.basis, c.stomp_heart_beat),
            (App::Stomp, Basis::Subprotocol, Some((10000, 10000)))
        );
        assert_eq!(a, [HbAction::Start]);
        let (_, a) = s.on_message((3, 0), b"\n", true, true, &h, None).unwrap();
        match &a[0] {
            HbAction::Heartbeat { late: Some(l) } => {
                assert_eq!((l.limit_ns, l.from_activity), (20_000_000_000, true))
            }
            x => panic!("{x:?}"),
        }
    }

    #[test]
    fn content_check_gives_up() {
        let mut s = Session::default();
        for i in 0..CONTENT_CHECK_MESSAGES {
            assert!(s
                .on_message((i, 0), b"hello", true, true, &hs(None, None), None)
                .is_none());
        }
        // Decided: not an app protocol, even if a later message looks like one.
        assert!(s
            .on_message((99, 0), b"2", true, true, &hs(None, None), None)
            .is_none());
        // Decode As still applies.
        let (c, _) = s
            .on_message(
                (100, 0),
                b"2",
                true,
                true,
                &hs(None, None),
                Some(App::EngineIo),
            )
            .unwrap();
        assert_eq!(c.basis, Basis::DecodeAs);
    }

    #[test]
    fn decode_as_wins_once_and_picks_the_graphql_flavor() {
        let mut s = Session::default();
        // The subprotocol says STOMP; the user's Decode As says Engine.IO: Decode As wins.
        let (c, _) = s
            .on_message(
                (1, 0),
                b"2",
                true,
                true,
                &hs(Some("v12.stomp"), None),
                Some(App::EngineIo),
            )
            .unwrap();
        assert_eq!((c.app, c.basis), (App::EngineIo, Basis::DecodeAs));
        // graphql_ws on a legacy graphql-ws connection: the content tells the flavor, once.
        let mut s = Session::default();
        let legacy = br#"{"type":"connection_init","payload":{}}"#;
        let (c, _) = s
            .on_message(
                (2, 0),
                legacy,
                true,
                true,
                &hs(None, None),
                Some(App::GraphqlTransportWs),
            )
            .unwrap();
        let first = c.app;
        let (c, _) = s
            .on_message(
                (3, 0),
                br#"{"type":"ka"}"#,
                true,
                false,
                &hs(None, None),
                Some(App::GraphqlTransportWs),
            )
            .unwrap();
        assert_eq!((c.app, c.basis), (first, Basis::DecodeAs));
    }

    #[test]
    fn signalr_handshake_per_side_and_mqtt() {
        let mut s = Session::default();
        let h = hs(None, Some("/chathub?id=x"));
        let (c, a) = s
            .on_message(
                (1, 0),
                b"{\"protocol\":\"json\",\"version\":1}\x1e",
                true,
                true,
                &h,
                None,
            )
            .unwrap();
        assert!(c.signalr_handshake);
        assert_eq!(a, [HbAction::Start]);
        let (c, a) = s
            .on_message((2, 0), b"{}\x1e{\"type\":6}\x1e", true, false, &h, None)
            .unwrap();
        assert!(c.signalr_handshake);
        assert!(matches!(a[1], HbAction::Heartbeat { late: Some(_) }));
        let (c, _) = s
            .on_message((3, 0), b"{\"type\":6}\x1e", true, true, &h, None)
            .unwrap();
        assert!(!c.signalr_handshake);
        let mut m = Session::default();
        let h = hs(Some("mqtt"), None);
        let connect = [
            0x10, 0x0c, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x02, 0x00, 0x00,
        ];
        assert_eq!(
            m.on_message((1, 0), &connect, false, true, &h, None)
                .unwrap()
                .1,
            [HbAction::Start]
        );
        match &m
            .on_message((2, 0), &[0xc0, 0x00], false, true, &h, None)
            .unwrap()
            .1[0]
        {
            HbAction::Ping { late: Some(l), .. } => assert_eq!(l.limit_ns, 3_000_000_000),
            x => panic!("{x:?}"),
        }
    }
}
