#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/units.py: read a daemon's systemd unit (and the files it names) and
say how to start the daemon the way that unit would, in a guest that has no
systemd. Run by bench/run on the host, once per pass and daemon:

    bench/units.py --daemon NAME --unit FILE [--exe-from OLD=NEW]...
                   [--drop-args 'ARG VALUE']... --json OUT.json --sh OUT.sh

OUT.sh is sourced by bench/lib.sh in the guest (DCMD, DENV, DCG, ... below);
OUT.json is the same plan with every [Service] setting of the unit sorted into
applied / not applied, for bench/aggregate.py to print. Nothing here is
specific to one daemon: the unit file decides.
"""

import argparse
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

# The environment systemd gives every system service (systemd.exec(5),
# "Environment variables in spawned processes"), before the unit's own.
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8"}
# DynamicUser=yes: systemd picks a uid from 61184-65519; the first one here.
DYNAMIC_UID = 61184

# Limit*= -> prlimit(1) resource names; systemd and prlimit both count bytes.
LIMITS = {"LimitCPU": "cpu", "LimitFSIZE": "fsize", "LimitDATA": "data",
          "LimitSTACK": "stack", "LimitCORE": "core", "LimitRSS": "rss",
          "LimitNOFILE": "nofile", "LimitAS": "as", "LimitNPROC": "nproc",
          "LimitMEMLOCK": "memlock", "LimitLOCKS": "locks",
          "LimitSIGPENDING": "sigpending", "LimitMSGQUEUE": "msgqueue",
          "LimitNICE": "nice", "LimitRTPRIO": "rtprio", "LimitRTTIME": "rttime"}
# Resource-control settings -> the unit's own cgroup v2 files.
CGROUP_FILES = {"MemoryMax": "memory.max", "MemoryHigh": "memory.high",
                "MemoryLow": "memory.low", "MemoryMin": "memory.min",
                "MemorySwapMax": "memory.swap.max", "TasksMax": "pids.max",
                "CPUWeight": "cpu.weight", "IOWeight": "io.weight",
                "CPUQuota": "cpu.max"}
# What the guest cannot or does not reproduce, by kind (for the doc).
MANAGER = {"Type", "NotifyAccess", "WatchdogSec", "Restart", "RestartSec",
           "RestartPreventExitStatus", "KillMode", "KillSignal", "TimeoutSec",
           "TimeoutStartSec", "TimeoutStopSec", "ExecStartPre", "ExecStartPost",
           "ExecReload", "ExecStop", "ExecStopPost", "SyslogIdentifier",
           "StandardOutput", "StandardError", "RemainAfterExit", "PIDFile",
           "RuntimeDirectory", "RuntimeDirectoryPreserve", "StateDirectory",
           "LogsDirectory", "CacheDirectory", "ConfigurationDirectory"}
# Settings the issue asks about by name: say so when a unit leaves them unset.
ASKED = ["OOMScoreAdjust", "Nice", "CPUSchedulingPolicy", "IOSchedulingClass",
         "LimitMEMLOCK", "Environment", "EnvironmentFile"]
IOCLASS = {"realtime": "1", "best-effort": "2", "idle": "3",
           "1": "1", "2": "2", "3": "3"}
SCHED = {"other": "-o", "batch": "-b", "idle": "-i", "fifo": "-f", "rr": "-r"}


def words(s):
    """systemd's word splitting: whitespace, "double" and 'single' quotes,
    backslash escapes. Returns [(word, was_quoted)]."""
    out, cur, quoted, have, i = [], [], False, False, 0
    while i < len(s):
        c = s[i]
        if c in " \t\n":
            if have:
                out.append(("".join(cur), quoted))
            cur, quoted, have = [], False, False
        elif c in "\"'":
            j = i + 1
            while j < len(s) and s[j] != c:
                if c == '"' and s[j] == "\\" and j + 1 < len(s):
                    j += 1
                cur.append(s[j])
                j += 1
            i, quoted, have = j, True, True
        elif c == "\\" and i + 1 < len(s):
            i += 1
            cur.append(s[i])
            have = True
        else:
            cur.append(c)
            have = True
        i += 1
    if have:
        out.append(("".join(cur), quoted))
    return out


def parse_unit(path):
    """{section: [(key, value)]} in file order; continuation lines joined."""
    secs, sec, pending = {}, None, ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if pending:
            line = pending + " " + line.lstrip()
            pending = ""
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.endswith("\\"):
            pending = s[:-1].rstrip()
            continue
        m = re.match(r"^\[(.+)\]$", s)
        if m:
            sec = m.group(1)
            secs.setdefault(sec, [])
            continue
        k, _, v = s.partition("=")
        secs.setdefault(sec, []).append((k.strip(), v.strip()))
    return secs


def parse_env_file(path):
    """KEY=VALUE lines as systemd reads an EnvironmentFile=."""
    env = {}
    for raw in open(path, encoding="utf-8"):
        s = raw.strip()
        if not s or s[0] in "#;" or "=" not in s:
            continue
        k, _, v = s.partition("=")
        k = k.strip()
        if k.startswith("export "):
            k = k[len("export "):].strip()
        w = words(v.strip())
        env[k] = " ".join(x for x, _ in w) if w else ""
    return env


def expand(cmdline, env):
    """ExecStart= variable expansion: a lone unquoted $VAR becomes the value's
    words, ${VAR} (or $VAR inside a word) is replaced in place."""
    argv = []
    for w, quoted in words(cmdline):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", w)
        if m and not quoted:
            argv.extend(x for x, _ in words(env.get(m.group(1), "")))
            continue
        w = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda x: env.get(x.group(1), ""), w)
        argv.append(w)
    return argv


def bytes_value(v):
    """A systemd size (K/M/G/T, base 1024), 'infinity', or a percentage."""
    v = v.strip()
    if v == "infinity":
        return "max"
    m = re.fullmatch(r"(\d+)([KMGT]?)", v)
    if not m:
        return None
    return str(int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)])


def limit_value(v):
    parts = v.split(":") if ":" in v else [v, v]
    out = []
    for p in parts:
        if p == "infinity":
            out.append("unlimited")
        else:
            b = bytes_value(p)
            if b is None:
                return None
            out.append(b)
    return ":".join(out)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def package_of(path):
    try:
        p = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
        if p.returncode == 0:
            pkg = p.stdout.split(":")[0].strip()
            v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                               capture_output=True, text=True, check=False).stdout.strip()
            return f"{pkg} {v}"
    except OSError:
        pass
    return None


def plan(daemon, unit, exe_from, drop_args):
    secs = parse_unit(unit)
    svc = secs.get("Service", [])
    name = os.path.basename(unit)
    system_conf = {}
    if os.path.exists("/etc/systemd/system.conf"):
        for k, v in parse_unit("/etc/systemd/system.conf").get("Manager", []):
            system_conf[k] = v

    applied, not_applied, notes = [], [], []
    env = dict(BASE_ENV)
    env_files = []
    exec_start = None
    oom_adj = None
    nice = None
    sched_pol, sched_prio, sched_reset = None, None, False
    io_class, io_prio = None, None
    limits = []
    umask = None
    workdir = None
    user = group = None
    dynamic = False
    ambient, bounding, nnp = None, None, False
    slice_ = "system.slice"
    cg_files = {}
    config_files = {}

    for k, v in svc:
        if k == "Environment":
            for w, _ in words(v):
                a, _, b = w.partition("=")
                env[a] = b
            applied.append((k, v, "set in the daemon's environment"))
        elif k == "EnvironmentFile":
            opt = v.startswith("-")
            p = v[1:] if opt else v
            if os.path.exists(p):
                vals = parse_env_file(p)
                env.update(vals)
                env_files.append({"path": p, "present": True, "vars": vals})
                config_files[p] = open(p, encoding="utf-8").read()
                applied.append((k, v, "read: " + (", ".join(f"{a}={b}" for a, b in vals.items()) or "no variables")))
            else:
                env_files.append({"path": p, "present": False, "vars": {}})
                applied.append((k, v, "file absent" + (" (optional)" if opt else "")))
        elif k == "ExecStart":
            exec_start = v
        elif k == "OOMScoreAdjust":
            oom_adj = v
            applied.append((k, v, "written to /proc/self/oom_score_adj before exec"))
        elif k == "Nice":
            nice = v
            applied.append((k, v, "renice before exec"))
        elif k == "CPUSchedulingPolicy":
            sched_pol = v
            applied.append((k, v, "chrt before exec"))
        elif k == "CPUSchedulingPriority":
            sched_prio = v
            applied.append((k, v, "chrt before exec"))
        elif k == "CPUSchedulingResetOnFork":
            sched_reset = v.lower() in ("1", "yes", "true", "on")
            applied.append((k, v, "chrt --reset-on-fork before exec"))
        elif k == "IOSchedulingClass":
            io_class = IOCLASS.get(v)
            applied.append((k, v, "ionice before exec"))
        elif k == "IOSchedulingPriority":
            io_prio = v
            applied.append((k, v, "ionice before exec"))
        elif k in LIMITS:
            lv = limit_value(v)
            if lv is None:
                not_applied.append((k, v, "value not understood"))
            else:
                limits.append(f"--{LIMITS[k]}={lv}")
                applied.append((k, v, f"prlimit --{LIMITS[k]}={lv} before exec"))
        elif k == "UMask":
            umask = v
            applied.append((k, v, "umask before exec"))
        elif k == "WorkingDirectory":
            workdir = v.lstrip("-")
            applied.append((k, v, "cd before exec"))
        elif k == "User":
            user = v
            applied.append((k, v, "setpriv --reuid"))
        elif k == "Group":
            group = v
            applied.append((k, v, "setpriv --regid"))
        elif k == "DynamicUser":
            dynamic = v.lower() in ("1", "yes", "true", "on")
            applied.append((k, v, f"setpriv to uid/gid {DYNAMIC_UID} (systemd's first dynamic id), no groups"
                            if dynamic else "no change"))
        elif k == "AmbientCapabilities":
            ambient = [c.lower().replace("cap_", "") for c in v.split()]
            applied.append((k, v, "setpriv --inh-caps/--ambient-caps"))
        elif k == "CapabilityBoundingSet":
            bounding = [c.lower().replace("cap_", "") for c in v.split()]
            applied.append((k, v, "setpriv --bounding-set"))
        elif k == "NoNewPrivileges":
            nnp = v.lower() in ("1", "yes", "true", "on")
            applied.append((k, v, "setpriv --no-new-privs" if nnp else "no change"))
        elif k == "Slice":
            slice_ = v
            applied.append((k, v, f"the daemon's cgroup is {v}/{name}"))
        elif k in CGROUP_FILES:
            f = CGROUP_FILES[k]
            if k == "CPUQuota":
                m = re.fullmatch(r"(\d+)%", v)
                val = f"{int(m.group(1)) * 1000} 100000" if m else None
            elif k in ("CPUWeight", "IOWeight"):
                val = v if v.isdigit() else None
            elif k == "TasksMax":
                val = "max" if v == "infinity" else (v if v.isdigit() else None)
            else:
                val = bytes_value(v)
            if val is None:
                not_applied.append((k, v, "value not understood"))
            else:
                cg_files[f] = val
                applied.append((k, v, f"{f} = {val} on the daemon's cgroup"))
        elif k in MANAGER:
            not_applied.append((k, v, "service-manager behaviour (restart, notify, logging, directories)"))
        else:
            not_applied.append((k, v, "sandboxing or other systemd-only setting, not emulated"))

    if oom_adj is None and "DefaultOOMScoreAdjust" in system_conf:
        oom_adj = system_conf["DefaultOOMScoreAdjust"]
        applied.append(("DefaultOOMScoreAdjust", oom_adj, "from /etc/systemd/system.conf"))

    if exec_start is None:
        raise SystemExit(f"{unit}: no ExecStart=")
    raw = exec_start
    while raw and raw[0] in "-@+!:":
        raw = raw[1:]
    argv = expand(raw, env)
    adjustments = []
    for a in exe_from:
        old, _, new = a.partition("=")
        for i, w in enumerate(argv):
            if w == old:
                argv[i] = new
                adjustments.append(f"`{old}` → `{new}` (this pass's build, not an installed copy)")
    for d in drop_args:
        dw = d.split()
        for i in range(len(argv) - len(dw) + 1):
            if argv[i:i + len(dw)] == dw:
                del argv[i:i + len(dw)]
                adjustments.append(f"`{d}` dropped")
                break
    applied.insert(0, ("ExecStart", exec_start, "argv: " + " ".join(shlex.quote(x) for x in argv)))
    for i, w in enumerate(argv[:-1]):
        if w in ("--config", "-C", "-c") and os.path.isfile(argv[i + 1]):
            config_files[argv[i + 1]] = open(argv[i + 1], encoding="utf-8").read()

    setpriv = []
    if dynamic or user:
        uid = DYNAMIC_UID if dynamic else user
        gid = DYNAMIC_UID if dynamic else (group or user)
        setpriv += [f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
    elif group:
        setpriv += [f"--regid={group}"]
    if ambient:
        caps = ",".join("+" + c for c in ambient)
        setpriv += [f"--inh-caps={caps}", f"--ambient-caps={caps}"]
    if bounding:
        setpriv += ["--bounding-set=-all," + ",".join("+" + c for c in bounding)]
    if nnp:
        setpriv += ["--no-new-privs"]
    if setpriv:
        setpriv = ["setpriv"] + setpriv

    sched = []
    if sched_pol or sched_reset:
        if sched_reset:
            sched.append("-R")
        sched.append(SCHED.get(sched_pol or "other", "-o"))
        sched += ["-p", sched_prio or "0"]
    ionice = []
    if io_class or io_prio:
        ionice = ["-c", io_class or "2"] + (["-n", io_prio] if io_prio else [])

    keys = {k for k, _ in svc}
    unset = [k for k in ASKED if k not in keys and not (k == "OOMScoreAdjust" and oom_adj is not None)]
    return {
        "daemon": daemon,
        "unit": unit,
        "unit_name": name,
        "unit_sha256": sha256(unit),
        "package": package_of(unit),
        "argv": argv,
        "adjustments": adjustments,
        "env": env,
        "env_files": env_files,
        "oom_score_adj": oom_adj,
        "nice": nice,
        "chrt": sched,
        "ionice": ionice,
        "prlimit": limits,
        "umask": umask,
        "workdir": workdir,
        "setpriv": setpriv,
        "cgroup": f"{slice_}/{name}",
        "cgroup_files": cg_files,
        "applied": [{"key": k, "value": v, "how": h} for k, v, h in applied],
        "not_applied": [{"key": k, "value": v, "why": w} for k, v, w in not_applied],
        "unset": unset,
        "config_files": config_files,
    }


def shell(p):
    q = shlex.quote

    def arr(name, xs):
        return f"{name}=(" + " ".join(q(x) for x in xs) + ")"

    lines = [
        f"# generated by bench/units.py from {p['unit']} (sha256 {p['unit_sha256'][:16]})",
        f"DUNIT={q(p['unit_name'])}",
        f"DCG={q(p['cgroup'])}",
        arr("DCMD", p["argv"]),
        arr("DENV", [f"{k}={v}" for k, v in p["env"].items()]),
        f"DOOMADJ={q(p['oom_score_adj'] or '')}",
        f"DNICE={q(p['nice'] or '')}",
        arr("DCHRT", p["chrt"]),
        arr("DIONICE", p["ionice"]),
        arr("DPRLIMIT", p["prlimit"]),
        f"DUMASK={q(p['umask'] or '')}",
        f"DWORKDIR={q(p['workdir'] or '')}",
        arr("DSETPRIV", p["setpriv"]),
        arr("DCGFILES", [f"{k}={v}" for k, v in p["cgroup_files"].items()]),
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--unit", required=True)
    ap.add_argument("--exe-from", action="append", default=[],
                    help="OLD=NEW: replace argv word OLD (an installed path) by NEW")
    ap.add_argument("--drop-args", action="append", default=[],
                    help="'ARG VALUE': remove these consecutive argv words")
    ap.add_argument("--json", required=True)
    ap.add_argument("--sh", required=True)
    a = ap.parse_args()
    p = plan(a.daemon, a.unit, a.exe_from, a.drop_args)
    with open(a.json, "w") as f:
        json.dump(p, f, indent=1)
        f.write("\n")
    with open(a.sh, "w") as f:
        f.write(shell(p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
