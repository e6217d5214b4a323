//! A deterministic simulation: load through the recommended retry policy, retry budget and
//! circuit breaker, against a seeded upstream. Two scenarios: steady load on an upstream that
//! is healthy, then failing, then flapping, then recovered; and an outage under steady load
//! followed by sparse traffic (one call far apart) on a recovered upstream. Prints the figures;
//! asserts the bounds the configuration promises.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use chittyid_domain::resilience::{
    BreakerState, CircuitBreaker, FailureKind, Idempotency, Outcome, Permit, RandomSource,
    ResilienceConfig, RetryBudget, RetryDecision, RetryState, SplitMix64, Timestamp,
};

const REQUEST_EVERY_MS: u64 = 10; // 100 requests per second
const LATENCY_MS: u64 = 20;
const HEALTHY_UNTIL: u64 = 60_000;
const FAILING_UNTIL: u64 = 120_000;
const FLAPPING_UNTIL: u64 = 180_000;
const END: u64 = 300_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival,
    AttemptDone(u64),
    RetryStart(u64),
}

struct Request {
    permit: Option<Permit>,
    retry: RetryState,
}

#[derive(Debug, Default, Clone, Copy)]
struct PhaseCounts {
    offered: u64,
    upstream_attempts: u64,
    succeeded: u64,
    failed: u64,
    rejected: u64,
}

#[derive(Debug, Default)]
struct Figures {
    time_to_open: Option<Duration>,
    failing: PhaseCounts,
    all: PhaseCounts,
    /// The last time after the recovery that a request did not succeed.
    last_unserved_after_recovery: Option<u64>,
    /// Times the breaker opened once the upstream had recovered.
    opened_after_recovery: u64,
}

/// The upstream in phases. `flaky` gives a 0.5 % background failure rate when healthy.
fn upstream_ok(t: u64, rng: &mut SplitMix64) -> bool {
    let flaky = rng.unit() < 0.005;
    match t {
        _ if t < HEALTHY_UNTIL => !flaky,
        _ if t < FAILING_UNTIL => false,
        // Flapping: 2.5 s down, 2.5 s up.
        _ if t < FLAPPING_UNTIL => (t / 2_500) % 2 == 1 && !flaky,
        _ => !flaky,
    }
}

/// Which upstream and which traffic a run sees.
#[derive(Clone, Copy)]
struct Scenario {
    upstream_ok: fn(u64, &mut SplitMix64) -> bool,
    /// When the request after one arriving at `t` arrives.
    next_arrival: fn(u64) -> u64,
    /// When the upstream is healthy for good: failures from then on count as unserved.
    recovered_at: u64,
    /// The phase whose counts `Figures::failing` keeps.
    failing: (u64, u64),
}

const FLAPPING: Scenario = Scenario {
    upstream_ok,
    next_arrival: |t| t + REQUEST_EVERY_MS,
    recovered_at: FLAPPING_UNTIL,
    failing: (HEALTHY_UNTIL, FAILING_UNTIL),
};

fn simulate(seed: u64, breaker_enabled: bool) -> Figures {
    run(FLAPPING, seed, breaker_enabled)
}

