//! The PostgreSQL side of `pglint verify`: where to connect (a URL or libpq `key=value` pairs,
//! over libpq's environment variables), TLS as libpq's `sslmode` means it, and the read-only
//! catalogue queries.
//!
//! The password is only ever handed to the client library: no message, error or output of this
//! module holds it, and `pg_roles.rolpassword` (always `********` anyway) is never selected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroizing;

use super::plaintext::Policy;
use super::tls;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, String> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(
                    "invalid sslmode: use disable, allow, prefer, require, verify-ca or verify-full"
                        .into(),
                );
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where and how to connect, as libpq would from the same URL and environment.
#[derive(Clone)]
pub struct ConnectOptions {
    /// A host name, an IP address, or a Unix socket folder (starting with `/`).
    pub host: String,
    /// `hostaddr`: the address to connect to, `host` then being only the name TLS verifies.
    pub hostaddr: Option<std::net::IpAddr>,
    pub port: u16,
    pub user: String,
    pub password: Option<Zeroizing<String>>,
    pub dbname: String,
    pub sslmode: SslMode,
    /// The CA certificates (PEM) `verify-ca`/`verify-full` trust: `sslrootcert`, else
    /// `~/.postgresql/root.crt` when it exists.
    pub sslrootcert: Option<PathBuf>,
    /// A client certificate and its key (PEM), for certificate authentication.
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// The URL itself carries the password (visible in the process list).
    pub password_in_url: bool,
    /// libpq's `require_auth` (`PGREQUIREAUTH`).
    pub require_auth: super::plaintext::RequireAuth,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("hostaddr", &self.hostaddr)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .finish_non_exhaustive()
    }
}

/// The libpq environment variables pglint reads, and the parameter each sets.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGDATABASE", "dbname"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGPASSFILE", "passfile"),
    ("PGREQUIREAUTH", "require_auth"),
];

/// The parameters a connection string may set.
const PARAMETERS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "passfile",
    "application_name",
    "require_auth",
];

/// Is any libpq variable that says where to connect set? (`verify` then compares with
/// PostgreSQL even without `--database-url`.)
pub fn environment_names_a_server(env: &dyn Fn(&str) -> Option<String>) -> bool {
    ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER"]
        .iter()
        .any(|name| env(name).is_some_and(|v| !v.is_empty()))
}

