//! The notifications the sandbox can deliver: builders for the four seed notifications, a
//! raw-JSON form for everything else, and the wire variants the spec says may occur.

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
#[non_exhaustive]
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

/// A party of a call: staff EID and phone number; `None` leaves the field out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallParty {
    /// `eid`: the staff EID.
    pub eid: Option<String>,
    /// `number`: the phone number (a string on the wire unless
    /// [`WireVariant::numbers_as_json_numbers`]).
    pub number: Option<String>,
}

impl CallParty {
    /// A party with both fields.
    pub fn new(eid: impl Into<String>, number: impl Into<String>) -> CallParty {
        CallParty {
            eid: Some(eid.into()),
            number: Some(number.into()),
        }
    }
}

/// Builds a call notification (seed 000): `CallStart` or `CallEnd` (or any other status).
///
/// Every field is public: set one to `None` (or `callees` to empty) to leave it out.
///
/// ```
/// # use cinnox::sandbox::CallNotification;
/// let start = CallNotification::start().id("call-1").caller_number("+85291234567");
/// let end = CallNotification::end_of(&start);
/// assert_eq!(end.id.as_deref(), Some("call-1"));
/// let body = String::from_utf8(start.build().body().to_vec()).unwrap();
/// assert!(body.starts_with(r#"{"type":"message","message":{"id":"call-1","status":"CallStart""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallNotification {
    /// `message.id`: the call ID (default: a random UUID).
    pub id: Option<String>,
    /// `message.status`: `"CallStart"` or `"CallEnd"`.
    pub status: Option<String>,
    /// `message.serviceId` (default [`DEFAULT_SERVICE_ID`]).
    pub service_id: Option<String>,
    /// `message.caller` (call start default: `staff-eid-1001`, `+85298765432`).
    pub caller: Option<CallParty>,
    /// `message.callees`: one object on the wire when there is one (unless
    /// [`WireVariant::callees_as_array`]), an array when several, left out when empty
    /// (call start default: `staff-eid-1002`, `+85223456789`).
    pub callees: Vec<CallParty>,
    /// The wire shape.
    pub wire: WireVariant,
}

impl CallNotification {
    /// A call start with every documented field.
    pub fn start() -> CallNotification {
        CallNotification {
            id: Some(random_uuid()),
            status: Some("CallStart".into()),
            service_id: Some(DEFAULT_SERVICE_ID.into()),
            caller: Some(CallParty::new("staff-eid-1001", "+85298765432")),
            callees: vec![CallParty::new("staff-eid-1002", "+85223456789")],
            wire: WireVariant::default(),
        }
    }

    /// A call end with the documented fields (`id`, `status`, `serviceId`), of a new call.
    pub fn end() -> CallNotification {
        CallNotification {
            id: Some(random_uuid()),
            status: Some("CallEnd".into()),
            service_id: Some(DEFAULT_SERVICE_ID.into()),
            caller: None,
            callees: Vec::new(),
            wire: WireVariant::default(),
        }
    }

    /// The call end of `start`: same call ID, service ID and wire shape.
    pub fn end_of(start: &CallNotification) -> CallNotification {
        CallNotification {
            id: start.id.clone(),
            service_id: start.service_id.clone(),
            wire: start.wire,
            ..CallNotification::end()
        }
    }

