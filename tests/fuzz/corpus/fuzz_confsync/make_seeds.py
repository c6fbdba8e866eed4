#!/usr/bin/env python3
"""Writes the fuzz_confsync seed corpus: one valid frame of each message
type (wire format of docs/confsync.md), two frames back to back, and a few
near misses. Run from this directory: ./make_seeds.py"""
import struct

def s8(b): return bytes([len(b)]) + b
def s16(b): return struct.pack(">H", len(b)) + b
def s32(b): return struct.pack(">I", len(b)) + b
def sums(pairs):
    out = bytes([len(pairs)])
    for name, value in pairs:
        out += s8(name) + s8(value)
    return out
def frame(t, payload, version=1):
    return b"TC" + bytes([version, t]) + struct.pack(">I", len(payload)) + payload

SUMS = [(b"system global", b"0123456789abcdef0123456789abcdef"), (b"all", b"fedcba9876543210fedcba9876543210")]
TEXT = b'config firewall address\n    edit "web"\n        set subnet 10.1.0.0 255.255.255.0\n    next\nend\n'
hello = frame(1, s8(b"FGT-A") + s8(b"0.1.0") + b"\x01" + struct.pack(">Q", 7) + sums(SUMS))
full = frame(2, struct.pack(">Q", 7) + s32(TEXT) + sums(SUMS))
change = frame(3, struct.pack(">QQ", 3, 8) + s32(TEXT) + sums(SUMS))
ack_ok = frame(4, struct.pack(">QQ", 3, 8) + b"\x01" + s16(b"") + sums(SUMS))
ack_err = frame(4, struct.pack(">QQ", 3, 7) + b"\x00" + s16(b"checksum mismatch") + sums([]))
checks = frame(5, b"\x00" + struct.pack(">Q", 8) + sums(SUMS))
seeds = {
    "hello": hello, "full": full, "change": change, "ack_ok": ack_ok, "ack_error": ack_err,
    "checksums": checks, "hello_then_change": hello + change,
    "truncated_change": change[:20], "bad_version": frame(1, hello[8:], version=2),
}
for name, data in seeds.items():
    with open(name, "wb") as f:
        f.write(data)
