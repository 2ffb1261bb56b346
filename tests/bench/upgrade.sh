#!/usr/bin/env bash
# Benchmark of `occ upgrade` (release build, SQLite): an upgrade whose migration adds a column
# and an index to a 1,000,000-row oc_filecache (the upgrade fixture plugin's `bench` stage),
#   floor:     the migration's two statements alone, run by SQLite (python3's sqlite3) on the
#              same database;
#   bare:      occ upgrade --skip-migration-test, the bare migration (its records, maintenance
#              mode, the repair steps);
#   upgrade:   occ upgrade (the same after the migration test on a copy of the database);
#   repair:    the repair steps alone (maintenance:repair), which every upgrade runs after its
#              migrations, as ownCloud's does;
# each the median of 3 runs from the same database and config, with the ratios (budget: the
# upgrade with its test <= 3x the bare migration; also shown with the repair steps aside, and
# against the floor); and the no-op upgrade's median over 300 runs (budget: <= 5 ms).
#
# Usage: tests/bench/upgrade.sh [ROWS]     (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
cargo build --release --workspace --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. tests/bench/lib.sh
OCC=$(install_occ "$work/prefix")
export OCC_CACHE_DIR="$work/cache"
# The fixture plugin at a stage, from a copy of its own (the plugin index keeps what a file
# declared).
stage() {
  mkdir -p "$work/plugin-$1"
  install -m 755 target/release/libocc_fixture_upgrade.so "$work/plugin-$1/"
  export OCC_PLUGIN_PATH="$work/plugin-$1" OCC_FIXTURE_UPGRADE_STAGE=$1
}

inst=$work/instance
stage 1
fresh_instance "$inst"
db=$inst/data/owncloud.db
# 1,000,000 rows of a consistent tree: folders of 100 files each under files/.
python3 - "$db" "$rows" <<'PY'
import hashlib, sqlite3, sys
db, rows = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
c.execute("PRAGMA journal_mode = WAL")
def row(fid, path, parent, name, mime, part, size):
    return (fid, 1, path, hashlib.md5(path.encode()).hexdigest(), parent, name, mime, part, size, 1700000000, 1700000000, "e%x" % fid, 27)
c.execute("INSERT INTO oc_mimetypes (id, mimetype) VALUES (101, 'httpd'), (102, 'httpd/unix-directory'), (103, 'text'), (104, 'text/plain')")
out = [row(1, "", -1, "", 102, 101, 0), row(2, "files", 1, "files", 102, 101, 0)]
fid, folder = 3, 0
while fid <= rows:
    d = fid
    out.append(row(d, "files/d%05d" % folder, 2, "d%05d" % folder, 102, 101, 0))
    fid += 1
    for f in range(99):
        if fid > rows:
            break
        name = "f%03d.txt" % f
        out.append(row(fid, "files/d%05d/%s" % (folder, name), d, name, 104, 103, f))
        fid += 1
    folder += 1
    if len(out) >= 100000:
        c.executemany("INSERT INTO oc_filecache (fileid, storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", out)
        out = []
c.executemany("INSERT INTO oc_filecache (fileid, storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", out)
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
PY
cp "$db" "$work/before.db"
cp "$inst/config/config.json" "$work/before.json"
# The database and the config together, as a backup is restored.
restore() { rm -f "$db-wal" "$db-shm"; cp "$work/before.db" "$db"; cp "$work/before.json" "$inst/config/config.json"; sync; }
secs() { python3 -c "import sys,time,subprocess; t=time.monotonic(); r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print('%.3f' % (time.monotonic()-t)); sys.exit(r.returncode)" "$@"; }

bare=() skip=() full=()
stage bench
for _ in 1 2 3; do
  restore
  bare+=("$(secs python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('ALTER TABLE oc_filecache ADD fixture_flag INTEGER NOT NULL DEFAULT 0'); c.execute('CREATE INDEX oc_fc_fixture_flag ON oc_filecache (fixture_flag)'); c.commit(); c.close()" "$db")")
  restore
  skip+=("$(cd "$inst" && secs "$OCC" upgrade --skip-migration-test)")
  restore
  full+=("$(cd "$inst" && secs "$OCC" upgrade)")
done
# The repair steps alone, on the upgraded database.
(cd "$inst" && "$OCC" maintenance:mode --on >/dev/null 2>&1)
rep=()
for _ in 1 2 3; do
  rep+=("$(cd "$inst" && secs "$OCC" maintenance:repair)")
done
(cd "$inst" && "$OCC" maintenance:mode --off >/dev/null 2>&1)
b=$(median "${bare[@]}") s=$(median "${skip[@]}") f=$(median "${full[@]}") r=$(median "${rep[@]}")
echo "| oc_filecache rows: $rows | wall | x bare | x floor |"
echo "|---|---|---|---|"
printf '| floor: the two statements alone (SQLite) | %.2f s | | 1.00 |\n' "$b"
printf '| bare migration: occ upgrade --skip-migration-test | %.2f s | 1.00 | %.2f |\n' "$s" "$(echo "$s / $b" | bc -l)"
printf '| occ upgrade (with the migration test) | %.2f s | %.2f | %.2f |\n' "$f" "$(echo "$f / $s" | bc -l)" "$(echo "$f / $b" | bc -l)"
printf '| the repair steps alone (maintenance:repair) | %.2f s | | %.2f |\n' "$r" "$(echo "$r / $b" | bc -l)"
printf '| the same two, the repair steps aside | %.2f s / %.2f s | %.2f | %.2f |\n' "$(echo "$s - $r" | bc -l)" "$(echo "$f - $r" | bc -l)" "$(echo "($f - $r) / ($s - $r)" | bc -l)" "$(echo "($f - $r) / $b" | bc -l)"
# The no-op upgrade (exit code 3: already latest version).
cd "$inst"
hyperfine -N -i --warmup 20 --runs 300 --export-json "$work/h.json" "$OCC upgrade" >/dev/null 2>&1
printf '| occ upgrade, nothing to do (median of 300) | %s ms | | |\n' "$(python3 -c "import json;print('%.2f' % (json.load(open('$work/h.json'))['results'][0]['median']*1000))")"
