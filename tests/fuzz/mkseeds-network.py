#!/usr/bin/env python3
# Writes the seed corpora of fuzz_netframe (Ethernet frames: ARP, IPv6
# neighbour discovery, and some the parser must refuse) and fuzz_rtnl
# (rtnetlink datagrams as the kernel sends them: links with their kinds,
# masters and lower devices, addresses with IFA_FLAGS, the end of a dump,
# an error, a bridge's AF_BRIDGE notice, a truncated one).
#   tests/fuzz/mkseeds-network.py tests/fuzz/corpus
import os
import socket
import struct
import sys


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


M1, M2, BC = mac("52:54:00:00:00:01"), mac("52:54:00:00:00:02"), b"\xff" * 6


def arp(op, src, sha, spa, tpa):
    body = struct.pack(">HHBBH", 1, 0x0800, 6, 4, op) + sha + socket.inet_aton(spa) \
        + b"\0" * 6 + socket.inet_aton(tpa)
    return (BC + src + b"\x08\x06" + body).ljust(60, b"\0")


def nd(typ, src, ip6src, target=None, opt=0, lla=b"", hop=255, extra=b""):
    fixed = {133: 8, 134: 16, 135: 24, 136: 24, 137: 40}[typ]
    icmp = bytearray(fixed)
    icmp[0] = typ
    if target:
        icmp[8:24] = socket.inet_pton(socket.AF_INET6, target)
    if opt:
        icmp += bytes([opt, 1]) + lla
    icmp += extra
    ip = struct.pack(">IHBB", 0x60000000, len(icmp), 58, hop) \
        + socket.inet_pton(socket.AF_INET6, ip6src) + socket.inet_pton(socket.AF_INET6, "ff02::1")
    return b"\x33\x33\0\0\0\1" + src + b"\x86\xdd" + ip + bytes(icmp)


frames = {
    "arp_request": arp(1, M1, M1, "169.254.0.1", "169.254.0.2"),
    "arp_reply": arp(2, M2, M2, "169.254.0.2", "169.254.0.1"),
    "arp_probe": arp(1, M2, M2, "0.0.0.0", "169.254.0.9"),
    "arp_truncated": arp(1, M1, M1, "169.254.0.1", "169.254.0.2")[:40],
    "nd_ns": nd(135, M1, "fe80::1", "fe80::2", 1, M1),
    "nd_ns_dad": nd(135, M2, "::", "fe80::2"),
    "nd_na": nd(136, M2, "fe80::2", "fe80::2", 2, M2),
    "nd_rs": nd(133, M1, "fe80::1", None, 1, M1),
    "nd_ra": nd(134, M2, "fe80::9", None, 1, M2),
    "nd_redirect": nd(137, M2, "fe80::9", "fe80::3", 2, M1),
    "nd_hop64": nd(135, M1, "fe80::1", "fe80::2", 1, M1, hop=64),
    "nd_opt_zero": nd(135, M1, "fe80::1", "fe80::2", 1, M1, extra=b"\x0e\x00"),
    "ipv4_udp": BC + M1 + b"\x08\x00" + b"\x45" + b"\0" * 40,
}

RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR = 16, 17, 20, 21
NLMSG_ERROR, NLMSG_DONE = 2, 3
IFLA_ADDRESS, IFLA_IFNAME, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO = 1, 3, 5, 10, 18
IFLA_LINK_NETNSID = 37
IFLA_INFO_KIND, IFLA_INFO_SLAVE_KIND = 1, 4
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8


def attr(t, data):
    a = struct.pack("<HH", 4 + len(data), t) + data
    return a + b"\0" * (-len(a) % 4)


def msg(t, body, seq=0, flags=0):
    body = body + b"\0" * (-len(body) % 4)
    return struct.pack("<IHHII", 16 + len(body), t, flags, seq, 0) + body


def link(t, idx, name, m, kind=None, slave=None, master=0, lower=0, family=0, netnsid=False):
    body = struct.pack("<BxHiII", family, 1, idx, 0x1043, 0)
    body += attr(IFLA_IFNAME, name.encode() + b"\0") + attr(IFLA_ADDRESS, m)
    if master:
        body += attr(IFLA_MASTER, struct.pack("<I", master))
    if lower:
        body += attr(IFLA_LINK, struct.pack("<I", lower))
    if netnsid:
        body += attr(IFLA_LINK_NETNSID, struct.pack("<i", 1))
    if kind or slave:
        info = (attr(IFLA_INFO_KIND, kind.encode() + b"\0") if kind else b"") \
            + (attr(IFLA_INFO_SLAVE_KIND, slave.encode() + b"\0") if slave else b"")
        body += attr(IFLA_LINKINFO, info)
    return msg(t, body)


def addr(t, family, idx, a, flags, peer=None):
    raw = socket.inet_pton(family, a)
    body = struct.pack("<BBBBI", family, 64, flags & 0xff, 0, idx)
    body += attr(IFA_ADDRESS, socket.inet_pton(family, peer) if peer else raw)
    if peer:
        body += attr(IFA_LOCAL, raw)
    return msg(t, body + attr(IFA_FLAGS, struct.pack("<I", flags)))


rtnl = {
    "links": link(RTM_NEWLINK, 2, "eth0", M1, slave="bond", master=10)
    + link(RTM_NEWLINK, 3, "eth1", M1, slave="bond", master=10)
    + link(RTM_NEWLINK, 10, "bond0", M1, kind="bond")
    + link(RTM_NEWLINK, 11, "bond0.100", M1, kind="vlan", lower=10),
    "dup_pair": link(RTM_NEWLINK, 2, "eth0", M1) + link(RTM_NEWLINK, 3, "eth1", M1),
    "ovs": link(RTM_NEWLINK, 5, "ovs-system", M2, kind="openvswitch")
    + link(RTM_NEWLINK, 6, "br-ex", M1, kind="openvswitch", slave="openvswitch", master=5)
    + link(RTM_NEWLINK, 2, "eth0", M1, slave="openvswitch", master=5),
    "veth_elsewhere": link(RTM_DELLINK, 7, "veth0", M2, kind="veth", lower=4, netnsid=True),
    "bridge_notice": link(RTM_NEWLINK, 8, "veth1", M2, master=4, family=7),
    "addrs": addr(RTM_NEWADDR, socket.AF_INET6, 2, "fe80::1", 0x88)
    + addr(RTM_NEWADDR, socket.AF_INET, 2, "10.0.0.1", 0x80, peer="10.0.0.2")
    + addr(RTM_DELADDR, socket.AF_INET6, 2, "fe80::1", 0),
    "done_error": msg(NLMSG_DONE, struct.pack("<i", 0), seq=5)
    + msg(NLMSG_ERROR, struct.pack("<i", -16) + b"\0" * 16, seq=6),
    "truncated": link(RTM_NEWLINK, 2, "eth0", M1, kind="bond")[:37],
}

for target, seeds in (("fuzz_netframe", frames), ("fuzz_rtnl", rtnl)):
    d = os.path.join(sys.argv[1], target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
