//! The resilience policies through their public API: the v2.2.0 behaviours,
//! properties over arbitrary interleavings, and a deterministic simulation of an upstream that
//! fails, flaps and recovers.

mod breaker;
mod monitor;
mod simulation;
