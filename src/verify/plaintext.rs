//! The password never travels in clear: a watch over the bytes the server sends until
//! authentication ends, on a TCP connection without TLS.
//!
//! libpq answers whatever authentication the server asks for: under its default
//! `sslmode=prefer`, a server (or anything on the path) that refuses TLS and asks for a
//! cleartext password gets it (libpq's `require_auth`, PostgreSQL 16, exists to refuse that).
//! CloudNativePG always serves TLS and authenticates with SCRAM, which never reveals the
//! password, so a server asking for `password` (AuthenticationCleartextPassword, code 3) or `md5`
//! (code 5, an unsalted-enough hash a listener can replay) over plain TCP is not the server
//! meant. The watch reads each server message's header as it passes, and fails the read that
//! carries such a request: the client library never sees it, so it never sends the password.
//! The protocol: PostgreSQL's docs, "Message Formats" (`AuthenticationCleartextPassword`,
//! `AuthenticationMD5Password`, `SSLRequest`: 8 bytes, code 80877103, answered by one byte `S`
//! or `N`).
//!
//! The same watch honours libpq's `require_auth` ([`RequireAuth`]; libpq: postgres commit
//! 3a465cc6, `fe-connect.c` parses it, `fe-auth.c` `check_expected_areq()` applies it): a
//! request for a method the setting does not allow, or an `AuthenticationOk` without any
//! request when `none` is not allowed, fails the read. Over TLS the watch sits inside the
//! TLS stream ([`WatchingTls`]), so the setting holds on every connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The SSLRequest message, as the client sends it before the startup message.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Where the watch is in the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Nothing sent yet.
    Start,
    /// SSLRequest sent: the next byte from the server is `S` (TLS follows) or `N`.
    SslAnswer,
    /// Plain messages: the header bytes of the current message, and how much of its body
    /// remains to pass.
    Plain { header: Vec<u8>, skip: usize },
    /// TLS carries the rest, or authentication is over: nothing more to watch.
    Off,
}

/// An authentication method, as `require_auth` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    Md5,
    Gss,
    Sspi,
    ScramSha256,
    /// No authentication exchange at all.
    None,
}

impl Method {
    const ALL: [(&'static str, Method); 6] = [
        ("password", Method::Password),
        ("md5", Method::Md5),
        ("gss", Method::Gss),
        ("sspi", Method::Sspi),
        ("scram-sha-256", Method::ScramSha256),
        ("none", Method::None),
    ];

    fn name(self) -> &'static str {
        Method::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    /// The method of an authentication request code (`None`: a code that ends or is no
    /// request).
    fn of_request(code: u32) -> Option<Method> {
        Some(match code {
            3 => Method::Password,
            5 => Method::Md5,
            7 | 8 => Method::Gss,
            9 => Method::Sspi,
            10..=12 => Method::ScramSha256,
            _ => return None,
        })
    }
}

/// libpq's `require_auth`: the methods the server may use (or, negated with `!`, may not).
/// Unset allows anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequireAuth {
    methods: Vec<Method>,
    negated: bool,
    text: String,
}

impl RequireAuth {
    /// Parses a comma-separated list as libpq does: known methods only, each once, all negated
    /// or none.
    pub fn parse(text: &str) -> Result<RequireAuth, String> {
        let mut methods = Vec::new();
        let mut negated = None;
        for word in text.split(',') {
            let (not, name) = match word.strip_prefix('!') {
                Some(name) => (true, name),
                None => (false, word),
            };
            let method = Method::ALL
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| *m)
                .ok_or_else(|| {
                    format!(
                        "invalid require_auth method `{word}`: use password, md5, gss, sspi, scram-sha-256 or none, each maybe negated with `!`"
                    )
                })?;
            if *negated.get_or_insert(not) != not {
                return Err(format!(
                    "invalid require_auth `{text}`: negated and non-negated methods cannot be mixed"
                ));
            }
            if methods.contains(&method) {
                return Err(format!(
                    "invalid require_auth: `{name}` is given more than once"
                ));
            }
            methods.push(method);
        }
        Ok(RequireAuth {
            methods,
            negated: negated.unwrap_or(false),
            text: text.to_string(),
        })
    }

    pub fn is_set(&self) -> bool {
        !self.methods.is_empty()
    }

    fn allows(&self, method: Method) -> bool {
        !self.is_set() || self.methods.contains(&method) != self.negated
    }
}

/// What the watch refuses.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub require_auth: RequireAuth,
    /// A cleartext or MD5 password request without TLS (pglint's default when `require_auth`
    /// is unset; `--allow-password-without-tls` turns it off).
    pub refuse_in_clear: bool,
}

/// A stream that refuses the authentication requests its [`Policy`] forbids.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    phase: Phase,
    policy: Policy,
    /// The server has made an authentication request.
    asked: bool,
}

