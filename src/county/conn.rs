//! Finding and reaching the county database: a `postgres://` URL or `key=value` connection
//! string, a service name from `PGSERVICE` / `~/.pg_service.conf`, the `PG*` environment,
//! and passwords from `~/.pgpass` or `PGPASSWORD`, never from the command line or a
//! project file. TLS through rustls, with libpq's `sslmode`s: `prefer` (the default) and
//! `require` encrypt without checking the certificate unless a root certificate is
//! given (`sslrootcert`, `PGSSLROOTCERT`, or `~/.postgresql/root.crt`; then as
//! `verify-ca`); `verify-ca` checks the chain to the county's CA, `verify-full` the host
//! name too; `sslrootcert=system` trusts the public web roots and the system's CA bundle.
//! A self-signed server certificate listed in the root file is trusted as itself.

use super::DbError;
use postgres::config::Host;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Where to connect, resolved.
#[derive(Clone)]
pub struct Target {
    pub config: postgres::Config,
    /// user@host:port/db, for messages and the status bar (never the password).
    pub display: String,
    /// How the server's certificate is checked.
    pub tls: Tls,
}

/// libpq's `sslmode`s (`allow` is taken as `prefer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// A PEM file: the county's CA (or its self-signed server certificate).
    File(PathBuf),
    /// The public web roots and the system's CA bundle.
    System,
}

/// The TLS side of a target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    pub mode: SslMode,
    pub roots: Option<Roots>,
}

impl Tls {
    /// `sslmode` and `sslrootcert` as given (None: the default and the environment).
    fn from_params(mode: Option<&str>, root: Option<&str>) -> Result<Tls, DbError> {
        let mode = mode
            .map(str::to_string)
            .or_else(|| env("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".into());
        let mode = match mode.as_str() {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(DbError::new(
                    format!(
                        "sslmode “{}” 无法识别（可用 disable、prefer、require、verify-ca、verify-full）。",
                        crate::error::quoted(other)
                    ),
                    format!(
                        "sslmode \"{}\" is not known (disable, prefer, require, verify-ca, verify-full).",
                        crate::error::quoted(other)
                    ),
                ));
            }
        };
        let root = root.map(str::to_string).or_else(|| env("PGSSLROOTCERT"));
        let roots = match root.as_deref() {
            Some("system") => Some(Roots::System),
            Some(p) => Some(Roots::File(PathBuf::from(p))),
            // libpq's default root file, used when it exists.
            None => default_root().filter(|p| p.is_file()).map(Roots::File),
        };
        if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && roots.is_none() {
            return Err(DbError::new(
                "sslmode=verify-ca/verify-full 需要县里的根证书：用 sslrootcert=文件 指定（或放在 ~/.postgresql/root.crt），公网证书用 sslrootcert=system。",
                "sslmode=verify-ca/verify-full needs the county's root certificate: name it with sslrootcert=FILE (or put it in ~/.postgresql/root.crt); sslrootcert=system for public certificates.",
            ));
        }
        Ok(Tls { mode, roots })
    }
}

/// `~/.postgresql/root.crt` (Windows: `%APPDATA%\postgresql\root.crt`), as libpq.
fn default_root() -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("APPDATA").map(|a| PathBuf::from(a).join("postgresql").join("root.crt"))
    } else {
        home().map(|h| h.join(".postgresql").join("root.crt"))
    }
}

/// The TLS parameters libpq knows and the postgres crate does not: taken out of a URL's
/// query (`?sslmode=verify-full&sslrootcert=ca.pem`), the rest of the URL returned.
fn take_url_tls(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None, None);
    };
    let (mut mode, mut root) = (None, None);
    let mut rest = Vec::new();
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "sslmode" => mode = Some(percent_decode(v)),
            "sslrootcert" => root = Some(percent_decode(v)),
            _ => rest.push(kv),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, mode, root)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    let tls: Tls;
    let mut config = match text {
        Some(t) if t.starts_with("postgres://") || t.starts_with("postgresql://") => {
            let (t, mode, root) = take_url_tls(t);
            tls = Tls::from_params(mode.as_deref(), root.as_deref())?;
            postgres::Config::from_str(&t).map_err(|e| bad_url(&t, e))?
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
            tls = Tls::from_params(
                merged.remove("sslmode").as_deref(),
                merged.remove("sslrootcert").as_deref(),
            )?;
            let s: Vec<String> = merged
                .iter()
                .map(|(k, v)| format!("{k}={}", quote(v)))
                .collect();
            let s = s.join(" ");
            postgres::Config::from_str(&s).map_err(|e| bad_url(&s, e))?
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
    config.ssl_mode(match tls.mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    });
    Ok(Target {
        config,
        display: format!("{user}@{host}:{port}/{db}"),
        tls,
    })
}

