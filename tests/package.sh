#!/usr/bin/env bash
# The Debian packages, built and installed on this machine (root only: dpkg -i into /usr):
# occ and the extra plugin set occ-plugin-hello. Checks the installed console (-V, list,
# man pages, completion files), an install by an unprivileged user in a temporary
# directory, and that removing the extra set removes its commands; removes everything after.
#
# Usage: tests/package.sh     (run by tests/run.sh; prints "package: N passed, M failed")
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "package: skipped (needs root to install packages)"
  exit 0
fi
for p in occ occ-plugin-hello; do
  if dpkg -s "$p" >/dev/null 2>&1; then
    echo "package: $p is already installed on this machine; not touching it" >&2
    exit 1
  fi
done
for f in /usr/bin/occ /usr/lib/occ; do
  if [ -e "$f" ]; then
    echo "package: $f exists (installed by hand?); not touching it" >&2
    exit 1
  fi
done
user=occ-pkg-test
if id "$user" >/dev/null 2>&1; then
  echo "package: the user $user exists already; not touching it" >&2
  exit 1
fi
work=$(mktemp -d)
cleanup() {
  dpkg -r occ-plugin-hello occ >/dev/null 2>&1
  userdel "$user" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check NAME COMMAND...: passes when COMMAND succeeds
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAILED: $name"; sed 's/^/    /' "$work/out"
  fi
}
contains() { grep -qF -- "$2" <<<"$1"; }

debs=$(bash packaging/deb/build.sh "$work/debs") || { echo "package: the build failed"; exit 1; }
occ_deb=$(sed -n 1p <<<"$debs") hello_deb=$(sed -n 2p <<<"$debs")
check "dpkg -i both packages" dpkg -i "$occ_deb" "$hello_deb"
check "man -w occ-files-scan" test "$(man -w occ-files-scan)" = /usr/share/man/man1/occ-files-scan.1.gz
check "man -w occ-hello-greet (extra set's page)" test "$(man -w occ-hello-greet)" = /usr/share/man/man1/occ-hello-greet.1.gz
check "man occ-user-add renders" contains "$(MANWIDTH=80 man occ-user-add 2>/dev/null)" "occ user:add"
check "plugins in the distribution directory" test -f /usr/lib/occ/plugins/libocc_plugin_core.so
for f in /usr/share/bash-completion/completions/occ /usr/share/zsh/vendor-completions/_occ \
  /usr/share/fish/vendor_completions.d/occ.fish; do
  check "completion file $f" test -s "$f"
done
# The installed bash completion, as bash-completion loads it: it asks the installed occ.
completed=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/completions/occ
COMP_WORDS=(occ hello : g); COMP_CWORD=3; _occ_colons; echo "${COMPREPLY[*]}"')
check "bash completes occ hello:g to hello:greet" test "$completed" = greet

# An instance installed by an unprivileged user, in a directory of theirs.
useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
inst=$work/instance && mkdir -p "$inst" && chown "$user" "$inst"
chmod 755 "$work"
check "maintenance:install as $user" runuser -u "$user" -- env HOME="$inst" \
  occ --root="$inst" maintenance:install --admin-pass=pkg-test-pass -n
check "status as $user" contains "$(runuser -u "$user" -- env HOME="$inst" occ --root="$inst" status)" "installed: true"
check "the config belongs to $user" test "$(stat -c %U "$inst/config/config.json")" = "$user"
check "root is refused on $user's instance" contains "$(cd "$inst" && occ status 2>&1)" "sudo -u $user"
as_user() { runuser -u "$user" -- env HOME="$inst" occ --root="$inst" "$@"; }
check "occ -V" test "$(as_user -V)" = "occ $(dpkg-query -W -f='${Version}' occ)"
list=$(as_user list 2>&1)
check "occ list shows the first-party commands" contains "$list" "files:scan"
check "occ list shows the extra plugin set" contains "$list" "hello:greet"
check "the extra set's command runs" test "$(as_user hello:greet Ada)" = "Hello, Ada!"

check "dpkg -r occ-plugin-hello" dpkg -r occ-plugin-hello
check "its commands are gone" test -z "$(as_user list | grep hello:)"
check "the instance still works" contains "$(as_user status)" "installed: true"
check "its man pages are gone" test ! -e /usr/share/man/man1/occ-hello-greet.1.gz
check "dpkg -r occ" dpkg -r occ
check "nothing of occ is left in /usr" test ! -e /usr/bin/occ -a ! -e /usr/lib/occ/plugins/libocc_plugin_core.so

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
