#!/bin/bash
# Nobody unprivileged steers oomguard with a name. With
# `managed_processes: [vim]`, a memory hog of uid 65534 that renames itself
# "vim" (prctl PR_SET_NAME) in a login session (a root-owned scope, as
# logind makes, with its audit loginuid set) is not moved into the protected
# cgroup and is killed by oomguard when memory runs out, before the kernel's
# OOM killer. So is not an idle uid-65534 "vim" in the root cgroup (no login,
# no unit). Root's own "vim" is moved in at once and survives.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not in the guest"

cg=$CG_ROOT/critical.slice
hog=/tmp/og-hog                 # where uid 65534 may run it
cp "$(og_bin og-hog)" "$hog" && chmod 755 "$hog"
cat >/tmp/trust.yaml <<'YAML'
cgroup_settings:
  name: critical.slice
  rescan_interval: 1s
managed_processes: [vim]
YAML
start_guard --config /tmp/trust.yaml
wait_until "[[ -d $cg ]]" 10 || { cat "$OG_ERR"; fail_all "the protected cgroup was not created"; }

# root's vim: moved in on its comm event
"$hog" --name vim --step-mb 16 --cap-mb 32 &
rootvim=$!
wait_until "grep -qx $rootvim $cg/cgroup.procs" 5
require "grep -qx $rootvim $cg/cgroup.procs" "root's vim was not moved into $cg"

# an idle "vim" of uid 65534 in the root cgroup
setpriv --reuid 65534 --regid 65534 --clear-groups -- "$hog" --name vim --step-mb 8 --cap-mb 8 &
idle=$!

# a login session like logind's: a root-owned scope, loginuid set by "pam"
sess=$(cg_make user.slice/user-65534.slice/session-1.scope)
(
	echo "$BASHPID" >"$sess/cgroup.procs"
	echo 65534 >/proc/self/loginuid 2>/dev/null || echo "# no loginuid (no audit)"
	exec setpriv --reuid 65534 --regid 65534 --clear-groups -- \
		"$hog" --name vim --step-mb 16 --period-ms 100 --report /tmp/evil.mb
) &
evil=$!
wait_until "[[ \$(cat /proc/$evil/comm 2>/dev/null) == vim && -s /tmp/evil.mb ]]" 10
info evil_uid="$(awk '/^Uid:/ { print $2 }' "/proc/$evil/status")" \
	evil_loginuid="$(cat "/proc/$evil/loginuid" 2>/dev/null)" evil_comm="$(cat "/proc/$evil/comm")"
require "[[ \$(awk '/^Uid:/ { print \$2 }' /proc/$evil/status) == 65534 ]]" "the hog is not uid 65534"
sleep 2.5                       # two rescans and the comm events
require "! grep -qx $evil $cg/cgroup.procs" "the renamed hog was moved into the protected cgroup"
require "grep -qx '0::${sess#"$CG_ROOT"}' /proc/$evil/cgroup" "the renamed hog left its session: $(cat /proc/$evil/cgroup)"
require "! grep -qx $idle $cg/cgroup.procs" "the idle uid-65534 vim was moved into the protected cgroup"
require "grep -q 'of uid 65534 matches managed_processes but is not managed' '$OG_ERR'" \
	"no 'not managed' line in the log"

# the hog grows until memory runs out: oomguard's victim, no kernel OOM
wait_for_exit "$evil" 150
sleep 1
info victims="$(signalled_pids)" evil=$evil rootvim=$rootvim idle=$idle \
	evil_peak_mb="$(cat /tmp/evil.mb 2>/dev/null)"
require "! pid_alive $evil" "the renamed hog survived"
require "guard_signalled $evil" "oomguard did not signal the renamed hog"
require "! guard_signalled $rootvim" "oomguard signalled root's vim"
require "pid_alive $rootvim" "root's vim died"
require "! kernel_oom_fired" "the kernel OOM killer fired"
kill -KILL "$rootvim" "$idle" 2>/dev/null
stop_guard
grep -E 'shield|not managed' "$OG_ERR" | head -20
verdict
