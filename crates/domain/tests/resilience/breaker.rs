use std::time::Duration;

use chittyid_domain::resilience::{
    BreakerConfig, BreakerState, CircuitBreaker, ConfigError, ConsecutiveFailures, FailureRate,
    HalfOpenConfig, OpenDuration, Outcome, Permit, ResilienceConfig, SlowCallRate, SplitMix64,
    StateChange, Timestamp, WindowKind,
};
use proptest::prelude::*;

const FAILURE: Outcome = Outcome::Failure { retry_after: None };

fn at(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn v2_2_0() -> CircuitBreaker {
    CircuitBreaker::try_new(ResilienceConfig::v2_2_0().breaker).expect("valid preset")
}

fn config() -> BreakerConfig {
    BreakerConfig {
        consecutive_failures: Some(ConsecutiveFailures { failures: 3 }),
        failure_count: None,
        failure_rate: None,
        slow_call_rate: None,
        window: WindowKind::CountBased { calls: 10 },
        open: OpenDuration {
            base: secs(10),
            growth: 2.0,
            max: secs(60),
            jitter: 0.0,
        },
        half_open: HalfOpenConfig {
            max_probes: 2,
            successes_to_close: 2,
            max_wait: secs(5),
        },
        max_retry_after: secs(120),
    }
}

fn call(
    breaker: &mut CircuitBreaker,
    now: Timestamp,
    outcome: Outcome,
    rng: &mut SplitMix64,
) -> bool {
    match breaker.try_acquire(now, rng) {
        Ok(permit) => {
            breaker.record(permit, outcome, now, rng);
            true
        }
        Err(_) => false,
    }
}

#[test]
fn five_failures_open_the_v2_2_0_breaker() {
    let mut breaker = v2_2_0();
    let mut rng = SplitMix64::new(1);
    for i in 0..4 {
        assert!(call(&mut breaker, at(i * 100), FAILURE, &mut rng));
        assert_eq!(breaker.state(at(i * 100), &mut rng), BreakerState::Closed);
    }
    assert!(call(&mut breaker, at(400), FAILURE, &mut rng));
    assert_eq!(breaker.state(at(400), &mut rng), BreakerState::Open);
}

#[test]
fn failures_spread_wider_than_the_window_do_not_open_it() {
    let mut breaker = v2_2_0();
    let mut rng = SplitMix64::new(1);
    for i in 0..10 {
        assert!(call(&mut breaker, at(i * 3_000), FAILURE, &mut rng));
    }
    assert_eq!(breaker.state(at(30_000), &mut rng), BreakerState::Closed);
}

#[test]
fn an_open_breaker_refuses_at_once_with_the_v2_2_0_message() {
    let mut breaker = v2_2_0();
    let mut rng = SplitMix64::new(1);
    for _ in 0..5 {
        call(&mut breaker, at(0), FAILURE, &mut rng);
    }
    let rejected = breaker.try_acquire(at(1_500), &mut rng).expect_err("open");
    assert_eq!(rejected.state, BreakerState::Open);
    assert_eq!(rejected.retry_in, Some(Duration::from_millis(58_500)));
    assert_eq!(
        rejected.to_string(),
        "circuit breaker is OPEN - service unavailable. Will retry in 59s"
    );
    assert_eq!(breaker.counters().rejections, 1);
}

#[test]
fn after_the_reset_timeout_it_half_opens_and_closes_after_enough_successes() {
    let mut breaker = v2_2_0();
    let mut rng = SplitMix64::new(1);
    for _ in 0..5 {
        call(&mut breaker, at(0), FAILURE, &mut rng);
    }
    assert_eq!(breaker.state(at(59_999), &mut rng), BreakerState::Open);
    assert_eq!(breaker.state(at(60_000), &mut rng), BreakerState::HalfOpen);
    for i in 0..2 {
        assert!(call(
            &mut breaker,
            at(60_000 + i),
            Outcome::Success,
            &mut rng
        ));
        assert_eq!(
            breaker.state(at(60_000 + i), &mut rng),
            BreakerState::HalfOpen
        );
    }
    assert!(call(&mut breaker, at(60_010), Outcome::Success, &mut rng));
    assert_eq!(breaker.state(at(60_010), &mut rng), BreakerState::Closed);
    let changes: Vec<(BreakerState, BreakerState)> =
        breaker.drain_events().map(|c| (c.from, c.to)).collect();
    assert_eq!(
        changes,
        [
            (BreakerState::Closed, BreakerState::Open),
            (BreakerState::Open, BreakerState::HalfOpen),
            (BreakerState::HalfOpen, BreakerState::Closed),
        ]
    );
}

fn open_breaker(config: BreakerConfig, rng: &mut SplitMix64) -> CircuitBreaker {
    let mut breaker = CircuitBreaker::try_new(config).expect("valid");
    for _ in 0..3 {
        call(&mut breaker, at(0), FAILURE, rng);
    }
    assert_eq!(breaker.state(at(0), rng), BreakerState::Open);
    breaker
}

#[test]
fn a_half_open_failure_reopens_for_longer() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = open_breaker(config(), &mut rng);
    assert_eq!(breaker.next_transition_at(), Some(at(10_000)));
    assert!(call(&mut breaker, at(10_000), FAILURE, &mut rng));
    assert_eq!(breaker.state(at(10_000), &mut rng), BreakerState::Open);
    assert_eq!(
        breaker.next_transition_at(),
        Some(at(30_000)),
        "10 s doubled"
    );
    assert!(call(&mut breaker, at(30_000), FAILURE, &mut rng));
    assert_eq!(
        breaker.next_transition_at(),
        Some(at(70_000)),
        "20 s doubled"
    );
    assert!(call(&mut breaker, at(70_000), FAILURE, &mut rng));
    assert_eq!(
        breaker.next_transition_at(),
        Some(at(130_000)),
        "capped at 60 s"
    );
}

