//! Delivering notifications: exact bodies on the wire, redelivery, and the records.

#[path = "common/sandbox.rs"]
mod sandbox;

use std::time::Duration;

use cinnox::sandbox::{
    CallNotification, DeliveryReportNotification, InboundSmsNotification, Notification,
    SandboxConfig, SandboxConfigBuilder, WireVariant,
};
use cinnox::{EventKind, Sandbox};
use sandbox::*;

fn start(config: SandboxConfigBuilder) -> Sandbox {
    Sandbox::start(
        config
            .app("app-1", "token-1")
            .app("app-2", "token-2")
            // Never reached by a stand-in that answers, even on a loaded machine.
            .verify_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn subscribe(sb: &Sandbox, app: &str, kind: &EventKind, hook: &StandIn, path: &str) {
    let token = if app == "app-1" { "token-1" } else { "token-2" };
    let a = patch(
        sb.base_url(),
        app,
        kind.slug(),
        token,
        true,
        &hook.url(path),
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert!(hook.next().challenge().is_some());
}

#[test]
fn nothing_subscribed_delivers_nothing() {
    let sb = start(SandboxConfig::builder());
    assert!(sb.trigger(&CallNotification::start().build()).is_empty());
    assert!(sb.deliveries().is_empty());
}

#[test]
fn each_seed_notification_arrives_byte_for_byte() {
    let sb = start(SandboxConfig::builder());
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    for kind in [
        EventKind::Call,
        EventKind::InboundSms,
        EventKind::OutboundSms,
    ] {
        subscribe(&sb, "app-1", &kind, &hook, &format!("/{}", kind.slug()));
    }
    let start = CallNotification::start();
    let notifications: Vec<Notification> = vec![
        start.build(),
        CallNotification::end_of(&start).build(),
        InboundSmsNotification::new().build(),
        DeliveryReportNotification::new().undelivered().build(),
        CallNotification::start().wire(WireVariant::all()).build(),
    ];
    for n in &notifications {
        let records = sb.trigger(n);
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert!(r.delivered());
        assert_eq!(r.statuses(), vec![Some(200)]);
        assert_eq!(r.app_id, "app-1");
        assert_eq!(&r.kind, n.kind());
        assert_eq!(r.body, n.body());

        let g = hook.next();
        assert_eq!(g.method, "POST");
        assert_eq!(g.path, format!("/{}", n.kind().slug()));
        assert_eq!(g.header("content-type"), Some("application/json"));
        assert_eq!(g.body, n.body());
    }
    hook.assert_nothing_more();
    assert_eq!(sb.deliveries().len(), notifications.len());
}

#[test]
fn redelivery_after_a_500() {
    let sb = start(SandboxConfig::builder());
    let hook = StandIn::answering(|n| {
        if n == 0 {
            Reply::With(500, "handler failed".into())
        } else {
            Reply::With(200, String::new())
        }
    });
    subscribe(&sb, "app-1", &EventKind::InboundSms, &hook, "/h");
    let n = InboundSmsNotification::new().id("sms-1").build();
    let records = sb.trigger(&n);
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.statuses(), vec![Some(500), Some(200)]);
    assert!(r.delivered());
    assert!(!r.attempts[0].succeeded());
    assert!(r.attempts[0].error.is_none());
    // The 50 ms wait before the redelivery counts in the record's latency.
    assert!(r.latency >= Duration::from_millis(50), "{:?}", r.latency);
    assert!(r.latency >= r.attempts[0].latency + r.attempts[1].latency);
    // The same body both times.
    assert_eq!(hook.next().body, n.body());
    assert_eq!(hook.next().body, n.body());
    hook.assert_nothing_more();
    assert_eq!(sb.deliveries(), records);
    assert_eq!(sb.take_deliveries(), records);
    assert!(sb.deliveries().is_empty());
}

#[test]
fn gives_up_after_the_schedule() {
    let sb = start(SandboxConfig::builder().redelivery(vec![Duration::from_millis(1); 2]));
    let hook = StandIn::answering(|_| Reply::With(503, String::new()));
    subscribe(&sb, "app-1", &EventKind::Call, &hook, "/h");
    let r = &sb.trigger(&CallNotification::end().build())[0];
    assert_eq!(r.statuses(), vec![Some(503); 3]);
    assert!(!r.delivered());
    for _ in 0..3 {
        hook.next();
    }
    hook.assert_nothing_more();

    // No redelivery at all.
    let sb = start(SandboxConfig::builder().redelivery(vec![]));
    subscribe(&sb, "app-1", &EventKind::Call, &hook, "/h");
    assert_eq!(
        sb.trigger(&CallNotification::end().build())[0].statuses(),
        vec![Some(503)]
    );
}

#[test]
fn timeouts_and_transport_errors_are_redelivered() {
    let sb = start(
        SandboxConfig::builder()
            // Waited out once (the hang), and long enough that the answering second
            // attempt never hits it on a loaded machine.
            .delivery_timeout(Duration::from_secs(1))
            .redelivery(vec![Duration::from_millis(1)]),
    );
    let hook = StandIn::answering(|n| match n {
        0 => Reply::Hang,
        _ => Reply::With(204, String::new()),
    });
    subscribe(&sb, "app-1", &EventKind::Call, &hook, "/h");
    let r = &sb.trigger(&CallNotification::start().build())[0];
    assert_eq!(r.statuses(), vec![None, Some(204)]);
    assert_eq!(
        r.attempts[0].error.as_deref(),
        Some("timed out after 1000 ms")
    );
    assert!(r.attempts[0].latency >= Duration::from_secs(1));
    assert!(r.delivered());

    let closing = StandIn::answering(|_| Reply::Close);
    subscribe(&sb, "app-1", &EventKind::Call, &closing, "/h");
    let r = &sb.trigger(&CallNotification::start().build())[0];
    assert_eq!(r.statuses(), vec![None, None]);
    assert!(!r.delivered());
    for a in &r.attempts {
        let e = a.error.as_deref().unwrap();
        assert!(
            e.starts_with("the connection was closed without an answer"),
            "{e}"
        );
    }
}

#[test]
fn every_subscribed_app_gets_it_unless_one_is_named() {
    let sb = start(SandboxConfig::builder());
    let h1 = StandIn::answering(|_| Reply::With(200, String::new()));
    let h2 = StandIn::answering(|_| Reply::With(200, String::new()));
    subscribe(&sb, "app-1", &EventKind::OutboundSms, &h1, "/one");
    subscribe(&sb, "app-2", &EventKind::OutboundSms, &h2, "/two");
    let n = DeliveryReportNotification::new().build();
    let apps: Vec<String> = sb.trigger(&n).into_iter().map(|r| r.app_id).collect();
    assert_eq!(apps, ["app-1", "app-2"]);
    assert_eq!(h1.next().body, n.body());
    assert_eq!(h2.next().body, n.body());

    let r = sb.trigger_for("app-2", &n);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].url, h2.url("/two"));
    assert_eq!(h2.next().path, "/two");
    h1.assert_nothing_more();

    // Another family reaches nobody; an unsubscribed app neither.
    assert!(sb
        .trigger(&InboundSmsNotification::new().build())
        .is_empty());
    assert_eq!(
        patch(
            sb.base_url(),
            "app-2",
            "outbound-sms-event-sub",
            "token-2",
            false,
            &h2.url("/two")
        )
        .status,
        200
    );
    assert!(sb.trigger_for("app-2", &n).is_empty());
}

