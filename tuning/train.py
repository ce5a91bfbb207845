#!/usr/bin/env python3
"""Trains libgemm590's decision tables from gemm590-tune CSVs.

usage: train.py [--emit-c FILE] [--emit-text FILE] [--check FILE] CSV|DIR...

For every shape of a dataset the label is the candidate (kernel family with
its parameters, or the host BLAS) with the least end-to-end time; a
depth-limited decision tree over log2 M, log2 N, log2 K and the transposes
learns it (with log2 M*N*K, which lets one split follow the host/device
line).  The tree works on each candidate's regret, log2(time / best time)
clipped at 2, and each leaf runs the candidate with the least mean regret
there: a wrong choice costs what it costs in time, not one count of a
misclassification.  Two ways of growing it compete per entry: a multi-output
regression tree (squared error of every candidate's regret) and RegretTree
(each split minimises the summed regret of what each side runs).

Quality is measured on shapes held out from training (5 folds, grouped by
M x N x K so that no transpose of a held-out shape is seen): the geometric
mean and the minimum of best time / chosen time.  The way and depth kept are
the shallowest (squared error first) whose held-out geometric mean is within
0.005 of the best of both ways at depths 0..8.

Entries, most specific first (lib/core/table.h):
  name    one per device (CSVs of the same device are merged)
  vendor  one per vendor and device type, over the datasets with host timings
  type    generic-gpu: the GPU datasets with host timings, restricted to
          portable parameters (at most 256 work-items in whole 64-wide
          wavefronts, at most 32 KiB of local memory, no vendor options);
          generic-cpu: the host, for every shape.

--emit-c writes the embedded tables (lib/core/tables_generated.c), with each
  choice as its family's descriptor and typed parameters (lib/core/families.h);
--emit-text writes a table file for GEMM590_TABLE or <cache dir>/table.txt
  (the name entries only: a user table is for the user's own device);
--check regenerates the C source and exits 1 when FILE differs.
A file <name>.note beside a CSV is quoted in that entry's comment.
Output depends only on the inputs: files are read in sorted order, every
grouping is sorted, and the trees use a fixed random_state.
"""
import argparse
import collections
import csv
import glob
import math
import os
import re
import sys

try:
    import numpy as np
    from sklearn.tree import DecisionTreeRegressor
except ImportError as exc:  # the test treats this as "skipped"
    print(f"train.py: scikit-learn is not available ({exc}): apt-get install python3-sklearn",
          file=sys.stderr)
    sys.exit(77)

from table_format import FEATURES, HOST, REGENERATE, emit_c, emit_text  # noqa: E402

# The features are the samples' columns (FEATURES, as lib/core/table.h numbers
# them); the product M*N*K (log2) lets one split follow the host/device line.
FLAGS = (3, 4)
RULE_ORDER = (0, 1, 2, 5, 3, 4)
FOLDS = 5
DEPTHS = range(0, 9)  # 0: one leaf, the candidate with the least mean regret
DEPTH_SLACK = 0.005
CRITERIA = ("squared_error", "regret")  # how a tree chooses its splits (fit)
REGRET_CLIP = 2.0
MIN_COVERAGE = 0.9
HOST_STALL = 3.0


