mod authority;
mod connections;
mod inspect;
mod keys;
mod loadtest;
mod log;
mod serve;
mod validate;
