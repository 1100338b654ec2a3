//! What the receive counter keeps of stamped frames (bpf/xdp_count.c): one
//! value per stream in an array with a spin lock (read and zeroed under
//! it), the streams' latency histograms in one mmapped array, and a per-CPU
//! count of stamps whose stream is beyond the tracked ones. Read into
//! [`StampCounts`] and zeroed between runs.

use std::sync::atomic::Ordering;

use aya::maps::{Array, Map, MapData, PerCpuArray, PerCpuValues};

use crate::error::{Error, ErrorKind, Result};
use crate::kernel::bpf::{StampStreamValue, BPF_F_LOCK};
use crate::kernel::mapped_array::MappedArray;
use crate::stamp::histogram::{self, BUCKETS};
use crate::stamp::StampClock;

/// Streams the counter tracks (MAX_STREAMS in xdp_count.c): 0..256.
pub const MAX_STREAMS: usize = 256;
/// The maps' names in xdp_count.c.
pub(super) const STREAMS_MAP: &str = "xdperf_stamp_streams";
pub(super) const LATENCY_MAP: &str = "xdperf_stamp_latency";
pub(super) const OUT_OF_RANGE_MAP: &str = "xdperf_stamp_out_of_range";
const BPF_F_MMAPABLE: u32 = 1 << 10;

/// The counter's stamp maps.
pub struct StampMaps {
    streams: Array<MapData, StampStreamValue>,
    /// Stream s's histogram is values s * BUCKETS .. (s + 1) * BUCKETS.
    latency: MappedArray,
    out_of_range: PerCpuArray<MapData, u64>,
}

/// Stamps received, per stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StampCounts {
    /// Every stream that received a stamp, by stream id.
    pub streams: Vec<StreamStamps>,
    /// Latency over every packet of those streams.
    pub total: Option<LatencyStats>,
    /// Valid stamps of a stream id of [`MAX_STREAMS`] or more, not tracked.
    pub stream_out_of_range: u64,
}

/// One stream's stamps.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStamps {
    pub stream: u16,
    /// The clock of the stream's last stamp.
    pub clock: StampClock,
    pub packets: u64,
    pub bytes: u64,
    /// Packets whose sequence number came before (within the window).
    pub duplicated: u64,
    /// Packets, not duplicates, below the highest sequence number before
    /// them (RFC 4737); those of `beyond_window` among them.
    pub reordered: u64,
    /// Packets older than the duplicate window (4096 sequence numbers):
    /// reordered, not checked for duplication.
    pub beyond_window: u64,
    pub highest_seq: u64,
    /// Packets sent, by their stamp, after they were received: the
    /// sender's clock is ahead of the receiver's. No latency samples.
    pub clock_ahead: u64,
    /// None without a latency sample.
    pub latency: Option<LatencyStats>,
}

/// One-way latency of a stream's packets (first copies, clock not ahead).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyStats {
    pub count: u64,
    pub min_ns: u64,
    /// Of every sample: exact, and only grows while samples come.
    pub sum_ns: u64,
    pub mean_ns: f64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    /// RFC 3550 interarrival jitter.
    pub jitter_ns: f64,
    /// The histogram's non-empty buckets, in order.
    pub histogram: Vec<LatencyBucket>,
}

/// Samples from `from_ns` up to, not including, `to_ns` (the last bucket
/// also holds any larger value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyBucket {
    pub from_ns: u64,
    pub to_ns: u64,
    pub count: u64,
}

impl StampMaps {
    /// The maps as taken from the loaded object or opened from their pins;
    /// errors name `subject`.
    pub fn new(streams: Map, latency: Map, out_of_range: Map, subject: &str) -> Result<StampMaps> {
        let map_error = |what: &str, err: &aya::maps::MapError| {
            Error::from_source_chain(&format!("{subject}: {what}"), err)
        };
        let streams = Array::try_from(streams).map_err(|err| map_error(STREAMS_MAP, &err))?;
        let out_of_range =
            PerCpuArray::try_from(out_of_range).map_err(|err| map_error(OUT_OF_RANGE_MAP, &err))?;
        let Map::Array(latency) = latency else {
            return Err(Error::new(
                ErrorKind::Kernel,
                format!("{subject}: {LATENCY_MAP} is not an array"),
            ));
        };
        let info = latency.info().map_err(|err| map_error(LATENCY_MAP, &err))?;
        let len = MAX_STREAMS * BUCKETS;
        if info.max_entries() as usize != len
            || info.value_size() as usize != std::mem::size_of::<u64>()
            || info.map_flags() & BPF_F_MMAPABLE == 0
        {
            return Err(Error::new(
                ErrorKind::Kernel,
                format!(
                    "{subject}: {LATENCY_MAP} is not {len} mmapable u64s (made by another xdperf version?)"
                ),
            ));
        }
        let latency = MappedArray::map(
            std::os::fd::AsFd::as_fd(latency.fd()),
            len,
            &format!("{subject}: {LATENCY_MAP}"),
        )?;
        Ok(StampMaps {
            streams,
            latency,
            out_of_range,
        })
    }

