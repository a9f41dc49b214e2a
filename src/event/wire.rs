//! The wire superset: every known field of every shape, borrowed from the body, and the
//! `serde` visitors that fill it in one pass.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;

/// A phone number or code: the exact JSON text of the value.
pub(super) type Raw<'a> = Option<&'a RawValue>;
/// A text field.
pub(super) type Tx<'a> = Option<Text<'a>>;

/// Every field name this module knows, at any level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Challenge,
    Type,
    Message,
    Id,
    Status,
    ServiceId,
    Caller,
    Callees,
    Eid,
    Number,
    EventDescription,
    SenderNumber,
    RecipientNumber,
    ReceiveTime,
    ContentType,
    Content,
    TdrType,
    AppId,
    TdrServiceId,
    TransactionId,
    TdrRecipientNumber,
    RecipientCountry,
    ResponseCode,
    TdrStatus,
    Exception,
    Unknown,
}

impl Key {
    fn of(name: &str) -> Key {
        match name {
            "challenge" => Key::Challenge,
            "type" => Key::Type,
            "message" => Key::Message,
            "id" => Key::Id,
            "status" => Key::Status,
            "serviceId" => Key::ServiceId,
            "caller" => Key::Caller,
            "callees" => Key::Callees,
            "eid" => Key::Eid,
            "number" => Key::Number,
            "eventDescription" => Key::EventDescription,
            "senderNumber" => Key::SenderNumber,
            "recipientNumber" => Key::RecipientNumber,
            "receiveTime" => Key::ReceiveTime,
            "contentType" => Key::ContentType,
            "content" => Key::Content,
            "Type" => Key::TdrType,
            "AppID" => Key::AppId,
            "ServiceID" => Key::TdrServiceId,
            "TransactionID" => Key::TransactionId,
            "RecipientNumber" => Key::TdrRecipientNumber,
            "RecipientCountry" => Key::RecipientCountry,
            "ResponseCode" => Key::ResponseCode,
            "Status" => Key::TdrStatus,
            "Exception" => Key::Exception,
            _ => Key::Unknown,
        }
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Key, E> {
        Ok(Key::of(v))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

/// The top level of a notification. Filled in place by [`WireSeed`]; a repeated field
/// keeps its last value.
#[derive(Default)]
pub(super) struct Wire<'a> {
    /// A field other than `challenge` and unknown ones was present.
    pub(super) event_fields: bool,
    pub(super) challenge: Tx<'a>,
    pub(super) type_: Tx<'a>,
    /// `message`, when it was an object.
    pub(super) message: Option<Msg<'a>>,

    // Call events without the envelope.
    pub(super) flat: Msg<'a>,

    // Inbound SMS.
    pub(super) event_description: Tx<'a>,
    pub(super) sender_number: Raw<'a>,
    pub(super) recipient_number: Raw<'a>,
    pub(super) receive_time: Tx<'a>,
    pub(super) content_type: Tx<'a>,
    pub(super) content: Tx<'a>,

    // Outbound SMS delivery report.
    pub(super) tdr_type: Tx<'a>,
    pub(super) app_id: Tx<'a>,
    pub(super) tdr_service_id: Tx<'a>,
    pub(super) transaction_id: Tx<'a>,
    pub(super) tdr_recipient_number: Raw<'a>,
    pub(super) recipient_country: Tx<'a>,
    pub(super) response_code: Raw<'a>,
    pub(super) tdr_status: Tx<'a>,
    pub(super) exception: Tx<'a>,
}

/// The fields of a call event, in the `message` envelope or at the top level.
#[derive(Default)]
pub(super) struct Msg<'a> {
    pub(super) id: Tx<'a>,
    pub(super) status: Tx<'a>,
    pub(super) service_id: Tx<'a>,
    /// `caller` or `callees` was present, in whatever form.
    pub(super) has_parties: bool,
    pub(super) caller: Option<WireParty<'a>>,
    pub(super) callees: Callees<'a>,
}

impl<'a> Msg<'a> {
    /// Read the value of `key` if it is a call field; `false` when it is not one.
    fn field<'de: 'a, A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> std::result::Result<bool, A::Error> {
        match key {
            Key::Id => self.id = map.next_value()?,
            Key::Status => self.status = map.next_value()?,
            Key::ServiceId => self.service_id = map.next_value()?,
            Key::Caller => {
                self.has_parties = true;
                self.caller = match map.next_value::<Obj<WireParty<'a>>>()? {
                    Obj::Obj(p) => Some(p),
                    Obj::Not => None,
                };
            }
            Key::Callees => {
                self.has_parties = true;
                self.callees = map.next_value()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Fills a [`Wire`] in place (it is large; moving it would cost more than parsing).
pub(super) struct WireSeed<'w, 'a>(pub(super) &'w mut Wire<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for WireSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for WireSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a notification object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let w = self.0;
        while let Some(key) = map.next_key::<Key>()? {
            if w.flat.field(key, &mut map)? {
                w.event_fields = true;
                continue;
            }
            match key {
                Key::Challenge => w.challenge = map.next_value()?,
                Key::Type => w.type_ = map.next_value()?,
                Key::Message => {
                    let mut msg = Msg::default();
                    w.message = map.next_value_seed(MsgSeed(&mut msg))?.then_some(msg);
                }
                Key::EventDescription => w.event_description = map.next_value()?,
                Key::SenderNumber => w.sender_number = map.next_value()?,
                Key::RecipientNumber => w.recipient_number = map.next_value()?,
                Key::ReceiveTime => w.receive_time = map.next_value()?,
                Key::ContentType => w.content_type = map.next_value()?,
                Key::Content => w.content = map.next_value()?,
                Key::TdrType => w.tdr_type = map.next_value()?,
                Key::AppId => w.app_id = map.next_value()?,
                Key::TdrServiceId => w.tdr_service_id = map.next_value()?,
                Key::TransactionId => w.transaction_id = map.next_value()?,
                Key::TdrRecipientNumber => w.tdr_recipient_number = map.next_value()?,
                Key::RecipientCountry => w.recipient_country = map.next_value()?,
                Key::ResponseCode => w.response_code = map.next_value()?,
                Key::TdrStatus => w.tdr_status = map.next_value()?,
                Key::Exception => w.exception = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            }
            if key != Key::Challenge {
                w.event_fields = true;
            }
        }
        Ok(())
    }
}

/// Fills a [`Msg`] in place from `message`; `true` when it was an object.
struct MsgSeed<'m, 'a>(&'m mut Msg<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for MsgSeed<'_, 'a> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok($value)
        }
    };
}

impl<'de: 'a, 'a> Visitor<'de> for MsgSeed<'_, 'a> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<bool, A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            if !self.0.field(key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(true)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    ignore_scalars!(false);
}

/// A party of a call on the wire.
pub(super) struct WireParty<'a> {
    pub(super) eid: Tx<'a>,
    pub(super) number: Raw<'a>,
}

