#!/usr/bin/env bash
# Start-up benchmark of the plugin host (release build, all first-party plugins installed).
#
# Prints the wall-clock median (hyperfine) and peak RSS (GNU time) of `occ status`, `occ list`
# and `occ -V` on a fresh SQLite instance, beside two baselines: a no-plugin occ (the same
# binary copied to a directory with no plugins) and a statically linked hello-world that
# prints one line (the floor of starting any process here).
#
# Usage: tests/bench/startup.sh            (builds the release binaries first)
# Needs: hyperfine and GNU time (Debian packages `hyperfine` and `time`); installed if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
[ -x /usr/bin/time ] || need /usr/bin/time time

cargo build --release --workspace --quiet
OCC=$PWD/target/release/occ
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fresh instance, installed with the first-party plugins found next to the release binary.
mkdir -p "$work/instance" "$work/noplugins" "$work/cache"
export OCC_CACHE_DIR="$work/cache"
(cd "$work/instance" && "$OCC" maintenance:install --admin-pass=bench-pass -n >/dev/null 2>&1)

# Baseline 1: the same binary where it finds no plugins.
cp "$OCC" "$work/noplugins/occ"
# Baseline 2: a static hello world.
cat >"$work/hello.rs" <<'RS'
fn main() { println!("occ 0.1.0"); }
RS
rustc -O -C target-feature=+crt-static "$work/hello.rs" -o "$work/hello" 2>/dev/null

median_ms() { # command...
  hyperfine -N --warmup 20 --runs 300 --export-json "$work/h.json" "$*" >/dev/null 2>&1
  python3 -c "import json;print('%.2f' % (json.load(open('$work/h.json'))['results'][0]['median']*1000))"
}
peak_kib() { # command...
  local best=0 k
  for _ in 1 2 3 4 5; do
    k=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1)
    [ "$k" -gt "$best" ] && best=$k
  done
  echo "$best"
}
row() { # label command...
  local label=$1; shift
  printf '| %-34s | %8s ms | %6.1f MiB |\n' "$label" "$(median_ms "$@")" "$(echo "$(peak_kib "$@") / 1024" | bc -l)"
}
need bc bc

cd "$work/instance"
echo "| command (release, SQLite instance)  |  wall median |   peak RSS |"
echo "|------------------------------------|-------------|------------|"
row "occ status" "$OCC" status
row "occ list" "$OCC" list
row "occ -V" "$OCC" -V
row "baseline: occ -V, no plugins" "$work/noplugins/occ" -V
row "baseline: occ list, no plugins" "$work/noplugins/occ" list
row "baseline: static hello world" "$work/hello"
echo
echo "ownCloud 10 on this machine kind: status 148 ms / 56.8 MiB, list 164 ms / 57.6 MiB."
