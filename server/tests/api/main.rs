//! API tests: the real server on a random port, a fresh database per test (SQLite always,
//! PostgreSQL when `TEST_POSTGRES_URL` is set) and the in-process ShopRenter simulator.

mod accounts;
mod assistant;
mod helpers;
mod install;
mod rendering;
mod sync;
mod tokens;
mod two_instances;
