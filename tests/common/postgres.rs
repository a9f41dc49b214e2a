//! A fresh PostgreSQL database per test, on the server `scripts/test` starts.
#![allow(dead_code)]

/// A new, empty database named after `name`, as a `postgres://` URL. Without a server
/// (`CINNOX_TEST_POSTGRES_URL` unset) the test fails, saying so: it never skips, so it never
/// passes without having run.
pub fn fresh(name: &str) -> String {
    let Ok(admin) = std::env::var("CINNOX_TEST_POSTGRES_URL") else {
        panic!(
            "no PostgreSQL for this test: CINNOX_TEST_POSTGRES_URL is not set. `scripts/test` \
             starts one (and installs what every test needs); or point the variable at a \
             server where this user may create databases"
        );
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
    format!("{base}/{db}")
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
