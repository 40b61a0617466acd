//! The cadence of a sender's WebSocket pings, and when one is late. RFC 6455 §5.5.2 sets no
//! ping rate; libraries ping on a timer (Node's ws heartbeat pattern, Python's websockets
//! `ping_interval`), data or not, so once the intervals are regular a much longer one means the
//! sender stalled (or its pings were lost).

use std::collections::VecDeque;

/// The sender's last ping-to-ping intervals (ns), newest last.
#[derive(Clone, Debug, Default)]
pub(super) struct Cadence(VecDeque<i64>);

/// A ping cadence is regular when the last `CADENCE_N` intervals each lie within
/// `CADENCE_TOLERANCE_PCT` % of their mean, and that mean is at least `CADENCE_MIN_NS`
/// (bursts of pings carry no cadence).
const CADENCE_N: usize = 3;
const CADENCE_TOLERANCE_PCT: i64 = 20;
const CADENCE_MIN_NS: i64 = 200_000_000;
/// A ping is late when its interval exceeds the regular cadence by this factor (in %).
const LATE_PCT: i64 = 150;

impl Cadence {
    /// The regular cadence (mean interval, ns), if the last intervals show one.
    pub(super) fn cadence(&self) -> Option<i64> {
        if self.0.len() < CADENCE_N {
            return None;
        }
        let mean = self.0.iter().sum::<i64>() / CADENCE_N as i64;
        let tol = mean / 100 * CADENCE_TOLERANCE_PCT;
        (mean >= CADENCE_MIN_NS && self.0.iter().all(|i| (i - mean).abs() <= tol)).then_some(mean)
    }

    /// Judge a new interval against the cadence so far, then remember it (a late interval
    /// too: a sender that changed its rate has a new cadence after `CADENCE_N` pings).
    pub(super) fn judge(&mut self, interval: i64) -> Option<String> {
        let late = self
            .cadence()
            .filter(|c| interval > c / 100 * LATE_PCT)
            .map(|c| {
                format!(
                    "ping {} after the sender's previous ping, more than 1.5 × its regular cadence of {}",
                    dur(interval),
                    dur(c)
                )
            });
        if self.0.len() >= CADENCE_N {
            self.0.pop_front();
        }
        self.0.push_back(interval);
        late
    }
}

/// A duration for a verdict: ms below 1 s, else seconds with one decimal.
fn dur(ns: i64) -> String {
    if ns < 1_000_000_000 {
        format!("{} ms", ns / 1_000_000)
    } else {
        format!("{:.1} s", ns as f64 / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn late_only_after_a_regular_cadence() {
        let mut c = Cadence::default();
        // Three regular intervals make the cadence; the fourth is on time.
        for i in [500, 502, 499, 501] {
            assert_eq!(c.judge(i * MS), None);
        }
        assert_eq!(
            c.judge(1602 * MS).as_deref(),
            Some("ping 1.6 s after the sender's previous ping, more than 1.5 × its regular cadence of 500 ms")
        );
        // The late interval breaks the cadence: nothing is late until three regular ones.
        assert_eq!(c.judge(500 * MS), None);
        assert_eq!(c.judge(2000 * MS), None);
        assert_eq!(c.judge(500 * MS), None);
        for _ in 0..3 {
            assert_eq!(c.judge(500 * MS), None);
        }
        assert!(c.judge(760 * MS).is_some());
    }

    #[test]
    fn no_cadence_from_irregular_or_burst_pings() {
        let mut c = Cadence::default();
        for i in [500, 900, 300, 5000] {
            assert_eq!(c.judge(i * MS), None);
        }
        let mut b = Cadence::default();
        for i in [10, 10, 10, 100] {
            assert_eq!(b.judge(i * MS), None);
        }
        // A slower rate becomes the new cadence after three pings.
        let mut s = Cadence::default();
        for i in [1000, 1000, 1000] {
            s.judge(i * MS);
        }
        assert!(s.judge(5000 * MS).is_some());
        assert!(s.judge(5000 * MS).is_none());
        assert!(s.judge(5000 * MS).is_none());
        assert!(s.judge(5000 * MS).is_none());
        assert!(s.judge(5000 * MS).is_none());
        assert_eq!(
            s.judge(20_000 * MS).as_deref(),
            Some("ping 20.0 s after the sender's previous ping, more than 1.5 × its regular cadence of 5.0 s")
        );
    }
}
