#!/usr/bin/env bash
# Time of a process's first device call, with the kernel cache cold, warm,
# and refused (a world-writable cache directory, which libgemm590 will not
# use: README, "Trust on disk").
#
# usage: bench/first_call.sh SHAPE_TIME [SHAPE] [ROUNDS]
#   SHAPE_TIME  build/bench/shape_time; SHAPE default 2048x2048x2048;
#   ROUNDS      fresh processes per case (default 5)
# Each process makes one warm-up call (the first, timed here from the
# verbose line: its total ms includes building or loading the kernel) and
# one timed call; the wall time of the whole process is printed too.
set -euo pipefail
shape_time=$1
shape=${2:-2048x2048x2048}
rounds=${3:-5}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
private=$scratch/private-cache
shared=$scratch/shared-cache
mkdir -p "$shared" && chmod 777 "$shared"

# One process: "<program=...> <first call total ms> <process wall ms>".
one() {
  local start end line
  start=$(date +%s%N)
  line=$(GEMM590_VERBOSE=1 "$@" "$shape_time" -r 1 "$shape" 2>&1 >/dev/null |
         grep -m1 'path=device' || true)
  end=$(date +%s%N)
  local program ms
  program=$(grep -o 'program=[a-z]*' <<<"$line" || echo "program=none")
  ms=$(grep -o 'ms=[0-9.+]*/[0-9.]*' <<<"$line" | sed 's|.*/||' || echo "-")
  echo "$program first_call_ms=${ms:--} process_ms=$(((end - start) / 1000000))"
}

echo "== $shape, $rounds rounds each"
for r in $(seq "$rounds"); do
  rm -rf "$private"
  echo "cold    $(one env GEMM590_CACHE_DIR="$private")"
  echo "warm    $(one env GEMM590_CACHE_DIR="$private")"
  echo "refused $(one env GEMM590_CACHE_DIR="$shared")"
done
echo "private cache: $(stat -c '%a %U' "$private"), files: $(find "$private" -type f | wc -l)" \
     "(modes: $(find "$private" -type f -printf '%m\n' | sort -u | tr '\n' ' '))"
echo "shared cache files written: $(find "$shared" -type f | wc -l)"