class Dataset:
    """One device's measurements: times[shape][label] (seconds) of the
    candidates measured on (nearly) every shape."""

    def __init__(self, ident, files, routine="sgemm"):
        self.id = ident
        self.files = files
        self.routine = routine
        self.device = self.vendor = self.type = self.driver = None
        self.raw = collections.defaultdict(lambda: collections.defaultdict(list))
        self.meta = {}       # label -> (wg_items, local_bytes)
        self.wrong = set()   # labels with a result that did not match the host's
        self.has_e2e = False
        self.notes = []

    def add_row(self, r):
        shape = (int(r["m"]), int(r["n"]), int(r["k"]), int(r["ta"]), int(r["tb"]))
        label = HOST if r["candidate"] == HOST else f'{r["candidate"]} {r["params"]}'
        self.meta[label] = (int(r["wg_items"]), int(r["local_bytes"]))
        ok = int(r["ok"])
        if ok == 0:
            self.wrong.add(label)
        if ok != 1:
            return
        e2e = float(r["e2e_s"]) if r["e2e_s"] else None
        resident = float(r["resident_s"]) if r["resident_s"] else None
        self.has_e2e = self.has_e2e or e2e is not None
        # How the call crossed the link (CSVs of older tuners: unknown,
        # one class for every device candidate).
        link_class = (r.get("padded"), r.get("panels"))
        self.raw[shape][label].append((e2e, resident, link_class))

    def finish(self):
        """Chooses the time column, the candidates and the shapes."""
        self.metric = "e2e" if self.has_e2e else "resident"
        times = {}
        for shape, by_label in self.raw.items():
            medians = {label: (median(s[0] for s in samples), median(s[1] for s in samples),
                               samples[0][2])
                       for label, samples in by_label.items() if label not in self.wrong}
            link = self.link_times(medians)
            for label, (e2e, resident, link_class) in medians.items():
                if not self.has_e2e:
                    t = resident
                elif label == HOST or link.get(link_class) is None or resident is None:
                    t = e2e
                else:
                    t = link[link_class] + resident
                if t is not None:
                    times.setdefault(shape, {})[label] = t
        self.stalls = unstall_host(times)
        coverage = collections.Counter(label for t in times.values() for label in t)
        self.labels = sorted((label for label, n in coverage.items()
                              if n >= MIN_COVERAGE * len(times)), key=label_key)
        self.times = {s: t for s, t in sorted(times.items())
                      if all(label in t for label in self.labels)}
        self.dropped_shapes = len(times) - len(self.times)
        self.host_measured = HOST in self.labels

    def link_times(self, medians):
        """What a device call pays beyond its kernel at one shape, per link
        class (operands padded to whole tiles or not, and the number of
        column panels): the median over the device candidates of that class
        of end-to-end minus resident time.  Candidates of one class cross
        the link the same way, so a device candidate's end-to-end time is
        taken as its class's link time plus its own kernel time: the
        kernels' resident times repeat within a few per cent, while single
        end-to-end samples on a busy host vary by 10-30 % and more, which
        would make the choice among device candidates noise.  The class
        matters: unpadded families skip the copies to whole tiles, and more
        panels hide more of the link behind kernels (or cost more calls)."""
        gaps = collections.defaultdict(list)
        for label, (e2e, resident, link_class) in medians.items():
            if label != HOST and e2e is not None and resident is not None:
                gaps[link_class].append(e2e - resident)
        return {c: median(g) for c, g in gaps.items()} if self.has_e2e else {}


def unstall_host(times):
    """Replaces host times that are stalls, not the host BLAS's speed: one
    transposition of an M x N x K (each at least 16) more than HOST_STALL
    times slower than the fastest of the other three takes their median.  On the H100
    machine (a VM) OpenBLAS ran 96^3 TN at 9.0 ms in one run, twice, while
    NN, NT and TT took 0.019-0.022 ms, and such stalls hit a different
    shape in each run; a tree cannot learn them, and one of them alone
    made "host" look 400 times too slow there.  Returns the replacements,
    as (shape, measured, used)."""
    by_size = collections.defaultdict(list)
    for shape, t in times.items():
        if HOST in t:
            by_size[shape[:3]].append(shape)
    out = []
    for size, shapes in by_size.items():
        # Where a side is thin (a vector times a matrix), the transposition
        # changes how memory is walked and the host's time legitimately.
        if len(shapes) < 3 or min(size) < 16:
            continue
        for shape in shapes:
            others = sorted(times[o][HOST] for o in shapes if o != shape)
            if times[shape][HOST] > HOST_STALL * others[0]:
                out.append((shape, times[shape][HOST], median(others)))
    for shape, _, used in out:
        times[shape][HOST] = used
    return sorted(out)


def median(values):
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


def label_key(label):
    """host first, then by family and parameters."""
    return (label != HOST, label)


