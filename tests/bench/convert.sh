#!/usr/bin/env bash
# Benchmark of db:convert-type (release build, installed as a distribution lays it out): an
# SQLite instance with 1,000 users and two scanned trees of 100,000 files each (over 200,000
# rows in all; ownCloud's reference source had 214,684) converted to PostgreSQL and to
# MariaDB over loopback TCP, each into a fresh database: wall time, rows per second and peak
# RSS; beside each server's own bulk-load floor for the file cache's rows, measured in the same
# run (PostgreSQL: COPY ... FROM STDIN; MariaDB: LOAD DATA LOCAL INFILE).
# Goals of the databases issue: PostgreSQL >= 150,000 rows/s, MariaDB >= 100,000, each within
# 1.5x of the floor, peak RSS <= 64 MiB. ownCloud 10 here: 4,300 and 7,200 rows/s, 66 MiB.
#
# Usage: tests/bench/convert.sh     (as root; the servers are started here and stopped after)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --workspace --quiet
work=$(mktemp -d)
. tests/bench/lib.sh
start_servers "$work"
OCC=$(install_occ "$work/prefix")
export OCC_CACHE_DIR="$work/cache"

inst=$work/source
fresh_instance "$inst"
for u in bench1 bench2; do
  (cd "$inst" && OC_PASS=bench-pass "$OCC" user:add --password-from-env "$u" >/dev/null)
  make_tree "$inst/data/$u/files" 1000
done
(cd "$inst" && "$OCC" files:scan --all >/dev/null)
python3 - "$inst/data/owncloud.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executemany("INSERT INTO oc_users (uid, displayname, password) VALUES (?, ?, '')",
               [("user%04d" % n, "User %d" % n) for n in range(998)])
db.executemany("INSERT INTO oc_accounts (user_id, lower_user_id, display_name, backend, home, state) VALUES (?, ?, ?, 'OC\\User\\Database', '', 1)",
               [("user%04d" % n, "user%04d" % n, "User %d" % n) for n in range(998)])
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
rows=$(python3 -c "
import sqlite3, sys
db = sqlite3.connect('$inst/data/owncloud.db')
t = [r[0] for r in db.execute(\"SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'oc_%' AND name <> 'oc_migrations'\")]
print(sum(db.execute('SELECT COUNT(*) FROM \"%s\"' % x).fetchone()[0] for x in t))")
fc_rows=$(python3 -c "import sqlite3; print(sqlite3.connect('$inst/data/owncloud.db').execute('SELECT COUNT(*) FROM oc_filecache').fetchone()[0])")
python3 - "$inst/data/owncloud.db" "$work/filecache.tsv" <<'PY'
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    for r in db.execute("SELECT fileid, storage, path, path_hash, parent, name, mimetype, mimepart, size, encrypted, unencrypted_size, etag, permissions, mtime, storage_mtime FROM oc_filecache"):
        w.writerow(r)
PY
cp "$inst/config/config.json" "$work/config.json"

echo "source: $rows rows ($fc_rows in oc_filecache)"
echo
echo "| target | what | wall | rows/s | peak RSS |"
echo "|---|---|---|---|---|"
cols="fileid, storage, path, path_hash, parent, name, mimetype, mimepart, size, encrypted, unencrypted_size, etag, permissions, mtime, storage_mtime"
for db in pgsql mysql; do
  if [ $db = pgsql ]; then port=15432; else port=13306; fi
  cp "$work/config.json" "$inst/config/config.json"
  read -r s k <<<"$(cd "$inst" && /usr/bin/time -f "%e %M" "$OCC" db:convert-type --password=ocpass --port=$port $db ocuser 127.0.0.1 conv_$db 2>&1 >/dev/null | tail -n1)"
  printf '| %s | db:convert-type | %ss | %d | %.1f MiB |\n' "$db" "$s" "$(python3 -c "print(int($rows / max($s, 0.001)))")" "$(echo "$k / 1024" | bc -l)"
  # The floors: the file cache's rows loaded by the server's own bulk path into a copy of the
  # table, once with its indexes kept up to date row by row, once with the secondary indexes
  # made after the load (what db:convert-type does, as pg_restore does).
  if [ $db = pgsql ]; then
    export PGPASSWORD=ocpass
    P="psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $port -U ocuser conv_pgsql"
    $P -c "CREATE TABLE floor_fc (LIKE oc_filecache INCLUDING ALL)"
    $P -c "CREATE TABLE floor_nx (LIKE oc_filecache INCLUDING DEFAULTS); ALTER TABLE floor_nx ADD PRIMARY KEY (fileid)"
    t0=$(date +%s.%N)
    $P -c "\\copy floor_fc ($cols) FROM '$work/filecache.tsv' WITH (FORMAT csv, DELIMITER E'\\t')"
    t1=$(date +%s.%N)
    $P -c "\\copy floor_nx ($cols) FROM '$work/filecache.tsv' WITH (FORMAT csv, DELIMITER E'\\t')"
    $P <<<"SELECT replace(replace(indexdef, 'INDEX oc_', 'INDEX nx_'), ' ON public.oc_filecache ', ' ON public.floor_nx ') FROM pg_indexes WHERE tablename = 'oc_filecache' AND indexname <> 'oc_filecache_pkey' \\gexec" >/dev/null
    t2=$(date +%s.%N)
  else
    M="mariadb --local-infile=1 --protocol=TCP -h 127.0.0.1 -P $port -u ocuser -pocpass conv_mysql"
    $M -e "CREATE TABLE floor_fc LIKE oc_filecache; CREATE TABLE floor_nx LIKE oc_filecache"
    keys=$($M -N -e "SHOW CREATE TABLE oc_filecache" | tr '\t' '\n' | sed 's/\\n/\n/g' | grep -E '^ *(UNIQUE )?KEY ' | sed 's/,$//')
    $M -e "ALTER TABLE floor_nx $(echo "$keys" | sed -E 's/^ *(UNIQUE )?KEY (`[^`]*`).*/DROP INDEX \2/' | paste -sd, -)"
    load="FIELDS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '\"' ($cols)"
    t0=$(date +%s.%N)
    $M -e "LOAD DATA LOCAL INFILE '$work/filecache.tsv' INTO TABLE floor_fc $load"
    t1=$(date +%s.%N)
    $M -e "LOAD DATA LOCAL INFILE '$work/filecache.tsv' INTO TABLE floor_nx $load"
    $M -e "ALTER TABLE floor_nx $(echo "$keys" | sed -E 's/^ */ADD /' | paste -sd, -)"
    t2=$(date +%s.%N)
  fi
  f=$(python3 -c "print('%.2f' % ($t1 - $t0))")
  g=$(python3 -c "print('%.2f' % ($t2 - $t1))")
  printf '| %s | floor: bulk load of oc_filecache (%s rows), indexes kept up to date | %ss | %d | |\n' "$db" "$fc_rows" "$f" "$(python3 -c "print(int($fc_rows / max($f, 0.001)))")"
  printf '| %s | floor: the same, secondary indexes made after the load | %ss | %d | |\n' "$db" "$g" "$(python3 -c "print(int($fc_rows / max($g, 0.001)))")"
done
