#!/usr/bin/env bash
# The test command: installs what is missing, then runs every check CI runs, in order:
# formatting, clippy, all Rust tests (SQLite always; PostgreSQL too when TEST_POSTGRES_URL is set),
# a release site build (wasm included, with its size), and the Playwright tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }
started=$SECONDS

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [[ -n "${TEST_POSTGRES_URL:-}" ]]; then
  step "cargo test (SQLite and PostgreSQL at ${TEST_POSTGRES_URL%%\?*})"
else
  step "cargo test (SQLite only: set TEST_POSTGRES_URL to run the PostgreSQL half)"
fi
# `frontend` is left out: it turns on app's `hydrate` feature, and with ssr+hydrate unified the
# server's Leptos code takes browser-only paths (spawn_local outside a LocalSet). Its code is built
# for real, for wasm, by the release build below.
# Bounded: a hung test fails the run with a message instead of eating CI's whole time budget
# (a cold run takes ~10 minutes here).
timeout --kill-after=30 2400 cargo test --workspace --exclude frontend --locked || {
  status=$?
  [[ $status -eq 124 ]] && echo "cargo test did not finish within 40 minutes: a test hangs (see the 'running for over 60 seconds' lines above)" >&2
  exit "$status"
}

step "release site build (server + optimised wasm + Tailwind)"
cargo leptos build --release
wasm=target/site/pkg/shopcall.wasm
printf 'release wasm: %s bytes raw, %s bytes gzip -9\n' "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"

step "end-to-end tests (Playwright, Debian Chromium, demo mode, fresh SQLite)"
e2e_dir=target/e2e
rm -rf "$e2e_dir" && mkdir -p "$e2e_dir"
# The server must not pick up a developer's .env or database.
DATABASE_URL="sqlite://$PWD/$e2e_dir/shopcall.db" DEMO_MODE=true LOG_FORMAT=pretty \
  cargo leptos end-to-end --release

printf '\nall checks passed in %ss\n' "$((SECONDS - started))"
