//! Metrics in the Prometheus text exposition format (version 0.0.4), for an operator to
//! scrape: [`Receiver::metrics`](crate::Receiver::metrics),
//! [`Inbox::metrics`](crate::Inbox::metrics) and [`Client::metrics`](crate::Client::metrics)
//! each return one exposition as text; serve it on an address of your own (never the
//! webhook port), or write it to a file for node_exporter's textfile collector.
//!
//! Names follow Prometheus conventions: `cinnox_<thing>_<unit>`, `_total` on counters.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A histogram of durations with fixed buckets, updated without locks.
pub(crate) struct Histogram {
    /// Upper bounds in seconds.
    bounds: &'static [f64],
    /// Observations at or below each bound (not cumulative; summed when rendered).
    counts: Vec<AtomicU64>,
    /// Observations above the last bound.
    over: AtomicU64,
    sum_nanos: AtomicU64,
}

/// Handler durations: 1 ms to 60 s.
pub(crate) const HANDLER_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

impl Histogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            over: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub(crate) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        match self.bounds.iter().position(|&b| secs <= b) {
            Some(i) => self.counts[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// One exposition being written.
#[derive(Default)]
pub(crate) struct Exposition {
    text: String,
}

/// `name{labels}` with the label values escaped.
fn series(name: &str, labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return name.to_owned();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{name}{{{}}}", pairs.join(","))
}

impl Exposition {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// A counter with one series per label set.
    pub(crate) fn counter(&mut self, name: &str, help: &str, values: &[(&[(&str, &str)], u64)]) {
        self.head(name, "counter", help);
        for (labels, v) in values {
            let _ = writeln!(self.text, "{} {v}", series(name, labels));
        }
    }

    /// A gauge without labels.
    pub(crate) fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.head(name, "gauge", help);
        let _ = writeln!(self.text, "{name} {value}");
    }

    /// A histogram.
    pub(crate) fn histogram(&mut self, name: &str, help: &str, h: &Histogram) {
        self.head(name, "histogram", help);
        let mut cumulative = 0;
        for (bound, count) in h.bounds.iter().zip(&h.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(self.text, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += h.over.load(Ordering::Relaxed);
        let _ = writeln!(self.text, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(self.text, "{name}_sum {sum}");
        let _ = writeln!(self.text, "{name}_count {cumulative}");
    }

    pub(crate) fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lines_are_exact() {
        let h = Histogram::new(&[0.01, 0.1]);
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(50));
        h.observe(Duration::from_secs(1));
        let mut e = Exposition::default();
        e.counter("x_total", "Xs.", &[(&[("outcome", "a\"b")], 3)]);
        e.histogram("d_seconds", "D.", &h);
        assert_eq!(
            e.finish(),
            "# HELP x_total Xs.\n# TYPE x_total counter\nx_total{outcome=\"a\\\"b\"} 3\n\
             # HELP d_seconds D.\n# TYPE d_seconds histogram\n\
             d_seconds_bucket{le=\"0.01\"} 1\nd_seconds_bucket{le=\"0.1\"} 2\n\
             d_seconds_bucket{le=\"+Inf\"} 3\nd_seconds_sum 1.055\nd_seconds_count 3\n"
        );
    }
}
