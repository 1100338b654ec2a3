//! What the lab router does to the test flow: each impairment is decided by
//! a frame's index in the flow alone (and, for a delay, its arrival time),
//! so a test knows exactly what the receiver will count.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// The longest delay: the forwarder holds every frame for its whole delay,
/// and it has UMEM frames for 100 ms at 160,000 packets/s (forwarder.rs).
pub const MAX_DELAY: Duration = Duration::from_millis(100);
/// How long the first frame of a pair to swap waits for the second before
/// it goes alone (the flow stopped between the two).
pub const PARTNER_WAIT: Duration = Duration::from_millis(10);

const SYNTAX: &str = "must be drop=N, dup=N, swap=N or delay=D (D in ms or us, e.g. delay=5ms)";

/// One impairment; frames and pairs are counted from 1, from the
/// forwarder's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impairment {
    /// Drops frames N, 2N, 3N, …
    Drop { every: u64 },
    /// Sends frames N, 2N, … twice, the copy right after the original.
    Duplicate { every: u64 },
    /// Sends the two frames of pairs N, 2N, … in swapped order; pair p is
    /// frames 2p−1 and 2p.
    Swap { every: u64 },
    /// Sends every frame `by` after it arrived, in arrival order.
    Delay { by: Duration },
}

impl Impairment {
    /// Parses `drop=50`, `dup=100`, `swap=400`, `delay=5ms` or `delay=500us`.
    pub fn parse(spec: &str) -> Result<Impairment> {
        let invalid = |problem: &str| Error::invalid(format!("impairment {spec:?}: {problem}"));
        let (name, value) = spec.split_once('=').ok_or_else(|| invalid(SYNTAX))?;
        let every = || match value.parse::<u64>() {
            Ok(n) if n >= 1 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(invalid("N must be a whole number from 1")),
        };
        match name {
            "drop" => Ok(Impairment::Drop { every: every()? }),
            "dup" => Ok(Impairment::Duplicate { every: every()? }),
            "swap" => Ok(Impairment::Swap { every: every()? }),
            "delay" => {
                let by = parse_delay(value).ok_or_else(|| {
                    invalid("D must be a whole number of ms or us, e.g. delay=5ms")
                })?;
                if by.is_zero() || by > MAX_DELAY {
                    return Err(invalid("D must be from 1us to 100ms"));
                }
                Ok(Impairment::Delay { by })
            }
            _ => Err(invalid(SYNTAX)),
        }
    }

    /// What it does, in words.
    pub fn describe(self) -> String {
        match self {
            Impairment::Drop { every } => format!("drops every {} frame", ordinal(every)),
            Impairment::Duplicate { every } => {
                format!("sends every {} frame twice", ordinal(every))
            }
            Impairment::Swap { every } => {
                format!("swaps the two frames of every {} pair", ordinal(every))
            }
            Impairment::Delay { by } => format!("delays every frame by {}", DelaySpec(by)),
        }
    }
}

/// The spec it parses from, e.g. `drop=50`.
impl fmt::Display for Impairment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Impairment::Drop { every } => write!(f, "drop={every}"),
            Impairment::Duplicate { every } => write!(f, "dup={every}"),
            Impairment::Swap { every } => write!(f, "swap={every}"),
            Impairment::Delay { by } => write!(f, "delay={}", DelaySpec(*by)),
        }
    }
}

struct DelaySpec(Duration);

impl fmt::Display for DelaySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0.as_micros();
        if micros.is_multiple_of(1000) {
            write!(f, "{}ms", micros / 1000)
        } else {
            write!(f, "{micros}us")
        }
    }
}

fn parse_delay(value: &str) -> Option<Duration> {
    let (digits, per_unit) = if let Some(digits) = value.strip_suffix("ms") {
        (digits, 1000)
    } else {
        (value.strip_suffix("us")?, 1)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let micros = digits.parse::<u64>().ok()?.checked_mul(per_unit)?;
    Some(Duration::from_micros(micros))
}

/// "50th", "1st", "2nd", "3rd", "11th".
fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// What to do with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output<F> {
    Send(F),
    /// Send it, then a copy of it.
    SendTwice(F),
    Discard(F),
}

/// What the stage has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageCounts {
    pub received: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub swapped: u64,
}

