#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/aggregate.py: turn the guests' records (BUILDDIR/vm-results/bench-*)
into docs/benchmarks.md and the data files bench/plot.gp draws. Run by
bench/run; by hand: bench/run -A (aggregate only)."""

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys

SCENARIOS = [
    ("fast", "Fast runaway",
     "One `og-hog --step-mb 16 --period-ms 0` (as fast as the guest allocates: "
     "~1-2 GB/s until reclaim starts) in `system.slice/bench-hog.service`. "
     "Right victim: the hog."),
    ("slow", "Slow leak",
     "A steady 300 MB process (`og-hog --cap-mb 300`, the *ballast*, in "
     "`system.slice/bench-ballast.service`, allocated before the episode starts) and a leak "
     "`og-hog --step-mb 2 --period-ms 100` (~20 MB/s) in `system.slice/bench-leak.service`. The "
     "ballast halves the time to fill the guest (~25 s instead of ~45 s) and makes the choice "
     "real: when memory runs out the leak (~450 MB) is the bigger process and the one growing. "
     "Right victim: the leak, and nothing else. *Hog MB* is leak + ballast at the first death."),
    ("storm", "Fork storm (many small allocators)",
     "40 `og-hog --step-mb 5 --period-ms 20 --cap-mb 25` started 20 ms apart in "
     "`system.slice/bench-storm.service`: 1000 MB in all, more than the guest has, "
     "so some must die. The episode ends when every survivor holds its 25 MB and "
     "nobody died for 2 s (at most 40 s). Right victim: any allocator, nothing "
     "else. *Hog MB* is the allocators' total at the first death; *kills* counts "
     "every allocator that died."),
    ("thrash", "Page-cache thrash (MemAvailable stays above 10%)",
     "A pinner takes anonymous memory until ~250 MB stay available; then four "
     "readers `og-hog --file` mmap four 128 MB files of the host (the guest's "
     "read-only 9p root with `cache=loose`: real, reclaimable page cache whose "
     "every refault is a 9p read) and re-read them flat out for 15 s. The 512 MB "
     "working set does not fit in what is left, so the guest thrashes while "
     "MemAvailable stays well above 10% (lowest value per daemon below the "
     "table). tmpfs could not be used: it is shmem, not reclaimable cache. "
     "Right victim: the pinner or a reader, nothing else; *time to first kill* "
     "counts from the readers' start; *Hog MB* is pinner + reader windows."),
    ("shift", "Load shift (pressure spikes, no kill needed)",
     "Four bursts: an `og-hog --step-mb 64 --period-ms 0` up to MemAvailable = "
     "20% of MemTotal (the guest ~80% used), held 1 s, then ended by the script "
     "(not counted), 1.5 s apart. 256 MB of host files are read into the page cache first, so "
     "each burst must reclaim cache: that is the pressure. Right: nobody killed. *Hog MB* is the largest "
     "burst."),
    ("cgroup", "A cgroup hitting its memory.max",
     "One `og-hog --step-mb 4 --period-ms 40` (~100 MB/s) in "
     "`system.slice/bench-limited.service` with `memory.max=256M`; the rest of "
     "the guest has plenty. Right victim: the hog. *Kernel OOM* here is the "
     "cgroup OOM killer (`memory.events oom_kill`)."),
]
DAEMONS = ["none", "earlyoom", "oomd", "nohang", "oomguard"]
DAEMON_LABEL = {"none": "kernel only", "earlyoom": "earlyoom", "oomd": "oomd",
                "nohang": "nohang", "oomguard": "**oomguard**"}
# Scenarios where a kill is the right outcome (time to first kill matters).
KILL_WANTED = {"fast", "slow", "storm", "thrash", "cgroup"}


def load_runs(results):
    """{(scenario, daemon): [run records]}, each pair from the newest
    runs.jsonl that has it (a later bench/run -s X replaces only X)."""
    found = {}
    for f in glob.glob(os.path.join(results, "bench-*", "out", "runs.jsonl")):
        mt = os.path.getmtime(f)
        per = {}
        for line in open(f):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            r["_dir"] = os.path.dirname(os.path.dirname(f))
            per.setdefault((r["scenario"], r["daemon"]), []).append(r)
        for k, v in per.items():
            if k not in found or found[k][0] < mt:
                found[k] = (mt, v)
    return {k: v for k, (mt, v) in found.items()}


def load_costs(results):
    costs = {}
    files = glob.glob(os.path.join(results, "bench-*", "out", "cost.json"))
    for f in sorted(files, key=os.path.getmtime):
        try:
            c = json.load(open(f))
        except ValueError:
            continue
        if "ctxt" in c:
            costs[c["daemon"]] = c
    return costs


def load_hostload(path):
    """'== NAME: VERDICT in Ts (boot ..., host load A -> B)' lines of bench/run's log."""
    loads = {}
    if not os.path.exists(path):
        return loads
    for line in open(path):
        m = re.match(r"== (bench-\S+): \S+ in ([\d.]+)s .*host load ([\d.]+) -> ([\d.]+)", line)
        if m:
            loads[m.group(1)] = (float(m.group(2)), float(m.group(3)), float(m.group(4)))
    return loads


