#!/bin/bash
# --dry-run: the decision is logged (JSON record and kmsg), nothing is signalled.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

start_guard --dry-run
cap=$(($(mem_avail_mb) - $(mem_total_mb) * 75 / 1000))
"$(og_bin og-hog)" --step-mb 16 --cap-mb "$cap" --name spared --report /tmp/hog.mb &
hog=$!
wait_until "[[ -n \$(rec '[x for x in r if x[\"event\"] == \"terminate\"]') ]]" 120 ||
	require false "no terminate decision recorded in 120 s"
sleep 3
dry=$(rec '[x["dry_run"] for x in r if x["event"] in ("terminate", "kill")][:1]')
victim=$(rec '[x["victim"]["pid"] for x in r if x["event"] in ("terminate", "kill")][:1]')
info decision_dry_run="$dry" victim="$victim" hog=$hog
require "pid_alive $hog" "the process was killed in dry-run mode"
require "[[ '$dry' == True ]]" "no dry-run decision recorded"
require "[[ '$victim' == $hog ]]" "decision named pid $victim, not $hog"
require "dmesg | grep -q 'oomguard: dry-run: would send SIGTERM to pid $hog'" "no kmsg line"
require "[[ -z \$(rec '[x for x in r if x[\"event\"] == \"exit\"]') ]]" "an exit was recorded"
kill -KILL "$hog"
verdict
