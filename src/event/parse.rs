//! [`parse`]: the checks before the typed reading, the reading, and the classification of
//! what was read.

use std::sync::OnceLock;

use serde::de::{DeserializeSeed, IgnoredAny};

use super::model::{
    Call, ContentType, DeliveryReport, DeliveryStatus, Event, EventDescription, InboundSms,
    Incoming, OtherEvent, Party, Payload,
};
use super::phone::{position, Body};
use super::wire::{
    cow_string, owned, text, Callees, Loose, LooseMsg, Msg, Text, Wire, WireParty, WireSeed,
};
use super::MAX_DEPTH;
use crate::{Error, EventKind, Result};

/// Read a notification body.
///
/// One pass of the JSON parser over the body into borrowed fields, then classification (see
/// the [module documentation](super) for the rules). The [`Event`] keeps a copy of `body`.
///
/// # Errors
///
/// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest), with a message naming what was
/// wrong and the line and column: an empty body, invalid UTF-8, invalid JSON, a value that
/// is not an object, nesting deeper than [`MAX_DEPTH`], an invalid string escape in a typed
/// field, a phone number that is not an exact integer.
///
/// ```
/// use cinnox::event::{parse, Incoming, Payload};
/// let body = br#"{"type":"message","message":{"id":"c1","status":"CallEnd","serviceId":"s"}}"#;
/// let Ok(Incoming::Event(event)) = parse(body) else { panic!() };
/// assert!(matches!(event.payload(), Payload::CallEnd(c) if c.id.as_deref() == Some("c1")));
/// assert_eq!(event.dedup_key().as_str(), "call|c1|CallEnd");
/// assert_eq!(event.raw(), body);
/// ```
pub fn parse(body: &[u8]) -> Result<Incoming> {
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = position(body, e.valid_up_to());
            return Err(Error::bad_request(format!(
                "invalid UTF-8 at line {line} column {col} (byte {})",
                e.valid_up_to()
            )));
        }
    };
    match text
        .bytes()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        None => return Err(Error::bad_request("empty body: expected a JSON object")),
        Some(i) if body[i] != b'{' => {
            let (line, col) = position(body, i);
            let what = match body[i] {
                b'[' => "an array",
                b'"' => "a string",
                b'-' | b'0'..=b'9' => "a number",
                b't' | b'f' => "a boolean",
                b'n' => "null",
                _ => "not JSON",
            };
            return Err(Error::bad_request(format!(
                "expected a JSON object at line {line} column {col}, found {what}"
            )));
        }
        Some(_) => {}
    }
    check_depth(body)?;
    let b = Body { text };
    let mut wire = Wire::default();
    let mut de = serde_json::Deserializer::from_str(text);
    if let Err(typed_err) = WireSeed(&mut wire)
        .deserialize(&mut de)
        .and_then(|()| de.end())
    {
        return loose(body, &b, typed_err);
    }
    classify(body, &b, &mut wire)
}

fn json_error(e: &serde_json::Error) -> Error {
    Error::bad_request(format!("invalid JSON: {e}"))
}

/// The typed reading failed: if the body is valid JSON all the same, it is an
/// [`Payload::Other`] with what the loose reading finds; otherwise the error.
fn loose(body: &[u8], b: &Body<'_>, typed_err: serde_json::Error) -> Result<Incoming> {
    if let Err(e) = serde_json::from_str::<IgnoredAny>(b.text) {
        return Err(json_error(&e));
    }
    let recoverable = typed_err.classify() == serde_json::error::Category::Data
        || typed_err.to_string().starts_with("number out of range");
    if !recoverable {
        return Err(json_error(&typed_err));
    }
    let mut other = OtherEvent::default();
    if let Ok(l) = serde_json::from_str::<Loose<'_>>(b.text) {
        let msg = l
            .message
            .filter(|m| m.get().starts_with('{'))
            .and_then(|m| serde_json::from_str::<LooseMsg<'_>>(m.get()).ok());
        other.family = b
            .lossy(l.type_)
            .or_else(|| b.lossy(l.tdr_type))
            .or_else(|| b.lossy(l.event_description));
        other.status = msg
            .as_ref()
            .and_then(|m| b.lossy(m.status))
            .or_else(|| b.lossy(l.status))
            .or_else(|| b.lossy(l.tdr_status));
        other.id = msg
            .as_ref()
            .and_then(|m| b.lossy(m.id))
            .or_else(|| b.lossy(l.id))
            .or_else(|| b.lossy(l.transaction_id));
    }
    Ok(Incoming::Event(Event::new(
        body,
        Payload::Other(other),
        None,
    )))
}

