//! The typed reading of every notification shape, the challenge, and every refusal.

#[path = "common/event.rs"]
mod event;

use cinnox::event::{
    challenge_reply, parse, Call, ContentType, DeliveryReport, DeliveryStatus, EventDescription,
    InboundSms, Incoming, OtherEvent, Party, Payload, MAX_DEPTH,
};
use cinnox::{ErrorKind, EventKind};

/// A typed value built from its `Default` and the fields given (the event types are
/// `#[non_exhaustive]`, so no struct literal outside the crate).
macro_rules! value {
    ($t:ident { $($field:ident: $v:expr),* $(,)? }) => {{
        let mut value = $t::default();
        $(value.$field = $v;)*
        value
    }};
}

fn event(body: &[u8]) -> cinnox::Event {
    match parse(body) {
        Ok(Incoming::Event(e)) => e,
        other => panic!(
            "{}: expected an event, got {other:?}",
            String::from_utf8_lossy(body)
        ),
    }
}

fn party(eid: &str, number: &str) -> Party {
    value!(Party {
        eid: Some(eid.into()),
        number: Some(number.into()),
    })
}

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

#[test]
fn seed_notifications_are_typed() {
    let start = event(event::CALL_START);
    assert_eq!(
        start.payload(),
        &Payload::CallStart(value!(Call {
            id: s("c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01"),
            service_id: s("svc-8a9b0c1d"),
            caller: Some(party("eid-caller-0001", "+85298765432")),
            callees: vec![party("eid-callee-0002", "+85212345678")],
        }))
    );
    assert_eq!(start.kind(), Some(EventKind::Call));
    assert_eq!(start.raw(), event::CALL_START);

    let end = event(event::CALL_END);
    assert_eq!(
        end.payload(),
        &Payload::CallEnd(value!(Call {
            id: s("c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01"),
            service_id: s("svc-8a9b0c1d"),
            caller: None,
            callees: vec![],
        }))
    );

    let sms = event(event::INBOUND_SMS);
    assert_eq!(
        sms.payload(),
        &Payload::InboundSms(value!(InboundSms {
            id: s("sms-5e6f7a8b-1234"),
            event_description: Some(EventDescription::InboundSms),
            sender_number: s("85298765432"),
            recipient_number: s("85212345678"),
            receive_time: s("2022-11-07T00:00:00.000Z"),
            content_type: Some(ContentType::Text),
            content: s("Hello from a customer"),
        }))
    );
    assert_eq!(sms.kind(), Some(EventKind::InboundSms));

    let tdr = event(event::DELIVERY_REPORT);
    assert_eq!(
        tdr.payload(),
        &Payload::OutboundSms(value!(DeliveryReport {
            report_type: s("tdr"),
            app_id: s("app-0123456789"),
            service_id: s("svc-8a9b0c1d"),
            transaction_id: s("tx-9f8e7d6c-5b4a"),
            recipient_number: s("85298765432"),
            recipient_country: s("HK"),
            response_code: s(""),
            status: Some(DeliveryStatus::Delivered),
            exception: s(""),
        }))
    );
    assert_eq!(tdr.kind(), Some(EventKind::OutboundSms));
}

