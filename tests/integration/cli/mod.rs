mod authority;
mod inspect;
mod loadtest;
mod serve;
mod validate;
