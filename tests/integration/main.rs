//! The one integration-test binary: drives the real `chittyid` executable (and, as they land,
//! servers on real sockets) the way a user would.

mod cli;
mod helpers;
