//! Clocks: phase timings for profiling (set `GRIDMAP_TIMING=1` to print them to stderr)
//! and the civil date and time stamped on prints and change logs, in the local time zone:
//! China Standard Time (UTC+8) unless `GRIDMAP_UTC_OFFSET` names another offset.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("GRIDMAP_TIMING").is_some())
}

/// Print how long the phase `label` took since `start`, and restart the clock.
pub fn phase(label: &str, start: &mut Instant) {
    if enabled() {
        eprintln!("[timing] {label}: {:.3} s", start.elapsed().as_secs_f64());
    }
    *start = Instant::now();
}

/// Civil date (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Seconds since 1970 now (UTC).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The offset from UTC, in minutes east, of the time zone times are stamped in:
/// `GRIDMAP_UTC_OFFSET` ("+08:00", "-05:30", "+0530", "8", "0"), else China Standard Time.
pub fn local_offset_minutes() -> i64 {
    std::env::var("GRIDMAP_UTC_OFFSET")
        .ok()
        .and_then(|v| parse_offset(&v))
        .unwrap_or(CHINA_STANDARD_TIME)
}

/// UTC+8, in minutes.
pub const CHINA_STANDARD_TIME: i64 = 8 * 60;

/// "+08:00", "-0530", "8", "UTC+8" as minutes east of UTC; None when not an offset within
/// ±14 hours.
pub fn parse_offset(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s
        .strip_prefix("UTC")
        .or_else(|| s.strip_prefix("GMT"))
        .unwrap_or(s);
    if s.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes()[0] {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?),
        None if rest.len() == 4 => (rest[..2].parse().ok()?, rest[2..].parse().ok()?),
        None => (rest.parse().ok()?, 0),
    };
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

/// "+08:00" for an offset in minutes.
pub fn offset_text(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The local day count since 1970-01-01 of a Unix time.
pub fn local_days(secs: i64) -> i64 {
    (secs + local_offset_minutes() * 60).div_euclid(86_400)
}

/// "YYYY-MM-DD HH:MM +08:00": a Unix time in the local time zone, which it names.
pub fn local_stamp(secs: i64) -> String {
    stamp_at(secs, local_offset_minutes())
}

/// "YYYY-MM-DD HH:MM +HH:MM" at an offset of `minutes` east of UTC.
pub fn stamp_at(secs: i64, minutes: i64) -> String {
    let local = secs + minutes * 60;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let t = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} {}",
        t / 3600,
        t % 3600 / 60,
        offset_text(minutes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_local_and_name_their_offset() {
        // 23:30 UTC is already 07:30 the next day in Beijing.
        let secs = 1_780_000_000 - 1_780_000_000 % 86_400 + 23 * 3600 + 30 * 60;
        let utc = stamp_at(secs, 0);
        let cst = stamp_at(secs, CHINA_STANDARD_TIME);
        assert!(utc.ends_with("23:30 +00:00"), "{utc}");
        assert!(cst.ends_with("07:30 +08:00"), "{cst}");
        assert_ne!(utc[..10], cst[..10], "the next day in Beijing");
        assert_eq!(
            stamp_at(secs, -330),
            stamp_at(secs - 330 * 60, 0).replace("+00:00", "-05:30")
        );
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+08:00"), Some(480));
        assert_eq!(parse_offset("UTC+8"), Some(480));
        assert_eq!(parse_offset("-0530"), Some(-330));
        assert_eq!(parse_offset("0"), Some(0));
        assert_eq!(parse_offset("+15"), None);
        assert_eq!(parse_offset("abc"), None);
        assert_eq!(offset_text(-330), "-05:30");
    }
}
