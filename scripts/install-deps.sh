#!/usr/bin/env bash
# Installs what libgemm590 needs on Debian 12 (bookworm): with --demo only
# what scripts/demo.sh needs, else also the tests' and benchmarks' tools.
# Needs the Debian mirrors (apt); the tests' pip venv later needs PyPI.
# Run as root, or as a user with sudo.
set -euo pipefail

# What the demo needs (scripts/demo.sh): the build, the host BLAS, OpenCL
# with PoCL as a CPU device, and Debian's numpy for the LD_PRELOAD demo.
demo_packages=(
  build-essential meson ninja-build pkg-config
  libopenblas-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
  python3-numpy
)
# What the tests and benchmarks add (.ci/run).
test_packages=(
  # clinfo to see what OpenCL sees, CLBlast for the benchmarks' comparison
  # and its tuner (clblast_tuner_xgemm, for gemm590-bench --clblast-tuned),
  # matplotlib for bench/plot.py (gemm590-bench --plot)
  clinfo libclblast-dev clblast-utils python3-matplotlib
  # integration tests: reference BLAS testers (xblat3s, xscblat3) and the
  # reference libblas.so.3 they run against, Debian's scipy, and a venv for
  # PyPI's numpy/scipy wheels (pip needs ca-certificates for https)
  libblas-test gfortran python3-scipy python3-venv python3-pip ca-certificates
  python3-sklearn
  # reliability tests: libFuzzer with ASan/UBSan (clang-14; the fuzzer and
  # sanitizer runtimes are in libclang-rt-14-dev), numpy's own test modules
  # (pytest, and hypothesis, which numpy's conftest imports)
  clang-14 libclang-rt-14-dev python3-pytest python3-hypothesis
  # the host-BLAS test hides the system OpenBLAS in a mount namespace
  util-linux mount
  # ScaLAPACK over MPI ranks with libgemm590 as the node BLAS
  libscalapack-openmpi-dev libopenmpi-dev openmpi-bin
)

case "${1:-}" in
  --demo) packages=("${demo_packages[@]}") ;;
  "") packages=("${demo_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [--demo]" >&2; exit 2 ;;
esac

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
