//! `pglint verify` against a real PostgreSQL: a throwaway server (`initdb` in a temporary
//! folder, listening on 127.0.0.1 at a free port), in the state of `fixtures/conformant`, then
//! with deliberate drift; a second run of the server with `ssl=on` and a test certificate
//! made here with `openssl`. The server is stopped whatever happens (a guard's `Drop` runs
//! `pg_ctl stop -m immediate`). The Kubernetes side reads JSON fixtures in the shapes of the
//! CRDs (`fixtures/verify/`). A canary password (in `PGPASSWORD`, in a URL, in a Secret's
//! `data`) never appears in any output.
//!
//! Skipped, with a message, only when no PostgreSQL server binaries are found or they cannot
//! run as a non-root user; `PGLINT_TEST_POSTGRES=required` (set by `.ci/run`) makes that a
//! failure instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CANARY: &str = "canary-pw-7Hq2-never-shown";

#[path = "common/verify_env.rs"]
mod verify_env;
use verify_env::{conformant, pglint, text};

fn assert_no_canary(output: &Output) {
    let all = text(output);
    assert!(!all.contains(CANARY), "the password leaked:\n{all}");
    assert!(!all.contains("Y2FuYXJ5"), "a Secret value leaked:\n{all}");
}

/// `(rule, file, line, message)` of each diagnostic of a JSON report.
fn findings(output: &Output) -> Vec<(String, String, u64, String)> {
    let report: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(output)));
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The 1-based line of the `nth` line containing `needle` in a file of the conformant fixture.
fn line_of(file: &str, needle: &str, nth: usize) -> u64 {
    let text = std::fs::read_to_string(conformant().join(file)).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle} in {file}"))
}

const CLUSTER_FILE: &str = "infra/databases/postgres/postgres-cluster.yaml";

/// The line of a field of the managed role `role` in the cluster file.
fn role_line(role: &str, field: &str) -> u64 {
    let start = line_of(CLUSTER_FILE, &format!("- name: {role}"), 0);
    if field == "name" {
        return start;
    }
    let text = std::fs::read_to_string(conformant().join(CLUSTER_FILE)).unwrap();
    text.lines()
        .enumerate()
        .skip(start as usize)
        .find(|(_, l)| l.trim_start().starts_with(&format!("{field}:")))
        .map(|(i, _)| i as u64 + 1)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// A throwaway PostgreSQL.

/// Where the server binaries are: `PG_BINDIR`, the newest `/usr/lib/postgresql/*/bin`, else
/// the folder of `initdb` on `PATH`.
fn server_binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `(uid, gid)` of the `postgres` user.
fn postgres_user() -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let output = Command::new("id").args([flag, "postgres"]).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().parse().ok())?
    };
    Some((id("-u")?, id("-g")?))
}

/// A free TCP port on 127.0.0.1 (another process may take it before the server does; the
/// start then fails loudly).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    bin: PathBuf,
    /// Run the server's tools as `postgres` (the tests run as root).
    owner: Option<(u32, u32)>,
    data: PathBuf,
    port: u16,
    running: bool,
    // Last: removed after `drop` stopped the server.
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(&self.data)
                .args(["stop", "-m", "immediate", "-w"])
                .output();
        }
    }
}

impl Server {
    /// Initialises a cluster whose superuser `postgres` has the canary password; `Err` is
    /// why the tests cannot run here.
    fn init() -> Result<Server, String> {
        let bin = server_binaries().ok_or("no PostgreSQL server binaries (initdb) found")?;
        let owner =
            if is_root() {
                Some(postgres_user().ok_or(
                    "running as root and there is no `postgres` user to run PostgreSQL as",
                )?)
            } else {
                None
            };
        let dir = tempfile::Builder::new()
            .prefix("pglint-verify-")
            .tempdir()
            .unwrap();
        let server = Server {
            bin,
            owner,
            data: dir.path().join("data"),
            port: free_port(),
            running: false,
            dir,
        };
        let password_file = server.dir.path().join("password");
        std::fs::write(&password_file, format!("{CANARY}\n")).unwrap();
        server.give(server.dir.path());
        server.give(&password_file);
        let output = server
            .tool("initdb")
            .arg("-D")
            .arg(&server.data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--locale=C", "-N"])
            .arg(format!("--pwfile={}", password_file.display()))
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !output.status.success() {
            return Err(format!("initdb failed: {}", text(&output)));
        }
        Ok(server)
    }

    /// A command for one of the server's tools, as the user that owns the cluster.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        match self.owner {
            Some(_) => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    /// Makes `path` the server user's.
    fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
    }