fn run(scenario: Scenario, seed: u64, breaker_enabled: bool) -> Figures {
    let config = ResilienceConfig::recommended();
    let retry = config.retry;
    let mut breaker = CircuitBreaker::try_new(config.breaker).expect("valid preset");
    if !breaker_enabled {
        breaker.disable(Timestamp::ZERO);
    }
    let mut budget = RetryBudget::try_new(config.budget).expect("valid preset");
    let mut rng = SplitMix64::new(seed);
    let mut queue = BinaryHeap::new();
    let mut requests: BTreeMap<u64, Request> = BTreeMap::new();
    let mut next_id = 0u64;
    let mut figures = Figures::default();
    queue.push(Reverse((0u64, Event::Arrival)));

    let in_failing = |t: u64| (scenario.failing.0..scenario.failing.1).contains(&t);
    while let Some(Reverse((t, event))) = queue.pop() {
        let now = Timestamp::from_millis(t);
        let count = |figures: &mut Figures, f: fn(&mut PhaseCounts)| {
            f(&mut figures.all);
            if in_failing(t) {
                f(&mut figures.failing);
            }
        };
        match event {
            Event::Arrival => {
                let next = (scenario.next_arrival)(t);
                if next < END {
                    queue.push(Reverse((next, Event::Arrival)));
                }
                count(&mut figures, |c| c.offered += 1);
                budget.deposit(now);
                match breaker.try_acquire(now, &mut rng) {
                    Err(_) => {
                        count(&mut figures, |c| c.rejected += 1);
                        if t >= scenario.recovered_at {
                            figures.last_unserved_after_recovery = Some(t);
                        }
                    }
                    Ok(permit) => {
                        let id = next_id;
                        next_id += 1;
                        requests.insert(
                            id,
                            Request {
                                permit: Some(permit),
                                retry: retry.start(now),
                            },
                        );
                        count(&mut figures, |c| c.upstream_attempts += 1);
                        queue.push(Reverse((t + LATENCY_MS, Event::AttemptDone(id))));
                    }
                }
            }
            Event::RetryStart(id) => {
                count(&mut figures, |c| c.upstream_attempts += 1);
                queue.push(Reverse((t + LATENCY_MS, Event::AttemptDone(id))));
            }
            Event::AttemptDone(id) => {
                let request = requests.get_mut(&id).expect("request in flight");
                let outcome = if (scenario.upstream_ok)(t, &mut rng) {
                    Some(Outcome::Success)
                } else {
                    let decision = retry.after_failure(
                        &mut request.retry,
                        FailureKind::ConnectionRefused,
                        Idempotency::NotIdempotent,
                        now,
                        &mut rng,
                    );
                    match decision {
                        RetryDecision::RetryAfter(delay) if budget.try_withdraw(now) => {
                            let at = t + delay.as_millis() as u64;
                            queue.push(Reverse((at, Event::RetryStart(id))));
                            None
                        }
                        _ => Some(Outcome::Failure { retry_after: None }),
                    }
                };
                if let Some(outcome) = outcome {
                    let mut request = requests.remove(&id).expect("request in flight");
                    let permit = request.permit.take().expect("one permit per request");
                    breaker.record(permit, outcome, now, &mut rng);
                    if outcome == Outcome::Success {
                        count(&mut figures, |c| c.succeeded += 1);
                    } else {
                        count(&mut figures, |c| c.failed += 1);
                        if t >= scenario.recovered_at {
                            figures.last_unserved_after_recovery = Some(t);
                        }
                    }
                }
            }
        }
        for change in breaker.drain_events() {
            let failing_from = Duration::from_millis(scenario.failing.0);
            if change.to == BreakerState::Open
                && figures.time_to_open.is_none()
                && change.at.since_origin() >= failing_from
            {
                figures.time_to_open = Some(change.at.since_origin() - failing_from);
            }
            if change.to == BreakerState::Open
                && change.at.since_origin() >= Duration::from_millis(scenario.recovered_at)
            {
                figures.opened_after_recovery += 1;
            }
        }
    }
    figures
}

/// Attempts that reached the upstream per request offered.
fn amplification(counts: PhaseCounts) -> f64 {
    counts.upstream_attempts as f64 / counts.offered as f64
}

