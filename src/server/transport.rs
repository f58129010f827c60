//! The stdio transport: `Content-Length` framed JSON-RPC, as `lsp-server`'s own, except that a
//! malformed message is answered with a JSON-RPC error (parse error, or invalid request with
//! its id when it has one) and the connection goes on, where `lsp-server`'s reader stops.

use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use crossbeam_channel::{Sender, bounded};
use lsp_server::{Connection, Message};
use serde_json::{Value, json};

/// Larger messages are refused (and skipped) instead of read into memory.
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// JSON-RPC's codes for what cannot be read as a request.
const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;

/// The reader and writer threads; joined when the connection is dropped.
pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for the writer to flush what the server sent. The reader is left alone: it may
    /// be blocked on a standard input the client keeps open.
    pub fn join(self) -> io::Result<()> {
        drop(self.reader);
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

/// A connection over standard input and output.
pub fn stdio() -> (Connection, IoThreads) {
    let stdout = Arc::new(Mutex::new(io::stdout()));
    let (writer_sender, writer_receiver) = bounded::<Message>(0);
    let writer = {
        let stdout = Arc::clone(&stdout);
        thread::spawn(move || {
            for message in writer_receiver {
                let mut out = stdout.lock().unwrap_or_else(|e| e.into_inner());
                message.write(&mut *out)?;
            }
            Ok(())
        })
    };
    let (reader_sender, reader_receiver) = bounded::<Message>(0);
    let reader = thread::spawn(move || {
        let stdin = io::stdin();
        read_messages(&mut stdin.lock(), &reader_sender, |error| {
            let mut out = stdout.lock().unwrap_or_else(|e| e.into_inner());
            let _ = write_frame(&mut *out, &error);
        });
    });
    let connection = Connection {
        sender: writer_sender,
        receiver: reader_receiver,
    };
    (connection, IoThreads { reader, writer })
}

/// Reads messages until the input ends, the server stops listening or `exit` arrives; what
/// cannot be read becomes a JSON-RPC error handed to `reply`.
fn read_messages(input: &mut impl BufRead, sender: &Sender<Message>, mut reply: impl FnMut(Value)) {
    loop {
        let body = match read_frame(input) {
            Ok(Some(body)) => body,
            Ok(None) => return,
            Err(Frame::Closed) => return,
            Err(Frame::Invalid(reason)) => {
                reply(error_response(Value::Null, PARSE_ERROR, &reason));
                continue;
            }
        };
        match parse_message(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if sender.send(message).is_err() || exit {
                    return;
                }
            }
            Err(error) => reply(error),
        }
    }
}

enum Frame {
    /// The input failed: nothing more can be read.
    Closed,
    /// A header or body that is not what the protocol says: the frame was skipped.
    Invalid(String),
}

/// One frame's body; `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut line = String::new();
    let length = loop {
        line.clear();
        if input.read_line(&mut line).map_err(|_| Frame::Closed)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if let Some(length) = length.take() {
                break length;
            }
            // Blank lines between frames.
            continue;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| format!("invalid Content-Length `{}`", value.trim())),
            );
        }
    };
    let length = length.map_err(Frame::Invalid)?;
    if length > MAX_MESSAGE_BYTES {
        io::copy(&mut input.take(length as u64), &mut io::sink()).map_err(|_| Frame::Closed)?;
        return Err(Frame::Invalid(format!(
            "a message of {length} bytes is larger than the {MAX_MESSAGE_BYTES} bytes accepted"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|_| Frame::Closed)?;
    Ok(Some(body))
}

/// A message, or the JSON-RPC error that answers it.
fn parse_message(body: &[u8]) -> Result<Message, Value> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| error_response(Value::Null, PARSE_ERROR, &format!("not JSON: {e}")))?;
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let invalid = |reason: String| {
        error_response(
            id.clone(),
            INVALID_REQUEST,
            &format!("not a JSON-RPC request, response or notification: {reason}"),
        )
    };
    // `lsp-server`'s untagged enum would take anything with an `id` for a response.
    let message = match (value.get("method"), value.get("id")) {
        (Some(_), Some(_)) => serde_json::from_value(value).map(Message::Request),
        (Some(_), None) => serde_json::from_value(value).map(Message::Notification),
        (None, Some(_)) if value.get("result").is_some() || value.get("error").is_some() => {
            serde_json::from_value(value).map(Message::Response)
        }
        _ => return Err(invalid("no method, and no result or error".into())),
    };
    message.map_err(|e| invalid(e.to_string()))
}

fn error_response(id: Value, code: i32, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn write_frame(out: &mut impl Write, value: &Value) -> io::Result<()> {
    let body = value.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// The receiving end of a channel, for tests of the reader.
#[cfg(test)]
fn read_all(input: &[u8]) -> (Vec<Message>, Vec<Value>) {
    let (sender, receiver) = crossbeam_channel::unbounded::<Message>();
    let mut errors = Vec::new();
    read_messages(&mut &input[..], &sender, |e| errors.push(e));
    drop(sender);
    (receiver.into_iter().collect(), errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_messages_are_answered_and_reading_goes_on() {
        let input = [
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":12}"#),
            "Content-Length: many\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":8,"method":"shutdown"}"#),
        ]
        .concat();
        let (messages, errors) = read_all(input.as_bytes());
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(matches!(&messages[0], Message::Request(r) if r.method == "shutdown"));
        let codes: Vec<(Value, i64)> = errors
            .iter()
            .map(|e| (e["id"].clone(), e["error"]["code"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            codes,
            [
                (Value::Null, -32700),
                (json!(7), -32600),
                (Value::Null, -32700)
            ]
        );
    }

    #[test]
    fn oversized_messages_are_skipped_unread() {
        let huge = MAX_MESSAGE_BYTES + 1;
        let mut input = format!("Content-Length: {huge}\r\n\r\n").into_bytes();
        input.resize(input.len() + huge, b' ');
        input.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#).bytes());
        let (messages, errors) = read_all(&input);
        assert_eq!(errors.len(), 1);
        assert!(matches!(&messages[..], [Message::Notification(n)] if n.method == "exit"));
    }
}
