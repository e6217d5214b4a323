//! The cost the policies add to every call. Run with
//! `cargo bench -p chittyid-domain --bench resilience`.

use chittyid_domain::resilience::{
    CacheLookup, CircuitBreaker, FailureKind, Idempotency, Outcome, ResilienceConfig, RetryBudget,
    SplitMix64, Timestamp, ValidationCache,
};
use divan::{Bencher, black_box};

/// Counts allocations per iteration: the hot paths must show none.
#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// Admission plus outcome recording in the Closed state, the path every call takes.
#[divan::bench(args = ["v2_2_0", "recommended"])]
fn breaker_acquire_and_record_closed(bencher: Bencher, preset: &str) {
    let config = match preset {
        "v2_2_0" => ResilienceConfig::v2_2_0(),
        _ => ResilienceConfig::recommended(),
    };
    let mut breaker = CircuitBreaker::try_new(config.breaker).expect("valid preset");
    let mut rng = SplitMix64::new(1);
    let mut tick = 0u64;
    bencher.bench_local(|| {
        tick += 1;
        let now = Timestamp::from_millis(tick);
        let permit = breaker
            .try_acquire(black_box(now), &mut rng)
            .expect("closed");
        breaker.record(permit, black_box(Outcome::Success), now, &mut rng);
    });
}

/// Refusal by an open breaker: the fast failure callers get while the upstream is down.
#[divan::bench]
fn breaker_reject_open(bencher: Bencher) {
    let mut breaker =
        CircuitBreaker::try_new(ResilienceConfig::recommended().breaker).expect("valid preset");
    let mut rng = SplitMix64::new(1);
    breaker.force_open(Timestamp::ZERO);
    bencher.bench_local(|| breaker.try_acquire(black_box(Timestamp::from_secs(1)), &mut rng));
}

#[divan::bench]
fn retry_decision(bencher: Bencher) {
    let retry = ResilienceConfig::recommended().retry;
    let mut rng = SplitMix64::new(1);
    bencher.bench_local(|| {
        let mut state = retry.start(Timestamp::ZERO);
        retry.after_failure(
            &mut state,
            black_box(FailureKind::ConnectionRefused),
            Idempotency::NotIdempotent,
            Timestamp::from_millis(5),
            &mut rng,
        )
    });
}

#[divan::bench]
fn budget_deposit_and_withdraw(bencher: Bencher) {
    let mut budget = RetryBudget::try_new(ResilienceConfig::recommended().budget).expect("valid");
    let mut tick = 0u64;
    bencher.bench_local(|| {
        tick += 1;
        let now = Timestamp::from_millis(tick);
        budget.deposit(now);
        budget.try_withdraw(black_box(now))
    });
}

#[divan::bench]
fn cache_hit(bencher: Bencher) {
    let mut cache = ValidationCache::new(ResilienceConfig::recommended().cache);
    for i in 0..10_000u32 {
        cache.insert(i, true, true, Timestamp::ZERO);
    }
    let mut key = 0u32;
    bencher.bench_local(|| {
        key = (key + 7_919) % 10_000;
        matches!(
            cache.get(black_box(&key), Timestamp::from_secs(1)),
            CacheLookup::Hit(_)
        )
    });
}

#[divan::bench]
fn cache_insert_evicting(bencher: Bencher) {
    let mut cache = ValidationCache::new(ResilienceConfig::recommended().cache);
    let mut key = 0u32;
    bencher.bench_local(|| {
        key += 1;
        cache.insert(black_box(key), true, true, Timestamp::ZERO);
    });
}
