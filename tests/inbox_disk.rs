//! The SQLite inbox on a small disk (a real 4 MiB tmpfs): its WAL stays bounded, so 2,000
//! events fit and are all answered 200; when another file fills the disk every delivery is
//! answered 503 (never 200 for an event not stored), and once the space is back deliveries
//! are stored again and a worker drains everything, without a restart.
//!
//! Mounting a tmpfs needs root: `scripts/test` runs as root. Without it the test fails,
//! saying so; it never skips.

#[path = "common/receiver.rs"]
mod receiver;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cinnox::inbox::Inbox;
use receiver::*;

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = std::env::temp_dir().join(format!("cinnox-disk-{}", std::process::id()));
        let _ = Command::new("umount").arg("-l").arg(&dir).status();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "cannot mount a tmpfs on {} (this test needs root; scripts/test runs as root): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Fill the disk under `path` until it is full.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0x5au8; 64 * 1024];
    loop {
        if f.write_all(&block).is_err() {
            break;
        }
    }
    // The last partial block: down to the byte.
    while f.write_all(&[0u8]).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_is_answered_503_and_the_inbox_comes_back_by_itself() {
    let disk = Tmpfs::mount("4m");
    let db = disk.0.join("inbox.db");
    let wal = disk.0.join("inbox.db-wal");
    let inbox = Inbox::open(db.to_str().unwrap()).unwrap();
    let rx = start_default(quick_config().inbox(inbox.clone()));
    let mut client = Client::new(rx.local_addr());

    // 2,000 events into 4 MiB: all stored, the WAL bounded.
    let mut largest_wal = 0;
    for i in 0..2000 {
        let r = client.post(PATH, call_event(&format!("fits-{i}")).as_bytes());
        assert_eq!(
            r.status,
            200,
            "event {i} (db {} B, WAL {} B)",
            size(&db),
            size(&wal)
        );
        largest_wal = largest_wal.max(size(&wal));
    }
    eprintln!(
        "2,000 events: database {} B, WAL {} B (at most {largest_wal} B)",
        size(&db),
        size(&wal)
    );
    assert!(
        largest_wal <= 1024 * 1024,
        "the WAL grew to {largest_wal} B"
    );
    assert_eq!(inbox.stats().unwrap().pending, 2000);

    // Another file takes the rest of the disk: 503 only.
    let hog = disk.0.join("hog");
    fill(&hog);
    // What the WAL and the database still have free takes a few more; then 503, and only
    // 503, until the space comes back.
    let (mut refused, mut accepted, mut i) = (0, 0u64, 0);
    while refused < 30 {
        assert!(i < 5000, "still storing after {i} events on a full disk");
        let r = client.post(PATH, call_event(&format!("full-{i}")).as_bytes());
        match r.status {
            503 => refused += 1,
            200 if refused == 0 => accepted += 1,
            other => panic!("event full-{i} answered {other} on a full disk ({refused} refused)"),
        }
        i += 1;
    }
    eprintln!("on the full disk: {accepted} more stored, then 503");
    // The space comes back: stored again, without a restart.
    std::fs::remove_file(&hog).unwrap();
    for i in 0..20 {
        let r = client.post(PATH, call_event(&format!("back-{i}")).as_bytes());
        assert_eq!(r.status, 200, "event back-{i} after the space came back");
    }

    // A worker on that disk drains everything stored: its leases and acks are written.
    // Every event answered 200 is there: none more, none less.
    let stored = inbox.stats().unwrap().pending;
    assert_eq!(stored, 2000 + accepted + 20);
    let worker = Inbox::open(db.to_str().unwrap()).unwrap();
    for _ in 0..stored {
        worker.recv_timeout(Duration::from_secs(10)).unwrap().ack();
    }
    let c = inbox.stats().unwrap();
    assert_eq!((c.pending, c.in_flight, c.done), (0, 0, stored));
    rx.shutdown();
}
