#!/usr/bin/env bash
# Runs the correctness sweep and the benchmarks on the GPU machine.
# Expects the build output and runtime libraries in ./devpkg (see
# bench/NOTES.md for how it is assembled) and writes logs to $OUT.
# Usage: bench/device_run.sh [check] [bench SIZES] [regblock SIZES EXTRA] [big] [trans]
#                            [half] [cublas] [clblast-tune] [full SIZES]
#   clblast-tune  CLBlast's own tuner (devpkg/clblast_tuner_xgemm) at n = 1024,
#                 then 2048 while time is left, CLBLAST_TUNE_SECONDS (200) in
#                 all, 1/CLBLAST_TUNE_FRACTION (512) of each of its four
#                 search phases; JSONs in $OUT/clblast-tuned, which `bench` and
#                 `full` then use for the clblast-tuned rows
#   full SIZES    clblast-tune (when the tuner is in devpkg), then one
#                 gemm590-bench run with every provider: the families,
#                 CLBlast default and tuned, NVBLAS, cuBLAS (PyTorch), OpenBLAS;
#                 $OUT/bench_full.{txt,csv} and bench_full.png where this
#                 python3 has matplotlib (else draw it on the build machine:
#                 python3 bench/plot.py bench_full.csv bench_full.png)
set -uo pipefail
mkdir -p /tmp/icd
echo /usr/lib/libnvidia-opencl.so.1 >/tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd
export LD_LIBRARY_PATH=$PWD/devpkg
export GEMM590_CACHE_DIR=/tmp/gemm590-cache
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,temperature.gpu --format=csv,noheader

# Every family; regblock in the tiles the selector uses on NVIDIA, the
# 128x128 one also in 2 and 4 slices of K (split K stops where its
# workspace would pass 256 MiB: those rows are then the plain tile).
FAST="-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8 -DNO_REQD_WG=1 -cl-nv-maxrregcount=128"
BENCH_VARIANTS="tile20_v3;tile24;fp16_mixed;regblock:$FAST;regblock:$FAST -DSPLITK=2;\
regblock:$FAST -DSPLITK=4;regblock:-DTM=64 -DTN=128 -DKS=16 -DWM=4 -DWN=8;\
regblock:-DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4"
TUNED_DIR=$OUT/clblast-tuned

# Runs CLBlast's Xgemm tuner per size in a folder of its own (it writes
# clblast_xgemm_<phase>_32.json into the current directory, the same names
# for every size), then gathers the JSONs, suffixed with the size.  In
# CLBlast 1.5.3 -fraction F explores 1/F of each phase; a phase's JSON is
# written when the phase ends, so a timeout keeps the phases done by then.
clblast_tune() {
  local tuner=$PWD/devpkg/clblast_tuner_xgemm n left
  local deadline=$((SECONDS + ${CLBLAST_TUNE_SECONDS:-200}))
  if [ ! -x "$tuner" ]; then
    echo "== no devpkg/clblast_tuner_xgemm (bench/NOTES.md): CLBlast's default parameters only"
    return
  fi
  mkdir -p "$TUNED_DIR"
  for n in 1024 2048; do
    left=$((deadline - SECONDS))
    [ "$left" -ge 30 ] || break
    mkdir -p "$TUNED_DIR/n$n"
    echo "== clblast tuner n=$n (${left}s left)"
    (cd "$TUNED_DIR/n$n" && timeout "$left" "$tuner" -m $n -n $n -k $n -runs 2 \
      -fraction "${CLBLAST_TUNE_FRACTION:-512}" >tuner.log 2>&1)
    echo "rc=$?"
    grep -a -E "^\* \((.)/4\)|^\* Found best|^\* Writing" "$TUNED_DIR/n$n/tuner.log"
    for f in "$TUNED_DIR/n$n"/clblast_xgemm_*.json; do
      [ -f "$f" ] && mv "$f" "$TUNED_DIR/$(basename "${f%.json}")_n$n.json"
    done
  done
}

# --clblast-tuned DIR when the tuner left results there.
tuned_args() {
  if compgen -G "$TUNED_DIR/clblast_xgemm_*.json" >/dev/null; then
    echo "--clblast-tuned"
    echo "$TUNED_DIR"
  fi
}