impl ConnectOptions {
    /// The options of `url` (a `postgresql://` URL or `key=value` pairs; `None`: only the
    /// environment), each missing parameter taken from `env` (libpq's variables) then from
    /// libpq's defaults. Errors never quote the password.
    pub fn resolve(
        url: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConnectOptions, String> {
        let mut params: Vec<(String, Zeroizing<String>)> = match url {
            Some(text) => parse_connection_string(text)?,
            None => Vec::new(),
        };
        for (variable, key) in ENVIRONMENT {
            if params.iter().any(|(k, _)| k == key) {
                continue;
            }
            if let Some(value) = env(variable).filter(|v| !v.is_empty()) {
                params.push((key.to_string(), Zeroizing::new(value)));
            }
        }
        let get = |key: &str| {
            params
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let port = match get("port") {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or("invalid port: not a number from 1 to 65535")?,
            None => 5432,
        };
        let hostaddr = get("hostaddr")
            .map(|a| {
                a.parse::<std::net::IpAddr>()
                    .map_err(|_| "invalid hostaddr: not a numeric IP address".to_string())
            })
            .transpose()?;
        let host = match (get("host"), hostaddr) {
            (Some(host), _) => {
                if host.contains(',') {
                    return Err("several hosts are not supported: name the primary (the `<cluster>-rw` service)".into());
                }
                host.to_string()
            }
            (None, Some(address)) => address.to_string(),
            (None, None) => default_host(port),
        };
        let user = match get("user") {
            Some(user) => user.to_string(),
            None => env("USER")
                .or_else(|| env("LOGNAME"))
                .filter(|u| !u.is_empty())
                .ok_or("no user name: set PGUSER or put the user in the URL")?,
        };
        let dbname = get("dbname").unwrap_or(&user).to_string();
        let sslmode = SslMode::parse(get("sslmode").unwrap_or("prefer"))?;
        let home = env("HOME").map(PathBuf::from);
        let sslrootcert = match get("sslrootcert") {
            Some("system") => {
                return Err("sslrootcert=system is not supported: name the CA file (the `ca.crt` of the `<cluster>-ca` Secret)".into());
            }
            Some(path) => Some(PathBuf::from(path)),
            None => home
                .as_ref()
                .map(|h| h.join(".postgresql/root.crt"))
                .filter(|p| p.is_file()),
        };
        let connect_timeout = match get("connect_timeout") {
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| "invalid connect_timeout: not a number of seconds".to_string())?,
            None => 10,
        };
        let given = |params: &[(String, Zeroizing<String>)]| {
            params
                .iter()
                .rev()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.clone())
        };
        let password_in_url = match url {
            Some(text) => given(&parse_connection_string(text)?).is_some(),
            None => false,
        };
        let password = match given(&params) {
            Some(password) => Some(password),
            None => {
                let passfile = match get("passfile") {
                    Some(path) => Some(PathBuf::from(path)),
                    None => home.as_ref().map(|h| h.join(".pgpass")),
                };
                match passfile {
                    Some(path) => from_passfile(&path, &host, port, &dbname, &user)?,
                    None => None,
                }
            }
        };
        let require_auth = match get("require_auth") {
            Some(text) => super::plaintext::RequireAuth::parse(text)?,
            None => super::plaintext::RequireAuth::default(),
        };
        Ok(ConnectOptions {
            require_auth,
            password_in_url,
            host,
            hostaddr,
            port,
            user,
            password,
            dbname,
            sslmode,
            sslrootcert,
            sslcert: get("sslcert").map(PathBuf::from),
            sslkey: get("sslkey").map(PathBuf::from),
            // libpq: zero, or no value, waits forever; pglint waits at most 10 seconds.
            connect_timeout: Duration::from_secs(if connect_timeout == 0 {
                10
            } else {
                connect_timeout.max(2)
            }),
        })
    }

    /// `host:port` (or the socket folder and port), for messages.
    pub fn describe(&self) -> String {
        let address = match self.hostaddr {
            Some(address) if address.to_string() != self.host => {
                format!("{} ({address})", self.host)
            }
            _ => self.host.clone(),
        };
        format!(
            "{address}:{} as `{}`, database `{}`, sslmode={}",
            self.port,
            self.user,
            self.dbname,
            self.sslmode.as_str()
        )
    }
}

/// The password of the first line of a libpq password file (`hostname:port:database:username:password`,
/// `*` matching anything, `\:` and `\\` escaped) that matches; `None` when the file does not
/// exist. Like libpq, a file others may read is not used (here: an error saying so).
fn from_passfile(
    path: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Result<Option<Zeroizing<String>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => Zeroizing::new(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("passfile {}: {e}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("passfile {}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "passfile {} has group or world access: `chmod 0600` it (libpq ignores such a file)",
                path.display()
            ));
        }
    }
    // libpq matches a socket folder, or the default socket, as `localhost`.
    let host = if host.starts_with('/') {
        "localhost"
    } else {
        host
    };
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut fields: Vec<Zeroizing<String>> = vec![Zeroizing::new(String::new())];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        fields.last_mut().unwrap().push(next);
                    }
                }
                ':' if fields.len() < 5 => fields.push(Zeroizing::new(String::new())),
                c => fields.last_mut().unwrap().push(c),
            }
        }
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field.as_str() == "*" || field.as_str() == want)
        {
            return Ok(Some(fields.pop().unwrap()));
        }
    }
    Ok(None)
}

/// libpq's default: the local socket folder when a server listens there, else `localhost`.
fn default_host(port: u16) -> String {
    ["/var/run/postgresql", "/run/postgresql", "/tmp"]
        .into_iter()
        .find(|dir| Path::new(dir).join(format!(".s.PGSQL.{port}")).exists())
        .unwrap_or("localhost")
        .to_string()
}

