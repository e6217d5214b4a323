//! What operators watch: the metrics both servers export, checked with the tools operators use.

mod alerts;
mod logs;
mod metrics;