struct PartyVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for PartyVisitor<'a> {
    type Value = WireParty<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a party object")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut p = WireParty {
            eid: None,
            number: None,
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Eid => p.eid = map.next_value()?,
                Key::Number => p.number = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireParty<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(PartyVisitor(PhantomData))
    }
}

/// The fields the fallback reading looks for when the typed reading failed on a valid
/// JSON object (a duplicate field, a number out of range where an object was expected).
#[derive(serde::Deserialize)]
pub(super) struct Loose<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) type_: Raw<'a>,
    #[serde(rename = "Type", borrow)]
    pub(super) tdr_type: Raw<'a>,
    #[serde(rename = "eventDescription", borrow)]
    pub(super) event_description: Raw<'a>,
    #[serde(borrow)]
    pub(super) status: Raw<'a>,
    #[serde(rename = "Status", borrow)]
    pub(super) tdr_status: Raw<'a>,
    #[serde(borrow)]
    pub(super) id: Raw<'a>,
    #[serde(rename = "TransactionID", borrow)]
    pub(super) transaction_id: Raw<'a>,
    #[serde(borrow)]
    pub(super) message: Raw<'a>,
}

#[derive(serde::Deserialize)]
pub(super) struct LooseMsg<'a> {
    #[serde(borrow)]
    pub(super) status: Raw<'a>,
    #[serde(borrow)]
    pub(super) id: Raw<'a>,
}

/// A text field as sent: a string (borrowed unless it had escapes), a number's text, or
/// something the typed view cannot show (`true`, `false`, an object, an array).
pub(super) enum Text<'a> {
    Str(Cow<'a, str>),
    Num(String),
    Not,
}

impl<'a> Text<'a> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            Text::Num(s) => Some(s),
            Text::Not => None,
        }
    }
    fn into_owned(self) -> Option<String> {
        match self {
            Text::Str(s) => Some(cow_string(s)),
            Text::Num(s) => Some(s),
            Text::Not => None,
        }
    }
}

/// The text of a text field, borrowed.
pub(super) fn text<'x>(t: &'x Tx<'_>) -> Option<&'x str> {
    t.as_ref().and_then(Text::as_str)
}

/// A borrowed text copied out; an owned one kept as it is.
pub(super) fn cow_string(s: Cow<'_, str>) -> String {
    s.into_owned()
}

/// The text of a text field, owned (taken out of the wire struct).
pub(super) fn owned(t: &mut Tx<'_>) -> Option<String> {
    t.take().and_then(Text::into_owned)
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Text::Num(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Text::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        Ok(Text::Num(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Text::Not)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Text::Not)
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text::Not)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::Not)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// A value expected to be an object; anything else is read past and remembered as `Not`.
enum Obj<T> {
    Obj(T),
    Not,
}

struct ObjVisitor<T>(PhantomData<T>);

macro_rules! not_an_object {
    ($($name:ident: $t:ty),*) => {
        $(fn $name<E: de::Error>(self, _: $t) -> std::result::Result<Self::Value, E> {
            Ok(Obj::Not)
        })*
    };
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Obj::Obj)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj::Not)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Obj::Not)
    }
    not_an_object!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// `callees`: one object, or an array of objects (other elements skipped), or neither.
#[derive(Default)]
pub(super) enum Callees<'a> {
    One(WireParty<'a>),
    Many(Vec<WireParty<'a>>),
    #[default]
    Not,
}

struct CalleesVisitor;

impl<'de> Visitor<'de> for CalleesVisitor {
    type Value = Callees<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        WireParty::deserialize(MapAccessDeserializer::new(map)).map(Callees::One)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut parties = Vec::new();
        while let Some(p) = seq.next_element::<Obj<WireParty<'de>>>()? {
            if let Obj::Obj(p) = p {
                parties.push(p);
            }
        }
        Ok(Callees::Many(parties))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(Callees::Not)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Callees<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(CalleesVisitor)
    }
}
