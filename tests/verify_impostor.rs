//! `pglint verify` against fake servers (a `TcpListener` in the test speaking just enough of
//! PostgreSQL's protocol): one that refuses TLS and asks for the password in clear text or as
//! MD5 never receives it; one that accepts the connection and never answers is given up on
//! within `connect_timeout`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const CANARY: &str = "canary-pw-impostor-9Zk";

#[path = "common/verify_env.rs"]
mod verify_env;
use verify_env::{conformant, pglint, text};

fn verify(port: u16, extra: &str, flags: &[&str]) -> Output {
    pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .arg("--database-url")
        .arg(format!(
            "host=127.0.0.1 port={port} user=app dbname=app {extra}"
        ))
        .args(flags)
        .env("PGPASSWORD", CANARY)
        .output()
        .unwrap()
}

/// Reads one length-prefixed startup-phase message (SSLRequest or StartupMessage).
fn read_startup(stream: &mut TcpStream) -> Vec<u8> {
    let mut length = [0u8; 4];
    stream.read_exact(&mut length).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(length) as usize - 4];
    stream.read_exact(&mut body).unwrap();
    body
}

/// An impostor: answers `N` to SSLRequest, then asks for the password with `code` (3: in
/// clear text, 5: MD5; 0 lets the client in without authentication), and hands back every
/// byte the client sent afterwards.
fn impostor(code: u32) -> (u16, mpsc::Receiver<Vec<u8>>) {
    let (port, received) = impostor_seeing_the_opening(code);
    let (sent, after) = mpsc::channel();
    thread::spawn(move || {
        if let Ok((_, bytes)) = received.recv() {
            let _ = sent.send(bytes);
        }
    });
    (port, after)
}

/// The client's first message and every byte it sent after the authentication request.
type Exchange = (Vec<u8>, Vec<u8>);

/// [`impostor`], also handing back the client's first message (an SSLRequest, or the
/// startup message when the client starts without TLS).
fn impostor_seeing_the_opening(code: u32) -> (u16, mpsc::Receiver<Exchange>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sent, received) = mpsc::channel();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let first = read_startup(&mut stream);
        if first == [0x04, 0xd2, 0x16, 0x2f] {
            stream.write_all(b"N").unwrap();
            read_startup(&mut stream);
        }
        let mut request = vec![b'R'];
        let body: Vec<u8> = if code == 5 {
            [5u32.to_be_bytes().as_slice(), b"salt"].concat()
        } else {
            code.to_be_bytes().to_vec()
        };
        request.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        request.extend_from_slice(&body);
        stream.write_all(&request).unwrap();
        let mut after = Vec::new();
        let _ = stream.read_to_end(&mut after);
        let _ = sent.send((first, after));
    });
    (port, received)
}

fn holds_the_password(bytes: &[u8]) -> bool {
    bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes())
}

#[test]
fn require_auth_is_honoured_as_libpq_does() {
    // Only SCRAM allowed: an MD5 request is refused, even with the opt-out.
    let (port, received) = impostor(5);
    let output = verify(
        port,
        "require_auth=scram-sha-256",
        &["--allow-password-without-tls"],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("asks for md5 authentication, which require_auth=scram-sha-256 does not allow; the password was not sent"),
        "{all}"
    );
    assert!(!holds_the_password(
        &received.recv_timeout(Duration::from_secs(15)).unwrap()
    ));

    // The user allows the password in clear explicitly: it is answered, as libpq would.
    let (port, received) = impostor(3);
    let output = verify(port, "require_auth=password", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(holds_the_password(
        &received.recv_timeout(Duration::from_secs(15)).unwrap()
    ));

    // `!none` (from PGREQUIREAUTH): a server that lets anyone in is refused.
    let (port, received) = impostor(0);
    let output = pglint()
        .arg("verify")
        .arg("--root")
        .arg(conformant())
        .arg("--database-url")
        .arg(format!(
            "host=127.0.0.1 port={port} user=app dbname=app connect_timeout=5"
        ))
        .env("PGPASSWORD", CANARY)
        .env("PGREQUIREAUTH", "!none")
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains(
            "let pglint in without authenticating, which require_auth=!none does not allow"
        ),
        "{all}"
    );
    let _ = received.recv_timeout(Duration::from_secs(15));

    // A setting libpq would refuse is refused before connecting.
    let output = verify(1, "require_auth=password,!md5", &[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("cannot be mixed"), "{all}");
}

#[test]
fn sslmode_allow_starts_without_tls_and_prefer_with_it() {
    for (mode, tls_first) in [("sslmode=allow", false), ("sslmode=prefer", true)] {
        let (port, received) = impostor_seeing_the_opening(3);
        let output = verify(port, &format!("{mode} connect_timeout=2"), &[]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let (first, after) = received.recv_timeout(Duration::from_secs(15)).unwrap();
        assert_eq!(
            first == [0x04, 0xd2, 0x16, 0x2f],
            tls_first,
            "{mode}: {first:?}"
        );
        assert!(!holds_the_password(&after), "{mode}");
    }
}

#[test]
fn an_impostor_without_tls_never_receives_the_password() {
    for (code, extra) in [
        (3, ""),
        (5, ""),
        (3, "sslmode=disable"),
        (3, "sslmode=allow"),
    ] {
        let (port, received) = impostor(code);
        let output = verify(port, extra, &[]);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{all}");
        assert!(all.contains("refused"), "{all}");
        assert!(all.contains("the password was not sent"), "{all}");
        assert!(!all.contains(CANARY), "{all}");
        let after = received.recv_timeout(Duration::from_secs(15)).unwrap();
        assert!(
            !after.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "code {code} {extra}: the password was sent in clear"
        );
        // MD5 of the password is never computed either: nothing at all follows the request.
        assert!(
            after.iter().all(|&b| b != b'p'),
            "code {code} {extra}: a password message was sent: {after:?}"
        );
    }
}

#[test]
fn the_opt_out_answers_the_impostor() {
    let (port, received) = impostor(3);
    let output = verify(port, "", &["--allow-password-without-tls"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let after = received.recv_timeout(Duration::from_secs(15)).unwrap();
    assert!(
        after.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
        "with the opt-out, the client answers as libpq would"
    );
}

#[test]
fn a_server_that_never_answers_is_given_up_on_within_connect_timeout() {
    for mode in ["sslmode=prefer", "sslmode=require", "sslmode=disable"] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let holder = thread::spawn(move || {
            // Accepts, reads what comes, never answers; holds the connection open.
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        });
        let start = Instant::now();
        let output = verify(port, &format!("connect_timeout=2 {mode}"), &[]);
        let took = start.elapsed();
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{all}");
        assert!(all.contains("no answer within 2 s"), "{mode}: {all}");
        assert!(took < Duration::from_secs(8), "{mode}: took {took:?}");
        holder.join().unwrap();
    }
}
