#!/bin/bash
# The network guard on a real kernel, inside the guest only (it has no
# network to the outside; every address here is link-local). oomguard runs
# in the initial namespace, where a bridge br0 joins two namespaces, ns1
# and ns2, through veth pairs (vh1-vn1, vh2-vn2).
#  1. The normal setup (br0 takes a port's MAC, ARP and neighbour discovery
#     between the namespaces and br0): no finding at all.
#  2. Two interfaces of the initial namespace with one MAC (a veth pair,
#     both ends set to it): dup-mac-local; the frames one end sends and the
#     other receives are our own, not another station's.
#  3. ns2 takes br0's MAC and sends an ARP request: dup-mac-remote naming
#     br0, its address, within a second; a kmsg line.
#  4. br0 is given fe80::99, which ns1 already has: IPv6 DAD fails on br0,
#     dad-failed names the address and ns1's MAC.
# vm-memory: 768M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin oomguard
command -v ip >/dev/null || skip_all "ip (iproute2) not in the guest"
command -v python3 >/dev/null || skip_all "python3 not in the guest"
[[ -d /proc/sys/net/ipv6 ]] || skip_all "no IPv6 in this kernel"
modprobe veth 2>/dev/null
modprobe bridge 2>/dev/null
ip link add og-probe type veth peer name og-probe-p 2>/dev/null || skip_all "no veth in this kernel"
ip link del og-probe
ip link add og-probe type bridge 2>/dev/null || skip_all "no bridge in this kernel"
ip link del og-probe
ip netns add og-probe 2>/dev/null || skip_all "no network namespaces in this kernel"
ip netns del og-probe

# send_arp NS IFACE MAC SENDER TARGET: one ARP request, Ethernet source and
# sender hardware address MAC, from namespace NS; prints when it went (ms).
send_arp() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" "$5" <<'PY'
import socket, struct, sys, time
ifname, mac, spa, tpa = sys.argv[1:5]
m = bytes.fromhex(mac.replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + m + socket.inet_aton(spa) \
    + b"\0" * 6 + socket.inet_aton(tpa)
s.send(b"\xff" * 6 + m + b"\x08\x06" + arp)
print(int(time.time() * 1000))
PY
}

# net_events: the network guard's events so far, space-separated.
net_events() { rec '[x["event"] for x in r if x.get("guard") == "network"]'; }
# net_field EVENT FIELD: that field of each record of the event.
net_field() { rec "[x['network']['$2'] for x in r if x.get('guard') == 'network' and x['event'] == '$1']"; }

cat >/tmp/net.yaml <<'YAML'
network:
  enabled: true
  duplicate_mac: true
YAML
start_guard --config /tmp/net.yaml
grep -q 'no packet socket' "$OG_ERR" && fail_all "the packet socket did not open: $(grep 'no packet socket' "$OG_ERR")"

# ---- 1. the normal setup ----------------------------------------------------
on_exit "ip netns del ns1 2>/dev/null; ip netns del ns2 2>/dev/null; ip link del br0 2>/dev/null"
ip link set lo up
# no STP delay, no multicast snooping: ND multicast reaches every port at once
ip link add br0 type bridge forward_delay 0 mcast_snooping 0 || fail_all "cannot create br0"
for i in 1 2; do
	ip netns add ns$i || fail_all "cannot create ns$i"
	ip link add vh$i type veth peer name vn$i || fail_all "cannot create vh$i/vn$i"
	ip link set vn$i netns ns$i
	ip link set vh$i master br0 up
	ip -n ns$i link set lo up
	ip -n ns$i link set vn$i up
	ip -n ns$i addr add 169.254.0.$((10 + i))/16 dev vn$i
done
ip link set br0 up
ip addr add 169.254.0.1/16 dev br0
brmac=$(cat /sys/class/net/br0/address)
vn1mac=$(ip -n ns1 -br link show vn1 | awk '{print $3}')
log "br0 $brmac (vh1 $(cat /sys/class/net/vh1/address), vh2 $(cat /sys/class/net/vh2/address)), vn1 $vn1mac"
# link-local addresses come up and pass DAD; some ARP both ways
wait_until "! ip -6 addr show tentative | grep -q inet6" 20 ||
	log "addresses still tentative after 20 s: $(ip -6 addr show tentative)"
for i in 1 2; do
	send_arp ns$i vn$i "$(ip -n ns$i -br link show vn$i | awk '{print $3}')" 169.254.0.$((10 + i)) 169.254.0.1 >/dev/null
done
sleep 3         # past the guard's 1 s settle time after the last link change
status=$("$(og_bin oomguard)" status --config /tmp/net.yaml 2>&1)
echo "$status" | sed -n '/^\[network\]/,/^$/p'
require "echo \"\$status\" | grep -q '^Mode: rtnetlink and a packet socket'" \
	"status does not say the packet socket is in use"
require "echo \"\$status\" | grep -q 'Interfaces watched: .*br0 $brmac'" "status does not list br0"
normal=$(net_events)
require "[[ -z '$normal' ]]" "findings in the normal setup: $normal"

