//! The one integration-test binary: drives the real `chittyid` executable and the real servers
//! on real sockets, the way a user would.

mod authority;
mod cli;
mod gateway;
mod helpers;
mod http_client;
mod operations;
mod postgres;
mod redis;
