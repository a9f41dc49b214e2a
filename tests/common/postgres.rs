//! A fresh PostgreSQL database per test, on the server `.ci/run` starts.
#![allow(dead_code)]

/// A new, empty database named after `name`, as a `postgres://` URL; `None` (the test
/// skips, saying why) only when `CINNOX_TEST_POSTGRES_URL` is unset and `CI` is not set.
pub fn fresh(name: &str) -> Option<String> {
    let Ok(admin) = std::env::var("CINNOX_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CINNOX_TEST_POSTGRES_URL is not set and CI is: .ci/run starts PostgreSQL"
        );
        eprintln!("no PostgreSQL (CINNOX_TEST_POSTGRES_URL): skipping");
        return None;
    };
    // Identifiers are cut at 63 bytes: a prefix and a hash of the whole name.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let db = format!(
        "cinnox_{}_{hash:x}_{}",
        &name[..name.len().min(16)],
        std::process::id()
    );
    create(&admin, &db);
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{db}"))
}

#[cfg(feature = "postgres")]
fn create(admin: &str, db: &str) {
    let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("connect to PostgreSQL");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop an old database");
    c.batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create a database");
}

#[cfg(not(feature = "postgres"))]
fn create(_: &str, _: &str) {
    panic!("the PostgreSQL tests need the `postgres` feature (cargo test --all-features)")
}
