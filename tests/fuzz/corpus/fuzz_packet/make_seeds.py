#!/usr/bin/env python3
"""Writes the fuzz_packet seed frames into the folder of this script (run it from anywhere)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = bytes([2, 0, 0, 0, 0, 1])
CLIENT = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56])
BCAST = b"\xff" * 6


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, vlans=()):
    h = dst + src
    for tpid, tci in vlans:
        h += struct.pack("!HH", tpid, tci)
    return h + struct.pack("!H", etype)


def ipv4(src, dst, proto, payload, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def icmp_echo(ident, seq, data):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, bytes(spa), tha, bytes(tpa))


def tcp(sport, dport, flags):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0)


CL, ND = [10, 1, 100, 22], [10, 1, 100, 1]
SRV = [172, 16, 200, 209]
seeds = {
    "arp_request": eth(BCAST, CLIENT, 0x0806) + arp(1, CLIENT, CL, b"\0" * 6, ND) + b"\0" * 18,
    "arp_qinq": eth(BCAST, CLIENT, 0x0806, [(0x88A8, 10), (0x8100, 20)])
    + arp(1, CLIENT, CL, b"\0" * 6, ND),
    "icmp_echo": eth(NODE, CLIENT, 0x0800) + ipv4(CL, ND, 1, icmp_echo(1, 1, bytes(range(32)))) + b"\1",
    "icmp_vlan": eth(NODE, CLIENT, 0x0800, [(0x8100, 100)]) + ipv4(CL, ND, 1, icmp_echo(7, 9, b"")),
    "udp": eth(NODE, CLIENT, 0x0800) + ipv4(CL, ND, 17, struct.pack("!HHHH", 5353, 53, 10, 0) + b"hi"),
    "tcp_syn": eth(NODE, CLIENT, 0x0800)
    + ipv4(CL, ND, 6, struct.pack("!HHIIBBHHH", 40000, 443, 1, 0, 0x50, 2, 65535, 0, 0)),
    "fragment": eth(NODE, CLIENT, 0x0800) + ipv4(CL, ND, 17, b"\0" * 16, frag=0x2000),
    "runt": b"\xff" * 10,
    # Transit (to a server behind the node): the forwarding/session path.
    "udp_transit": eth(NODE, CLIENT, 0x0800) + ipv4(CL, SRV, 17, struct.pack("!HHHH", 5353, 53, 12, 0) + b"dns?"),
    "udp_transit_reply": eth(NODE, CLIENT, 0x0800) + ipv4(SRV, CL, 17, struct.pack("!HHHH", 53, 5353, 8, 0)),
    "tcp_transit_syn": eth(NODE, CLIENT, 0x0800) + ipv4(CL, SRV, 6, tcp(40000, 80, 0x02)),
    "tcp_transit_synack": eth(NODE, CLIENT, 0x0800) + ipv4(SRV, CL, 6, tcp(80, 40000, 0x12)),
    "tcp_transit_fin": eth(NODE, CLIENT, 0x0800) + ipv4(CL, SRV, 6, tcp(40000, 80, 0x11)),
    "tcp_transit_rst": eth(NODE, CLIENT, 0x0800) + ipv4(SRV, CL, 6, tcp(80, 40000, 0x14)),
    "icmp_transit": eth(NODE, CLIENT, 0x0800) + ipv4(CL, SRV, 1, icmp_echo(3, 1, b"ping")),
    # A LAND packet: source = destination, a tuple that is its own reverse.
    # The odd first byte puts it on the fuzz target's ingress 1, where its
    # policy 1 accepts it and the session is made.
    "icmp_transit_land": eth(bytes([3, 0, 0, 0, 0, 1]), CLIENT, 0x0800)
    + ipv4(CL, CL, 1, icmp_echo(3, 1, b"land")),
}
os.makedirs(HERE, exist_ok=True)
for name, frame in seeds.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(frame)
