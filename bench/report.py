#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR OUT_DIR README: merge the per-part JSON files that bench/run.sh
wrote into OUT_DIR/<date>.json, render OUT_DIR/<date>.md, and replace the results section of
README (between the <!-- results:begin --> and <!-- results:end --> markers)."""
import datetime
import glob
import json
import os
import sys


def load(rdir):
    if rdir.endswith(".json"):      # re-render from a merged results file
        with open(rdir) as f:
            data = json.load(f)
        data.pop("date", None)
        return data
    data = {}
    for path in sorted(glob.glob(os.path.join(rdir, "*.json"))):
        with open(path) as f:
            data[os.path.basename(path)[:-5]] = json.load(f)
    return data


def f0(x):
    return f"{x:,.0f}"


def relay_table(d):
    rows = [("Ceiling: GET, fixed 200", "ceiling_get", None, 1),
            ("Ceiling: POST with a create-sized body", "ceiling_post", None, 1),
            ("CreateMailbox (durable, synchronous=FULL)", "create", "ceiling_post", 1),
            ("Secure read (ReadSecureContent)", "read", "ceiling_post", 1),
            ("Full stateless transfer (create+read+delete)", "transfer", "ceiling_post", 3),
            ("Preview GET (HTML)", "preview", "ceiling_get", 1)]
    out = ["| Operation | per s | requests/s | ratio to ceiling | p50 / p99 ms at 50% | "
           "p50 / p99 ms at 90% | p50 / p99 ms saturated |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for label, key, ceil, per in rows:
        sat = d.get(key + "_sat")
        if sat is None:
            continue
        ratio = "1.00" if ceil is None else f"{sat['req_per_s'] / d[ceil + '_sat']['req_per_s']:.2f}"
        lat = []
        for p in ("50", "90"):
            r = d.get(f"{key}_{p}")
            lat.append(f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f} ({f0(r['req_per_s'])}/s)" if r else "-")
        errs = sum(sat["errors"].values())
        out.append(f"| {label} | {f0(sat['req_per_s'] / per)} | {f0(sat['req_per_s'])} | {ratio} | "
                   f"{lat[0]} | {lat[1]} | {sat['p50_ms']:.2f} / {sat['p99_ms']:.2f}"
                   f"{' (' + str(errs) + ' errors)' if errs else ''} |")
    c64 = d.get("create_threads64_sat")
    if c64:
        out.append(f"| CreateMailbox, relay `--threads 64`, 64 connections | {f0(c64['req_per_s'])} | "
                   f"{f0(c64['req_per_s'])} | {c64['req_per_s'] / d['ceiling_post_sat']['req_per_s']:.2f} | "
                   f"- | - | {c64['p50_ms']:.2f} / {c64['p99_ms']:.2f} |")
    return out


def store_table(d):
    base = d["store_0"]["rss_kib"]
    out = ["| Live mailboxes | fill creates/s (store API, 64 threads) | on-disk bytes per mailbox | "
           "relay RSS MiB (warmed) | RSS beyond an empty relay, bytes per mailbox | "
           "store read p50 / p99 µs | HTTPS secure reads/s, p50 / p99 ms (3 s warm-up run) |",
           "|---:|---:|---:|---:|---:|---:|---:|"]
    sizes = sorted(int(k.split("_")[1]) for k in d if k.startswith("store_") and k != "store_0")
    for n in sizes:
        s, fill, rd = d[f"store_{n}"], d[f"fill_{n}"], d[f"storeread_{n}"]
        extra = max(0, s["rss_kib"] - base) * 1024 / n
        out.append(f"| {f0(n)} | {f0(fill['creates_per_s'])} | {s['disk_bytes'] / n:,.0f} | "
                   f"{s['rss_kib'] / 1024:.1f} | {extra:,.1f} | {rd['p50_us']:.1f} / {rd['p99_us']:.1f} | "
                   + (f"{f0(w['req_per_s'])}, {w['p50_ms']:.2f} / {w['p99_ms']:.2f} |"
                      if (w := d.get(f"warm_{n}")) else "- |"))
    out.append(f"\nEmpty-store relay RSS after warming: {base / 1024:.1f} MiB. "
               f"Sweep of {f0(d['sweep']['removed'])} expired mailboxes: {d['sweep']['seconds']:.2f} s.")
    return out


def e2e_table(d):
    out = ["| End to end | stateless | stateful |", "|---|---:|---:|",
           f"| CLI, one process per step (hyperfine median, ms) | {d['cli_stateless']['median_ms']:.1f} | "
           f"{d['cli_stateful']['median_ms']:.1f} |",
           f"| SDK in-process, both devices (median, ms) | {d['sdk_e2e']['stateless_ms']:.1f} | "
           f"{d['sdk_e2e']['stateful_ms']:.1f} |", "",
           "| SDK client threads | stateless transfers/s | failed |", "|---:|---:|---:|"]
    for n in (1, 8, 64):
        t = d.get(f"sdk_threads_{n}")
        if t:
            out.append(f"| {n} | {t['transfers_per_s']:.1f} | {t['failed']} |")
    return out


def sdk_table(d):
    c, s = d["sdk_cost"], d["lib_size"]
    out = ["| SDK cost per stateless transfer (both devices) | value |", "|---|---:|",
           f"| heap bytes allocated through the hooks | {f0(c['heap_bytes_per_transfer'])} |",
           f"| allocations | {c['allocs_per_transfer']:.0f} |",
           f"| heap peak (live bytes above the start) | {f0(c['heap_peak_bytes'])} |",
           f"| CPU time, µs | {c['cpu_us_per_transfer']:.0f} |",
           f"| wall time, µs | {c['wall_us_per_transfer']:.0f} |",
           f"| libtigress.so.1 size, stripped (unstripped -O2 -g) | {f0(s['stripped_bytes'])} "
           f"({f0(s['bytes'])}) |", "",
           "| Payload type | bytes | seal ns | raw ns | seal ratio | open ns | raw ns | open ratio |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in d["crypto"]:
        out.append(f"| {r['type']} | {r['bytes']} | {f0(r['seal_ns'])} | {f0(r['raw_seal_ns'])} | "
                   f"{r['seal_ratio']:.2f} | {f0(r['open_ns'])} | {f0(r['raw_open_ns'])} | "
                   f"{r['open_ratio']:.2f} |")
    return out


def targets(d):
    cp = d["ceiling_post_sat"]["req_per_s"]
    reads = d["read_sat"]["req_per_s"] / cp
    creates = d["create_sat"]["req_per_s"] / cp
    k1 = [r for r in d["crypto"] if r["bytes"] == 1024]
    env = max(max(r["seal_ratio"], r["open_ratio"]) for r in k1)
    peak = d["sdk_cost"]["heap_peak_bytes"]
    big = max(int(k.split("_")[1]) for k in d if k.startswith("store_") and k != "store_0")
    mem = max(0, d[f"store_{big}"]["rss_kib"] - d["store_0"]["rss_kib"]) * 1024 / big

    def row(name, value, ok):
        return f"| {name} | {value} | {'met' if ok else '**missed**'} |"
    return ["| Target | measured | |", "|---|---:|---|",
            row("Secure reads >= 75% of the ceiling", f"{reads:.0%}", reads >= 0.75),
            row("Durable creates >= 40% of the ceiling", f"{creates:.0%}", creates >= 0.4),
            row("SDK envelope <= 1.2x raw at 1 KiB (worst of seal/open, 3 types)", f"{env:.2f}x",
                env <= 1.2),
            row("Heap peak per transfer <= 64 KiB", f"{peak / 1024:.1f} KiB", peak <= 65536),
            row(f"Relay memory per live mailbox <= 2 KiB (at {big:,})", f"{mem:,.1f} B", mem <= 2048)] + (
        [row("Acknowledged creates present after kill -9 and restart",
             f"{d['durability']['acked'] - d['durability']['lost_after_kill9']} of "
             f"{d['durability']['acked']}",
             d['durability']['acked'] > 0 and d['durability']['lost_after_kill9'] == 0)]
        if "durability" in d else [])


def main():
    rdir, outdir, readme = sys.argv[1:4]
    d = load(rdir)
    m = d["machine"]
    date = datetime.datetime.utcnow().strftime("%Y-%m-%d")
    if rdir.endswith(".json"):
        date = os.path.basename(rdir)[:-5]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, date + ".json"), "w") as f:
        json.dump({"date": date, **d}, f, indent=1, sort_keys=True)
        f.write("\n")
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    head = [f"Run {date} (commit {m['commit']}): {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, "
            f"{m['os']}. Load average at start {m['loadavg_start']}, at end {d['run']['loadavg_end']}; "
            f"{d['run']['seconds']} s in all; largest store {m['scale']:,}"
            f"{' (QUICK run: not representative)' if m['quick'] else ''}.", "", f"Packages: {pk}.", ""]
    body = (head + ["### Targets", ""] + targets(d) + ["", "### Relay over HTTPS (wrk, keep-alive)", ""]
            + relay_table(d) + ["", "### Store scale", ""] + store_table(d)
            + ["", "### End to end", ""] + e2e_table(d) + ["", "### SDK cost", ""] + sdk_table(d))
    text = "\n".join(body) + "\n"
    with open(os.path.join(outdir, date + ".md"), "w") as f:
        f.write(f"# libtigress benchmark results, {date}\n\n" + text)
    with open(readme) as f:
        old = f.read()
    b, e = "<!-- results:begin -->", "<!-- results:end -->"
    if b in old and e in old:
        new = old[:old.index(b) + len(b)] + "\n" + text + old[old.index(e):]
        with open(readme, "w") as f:
            f.write(new)
    print(f"bench: wrote {outdir}/{date}.json, {outdir}/{date}.md and the table in {readme}")


if __name__ == "__main__":
    main()
