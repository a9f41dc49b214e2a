//! End to end through the real pieces only: `Client` → sandbox → `Receiver` → application.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver as Rx};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use cinnox::event::{
    Call, ContentType, DeliveryReport, DeliveryStatus, EventDescription, InboundSms, Party, Payload,
};
use cinnox::sandbox::{
    CallNotification, DeliveryReportNotification, InboundSmsNotification, SandboxConfig,
    SandboxConfigBuilder, WireVariant,
};
use cinnox::{Client, ErrorKind, EventKind, Receiver, RetryPolicy, Sandbox, WebhookConfig};

const APP: &str = "e2e-app";
const TOKEN: &str = "e2e-token";
const PATH: &str = "/cinnox/e2e-secret";

struct World {
    sandbox: Sandbox,
    client: Client,
    receiver: Arc<Receiver>,
    url: String,
    /// Every event the application got: (payload, dedup key).
    got: Rx<(Payload, String)>,
    /// The application fails this many deliveries before acking again.
    fail: Arc<AtomicUsize>,
    app: Option<JoinHandle<()>>,
}

impl World {
    fn new(config: SandboxConfigBuilder) -> World {
        let sandbox = Sandbox::start(config.app(APP, TOKEN).build().unwrap()).unwrap();
        let receiver =
            Arc::new(Receiver::bind("127.0.0.1:0", WebhookConfig::new(PATH).unwrap()).unwrap());
        let url = format!("http://{}{PATH}", receiver.local_addr());
        let client = Client::builder(sandbox.base_url(), TOKEN)
            .proxy_from_env(false)
            .retry(RetryPolicy::none())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let (tx, got) = channel();
        let fail = Arc::new(AtomicUsize::new(0));
        let app = {
            let (receiver, fail) = (receiver.clone(), fail.clone());
            std::thread::spawn(move || {
                while let Ok(d) = receiver.recv() {
                    let _ = tx.send((
                        d.event().payload().clone(),
                        d.dedup_key().as_str().to_owned(),
                    ));
                    if fail.load(Ordering::SeqCst) > 0 {
                        fail.fetch_sub(1, Ordering::SeqCst);
                        d.fail();
                    } else {
                        d.ack();
                    }
                }
            })
        };
        World {
            sandbox,
            client,
            receiver,
            url,
            got,
            fail,
            app: Some(app),
        }
    }

    fn next(&self) -> (Payload, String) {
        self.got
            .recv_timeout(Duration::from_secs(5))
            .expect("the application got nothing")
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.receiver.shutdown();
        if let Some(app) = self.app.take() {
            let _ = app.join();
        }
    }
}

/// A typed value built from its `Default` and the fields given (the event types are
/// `#[non_exhaustive]`, so no struct literal outside the crate).
macro_rules! value {
    ($t:ident { $($field:ident: $v:expr),* $(,)? }) => {{
        let mut value = $t::default();
        $(value.$field = $v;)*
        value
    }};
}

fn party(eid: &str, number: &str) -> Party {
    value!(Party {
        eid: Some(eid.into()),
        number: Some(number.into()),
    })
}

