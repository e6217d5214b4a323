//! `chittyid`: validate and inspect ChittyIDs. The gateway (`serve`) and the authority
//! (`authority`) join as their issues land; `main` only parses arguments and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => cli::validate::run(&args),
        Command::Inspect(args) => cli::inspect::run(&args),
    }
}
