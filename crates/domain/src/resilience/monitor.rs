//! The connection monitor: watches the upstream's health and says when to check it next. It
//! never blocks minting; it only observes. Driven by time and health-check results, it keeps
//! the v2.2.0 states, events and statistics, with jittered reconnect delays.

use std::fmt;
use std::time::Duration;

use super::backoff::Backoff;
use super::config_error::{self, ConfigError};
use super::rng::RandomSource;
use super::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
    Failed,
}

impl ConnectionState {
    /// The v2.2.0 name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Disconnected => "DISCONNECTED",
            Self::Connecting => "CONNECTING",
            Self::Connected => "CONNECTED",
            Self::Reconnecting => "RECONNECTING",
            Self::Failed => "FAILED",
        }
    }

    /// The value of the `chittyid_connection_state` gauge.
    pub const fn gauge(self) -> u8 {
        match self {
            Self::Disconnected => 0,
            Self::Connecting => 1,
            Self::Connected => 2,
            Self::Reconnecting => 3,
            Self::Failed => 4,
        }
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonitorConfig {
    /// Time between health checks while connected.
    pub health_interval: Duration,
    /// How long one health check may take (the driver enforces it).
    pub health_timeout: Duration,
    /// Delays between reconnect attempts.
    pub reconnect: Backoff,
    /// After this many failed reconnect attempts the state is FAILED; `None` never gives up.
    pub max_reconnect_attempts: Option<u32>,
}

/// The v2.2.0 events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    Connected,
    Disconnected,
    Unhealthy,
    Reconnecting {
        attempt: u32,
        delay: Duration,
    },
    Error {
        message: String,
    },
    StateChange {
        from: ConnectionState,
        to: ConnectionState,
        at: Timestamp,
    },
    MaxReconnectAttemptsReached {
        attempts: u32,
    },
}

/// A health check the driver should run now; hand its result back with the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCheck {
    id: u64,
}

/// The v2.2.0 statistics, exact.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MonitorStats {
    pub total_connections: u64,
    pub total_reconnections: u64,
    pub total_failures: u64,
    pub total_health_checks: u64,
    pub successful_health_checks: u64,
    pub failed_health_checks: u64,
    /// Successful over total health checks, 0 to 1; 0 before the first check.
    pub health_check_success_rate: f64,
    pub reconnect_attempts: u32,
    /// Time connected, since the current connection was made; zero when not connected.
    pub uptime: Duration,
}

#[derive(Debug, Clone)]
pub struct ConnectionMonitor {
    config: MonitorConfig,
    state: ConnectionState,
    next_check_at: Option<Timestamp>,
    /// The check handed out and not yet answered, if any.
    pending_check: Option<u64>,
    next_check_id: u64,
    reconnect_attempts: u32,
    previous_delay: Duration,
    connected_since: Option<Timestamp>,
    stats: MonitorStats,
    events: Vec<MonitorEvent>,
}

impl ConnectionMonitor {
    pub fn try_new(config: MonitorConfig) -> Result<Self, ConfigError> {
        config_error::nonzero_duration("monitor health_interval", config.health_interval)?;
        config_error::nonzero_duration("monitor health_timeout", config.health_timeout)?;
        if let Some(max) = config.max_reconnect_attempts {
            config_error::nonzero("monitor max_reconnect_attempts", u64::from(max))?;
        }
        Ok(Self {
            config,
            state: ConnectionState::Disconnected,
            next_check_at: None,
            pending_check: None,
            next_check_id: 0,
            reconnect_attempts: 0,
            previous_delay: Duration::ZERO,
            connected_since: None,
            stats: MonitorStats::default(),
            events: Vec::new(),
        })
    }

    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    pub fn state(&self) -> ConnectionState {
        self.state
    }

    pub fn is_healthy(&self) -> bool {
        self.state == ConnectionState::Connected
    }

    /// When the next health check is due; `None` while one is under way or when disconnected.
    pub fn next_check_at(&self) -> Option<Timestamp> {
        self.next_check_at
    }

    pub fn stats(&self, now: Timestamp) -> MonitorStats {
        let mut stats = self.stats;
        stats.reconnect_attempts = self.reconnect_attempts;
        stats.health_check_success_rate = if stats.total_health_checks == 0 {
            0.0
        } else {
            stats.successful_health_checks as f64 / stats.total_health_checks as f64
        };
        stats.uptime = self
            .connected_since
            .map_or(Duration::ZERO, |since| now.saturating_since(since));
        stats
    }

    /// Zeroes the statistics (not the state).
    pub fn reset_stats(&mut self) {
        self.stats = MonitorStats::default();
    }

