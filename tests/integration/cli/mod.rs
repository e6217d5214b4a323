mod authority;
mod connections;
mod inspect;
mod keys;
mod loadtest;
mod serve;
mod validate;