def fmt(v, nd=0):
    if v is None:
        return "–"
    if nd == 0:
        return str(int(round(v)))
    return f"{v:.{nd}f}"


def spread(vals, nd=0, scale=1.0):
    """'median (min–max)' of the non-None values, or '–'."""
    vals = [v * scale for v in vals if v is not None]
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med, nd)
    return f"{fmt(med, nd)} ({fmt(min(vals), nd)}–{fmt(max(vals), nd)})"


def med(vals, scale=1.0):
    vals = [v * scale for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def scenario_rows(runs, scen):
    rows = []
    for d in DAEMONS:
        rs = runs.get((scen, d))
        if not rs:
            continue
        n = len(rs)
        killed = [r["t_first_kill_ms"] for r in rs if r["t_first_kill_ms"] is not None]
        tfk = spread(killed)
        if len(killed) < n:
            tfk += f" [no kill in {n - len(killed)} of {n}]" if killed else " (no kill)"
        hb = [float(r["hb_max_ms"]) if r["hb_max_ms"] is not None else None for r in rs]
        rows.append({
            "daemon": d, "n": n,
            "tfk": tfk,
            "peak": spread([r["peak_mb"] for r in rs]),
            "some": spread([r["psi_some_us"] for r in rs], scale=1e-3),
            "full": spread([r["psi_full_us"] for r in rs], scale=1e-3),
            "hb": spread(hb),
            "right": f"{sum(1 for r in rs if r['right'])} of {n}",
            "kern": f"{sum(1 for r in rs if r['kernel_oom'])} of {n}",
            "kills": spread([r["kills"] for r in rs]),
            "m": {
                "tfk": med(killed) if len(killed) == n else None,
                "some": med([r["psi_some_us"] for r in rs], 1e-3),
                "full": med([r["psi_full_us"] for r in rs], 1e-3),
                "hb": med(hb),
                "right": sum(1 for r in rs if r["right"]) / n,
                "kern": sum(1 for r in rs if r["kernel_oom"]) / n,
                "kills": med([r["kills"] for r in rs]),
                "ranges": {
                    "tfk": (min(killed), max(killed)) if killed else None,
                    "some": (min(r["psi_some_us"] for r in rs) / 1e3, max(r["psi_some_us"] for r in rs) / 1e3),
                    "full": (min(r["psi_full_us"] for r in rs) / 1e3, max(r["psi_full_us"] for r in rs) / 1e3),
                    "hb": (min(h for h in hb if h is not None), max(h for h in hb if h is not None)) if any(h is not None for h in hb) else None,
                },
            },
            "runs": rs,
        })
    return rows


def samples_for_plot(runs, plotdir):
    """fast-DAEMON.dat: t (s from hog start), MemAvailable MB, PSI some and
    full as % of wall time over each ~100 ms sample pair, from run 1."""
    os.makedirs(plotdir, exist_ok=True)
    written = []
    for d in DAEMONS:
        rs = runs.get(("fast", d))
        if not rs:
            continue
        r = sorted(rs, key=lambda x: x["run"])[0]
        f = os.path.join(r["_dir"], "out", f"samples-fast-run{r['run']}.csv")
        if not os.path.exists(f):
            continue
        rows = []
        for line in open(f):
            p = line.strip().split(",")
            if len(p) != 6 or not p[0].isdigit():
                continue
            try:
                rows.append((int(p[0]), int(p[1]), int(p[4]), int(p[5])))
            except ValueError:
                continue
        t0 = r["t0_ms"]
        out = []
        for i in range(2, len(rows)):
            if rows[i][0] - rows[i - 1][0] > 250:
                out.append("")  # the sampler itself stalled: break the line
            t, m, s, fu = rows[i]
            tp, _, sp, fp = rows[i - 2]
            dt = (t - tp) * 1000.0
            if dt <= 0:
                continue
            ts = (t - t0) / 1000.0
            if ts < -1.0 or ts > 8.0:
                continue
            out.append(f"{ts:.3f} {m / 1024.0:.1f} {100.0 * (s - sp) / dt:.1f} {100.0 * (fu - fp) / dt:.1f}")
        kill = r["t_first_kill_ms"]
        with open(os.path.join(plotdir, f"fast-{d}.dat"), "w") as o:
            o.write(f"# {d} run {r['run']}: t_s memavail_mb psi_some_pct psi_full_pct; first kill at {kill} ms\n")
            o.write("\n".join(out) + "\n")
        written.append(d)
    with open(os.path.join(plotdir, "daemons.txt"), "w") as o:
        o.write(" ".join(written) + "\n")
    return written


def host_text(hostdir, name):
    f = os.path.join(hostdir, name)
    if not os.path.exists(f):
        return "(not run)"
    return open(f).read().rstrip()


def versions():
    out = {}
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n",
                            "earlyoom", "oomd", "nohang", "qemu-system-x86"],
                           capture_output=True, text=True, check=False)
        for line in p.stdout.splitlines():
            k, _, v = line.partition(" ")
            out[k] = v
    except OSError:
        pass
    return out


