//! The Internet checksum (RFC 1071) as field programs need it: sums of
//! 16-bit big-endian words taken by each byte's parity in the frame, so a
//! field's bytes can be summed wherever the field sits (every header it
//! touches starts at an even frame offset), and the incremental update of
//! RFC 1624.

/// Adds `bytes`, which start at frame offset `offset`, to a ones'-complement
/// sum kept unfolded: a byte at an even offset is the high byte of its word.
/// Enough for any frame: 2^48 bytes would be needed to overflow.
pub fn add_bytes(mut sum: u64, bytes: &[u8], offset: usize) -> u64 {
    for (i, &byte) in bytes.iter().enumerate() {
        sum += u64::from(byte) << parity_shift(offset + i);
    }
    sum
}

/// The 16-bit words of `bytes` (at most 9 bytes of a field, right-aligned
/// to a word boundary) summed, unfolded: the same sum `add_bytes` gives.
#[inline]
pub fn word_sum(bytes: u128) -> u64 {
    let word = |n: u32| ((bytes >> (16 * n)) & 0xffff) as u64;
    word(0) + word(1) + word(2) + word(3) + word(4)
}

/// 8 for a byte at an even frame offset (a word's high byte), else 0.
#[inline]
pub fn parity_shift(offset: usize) -> u32 {
    if offset & 1 == 0 {
        8
    } else {
        0
    }
}

/// An unfolded sum folded into 16 bits with end-around carries. Only an
/// all-zero input folds to 0; any other multiple of 0xffff folds to 0xffff.
#[inline]
pub fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The checksum field's value for data summing to `sum`.
pub fn finish(sum: u64) -> u16 {
    !fold(sum)
}

/// What a checksum must absorb when words summing to `old` (folded) are
/// replaced by words summing to `new`: ~m + m' of RFC 1624, unfolded, so the
/// changes of several fields add up before one update.
#[inline]
pub fn change(old: u16, new: u16) -> u64 {
    u64::from(!old) + u64::from(new)
}

/// RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), with `change` the sum of the
/// ~m + m' terms. As long as HC is not 0xffff (never, for a checksum the
/// sum of non-zero data gave; a UDP checksum sent as 0xffff is handled by
/// its caller), the result is the one a full computation gives: 0x0000,
/// never 0xffff, when the data sums to a multiple of 0xffff.
#[inline]
pub fn update(checksum: u16, change: u64) -> u16 {
    !fold(u64::from(!checksum) + change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_sums_to_its_checksum() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(add_bytes(0, &data, 0)), 0xddf2);
        assert_eq!(finish(add_bytes(0, &data, 0)), !0xddf2);
    }

    #[test]
    fn bytes_at_an_odd_offset_are_low_bytes() {
        assert_eq!(add_bytes(0, &[0x12, 0x34], 1), 0x12 + 0x3400);
        assert_eq!(add_bytes(0, &[0x12, 0x34], 2), 0x1234);
    }

    #[test]
    fn rfc1624_update_gives_zero_not_minus_zero() {
        // RFC 1624 §3: the other words sum to 0xcd7a and a word 0x5555
        // becomes 0x3285, so the data sums to 0xffff: eqn. 3 must give
        // 0x0000 where eqn. 2 gave 0xffff.
        let before = [0xcd, 0x7a, 0x55, 0x55];
        let after = [0xcd, 0x7a, 0x32, 0x85];
        let old_checksum = finish(add_bytes(0, &before, 0));
        assert_eq!(old_checksum, 0xdd2f);
        let updated = update(
            old_checksum,
            change(
                fold(add_bytes(0, &before[2..], 2)),
                fold(add_bytes(0, &after[2..], 2)),
            ),
        );
        assert_eq!(updated, 0x0000);
        assert_eq!(updated, finish(add_bytes(0, &after, 0)));
    }
}
