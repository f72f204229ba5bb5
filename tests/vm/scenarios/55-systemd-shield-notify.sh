#!/bin/bash
# The shield and kill notifications on a systemd desktop (issue 18): under
# Debian's systemd as PID 1 with the unit installed (`meson install`), the
# protected group is a real slice that systemd creates (oom_protector.slice,
# MemoryLow=/CPUWeight=/IOWeight= as `systemctl show` says, the cgroup's
# files the same); `nvim` started in a user's login session (runuser -l,
# pam_systemd: session-N.scope) ends in a transient scope under the slice,
# oomguard-nvim-PID.scope, whose Slice= is the slice; an nvim that runs as a
# service is protected where it stays (MemoryLow= on its unit, given back
# when oomguard stops); a reload's new settings reach the slice and that
# unit. The user's session runs a session bus, a small
# notification server (tests/vm/og-notifications.py) and `oomguard notify`:
# when oomguard kills that user's hog, a desktop notification names it and
# its pid; a Killed signal the user forges on the system bus shows nothing;
# nvim survives the hog.
# vm-init: systemd
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
require_bin og-hog oomguard
[[ $(cat /proc/1/comm) == systemd ]] || fail_all "PID 1 is $(cat /proc/1/comm), not systemd"
command -v meson >/dev/null || skip_all "meson is not installed on the host"
command -v nvim >/dev/null || skip_all "nvim is not installed on the host (Debian package neovim)"
command -v dbus-run-session >/dev/null || skip_all "dbus-run-session is not installed (Debian package dbus)"
python3 -c 'import dbus, gi' 2>/dev/null || skip_all "python3-dbus or python3-gi is not installed"
[[ -e /lib/x86_64-linux-gnu/security/pam_systemd.so ]] || skip_all "pam_systemd is not installed (Debian package libpam-systemd)"
hog=$(og_bin og-hog)
og=/usr/local/sbin/oomguard
j() { journalctl -u oomguard -o cat --no-pager; }
sd() { systemctl show -P "$2" "$1" 2>/dev/null; }

meson install -C "$OG_BUILD" --no-rebuild --quiet >/tmp/install.log 2>&1 ||
	fail_all "meson install failed: $(tail -5 /tmp/install.log | tr '\n' ' ')"
[[ -f /etc/dbus-1/system.d/org.oomguard.conf && -f /etc/xdg/autostart/oomguard-notify.desktop ]] ||
	fail_all "meson install did not install the bus policy and the autostart entry"
grep -q "^Exec=$og notify$" /etc/xdg/autostart/oomguard-notify.desktop ||
	fail_all "the autostart entry does not run $og notify: $(grep Exec /etc/xdg/autostart/oomguard-notify.desktop)"
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null ||
	fail_all "the system bus did not reload its policy"
useradd -m -u 4242 -s /bin/bash og || fail_all "useradd og failed"
cfg=/usr/local/etc/oomguard/oomguard.yaml
cat >>"$cfg" <<'YAML'

managed_processes: [nvim]
cgroup_settings: {enabled: true, memory_low: 200MiB, cpu_weight: 150, io_weight: 150,
                  managed_users: [og]}
YAML
"$og" check "$cfg" >/dev/null || fail_all "the test config is refused: $("$og" check "$cfg" 2>&1 | head -2)"
systemctl daemon-reload
systemctl start oomguard || fail_all "systemctl start oomguard failed"

# the protected slice is systemd's
wait_until "[[ \$(sd oom_protector.slice ActiveState) == active ]]" 20 ||
	fail_all "oom_protector.slice is $(sd oom_protector.slice ActiveState), not active: $(j | grep shield | tail -3 | tr '\n' ' ')"
info slice="MemoryLow=$(sd oom_protector.slice MemoryLow) CPUWeight=$(sd oom_protector.slice CPUWeight) IOWeight=$(sd oom_protector.slice IOWeight) transient=$(sd oom_protector.slice Transient)"
require "[[ \$(sd oom_protector.slice MemoryLow) == 209715200 && \$(sd oom_protector.slice CPUWeight) == 150 && \$(sd oom_protector.slice IOWeight) == 150 ]]" \
	"systemd does not hold the slice's settings"
