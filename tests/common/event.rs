//! Notification bodies shaped like the seed pages, shared by the event and webhook tests and
//! the parse benchmark.
#![allow(dead_code)]

/// Call started, in the `{"type":"message","message":{…}}` envelope (seed 000).
pub const CALL_START: &[u8] = br#"{"type":"message","message":{"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","status":"CallStart","serviceId":"svc-8a9b0c1d","caller":{"eid":"eid-caller-0001","number":"+85298765432"},"callees":{"eid":"eid-callee-0002","number":"+85212345678"}}}"#;

/// Call ended (seed 000).
pub const CALL_END: &[u8] = br#"{"type":"message","message":{"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","status":"CallEnd","serviceId":"svc-8a9b0c1d"}}"#;

/// Inbound SMS, flat camelCase (seed 001).
pub const INBOUND_SMS: &[u8] = br#"{"id":"sms-5e6f7a8b-1234","eventDescription":"Inbound SMS","senderNumber":"85298765432","recipientNumber":"85212345678","receiveTime":"2022-11-07T00:00:00.000Z","contentType":"Text","content":"Hello from a customer"}"#;

/// Outbound SMS delivery report, flat PascalCase (seed 002).
pub const DELIVERY_REPORT: &[u8] = br#"{"Type":"tdr","AppID":"app-0123456789","ServiceID":"svc-8a9b0c1d","TransactionID":"tx-9f8e7d6c-5b4a","RecipientNumber":"85298765432","RecipientCountry":"HK","ResponseCode":"","Status":"Delivered","Exception":""}"#;

/// The four seed notifications with a name each.
pub const SEEDS: [(&str, &[u8]); 4] = [
    ("call_start", CALL_START),
    ("call_end", CALL_END),
    ("inbound_sms", INBOUND_SMS),
    ("delivery_report", DELIVERY_REPORT),
];

/// A small deterministic PRNG (xorshift64*) for the fuzz-style tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