# ---- 2. two local interfaces with one MAC -------------------------------------
on_exit "ip link del og-va 2>/dev/null"
ip link add og-va type veth peer name og-vb || fail_all "cannot create og-va/og-vb"
for v in og-va og-vb; do
	ip link set $v addrgenmode none         # no link-local address: no DAD between them
	ip link set $v address 02:00:00:00:37:01
	ip link set $v up
done
ip addr add 169.254.37.1/16 dev og-va
send_arp_local() {
	python3 - <<'PY'
import socket, struct
m = bytes.fromhex("020000003701")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("og-va", 0))
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + m + socket.inet_aton("169.254.37.1") \
    + b"\0" * 6 + socket.inet_aton("169.254.37.2")
s.send(b"\xff" * 6 + m + b"\x08\x06" + arp)
PY
}
send_arp_local          # out of og-va, in at og-vb: our own frame, not another station
wait_until "net_events | grep -q dup-mac-local" 10
local_if=$(net_field dup-mac-local interface)
local_other=$(net_field dup-mac-local other_interface)
require "[[ '$local_if $local_other' == 'og-va og-vb' || '$local_if $local_other' == 'og-vb og-va' ]]" \
	"dup-mac-local names '$local_if' and '$local_other', not og-va and og-vb"
require "[[ '$(net_field dup-mac-local mac)' == 02:00:00:00:37:01 ]]" "dup-mac-local has the wrong MAC"
require "! net_events | grep -q dup-mac-remote" \
	"our own frame, sent on og-va and received on og-vb, was taken for another station"

# ---- 3. another station with br0's MAC ----------------------------------------
# only the ARP below carries the MAC (no IPv6 DAD or router solicitation)
ip netns exec ns2 sh -c 'echo 1 >/proc/sys/net/ipv6/conf/vn2/disable_ipv6' ||
	fail_all "cannot turn IPv6 off on vn2"
ip -n ns2 link set vn2 down
ip -n ns2 link set vn2 address "$brmac" || fail_all "ns2 cannot take br0's MAC"
ip -n ns2 link set vn2 up
sent=$(send_arp ns2 vn2 "$brmac" 169.254.0.12 169.254.0.1)
wait_until "net_events | grep -q dup-mac-remote" 10
got=$(rec '[x["time_ms"] for x in r if x.get("guard") == "network" and x["event"] == "dup-mac-remote"][:1]')
info dup_mac_remote_ms=$((${got:-0} - ${sent:-0})) seen_on="$(net_field dup-mac-remote seen_on)"
require "[[ -n '$got' ]]" "no dup-mac-remote record 10 s after ns2 sent ARP with br0's MAC"
require "[[ -n '$got' ]] && (( $got - $sent < 1000 ))" \
	"dup-mac-remote came $((${got:-0} - ${sent:-0})) ms after the ARP, not within a second"
require "[[ '$(net_field dup-mac-remote interface | cut -d' ' -f1)' == br0 ]]" \
	"dup-mac-remote does not name br0: $(net_field dup-mac-remote interface)"
require "[[ '$(net_field dup-mac-remote mac | cut -d' ' -f1)' == '$brmac' ]]" "dup-mac-remote has the wrong MAC"
require "[[ '$(net_field dup-mac-remote address | cut -d' ' -f1)' == 169.254.0.12 ]]" \
	"dup-mac-remote does not name the sender 169.254.0.12"
require "dmesg | grep -q 'oomguard: network: another station uses the MAC $brmac of br0'" \
	"no kmsg line for dup-mac-remote"

# ---- 4. IPv6 DAD fails on br0 ------------------------------------------------------
ip -n ns1 addr add fe80::99/64 dev vn1 nodad || fail_all "cannot add fe80::99 in ns1"
ip addr add fe80::99/64 dev br0 || fail_all "cannot add fe80::99 to br0"
wait_until "net_events | grep -q dad-failed" 10
log "br0: $(ip -6 addr show dev br0 | grep 'fe80::99')"
require "ip -6 addr show dev br0 | grep -q 'fe80::99/64.*dadfailed'" \
	"the kernel did not fail DAD for fe80::99 on br0 (the setup, not oomguard)"
require "[[ '$(net_field dad-failed address)' == fe80::99 ]]" "no dad-failed record for fe80::99"
require "[[ '$(net_field dad-failed interface)' == br0 ]]" "dad-failed does not name br0"
info dad_other_mac="$(net_field dad-failed other_mac)" vn1="$vn1mac"
require "[[ '$(net_field dad-failed other_mac)' == '$vn1mac' ]]" \
	"dad-failed names $(net_field dad-failed other_mac), not ns1's $vn1mac"

# ---- the whole run ---------------------------------------------------------------------
all=$(net_events)
info events="$all"
require "! echo '$all' | grep -q arp-flip-flop" "an ARP flip-flop nobody caused: $all"
require "guard_alive" "oomguard died"
stop_guard
verdict