/// The parameters of a connection string: a `postgres://`/`postgresql://` URL or libpq's
/// `key=value` pairs (values quoted with `'`, `\` escaping).
pub fn parse_connection_string(text: &str) -> Result<Vec<(String, Zeroizing<String>)>, String> {
    let text = text.trim();
    let params = if let Some(rest) = text
        .strip_prefix("postgresql://")
        .or_else(|| text.strip_prefix("postgres://"))
    {
        parse_url(rest)?
    } else if text.contains('=') {
        parse_key_values(text)?
    } else {
        return Err(
            "the database URL is neither a postgresql:// URL nor key=value pairs".to_string(),
        );
    };
    // A malformed string may put part of the password where a key or a value is expected:
    // errors name no text of it, only a parameter pglint knows.
    for (key, _) in &params {
        if !PARAMETERS.contains(&key.as_str()) {
            let hint = crate::model::closest(key, PARAMETERS.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(format!(
                "unknown connection parameter: {hint}pglint reads {}",
                PARAMETERS.join(", ")
            ));
        }
    }
    Ok(params)
}

fn parse_url(rest: &str) -> Result<Vec<(String, Zeroizing<String>)>, String> {
    let mut params = Vec::new();
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (before_query, None),
    };
    // An `@` past the host: a password with an unescaped `/` or `?` was cut there.
    if path.is_some_and(|p| p.contains('@')) || query.is_some_and(|q| q.contains('@')) {
        return Err("the URL has an `@` after its host: percent-encode `/`, `?`, `@` and `:` in the user name and password (%2F, %3F, %40, %3A)".into());
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            params.push(("user".into(), decode(user, "the user name")?));
        }
        if let Some(password) = password {
            params.push(("password".into(), decode(password, "the password")?));
        }
    }
    if !hostport.is_empty() {
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("the URL's IPv6 address lacks its `]`")?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if !host.is_empty() {
            params.push(("host".into(), decode(host, "the host")?));
        }
        if let Some(port) = port.filter(|p| !p.is_empty()) {
            params.push(("port".into(), decode(port, "the port")?));
        }
    }
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        params.push(("dbname".into(), decode(path, "the database name")?));
    }
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or("a URL parameter lacks its `=value`")?;
        let key = decode(key, "a parameter name")?;
        let value = decode(value, "a parameter value")?;
        params.push((key.to_string(), value));
    }
    Ok(params)
}

/// Percent-decoding; the error names `what`, never the text.
fn decode(text: &str, what: &str) -> Result<Zeroizing<String>, String> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("the URL's {what} has an invalid %-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| format!("the URL's {what} is not UTF-8"))
}

fn parse_key_values(text: &str) -> Result<Vec<(String, Zeroizing<String>)>, String> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err("a connection parameter lacks its `=value`".into());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = Zeroizing::new(String::new());
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().unwrap_or('\\')),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err("a quoted connection parameter lacks its closing quote".into());
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next().unwrap_or('\\'));
                } else {
                    value.push(c);
                }
            }
        }
        params.push((key, value));
    }
    Ok(params)
}

/// A row of `pg_roles`, with the roles it is a member of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRole {
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub createrole: bool,
    pub createdb: bool,
    pub login: bool,
    pub replication: bool,
    pub bypassrls: bool,
    /// -1: no limit.
    pub connection_limit: i64,
    /// Seconds since the Unix epoch; `None`: no expiry (NULL or `infinity`).
    pub valid_until: Option<i64>,
    /// Sorted, distinct.
    pub member_of: Vec<String>,
}

/// A row of `pg_database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDatabase {
    pub name: String,
    pub owner: String,
}

/// What the catalogues hold.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub server_version: String,
    pub roles: Vec<LiveRole>,
    pub databases: Vec<LiveDatabase>,
}

impl Catalogue {
    pub fn role(&self, name: &str) -> Option<&LiveRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn database(&self, name: &str) -> Option<&LiveDatabase> {
        self.databases.iter().find(|d| d.name == name)
    }
}

