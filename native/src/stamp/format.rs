//! The stamp's bytes: the layout and check of bpf/stamp.h, which the BPF
//! programs use (the xdp engine writes stamps, the receiver reads them).
//! Keep the two in step; the receiver's tests check them against each
//! other.

/// Bytes a stamp takes at the start of the L4 payload.
pub const STAMP_LEN: usize = 18;
/// Streams are numbered in 15 bits; bit 15 of the stream word is the clock.
pub const MAX_STREAM: u16 = 0x7fff;
const CLOCK_TAI_BIT: u16 = 0x8000;
const MASK_48: u64 = (1 << 48) - 1;
const CHECK_KEY: u64 = 0x7864_7065_7266_0a11;

/// The clock a stamp's transmit time was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampClock {
    /// CLOCK_MONOTONIC (bpf_ktime_get_ns): comparable on one host only.
    Monotonic,
    /// CLOCK_TAI: comparable across hosts whose clocks PTP keeps in step.
    Tai,
}

impl StampClock {
    pub fn name(self) -> &'static str {
        match self {
            StampClock::Monotonic => "monotonic",
            StampClock::Tai => "tai",
        }
    }

    pub fn from_name(name: &str) -> Option<StampClock> {
        match name {
            "monotonic" => Some(StampClock::Monotonic),
            "tai" => Some(StampClock::Tai),
            _ => None,
        }
    }

    /// The clock's time now, in ns.
    pub fn now_ns(self) -> u64 {
        crate::kernel::clock::now_ns(match self {
            StampClock::Monotonic => libc::CLOCK_MONOTONIC,
            StampClock::Tai => libc::CLOCK_TAI,
        })
    }
}

/// One packet's stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// 0..=MAX_STREAM.
    pub stream: u16,
    pub clock: StampClock,
    /// Taken modulo 2^48.
    pub seq: u64,
    /// Taken modulo 2^48.
    pub tx_ns: u64,
}

/// The check of bpf/stamp.h over the stream word, seq and tx_ns: the high
/// half of (seq + key(stream word)) * M, xor a mix of tx_ns, so a sender
/// multiplies once a packet (see the header).
#[inline]
pub fn check(stream_word: u16, seq: u64, tx_ns: u64) -> u32 {
    let key = u64::from(stream_word).wrapping_mul(0xd6e8_feb8_6659_fd93) ^ CHECK_KEY;
    let tx_mix = ((tx_ns & MASK_48).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 32) as u32;
    (((seq & MASK_48).wrapping_add(key)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32 ^ tx_mix
}

impl Stamp {
    fn stream_word(&self) -> u16 {
        let clock = match self.clock {
            StampClock::Monotonic => 0,
            StampClock::Tai => CLOCK_TAI_BIT,
        };
        (self.stream & MAX_STREAM) | clock
    }

    /// The stamp's 18 bytes.
    #[inline]
    pub fn encode(&self) -> [u8; STAMP_LEN] {
        let word = self.stream_word();
        let mut bytes = [0u8; STAMP_LEN];
        bytes[0..4].copy_from_slice(&check(word, self.seq, self.tx_ns).to_le_bytes());
        bytes[4..6].copy_from_slice(&word.to_le_bytes());
        bytes[6..12].copy_from_slice(&(self.seq & MASK_48).to_le_bytes()[..6]);
        bytes[12..18].copy_from_slice(&(self.tx_ns & MASK_48).to_le_bytes()[..6]);
        bytes
    }

    /// The stamp `bytes` start with, if their check holds.
    pub fn decode(bytes: &[u8]) -> Option<Stamp> {
        let bytes = bytes.get(..STAMP_LEN)?;
        let u48 = |at: usize| {
            let mut word = [0u8; 8];
            word[..6].copy_from_slice(&bytes[at..at + 6]);
            u64::from_le_bytes(word)
        };
        let word = u16::from_le_bytes([bytes[4], bytes[5]]);
        let (seq, tx_ns) = (u48(6), u48(12));
        let stated = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        (stated == check(word, seq, tx_ns)).then_some(Stamp {
            stream: word & MAX_STREAM,
            clock: if word & CLOCK_TAI_BIT != 0 {
                StampClock::Tai
            } else {
                StampClock::Monotonic
            },
            seq,
            tx_ns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_decodes_to_itself_and_a_flipped_bit_to_nothing() {
        let stamp = Stamp {
            stream: 300,
            clock: StampClock::Tai,
            seq: (1 << 47) + 12_345,
            tx_ns: 0xfedc_ba98_7654,
        };
        let bytes = stamp.encode();
        assert_eq!(Stamp::decode(&bytes), Some(stamp));
        for bit in 0..STAMP_LEN * 8 {
            let mut flipped = bytes;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(Stamp::decode(&flipped), None, "bit {bit}");
        }
    }

    #[test]
    fn structured_payloads_are_not_stamps() {
        for byte in [0x00, 0xff, 0xaa, 0x55, 0x01] {
            assert_eq!(Stamp::decode(&[byte; STAMP_LEN]), None, "all {byte:#x}");
        }
        let counting: Vec<u8> = (0..STAMP_LEN as u8).collect();
        assert_eq!(Stamp::decode(&counting), None);
        assert_eq!(Stamp::decode(&[0; STAMP_LEN - 1]), None);
    }

    #[test]
    fn random_payloads_pass_the_check_about_once_in_2_to_the_32() {
        // 2^24 random payloads: the expected number of false stamps is
        // 2^-8, so any is a failure (p < 0.004 for a correct check).
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            state = crate::fields::splitmix64(state);
            state
        };
        for _ in 0..(1 << 24) {
            let (a, b, c) = (next(), next(), next());
            let mut bytes = [0u8; STAMP_LEN];
            bytes[..8].copy_from_slice(&a.to_le_bytes());
            bytes[8..16].copy_from_slice(&b.to_le_bytes());
            bytes[16..].copy_from_slice(&c.to_le_bytes()[..2]);
            assert_eq!(Stamp::decode(&bytes), None);
        }
    }
}