def read_datasets(paths):
    """One dataset per device and routine (CSVs of older tuners have no
    routine column: sgemm)."""
    by_device = {}
    for path in sorted(paths):
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                routine = r.get("routine") or "sgemm"
                ds = by_device.get((r["device"], routine))
                if ds is None:
                    stem = os.path.splitext(os.path.basename(path))[0]
                    if routine != "sgemm" and not stem.endswith(routine):
                        stem += "-" + routine
                    ds = by_device[(r["device"], routine)] = Dataset(stem, [], routine)
                    ds.device, ds.vendor, ds.type, ds.driver = (r["device"], r["vendor"],
                                                                r["type"], r["driver"])
                if path not in ds.files:
                    ds.files.append(path)
                ds.add_row(r)
    for ds in by_device.values():
        for path in ds.files:
            note = os.path.splitext(path)[0] + ".note"
            if os.path.exists(note):
                with open(note) as f:
                    ds.notes.append(f.read().strip())
        ds.finish()
    return sorted(by_device.values(), key=lambda d: d.id)


def portable(ds, label):
    """Runs on any GPU with 256 work-items, 32 KiB local memory and 64-wide
    wavefronts: no vendor build options."""
    if label == HOST:
        return True
    wg, local = ds.meta[label]
    return wg <= 256 and wg % 64 == 0 and local <= 32768 and "-cl-" not in label \
        and "NO_REQD_WG" not in label


class Samples:
    """Rows of (features, times of the common candidates)."""

    def __init__(self, datasets, labels):
        self.labels = labels
        x, t, groups = [], [], []
        for ds in datasets:
            for shape, times in ds.times.items():
                m, n, k, ta, tb = shape
                x.append([math.log2(m), math.log2(n), math.log2(k), ta, tb,
                          math.log2(m) + math.log2(n) + math.log2(k)])
                t.append([times[label] for label in labels])
                groups.append((ds.id, m, n, k))
        self.x = np.array(x, dtype=float)
        self.t = np.array(t, dtype=float)
        self.groups = groups
        self.best = self.t.min(axis=1)
        self.regret = np.minimum(np.log2(self.t / self.best[:, None]), REGRET_CLIP)


class RegretTree:
    """A tree grown on the regret of the choice itself: each split is the
    one that minimises the summed regret of the candidate each side would
    run (the one with the least summed regret there).  That sum is the log
    of the product of chosen/best times, the score's own measure, where the
    squared error of the regression tree also weighs how well the regrets
    of candidates that no leaf runs are fitted: at depth 1 it put the
    host/device line of h100-dgemm above shapes the device runs 1.5x
    faster.  A node becomes a leaf when no split lowers its sum.  Fitted,
    it answers apply() and tree_ (children_left, children_right, feature,
    threshold, value) as scikit-learn's trees do, for predict and Tree."""

    def __init__(self, max_depth, min_samples_leaf=2):
        self.max_depth, self.min_leaf = max_depth, min_samples_leaf

    def fit(self, x, regret):
        self.children_left, self.children_right = [], []
        self.feature, self.threshold, self.value = [], [], []
        self._grow(x, regret, np.arange(len(x)), 0)
        for name in ("children_left", "children_right", "feature", "threshold"):
            setattr(self, name, np.array(getattr(self, name)))
        self.value = np.array(self.value)[:, :, None]
        self.tree_ = self
        return self

    def _split(self, x, regret, idx):
        """(feature, threshold, summed regret) of the best split, or None."""
        best, best_cost = None, regret[idx].sum(axis=0).min() - 1e-9
        # M*N*K first: a tie goes to the split that follows the host/device line.
        for f in [5] + [f for f in range(x.shape[1]) if f != 5]:
            order = idx[np.argsort(x[idx, f], kind="stable")]
            xs, cum = x[order, f], np.cumsum(regret[order], axis=0)
            # Split after position i: left idx[:i+1], right the rest.
            cost = cum.min(axis=1) + (cum[-1] - cum).min(axis=1)
            ok = np.zeros(len(xs), dtype=bool)
            ok[self.min_leaf - 1:len(xs) - self.min_leaf] = True
            ok[:-1] &= xs[:-1] < xs[1:]
            ok[-1] = False
            if not ok.any():
                continue
            i = int(np.argmin(np.where(ok, cost, np.inf)))
            if cost[i] < best_cost:
                best, best_cost = (f, (xs[i] + xs[i + 1]) / 2), cost[i]
        return best

    def _grow(self, x, regret, idx, depth):
        node = len(self.feature)
        for name in ("children_left", "children_right", "feature", "threshold", "value"):
            getattr(self, name).append(None)
        self.value[node] = regret[idx].mean(axis=0)
        split = self._split(x, regret, idx) if depth < self.max_depth else None
        if split is None:
            self.children_left[node] = self.children_right[node] = -1
            self.feature[node], self.threshold[node] = -2, -2.0
            return node
        f, thr = split
        self.feature[node], self.threshold[node] = f, thr
        self.children_left[node] = self._grow(x, regret, idx[x[idx, f] <= thr], depth + 1)
        self.children_right[node] = self._grow(x, regret, idx[x[idx, f] > thr], depth + 1)
        return node

    def apply(self, x):
        leaves = np.zeros(len(x), dtype=int)
        for r in range(len(x)):
            i = 0
            while self.children_left[i] >= 0:
                i = self.children_left[i] if x[r, self.feature[i]] <= self.threshold[i] \
                    else self.children_right[i]
            leaves[r] = i
        return leaves


