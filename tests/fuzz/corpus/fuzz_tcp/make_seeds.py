#!/usr/bin/env python3
"""Writes the fuzz_tcp seed corpus (see tests/fuzz/fuzz_tcp.cc for the
input format): a handshake to the listener with data and a close, an
answer to the stack's own active open, RSTs, clock steps, app calls.
Run from this directory: ./make_seeds.py"""
import struct

STEER = 0x40

def tcp(sport, dport, seq, ack, flags, window=65535, opts=b"", payload=b""):
    while len(opts) % 4:
        opts += b"\x01"
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0)
    return hdr + opts + payload

def seg(raw, steer=False, stranger=False):
    op = 2 | (STEER if steer else 0) | (4 if stranger else 0)
    return bytes([op, len(raw) - 20]) + raw

def tick(ms):
    return bytes([0, ms - 1])

def app(action, which=0, n=4):
    return bytes([1 | (action << 2), which, n])

SYN, ACK, FIN, RST, PSH = 2, 16, 1, 4, 8
MSS = b"\x02\x04\x05\xb4"
SYN_OPTS = MSS + b"\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07"

seeds = {
    # SYN, ACK (steered onto our ISS), data, FIN, then time.
    "passive_open_close": seg(tcp(4000, 80, 1000, 0, SYN, opts=SYN_OPTS))
        + seg(tcp(4000, 80, 0, 1, ACK), steer=True)
        + seg(tcp(4000, 80, 0, 1, ACK | PSH, payload=b"hello world"), steer=True)
        + app(1, 0, 8)
        + seg(tcp(4000, 80, 0, 0, ACK | FIN), steer=True)
        + tick(30) + tick(60),
    # The SYN-ACK for the stack's own SYN to 10.0.0.2:443.
    "active_open": seg(tcp(443, 50000, 7000, 1, SYN | ACK, opts=SYN_OPTS), steer=True)
        + app(1, 0, 200) + tick(5)
        + seg(tcp(443, 50000, 0, 100, ACK), steer=True)
        + seg(tcp(443, 50000, 0, 0, RST), steer=True),
    # Backlog 2: the third SYN gets a cookie; a forged cookie ACK.
    "syn_flood": b"".join(seg(tcp(5000 + k, 80, 100 * k, 0, SYN, opts=MSS)) for k in range(4))
        + seg(tcp(5003, 80, 301, 12345, ACK)),
    "out_of_order": seg(tcp(4000, 80, 1000, 0, SYN, opts=SYN_OPTS))
        + seg(tcp(4000, 80, 0, 1, ACK), steer=True)
        + seg(tcp(4000, 80, 0, 0x7f, ACK, payload=b"B" * 50), steer=True)
        + seg(tcp(4000, 80, 0, 0, ACK, payload=b"A" * 10), steer=True)
        + tick(1),
    "timers_only": tick(100) + tick(255) + tick(255) + app(4) + app(2),
    "stranger_rst": seg(tcp(1, 2, 3, 4, RST | ACK), stranger=True)
        + seg(tcp(9, 80, 0, 0, SYN | FIN | PSH, payload=b"x"), stranger=True),
}
for name, body in seeds.items():
    with open(name, "wb") as f:
        f.write(body)
