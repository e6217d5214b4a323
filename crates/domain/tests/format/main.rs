//! The format's guarantees, proved by property and exhaustive tests, and the validation
//! behaviours of the v2.2.0 suite  ported to the canonical format.

mod checksum_guarantees;
mod document;
mod properties;
mod report_json;
mod v2_2_0_behaviours;
