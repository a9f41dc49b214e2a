//! The identity of a notification, so that a redelivery can be recognised.

use std::fmt;

use super::model::{DeliveryStatus, Event, EventDescription, Payload};

/// The identity of a notification, so that a redelivery can be recognised.
///
/// The text is `family|id|status`, with `|` and `\` inside a component escaped by a `\`:
///
/// - call events: `call|<message.id>|CallStart` (or `CallEnd`);
/// - inbound SMS: `inbound-sms|<id>|<eventDescription>`;
/// - delivery reports: `outbound-sms|<TransactionID>|<Status>`;
/// - anything else: `other:<family>|<id>|<status>`, empty components where absent.
///
/// Where a notification has no id, the id component is `#` and a 64-bit FNV-1a hash of the
/// exact raw body in hex, so the same bytes delivered again give the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey(String);

impl DedupKey {
    /// The key as text (`family|id|status`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Event {
    /// The identity of this notification (see [`DedupKey`]).
    pub fn dedup_key(&self) -> DedupKey {
        self.dedup_key_ref().clone()
    }
    /// The identity of this notification, borrowed (computed once, then kept).
    pub fn dedup_key_ref(&self) -> &DedupKey {
        self.key.get_or_init(|| self.compute_key())
    }
    /// The parts of the dedup key: a family prefix and text, the id, the status.
    fn key_parts(&self) -> (&'static str, &str, Option<&str>, &str) {
        match &self.payload {
            Payload::CallStart(c) => ("call", "", c.id.as_deref(), "CallStart"),
            Payload::CallEnd(c) => ("call", "", c.id.as_deref(), "CallEnd"),
            Payload::InboundSms(s) => (
                "inbound-sms",
                "",
                s.id.as_deref(),
                s.event_description
                    .as_ref()
                    .map(EventDescription::as_str)
                    .unwrap_or(""),
            ),
            Payload::OutboundSms(r) => (
                "outbound-sms",
                "",
                r.transaction_id.as_deref(),
                r.status.as_ref().map(DeliveryStatus::as_str).unwrap_or(""),
            ),
            Payload::Other(o) => (
                "other:",
                o.family.as_deref().unwrap_or(""),
                o.id.as_deref(),
                o.status.as_deref().unwrap_or(""),
            ),
        }
    }

    fn compute_key(&self) -> DedupKey {
        let (prefix, family, id, status) = self.key_parts();
        let mut key = String::with_capacity(prefix.len() + family.len() + status.len() + 40);
        key.push_str(prefix);
        push_escaped(&mut key, family);
        key.push('|');
        match id {
            Some(id) => push_escaped(&mut key, id),
            None => {
                use std::fmt::Write;
                let _ = write!(key, "#{:016x}", fnv1a(self.raw()));
            }
        }
        key.push('|');
        push_escaped(&mut key, status);
        DedupKey(key)
    }

    /// Feed the identity of this notification (the same as [`Event::dedup_key`], without
    /// building the text) to `hasher`: two events have equal keys exactly when they feed
    /// the same bytes.
    pub fn hash_dedup_key<H: std::hash::Hasher>(&self, hasher: &mut H) {
        self.with_dedup_key_bytes(|bytes| hasher.write(bytes));
    }

    /// Call `f` with a byte string that identifies this notification exactly as
    /// [`Event::dedup_key`] does: the parts separated by `0xff`, a byte UTF-8 never contains
    /// (so no escaping is needed). Built on the stack when it fits.
    pub(crate) fn with_dedup_key_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let (prefix, family, id, status) = self.key_parts();
        let raw_hash;
        // A marker tells a sent id from the hash of a body without one.
        let (marker, id): (&[u8], &[u8]) = match id {
            Some(id) => (&[0xff], id.as_bytes()),
            None => {
                raw_hash = fnv1a(self.raw()).to_le_bytes();
                (&[0xfe], &raw_hash)
            }
        };
        let parts: [&[u8]; 6] = [
            prefix.as_bytes(),
            family.as_bytes(),
            marker,
            id,
            &[0xff],
            status.as_bytes(),
        ];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut stack = [0u8; 192];
        let mut heap = Vec::new();
        let buf: &mut [u8] = if len <= stack.len() {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        let mut at = 0;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        f(buf)
    }
}

fn push_escaped(out: &mut String, s: &str) {
    // A fold rather than `any`: no early exit, so it vectorises.
    let special = s
        .bytes()
        .fold(false, |found, b| found | (b == b'|') | (b == b'\\'));
    if !special {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if c == '|' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
