//! A content hash that is the same on every build and platform (std's hasher is not):
//! FNV-1a, 64 bits. For names and change detection, not for security.

/// FNV-1a's starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a of `bytes`, continued from `h` ([`FNV_OFFSET`] to start).
pub fn fnv1a(bytes: &[u8], h: u64) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(fnv1a(b"", FNV_OFFSET), FNV_OFFSET);
        assert_eq!(fnv1a(b"a", FNV_OFFSET), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            fnv1a(b"b", fnv1a(b"a", FNV_OFFSET)),
            fnv1a(b"ab", FNV_OFFSET)
        );
    }
}
