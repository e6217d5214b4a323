//! `chittyid inspect`: the components of one ID, named, as JSON.

use std::process::ExitCode;

use chittyid_domain::report::{Inspection, ValidationReport};
use chittyid_domain::{ValidationOptions, validate};

use super::{Shown, trouble};

#[derive(Debug, clap::Args)]
pub(crate) struct InspectArgs {
    /// Also accept the legacy forms: the year-month form (3-digit YYM) and the authority's 2025
    /// form.
    #[arg(long)]
    legacy: bool,
    #[arg(value_name = "ID")]
    id: String,
}

pub(crate) fn run(args: &InspectArgs) -> ExitCode {
    let options = ValidationOptions {
        accept_legacy: args.legacy,
    };
    match validate(&args.id, options) {
        Ok(valid) => match serde_json::to_string_pretty(&Inspection::of(&valid)) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(err) => trouble(err),
        },
        Err(error) => {
            let report = ValidationReport::new(&args.id, options);
            eprint!(
                "chittyid: {} is invalid (shape: {}): {error}",
                Shown(&args.id),
                report.format()
            );
            match report.suggestion() {
                Some(suggestion) => eprintln!(" (did you mean {suggestion}?)"),
                None => eprintln!(),
            }
            ExitCode::FAILURE
        }
    }
}
