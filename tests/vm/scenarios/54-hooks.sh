#!/bin/bash
# Hooks around real kills (README, "Hooks"). A hog stopping between the
# terminate and kill levels is killed with SIGTERM:
# 1. the pre_kill hook ran before SIGTERM and saw the victim alive
#    (/proc/PID there, its OOMGUARD_PID the record's victim), its stdin's
#    JSON naming the same pid; the post_kill hook ran after the exit
#    (/proc/PID gone) and failed (exit 3): a `hook` record says so and the
#    daemon goes on;
# 2. after a reload, a pre_kill hook that hangs (sleep 60) holds SIGTERM
#    back no longer than hooks.pre_kill_timeout (300 ms) plus an honest
#    margin for TCG (1.5 s), measured between the daemon's start of the
#    hook (its record's time less its duration) and the terminate record's
#    time_ms, and is killed 1 s later
#    (status timeout), its sleep with it.
# 3. a reload with a hooks section that names a missing program, or one
#    in a directory others may write (/tmp), is refused with FILE:LINE:COL
#    and the old hooks stay (the hooks live in a root-only directory).
# vm-memory: 1024M
# vm-timeout: 600
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

H=/tmp/hooks.log
# The programs in a directory only root may write (one in /tmp is refused: see 3.)
D=/usr/local/libexec/og-hooks
mkdir -p -m 755 "$D"
chmod 755 /usr/local/libexec /usr/local
cat >/usr/local/libexec/og-hooks/pre.sh <<'SH'
#!/bin/bash
t=$EPOCHREALTIME
alive=0; [[ -d /proc/$OOMGUARD_PID ]] && alive=1
json=$(cat)
echo "pre start_ms=$((${t/./} / 1000)) pid=$OOMGUARD_PID alive=$alive signal=$OOMGUARD_SIGNAL json=$json" >>/tmp/hooks.log
SH
cat >/usr/local/libexec/og-hooks/post.sh <<'SH'
#!/bin/bash
alive=0; [[ -d /proc/$OOMGUARD_PID ]] && alive=1
echo "post pid=$OOMGUARD_PID alive=$alive exit_ms=$OOMGUARD_EXIT_MS event=$OOMGUARD_EVENT" >>/tmp/hooks.log
echo "post hook failing on purpose"
exit 3
SH
cat >/usr/local/libexec/og-hooks/hang.sh <<'SH'
#!/bin/bash
t=$EPOCHREALTIME
echo "hang start_ms=$((${t/./} / 1000)) pid=$OOMGUARD_PID shell=$$" >>/tmp/hooks.log
sleep 60
SH
chmod 755 "$D/pre.sh" "$D/post.sh" "$D/hang.sh"
: >"$H"

cat >/tmp/hooks.yaml <<'YAML'
memory:
  policy: fixed             # the hog stops between the 10 % and 5 % levels
  grace_period: 5s
  cooldown: 1s
hooks:
  pre_kill: [/usr/local/libexec/og-hooks/pre.sh]
  pre_kill_timeout: 5s      # bash starts slowly under TCG: SIGTERM waits for the hook
  post_kill: /usr/local/libexec/og-hooks/post.sh
YAML
start_guard --config /tmp/hooks.yaml
oom0=$(oom_kill_count)

# run_hog NAME: a hog that stops between the terminate (10%) and kill (5%)
# levels (~7.5% left) and exits on SIGTERM; its pid in $hog.
run_hog() {
	local cap=$(($(mem_avail_mb) - $(mem_total_mb) * 75 / 1000))

	"$(og_bin og-hog)" --step-mb 16 --cap-mb "$cap" --name "$1" >/dev/null &
	hog=$!
}

# 1. pre_kill before SIGTERM, post_kill after the exit, a failure recorded
run_hog hooked
wait_for_exit "$hog" 180 || { kill -KILL "$hog"; require false "the hog is alive after 180 s"; }
wait "$hog"; st=$?
wait_until "grep -q '^post pid=$hog ' $H" 30
wait_until "grep -q '\"name\":\"post_kill\"' '$OG_REC'" 30
events=$(rec '[x["event"] + ":" + str(x.get("signal")) for x in r if x.get("victim", {}).get("pid") == '"$hog"']')
term_ms=$(rec '[x["time_ms"] for x in r if x["event"] == "terminate" and x["victim"]["pid"] == '"$hog"'][:1]')
pre=$(grep "^pre .*pid=$hog " "$H" | head -1)
post=$(grep "^post pid=$hog " "$H" | head -1)
pre_ms=$(sed -n 's/.*start_ms=\([0-9]*\).*/\1/p' <<<"$pre")
post_rec=$(rec '[x["hook"]["status"] + ":" + str(x["hook"]["exit_code"]) for x in r if x["event"] == "hook" and x["hook"]["name"] == "post_kill" and x["hook"]["pid"] == '"$hog"']')
pre_rec=$(rec '[x["hook"]["status"] for x in r if x["event"] == "hook" and x["hook"]["name"] == "pre_kill" and x["hook"]["pid"] == '"$hog"']')
info events="${events// /,}" pre_hook_before_sigterm_ms=$((term_ms - pre_ms)) post="$post" \
	post_record="$post_rec" pre_record="$pre_rec"
