#!/usr/bin/env bash
# Installs whatever this machine is missing to build, run and test the app, and nothing else:
# every step checks first, so a second run takes a second or two.
#   scripts/setup.sh            tool chain for building and running (rust target, cargo-leptos,
#                               wasm-bindgen-cli, npm packages)
#   scripts/setup.sh --browser  the same plus Chromium for the Playwright tests
# Only package registries are reachable here, so every tool comes from crates.io, npm or Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs a newer rustc than 1.95
want_browser=false
[[ "${1:-}" == "--browser" ]] && want_browser=true

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]]; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 13 minutes on 2 cores, once per machine)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly. --locked fails here because the
# registry mirror lacks one of its locked dependency versions, so resolve freshly.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg_version" ]]; then
  log "installing wasm-bindgen-cli $wbg_version (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

# npm packages: tailwind, wasm-opt (binaryen; Debian's build breaks hydration) and Playwright.
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

if $want_browser && ! command -v chromium >/dev/null 2>&1; then
  log "installing Chromium from Debian (Playwright cannot download its own browser here)"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
log "tool chain ready"
