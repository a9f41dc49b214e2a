//! Debian's `slowhttptest` against the receiver: slowloris (slow heads), slow bodies and
//! slow reads, run at once for about 20 s, while a client posts an event every 50 ms on a
//! fresh connection. Every one of those posts must be answered 200 (answers, not latency:
//! CI machines are loaded). A missing `slowhttptest` fails the test (`scripts/test` installs it).

#[path = "common/receiver.rs"]
mod receiver;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use receiver::*;

/// How long each attack runs.
const SECONDS: &str = "20";
/// The gap between two normal posts.
const EVERY: Duration = Duration::from_millis(50);

fn have_slowhttptest() -> bool {
    Command::new("slowhttptest")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[test]
fn slowloris_slow_bodies_and_slow_reads_leave_every_delivery_answered() {
    assert!(
        have_slowhttptest(),
        "slowhttptest is not installed, so this test cannot run (it never skips): \
         `scripts/test` installs it (apt-get install slowhttptest)"
    );
    let rx = Arc::new(start_default(ServerSettings::default()));
    let url = format!("http://{}{PATH}", rx.local_addr());
    let serving = {
        let rx = Arc::clone(&rx);
        thread::spawn(move || rx.serve(4, |_| Ok::<(), String>(())).unwrap())
    };
    let common = |mode: &str| {
        let mut c = Command::new("slowhttptest");
        c.args([
            mode, "-c", "300", "-r", "100", "-l", SECONDS, "-u", &url, "-p", "5",
        ]);
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    };
    let mut slowloris = common("-H");
    slowloris.args(["-i", "10", "-t", "POST"]);
    let mut slow_body = common("-B");
    slow_body.args([
        "-i",
        "10",
        "-s",
        "8192",
        "-t",
        "POST",
        "-f",
        "application/json",
    ]);
    let mut slow_read = common("-X");
    slow_read.args([
        "-k", "4", "-n", "1", "-w", "16", "-y", "32", "-z", "1", "-t", "GET",
    ]);
    let attacks: Vec<std::process::Child> = [slowloris, slow_body, slow_read]
        .iter_mut()
        .map(|c| c.spawn().expect("start slowhttptest"))
        .collect();
    let attacking = Arc::new(AtomicBool::new(true));
    let poster = {
        let attacking = Arc::clone(&attacking);
        let addr = rx.local_addr();
        thread::spawn(move || {
            let mut answers = Vec::new();
            let mut next = Instant::now();
            let mut i = 0;
            while attacking.load(Ordering::Acquire) {
                let mut c = Client::new(addr);
                let r = c.post(PATH, call_event(&format!("under-attack-{i}")).as_bytes());
                answers.push(r.status);
                i += 1;
                // Pacing, not waiting for an event: one post per 50 ms at most.
                next += EVERY;
                let now = Instant::now();
                if next > now {
                    thread::sleep(next - now);
                }
            }
            answers
        })
    };
    for mut attack in attacks {
        let status = attack.wait().expect("slowhttptest ran");
        assert!(status.success(), "slowhttptest failed: {status}");
    }
    attacking.store(false, Ordering::Release);
    let answers = poster.join().unwrap();
    let stats = rx.stats();
    rx.shutdown();
    serving.join().unwrap();
    assert!(answers.len() >= 100, "only {} posts in 20 s", answers.len());
    let not_200: Vec<&u16> = answers.iter().filter(|&&s| s != 200).collect();
    assert!(
        not_200.is_empty(),
        "{} of {} posts not answered 200: {not_200:?}",
        not_200.len(),
        answers.len()
    );
    assert!(stats.webhook.acks as usize >= answers.len());
    eprintln!("{} posts answered 200; receiver: {stats:?}", answers.len());
    // The attacks reached the receiver: slow heads were cut at the header timeout, slow
    // bodies at the minimum body rate, and the slow reader's requests were answered.
    assert!(stats.read_timeouts >= 400, "{stats:?}");
    assert!(stats.webhook.refused_method >= 100, "{stats:?}");
}
