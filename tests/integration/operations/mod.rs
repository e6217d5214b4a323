//! What operators watch: the metrics both servers export, checked with the tools operators use.

mod alerts;
mod deploy;
mod fleet;
mod logs;
mod metrics;
mod status_page;
mod traces;
