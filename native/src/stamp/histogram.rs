//! The receiver's latency histogram: log-linear (HDR style) buckets of
//! nanoseconds, as bpf/xdp_count.c's latency_bucket counts them. Values
//! below 128 ns have a bucket each; above, every power of two [2^e, 2^e+1)
//! is cut into 128 buckets of 2^(e-7) ns, so a bucket is at most 1/128 of
//! its values wide and its midpoint within 0.4 % of any of them. The last
//! bucket, from 2^37 + 127 * 2^30 ns (about 4.5 minutes), also takes every
//! larger value.

/// Buckets a stream's histogram has (LATENCY_BUCKETS in xdp_count.c).
pub const BUCKETS: usize = 4096;
/// log2 of the buckets per power of two.
const SUB_BITS: u32 = 7;
const SUB_BUCKETS: u64 = 1 << SUB_BITS;

/// The bucket of `ns`.
pub fn bucket_of(ns: u64) -> usize {
    if ns < SUB_BUCKETS {
        return ns as usize;
    }
    let e = 63 - ns.leading_zeros();
    let bucket =
        u64::from(e - (SUB_BITS - 1)) * SUB_BUCKETS + ((ns >> (e - SUB_BITS)) & (SUB_BUCKETS - 1));
    (bucket as usize).min(BUCKETS - 1)
}

/// The values of `bucket`: from `low` up to, not including, `high` (the
/// last bucket also holds everything above its range).
pub fn bucket_bounds(bucket: usize) -> (u64, u64) {
    let bucket = bucket as u64;
    if bucket < SUB_BUCKETS {
        return (bucket, bucket + 1);
    }
    let e = bucket / SUB_BUCKETS + u64::from(SUB_BITS - 1);
    let width = 1u64 << (e - u64::from(SUB_BITS));
    let low = (1u64 << e) + (bucket % SUB_BUCKETS) * width;
    (low, low + width)
}

/// The value a bucket stands for: the middle of its range.
fn midpoint(bucket: usize) -> u64 {
    let (low, high) = bucket_bounds(bucket);
    low + (high - 1 - low) / 2
}

/// The nearest-rank position (1-based) of quantile `q` among `n` values.
pub fn nearest_rank(q: f64, n: u64) -> u64 {
    ((q * n as f64).ceil() as u64).clamp(1, n.max(1))
}

/// Quantile `q` (0 < q <= 1, nearest rank) of the values counted in
/// `counts` (one entry a bucket): the midpoint of the bucket holding it,
/// kept within the exact `min` and `max` of the values (the first and last
/// rank are those exactly). None without values.
pub fn percentile(counts: &[u64], q: f64, min: u64, max: u64) -> Option<u64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = nearest_rank(q, total);
    if rank == total {
        return Some(max);
    }
    if rank == 1 {
        return Some(min);
    }
    let mut below = 0;
    let bucket = counts.iter().position(|&count| {
        below += count;
        below >= rank
    })?;
    Some(midpoint(bucket).clamp(min, max.max(min)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::splitmix64;

    #[test]
    fn buckets_tile_the_values_in_order() {
        let mut next_low = 0;
        for bucket in 0..BUCKETS {
            let (low, high) = bucket_bounds(bucket);
            assert_eq!(low, next_low, "bucket {bucket}");
            assert!(high > low);
            assert_eq!(bucket_of(low), bucket);
            assert_eq!(bucket_of(high - 1), bucket);
            if low >= SUB_BUCKETS {
                // At most 1/128 of its values wide.
                assert!((high - low) * SUB_BUCKETS <= low, "bucket {bucket}");
            }
            next_low = high;
        }
        assert_eq!(next_low, 1 << 38);
        assert_eq!(bucket_of(1 << 38), BUCKETS - 1);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(127), 127);
        assert_eq!(bucket_of(255), 255);
        assert_eq!(bucket_of(256), 256);
        assert_eq!(bucket_of(257), 256);
        assert_eq!(bucket_of(258), 257);
    }

    /// Random values of several shapes: the reported percentiles are
    /// within 1 % of the exact ones, and min/max are exact.
    #[test]
    fn percentiles_are_within_one_percent_of_the_exact_ones() {
        let mut draw = 0x5eed_u64;
        let mut uniform = move || {
            draw += 1;
            (splitmix64(draw) >> 11) as f64 / (1u64 << 53) as f64
        };
        type Shape = Box<dyn FnMut(&mut dyn FnMut() -> f64) -> u64>;
        let shapes: Vec<(&str, Shape)> = vec![
            ("uniform 0..300 ns", Box::new(|u| (u() * 300.0) as u64)),
            (
                "uniform 10..12 µs",
                Box::new(|u| 10_000 + (u() * 2_000.0) as u64),
            ),
            (
                "exponential, mean 50 µs",
                Box::new(|u| (-(1.0 - u()).ln() * 50_000.0) as u64),
            ),
            (
                "log-uniform 1 ns..100 s",
                Box::new(|u| 10f64.powf(u() * 11.0) as u64),
            ),
            (
                "bimodal 2 µs / 3 ms",
                Box::new(|u| {
                    let base = if u() < 0.9 { 2_000.0 } else { 3_000_000.0 };
                    (base * (1.0 + 0.2 * u())) as u64
                }),
            ),
            (
                "heavy tail (Pareto)",
                Box::new(|u| (20_000.0 / (1.0 - u()).powf(1.0 / 1.2)) as u64),
            ),
        ];
        let quantiles = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0];
        for (name, mut shape) in shapes {
            for n in [1, 2, 7, 1_000, 100_000] {
                let mut values: Vec<u64> = (0..n).map(|_| shape(&mut uniform)).collect();
                let mut counts = vec![0u64; BUCKETS];
                for &v in &values {
                    counts[bucket_of(v)] += 1;
                }
                values.sort_unstable();
                let (min, max) = (values[0], values[n - 1]);
                for q in quantiles {
                    let exact = values[nearest_rank(q, n as u64) as usize - 1];
                    let reported = percentile(&counts, q, min, max).unwrap();
                    let error = reported.abs_diff(exact) as f64;
                    assert!(
                        error <= exact as f64 * 0.01,
                        "{name}, n {n}, q {q}: reported {reported}, exact {exact}"
                    );
                }
                assert_eq!(percentile(&counts, 1.0, min, max), Some(max));
            }
        }
        assert_eq!(percentile(&[0; BUCKETS], 0.5, 0, 0), None);
    }
}
