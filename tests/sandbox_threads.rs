//! Dropping a sandbox joins every thread it started (alone in its test binary, so that the
//! thread count is this test's own).

use cinnox::sandbox::{CallNotification, SandboxConfig};
use cinnox::{Client, EventKind, Receiver, Sandbox, WebhookConfig};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn dropping_a_sandbox_leaves_no_thread_behind() {
    let before = threads();
    assert!(before > 0, "/proc/self/task is readable");
    {
        let sandbox = Sandbox::start(
            SandboxConfig::builder()
                .app("app", "token")
                .build()
                .unwrap(),
        )
        .unwrap();
        let receiver = Receiver::bind("127.0.0.1:0", WebhookConfig::new("/hook").unwrap()).unwrap();
        let url = format!("http://{}/hook", receiver.local_addr());
        // Keep-alive connections to the sandbox from a client, and a delivery through it.
        let client = Client::new(sandbox.base_url(), "token").unwrap();
        client.subscribe("app", EventKind::Call, &url).unwrap();
        client
            .subscribe("app", EventKind::InboundSms, &url)
            .unwrap();
        std::thread::scope(|s| {
            s.spawn(|| receiver.recv().unwrap().ack());
            let records = sandbox.trigger(&CallNotification::start().build());
            assert_eq!(records[0].statuses(), [Some(200)]);
        });
        assert!(threads() > before);
        drop(receiver);
        drop(sandbox);
        // The client's pooled connection to the sandbox outlives it: that is the client's.
        drop(client);
    }
    assert_eq!(
        threads(),
        before,
        "threads left after the sandbox was dropped"
    );
}
