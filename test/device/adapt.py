"""Online choice (GEMM590_ADAPT, issue 18) on PoCL's CPU device, from the outside.

usage: adapt.py CASE TEST_ADAPT GEMM590_INFO

Every run is a fresh process of test_adapt (self-checking: a wrong result
exits 1) with GEMM590_DEVICE=cpu, GEMM590_ADAPT=1, GEMM590_VERBOSE=1 and a
fresh GEMM590_CACHE_DIR in a scratch directory; the learning is judged from
the verbose lines (" adapt=explore:I/N", " adapt=explore:best" (threads
only: the best path so far, untimed, while others explore) or
" adapt=learned" at the end of each call line that learns) and from the learned file.  CASE is one of:

  explore[-dgemm|-ssyrk|-dsyrk]  two shapes of one class (sizes within one
        half-octave), 16 calls: at most 10 explore, then all learned; one
        valid file with that one class
  persist     a second process: the learned class never explores again (its
        choice unchanged), a new class does, and the file keeps both
  concurrent  4 processes at once, 4 classes, one cache dir: the file holds
        all 4; 4 more processes then explore none of them
  corrupt     damaged files: one warning per process, right results, the
        file rewritten valid
  version     a "gemm590-learned 999" file: ignored, re-learned, rewritten as 2
  off         GEMM590_ADAPT=0, unset (PoCL is no GPU), GEMM590_KERNEL set,
        GEMM590_DISABLE_DEVICE=1: no adapt= field, no learned file
  threads     8 threads on 2 classes: right results, at most 10 explore each
  fork        forks after the class settled and while it explores: right,
        no hang, the child never explores
  measured    every path that explored is timed in the file, beta constant
        or 0 on every other call
  info        gemm590-info --learned lists each class and its path; --forget
        removes the file
  tiny        below 1e7 flops (2MNK, syrk N(N+1)K) never learns; at it, does
"""
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from harness import Checks, finish_probe, gemm590_env, run_probe, start_probe  # noqa: E402

MAX_EXPLORE = 10
ADAPT = re.compile(r" adapt=(\S*)$")
EXPLORE = re.compile(r"explore:(\d+)/(\d+)")
# The transposes of a verbose call line (see trans_of).
KEY = re.compile(r" (transa|transb|trans|uplo)=(\S+)")
PATH = re.compile(r"host|[A-Za-z0-9_]+:.*")

# Sizes within (256, 304): one half-octave whether sizes are rounded down,
# up or to the nearest power of sqrt 2, so both shapes are one class.
ONE_CLASS = {"sgemm": "263,283,297:271,277,290", "dgemm": "197,203,190,TN,R:190,209,201,TN,R",
             "ssyrk": "271,271,283,TL:265,265,290,TL", "dsyrk": "263,263,290,NU,R:277,277,270,NU,R"}
A, B = ONE_CLASS["sgemm"], "263,283,297,TN"


class Adapt:
    def __init__(self, checks, tmp, test, info):
        self.checks, self.tmp, self.test, self.info, self.count = checks, tmp, test, info, 0

    def env(self, cache, **extra):
        settings = dict(GEMM590_DEVICE="cpu", GEMM590_ADAPT=1, GEMM590_VERBOSE=1,
                        GEMM590_CACHE_DIR=cache)
        settings.update(extra)
        return gemm590_env(**{k: v for k, v in settings.items() if v is not None})

    def fresh(self):
        self.count += 1
        path = os.path.join(self.tmp, f"cache-{self.count}")
        os.makedirs(path)
        return path

    def run(self, cache, spec, *args, routine="sgemm", calls=8, timeout=240, **extra):
        """test_adapt in one process; a failure or a hang is a failed check."""
        cmd = [self.test, "--routine", routine, "--shape", spec, "--calls", calls, *args]
        try:
            r = run_probe(cmd, self.env(cache, **extra), timeout=timeout)
        except subprocess.TimeoutExpired:
            self.checks.check(False, f"test_adapt finished within {timeout} s")
            self.checks.finish()
        return self.judge(r, f"{routine} {spec} {' '.join(map(str, args))}")

    def judge(self, r, what):
        print(r.stdout.strip())
        if not self.checks.check(r.rc == 0, f"{what}: results right (exit {r.rc})"):
            r.show()
        for line in r.lines:
            if line.startswith("gemm590: ") and (" error" in line or "warning" in line):
                print(f"     log: {line}")
        return r

    def start(self, cache, spec, routine, calls):
        cmd = [self.test, "--routine", routine, "--shape", spec, "--calls", calls]
        print(f"$ (in the background) {' '.join(map(str, cmd))}", flush=True)
        return start_probe(cmd, self.env(cache))


