//! The template mix: smooth weighted round-robin (as in nginx's upstream
//! balancer) over one period, so weights 3:1 interleave as A A B A rather
//! than A A A B, and every period holds exactly `weight` copies of each
//! template. The transmit threads replay the period; per-template counts are
//! derived from a thread's packet count, so the hot loop counts nothing per
//! template.
//!
//! AF_XDP and AF_PACKET interleave packet by packet. XDP live frames send
//! copies of one frame per BPF_PROG_RUN call, so the xdp engine replays the
//! period in *runs*: each slot stands for N packets (A A B A in runs of N).

use crate::error::{Error, Result};

/// Upper bound on one period (sum of weights after dividing by their common
/// divisor); the period is materialised once per session.
pub const MAX_PERIOD: u64 = 1 << 20;
/// Upper bound on the work of building a period (period × templates).
const MAX_BUILD_STEPS: u64 = 1 << 28;

/// One period of the mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Template index of each slot of the period.
    order: Vec<u32>,
    /// Copies of each template in one period (the reduced weights).
    per_period: Vec<u64>,
    /// For each slot, how many slots of its template come before it in
    /// the period.
    ranks: Vec<u32>,
}

impl Schedule {
    /// Builds the period for `weights` (each ≥ 1).
    pub fn new(weights: &[u64]) -> Result<Schedule> {
        if weights.is_empty() {
            return Err(Error::invalid(
                "templates: none given (need at least one frame)",
            ));
        }
        if let Some(index) = weights.iter().position(|&w| w == 0) {
            return Err(Error::invalid(format!(
                "template {index}: weight must be a positive integer"
            )));
        }
        let divisor = weights.iter().copied().fold(0, gcd);
        let reduced: Vec<u64> = weights.iter().map(|w| w / divisor).collect();
        let period = reduced
            .iter()
            .try_fold(0u64, |sum, &w| sum.checked_add(w))
            .filter(|&p| p <= MAX_PERIOD)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "templates: the weights' ratio needs a period over {MAX_PERIOD} packets; use smaller weights"
                ))
            })?;
        if period.saturating_mul(reduced.len() as u64) > MAX_BUILD_STEPS {
            return Err(Error::invalid(format!(
                "templates: {} templates with a period of {period} packets is too large a mix; use fewer templates or smaller weights",
                reduced.len()
            )));
        }
        let order = smooth_weighted_round_robin(&reduced, period);
        let mut seen = vec![0u32; reduced.len()];
        let ranks = order
            .iter()
            .map(|&template| {
                let rank = seen[template as usize];
                seen[template as usize] += 1;
                rank
            })
            .collect();
        Ok(Schedule {
            order,
            per_period: reduced,
            ranks,
        })
    }

    /// Template index of each slot in one period.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    pub fn period(&self) -> usize {
        self.order.len()
    }

    pub fn template_count(&self) -> usize {
        self.per_period.len()
    }

    /// The template of packet `position` of the endlessly repeated period
    /// in runs of `run` packets, and how many packets of that run are left
    /// from `position` on (≥ 1).
    #[inline]
    pub fn run_at(&self, position: u64, run: u64) -> (u32, u64) {
        let slot = position / run;
        let template = self.order[(slot % self.order.len() as u64) as usize];
        (template, run - position % run)
    }

    /// The packets of the endlessly repeated period from `position` on.
    pub fn walk_from(&self, position: u64) -> MixWalk<'_> {
        let period = self.order.len() as u64;
        MixWalk {
            schedule: self,
            slot: (position % period) as usize,
            cycle: position / period,
        }
    }

    /// Adds to `counts[k]` how many of the first `packets` slots of the
    /// endlessly repeated period are template k.
    pub fn add_template_counts(&self, packets: u64, counts: &mut [u64]) {
        let period = self.order.len() as u64;
        let full_periods = packets / period;
        let rest = (packets % period) as usize;
        for (count, per_period) in counts.iter_mut().zip(&self.per_period) {
            *count += full_periods * per_period;
        }
        for &template in &self.order[..rest] {
            counts[template as usize] += 1;
        }
    }
}

/// Walks the replayed period packet by packet, giving each packet's
/// template and its variant index: how many packets of that template come
/// before it in the whole sequence. Threads that claim disjoint ranges of
/// positions so send disjoint ranges of every template's variants.
pub struct MixWalk<'a> {
    schedule: &'a Schedule,
    slot: usize,
    cycle: u64,
}

