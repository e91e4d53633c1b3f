//! HTTP routes that are not Leptos pages. Each module has a `router()`; `startup` merges them.

pub mod assistant;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod health;
pub mod install;
pub mod pages;
pub mod webhooks;
pub mod wiring;
