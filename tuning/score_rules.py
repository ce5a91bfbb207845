#!/usr/bin/env python3
"""Scores the rule-based selector (lib/core/select.c, what runs without a
table) on a gemm590-tune CSV, with train.py's time model, so that a
trained table can be compared with what it would replace.

usage: score_rules.py TABLE_PROBE CSV COMPUTE_UNITS

TABLE_PROBE is the build's tuning/table_probe; COMPUTE_UNITS the device's
(132 on the H100), since the rules' split K depends on it.  Prints the
geometric mean and the minimum of best time / the rules' choice's time
over every shape of the CSV (the rules were not trained on it, so this
compares with train.py's held-out figures), and the worst shapes."""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (exits 77 without scikit-learn)


def rules_choice(probe, ds, shape, units):
    m, n, k, ta, tb = shape
    out = subprocess.run([probe, "select", ds.device, ds.vendor, ds.type, str(m), str(n), str(k),
                          str(ta), str(tb), "1", str(units)],
                         env=dict(os.environ, GEMM590_TABLE="off"), capture_output=True,
                         text=True, check=True).stdout
    head = out.split(" | ")[0].strip()
    return train.HOST if head == "host" else head[len("device "):]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    probe, path, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ds = train.read_datasets([path])[0]
    ratios, missing = [], []
    for shape, times in ds.times.items():
        label = rules_choice(probe, ds, shape, units)
        if label not in times:
            missing.append((shape, label))
            continue
        ratios.append((min(times.values()) / times[label], shape, label))
    r = np.array([x[0] for x in ratios])
    print(f"{ds.id}: the rules on {len(r)} shapes: best/chosen geomean {train.geomean(r):.3f}, "
          f"worst {r.min():.3f}")
    for ratio, shape, label in sorted(ratios)[:8]:
        print(f"  {shape}: {ratio:.3f} ({label})")
    for shape, label in missing:
        print(f"  {shape}: the rules' choice was not measured: {label}")


if __name__ == "__main__":
    main()
