//! Clocks: phase timings for profiling (set `GRIDMAP_TIMING=1` to print them to stderr)
//! and the civil date and time stamped on prints and change logs, in the machine's time zone
//! (read by `jiff`: `TZ`, else `/etc/localtime` or the Windows setting, else UTC), unless
//! `GRIDMAP_UTC_OFFSET` names a fixed offset.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("GRIDMAP_TIMING").is_some())
}

/// Print how long the phase `label` took since `start`, and restart the clock.
pub fn phase(label: &str, start: &mut Instant) {
    if enabled() {
        eprintln!(
            "[timing] {label}: {:.2} ms",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    *start = Instant::now();
}

/// Run `f` as the phase `label` (printed as [`phase`] does): for work done on a thread of
/// its own, where no clock runs from the phase before.
pub fn timed<R>(label: &str, f: impl FnOnce() -> R) -> R {
    let mut clock = Instant::now();
    let r = f();
    phase(label, &mut clock);
    r
}

/// Civil date (year, month, day) of a day count since 1970-01-01, clamped to the years
/// -9999..=9999 that `jiff` covers.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let date = Offset::UTC
        .to_datetime(timestamp(z.saturating_mul(86_400)))
        .date();
    (
        i64::from(date.year()),
        date.month().unsigned_abs().into(),
        date.day().unsigned_abs().into(),
    )
}

/// Seconds since 1970 now (UTC).
pub fn unix_now() -> i64 {
    Timestamp::now().as_second()
}

/// The instant `secs` seconds after 1970 (UTC), clamped to the range `jiff` covers.
fn timestamp(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// The time zone times are stamped in: the fixed offset `GRIDMAP_UTC_OFFSET` names ("+08:00",
/// "-05:30", "+0530", "8", "0"), else the machine's zone (`TZ`, `/etc/localtime`, the
/// Windows setting; UTC when none is found), daylight saving time included.
pub fn local_zone() -> TimeZone {
    std::env::var("GRIDMAP_UTC_OFFSET")
        .ok()
        .and_then(|v| parse_offset(&v))
        .map_or_else(TimeZone::system, |minutes| {
            TimeZone::fixed(offset_of(minutes))
        })
}

/// The offset from UTC, in minutes east, of the local time zone now.
pub fn local_offset_minutes() -> i64 {
    offset_at(&local_zone(), unix_now())
}

/// The offset in minutes east of UTC that `zone` has at the Unix time `secs`.
fn offset_at(zone: &TimeZone, secs: i64) -> i64 {
    i64::from(zone.to_offset(timestamp(secs)).seconds()).div_euclid(60)
}

/// A `jiff` offset of `minutes` east of UTC, clamped to the ±25:59 it allows.
fn offset_of(minutes: i64) -> Offset {
    let seconds = minutes.clamp(-(25 * 60 + 59), 25 * 60 + 59) * 60;
    Offset::from_seconds(seconds as i32).unwrap_or(Offset::UTC)
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
    (secs + offset_at(&local_zone(), secs) * 60).div_euclid(86_400)
}

/// "YYYY-MM-DD HH:MM +08:00": a Unix time in the local time zone, which it names (the
/// offset in force at that time).
pub fn local_stamp(secs: i64) -> String {
    stamp_at(secs, offset_at(&local_zone(), secs))
}

/// "YYYY-MM-DD HH:MM +HH:MM" at an offset of `minutes` east of UTC (clamped to ±25:59).
pub fn stamp_at(secs: i64, minutes: i64) -> String {
    let offset = offset_of(minutes);
    format!(
        "{} {}",
        offset
            .to_datetime(timestamp(secs))
            .strftime("%Y-%m-%d %H:%M"),
        offset_text(i64::from(offset.seconds()) / 60)
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

    #[test]
    fn civil_dates_of_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        // Far beyond jiff's range: clamped to its last instant, late in year 9999.
        assert_eq!(civil_from_days(i64::MAX).0, 9999);
    }

    #[test]
    fn a_zone_with_daylight_saving_names_the_offset_in_force() {
        let zone = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        // 2024-01-15 and 2024-07-15 at 12:00 UTC.
        let (winter, summer) = (1_705_320_000, 1_721_044_800);
        assert_eq!(offset_at(&zone, winter), -300);
        assert_eq!(offset_at(&zone, summer), -240);
        assert_eq!(
            stamp_at(summer, offset_at(&zone, summer)),
            "2024-07-15 08:00 -04:00"
        );
    }
}
