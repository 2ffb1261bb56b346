# Shared helpers of the benchmark scripts (sourced, not run).
# need CMD PKG: install the Debian package PKG when CMD is missing.
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
[ -x /usr/bin/time ] || need /usr/bin/time time
need bc bc

# median_ms COMMAND...: wall-clock median in ms over 300 runs.
median_ms() {
  hyperfine -N --warmup 20 --runs 300 --export-json "$work/h.json" "$*" >/dev/null 2>&1
  python3 -c "import json;print('%.2f' % (json.load(open('$work/h.json'))['results'][0]['median']*1000))"
}

# peak_kib COMMAND...: the largest peak RSS of 5 runs, in KiB.
peak_kib() {
  local best=0 k
  for _ in 1 2 3 4 5; do
    k=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1)
    [ "$k" -gt "$best" ] && best=$k
  done
  echo "$best"
}

# row LABEL COMMAND...: one markdown table row with the median and the peak RSS.
row() {
  local label=$1; shift
  printf '| %-40s | %9s ms | %6.1f MiB |\n' "$label" "$(median_ms "$@")" "$(echo "$(peak_kib "$@") / 1024" | bc -l)"
}

# install_occ PREFIX: occ and the first-party plugins installed as a distribution lays them out
# (PREFIX/bin/occ, PREFIX/lib/occ/plugins/), copied with install(1); prints PREFIX/bin/occ.
# What users run: the files the linker wrote into target/release measured 0.3-1 ms slower per
# command than fresh copies of the same bytes (more page faults mapping them).
install_occ() {
  mkdir -p "$1/bin" "$1/lib/occ/plugins"
  install -m 755 target/release/occ "$1/bin/occ"
  install -m 755 target/release/libocc_plugin_*.so "$1/lib/occ/plugins/"
  echo "$1/bin/occ"
}

# fresh_instance DIR: an installed SQLite instance in DIR.
fresh_instance() {
  mkdir -p "$1"
  (cd "$1" && "$OCC" maintenance:install --admin-pass=bench-pass -n >/dev/null 2>&1)
}

# start_servers WORK: PostgreSQL and MariaDB from tests/services/ with their files in WORK/svc,
# stopped (and WORK removed) when the script exits.
start_servers() {
  chmod 755 "$1"
  export SVC_RUN=$1/svc
  # shellcheck disable=SC2064 # WORK is fixed now
  trap "bash tests/services/stop-postgres.sh --wipe >/dev/null 2>&1; bash tests/services/stop-mariadb.sh --wipe >/dev/null 2>&1; rm -rf '$1'" EXIT
  bash tests/services/start-postgres.sh >/dev/null 2>&1
  bash tests/services/start-mariadb.sh >/dev/null 2>&1
}

# median NUMBERS...: the middle one.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# wall_rss COMMAND...: "seconds KiB" (wall time and peak RSS).
wall_rss() {
  /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n1
}

# make_tree DIR FOLDERS: FOLDERS folders of 100 small files each under DIR (the scan benchmarks'
# tree).
make_tree() {
  python3 - "$1" "$2" <<'PY'
import os, sys
root, folders = sys.argv[1], int(sys.argv[2])
for d in range(folders):
    p = os.path.join(root, "d%05d" % d)
    os.makedirs(p, exist_ok=True)
    for f in range(100):
        with open(os.path.join(p, "f%03d.txt" % f), "w") as fh:
            fh.write("x" * (f % 7))
PY
}
