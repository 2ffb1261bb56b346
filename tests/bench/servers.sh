#!/usr/bin/env bash
# Ordinary commands on PostgreSQL and MariaDB over loopback TCP (release build installed as a
# distribution lays it out; the servers started here from tests/services/ and stopped after):
# `status` (needs no connection), `user:list` over 10,000 users (default page), and
# `files:scan` of a 100,000-file tree (1,000 folders of 100): first scan and unchanged rescan.
# Goals of the databases issue: status <= 3 ms, user:list <= 8 ms, first scan <= 4 s,
# rescan <= 1 s.
#
# Usage: tests/bench/servers.sh          (as root: the servers run as their own users)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --workspace --quiet
work=$(mktemp -d)
. tests/bench/lib.sh
start_servers "$work"
OCC=$(install_occ "$work/prefix")
export OCC_CACHE_DIR="$work/cache"


echo "| database | command | wall | peak RSS |"
echo "|---|---|---|---|"
for db in pgsql mysql; do
  inst=$work/$db && mkdir -p "$inst"
  if [ $db = pgsql ]; then host=127.0.0.1:15432; else host=127.0.0.1:13306; fi
  (cd "$inst" && "$OCC" maintenance:install --database=$db --database-host=$host \
    --database-user=ocuser --database-pass=ocpass --database-name=bench_$db \
    --admin-pass=bench-pass -n >/dev/null)
  # 10,000 users in one transaction, written as user:add writes them (through occ's own
  # database layer would be 10,000 bcrypt hashes: the rows are what user:list reads).
  python3 - "$inst" <<'PY' >"$work/users.sql"
import sys
print("BEGIN;")
for n in range(10000):
    u = "user%05d" % n
    print(f"INSERT INTO oc_users (uid, displayname, password) VALUES ('{u}', 'User {n}', '');")
    print(f"INSERT INTO oc_accounts (user_id, lower_user_id, display_name, backend, home, state, last_login, creation_time) VALUES ('{u}', '{u}', 'User {n}', 'OC\\\\User\\\\Database', '', 1, 0, 0);")
print("COMMIT;")
PY
  if [ $db = pgsql ]; then
    PGPASSWORD=ocpass psql -q -h 127.0.0.1 -p 15432 -U ocuser bench_pgsql -f "$work/users.sql" >/dev/null
  else
    mariadb --protocol=TCP -h 127.0.0.1 -P 13306 -u ocuser -pocpass bench_mysql <"$work/users.sql"
  fi
  cd "$inst"
  row "$db: status" "$OCC" status
  row "$db: user:list (first 500 of 10,001)" "$OCC" user:list
  if [ $db = pgsql ]; then
    # The floor under every PostgreSQL command: libpq's own connection (SCRAM-SHA-256 and a
    # backend process), as pgbench measures it, reconnecting for each `SELECT 1`.
    echo "SELECT 1;" >"$work/select1.sql"
    ms=$(PGPASSWORD=ocpass pgbench -n -C -c1 -T3 -f "$work/select1.sql" -h 127.0.0.1 -p 15432 -U ocuser bench_pgsql 2>/dev/null | sed -n 's/^average connection time = \([0-9.]*\) ms/\1/p')
    printf '| %-40s | %9s ms | %10s |\n' "pgsql: floor: a libpq connection (pgbench)" "$ms" ""
  fi
  OC_PASS=bench-pass "$OCC" user:add --password-from-env bench >/dev/null
  make_tree "$inst/data/bench/files" 1000
  sync
  read -r first first_k <<<"$(wall_rss "$OCC" files:scan bench)"
  res=(); re_k=0
  for _ in 1 2 3; do
    read -r s k <<<"$(wall_rss "$OCC" files:scan bench)"
    res+=("$s"); [ "$k" -gt "$re_k" ] && re_k=$k
  done
  printf '| %s | files:scan, 100k files, first scan | %ss | %.1f MiB |\n' "$db" "$first" "$(echo "$first_k / 1024" | bc -l)"
  printf '| %s | files:scan, 100k files, unchanged rescan | %ss | %.1f MiB |\n' "$db" "$(median "${res[@]}")" "$(echo "$re_k / 1024" | bc -l)"
  cd - >/dev/null
done
