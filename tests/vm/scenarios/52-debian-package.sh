#!/bin/bash
# The Debian package under Debian's systemd as PID 1 (issue 18): `dpkg -i`
# of the .deb that `packaging/deb.sh BUILDDIR` built (tests/run-all's
# "Debian package" step writes it to BUILDDIR/deb/; without it the scenario
# SKIPs and says how to build it). The guest's root is the host's under a
# tmpfs overlay, so dpkg's database and /usr, /etc change in the guest only.
# Checks: the package's postinst enables and starts the unit, and `systemctl
# start oomguard` keeps it active (running) through Type=notify, running
# /usr/sbin/oomguard on the packaged config /etc/oomguard/oomguard.yaml (a
# conffile); a fast hog is killed by the packaged daemon; `man oomguard` and
# `man oomguard.yaml` show the installed pages; `dpkg --purge` stops the
# service and removes the binary, the unit, the config and its directory.
# vm-init: systemd
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
require_bin og-hog
[[ $(cat /proc/1/comm) == systemd ]] || fail_all "PID 1 is $(cat /proc/1/comm), not systemd"
deb=$(ls "$OG_BUILD"/deb/oomguard_*_amd64.deb 2>/dev/null | tail -1)
[[ -n $deb ]] || skip_all "no package in $OG_BUILD/deb/: build it with packaging/deb.sh $OG_BUILD (tests/run-all does)"
j() { journalctl -u oomguard -o cat --no-pager; }
state() { echo "$(systemctl show -P ActiveState oomguard)/$(systemctl show -P SubState oomguard)"; }
info deb="$deb"

dpkg -i "$deb" >/tmp/dpkg.log 2>&1 || fail_all "dpkg -i failed: $(tail -5 /tmp/dpkg.log | tr '\n' ' ')"
save_out /tmp/dpkg.log
require "[[ \$(dpkg-query -W -f='\${Status}' oomguard) == 'install ok installed' ]]" "dpkg does not list oomguard as installed"
require "[[ -x /usr/sbin/oomguard ]]" "no /usr/sbin/oomguard"
require "dpkg-query -W -f='\${Conffiles}' oomguard | grep -q '^ /etc/oomguard/oomguard.yaml '" \
	"/etc/oomguard/oomguard.yaml is not a conffile"
require "systemctl is-enabled -q oomguard" "the postinst did not enable oomguard.service"
unit=$(systemctl show -P FragmentPath oomguard)
require "[[ '$unit' == */lib/systemd/system/oomguard.service ]]" "the unit is $unit, not the packaged one"

systemctl start oomguard || fail_all "systemctl start oomguard failed: $(systemctl status oomguard --no-pager | tail -5 | tr '\n' ' ')"
require "[[ \$(state) == active/running ]]" "oomguard is $(state), not active/running"
require "[[ \$(systemctl show -P Type oomguard) == notify ]]" "the unit is not Type=notify"
pid=$(systemctl show -P MainPID oomguard)
cmd=$(tr '\0' ' ' </proc/"$pid"/cmdline)
info main_pid="$pid" cmdline="$cmd"
require "[[ '$cmd' == '/usr/sbin/oomguard --config /etc/oomguard/oomguard.yaml ' ]]" "the daemon runs as '$cmd'"
wait_until "j | grep -q 'config: /etc/oomguard/oomguard.yaml'" 10
require "j | grep -q 'config: /etc/oomguard/oomguard.yaml'" "the journal does not show the packaged config in force"

# the packaged daemon kills a fast hog
require_unit_kills_hog "the packaged daemon"

# the records as a log pipeline gets them (docs/fleet.md quotes them)
j | grep '^{"time"' >/tmp/records.jsonl
save_out /tmp/records.jsonl

# the man pages
LC_ALL=C MANWIDTH=200 man oomguard >/tmp/man8.txt 2>/tmp/man8.err
LC_ALL=C MANWIDTH=200 man 5 oomguard.yaml >/tmp/man5.txt 2>/tmp/man5.err
save_out /tmp/man8.txt /tmp/man5.txt
require "tr -s ' ' </tmp/man8.txt | grep -q 'oomguard - keep a Linux machine responsive'" "man oomguard: $(head -c 300 /tmp/man8.err)"
require "grep -q 'memory.grace_period' /tmp/man5.txt && grep -q '/etc/oomguard/oomguard.yaml' /tmp/man5.txt" \
	"man 5 oomguard.yaml: no key list or not the packaged paths: $(head -c 300 /tmp/man5.err)"

# purge: the service stops, the files go
dpkg --purge oomguard >/tmp/purge.log 2>&1 || require false "dpkg --purge failed: $(tail -3 /tmp/purge.log | tr '\n' ' ')"
save_out /tmp/purge.log
require "! kill -0 $pid 2>/dev/null" "the daemon ($pid) still runs after the purge"
require "[[ ! -e /usr/sbin/oomguard && ! -e /etc/oomguard && ! -e /lib/systemd/system/oomguard.service && ! -e /usr/lib/systemd/system/oomguard.service ]]" \
	"files left after the purge: $(ls -d /usr/sbin/oomguard /etc/oomguard /lib/systemd/system/oomguard.service 2>/dev/null | tr '\n' ' ')"
require "! systemctl is-enabled -q oomguard 2>/dev/null" "oomguard.service is still enabled after the purge"
verdict
