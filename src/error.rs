//! The one format of every message gridmap shows or prints: Chinese on the first line,
//! English on the second, each naming the file (and feature) it is about.

/// A message in both languages, as gridmap shows it: `zh`, a line break, `en`.
pub fn bilingual(zh: &str, en: &str) -> String {
    format!("{zh}\n{en}")
}

/// An error and its causes, said once: each level's Chinese line joined with "：", each
/// English line with ": " (a level's message is `zh\nen`, as [`bilingual`] makes it; a
/// level whose text is already in the one above is not said twice). The one formatter the
/// CLI and the app show errors through.
pub fn report(e: &(dyn std::error::Error + 'static)) -> String {
    let mut zh: Vec<String> = Vec::new();
    let mut en: Vec<String> = Vec::new();
    let mut said = String::new();
    let mut level = Some(e);
    while let Some(err) = level {
        let text = err.to_string();
        if !text.is_empty() && !said.contains(&text) {
            let (z, n) = text.split_once('\n').unwrap_or((&text, &text));
            zh.push(z.trim_end().to_string());
            en.push(n.trim_end().to_string());
            said.push_str(&text);
            said.push('\n');
        }
        level = err.source();
    }
    if zh.len() <= 1 {
        return e.to_string();
    }
    bilingual(&zh.join("："), &en.join(": "))
}

/// An error's chain as [`report`] says it, split into its Chinese and its English line
/// (the same text twice when it has only one), to embed in a message of each language.
pub fn report_lines(e: &(dyn std::error::Error + 'static)) -> (String, String) {
    let text = report(e);
    match text.split_once('\n') {
        Some((zh, en)) => (zh.to_string(), en.to_string()),
        None => (text.clone(), text),
    }
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

    #[derive(Debug, thiserror::Error)]
    #[error("无法打开项目\ncannot open the project")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_chain_is_said_once_in_each_language() {
        let e = Outer(std::io::Error::other("磁盘已满\ndisk full"));
        assert_eq!(
            report(&e),
            "无法打开项目：磁盘已满\ncannot open the project: disk full"
        );
        let alone = std::io::Error::other("只有一层\none level");
        assert_eq!(report(&alone), "只有一层\none level");
    }
}