#[test]
fn half_open_admits_at_most_k_probes_and_returns_cancelled_slots() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = open_breaker(config(), &mut rng);
    let now = at(10_000);
    let first = breaker.try_acquire(now, &mut rng).expect("probe 1");
    let second = breaker.try_acquire(now, &mut rng).expect("probe 2");
    assert!(first.is_probe() && second.is_probe());
    let refused = breaker.try_acquire(now, &mut rng).expect_err("K = 2");
    assert_eq!(refused.state, BreakerState::HalfOpen);
    breaker.cancel(first);
    assert_eq!(breaker.probes_in_flight(), 1);
    let third = breaker
        .try_acquire(now, &mut rng)
        .expect("a slot came back");
    breaker.record(second, Outcome::Success, now, &mut rng);
    breaker.record(third, Outcome::Success, now, &mut rng);
    assert_eq!(breaker.state(now, &mut rng), BreakerState::Closed);
}

#[test]
fn a_hung_probe_is_given_up_without_reopening() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = open_breaker(config(), &mut rng);
    let hung = breaker.try_acquire(at(10_000), &mut rng).expect("probe");
    let _other = breaker.try_acquire(at(10_000), &mut rng).expect("probe");
    assert!(breaker.try_acquire(at(14_999), &mut rng).is_err(), "K = 2");
    assert_eq!(breaker.next_transition_at(), Some(at(15_000)));
    // max_wait with no outcome: the slots come back, and nothing failed.
    assert_eq!(breaker.state(at(15_000), &mut rng), BreakerState::HalfOpen);
    assert_eq!(breaker.probes_in_flight(), 0);
    assert_eq!(breaker.counters().abandoned_probes, 2);
    let fresh = breaker
        .try_acquire(at(15_000), &mut rng)
        .expect("a freed slot");
    // The hung probe's late release frees no slot a second time.
    breaker.cancel(hung);
    assert_eq!(breaker.probes_in_flight(), 1);
    breaker.record(fresh, Outcome::Success, at(15_100), &mut rng);
    assert!(call(&mut breaker, at(15_200), Outcome::Success, &mut rng));
    assert_eq!(breaker.state(at(15_200), &mut rng), BreakerState::Closed);
    assert_eq!(
        breaker
            .drain_events()
            .filter(|c| c.to == BreakerState::Open)
            .count(),
        1,
        "only the original trip opened it"
    );
}

#[test]
fn half_open_waits_for_its_next_call_however_sparse_the_traffic() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = open_breaker(config(), &mut rng);
    // Nobody calls for ten times max_wait: still half-open, no timer pending.
    assert_eq!(breaker.state(at(10_000), &mut rng), BreakerState::HalfOpen);
    assert_eq!(breaker.next_transition_at(), None);
    assert_eq!(breaker.state(at(60_000), &mut rng), BreakerState::HalfOpen);
    // One call every 20 s (four times max_wait): each is admitted, and two successes close it.
    assert!(call(&mut breaker, at(60_000), Outcome::Success, &mut rng));
    assert_eq!(breaker.state(at(80_000), &mut rng), BreakerState::HalfOpen);
    assert!(call(&mut breaker, at(80_000), Outcome::Success, &mut rng));
    assert_eq!(breaker.state(at(80_000), &mut rng), BreakerState::Closed);
}

