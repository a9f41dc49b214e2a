//! The head and framing rules, on bytes: one row per case.

use super::*;

/// What a head comes to: refused with a status, or its framing, persistence, target and
/// whether `100 Continue` is sent.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Refused(u16),
    Partial,
    Ok {
        framing: Framing,
        persist: Persist,
        target: String,
        expect_continue: bool,
    },
}

fn got(raw: &[u8]) -> Got {
    match parse_head(raw) {
        Err(status) => Got::Refused(status),
        Ok(None) => Got::Partial,
        Ok(Some((h, n))) => {
            assert_eq!(n, raw.len(), "the whole head is consumed");
            Got::Ok {
                framing: h.framing,
                persist: h.persist(),
                target: h.target,
                expect_continue: h.expect_continue,
            }
        }
    }
}

fn ok(framing: Framing, persist: Persist) -> Got {
    Got::Ok {
        framing,
        persist,
        target: "/x".into(),
        expect_continue: false,
    }
}

#[test]
fn head_and_framing_table() {
    use Framing::*;
    use Persist::*;
    let long_uri = format!("POST /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(MAX_HEAD));
    let long_header = format!(
        "POST /x HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(MAX_HEAD)
    );
    let many_headers = format!(
        "POST /x HTTP/1.1\r\nHost: t\r\n{}\r\n",
        "X-A: 1\r\n".repeat(MAX_HEADERS)
    );
    let rows: Vec<(&str, &[u8], Got)> = vec![
        // Content-Length: digits only, one value.
        ("length", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n", ok(Length(5), KeepAlive)),
        ("length with blanks", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length:  5 \t\r\n\r\n", ok(Length(5), KeepAlive)),
        ("length repeated, same", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", ok(Length(5), KeepAlive)),
        ("length repeated, different", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", Got::Refused(400)),
        ("length signed", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\n", Got::Refused(400)),
        ("length negative", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", Got::Refused(400)),
        ("length hex", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0x5\r\n\r\n", Got::Refused(400)),
        ("length list", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\n", Got::Refused(400)),
        ("length empty", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n", Got::Refused(400)),
        ("no length", b"POST /x HTTP/1.1\r\nHost: t\r\n\r\n", ok(Length(0), KeepAlive)),
        // Host: one, and a valid uri-host [":" port] (RFC 9112 section 3.2).
        ("host with a blank", b"POST /x HTTP/1.1\r\nHost: a b\r\n\r\n", Got::Refused(400)),
        ("host with <, @ and /", b"POST /x HTTP/1.1\r\nHost: <x>@/\r\n\r\n", Got::Refused(400)),
        ("host with a path", b"POST /x HTTP/1.1\r\nHost: h/p\r\n\r\n", Got::Refused(400)),
        ("host with a bad port", b"POST /x HTTP/1.1\r\nHost: h:8x\r\n\r\n", Got::Refused(400)),
        ("host with a bad escape", b"POST /x HTTP/1.1\r\nHost: h%4\r\n\r\n", Got::Refused(400)),
        ("host and port", b"POST /x HTTP/1.1\r\nHost: cinnox.example:8443\r\n\r\n", ok(Length(0), KeepAlive)),
        ("host IPv6", b"POST /x HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", ok(Length(0), KeepAlive)),
        ("host empty", b"POST /x HTTP/1.1\r\nHost: \r\n\r\n", ok(Length(0), KeepAlive)),
        // Transfer-Encoding: exactly one `chunked`.
        ("chunked", b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", ok(Chunked, KeepAlive)),
        ("chunked, any case, ASCII blanks", b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:  \tChunKed \r\n\r\n", ok(Chunked, KeepAlive)),
        ("chunked in HTTP/1.0", b"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", Got::Refused(400)),
        ("chunked twice", b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", Got::Refused(400)),
        ("chunked listed twice", b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", Got::Refused(501)),
        ("gzip, chunked", b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Got::Refused(501)),
        ("gzip", b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", Got::Refused(501)),
        ("chunked + U+00A0", "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\u{a0}\r\n\r\n".as_bytes(), Got::Refused(501)),
        ("chunked + U+0085", "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: \u{85}chunked\r\n\r\n".as_bytes(), Got::Refused(501)),
        ("chunked and length", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Got::Refused(400)),
        // Host.
        ("no Host in HTTP/1.1", b"POST /x HTTP/1.1\r\n\r\n", Got::Refused(400)),
        ("Host twice", b"POST /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Got::Refused(400)),
        ("no Host in HTTP/1.0", b"POST /x HTTP/1.0\r\n\r\n", ok(Length(0), Close)),
        // Targets.
        ("absolute form", b"POST http://example.com:8080/x HTTP/1.1\r\nHost: example.com\r\n\r\n", ok(Length(0), KeepAlive)),
        ("absolute form, https, any case", b"POST HTTPS://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n", ok(Length(0), KeepAlive)),
        ("URI over the head cap", long_uri.as_bytes(), Got::Refused(414)),
        ("header over the head cap", long_header.as_bytes(), Got::Refused(431)),
        ("too many headers", many_headers.as_bytes(), Got::Refused(431)),
        // Versions.
        ("HTTP/2.0", b"POST /x HTTP/2.0\r\nHost: t\r\n\r\n", Got::Refused(505)),
        ("HTTP/3.0", b"POST /x HTTP/3.0\r\nHost: t\r\n\r\n", Got::Refused(505)),
        ("HTTP/1.2 is read as 1.1", b"POST /x HTTP/1.2\r\nHost: t\r\n\r\n", ok(Length(0), KeepAlive)),
        ("HTTP/1.9 is read as 1.1", b"POST /x HTTP/1.9\r\nHost: t\r\nContent-Length: 2\r\n\r\n", ok(Length(2), KeepAlive)),
        ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", Got::Refused(400)),
        ("partial", b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Le", Got::Partial),
        ("partial request line", b"POST /x HT", Got::Partial),
        // Persistence.
        ("1.1 close", b"POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", ok(Length(0), Close)),
        ("1.1 close in a list", b"POST /x HTTP/1.1\r\nHost: t\r\nConnection: TE, Close\r\n\r\n", ok(Length(0), Close)),
        ("1.0 keep-alive", b"POST /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", ok(Length(0), KeepAlive10)),
        ("1.0 keep-alive and close", b"POST /x HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", ok(Length(0), Close)),
        // Expect.
        ("1.1 expect with a body", b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
            Got::Ok { framing: Length(2), persist: KeepAlive, target: "/x".into(), expect_continue: true }),
        ("1.1 expect, chunked", b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n",
            Got::Ok { framing: Chunked, persist: KeepAlive, target: "/x".into(), expect_continue: true }),
        ("1.1 expect, empty body", b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n", ok(Length(0), KeepAlive)),
        ("1.0 expect is ignored", b"POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", ok(Length(2), Close)),
        ("1.1 unknown expectation", b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: magic\r\nContent-Length: 2\r\n\r\n", Got::Refused(417)),
    ];
    for (name, raw, want) in rows {
        assert_eq!(got(raw), want, "{name}");
    }
}

#[test]
fn absolute_form_targets_keep_path_and_query() {
    for (target, want) in [
        ("http://example.com/hook/s3cret?a=1", "/hook/s3cret?a=1"),
        ("http://example.com", "/"),
        ("http://example.com?a=1", "/"),
        ("/plain", "/plain"),
        ("*", "*"),
    ] {
        assert_eq!(origin_form(target), want, "{target}");
    }
}

/// Feed `input` in pieces of `step` bytes, as it might arrive.
fn decode(input: &[u8], step: usize, max: usize) -> Result<(Vec<u8>, usize), u16> {
    let mut d = Chunked::default();
    let mut body = Vec::new();
    let mut buffered: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut consumed = 0;
    while fed < input.len() {
        let next = (fed + step).min(input.len());
        buffered.extend_from_slice(&input[fed..next]);
        fed = next;
        let (used, done) = d.feed(&buffered, &mut body, max)?;
        buffered.drain(..used);
        consumed += used;
        if done {
            return Ok((body, consumed));
        }
    }
    Err(0)
}

#[test]
fn chunked_framing_table() {
    /// A case: its name, its bytes, the body or the refusing status.
    type Row<'a> = (&'a str, &'a [u8], Result<&'a [u8], u16>);
    let rows: Vec<Row> = vec![
        (
            "two chunks",
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
            Ok(b"abcde"),
        ),
        (
            "trailers",
            b"1\r\na\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n",
            Ok(b"a"),
        ),
        (
            "upper-case hex",
            b"A\r\n0123456789\r\n0\r\n\r\n",
            Ok(b"0123456789"),
        ),
        ("bare LF after the size", b"3\nabc\r\n0\r\n\r\n", Err(400)),
        ("bare LF after the data", b"3\r\nabc\n0\r\n\r\n", Err(400)),
        (
            "data longer than its size",
            b"3\r\nabcd\r\n0\r\n\r\n",
            Err(400),
        ),
        ("bare LF after the last chunk", b"0\n\r\n", Err(400)),
        ("bare LF ends the trailers", b"0\r\n\n", Err(400)),
        ("size with a sign", b"+3\r\nabc\r\n0\r\n\r\n", Err(400)),
        ("size 0x", b"0x3\r\nabc\r\n0\r\n\r\n", Err(400)),
        (
            "over the cap",
            b"11\r\n0123456789abcdefg\r\n0\r\n\r\n",
            Err(413),
        ),
        // RFC 9112: blanks only before an extension's `;`; no bare CR; trailers are fields.
        (
            "a blank after the size, no extension",
            b"1 \r\na\r\n0\r\n\r\n",
            Err(400),
        ),
        (
            "a tab after the size, no extension",
            b"1\t\r\na\r\n0\r\n\r\n",
            Err(400),
        ),
        (
            "a blank before an extension",
            b"1 ;x=y\r\na\r\n0\r\n\r\n",
            Ok(b"a"),
        ),
        (
            "a bare CR in an extension",
            b"1;a=b\rc\r\na\r\n0\r\n\r\n",
            Err(400),
        ),
        (
            "a bare CR in a trailer",
            b"1\r\na\r\n0\r\nX-T: 1\r2\r\n\r\n",
            Err(400),
        ),
        (
            "a trailer that is no field line",
            b"1\r\na\r\n0\r\ngarbage\r\n\r\n",
            Err(400),
        ),
        (
            "a trailer with an empty name",
            b"1\r\na\r\n0\r\n: v\r\n\r\n",
            Err(400),
        ),
        (
            "a trailer name with a blank",
            b"1\r\na\r\n0\r\nX T: v\r\n\r\n",
            Err(400),
        ),
    ];
    for (name, raw, want) in rows {
        for step in [1, 2, 7, raw.len()] {
            let got = decode(raw, step, 16);
            match want {
                Ok(body) => {
                    let (b, used) = got.unwrap_or_else(|e| panic!("{name} (step {step}): {e}"));
                    assert_eq!(b, body, "{name} (step {step})");
                    assert_eq!(used, raw.len(), "{name} (step {step})");
                }
                Err(status) => assert_eq!(got.unwrap_err(), status, "{name} (step {step})"),
            }
        }
    }
}

#[test]
fn a_line_over_the_cap_gets_the_same_answer_however_it_is_split() {
    let long_ext = format!("1;{}\r\na\r\n0\r\n\r\n", "e".repeat(5_000));
    let long_trailer = format!("1\r\na\r\n0\r\nX-T: {}\r\n\r\n", "t".repeat(30_000));
    let at_cap = format!("1;{}\r\na\r\n0\r\n\r\n", "e".repeat(MAX_LINE - 2));
    for (name, raw, want) in [
        ("a 5,000-byte extension", long_ext.as_bytes(), Err(400)),
        ("a 30,000-byte trailer", long_trailer.as_bytes(), Err(400)),
        ("a line at the cap", at_cap.as_bytes(), Ok(b"a".to_vec())),
    ] {
        for step in [1, 1024, raw.len()] {
            let got = decode(raw, step, 64).map(|(b, _)| b);
            assert_eq!(got, want, "{name}, {step}-byte pieces");
        }
    }
}

#[test]
fn the_decoder_stops_at_the_end_of_the_body() {
    // A pipelined request behind the body is left for the next head.
    let mut d = Chunked::default();
    let mut body = Vec::new();
    let input = b"1\r\na\r\n0\r\n\r\nPOST /next";
    assert_eq!(d.feed(input, &mut body, 16), Ok((input.len() - 10, true)));
}

#[test]
fn chunk_sizes_are_hex_digits_only() {
    assert_eq!(chunk_size(b"1a"), Some(26));
    assert_eq!(chunk_size(b"1A;ext=1"), Some(26));
    assert_eq!(chunk_size(b"1a \t;ext"), Some(26));
    assert_eq!(
        chunk_size(b"1a "),
        None,
        "a blank with no extension after it"
    );
    assert_eq!(chunk_size(b"0"), Some(0));
    assert_eq!(chunk_size(b"7fffffff"), Some(0x7fff_ffff));
    for bad in [
        &b""[..],
        b";ext",
        b"+1a",
        b"-1",
        b" 1a",
        b"0x1a",
        b"1g",
        b"10000000000000000",
    ] {
        assert_eq!(chunk_size(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn reply_framing_is_ours() {
    let reply = Reply {
        status: 405,
        headers: vec![
            ("Allow", "POST".to_owned()),
            ("Content-Length", "999".to_owned()),
            ("X-Bad", "a\r\nInjected: 1".to_owned()),
        ],
        body: b"{}".to_vec(),
    };
    assert_eq!(
        encode_reply(&reply, false, Persist::Close),
        b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    );
    assert_eq!(
        encode_reply(&reply, true, Persist::KeepAlive),
        b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 2\r\n\r\n"
    );
    assert_eq!(
        encode_reply(&reply, true, Persist::KeepAlive10),
        b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"
    );
}

#[test]
fn local_replies_are_in_the_error_shape() {
    let r = local_reply(408);
    assert_eq!(r.body, br#"{"code":408,"message":"request timeout"}"#);
    assert_eq!(
        r.headers,
        vec![("Content-Type", "application/json".to_owned())]
    );
    assert_eq!(
        local_reply(431).body,
        br#"{"code":431,"message":"request header fields too large"}"#
    );
    assert_eq!(
        encode_reply(&retry_later(), false, Persist::KeepAlive),
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nContent-Length: 44\r\n\r\n{\"code\":503,\"message\":\"service unavailable\"}"
    );
}
