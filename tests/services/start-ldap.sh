#!/usr/bin/env bash
# Throwaway OpenLDAP (slapd) on loopback for occ's tests: own slapd.conf, mdb backend, no
# systemd/debconf; a CA and a server certificate made per run (StartTLS and ldaps), a size
# limit below the directory's size (LDAP_SIZELIMIT, so that paging is exercised), and with
# LDAP_BULK_USERS=N also N generated users in 200 groups (ou=people, bulk-loaded by slapadd).
# Needs: apt-get install -y --no-install-recommends slapd ldap-utils openssl
#   (preseed first to skip debconf's instance:
#    echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections)
# Idempotent: stops a previous instance started by this script and wipes its dir.
# Prints the LDAP URL on stdout on success; writes $LDAP_DIR/env.
set -euo pipefail

LDAP_DIR=${LDAP_DIR:-${SVC_RUN:-${TMPDIR:-/tmp}/occ-svc}/ldap}
LDAP_PORT=${LDAP_PORT:-13389}
LDAPS_PORT=${LDAPS_PORT:-13636}
LDAP_SUFFIX=${LDAP_SUFFIX:-dc=example,dc=org}
LDAP_ADMIN_DN=${LDAP_ADMIN_DN:-cn=admin,$LDAP_SUFFIX}
LDAP_ADMIN_PW=${LDAP_ADMIN_PW:-adminpass}
LDAP_TLS=${LDAP_TLS:-1}          # 1 = self-signed cert, StartTLS + ldaps
READY_TIMEOUT=${READY_TIMEOUT:-30}
LDAP_SIZELIMIT=${LDAP_SIZELIMIT:-500}
LDAP_BULK_USERS=${LDAP_BULK_USERS:-0}

here=$(cd "$(dirname "$0")" && pwd)
log=$LDAP_DIR/slapd.log
die() {
  echo "start-ldap: ERROR: $*" >&2
  if [ -f "$log" ]; then echo "---- $log (tail) ----" >&2; tail -n 60 "$log" >&2; fi
  LDAP_DIR=$LDAP_DIR "$here/stop-ldap.sh" >/dev/null 2>&1 || true   # no orphans
  exit 1
}
for b in slapd slapadd slappasswd ldapsearch; do
  command -v "$b" >/dev/null || die "$b not found (apt-get install slapd ldap-utils)"
done

# running = exists and not a zombie
alive() { local s; s=$(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | cut -d' ' -f1); [ -n "$s" ] && [ "$s" != Z ]; }

for p in LDAP_PORT LDAPS_PORT; do
  [[ ${!p} =~ ^[0-9]+$ ]] && [ "${!p}" -ge 1 ] && [ "${!p}" -le 65535 ] || die "$p=${!p} is not a valid port"
done

# 1. clean state: stop our previous instance (by pidfile only), wipe dir
LDAP_DIR=$LDAP_DIR "$here/stop-ldap.sh" >/dev/null
rm -rf "$LDAP_DIR"
mkdir -p "$LDAP_DIR/data"
chmod 700 "$LDAP_DIR"

for p in $LDAP_PORT $([ "$LDAP_TLS" = 1 ] && echo "$LDAPS_PORT"); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p already in use"; fi
done

# 2. a CA and a server certificate signed by it (a CA file is what occ's ldapTLS and ldaps
#    trust; rustls refuses a self-signed CA certificate presented as the server's)
tls_conf=""
urls="ldap://127.0.0.1:$LDAP_PORT/"
if [ "$LDAP_TLS" = 1 ]; then
  (
    cd "$LDAP_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=occ test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout ca-key.pem -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout key.pem -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile server.ext -out cert.pem
  ) >/dev/null 2>&1 || die "openssl certificate generation failed"
  tls_conf="TLSCACertificateFile $LDAP_DIR/ca.pem
TLSCertificateFile $LDAP_DIR/cert.pem
TLSCertificateKeyFile $LDAP_DIR/key.pem"
  urls="$urls ldaps://127.0.0.1:$LDAPS_PORT/"
fi

# 3. config (slapd.conf style; slapd 2.5 still accepts -f)
rootpw_hash=$(slappasswd -s "$LDAP_ADMIN_PW")
cat >"$LDAP_DIR/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $LDAP_DIR/slapd.pid
argsfile $LDAP_DIR/slapd.args
$tls_conf

sizelimit $LDAP_SIZELIMIT

database mdb
maxsize 1073741824
suffix "$LDAP_SUFFIX"
rootdn "$LDAP_ADMIN_DN"
rootpw $rootpw_hash
directory $LDAP_DIR/data
dbnosync
index objectClass eq
index uid,cn,mail,displayName eq,sub
index entryUUID eq
index member eq
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by * read
EOF

