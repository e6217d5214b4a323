//! What a port call costs through its trait object (a boxed future) against the same call
//! dispatched statically, on the cheapest port there is: an in-process cache hit, polled once
//! (it is ready at once). Anything behind a real port (a commit, a network hop) costs tens of
//! microseconds or more, so this is the whole price of `GatewayDeps` holding trait objects.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use chittyid_app::gateway::{
    DynVerdictCache, InProcessCache, MintFacts, MintVerdict, VerdictCache,
};
use chittyid_domain::ChittyId;
use chittyid_domain::resilience::ResilienceConfig;

fn main() {
    divan::main();
}

/// Polls a future that is ready at once (an in-process cache answers without waiting).
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("an in-process cache never waits"),
    }
}

fn cache() -> (InProcessCache, ChittyId) {
    let cache = InProcessCache::new(ResilienceConfig::recommended().cache);
    let id = ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("canonical");
    ready(cache.put(&id, &MintVerdict::Minted(MintFacts::default()))).expect("put");
    (cache, id)
}

#[divan::bench]
fn static_dispatch(bencher: divan::Bencher) {
    let (cache, id) = cache();
    bencher.bench_local(|| ready(divan::black_box(&cache).get(divan::black_box(&id))));
}

#[divan::bench]
fn trait_object(bencher: divan::Bencher) {
    let (cache, id) = cache();
    let port: Box<DynVerdictCache<'static>> = DynVerdictCache::new_box(cache);
    bencher.bench_local(|| ready(divan::black_box(&port).get(divan::black_box(&id))));
}
