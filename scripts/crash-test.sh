#!/usr/bin/env bash
# Kills the server (SIGKILL) while order webhooks stream in, restarts it, and checks that every
# delivery answered 200 is in the inbox. SQLite always; PostgreSQL too when TEST_POSTGRES_URL or
# BENCH_POSTGRES_URL is set. Exits non-zero if an acknowledged delivery was lost.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p server --bin server --bin bench
exec target/release/bench crash