    /// Starts (or restarts) the server with extra `-c` settings.
    fn start(&mut self, settings: &[String]) -> Result<(), String> {
        if self.running {
            self.stop();
        }
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        for setting in settings {
            options.push_str(&format!(" -c {setting}"));
        }
        let output = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
        // Stopped by the guard even when the start reported a failure.
        self.running = true;
        if !output.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            return Err(format!("pg_ctl start failed: {}\n{log}", text(&output)));
        }
        Ok(())
    }

    fn stop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "fast", "-w"])
            .output();
        self.running = false;
    }

    /// Runs SQL statements (one per line) as the superuser.
    fn sql(&self, statements: &str) {
        let mut client = postgres::Client::connect(
            &format!(
                "host=127.0.0.1 port={} user=postgres password={CANARY} dbname=postgres sslmode=disable",
                self.port
            ),
            postgres::NoTls,
        )
        .expect("the superuser connects");
        for statement in statements.lines().map(str::trim).filter(|s| !s.is_empty()) {
            client
                .batch_execute(statement)
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }

    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The server, or `None` (after a message) when it cannot run here.
fn server() -> Option<Server> {
    let started = Server::init().and_then(|mut server| server.start(&[]).map(|()| server));
    match started {
        Ok(server) => Some(server),
        Err(reason) => {
            if std::env::var("PGLINT_TEST_POSTGRES").is_ok_and(|v| v == "required") {
                panic!("PostgreSQL is required (PGLINT_TEST_POSTGRES=required): {reason}");
            }
            eprintln!("skipped: {reason}");
            None
        }
    }
}

/// The live state `fixtures/conformant` declares (with the bootstrap owner `app`).
const CONFORMANT_STATE: &str = "
CREATE ROLE app LOGIN
CREATE DATABASE app OWNER app
CREATE ROLE gitea_user LOGIN
CREATE ROLE nextcloud_user LOGIN
CREATE ROLE vaultwarden_user LOGIN CONNECTION LIMIT 50
CREATE ROLE home_assistant_user LOGIN
CREATE DATABASE gitea OWNER gitea_user
CREATE DATABASE nextcloud OWNER nextcloud_user
CREATE DATABASE vaultwarden OWNER vaultwarden_user
CREATE DATABASE home_assistant OWNER home_assistant_user
";

/// Drift: a missing role (its database left to `postgres`), a wrong owner, a NOLOGIN owner,
/// an extra superuser flag, a missing database, a database and a role Git does not know.
const DRIFT: &str = "
ALTER DATABASE home_assistant OWNER TO postgres
DROP ROLE home_assistant_user
ALTER DATABASE nextcloud OWNER TO gitea_user
ALTER ROLE gitea_user NOLOGIN
ALTER ROLE vaultwarden_user SUPERUSER
DROP DATABASE vaultwarden
CREATE DATABASE scratch
CREATE ROLE legacy_app LOGIN
";

fn verify(args: &[&str]) -> Output {
    let output = pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .args(args)
        .output()
        .unwrap();
    assert_no_canary(&output);
    output
}

fn verify_with_password(args: &[&str]) -> Output {
    let output = pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .args(args)
        .env("PGPASSWORD", CANARY)
        .output()
        .unwrap();
    assert_no_canary(&output);
    output
}

#[test]
fn verify_against_a_real_postgresql() {
    let Some(mut server) = server() else { return };
    server.sql(CONFORMANT_STATE);
    let url = server.url();

    // The clean case: the state Git declares; built-in and bootstrap roles are no drift.
    let clean = verify_with_password(&["--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    let stderr = String::from_utf8_lossy(&clean.stderr);
    assert!(
        stderr.contains("verified cluster `postgres/postgres-shared` against PostgreSQL"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&clean.stdout).contains("0 errors, 0 warnings"));
    // The libpq variables alone say where to connect.
    let from_env = pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", "postgres")
        .env("PGDATABASE", "postgres")
        .env("PGPASSWORD", CANARY)
        .env("PGSSLMODE", "disable")
        .output()
        .unwrap();
    assert_no_canary(&from_env);
    assert_eq!(from_env.status.code(), Some(0), "{}", text(&from_env));

    server.sql(DRIFT);
    let drift = verify_with_password(&["--database-url", &url, "--format", "json"]);
    assert_eq!(drift.status.code(), Some(1), "{}", text(&drift));
    let found = findings(&drift);
    let db = |app: &str| format!("infra/databases/postgres/{app}-db.yaml");
    let roles_key = line_of(CLUSTER_FILE, "  roles:", 0);
    let expected: Vec<(&str, String, u64, &str)> = vec![
        (
            "live-database-owner",
            db("home-assistant"),
            line_of(&db("home-assistant"), "owner:", 0),
            "database `home_assistant` is owned by `postgres` in PostgreSQL, not by `home_assistant_user`",
        ),
        (
            "live-database-owner",
            db("nextcloud"),
            line_of(&db("nextcloud"), "owner:", 0),
            "database `nextcloud` is owned by `gitea_user` in PostgreSQL, not by `nextcloud_user`",
        ),
        (
            "live-drift",
            CLUSTER_FILE.to_string(),
            roles_key,
            "database `scratch` (owner `postgres`) exists in PostgreSQL, but no Database of cluster `postgres-shared` declares it",
        ),
        (
            "live-drift",
            CLUSTER_FILE.to_string(),
            roles_key,
            "role `legacy_app` (LOGIN) exists in PostgreSQL, but cluster `postgres-shared` does not declare it",
        ),
        (
            "live-role-attributes",
            CLUSTER_FILE.to_string(),
            role_line("gitea_user", "login"),
            "role `gitea_user` exists but cannot log in (NOLOGIN in PostgreSQL), while the repository declares `login: true`",
        ),
        (
            "live-role-attributes",
            CLUSTER_FILE.to_string(),
            role_line("vaultwarden_user", "superuser"),
            "role `vaultwarden_user` is SUPERUSER in PostgreSQL, while the repository declares `superuser: false`",
        ),
        (
            "live-role-missing",
            CLUSTER_FILE.to_string(),
            role_line("home_assistant_user", "name"),
            "role `home_assistant_user` does not exist in PostgreSQL",
        ),
        (
            "live-database-missing",
            db("vaultwarden"),
            line_of(&db("vaultwarden"), "name: vaultwarden", 1),
            "database `vaultwarden` does not exist in PostgreSQL",
        ),
    ];
    let mut expected: Vec<(String, String, u64, String)> = expected
        .into_iter()
        .map(|(r, f, l, m)| (r.to_string(), f, l, m.to_string()))
        .collect();
    let mut sorted = found.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    // Each finding is located in the Git file and names the live value: the human report
    // shows the snippet; the severity of drift is a warning.
    let human = verify_with_password(&["--database-url", &url]);
    let human_text = String::from_utf8_lossy(&human.stdout);
    assert!(human_text.contains("6 errors, 2 warnings"), "{human_text}");
    assert!(human_text.contains("live: NOLOGIN"), "{human_text}");
    // `--cluster` names the one cluster, by name or namespace/name; others are exit 2.
    let named = verify_with_password(&[
        "--database-url",
        &url,
        "--cluster",
        "postgres/postgres-shared",
        "-q",
    ]);
    assert_eq!(named.status.code(), Some(1));
    let unknown = verify_with_password(&["--database-url", &url, "--cluster", "other"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown).contains(
            "no Cluster `other` in the repository; its clusters: postgres/postgres-shared"
        )
    );
    // SARIF describes the live checks.
    let sarif = verify_with_password(&["--database-url", &url, "--format", "sarif"]);
    let log: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), pglint::rules::live::all().count());
    assert_eq!(
        log["runs"][0]["results"].as_array().unwrap().len(),
        found.len()
    );

    // Connection failures: exit 2, the reason, never the password.
    let wrong = pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .args(["--database-url", &url])
        .env("PGPASSWORD", "not-the-password")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    let reason = text(&wrong);
    assert!(
        reason.contains("password authentication failed"),
        "{reason}"
    );
    assert!(!reason.contains("not-the-password"), "{reason}");
    let refused = verify(&[
        "--database-url",
        &format!(
            "postgresql://postgres:{CANARY}@127.0.0.1:{}/postgres?connect_timeout=3",
            free_port()
        ),
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("cannot read PostgreSQL at 127.0.0.1:"),
        "{}",
        text(&refused)
    );
    // The first run has no TLS: `sslmode=require` cannot be met.
    let no_tls = verify_with_password(&["--database-url", &format!("{url}?sslmode=require")]);
    assert_eq!(no_tls.status.code(), Some(2), "{}", text(&no_tls));

    // A second run with TLS, the certificate from a test CA made here.
    let certificates = make_certificates(&server);
    server
        .start(&[
            "ssl=on".to_string(),
            format!("ssl_cert_file={}", certificates.server_cert.display()),
            format!("ssl_key_file={}", certificates.server_key.display()),
        ])
        .expect("the server restarts with ssl=on");
    let tls_url = |host: &str, extra: &str| {
        format!(
            "postgresql://postgres@{host}:{}/postgres?sslrootcert={}{extra}",
            server.port,
            certificates.ca.display()
        )
    };
    let full = verify_with_password(&[
        "--database-url",
        &tls_url("localhost", "&sslmode=verify-full"),
        "-q",
        "--format",
        "json",
    ]);
    assert_eq!(full.status.code(), Some(1), "{}", text(&full));
    assert_eq!(findings(&full), found, "the same findings over TLS");
    // require_auth holds inside TLS too: the server's SCRAM is allowed, or refused.
    let scram = verify_with_password(&[
        "--database-url",
        &tls_url(
            "localhost",
            "&sslmode=verify-full&require_auth=scram-sha-256",
        ),
        "-q",
    ]);
    assert_eq!(scram.status.code(), Some(1), "{}", text(&scram));
    let md5_only = verify_with_password(&[
        "--database-url",
        &tls_url("localhost", "&sslmode=verify-full&require_auth=md5"),
        "-q",
    ]);
    assert_eq!(md5_only.status.code(), Some(2), "{}", text(&md5_only));
    assert!(
        text(&md5_only).contains(
            "asks for scram-sha-256 authentication, which require_auth=md5 does not allow"
        ),
        "{}",
        text(&md5_only)
    );
    // `verify-full` checks the name `host` gives, even when `hostaddr` says where to connect.
    let wrong_name = format!(
        "host=postgres-shared-rw.postgres.svc hostaddr=127.0.0.1 port={} user=postgres dbname=postgres sslmode=verify-full sslrootcert={}",
        server.port,
        certificates.ca.display()
    );
    let mismatch = verify_with_password(&["--database-url", &wrong_name]);
    assert_eq!(mismatch.status.code(), Some(2), "{}", text(&mismatch));
    assert!(
        text(&mismatch).to_lowercase().contains("certificate"),
        "{}",
        text(&mismatch)
    );
    // `verify-ca` checks the chain only.
    let ca_only = verify_with_password(&[
        "--database-url",
        &wrong_name.replace("verify-full", "verify-ca"),
        "-q",
    ]);
    assert_eq!(ca_only.status.code(), Some(1), "{}", text(&ca_only));
    // Another CA: refused, with `require` too once a root certificate is named (as libpq).
    let other = tls_url("localhost", "&sslmode=verify-full").replace(
        &certificates.ca.display().to_string(),
        &certificates.other_ca.display().to_string(),
    );
    let untrusted = verify_with_password(&["--database-url", &other]);
    assert_eq!(untrusted.status.code(), Some(2), "{}", text(&untrusted));
    let untrusted_require =
        verify_with_password(&["--database-url", &other.replace("verify-full", "require")]);
    assert_eq!(
        untrusted_require.status.code(),
        Some(2),
        "{}",
        text(&untrusted_require)
    );
    // `require` without a root certificate encrypts without checking; `verify-full` without one
    // is refused before connecting.
    let require =
        verify_with_password(&["--database-url", &format!("{url}?sslmode=require"), "-q"]);
    assert_eq!(require.status.code(), Some(1), "{}", text(&require));
    let no_root = verify_with_password(&["--database-url", &format!("{url}?sslmode=verify-full")]);
    assert_eq!(no_root.status.code(), Some(2));
    assert!(text(&no_root).contains("sslrootcert"), "{}", text(&no_root));
    drop(server);
}

struct Certificates {
    ca: PathBuf,
    other_ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

/// A test CA, a server certificate it signs for `localhost` and 127.0.0.1, and an unrelated
/// CA, made with `openssl` in the server's folder (test keys, thrown away with it).
fn make_certificates(server: &Server) -> Certificates {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(server.path(""))
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            text(&output)
        );
    };
    for ca in ["ca", "other-ca"] {
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.crt"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=pglint test {ca}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        server.path("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    let key = server.path("server.key");
    server.give(&key);
    server.give(&server.path("server.crt"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    Certificates {
        ca: server.path("ca.crt"),
        other_ca: server.path("other-ca.crt"),
        server_cert: server.path("server.crt"),
        server_key: key,
    }
}

// ---------------------------------------------------------------------------------------------
// The Kubernetes side: no cluster needed.

fn kube(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/verify")
        .join(name)
}

#[test]
fn synced_kube_objects_are_clean() {
    let output = verify(&["--kube-objects", kube("synced.json").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("against 20 Kubernetes objects"),
        "{}",
        text(&output)
    );
}

#[test]
fn broken_kube_objects_are_findings_at_the_git_nodes() {
    let path = kube("broken.json");
    let output = verify(&["--kube-objects", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let sealed = |app: &str| format!("infra/databases/postgres/{app}-secrets-sealed.yaml");
    let db = |app: &str| format!("infra/databases/postgres/{app}-db.yaml");
    let mut found = findings(&output);
    found.sort();
    let mut expected: Vec<(String, String, u64, String)> = [
        (
            "live-not-reconciled",
            db("gitea"),
            line_of(&db("gitea"), "name: gitea-db", 0),
            "Database `postgres/gitea-db` is not applied: while creating database \"gitea\": ERROR: role \"gitea_user\" does not exist (SQLSTATE 42704)",
        ),
        (
            "live-not-synced",
            db("vaultwarden"),
            line_of(&db("vaultwarden"), "name: vaultwarden-db", 0),
            "Database `postgres/vaultwarden-db` is not among the Kubernetes objects given",
        ),
        (
            "live-not-reconciled",
            CLUSTER_FILE.to_string(),
            role_line("gitea_user", "name"),
            "CNPG cannot reconcile role `gitea_user`: could not perform CREATE on role gitea_user: password Secret gitea-db-creds not found",
        ),
        (
            "live-sealed-secret-failed",
            sealed("nextcloud"),
            line_of(&sealed("nextcloud"), "name: nextcloud-db-creds", 0),
            "the sealed-secrets controller cannot unseal SealedSecret `postgres/nextcloud-db-creds`: no key could decrypt secret (password, username)",
        ),
        (
            "live-secret-missing",
            sealed("gitea"),
            line_of(&sealed("gitea"), "name: gitea-db-creds", 0),
            "Secret `postgres/gitea-db-creds`, the password of role `gitea_user`, does not exist in the cluster (SealedSecret `gitea-db-creds` in the repository)",
        ),
        (
            "live-secret-missing",
            sealed("vaultwarden"),
            line_of(&sealed("vaultwarden"), "name: vaultwarden-db-creds", 0),
            "Secret `postgres/vaultwarden-db-creds` has no `password` key in the cluster (it has `username`)",
        ),
        (
            "live-secret-not-reflected",
            sealed("home-assistant"),
            line_of(&sealed("home-assistant"), "reflection-allowed-namespaces", 0),
            "`home-assistant/home-assistant-db-creds` exists but is not Reflector's copy of `postgres/home-assistant-db-creds`, and Reflector does not overwrite it",
        ),
        (
            "live-secret-not-reflected",
            sealed("vaultwarden"),
            line_of(&sealed("vaultwarden"), "reflection-allowed-namespaces", 0),
            "Secret `postgres/vaultwarden-db-creds` is not reflected into namespace `vaultwarden`: there is no `vaultwarden/vaultwarden-db-creds`",
        ),
    ]
    .into_iter()
    .map(|(r, f, l, m)| (r.to_string(), f, l, m.to_string()))
    .collect();
    expected.sort();
    assert_eq!(found, expected);
    // Every format, and the JSON read from standard input: no Secret value anywhere.
    for format in ["human", "sarif", "github", "gitlab"] {
        verify(&["--kube-objects", path.to_str().unwrap(), "--format", format]);
    }
    let mut child = pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .args(["--kube-objects", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&path).unwrap())
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert_no_canary(&piped);
    assert_eq!(findings(&piped).len(), expected.len());
}

#[test]
fn verify_needs_something_to_compare_with() {
    let nothing = verify(&[]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(
        text(&nothing).contains("nothing to compare with"),
        "{}",
        text(&nothing)
    );
    let bad = verify(&[
        "--kube-objects",
        conformant().join("README.md").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("line 1, column"), "{}", text(&bad));
    let bad_url = verify(&[
        "--database-url",
        &format!("postgresql://u:{CANARY}@h:port/db"),
    ]);
    assert_eq!(bad_url.status.code(), Some(2), "{}", text(&bad_url));
}

#[test]
fn several_clusters_need_cluster() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        std::fs::write(
            dir.path().join(format!("{name}.yaml")),
            format!("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-{name}\n  namespace: postgres\nspec:\n  instances: 1\n"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("objects.json"),
        "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[]}",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        pglint()
            .arg("verify")
            .arg("--root")
            .arg(dir.path())
            .arg("--kube-objects")
            .arg(dir.path().join("objects.json"))
            .args(extra)
            .output()
            .unwrap()
    };
    let ambiguous = run(&[]);
    assert_eq!(ambiguous.status.code(), Some(2));
    assert!(
        text(&ambiguous)
            .contains("several clusters (postgres/pg-a, postgres/pg-b): name one with --cluster"),
        "{}",
        text(&ambiguous)
    );
    assert_eq!(run(&["--cluster", "pg-b"]).status.code(), Some(0));
}