def adapt_of(line):
    m = ADAPT.search(line)
    return m.group(1) if m else None


def trans_of(line):
    """The transposes (syrk: trans and uplo) of a call line: in these runs
    shapes of one class share them, and classes differ by them."""
    fields = dict(KEY.findall(line))
    return tuple(fields.get(f) for f in ("transa", "transb", "trans", "uplo"))


def explores(r, trans=None):
    return [c[2] for c in r.calls if (trans is None or trans_of(c[2]) == trans)
            and (adapt_of(c[2]) or "").startswith("explore")]


def warnings(r):
    return [x for x in r.lines if x.startswith("gemm590: warning:") and "learned" in x]


def learned_files(cache):
    return sorted(f for f in os.listdir(cache) if f.startswith("learned-"))


def parse_learned(cache):
    """(classes {text: (path, ms, {path: ms})}, problems) of the one learned
    file in cache, as specified: header, device, driver, class lines, and
    "end N" counting them."""
    files = [f for f in learned_files(cache) if f.endswith(".txt")]
    if len(files) != 1:
        return {}, [f"one learned-*.txt file expected, found {learned_files(cache)}"]
    with open(os.path.join(cache, files[0]), "rb") as f:
        text = f.read().decode("utf-8", "replace")
    print(f"     {files[0]}:\n" + "".join(f"       | {x}\n" for x in text.splitlines()))
    problems, classes = [], {}
    lines = text.split("\n")
    if not text.endswith("\n") or len(lines) < 4:
        return {}, ["the file is not whole lines with a 3-line header"]
    if lines[0] != "gemm590-learned 2":
        problems.append(f"first line {lines[0]!r}")
    if not lines[1].startswith("device ") or not lines[2].startswith("driver "):
        problems.append(f"device/driver lines {lines[1:3]!r}")
    want = "learned-" + re.sub(r"[^A-Za-z0-9._-]", "_", lines[1][len("device "):]) + ".txt"
    if files[0] != want:
        problems.append(f"file name {files[0]}, expected {want} from its device line")
    if lines[-2] != f"end {len(lines) - 5}":
        problems.append(f"last line {lines[-2]!r}, expected 'end {len(lines) - 5}'")
    for line in lines[3:-2]:
        fields = line.split("\t")
        try:
            cls, chosen, ms, listed = fields
            times = {p: float(t) for p, t in (x.rsplit("@", 1) for x in listed.split("|"))}
            ms = float(ms)
        except ValueError:
            problems.append(f"class line does not parse: {line!r}")
            continue
        bad = [p for p in [chosen, *times] if not PATH.fullmatch(p)]
        if (not cls or cls in classes or bad or chosen not in times or not math.isfinite(ms)
                or ms <= 0 or not all(math.isfinite(t) and t >= 0 for t in times.values())):
            problems.append(f"class line: empty or repeated class, bad path {bad}, chosen path "
                            f"not among the candidates, or a bad time: {line!r}")
        classes[cls] = (chosen, ms, times)
    leftovers = [f for f in os.listdir(cache) if "tmp" in f.lower()]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    return classes, problems


def expect_file(ad, cache, count, what):
    classes, problems = parse_learned(cache)
    ad.checks.check(not problems and len(classes) == count,
                    f"{what}: valid learned file with {count} class(es) (has {len(classes)}"
                    f"{'; ' + '; '.join(problems) if problems else ''})")
    return classes


