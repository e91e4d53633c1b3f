//! HTTP routes that are not Leptos pages. Each module has a `router()`; `startup` merges them.

pub mod health;
