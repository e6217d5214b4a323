mod fault_upstream;
mod faults;
mod generate;
mod helpers;
mod idempotency;
mod limits;
mod storage;
mod validate;