def check_explore_then_learned(ad, r, expected_calls, what):
    """Every call learns; at most 10 explore (I/N valid), then only learned."""
    values = [adapt_of(c[2]) for c in r.calls]
    ad.checks.check(len(values) == expected_calls and all(values),
                    f"{what}: {len(values)} call lines (want {expected_calls}), all with adapt= "
                    f"({sum(v is None for v in values)} without)")
    strange = [v for v in values if v and v != "learned" and not EXPLORE.fullmatch(v)]
    ex = [EXPLORE.fullmatch(v) for v in values if v and EXPLORE.fullmatch(v)]
    ad.checks.check(not strange and all(1 <= int(m[1]) <= int(m[2]) for m in ex)
                    and len({m[2] for m in ex}) <= 1,
                    f"{what}: every adapt= is explore:I/N (1 <= I <= N, one N) or learned "
                    f"({[m[0] for m in ex]}, unknown: {strange})")
    n = len(ex)
    ordered = values[:n] == [m[0] for m in ex] and all(v == "learned" for v in values[n:])
    ad.checks.check(1 <= n <= MAX_EXPLORE and ordered and values[-1:] == ["learned"],
                    f"{what}: {n} calls explore (1..{MAX_EXPLORE}), then all "
                    f"{len(values) - n} are learned: {values}")


def case_explore(ad, routine):
    cache = ad.fresh()
    r = ad.run(cache, ONE_CLASS[routine], routine=routine)
    check_explore_then_learned(ad, r, 16, f"{routine}, one class")
    expect_file(ad, cache, 1, "after it settled")


DEVICE_PATH = re.compile(r' path=device kernel=(\S+) params="([^"]*)"')


def case_measured(ad):
    """Every path that explored is timed in the file: with beta constant,
    and with beta = 0 on every other call (programs differ by beta = 0)."""
    for beta in ("nonzero", "mixed"):
        cache = ad.fresh()
        r = ad.run(cache, A, "--beta", beta)
        tried = set()
        for c in r.calls:
            if EXPLORE.fullmatch(adapt_of(c[2]) or ""):
                m = DEVICE_PATH.search(c[2])
                tried.add(f"{m[1]}:{m[2]}" if m else "host" if c[0] == "host" else c[2])
        classes = expect_file(ad, cache, 1, f"beta {beta}")
        timed = set(next(iter(classes.values()))[2]) if classes else set()
        ad.checks.check(len(tried) > 1 and tried <= timed,
                        f"beta {beta}: every path that explored ({len(tried)}) has a time in the "
                        f"file (untimed: {sorted(tried - timed)})")


def case_persist(ad):
    cache = ad.fresh()
    ad.run(cache, A)
    before = expect_file(ad, cache, 1, "first process")
    # 12 calls: B settles (at most 10 explore) and is saved.
    r = ad.run(cache, f"{A}:{B}", calls=12)
    # Round-robin: A's two shapes, then B, then A's again...
    key_a, key_b = trans_of(r.calls[0][2]), trans_of(r.calls[2][2])
    a_lines = [adapt_of(c[2]) for c in r.calls if trans_of(c[2]) == key_a]
    ad.checks.check(a_lines and all(v == "learned" for v in a_lines),
                    f"second process: the learned class is learned from its first call, never "
                    f"explored ({a_lines})")
    ad.checks.check(key_a != key_b and (adapt_of(r.calls[2][2]) or "").startswith("explore") and
                    len(explores(r, key_b)) <= MAX_EXPLORE,
                    f"second process: the new class (B transposed) explores, at most "
                    f"{MAX_EXPLORE} calls ({len(explores(r, key_b))})")
    after = expect_file(ad, cache, 2, "second process")
    kept = [c for c in before if after.get(c, (None,))[0] != before[c][0]]
    ad.checks.check(not kept, f"the first class keeps its chosen path ({kept or 'yes'})")
    r = ad.run(cache, f"{A}:{B}", "--threads", 2, calls=3)
    ad.checks.check(not explores(r), f"third process, 2 threads: no call explores "
                                     f"({len(explores(r))} did)")


CONCURRENT = [("sgemm", "263,283,297"), ("sgemm", "200,390,210,NT"),
              ("dgemm", "200,200,200,TN,R"), ("ssyrk", "271,271,283,TL")]


def case_concurrent(ad):
    cache = ad.fresh()
    # 12 calls each: every class settles (and is saved) in the first round.
    for round_, calls in (("first", 12), ("second", 3)):
        procs = [ad.start(cache, spec, routine, calls) for routine, spec in CONCURRENT]
        runs = []
        for p, (routine, spec) in zip(procs, CONCURRENT):
            try:
                runs.append(ad.judge(finish_probe(p, timeout=400), f"{routine} {spec}"))
            except subprocess.TimeoutExpired:
                p.kill()
                ad.checks.check(False, f"{routine} {spec} finished within 400 s")
                ad.checks.finish()
        if round_ == "second":
            ad.checks.check(all(not explores(r) for r in runs),
                            f"4 later processes at once: no call explores "
                            f"({[len(explores(r)) for r in runs]})")
        expect_file(ad, cache, 4, f"{round_} 4 processes at once")


