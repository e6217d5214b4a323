//! What operators watch: the metrics both servers export, checked with the tools operators use.

mod alerts;
mod deploy;
mod logs;
mod metrics;
mod status_page;
mod traces;
