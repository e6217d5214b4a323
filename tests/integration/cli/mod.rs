mod authority;
mod inspect;
mod serve;
mod validate;
