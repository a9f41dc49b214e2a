//! [`InboxConfig`] and [`RetrySchedule`]: how an inbox retries, leases and keeps events.

use std::time::Duration;

use crate::{Error, Result};

/// How long a handled event is kept, and so recognised as a duplicate: 3 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);

/// When a failed event is tried again, and when it is given up (dead). Made by
/// [`RetrySchedule::builder`] or [`RetrySchedule::default`].
///
/// ```
/// # use std::time::Duration;
/// use cinnox::inbox::RetrySchedule;
/// let retry = RetrySchedule::builder()
///     .max_attempts(3)
///     .first_delay(Duration::from_secs(1))
///     .build()?;
/// assert_eq!(retry.delay_after(1), Some(Duration::from_secs(1)));
/// assert_eq!(retry.delay_after(2), Some(Duration::from_secs(2)));
/// assert_eq!(retry.delay_after(3), None); // the third failure is the last: dead
/// # Ok::<(), cinnox::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    max_attempts: u32,
    first_delay: Duration,
    max_delay: Duration,
}

/// Configures a [`RetrySchedule`]: made by [`RetrySchedule::builder`] with the defaults;
/// checked by [`build`](RetryScheduleBuilder::build).
#[derive(Debug, Clone)]
pub struct RetryScheduleBuilder {
    schedule: RetrySchedule,
}

impl Default for RetrySchedule {
    /// 8 attempts: waits of 5 s, 10 s, 20 s, 40 s, 80 s, 160 s, 320 s (about 10 minutes in
    /// all), capped at 1 hour.
    fn default() -> Self {
        RetrySchedule {
            max_attempts: 8,
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl RetrySchedule {
    /// A builder starting from the defaults.
    pub fn builder() -> RetryScheduleBuilder {
        RetryScheduleBuilder {
            schedule: RetrySchedule::default(),
        }
    }

    /// Attempts in all, the first included; after the last failure the event is dead.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait after the first failure; doubled after each next one.
    pub fn first_delay(&self) -> Duration {
        self.first_delay
    }

    /// The longest wait.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The wait after failed attempt number `attempt` (1-based); `None` when it was the last.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let doubled = self
            .first_delay
            .checked_mul(1u32 << attempt.saturating_sub(1).min(31))
            .unwrap_or(self.max_delay);
        Some(doubled.min(self.max_delay))
    }
}

impl RetryScheduleBuilder {
    /// Attempts in all, the first included (default 8; 0 fails `build`).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.schedule.max_attempts = attempts;
        self
    }

    /// The wait after the first failure (default 5 s); doubled after each next one.
    pub fn first_delay(mut self, delay: Duration) -> Self {
        self.schedule.first_delay = delay;
        self
    }

    /// The longest wait (default 1 hour; below the first delay fails `build`).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.schedule.max_delay = delay;
        self
    }

    /// The schedule, checked: [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// for 0 attempts or a longest wait below the first.
    pub fn build(self) -> Result<RetrySchedule> {
        let s = self.schedule;
        if s.max_attempts == 0 {
            return Err(Error::invalid_argument("max_attempts must be at least 1"));
        }
        if s.max_delay < s.first_delay {
            return Err(Error::invalid_argument(
                "max_delay must not be below first_delay",
            ));
        }
        Ok(s)
    }
}

/// How an [`Inbox`](super::Inbox) retries, leases and keeps events. Made by
/// [`InboxConfig::builder`] or [`InboxConfig::default`], checked by
/// [`InboxConfigBuilder::build`], given to [`Inbox::open_with`](super::Inbox::open_with).
///
/// ```no_run
/// # use std::time::Duration;
/// use cinnox::inbox::{Inbox, InboxConfig, RetrySchedule};
/// let config = InboxConfig::builder()
///     .retry(RetrySchedule::builder().max_attempts(5).build()?)
///     .lease(Duration::from_secs(120))
///     .build()?;
/// let inbox = Inbox::open_with("cinnox-inbox.db", &config)?;
/// # Ok::<(), cinnox::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxConfig {
    pub(crate) retry: RetrySchedule,
    pub(crate) lease: Duration,
    pub(crate) retention: Duration,
    pub(crate) pool_size: usize,
    pub(crate) create: bool,
}