    /// Set the call ID.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Set the status (`"CallStart"`, `"CallEnd"`, or anything else).
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }
    /// Set the service ID.
    pub fn service_id(mut self, service_id: impl Into<String>) -> Self {
        self.service_id = Some(service_id.into());
        self
    }
    /// Set the caller.
    pub fn caller(mut self, eid: impl Into<String>, number: impl Into<String>) -> Self {
        self.caller = Some(CallParty::new(eid, number));
        self
    }
    /// Set the caller's EID (keeping the number).
    pub fn caller_eid(mut self, eid: impl Into<String>) -> Self {
        self.caller.get_or_insert_with(CallParty::default).eid = Some(eid.into());
        self
    }
    /// Set the caller's phone number (keeping the EID).
    pub fn caller_number(mut self, number: impl Into<String>) -> Self {
        self.caller.get_or_insert_with(CallParty::default).number = Some(number.into());
        self
    }
    /// The first callee's phone number (a callee is added when there is none).
    pub fn callee_number(mut self, number: impl Into<String>) -> Self {
        match self.callees.first_mut() {
            Some(callee) => callee.number = Some(number.into()),
            None => self.callees.push(CallParty {
                eid: None,
                number: Some(number.into()),
            }),
        }
        self
    }
    /// Replace the callees with this one.
    pub fn callee(mut self, eid: impl Into<String>, number: impl Into<String>) -> Self {
        self.callees = vec![CallParty::new(eid, number)];
        self
    }
    /// Add one more callee.
    pub fn add_callee(mut self, eid: impl Into<String>, number: impl Into<String>) -> Self {
        self.callees.push(CallParty::new(eid, number));
        self
    }
    /// Set the wire shape.
    pub fn wire(mut self, wire: WireVariant) -> Self {
        self.wire = wire;
        self
    }

    /// The notification with its body.
    pub fn build(&self) -> Notification {
        let nums = self.wire.numbers_as_json_numbers;
        let mut msg = Vec::new();
        opt_str(&mut msg, "id", &self.id);
        opt_str(&mut msg, "status", &self.status);
        opt_str(&mut msg, "serviceId", &self.service_id);
        if let Some(c) = &self.caller {
            msg.push(("caller", party(c, nums)));
        }
        match self.callees.as_slice() {
            [] => {}
            [one] if !self.wire.callees_as_array => msg.push(("callees", party(one, nums))),
            many => msg.push((
                "callees",
                J::Arr(many.iter().map(|p| party(p, nums)).collect()),
            )),
        }
        let body = if self.wire.without_envelope {
            J::Obj(msg)
        } else {
            J::Obj(vec![
                ("type", J::Str("message".into())),
                ("message", J::Obj(msg)),
            ])
        };
        Notification {
            kind: EventKind::Call,
            body: body.to_json().into_bytes(),
        }
    }
}

impl From<CallNotification> for Notification {
    fn from(b: CallNotification) -> Notification {
        b.build()
    }
}

/// Builds an inbound SMS notification (seed 001, flat, camelCase).
///
/// Every field is public: set one to `None` to leave it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSmsNotification {
    /// `id` (default: a random UUID).
    pub id: Option<String>,
    /// `eventDescription` (default `"Inbound SMS"`).
    pub event_description: Option<String>,
    /// `senderNumber` (default `85298765432`).
    pub sender_number: Option<String>,
    /// `recipientNumber` (default `85223456789`).
    pub recipient_number: Option<String>,
    /// `receiveTime` (default: now, RFC 3339 with milliseconds).
    pub receive_time: Option<String>,
    /// `contentType` (default `"Text"`).
    pub content_type: Option<String>,
    /// `content` (default `"Hello from the CINNOX sandbox"`).
    pub content: Option<String>,
    /// The wire shape (only [`WireVariant::numbers_as_json_numbers`] applies).
    pub wire: WireVariant,
}

