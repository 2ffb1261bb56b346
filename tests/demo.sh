#!/usr/bin/env bash
# Builds occ with its first-party plugins (release), installs a fresh instance on the embedded
# SQLite database in ./demo-instance (or $1), and shows its status. Safe to run again: an
# existing demo instance is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p occ -p occ-plugin-core -p occ-plugin-files -p occ-plugin-ldap \
  -p occ-plugin-encryption -p occ-plugin-l10n
root=$(realpath -m "${1:-demo-instance}")
mkdir -p "$root"
occ=./target/release/occ
if [ "$("$occ" --root "$root" status --output=json | python3 -c 'import json,sys;print(json.load(sys.stdin)["installed"])')" != True ]; then
  # The admin password comes from a prompt or --admin-pass; this demo uses a throwaway one.
  "$occ" --root "$root" maintenance:install --admin-user=admin --admin-pass=demo-password -n
fi
"$occ" --root "$root" status
echo
echo "Try: $occ --root $root list"
