//! The cost of the C boundary: `cinnox_parse` + the typed view + `cinnox_event_free`
//! against the Rust `cinnox::parse` of the same bytes (with the same fields read), in one
//! run. Target: C / Rust <= 1.1.
//!
//! Two C paths are measured:
//!
//! - `c_abi`: the `extern "C"` functions called from Rust, linked into this executable;
//! - `c`: a C loop (`benches/c/ffi_parse.c`) compiled by the system C compiler (`$CC`, else
//!   `cc`) at `-O2` into a shared object linked to the freshly built `libcinnox.so`, so the
//!   calls cross a real shared-library boundary as in a C program. Skipped, with a note,
//!   when no C compiler is found.
//!
//! `cargo bench --bench ffi_parse`; the criterion groups run first, then the ratios,
//! measured interleaved in rounds (the order of the three paths turning each round) and
//! reported as the median of the rounds. Times are the CPU time of the benchmarking thread
//! (`CLOCK_THREAD_CPUTIME_ID`), so that time spent preempted by other processes on a shared
//! machine does not land on one path; `CINNOX_BENCH_WALL=1` measures wall time instead.

use std::ffi::{c_void, CString};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cinnox::event::Payload;
use cinnox::ffi::cinnox_result;
use cinnox::ffi::event::{
    cinnox_event, cinnox_event_call, cinnox_event_free, cinnox_event_get_type,
    cinnox_event_inbound_sms, cinnox_event_outbound_sms, cinnox_parse,
};
use cinnox::Incoming;
use criterion::{criterion_group, Criterion};

const BODIES: [(&str, &str); 3] = [
    (
        "call_start",
        r#"{"type":"message","message":{"id":"7f1c2c9e-4b1e-4c55-9d0e-0b6f7d1c2a11","status":"CallStart","serviceId":"svc-3f2a9b","caller":{"eid":"staff-eid-1001","number":"+85298765432"},"callees":{"eid":"staff-eid-1002","number":"+85223456789"}}}"#,
    ),
    (
        "inbound_sms",
        r#"{"id":"5d0c8b7e-2f4a-4d8e-9a61-3c2b1e0f9d87","eventDescription":"Inbound SMS","senderNumber":"85298765432","recipientNumber":"85223456789","receiveTime":"2022-11-07T08:15:30.123Z","contentType":"Text","content":"Hello, I would like to book a table for two tonight at 8pm."}"#,
    ),
    (
        "outbound_sms",
        r#"{"Type":"tdr","AppID":"app-7c1d2e","ServiceID":"svc-3f2a9b","TransactionID":"tx-9b8a7c6d5e4f","RecipientNumber":"85298765432","RecipientCountry":"HK","ResponseCode":"","Status":"Delivered","Exception":""}"#,
    ),
];

/// Parse with the Rust API and read the same fields the C side reads.
fn rust_parse(body: &[u8]) -> usize {
    match cinnox::parse(body) {
        Ok(Incoming::Event(ev)) => match ev.payload() {
            Payload::CallStart(c) | Payload::CallEnd(c) => {
                black_box(c.id.as_deref());
                black_box(c.caller.as_ref().and_then(|p| p.number.as_deref()));
                c.callees.len()
            }
            Payload::InboundSms(s) => black_box(s.content.as_deref()).map_or(0, str::len),
            Payload::OutboundSms(r) => {
                black_box(r.transaction_id.as_deref());
                black_box(r.status.as_ref()).is_some() as usize
            }
            _ => 0,
        },
        _ => 0,
    }
}

/// The same through the C ABI from Rust: parse, type, view, fields, free.
fn c_abi_parse(body: &[u8]) -> usize {
    let mut ev: *mut cinnox_event = std::ptr::null_mut();
    // SAFETY: a valid buffer and out-pointer; the event is freed below.
    unsafe {
        if cinnox_parse(body.as_ptr(), body.len(), &mut ev) != cinnox_result::CINNOX_OK {
            return 0;
        }
        let n = match cinnox_event_get_type(ev) as u32 {
            2 | 3 => {
                let c = &*cinnox_event_call(ev);
                black_box(c.id);
                black_box(c.caller.number);
                c.callee_count
            }
            4 => {
                let s = &*cinnox_event_inbound_sms(ev);
                black_box(s.content);
                s.content_len
            }
            5 => {
                let o = &*cinnox_event_outbound_sms(ev);
                black_box(o.transaction_id);
                (o.status as u32 != 0) as usize
            }
            _ => 0,
        };
        cinnox_event_free(ev);
        n
    }
}

/// `cinnox_bench_c_loop(body, len, iterations)` of `benches/c/ffi_parse.c`.
type CLoop = unsafe extern "C" fn(*const u8, usize, usize) -> usize;

