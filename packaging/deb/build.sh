#!/usr/bin/env bash
# Builds the Debian packages, over dpkg-deb:
#   occ               /usr/bin/occ, the first-party plugins in /usr/lib/occ/plugins/ (the
#                     distribution plugin directory discovery knows), man pages in
#                     /usr/share/man/man1/, completion for bash, zsh and fish;
#   occ-plugin-hello  a distribution's extra plugin set: the example plugin and its man pages.
#
# Usage: packaging/deb/build.sh [OUT_DIR]      (default: target/debian; prints the .deb paths)
#
# The binaries are a release build in target/package. Where this machine's glibc has packed
# relative relocations (2.36+, DT_RELR) they are linked with them (the loader reads a few KiB of
# relocations instead of ~220 KiB at every start, ~0.3 ms a command); OCC_PACK_RELOCS=0 turns
# that off. The packages' libc6 dependency is read off the binaries, and checked against the
# minimum the README states.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-target/debian}")
readonly MIN_GLIBC=2.34 # the README's minimum for a plain build

version=$(sed -n 's/^version = "\(.*\)"/\1/p' host/Cargo.toml | head -n1)
arch=$(dpkg --print-architecture)
glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
rustflags=${RUSTFLAGS:-}
if [ "${OCC_PACK_RELOCS:-auto}" != 0 ] && dpkg --compare-versions "$glibc" ge 2.36; then
  rustflags="$rustflags -C link-arg=-Wl,-z,pack-relative-relocs"
fi
export CARGO_TARGET_DIR=$PWD/target/package
RUSTFLAGS="$rustflags" cargo build --release --quiet -p occ -p occ-plugin-core -p occ-plugin-files \
  -p occ-plugin-ldap -p occ-plugin-encryption -p occ-plugin-l10n -p occ-example-hello
bin=$CARGO_TARGET_DIR/release

# The newest glibc version any of the files needs (symbol versions and GLIBC_ABI_DT_RELR).
needs_glibc() {
  objdump -p "$@" | sed -n 's/.*\(GLIBC_[0-9][0-9.]*\).*/\1/p; s/.*GLIBC_ABI_DT_RELR.*/GLIBC_2.36/p' \
    | sed 's/GLIBC_//' | sort -uV | tail -n1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
rm -f "$out"/occ_*.deb "$out"/occ-plugin-hello_*.deb

# --- occ --------------------------------------------------------------------------------
root=$work/occ
install -D -m 755 "$bin/occ" "$root/usr/bin/occ"
mkdir -p "$root/usr/lib/occ/plugins"
for p in core files ldap encryption l10n; do
  install -m 644 "$bin/libocc_plugin_$p.so" "$root/usr/lib/occ/plugins/"
done
strip --strip-unneeded "$root/usr/bin/occ" "$root"/usr/lib/occ/plugins/*.so
# Man pages and completions come from the packaged binary with the packaged plugins (it finds
# them at ../lib/occ/plugins), outside any instance.
export OCC_CACHE_DIR=$work/cache
empty=$work/empty && mkdir -p "$empty"
"$root/usr/bin/occ" --root="$empty" --no-warnings man --dir="$root/usr/share/man/man1" >/dev/null
gzip -9n "$root"/usr/share/man/man1/*.1
# Completion asks the installed occ for its commands when first used, so plugin sets installed
# later (the package below, apps) complete too.
install -D -m 644 /dev/stdin "$root/usr/share/bash-completion/completions/occ" <<'SH'
# occ completion: generated from the installed occ and its plugins (`occ completion bash`).
eval "$(cd / && occ --no-warnings completion bash 2>/dev/null)"
SH
install -D -m 644 /dev/stdin "$root/usr/share/zsh/vendor-completions/_occ" <<'SH'
#compdef occ
# occ completion: generated from the installed occ and its plugins (`occ completion zsh`).
eval "$(cd / && occ --no-warnings completion zsh 2>/dev/null)"
SH
install -D -m 644 /dev/stdin "$root/usr/share/fish/vendor_completions.d/occ.fish" <<'SH'
# occ completion: generated from the installed occ and its plugins (`occ completion fish`).
cd / && occ --no-warnings completion fish 2>/dev/null | source; cd - >/dev/null
SH
install -D -m 644 /dev/stdin "$root/usr/share/doc/occ/copyright" <<'TXT'
occ: a fast, native administration console for a self-hosted file-sync server.
License: AGPL-3.0-or-later (/usr/share/common-licenses/AGPL-3 where installed).
TXT

libc=$(needs_glibc "$root/usr/bin/occ" "$root"/usr/lib/occ/plugins/*.so)
if [ -z "${rustflags##*pack-relative-relocs*}" ] && [ -n "$rustflags" ]; then
  : # DT_RELR: 2.36 by construction
elif dpkg --compare-versions "$libc" gt "$MIN_GLIBC"; then
  echo "build.sh: the binaries need glibc $libc, newer than the README's minimum $MIN_GLIBC" >&2
  exit 1
fi
size=$(du -sk "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CTL
Package: occ
Version: $version
Architecture: $arch
Maintainer: occ developers <occ@localhost>
Installed-Size: $size
Depends: libc6 (>= $libc), libgcc-s1
Section: admin
Priority: optional
Description: fast, native administration console for a self-hosted file-sync server
 occ is the command-line administration console of an ownCloud-style server instance,
 as a plugin host: it runs the commands of the first-party plugins (core, files, ldap,
 encryption, l10n), of distribution plugin sets in /usr/lib/occ/plugins and of the
 instance's apps.
CTL
dpkg-deb --root-owner-group --build "$root" "$out/occ_${version}_${arch}.deb" >/dev/null

# --- occ-plugin-hello -------------------------------------------------------------------
hello=$work/hello
install -D -m 644 "$bin/libocc_example_hello.so" "$hello/usr/lib/occ/plugins/libocc_example_hello.so"
strip --strip-unneeded "$hello/usr/lib/occ/plugins/libocc_example_hello.so"
# Its man pages: the packaged occ with this plugin set beside its own, keeping only its pages.
OCC_PLUGIN_PATH=$hello/usr/lib/occ/plugins "$root/usr/bin/occ" --root="$empty" --no-warnings \
  man --dir="$work/pages" >/dev/null
mkdir -p "$hello/usr/share/man/man1"
cp "$work"/pages/occ-hello-*.1 "$hello/usr/share/man/man1/"
gzip -9n "$hello"/usr/share/man/man1/*.1
install -D -m 644 "$root/usr/share/doc/occ/copyright" "$hello/usr/share/doc/occ-plugin-hello/copyright"
mkdir -p "$hello/DEBIAN"
cat >"$hello/DEBIAN/control" <<CTL
Package: occ-plugin-hello
Version: $version
Architecture: $arch
Maintainer: occ developers <occ@localhost>
Installed-Size: $(du -sk "$hello" | cut -f1)
Depends: occ (>= $version), libc6 (>= $(needs_glibc "$hello"/usr/lib/occ/plugins/*.so))
Section: admin
Priority: optional
Description: example plugin set for occ
 The hello:greet and hello:list commands, installed into occ's distribution plugin
 directory: how a distribution ships an extra plugin set.
CTL
dpkg-deb --root-owner-group --build "$hello" "$out/occ-plugin-hello_${version}_${arch}.deb" >/dev/null

echo "$out/occ_${version}_${arch}.deb"
echo "$out/occ-plugin-hello_${version}_${arch}.deb"
