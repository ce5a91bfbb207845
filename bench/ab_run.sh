#!/usr/bin/env bash
# Two builds side by side on the GPU machine, interleaved: for each round,
# gemm590-bench (cblas_sgemm e2e as the selector decides, and the 128x128
# regblock resident and e2e) and half-bench (gemm590_hgemm, the fp16
# opt-in and plain cblas_sgemm, e2e) of build A, then of build B.  Each
# folder holds that build's gemm590-bench and half-bench (both link the
# library statically); the runtime libraries come from ./devpkg.  Logs in
# $OUT/ab_<name>_<round>.txt.
# Usage: bench/ab_run.sh ROUNDS SIZES DIR_A DIR_B
set -uo pipefail
rounds=$1 sizes=$2
shift 2
mkdir -p /tmp/icd
echo /usr/lib/libnvidia-opencl.so.1 >/tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd
export LD_LIBRARY_PATH=$PWD/devpkg
export GEMM590_CACHE_DIR=/tmp/gemm590-cache
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
FAST="-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8 -DNO_REQD_WG=1 -cl-nv-maxrregcount=128"
for r in $(seq 1 "$rounds"); do
  for dir in "$@"; do
    name=$(basename "$dir")
    log=$OUT/ab_${name}_$r.txt
    echo "== round $r: $name"
    "$dir/gemm590-bench" --sizes "$sizes" --variants "regblock:$FAST" --no-host >"$log" 2>&1
    "$dir/half-bench" --sizes "$sizes" --no-host >>"$log" 2>&1
    tail -n 30 "$log"
  done
done
