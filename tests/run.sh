#!/usr/bin/env bash
# Runs every test on a fresh machine: formatting, clippy, then the unit tests and the
# integration tests (the real occ binary with the real plugins against real instances) on
# SQLite, the integration tests again on PostgreSQL and on MariaDB (real servers on loopback,
# installed when missing, started here and stopped at the end: tests/services/), with an
# OpenLDAP server (slapd, likewise) for the ldap plugin's tests throughout, then the
# Debian packages built, installed and removed again (tests/package.sh, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# What the tests use beyond the toolchain: tmux (completion at a terminal), man-db (the
# package's man pages), binutils (the package build reads the binaries' glibc needs), php-cli
# (PHP itself reads the config.php files occ writes and checks its password hashes).
missing=()
command -v tmux >/dev/null || missing+=(tmux)
command -v php >/dev/null || missing+=(php-cli)
command -v man >/dev/null || missing+=(man-db)
command -v objdump >/dev/null || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The database servers (Debian's packages; as root).
if [ "$(id -u)" = 0 ] && ! { command -v mariadbd >/dev/null && command -v slapd >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
  bash tests/services/install-deps.sh >/dev/null
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The integration tests run the binary and load the plugin libraries: build them all first.
cargo build --workspace --quiet
log=$(mktemp)
# The servers' files in a directory of this run's own (removed after).
export SVC_RUN
SVC_RUN=$(mktemp -d)
chmod 755 "$SVC_RUN"
stop_servers() {
  bash tests/services/stop-postgres.sh --wipe >/dev/null 2>&1 || true
  bash tests/services/stop-mariadb.sh --wipe >/dev/null 2>&1 || true
  bash tests/services/stop-ldap.sh --wipe >/dev/null 2>&1 || true
  rm -rf "$SVC_RUN"
}
trap 'stop_servers; rm -f "$log"' EXIT
status=0
# slapd for the LDAP tests (on every database): the reference users and 1,000 more, past its
# size limit of 500. Without slapd (not root, nothing installed) those tests say so and pass
# nothing.
if command -v slapd >/dev/null; then
  LDAP_BULK_USERS=1000 bash tests/services/start-ldap.sh >/dev/null
  export OCC_TEST_LDAP=$SVC_RUN/ldap/env
fi
cargo test --workspace 2>&1 | tee "$log" || status=$?
# The integration suite once per server database (each instance in a database of its own);
# the servers need root (they run as their own users).
if [ "$(id -u)" = 0 ]; then
  bash tests/services/start-postgres.sh >/dev/null
  bash tests/services/start-mariadb.sh >/dev/null
  for db in pgsql mysql; do
    echo "== integration tests on $db"
    OCC_TEST_DB=$db cargo test -p occ-tests 2>&1 | tee -a "$log" || status=1
  done
else
  echo "== integration tests on pgsql and mysql: skipped (the test servers need root)"
fi
bash tests/package.sh 2>&1 | tee -a "$log" || status=1
# One closing line over every test binary (cargo prints one "test result" line per binary)
# and the package test.
awk '/^test result:/ { p += $4; f += $6 } /^package: [0-9]+ passed/ { p += $2; f += $4 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