fn bad_url(url: &str, source: postgres::Error) -> DbError {
    DbError::Address {
        url: url.to_string(),
        source,
    }
}

fn password_on_command_line() -> DbError {
    DbError::new(
        "不要把密码写在数据库地址里（会留在命令历史和进程列表中）：请写入 ~/.pgpass（Windows：%APPDATA%\\postgresql\\pgpass.conf）或设置 PGPASSWORD。",
        "do not put the password in the database address (it stays in the shell history and the process list): put it in ~/.pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf) or set PGPASSWORD.",
    )
}

/// A PostgreSQL error as a message, with what gridmap was doing.
pub fn pg_error(target: &str, e: postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error() {
        let msg = db.message();
        let code = db.code().code();
        let (zh, en) = match code {
            "42501" => ("权限不足", "permission denied"),
            "28P01" => (
                "登录失败（用户名或密码不对）",
                "login failed (wrong user or password)",
            ),
            "28000" if msg.contains("no encryption") => (
                "服务器只接受加密连接（pg_hba.conf 的 hostssl），请不要用 sslmode=disable",
                "the server takes only encrypted connections (hostssl in pg_hba.conf); do not use sslmode=disable",
            ),
            "28000" => (
                "服务器不允许这个连接（pg_hba.conf 中没有对应此地址、用户和加密方式的规则），这不是密码问题",
                "the server does not allow this connection (pg_hba.conf has no rule for this address, user and encryption); not a password problem",
            ),
            "3D000" => ("数据库不存在", "the database does not exist"),
            "42P01" | "3F000" => (
                "县级数据库尚未初始化（先运行 gridmap db init）",
                "the county database is not initialised (run gridmap db init first)",
            ),
            "23514" | "23502" | "22023" => (
                "县级数据库拒绝了这次写入（不符合其规则）",
                "the county database refused the write (it breaks one of its rules)",
            ),
            "40001" | "40P01" => (
                "与其他用户的操作冲突，请重试",
                "clashed with another user's work; try again",
            ),
            _ => ("数据库报错", "the database reports an error"),
        };
        return DbError::Server {
            target: target.to_string(),
            zh,
            en,
            message: msg.to_string(),
            code: code.to_string(),
            error: Box::new(e),
        };
    }
    let connection =
        |zh: String, en: String, source: postgres::Error| DbError::Connection { zh, en, source };
    if e.is_closed() {
        return connection(
            format!("{target}：与数据库的连接已断开。"),
            format!("{target}: the connection to the database was closed."),
            e,
        );
    }
    // The whole chain, to recognise the failure ("invalid configuration" alone says
    // nothing; its cause says "password missing").
    let mut what = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        what.push_str(&format!(": {c}"));
        cause = c.source();
    }
    if tls_failure(&e) {
        return connection(
            format!(
                "{target}：TLS 加密连接失败（服务器证书未通过验证，不是密码问题）。县里的根证书用 sslrootcert=文件 指定；只加密不验证用 sslmode=require。"
            ),
            format!(
                "{target}: the TLS connection failed (the server's certificate was not accepted; not a password problem). Name the county's root certificate with sslrootcert=FILE; sslmode=require encrypts without checking."
            ),
            e,
        );
    }
    if what.contains("server does not support TLS") {
        return connection(
            format!("{target}：服务器不支持加密连接，而 sslmode 要求加密。"),
            format!("{target}: the server does not support TLS and sslmode requires it."),
            e,
        );
    }
    if what.contains("password missing") {
        return connection(
            format!(
                "{target}：需要密码：写入 ~/.pgpass（Windows：%APPDATA%\\postgresql\\pgpass.conf）、设置 PGPASSWORD，或在程序中输入。"
            ),
            format!(
                "{target}: a password is needed: put it in ~/.pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf), set PGPASSWORD, or type it in the app."
            ),
            e,
        );
    }
    connection(
        format!("无法连接或访问数据库 {target}"),
        format!("cannot reach the database {target}"),
        e,
    )
}

