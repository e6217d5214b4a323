pub(crate) mod helpers;
mod input;
mod log;
mod minting;
mod validation;