/// Refuse nesting deeper than [`MAX_DEPTH`] anywhere in the body.
fn check_depth(body: &[u8]) -> Result<()> {
    // Fast path: not enough brackets in the whole body to get that deep. `b | 0x20` maps
    // `[` (0x5b) to `{` (0x7b) and nothing else to `{`; the sum vectorises.
    // Counted in chunks of 255 so that the counter can be a byte.
    let openers: usize = body
        .chunks(255)
        .map(|chunk| {
            let n = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from((b | 0x20) == b'{')));
            usize::from(n)
        })
        .sum();
    if openers <= MAX_DEPTH {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in body.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let (line, col) = position(body, i);
                    return Err(Error::bad_request(format!(
                        "JSON nested deeper than {MAX_DEPTH} levels at line {line} column {col}"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

impl Event {
    /// The event of `body`, with a copy of it.
    fn new(body: &[u8], payload: Payload, kind: Option<EventKind>) -> Event {
        Event {
            raw: body.into(),
            payload,
            kind,
            key: OnceLock::new(),
        }
    }
}

fn party(b: &Body<'_>, p: &mut WireParty<'_>, field: &str) -> Result<Party> {
    Ok(Party {
        eid: owned(&mut p.eid),
        number: b.number(p.number, field)?,
    })
}

fn call(b: &Body<'_>, m: &mut Msg<'_>) -> Result<Call> {
    let caller = match m.caller.as_mut() {
        Some(p) => Some(party(b, p, "caller.number")?),
        None => None,
    };
    let callees = match &mut m.callees {
        Callees::One(p) => vec![party(b, p, "callees.number")?],
        Callees::Many(ps) => ps
            .iter_mut()
            .map(|p| party(b, p, "callees[].number"))
            .collect::<Result<Vec<_>>>()?,
        Callees::Not => Vec::new(),
    };
    Ok(Call {
        id: owned(&mut m.id),
        service_id: owned(&mut m.service_id),
        caller,
        callees,
    })
}

fn classify(body: &[u8], b: &Body<'_>, w: &mut Wire<'_>) -> Result<Incoming> {
    if !w.event_fields {
        if let Some(Text::Str(c)) = w.challenge.take() {
            return Ok(Incoming::Challenge(cow_string(c)));
        }
    }

    let event = |payload: Payload, kind: Option<EventKind>| {
        Ok(Incoming::Event(Event::new(body, payload, kind)))
    };

    // Call events, in the envelope or flat.
    let in_envelope = w.message.is_some();
    let m = match w.message.as_mut() {
        Some(m) => m,
        None => &mut w.flat,
    };
    match text(&m.status) {
        Some("CallStart") => {
            return event(Payload::CallStart(call(b, m)?), Some(EventKind::Call));
        }
        Some("CallEnd") => {
            return event(Payload::CallEnd(call(b, m)?), Some(EventKind::Call));
        }
        _ => {}
    }
    let call_like = m.has_parties;
    let mut status = owned(&mut m.status);
    let mut id = owned(&mut m.id);

    if !in_envelope {
        let is_inbound = text(&w.event_description) == Some("Inbound SMS")
            || w.sender_number.is_some()
            || w.recipient_number.is_some();
        if is_inbound {
            let sms = InboundSms {
                id,
                event_description: text(&w.event_description).map(EventDescription::from_text),
                sender_number: b.number(w.sender_number, "senderNumber")?,
                recipient_number: b.number(w.recipient_number, "recipientNumber")?,
                receive_time: owned(&mut w.receive_time),
                content_type: text(&w.content_type).map(ContentType::from_text),
                content: owned(&mut w.content),
            };
            return event(Payload::InboundSms(sms), Some(EventKind::InboundSms));
        }

        let is_tdr = match text(&w.tdr_type) {
            Some(t) => t.eq_ignore_ascii_case("tdr"),
            None => w.transaction_id.is_some() || w.tdr_recipient_number.is_some(),
        };
        if is_tdr {
            let report = DeliveryReport {
                report_type: owned(&mut w.tdr_type),
                app_id: owned(&mut w.app_id),
                service_id: owned(&mut w.tdr_service_id),
                transaction_id: owned(&mut w.transaction_id),
                recipient_number: b.number(w.tdr_recipient_number, "RecipientNumber")?,
                recipient_country: owned(&mut w.recipient_country),
                response_code: b.number(w.response_code, "ResponseCode")?,
                status: text(&w.tdr_status).map(DeliveryStatus::from_text),
                exception: owned(&mut w.exception),
            };
            return event(Payload::OutboundSms(report), Some(EventKind::OutboundSms));
        }
        if status.is_none() {
            status = owned(&mut w.tdr_status);
        }
        if id.is_none() {
            id = owned(&mut w.transaction_id);
        }
    }

    // Everything else: what can be recognised of it.
    let family = owned(&mut w.type_)
        .or_else(|| owned(&mut w.tdr_type))
        .or_else(|| owned(&mut w.event_description));
    let call_like = call_like || status.as_deref().is_some_and(|s| s.starts_with("Call"));
    let kind = call_like.then_some(EventKind::Call);
    event(Payload::Other(OtherEvent { family, status, id }), kind)
}
