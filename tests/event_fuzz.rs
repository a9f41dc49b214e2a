//! Fuzz-style: arbitrary bytes, mutated valid bodies and random JSON into `parse` and
//! `Webhook::handle` never panic, and what comes out is consistent.

#[path = "common/event.rs"]
mod event;

use cinnox::event::{parse, Incoming};
use cinnox::{ErrorKind, Outcome, Request, Verdict, Webhook, WebhookConfig};
use event::Rng;

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"null",
    b"true",
    b"1e400",
    b"-0",
    b"1.5",
    b"8.5e10",
    b"\"message\"",
    b"\"callees\"",
    b"\"challenge\"",
    b"\"status\"",
    b"\"CallStart\"",
    b"\"number\"",
    b"\"Type\"",
    b"\"tdr\"",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\n",
    b"\"senderNumber\"",
    b"\"RecipientNumber\"",
    b"\"ResponseCode\"",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] = rng.next() as u8;
            }
            1 if !b.is_empty() => {
                let end = (at + rng.below(8)).min(b.len());
                b.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(at..at, t.iter().copied());
            }
            3 => b.truncate(at),
            _ => {
                // Duplicate a slice of itself somewhere else.
                let from = rng.below(b.len() + 1);
                let end = (from + rng.below(32)).min(b.len());
                let piece = b[from..end].to_vec();
                b.splice(at..at, piece);
            }
        }
    }
    b
}

fn random_json(rng: &mut Rng, depth: usize, out: &mut String) {
    let keys = [
        "type",
        "message",
        "id",
        "status",
        "serviceId",
        "caller",
        "callees",
        "eid",
        "number",
        "challenge",
        "eventDescription",
        "senderNumber",
        "Type",
        "Status",
        "TransactionID",
        "ResponseCode",
        "x",
    ];
    match if depth > 6 {
        rng.below(5)
    } else {
        rng.below(8)
    } {
        0 => out.push_str("null"),
        1 => out.push_str(if rng.below(2) == 0 { "true" } else { "false" }),
        2 => out.push_str(&format!("{}", rng.next() as i64)),
        3 => out.push_str(&format!(
            "{}.{}e{}",
            rng.below(1000),
            rng.below(1000),
            rng.below(40) as i64 - 20
        )),
        4 => {
            let v = [
                "CallStart",
                "CallEnd",
                "Inbound SMS",
                "tdr",
                "Delivered",
                "+852",
                "a\\\"b",
                "\\u00e9",
            ];
            out.push('"');
            out.push_str(v[rng.below(v.len())]);
            out.push('"');
        }
        5 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                random_json(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(keys[rng.below(keys.len())]);
                out.push_str("\":");
                random_json(rng, depth + 1, out);
            }
            out.push('}');
        }
    }
}

fn check(wh: &Webhook, body: &[u8]) {
    match parse(body) {
        Ok(Incoming::Event(e)) => {
            assert_eq!(e.raw(), body);
            let k = e.dedup_key();
            assert_eq!(&k, e.dedup_key_ref());
            let _ = e.kind();
        }
        Ok(Incoming::Challenge(c)) => {
            let v: serde_json::Value =
                serde_json::from_slice(&cinnox::challenge_reply(&c)).unwrap();
            assert_eq!(v["result"]["challenge"], serde_json::Value::String(c));
        }
        Ok(other) => panic!("neither an event nor a challenge: {other:?}"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::BadRequest),
    }
    // Whatever serde_json accepts as an object, parse accepts too (unless a phone number
    // is inexact, a typed string has a bad escape, or it nests too deep).
    if let Ok(serde_json::Value::Object(_)) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Err(e) = parse(body) {
            let m = e.message();
            assert!(
                m.contains("is not an exact integer")
                    || m.contains("invalid string")
                    || m.contains("nested deeper"),
                "{}: {m}",
                String::from_utf8_lossy(body)
            );
        }
    }
    let req = Request {
        method: "POST",
        path: "/hook",
        headers: &[("Content-Type", "application/json")],
        peer: None,
        body,
    };
    match wh.handle(&req) {
        Outcome::Respond(r) => {
            assert!(matches!(r.status, 200 | 400 | 413), "{}", r.status);
            assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
        }
        Outcome::Deliver(e) => {
            let verdict = if body.len() % 2 == 0 {
                Verdict::Handled
            } else {
                Verdict::Failed
            };
            let r = wh.finish(&e, verdict);
            assert_eq!(
                r.status,
                if verdict == Verdict::Handled {
                    200
                } else {
                    500
                }
            );
        }
        other => panic!("an outcome this test does not know: {other:?}"),
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let wh = Webhook::new(
        WebhookConfig::builder("/hook")
            .max_body(4096)
            .build()
            .unwrap(),
    );
    let mut rng = Rng::new(0x5eed_0001);
    for _ in 0..20_000 {
        let len = rng.below(64);
        let body: Vec<u8> = (0..len)
            .map(|_| {
                // Mostly JSON-ish bytes, some anything.
                let set = b"{}[]\":,0123456789-+.eE \\untrfalsc";
                if rng.below(4) == 0 {
                    rng.next() as u8
                } else {
                    set[rng.below(set.len())]
                }
            })
            .collect();
        check(&wh, &body);
    }
}

#[test]
fn mutated_valid_bodies_never_panic() {
    let wh = Webhook::new(
        WebhookConfig::builder("/hook")
            .dedup_capacity(100)
            .build()
            .unwrap(),
    );
    let mut rng = Rng::new(0x5eed_0002);
    let challenge = br#"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#;
    let array_callees = br#"{"message":{"id":"c","status":"CallStart","caller":{"number":85298765432},"callees":[{"eid":"a","number":"+1"},{"number":8.5e10}]}}"#;
    let bases: Vec<&[u8]> = event::SEEDS
        .iter()
        .map(|(_, b)| *b)
        .chain([&challenge[..], &array_callees[..]])
        .collect();
    let mut accepted = 0;
    for i in 0..30_000 {
        let body = mutate(&mut rng, bases[i % bases.len()]);
        if parse(&body).is_ok() {
            accepted += 1;
        }
        check(&wh, &body);
    }
    // The mutations are not all fatal: the test exercises the typed paths too.
    assert!(accepted > 3_000, "{accepted}");
}

#[test]
fn random_json_objects_are_events_or_challenges() {
    let wh = Webhook::new(WebhookConfig::new("/hook").unwrap());
    let mut rng = Rng::new(0x5eed_0003);
    let mut refused = 0;
    for _ in 0..20_000 {
        let mut s = String::from("{");
        for i in 0..rng.below(6) {
            if i > 0 {
                s.push(',');
            }
            let keys = [
                "message",
                "type",
                "status",
                "id",
                "callees",
                "caller",
                "challenge",
                "senderNumber",
                "Type",
                "Status",
                "ResponseCode",
            ];
            s.push('"');
            s.push_str(keys[rng.below(keys.len())]);
            s.push_str("\":");
            random_json(&mut rng, 1, &mut s);
        }
        s.push('}');
        match parse(s.as_bytes()) {
            Ok(_) => {}
            Err(e) => {
                // Only the documented refusals of valid JSON: inexact phone numbers.
                assert!(e.message().contains("is not an exact integer"), "{s}: {e}");
                refused += 1;
            }
        }
        check(&wh, s.as_bytes());
    }
    assert!(refused < 20_000 / 2, "{refused}");
}
