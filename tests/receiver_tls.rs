//! HTTPS receiver (cargo feature `https`) with a self-signed certificate made at test time.
#![cfg(feature = "https")]

#[path = "common/receiver.rs"]
mod receiver;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use cinnox::{ErrorKind, Receiver, ReceiverConfig, WebhookConfig};
use receiver::*;

struct Tls {
    cert_pem: String,
    key_pem: String,
    cert_der: rustls::pki_types::CertificateDer<'static>,
}

fn self_signed() -> Tls {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    Tls {
        cert_pem: ck.cert.pem(),
        key_pem: ck.signing_key.serialize_pem(),
        cert_der: ck.cert.der().clone(),
    }
}

/// POST `body` over TLS with `Connection: close`; the whole answer as text.
fn post_tls(
    addr: std::net::SocketAddr,
    cert: &rustls::pki_types::CertificateDer<'static>,
    body: &str,
) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn https_delivers_events_and_answers_challenges() {
    let tls = self_signed();
    let config = ServerSettings {
        read_timeout: Some(Duration::from_secs(60)),
        ..quick_config()
    }
    .builder(WebhookConfig::new(PATH).unwrap())
    .tls(tls.cert_pem.as_bytes(), tls.key_pem.as_bytes())
    .build()
    .unwrap();
    assert!(config.is_tls());
    let rx = Receiver::bind("127.0.0.1:0", config).unwrap();
    let addr = rx.local_addr();
    let cert = tls.cert_der.clone();
    let client = thread::spawn(move || post_tls(addr, &cert, &call_event("tls-1")));
    let d = rx.recv().unwrap();
    assert_eq!(d.raw(), call_event("tls-1").as_bytes());
    d.ack();
    let answer = client.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n{\"code\":0}"), "{answer}");

    let answer = post_tls(addr, &tls.cert_der, r#"{"challenge":"tls"}"#);
    assert!(
        answer.ends_with(r#"{"code":0,"result":{"challenge":"tls"}}"#),
        "{answer}"
    );

    // Plain HTTP on the TLS port is closed, not served and not left hanging.
    let mut c = Client::new(addr);
    c.send(&post_bytes(PATH, call_event("plain").as_bytes()));
    let mut rest = Vec::new();
    // Closed (EOF or reset), not the client's 5 s read timeout: the server's read deadline
    // is a minute here, so only a prompt close ends this read.
    if let Err(e) = c.reader.read_to_end(&mut rest) {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    assert!(!rest.starts_with(b"HTTP/1.1 200"));
    assert_eq!(rx.stats().webhook.events, 1);
}

#[test]
fn unusable_pem_is_an_invalid_argument_that_does_not_quote_the_key() {
    let tls = self_signed();
    let webhook = WebhookConfig::new(PATH).unwrap();
    // The pair is read when the configuration is built: no receiver starts with it.
    let e = ReceiverConfig::builder(webhook.clone())
        .tls(b"not a certificate", tls.key_pem.as_bytes())
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = ReceiverConfig::builder(webhook)
        .tls(
            tls.cert_pem.as_bytes(),
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let key_body: String = tls.key_pem.lines().nth(1).unwrap().to_owned();
    assert!(!format!("{e} {e:?}").contains(&key_body));
}
