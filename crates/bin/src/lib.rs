//! The wiring of the `chittyid` binary, as a library so that the integration tests build the
//! same applications on port 0: configuration, adapters, servers.

pub mod authority;
pub mod data_dir;
pub mod file_limit;
pub mod gateway;
pub mod keys;
pub mod loadtest;
pub mod store;
pub mod telemetry;
