#!/bin/bash
# Compares two decision tables end to end: shape_time runs the same shapes
# under GEMM590_TABLE=$A and GEMM590_TABLE=$B, alternated ROUNDS times
# (the host link drifts between runs, so each pair is measured close in
# time), and prints each round's lines prefixed with the table.
#
#   bench/table_ab.sh SHAPE_TIME A B ROUNDS SHAPE...
#   e.g. bench/table_ab.sh build/bench/shape_time off h100.txt 3 4096x4096x4096:NN
#
# "off" is the rules of lib/core/select.c; a path is a table file
# (tuning/train.py --emit-text).
set -e
tool=$1 a=$2 b=$3 rounds=$4
shift 4
for r in $(seq "$rounds"); do
  for t in "$a" "$b"; do
    GEMM590_TABLE=$t "$tool" "$@" | sed "s|^|round $r table $t: |"
  done
done
