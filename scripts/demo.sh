#!/usr/bin/env bash
# Installs the dependencies, builds libgemm590 and shows it at work: from a
# C program linked against it, and from numpy without changing numpy
# (LD_PRELOAD).  GEMM590_VERBOSE=1 prints the path chosen for every call.
# BUILD_DIR chooses the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --demo

build_dir=${BUILD_DIR:-build}
scripts/configure.sh "$build_dir"
ninja -C "$build_dir"

export GEMM590_VERBOSE=1

echo
echo "== From C: $build_dir/bench/demo (linked with -lgemm590) =="
"$build_dir/bench/demo"

echo
echo "== From numpy: LD_PRELOAD=.../libgemm590.so /usr/bin/python3 bench/demo_numpy.py =="
LD_PRELOAD="$(realpath "$build_dir")/lib/libgemm590.so" /usr/bin/python3 bench/demo_numpy.py

echo
echo "== The device path: the same C demo on PoCL (OpenCL on this CPU), with the =="
echo "== regblock kernel forced (a CPU device is otherwise left to the host BLAS) =="
GEMM590_DEVICE=cpu GEMM590_KERNEL=regblock "$build_dir/bench/demo" 2>&1 | grep -E "^gemm590|counters"
