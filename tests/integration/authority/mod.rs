pub(crate) mod helpers;
mod input;
mod minting;
mod validation;