def case_corrupt(ad):
    source = ad.fresh()
    ad.run(source, A)
    name = learned_files(source)[0]
    with open(os.path.join(source, name)) as f:
        good = f.read()
    lines = good.split("\n")
    fields = lines[3].split("\t")
    slow = "\t".join(fields[:2] + ["fast"] + fields[3:])
    damaged = {
        "a line of junk": good + "this is not a class line\n",
        # cut inside the last time: what is left of the line parses alone
        "a file cut short": "\n".join(lines[:3] + [lines[3][:-1]]),
        "an end line that miscounts": "\n".join(lines[:3] + [lines[3], "end 2", ""]),
        "a time that is no number": "\n".join(lines[:3] + [slow] + lines[4:]),
        "binary junk": "".join(chr(0x80 + i % 100) for i in range(700)),
    }
    for what, data in damaged.items():
        cache = ad.fresh()
        with open(os.path.join(cache, name), "w", encoding="latin-1") as f:
            f.write(data)
        r = ad.run(cache, A, "--threads", 2)
        ad.checks.check(len(warnings(r)) == 1, f"{what}: exactly one 'gemm590: warning:' line "
                                               f"about the learned file: {warnings(r)}")
        expect_file(ad, cache, 1, f"{what}: rewritten")


def case_version(ad):
    source = ad.fresh()
    ad.run(source, A)
    name = learned_files(source)[0]
    with open(os.path.join(source, name)) as f:
        good = f.read()
    cache = ad.fresh()
    with open(os.path.join(cache, name), "w") as f:
        f.write(good.replace("gemm590-learned 2\n", "gemm590-learned 999\n", 1))
    r = ad.run(cache, A)
    ad.checks.check(len(explores(r)) > 0, f"a version 999 file is ignored: the class is "
                                          f"re-learned ({len(explores(r))} calls explore)")
    expect_file(ad, cache, 1, "rewritten (as version 2)")


def case_off(ad):
    for what, extra in (("GEMM590_ADAPT=0", {"GEMM590_ADAPT": 0}),
                        ("GEMM590_ADAPT unset on a CPU device", {"GEMM590_ADAPT": None}),
                        ("GEMM590_KERNEL set", {"GEMM590_KERNEL": "regblock"}),
                        ("GEMM590_DISABLE_DEVICE=1", {"GEMM590_DISABLE_DEVICE": 1})):
        cache = ad.fresh()
        r = ad.run(cache, A, calls=7, **extra)
        with_adapt = [x for x in r.lines if " adapt=" in x]
        ad.checks.check(len(r.calls) == 14 and not with_adapt,
                        f"{what}: {len(r.calls)} call lines (want 14), none with adapt= "
                        f"({with_adapt[:2]})")
        ad.checks.check(not learned_files(cache), f"{what}: no learned file "
                                                  f"({learned_files(cache)})")


def case_threads(ad):
    cache = ad.fresh()
    r = ad.run(cache, f"{A}:{B}", "--threads", 8, calls=4)
    for key in sorted({trans_of(c[2]) for c in r.calls}):  # A and B: 2 classes
        values = [adapt_of(c[2]) for c in r.calls if trans_of(c[2]) == key]
        n = sum(bool(v and EXPLORE.fullmatch(v)) for v in values)
        other = sorted({v for v in values
                        if v not in ("learned", "explore:best") and not EXPLORE.fullmatch(v or "")},
                       key=str)
        ad.checks.check(n <= MAX_EXPLORE, f"8 threads, class {key[:2]}: {n} of {len(values)} "
                                          f"calls explore:I/N (at most {MAX_EXPLORE})")
        ad.checks.check(not other and values[-1:] == ["learned"],
                        f"8 threads, class {key[:2]}: the others learned or took the best "
                        f"so far while others explored ({values.count('learned')} learned, "
                        f"{values.count('explore:best')} explore:best, last "
                        f"{values[-1:]}; other values: {other})")
    expect_file(ad, cache, 2, "8 threads")