def losses(all_rows, costs):
    """Rows where another daemon's median beats oomguard's."""
    lines = []
    names = {"tfk": ("time to first kill", "ms"), "some": ("PSI some", "ms"),
             "full": ("PSI full", "ms"), "hb": ("heartbeat max", "ms")}
    for scen, title, _ in SCENARIOS:
        rows = {r["daemon"]: r for r in all_rows.get(scen, [])}
        og = rows.get("oomguard")
        if not og:
            continue
        for key, (label, unit) in names.items():
            if key == "tfk" and scen not in KILL_WANTED:
                continue
            ov = og["m"][key]
            better = []
            for d, r in rows.items():
                if d == "oomguard":
                    continue
                v = r["m"][key]
                if v is None:
                    continue
                if key == "tfk" and r["m"]["right"] < og["m"]["right"]:
                    continue  # a faster wrong kill is no win
                if ov is None or v < ov * 0.9 - (1 if key != "tfk" else 0):
                    rng_o = og["m"]["ranges"].get(key)
                    rng_d = r["m"]["ranges"].get(key)
                    overlap = (rng_o and rng_d and rng_d[1] >= rng_o[0])
                    better.append(f"{d} {fmt(v)} {unit}" + (" (ranges overlap)" if overlap else ""))
            if better:
                lines.append(f"- **{title}, {label}**: oomguard {fmt(ov) if ov is not None else 'no kill in some runs'}"
                             f"{' ' + unit if ov is not None else ''} vs " + "; ".join(better) + ".")
        ogr = og["m"]["right"]
        best = [(d, r["m"]["right"]) for d, r in rows.items() if d != "oomguard" and r["m"]["right"] > ogr]
        if best:
            lines.append(f"- **{title}, right victim**: oomguard {og['right']} vs "
                         + "; ".join(f"{d} {rows[d]['right']}" for d, _ in best) + ".")
        if scen in KILL_WANTED and ogr < 1 and not best:
            others = max((r["m"]["right"] for d, r in rows.items() if d != "oomguard"), default=0)
            lines.append(f"- **{title}, right victim**: oomguard {og['right']}"
                         + (" (no daemon did better: none of them acted)" if others == 0 else "") + ".")
        if og["m"]["kern"] > 0:
            lines.append(f"- **{title}, kernel OOM**: fired in {og['kern']} runs with oomguard.")
        if scen == "storm":
            bk = [(d, r["m"]["kills"]) for d, r in rows.items()
                  if d != "oomguard" and r["m"]["kills"] is not None and og["m"]["kills"] is not None
                  and r["m"]["kills"] < og["m"]["kills"] and r["m"]["right"] >= og["m"]["right"]]
            if bk:
                lines.append(f"- **{title}, kills**: oomguard {fmt(og['m']['kills'])} vs "
                             + "; ".join(f"{d} {fmt(k)}" for d, k in bk) + " (fewer allocators killed).")
    og = costs.get("oomguard")
    if og:
        for key, label in (("wake", "wakeups/min"), ("cpu", "CPU ms/min"), ("rss", "RSS MB")):
            better = [f"{d} {fmt(c[key], 1)}" for d, c in costs.items()
                      if d != "oomguard" and c[key] < og[key] * 0.9]
            if better:
                lines.append(f"- **Idle cost, {label}**: oomguard {fmt(og[key], 1)} vs " + "; ".join(better) + ".")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--plotdir", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--log", default=None)
    a = ap.parse_args()

    runs = load_runs(a.results)
    costs = load_costs(a.results)
    for c in costs.values():
        w = c["window_ms"] / 60000.0
        c["wake"] = c["ctxt"] / w
        c["cpu"] = c["cpu_ms"] / w
        c["rss"] = c["rss_kb"] / 1024.0
    loads = load_hostload(a.log) if a.log else {}
    plotted = samples_for_plot(runs, a.plotdir)
    ver = versions()
    nruns = sorted({len(v) for v in runs.values()})

    o = []
    w = o.append
    w("# Benchmarks: oomguard side by side with earlyoom, oomd, nohang and the kernel")
    w("")
    w("Generated by `bench/run` (do not edit by hand: rerun it). Everything here, tables and plot, "
      "comes from one command:")
    w("")
    w("```sh")
    w("bench/run            # all scenarios x all daemons, 5 runs each, then this file and the plot")
    w("bench/run -n 1 -s fast -d oomguard -d earlyoom   # a quick look")
    w("bench/run -A         # only re-aggregate what build-bench/vm-results holds")
    w("```")
    w("")
    w(f"Runs per scenario and daemon in this file: {', '.join(map(str, nruns)) or 'none'}. "
      "Each cell is *median (min–max)* over those runs.")
    if nruns and max(nruns) < 5:
        w("")
        w(f"**This file was made with `-n {max(nruns)}`, not the default 5** (on this shared 2-core host "
          "the 2-run set took 31 min of VM time, so the full 5-run set takes about 70 min and `-n 3` "
          "about 45 min; that did not fit the time available); with so few "
          "runs a single outlier moves a median. `bench/run` with no options does the full set.")
    w("")
    w("## Setup")
    w("")
    w("- Every episode runs in a `tests/vm` guest: Debian's kernel 6.1 under QEMU TCG (no KVM), "
      "1 GiB RAM, 2 vCPUs, no swap, cgroup v2, PSI on, the host's root shared read-only over 9p. "
      "One boot per daemon runs every scenario (cost first, in the idle guest), and before each run the "
      "guest is put back to the same state for every daemon: `sync`, `drop_caches`, `dmesg -C`, a "
      "freshly started daemon, a fresh heartbeat; after it the workload cgroups are emptied with "
      "`cgroup.kill` and the daemon is stopped.")
    w("- The guest has no systemd, so each daemon runs in the foreground exactly as its Debian unit "
      "starts it, in `system.slice/bench-daemon.service`, with no extra oom_score_adj for anybody:")
    w(f"  - *kernel only*: no daemon, the kernel's OOM killer ({ver.get('qemu-system-x86', '?')} qemu).")
    w(f"  - earlyoom {ver.get('earlyoom', '?')}: `earlyoom $EARLYOOM_ARGS` from `/etc/default/earlyoom` "
      "(Debian ships `-r 3600`), i.e. SIGTERM at 10% MemAvailable+SwapFree, SIGKILL at 5%.")
    w(f"  - oomd {ver.get('oomd', '?')}: `oomd --config /etc/oomd/oomd.json --cgroup-fs /sys/fs/cgroup`, "
      "the shipped config. It acts only on cgroups: memory pressure above 60% for 30 s in `user.slice` "
      "or above 80% for 60 s in `system.slice` (each also gated by its `memory_reclaim` detector "
      "over 10 s), or swap below 10% (there is no swap: that rule never fires), killing the biggest/fastest-growing cgroup "
      "among `system.slice/*` and user sessions. To let that config see the workload, **every "
      "workload runs in its own `system.slice/bench-*.service` cgroup, for every daemon alike** "
      "(the heartbeat and sampler in `system.slice/bench-probe.service`). Its thresholds are "
      "sustained-pressure ones (30–60 s): in episodes of a few seconds it cannot act, which is what "
      "its shipped config means on such a machine, not a harness fault.")
    w(f"  - nohang {ver.get('nohang', '?')}: `nohang --monitor --config /etc/nohang/nohang.conf`, the "
      "shipped config (soft threshold 5% MemAvailable, hard 2%, PSI checking off, fill-rate "
      "prediction on). It is Python: it pays the interpreter in RSS and start time.")
    w("  - **oomguard**: `build-bench/oomguard` with no arguments (built-in default policy: SIGTERM at "
      "10%, SIGKILL at 5%, fill-rate prediction, PSI full >= 40% over 5 s, and the page-cache "
      "thrash trigger: PSI full >= 15% over 5 s while the file pages refaulted reach the size of "
      "the file LRU).")
    w("- Probes, the same for every daemon: `og-heartbeat` (wakes every 10 ms, touches 8 MB, records "
      "its longest lateness) and a fork-free bash sampler writing MemAvailable and "
      "`/proc/pressure/memory` every 50 ms to a CSV.")
    w("- The guest's clock follows the host's. This host has 2 cores and is shared: other jobs stretch "
      "guest timings (boot, allocation rate, stalls). Compare medians, look at the spread, and rerun "
      "on an idle machine for numbers to quote.")
    if loads:
        ls = [v[1] for v in loads.values()] + [v[2] for v in loads.values()]
        w(f"- Host load average (2 cores) at the start → end of each VM: "
          + ", ".join(f"{n[len('bench-'):]} {v[1]:.1f} → {v[2]:.1f} ({v[0]:.0f} s)"
                      for n, v in sorted(loads.items())) + " (from `build-bench/bench-vm.log`; "
          "a pair rerun later replaces the earlier one, the last line per VM counts).")
    w("")
    w("## Metrics")
    w("")
    w("| column | meaning |")
    w("|---|---|")
    w("| time to first kill | ms from the workload's start to the first death of a workload process, by "
      "anyone (daemon or kernel), measured with bash `wait -n` in the guest |")
    w("| hog MB | what the workload had allocated (og-hog `--report`) when it first lost a process |")
    w("| PSI some / full | growth of `/proc/pressure/memory` `total=` over the episode (workload start "
      "to 1 s after its end), in ms of stall |")
    w("| heartbeat max | longest lateness of the 10 ms heartbeat over the episode, ms |")
    w("| right victim | runs in which the right process died and nothing else did (defined per "
      "scenario; for the load shift: nobody died) |")
    w("| kernel OOM | runs in which the kernel's (or a cgroup's) OOM killer fired (`invoked oom-killer` in dmesg) |")
    w("| kills | processes that died: workload processes killed (not by the script) plus any "
      "probe or daemon that died |")
    w("")

    all_rows = {}
    for scen, title, desc in SCENARIOS:
        rows = scenario_rows(runs, scen)
        all_rows[scen] = rows
        w(f"## {title}")
        w("")
        w(desc)
        w("")
        if not rows:
            w("(not run)")
            w("")
            continue
        w("| daemon | runs | time to first kill ms | hog MB | PSI some ms | PSI full ms | heartbeat max ms | right victim | kernel OOM | kills |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            w(f"| {DAEMON_LABEL[r['daemon']]} | {r['n']} | {r['tfk']} | {r['peak']} | {r['some']} | "
              f"{r['full']} | {r['hb']} | {r['right']} | {r['kern']} | {r['kills']} |")
        w("")
        if scen == "thrash":
            parts = []
            for r in rows:
                mins = [x["extra"].get("memavail_min_kb") for x in r["runs"]]
                tots = [x["extra"].get("memtotal_kb") for x in r["runs"]]
                pct = [100.0 * m / t for m, t in zip(mins, tots) if m and t]
                if pct:
                    parts.append(f"{r['daemon']} {min(pct):.0f}%")
            if parts:
                w("Lowest MemAvailable during the thrash (% of MemTotal, lowest over the runs): "
                  + ", ".join(parts) + ".")
                w("")
            # oomguard's runs without a kill: was the stall memory pressure at all?
            og = [r for r in rows if r["daemon"] == "oomguard"]
            quiet = [x for x in (og[0]["runs"] if og else []) if not x.get("kills")]
            if quiet:
                # A run without a kill lasts the whole 15 s of readers + 1 s.
                w("oomguard's thrash trigger did not fire in " + "; ".join(
                    f"run {x['run']}: PSI full {x['psi_full_us'] / 1000:.0f} ms over the 16 s "
                    f"episode ({x['psi_full_us'] / 160000:.0f}%, under the trigger's 15%), "
                    f"heartbeat max {x['hb_max_ms']:.0f} ms" for x in quiet)
                  + ". A long heartbeat stall with so little memory stall is the whole guest "
                  "stalled (the host, or its 9p server), not reclaim; the kernel-only runs, with "
                  "nobody acting, stalled " + next((r["full"] for r in rows if r["daemon"] == "none"), "?")
                  + " ms.")
                w("")
        if scen == "storm":
            parts = []
            for r in rows:
                sv = [x["extra"].get("survivors") for x in r["runs"] if "survivors" in x["extra"]]
                if sv:
                    parts.append(f"{r['daemon']} {spread(sv)}")
            if parts:
                w("Allocators alive at the end (of 40): " + ", ".join(parts) + ".")
                w("")
        vic = {}
        for r in rows:
            kv = sorted({v for x in r["runs"] for v in x.get("kernel_victims", [])})
            col = sorted({v for x in r["runs"] for v in x.get("collateral", [])})
            if kv or col:
                vic[r["daemon"]] = (kv, col)
        if vic:
            w("Kernel OOM victims / collateral deaths: " + "; ".join(
                f"{d}: {', '.join(kv) or '–'} / {', '.join(col) or '–'}" for d, (kv, col) in vic.items()) + ".")
            w("")

    w("## The fast runaway over time")
    w("")
    w("![MemAvailable and PSI memory during the fast runaway, one run per daemon](bench-fast-runaway.png)")
    w("")
    w("Run 1 of each daemon, time from the hog's start. Top: MemAvailable. Below: PSI memory "
      "*some* and *full* as the share of wall time stalled over each ~100 ms (derived from the "
      "`total=` counters, not the 10 s averages, which are too slow for an episode of 1–3 s). "
      "MemAvailable jumping back up is the kill. The sampler is a process in the guest: a gap in a "
      "line (more than 250 ms without a sample) is the sampler itself stalled; the point after the "
      "gap holds the PSI share over the gap.")
    w("")

    w("## Daemon cost (idle guest)")
    w("")
    if costs:
        w("Each daemon alone in an idle guest, measured over a 30 s window after a 5 s start-up and "
          "scaled to a minute: context switches (voluntary + involuntary, all threads: every one is "
          "a wakeup or a preemption), CPU time (utime + stime), RSS at the end. One window per "
          "daemon, so this is the noisiest table here: a guest has no steal-time accounting under "
          "TCG, so when the host is busy the vCPU's lost time is charged to whatever ran, and "
          "involuntary switches grow (a first oomguard pass under host load 4.7 read 4x the "
          "wakeups and 5x the CPU of the pass shown).")
        w("")
        w("| daemon | wakeups/min | CPU ms/min | RSS MB | threads |")
        w("|---|---|---|---|---|")
        for d in DAEMONS:
            c = costs.get(d)
            if c:
                w(f"| {DAEMON_LABEL[d]} | {c['wake']:.0f} | {c['cpu']:.1f} | {c['rss']:.1f} | {c['threads']} |")
        w("")
        og = costs.get("oomguard")
        if og:
            w("The guest has no systemd, so oomguard runs without libsystemd, which it loads only "
              "when `NOTIFY_SOCKET` or `WATCHDOG_USEC` is set: under systemd add about 1 MiB of "
              "shared-library pages to its RSS (earlyoom is measured the same way, without systemd).")
            w("")
        if og and og["wake"] > 120:
            w("oomguard wakes far more often than once a second here although it is idle: its "
              "adaptive interval is also capped by the time the worst-case fill rate "
              "(`max_fill_rate`, default 6 GiB/s) would need to reach the terminate threshold, "
              "(MemAvailable − 10%) / 6 GiB/s ≈ 120 ms in this 1 GiB guest (it is ≥ 1 s only "
              "above ~6 GiB available). earlyoom makes the same assumption and wakes as often. Under TCG "
              "each tick costs far more CPU than on real hardware, so read the CPU column as a "
              "ratio between daemons, not as an absolute.")
            w("")
    else:
        w("(not run)")
        w("")
    w("oomguard's own scan-and-rank time (`build-bench/bench/bench_scan 20`, on the host: it forks "
      "sleepers and times one full snapshot + ranking):")
    w("")
    w("```")
    w(host_text(a.host, "bench_scan.txt"))
    w("```")
    w("")
    w("Its knapsack victim-set solver (`build-bench/bench/bench_knapsack`):")
    w("")
    w("```")
    w(host_text(a.host, "bench_knapsack.txt"))
    w("```")
    w("")

    w("## Where oomguard loses")
    w("")
    ls = losses(all_rows, costs)
    if ls:
        w("Every row where another daemon's median is better than oomguard's by more than 10% "
          "(or where oomguard has fewer right-victim runs, or the kernel OOM killer fired with it). "
          "*ranges overlap* means the two spreads overlap: on this noisy host that may not be a "
          "real difference.")
        w("")
        o.extend(ls)
    else:
        w("Nowhere by more than 10% on a median in this run.")
    w("")
    with open(a.doc, "w") as f:
        f.write("\n".join(o) + "\n")
    print(f"aggregate: {sum(len(v) for v in runs.values())} runs, {len(costs)} cost records, "
          f"plotted {', '.join(plotted) or 'nothing'}")
    if ls:
        print("aggregate: where oomguard loses:")
        for line in ls:
            print("  " + line)


if __name__ == "__main__":
    sys.exit(main())
