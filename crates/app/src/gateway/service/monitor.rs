//! Health, readiness and the background connection monitor.

use std::future::Future;
use std::time::Duration;

use chittyid_domain::resilience::{BreakerState, ConnectionState};

use super::{AUDIT_PROBE_REUSE, Control, GatewayService, HealthSnapshot, Readiness};
use crate::clock::Clock;
use crate::gateway::ports::{AuditSink, CacheReport, MintAuthority, RateLimitStore, VerdictCache};
use crate::sync::lock;

impl GatewayService {
    /// What would make a generate fail now: an open breaker, an authority the monitor cannot
    /// reach, an audit store that cannot write.
    pub async fn readiness(&self) -> Readiness {
        let health = self.health().await;
        self.readiness_of(&health).await
    }

    /// Readiness from a snapshot already taken (a health answer needs both).
    pub async fn readiness_of(&self, health: &HealthSnapshot) -> Readiness {
        let mut problems = Vec::new();
        if matches!(
            health.breaker,
            BreakerState::Open | BreakerState::ForcedOpen
        ) {
            problems.push("circuit_open");
        }
        if health.connection != ConnectionState::Connected {
            problems.push("authority_unreachable");
        }
        if !self.audit_writable().await {
            problems.push("audit_unavailable");
        }
        if self
            .witness
            .as_ref()
            .is_some_and(|witness| witness.alarm().is_some())
        {
            problems.push("authority_log_forked");
        }
        Readiness { problems }
    }

    async fn audit_writable(&self) -> bool {
        let mut last = self.audit_probe.lock().await;
        let now = self.clock.monotonic();
        if let Some((at, writable)) = *last
            && now.saturating_since(at) < AUDIT_PROBE_REUSE
        {
            return writable;
        }
        let writable = match self.audit.health().await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "the audit store cannot write");
                false
            }
        };
        *last = Some((now, writable));
        writable
    }

    pub async fn health(&self) -> HealthSnapshot {
        let now = self.clock.monotonic();
        let (connection, connection_stats) = {
            let monitor = lock(&self.monitor);
            (monitor.0.state(), monitor.0.stats(now))
        };
        let (breaker, breaker_counters) = {
            let mut control = lock(&self.control);
            let Control { breaker, rng, .. } = &mut *control;
            (breaker.state(now, rng), breaker.counters())
        };
        HealthSnapshot {
            connection,
            connection_stats,
            breaker,
            breaker_counters,
            cache: self.cache.stats().await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "verdict cache statistics unavailable");
                CacheReport::default()
            }),
            rate_limit_shared: self.rate_limits.shared_available(),
            log_witness: self.witness.as_ref().map(|witness| witness.stats()),
        }
    }

    /// Runs the connection monitor until `stop` resolves: health checks in the background,
    /// never in the way of minting.
    pub async fn drive_monitor(&self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let timeout = self.config.resilience.monitor.health_timeout;
        let first = lock(&self.monitor).0.connect(self.clock.monotonic());
        let mut pending = first;
        loop {
            if let Some(check) = pending.take() {
                let result = match tokio::time::timeout(timeout, self.authority.health()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => Err(err.to_string()),
                    Err(_) => Err(format!("no answer within {timeout:?}")),
                };
                let mut monitor = lock(&self.monitor);
                let (monitor, rng) = &mut *monitor;
                monitor.on_health_check(check, result, self.clock.monotonic(), rng);
                for event in monitor.drain_events() {
                    log_monitor_event(&event);
                }
            }
            let wait = {
                let mut monitor = lock(&self.monitor);
                let now = self.clock.monotonic();
                pending = monitor.0.poll(now);
                monitor
                    .0
                    .next_check_at()
                    .map_or(Duration::from_secs(1), |due| due.saturating_since(now))
            };
            if pending.is_some() {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => {
                    lock(&self.monitor).0.disconnect(self.clock.monotonic());
                    return;
                }
            }
        }
    }
}

/// One log line per monitor event, its parts as fields (never a Rust debug structure).
fn log_monitor_event(event: &chittyid_domain::resilience::MonitorEvent) {
    use chittyid_domain::resilience::MonitorEvent;
    match event {
        MonitorEvent::Connected => {
            tracing::info!(
                event = "connected",
                "connection monitor: the authority answers"
            );
        }
        MonitorEvent::Disconnected => {
            tracing::info!(event = "disconnected", "connection monitor: disconnected");
        }
        MonitorEvent::Unhealthy => {
            tracing::warn!(
                event = "unhealthy",
                "connection monitor: the authority's health check failed"
            );
        }
        MonitorEvent::Reconnecting { attempt, delay } => tracing::info!(
            event = "reconnecting",
            attempt,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "connection monitor: reconnecting"
        ),
        MonitorEvent::Error { message } => {
            tracing::warn!(event = "error", error = %message, "connection monitor: health check error");
        }
        MonitorEvent::StateChange { from, to, .. } => tracing::info!(
            event = "state_change",
            from = from.name(),
            to = to.name(),
            "connection monitor: state changed"
        ),
        MonitorEvent::MaxReconnectAttemptsReached { attempts } => tracing::warn!(
            event = "max_reconnect_attempts",
            attempts,
            "connection monitor: gave up reconnecting"
        ),
    }
}
