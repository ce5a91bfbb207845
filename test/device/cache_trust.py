"""Trust on disk (lib/core/trusted_file.c): kernel binaries and decision tables
only from places no one but this user can write.

usage: cache_trust.py PROBE

Every run is a fresh process of `probe one` (one call, checked against the
float64 reference by the probe itself: a refused cache never changes a
result; once `probe mix`, four calls) on the CPU device, with the umask 022 so that modes seen are the
library's.  Checked:

1. directories the library creates (GEMM590_CACHE_DIR and its missing
   parents; the default $XDG_CACHE_HOME/gemm590) are 0700, files it
   writes 0600 and this user's; a second process loads the binary
   (program=disk).
2. a cache directory that group or others can write (0777, 0770), or that
   another user owns (chowned to uid 65534), is not used even though it
   holds a valid binary: the program is built, nothing is written, and
   one warning line is printed per process (verbose or not; four calls
   of `probe mix` print that line and nothing else).
3. a cache file owned by another user, or writable by others, or a
   symbolic link to a valid binary elsewhere, is ignored with a warning;
   the rebuilt file replaces it (the link's target untouched) and the
   next process loads it.
4. a symbolic link planted, before the probe starts, at the temporary
   name the library used to write through (<file>.tmp.<pid>) is neither
   followed nor removed: its target stays as it was.
5. the decision table: GEMM590_TABLE naming a file elsewhere is used when
   it is this user's and not writable by others; owned by uid 65534,
   group-writable or a symbolic link, it is refused with one warning and
   the embedded table decides (host).  table.txt in a private cache
   directory is used; owned by another user, or in a world-writable
   directory, it is not.

The checks that need a file of another user (chown) run only as root;
as another user they are reported skipped.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cache import listing, origin, probe_env, read, write  # noqa: E402
from harness import Checks, Run, gemm590_env, parse_cache_file, run_probe  # noqa: E402

OTHER_UID = 65534  # nobody
ROOT = os.geteuid() == 0

# One entry for any CPU device: regblock above a tiny product, so that the
# probe's call runs on the device only when the file is read.
TABLE = """gemm590-table 1
entry trust-cpu
match type
type cpu
host-measured yes
choice host
choice regblock -DTM=32 -DTN=32 -DKS=8 -DWM=4 -DWN=4
node MNK 10 1 2
leaf 0
leaf 1
end
"""


def mode(path):
    """The permission bits, or None when there is nothing at path."""
    return stat.S_IMODE(os.lstat(path).st_mode) if os.path.lexists(path) else None


def octal(m):
    return "none" if m is None else f"{m:o}"


def warnings(r):
    return [l for l in r.lines if l.startswith("gemm590: warning:")]


def one_warning(r, *words):
    """Exactly one warning line, containing every word."""
    w = warnings(r)
    return len(w) == 1 and all(word in w[0] for word in words)


def private_file(path):
    """A regular file of this user with mode 0600."""
    st = os.lstat(path)
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and mode(path) == 0o600


def valid_file(path, key):
    """A private, well-formed cache file for `key`."""
    parsed = parse_cache_file(read(path)) if private_file(path) else None
    return parsed is not None and parsed[0] == key


def table_run(probe, **settings):
    """`probe one` with no kernel forced: the table decides.  Returns the
    run and where its call went with which rule ("device user:..."), or a
    description of what went wrong."""
    r = run_probe([probe, "one"], gemm590_env(GEMM590_DEVICE="cpu", GEMM590_VERBOSE=1, **settings))
    if r.rc != 0 or len(r.calls) != 1 or r.counters() is None:
        r.show()
        return r, f"exit {r.rc}, {len(r.calls)} call lines"
    path, _, line = r.calls[0]
    device = r.counters() == (1, 0, 1)
    if path != ("device" if device else "host"):
        return r, f"counters {r.counters()} against {line}"
    return r, path + (" user-table" if "table user:trust-cpu" in line else "")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    probe = sys.argv[1]
    checks = Checks()
    os.umask(0o022)
    with tempfile.TemporaryDirectory(prefix="gemm590-trust-") as tmp:
        # PoCL's own kernel cache, away from what is looked at here.
        os.environ["POCL_CACHE_DIR"] = os.path.join(tmp, "pocl")

        # 1. Created private; a second process finds its binary.
        parent = os.path.join(tmp, "given")
        cache = os.path.join(parent, "cache")
        r = run_probe([probe, "one"], probe_env(cache))
        files = listing(cache)
        checks.check(origin(r) == "built" and not warnings(r) and len(files) == 1,
                     f"GEMM590_CACHE_DIR created: program=built, no warning, files {files}")
        checks.check(mode(parent) == 0o700 and mode(cache) == 0o700,
                     f"created directories are 0700: {octal(mode(parent))} {octal(mode(cache))}")

        if len(files) != 1:
            checks.finish()
        name = files[0]
        path = os.path.join(cache, name)
        good = read(path)
        key = parse_cache_file(good)[0] if parse_cache_file(good) else None
        checks.check(valid_file(path, key),
                     f"{name}: well-formed, this user's, mode {octal(mode(path))}")
        r = run_probe([probe, "one"], probe_env(cache))
        checks.check(origin(r) == "disk" and not warnings(r),
                     "second process: program=disk, no warning")

        home, xdg = os.path.join(tmp, "home"), os.path.join(tmp, "xdg")
        os.makedirs(home)
        os.makedirs(xdg)
        default = os.path.join(xdg, "gemm590")
        r = run_probe([probe, "one"], probe_env(None, HOME=home, XDG_CACHE_HOME=xdg))
        made = listing(default)
        checks.check(origin(r) == "built" and mode(default) == 0o700 and len(made) == 1
                     and private_file(os.path.join(default, made[0])),
                     f"default $XDG_CACHE_HOME/gemm590 created 0700 ({octal(mode(default))}), "
                     f"files {made}, 0600")
        r = run_probe([probe, "one"], probe_env(None, HOME=home, XDG_CACHE_HOME=xdg))
        checks.check(origin(r) == "disk", "default directory, second process: program=disk")

        # 2. Directories others can write, or another user owns: refused
        # even with a valid binary in them.
        shared = os.path.join(tmp, "shared")
        for dir_mode in (0o777, 0o770):
            os.makedirs(shared)
            os.chmod(shared, dir_mode)
            write(os.path.join(shared, name), good)
            r = run_probe([probe, "one"], probe_env(shared))
            checks.check(origin(r) == "built"
                         and one_warning(r, f"cache directory {shared}", "writable by group or "
                                         "others", "disk cache off")
                         and listing(shared) == [name] and read(os.path.join(shared, name)) == good,
                         f"directory mode {dir_mode:o}: refused with one warning "
                         f"({warnings(r)}), program=built, nothing written or read")
            if dir_mode == 0o777:
                env = probe_env(shared)
                del env["GEMM590_VERBOSE"]
                r = run_probe([probe, "mix"], env)
                checks.check(r.rc == 0 and r.counters() == (4, 0, 4) and len(r.lines) == 1
                             and one_warning(r, shared) and listing(shared) == [name],
                             f"not verbose, 4 calls: right results, one line on "
                             f"stderr: {r.lines}")
            shutil.rmtree(shared)

        if ROOT:
            foreign = os.path.join(tmp, "foreign")
            os.makedirs(foreign, mode=0o700)
            write(os.path.join(foreign, name), good)
            os.chown(os.path.join(foreign, name), OTHER_UID, -1)
            os.chown(foreign, OTHER_UID, -1)
            r = run_probe([probe, "one"], probe_env(foreign))
            checks.check(origin(r) == "built"
                         and one_warning(r, f"cache directory {foreign}",
                                         f"owned by uid {OTHER_UID}", "disk cache off")
                         and listing(foreign) == [name],
                         f"directory of uid {OTHER_UID}: refused with one warning "
                         f"({warnings(r)}), program=built, nothing written or read")
        else:
            print("skip another user's directory: needs root to chown")

        # 3. Cache files others could have written, or a link.
        def replaced(what, r, reason):
            rebuilt = origin(r) == "built" and one_warning(r, f"cache file {path} is", reason,
                                                           "ignored")
            now_ok = valid_file(path, key)
            loaded = origin(run_probe([probe, "one"], probe_env(cache), quiet=True)) == "disk"
            checks.check(rebuilt and now_ok and loaded and listing(cache) == [name],
                         f"{what}: ignored with a warning ({warnings(r)}), program=built, "
                         f"replaced by a private valid file ({now_ok}), then loaded ({loaded})")

        if ROOT:
            os.chown(path, OTHER_UID, -1)
            replaced(f"cache file of uid {OTHER_UID}", run_probe([probe, "one"], probe_env(cache)),
                     f"owned by uid {OTHER_UID}")
        else:
            print("skip another user's cache file: needs root to chown")
        os.chmod(path, 0o666)
        replaced("cache file of mode 666", run_probe([probe, "one"], probe_env(cache)),
                 "writable by group or others")

        elsewhere = os.path.join(tmp, "elsewhere.bin")
        write(elsewhere, good)
        os.chmod(elsewhere, 0o600)
        os.unlink(path)
        os.symlink(elsewhere, path)
        r = run_probe([probe, "one"], probe_env(cache))
        checks.check(read(elsewhere) == good and not os.path.islink(path),
                     "link at the cache file name: its target untouched, the link replaced")
        replaced("link to a valid binary at the cache file name", r, "a symbolic link")

        # 4. A link where the library used to write its temporary file.
        precious = os.path.join(tmp, "precious.txt")
        write(precious, b"precious\n")
        os.unlink(path)
        planted = []

        def plant():
            # In the child, before exec: the probe's own pid.
            link = f"{path}.tmp.{os.getpid()}"
            os.symlink(precious, link)
            planted.append(link)

        proc = subprocess.run([probe, "one"], env=probe_env(cache), preexec_fn=plant,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        r = Run(proc)
        links = [f for f in listing(cache) if os.path.islink(os.path.join(cache, f))]
        checks.check(origin(r) == "built" and read(precious) == b"precious\n"
                     and len(links) == 1 and links[0].startswith(name + ".tmp.")
                     and os.readlink(os.path.join(cache, links[0])) == precious
                     and sorted(listing(cache)) == sorted([name, links[0]])
                     and valid_file(path, key),
                     f"link planted at {name}.tmp.<pid>: not followed (target intact), not "
                     f"removed ({links}), the file written beside it ({listing(cache)})")
        for link in links:
            os.unlink(os.path.join(cache, link))

        # 5. The decision table, named or in the cache directory.
        tables = os.path.join(tmp, "tables")
        os.makedirs(tables)
        named = os.path.join(tables, "mine.txt")
        write(named, TABLE.encode())
        r, where = table_run(probe, GEMM590_TABLE=named, GEMM590_CACHE_DIR="off")
        checks.check(where == "device user-table" and not warnings(r),
                     f"GEMM590_TABLE elsewhere, mode 644: used ({where})")
        refusals = [("mode 664", lambda: os.chmod(named, 0o664), named,
                     "writable by group or others")]
        if ROOT:
            refusals.append((f"owned by uid {OTHER_UID}", lambda: os.chown(named, OTHER_UID, -1),
                             named, f"owned by uid {OTHER_UID}"))
        else:
            print("skip another user's table file: needs root to chown")
        link = os.path.join(tables, "link.txt")
        refusals.append(("a symbolic link to a good table", lambda: os.symlink(named, link), link,
                         "a symbolic link"))
        for what, spoil, given, reason in refusals:
            write(named, TABLE.encode())
            os.chmod(named, 0o644)
            spoil()
            r, where = table_run(probe, GEMM590_TABLE=given, GEMM590_CACHE_DIR="off")
            checks.check(where == "host" and one_warning(r, f"table file {given}", reason,
                                                         "using the embedded table"),
                         f"GEMM590_TABLE {what}: refused with one warning ({warnings(r)}), "
                         f"embedded table ({where})")
            os.unlink(named)

        in_cache = os.path.join(tmp, "table-cache")
        os.makedirs(in_cache, mode=0o700)
        table_txt = os.path.join(in_cache, "table.txt")
        write(table_txt, TABLE.encode())
        r, where = table_run(probe, GEMM590_CACHE_DIR=in_cache)
        checks.check(where == "device user-table" and not warnings(r),
                     f"table.txt in a private cache directory: used ({where})")
        if ROOT:
            os.chown(table_txt, OTHER_UID, -1)
            r, where = table_run(probe, GEMM590_CACHE_DIR=in_cache)
            checks.check(where == "host" and one_warning(r, f"table file {table_txt}",
                                                         f"owned by uid {OTHER_UID}"),
                         f"table.txt of uid {OTHER_UID}: refused with one warning "
                         f"({warnings(r)}), embedded table ({where})")
            os.chown(table_txt, os.geteuid(), -1)
        os.chmod(in_cache, 0o777)
        r, where = table_run(probe, GEMM590_CACHE_DIR=in_cache)
        checks.check(where == "host" and one_warning(r, f"cache directory {in_cache}",
                                                     "writable by group or others"),
                     f"table.txt in a world-writable directory: not read, one warning "
                     f"({warnings(r)}), embedded table ({where})")
    checks.finish()


if __name__ == "__main__":
    main()
