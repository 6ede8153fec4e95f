#!/usr/bin/env python3
"""Instruction counts per operation under callgrind (make bench-instr). See bench/README.md.

    bench/instr.py BINDIR compare    count, write BINDIR/instr.json, compare with the baseline:
                                     exit 1 when an operation grew by more than the tolerance
    bench/instr.py BINDIR write      count and rewrite the baseline (make bench-instr-baseline)

Environment: INSTR_M (operations per kind, default 40), INSTR_WARMUP (relay warm-up creates,
default 200), INSTR_RUNS (runs; with more than one, each figure is the median and the spread
(max-min)/min is printed), INSTR_CFLAGS (the CFLAGS of the build, recorded),
INSTR_BASELINE (default bench/instr-baseline.json), INSTR_TOLERANCE (default 10, percent).

BINDIR/instr_relay and BINDIR/instr_sdk bracket each measured batch of M operations with
CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("<op>:<M>"); every dump file's "totals:" line
(all threads: the relay's SQLite writer thread included) divided by M is the figure.
"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

TOLERANCE = float(os.environ.get("INSTR_TOLERANCE", "10"))
# When the compiler or a library differs from the baseline's, counts move for reasons that are
# not this code's: the comparison still runs, with this wider tolerance, and says so.
FOREIGN_TOLERANCE = 25.0


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def environment():
    pkgs = {}
    for p in ("libsqlite3-0", "libsodium23", "libssl3", "libcjson1", "libc6"):
        # One line per installed architecture (amd64, i386...): each distinct version once.
        v = ",".join(sorted(set(sh("dpkg-query -W -f='${Version}\\n' %s 2>/dev/null" % p)
                                .split())))
        if v:
            pkgs[p] = v
    cc = os.environ.get("CC", "cc")
    return {
        "cc": sh("%s --version 2>/dev/null | head -1" % cc),
        "cflags": os.environ.get("INSTR_CFLAGS", "-O2 -g"),
        "sqlite3": sh("pkg-config --modversion sqlite3"),
        "libsodium": sh("pkg-config --modversion libsodium"),
        "openssl": sh("pkg-config --modversion libcrypto"),
        "valgrind": sh("valgrind --version"),
        "packages": pkgs,
    }


# What decides comparability; the rest is recorded for the reader.
TOOLCHAIN_KEYS = ("cc", "sqlite3", "libsodium", "openssl", "valgrind", "packages")


PREFIX = "desc: Trigger: Client Request: "


def run_once(bindir, m, warmup):
    ops = {}
    tmp = tempfile.mkdtemp(prefix="instr.")
    try:
        for prog, args in (("instr_relay", [str(warmup), str(m)]), ("instr_sdk", [str(m)])):
            out = os.path.join(tmp, prog + ".out")
            r = subprocess.run(["valgrind", "--tool=callgrind", "--dump-line=no",
                                "--callgrind-out-file=" + out,
                                os.path.join(bindir, prog)] + args,
                               capture_output=True, text=True, check=False)
            if r.returncode != 0:
                sys.stderr.write(r.stdout + r.stderr)
                sys.exit("bench-instr: %s failed under callgrind (exit %d)" % (prog, r.returncode))
            group = "relay" if prog == "instr_relay" else "sdk"
            for f in glob.glob(out + ".*"):
                label = total = None
                with open(f, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        if line.startswith(PREFIX):
                            label = line[len(PREFIX):].strip()
                        elif line.startswith("totals: "):
                            total = int(line.split()[1])
                if label is None or total is None or ":" not in label:
                    continue
                op, n = label.rsplit(":", 1)
                ops["%s.%s" % (group, op)] = total / int(n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not ops:
        sys.exit("bench-instr: no counts (callgrind dumps missing)")
    return ops


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("compare", "write"):
        sys.exit(__doc__)
    bindir, mode = sys.argv[1], sys.argv[2]
    if shutil.which("valgrind") is None:
        sys.exit("bench-instr: valgrind is not installed (Debian package valgrind)")
    m = int(os.environ.get("INSTR_M", "40"))
    warmup = int(os.environ.get("INSTR_WARMUP", "200"))
    runs = max(1, int(os.environ.get("INSTR_RUNS", "1")))
    baseline_path = os.environ.get("INSTR_BASELINE", "bench/instr-baseline.json")

    samples = [run_once(bindir, m, warmup) for _ in range(runs)]
    names = sorted(samples[0])
    now = {n: round(statistics.median(s[n] for s in samples)) for n in names}
    spread = {n: (max(s[n] for s in samples) - min(s[n] for s in samples)) /
              min(s[n] for s in samples) * 100 for n in names}
    env = environment()
    doc = {
        "about": "Instructions per operation (callgrind Ir, all threads), make bench-instr; "
                 "rewrite with make bench-instr-baseline",
        "m": m, "warmup": warmup, "runs": runs, "env": env, "ops": now,
    }
    with open(os.path.join(bindir, "instr.json"), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, sort_keys=True)
        fh.write("\n")
    if runs > 1:
        print("bench-instr: spread over %d runs, (max-min)/min:" % runs)
        for n in names:
            print("  %-36s %6.2f%%" % (n, spread[n]))

    if mode == "write":
        with open(baseline_path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, sort_keys=True)
            fh.write("\n")
        print("bench-instr: wrote %s (%d operations, M=%d)" % (baseline_path, len(names), m))
        return 0

    try:
        with open(baseline_path, encoding="utf-8") as fh:
            base = json.load(fh)
    except (OSError, ValueError) as e:
        sys.exit("bench-instr: cannot read %s (%s); make bench-instr-baseline writes it"
                 % (baseline_path, e))
    benv = base.get("env", {})
    tol = TOLERANCE
    differs = [k for k in TOOLCHAIN_KEYS if benv.get(k) != env.get(k)]
    if differs:
        tol = max(TOLERANCE, FOREIGN_TOLERANCE)
        print("bench-instr: WARNING: this machine differs from the baseline's in %s; "
              "comparing with a %.0f%% tolerance instead of %.0f%%" % (", ".join(differs), tol,
                                                                      TOLERANCE))
        for k in differs:
            print("  %s: baseline %r, now %r" % (k, benv.get(k), env.get(k)))
    cflags_differ = benv.get("cflags") != env.get("cflags")
    if cflags_differ:
        print("bench-instr: WARNING: built with CFLAGS %r, the baseline with %r: the counts are "
              "not comparable; the table is for information and nothing fails"
              % (env.get("cflags"), benv.get("cflags")))

    bops = base.get("ops", {})
    failed = []
    print("%-36s %12s %12s %9s" % ("operation", "baseline", "now", "change"))
    for n in sorted(set(names) | set(bops)):
        b, v = bops.get(n), now.get(n)
        if b is None or v is None:
            print("%-36s %12s %12s %9s" % (n, b if b is not None else "-",
                                           v if v is not None else "-", "new" if b is None
                                           else "gone"))
            continue
        pct = (v - b) / b * 100 if b else 0.0
        mark = ""
        if pct > tol:
            mark = "  <-- over +%.0f%%" % tol
            failed.append(n)
        elif pct < -tol:
            mark = "  (faster: make bench-instr-baseline to lock it in)"
        print("%-36s %12d %12d %+8.1f%%%s" % (n, b, v, pct, mark))
    if failed and not cflags_differ:
        print("bench-instr: FAILED: %s grew by more than %.0f%% over %s. If the cost is "
              "intended, run make bench-instr-baseline and commit the new baseline with the "
              "change." % (", ".join(failed), tol, baseline_path))
        return 1
    print("bench-instr: ok (%d operations within +%.0f%% of %s)" % (len(names), tol,
                                                                    baseline_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