#[test]
fn subscribe_trigger_receive_unsubscribe() {
    let w = World::new(SandboxConfig::builder());
    for kind in [
        EventKind::Call,
        EventKind::InboundSms,
        EventKind::OutboundSms,
    ] {
        let sub = w.client.subscribe(APP, kind.clone(), &w.url).unwrap();
        assert!(sub.enabled);
        assert_eq!(sub.url, w.url);
        assert_eq!(sub.updated_at.as_deref().map(str::len), Some(24));
    }
    assert_eq!(w.sandbox.subscriptions().len(), 3);
    // A contact family's answer has no `updatedAt`; the client reads it as absent.
    let sub = w
        .client
        .subscribe(APP, EventKind::StaffContact, &w.url)
        .unwrap();
    assert_eq!(sub.updated_at, None);
    w.client
        .unsubscribe(APP, EventKind::StaffContact, &w.url)
        .unwrap();

    for wire in [WireVariant::default(), WireVariant::all()] {
        // As a JSON number, "+85298765432" arrives as its digits.
        let plus = if wire.numbers_as_json_numbers {
            ""
        } else {
            "+"
        };
        let call_id = format!("call-{plus}1");
        let start = CallNotification::start().id(&call_id).wire(wire);
        let r = w.sandbox.trigger(&start.build());
        assert_eq!(r[0].statuses(), vec![Some(200)]);
        let expected = value!(Call {
            id: Some(call_id.clone()),
            service_id: Some("sandbox-service".into()),
            caller: Some(party("staff-eid-1001", &format!("{plus}85298765432"))),
            callees: vec![party("staff-eid-1002", &format!("{plus}85223456789"))],
        });
        assert_eq!(w.next().0, Payload::CallStart(expected));

        w.sandbox.trigger(&CallNotification::end_of(&start).build());
        let end = value!(Call {
            id: Some(call_id.clone()),
            service_id: Some("sandbox-service".into()),
        });
        assert_eq!(w.next().0, Payload::CallEnd(end));

        let sms = InboundSmsNotification::new()
            .id(format!("sms-{plus}"))
            .receive_time("2022-11-07T00:00:00.000Z")
            .content("Hi \"there\"\n")
            .wire(wire);
        w.sandbox.trigger(&sms.build());
        let expected = value!(InboundSms {
            id: Some(format!("sms-{plus}")),
            event_description: Some(EventDescription::InboundSms),
            sender_number: Some("85298765432".into()),
            recipient_number: Some("85223456789".into()),
            receive_time: Some("2022-11-07T00:00:00.000Z".into()),
            content_type: Some(ContentType::Text),
            content: Some("Hi \"there\"\n".into()),
        });
        assert_eq!(w.next().0, Payload::InboundSms(expected));

        let tdr = DeliveryReportNotification::new()
            .app_id(APP)
            .transaction_id(format!("tdr-{plus}"))
            .rejected()
            .wire(wire);
        w.sandbox.trigger(&tdr.build());
        let expected = value!(DeliveryReport {
            report_type: Some("tdr".into()),
            app_id: Some(APP.into()),
            service_id: Some("sandbox-service".into()),
            transaction_id: Some(format!("tdr-{plus}")),
            recipient_number: Some("85298765432".into()),
            recipient_country: Some("HK".into()),
            response_code: Some("400".into()),
            status: Some(DeliveryStatus::Rejected),
            exception: Some("sms send failed".into()),
        });
        assert_eq!(w.next().0, Payload::OutboundSms(expected));
    }

    for kind in [
        EventKind::Call,
        EventKind::InboundSms,
        EventKind::OutboundSms,
    ] {
        let sub = w.client.unsubscribe(APP, kind, &w.url).unwrap();
        assert!(!sub.enabled);
    }
    assert!(w.sandbox.subscriptions().is_empty());
    assert!(w
        .sandbox
        .trigger(&CallNotification::start().build())
        .is_empty());
}

#[test]
fn a_failed_delivery_reaches_the_application_again() {
    let w = World::new(SandboxConfig::builder());
    w.client
        .subscribe(APP, EventKind::InboundSms, &w.url)
        .unwrap();
    w.fail.store(1, Ordering::SeqCst);
    let r = w
        .sandbox
        .trigger(&InboundSmsNotification::new().id("sms-9").build());
    assert_eq!(r[0].statuses(), vec![Some(500), Some(200)]);
    let (first, k1) = w.next();
    let (second, k2) = w.next();
    assert_eq!(first, second);
    assert_eq!(k1, k2);
    // Acked now: the same notification again is a duplicate, answered 200 without reaching
    // the application.
    let r = w.sandbox.trigger(
        &InboundSmsNotification::new()
            .id("sms-9")
            .receive_time("x")
            .build(),
    );
    assert_eq!(r[0].statuses(), vec![Some(200)]);
    w.sandbox
        .trigger(&InboundSmsNotification::new().id("sms-10").build());
    match w.next().0 {
        Payload::InboundSms(s) => assert_eq!(s.id.as_deref(), Some("sms-10")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_client_reads_the_sandbox_errors() {
    let w = World::new(
        SandboxConfig::builder()
            .rate_limit(1, Duration::from_secs(60))
            // The receiver answers the handshake (404); a short deadline could beat it.
            .verify_timeout(Duration::from_secs(5)),
    );
    let bad = Client::builder(w.sandbox.base_url(), "wrong")
        .proxy_from_env(false)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = bad.subscribe(APP, EventKind::Call, &w.url).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(e.is_invalid_token(), "{e:?}");
    assert_eq!(e.http_status(), Some(400));
    assert!(!e.to_string().contains("wrong"), "{e}");

    let e = w
        .client
        .subscribe("other-app", EventKind::Call, &w.url)
        .unwrap_err();
    assert!(e.is_invalid_app_id(), "{e:?}");

    // Refused requests do not count against the limit of 1; this one does.
    // A URL nobody answers on (the receiver's port, another path: 404).
    let wrong_path = format!("http://{}/cinnox/not-the-secret", w.receiver.local_addr());
    let e = w
        .client
        .subscribe(APP, EventKind::Call, &wrong_path)
        .unwrap_err();
    assert!(e.is_parameter_error(), "{e:?}");
    assert!(
        e.api_message()
            .unwrap()
            .starts_with("webhook URL verification failed: the receiver answered HTTP 404"),
        "{e:?}"
    );

    let e = w
        .client
        .subscribe(APP, EventKind::Call, &w.url)
        .unwrap_err();
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(e.http_status(), Some(429));
    assert_eq!(e.api_code(), Some(6_451_010));
    assert!(w.sandbox.subscriptions().is_empty());
}