/// Whether the failure in an error's chain was the TLS certificate check.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.get_ref().is_some_and(|i| i.is::<rustls::Error>())
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// The server certificate check of an `sslmode`.
#[derive(Debug)]
struct CountyVerifier {
    /// The chain check against the roots (None: encrypt without checking, as libpq's
    /// `prefer`/`require` without a root file).
    chain: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    /// The roots as given: a self-signed server certificate among them is trusted as
    /// itself (webpki would call it a CA used as an end entity).
    pinned: Vec<rustls::pki_types::CertificateDer<'static>>,
    check_name: bool,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for CountyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::client::danger::ServerCertVerified;
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            if self.check_name {
                let cert = webpki::EndEntityCert::try_from(end_entity)
                    .map_err(|e| rustls::Error::General(e.to_string()))?;
                cert.verify_is_valid_for_subject_name(server_name)
                    .map_err(|_| {
                        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
                    })?;
            }
            return Ok(ServerCertVerified::assertion());
        }
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The system's CA bundles (Debian/UOS/Kylin, Fedora/openEuler), where there are any.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn read_pem(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, DbError> {
    use rustls::pki_types::pem::PemObject;
    let bad = |source| DbError::Certificate {
        path: path.to_path_buf(),
        source,
    };
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .map_err(bad)?
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    if certs.is_empty() {
        return Err(DbError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The rustls client configuration of a target's `sslmode` and roots.
fn tls_config(tls: &Tls) -> Result<rustls::ClientConfig, DbError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verify = match tls.mode {
        SslMode::Disable => false,
        SslMode::Prefer | SslMode::Require => tls.roots.is_some(),
        SslMode::VerifyCa | SslMode::VerifyFull => true,
    };
    let (chain, pinned) = if verify {
        let mut store = rustls::RootCertStore::empty();
        let pinned = match &tls.roots {
            Some(Roots::File(path)) => {
                let certs = read_pem(path)?;
                let (_, ignored) = store.add_parsable_certificates(certs.iter().cloned());
                if store.is_empty() && ignored > 0 {
                    return Err(DbError::UnusableCertificate { path: path.clone() });
                }
                certs
            }
            Some(Roots::System) | None => {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                for b in SYSTEM_BUNDLES.iter().map(Path::new).filter(|p| p.is_file()) {
                    if let Ok(certs) = read_pem(b) {
                        store.add_parsable_certificates(certs);
                    }
                }
                Vec::new()
            }
        };
        let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(store),
            provider.clone(),
        )
        .build()
        .map_err(|e| DbError::TlsSetup(Box::new(e)))?;
        (Some(chain), pinned)
    } else {
        (None, Vec::new())
    };
    let verifier = CountyVerifier {
        chain,
        pinned,
        check_name: tls.mode == SslMode::VerifyFull,
        provider: provider.clone(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::TlsSetup(Box::new(e)))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Connect, with TLS as the target's `sslmode` asks.
pub fn connect(target: &Target) -> Result<postgres::Client, DbError> {
    let tls = tls_config(&target.tls)?;
    target
        .config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map_err(|e| pg_error(&target.display, e))
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
        // libpq's TLS parameters, which the postgres crate refuses, in both spellings.
        let t = resolve(Some(
            "postgres://u@h/county?sslmode=verify-full&sslrootcert=%2Fetc%2Fcounty%20ca.pem&connect_timeout=5",
        ))
        .unwrap();
        assert_eq!(t.tls.mode, SslMode::VerifyFull);
        assert_eq!(
            t.tls.roots,
            Some(Roots::File(PathBuf::from("/etc/county ca.pem")))
        );
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(5))
        );
        let t = resolve(Some("host=h dbname=c sslmode=verify-ca sslrootcert=system")).unwrap();
        assert_eq!(
            (t.tls.mode, t.tls.roots),
            (SslMode::VerifyCa, Some(Roots::System))
        );
        assert!(resolve(Some("host=h sslmode=sometimes")).is_err());
    }
}
