#!/bin/sh
# A short gemm590-bench run (one family, n = 64) written to a CSV and drawn
# by plot.py through --plot: the PNG must exist and carry PNG's signature.
# Skips (77) without matplotlib or without an OpenCL device (gemm590-bench
# then measures the host rows only).
# Usage: test_plot.sh GEMM590_BENCH PLOT_SCRIPT
bench=$1
plot=$2
# The first python3 with matplotlib (PATH's may be a pyenv shim without it).
for PYTHON in python3 /usr/bin/python3 none; do
  "$PYTHON" -c 'import matplotlib' 2>/dev/null && break
done
[ "$PYTHON" != none ] || { echo "skip: no python3 with matplotlib"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
export GEMM590_CACHE_DIR="$dir/cache"
# Any device draws a plot; PoCL (the CPU) unless the caller names one.
export GEMM590_DEVICE="${GEMM590_DEVICE:-cpu}"
"$bench" --sizes 64 --no-host --variants tile24 --csv "$dir/b.csv" --plot "$dir/b.png" \
  --python "$PYTHON" >"$dir/out.txt" 2>&1
rc=$?
cat "$dir/out.txt"
if grep -q '^note: host rows only' "$dir/out.txt"; then
  echo "skip: gemm590-bench found no device"
  exit 77
fi
[ $rc -eq 0 ] || { echo "FAIL: gemm590-bench rc=$rc"; exit 1; }
grep -Eq ',"?tile24"?,resident,' "$dir/b.csv" || { echo "FAIL: no tile24 row in the CSV"; exit 1; }
[ -s "$dir/b.png" ] || { echo "FAIL: no PNG"; exit 1; }
sig=$(head -c 8 "$dir/b.png" | od -An -tx1 | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] || { echo "FAIL: not a PNG ($sig)"; exit 1; }
# The script alone, on the same CSV (the path the device run's CSV takes
# when the GPU machine has no matplotlib).
"$PYTHON" "$plot" "$dir/b.csv" "$dir/c.png" || { echo "FAIL: plot.py"; exit 1; }
echo "ok: $(wc -l <"$dir/b.csv") CSV lines, PNG $(wc -c <"$dir/b.png") bytes"
