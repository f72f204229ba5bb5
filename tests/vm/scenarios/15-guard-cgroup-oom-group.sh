#!/bin/bash
# A cgroup with memory.oom.group = 1 is killed whole, through cgroup.kill:
# when its hog is chosen, its sibling process dies with it; a cgroup holding
# a protected process is never killed whole (only the hog dies).
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
require_cgroup2 memory

hog=$(og_bin og-hog)
cat >/tmp/protect.yaml <<'YAML'
rules:
  - comm: "^keeper$"
    action: protect
YAML
start_guard --config /tmp/protect.yaml
oom0=$(oom_kill_count)
for name in group shielded; do
	cg=$(cg_make "test.slice/$name.scope") || fail_all "cannot create test.slice/$name.scope"
	cg_set "$cg" memory.oom.group 1
done
on_exit "cg_remove test.slice"
g=/sys/fs/cgroup/test.slice/group.scope
s=/sys/fs/cgroup/test.slice/shielded.scope

# Round 1: a whole-group kill. (cg_start names each process by pid even if
# oomguard kills it before the scenario looks at cgroup.procs.)
cg_start "$g" "$hog" --step-mb 8 --cap-mb 32 --name sibling --report /tmp/sibling.mb
sibling=$CG_PID
wait_until "[[ \$(cat /tmp/sibling.mb 2>/dev/null) -ge 32 ]]" 60 || fail_all "the sibling did not reach 32 MB in 60 s"
cg_start "$g" "$hog" --step-mb 16 --name grouphog
ghog=$CG_PID
wait_for_exit "$ghog" 120 || require false "group hog alive after 120 s"
wait_for_exit "$sibling" 30 || require false "the sibling survived the group kill"
whole=$(rec '[x["victim"]["whole_cgroup"] for x in r if x["event"] in ("terminate", "kill")][:1]')
first=$(first_victim)
info round=1 whole_cgroup="$whole" group_hog=$ghog sibling=$sibling first_victim="$first"

# Round 2: the same with a protected process inside: only the hog dies.
# (Its report at 32 MB means it runs under its name, which the rule matches.)
cg_start "$s" "$hog" --step-mb 8 --cap-mb 32 --name keeper --report /tmp/keeper.mb
keeper=$CG_PID
wait_until "[[ \$(cat /tmp/keeper.mb 2>/dev/null) -ge 32 ]]" 60 || fail_all "keeper did not reach 32 MB in 60 s"
cg_start "$s" "$hog" --step-mb 16 --name shieldhog
shog=$CG_PID
wait_for_exit "$shog" 120 || require false "second hog alive after 120 s"
sleep 1
whole2=$(rec '[x["victim"]["whole_cgroup"] for x in r if x["event"] in ("terminate", "kill") and x["victim"]["pid"] == '"${shog:-0}"'][:1]')
info round=2 whole_cgroup="$whole2" keeper_alive=$(pid_alive "$keeper" && echo yes || echo no) \
	signalled="$(signalled_pids)" oom_kills=$(($(oom_kill_count) - oom0))
require "[[ '$first' == '$ghog' ]]" "round 1: oomguard's first victim was '$first', not the group hog $ghog"
require "[[ '$whole' == True ]]" "round 1 was not a whole-cgroup kill ($whole)"
require "[[ '$whole2' == False ]]" "round 2 killed the whole cgroup ($whole2)"
require "pid_alive $keeper" "the protected process died with its cgroup"
require "! guard_signalled $keeper" "oomguard signalled the protected keeper"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran: $(kernel_oom_victims | paste -sd,)"
verdict