/// Compile `benches/c/ffi_parse.c` against the fresh `libcinnox.so` and load it; `None`
/// (with the reason printed) when that is not possible here.
fn load_c_loop() -> Option<CLoop> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::current_exe().ok()?;
    // `cargo bench` builds every crate type of the library next to the bench executable.
    let lib_dir = exe.parent()?.to_path_buf();
    if !lib_dir.join("libcinnox.so").exists() {
        println!(
            "(no libcinnox.so in {}: the C loop is skipped)",
            lib_dir.display()
        );
        return None;
    }
    let out_dir = lib_dir.join("..").join("ffi-bench");
    std::fs::create_dir_all(&out_dir).ok()?;
    let out = out_dir.join("libffi_parse_c.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-O2",
        ])
        .args(["-fPIC", "-shared", "-I"])
        .arg(root.join("include"))
        .arg(root.join("benches/c/ffi_parse.c"))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib_dir.display()))
        .arg("-Wl,--disable-new-dtags")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-lcinnox")
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            println!(
                "({cc} could not build benches/c/ffi_parse.c: {other:?}; the C loop is skipped)"
            );
            return None;
        }
    }
    dlsym_loop(&out)
}

fn dlsym_loop(path: &Path) -> Option<CLoop> {
    let path = CString::new(path.to_str()?).ok()?;
    // SAFETY: a NUL-terminated path; the library stays loaded for the life of the process.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        println!("(dlopen failed: the C loop is skipped)");
        return None;
    }
    // SAFETY: a live handle and a NUL-terminated name.
    let sym: *mut c_void = unsafe { libc::dlsym(handle, c"cinnox_bench_c_loop".as_ptr()) };
    if sym.is_null() {
        return None;
    }
    // SAFETY: the symbol is the function of that signature in benches/c/ffi_parse.c.
    Some(unsafe { std::mem::transmute::<*mut c_void, CLoop>(sym) })
}

/// The CPU time of the calling thread, or wall time when `CINNOX_BENCH_WALL` is set.
fn now() -> Duration {
    if std::env::var_os("CINNOX_BENCH_WALL").is_some() {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        return START.get_or_init(Instant::now).elapsed();
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant of the platform.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn bench(c: &mut Criterion) {
    let c_loop = load_c_loop();
    for (name, body) in BODIES {
        let body = body.as_bytes();
        assert!(
            rust_parse(body) > 0 && c_abi_parse(body) > 0,
            "{name} parses"
        );
        let mut g = c.benchmark_group(format!("parse/{name}"));
        g.bench_function("rust", |b| b.iter(|| rust_parse(black_box(body))));
        g.bench_function("c_abi", |b| b.iter(|| c_abi_parse(black_box(body))));
        if let Some(f) = c_loop {
            // SAFETY: a valid buffer of `len` bytes.
            g.bench_function("c", |b| {
                b.iter(|| unsafe { f(black_box(body).as_ptr(), body.len(), 1) })
            });
        }
        g.finish();
    }
}

/// The ratios C / Rust per body, measured interleaved in rounds (so that frequency changes
/// and other load hit every path alike), the median of the rounds.
fn ratios() {
    const ROUNDS: usize = 21;
    let c_loop = load_c_loop();
    println!(
        "\nC / Rust parse, median of {ROUNDS} interleaved rounds ({} time):",
        if std::env::var_os("CINNOX_BENCH_WALL").is_some() {
            "wall"
        } else {
            "thread CPU"
        }
    );
    for (name, body) in BODIES {
        let body = body.as_bytes();
        if let Some(f) = c_loop {
            // SAFETY: a valid buffer of `len` bytes.
            let n = unsafe { f(body.as_ptr(), body.len(), 1) };
            assert_eq!(n, rust_parse(body), "{name}: the C loop reads the same");
        }
        // Iterations per measurement: about 30 ms of the Rust parse.
        let per = {
            let start = now();
            let mut n = 0usize;
            while now() - start < Duration::from_millis(30) {
                for _ in 0..100 {
                    black_box(rust_parse(black_box(body)));
                }
                n += 100;
            }
            n
        };
        let rust = || {
            for _ in 0..per {
                black_box(rust_parse(black_box(body)));
            }
        };
        let c_abi = || {
            for _ in 0..per {
                black_box(c_abi_parse(black_box(body)));
            }
        };
        let c = || {
            if let Some(f) = c_loop {
                // SAFETY: a valid buffer of `len` bytes.
                black_box(unsafe { f(black_box(body).as_ptr(), body.len(), per) });
            }
        };
        let paths: [&dyn Fn(); 3] = [&rust, &c_abi, &c];
        let mut rounds: Vec<[f64; 3]> = Vec::new();
        for round in 0..ROUNDS {
            let mut ns = [0f64; 3];
            for k in 0..3 {
                let i = (round + k) % 3;
                let start = now();
                paths[i]();
                ns[i] = (now() - start).as_nanos() as f64 / per as f64;
            }
            rounds.push(ns);
        }
        let median = |f: &dyn Fn(&[f64; 3]) -> f64| {
            let mut v: Vec<f64> = rounds.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let r = median(&|x| x[0]);
        let abi = median(&|x| x[1]);
        let abi_ratio = median(&|x| x[1] / x[0]);
        print!("  {name:<13} rust {r:>5.0} ns   c_abi {abi:>5.0} ns ({abi_ratio:.3})");
        if c_loop.is_some() {
            let c = median(&|x| x[2]);
            let c_ratio = median(&|x| x[2] / x[0]);
            print!("   c {c:>5.0} ns ({c_ratio:.3})");
        }
        println!();
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