#[test]
fn call_shapes_with_and_without_envelope_and_both_callee_forms() {
    // (body, expected callees, expected caller number)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>);
    let cases: &[Case] = &[
        // envelope, one callee object, string numbers
        (
            r#"{"type":"message","message":{"id":"c1","status":"CallStart","serviceId":"s","caller":{"eid":"a","number":"+85298765432"},"callees":{"eid":"b","number":"0085212345678"}}}"#,
            &[("b", "0085212345678")],
            Some("+85298765432"),
        ),
        // no envelope
        (
            r#"{"id":"c1","status":"CallStart","serviceId":"s","caller":{"eid":"a","number":"+85298765432"},"callees":{"eid":"b","number":"0085212345678"}}"#,
            &[("b", "0085212345678")],
            Some("+85298765432"),
        ),
        // envelope without "type"
        (
            r#"{"message":{"id":"c1","status":"CallStart","serviceId":"s","caller":{"eid":"a","number":85298765432},"callees":[{"eid":"b","number":85212345678},{"eid":"c","number":"+1 555 0100"}]}}"#,
            &[("b", "85212345678"), ("c", "+1 555 0100")],
            Some("85298765432"),
        ),
        // number with exponent, array with a non-object element skipped
        (
            r#"{"type":"message","message":{"id":"c1","status":"CallStart","serviceId":"s","caller":{"eid":"a","number":8.5298765432e10},"callees":[null,{"eid":"b","number":852.12345678E8},"x"]}}"#,
            &[("b", "85212345678")],
            Some("85298765432"),
        ),
        // extra fields everywhere, whitespace, challenge beside message
        (
            "{\n  \"type\": \"message\", \"challenge\": \"zzz\", \"extra\": {\"deep\": [1, 2, {\"x\": null}]},\n  \"message\": {\"id\": \"c1\", \"status\": \"CallStart\", \"serviceId\": \"s\", \"new\": true,\n    \"caller\": {\"eid\": \"a\", \"number\": \"+85298765432\", \"name\": \"A\"}, \"callees\": {\"eid\": \"b\", \"number\": \"0085212345678\"}}\n}\n",
            &[("b", "0085212345678")],
            Some("+85298765432"),
        ),
    ];
    for (body, callees, caller) in cases {
        let e = event(body.as_bytes());
        let Payload::CallStart(call) = e.payload() else {
            panic!("{body}: {:?}", e.payload())
        };
        assert_eq!(call.id.as_deref(), Some("c1"), "{body}");
        assert_eq!(call.service_id.as_deref(), Some("s"), "{body}");
        assert_eq!(
            call.caller.as_ref().and_then(|p| p.number.as_deref()),
            *caller,
            "{body}"
        );
        let got: Vec<(&str, &str)> = call
            .callees
            .iter()
            .map(|p| {
                (
                    p.eid.as_deref().unwrap_or(""),
                    p.number.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(&got, callees, "{body}");
        assert_eq!(e.dedup_key().as_str(), "call|c1|CallStart", "{body}");
        assert_eq!(e.raw(), body.as_bytes());
    }
}

#[test]
fn phone_numbers_keep_their_text() {
    let cases: &[(&str, &str)] = &[
        (r#""+85298765432""#, "+85298765432"),
        (r#""085298765432""#, "085298765432"),
        (r#""00852 9876 5432""#, "00852 9876 5432"),
        ("85298765432", "85298765432"),
        ("8.5298765432e10", "85298765432"),
        ("85298765432.000", "85298765432"),
        ("852987654320E-1", "85298765432"),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
        ),
        (r#""\u002b852""#, "+852"),
    ];
    for (json, want) in cases {
        let sms = format!(r#"{{"id":"i","senderNumber":{json},"recipientNumber":{json}}}"#);
        let Payload::InboundSms(m) = event(sms.as_bytes()).payload().clone() else {
            panic!("{sms}")
        };
        assert_eq!(m.sender_number.as_deref(), Some(*want), "{sms}");
        assert_eq!(m.recipient_number.as_deref(), Some(*want), "{sms}");

        let tdr = format!(r#"{{"Type":"tdr","RecipientNumber":{json},"ResponseCode":{json}}}"#);
        let Payload::OutboundSms(r) = event(tdr.as_bytes()).payload().clone() else {
            panic!("{tdr}")
        };
        assert_eq!(r.recipient_number.as_deref(), Some(*want), "{tdr}");
        assert_eq!(r.response_code.as_deref(), Some(*want), "{tdr}");
    }
}

#[test]
fn phone_numbers_that_would_lose_digits_are_refused() {
    for json in ["1.5", "8.52987654325e10", "1e-3", "1e100", "-0.1"] {
        for body in [
            format!(r#"{{"senderNumber":{json}}}"#),
            format!(r#"{{"Type":"tdr","ResponseCode":{json}}}"#),
            format!(r#"{{"message":{{"status":"CallStart","callees":[{{"number":{json}}}]}}}}"#),
        ] {
            let err = parse(body.as_bytes()).expect_err(&body);
            assert_eq!(err.kind(), ErrorKind::BadRequest, "{body}");
            assert!(err.message().contains("line 1 column"), "{}", err.message());
            assert!(err.message().contains(json), "{}", err.message());
        }
    }
}

#[test]
fn unknown_statuses_and_families_are_kept_as_other() {
    let cases: &[(&str, OtherEvent, Option<EventKind>, &str)] = &[
        (
            r#"{"type":"message","message":{"id":"c9","status":"CallRinging","serviceId":"s"}}"#,
            value!(OtherEvent {
                family: s("message"),
                status: s("CallRinging"),
                id: s("c9"),
            }),
            Some(EventKind::Call),
            "other:message|c9|CallRinging",
        ),
        (
            r#"{"id":"c9","status":"Transferred","caller":{"eid":"a","number":"1"}}"#,
            value!(OtherEvent {
                family: None,
                status: s("Transferred"),
                id: s("c9"),
            }),
            Some(EventKind::Call),
            "other:|c9|Transferred",
        ),
        (
            r#"{"type":"message","challenge":"","message":{"id":"r1","status":"RecordingReady","url":"https://x"}}"#,
            value!(OtherEvent {
                family: s("message"),
                status: s("RecordingReady"),
                id: s("r1"),
            }),
            None,
            "other:message|r1|RecordingReady",
        ),
        (
            r#"{"type":"contact","action":"update","contactId":"k"}"#,
            value!(OtherEvent {
                family: s("contact"),
                status: None,
                id: None,
            }),
            None,
            "",
        ),
        (
            r#"{"Type":"mdr","TransactionID":"t1","Status":"Read"}"#,
            value!(OtherEvent {
                family: s("mdr"),
                status: s("Read"),
                id: s("t1"),
            }),
            None,
            "other:mdr|t1|Read",
        ),
        (
            r#"{"eventDescription":"Outbound MMS","id":"m1"}"#,
            value!(OtherEvent {
                family: s("Outbound MMS"),
                status: None,
                id: s("m1"),
            }),
            None,
            "other:Outbound MMS|m1|",
        ),
        ("{}", OtherEvent::default(), None, ""),
        (
            r#"{"foo":[1,2,3],"bar":{"baz":"qux"}}"#,
            OtherEvent::default(),
            None,
            "",
        ),
        // challenge that is not a string is not a challenge
        (r#"{"challenge":12}"#, OtherEvent::default(), None, ""),
        // message that is not an object
        (
            r#"{"type":"note","message":"hello","id":"n1"}"#,
            value!(OtherEvent {
                family: s("note"),
                status: None,
                id: s("n1"),
            }),
            None,
            "other:note|n1|",
        ),
        // a repeated field keeps its last value, as in serde_json::Value
        (
            r#"{"type":"message","message":{"id":"d1","status":"CallStart"},"message":{"id":"d2"}}"#,
            value!(OtherEvent {
                family: s("message"),
                status: None,
                id: s("d2"),
            }),
            None,
            "other:message|d2|",
        ),
        // a number beyond f64 where an object was expected: valid JSON, read loosely
        (
            r#"{"type":"x","message":1e400,"id":"big"}"#,
            value!(OtherEvent {
                family: s("x"),
                status: None,
                id: s("big"),
            }),
            None,
            "other:x|big|",
        ),
    ];
    for (body, other, kind, key) in cases {
        let e = event(body.as_bytes());
        assert_eq!(e.payload(), &Payload::Other(other.clone()), "{body}");
        assert_eq!(e.kind(), *kind, "{body}");
        assert_eq!(e.raw(), body.as_bytes());
        if key.is_empty() {
            // No id: the key carries a hash of the raw body, stable for the same bytes.
            let k = e.dedup_key();
            assert!(k.as_str().contains("|#"), "{k}");
            assert_eq!(k, event(body.as_bytes()).dedup_key());
        } else {
            assert_eq!(e.dedup_key().as_str(), *key, "{body}");
        }
    }
    // Different bodies without ids have different keys.
    assert_ne!(event(b"{}").dedup_key(), event(b"{ }").dedup_key());
}

#[test]
fn status_like_fields_keep_unknown_text() {
    let e = event(
        br#"{"id":"i","eventDescription":"Inbound SMS","senderNumber":"1","contentType":"Binary","content":"a\u0000b"}"#,
    );
    let Payload::InboundSms(m) = e.payload() else {
        panic!()
    };
    assert_eq!(m.content_type, Some(ContentType::Other("Binary".into())));
    assert_eq!(m.content.as_deref(), Some("a\0b"));

    let e = event(br#"{"senderNumber":"1","eventDescription":"Inbound SMS v2"}"#);
    let Payload::InboundSms(m) = e.payload() else {
        panic!()
    };
    assert_eq!(
        m.event_description,
        Some(EventDescription::Other("Inbound SMS v2".into()))
    );

    for (status, want) in [
        ("Queued", DeliveryStatus::Queued),
        ("Submitted", DeliveryStatus::Submitted),
        ("Delivered", DeliveryStatus::Delivered),
        ("Undelivered", DeliveryStatus::Undelivered),
        ("Rejected", DeliveryStatus::Rejected),
        ("Expired", DeliveryStatus::Other("Expired".into())),
        ("delivered", DeliveryStatus::Other("delivered".into())),
    ] {
        let body = format!(
            r#"{{"Type":"tdr","TransactionID":"t","Status":"{status}","ResponseCode":400}}"#
        );
        let e = event(body.as_bytes());
        let Payload::OutboundSms(r) = e.payload() else {
            panic!("{body}")
        };
        assert_eq!(r.status.as_ref(), Some(&want));
        assert_eq!(want.as_str(), status);
        assert_eq!(r.response_code.as_deref(), Some("400"));
        assert_eq!(e.dedup_key().as_str(), format!("outbound-sms|t|{status}"));
    }
}

#[test]
fn dedup_keys_name_family_id_and_status() {
    assert_eq!(
        event(event::CALL_START).dedup_key().as_str(),
        "call|c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01|CallStart"
    );
    assert_eq!(
        event(event::CALL_END).dedup_key().as_str(),
        "call|c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01|CallEnd"
    );
    assert_eq!(
        event(event::INBOUND_SMS).dedup_key().as_str(),
        "inbound-sms|sms-5e6f7a8b-1234|Inbound SMS"
    );
    assert_eq!(
        event(event::DELIVERY_REPORT).dedup_key().as_str(),
        "outbound-sms|tx-9f8e7d6c-5b4a|Delivered"
    );
    // A separator inside a component cannot forge another key.
    let a = event(br#"{"Type":"tdr","TransactionID":"a|b","Status":"c"}"#);
    let b = event(br#"{"Type":"tdr","TransactionID":"a","Status":"b|c"}"#);
    assert_ne!(a.dedup_key(), b.dedup_key());
    assert_eq!(a.dedup_key().as_str(), r"outbound-sms|a\|b|c");
    // The same event with other whitespace or field order has the same key.
    let c = event(br#"{ "Status" : "c", "TransactionID" : "a|b", "Type" : "tdr" }"#);
    assert_eq!(a.dedup_key(), c.dedup_key());
}

#[test]
fn challenges_are_recognised_and_echoed_exactly() {
    let odd = [
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "",
        "quote\"and\\backslash",
        "ctl\u{0}\u{1}\u{8}\u{c}\n\r\t\u{1f}\u{7f}end",
        "emoji 😀 and 中文 and é",
        "</script><script>alert(1)</script>",
        "\u{2028}\u{2029}",
        "/slash/",
    ];
    for c in odd {
        let body = serde_json::to_vec(&serde_json::json!({ "challenge": c })).unwrap();
        match parse(&body).unwrap() {
            Incoming::Challenge(got) => assert_eq!(got, c),
            other => panic!("{other:?}"),
        }
        let reply = challenge_reply(c);
        let v: serde_json::Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code": 0, "result": {"challenge": c}})
        );
        // Byte-exact: the same as serde_json's own minimal escaping.
        let mut want = br#"{"code":0,"result":{"challenge":"#.to_vec();
        want.extend(serde_json::to_vec(c).unwrap());
        want.extend(b"}}");
        assert_eq!(reply, want, "{c:?}");
    }
    assert_eq!(
        challenge_reply("a\"b\\c\u{1}\n😀"),
        "{\"code\":0,\"result\":{\"challenge\":\"a\\\"b\\\\c\\u0001\\n😀\"}}".as_bytes()
    );
    // Escaped on the wire, decoded for the application.
    match parse(br#"{"challenge":"\u0041\"\\\ud83d\ude00"}"#).unwrap() {
        Incoming::Challenge(got) => assert_eq!(got, "A\"\\😀"),
        other => panic!("{other:?}"),
    }
    // Unknown extra fields do not make an event.
    assert!(matches!(
        parse(br#"{"challenge":"x","token":"y","ts":1}"#).unwrap(),
        Incoming::Challenge(c) if c == "x"
    ));
    // A known event field does.
    for body in [
        r#"{"challenge":"x","type":"message"}"#,
        r#"{"challenge":"x","message":{"id":"1","status":"CallEnd"}}"#,
        r#"{"challenge":"x","id":"1"}"#,
        r#"{"challenge":"x","Status":"Delivered"}"#,
    ] {
        assert!(
            matches!(parse(body.as_bytes()).unwrap(), Incoming::Event(_)),
            "{body}"
        );
    }
}

fn bad(body: &[u8]) -> String {
    let err = parse(body).expect_err(&String::from_utf8_lossy(body));
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    err.message().to_owned()
}

#[test]
fn unreadable_bodies_are_bad_requests_naming_what_and_where() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "empty body"),
        (b"  \n ", "empty body"),
        (
            b"[1,2]",
            "expected a JSON object at line 1 column 1, found an array",
        ),
        (b"  \"x\"", "found a string"),
        (b"42", "found a number"),
        (b"null", "found null"),
        (b"true", "found a boolean"),
        (b"<html>", "found not JSON"),
        (
            b"{\"id\":\"a\"",
            "invalid JSON: EOF while parsing an object at line 1 column 9",
        ),
        (
            b"{\"id\":}",
            "invalid JSON: expected value at line 1 column 7",
        ),
        (
            b"{\"id\":\"a\"} x",
            "trailing characters at line 1 column 12",
        ),
        (
            b"{\"id\":\"a\",}",
            "key must be a string at line 1 column 11",
        ),
        (
            b"{\n\"id\":\"\xff\"}",
            "invalid UTF-8 at line 2 column 7 (byte 8)",
        ),
        (b"{\"x\":\"\xc3\"}", "invalid UTF-8 at line 1 column 7"),
        (
            b"{\"id\":\"\\ud800\"}",
            "invalid JSON: unexpected end of hex escape at line 1 column 14",
        ),
        (
            b"{\"senderNumber\":\"\\ud800x\"}",
            "field `senderNumber` at line 1 column 17: invalid string: unexpected end of hex escape",
        ),
        (b"{\"content\":\"a\\qb\"}", "invalid escape"),
        (b"{\"id\":\"a\nb\"}", "control character"),
    ];
    for (body, want) in cases {
        let msg = bad(body);
        assert!(
            msg.contains(want),
            "{:?}: {msg}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn nesting_is_bounded_everywhere() {
    let nest = |levels: usize| {
        // The top-level object is level 1; `levels - 1` arrays inside an ignored field.
        let mut b = String::from(r#"{"ignored":"#);
        b.push_str(&"[".repeat(levels - 1));
        b.push_str(&"]".repeat(levels - 1));
        b.push_str(r#","id":"x"}"#);
        b
    };
    assert!(matches!(
        parse(nest(MAX_DEPTH).as_bytes()),
        Ok(Incoming::Event(_))
    ));
    let msg = bad(nest(MAX_DEPTH + 1).as_bytes());
    assert_eq!(
        msg,
        format!(
            "JSON nested deeper than {MAX_DEPTH} levels at line 1 column {}",
            11 + MAX_DEPTH
        )
    );
    // Deep inside a typed field, and far deeper than the JSON parser's own limit.
    let deep = format!(r#"{{"message":{{"caller":{}}}}}"#, "[".repeat(100_000));
    assert!(bad(deep.as_bytes()).contains("nested deeper than"));
    // Brackets inside strings do not count.
    let in_string = format!(
        r#"{{"id":"{}","x":"\"{}"}}"#,
        "[".repeat(200),
        "{".repeat(200)
    );
    assert!(matches!(
        parse(in_string.as_bytes()),
        Ok(Incoming::Event(_))
    ));
}

#[test]
fn numbers_in_text_fields_are_kept_as_text() {
    let e = event(br#"{"Type":"tdr","TransactionID":12345678901234567890,"AppID":-7,"ServiceID":1.50,"Status":"Delivered","Exception":true}"#);
    let Payload::OutboundSms(r) = e.payload() else {
        panic!()
    };
    assert_eq!(r.transaction_id.as_deref(), Some("12345678901234567890"));
    assert_eq!(r.app_id.as_deref(), Some("-7"));
    assert_eq!(r.service_id.as_deref(), Some("1.5"));
    // Not text: absent from the typed view, present in the raw body.
    assert_eq!(r.exception, None);
    assert_eq!(e.id(), Some("12345678901234567890"));
    assert_eq!(e.status(), Some("Delivered"));
    // null is absent.
    let e = event(
        br#"{"type":"message","message":{"id":null,"status":"CallEnd","serviceId":{"x":1}}}"#,
    );
    assert_eq!(e.payload(), &Payload::CallEnd(Call::default()));
    assert_eq!(e.id(), None);
}

#[test]
fn hashed_dedup_keys_agree_with_the_text_keys() {
    use std::hash::{DefaultHasher, Hasher};
    let bodies: &[&[u8]] = &[
        event::CALL_START,
        event::CALL_END,
        event::INBOUND_SMS,
        event::DELIVERY_REPORT,
        br#"{"Type":"tdr","TransactionID":"a|b","Status":"c"}"#,
        br#"{"Type":"tdr","TransactionID":"a","Status":"b|c"}"#,
        br#"{"Status":"c","TransactionID":"a|b","Type":"tdr"}"#,
        br#"{"type":"x"}"#,
        br#"{"type":"x" }"#,
        br#"{"type":"message","message":{"id":"c9","status":"CallRinging"}}"#,
        br#"{"type":"message","message":{"id":"c9","status":"CallRinging"},"extra":1}"#,
        br#"{"type":"message","message":{"status":"CallEnd"}}"#,
        br#"{"id":"1","senderNumber":"2"}"#,
        br#"{"id":"1","senderNumber":"2","eventDescription":"Inbound SMS"}"#,
    ];
    let events: Vec<_> = bodies.iter().map(|b| event(b)).collect();
    let hash = |e: &cinnox::Event| {
        let mut h = DefaultHasher::new();
        e.hash_dedup_key(&mut h);
        h.finish()
    };
    for a in &events {
        for b in &events {
            assert_eq!(
                a.dedup_key() == b.dedup_key(),
                hash(a) == hash(b),
                "{} vs {}",
                a.dedup_key(),
                b.dedup_key()
            );
        }
    }
}

#[test]
fn debug_shows_the_typed_view_and_the_raw_text() {
    let text = format!("{:?}", event(event::CALL_END));
    assert!(
        text.starts_with("Event { payload: CallEnd(Call { id: Some(\"c0a8012e"),
        "{text}"
    );
    assert!(text.contains(r#"raw: "{\"type\":\"message\""#), "{text}");
}
