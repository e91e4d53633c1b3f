//! Simulator tests: one binary (one link step on a 2-core machine), one module per behaviour.

mod helpers;

mod api;
mod control;
mod faults;
mod install;
mod rate_limit;
mod seed;
mod token;
mod webhooks;