def fit(samples, idx, depth, criterion="squared_error"):
    """A tree over the rows idx, grown by scikit-learn's squared error on
    the regrets or by RegretTree ("regret")."""
    if criterion == "regret":
        return RegretTree(depth).fit(samples.x[idx], samples.regret[idx])
    # Depth 0 (no split at all) lets a single candidate compete with the
    # trees: on noisy data it can be the better choice for unseen shapes.
    tree = DecisionTreeRegressor(max_depth=max(depth, 1), min_samples_leaf=2, random_state=0,
                                 min_samples_split=len(idx) + 1 if depth == 0 else 2)
    tree.fit(samples.x[idx], samples.regret[idx])
    return tree


def predict(tree, x):
    """Candidate index per row: least mean regret in the row's leaf."""
    leaves = tree.apply(x)
    return np.array([int(np.argmin(tree.tree_.value[leaf][:, 0])) for leaf in leaves])


def ratios(samples, idx, chosen):
    return samples.best[idx] / samples.t[idx, chosen]


def folds(samples):
    """Fold of each row: its M x N x K group's, groups dealt out in a fixed
    random order."""
    groups = sorted(set(samples.groups))
    order = np.random.RandomState(0).permutation(len(groups))
    fold_of = {groups[g]: i % FOLDS for i, g in enumerate(order)}
    return np.array([fold_of[g] for g in samples.groups])


def held_out(samples, depth, fold, criterion):
    r = np.empty(len(samples.best))
    for f in range(FOLDS):
        test = np.where(fold == f)[0]
        train = np.where(fold != f)[0]
        if len(test) == 0:
            continue
        if len(train) < 2:
            r[test] = ratios(samples, test, np.zeros(len(test), dtype=int))
            continue
        tree = fit(samples, train, depth, criterion)
        r[test] = ratios(samples, test, predict(tree, samples.x[test]))
    return r


def geomean(r):
    return float(np.exp(np.mean(np.log(r))))