require "[[ $st -eq 143 ]]" "exit status $st, expected 143 (SIGTERM)"
require "[[ '$events' == terminate:SIGTERM*exit* ]]" "records: $events"
require "[[ '$pre' == *' alive=1 '* && '$pre' == *'signal=SIGTERM'* ]]" "the pre_kill hook did not see pid $hog alive: $pre"
require "[[ '$pre' == *'\"pid\":$hog,'* ]]" "the pre_kill hook's stdin does not name pid $hog: $pre"
require "[[ -n '$pre_ms' && -n '$term_ms' ]] && ((pre_ms <= term_ms))" "the pre_kill hook started at $pre_ms, after SIGTERM at $term_ms"
require "[[ '$pre_rec' == ok ]]" "pre_kill record: $pre_rec"
require "[[ '$post' == *' alive=0 '* && '$post' == *'event=post_kill'* && '$post' != *'exit_ms= '* ]]" "the post_kill hook ran before the exit: $post"
require "[[ '$post_rec' == failed:3 ]]" "the failing post_kill hook is not recorded as failed:3: $post_rec"
require guard_alive "the daemon died after a failing hook"

# 2. a hanging pre_kill hook: SIGTERM waits 300 ms, not 60 s
cat >/tmp/hooks.yaml <<'YAML'
memory:
  policy: fixed             # the hog stops between the 10 % and 5 % levels
  grace_period: 5s
  cooldown: 1s
hooks:
  pre_kill: [/usr/local/libexec/og-hooks/hang.sh]
  pre_kill_timeout: 300ms
YAML
n=$(grep -c '"event":"reload"' "$OG_REC")
kill -HUP "$OG_GUARD_PID"
wait_until "(( \$(grep -c '\"event\":\"reload\"' '$OG_REC') > $n ))" 30 || require false "no reload record in 30 s"
sleep 2         # the cooldown
run_hog hung
wait_for_exit "$hog" 180 || { kill -KILL "$hog"; require false "the hog is alive after 180 s"; }
wait "$hog"; st=$?
wait_until "grep -q '\"status\":\"timeout\"' '$OG_REC'" 30
term_ms=$(rec '[x["time_ms"] for x in r if x["event"] == "terminate" and x["victim"]["pid"] == '"$hog"'][:1]')
hang=$(grep "^hang .*pid=$hog " "$H" | head -1)
hang_ms=$(sed -n 's/.*start_ms=\([0-9]*\).*/\1/p' <<<"$hang")
shell=$(sed -n 's/.*shell=\([0-9]*\).*/\1/p' <<<"$hang")
hang_rec=$(rec '[x["hook"]["status"] + ":" + str(x["hook"]["duration_ms"]) for x in r if x["event"] == "hook" and x["hook"]["pid"] == '"$hog"']')
# when the daemon started the hook: its record's time less its duration
spawn_ms=$(rec '[x["time_ms"] - x["hook"]["duration_ms"] for x in r if x["event"] == "hook" and x["hook"]["pid"] == '"$hog"' and x["hook"]["duration_ms"] is not None][:1]')
info waited_ms=$((term_ms - ${spawn_ms:-0})) hook_own_start_to_sigterm_ms=$((term_ms - ${hang_ms:-0})) \
	hang_record="$hang_rec" exit_status=$st
require "[[ $st -eq 143 ]]" "exit status $st, expected 143 (SIGTERM)"
require "[[ -n '$term_ms' && -n '$spawn_ms' ]]" "no hook record or terminate record for $hog"
# From the daemon's start of the hook to SIGTERM: the timeout, not 60 s,
# nor more than 300 ms + 1.5 s (TCG on a shared host); the record's clock
# has milliseconds, so at least 290.
require "(( term_ms - spawn_ms >= 290 && term_ms - spawn_ms <= 1800 ))" "SIGTERM came $((term_ms - spawn_ms)) ms after the hanging hook was started (timeout 300 ms)"
# (the hook's own first line may come after SIGTERM: bash under TCG can
# take longer than the 300 ms to start, and the timeout is the point here;
# phase 1 checks that a hook given the time runs before SIGTERM)
require "[[ '$hang_rec' == timeout:* ]]" "the hanging hook's record: $hang_rec"
[[ -n $shell ]] && require "! pid_alive '$shell'" "the hanging hook ($shell) still runs"
require "! pgrep -f 'sleep 60' >/dev/null" "the hanging hook's sleep still runs"

# 3. a broken hooks section is refused; the old hooks stay
refused_reload() { # PROGRAM EXPECTED: a reload naming PROGRAM is refused with EXPECTED
	local n msg
	printf 'hooks:\n  pre_kill: %s\n' "$1" >/tmp/hooks.yaml
	n=$(grep -c '"event":"reload-refused"' "$OG_REC")
	kill -HUP "$OG_GUARD_PID"
	wait_until "(( \$(grep -c '\"event\":\"reload-refused\"' '$OG_REC') > $n ))" 30
	msg=$(rec '[x["message"] for x in r if x["event"] == "reload-refused"][-1:]')
	info refused="$msg"
	require "[[ '$msg' == *'$2'* ]]" "reload-refused: $msg"
}
refused_reload "[/nonexistent/hook]" "/tmp/hooks.yaml:2:13: hooks.pre_kill: /nonexistent/hook: No such file or directory"
# ... and so is a program in a directory others may write (/tmp: anyone
# may put a file of that name there first)
cp /usr/local/libexec/og-hooks/pre.sh /tmp/pre.sh
refused_reload /tmp/pre.sh "/tmp/hooks.yaml:2:13: hooks.pre_kill: /tmp/pre.sh: its directory is writable by others"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
save_out "$H"
verdict
