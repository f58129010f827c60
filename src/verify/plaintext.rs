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

/// A stream that refuses a request for a cleartext or MD5 password sent over it in clear.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    phase: Phase,
    /// The user opted out (`--allow-password-without-tls`).
    allowed: bool,
}

impl<S> Watched<S> {
    pub fn new(inner: S, allowed: bool) -> Watched<S> {
        Watched {
            inner,
            phase: Phase::Start,
            allowed,
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
                        let asked = match code {
                            0 => {
                                // AuthenticationOk: the password phase is over.
                                self.phase = Phase::Off;
                                return Ok(());
                            }
                            3 => Some("the password in clear text"),
                            5 => Some("an MD5 hash of the password"),
                            _ => None,
                        };
                        if let Some(asked) = asked
                            && !self.allowed
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
        let mut watched = Watched::new((), allowed);
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
}
