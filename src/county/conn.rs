//! Finding and reaching the county database: a `postgres://` URL or `key=value` connection
//! string, a service name from `PGSERVICE` / `~/.pg_service.conf`, the `PG*` environment,
//! and passwords from `~/.pgpass` or `PGPASSWORD`, never from the command line or a
//! project file. TLS through rustls where the server offers it (`sslmode=prefer`, the
//! default) or insists on it (`sslmode=require`).

use super::DbError;
use postgres::config::Host;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Where to connect, resolved.
#[derive(Clone)]
pub struct Target {
    pub config: postgres::Config,
    /// user@host:port/db, for messages and the status bar (never the password).
    pub display: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

/// `key=value key='quoted value'` as libpq reads it.
fn parse_conninfo(s: &str) -> Result<BTreeMap<String, String>, DbError> {
    let mut out = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(DbError::new(
                format!("连接字符串中 “{}” 后缺少 “=”。", crate::error::quoted(&key)),
                format!(
                    "the connection string lacks \"=\" after \"{}\".",
                    crate::error::quoted(&key)
                ),
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(DbError::new(
                            "连接字符串中的引号没有闭合。",
                            "a quote in the connection string is not closed.",
                        ));
                    }
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.insert(key, value);
    }
    Ok(out)
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The service file: `PGSERVICEFILE`, else `~/.pg_service.conf` (on Windows
/// `%APPDATA%\postgresql\.pg_service.conf`), else `PGSYSCONFDIR/pg_service.conf`.
fn service_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("PGSERVICEFILE") {
        out.push(PathBuf::from(p));
    }
    if let Some(h) = home() {
        out.push(h.join(".pg_service.conf"));
    }
    if let Some(a) = std::env::var_os("APPDATA") {
        out.push(PathBuf::from(a).join("postgresql").join(".pg_service.conf"));
    }
    if let Some(d) = std::env::var_os("PGSYSCONFDIR") {
        out.push(PathBuf::from(d).join("pg_service.conf"));
    }
    out
}

/// The parameters of service `name` from the first service file that has it.
fn service(name: &str) -> Result<BTreeMap<String, String>, DbError> {
    let files = service_files();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let mut current: Option<String> = None;
        let mut out = BTreeMap::new();
        let mut found = false;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(sec) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = Some(sec.trim().to_string());
                found |= sec.trim() == name;
                continue;
            }
            if current.as_deref() == Some(name)
                && let Some((k, v)) = line.split_once('=')
            {
                out.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        if found {
            return Ok(out);
        }
    }
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(DbError::new(
        format!(
            "找不到数据库服务 “{}”（查找了 {}）。",
            crate::error::quoted(name),
            list.join("、")
        ),
        format!(
            "database service \"{}\" not found (looked in {}).",
            crate::error::quoted(name),
            list.join(", ")
        ),
    ))
}

/// The password for this host, port, database and user from the password file
/// (`PGPASSFILE`, else `~/.pgpass`, on Windows `%APPDATA%\postgresql\pgpass.conf`).
fn pgpass(host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".pgpass")))
        .filter(|p| p.is_file())
        .or_else(|| {
            std::env::var_os("APPDATA")
                .map(|a| PathBuf::from(a).join("postgresql").join("pgpass.conf"))
        })?;
    let text = std::fs::read_to_string(file).ok()?;
    let port = port.to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let ok = |f: &str, v: &str| f == "*" || f == v;
        if ok(&fields[0], host)
            && ok(&fields[1], &port)
            && ok(&fields[2], db)
            && ok(&fields[3], user)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// Resolve `url` (None: the `PGSERVICE` service) into a connection target. A password in