require "[[ \$(cat /sys/fs/cgroup/oom_protector.slice/memory.low) == 209715200 && \$(cat /sys/fs/cgroup/oom_protector.slice/cpu.weight) == 150 ]]" \
	"the slice's cgroup files are not the settings"

# the user's desktop session: a session bus, a notification server, the agent, nvim
cp "$OG_REPO/tests/vm/og-notifications.py" /tmp/og-notifications.py
cat >/tmp/session.sh <<EOF2
#!/bin/bash
python3 /tmp/og-notifications.py /tmp/notes.jsonl &
for i in \$(seq 50); do [[ -e /tmp/notes.jsonl ]] && break; sleep 0.1; done
$og notify >/tmp/agent.log 2>&1 &
exec nvim --headless -c 'sleep 600'
EOF2
chmod 755 /tmp/session.sh
setsid runuser -l og -c 'exec dbus-run-session -- /tmp/session.sh' </dev/null >/tmp/session.log 2>&1 &
wait_until "pgrep -u og -x nvim >/dev/null" 30 || fail_all "nvim did not start in og's session: $(cat /tmp/session.log)"
nv=$(pgrep -u og -x nvim)
info nvim_pid=$nv cgroup_at_start="$(cat /proc/$nv/cgroup)" sessions="$(loginctl list-sessions --no-legend | tr '\n' '|')"
wait_until "grep -q oom_protector.slice /proc/$nv/cgroup" 20
cg=$(cut -d: -f3 /proc/$nv/cgroup)
info nvim_cgroup="$cg"
require "[[ '$cg' == /oom_protector.slice/oomguard-nvim-$nv.scope ]]" "nvim ($nv) is in $cg, not in oom_protector.slice/oomguard-nvim-$nv.scope"
require "[[ \$(sd oomguard-nvim-$nv.scope Slice) == oom_protector.slice ]]" "systemd does not know nvim's scope under the slice"
require "j | grep -q 'moved pid $nv (nvim) from /user.slice/user-4242.slice/session-'" "no log line of the move from the session scope"

# an nvim of a service: protected where it stays
systemd-run --unit=og-editor.service /usr/bin/nvim --headless -c 'sleep 600' >/dev/null 2>&1 ||
	fail_all "systemd-run og-editor.service failed"
low0=$(sd og-editor.service MemoryLow)
wait_until "[[ \$(sd og-editor.service MemoryLow) == 209715200 ]]" 20
info service_memory_low="$(sd og-editor.service MemoryLow)" before=$low0 cgroup="$(cut -d: -f3 /proc/$(systemctl show -P MainPID og-editor.service)/cgroup)"
require "[[ \$(sd og-editor.service MemoryLow) == 209715200 && \$(sd og-editor.service CPUWeight) == 150 ]]" "the service's nvim was not protected on its unit"
require "[[ \$(cut -d: -f3 /proc/\$(sd og-editor.service MainPID)/cgroup) == /system.slice/og-editor.service ]]" "the service's nvim was moved out of its unit"

# a Killed the user forges on the system bus: it is on the bus (a monitor
# sees it) but not from the owner of org.oomguard, so the agent never takes
# it (checked below: never shown)
wait_until "grep -q listening /tmp/agent.log" 20 || fail_all "the agent is not listening: $(cat /tmp/agent.log)"
dbus-monitor --system "type='signal',interface='org.oomguard.Manager1'" >/tmp/monitor.txt 2>&1 &
mon=$!
sleep 1
runuser -u og -- dbus-send --system --type=signal /org/oomguard org.oomguard.Manager1.Killed \
	uint32:1 uint32:4242 string:forged string:memory string:memory string:forged string:/
