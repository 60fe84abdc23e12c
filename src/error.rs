//! The one format of every message gridmap shows or prints: Chinese on the first line,
//! English on the second, each naming the file (and feature) it is about.

/// A message in both languages, as gridmap shows it: `zh`, a line break, `en`.
pub fn bilingual(zh: &str, en: &str) -> String {
    format!("{zh}\n{en}")
}

/// Text taken from a file, for a message: at most `MAX` characters (a name of 100 MB stays
/// a line), control characters shown as escapes.
pub fn quoted(s: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = s
        .chars()
        .take(MAX)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// A number from a file, for a message: plain for the sizes coordinates have, in
/// scientific notation beyond them (never 309 digits).
pub fn number(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e12 {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_quotes_stay_short() {
        assert_eq!(number(1e308), "1e308");
        assert_eq!(number(-12.5), "-12.5");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(3.0), "3");
        let long = "名".repeat(1000);
        assert_eq!(quoted(&long).chars().count(), 61);
        assert_eq!(quoted("a\u{0}b"), "a\\u{0}b");
    }
}
