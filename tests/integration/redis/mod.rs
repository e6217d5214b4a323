//! Several real `chittyid serve` processes on one Redis of the test's own (a `redis-server` on a
//! free port, killed and restarted by the test; the shared server on 6379 is left alone), in
//! front of one real `chittyid authority`.

mod fleet;
