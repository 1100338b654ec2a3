//! Ends a session whose interface went away or down, or whose every send has
//! failed for a sustained stretch: such a run is an error, not a statistic.
//! The session's watchdog thread looks every [`WATCH_INTERVAL`], so the
//! transmit loops carry no check of their own.

use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::kernel::device::LinkState;

/// How often the watchdog looks: a run stops well within a second of its
/// interface going.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(50);
/// A carrier lost for this long ends the run; a shorter blip (a NIC that
/// renegotiates) does not.
const NO_CARRIER_GRACE_NS: u64 = 500_000_000;
/// Sends that all fail for this long end the run.
const FAILING_FOR_NS: u64 = 1_000_000_000;

/// What the session's counters say about delivery so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Frames the kernel or driver took (completions).
    pub delivered: u64,
    pub errors: u64,
}

/// Why the watchdog ended a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Gone,
    Down,
    NoCarrier,
    Failing { errors: u64 },
}

impl Verdict {
    pub fn into_error(self, ifname: &str) -> Error {
        match self {
            Verdict::Gone => Error::new(
                ErrorKind::InterfaceDown,
                format!("interface {ifname}: went away"),
            ),
            Verdict::Down => Error::new(
                ErrorKind::InterfaceDown,
                format!("interface {ifname}: went down"),
            ),
            Verdict::NoCarrier => Error::new(
                ErrorKind::InterfaceDown,
                format!("interface {ifname}: went down (lost its carrier)"),
            ),
            Verdict::Failing { errors } => Error::new(
                ErrorKind::Kernel,
                format!(
                    "interface {ifname}: every send failed for {} s ({errors} errors), so the run stopped",
                    FAILING_FOR_NS / 1_000_000_000
                ),
            ),
        }
    }
}

/// The verdict of a link state alone, for a session that already failed.
pub fn verdict_of(state: &LinkState) -> Option<Verdict> {
    match state {
        LinkState::Up => None,
        LinkState::NoCarrier => Some(Verdict::NoCarrier),
        LinkState::AdminDown(_) => Some(Verdict::Down),
        LinkState::Gone => Some(Verdict::Gone),
    }
}

/// The watchdog's memory between looks.
#[derive(Debug, Default)]
pub struct LinkWatch {
    no_carrier_since_ns: Option<u64>,
    /// A deleted interface is first set down; seen down on two looks in a
    /// row, it was set down, not deleted.
    seen_down: bool,
    previous: Progress,
    /// Since when, and from which error count, sends have only failed.
    failing_since: Option<(u64, u64)>,
}

impl LinkWatch {
    /// Takes one look at `now_ns`; a verdict ends the run.
    pub fn observe(
        &mut self,
        now_ns: u64,
        state: &LinkState,
        progress: Progress,
    ) -> Option<Verdict> {
        let was_down = std::mem::replace(
            &mut self.seen_down,
            matches!(state, LinkState::AdminDown(_)),
        );
        match state {
            LinkState::NoCarrier => {
                let since = *self.no_carrier_since_ns.get_or_insert(now_ns);
                if now_ns - since >= NO_CARRIER_GRACE_NS {
                    return Some(Verdict::NoCarrier);
                }
            }
            LinkState::Up => self.no_carrier_since_ns = None,
            LinkState::AdminDown(_) if was_down => return Some(Verdict::Down),
            LinkState::AdminDown(_) => return None,
            LinkState::Gone => return Some(Verdict::Gone),
        }
        if progress.delivered > self.previous.delivered {
            self.failing_since = None;
        } else if progress.errors > self.previous.errors {
            self.failing_since
                .get_or_insert((now_ns, self.previous.errors));
        }
        self.previous = progress;
        match self.failing_since {
            Some((since, errors_before)) if now_ns - since >= FAILING_FOR_NS => {
                Some(Verdict::Failing {
                    errors: progress.errors - errors_before,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn progress(delivered: u64, errors: u64) -> Progress {
        Progress { delivered, errors }
    }

    #[test]
    fn a_vanished_or_downed_interface_ends_the_run_at_once() {
        let mut watch = LinkWatch::default();
        assert_eq!(watch.observe(0, &LinkState::Up, progress(10, 0)), None);
        assert_eq!(
            watch.observe(50 * MS, &LinkState::Gone, progress(20, 0)),
            Some(Verdict::Gone)
        );
        // Down on two looks in a row: set down. Down, then gone: deleted.
        let down = LinkState::AdminDown("xdperf0".into());
        let mut watch = LinkWatch::default();
        assert_eq!(watch.observe(0, &down, progress(0, 0)), None);
        assert_eq!(
            watch.observe(50 * MS, &down, progress(0, 0)),
            Some(Verdict::Down)
        );
        let mut watch = LinkWatch::default();
        assert_eq!(watch.observe(0, &down, progress(0, 0)), None);
        assert_eq!(
            watch.observe(50 * MS, &LinkState::Gone, progress(0, 0)),
            Some(Verdict::Gone)
        );
    }

    #[test]
    fn a_lost_carrier_ends_the_run_only_when_it_stays_lost() {
        let mut watch = LinkWatch::default();
        assert_eq!(
            watch.observe(0, &LinkState::NoCarrier, progress(0, 0)),
            None
        );
        assert_eq!(
            watch.observe(450 * MS, &LinkState::NoCarrier, progress(0, 0)),
            None
        );
        // Back in time: the blip is forgiven.
        assert_eq!(
            watch.observe(500 * MS, &LinkState::Up, progress(5, 0)),
            None
        );
        assert_eq!(
            watch.observe(600 * MS, &LinkState::NoCarrier, progress(5, 0)),
            None
        );
        assert_eq!(
            watch.observe(1_100 * MS, &LinkState::NoCarrier, progress(5, 0)),
            Some(Verdict::NoCarrier)
        );
    }

    #[test]
    fn sends_that_all_fail_for_a_second_end_the_run() {
        let mut watch = LinkWatch::default();
        assert_eq!(watch.observe(0, &LinkState::Up, progress(100, 0)), None);
        let mut now = 0;
        let mut errors = 0;
        while now < 950 * MS {
            now += 50 * MS;
            errors += 1_000;
            assert_eq!(
                watch.observe(now, &LinkState::Up, progress(100, errors)),
                None,
                "{now}"
            );
        }
        assert_eq!(
            watch.observe(1_050 * MS, &LinkState::Up, progress(100, errors + 1_000)),
            Some(Verdict::Failing { errors: 20_000 })
        );
    }

    #[test]
    fn errors_beside_deliveries_or_an_idle_pacer_are_no_failure() {
        let mut watch = LinkWatch::default();
        for step in 1..100 {
            // Drops while the driver still takes frames (a full ring).
            let progress = progress(step * 1_000, step * 10);
            assert_eq!(
                watch.observe(step * 50 * MS, &LinkState::Up, progress),
                None
            );
        }
        // A slow paced run: nothing moves between looks.
        let mut watch = LinkWatch::default();
        for step in 0..100 {
            assert_eq!(
                watch.observe(step * 50 * MS, &LinkState::Up, progress(1, 0)),
                None
            );
        }
    }
}
