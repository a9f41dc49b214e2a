//! A scripted byte stream for the tests: a connection driven over it reads the chunks it
//! is given (with `WouldBlock` between them, as a socket with nothing more yet), and writes
//! into a buffer the test reads, as far as the room the peer is given.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use mio::{Poll, Token, Waker};

use super::{Cx, Stream};
use crate::receiver::pending::Mailbox;
use crate::receiver::{Receiver, ReceiverConfig};

/// What a connection on a scripted stream needs around it: a receiver's `Shared` (the
/// receiver is bound on a port nobody connects to) and a mailbox of the test's own.
pub(in crate::receiver) struct Rig {
    pub rx: Receiver,
    _poll: Poll,
    pub mailbox: Arc<Mailbox>,
}

impl Rig {
    pub(in crate::receiver) fn new(config: ReceiverConfig) -> Rig {
        let rx = Receiver::bind("127.0.0.1:0", config).unwrap();
        let poll = Poll::new().unwrap();
        let waker = Waker::new(poll.registry(), Token(usize::MAX)).unwrap();
        Rig {
            rx,
            _poll: poll,
            mailbox: Arc::new(Mailbox::new(waker)),
        }
    }

    /// The context of a drive at `now`.
    pub(in crate::receiver) fn cx(&self, now: Instant) -> Cx<'_> {
        Cx {
            shared: &self.rx.shared,
            mailbox: &self.mailbox,
            now,
            stopping: false,
        }
    }
}

/// What the next read meets.
enum Step {
    /// These bytes (as many as the read takes; the rest stay for the next read).
    Bytes(Vec<u8>),
    /// This error, once.
    Fail(io::ErrorKind),
    /// The end of the stream (every read from then on).
    Eof,
}

/// A peer made of scripted reads and a capture of what was written to it.
pub(in crate::receiver) struct MockStream {
    script: VecDeque<Step>,
    /// Everything written so far.
    pub written: Vec<u8>,
    /// Bytes writes may still put out before they meet `WouldBlock`: `None` for no limit.
    pub room: Option<usize>,
    /// `shutdown_write` was called (FIN sent).
    pub shut: bool,
}

impl MockStream {
    /// A stream with nothing to read yet, that takes every write.
    pub fn new() -> MockStream {
        MockStream {
            script: VecDeque::new(),
            written: Vec::new(),
            room: None,
            shut: false,
        }
    }

    /// Bytes the connection reads next (after what is scripted already); a read that
    /// reaches the end of the script meets `WouldBlock`.
    pub fn feed(&mut self, bytes: &[u8]) -> &mut Self {
        self.script.push_back(Step::Bytes(bytes.to_vec()));
        self
    }

    /// `WouldBlock` at this point of the script, once (the bytes fed after it come in a
    /// later read).
    pub fn block(&mut self) -> &mut Self {
        self.fail(io::ErrorKind::WouldBlock)
    }

    /// A read error at this point of the script, once.
    pub fn fail(&mut self, kind: io::ErrorKind) -> &mut Self {
        self.script.push_back(Step::Fail(kind));
        self
    }

    /// The peer's FIN at this point of the script.
    pub fn eof(&mut self) -> &mut Self {
        self.script.push_back(Step::Eof);
        self
    }

    /// What was written since the last call.
    pub fn take_written(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.written)
    }

    /// Scripted bytes not read yet.
    pub fn unread(&self) -> usize {
        self.script
            .iter()
            .map(|s| match s {
                Step::Bytes(b) => b.len(),
                _ => 0,
            })
            .sum()
    }
}

impl Read for MockStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.script.front_mut() {
                None => return Err(io::ErrorKind::WouldBlock.into()),
                Some(Step::Eof) => return Ok(0),
                Some(Step::Fail(kind)) => {
                    let kind = *kind;
                    self.script.pop_front();
                    return Err(kind.into());
                }
                Some(Step::Bytes(bytes)) if bytes.is_empty() => {
                    self.script.pop_front();
                }
                Some(Step::Bytes(bytes)) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    bytes.drain(..n);
                    return Ok(n);
                }
            }
        }
    }
}

impl Write for MockStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.shut {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = match self.room {
            None => buf.len(),
            Some(0) => return Err(io::ErrorKind::WouldBlock.into()),
            Some(room) => room.min(buf.len()),
        };
        if let Some(room) = &mut self.room {
            *room -= n;
        }
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for MockStream {
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shut = true;
        Ok(())
    }
}