impl Iterator for MixWalk<'_> {
    type Item = (u32, u64);

    #[inline]
    fn next(&mut self) -> Option<(u32, u64)> {
        let schedule = self.schedule;
        let template = schedule.order[self.slot];
        let variant = self.cycle * schedule.per_period[template as usize]
            + u64::from(schedule.ranks[self.slot]);
        self.slot += 1;
        if self.slot == schedule.order.len() {
            self.slot = 0;
            self.cycle += 1;
        }
        Some((template, variant))
    }
}

/// Each step adds every weight to its template's credit and picks the largest
/// credit (lowest index on ties), which then pays the total back.
fn smooth_weighted_round_robin(weights: &[u64], period: u64) -> Vec<u32> {
    let total = period as i64;
    let mut credit = vec![0i64; weights.len()];
    let mut order = Vec::with_capacity(period as usize);
    for _ in 0..period {
        let mut best = 0;
        for (index, weight) in weights.iter().enumerate() {
            credit[index] += *weight as i64;
            if credit[index] > credit[best] {
                best = index;
            }
        }
        credit[best] -= total;
        order.push(best as u32);
    }
    order
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_to_one_interleaves() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        assert_eq!(schedule.order(), &[0, 0, 1, 0]);
    }

    #[test]
    fn common_divisor_is_reduced() {
        let schedule = Schedule::new(&[300, 100]).unwrap();
        assert_eq!(schedule.order(), &[0, 0, 1, 0]);
    }

    #[test]
    fn every_period_holds_the_exact_ratio() {
        let weights = [5, 3, 2, 7];
        let schedule = Schedule::new(&weights).unwrap();
        assert_eq!(schedule.period(), 17);
        let mut counts = [0u64; 4];
        for &t in schedule.order() {
            counts[t as usize] += 1;
        }
        assert_eq!(counts, [5, 3, 2, 7]);
    }

    #[test]
    fn mix_is_smooth() {
        // No template runs more than ceil(period / weight) slots without a turn.
        let weights = [1, 1, 8];
        let schedule = Schedule::new(&weights).unwrap();
        let order = schedule.order();
        assert_eq!(order.len(), 10);
        let longest_run_of_heavy = order.split(|&t| t != 2).map(|run| run.len()).max().unwrap();
        assert!(longest_run_of_heavy <= 4, "{order:?}");
        for light in [0, 1] {
            assert_eq!(order.iter().filter(|&&t| t == light).count(), 1);
        }
    }

    #[test]
    fn template_counts_follow_the_replayed_period() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let mut counts = vec![0; 2];
        // 2 full periods (A A B A A A B A) + A A B
        schedule.add_template_counts(11, &mut counts);
        assert_eq!(counts, vec![8, 3]);
        let mut counts = vec![0; 2];
        schedule.add_template_counts(0, &mut counts);
        assert_eq!(counts, vec![0, 0]);
    }

    #[test]
    fn runs_replay_the_period_call_by_call() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        // Runs of 100: A 0..200, B 200..300, A 300..600, B 600..700, ...
        assert_eq!(schedule.run_at(0, 100), (0, 100));
        assert_eq!(schedule.run_at(150, 100), (0, 50));
        assert_eq!(schedule.run_at(200, 100), (1, 100));
        assert_eq!(schedule.run_at(299, 100), (1, 1));
        assert_eq!(schedule.run_at(300, 100), (0, 100));
        assert_eq!(schedule.run_at(650, 100), (1, 50));
        assert_eq!(schedule.run_at(800, 100), (0, 100));
    }

    #[test]
    fn a_walk_numbers_each_templates_packets_from_any_position() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        // A A B A | A A B A | A A …
        let from_start: Vec<(u32, u64)> = schedule.walk_from(0).take(10).collect();
        assert_eq!(
            from_start,
            vec![
                (0, 0),
                (0, 1),
                (1, 0),
                (0, 2),
                (0, 3),
                (0, 4),
                (1, 1),
                (0, 5),
                (0, 6),
                (0, 7)
            ]
        );
        let from_six: Vec<(u32, u64)> = schedule.walk_from(6).take(4).collect();
        assert_eq!(from_six, from_start[6..10]);
    }

    #[test]
    fn invalid_weights_are_refused() {
        assert!(Schedule::new(&[]).is_err());
        assert_eq!(
            Schedule::new(&[1, 0]).unwrap_err().message,
            "template 1: weight must be a positive integer"
        );
        assert!(Schedule::new(&[MAX_PERIOD, 1]).is_err());
    }
}