wait_until "grep -q forged /tmp/monitor.txt" 10
require "grep -q forged /tmp/monitor.txt" "the forged signal was not on the bus (the test proves nothing): $(head -c 300 /tmp/monitor.txt)"
# and one sent to the agent by its unique name (no match rule stands between)
agent=$(pgrep -u og -f 'oomguard notify' | head -1)
uname=$(busctl --system list --no-legend --unique 2>/dev/null | awk -v p="$agent" '$2 == p { print $1; exit }')
info agent_pid=$agent agent_name=$uname
require "[[ -n '$uname' ]]" "the agent has no connection on the system bus"
runuser -u og -- dbus-send --system --dest="$uname" --type=signal /org/oomguard org.oomguard.Manager1.Killed \
	uint32:2 uint32:4242 string:forged-direct string:memory string:memory string:forged string:/

# og's hog, killed; the notification names it
oom0=$(oom_kill_count)
runuser -u og -- sh -c "echo \$\$ >/tmp/hog.pid; exec $hog --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb" &
h=$!
wait_until "[[ -s /tmp/hog.pid ]]" 20
hp=$(cat /tmp/hog.pid)
wait_for_exit "$h" 120 || { kill -KILL "$h"; require false "the hog was alive after 120 s"; }
info hog_pid=$hp hog_peak_mb="$(tr -d ' ' </tmp/hog.mb 2>/dev/null)"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired"
require "j | grep -q '\"victim\":{\"pid\":$hp,'" "no record of oomguard's kill of og's hog ($hp)"
wait_until "grep -q runaway /tmp/notes.jsonl" 10
info notes="$(tr '\n' '|' </tmp/notes.jsonl)" agent="$(tr '\n' '|' </tmp/agent.log)"
require "python3 -c 'import json,sys; n=[json.loads(l) for l in open(\"/tmp/notes.jsonl\")]; sys.exit(not any(x[\"summary\"] == \"oomguard stopped runaway (pid $hp)\" and x[\"app\"] == \"oomguard\" and x[\"urgency\"] == 2 and x[\"uid\"] == 4242 for x in n))'" \
	"no desktop notification of the hog's kill: $(cat /tmp/notes.jsonl)"
require "! grep -q forged /tmp/notes.jsonl" "the forged signal was shown"
require "grep -q 'member=Killed' /tmp/monitor.txt && grep -q 'string \"runaway\"' /tmp/monitor.txt" "the daemon's Killed for the hog was not seen on the bus: $(tail -c 400 /tmp/monitor.txt)"
kill "$mon" 2>/dev/null
require "pid_alive $nv" "nvim died"

# a reload with new settings: the slice and the service's unit take them
sed -i 's/memory_low: 200MiB, cpu_weight: 150/memory_low: 300MiB, cpu_weight: 170/' "$cfg"
systemctl reload oomguard
wait_until "[[ \$(sd oom_protector.slice MemoryLow) == 314572800 && \$(sd og-editor.service MemoryLow) == 314572800 ]]" 20
info after_reload="slice MemoryLow=$(sd oom_protector.slice MemoryLow) CPUWeight=$(sd oom_protector.slice CPUWeight), service MemoryLow=$(sd og-editor.service MemoryLow) CPUWeight=$(sd og-editor.service CPUWeight)"
require "[[ \$(sd oom_protector.slice MemoryLow) == 314572800 && \$(sd oom_protector.slice CPUWeight) == 170 ]]" "the slice did not take the reloaded settings"
require "[[ \$(sd og-editor.service MemoryLow) == 314572800 && \$(sd og-editor.service CPUWeight) == 170 ]]" "the service's unit did not take the reloaded settings"

# stop: the service's unit gets its own settings back
systemctl stop oomguard
info service_memory_low_after_stop="$(sd og-editor.service MemoryLow)"
require "[[ \$(sd og-editor.service MemoryLow) == '$low0' ]]" "the service's MemoryLow was not given back ($(sd og-editor.service MemoryLow), was $low0)"
systemctl stop og-editor.service
pkill -u og
verdict
