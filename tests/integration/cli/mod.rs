mod inspect;
mod validate;
