#!/usr/bin/env python3
"""Turns the prototype's RX 590 measurements (../shared/seed-rx590, MIT,
see its README) into a gemm590-tune CSV, for the RX 590 table entry.

usage: seed_rx590.py SEED_DIR OUT.csv

What the seed supports, and all this takes from it: at which square size
(M = N = K, no transposes) the prototype's tile20 v3 kernel beat its tile24
kernel or the other way round, on one RX 590 under Mesa Clover, in kernel
time.  Our tile20_v3 and tile24 families descend from those kernels but
are not the same code, the seed has no host timings, no transfers, no
regblock and no other shapes; train.py marks the entry "no host timings",
so the library keeps its flops threshold for the host/device split.

Sources, per size, one harness for both kernels at a size:
  week2_t2_expanded_search_*.json  event-profiled means over 12 runs:
      gemm_tile20_vectorized (= tile20 v3) and gemm_tile24_vectorized,
      sizes 1200-2048 and 3072 (1400 and 2048 in both files: two rows);
  kernel_selector_dataset.json     host-timed means: the sizes the
      search did not cover (512, 768, 1024) where both kernels appear.
Times are 2 n^3 / GFLOPS, in the resident_s column; e2e_s stays empty.
"""
import csv
import glob
import json
import os
import sys

DEVICE = "AMD Radeon RX 590 GME (radeonsi, polaris10, ACO, DRM 3.61, 6.14.0-37-generic)"
VENDOR = "AMD"
DRIVER = "Mesa Clover 25.0.7 (seed-rx590: the prototype's kernels)"
# Our families with their default parameters, work-items and local bytes
# (lib/core/select.c defaults, lib/core/table.c g590_plan_local_bytes).
FAMILIES = {
    "tile20": ("tile20_v3", "-DWG=10 -DKS=20", 100, 3360),
    "tile24": ("tile24", "-DWG=12 -DKS=16", 144, 3200),
}
SEARCH_KERNELS = {"gemm_tile20_vectorized": "tile20", "gemm_tile24_vectorized": "tile24"}
SELECTOR_CONFIGS = {"tile20_vectorized": "tile20", "tile24_vectorized": "tile24"}


def main():
    seed_dir, out = sys.argv[1], sys.argv[2]
    rows = []  # (size, family key, gflops, source)
    for path in sorted(glob.glob(os.path.join(seed_dir, "week2_t2_expanded_search_*.json"))):
        with open(path) as f:
            data = json.load(f)
        for r in data["search"]["raw_candidates"]:
            fam = SEARCH_KERNELS.get(r["kernel_name"])
            if fam and r["status"] == "completed":
                rows.append((int(r["size"]), fam, float(r["gflops"])))
    searched = {size for size, _, _ in rows}
    with open(os.path.join(seed_dir, "kernel_selector_dataset.json")) as f:
        selector = json.load(f)["samples"]
    by_size = {}
    for s in selector:
        fam = SELECTOR_CONFIGS.get(s["config_name"])
        if fam and s["M"] == s["N"] == s["K"] and s["M"] not in searched:
            by_size.setdefault(s["M"], {})[fam] = float(s["gflops"])
    for size, fams in sorted(by_size.items()):
        if len(fams) == 2:
            rows += [(size, fam, g) for fam, g in sorted(fams.items())]
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["device", "vendor", "type", "driver", "m", "n", "k", "ta", "tb", "candidate",
                    "params", "wg_items", "local_bytes", "e2e_s", "resident_s", "ok"])
        for size, fam, gflops in sorted(rows):
            name, params, wg, local = FAMILIES[fam]
            secs = 2.0 * size ** 3 / (gflops * 1e9)
            w.writerow([DEVICE, VENDOR, "gpu", DRIVER, size, size, size, 0, 0, name, params, wg,
                        local, "", f"{secs:.6e}", 1])


if __name__ == "__main__":
    main()
