#!/bin/bash
# Metrics and watch with a real kill: oomguard (not dry-run) with
# metrics.textfile written every second and its status socket at the
# default /run/oomguard/status.sock; `oomguard watch` runs while a fast hog
# fills the 1 GiB guest. The kill must show everywhere a user looks: the
# textfile's oomguard_kills_total{guard="memory",...} goes from nothing to
# 1 (and an episode, a decision latency), the file parses with Prometheus'
# parsers where the root has them (promtool, python3-prometheus-client),
# watch printed the decision (the hog's pid) exactly once, and `oomguard
# status --json` lists it.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

prom=/tmp/metrics/oomguard.prom
mkdir -p /tmp/metrics
cat >/tmp/metrics.yaml <<EOF
metrics:
  textfile: $prom
  interval: 1s
EOF
og=$(og_bin oomguard)

# kills_total's memory series: the sum over triggers (0 when absent)
kills() { awk '/^oomguard_kills_total\{guard="memory",/ { n += $2 } END { print n + 0 }' "$prom"; }

start_guard --config /tmp/metrics.yaml
wait_until "[[ -s $prom && -S /run/oomguard/status.sock ]]" 20 ||
	fail_all "no textfile or status socket: $(cat "$OG_ERR")"
require "grep -q '^# TYPE oomguard_kills_total counter' $prom" "no kills family in the textfile"
require "[[ \$(kills) == 0 ]]" "kills before any hog: $(kills)"
require "[[ \$(stat -c %a /run/oomguard/status.sock) == 600 ]]" \
	"status socket mode $(stat -c %a /run/oomguard/status.sock)"

"$og" watch --count 40 >/tmp/watch.out 2>/tmp/watch.err &
watcher=$!
on_exit "kill $watcher 2>/dev/null"
sleep 2
"$(og_bin og-hog)" --step-mb 16 --period-ms 0 --name runaway &
hog=$!
wait_for_exit "$hog" 120 || { kill -KILL "$hog"; require false "hog alive after 120 s"; }
wait "$hog"; st=$?
require "guard_signalled $hog" "oomguard did not signal the hog (signalled: $(signalled_pids))"
require "[[ $st -eq 143 || $st -eq 137 ]]" "hog exit status $st"

wait_until "[[ \$(kills) -ge 1 ]]" 10
save_out "$prom"
info kills="$(kills)" trigger="$(trigger_types)"
require "[[ \$(kills) -ge 1 ]]" "oomguard_kills_total{guard=\"memory\"} did not count the kill: $(grep kills_total "$prom")"
require "grep -q '^oomguard_episodes_total{guard=\"memory\",trigger=\"[a-z]*\"} [1-9]' $prom" \
	"no memory episode: $(grep episodes_total "$prom")"
require "grep -q '^oomguard_last_decision_latency_seconds{guard=\"memory\"} [0-9]' $prom" \
	"no decision latency: $(grep latency "$prom")"
require "grep -q '^oomguard_dry_run 0$' $prom" "oomguard_dry_run is not 0"
if command -v promtool >/dev/null; then
	require "promtool check metrics <$prom" "promtool: $(promtool check metrics <"$prom" 2>&1)"
else
	info promtool=absent
fi
if python3 -c 'import prometheus_client' 2>/dev/null; then
	require "python3 -c 'import sys; from prometheus_client.parser import text_string_to_metric_families as p; \
fams = {f.name: f for f in p(open(sys.argv[1]).read())}; \
sys.exit(0 if sum(s.value for s in fams[\"oomguard_kills\"].samples if s.labels[\"guard\"] == \"memory\") >= 1 else 1)' $prom" \
		"prometheus_client does not read the kill in the textfile"
else
	info prometheus_client=absent
fi

"$og" status --json >/tmp/status.json 2>/tmp/status.err
save_out /tmp/status.json
require "python3 -c 'import json, sys; o = json.load(open(\"/tmp/status.json\")); \
sys.exit(0 if not o[\"dry_run\"] and sum(o[\"guards\"][\"memory\"][\"kills\"].values()) >= 1 and \
any(d[\"pid\"] == $hog for d in o[\"decisions\"]) else 1)'" \
	"status --json lacks the kill: $(head -c 600 /tmp/status.json) $(cat /tmp/status.err)"

sleep 2
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
save_out /tmp/watch.out
n=$(grep -c -E "^  #[0-9]+ .* memory (terminate|kill) pid $hog \(runaway\)" /tmp/watch.out)
info watch_lines="$(grep -c ' avail ' /tmp/watch.out)" watch_decisions="$(grep -c '^  #' /tmp/watch.out)"
require "[[ $n == 1 ]]" "watch printed the hog's decision $n times: $(cat /tmp/watch.out /tmp/watch.err | tail -20)"
require "grep -q ' avail .* | psi some/full mem ' /tmp/watch.out" "watch printed no readings"
require "guard_alive" "oomguard is not running any more"
verdict
