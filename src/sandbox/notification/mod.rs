//! The notifications the sandbox can deliver: builders for the four seed notifications, a
//! raw-JSON form for everything else, and the wire variants the spec says may occur.

mod call;
mod report;
mod sms;

pub use call::{CallNotification, CallParty};
pub use report::DeliveryReportNotification;
pub use sms::InboundSmsNotification;

use crate::{Error, EventKind, Result};

/// The service ID the builders put in their notifications unless told otherwise.
pub const DEFAULT_SERVICE_ID: &str = "sandbox-service";
/// The App ID a delivery report carries unless told otherwise.
pub const DEFAULT_APP_ID: &str = "sandbox-app";

/// Which of the shapes the spec allows a built notification takes on the wire. The default
/// is the documented shape; each flag switches to a variant that may also occur (spec,
/// section 2, "What is not pinned down").
///
/// ```
/// # use cinnox::sandbox::{CallNotification, WireVariant};
/// let n = CallNotification::start()
///     .id("c-1")
///     .wire(WireVariant { numbers_as_json_numbers: true, ..WireVariant::default() })
///     .build();
/// let body = std::str::from_utf8(n.body()).unwrap();
/// assert!(body.contains(r#""number":85298765432"#));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct WireVariant {
    /// Phone numbers as JSON numbers (`85298765432`) instead of strings (`"+85298765432"`).
    /// A leading `+` is dropped; a number that would lose digits as a JSON number (a leading
    /// `0`, more than 19 digits, anything but digits) stays a string.
    pub numbers_as_json_numbers: bool,
    /// `callees` as an array of objects even when there is one callee. (With more than one
    /// callee it is always an array.)
    pub callees_as_array: bool,
    /// Call events as the bare `{"id":…,"status":…}` object, without the
    /// `{"type":"message","message":{…}}` envelope.
    pub without_envelope: bool,
}

impl WireVariant {
    /// Every variant at once: numbers as numbers, callees as an array, no envelope.
    pub fn all() -> WireVariant {
        WireVariant {
            numbers_as_json_numbers: true,
            callees_as_array: true,
            without_envelope: true,
        }
    }
}

/// A notification ready to be delivered: the family it belongs to and the exact body.
///
/// Made by the builders ([`CallNotification`], [`InboundSmsNotification`],
/// [`DeliveryReportNotification`]) or from any JSON with [`Notification::json`].
#[derive(Clone, PartialEq, Eq)]
pub struct Notification {
    kind: EventKind,
    body: Vec<u8>,
}

impl std::fmt::Debug for Notification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notification")
            .field("kind", &self.kind)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl Notification {
    /// Any JSON text, for a family of `kind`: other families, odd shapes, unknown statuses.
    /// `ErrorKind::InvalidArgument` when `json` is not JSON.
    ///
    /// ```
    /// # use cinnox::{EventKind, sandbox::Notification};
    /// let n = Notification::json(EventKind::Label, r#"{"type":"message","message":{}}"#)?;
    /// assert_eq!(n.kind(), &EventKind::Label);
    /// assert!(Notification::json(EventKind::Label, "{not json").is_err());
    /// # Ok::<(), cinnox::Error>(())
    /// ```
    pub fn json(kind: EventKind, json: &str) -> Result<Notification> {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
            return Err(Error::invalid_argument(format!(
                "the notification body is not JSON: {e}"
            )));
        }
        Ok(Notification {
            kind,
            body: json.as_bytes().to_vec(),
        })
    }

    /// Any bytes at all, sent as they are (to see how a receiver copes with a body that is
    /// not JSON, not UTF-8, or empty).
    pub fn raw(kind: EventKind, body: impl Into<Vec<u8>>) -> Notification {
        Notification {
            kind,
            body: body.into(),
        }
    }

    /// The family: the notification goes to the URLs subscribed to it.
    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// The exact body that is POSTed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// A JSON value whose object members keep the order they were written in (the field order
