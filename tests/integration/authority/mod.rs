pub(crate) mod helpers;
mod input;
pub(crate) mod log;
mod minting;
mod validation;
