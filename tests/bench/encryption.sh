#!/usr/bin/env bash
# Benchmark of `encryption:encrypt-all` and `encryption:decrypt-all` (release build, SQLite),
# the issue's figures side by side with their floors measured in the same run:
#   small: 1,000 files of 10 B (budget: <= 0.3 s each way; ownCloud 10: 12.5 s and 19 s);
#   large: one 1 GiB file (budget: >= 500 MB/s each way on one core);
#   peak RSS of every run (budget: <= 64 MiB whatever the sizes; ownCloud 10: 66-69 MiB);
#   floors: `cat` of the same files; one AES-256-CTR + HMAC-SHA256 pass over the same bytes
#           (plugins/encryption/examples/crypt_floor.rs), nothing written; for the large file,
#           writing its size durably (dd conv=fsync); for the small files, the file system work
#           ownCloud's key layout asks for, without any cryptography (python3: per file two key
#           folders, two key files, a temporary file renamed over the file, then one sync; and
#           the way back: the file replaced again, its key files and folders removed).
# Each run is the median of 3 (wall) and the largest peak RSS. Every run makes its files durable
# (syncfs) before it reports: the large file's figures include writing 1 GiB to disk.
#
# Usage: tests/bench/encryption.sh [SMALL_FILES] [LARGE_MIB]     (default 1000 1024)
set -euo pipefail
cd "$(dirname "$0")/../.."
small=${1:-1000}
mib=${2:-1024}
cargo build --release --workspace --quiet
cargo build --release -p occ-plugin-encryption --example crypt_floor --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. tests/bench/lib.sh
OCC=$(install_occ "$work/prefix")
FLOOR=target/release/examples/crypt_floor
export OCC_CACHE_DIR="$work/cache"

# run_rss COMMAND...: "seconds KiB" of one run (ms resolution), failing when the command fails.
run_rss() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.monotonic() - t
if r.returncode != 0:
    sys.exit("failed: %s (exit %d)" % (" ".join(sys.argv[1:]), r.returncode))