const ROLES: &str = "\
SELECT r.rolname::text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit::int8,
       CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
            WHEN r.rolvaliduntil = '-infinity' THEN (-9223372036854775807)::int8
            ELSE floor(extract(epoch FROM r.rolvaliduntil))::int8 END,
       ARRAY(SELECT DISTINCT g.rolname::text FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid ORDER BY 1)
FROM pg_catalog.pg_roles r ORDER BY 1";

const DATABASES: &str = "\
SELECT d.datname::text, pg_catalog.pg_get_userbyid(d.datdba)::text
FROM pg_catalog.pg_database d ORDER BY 1";

/// How long a catalogue query may take: the server's own `statement_timeout` (set to this in
/// the transaction) and a little more for the answer to arrive.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects and reads the catalogues in a read-only transaction. Every network step (TCP
/// connection, TLS, authentication, each query) has a deadline: `connect_timeout` for the
/// connection, [`QUERY_TIMEOUT`] past it for each query. Over TCP without TLS, a request for
/// the password in clear or as MD5 is refused before the password is sent
/// ([`super::plaintext`]), unless `allow_password_without_tls`.
pub fn read_catalogue(
    options: &ConnectOptions,
    allow_password_without_tls: bool,
) -> Result<Catalogue, String> {
    let failed = |reason: String| {
        format!(
            "cannot read PostgreSQL at {}: {}",
            options.describe(),
            one_line(&reason)
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(e.to_string()))?;
    // An explicit require_auth says what may be answered; without it, pglint's default
    // refuses a password request in clear, unless the user opted out (libpq's default).
    let policy = Policy {
        require_auth: options.require_auth.clone(),
        refuse_in_clear: !allow_password_without_tls && !options.require_auth.is_set(),
    };
    let tls = tls::client_config(options).map_err(failed)?;
    let attempt = |tls| runtime.block_on(read(options, &policy, tls));
    match (options.sslmode, tls) {
        // libpq's `allow`: plain TCP first, TLS when that attempt fails (a server that wants
        // TLS refuses it; one that asks for a password in clear is refused by the policy).
        (SslMode::Allow, Some(tls)) => attempt(None).or_else(|plain| {
            attempt(Some(tls)).map_err(|e| format!("{e} (plain TCP first: {})", one_line(&plain)))
        }),
        (_, tls) => attempt(tls),
    }
    .map_err(failed)
}

/// `step` within `limit`, else an error that says which step did not answer.
async fn within<T>(
    limit: Duration,
    what: &str,
    step: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(limit, step).await.unwrap_or_else(|_| {
        Err(format!(
            "no answer within {} s while {what} (connect_timeout, PGCONNECT_TIMEOUT)",
            limit.as_secs()
        ))
    })
}

async fn read(
    options: &ConnectOptions,
    policy: &Policy,
    tls: Option<(tokio_postgres::config::SslMode, rustls::ClientConfig)>,
) -> Result<Catalogue, String> {
    let mut config = tokio_postgres::Config::new();
    config
        .user(&options.user)
        .dbname(&options.dbname)
        .application_name("pglint verify");
    if let Some(password) = &options.password {
        config.password(password.as_bytes());
    }
    config.ssl_mode(match &tls {
        None => tokio_postgres::config::SslMode::Disable,
        Some((mode, _)) => *mode,
    });
    let limit = options.connect_timeout;
    let pg = |e: tokio_postgres::Error| describe_error(&e);
    #[cfg(unix)]
    if options.host.starts_with('/') {
        // A local socket: no network to read the password on.
        let path = Path::new(&options.host).join(format!(".s.PGSQL.{}", options.port));
        let stream = within(limit, "connecting", async {
            tokio::net::UnixStream::connect(&path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .await?;
        // No network to read the password on: only an explicit require_auth applies.
        let local = Policy {
            refuse_in_clear: false,
            ..policy.clone()
        };
        let stream = super::plaintext::Watched::new(stream, local);
        let client = without_tls(&config, stream, limit).await?;
        return query(&client, limit).await;
    }
    let stream = within(limit, "connecting", async {
        let stream = match options.hostaddr {
            Some(address) => tokio::net::TcpStream::connect((address, options.port)).await,
            None => tokio::net::TcpStream::connect((options.host.as_str(), options.port)).await,
        };
        stream.map_err(|e| e.to_string())
    })
    .await?;
    let _ = stream.set_nodelay(true);
    let stream = super::plaintext::Watched::new(stream, policy.clone());
    let client = match tls {
        None => without_tls(&config, stream, limit).await?,
        Some((_, tls)) => {
            use tokio_postgres::tls::MakeTlsConnect;
            let mut make = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let inner = MakeTlsConnect::<super::plaintext::Watched<tokio::net::TcpStream>>::make_tls_connect(
                &mut make,
                &options.host,
            )
            .map_err(|e| e.to_string())?;
            // Inside TLS, require_auth still holds (a password in clear is safe there).
            let connect = super::plaintext::WatchingTls {
                inner,
                policy: Policy {
                    refuse_in_clear: false,
                    ..policy.clone()
                },
            };
            let (client, connection) = within(limit, "negotiating TLS and authenticating", async {
                config.connect_raw(stream, connect).await.map_err(pg)
            })
            .await?;
            tokio::spawn(connection);
            client
        }
    };
    query(&client, limit).await
}

/// The session over `stream` as it is (no TLS), its connection driven in the background.
async fn without_tls<S>(
    config: &tokio_postgres::Config,
    stream: S,
    limit: Duration,
) -> Result<tokio_postgres::Client, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = within(limit, "starting the session", async {
        config
            .connect_raw(stream, tokio_postgres::NoTls)
            .await
            .map_err(|e| describe_error(&e))
    })
    .await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The catalogue queries, in a read-only transaction, each under its deadline.
async fn query(client: &tokio_postgres::Client, limit: Duration) -> Result<Catalogue, String> {
    let limit = QUERY_TIMEOUT + limit;
    let pg = |e: tokio_postgres::Error| describe_error(&e);
    let run = |sql: &'static str| async move {
        within(limit, "reading the catalogues", async {
            client.query(sql, &[]).await.map_err(pg)
        })
        .await
    };
    within(limit, "starting a transaction", async {
        client
            .batch_execute("BEGIN READ ONLY; SET LOCAL statement_timeout = '30s'")
            .await
            .map_err(pg)
    })
    .await?;
    let server_version: String = run("SHOW server_version")
        .await?
        .first()
        .ok_or("SHOW server_version returned no row")?
        .get(0);
    let roles = run(ROLES)
        .await?
        .iter()
        .map(|row| LiveRole {
            name: row.get(0),
            superuser: row.get(1),
            inherit: row.get(2),
            createrole: row.get(3),
            createdb: row.get(4),
            login: row.get(5),
            replication: row.get(6),
            bypassrls: row.get(7),
            connection_limit: row.get(8),
            valid_until: row.get(9),
            member_of: row.get(10),
        })
        .collect();
    let databases = run(DATABASES)
        .await?
        .iter()
        .map(|row| LiveDatabase {
            name: row.get(0),
            owner: row.get(1),
        })
        .collect();
    within(limit, "ending the transaction", async {
        client.batch_execute("ROLLBACK").await.map_err(pg)
    })
    .await?;
    Ok(Catalogue {
        server_version,
        roles,
        databases,
    })
}

/// What went wrong: the server's own message for a database error (`FATAL: password
/// authentication failed for user "…"`), else the error and its causes.
fn describe_error(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(&format!(": {cause_text}"));
        }
        source = cause.source();
    }
    text
}

/// An error's text on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn urls_with_escapes_ipv6_and_parameters() {
        let options = ConnectOptions::resolve(
            Some("postgresql://app%40x:p%40ss%3Aw@[::1]:6543/my%20db?sslmode=verify-full&sslrootcert=/ca.crt"),
            &env(&[("PGUSER", "ignored"), ("PGHOST", "ignored")]),
        )
        .unwrap();
        assert_eq!(options.user, "app@x");
        assert_eq!(
            options.password.as_deref().map(String::as_str),
            Some("p@ss:w")
        );
        assert_eq!(options.host, "::1");
        assert_eq!(options.port, 6543);
        assert_eq!(options.dbname, "my db");
        assert_eq!(options.sslmode, SslMode::VerifyFull);
        assert_eq!(options.sslrootcert.as_deref(), Some(Path::new("/ca.crt")));
        assert!(!format!("{options:?}").contains("p@ss"));
        assert!(!options.describe().contains("p@ss"));
    }

    #[test]
    fn the_password_file_as_libpq_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(
            &path,
            "# comment\nother:5432:*:u:wrong\n*:5432:app:u:pa\\:ss\\\\word\n*:*:*:*:fallback\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let passfile = path.to_string_lossy().into_owned();
        let resolve = |url: &str| {
            ConnectOptions::resolve(Some(url), &env(&[("PGPASSFILE", passfile.as_str())]))
        };
        let options = resolve("host=db.example user=u dbname=app").unwrap();
        assert_eq!(
            options.password.as_deref().map(String::as_str),
            Some("pa:ss\\word")
        );
        assert!(!options.password_in_url);
        let options = resolve("host=db.example user=v dbname=x").unwrap();
        assert_eq!(
            options.password.as_deref().map(String::as_str),
            Some("fallback")
        );
        // A password given outright wins, and one in the URL is noted.
        let options = resolve("postgresql://u:given@db.example/app").unwrap();
        assert_eq!(
            options.password.as_deref().map(String::as_str),
            Some("given")
        );
        assert!(options.password_in_url);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = resolve("host=db.example user=u dbname=app").unwrap_err();
            assert!(error.contains("chmod 0600"), "{error}");
        }
    }

    #[test]
    fn key_values_and_the_environment() {
        let options = ConnectOptions::resolve(
            Some("host=db.example port = 5433 password='it\\'s quoted' user=me"),
            &env(&[
                ("PGDATABASE", "cat"),
                ("PGPASSWORD", "other"),
                ("PGSSLMODE", "require"),
            ]),
        )
        .unwrap();
        assert_eq!(options.host, "db.example");
        assert_eq!(options.port, 5433);
        assert_eq!(
            options.password.as_deref().map(String::as_str),
            Some("it's quoted")
        );
        assert_eq!(options.dbname, "cat");
        assert_eq!(options.sslmode, SslMode::Require);
        let from_env = ConnectOptions::resolve(
            None,
            &env(&[
                ("PGHOST", "10.0.0.1"),
                ("PGUSER", "u"),
                ("PGPASSWORD", "secret"),
                ("PGSSLMODE", "verify-ca"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                from_env.host.as_str(),
                from_env.port,
                from_env.dbname.as_str()
            ),
            ("10.0.0.1", 5432, "u")
        );
        assert_eq!(from_env.sslmode, SslMode::VerifyCa);
    }

    #[test]
    fn mistakes_never_quote_the_password() {
        for url in [
            "postgresql://u:s3cr%zzet@h/db",
            "postgresql://u:s3cret@h/db?sslmode=bogus",
            "postgresql://u:s3cret@h:notaport/db",
            "host=h password='s3cret",
            "host=h password=s3cret unknown=1",
            "host=h password=s3 cret=1",
            "postgresql://u:s3/cret@h/db",
            "postgresql://u:s3cret@h/db?sslmode",
            "postgresql://u:s3?cret@h/db",
            "s3cret",
        ] {
            let error = ConnectOptions::resolve(Some(url), &env(&[])).unwrap_err();
            assert!(!error.contains("s3cr"), "{error}");
        }
    }

    #[test]
    fn hostaddr_keeps_the_name_tls_verifies() {
        let options = ConnectOptions::resolve(
            Some("host=pg-rw.postgres.svc hostaddr=127.0.0.1 user=u"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(options.host, "pg-rw.postgres.svc");
        assert_eq!(options.hostaddr, Some("127.0.0.1".parse().unwrap()));
        assert!(
            options
                .describe()
                .starts_with("pg-rw.postgres.svc (127.0.0.1):5432")
        );
        assert!(ConnectOptions::resolve(Some("host=a,b user=u"), &env(&[])).is_err());
    }
}
