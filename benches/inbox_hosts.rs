//! Durable events per second on one PostgreSQL with 1, 2 and 3 receiving processes
//! (`cinnox listen --store-only --inbox postgres://…`, each answering 200 only once the
//! event is committed), against the SQLite inbox on one host (the same command with a file
//! on the same disk) and against the limit: pgbench running one bare single-row `INSERT`
//! per transaction into the inbox's own table, with as many clients as wrk has connections.
//!
//! ```text
//! source scripts/postgres.sh        # a PostgreSQL on 127.0.0.1 (or set HOSTS_BENCH_POSTGRES_URL)
//! cargo bench --features cli,postgres --bench inbox_hosts
//! ```
//!
//! Needs wrk, taskset and pgbench (PostgreSQL's bin directory, found next to
//! `CINNOX_TEST_PG_CTL` or on `PATH`). The load (wrk, pgbench) runs on CPU 1, the receivers
//! on CPU 0; PostgreSQL is not pinned. Every measurement starts on a fresh database (or
//! SQLite file); rounds are interleaved; each row prints the median and the spread.
//! `HOSTS_BENCH_SECS` (5), `HOSTS_BENCH_ROUNDS` (5), `HOSTS_BENCH_CONNS` (48).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_cinnox");
const PATH: &str = "/bench/hook";
const BODY: &str = r#""eventDescription":"NewInboundSMS","senderNumber":"85291234567","recipientNumber":"85223456789","receiveTime":"2026-11-28T00:00:00.000Z","contentType":"Text","content":"bench"}"#;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_url() -> String {
    std::env::var("HOSTS_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("CINNOX_TEST_POSTGRES_URL"))
        .expect("no PostgreSQL: `source scripts/postgres.sh` or set HOSTS_BENCH_POSTGRES_URL")
}