/// Applies an impairment to frames `F` in arrival order; times are any
/// monotonic clock's, as durations since a common start.
pub struct Stage<F> {
    impairment: Impairment,
    counts: StageCounts,
    /// Delayed frames with their release times, in arrival (and so release) order.
    delayed: VecDeque<(Duration, F)>,
    /// The first frame of a pair to swap, and until when it waits.
    first_of_pair: Option<(Duration, F)>,
}

impl<F: Copy> Stage<F> {
    pub fn new(impairment: Impairment) -> Stage<F> {
        Stage {
            impairment,
            counts: StageCounts::default(),
            delayed: VecDeque::new(),
            first_of_pair: None,
        }
    }

    pub fn counts(&self) -> StageCounts {
        self.counts
    }

    /// Frames held (delayed, or waiting for their partner).
    pub fn held(&self) -> usize {
        self.delayed.len() + usize::from(self.first_of_pair.is_some())
    }

    /// Takes the next frame of the flow, which arrived at `now`.
    pub fn arrive(&mut self, now: Duration, frame: F, out: &mut Vec<Output<F>>) {
        self.counts.received += 1;
        let index = self.counts.received;
        match self.impairment {
            Impairment::Drop { every } if index.is_multiple_of(every) => {
                self.counts.dropped += 1;
                out.push(Output::Discard(frame));
            }
            Impairment::Duplicate { every } if index.is_multiple_of(every) => {
                self.counts.duplicated += 1;
                out.push(Output::SendTwice(frame));
            }
            Impairment::Swap { every } => {
                if let Some((_, first)) = self.first_of_pair.take() {
                    self.counts.swapped += 1;
                    out.push(Output::Send(frame));
                    out.push(Output::Send(first));
                } else if !index.is_multiple_of(2) && index.div_ceil(2).is_multiple_of(every) {
                    self.first_of_pair = Some((now + PARTNER_WAIT, frame));
                } else {
                    out.push(Output::Send(frame));
                }
            }
            Impairment::Delay { by } => self.delayed.push_back((now + by, frame)),
            _ => out.push(Output::Send(frame)),
        }
    }

    /// Sends what is due at `now`.
    pub fn release_due(&mut self, now: Duration, out: &mut Vec<Output<F>>) {
        while let Some(&(at, frame)) = self.delayed.front() {
            if at > now {
                break;
            }
            self.delayed.pop_front();
            out.push(Output::Send(frame));
        }
        if let Some((until, first)) = self.first_of_pair {
            if until <= now {
                self.first_of_pair = None;
                out.push(Output::Send(first));
            }
        }
    }