def case_fork(ad):
    for what, calls in (("after it settled", 8), ("while it explores", 2)):
        cache = ad.fresh()
        r = ad.run(cache, A, "--fork", calls=calls, timeout=300)
        parent = 2 * calls
        child = r.calls[parent:2 * parent]
        ad.checks.check(len(r.calls) == 2 * parent + 2 and not [c for c in child if (
                        adapt_of(c[2]) or "").startswith("explore")],
                        f"fork {what}: {len(r.calls)} call lines (want {2 * parent + 2}), none "
                        f"of the child's {len(child)} explores")


def case_info(ad):
    cache = ad.fresh()
    ad.run(cache, f"{A}:{B}", calls=12)
    classes = expect_file(ad, cache, 2, "two classes learned")

    def info(option, where):
        print(f"$ GEMM590_CACHE_DIR={where} {ad.info} {option}", flush=True)
        p = subprocess.run([ad.info, option], env=ad.env(where), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        print(p.stdout + p.stderr)
        return p

    p = info("--learned", cache)
    missing = [c for c, (path, _, _) in classes.items()
               if not any(c in x and path in x for x in p.stdout.splitlines())]
    ad.checks.check(p.returncode == 0 and classes and not missing,
                    f"--learned exits 0 ({p.returncode}) with a line naming each class and its "
                    f"path (missing: {missing})")
    empty = ad.fresh()
    p = info("--learned", empty)
    listed = [c for c in classes if c in p.stdout]
    ad.checks.check(p.returncode == 0 and not listed,
                    f"--learned of an empty cache dir exits 0 and lists none ({listed})")
    p = info("--forget", cache)
    ad.checks.check(p.returncode == 0 and not [f for f in learned_files(cache) if
                                               f.endswith(".txt")],
                    f"--forget exits 0 ({p.returncode}) and removes the file "
                    f"(left: {learned_files(cache)})")
    p = info("--learned", cache)
    ad.checks.check(p.returncode == 0 and not [c for c in classes if c in p.stdout],
                    "--learned after --forget exits 0 and lists none")
    r = ad.run(cache, A, calls=2)
    ad.checks.check(len(explores(r)) > 0, "after --forget the class explores again")


def case_tiny(ad):
    # (routine, shape, learns): 2*170^3 < 1e7 <= 2*171^3; 215*216*215 <
    # 1e7 <= 216*217*215.
    for routine, spec, learns in (("sgemm", "100,100,100:170,170,170:120,300,130,NT", False),
                                  ("sgemm", "171,171,171", True),
                                  ("ssyrk", "215,215,215,NU:215,215,215,TL", False),
                                  ("ssyrk", "216,216,215,NU", True)):
        cache = ad.fresh()
        r = ad.run(cache, spec, routine=routine, calls=4)
        with_adapt = [c for c in r.calls if adapt_of(c[2])]
        want = len(r.calls) if learns else 0
        ad.checks.check(r.calls and len(with_adapt) == want,
                        f"{routine} {spec}: {len(with_adapt)} of {len(r.calls)} call lines "
                        f"with adapt= (want {want})")
        if not learns:
            stray = [x for x in r.lines if " adapt=" in x]
            ad.checks.check(not stray and not learned_files(cache),
                            f"{routine} {spec}: no adapt= anywhere ({stray[:1]}), no learned "
                            f"file ({learned_files(cache)})")


CASES = {"explore": lambda ad: case_explore(ad, "sgemm"),
         "explore-dgemm": lambda ad: case_explore(ad, "dgemm"),
         "explore-ssyrk": lambda ad: case_explore(ad, "ssyrk"),
         "explore-dsyrk": lambda ad: case_explore(ad, "dsyrk"),
         "measured": case_measured, "persist": case_persist, "concurrent": case_concurrent,
         "corrupt": case_corrupt, "version": case_version, "off": case_off,
         "threads": case_threads, "fork": case_fork, "info": case_info, "tiny": case_tiny}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        sys.exit(__doc__)
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="gemm590-adapt-") as tmp:
        CASES[sys.argv[1]](Adapt(checks, tmp, sys.argv[2], sys.argv[3]))
    checks.finish()


if __name__ == "__main__":
    main()
