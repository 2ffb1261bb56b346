#!/usr/bin/env bash
# Benchmark of the ldap plugin against a real slapd on loopback (release build installed as a
# distribution lays it out, SQLite instance): a directory of 10,000 generated users in 200
# groups plus the reference users (bulk-loaded by slapadd; size limit 500), configured as
# ownCloud's reference run configured it. Prints wall median and peak RSS of `ldap:search rob`
# (ownCloud 10: 210 ms), `ldap:check-user robert`, `ldap:search --limit=0 user` (all 10,000:
# paged past the size limit, each mapped), `ldap:test-config s01`, and `user:sync ldap` of the
# 10,003 users: first (accounts made) and unchanged.
# Goals of the LDAP issue: search and check-user <= 10 ms, first user:sync <= 5 s, unchanged
# re-sync <= 2 s, peak RSS <= 64 MiB.
#
# Usage: tests/bench/ldap.sh     (slapd from Debian's packages: tests/services/install-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --workspace --quiet
work=$(mktemp -d)
. tests/bench/lib.sh
chmod 755 "$work"
export SVC_RUN=$work/svc
trap 'bash tests/services/stop-ldap.sh --wipe >/dev/null 2>&1; rm -rf "$work"' EXIT
LDAP_BULK_USERS=10000 bash tests/services/start-ldap.sh >/dev/null 2>&1
OCC=$(install_occ "$work/prefix")
export OCC_CACHE_DIR="$work/cache"
fresh_instance "$work/instance"
cd "$work/instance"
"$OCC" ldap:create-empty-config >/dev/null
set_config() { "$OCC" ldap:set-config s01 "$1" "$2"; }
set_config ldapHost 127.0.0.1
set_config ldapPort 13389
set_config ldapAgentName cn=admin,dc=example,dc=org
set_config ldapAgentPassword adminpass
set_config ldapBase dc=example,dc=org
set_config ldapBaseGroups ou=groups,dc=example,dc=org
set_config ldapUserFilter '(objectclass=inetOrgPerson)'
set_config ldapLoginFilter '(&(objectclass=inetOrgPerson)(uid=%uid))'
set_config ldapGroupFilter '(objectclass=groupOfNames)'
set_config ldapExpertUsernameAttr uid
set_config ldapConfigurationActive 1
"$OCC" ldap:search rob >/dev/null

echo "| command | wall | peak RSS |"
echo "|---|---|---|"
row "ldap:search rob" "$OCC" ldap:search rob
row "ldap:check-user robert" "$OCC" ldap:check-user robert
row "ldap:test-config s01" "$OCC" ldap:test-config s01
read -r s k <<<"$(wall_rss "$OCC" ldap:search --limit=0 user)"
printf '| %-40s | %9s s | %6.1f MiB |\n' "ldap:search --limit=0 user (first: maps 10,000)" "$s" "$(echo "$k / 1024" | bc -l)"
read -r s k <<<"$(wall_rss "$OCC" ldap:search --limit=0 user)"
printf '| %-40s | %9s s | %6.1f MiB |\n' "ldap:search --limit=0 user (mapped)" "$s" "$(echo "$k / 1024" | bc -l)"
read -r s k <<<"$(wall_rss "$OCC" user:sync ldap -m disable)"
printf '| %-40s | %9s s | %6.1f MiB |\n' "user:sync ldap (first: 10,003 accounts)" "$s" "$(echo "$k / 1024" | bc -l)"
read -r s k <<<"$(wall_rss "$OCC" user:sync ldap -m disable)"
printf '| %-40s | %9s s | %6.1f MiB |\n' "user:sync ldap (unchanged)" "$s" "$(echo "$k / 1024" | bc -l)"
