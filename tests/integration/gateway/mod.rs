mod fault_upstream;
mod faults;
mod generate;
mod helpers;
mod limits;
mod validate;
