#!/bin/sh
# AddressSanitizer and LeakSanitizer over the device path.
#
# usage: test/device/sanitize.sh [BUILD_DIR]
#
# Configures BUILD_DIR (default: build-asan in the source root) with
# -Db_sanitize=address, builds the device tests there and runs, with leak
# detection on: the fault test (every OpenCL call site failing, every
# use of each in turn, for a float, a padded and a binary16 family), the
# probe's four calls, the threads test and the fork test.  Leaks inside
# PoCL, LLVM, clang and the ICD loader are suppressed (lsan.supp); any
# other leak, and any memory error, fails.  Exits 77 (skip) without an
# OpenCL CPU device.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build-asan}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" -Db_sanitize=address -Db_lundef=false
fi
ninja -C "$build" test/device/probe test/device/test_threads test/device/test_fork

# meson test points LD_LIBRARY_PATH at the main build's library, which
# would win over these programs' RUNPATH: the instrumented one must load.
unset LD_LIBRARY_PATH
# exitcode 23: a sanitizer report, told apart from a wrong result (1).
export ASAN_OPTIONS=detect_leaks=1:exitcode=23:abort_on_error=0
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export PYTHONDONTWRITEBYTECODE=1
export GEMM590_DEVICE=cpu GEMM590_CACHE_DIR=off

status=0
run() {
  echo "\$ $*"
  "$@" || { rc=$?; [ $rc -eq 77 ] && exit 77; echo "FAILED (exit $rc): $*"; status=1; }
}
run python3 "$here/faults.py" "$build/test/device/probe" "$src/lib" tile24 regblock fp16_mixed
for family in tile20_v3 tile24 fp16_mixed regblock; do
  GEMM590_KERNEL=$family run "$build/test/device/probe" mix
done
GEMM590_KERNEL=regblock GEMM590_LINK_CHUNK=16384 run "$build/test/device/test_threads"
GEMM590_KERNEL=tile24 GEMM590_VERBOSE=1 run "$build/test/device/test_fork"
[ $status -eq 0 ] && echo "sanitize: PASS" || echo "sanitize: FAIL"
exit $status
