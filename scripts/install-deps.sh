#!/usr/bin/env bash
# Installs everything libgemm590's build, tests, benchmarks and demo need on
# Debian 12 (bookworm).  Run as root, or as a user with sudo.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config
  # host BLAS (the fallback, and the baseline of the benchmarks)
  libopenblas-dev
  # device path: OpenCL loader and headers, PoCL as a CPU device where no
  # GPU driver is installed, clinfo to see what OpenCL sees, CLBlast for
  # the benchmarks' comparison
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo libclblast-dev
  # benchmarks: CLBlast's tuner (clblast_tuner_xgemm, for gemm590-bench
  # --clblast-tuned) and matplotlib for bench/plot.py (gemm590-bench --plot)
  clblast-utils python3-matplotlib
  # integration tests: reference BLAS testers (xblat3s, xscblat3) and the
  # reference libblas.so.3 they run against, Debian's numpy/scipy, and a
  # venv for PyPI's numpy/scipy wheels (pip needs ca-certificates for https)
  libblas-test gfortran python3-numpy python3-scipy python3-venv python3-pip ca-certificates
  python3-sklearn
  # reliability tests: libFuzzer with ASan/UBSan (clang-14; the fuzzer and
  # sanitizer runtimes are in libclang-rt-14-dev), numpy's own test modules
  # (pytest, and hypothesis, which numpy's conftest imports)
  clang-14 libclang-rt-14-dev python3-pytest python3-hypothesis
)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
