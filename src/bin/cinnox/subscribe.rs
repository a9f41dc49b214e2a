//! `cinnox subscribe` and `cinnox unsubscribe`.

use cinnox::{Client, EventKind};

use crate::{Credentials, Outcome};

/// The URL sent with `enabled: false` when none is given: the API requires one.
const NO_URL: &str = "https://unsubscribed.invalid/";

#[derive(clap::Args)]
pub struct Args {
    /// Families: short names or slugs.
    #[arg(required_unless_present = "all", value_parser = family)]
    families: Vec<EventKind>,
    /// All nine documented families.
    #[arg(long, conflicts_with = "families")]
    all: bool,
    /// The webhook URL (the receiver must be up: CINNOX verifies it at once).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    credentials: Credentials,
}

#[derive(clap::Args)]
pub struct UnArgs {
    /// Families: short names or slugs.
    #[arg(required_unless_present = "all", value_parser = family)]
    families: Vec<EventKind>,
    /// All nine documented families.
    #[arg(long, conflicts_with = "families")]
    all: bool,
    /// The URL sent with the request (the API requires one; any valid URL).
    #[arg(long, default_value = NO_URL)]
    url: String,
    #[command(flatten)]
    credentials: Credentials,
}

/// A family by short name or slug, for clap.
pub fn family(name: &str) -> Result<EventKind, String> {
    EventKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = EventKind::KNOWN.iter().map(EventKind::short_name).collect();
        format!("unknown family {name:?} (one of: {})", names.join(", "))
    })
}

pub fn subscribe(a: Args) -> Outcome {
    change(&a.credentials, families(a.families, a.all), true, &a.url)
}

pub fn unsubscribe(a: UnArgs) -> Outcome {
    change(&a.credentials, families(a.families, a.all), false, &a.url)
}

fn families(given: Vec<EventKind>, all: bool) -> Vec<EventKind> {
    if all {
        EventKind::KNOWN.to_vec()
    } else {
        given
    }
}

/// One line per family; every family is tried, and the command fails if any did.
fn change(c: &Credentials, families: Vec<EventKind>, enabled: bool, url: &str) -> Outcome {
    let (base_url, app_id, token) = c.get()?;
    let client = Client::new(base_url, token)?;
    let mut ok = true;
    for kind in families {
        match client.set_subscription(app_id, kind.clone(), enabled, url) {
            Ok(sub) => {
                let state = if sub.enabled { "subscribed" } else { "removed" };
                let at = sub.updated_at.as_deref().unwrap_or("-");
                println!("{:<17} {state:<10} updatedAt {at}", kind.short_name());
            }
            Err(e) => {
                ok = false;
                println!("{:<17} failed", kind.short_name());
                eprintln!("error: {}: {e}", kind.short_name());
            }
        }
    }
    Ok(ok)
}
