#!/usr/bin/env bash
# Start-up benchmark of the plugin host (release build, all first-party plugins installed as a
# distribution lays them out: bin/occ, lib/occ/plugins/).
#
# Prints the wall-clock median (hyperfine) and peak RSS (GNU time) of `occ status`, `occ list`
# and `occ -V` on a fresh SQLite instance, beside two baselines: a no-plugin occ (the same
# binary copied to a directory with no plugins) and a statically linked hello-world that
# prints one line (the floor of starting any process here).
#
# Usage: tests/bench/startup.sh            (builds the release binaries first)
# Needs: hyperfine, GNU time, bc (Debian packages; installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --workspace --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. tests/bench/lib.sh
OCC=$(install_occ "$work/prefix")

mkdir -p "$work/noplugins" "$work/cache"
export OCC_CACHE_DIR="$work/cache"
fresh_instance "$work/instance"
# Baseline 1: the same binary where it finds no plugins.
cp "$OCC" "$work/noplugins/occ"
# Baseline 2: a static hello world.
printf 'fn main() { println!("occ 0.1.0"); }\n' >"$work/hello.rs"
rustc -O -C target-feature=+crt-static "$work/hello.rs" -o "$work/hello" 2>/dev/null

cd "$work/instance"
echo "| command (release, SQLite instance)       |   wall median |   peak RSS |"
echo "|------------------------------------------|---------------|------------|"
row "occ status" "$OCC" status
row "occ list" "$OCC" list
row "occ -V" "$OCC" -V
row "baseline: occ -V, no plugins" "$work/noplugins/occ" -V
row "baseline: occ list, no plugins" "$work/noplugins/occ" list
row "baseline: static hello world" "$work/hello"
echo
echo "ownCloud 10 on this machine kind: status 148 ms / 56.8 MiB, list 164 ms / 57.6 MiB."
