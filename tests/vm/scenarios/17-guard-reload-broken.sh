#!/bin/bash
# SIGHUP with a broken config: the daemon keeps running on the old one and
# says why (FILE:LINE:COL); a good config then reloads.
# vm-memory: 768M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

cat >/tmp/og.yaml <<'YAML'
memory:
  terminate:
    mem_available_percent: 10
YAML
start_guard --config /tmp/og.yaml
printf 'memory:\n  terminate:\n    mem_avialable_percent: 10\n' >/tmp/og.yaml
kill -HUP "$OG_GUARD_PID"
wait_until "grep -q reload-refused '$OG_REC'" 30 || require false "no reload-refused record in 30 s"
msg=$(rec '[x["message"] for x in r if x["event"] == "reload-refused"][:1]')
info refused="$msg"
require guard_alive "oomguard died on a broken config"
require "[[ '$msg' == '/tmp/og.yaml:3:5: '* ]]" "refusal does not give FILE:LINE:COL: $msg"
require "grep -q 'reload refused, old config stays in force' '$OG_ERR'" "stderr does not say the old config stays"
# The old config is still in force: a hog is still stopped, by oomguard.
oom0=$(oom_kill_count)
"$(og_bin og-hog)" --step-mb 16 --name after-reload &
hog=$!
wait_for_exit "$hog" 120 || { kill -KILL "$hog"; require false "hog alive after 120 s"; }
info signalled="$(signalled_pids)" trigger="$(trigger_types)" oom_kills=$(($(oom_kill_count) - oom0))
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled '$(signalled_pids)' after the refused reload, expected the hog $hog"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran"
printf 'memory:\n  terminate:\n    mem_available_percent: 12\n' >/tmp/og.yaml
kill -HUP "$OG_GUARD_PID"
require "wait_until \"grep -q '\\\"event\\\":\\\"reload\\\"' '$OG_REC'\" 30" "a good config did not reload (no reload record in 30 s)"
verdict
