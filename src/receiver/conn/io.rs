//! A connection's bytes: read into its buffer, write its replies (through TLS when it has
//! it), and linger after the last reply.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::Instant;

use mio::net::TcpStream;

use super::{Conn, Cx, State, Wire, IN_CAP, LINGER_BYTES, LINGER_TIME};

/// The plain byte stream under a connection: a TCP socket, or scripted bytes in the tests.
pub(in crate::receiver) trait Stream: Read + Write {
    /// Send FIN: the peer reads the end of the stream once what was written is out.
    fn shutdown_write(&mut self) -> io::Result<()>;
}

impl Stream for TcpStream {
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl<S: Stream> Conn<S> {
    pub(super) fn unsent(&self) -> bool {
        if self.out_pos < self.out.len() {
            return true;
        }
        match &self.wire {
            Wire::Plain => false,
            #[cfg(feature = "https")]
            Wire::Tls(tls) => tls.wants_write(),
        }
    }

    /// The last reply is out: send FIN (TLS: close_notify first), then discard a bounded
    /// amount of what the peer still sends.
    pub(super) fn start_linger(&mut self, cx: &Cx<'_>) {
        #[cfg(feature = "https")]
        if let Wire::Tls(tls) = &mut self.wire {
            tls.send_close_notify();
            let _ = self.flush();
        }
        let _ = self.sock.shutdown_write();
        let discarded = self.inbuf.len();
        self.inbuf = Vec::new();
        self.state = State::Linger {
            until: cx.now + LINGER_TIME.min(cx.shared.config.read_timeout),
            discarded,
        };
    }

    /// Read what the socket has, up to the buffer cap.
    pub(super) fn fill(&mut self, _cx: &Cx<'_>) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        if let State::Linger { discarded, .. } = &mut self.state {
            while self.readable && !self.eof && *discarded < LINGER_BYTES {
                match self.sock.read(&mut chunk) {
                    Ok(0) => self.eof = true,
                    Ok(n) => *discarded += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
        match &mut self.wire {
            Wire::Plain => {
                while self.readable && !self.eof && self.inbuf.len() < IN_CAP {
                    let room = (IN_CAP - self.inbuf.len()).min(chunk.len());
                    match self.sock.read(&mut chunk[..room]) {
                        Ok(0) => self.eof = true,
                        Ok(n) => self.inbuf.extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            #[cfg(feature = "https")]
            Wire::Tls(tls) => {
                loop {
                    // Plaintext rustls holds first, then more records from the socket.
                    while self.inbuf.len() < IN_CAP {
                        let room = (IN_CAP - self.inbuf.len()).min(chunk.len());
                        match tls.reader().read(&mut chunk[..room]) {
                            Ok(0) => {
                                self.eof = true;
                                break;
                            }
                            Ok(n) => self.inbuf.extend_from_slice(&chunk[..n]),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                    if !self.readable || self.eof || self.inbuf.len() >= IN_CAP {
                        return Ok(());
                    }
                    match tls.read_tls(&mut self.sock) {
                        Ok(0) => {
                            self.eof = true;
                            return Ok(());
                        }
                        Ok(_) => {
                            if let Err(e) = tls.process_new_packets() {
                                // Send the alert, then give up on the connection.
                                let _ = tls.write_tls(&mut self.sock);
                                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            self.readable = false;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// Write what is queued, as far as the socket takes it.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        let result = match &mut self.wire {
            Wire::Plain => self.flush_plain(),
            #[cfg(feature = "https")]
            Wire::Tls(tls) => {
                let sock = &mut self.sock;
                let out = &self.out;
                let pos = &mut self.out_pos;
                let writable = &mut self.writable;
                (|| loop {
                    let mut progressed = false;
                    if *pos < out.len() {
                        let n = tls.writer().write(&out[*pos..])?;
                        *pos += n;
                        progressed |= n > 0;
                    }
                    while tls.wants_write() {
                        match tls.write_tls(sock) {
                            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                            Ok(_) => progressed = true,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                *writable = false;
                                return Ok(());
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                    if !progressed || *pos == out.len() {
                        return Ok(());
                    }
                })()
            }
        };
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        self.stalled_since = if self.unsent() {
            self.stalled_since.or(Some(Instant::now()))
        } else {
            None
        };
        result
    }

    pub(super) fn flush_plain(&mut self) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            match self.sock.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
