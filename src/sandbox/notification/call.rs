//! [`CallNotification`]: a call start or a call end, and its parties.

use super::{opt_str, party, random_uuid, Notification, WireVariant, DEFAULT_SERVICE_ID, J};
use crate::EventKind;

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
