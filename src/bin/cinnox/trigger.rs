//! `cinnox trigger` and `cinnox verify`.

use std::time::Duration;

use cinnox::sandbox::{self, Notification, NotificationKind, WireVariant};

use crate::Outcome;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").args(["to", "sandbox"]).required(true)))]
pub struct Args {
    /// call-start, call-end, inbound-sms or delivery-report.
    #[arg(value_parser = notification_kind)]
    kind: NotificationKind,
    /// Send straight to this webhook URL.
    #[arg(long, value_name = "URL")]
    to: Option<String>,
    /// Ask a running `cinnox sandbox` (its base URL) to deliver it to its subscriptions.
    #[arg(long, value_name = "URL")]
    sandbox: Option<String>,
    /// With --sandbox: only to this app's subscription.
    #[arg(long, requires = "sandbox")]
    app: Option<String>,
    /// Set a field: FIELD=VALUE (repeatable), e.g. content=hello or caller_number=+852….
    #[arg(long = "set", value_parser = field)]
    fields: Vec<(String, String)>,
    /// Another wire shape the spec allows (repeatable): numbers-as-json-numbers,
    /// callees-as-array, without-envelope.
    #[arg(long = "variant", value_parser = variant)]
    variants: Vec<WireVariant>,
    /// Send this file's JSON as the body instead of a built notification (with --sandbox:
    /// to the subscriptions of KIND's family).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fields", "variants"])]
    json: Option<std::path::PathBuf>,
    /// How long to wait for the answer, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The webhook URL to check.
    url: String,
    /// How long to wait for the answer, in milliseconds (CINNOX's own limit is unknown).
    #[arg(long, default_value_t = 5_000)]
    timeout_ms: u64,
}

fn notification_kind(name: &str) -> Result<NotificationKind, String> {
    NotificationKind::from_name(name).ok_or_else(|| {
        format!("unknown kind {name:?} (call-start, call-end, inbound-sms, delivery-report)")
    })
}

fn field(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(f, v)| (f.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not FIELD=VALUE"))
}

fn variant(name: &str) -> Result<WireVariant, String> {
    WireVariant::from_name(name).ok_or_else(|| {
        format!(
            "unknown variant {name:?} (numbers-as-json-numbers, callees-as-array, without-envelope)"
        )
    })
}

pub fn run(a: Args) -> Outcome {
    let wire = a
        .variants
        .iter()
        .fold(WireVariant::default(), |w, v| w.merge(*v));
    let fields: Vec<(&str, &str)> = a
        .fields
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let timeout = Duration::from_millis(a.timeout_ms.max(1));
    let file = match &a.json {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => None,
    };
    if let Some(base) = &a.sandbox {
        return through_sandbox(base, &a, file, timeout);
    }
    let Some(url) = &a.to else {
        return Err(crate::Usage("give --to URL or --sandbox URL".to_owned()).into());
    };
    let notification = match &file {
        Some(text) => Notification::json(a.kind.family(), text)?,
        None => a.kind.build(&fields, wire)?,
    };
    let attempt = sandbox::send(url, &notification, timeout)?;
    let ms = attempt.latency.as_millis();
    match (attempt.status, &attempt.error) {
        (Some(status), _) => println!("{} -> HTTP {status} in {ms} ms", a.kind.name()),
        (None, Some(why)) => println!("{} -> no answer: {why}", a.kind.name()),
        (None, None) => println!("{} -> no answer", a.kind.name()),
    }
    Ok(attempt.succeeded())
}

/// `POST {base}/_sandbox/trigger/{kind}` with the fields as a JSON object, or, with a
/// file, `POST {base}/_sandbox/deliver/{family}` with the file as the notification.
fn through_sandbox(base: &str, a: &Args, file: Option<String>, timeout: Duration) -> Outcome {
    let mut url = match &file {
        Some(_) => format!(
            "{}/_sandbox/deliver/{}",
            base.trim_end_matches('/'),
            a.kind.family().short_name()
        ),
        None => format!(
            "{}/_sandbox/trigger/{}",
            base.trim_end_matches('/'),
            a.kind.name()
        ),
    };
    let mut query: Vec<String> = Vec::new();
    if let Some(app) = &a.app {
        query.push(format!(
            "app={}",
            percent_encoding::utf8_percent_encode(app, percent_encoding::NON_ALPHANUMERIC)
        ));
    }
    for v in &a.variants {
        for (on, name) in [
            (v.numbers_as_json_numbers, "numbers-as-json-numbers"),
            (v.callees_as_array, "callees-as-array"),
            (v.without_envelope, "without-envelope"),
        ] {
            if on {
                query.push(format!("variant={name}"));
            }
        }
    }
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    let body = file.unwrap_or_else(|| {
        let fields: serde_json::Map<String, serde_json::Value> = a
            .fields
            .iter()
            .map(|(f, v)| (f.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(fields).to_string()
    });
    // Deliveries include the sandbox's redeliveries: allow for them.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout * 5))
        .build()
        .new_agent();
    let mut reply = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .map_err(|e| {
            format!(
                "the sandbox could not be reached: {}",
                crate::transport_words(&e)
            )
        })?;
    let status = reply.status().as_u16();
    let text = reply.body_mut().read_to_string().unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if status != 200 {
        let message = answer["message"].as_str().unwrap_or(&text);
        return Err(format!("the sandbox answered HTTP {status}: {message}").into());
    }
    let deliveries = answer["result"]["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if deliveries.is_empty() {
        eprintln!(
            "{}: nothing is subscribed to {} in the sandbox",
            a.kind.name(),
            a.kind.family().short_name()
        );
        return Ok(false);
    }
    let mut all = true;
    for d in &deliveries {
        let delivered = d["delivered"].as_bool().unwrap_or(false);
        all &= delivered;
        let statuses: Vec<String> = d["statuses"]
            .as_array()
            .map(|s| {
                s.iter()
                    .map(|v| v.as_u64().map_or("-".to_owned(), |n| n.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{} -> app {}: {} (HTTP {})",
            a.kind.name(),
            d["app_id"].as_str().unwrap_or("?"),
            if delivered {
                "delivered"
            } else {
                "not delivered"
            },
            statuses.join(", ")
        );
    }
    Ok(all)
}

pub fn verify(a: VerifyArgs) -> Outcome {
    let v = sandbox::verify_url(&a.url, Duration::from_millis(a.timeout_ms.max(1)))?;
    println!("sent      POST {}", v.request);
    match v.status {
        Some(status) => println!(
            "answer    HTTP {status}, Content-Type {}, body {:?}",
            v.content_type.as_deref().unwrap_or("(none)"),
            String::from_utf8_lossy(&v.body)
                .chars()
                .take(200)
                .collect::<String>()
        ),
        None => println!("answer    none"),
    }
    match &v.problem {
        None => println!("verdict   CINNOX would accept this URL"),
        Some(why) => println!("verdict   CINNOX would refuse this URL: {why}"),
    }
    Ok(v.accepted())
}