impl InboundSmsNotification {
    /// An inbound SMS with every documented field.
    pub fn new() -> InboundSmsNotification {
        InboundSmsNotification {
            id: Some(random_uuid()),
            event_description: Some("Inbound SMS".into()),
            sender_number: Some("85298765432".into()),
            recipient_number: Some("85223456789".into()),
            receive_time: Some(super::time::now_rfc3339()),
            content_type: Some("Text".into()),
            content: Some("Hello from the CINNOX sandbox".into()),
            wire: WireVariant::default(),
        }
    }
    /// Set the record ID.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Set the event description.
    pub fn event_description(mut self, d: impl Into<String>) -> Self {
        self.event_description = Some(d.into());
        self
    }
    /// Set the sender's number.
    pub fn sender_number(mut self, n: impl Into<String>) -> Self {
        self.sender_number = Some(n.into());
        self
    }
    /// Set the recipient's number.
    pub fn recipient_number(mut self, n: impl Into<String>) -> Self {
        self.recipient_number = Some(n.into());
        self
    }
    /// Set the receive time (any text; RFC 3339 in the documented shape).
    pub fn receive_time(mut self, t: impl Into<String>) -> Self {
        self.receive_time = Some(t.into());
        self
    }
    /// Set the content type.
    pub fn content_type(mut self, t: impl Into<String>) -> Self {
        self.content_type = Some(t.into());
        self
    }
    /// Set the text.
    pub fn content(mut self, c: impl Into<String>) -> Self {
        self.content = Some(c.into());
        self
    }
    /// Set the wire shape.
    pub fn wire(mut self, wire: WireVariant) -> Self {
        self.wire = wire;
        self
    }

    /// The notification with its body.
    pub fn build(&self) -> Notification {
        let nums = self.wire.numbers_as_json_numbers;
        let mut f = Vec::new();
        opt_str(&mut f, "id", &self.id);
        opt_str(&mut f, "eventDescription", &self.event_description);
        opt_phone(&mut f, "senderNumber", &self.sender_number, nums);
        opt_phone(&mut f, "recipientNumber", &self.recipient_number, nums);
        opt_str(&mut f, "receiveTime", &self.receive_time);
        opt_str(&mut f, "contentType", &self.content_type);
        opt_str(&mut f, "content", &self.content);
        Notification {
            kind: EventKind::InboundSms,
            body: J::Obj(f).to_json().into_bytes(),
        }
    }
}

impl Default for InboundSmsNotification {
    fn default() -> Self {
        InboundSmsNotification::new()
    }
}

impl From<InboundSmsNotification> for Notification {
    fn from(b: InboundSmsNotification) -> Notification {
        b.build()
    }
}

/// Builds an outbound SMS delivery report, "TDR" (seed 002, flat, PascalCase).
///
/// Every field is public: set one to `None` to leave it out.
///
/// ```
/// # use cinnox::sandbox::DeliveryReportNotification;
/// let n = DeliveryReportNotification::new().transaction_id("sms-1").undelivered().build();
/// let body = std::str::from_utf8(n.body()).unwrap();
/// assert!(body.contains(r#""ResponseCode":"400","Status":"Undelivered","Exception":"sms deliver failed""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReportNotification {
    /// `Type` (default `"tdr"`).
    pub report_type: Option<String>,
    /// `AppID` (default [`DEFAULT_APP_ID`]).
    pub app_id: Option<String>,
    /// `ServiceID` (default [`DEFAULT_SERVICE_ID`]).
    pub service_id: Option<String>,
    /// `TransactionID` (default: a random UUID).
    pub transaction_id: Option<String>,
    /// `RecipientNumber` (default `85298765432`).
    pub recipient_number: Option<String>,
    /// `RecipientCountry` (default `"HK"`).
    pub recipient_country: Option<String>,
    /// `ResponseCode` (default `""`; `"400"` when undelivered or rejected).
    pub response_code: Option<String>,
    /// `Status` (default `"Delivered"`).
    pub status: Option<String>,
    /// `Exception` (default `""`).
    pub exception: Option<String>,
    /// The wire shape (only [`WireVariant::numbers_as_json_numbers`] applies).
    pub wire: WireVariant,
}

