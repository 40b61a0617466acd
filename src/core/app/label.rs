//! What a message of an application protocol is, in a word or two, for statistics and the
//! message listing: the STOMP command, the Engine.IO packet type or the Socket.IO packet with
//! its event name, the SignalR message type with its target, the GraphQL message type, the MQTT
//! control packet. Heartbeats are labelled too; callers that count them apart skip them.

use super::session::MsgCtx;
use super::{engineio, graphql, mqtt, signalr, socketio, stomp, App};

/// Labels longer than this are cut (event names and targets come from the peer).
const MAX_LABEL: usize = 64;

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX_LABEL).collect::<String>())
    }
}

/// MQTT 3.1.1 §2.2.1 control packet type names (5.0 adds AUTH = 15).
fn mqtt_name(t: u8) -> &'static str {
    [
        "Reserved",
        "CONNECT",
        "CONNACK",
        "PUBLISH",
        "PUBACK",
        "PUBREC",
        "PUBREL",
        "PUBCOMP",
        "SUBSCRIBE",
        "SUBACK",
        "UNSUBSCRIBE",
        "UNSUBACK",
        "PINGREQ",
        "PINGRESP",
        "DISCONNECT",
        "AUTH",
    ][usize::from(t & 0x0f)]
}

/// One label per unit the message holds (STOMP frames, SignalR records, MQTT packets; one for
/// the others), in order. Heartbeat units are included (e.g. STOMP's "heart-beat").
pub fn labels(app: App, msg: &[u8], is_text: bool, ctx: &MsgCtx) -> Vec<String> {
    match app {
        App::Stomp => stomp::parse(msg, ctx.stomp_version)
            .into_iter()
            .map(|i| match i {
                stomp::Item::Frame(f) => cut(&f.command),
                stomp::Item::HeartBeat(_) => "heart-beat".into(),
                stomp::Item::Junk(..) => "malformed".into(),
            })
            .collect(),
        App::EngineIo | App::SocketIo => {
            if ctx.attachment_of.is_some() {
                return vec!["binary attachment".into()];
            }
            let Ok(p) = engineio::parse(msg, !is_text) else {
                return vec!["malformed".into()];
            };
            if app == App::SocketIo && p.ptype == engineio::PacketType::Message && !p.binary {
                return vec![match socketio::parse(&msg[p.data_at.min(msg.len())..]) {
                    Ok(s) => match &s.event {
                        Some(e) => cut(&format!("{} \"{e}\"", s.type_name())),
                        None => s.type_name().to_string(),
                    },
                    Err(_) => "malformed".into(),
                }];
            }
            vec![p.ptype.name().to_string()]
        }
        App::SignalR => signalr::parse(msg, ctx.signalr_handshake)
            .into_iter()
            .map(|r| match (r.handshake, r.mtype, &r.target) {
                (Some(_), _, _) => "handshake".into(),
                (None, Some(t), Some(tg)) => cut(&format!("{} {tg}", signalr::type_name(t))),
                (None, Some(t), None) => signalr::type_name(t).to_string(),
                (None, None, _) => "malformed".into(),
            })
            .collect(),
        App::GraphqlTransportWs | App::GraphqlWs => {
            let f = app.graphql_flavor().unwrap_or(graphql::Flavor::TransportWs);
            vec![graphql::parse(msg, f)
                .mtype
                .map_or_else(|| "malformed".into(), |t| cut(&t))]
        }
        App::Mqtt => {
            if is_text {
                return vec!["malformed".into()];
            }
            mqtt::packets(msg, 64)
                .iter()
                .map(|p| mqtt_name(p.ptype).to_string())
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::app::Basis;

    fn ctx(app: App) -> MsgCtx {
        MsgCtx {
            app,
            basis: Basis::Subprotocol,
            stomp_version: stomp::Version::V12,
            signalr_handshake: false,
            attachment_of: None,
            unexpected_binary: false,
            missing_attachment: false,
            stomp_heart_beat: None,
        }
    }

    #[test]
    fn one_label_per_unit() {
        let c = ctx(App::Stomp);
        assert_eq!(
            labels(
                App::Stomp,
                b"SEND\ndestination:/q\n\nhi\0\nMESSAGE\n\n\0",
                true,
                &c
            ),
            ["SEND", "MESSAGE"]
        );
        assert_eq!(labels(App::Stomp, b"\n", true, &c), ["heart-beat"]);
        let c = ctx(App::SocketIo);
        assert_eq!(
            labels(App::SocketIo, b"42/admin,0[\"status\"]", true, &c),
            ["EVENT \"status\""]
        );
        assert_eq!(labels(App::SocketIo, b"2", true, &c), ["ping"]);
        assert_eq!(labels(App::SocketIo, b"x", true, &c), ["malformed"]);
        let c = ctx(App::SignalR);
        assert_eq!(
            labels(
                App::SignalR,
                b"{\"type\":1,\"target\":\"Send\",\"arguments\":[]}\x1e{\"type\":6}\x1e",
                true,
                &c
            ),
            ["Invocation Send", "Ping"]
        );
        let c = ctx(App::GraphqlTransportWs);
        assert_eq!(
            labels(App::GraphqlTransportWs, br#"{"type":"ping"}"#, true, &c),
            ["ping"]
        );
        let c = ctx(App::Mqtt);
        assert_eq!(
            labels(App::Mqtt, &[0xc0, 0, 0xd0, 0], false, &c),
            ["PINGREQ", "PINGRESP"]
        );
    }
}
