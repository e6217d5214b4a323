use std::time::Duration;

use chittyid_domain::resilience::{
    Backoff, ConnectionMonitor, ConnectionState, HealthCheck, Jitter, Listeners, MonitorConfig,
    MonitorEvent, ResilienceConfig, SplitMix64, Timestamp,
};

fn at(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn v2_2_0() -> ConnectionMonitor {
    ConnectionMonitor::try_new(ResilienceConfig::v2_2_0().monitor).expect("valid preset")
}

fn with_max_attempts(max: u32) -> ConnectionMonitor {
    ConnectionMonitor::try_new(MonitorConfig {
        max_reconnect_attempts: Some(max),
        ..ResilienceConfig::v2_2_0().monitor
    })
    .expect("valid")
}

const DOWN: fn() -> Result<(), String> = || Err("connection refused".to_owned());

fn answer(
    monitor: &mut ConnectionMonitor,
    check: HealthCheck,
    result: Result<(), String>,
    now: Timestamp,
) {
    monitor.on_health_check(check, result, now, &mut SplitMix64::new(1));
}

#[test]
fn starts_disconnected_with_nothing_due() {
    let monitor = v2_2_0();
    assert_eq!(monitor.state(), ConnectionState::Disconnected);
    assert_eq!(monitor.next_check_at(), None);
    assert!(!monitor.is_healthy());
}

#[test]
fn connect_reaches_connected_when_the_upstream_answers() {
    let mut monitor = v2_2_0();
    let check = monitor.connect(at(0)).expect("a first check");
    assert_eq!(monitor.state(), ConnectionState::Connecting);
    answer(&mut monitor, check, Ok(()), at(40));
    assert_eq!(monitor.state(), ConnectionState::Connected);
    assert!(monitor.is_healthy());
    assert_eq!(monitor.next_check_at(), Some(at(30_040)), "every 30 s");
    let stats = monitor.stats(at(10_040));
    assert_eq!(stats.total_connections, 1);
    assert_eq!(stats.uptime, secs(10));
}

#[test]
fn connect_reaches_failed_when_attempts_run_out() {
    let mut monitor = with_max_attempts(3);
    let mut check = monitor.connect(at(0)).expect("first check");
    let mut now = at(0);
    let mut reconnects = Vec::new();
    loop {
        answer(&mut monitor, check, DOWN(), now);
        match monitor.next_check_at() {
            Some(due) => {
                now = due;
                check = monitor.poll(now).expect("due");
            }
            None => break,
        }
        reconnects.extend(monitor.drain_events().filter_map(|e| match e {
            MonitorEvent::Reconnecting { attempt, delay } => Some((attempt, delay)),
            _ => None,
        }));
    }
    assert_eq!(monitor.state(), ConnectionState::Failed);
    assert_eq!(
        reconnects,
        [(1, secs(1)), (2, secs(2)), (3, secs(4))],
        "1 s doubling"
    );
    assert!(
        monitor
            .drain_events()
            .any(|e| e == MonitorEvent::MaxReconnectAttemptsReached { attempts: 3 })
    );
    assert_eq!(monitor.stats(now).total_health_checks, 4);
}

#[test]
fn two_concurrent_connects_share_one_check_and_agree() {
    let mut monitor = v2_2_0();
    let check = monitor
        .connect(at(0))
        .expect("first caller starts the check");
    assert_eq!(monitor.connect(at(1)), None, "second caller joins it");
    answer(&mut monitor, check, Ok(()), at(5));
    assert_eq!(monitor.state(), ConnectionState::Connected);
    assert_eq!(monitor.connect(at(6)), None);
    assert_eq!(monitor.stats(at(6)).total_health_checks, 1);
}

#[test]
fn disconnect_clears_timers_and_ignores_late_results() {
    let mut monitor = v2_2_0();
    let check = monitor.connect(at(0)).expect("check");
    answer(&mut monitor, check, Ok(()), at(1));
    let due = monitor.poll(at(30_001)).expect("periodic check");
    monitor.disconnect(at(30_002));
    assert_eq!(monitor.state(), ConnectionState::Disconnected);
    assert_eq!(monitor.next_check_at(), None);
    assert_eq!(monitor.poll(at(1_000_000)), None);
    answer(&mut monitor, due, Ok(()), at(30_003));
    assert_eq!(
        monitor.state(),
        ConnectionState::Disconnected,
        "late result ignored"
    );
    assert_eq!(monitor.stats(at(30_003)).total_health_checks, 1);
}

#[test]
fn health_checks_are_counted_and_the_rate_is_exact() {
    let mut monitor = v2_2_0();
    let mut check = monitor.connect(at(0)).expect("check");
    let results = [true, true, false, true, true, true, false];
    let mut now = at(0);
    for ok in results {
        answer(&mut monitor, check, if ok { Ok(()) } else { DOWN() }, now);
        now = monitor.next_check_at().expect("another check is scheduled");
        check = monitor.poll(now).expect("due");
    }
    let stats = monitor.stats(now);
    assert_eq!(stats.total_health_checks, 7);
    assert_eq!(stats.successful_health_checks, 5);
    assert_eq!(stats.failed_health_checks, 2);
    assert_eq!(stats.health_check_success_rate, 5.0 / 7.0);
    assert_eq!(
        stats.total_reconnections, 1,
        "the last failure has not been followed by a success"
    );
    assert_eq!(stats.total_failures, 2);
}

#[test]
fn an_unhealthy_connection_reconnects_with_backoff_and_a_success_resets_attempts() {
    let mut monitor = v2_2_0();
    let check = monitor.connect(at(0)).expect("check");
    answer(&mut monitor, check, Ok(()), at(0));
    monitor.drain_events().for_each(drop);
    let check = monitor.poll(at(30_000)).expect("periodic");
    answer(&mut monitor, check, DOWN(), at(30_000));
    let events: Vec<MonitorEvent> = monitor.drain_events().collect();
    assert_eq!(
        events,
        [
            MonitorEvent::Error {
                message: "connection refused".to_owned()
            },
            MonitorEvent::Unhealthy,
            MonitorEvent::Disconnected,
            MonitorEvent::Reconnecting {
                attempt: 1,
                delay: secs(1)
            },
            MonitorEvent::StateChange {
                from: ConnectionState::Connected,
                to: ConnectionState::Reconnecting,
                at: at(30_000)
            },
        ]
    );
    assert_eq!(monitor.next_check_at(), Some(at(31_000)));
    let check = monitor.poll(at(31_000)).expect("reconnect due");
    answer(&mut monitor, check, DOWN(), at(31_000));
    assert_eq!(
        monitor.next_check_at(),
        Some(at(33_000)),
        "2 s after the second failure"
    );
    assert_eq!(monitor.stats(at(31_000)).reconnect_attempts, 2);
    let check = monitor.poll(at(33_000)).expect("reconnect due");
    answer(&mut monitor, check, Ok(()), at(33_000));
    assert_eq!(monitor.state(), ConnectionState::Connected);
    assert_eq!(monitor.stats(at(33_000)).reconnect_attempts, 0);
    assert_eq!(monitor.stats(at(33_000)).total_reconnections, 1);
}

#[test]
fn state_change_events_fire_in_order() {
    let mut monitor = with_max_attempts(1);
    let check = monitor.connect(at(0)).expect("check");
    answer(&mut monitor, check, DOWN(), at(1));
    let check = monitor.poll(at(1_001)).expect("reconnect");
    answer(&mut monitor, check, DOWN(), at(1_001));
    let check = monitor
        .connect(at(2_000))
        .expect("connect again from FAILED");
    answer(&mut monitor, check, Ok(()), at(2_001));
    let changes: Vec<(ConnectionState, ConnectionState)> = monitor
        .drain_events()
        .filter_map(|e| match e {
            MonitorEvent::StateChange { from, to, .. } => Some((from, to)),
            _ => None,
        })
        .collect();
    use ConnectionState::*;
    assert_eq!(
        changes,
        [
            (Disconnected, Connecting),
            (Connecting, Reconnecting),
            (Reconnecting, Failed),
            (Failed, Connecting),
            (Connecting, Connected),
        ]
    );
}

#[test]
fn listeners_hear_monitor_events_and_a_failing_one_does_not_block_the_next() {
    let mut listeners = Listeners::<MonitorEvent>::default();
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let failing = listeners.add(|_| Err("listener down".to_owned()));
    let log = std::sync::Arc::clone(&heard);
    let recording = listeners.add(move |event| {
        log.lock().expect("not poisoned").push(event.clone());
        Ok(())
    });
    let mut monitor = v2_2_0();
    let check = monitor.connect(at(0)).expect("check");
    answer(&mut monitor, check, Ok(()), at(1));
    let mut failures = 0;
    for event in monitor.drain_events() {
        failures += listeners.emit(&event).len();
    }
    assert_eq!(failures, 3);
    assert_eq!(heard.lock().expect("not poisoned").len(), 3);
    assert!(listeners.remove(failing));
    assert!(listeners.remove(recording));
    assert!(listeners.emit(&MonitorEvent::Connected).is_empty());
}

#[test]
fn reset_zeroes_the_statistics() {
    let mut monitor = v2_2_0();
    let check = monitor.connect(at(0)).expect("check");
    answer(&mut monitor, check, Ok(()), at(1));
    monitor.reset_stats();
    let stats = monitor.stats(at(1));
    assert_eq!(
        (
            stats.total_connections,
            stats.total_health_checks,
            stats.health_check_success_rate
        ),
        (0, 0, 0.0)
    );
}

#[test]
fn reconnect_delays_are_jittered_within_bounds() {
    let mut monitor = ConnectionMonitor::try_new(MonitorConfig {
        reconnect: Backoff::try_new(
            secs(1),
            2.0,
            Duration::from_millis(100),
            secs(60),
            Jitter::Full,
        )
        .expect("valid"),
        ..ResilienceConfig::v2_2_0().monitor
    })
    .expect("valid");
    let mut check = monitor.connect(at(0)).expect("check");
    let mut now = at(0);
    let mut rng = SplitMix64::new(9);
    for _ in 0..20 {
        monitor.on_health_check(check, DOWN(), now, &mut rng);
        let due = monitor.next_check_at().expect("scheduled");
        let delay = due.saturating_since(now);
        assert!(
            delay >= Duration::from_millis(100) && delay <= secs(60),
            "{delay:?}"
        );
        now = due;
        check = monitor.poll(now).expect("due");
    }
}

#[test]
fn nonsense_configurations_are_refused() {
    let base = ResilienceConfig::v2_2_0().monitor;
    assert!(
        ConnectionMonitor::try_new(MonitorConfig {
            health_interval: Duration::ZERO,
            ..base
        })
        .is_err()
    );
    assert!(
        ConnectionMonitor::try_new(MonitorConfig {
            health_timeout: Duration::ZERO,
            ..base
        })
        .is_err()
    );
    assert!(
        ConnectionMonitor::try_new(MonitorConfig {
            max_reconnect_attempts: Some(0),
            ..base
        })
        .is_err()
    );
}

#[test]
fn a_successful_call_while_reconnecting_is_proof_of_health() {
    let mut monitor = v2_2_0();
    let check = monitor.connect(at(0)).expect("a first check");
    answer(&mut monitor, check, Ok(()), at(10));
    let check = monitor.poll(at(30_010)).expect("the next check is due");
    answer(&mut monitor, check, DOWN(), at(30_020));
    assert_eq!(monitor.state(), ConnectionState::Reconnecting);
    let in_flight = monitor.poll(monitor.next_check_at().expect("a retry is due"));
    // A generate goes through before the reconnect check answers.
    monitor.on_call_succeeded(at(31_500));
    assert_eq!(monitor.state(), ConnectionState::Connected);
    assert!(monitor.is_healthy());
    assert_eq!(
        monitor.next_check_at(),
        Some(at(61_500)),
        "the regular interval again"
    );
    let stats = monitor.stats(at(31_500));
    assert_eq!((stats.total_connections, stats.total_reconnections), (2, 1));
    // The check that was in flight no longer counts.
    if let Some(check) = in_flight {
        answer(&mut monitor, check, DOWN(), at(31_600));
        assert_eq!(monitor.state(), ConnectionState::Connected);
    }
}

#[test]
fn a_successful_call_changes_nothing_while_connected_or_not_watching() {
    let mut monitor = v2_2_0();
    monitor.on_call_succeeded(at(5));
    assert_eq!(
        monitor.state(),
        ConnectionState::Disconnected,
        "not watching"
    );
    let check = monitor.connect(at(10)).expect("a first check");
    answer(&mut monitor, check, Ok(()), at(20));
    monitor.on_call_succeeded(at(1_000));
    assert_eq!(
        monitor.next_check_at(),
        Some(at(30_020)),
        "the schedule stands"
    );
    assert_eq!(monitor.stats(at(1_000)).total_connections, 1);
}