impl DeliveryReportNotification {
    /// A `Delivered` report with every documented field.
    pub fn new() -> DeliveryReportNotification {
        DeliveryReportNotification {
            report_type: Some("tdr".into()),
            app_id: Some(DEFAULT_APP_ID.into()),
            service_id: Some(DEFAULT_SERVICE_ID.into()),
            transaction_id: Some(random_uuid()),
            recipient_number: Some("85298765432".into()),
            recipient_country: Some("HK".into()),
            response_code: Some(String::new()),
            status: Some("Delivered".into()),
            exception: Some(String::new()),
            wire: WireVariant::default(),
        }
    }
    fn outcome(mut self, status: &str, code: &str, exception: &str) -> Self {
        self.status = Some(status.into());
        self.response_code = Some(code.into());
        self.exception = Some(exception.into());
        self
    }
    /// `Status` `Submitted`, blank `ResponseCode` and `Exception`.
    pub fn submitted(self) -> Self {
        self.outcome("Submitted", "", "")
    }
    /// `Status` `Delivered`, blank `ResponseCode` and `Exception`.
    pub fn delivered(self) -> Self {
        self.outcome("Delivered", "", "")
    }
    /// `Status` `Undelivered`, `ResponseCode` `400`, `Exception` `sms deliver failed`.
    pub fn undelivered(self) -> Self {
        self.outcome("Undelivered", "400", "sms deliver failed")
    }
    /// `Status` `Rejected`, `ResponseCode` `400`, `Exception` `sms send failed`.
    pub fn rejected(self) -> Self {
        self.outcome("Rejected", "400", "sms send failed")
    }
    /// Set `Type`.
    pub fn report_type(mut self, t: impl Into<String>) -> Self {
        self.report_type = Some(t.into());
        self
    }
    /// Set `AppID`.
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = Some(id.into());
        self
    }
    /// Set `ServiceID`.
    pub fn service_id(mut self, id: impl Into<String>) -> Self {
        self.service_id = Some(id.into());
        self
    }
    /// Set `TransactionID`.
    pub fn transaction_id(mut self, id: impl Into<String>) -> Self {
        self.transaction_id = Some(id.into());
        self
    }
    /// Set `RecipientNumber`.
    pub fn recipient_number(mut self, n: impl Into<String>) -> Self {
        self.recipient_number = Some(n.into());
        self
    }
    /// Set `RecipientCountry`.
    pub fn recipient_country(mut self, c: impl Into<String>) -> Self {
        self.recipient_country = Some(c.into());
        self
    }
    /// Set `ResponseCode`.
    pub fn response_code(mut self, c: impl Into<String>) -> Self {
        self.response_code = Some(c.into());
        self
    }
    /// Set `Status` alone (any text; see also [`Self::undelivered`] etc.).
    pub fn status(mut self, s: impl Into<String>) -> Self {
        self.status = Some(s.into());
        self
    }
    /// Set `Exception`.
    pub fn exception(mut self, e: impl Into<String>) -> Self {
        self.exception = Some(e.into());
        self
    }
    /// Set the wire shape.
    pub fn wire(mut self, wire: WireVariant) -> Self {
        self.wire = wire;
        self
    }

    /// The notification with its body.
    pub fn build(&self) -> Notification {
        let nums = self.wire.numbers_as_json_numbers;
        let mut f = Vec::new();
        opt_str(&mut f, "Type", &self.report_type);
        opt_str(&mut f, "AppID", &self.app_id);
        opt_str(&mut f, "ServiceID", &self.service_id);
        opt_str(&mut f, "TransactionID", &self.transaction_id);
        opt_phone(&mut f, "RecipientNumber", &self.recipient_number, nums);
        opt_str(&mut f, "RecipientCountry", &self.recipient_country);
        opt_str(&mut f, "ResponseCode", &self.response_code);
        opt_str(&mut f, "Status", &self.status);
        opt_str(&mut f, "Exception", &self.exception);
        Notification {
            kind: EventKind::OutboundSms,
            body: J::Obj(f).to_json().into_bytes(),
        }
    }
}

impl Default for DeliveryReportNotification {
    fn default() -> Self {
        DeliveryReportNotification::new()
    }
}

impl From<DeliveryReportNotification> for Notification {
    fn from(b: DeliveryReportNotification) -> Notification {
        b.build()
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