print("%.3f %d" % (wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

# rate SECONDS BYTES FILES: MB/s for one file, files/s for many.
rate() {
  if [ "$3" -gt 1 ]; then printf '%.0f files/s' "$(echo "$3 / $1" | bc -l)"; else printf '%.0f MB/s' "$(echo "$2 / $1 / 1000000" | bc -l)"; fi
}

# bench NAME BYTES FILES: encrypt-all and decrypt-all of instance NAME, 3 times each; prints
# rows.
bench() {
  local inst=$work/$1 bytes=$2 files=$3 enc=() dec=() enc_k=0 dec_k=0 s k
  for _ in 1 2 3; do
    (cd "$inst" && "$OCC" encryption:enable >/dev/null)
    read -r s k <<<"$(cd "$inst" && run_rss "$OCC" encryption:encrypt-all -y)"
    enc+=("$s"); [ "$k" -gt "$enc_k" ] && enc_k=$k
    read -r s k <<<"$(cd "$inst" && run_rss "$OCC" encryption:decrypt-all -c yes)"
    dec+=("$s"); [ "$k" -gt "$dec_k" ] && dec_k=$k
  done
  local e d
  e=$(median "${enc[@]}") d=$(median "${dec[@]}")
  printf '| %s | encrypt-all | %.3f s | %s | %.1f MiB |\n' "$1" "$e" "$(rate "$e" "$bytes" "$files")" "$(echo "$enc_k / 1024" | bc -l)"
  printf '| %s | decrypt-all | %.3f s | %s | %.1f MiB |\n' "$1" "$d" "$(rate "$d" "$bytes" "$files")" "$(echo "$dec_k / 1024" | bc -l)"
}

# floors NAME BYTES COUNT FILES...: cat and the crypto pass over the files, median of 3.
floors() {
  local name=$1 bytes=$2 count=$3 c=() f=()
  shift 3
  for _ in 1 2 3; do
    c+=("$(python3 -c "import subprocess,sys,time; t=time.monotonic(); subprocess.run(['cat']+sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print('%.3f' % (time.monotonic()-t))" "$@")")
    f+=("$("$FLOOR" "$@" | cut -d' ' -f1)")
  done
  local cm fm
  cm=$(median "${c[@]}") fm=$(median "${f[@]}")
  printf '| %s | floor: cat | %.3f s | %s | |\n' "$name" "$cm" "$(rate "$cm" "$bytes" "$count")"
  printf '| %s | floor: AES-256-CTR + HMAC-SHA256 | %.3f s | %s | |\n' "$name" "$fm" "$(rate "$fm" "$bytes" "$count")"
}

# layout_floor DIR N: the key layout's file system work for N files under DIR, both ways.
layout_floor() {
  python3 - "$1" "$2" <<'PY'
import os, shutil, sys, time
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root + "/files", exist_ok=True)
os.makedirs(root + "/tmp", exist_ok=True)
for i in range(n):
    with open("%s/files/f%04d.txt" % (root, i), "wb") as f:
        f.write(b"0123456789")
os.sync()
def replace(i, size):
    with open("%s/tmp/%d.part" % (root, i), "wb") as f:
        f.write(b"x" * size)
    os.rename("%s/tmp/%d.part" % (root, i), "%s/files/f%04d.txt" % (root, i))
t = time.monotonic()
for i in range(n):
    d = "%s/keys/files/f%04d.txt/OC_DEFAULT_MODULE" % (root, i)
    os.makedirs(d, mode=0o700)
    for k, size in (("fileKey", 32), ("master_x.shareKey", 512)):
        with open(d + "/" + k, "wb") as f:
            f.write(b"k" * size)
    replace(i, 8298)
os.sync()
forth = time.monotonic() - t
t = time.monotonic()
for i in range(n):
    replace(i, 10)
    shutil.rmtree("%s/keys/files/f%04d.txt" % (root, i))
os.sync()
print("%.3f %.3f" % (forth, time.monotonic() - t))
PY
}

# The small tree.
fresh_instance "$work/small"
mkdir -p "$work/small/data/admin/files/smallfiles"
python3 - "$work/small/data/admin/files/smallfiles" "$small" <<'PY'
import os, sys
for n in range(1, int(sys.argv[2]) + 1):
    with open(os.path.join(sys.argv[1], "f%04d.txt" % n), "w") as f:
        f.write("file %04d\n" % n)
PY
(cd "$work/small" && "$OCC" files:scan --all >/dev/null)

# The large file.
fresh_instance "$work/large"
mkdir -p "$work/large/data/admin/files"
head -c "$((mib * 1048576))" /dev/urandom >"$work/large/data/admin/files/large.bin"
(cd "$work/large" && "$OCC" files:scan --all >/dev/null)

echo "| tree | run | wall | throughput | peak RSS |"
echo "|---|---|---|---|---|"
bench small "$((small * 10))" "$small"
floors small "$((small * 10))" "$small" "$work"/small/data/admin/files/smallfiles/*
l1=() l2=()
for r in 1 2 3; do
  read -r a b <<<"$(layout_floor "$work/layout$r" "$small")"
  l1+=("$a") l2+=("$b")
done
m1=$(median "${l1[@]}") m2=$(median "${l2[@]}")
printf '| small | floor: key layout, file system only (encrypt) | %.3f s | %s | |\n' "$m1" "$(rate "$m1" 0 "$small")"
printf '| small | floor: key layout, file system only (decrypt) | %.3f s | %s | |\n' "$m2" "$(rate "$m2" 0 "$small")"
bench large "$((mib * 1048576))" 1
floors large "$((mib * 1048576))" 1 "$work/large/data/admin/files/large.bin"
d=()
for _ in 1 2 3; do
  d+=("$(python3 -c "import subprocess,sys,time; t=time.monotonic(); subprocess.run(['dd', 'if=/dev/zero', 'of=' + sys.argv[1], 'bs=1M', 'count=' + sys.argv[2], 'conv=fsync'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); print('%.3f' % (time.monotonic()-t))" "$work/dd.bin" "$mib")")
  rm -f "$work/dd.bin"
done
dm=$(median "${d[@]}")
printf '| large | floor: durable write (dd conv=fsync) | %.3f s | %.0f MB/s | |\n' "$dm" "$(echo "$mib * 1048576 / $dm / 1000000" | bc -l)"