/// Configures an [`InboxConfig`]: made by [`InboxConfig::builder`] with the defaults;
/// checked by [`build`](InboxConfigBuilder::build).
#[derive(Debug, Clone)]
pub struct InboxConfigBuilder {
    config: InboxConfig,
}

impl Default for InboxConfig {
    /// [`RetrySchedule::default`], a 60 s lease, a retention of 3 days, 4 PostgreSQL
    /// connections for the consumers.
    fn default() -> Self {
        InboxConfig {
            retry: RetrySchedule::default(),
            lease: Duration::from_secs(60),
            retention: DEFAULT_RETENTION,
            pool_size: 4,
            create: true,
        }
    }
}

impl InboxConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> InboxConfigBuilder {
        InboxConfigBuilder {
            config: InboxConfig::default(),
        }
    }

    /// When a failed event is tried again, and when it is dead.
    pub fn retry(&self) -> RetrySchedule {
        self.retry
    }

    /// How long a consumer holds an event before it is given to another.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// How long handled events are kept (and duplicates recognised) by
    /// [`Inbox::purge_expired`](super::Inbox::purge_expired).
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// The consumers' connections to PostgreSQL (SQLite uses one).
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// Whether opening creates a missing SQLite file.
    pub fn create(&self) -> bool {
        self.create
    }
}

impl InboxConfigBuilder {
    /// The retry schedule (default [`RetrySchedule::default`]).
    pub fn retry(mut self, retry: RetrySchedule) -> Self {
        self.config.retry = retry;
        self
    }

    /// How long a consumer holds an event before it is given to another (default 60 s;
    /// zero fails `build`). A handler that takes longer may see its event handled twice; a
    /// consumer that dies gives its events back after this long.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.config.lease = lease;
        self
    }

    /// How long handled events are kept, and so recognised as duplicates (default 3 days;
    /// zero fails `build`).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.config.retention = retention;
        self
    }

    /// The consumers' connections to a PostgreSQL inbox (default 4, from 1 to 64).
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.config.pool_size = connections;
        self
    }

    /// Whether [`Inbox::open_with`](super::Inbox::open_with) creates a missing SQLite file
    /// (default `true`). With `false` a missing file is an
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming it, and
    /// nothing is created: for tools that look into an inbox another process writes. (A
    /// PostgreSQL database is never created; its table is.)
    pub fn create(mut self, create: bool) -> Self {
        self.config.create = create;
        self
    }

    /// The configuration, checked: [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// for a zero lease or retention, or a pool outside 1 to 64.
    pub fn build(self) -> Result<InboxConfig> {
        let c = self.config;
        if c.lease.is_zero() {
            return Err(Error::invalid_argument("the lease must be above zero"));
        }
        if c.retention.is_zero() {
            return Err(Error::invalid_argument("the retention must be above zero"));
        }
        if !(1..=64).contains(&c.pool_size) {
            return Err(Error::invalid_argument(
                "the pool size must be between 1 and 64",
            ));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_doubles_and_gives_up_after_eight() {
        let r = RetrySchedule::default();
        let waits: Vec<u64> = (1..8)
            .map(|a| r.delay_after(a).unwrap().as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320]);
        assert_eq!(r.delay_after(8), None);
        let capped = RetrySchedule::builder()
            .max_attempts(100)
            .first_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(60))
            .build()
            .unwrap();
        assert_eq!(capped.delay_after(40), Some(Duration::from_secs(60)));
        assert_eq!(capped.delay_after(99), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_config_that_cannot_work_cannot_be_built() {
        for (b, says) in [
            (RetrySchedule::builder().max_attempts(0), "max_attempts"),
            (
                RetrySchedule::builder()
                    .first_delay(Duration::from_secs(2))
                    .max_delay(Duration::from_secs(1)),
                "max_delay",
            ),
        ] {
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(says), "{e}");
        }
        for (b, says) in [
            (InboxConfig::builder().lease(Duration::ZERO), "lease"),
            (
                InboxConfig::builder().retention(Duration::ZERO),
                "retention",
            ),
            (InboxConfig::builder().pool_size(0), "pool size"),
            (InboxConfig::builder().pool_size(65), "pool size"),
        ] {
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(says), "{e}");
        }
        assert_eq!(
            InboxConfig::builder().build().unwrap(),
            InboxConfig::default()
        );
    }
}