#[test]
fn a_late_outcome_of_a_given_up_probe_still_counts() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = open_breaker(config(), &mut rng);
    let hung = breaker.try_acquire(at(10_000), &mut rng).expect("probe");
    assert_eq!(breaker.state(at(20_000), &mut rng), BreakerState::HalfOpen);
    breaker.record(hung, FAILURE, at(20_000), &mut rng);
    assert_eq!(breaker.state(at(20_000), &mut rng), BreakerState::Open);
}

#[test]
fn retry_after_keeps_the_breaker_open_longer_up_to_a_cap() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = CircuitBreaker::try_new(config()).expect("valid");
    for _ in 0..2 {
        call(&mut breaker, at(0), FAILURE, &mut rng);
    }
    let asked = Outcome::Failure {
        retry_after: Some(secs(45)),
    };
    call(&mut breaker, at(0), asked, &mut rng);
    assert_eq!(breaker.next_transition_at(), Some(at(45_000)));

    let mut capped = CircuitBreaker::try_new(config()).expect("valid");
    for _ in 0..2 {
        call(&mut capped, at(0), FAILURE, &mut rng);
    }
    call(
        &mut capped,
        at(0),
        Outcome::Failure {
            retry_after: Some(secs(3_600)),
        },
        &mut rng,
    );
    assert_eq!(capped.next_transition_at(), Some(at(120_000)));
}

#[test]
fn successes_clear_the_run_of_failures() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = CircuitBreaker::try_new(config()).expect("valid");
    for _ in 0..10 {
        call(&mut breaker, at(0), FAILURE, &mut rng);
        call(&mut breaker, at(0), FAILURE, &mut rng);
        call(&mut breaker, at(0), Outcome::Success, &mut rng);
    }
    assert_eq!(breaker.state(at(0), &mut rng), BreakerState::Closed);
}

#[test]
fn the_failure_rate_trips_once_the_minimum_is_reached() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = CircuitBreaker::try_new(BreakerConfig {
        consecutive_failures: None,
        failure_rate: Some(FailureRate {
            threshold: 0.5,
            minimum_calls: 10,
        }),
        ..config()
    })
    .expect("valid");
    for _ in 0..4 {
        call(&mut breaker, at(0), FAILURE, &mut rng);
        call(&mut breaker, at(0), Outcome::Success, &mut rng);
    }
    assert_eq!(
        breaker.state(at(0), &mut rng),
        BreakerState::Closed,
        "8 calls < minimum"
    );
    call(&mut breaker, at(0), FAILURE, &mut rng);
    assert_eq!(
        breaker.state(at(0), &mut rng),
        BreakerState::Closed,
        "5/9, and 9 calls < minimum"
    );
    call(&mut breaker, at(0), FAILURE, &mut rng);
    assert_eq!(breaker.state(at(0), &mut rng), BreakerState::Open, "6/10");
}

#[test]
fn slow_calls_trip_the_slow_call_rate() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = CircuitBreaker::try_new(BreakerConfig {
        consecutive_failures: None,
        slow_call_rate: Some(SlowCallRate {
            slower_than: secs(1),
            threshold: 0.8,
            minimum_calls: 5,
        }),
        ..config()
    })
    .expect("valid");
    for i in 0..5 {
        let start = at(i * 10_000);
        let permit = breaker.try_acquire(start, &mut rng).expect("closed");
        breaker.record(permit, Outcome::Success, at(i * 10_000 + 2_000), &mut rng);
    }
    assert_eq!(breaker.state(at(50_000), &mut rng), BreakerState::Open);
    assert_eq!(breaker.counters().slow_calls, 5);
}

#[test]
fn ignored_outcomes_count_for_nothing() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = CircuitBreaker::try_new(config()).expect("valid");
    for _ in 0..100 {
        call(&mut breaker, at(0), Outcome::Ignored, &mut rng);
    }
    assert_eq!(breaker.state(at(0), &mut rng), BreakerState::Closed);
    assert_eq!(breaker.counters().ignored, 100);
}

#[test]
fn operators_can_force_it_open_disable_it_and_reset_it() {
    let mut rng = SplitMix64::new(1);
    let mut breaker = CircuitBreaker::try_new(config()).expect("valid");
    breaker.force_open(at(0));
    let refused = breaker
        .try_acquire(at(0), &mut rng)
        .expect_err("forced open");
    assert_eq!(
        (refused.state, refused.retry_in),
        (BreakerState::ForcedOpen, None)
    );
    breaker.disable(at(1));
    for _ in 0..50 {
        assert!(call(&mut breaker, at(1), FAILURE, &mut rng));
    }
    assert_eq!(breaker.state(at(1), &mut rng), BreakerState::Disabled);
    breaker.reset(at(2));
    assert_eq!(breaker.state(at(2), &mut rng), BreakerState::Closed);
    assert_eq!(breaker.counters().state_changes, 3);
}

