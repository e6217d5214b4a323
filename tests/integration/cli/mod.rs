mod inspect;
mod serve;
mod validate;
