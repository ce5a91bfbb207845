#!/bin/sh
# ThreadSanitizer over the threads test.
#
# usage: test/reliability/tsan.sh [BUILD_DIR]
#
# Configures BUILD_DIR (default: build-tsan in the source root) with
# -Db_sanitize=thread, builds libgemm590 and the threads test there and
# runs, on the OpenCL CPU device (PoCL):
#   1. tsan_control: a race inside libgemm590 (tsan_control.c) must be
#      reported, naming libgemm590 (the build and options can catch one);
#   2. test_threads in both modes with fewer calls than the plain test
#      (ThreadSanitizer slows PoCL's compiler and the float64 reference
#      about 30x): build-fault 8 x TSAN_CALLS (default 300) and fp16
#      8 x TSAN_FP16_CALLS (default 150).
# Any report fails: nothing is suppressed.  OpenBLAS runs single-threaded
# (OPENBLAS_NUM_THREADS=1): its worker threads hand work over through spin
# loops on plain memory, which ThreadSanitizer cannot see in an
# uninstrumented library, so their memsets on C were reported as races
# with the caller's accesses; in the caller's thread its work is ordered
# like any other.  PoCL, the ocl-icd loader and LLVM gave no report.
# Exits 77 (skip) without an OpenCL CPU device.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-tsan}
calls=${TSAN_CALLS:-300}
fp16_calls=${TSAN_FP16_CALLS:-150}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" -Db_sanitize=thread -Db_lundef=false
fi
ninja -C "$build" test/reliability/test_threads test/reliability/tsan_control

# meson test points LD_LIBRARY_PATH at the main build's library, which
# would win over these programs' RUNPATH: the instrumented one must load.
unset LD_LIBRARY_PATH
# exitcode 66: a report, told apart from a wrong result (1) and a skip (77).
export TSAN_OPTIONS="exitcode=66:halt_on_error=0:second_deadlock_stack=1"
export OPENBLAS_NUM_THREADS=1
# Only the settings below: a GEMM590_* variable of whoever runs this must
# not change what is tested.
for v in $(env | sed -n 's/^\(GEMM590_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export GEMM590_DEVICE=cpu GEMM590_CACHE_DIR=off

status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "\$ tsan_control"
rc=0
"$build/test/reliability/tsan_control" >"$log" 2>&1 || rc=$?
if [ $rc -eq 66 ] && grep -q "WARNING: ThreadSanitizer: data race" "$log" &&
   grep -q "libgemm590" "$log"; then
  echo "ok: the control's race in libgemm590 is reported"
else
  cat "$log"
  echo "FAILED: the control's race in libgemm590 was not reported (exit $rc)"
  status=1
fi

run() {
  echo "\$ $*"
  rc=0
  "$@" || rc=$?
  [ $rc -eq 77 ] && exit 77
  [ $rc -eq 0 ] || { echo "FAILED (exit $rc; 66 is a ThreadSanitizer report): $*"; status=1; }
}
run env GEMM590_KERNEL=regblock GEMM590_FAULT=clBuildProgram@1 GEMM590_LINK_CHUNK=524288 \
  "$build/test/reliability/test_threads" --mode build-fault --calls "$calls"
run env GEMM590_KERNEL=fp16_mixed GEMM590_LINK_CHUNK=16384 \
  "$build/test/reliability/test_threads" --mode fp16 --calls "$fp16_calls"
[ $status -eq 0 ] && echo "tsan: PASS" || echo "tsan: FAIL"
exit $status
