//! `chittyid`: validate and inspect ChittyIDs, run the gateway and the reference authority. `main` only
//! parses arguments and dispatches; the wiring lives in the library (`chittyid::…`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

// mimalloc instead of glibc's malloc: the servers allocate and free small buffers on every
// request from several threads, and glibc's arenas cost 8-10 % of a request's CPU in perf
// (malloc, free, malloc_consolidate); BENCHMARKS.md has the figures with and without.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "chittyid", version, about = "Mint and validate ChittyIDs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate ChittyIDs given as arguments, or one per line on stdin (none given, or `-`).
    /// Exit status: 0 all valid, 1 any invalid, 2 usage or I/O error.
    Validate(cli::validate::ValidateArgs),
    /// Show the components of one ChittyID, with their names, as JSON.
    Inspect(cli::inspect::InspectArgs),
    /// Run the gateway: mint and validate ChittyIDs through an authority, with retries, a
    /// circuit breaker, a cache, health and metrics. With no configuration the authority runs
    /// in this process on the embedded store.
    Serve(cli::serve::ServeArgs),
    /// Run the reference ChittyID authority (the protocol in docs/format.md) on the embedded store.
    Authority(cli::authority::AuthorityArgs),
    /// Load one or more gateways with generate or validate requests and report successes,
    /// errors by code, latency percentiles and throughput. Exit status: 0 when the thresholds
    /// held, 1 when not, 2 on a usage error.
    Loadtest(cli::loadtest::LoadTestArgs),
    /// Manage the gateway's API keys (named, with their own scopes and rate) in its store:
    /// create, list, rotate, revoke. Gateways on the store pick changes up within 5 s.
    Keys(cli::keys::KeysArgs),
    /// Check the authority's mint log offline with its verifier key: an ID's inclusion proof
    /// or a consistency proof, against signed checkpoints.
    Log(cli::log::LogArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => cli::validate::run(&args),
        Command::Inspect(args) => cli::inspect::run(&args),
        Command::Serve(args) => cli::serve::run(&args),
        Command::Authority(args) => cli::authority::run(&args),
        Command::Loadtest(args) => cli::loadtest::run(&args),
        Command::Keys(args) => cli::keys::run(&args),
        Command::Log(args) => cli::log::run(&args),
    }
}