# The first libnvblas of a CUDA install or of PyTorch's nvidia wheels (cublas for
# CUDA 12, cu13 on the H200 machine).
find_nvblas() {
  local f
  for f in /usr/local/cuda*/lib64/libnvblas.so* $(python3 -c 'import glob, site
dirs = site.getsitepackages() + [site.getusersitepackages()]
print(" ".join(p for d in dirs for w in ("cublas", "cu13") for p in
               sorted(glob.glob(d + "/nvidia/" + w + "/lib/libnvblas.so*"))))' \
    2>/dev/null); do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

while [ $# -gt 0 ]; do
  case "$1" in
  check)
    # fp16_mixed has its own, wider bound: test/device and test/half check it.
    for fam in tile20_v3 tile24 regblock; do
      echo "== sweep $fam"
      GEMM590_MIN_DEVICE_FLOPS=0 GEMM590_KERNEL=$fam timeout 300 devpkg/test_sweep --expect-device --random 30 \
        >"$OUT/sweep_$fam.log" 2>&1
      echo "rc=$? $(tail -3 "$OUT/sweep_$fam.log" | tr '\n' ' ')"
    done
    echo "== sweep selector (no forcing)"
    timeout 300 devpkg/test_sweep --random 30 >"$OUT/sweep_selector.log" 2>&1
    echo "rc=$? $(tail -3 "$OUT/sweep_selector.log" | tr '\n' ' ')"
    for fam in tile20_v3 tile24 regblock "fp16_mixed --binary16"; do
      echo "== test_families $fam (float64 reference; fp16 with its own bound)"
      args=""
      [ "$fam" != "${fam#* }" ] && args=${fam#* }
      GEMM590_KERNEL=${fam%% *} GEMM590_LINK_CHUNK=65536 timeout 300 devpkg/test_families \
        $args >"$OUT/families_${fam%% *}.log" 2>&1
      echo "rc=$? $(tail -2 "$OUT/families_${fam%% *}.log" | tr '\n' ' ')"
    done
    echo "== program cache: a second process loads the binary"
    rm -rf /tmp/g590-cache-check
    for i in 1 2; do
      GEMM590_CACHE_DIR=/tmp/g590-cache-check GEMM590_VERBOSE=1 GEMM590_MIN_DEVICE_FLOPS=0 \
        devpkg/test_bigindex 2>&1 | grep -o "program=[a-z]*" | head -1
    done
    echo "== bigindex on the device"
    GEMM590_MIN_DEVICE_FLOPS=0 GEMM590_VERBOSE=1 devpkg/test_bigindex >"$OUT/bigindex.log" 2>&1
    echo "rc=$? $(grep -c path=device "$OUT/bigindex.log") device calls; $(tail -1 "$OUT/bigindex.log")"
    ;;
  bench)
    mapfile -t tuned < <(tuned_args)
    devpkg/gemm590-bench --sizes "$2" --csv "$OUT/bench_nn.csv" --variants "$BENCH_VARIANTS" \
      "${tuned[@]}" 2>&1 | tee "$OUT/bench_nn.txt"
    shift
    ;;
  clblast-tune)
    clblast_tune
    ;;
  full)
    clblast_tune
    mapfile -t tuned < <(tuned_args)
    extra=()
    if nvblas=$(find_nvblas); then
      # Its folder first: libnvblas wants the libcublas(Lt) it came with.
      extra+=(--nvblas "$nvblas")
      nvlib=$(dirname "$nvblas")
    else
      echo "== no libnvblas found: no nvblas rows"
      nvlib=
    fi
    if python3 -c 'import matplotlib' 2>/dev/null; then
      extra+=(--plot "$OUT/bench_full.png" --python python3)
    else
      echo "== no matplotlib here: draw later with python3 bench/plot.py bench_full.csv bench_full.png"
    fi
    LD_LIBRARY_PATH=${nvlib:+$nvlib:}$LD_LIBRARY_PATH devpkg/gemm590-bench --sizes "$2" \
      --variants "$BENCH_VARIANTS" "${tuned[@]}" "${extra[@]}" \
      --cublas "python3 bench/cublas_ref.py" --csv "$OUT/bench_full.csv" 2>&1 |
      tee "$OUT/bench_full.txt"
    shift
    ;;
  regblock)
    # The regblock tiles with NVIDIA's register report, then their speed.
    devpkg/gemm590-bench --sizes "$2" --no-host --build-log -cl-nv-verbose \
      --variants "regblock:-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8;regblock:-DTM=128 -DTN=64 -DKS=8 -DWM=8 -DWN=4;regblock:-DTM=64 -DTN=64 -DKS=8 -DWM=4 -DWN=4${3:+;$3}" \
      --csv "$OUT/bench_regblock.csv" 2>&1 | tee "$OUT/bench_regblock.txt" | grep -v -E "^ptxas info *: (Compiling|Function properties)"
    shift 2
    ;;
  big)
    devpkg/gemm590-bench --sizes 8192 --no-host \
      --variants "regblock:-DTM=128 -DTN=128 -DKS=8 -DWM=8 -DWN=8" \
      --csv "$OUT/bench_big.csv" 2>&1 | tee "$OUT/bench_big.txt"
    ;;
  trans)
    for t in NN NT TN TT; do
      devpkg/gemm590-bench --trans $t --no-host --shape 4096x4096x4096 --shape 1000x3000x2000 \
        --shape 3000x1000x2000 --shape 8192x256x8192 --variants "regblock:-DTM=128 -DTN=128 \
-DKS=8 -DWM=8 -DWN=8 -DNO_REQD_WG=1 -cl-nv-maxrregcount=128;regblock:-DTM=64 -DTN=128 -DKS=16 \
-DWM=4 -DWN=8" --csv "$OUT/bench_$t.csv" 2>&1 | tee "$OUT/bench_$t.txt"
    done
    python3 bench/cublas_ref.py 4096x4096x4096:NN 4096x4096x4096:NT 4096x4096x4096:TN \
      4096x4096x4096:TT 1000x3000x2000:NN 1000x3000x2000:NT 1000x3000x2000:TN \
      1000x3000x2000:TT 3000x1000x2000:NN 3000x1000x2000:TT 8192x256x8192:NN \
      8192x256x8192:TT | tee "$OUT/cublas_trans.csv"
    ;;
  half)
    devpkg/half-bench --sizes 1024,2048,4096,8192 --no-host 2>&1 | tee "$OUT/half.txt"
    ;;
  cublas)
    python3 bench/cublas_ref.py 256 512 1024 1280 2048 4096 8192 | tee "$OUT/cublas.csv"
    ;;
  esac
  shift
done