# 4. seed data offline with slapadd (fast; no server needed)
pw() { slappasswd -s "$1"; }
dc=${LDAP_SUFFIX%%,*}; dc=${dc#*=}
cat >"$LDAP_DIR/seed.ldif" <<EOF
dn: $LDAP_SUFFIX
objectClass: dcObject
objectClass: organization
dc: $dc
o: $dc

dn: ou=users,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: users

dn: ou=groups,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=users,$LDAP_SUFFIX
objectClass: inetOrgPerson
uid: alice
cn: Alice Adams
sn: Adams
displayName: Alice Adams
mail: alice@example.org
userPassword: $(pw alicepass)

dn: uid=bob,ou=users,$LDAP_SUFFIX
objectClass: inetOrgPerson
uid: bob
cn: Bob Brown
sn: Brown
displayName: Bob Brown
mail: bob@example.org
userPassword: $(pw bobpass)

dn: uid=robert,ou=users,$LDAP_SUFFIX
objectClass: inetOrgPerson
uid: robert
cn: Robert Roberts
sn: Roberts
displayName: Robert Roberts
mail: robert@example.org
userPassword: $(pw robertpass)

dn: cn=admins,ou=groups,$LDAP_SUFFIX
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=users,$LDAP_SUFFIX
EOF
# the bulk directory: N users in ou=people and 200 groups in ou=teams, each user in one group
if [ "$LDAP_BULK_USERS" -gt 0 ]; then
  python3 - "$LDAP_SUFFIX" "$LDAP_BULK_USERS" >>"$LDAP_DIR/seed.ldif" <<'PY'
import sys
base, n = sys.argv[1], int(sys.argv[2])
out = [f"\ndn: ou=people,{base}\nobjectClass: organizationalUnit\nou: people\n",
       f"dn: ou=teams,{base}\nobjectClass: organizationalUnit\nou: teams\n"]
for k in range(n):
    u = "user%05d" % k
    out.append(f"dn: uid={u},ou=people,{base}\nobjectClass: inetOrgPerson\nuid: {u}\n"
               f"cn: User {k}\nsn: {k}\ndisplayName: User {k}\nmail: {u}@example.org\n")
for g in range(200):
    members = "".join(f"member: uid=user{k:05d},ou=people,{base}\n" for k in range(g, n, 200))
    out.append(f"dn: cn=team{g:03d},ou=teams,{base}\nobjectClass: groupOfNames\ncn: team{g:03d}\n"
               + (members or f"member: cn=admin,{base}\n"))
print("\n".join(out))
PY
fi
slaptest -u -f "$LDAP_DIR/slapd.conf" >"$log" 2>&1 || die "slaptest rejected slapd.conf"
slapadd -q -f "$LDAP_DIR/slapd.conf" -l "$LDAP_DIR/seed.ldif" >>"$log" 2>&1 || die "slapadd failed"

# 5. start: -d keeps slapd in the foreground so its log goes to our file
#    (it would otherwise log to syslog, which does not exist here). Runs as root.
t0=$(date +%s.%N)
setsid slapd -d stats -h "$urls" -f "$LDAP_DIR/slapd.conf" >>"$log" 2>&1 </dev/null &
echo $! >"$LDAP_DIR/launcher.pid"

# 6. readiness: root DSE answers over TCP
ok=0
for _ in $(seq $((READY_TIMEOUT * 10))); do
  if ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT" -b "" -s base namingContexts \
       -o nettimeout=1 >/dev/null 2>&1; then ok=1; break; fi
  alive "$(cat "$LDAP_DIR/launcher.pid")" || die "slapd exited during startup"
  sleep 0.1
done
[ $ok = 1 ] || die "slapd not ready after ${READY_TIMEOUT}s"
t1=$(date +%s.%N)

# sanity: admin bind + seeded data
ldapsearch -x -LLL -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_ADMIN_DN" -w "$LDAP_ADMIN_PW" \
  -b "$LDAP_SUFFIX" '(uid=rob*)' dn | grep -q '^dn: uid=robert' || die "seed data check failed"

cat >"$LDAP_DIR/env" <<EOF
LDAP_URL=ldap://127.0.0.1:$LDAP_PORT
LDAPS_URL=$([ "$LDAP_TLS" = 1 ] && echo "ldaps://127.0.0.1:$LDAPS_PORT")
LDAP_CACERT=$([ "$LDAP_TLS" = 1 ] && echo "$LDAP_DIR/ca.pem")
LDAP_BASE_DN=$LDAP_SUFFIX
LDAP_ADMIN_DN=$LDAP_ADMIN_DN
LDAP_ADMIN_PW=$LDAP_ADMIN_PW
EOF
printf 'start-ldap: ready in %.2fs (pid %s, log %s)\n' "$(awk "BEGIN{print $t1-$t0}")" \
  "$(cat "$LDAP_DIR/launcher.pid")" "$log" >&2
echo "ldap://127.0.0.1:$LDAP_PORT"
