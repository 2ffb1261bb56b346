#!/usr/bin/env bash
# Runs every test on a fresh machine: formatting, clippy, then the unit tests and the
# integration tests (the real occ binary with the real plugins against real instances), then
# the Debian packages built, installed and removed again (tests/package.sh, as root).
# The tests of this stage need no database server; the ones that do start and stop their own
# servers from tests/services/ (added with the database and LDAP work).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# What the tests use beyond the toolchain: tmux (completion at a terminal), man-db (the
# package's man pages), binutils (the package build reads the binaries' glibc needs).
missing=()
command -v tmux >/dev/null || missing+=(tmux)
command -v man >/dev/null || missing+=(man-db)
command -v objdump >/dev/null || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The integration tests run the binary and load the plugin libraries: build them all first.
cargo build --workspace --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace 2>&1 | tee "$log" || status=$?
bash tests/package.sh 2>&1 | tee -a "$log" || status=1
# One closing line over every test binary (cargo prints one "test result" line per binary)
# and the package test.
awk '/^test result:/ { p += $4; f += $6 } /^package: [0-9]+ passed/ { p += $2; f += $4 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
