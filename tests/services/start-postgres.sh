#!/usr/bin/env bash
# Throwaway PostgreSQL on 127.0.0.1:$PG_PORT for occ's tests, no systemd, no pg_ctlcluster.
# Needs: apt-get install -y --no-install-recommends postgresql-15   (creates OS user 'postgres')
#   (optional, saves ~1-2s at install: before installing,
#    mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' \
#      > /etc/postgresql-common/createcluster.conf)
# postgres refuses to run as root -> initdb/pg_ctl run via runuser -u postgres.
# Idempotent: stops a previous instance started by this script and wipes its dir.
# Prints the connection URL on stdout on success; writes $PG_DIR/env.
set -euo pipefail

PG_DIR=${PG_DIR:-${SVC_RUN:-${TMPDIR:-/tmp}/occ-svc}/postgres}
PG_PORT=${PG_PORT:-15432}
PG_SUPERPASS=${PG_SUPERPASS:-postgrespass}
PG_DB=${PG_DB:-ocdb}
PG_USER=${PG_USER:-ocuser}
PG_PASS=${PG_PASS:-ocpass}
PG_OSUSER=${PG_OSUSER:-postgres}
READY_TIMEOUT=${READY_TIMEOUT:-30}
# PG_EXTRA_CONF: extra postgresql.conf lines (optional)

here=$(cd "$(dirname "$0")" && pwd)
log=$PG_DIR/postgres.log
die() {
  echo "start-postgres: ERROR: $*" >&2
  for f in "$PG_DIR/initdb.log" "$log"; do
    if [ -f "$f" ]; then echo "---- $f (tail) ----" >&2; tail -n 60 "$f" >&2; fi
  done
  PG_DIR=$PG_DIR "$here/stop-postgres.sh" >/dev/null 2>&1 || true   # no orphans
  exit 1
}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PGBIN/initdb" ] || die "initdb not found under /usr/lib/postgresql/*/bin (apt-get install postgresql-15)"
id "$PG_OSUSER" >/dev/null 2>&1 || die "OS user $PG_OSUSER missing"
as_pg() { (cd / && runuser -u "$PG_OSUSER" -- "$@"); }  # cd /: cwd may be unreadable for postgres

for p in PG_PORT; do
  [[ ${!p} =~ ^[0-9]+$ ]] && [ "${!p}" -ge 1 ] && [ "${!p}" -le 65535 ] || die "$p=${!p} is not a valid port"
done

# 1. clean state
PG_DIR=$PG_DIR "$here/stop-postgres.sh" >/dev/null
rm -rf "$PG_DIR"
mkdir -p "$PG_DIR/sock"
chown -R "$PG_OSUSER:" "$PG_DIR"
chmod 700 "$PG_DIR"
# every parent dir must be traversable by the postgres user (mktemp -d gives 0700!)
as_pg test -w "$PG_DIR" || die "user $PG_OSUSER cannot reach $PG_DIR (chmod o+x its parent dirs)"
if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then die "port $PG_PORT already in use"; fi

# 2. initdb: superuser 'postgres' with password; local socket = trust (only the
#    private socket dir), TCP = scram-sha-256. --no-sync: throwaway, skip fsync.
pwfile=$PG_DIR/superpass
printf '%s\n' "$PG_SUPERPASS" >"$pwfile"; chown "$PG_OSUSER:" "$pwfile"; chmod 600 "$pwfile"
as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$PG_DIR/initdb.log" 2>&1 || die "initdb failed"
rm -f "$pwfile"
cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
${PG_EXTRA_CONF:-}
EOF

# 3. start: pg_ctl daemonizes postgres; -w polls postmaster.pid every 0.1s and
#    fails fast if the postmaster dies during startup
t0=$(date +%s.%N)
as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$log" -w -t "$READY_TIMEOUT" start >/dev/null 2>&1 \
  || die "pg_ctl start failed"

# 4. readiness
ok=0
for _ in $(seq $((READY_TIMEOUT * 10))); do
  if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then ok=1; break; fi
  sleep 0.1
done
[ $ok = 1 ] || die "postgres not ready after ${READY_TIMEOUT}s"
t1=$(date +%s.%N)
head -n 1 "$PG_DIR/data/postmaster.pid" >"$PG_DIR/postgres.pid"

# 5. app role + database (over the private unix socket as superuser)
psql_su() { as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -d postgres "$@"; }
# CREATEDB: occ's tests give every instance a database of its own, created by maintenance:install.
psql_su -c "CREATE ROLE \"$PG_USER\" LOGIN CREATEDB PASSWORD '$PG_PASS'" >>"$log" 2>&1 || die "CREATE ROLE failed"
# A user who may log in and nothing more (for the "missing rights" case).
psql_su -c "CREATE ROLE \"${PG_USER}_weak\" LOGIN PASSWORD '$PG_PASS'" >>"$log" 2>&1 || die "CREATE ROLE failed"
psql_su -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >>"$log" 2>&1 || die "CREATE DATABASE failed"

url="postgres://$PG_USER:$PG_PASS@127.0.0.1:$PG_PORT/$PG_DB"
# sanity: password login over TCP
"$PGBIN/psql" -X -q -tA "$url" -c 'select 1' >/dev/null 2>>"$log" || die "TCP password login failed"

cat >"$PG_DIR/env" <<EOF
DATABASE_URL=$url
PG_ADMIN_URL=postgres://postgres:$PG_SUPERPASS@127.0.0.1:$PG_PORT/postgres
PGHOST=127.0.0.1
PGPORT=$PG_PORT
EOF
printf 'start-postgres: ready in %.2fs (pid %s, log %s)\n' "$(awk "BEGIN{print $t1-$t0}")" \
  "$(cat "$PG_DIR/postgres.pid")" "$log" >&2
echo "$url"
