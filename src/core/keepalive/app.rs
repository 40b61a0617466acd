//! Application heartbeats as keep-alives: Engine.IO ping/pong, MQTT PINGREQ/PINGRESP and
//! graphql-transport-ws ping/pong (paired, first come first answered), STOMP heart-beats,
//! SignalR Pings and graphql-ws `ka` (one-way). Numbering, idle time and intervals work as for
//! WebSocket pings; the protocol's negotiated cadence (given by the caller as a [`Late`] rule)
//! says when one is late.

use std::collections::VecDeque;

use super::{idx, Event, Kind, Layer, Side, Tracker, MAX_PENDING_PINGS};

/// When a heartbeat is late: more than `limit_ns` since the reference point, and why that is
/// too long (e.g. "pingInterval+pingTimeout is 45.0 s: the client closes the connection").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Late {
    pub limit_ns: i64,
    /// Measured from the sender's last message of this protocol (true: any message counts as
    /// a sign of life, as for STOMP, SignalR and MQTT) or from its previous heartbeat (false).
    pub from_activity: bool,
    pub why: String,
}

#[derive(Clone, Debug)]
struct Pending {
    frame: u32,
    time_ns: i64,
    /// The verdict if no answer ever comes.
    unanswered: Option<String>,
    /// A pong later than this is late (ns, and why).
    answer_within: Option<(i64, String)>,
}

#[derive(Clone, Debug, Default)]
struct AppSide {
    run_num: u32,
    last_beat_ns: Option<i64>,
    last_activity_ns: Option<i64>,
    pending: VecDeque<Pending>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct AppState {
    last_data_ns: Option<i64>,
    sides: [AppSide; 2],
}

fn secs(ns: i64) -> String {
    format!("{:.1} s", ns as f64 / 1e9)
}

/// What a paired ping expects: the answer within `within_ns` (and why), else `unanswered`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    pub within: Option<(i64, String)>,
    pub unanswered: Option<String>,
}

impl Tracker {
    fn app_state(&mut self) -> &mut AppState {
        self.app.get_or_insert_with(Default::default)
    }

    /// A message of the application protocol that is not a heartbeat: resets the idle clock and
    /// the heartbeat runs, and is a sign of life of its sender.
    pub fn on_app_data(&mut self, time_ns: i64, from: Side) {
        self.saw(time_ns);
        let st = self.app_state();
        st.last_data_ns = Some(time_ns);
        st.sides[idx(from)].last_activity_ns = Some(time_ns);
        for s in st.sides.iter_mut() {
            s.run_num = 0;
        }
    }

    /// The protocol's session starts (Engine.IO open, STOMP CONNECTED, MQTT CONNECT): the clock
    /// for the first heartbeat of either side.
    pub fn on_app_start(&mut self, time_ns: i64) {
        self.saw(time_ns);
        let st = self.app_state();
        for s in st.sides.iter_mut() {
            s.last_beat_ns.get_or_insert(time_ns);
            s.last_activity_ns.get_or_insert(time_ns);
        }
    }

    fn app_event(
        &mut self,
        frame: u32,
        time_ns: i64,
        from: Side,
        app: &'static str,
        kind: Kind,
        late: Option<&Late>,
    ) -> Event {
        self.saw(time_ns);
        let first = self.first_ns;
        let me = idx(from);
        let st = self.app_state();
        let idle = st.last_data_ns.or(first).map(|t| time_ns.saturating_sub(t));
        let side = &mut st.sides[me];
        let mut ev = Event::new(frame, Layer::App, kind, from);
        ev.app = Some(app);
        if kind != Kind::Pong {
            side.run_num = side.run_num.saturating_add(1);
            ev.num = Some(side.run_num);
            ev.idle_ns = idle;
            ev.interval_ns = side.last_beat_ns.map(|t| time_ns.saturating_sub(t));
            if let Some(l) = late {
                let since = if l.from_activity {
                    side.last_activity_ns
                } else {
                    side.last_beat_ns
                };
                if let Some(gap) = since.map(|t| time_ns.saturating_sub(t)) {
                    if gap > l.limit_ns {
                        let what = if kind == Kind::Heartbeat {
                            "heartbeat"
                        } else {
                            "ping"
                        };
                        let prior = if l.from_activity { "message" } else { what };
                        ev.late = Some(format!(
                            "{what} {} after the sender's previous {prior}, {}",
                            secs(gap),
                            l.why
                        ));
                    }
                }
            }
            side.last_beat_ns = Some(time_ns);
        }
        side.last_activity_ns = Some(time_ns);
        ev
    }

    /// A heartbeat that asks for an answer (Engine.IO ping, MQTT PINGREQ, graphql ping).
    pub fn on_app_ping(
        &mut self,
        frame: u32,
        time_ns: i64,
        from: Side,
        app: &'static str,
        late: Option<&Late>,
        expect: Expect,
    ) -> Event {
        let ev = self.app_event(frame, time_ns, from, app, Kind::Ping, late);
        let side = &mut self.app_state().sides[idx(from)];
        if side.pending.len() >= MAX_PENDING_PINGS {
            side.pending.pop_front();
        }
        side.pending.push_back(Pending {
            frame,
            time_ns,
            unanswered: expect.unanswered.clone(),
            answer_within: expect.within,
        });
        self.add_ask(frame);
        if let Some(v) = expect.unanswered {
            self.verdicts.insert(frame, v);
        }
        ev
    }