#[test]
fn raw_json_and_raw_bytes_for_other_families() {
    let sb = start(SandboxConfig::builder());
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    subscribe(&sb, "app-1", &EventKind::Recording, &hook, "/rec");
    let json =
        r#"{"type":"message","challenge":"","message":{"id":"r1","fileUrl":"https://x/y.mp3"}}"#;
    let r = sb.trigger_json(EventKind::Recording, json).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(hook.next().body, json.as_bytes());

    let e = sb.trigger_json(EventKind::Recording, "{oops").unwrap_err();
    assert_eq!(e.kind(), cinnox::ErrorKind::InvalidArgument);
    hook.assert_nothing_more();

    let bytes = b"\xff\xfe not json".to_vec();
    sb.trigger(&Notification::raw(EventKind::Recording, bytes.clone()));
    assert_eq!(hook.next().body, bytes);
}

#[test]
fn delivery_records_hide_the_webhook_path() {
    let sb = start(SandboxConfig::builder());
    let hook = StandIn::answering(|_| Reply::With(200, String::new()));
    subscribe(&sb, "app-1", &EventKind::Call, &hook, "/cinnox/s3cr3t");
    let r = sb.trigger(&CallNotification::start().build());
    let dbg = format!("{r:?} {:?}", sb.subscriptions());
    assert!(!dbg.contains("s3cr3t"), "{dbg}");
    assert!(dbg.contains(&format!("http://{}/…", hook.addr)), "{dbg}");
}
