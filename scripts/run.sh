#!/usr/bin/env bash
# The run command: installs what is missing, then builds and serves the app with live reload.
# Defaults: http://127.0.0.1:3000 (LEPTOS_SITE_ADDR), SQLite under data/, and demo mode with the
# built-in ShopRenter simulator unless ShopRenter credentials are configured (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p data
exec cargo leptos watch "$@"
