//! Events as one line of text or one JSON object.

use cinnox::event::{Call, Party, Payload};
use cinnox::Event;
use serde_json::{json, Value};

/// `call-start`, `call-end`, `inbound-sms`, `delivery-report` or `other`: also the value of
/// `CINNOX_EVENT_KIND` for `listen --exec`.
pub fn kind(event: &Event) -> &'static str {
    match event.payload() {
        Payload::CallStart(_) => "call-start",
        Payload::CallEnd(_) => "call-end",
        Payload::InboundSms(_) => "inbound-sms",
        Payload::OutboundSms(_) => "delivery-report",
        _ => "other",
    }
}

fn or_dash(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

fn number(p: &Option<Party>) -> &str {
    p.as_ref().and_then(|p| p.number.as_deref()).unwrap_or("-")
}

/// One human-readable line.
pub fn line(event: &Event) -> String {
    let call = |c: &Call| {
        let callees: Vec<&str> = c
            .callees
            .iter()
            .map(|p| p.number.as_deref().unwrap_or("-"))
            .collect();
        format!(
            "id={} caller={} callees={}",
            or_dash(&c.id),
            number(&c.caller),
            callees.join(",")
        )
    };
    let detail = match event.payload() {
        Payload::CallStart(c) | Payload::CallEnd(c) => call(c),
        Payload::InboundSms(s) => format!(
            "id={} from={} to={} text={:?}",
            or_dash(&s.id),
            or_dash(&s.sender_number),
            or_dash(&s.recipient_number),
            s.content.as_deref().unwrap_or("")
        ),
        Payload::OutboundSms(r) => format!(
            "transaction={} to={} status={}",
            or_dash(&r.transaction_id),
            or_dash(&r.recipient_number),
            r.status.as_ref().map_or("-", |s| s.as_str())
        ),
        Payload::Other(o) => format!("family={} id={}", or_dash(&o.family), or_dash(&o.id)),
        _ => String::new(),
    };
    format!("{:<16} {detail}", kind(event))
}

fn party(p: &Party) -> Value {
    json!({"eid": p.eid, "number": p.number})
}

/// One JSON object: kind, id, dedup key, the typed fields and the raw body (as JSON when it
/// is JSON, else as text).
pub fn json(event: &Event) -> Value {
    let fields = match event.payload() {
        Payload::CallStart(c) | Payload::CallEnd(c) => json!({
            "id": c.id,
            "service_id": c.service_id,
            "caller": c.caller.as_ref().map(party),
            "callees": c.callees.iter().map(party).collect::<Vec<_>>(),
        }),
        Payload::InboundSms(s) => json!({
            "id": s.id,
            "event_description": s.event_description.as_ref().map(|d| d.as_str()),
            "sender_number": s.sender_number,
            "recipient_number": s.recipient_number,
            "receive_time": s.receive_time,
            "content_type": s.content_type.as_ref().map(|t| t.as_str()),
            "content": s.content,
        }),
        Payload::OutboundSms(r) => json!({
            "report_type": r.report_type,
            "app_id": r.app_id,
            "service_id": r.service_id,
            "transaction_id": r.transaction_id,
            "recipient_number": r.recipient_number,
            "recipient_country": r.recipient_country,
            "response_code": r.response_code,
            "status": r.status.as_ref().map(|s| s.as_str()),
            "exception": r.exception,
        }),
        Payload::Other(o) => json!({"family": o.family, "status": o.status, "id": o.id}),
        _ => Value::Null,
    };
    let raw = serde_json::from_slice::<Value>(event.raw())
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(event.raw()).into_owned()));
    json!({
        "kind": kind(event),
        "id": event.id(),
        "dedup_key": event.dedup_key().as_str(),
        "fields": fields,
        "raw": raw,
    })
}
