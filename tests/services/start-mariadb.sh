#!/usr/bin/env bash
# Throwaway MariaDB on 127.0.0.1:$MY_PORT for occ's tests, own my.cnf, no systemd, runs as root.
# Needs: apt-get install -y --no-install-recommends mariadb-server mariadb-client
# Idempotent: stops a previous instance started by this script and wipes its dir.
# Prints the connection URL on stdout on success; writes $MY_DIR/env.
set -euo pipefail

MY_DIR=${MY_DIR:-${SVC_RUN:-${TMPDIR:-/tmp}/occ-svc}/mariadb}
MY_PORT=${MY_PORT:-13306}
MY_DB=${MY_DB:-ocdb}
MY_USER=${MY_USER:-ocuser}
MY_PASS=${MY_PASS:-ocpass}
READY_TIMEOUT=${READY_TIMEOUT:-60}
# MY_EXTRA_CNF: extra [mysqld] lines (optional)

here=$(cd "$(dirname "$0")" && pwd)
log=$MY_DIR/mariadbd.log
cnf=$MY_DIR/my.cnf
die() {
  echo "start-mariadb: ERROR: $*" >&2
  for f in "$MY_DIR/install-db.log" "$log"; do
    if [ -f "$f" ]; then echo "---- $f (tail) ----" >&2; tail -n 60 "$f" >&2; fi
  done
  MY_DIR=$MY_DIR "$here/stop-mariadb.sh" >/dev/null 2>&1 || true   # no orphans
  exit 1
}
for b in mariadbd mariadb-install-db mariadb mariadb-admin; do
  command -v "$b" >/dev/null || die "$b not found (apt-get install mariadb-server mariadb-client)"
done

# running = exists and not a zombie
alive() { local s; s=$(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | cut -d' ' -f1); [ -n "$s" ] && [ "$s" != Z ]; }

for p in MY_PORT; do
  [[ ${!p} =~ ^[0-9]+$ ]] && [ "${!p}" -ge 1 ] && [ "${!p}" -le 65535 ] || die "$p=${!p} is not a valid port"
done

# 1. clean state
MY_DIR=$MY_DIR "$here/stop-mariadb.sh" >/dev/null
rm -rf "$MY_DIR"
mkdir -p "$MY_DIR/data" "$MY_DIR/tmp"
chmod 700 "$MY_DIR"
if (exec 3<>"/dev/tcp/127.0.0.1/$MY_PORT") 2>/dev/null; then die "port $MY_PORT already in use"; fi

# 2. private config; --defaults-file (must be the FIRST option) keeps
#    /etc/mysql/my.cnf (datadir=/var/lib/mysql, /run/mysqld socket) out of it.
cat >"$cnf" <<EOF
[client]
socket = $MY_DIR/mysqld.sock
user = root

[mysqld]
user = root
datadir = $MY_DIR/data
tmpdir = $MY_DIR/tmp
socket = $MY_DIR/mysqld.sock
pid-file = $MY_DIR/mariadbd.pid
log-error = $log
port = $MY_PORT
bind-address = 127.0.0.1
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
# throwaway instance: trade durability for speed
innodb_buffer_pool_size = 128M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
sync_binlog = 0
${MY_EXTRA_CNF:-}
EOF

# 3. system tables; root@localhost authenticates via unix_socket (we are root)
mariadb-install-db --defaults-file="$cnf" --user=root --skip-test-db \
  >"$MY_DIR/install-db.log" 2>&1 || die "mariadb-install-db failed"

# 4. start in background (own session, so it survives the calling shell)
t0=$(date +%s.%N)
setsid mariadbd --defaults-file="$cnf" >>"$MY_DIR/mariadbd.stderr" 2>&1 </dev/null &
echo $! >"$MY_DIR/launcher.pid"

# 5. readiness: a real query over the socket
ok=0
for _ in $(seq $((READY_TIMEOUT * 10))); do
  if mariadb --defaults-file="$cnf" --connect-timeout=1 -Nse 'SELECT 1' >/dev/null 2>&1; then ok=1; break; fi
  alive "$(cat "$MY_DIR/launcher.pid")" || die "mariadbd exited during startup"
  sleep 0.1
done
[ $ok = 1 ] || die "mariadbd not ready after ${READY_TIMEOUT}s"
t1=$(date +%s.%N)

# 6. app database + user ('%' = any host incl. 127.0.0.1 over TCP; 'localhost' = socket)
mariadb --defaults-file="$cnf" <<EOF || die "creating database/user failed"
CREATE DATABASE \`$MY_DB\` CHARACTER SET utf8mb4;
CREATE USER '$MY_USER'@'%' IDENTIFIED BY '$MY_PASS';
CREATE USER '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASS';
-- occ's tests give every instance a database of its own, created by maintenance:install.
GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'localhost';
-- A user who may log in and nothing more (for the "missing rights" case).
CREATE USER '${MY_USER}_weak'@'%' IDENTIFIED BY '$MY_PASS';
-- A user with rights on the tests' databases only, as ownCloud's guide grants them (no right
-- to create or drop other databases).
CREATE USER '${MY_USER}_db'@'%' IDENTIFIED BY '$MY_PASS';
GRANT ALL PRIVILEGES ON \`occt\_%\`.* TO '${MY_USER}_db'@'%';
EOF
# sanity: password login over TCP
mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MY_PORT" -u "$MY_USER" -p"$MY_PASS" \
  "$MY_DB" -Nse 'SELECT 1' >/dev/null 2>>"$log" || die "TCP password login failed"

url="mysql://$MY_USER:$MY_PASS@127.0.0.1:$MY_PORT/$MY_DB"
cat >"$MY_DIR/env" <<EOF
MYSQL_URL=$url
MYSQL_SOCKET=$MY_DIR/mysqld.sock
MYSQL_DEFAULTS_FILE=$cnf
EOF
printf 'start-mariadb: ready in %.2fs (pid %s, log %s)\n' "$(awk "BEGIN{print $t1-$t0}")" \
  "$(cat "$MY_DIR/launcher.pid")" "$log" >&2
echo "$url"