    /// Its answer: pairs with the peer's oldest unanswered ping.
    pub fn on_app_pong(
        &mut self,
        frame: u32,
        time_ns: i64,
        from: Side,
        app: &'static str,
    ) -> Event {
        let mut ev = self.app_event(frame, time_ns, from, app, Kind::Pong, None);
        let peer = 1 - idx(from);
        match self.app_state().sides[peer].pending.pop_front() {
            Some(p) => {
                let rtt = time_ns.saturating_sub(p.time_ns);
                ev.reply_to = Some(p.frame);
                ev.rtt_ns = Some(rtt);
                if let Some((within, why)) = p.answer_within {
                    if rtt > within {
                        ev.late = Some(format!("pong {} after the ping, {why}", secs(rtt)));
                    }
                }
                if p.unanswered.is_some() {
                    self.verdicts.remove(&p.frame);
                }
                self.answer(p.frame, frame);
            }
            None => ev.unsolicited = true,
        }
        ev
    }

    /// A one-way heartbeat (STOMP EOL, SignalR Ping, graphql-ws `ka`).
    pub fn on_app_heartbeat(
        &mut self,
        frame: u32,
        time_ns: i64,
        from: Side,
        app: &'static str,
        late: Option<&Late>,
    ) -> Event {
        self.app_event(frame, time_ns, from, app, Kind::Heartbeat, late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn eio_late() -> Late {
        Late {
            limit_ns: 3 * S / 2,
            from_activity: false,
            why: "pingInterval+pingTimeout is 1.5 s".into(),
        }
    }

    #[test]
    fn paired_pings_number_time_and_answer() {
        let mut t = Tracker::new();
        let ex = || Expect {
            within: Some((S / 2, "pingTimeout is 0.5 s".into())),
            unanswered: Some("no pong".into()),
        };
        t.on_app_start(0);
        let p1 = t.on_app_ping(10, S, 1, "engine.io", Some(&eio_late()), ex());
        assert_eq!(
            (p1.layer, p1.kind, p1.num, p1.interval_ns, p1.app),
            (Layer::App, Kind::Ping, Some(1), Some(S), Some("engine.io"))
        );
        assert_eq!(p1.late, None);
        assert_eq!(t.verdict(10).as_deref(), Some("no pong"));
        let q1 = t.on_app_pong(11, S + 1_000_000, 0, "engine.io");
        assert_eq!(
            (q1.reply_to, q1.rtt_ns, q1.late.as_deref()),
            (Some(10), Some(1_000_000), None)
        );
        assert_eq!(
            (t.reply_in(10), t.unanswered(10), t.verdict(10)),
            (Some(11), false, None)
        );
        // Data in between restarts the run; a ping 2 s later is late for 1.5 s.
        t.on_app_data(2 * S, 0);
        let p2 = t.on_app_ping(20, 3 * S, 1, "engine.io", Some(&eio_late()), ex());
        assert_eq!((p2.num, p2.idle_ns), (Some(1), Some(S)));
        assert_eq!(
            p2.late.as_deref(),
            Some("ping 2.0 s after the sender's previous ping, pingInterval+pingTimeout is 1.5 s")
        );
        // A pong later than pingTimeout.
        let q2 = t.on_app_pong(21, 3 * S + 600_000_000, 0, "engine.io");
        assert_eq!(
            q2.late.as_deref(),
            Some("pong 0.6 s after the ping, pingTimeout is 0.5 s")
        );
        // Unanswered: the verdict stays.
        t.on_app_ping(30, 4 * S, 1, "engine.io", None, ex());
        assert!(t.unanswered(30));
        assert_eq!(t.verdict(30).as_deref(), Some("no pong"));
        let q = t.on_app_pong(40, 5 * S, 1, "engine.io");
        assert!(
            q.unsolicited,
            "a pong from the pinger's own side answers nothing"
        );
    }

    #[test]
    fn one_way_heartbeats_by_activity() {
        let mut t = Tracker::new();
        let late = Late {
            limit_ns: 8 * S,
            from_activity: true,
            why: "2 × the negotiated 4.0 s".into(),
        };
        t.on_app_start(0);
        let h = t.on_app_heartbeat(5, 4 * S, 0, "stomp", Some(&late));
        assert_eq!(
            (h.kind, h.num, h.interval_ns, h.late.clone()),
            (Kind::Heartbeat, Some(1), Some(4 * S), None)
        );
        t.on_app_data(10 * S, 0);
        let h = t.on_app_heartbeat(6, 17 * S, 0, "stomp", Some(&late));
        assert_eq!((h.num, h.interval_ns), (Some(1), Some(13 * S)));
        assert_eq!(h.late, None, "the data 7 s earlier was a sign of life");
        let h = t.on_app_heartbeat(7, 26 * S, 0, "stomp", Some(&late));
        assert_eq!(
            h.late.as_deref(),
            Some("heartbeat 9.0 s after the sender's previous message, 2 × the negotiated 4.0 s")
        );
        assert!(!t.unanswered(7));
        // The other side's heart-beats have their own numbering.
        assert_eq!(t.on_app_heartbeat(8, 27 * S, 1, "stomp", None).num, Some(1));
    }

    #[test]
    fn pending_is_bounded() {
        let mut t = Tracker::new();
        for i in 0..1000 {
            t.on_app_ping(i, i64::from(i), 0, "mqtt", None, Expect::default());
        }
        assert_eq!(
            t.on_app_pong(5000, 5000, 1, "mqtt").reply_to,
            Some(1000 - MAX_PENDING_PINGS as u32)
        );
    }
}
