#!/usr/bin/env bash
# Runs every test on a fresh machine: formatting, clippy, then the unit tests and the
# integration tests (the real occ binary with the real plugins against real instances).
# The tests of this stage need no database server; the ones that do start and stop their own
# servers from tests/services/ (added with the database and LDAP work).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The integration tests run the binary and load the plugin libraries: build them all first.
cargo build --workspace --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace 2>&1 | tee "$log" || status=$?
# One closing line over every test binary (cargo prints one "test result" line per binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