    /// Every stream below `below` (all, without it) that received a
    /// stamp, their latency over all of them, and the stamps out of range.
    pub fn read(&self, below: Option<usize>) -> Result<StampCounts> {
        let subject = "XDP counter: reading stamps";
        let mut streams = Vec::new();
        let mut total = LatencySum::default();
        for stream in 0..below.unwrap_or(MAX_STREAMS).min(MAX_STREAMS) {
            let value = self
                .streams
                .get(&(stream as u32), BPF_F_LOCK)
                .map_err(|err| Error::from_source_chain(subject, &err))?;
            if value.packets == 0 {
                continue;
            }
            let histogram: Vec<u64> = self.latency.values()
                [stream * BUCKETS..(stream + 1) * BUCKETS]
                .iter()
                .map(|count| count.load(Ordering::Relaxed))
                .collect();
            let latency = LatencySum::of(&value, histogram);
            total.add(&latency);
            streams.push(StreamStamps::new(stream as u16, &value, latency.stats()));
        }
        let stream_out_of_range = self
            .out_of_range
            .get(&0, 0)
            .map_err(|err| Error::from_source_chain(subject, &err))?
            .iter()
            .sum();
        Ok(StampCounts {
            streams,
            total: total.stats(),
            stream_out_of_range,
        })
    }

    /// Zeroes every stream's state and histogram and the out-of-range
    /// count.
    pub fn reset(&mut self) -> Result<()> {
        let subject = "XDP counter: resetting stamps";
        for stream in 0..MAX_STREAMS as u32 {
            self.streams
                .set(stream, StampStreamValue::ZERO, BPF_F_LOCK)
                .map_err(|err| Error::from_source_chain(subject, &err))?;
        }
        for count in self.latency.values() {
            count.store(0, Ordering::Relaxed);
        }
        let cpus = aya::util::nr_cpus()
            .map_err(|(what, err)| Error::from_source_chain(&format!("{subject}: {what}"), &err))?;
        let zeros = PerCpuValues::try_from(vec![0u64; cpus])
            .map_err(|err| Error::from_source_chain(subject, &err))?;
        self.out_of_range
            .set(0, zeros, 0)
            .map_err(|err| Error::from_source_chain(subject, &err))
    }
}

impl StreamStamps {
    /// Stream `stream`'s state from its map value and latency.
    fn new(stream: u16, value: &StampStreamValue, latency: Option<LatencyStats>) -> StreamStamps {
        StreamStamps {
            stream,
            clock: if value.flags & StampStreamValue::TAI != 0 {
                StampClock::Tai
            } else {
                StampClock::Monotonic
            },
            packets: value.packets,
            bytes: value.bytes,
            duplicated: value.duplicated,
            reordered: value.reordered,
            beyond_window: value.beyond_window,
            highest_seq: value.highest_seq,
            clock_ahead: value.clock_ahead,
            latency,
        }
    }
}

/// Latency samples as they add up over streams: the histograms added, the
/// extremes kept, and the jitter weighted by samples (RFC 3550's jitter is
/// one stream's; over several it is their mean per packet).
#[derive(Debug, Default)]
struct LatencySum {
    count: u64,
    min: u64,
    max: u64,
    sum: u64,
    /// Jitter × 16 × samples, summed.
    weighted_jitter16: f64,
    histogram: Vec<u64>,
}

impl LatencySum {
    fn of(value: &StampStreamValue, histogram: Vec<u64>) -> LatencySum {
        LatencySum {
            count: value.latency_count,
            min: value.latency_min,
            max: value.latency_max,
            sum: value.latency_sum,
            weighted_jitter16: value.jitter16 as f64 * value.latency_count as f64,
            histogram,
        }
    }

    fn add(&mut self, other: &LatencySum) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.min = other.min;
            self.histogram = vec![0; other.histogram.len()];
        }
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.weighted_jitter16 += other.weighted_jitter16;
        for (total, count) in self.histogram.iter_mut().zip(&other.histogram) {
            *total += count;
        }
    }

    /// None without a sample.
    fn stats(&self) -> Option<LatencyStats> {
        (self.count > 0).then(|| LatencyStats::new(self))
    }
}

impl LatencyStats {
    fn new(samples: &LatencySum) -> LatencyStats {
        let (min, max, histogram) = (samples.min, samples.max, &samples.histogram);
        // A sample counted under the lock but not yet in the histogram
        // (read in between) can leave it empty.
        let percentile = |q: f64| histogram::percentile(histogram, q, min, max).unwrap_or(min);
        LatencyStats {
            count: samples.count,
            min_ns: min,
            sum_ns: samples.sum,
            mean_ns: samples.sum as f64 / samples.count as f64,
            p50_ns: percentile(0.5),
            p90_ns: percentile(0.9),
            p99_ns: percentile(0.99),
            p999_ns: percentile(0.999),
            max_ns: max,
            jitter_ns: samples.weighted_jitter16 / 16.0 / samples.count as f64,
            histogram: histogram
                .iter()
                .enumerate()
                .filter(|(_, &count)| count > 0)
                .map(|(bucket, &count)| {
                    let (from_ns, to_ns) = histogram::bucket_bounds(bucket);
                    LatencyBucket {
                        from_ns,
                        to_ns,
                        count,
                    }
                })
                .collect(),
        }
    }
}
