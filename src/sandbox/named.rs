//! The four documented notifications by name, with fields set by name: what the `cinnox`
//! command's `trigger --set FIELD=VALUE` and the sandbox's control endpoint use.

use super::notification::{
    CallNotification, DeliveryReportNotification, InboundSmsNotification, Notification, WireVariant,
};
use crate::{Error, EventKind, Result};

/// One of the four documented notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotificationKind {
    /// A call started ([`CallNotification::start`]).
    CallStart,
    /// A call ended ([`CallNotification::end`]).
    CallEnd,
    /// A new inbound SMS ([`InboundSmsNotification`]).
    InboundSms,
    /// An outbound SMS delivery report ([`DeliveryReportNotification`]).
    DeliveryReport,
}

const CALL_FIELDS: &[&str] = &[
    "id",
    "status",
    "service_id",
    "caller_eid",
    "caller_number",
    "callee_number",
];
const SMS_FIELDS: &[&str] = &[
    "id",
    "event_description",
    "sender_number",
    "recipient_number",
    "receive_time",
    "content_type",
    "content",
];
const REPORT_FIELDS: &[&str] = &[
    "report_type",
    "app_id",
    "service_id",
    "transaction_id",
    "recipient_number",
    "recipient_country",
    "response_code",
    "status",
    "exception",
];

impl NotificationKind {
    /// The four, in the order of the documentation.
    pub const ALL: [NotificationKind; 4] = [
        NotificationKind::CallStart,
        NotificationKind::CallEnd,
        NotificationKind::InboundSms,
        NotificationKind::DeliveryReport,
    ];

    /// `call-start`, `call-end`, `inbound-sms` or `delivery-report`.
    pub fn name(self) -> &'static str {
        match self {
            NotificationKind::CallStart => "call-start",
            NotificationKind::CallEnd => "call-end",
            NotificationKind::InboundSms => "inbound-sms",
            NotificationKind::DeliveryReport => "delivery-report",
        }
    }

    /// The event family a subscription needs to receive this notification.
    pub fn family(self) -> EventKind {
        match self {
            NotificationKind::CallStart | NotificationKind::CallEnd => EventKind::Call,
            NotificationKind::InboundSms => EventKind::InboundSms,
            NotificationKind::DeliveryReport => EventKind::OutboundSms,
        }
    }

    /// The kind named `name` ([`NotificationKind::name`]).
    pub fn from_name(name: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The fields that can be set, by name (the builder's setters, in snake_case).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            NotificationKind::CallStart | NotificationKind::CallEnd => CALL_FIELDS,
            NotificationKind::InboundSms => SMS_FIELDS,
            NotificationKind::DeliveryReport => REPORT_FIELDS,
        }
    }

    /// The notification with the builder's realistic defaults, `fields` set on top, in the
    /// `wire` shape. A field this kind does not have is
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument), naming the
    /// fields it has.
    ///
    /// ```
    /// # use cinnox::sandbox::{NotificationKind, WireVariant};
    /// let n = NotificationKind::InboundSms
    ///     .build(&[("content", "Is the shop open?")], WireVariant::default())
    ///     .unwrap();
    /// assert!(String::from_utf8_lossy(n.body()).contains("Is the shop open?"));
    /// ```
    pub fn build(self, fields: &[(&str, &str)], wire: WireVariant) -> Result<Notification> {
        if let Some((bad, _)) = fields.iter().find(|(f, _)| !self.fields().contains(f)) {
            return Err(Error::invalid_argument(format!(
                "{} has no field {bad:?} (fields: {})",
                self.name(),
                self.fields().join(", ")
            )));
        }
        Ok(match self {
            NotificationKind::CallStart | NotificationKind::CallEnd => {
                let mut b = if self == NotificationKind::CallStart {
                    CallNotification::start()
                } else {
                    CallNotification::end()
                };
                for &(field, value) in fields {
                    b = match field {
                        "id" => b.id(value),
                        "status" => b.status(value),
                        "service_id" => b.service_id(value),
                        "caller_eid" => b.caller_eid(value),
                        "caller_number" => b.caller_number(value),
                        _ => b.callee_number(value),
                    };
                }
                b.wire(wire).build()
            }
            NotificationKind::InboundSms => {
                let mut b = InboundSmsNotification::new();
                for &(field, value) in fields {
                    b = match field {
                        "id" => b.id(value),
                        "event_description" => b.event_description(value),
                        "sender_number" => b.sender_number(value),
                        "recipient_number" => b.recipient_number(value),
                        "receive_time" => b.receive_time(value),
                        "content_type" => b.content_type(value),
                        _ => b.content(value),
                    };
                }
                b.wire(wire).build()
            }
            NotificationKind::DeliveryReport => {
                let mut b = DeliveryReportNotification::new();
                for &(field, value) in fields {
                    b = match field {
                        "report_type" => b.report_type(value),
                        "app_id" => b.app_id(value),
                        "service_id" => b.service_id(value),
                        "transaction_id" => b.transaction_id(value),
                        "recipient_number" => b.recipient_number(value),
                        "recipient_country" => b.recipient_country(value),
                        "response_code" => b.response_code(value),
                        "status" => b.status(value),
                        _ => b.exception(value),
                    };
                }
                b.wire(wire).build()
            }
        })
    }
}

impl WireVariant {
    /// The variant with the one flag named `name` on: `numbers-as-json-numbers`,
    /// `callees-as-array` or `without-envelope`. Combine several with [`WireVariant::merge`].
    pub fn from_name(name: &str) -> Option<WireVariant> {
        let mut w = WireVariant::default();
        match name {
            "numbers-as-json-numbers" => w.numbers_as_json_numbers = true,
            "callees-as-array" => w.callees_as_array = true,
            "without-envelope" => w.without_envelope = true,
            _ => return None,
        }
        Some(w)
    }

    /// Both variants' flags.
    pub fn merge(self, other: WireVariant) -> WireVariant {
        WireVariant {
            numbers_as_json_numbers: self.numbers_as_json_numbers || other.numbers_as_json_numbers,
            callees_as_array: self.callees_as_array || other.callees_as_array,
            without_envelope: self.without_envelope || other.without_envelope,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_every_kind_reaches_the_body() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::from_name(kind.name()), Some(kind));
            for field in kind.fields() {
                let value = format!("v4lue-of-{field}");
                let n = kind
                    .build(&[(field, value.as_str())], WireVariant::default())
                    .unwrap();
                let body = String::from_utf8_lossy(n.body()).into_owned();
                assert!(body.contains(&value), "{} {field}: {body}", kind.name());
            }
        }
        let e = NotificationKind::CallStart
            .build(&[("content", "x")], WireVariant::default())
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("caller_number"), "{e}");
        assert_eq!(NotificationKind::from_name("call"), None);
    }

    #[test]
    fn wire_variants_by_name() {
        let w = WireVariant::from_name("callees-as-array")
            .unwrap()
            .merge(WireVariant::from_name("without-envelope").unwrap());
        assert!(w.callees_as_array && w.without_envelope && !w.numbers_as_json_numbers);
        assert_eq!(WireVariant::from_name("all"), None);
    }
}
