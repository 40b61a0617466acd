//! How a WebSocket connection ended (RFC 6455 §7): who sent Close first, which Close answered it,
//! and what the TCP FIN/RST after it means for the applications (§7.1.5: no Close received means
//! the application sees 1006, abnormal closure).
use crate::core::anomaly::Anomaly;
use crate::core::close::close_code_name;
use crate::core::message::Direction;

/// The role of one Close frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseRole {
    /// The first Close of the connection.
    Initiator,
    /// The first Close of the other side, answering the initiator's (in frame `to`).
    Reply { to: u32 },
    /// Any further Close (a repeated one: RFC 6455 §5.5.1 says an endpoint sends one).
    Extra,
}

/// What the first TCP FIN or RST of a WebSocket connection says about its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    pub text: String,
    /// The applications saw no complete Close handshake (1006 on at least one side).
    pub abnormal: bool,
    pub anomaly: Option<Anomaly>,
}

#[derive(Clone, Debug, Default)]
pub struct Closing {
    first: Option<(Direction, u32, Option<u16>)>,
    reply: Option<(Direction, u32)>,
    ended: bool,
}

fn other(d: Direction) -> Direction {
    match d {
        Direction::Client => Direction::Server,
        Direction::Server => Direction::Client,
    }
}

fn code_text(code: Option<u16>) -> String {
    match code {
        Some(c) => format!("{c} {}", close_code_name(c)),
        None => "no status code".into(),
    }
}

impl Closing {
    /// A Close frame from `dir` in `frame` (first pass, in order).
    pub fn on_close(&mut self, dir: Direction, frame: u32, code: Option<u16>) -> CloseRole {
        match self.first {
            None => {
                self.first = Some((dir, frame, code));
                CloseRole::Initiator
            }
            Some((d, f, _)) if d != dir && self.reply.is_none() => {
                self.reply = Some((dir, frame));
                CloseRole::Reply { to: f }
            }
            Some(_) => CloseRole::Extra,
        }
    }

    /// Who sent the first Close.
    pub fn initiator(&self) -> Option<Direction> {
        self.first.map(|(d, _, _)| d)
    }

    /// On the initiating Close: the frame of the answering Close (final after the whole capture).
    pub fn reply_in(&self, frame: u32) -> Option<u32> {
        match (self.first, self.reply) {
            (Some((_, f, _)), Some((_, r))) if f == frame => Some(r),
            _ => None,
        }
    }

    /// The first FIN or RST of the connection, sent by `by`. Later ones return None.
    pub fn on_tcp_end(&mut self, by: Direction, rst: bool) -> Option<End> {
        if self.ended {
            return None;
        }
        self.ended = true;
        let how = if rst { "RST" } else { "FIN" };
        let by = by.as_str();
        Some(match (self.first, self.reply) {
            (Some((d, _, code)), Some(_)) => End {
                text: format!(
                    "closed by the {}: Close ({}) answered by the {}, then TCP {how} from the {by}",
                    d.as_str(),
                    code_text(code),
                    other(d).as_str()
                ),
                abnormal: false,
                anomaly: None,
            },
            (Some((d, _, code)), None) => End {
                text: format!(
                    "the {} sent Close ({}) but the {} never answered; TCP {how} from the {by}",
                    d.as_str(),
                    code_text(code),
                    other(d).as_str()
                ),
                abnormal: true,
                anomaly: Some(Anomaly::CloseUnanswered),
            },
            (None, _) => End {
                text: format!(
                    "TCP {how} from the {by} without a Close handshake (the applications see 1006)"
                ),
                abnormal: true,
                anomaly: Some(Anomaly::ClosedWithoutHandshake),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{Client, Server};

    #[test]
    fn clean_close_initiated_by_the_server() {
        let mut c = Closing::default();
        assert_eq!(c.on_close(Server, 10, Some(4000)), CloseRole::Initiator);
        assert_eq!(
            c.on_close(Client, 12, Some(4000)),
            CloseRole::Reply { to: 10 }
        );
        assert_eq!(c.reply_in(10), Some(12));
        assert_eq!(c.reply_in(12), None);
        assert_eq!(c.initiator(), Some(Server));
        let e = c.on_tcp_end(Server, false).unwrap();
        assert_eq!(
            e.text,
            "closed by the server: Close (4000 Private use) answered by the client, then TCP FIN from the server"
        );
        assert!(!e.abnormal);
        assert_eq!(c.on_tcp_end(Client, false), None, "only the first FIN/RST");
    }

    #[test]
    fn a_second_close_from_the_same_side_is_no_reply() {
        let mut c = Closing::default();
        c.on_close(Client, 5, Some(1000));
        assert_eq!(c.on_close(Client, 6, Some(1000)), CloseRole::Extra);
        assert_eq!(c.on_close(Server, 7, None), CloseRole::Reply { to: 5 });
        assert_eq!(c.on_close(Server, 8, None), CloseRole::Extra);
    }

    #[test]
    fn unanswered_close_and_no_close() {
        let mut c = Closing::default();
        c.on_close(Client, 5, Some(1001));
        let e = c.on_tcp_end(Server, true).unwrap();
        assert!(e.abnormal);
        assert_eq!(e.anomaly, Some(Anomaly::CloseUnanswered));
        assert_eq!(
            e.text,
            "the client sent Close (1001 Going Away) but the server never answered; TCP RST from the server"
        );
        let mut c = Closing::default();
        let e = c.on_tcp_end(Client, true).unwrap();
        assert_eq!(e.anomaly, Some(Anomaly::ClosedWithoutHandshake));
        assert_eq!(
            e.text,
            "TCP RST from the client without a Close handshake (the applications see 1006)"
        );
    }
}