impl<S> Watched<S> {
    pub fn new(inner: S, policy: Policy) -> Watched<S> {
        Watched {
            inner,
            phase: Phase::Start,
            policy,
            asked: false,
        }
    }

    /// Follows the server's bytes; an error names the refused request.
    fn inspect(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match &mut self.phase {
                Phase::Start => {
                    // The server spoke first: follow it as plain messages.
                    self.phase = Phase::Plain {
                        header: Vec::new(),
                        skip: 0,
                    };
                }
                Phase::SslAnswer => {
                    self.phase = if rest[0] == b'S' {
                        Phase::Off
                    } else {
                        Phase::Plain {
                            header: Vec::new(),
                            skip: 0,
                        }
                    };
                    if rest[0] == b'S' || rest[0] == b'N' {
                        rest = &rest[1..];
                    }
                }
                Phase::Off => return Ok(()),
                Phase::Plain { header, skip } => {
                    if *skip > 0 {
                        let n = (*skip).min(rest.len());
                        *skip -= n;
                        rest = &rest[n..];
                        continue;
                    }
                    header.push(rest[0]);
                    rest = &rest[1..];
                    let length = |h: &[u8]| u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
                    if header.len() == 5 && header[0] != b'R' {
                        *skip = length(header).saturating_sub(4);
                        header.clear();
                    } else if header.len() == 9 {
                        let code = u32::from_be_bytes([header[5], header[6], header[7], header[8]]);
                        let require = &self.policy.require_auth;
                        if code == 0 {
                            // AuthenticationOk: the password phase is over.
                            if !self.asked && !require.allows(Method::None) {
                                return Err(format!(
                                    "refused: the server let pglint in without authenticating, which require_auth={} does not allow",
                                    require.text
                                ));
                            }
                            self.phase = Phase::Off;
                            return Ok(());
                        }
                        let method = Method::of_request(code);
                        if let Some(method) = method {
                            self.asked = true;
                            if !require.allows(method) {
                                return Err(format!(
                                    "refused: the server asks for {} authentication, which require_auth={} does not allow; the password was not sent",
                                    method.name(),
                                    require.text
                                ));
                            }
                        }
                        let asked = match method {
                            Some(Method::Password) => Some("the password in clear text"),
                            Some(Method::Md5) => Some("an MD5 hash of the password"),
                            _ => None,
                        };
                        if let Some(asked) = asked
                            && self.policy.refuse_in_clear
                        {
                            return Err(format!(
                                "refused: the server asks for {asked} over a connection without TLS, so anyone on the path could read it; the password was not sent. CloudNativePG serves TLS and SCRAM: check that this is the cluster's `-rw` service and use sslmode=verify-full (or, for a server you trust on a private path, --allow-password-without-tls)"
                            ));
                        }
                        *skip = length(header).saturating_sub(8);
                        header.clear();
                    }
                }
            }
        }
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let already = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = buf.filled()[already..].to_vec();
                match self.inspect(&fresh) {
                    Ok(()) => Poll::Ready(Ok(())),
                    Err(refusal) => {
                        buf.set_filled(already);
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::PermissionDenied,
                            refusal,
                        )))
                    }
                }
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.phase == Phase::Start {
            self.phase = if bytes.starts_with(&SSL_REQUEST) {
                Phase::SslAnswer
            } else {
                Phase::Plain {
                    header: Vec::new(),
                    skip: 0,
                }
            };
        }
        Pin::new(&mut self.inner).poll_write(cx, bytes)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A TLS stream watched inside, where the authentication messages are readable; channel
/// binding is the TLS stream's.
impl<S: tokio_postgres::tls::TlsStream + Unpin> tokio_postgres::tls::TlsStream for Watched<S> {
    fn channel_binding(&self) -> tokio_postgres::tls::ChannelBinding {
        self.inner.channel_binding()
    }
}

/// A TLS connector whose streams are [`Watched`] under `policy` once TLS is up.
pub struct WatchingTls<C> {
    pub inner: C,
    pub policy: Policy,
}

