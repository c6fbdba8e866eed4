#!/usr/bin/env python3
"""Writes fuzz_hb seeds into the folder of this script, from an independent
implementation of docs/ha.md (so a seed that decodes also cross-checks the
spec). Byte 0 of each seed selects the fuzz_hb mode: 0 frame, 1 payload."""
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives import hmac

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD, GROUP = b"fuzz-password", 7  # as in tests/fuzz/fuzz_hb.cc


def lstr(s):
    return bytes([len(s)]) + s


def payload(role=1, flags=1, prio=200, score=1, total=2, sync=1, uptime=123456,
            host=b"node-a", ver=b"v0.1.0", csum=b"00ff", dev=b"ha"):
    return (struct.pack("!BBBBBBQ", role, flags, prio, score, total, sync, uptime)
            + lstr(host) + lstr(ver) + lstr(csum) + lstr(dev))


def frame(pl, serial=b"FGVM01TM22000001", epoch=0x1122334455667788, seq=1, group=GROUP,
          password=PASSWORD):
    h = hmac.HMAC(b"tandem-hb-v1 group " + struct.pack("!H", group), hashes.SHA256())
    h.update(password)
    prk = h.finalize()
    s16 = serial.ljust(16, b"\0")
    key = HKDFExpand(hashes.SHA256(), 32, b"tandem-hb-v1 aes-256-gcm" + s16 + struct.pack("!Q", epoch)).derive(prk)
    hdr = struct.pack("!BBH", 1, 1, group) + s16 + struct.pack("!QQH", epoch, seq, len(pl))
    sealed = AESGCM(key).encrypt(b"\0\0\0\0" + struct.pack("!Q", seq), pl, hdr)
    return b"\xff" * 6 + bytes([2, 0, 0, 0, 0, 1]) + b"\x88\xb5" + hdr + sealed


def main():
    seeds = {
        "frame_primary": b"\0" + frame(payload()),
        "frame_secondary_seq9": b"\0" + frame(payload(role=2, flags=0, sync=2), seq=9),
        "frame_wrong_group": b"\0" + frame(payload(), group=8),
        "frame_wrong_password": b"\0" + frame(payload(), password=b"nope"),
        "frame_truncated": b"\0" + frame(payload())[:50],
        "payload_full": b"\1" + payload(flags=0x0f, host=b"x" * 35, csum=b"a" * 64),
        "payload_empty_strings": b"\1" + payload(host=b"", ver=b"", csum=b"", dev=b""),
    }
    for name, data in seeds.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