/// of the documentation), unlike `serde_json::Map` without `preserve_order`.
enum J {
    Str(String),
    Num(u64),
    Obj(Vec<(&'static str, J)>),
    Arr(Vec<J>),
}

impl J {
    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
    fn write(&self, out: &mut String) {
        match self {
            J::Str(s) => out.push_str(&serde_json::Value::from(s.as_str()).to_string()),
            J::Num(n) => out.push_str(&n.to_string()),
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    J::Str((*k).to_owned()).write(out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
        }
    }
}

fn opt_str(fields: &mut Vec<(&'static str, J)>, key: &'static str, v: &Option<String>) {
    if let Some(v) = v {
        fields.push((key, J::Str(v.clone())));
    }
}

fn opt_phone(
    fields: &mut Vec<(&'static str, J)>,
    key: &'static str,
    v: &Option<String>,
    num: bool,
) {
    if let Some(v) = v {
        fields.push((key, phone(v, num)));
    }
}

fn party(p: &CallParty, nums: bool) -> J {
    let mut f = Vec::new();
    opt_str(&mut f, "eid", &p.eid);
    opt_phone(&mut f, "number", &p.number, nums);
    J::Obj(f)
}

/// A phone number as a JSON string, or as a JSON number when asked and lossless.
fn phone(text: &str, as_number: bool) -> J {
    if as_number {
        let digits = text.strip_prefix('+').unwrap_or(text);
        let lossless = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if lossless {
            if let Ok(n) = digits.parse::<u64>() {
                return J::Num(n);
            }
        }
    }
    J::Str(text.to_owned())
}

/// A random version-4 UUID in its usual text form.
pub(crate) fn random_uuid() -> String {
    let mut b = crate::random::bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: &Notification) -> String {
        String::from_utf8(n.body().to_vec()).unwrap()
    }

    #[test]
    fn call_start_documented_shape() {
        let n = CallNotification::start().id("c1").build();
        assert_eq!(n.kind(), &EventKind::Call);
        assert_eq!(
            text(&n),
            r#"{"type":"message","message":{"id":"c1","status":"CallStart","serviceId":"sandbox-service","caller":{"eid":"staff-eid-1001","number":"+85298765432"},"callees":{"eid":"staff-eid-1002","number":"+85223456789"}}}"#
        );
    }

    #[test]
    fn callee_number_sets_the_first_callee_or_adds_one() {
        let n = CallNotification::start().callee_number("+85211112222");
        assert_eq!(n.callees[0].number.as_deref(), Some("+85211112222"));
        assert!(n.callees[0].eid.is_some(), "the first callee keeps its EID");
        let mut bare = CallNotification::start();
        bare.callees.clear();
        let bare = bare.callee_number("0123");
        assert_eq!(
            bare.callees,
            vec![CallParty {
                eid: None,
                number: Some("0123".into())
            }]
        );
    }

    #[test]
    fn call_end_of_start_and_every_wire_variant() {
        let start = CallNotification::start().id("c1").wire(WireVariant::all());
        assert_eq!(
            text(&start.build()),
            r#"{"id":"c1","status":"CallStart","serviceId":"sandbox-service","caller":{"eid":"staff-eid-1001","number":85298765432},"callees":[{"eid":"staff-eid-1002","number":85223456789}]}"#
        );
        assert_eq!(
            text(&CallNotification::end_of(&start).build()),
            r#"{"id":"c1","status":"CallEnd","serviceId":"sandbox-service"}"#
        );
    }

    #[test]
    fn numbers_that_would_lose_digits_stay_strings() {
        let n = CallNotification::start()
            .id("c")
            .caller("e", "0123")
            .callee("f", "+85 2")
            .add_callee("g", "123456789012345678901")
            .wire(WireVariant {
                numbers_as_json_numbers: true,
                ..WireVariant::default()
            })
            .build();
        let t = text(&n);
        assert!(t.contains(r#""caller":{"eid":"e","number":"0123"}"#), "{t}");
        assert!(
            t.contains(
                r#"[{"eid":"f","number":"+85 2"},{"eid":"g","number":"123456789012345678901"}]"#
            ),
            "{t}"
        );
    }

    #[test]
    fn fields_can_be_left_out_and_escaped() {
        let mut b = InboundSmsNotification::new()
            .id("s1")
            .content("a \"quote\"\n\u{0}")
            .receive_time("2022-11-07T00:00:00.000Z");
        b.event_description = None;
        b.content_type = None;
        assert_eq!(
            text(&b.build()),
            r#"{"id":"s1","senderNumber":"85298765432","recipientNumber":"85223456789","receiveTime":"2022-11-07T00:00:00.000Z","content":"a \"quote\"\n\u0000"}"#
        );
    }

    #[test]
    fn delivery_report_documented_shape() {
        let n = DeliveryReportNotification::new()
            .transaction_id("t1")
            .wire(WireVariant::all())
            .build();
        assert_eq!(n.kind(), &EventKind::OutboundSms);
        assert_eq!(
            text(&n),
            r#"{"Type":"tdr","AppID":"sandbox-app","ServiceID":"sandbox-service","TransactionID":"t1","RecipientNumber":85298765432,"RecipientCountry":"HK","ResponseCode":"","Status":"Delivered","Exception":""}"#
        );
    }

    #[test]
    fn uuids_are_v4_and_differ() {
        let a = random_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, random_uuid());
    }
}
