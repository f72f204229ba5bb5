#!/bin/bash
# --dry-run: the decision is logged (JSON record and kmsg), nothing is signalled.
# The kmsg line is in dmesg, whole, right after the decision (it ends with a
# newline, so the kernel does not hold it open as a continuation).
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

# kmsg_matches: the first oomguard line in dmesg is, whole, the kmsg line of
# the first decision record: "[ T] oomguard: dry-run: would send SIG to pid
# PID (COMM) cgroup CG anon+swap KiB KiB: REASON trigger: TYPE".
kmsg_matches() {
	dmesg | python3 -c '
import json, re, sys
d = None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        x = json.loads(line)
        if x["event"] in ("terminate", "kill"):
            d = x
            break
if d is None:
    sys.exit(1)
v, t = d["victim"], d["trigger"]
want = (r"^(\[ *[0-9]+\.[0-9]+\] )?oomguard: dry-run: would send "
        + re.escape(d["signal"]) + r" to pid " + str(v["pid"])
        + r" \(" + re.escape(v["comm"]) + r"\) cgroup " + re.escape(v["cgroup"])
        + r" anon\+swap " + str((v["anon"] + v["swap"]) // 1024) + r" KiB: "
        + re.escape(t["reason"]) + r" trigger: " + re.escape(t["type"]) + r"$")
lines = [l.rstrip("\n") for l in sys.stdin if "oomguard:" in l]
print("# kmsg: " + (lines[0] if lines else "(none)"))
sys.exit(0 if lines and re.match(want, lines[0]) else 1)
' "$OG_REC"
}

printf 'memory:\n  policy: fixed\n' >/tmp/fixed.yaml   # the hog stops between 10 % and 5 %
start_guard --dry-run --config /tmp/fixed.yaml
cap=$(($(mem_avail_mb) - $(mem_total_mb) * 75 / 1000))
"$(og_bin og-hog)" --step-mb 16 --cap-mb "$cap" --name spared --report /tmp/hog.mb &
hog=$!
wait_until "[[ -n \$(rec '[x for x in r if x[\"event\"] == \"terminate\"]') ]]" 120 ||
	require false "no terminate decision recorded in 120 s"
# Right after the decision: the daemon writes its kmsg line just after the record.
require "wait_until kmsg_matches 1" "no whole kmsg line for the first decision in dmesg"
sleep 3
dry=$(rec '[x["dry_run"] for x in r if x["event"] in ("terminate", "kill")][:1]')
victim=$(rec '[x["victim"]["pid"] for x in r if x["event"] in ("terminate", "kill")][:1]')
info decision_dry_run="$dry" victim="$victim" hog=$hog
require "pid_alive $hog" "the process was killed in dry-run mode"
require "[[ '$dry' == True ]]" "no dry-run decision recorded"
require "[[ '$victim' == $hog ]]" "decision named pid $victim, not $hog"
require "dmesg | grep -q -E '^(\[ *[0-9]+\.[0-9]+\] )?oomguard: dry-run: would send SIGTERM to pid $hog \(spared\) cgroup '" "no kmsg line for pid $hog"
require "[[ -z \$(rec '[x for x in r if x[\"event\"] == \"exit\"]') ]]" "an exit was recorded"
kill -KILL "$hog"
verdict