fn pgbench() -> PathBuf {
    std::env::var_os("CINNOX_TEST_PG_CTL")
        .map(PathBuf::from)
        .and_then(|ctl| ctl.parent().map(|d| d.join("pgbench")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("pgbench"))
}

/// A new empty database; its URL.
fn fresh_database(admin: &str, n: usize) -> String {
    let db = format!("cinnox_bench_{n}");
    let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("connect");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .expect("drop");
    c.batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create");
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

/// `cinnox listen --store-only` on CPU 0; its address.
fn receiver(location: &str) -> (Child, String) {
    let mut child = Command::new("taskset")
        .args([
            "-c",
            "0",
            EXE,
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--path",
            PATH,
        ])
        .args(["--inbox", location, "--store-only"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cinnox");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    err.read_line(&mut first).expect("read stderr");
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = err.read_to_end(&mut sink);
    });
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    (child, addr)
}

/// A wrk script: thread i posts to receiver i (round robin), each request a new event id.
fn wrk_script(dir: &Path, addrs: &[String], tag: &str) -> PathBuf {
    let list: Vec<String> = addrs.iter().map(|a| format!("\"{a}\"")).collect();
    let script = format!(
        r#"local hosts = {{{list}}}
local n = 0
function setup(thread)
  n = n + 1
  local host, port = hosts[((n - 1) % #hosts) + 1]:match("([^:]+):(%d+)")
  thread.addr = wrk.lookup(host, port)[1]
  thread:set("prefix", "{tag}-" .. n)
end
counter = 0
function request()
  counter = counter + 1
  local body = '{{"id":"' .. prefix .. '-' .. counter .. '",' .. '{BODY}'
  return wrk.format("POST", "{PATH}", {{["Content-Type"] = "application/json"}}, body)
end
"#,
        list = list.join(", ")
    );
    let path = dir.join(format!("{tag}.lua"));
    std::fs::write(&path, script).expect("write the wrk script");
    path
}

/// Events answered 200 per second, by wrk on CPU 1 against `addrs`.
fn wrk(addrs: &[String], conns: u64, secs: u64, script: &Path) -> f64 {
    let threads = addrs.len() as u64;
    let conns = conns / threads * threads;
    let out = Command::new("taskset")
        .args(["-c", "1", "wrk"])
        .arg(format!("-t{threads}"))
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"))
        .arg("-s")
        .arg(script)
        .arg(format!("http://{}{PATH}", addrs[0]))
        .output()
        .expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    // "  12345 requests in 5.00s, 1.23MB read"
    let (requests, elapsed) = text
        .lines()
        .find_map(|l| {
            let (n, rest) = l.trim().split_once(" requests in ")?;
            let secs = rest.split_once('s')?.0;
            Some((n.parse::<f64>().ok()?, secs.parse::<f64>().ok()?))
        })
        .unwrap_or_else(|| panic!("no result from wrk:\n{text}"));
    let failed: f64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0);
    if failed > 0.0 {
        eprintln!("  ({failed} answers were not 200)");
    }
    (requests - failed) / elapsed
}

/// The limit: pgbench, one single-row INSERT per transaction into the inbox's table.
fn bare_inserts(dir: &Path, url: &str, conns: u64, secs: u64) -> f64 {
    // The table exactly as the inbox creates it.
    drop(cinnox::Inbox::open(url).expect("create the inbox schema"));
    let script = dir.join("insert.sql");
    let body = format!("{{\"id\":\"x\",{BODY}").replace('\'', "''");
    std::fs::write(
        &script,
        format!(
            "INSERT INTO cinnox_inbox (dedup_key, body, state, next_attempt_at, received_at, \
             updated_at) VALUES (gen_random_uuid()::text, convert_to('{body}', 'UTF8'), \
             'pending', 0, 0, 0);\n"
        ),
    )
    .expect("write the pgbench script");
    let out = Command::new("taskset")
        .args(["-c", "1"])
        .arg(pgbench())
        .args(["-n", "-M", "prepared", "-j", "1"])
        .arg(format!("-c{conns}"))
        .arg(format!("-T{secs}"))
        .arg("-f")
        .arg(&script)
        .arg(url)
        .output()
        .expect("run pgbench");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no result from pgbench:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

fn stop(children: Vec<Child>) {
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

fn median_and_spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Wait (up to 5 minutes) for a quiet machine.
fn quiet() {
    let deadline = Instant::now() + Duration::from_secs(300);
    while loadavg() >= 1.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(5));
    }
    println!("load average at start: {:.2}", loadavg());
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env_or("HOSTS_BENCH_SECS", 5);
    let rounds = env_or("HOSTS_BENCH_ROUNDS", 5) as usize;
    let conns = env_or("HOSTS_BENCH_CONNS", 48);
    let admin = admin_url();
    let dir = std::env::temp_dir().join(format!("cinnox-hosts-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    quiet();

    const ROWS: [&str; 5] = [
        "bare INSERT loop (pgbench)",
        "SQLite inbox, 1 receiver",
        "PostgreSQL inbox, 1 receiver",
        "PostgreSQL inbox, 2 receivers",
        "PostgreSQL inbox, 3 receivers",
    ];
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); ROWS.len()];
    let mut n = 0;
    for round in 0..rounds {
        for (row, result) in results.iter_mut().enumerate() {
            n += 1;
            let tag = format!("r{round}-{row}");
            let rate = match row {
                0 => bare_inserts(&dir, &fresh_database(&admin, n), conns, secs),
                1 => {
                    let file = dir.join(format!("{tag}.db"));
                    let (child, addr) = receiver(&file.display().to_string());
                    let addrs = vec![addr];
                    let rate = wrk(&addrs, conns, secs, &wrk_script(&dir, &addrs, &tag));
                    stop(vec![child]);
                    rate
                }
                _ => {
                    let url = fresh_database(&admin, n);
                    let (children, addrs): (Vec<Child>, Vec<String>) =
                        (0..row - 1).map(|_| receiver(&url)).unzip();
                    let rate = wrk(&addrs, conns, secs, &wrk_script(&dir, &addrs, &tag));
                    stop(children);
                    rate
                }
            };
            println!("round {round}: {:<32} {rate:>9.0} events/s", ROWS[row]);
            result.push(rate);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!();
    println!(
        "durable events/s, {conns} connections, {secs} s x {rounds} interleaved rounds \
         (median [min - max]); load average at end {:.2}",
        loadavg()
    );
    let limit = median_and_spread(results[0].clone()).0;
    let sqlite = median_and_spread(results[1].clone()).0;
    println!(
        "| {:<32} | {:>9} | {:>17} | {:>9} | {:>8} |",
        "", "events/s", "spread", "x limit", "x SQLite"
    );
    for (row, v) in results.into_iter().enumerate() {
        let (m, lo, hi) = median_and_spread(v);
        println!(
            "| {:<32} | {m:>9.0} | {:>17} | {:>9.2} | {:>8.2} |",
            ROWS[row],
            format!("{lo:.0} - {hi:.0}"),
            m / limit,
            m / sqlite
        );
    }
}