/// `url` is refused: it would end up in the shell history and the process list.
pub fn resolve(url: Option<&str>) -> Result<Target, DbError> {
    let text = url.map(str::trim).filter(|s| !s.is_empty());
    let mut config = match text {
        Some(t) if t.starts_with("postgres://") || t.starts_with("postgresql://") => {
            postgres::Config::from_str(t).map_err(|e| bad_url(t, &e.to_string()))?
        }
        _ => {
            let mut params = match text {
                Some(t) => parse_conninfo(t)?,
                None => BTreeMap::new(),
            };
            if params.contains_key("password") {
                return Err(password_on_command_line());
            }
            let name = params
                .remove("service")
                .or_else(|| env("PGSERVICE"))
                .ok_or_else(|| {
                    DbError::new(
                        "没有指定县级数据库：请给出 --url（如 postgres://user@host/county），或设置 PGSERVICE 并在 ~/.pg_service.conf 中写明服务。",
                        "no county database given: pass --url (e.g. postgres://user@host/county), or set PGSERVICE and describe the service in ~/.pg_service.conf.",
                    )
                })
                .map(Some)
                .or_else(|e| if text.is_some() { Ok(None) } else { Err(e) })?;
            let mut merged = match name {
                Some(n) => service(&n)?,
                None => BTreeMap::new(),
            };
            merged.extend(params);
            let s: Vec<String> = merged
                .iter()
                .map(|(k, v)| format!("{k}={}", quote(v)))
                .collect();
            let s = s.join(" ");
            postgres::Config::from_str(&s).map_err(|e| bad_url(&s, &e.to_string()))?
        }
    };
    if text.is_some_and(|t| t.starts_with("postgres")) && config.get_password().is_some() {
        return Err(password_on_command_line());
    }
    if config.get_hosts().is_empty() {
        config.host(&env("PGHOST").unwrap_or_else(|| "localhost".into()));
    }
    if config.get_ports().is_empty()
        && let Some(p) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(p);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .or_else(|| env("USERNAME"))
            .unwrap_or_else(|| "postgres".into());
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(d) = env("PGDATABASE")
    {
        config.dbname(&d);
    }
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(_)) => "localhost".into(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or_default().to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    if config.get_password().is_none()
        && let Some(pw) = pgpass(&host, port, &db, &user).or_else(|| env("PGPASSWORD"))
    {
        config.password(pw);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.application_name("gridmap");
    Ok(Target {
        config,
        display: format!("{user}@{host}:{port}/{db}"),
    })
}

fn bad_url(url: &str, e: &str) -> DbError {
    DbError::new(
        format!("数据库地址无法识别：{}（{e}）", crate::error::quoted(url)),
        format!(
            "the database address cannot be read: {} ({e})",
            crate::error::quoted(url)
        ),
    )
}

fn password_on_command_line() -> DbError {
    DbError::new(
        "不要把密码写在数据库地址里（会留在命令历史和进程列表中）：请写入 ~/.pgpass（Windows：%APPDATA%\\postgresql\\pgpass.conf）或设置 PGPASSWORD。",
        "do not put the password in the database address (it stays in the shell history and the process list): put it in ~/.pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf) or set PGPASSWORD.",
    )
}

/// A PostgreSQL error as a message, with what gridmap was doing.
pub fn pg_error(target: &str, e: &postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error() {
        let msg = db.message();
        let code = db.code().code();
        let (zh, en) = match code {
            "42501" => ("权限不足", "permission denied"),
            "28P01" | "28000" => (
                "登录失败（用户名或密码不对）",
                "login failed (wrong user or password)",
            ),
            "3D000" => ("数据库不存在", "the database does not exist"),
            "42P01" | "3F000" => (
                "县级数据库尚未初始化（先运行 gridmap db init）",
                "the county database is not initialised (run gridmap db init first)",
            ),
            "40001" | "40P01" => (
                "与其他用户的操作冲突，请重试",
                "clashed with another user's work; try again",
            ),
            _ => ("数据库报错", "the database reports an error"),
        };
        return DbError::new(
            format!("{target}：{zh}：{msg}（SQLSTATE {code}）"),
            format!("{target}: {en}: {msg} (SQLSTATE {code})"),
        );
    }
    if e.is_closed() {
        return DbError::new(
            format!("{target}：与数据库的连接已断开。"),
            format!("{target}: the connection to the database was closed."),
        );
    }
    // "invalid configuration" alone says nothing: add the cause ("password missing").
    let mut what = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        what.push_str(&format!(": {c}"));
        cause = c.source();
    }
    if what.contains("password missing") {
        return DbError::new(
            format!(
                "{target}：需要密码：写入 ~/.pgpass（Windows：%APPDATA%\\postgresql\\pgpass.conf）、设置 PGPASSWORD，或在程序中输入。"
            ),
            format!(
                "{target}: a password is needed: put it in ~/.pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf), set PGPASSWORD, or type it in the app."
            ),
        );
    }
    DbError::new(
        format!("无法连接或访问数据库 {target}：{what}"),
        format!("cannot reach the database {target}: {what}"),
    )
}

/// Connect, with TLS where the server offers it.
pub fn connect(target: &Target) -> Result<postgres::Client, DbError> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            DbError::new(
                format!("TLS 设置失败：{e}"),
                format!("TLS setup failed: {e}"),
            )
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    target
        .config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map_err(|e| pg_error(&target.display, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conninfo_and_passwords() {
        let p = parse_conninfo("host=db port = 5433 dbname='县 级' user=a\\b").unwrap();
        assert_eq!(p["dbname"], "县 级");
        assert_eq!(p["port"], "5433");
        assert!(resolve(Some("postgres://u:secret@h/db")).is_err());
        assert!(resolve(Some("host=h password=x")).is_err());
        let t = resolve(Some("postgres://u@h:6000/county")).unwrap();
        assert_eq!(t.display, "u@h:6000/county");
    }
}
