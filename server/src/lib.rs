//! The ShopCall.ai server: configuration, start-up and the HTTP edge.
//!
//! `main.rs` only reads settings and calls [`startup::Application::build`]; tests build the same
//! application on port 0.

pub mod config;
pub mod routes;
pub mod startup;
pub mod telemetry;
