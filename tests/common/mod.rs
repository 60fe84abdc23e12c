//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

pub mod edits;
pub mod ui;

/// Rename DBF columns in place (the header's 11-byte field names), as data from another
/// office would name them.
pub fn rename_dbf_fields(dbf: &Path, renames: &[(&str, &str)]) {
    let mut b = std::fs::read(dbf).unwrap();
    let header_len = u16::from_le_bytes([b[8], b[9]]) as usize;
    let mut off = 32;
    while off + 32 <= header_len && b[off] != 0x0D {
        let name: String = b[off..off + 11]
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as char)
            .collect();
        if let Some((_, new)) = renames.iter().find(|(old, _)| *old == name) {
            let mut field = [0u8; 11];
            field[..new.len()].copy_from_slice(new.as_bytes());
            b[off..off + 11].copy_from_slice(&field);
        }
        off += 32;
    }
    std::fs::write(dbf, b).unwrap();
}