impl<S, C> tokio_postgres::tls::TlsConnect<S> for WatchingTls<C>
where
    C: tokio_postgres::tls::TlsConnect<S>,
    C::Future: Send + 'static,
{
    type Stream = Watched<C::Stream>;
    type Error = C::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Watched<C::Stream>, C::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let policy = self.policy;
        let handshake = self.inner.connect(stream);
        Box::pin(async move { Ok(Watched::new(handshake.await?, policy)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn auth(code: u32, extra: &[u8]) -> Vec<u8> {
        let mut body = code.to_be_bytes().to_vec();
        body.extend_from_slice(extra);
        message(b'R', &body)
    }

    /// The server's bytes fed one split at a time, after `first` was the client's opening.
    fn watch(first: &[u8], server: &[u8], split: usize, allowed: bool) -> Result<(), String> {
        let policy = Policy {
            require_auth: RequireAuth::default(),
            refuse_in_clear: !allowed,
        };
        watch_with(first, server, split, policy)
    }

    fn watch_with(first: &[u8], server: &[u8], split: usize, policy: Policy) -> Result<(), String> {
        let mut watched = Watched::new((), policy);
        watched.phase = if first.starts_with(&SSL_REQUEST) {
            Phase::SslAnswer
        } else {
            Phase::Plain {
                header: Vec::new(),
                skip: 0,
            }
        };
        for chunk in server.chunks(split.max(1)) {
            watched.inspect(chunk)?;
        }
        Ok(())
    }

    #[test]
    fn cleartext_and_md5_requests_without_tls_are_refused_however_the_bytes_arrive() {
        let notice = message(b'N', b"SNOTICE\0Mhello\0\0");
        for (code, extra, word) in [(3, &b""[..], "clear text"), (5, &b"salt"[..], "MD5")] {
            let mut server = b"N".to_vec();
            server.extend(notice.clone());
            server.extend(auth(code, extra));
            for split in 1..server.len() {
                let error = watch(&SSL_REQUEST, &server, split, false).unwrap_err();
                assert!(error.contains(word), "{error}");
                assert!(watch(&SSL_REQUEST, &server, split, true).is_ok());
            }
            // No SSLRequest at all (sslmode=disable): the same.
            assert!(watch(b"startup", &server[1..], 3, false).is_err());
        }
    }

    #[test]
    fn scram_tls_and_finished_authentication_pass() {
        let mut sasl = b"N".to_vec();
        sasl.extend(auth(10, b"SCRAM-SHA-256\0\0"));
        sasl.extend(auth(11, b"r=abc,s=def,i=4096"));
        sasl.extend(auth(12, b"v=xyz"));
        sasl.extend(auth(0, b""));
        // After AuthenticationOk, rows may hold anything, even bytes that look like a request.
        sasl.extend(auth(3, b""));
        for split in 1..sasl.len() {
            assert!(watch(&SSL_REQUEST, &sasl, split, false).is_ok());
        }
        // `S`: TLS carries the rest, which is not read.
        let mut tls = b"S".to_vec();
        tls.extend(auth(3, b""));
        assert!(watch(&SSL_REQUEST, &tls, 1, false).is_ok());
    }

    #[test]
    fn require_auth_is_parsed_as_libpq_parses_it() {
        let set = RequireAuth::parse("scram-sha-256,none").unwrap();
        assert!(set.allows(Method::ScramSha256) && set.allows(Method::None));
        assert!(!set.allows(Method::Password) && !set.allows(Method::Md5));
        let not = RequireAuth::parse("!password,!md5").unwrap();
        assert!(!not.allows(Method::Password) && not.allows(Method::ScramSha256));
        assert!(not.allows(Method::None));
        assert!(!RequireAuth::parse("!none").unwrap().allows(Method::None));
        assert!(RequireAuth::default().allows(Method::Password));
        for (bad, why) in [
            ("password,!md5", "cannot be mixed"),
            ("scram", "invalid require_auth method `scram`"),
            ("md5,md5", "more than once"),
            ("", "invalid require_auth method ``"),
        ] {
            let error = RequireAuth::parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn require_auth_refuses_requests_and_a_missing_authentication() {
        let policy = |text: &str| Policy {
            require_auth: RequireAuth::parse(text).unwrap(),
            refuse_in_clear: false,
        };
        let mut md5 = b"N".to_vec();
        md5.extend(auth(5, b"salt"));
        let error = watch_with(&SSL_REQUEST, &md5, 2, policy("scram-sha-256")).unwrap_err();
        assert!(
            error.contains(
                "asks for md5 authentication, which require_auth=scram-sha-256 does not allow"
            ),
            "{error}"
        );
        assert!(watch_with(&SSL_REQUEST, &md5, 2, policy("md5")).is_ok());
        assert!(watch_with(&SSL_REQUEST, &md5, 2, policy("!password")).is_ok());
        // In TLS (the watch inside it starts with the startup message).
        let mut ok = auth(0, b"");
        ok.extend(message(b'S', b"server_version\x0016\0"));
        let error = watch_with(b"startup", &ok, 1, policy("!none")).unwrap_err();
        assert!(error.contains("without authenticating"), "{error}");
        assert!(watch_with(b"startup", &ok, 1, policy("scram-sha-256,none")).is_ok());
        let mut scram = auth(10, b"SCRAM-SHA-256\0\0");
        scram.extend(auth(11, b"r=a"));
        scram.extend(auth(12, b"v=b"));
        scram.extend(auth(0, b""));
        assert!(watch_with(b"startup", &scram, 3, policy("scram-sha-256")).is_ok());
        assert!(watch_with(b"startup", &scram, 3, policy("!scram-sha-256")).is_err());
    }
}
