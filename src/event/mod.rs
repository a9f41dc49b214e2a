//! Typed CINNOX notifications: `parse(bytes) -> Incoming { Challenge | Event }`.
//!
//! [`parse`] reads a notification body in one pass and classifies it:
//!
//! | body | result |
//! |---|---|
//! | `{"challenge": "…"}` and no known event field | [`Incoming::Challenge`] |
//! | `message.status` (or top-level `status`) `"CallStart"` / `"CallEnd"` | [`Payload::CallStart`] / [`Payload::CallEnd`] |
//! | `eventDescription: "Inbound SMS"`, or `senderNumber` / `recipientNumber` | [`Payload::InboundSms`] |
//! | `Type: "tdr"`, or no `Type` and `TransactionID` / `RecipientNumber` | [`Payload::OutboundSms`] |
//! | any other JSON object | [`Payload::Other`] |
//!
//! # Reading rules
//!
//! - Call events are read with or without the `{"type":"message","message":{…}}` envelope.
//!   `callees` may be one object or an array of objects (non-object elements are skipped).
//! - Phone numbers (`number`, `senderNumber`, `recipientNumber`, `RecipientNumber`) and
//!   `ResponseCode` may be JSON strings or JSON numbers. They are kept as text exactly as
//!   sent: a string keeps its `+` and leading zeros; a number is written as its integer
//!   digits without fraction or exponent (`8.5298765432e10` gives `"85298765432"`, computed
//!   on the decimal text, never through a float). A number that is not an exact integer
//!   (`1.5`, `1e-3`) is an [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) error,
//!   never a rounded value; so is one that would need more than 64 digits.
//! - Other text fields (`id`, `serviceId`, …) sent as JSON numbers are kept as text: an
//!   integer exactly, any other number in its shortest form that reads back as the same
//!   double (`1.50` gives `"1.5"`). A text field holding `true`, `false`, an object or an
//!   array is `None` in the typed view (the raw body still has it); `null` is `None`.
//! - Status-like fields are enums whose `Other(String)` keeps unknown text, so an unknown
//!   status never fails: an unknown `message.status` makes the whole event
//!   [`Payload::Other`], an unknown `Status` of a delivery report is
//!   [`DeliveryStatus::Other`].
//! - Unknown fields are ignored in the typed view and kept in [`Event::raw`]. A repeated
//!   field keeps its last value (as `serde_json::Value` does).
//! - A valid JSON object the typed reading cannot take (a number beyond the range of a
//!   double, like `1e400`, in a typed field other than a phone number) is a
//!   [`Payload::Other`] with what a looser reading finds.
//!
//! # Challenge or event
//!
//! A body with a string `challenge` is a challenge only when it has no other field this
//! module knows (`type`, `message`, or any field of the three flat shapes); unknown extra
//! fields do not change that. A body that has a `challenge` *and* event fields is an
//! **event** (the other families of the CINNOX documentation show a `challenge` field beside
//! `message` in ordinary notifications); the `challenge` stays in the raw body. Answering
//! such a body as a challenge would acknowledge, and so lose, an event; delivering it as an
//! event at worst fails a verification, which the subscribing call reports loudly. A
//! `challenge` that is not a string does not make a challenge.
//!
//! # Refusals
//!
//! Every refusal is an [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) error whose
//! message says what and where (line and column, 1-based, columns counted in bytes):
//!
//! - an empty body, a body that is not valid UTF-8, invalid JSON, trailing characters;
//! - a JSON value that is not an object;
//! - objects and arrays nested deeper than [`MAX_DEPTH`] levels, anywhere in the body,
//!   including fields this module ignores;
//! - a string in a typed field with an escape that is no character (a lone surrogate);
//! - a phone number or `ResponseCode` that is a non-integral JSON number.
//!
//! # Speed
//!
//! One pass of `serde_json` over the body fills a struct of every known field in place;
//! strings without escapes are borrowed from the body until the typed view copies them
//! out, unknown fields are skipped without being built. Before it, the body is checked to be
//! UTF-8 and its brackets counted (a vectorised loop; the exact depth scan runs only when
//! there are more than [`MAX_DEPTH`] brackets). `benches/parse.rs` measures it against
//! `serde_json::Value`.

/// The deepest nesting of JSON objects and arrays [`parse`] accepts; the top-level object
/// counts as level 1. Deeper bodies are refused with
/// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest), also when the deep part is in a
/// field the typed view ignores.
pub const MAX_DEPTH: usize = 64;

/// The longest integer text a JSON-number phone number or `ResponseCode` may expand to.
const MAX_NUMBER_DIGITS: usize = 64;

mod challenge;
mod dedup;
mod model;
mod parse;
mod phone;
mod wire;

pub(crate) use challenge::push_json_string_body;
pub use challenge::{challenge_reply, REPLY_HEADERS};
pub use dedup::DedupKey;
pub use model::{
    Call, ContentType, DeliveryReport, DeliveryStatus, Event, EventDescription, InboundSms,
    Incoming, OtherEvent, Party, Payload,
};
pub use parse::parse;
