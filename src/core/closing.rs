//! How a WebSocket connection ended (RFC 6455 §7): who sent Close first, which Close answered it,
//! and what the TCP FIN/RST after it means for the applications (§7.1.5: no Close received means
//! the application sees 1006, abnormal closure).
//!
//! The End is shown on the connection's first FIN or RST, but it is not always decided there: a
//! FIN only half-closes, and the peer of a side that sent Close and then FIN (libwebsockets
//! clients, wstunnel) may still send its answering Close after that FIN. So the End is computed
//! from everything fed so far whenever it is asked for ([`Closing::end_in`]): on the first pass
//! it is what is known at that point (possibly [`End::pending`]), once the whole capture was fed
//! it is final.
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
    /// Not decided yet: a Close went out, its sender then sent FIN, and the peer, which can still
    /// send, has not answered so far. Never set once the whole capture was fed (`complete`).
    pub pending: bool,
}

/// A TCP FIN or RST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TcpEnd {
    /// Frame number; [`NO_FRAME`] when fed through [`Closing::on_tcp_end`].
    frame: u32,
    by: Direction,
    rst: bool,
}

/// The frame of an end fed without one: after every frame, so that whatever was fed before
/// counts as before it.
const NO_FRAME: u32 = u32::MAX;

#[derive(Clone, Debug, Default)]
pub struct Closing {
    first: Option<(Direction, u32, Option<u16>)>,
    reply: Option<(Direction, u32)>,
    /// The first FIN or RST of the connection: where the End is shown.
    end: Option<TcpEnd>,
    /// The first FIN or RST of [client, server].
    closed: [Option<TcpEnd>; 2],
}

fn other(d: Direction) -> Direction {
    match d {
        Direction::Client => Direction::Server,
        Direction::Server => Direction::Client,
    }
}

fn idx(d: Direction) -> usize {
    match d {
        Direction::Client => 0,
        Direction::Server => 1,
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

    /// Every TCP FIN or RST of the connection, in `frame`, sent by `by` (first pass, in order).
    /// For the first one, returns the End as known now (see [`Closing::end_in`] with
    /// `complete = false`); later ones return None, but can still decide a pending End (the
    /// peer's FIN or RST without a Close: it will never answer).
    pub fn on_tcp_end_in(&mut self, frame: u32, by: Direction, rst: bool) -> Option<End> {
        let e = TcpEnd { frame, by, rst };
        let side = &mut self.closed[idx(by)];
        if side.is_none() {
            *side = Some(e);
        }
        if self.end.is_some() {
            return None;
        }
        self.end = Some(e);
        self.end_in(frame, false)
    }

    /// The frame of the connection's first FIN or RST, where the End is shown.
    pub fn end_frame(&self) -> Option<u32> {
        self.end.map(|e| e.frame).filter(|&f| f != NO_FRAME)
    }

    /// The End shown on `frame` (the connection's first FIN/RST; None for any other frame),
    /// from everything fed so far. `complete`: the whole capture was fed (a revisit), so a Close
    /// still unanswered will never be answered; otherwise such an End is [`End::pending`].
    pub fn end_in(&self, frame: u32, complete: bool) -> Option<End> {
        let e = self.end.filter(|e| e.frame == frame)?;
        let how = if e.rst { "RST" } else { "FIN" };
        let by = e.by.as_str();
        // A Close first seen after the end (same frame = before it: the FIN ends the segment)
        // came from the side that had not closed, and could not be answered.
        let Some((d, _, code)) = self.first.filter(|&(_, f, _)| f <= e.frame) else {
            return Some(End {
                text: format!(
                    "TCP {how} from the {by} without a Close handshake (the applications see 1006)"
                ),
                abnormal: true,
                anomaly: Some(Anomaly::ClosedWithoutHandshake),
                pending: false,
            });
        };
        let (d_s, o_s, code) = (d.as_str(), other(d).as_str(), code_text(code));
        // An answer counts unless it comes after the answerer's own FIN/RST (it cannot send
        // any more) or the initiator's RST (it receives nothing more).
        let reply = self.reply.filter(|&(_, r)| {
            let o_closed = self.closed[idx(other(d))].is_some_and(|c| c.frame < r);
            let d_reset = self.closed[idx(d)].is_some_and(|c| c.rst && c.frame < r);
            !o_closed && !d_reset
        });
        match reply {
            Some((_, r)) if r <= e.frame => Some(End {
                text: format!(
                    "closed by the {d_s}: Close ({code}) answered by the {o_s}, then TCP {how} from the {by}"
                ),
                abnormal: false,
                anomaly: None,
                pending: false,
            }),
            // After a FIN the other side may still send: its Close completes the handshake
            // (both applications got a Close). After a RST nothing more is received.
            Some(_) if !e.rst => Some(End {
                text: format!(
                    "closed by the {d_s}: Close ({code}), TCP FIN from the {by}, then the {o_s} answered the Close"
                ),
                abnormal: false,
                anomaly: None,
                pending: false,
            }),
            _ => {
                let can_still_answer =
                    !e.rst && e.by == d && self.closed[idx(other(d))].is_none();
                Some(if can_still_answer && !complete {
                    End {
                        text: format!(
                            "the {d_s} sent Close ({code}), then TCP FIN; no Close from the {o_s} yet (it can still answer)"
                        ),
                        abnormal: false,
                        anomaly: None,
                        pending: true,
                    }
                } else {
                    End {
                        text: format!(
                            "the {d_s} sent Close ({code}) but the {o_s} never answered; TCP {how} from the {by}"
                        ),
                        abnormal: true,
                        anomaly: Some(Anomaly::CloseUnanswered),
                        pending: false,
                    }
                })
            }
        }
    }

    /// The first FIN or RST of the connection, sent by `by`, decided at once from what was fed
    /// so far (the behaviour before [`Closing::on_tcp_end_in`]: a Close answered after the FIN
    /// is not seen). Later ones return None. Prefer `on_tcp_end_in` + `end_in`.
    pub fn on_tcp_end(&mut self, by: Direction, rst: bool) -> Option<End> {
        self.on_tcp_end_in(NO_FRAME, by, rst)?;
        self.end_in(NO_FRAME, true)
    }
}

#[cfg(test)]
mod tests;
