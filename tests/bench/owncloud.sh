#!/usr/bin/env bash
# An ownCloud 10.15.2 server administered in place (release build): `occ status` and
# `occ user:list` on ownCloud's own instance (tests/fixtures/oc10, its data directory moved by
# maintenance:data-dir), wall median and peak RSS; and how long reading its config.php takes
# for a 200-key file (host/examples/config_php.rs).
#
# Usage: tests/bench/owncloud.sh            (builds the release binaries first)
# Needs: hyperfine, GNU time, bc (Debian packages; installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --workspace --quiet
cargo build --release --quiet -p occ --example config_php
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. tests/bench/lib.sh
OCC=$(install_occ "$work/prefix")
mkdir -p "$work/cache" "$work/oc"
export OCC_CACHE_DIR="$work/cache"
tar --no-same-owner -xzf tests/fixtures/oc10/oc10-instance.tar.gz -C "$work/oc"
cd "$work/oc"
"$OCC" maintenance:data-dir "$work/oc/data" >/dev/null
echo "| release, on ownCloud 10.15.2's instance  |   wall median |   peak RSS |"
echo "|------------------------------------------|---------------|------------|"
row "occ status" "$OCC" status
row "occ user:list" "$OCC" user:list
row "occ user:list --show-all-attributes (json)" "$OCC" user:list --show-all-attributes --output=json
echo
echo "ownCloud 10's php occ status measured here: 117-148 ms, 56 MiB."
echo
cd - >/dev/null
target/release/examples/config_php 200