#[test]
fn nonsense_configurations_are_refused() {
    let refused = |config: BreakerConfig| CircuitBreaker::try_new(config).expect_err("refused");
    assert_eq!(
        refused(BreakerConfig {
            consecutive_failures: None,
            ..config()
        }),
        ConfigError::NoTrip
    );
    assert!(matches!(
        refused(BreakerConfig {
            window: WindowKind::CountBased { calls: 0 },
            ..config()
        }),
        ConfigError::Zero { .. }
    ));
    assert!(matches!(
        refused(BreakerConfig {
            window: WindowKind::TimeBased {
                buckets: 10,
                bucket_width: Duration::ZERO
            },
            ..config()
        }),
        ConfigError::Zero { .. }
    ));
    assert!(matches!(
        refused(BreakerConfig {
            open: OpenDuration {
                base: secs(90),
                ..config().open
            },
            ..config()
        }),
        ConfigError::Inverted { .. }
    ));
    assert!(matches!(
        refused(BreakerConfig {
            failure_rate: Some(FailureRate {
                threshold: 1.5,
                minimum_calls: 1
            }),
            ..config()
        }),
        ConfigError::OutOfRange { .. }
    ));
    assert!(matches!(
        refused(BreakerConfig {
            half_open: HalfOpenConfig {
                max_probes: 0,
                ..config().half_open
            },
            ..config()
        }),
        ConfigError::Zero { .. }
    ));
}

#[derive(Debug, Clone)]
enum Step {
    Acquire,
    /// Return the n-th outstanding permit (modulo) with an outcome, or cancel it.
    Success(usize),
    Failure(usize),
    Ignore(usize),
    Cancel(usize),
    Wait(u64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            4 => Just(Step::Acquire),
            2 => any::<usize>().prop_map(Step::Success),
            3 => any::<usize>().prop_map(Step::Failure),
            1 => any::<usize>().prop_map(Step::Ignore),
            2 => any::<usize>().prop_map(Step::Cancel),
            2 => (0u64..8_000).prop_map(Step::Wait),
        ],
        1..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Whatever the order of acquisitions, completions, drops and waits: half-open never has
    /// more than K probes out, Closed never goes straight to HalfOpen, and once every permit
    /// is back no probe slot is held.
    #[test]
    fn invariants_hold_for_any_interleaving(steps in steps(), seed in any::<u64>()) {
        let mut rng = SplitMix64::new(seed);
        let mut breaker = CircuitBreaker::try_new(BreakerConfig {
            open: OpenDuration { jitter: 0.3, ..config().open },
            ..config()
        }).expect("valid");
        let max_probes = config().half_open.max_probes;
        let mut now = at(0);
        let mut outstanding: Vec<Permit> = Vec::new();
        let mut changes: Vec<StateChange> = Vec::new();
        for step in steps {
            match step {
                Step::Acquire => {
                    if let Ok(permit) = breaker.try_acquire(now, &mut rng) {
                        outstanding.push(permit);
                    }
                }
                Step::Success(i) | Step::Failure(i) | Step::Ignore(i) | Step::Cancel(i)
                    if !outstanding.is_empty() =>
                {
                    let permit = outstanding.swap_remove(i % outstanding.len());
                    match step {
                        Step::Success(_) => breaker.record(permit, Outcome::Success, now, &mut rng),
                        Step::Failure(_) => breaker.record(permit, FAILURE, now, &mut rng),
                        Step::Ignore(_) => breaker.record(permit, Outcome::Ignored, now, &mut rng),
                        _ => breaker.cancel(permit),
                    }
                }
                Step::Wait(ms) => now = now + Duration::from_millis(ms),
                _ => {}
            }
            let state = breaker.state(now, &mut rng);
            prop_assert!(breaker.probes_in_flight() <= max_probes);
            let probes_out = outstanding.iter().filter(|p| p.is_probe()).count() as u32;
            prop_assert!(breaker.probes_in_flight() <= probes_out);
            if state != BreakerState::HalfOpen {
                prop_assert_eq!(breaker.probes_in_flight(), 0);
            }
            changes.extend(breaker.drain_events());
        }
        for permit in outstanding.drain(..) {
            breaker.cancel(permit);
        }
        prop_assert_eq!(breaker.probes_in_flight(), 0, "a probe slot leaked");
        for change in &changes {
            prop_assert!(
                !(change.from == BreakerState::Closed && change.to == BreakerState::HalfOpen),
                "Closed went straight to HalfOpen at {:?}", change.at
            );
        }
        for pair in changes.windows(2) {
            prop_assert_eq!(pair[0].to, pair[1].from, "events out of order");
            prop_assert!(pair[0].at <= pair[1].at);
        }
    }
}
