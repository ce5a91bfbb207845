#!/usr/bin/env python3
"""Plots gemm590-bench's CSV: TFLOPS against n, one line per row label.

Two panels, resident and end to end (e2e), log-scaled n.  The CSV is the
one `gemm590-bench --csv` writes (device,m,n,k,trans,what,mode,seconds,
tflops,max_rel_err), cuBLAS and NVBLAS rows included.
Usage: plot.py CSV PNG
       plot.py --check      (only whether this Python has matplotlib)
Exit status 3 when matplotlib is missing: gemm590-bench --plot runs
--check before its measurements, so that it fails at once.
"""
import csv
import sys
from collections import defaultdict


def read_rows(path):
    """{mode: {label: [(n, tflops), ...] sorted by n}} and the title."""
    series = {"resident": defaultdict(list), "e2e": defaultdict(list)}
    devices, transposes = set(), set()
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["mode"] not in series:
                continue
            series[row["mode"]][row["what"]].append((int(row["n"]), float(row["tflops"])))
            devices.add(row["device"])
            transposes.add(row["trans"])
    for lines in series.values():
        for points in lines.values():
            points.sort()
    title = "SGEMM on %s, %s" % (", ".join(sorted(devices)) or "?",
                                 "/".join(sorted(transposes)) or "NN")
    return series, title


def main():
    if sys.argv[1:] != ["--check"] and len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        if sys.argv[1] != "--check":  # the caller of --check says it in its own words
            print("plot.py: %s has no matplotlib (Debian: python3-matplotlib)" % sys.executable,
                  file=sys.stderr)
        sys.exit(3)
    if sys.argv[1] == "--check":
        return
    series, title = read_rows(sys.argv[1])
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    for ax, (mode, heading) in zip(axes, [("resident", "resident (operands on the device)"),
                                          ("e2e", "end to end (from pageable host memory)")]):
        for label in sorted(series[mode]):
            xs, ys = zip(*series[mode][label])
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("n")
        ax.set_ylabel("TFLOPS")
        ax.set_title(heading)
        ax.grid(True, which="both", alpha=0.3)
        if series[mode]:
            ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=120)


if __name__ == "__main__":
    main()