#[test]
fn the_breaker_opens_fast_the_budget_caps_load_and_traffic_recovers() {
    let config = ResilienceConfig::recommended();
    let budget = config.budget;
    // What the budget lets through on top of the offered load, at 100 requests per second.
    let reserve_share = f64::from(budget.min_retries_per_second) / 100.0;
    let budget_bound = 1.0 + 2.0 * budget.percent_can_retry + reserve_share;
    let recovery_bound = config.breaker.open.max + config.breaker.half_open.max_wait;

    for seed in [1, 2, 3] {
        let with_breaker = simulate(seed, true);
        let budget_only = simulate(seed, false);
        let time_to_open = with_breaker.time_to_open.expect("the breaker opened");
        let recovered_after = Duration::from_millis(
            with_breaker
                .last_unserved_after_recovery
                .map_or(0, |t| t.saturating_sub(FLAPPING_UNTIL)),
        );
        println!(
            "seed {seed}: time to open {time_to_open:?}; failing phase: {} offered, {} reached the upstream \
             (amplification {:.3} with the breaker, {:.3} with the budget alone, bound {budget_bound:.2}), \
             {} refused by the breaker; traffic fully restored {recovered_after:?} after recovery; \
             overall {} of {} requests served",
            with_breaker.failing.offered,
            with_breaker.failing.upstream_attempts,
            amplification(with_breaker.failing),
            amplification(budget_only.failing),
            with_breaker.failing.rejected,
            with_breaker.all.succeeded,
            with_breaker.all.offered,
        );
        // Five failed sequences in a row trip it: each takes at most three attempts and two
        // pauses within the 5 s deadline, and requests overlap.
        assert!(
            time_to_open <= Duration::from_secs(1),
            "took {time_to_open:?}"
        );
        assert!(amplification(with_breaker.failing) <= budget_bound);
        assert!(amplification(budget_only.failing) <= budget_bound);
        assert!(
            amplification(budget_only.failing) > 1.0,
            "without the breaker, retries do reach the failing upstream"
        );
        assert!(with_breaker.failing.rejected > with_breaker.failing.offered * 9 / 10);
        assert!(
            recovered_after <= recovery_bound,
            "recovered after {recovered_after:?}"
        );
        // The healthy phases' background failures are absorbed by retries.
        assert!(with_breaker.all.succeeded > with_breaker.all.offered / 2);
    }
}

const OUTAGE_UNTIL: u64 = 30_000;
/// One call every 25 s: longer than the half-open `max_wait` (10 s), as on a quiet night.
const SPARSE_EVERY_MS: u64 = 25_000;

const SPARSE_AFTER_OUTAGE: Scenario = Scenario {
    upstream_ok: |t, _| t >= OUTAGE_UNTIL,
    next_arrival: |t| {
        if t < OUTAGE_UNTIL {
            t + REQUEST_EVERY_MS
        } else {
            t + SPARSE_EVERY_MS
        }
    },
    recovered_at: OUTAGE_UNTIL,
    failing: (0, OUTAGE_UNTIL),
};

#[test]
fn sparse_traffic_after_an_outage_closes_the_breaker_and_is_served() {
    let config = ResilienceConfig::recommended();
    // The open period in force when the outage ends, then two calls that close the breaker.
    let bound = config.breaker.open.max + 2 * Duration::from_millis(SPARSE_EVERY_MS);
    for seed in [1, 2, 3] {
        let figures = run(SPARSE_AFTER_OUTAGE, seed, true);
        let served_after = Duration::from_millis(
            figures
                .last_unserved_after_recovery
                .map_or(0, |t| t.saturating_sub(OUTAGE_UNTIL)),
        );
        println!(
            "seed {seed}: sparse traffic after the outage: {} offered, {} served; last refusal \
             {served_after:?} after recovery; opened {} times after recovery",
            figures.all.offered - figures.failing.offered,
            figures.all.succeeded - figures.failing.succeeded,
            figures.opened_after_recovery,
        );
        assert!(figures.time_to_open.is_some(), "the outage opened it");
        assert_eq!(
            figures.opened_after_recovery, 0,
            "nothing failed after the recovery, so nothing may reopen the breaker"
        );
        assert!(served_after <= bound, "refused until {served_after:?}");
    }
}