    /// Events since the last call, oldest first.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, MonitorEvent> {
        self.events.drain(..)
    }

    /// Starts connecting, unless already connecting or connected: two concurrent connects get
    /// one health check between them and agree on the outcome.
    pub fn connect(&mut self, now: Timestamp) -> Option<HealthCheck> {
        match self.state {
            ConnectionState::Disconnected | ConnectionState::Failed => {
                self.reconnect_attempts = 0;
                self.previous_delay = Duration::ZERO;
                self.transition(ConnectionState::Connecting, now);
                Some(self.hand_out_check())
            }
            _ => None,
        }
    }

    /// Stops watching: no check is due any more, and a result still in flight is ignored.
    pub fn disconnect(&mut self, now: Timestamp) {
        self.next_check_at = None;
        self.pending_check = None;
        if self.state != ConnectionState::Disconnected {
            self.connected_since = None;
            self.events.push(MonitorEvent::Disconnected);
            self.transition(ConnectionState::Disconnected, now);
        }
    }

    /// The health check due at `now`, if one is.
    pub fn poll(&mut self, now: Timestamp) -> Option<HealthCheck> {
        match self.next_check_at {
            Some(due) if due <= now && self.pending_check.is_none() => Some(self.hand_out_check()),
            _ => None,
        }
    }

    /// Takes the result of a health check. `Err` carries why it failed (timeout, refused, a
    /// non-2xx status). A result for a check that is no longer awaited is ignored.
    pub fn on_health_check(
        &mut self,
        check: HealthCheck,
        result: Result<(), String>,
        now: Timestamp,
        rng: &mut impl RandomSource,
    ) {
        if self.pending_check != Some(check.id) {
            return;
        }
        self.pending_check = None;
        self.stats.total_health_checks += 1;
        match result {
            Ok(()) => {
                self.stats.successful_health_checks += 1;
                if self.state != ConnectionState::Connected {
                    self.mark_connected(now);
                }
                self.next_check_at = Some(now + self.config.health_interval);
            }
            Err(message) => {
                self.stats.failed_health_checks += 1;
                self.stats.total_failures += 1;
                self.events.push(MonitorEvent::Error { message });
                if self.state == ConnectionState::Connected {
                    self.connected_since = None;
                    self.events.push(MonitorEvent::Unhealthy);
                    self.events.push(MonitorEvent::Disconnected);
                }
                self.schedule_reconnect(now, rng);
            }
        }
    }

    /// A call to the upstream succeeded: proof of health as good as a health check's. While
    /// connecting, reconnecting or failed, the monitor counts as connected at once instead of
    /// waiting out its backoff (a check still in flight is ignored); while connected or
    /// disconnected (not watching), nothing changes.
    pub fn on_call_succeeded(&mut self, now: Timestamp) {
        if matches!(
            self.state,
            ConnectionState::Connected | ConnectionState::Disconnected
        ) {
            return;
        }
        self.pending_check = None;
        self.mark_connected(now);
        self.next_check_at = Some(now + self.config.health_interval);
    }

    fn mark_connected(&mut self, now: Timestamp) {
        if self.state == ConnectionState::Reconnecting {
            self.stats.total_reconnections += 1;
        }
        self.stats.total_connections += 1;
        self.reconnect_attempts = 0;
        self.previous_delay = Duration::ZERO;
        self.connected_since = Some(now);
        self.events.push(MonitorEvent::Connected);
        self.transition(ConnectionState::Connected, now);
    }

    fn schedule_reconnect(&mut self, now: Timestamp, rng: &mut impl RandomSource) {
        if self
            .config
            .max_reconnect_attempts
            .is_some_and(|max| self.reconnect_attempts >= max)
        {
            self.next_check_at = None;
            self.events.push(MonitorEvent::MaxReconnectAttemptsReached {
                attempts: self.reconnect_attempts,
            });
            self.transition(ConnectionState::Failed, now);
            return;
        }
        self.reconnect_attempts += 1;
        let delay = self
            .config
            .reconnect
            .delay(self.reconnect_attempts, self.previous_delay, rng);
        self.previous_delay = delay;
        self.next_check_at = Some(now + delay);
        self.events.push(MonitorEvent::Reconnecting {
            attempt: self.reconnect_attempts,
            delay,
        });
        self.transition(ConnectionState::Reconnecting, now);
    }

    fn hand_out_check(&mut self) -> HealthCheck {
        let id = self.next_check_id;
        self.next_check_id += 1;
        self.pending_check = Some(id);
        self.next_check_at = None;
        HealthCheck { id }
    }

    fn transition(&mut self, to: ConnectionState, now: Timestamp) {
        let from = self.state;
        if from != to {
            self.state = to;
            self.events
                .push(MonitorEvent::StateChange { from, to, at: now });
        }
    }
}
