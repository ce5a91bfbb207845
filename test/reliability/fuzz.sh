#!/bin/sh
# libFuzzer over libgemm590's argument checks and dispatch (fuzz_args.c),
# or over its decision-table file parser (fuzz_table.c).
#
# usage: test/reliability/fuzz.sh [BUILD_DIR [args|table]]
#
# Configures BUILD_DIR (default: build-fuzz in the source root) with
# clang-14, AddressSanitizer and UndefinedBehaviorSanitizer, the library
# instrumented for libFuzzer's coverage (-fsanitize=fuzzer-no-link), and
# builds the target there (default args).
#
# args: three runs of a fixed number of inputs
# (-seed=1; what they explore still varies a little from run to run, since
# some comparison operands libFuzzer learns from are addresses and thread
# timings), each starting from the committed seeds in fuzz_seeds/ (32-bit
# overflows, huge and negative sizes, every error number; written by
# make_fuzz_seeds.py) and adding what it finds to a scratch corpus in
# BUILD_DIR:
#   host:    GEMM590_DISABLE_DEVICE=1, OpenBLAS computes (FUZZ_RUNS inputs,
#            default 100000), leaks checked after every input;
#   builtin: the same with no host BLAS loadable, so the library's own loop
#            computes, compiled with ASan: every element it reads or
#            writes is checked (FUZZ_RUNS inputs), leaks checked;
#   device:  the regblock kernels on the OpenCL CPU device (PoCL); ASan
#            checks PoCL's copies from and to the caller's memory through
#            its memcpy interceptor (FUZZ_DEVICE_RUNS inputs, default
#            50000; skipped without an OpenCL CPU device).  Leak checks are
#            off here: PoCL's compiler keeps C++ allocations whose stacks
#            cannot be attributed; test/device/sanitize.sh and
#            test_memory cover the device path's leaks.
# table: one run of FUZZ_TABLE_RUNS inputs (default 1000000, -seed=1), leaks
# checked after every input, from the committed tables in
# fuzz_table_seeds/ (the embedded H100 entry as train.py --emit-text
# writes it, and smaller ones: vendor and type matches, CRLF, comments),
# with the format's keywords as a dictionary (fuzz_table.dict).  Both
# accepted and rejected inputs must have occurred.
# A crash, sanitizer report or broken expectation fails; libFuzzer saves
# the input as crash-* in BUILD_DIR.  Exits 77 (skip) without clang-14.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build-fuzz}
target=${2:-args}
runs=${FUZZ_RUNS:-100000}
device_runs=${FUZZ_DEVICE_RUNS:-50000}
table_runs=${FUZZ_TABLE_RUNS:-1000000}
case $target in
  args | table) ;;
  *) echo "usage: $0 [BUILD_DIR [args|table]]" >&2; exit 2 ;;
esac

if ! command -v clang-14 >/dev/null; then
  echo "SKIP: clang-14 not found (apt-get install clang-14 libclang-rt-14-dev)"
  exit 77
fi
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 meson setup "$build" "$src" -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dc_args=['-fsanitize=fuzzer-no-link']"
fi
ninja -C "$build" "test/reliability/fuzz_$target"

# meson test points LD_LIBRARY_PATH at the main build's library, which
# would win over the fuzzer's RUNPATH: the instrumented one must load.
unset LD_LIBRARY_PATH
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Only the settings given below: a GEMM590_* variable of whoever runs
# this must not change what is tested.
for v in $(env | sed -n 's/^\(GEMM590_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export GEMM590_CACHE_DIR=off

status=0
# fuzz NAME RUNS LEAKS [VAR=VALUE...]: one run of fuzz_$target from its
# seeds, with $flags.  libFuzzer's progress goes to BUILD_DIR/fuzz-NAME.log;
# its summary, or its last lines on failure, here.  False when it failed.
fuzz() {
  name=$1 n=$2 leaks=$3
  shift 3
  corpus="$build/fuzz-corpus-$name" log="$build/fuzz-$name.log"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  echo "\$ $* fuzz_$target -runs=$n ($name)"
  rc=0
  (cd "$build" && env ASAN_OPTIONS="detect_leaks=$leaks" "$@" \
     "$build/test/reliability/fuzz_$target" -seed=1 -runs="$n" $flags -detect_leaks="$leaks" \
     -print_final_stats=1 "$corpus" "$seeds") >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 60 "$log"
    echo "FAILED (exit $rc): $name"
    status=1
    return 1
  fi
  grep -E "^Done|stat::new_units_added|stat::peak_rss_mb|^fuzz_$target:" "$log"
}

# fuzz_args NAME RUNS LEAKS PATH [VAR=VALUE...]: PATH (host or device) is
# where libgemm590 must have counted calls.
fuzz_args() {
  name=$1 n=$2 leaks=$3 path=$4
  shift 4
  fuzz "$name" "$n" "$leaks" "$@" || return 0
  set -- $(sed -n 's/^fuzz_args: libgemm590 counted \([0-9]*\) host and \([0-9]*\) device.*/\1 \2/p' "$build/fuzz-$name.log")
  calls=${1:-0}
  [ "$path" = device ] && calls=${2:-0}
  if [ "$calls" -eq 0 ]; then
    echo "FAILED: $name: no call ran on the $path path"
    status=1
  fi
}

if [ "$target" = table ]; then
  flags="-max_len=8192 -dict=$here/fuzz_table.dict" seeds="$here/fuzz_table_seeds"
  if fuzz table "$table_runs" 1; then
    set -- $(sed -n 's/^fuzz_table: \([0-9]*\) accepted, \([0-9]*\) rejected$/\1 \2/p' "$build/fuzz-table.log")
    if [ "${1:-0}" -eq 0 ] || [ "${2:-0}" -eq 0 ]; then
      echo "FAILED: table: no accepted or no rejected input"
      status=1
    fi
  fi
else
  flags=-max_len=128 seeds="$here/fuzz_seeds"
  fuzz_args host "$runs" 1 host GEMM590_DISABLE_DEVICE=1
  fuzz_args builtin "$runs" 1 host GEMM590_DISABLE_DEVICE=1 \
    GEMM590_FALLBACK_LIB=/nonexistent/libblas.so
  if command -v clinfo >/dev/null && clinfo 2>/dev/null | grep -q "Device Type.*CPU"; then
    fuzz_args device "$device_runs" 0 device GEMM590_DEVICE=cpu GEMM590_KERNEL=regblock
  else
    echo "device run skipped: clinfo shows no OpenCL CPU device"
  fi
fi
[ $status -eq 0 ] && echo "fuzz: PASS" || echo "fuzz: FAIL"
exit $status
