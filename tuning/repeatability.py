#!/usr/bin/env python3
"""How well any table could do, given how well measurements repeat: for
two gemm590-tune runs of the same grid on the same device, choose per
shape the fastest candidate of run A (a perfect table for run A) and score
that choice on run B with train.py's time model, as train.py scores its
trees (best / chosen time).  Held-out scores cannot be expected above this.

usage: repeatability.py A.csv B.csv"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (exits 77 without scikit-learn)


def score(a, b):
    labels = [label for label in a.labels if label in b.labels]
    rows = []
    for shape, ta in a.times.items():
        tb = b.times.get(shape)
        if tb is None:
            continue
        chosen = min(labels, key=lambda label: ta[label])
        rows.append((min(tb[label] for label in labels) / tb[chosen], shape, chosen))
    return sorted(rows)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = (train.read_datasets([p])[0] for p in sys.argv[1:])
    for x, y in ((a, b), (b, a)):
        rows = score(x, y)
        r = np.array([row[0] for row in rows])
        print(f"best of {x.id} scored on {y.id}: {len(r)} shapes, geomean {train.geomean(r):.3f}, "
              f"worst {r.min():.3f}")
        for ratio, shape, label in rows[:5]:
            print(f"  {shape}: {ratio:.3f} ({label})")


if __name__ == "__main__":
    main()
