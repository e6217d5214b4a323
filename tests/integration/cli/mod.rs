mod authority;
mod connections;
mod inspect;
mod loadtest;
mod serve;
mod validate;