class Tree:
    """A fitted tree as the flat node array of lib/core/table.h."""

    def __init__(self, sk, labels):
        t = sk.tree_
        self.labels_all = labels
        self.nodes = []  # [feature, le, left, right, label]

        def choice(i):
            return labels[int(np.argmin(t.value[i][:, 0]))]

        def build(i):
            if t.children_left[i] < 0:
                return ("leaf", choice(i))
            f = int(t.feature[i])
            thr = float(t.threshold[i])
            # log2(x) <= thr  <=>  x <= floor(2^thr) for whole x; ta, tb: 0 left.
            le = 0 if f in FLAGS else int(math.floor(round(2.0 ** thr, 6)))
            left, right = build(t.children_left[i]), build(t.children_right[i])
            if left[0] == right[0] == "leaf" and left[1] == right[1]:
                return left  # both sides run the same candidate: no split
            return ("node", f, le, left, right)

        def flatten(n):
            index = len(self.nodes)
            self.nodes.append(None)
            if n[0] == "leaf":
                self.nodes[index] = [-1, 0, -1, -1, n[1]]
            else:
                left = flatten(n[3])
                right = flatten(n[4])
                self.nodes[index] = [n[1], n[2], left, right, None]
            return index

        flatten(build(0))
        used = {n[4] for n in self.nodes if n[0] == -1}
        self.choices = [label for label in labels if label in used]

    def leaves(self):
        return sum(1 for n in self.nodes if n[0] == -1)

    def depth(self):
        def d(i):
            n = self.nodes[i]
            return 0 if n[0] == -1 else 1 + max(d(n[2]), d(n[3]))
        return d(0)

    def paths(self):
        """(leaf index, conditions, label) for every leaf, in node order."""
        out = []

        def walk(i, lo, hi):
            n = self.nodes[i]
            if n[0] == -1:
                conds = []
                for f in RULE_ORDER:
                    if f in FLAGS:
                        if lo[f] >= 0 or hi[f] is not None:
                            conds.append(f"{FEATURES[f]}={1 if lo[f] >= 0 else 0}")
                    elif lo[f] >= 0 and hi[f] is not None:
                        conds.append(f"{lo[f]}<{FEATURES[f]}<={hi[f]}")
                    elif lo[f] >= 0:
                        conds.append(f"{FEATURES[f]}>{lo[f]}")
                    elif hi[f] is not None:
                        conds.append(f"{FEATURES[f]}<={hi[f]}")
                out.append((i, " ".join(conds) or "every shape", n[4]))
                return
            f, le = n[0], n[1]
            hl = list(hi)
            hl[f] = le if hl[f] is None else min(hl[f], le)
            walk(n[2], lo, hl)
            ll = list(lo)
            ll[f] = max(ll[f], le)
            walk(n[3], ll, hi)

        walk(0, [-1] * len(FEATURES), [None] * len(FEATURES))
        return out


class Entry:
    def __init__(self, ident, match, key, typ, datasets, labels, description, routine="sgemm"):
        self.id, self.match, self.key, self.type = ident, match, key, typ
        self.routine = routine
        self.datasets = datasets
        self.description = description
        self.host_measured = HOST in labels
        self.labels = labels
        self.report = []
        if not datasets:  # generic-cpu: the host, for every shape
            self.tree = None
            self.choices = [HOST]
            return
        samples = Samples(datasets, labels)
        fold = folds(samples)
        scores = {(c, d): held_out(samples, d, fold, c) for c in CRITERIA for d in DEPTHS}
        best = max(geomean(r) for r in scores.values())
        # The shallowest tree within the slack, squared error first at equal depth.
        criterion, depth = min(((c, d) for c, d in scores if geomean(scores[c, d]) >= best -
                                DEPTH_SLACK), key=lambda cd: (cd[1], CRITERIA.index(cd[0])))
        r = scores[criterion, depth]
        sk = fit(samples, np.arange(len(samples.best)), depth, criterion)
        self.tree = Tree(sk, labels)
        self.choices = self.tree.choices
        fitted = ratios(samples, np.arange(len(samples.best)), predict(sk, samples.x))
        single = max(labels, key=lambda label: geomean(
            samples.best / samples.t[:, labels.index(label)]))
        single_r = samples.best / samples.t[:, labels.index(single)]
        self.quality = (geomean(r), float(r.min()))
        trans = sorted({"NT"[int(x[3])] + "NT"[int(x[4])] for x in samples.x})
        self.report = [
            f"{len(samples.best)} shapes ({len(set(samples.groups))} M x N x K in "
            f"{', '.join(trans)}), {len(labels)} candidates, time = "
            + ", ".join(sorted({ds.metric for ds in datasets})),
            f"tree: depth limit {depth} (of 0..8, by held-out score), split by {criterion}; "
            f"merged: depth "
            f"{self.tree.depth()}, leaves {self.tree.leaves()}, choices {len(self.choices)}",
            f"held out ({FOLDS} folds): best/chosen geomean {geomean(r):.3f}, worst {r.min():.3f}",
            f"training fit: geomean {geomean(fitted):.3f}, worst {fitted.min():.3f}",
            f"best single candidate ({single}): geomean {geomean(single_r):.3f}, "
            f"worst {single_r.min():.3f}",
        ]
        stalls = [st for ds in datasets for st in ds.stalls]
        if stalls:
            self.report.append("host stalls replaced (measured -> used): " + ", ".join(
                f"{m}x{n}x{k} {'NT'[ta]}{'NT'[tb]} {a * 1e3:.3g} -> {b * 1e3:.3g} ms"
                for (m, n, k, ta, tb), a, b in stalls))
        if self.host_measured:
            host_r = samples.best / samples.t[:, labels.index(HOST)]
            self.report.append(f"host for every shape: geomean {geomean(host_r):.3f}, "
                               f"worst {host_r.min():.3f}")

    def leaf_lines(self):
        if self.tree is None:
            return [(0, "every shape", HOST)]
        return self.tree.paths()


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def build_entries(datasets):
    """An entry per dataset (device and routine), matched by name; for
    sgemm also per vendor and device type.  Other routines have no generic
    entries: on devices without their own entry the rules decide."""
    entries = []
    for ds in datasets:
        entries.append(Entry(ds.id, "name", ds.device, ds.type, [ds], ds.labels,
                             f'{ds.routine} on device "{ds.device}" ({ds.vendor}, driver '
                             f'{ds.driver})', ds.routine))
    measured = [ds for ds in datasets if ds.host_measured and ds.routine == "sgemm"]
    by_vendor = collections.defaultdict(list)
    for ds in measured:
        by_vendor[(ds.vendor, ds.type)].append(ds)
    for (vendor, typ), group in sorted(by_vendor.items()):
        labels = sorted(set.intersection(*(set(ds.labels) for ds in group)), key=label_key)
        entries.append(Entry(f"vendor-{slug(vendor)}-{typ}", "vendor", vendor, typ, group,
                             labels, f'any {typ.upper()} of vendor "{vendor}"'))
    gpus = [ds for ds in measured if ds.type == "gpu"]
    if gpus:
        labels = sorted(set.intersection(*({label for label in ds.labels if portable(ds, label)}
                                           for ds in gpus)), key=label_key)
        entries.append(Entry("generic-gpu", "type", None, "gpu", gpus, labels,
                             "any GPU without a more specific entry; portable parameters only"))
    entries.append(Entry("generic-cpu", "type", None, "cpu", [], [HOST],
                         "any OpenCL CPU device without a more specific entry: it shares the "
                         "cores the host BLAS runs on, and the host BLAS is faster on them"))
    return entries