    /// When `release_due` next has something to send.
    pub fn next_due(&self) -> Option<Duration> {
        let delayed = self.delayed.front().map(|&(at, _)| at);
        let first = self.first_of_pair.map(|(until, _)| until);
        delayed.into_iter().chain(first).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: u64 = 40_000;
    const GAP: Duration = Duration::from_micros(25);

    /// Frames 1..=FLOW arriving every GAP, then everything due released;
    /// the frames sent (a copy as the same number) and the discarded.
    fn run(impairment: Impairment) -> (Vec<u64>, Vec<u64>, StageCounts) {
        let mut stage = Stage::new(impairment);
        let mut out = Vec::new();
        for frame in 1..=FLOW {
            let now = GAP * frame as u32;
            stage.release_due(now, &mut out);
            stage.arrive(now, frame, &mut out);
        }
        stage.release_due(Duration::from_secs(3600), &mut out);
        assert_eq!(stage.held(), 0);
        let (mut sent, mut discarded) = (Vec::new(), Vec::new());
        for output in out {
            match output {
                Output::Send(frame) => sent.push(frame),
                Output::SendTwice(frame) => sent.extend([frame, frame]),
                Output::Discard(frame) => discarded.push(frame),
            }
        }
        (sent, discarded, stage.counts())
    }

    /// RFC 4737: frames that arrive after one with a higher number.
    fn reordered(sent: &[u64]) -> usize {
        let mut highest = 0;
        let mut count = 0;
        for &frame in sent {
            if frame < highest {
                count += 1;
            }
            highest = highest.max(frame);
        }
        count
    }

    #[test]
    fn dropping_every_50th_of_40000_sends_39200() {
        let (sent, discarded, counts) = run(Impairment::Drop { every: 50 });
        assert_eq!(sent.len(), 39_200);
        assert_eq!(discarded, (1..=800).map(|k| 50 * k).collect::<Vec<_>>());
        assert_eq!(counts.dropped, 800);
        assert_eq!(reordered(&sent), 0);
    }

    #[test]
    fn duplicating_every_100th_of_40000_sends_40400_copies_adjacent() {
        let (sent, discarded, counts) = run(Impairment::Duplicate { every: 100 });
        assert_eq!(sent.len(), 40_400);
        assert!(discarded.is_empty());
        assert_eq!(counts.duplicated, 400);
        assert_eq!(&sent[98..102], &[99, 100, 100, 101]);
    }

    #[test]
    fn swapping_every_50th_pair_of_40000_reorders_400() {
        let (sent, _, counts) = run(Impairment::Swap { every: 50 });
        let expected: Vec<u64> = (1..=FLOW / 2)
            .flat_map(|pair| {
                let (first, second) = (2 * pair - 1, 2 * pair);
                if pair % 50 == 0 {
                    [second, first]
                } else {
                    [first, second]
                }
            })
            .collect();
        assert_eq!(sent, expected);
        assert_eq!(counts.swapped, 400);
        assert_eq!(reordered(&sent), 400);
        assert_eq!(&sent[97..101], &[98, 100, 99, 101]);
    }

    #[test]
    fn a_first_frame_whose_partner_never_comes_goes_alone() {
        let mut stage = Stage::new(Impairment::Swap { every: 1 });
        let mut out = Vec::new();
        stage.arrive(Duration::ZERO, 1u64, &mut out);
        assert!(out.is_empty());
        assert_eq!(stage.next_due(), Some(PARTNER_WAIT));
        stage.release_due(PARTNER_WAIT - Duration::from_nanos(1), &mut out);
        assert!(out.is_empty());
        stage.release_due(PARTNER_WAIT, &mut out);
        assert_eq!(out, vec![Output::Send(1)]);
        // Its partner, late, is not swapped with anything.
        out.clear();
        stage.arrive(PARTNER_WAIT * 2, 2, &mut out);
        assert_eq!(out, vec![Output::Send(2)]);
        assert_eq!(stage.counts().swapped, 0);
    }

    #[test]
    fn a_delay_releases_each_frame_exactly_its_delay_after_it_arrived() {
        let by = Duration::from_millis(5);
        let mut stage = Stage::new(Impairment::Delay { by });
        let mut out = Vec::new();
        for frame in 0..100u32 {
            stage.arrive(GAP * frame, frame, &mut out);
        }
        assert!(out.is_empty());
        assert_eq!(stage.next_due(), Some(by));
        stage.release_due(by + GAP * 9, &mut out);
        assert_eq!(out, (0..10).map(Output::Send).collect::<Vec<_>>());
        assert_eq!(stage.next_due(), Some(by + GAP * 10));
        assert_eq!(stage.held(), 90);
        let (sent, _, counts) = run(Impairment::Delay { by });
        assert_eq!(sent, (1..=FLOW).collect::<Vec<_>>());
        assert_eq!(counts.received, FLOW);
    }

    #[test]
    fn specs_parse_and_print_back() {
        for spec in ["drop=50", "dup=100", "swap=400", "delay=5ms", "delay=500us"] {
            assert_eq!(Impairment::parse(spec).unwrap().to_string(), spec);
        }
        assert_eq!(
            Impairment::parse("delay=5000us").unwrap(),
            Impairment::Delay {
                by: Duration::from_millis(5)
            }
        );
        assert_eq!(
            Impairment::parse("swap=2").unwrap().describe(),
            "swaps the two frames of every 2nd pair"
        );
        assert_eq!(
            Impairment::parse("drop=11").unwrap().describe(),
            "drops every 11th frame"
        );
    }

    #[test]
    fn bad_specs_are_refused_naming_the_spec() {
        for (spec, problem) in [
            ("drop=0", "N must be a whole number from 1"),
            ("dup=+5", "N must be a whole number from 1"),
            ("swap=", "N must be a whole number from 1"),
            (
                "delay=5",
                "D must be a whole number of ms or us, e.g. delay=5ms",
            ),
            (
                "delay=1.5ms",
                "D must be a whole number of ms or us, e.g. delay=5ms",
            ),
            ("delay=0ms", "D must be from 1us to 100ms"),
            ("delay=101ms", "D must be from 1us to 100ms"),
            ("jitter=5ms", SYNTAX),
            ("drop", SYNTAX),
        ] {
            let err = Impairment::parse(spec).unwrap_err();
            assert_eq!(err.message, format!("impairment {spec:?}: {problem}"));
        }
    }
}
