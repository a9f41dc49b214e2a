//! The event families CINNOX can notify about, and the slug of each in the Open API.

use std::fmt;

/// An event family: what a subscription is for, and what family a notification belongs to.
///
/// The nine families of the CINNOX documentation have variants; [`EventKind::Other`] names a
/// slug this crate does not know yet (CINNOX adds families; a program need not wait for a
/// release of this crate to subscribe to one).
///
/// ```
/// # use cinnox::EventKind;
/// assert_eq!(EventKind::Call.slug(), "call-event-sub");
/// assert_eq!(EventKind::from_slug("inbound-sms-event-sub"), EventKind::InboundSms);
/// assert_eq!(EventKind::from_slug("fax-event-sub"), EventKind::Other("fax-event-sub".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventKind {
    /// Call start and call end (`call-event-sub`).
    Call,
    /// A new inbound SMS (`inbound-sms-event-sub`).
    InboundSms,
    /// Outbound SMS delivery reports, "TDR" (`outbound-sms-event-sub`).
    OutboundSms,
    /// Enquiries (`inquiry-event-sub`).
    Inquiry,
    /// Recording files (`recording-event-sub`).
    Recording,
    /// External contacts (`external-contact-event-sub`).
    ExternalContact,
    /// Staff contacts (`staff-contact-event-sub`).
    StaffContact,
    /// Labels (`label-event-sub`).
    Label,
    /// Enquiry labels (`inquiry-label-event-sub`).
    InquiryLabel,
    /// A slug this crate does not know, used as given (e.g. `"fax-event-sub"`).
    Other(String),
}

impl EventKind {
    /// The nine documented families, in the order of the documentation.
    pub const KNOWN: [EventKind; 9] = [
        EventKind::Call,
        EventKind::InboundSms,
        EventKind::OutboundSms,
        EventKind::Inquiry,
        EventKind::Recording,
        EventKind::ExternalContact,
        EventKind::StaffContact,
        EventKind::Label,
        EventKind::InquiryLabel,
    ];

    /// The path segment of this family in `PATCH /v1/api/apps/{appID}/{slug}`.
    pub fn slug(&self) -> &str {
        match self {
            EventKind::Call => "call-event-sub",
            EventKind::InboundSms => "inbound-sms-event-sub",
            EventKind::OutboundSms => "outbound-sms-event-sub",
            EventKind::Inquiry => "inquiry-event-sub",
            EventKind::Recording => "recording-event-sub",
            EventKind::ExternalContact => "external-contact-event-sub",
            EventKind::StaffContact => "staff-contact-event-sub",
            EventKind::Label => "label-event-sub",
            EventKind::InquiryLabel => "inquiry-label-event-sub",
            EventKind::Other(slug) => slug,
        }
    }

    /// The family whose slug is `slug`; an unknown slug gives [`EventKind::Other`].
    pub fn from_slug(slug: &str) -> EventKind {
        EventKind::KNOWN
            .iter()
            .find(|k| k.slug() == slug)
            .cloned()
            .unwrap_or_else(|| EventKind::Other(slug.to_owned()))
    }

    /// A short human name ("call", "inbound SMS", …; the slug for [`EventKind::Other`]).
    pub fn name(&self) -> &str {
        match self {
            EventKind::Call => "call",
            EventKind::InboundSms => "inbound SMS",
            EventKind::OutboundSms => "outbound SMS",
            EventKind::Inquiry => "enquiry",
            EventKind::Recording => "recording",
            EventKind::ExternalContact => "external contact",
            EventKind::StaffContact => "staff contact",
            EventKind::Label => "label",
            EventKind::InquiryLabel => "enquiry label",
            EventKind::Other(slug) => slug,
        }
    }
}

impl EventKind {
    /// The short name used on command lines: `call`, `inbound-sms`, `outbound-sms`,
    /// `inquiry`, `recording`, `external-contact`, `staff-contact`, `label`,
    /// `inquiry-label` (the slug without `-event-sub`); the slug for [`EventKind::Other`].
    pub fn short_name(&self) -> &str {
        match self {
            EventKind::Other(slug) => slug,
            known => known
                .slug()
                .strip_suffix("-event-sub")
                .unwrap_or_else(|| known.slug()),
        }
    }

    /// The family named `name`: a short name ([`EventKind::short_name`]) or a slug. A slug
    /// this crate does not know (letters, digits and `-`, ending in `-sub`) is
    /// [`EventKind::Other`]; anything else is `None`.
    ///
    /// ```
    /// # use cinnox::EventKind;
    /// assert_eq!(EventKind::from_name("inbound-sms"), Some(EventKind::InboundSms));
    /// assert_eq!(EventKind::from_name("call-event-sub"), Some(EventKind::Call));
    /// assert_eq!(EventKind::from_name("sms"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<EventKind> {
        if let Some(k) = EventKind::KNOWN.iter().find(|k| k.short_name() == name) {
            return Some(k.clone());
        }
        let slug_like = name.ends_with("-sub")
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        slug_like.then(|| EventKind::from_slug(name))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_slug_round_trips() {
        for k in EventKind::KNOWN {
            assert_eq!(EventKind::from_slug(k.slug()), k);
        }
        assert_eq!(EventKind::KNOWN[8].slug(), "inquiry-label-event-sub");
    }

    #[test]
    fn short_names_round_trip_and_slugs_are_names_too() {
        let names: Vec<&str> = EventKind::KNOWN.iter().map(EventKind::short_name).collect();
        assert_eq!(
            names,
            [
                "call",
                "inbound-sms",
                "outbound-sms",
                "inquiry",
                "recording",
                "external-contact",
                "staff-contact",
                "label",
                "inquiry-label"
            ]
        );
        for k in EventKind::KNOWN {
            assert_eq!(EventKind::from_name(k.short_name()), Some(k.clone()));
            assert_eq!(EventKind::from_name(k.slug()), Some(k.clone()));
        }
        assert_eq!(
            EventKind::from_name("fax-event-sub"),
            Some(EventKind::Other("fax-event-sub".into()))
        );
        for bad in ["", "sms", "Call", "call event", "../x-sub"] {
            assert_eq!(EventKind::from_name(bad), None, "{bad:?}");
        }
    }
}