def print_report(entries, out):
    for e in entries:
        print(f"## {e.id} ({e.match} match): {e.description}", file=out)
        if e.datasets:
            print("data: " + ", ".join(f for ds in e.datasets for f in ds.files), file=out)
        for line in e.report:
            print("  " + line, file=out)
        if not e.host_measured:
            print("  no host timings: the host/device split is GEMM590_MIN_DEVICE_FLOPS",
                  file=out)
        for i, cond, label in e.leaf_lines():
            print(f"  leaf {i}: {cond} -> {label}", file=out)
        print(file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="+", help="CSV files, or directories of them")
    ap.add_argument("--emit-c", metavar="FILE")
    ap.add_argument("--emit-text", metavar="FILE")
    ap.add_argument("--check", metavar="FILE")
    args = ap.parse_args()
    # A directory stands for its CSVs (the test passes tuning/data).
    paths = []
    for p in args.csv:
        paths += sorted(glob.glob(os.path.join(p, "*.csv"))) if os.path.isdir(p) else [p]
    args.csv = paths
    datasets = read_datasets(args.csv)
    for ds in datasets:
        if ds.wrong:
            print(f"{ds.id}: wrong results, never chosen: {', '.join(sorted(ds.wrong))}",
                  file=sys.stderr)
        if not ds.times:
            sys.exit(f"train.py: {ds.id}: no shape has every candidate measured")
    entries = build_entries(datasets)
    if args.check:
        with open(args.check) as f:
            if f.read() != emit_c(entries, args.csv):
                print(f"train.py: {args.check} differs from what {REGENERATE!r} writes",
                      file=sys.stderr)
                sys.exit(1)
        print(f"{args.check} is what train.py generates from {len(args.csv)} CSVs")
        return
    print_report(entries, sys.stdout)
    if args.emit_c:
        with open(args.emit_c, "w") as f:
            f.write(emit_c(entries, args.csv))
    if args.emit_text:
        with open(args.emit_text, "w") as f:
            f.write(emit_text(entries, args.csv))


if __name__ == "__main__":
    main()
