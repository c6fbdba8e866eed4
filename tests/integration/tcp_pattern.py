#!/usr/bin/env python3
"""The test service's byte pattern and checksums, for lab_tcp.sh.

  tcp_pattern.py check N   stdin must be exactly the first N bytes of the
                           pattern GET /N returns (dataplane/tcp/tcp_service.cc)
  tcp_pattern.py sum FILE  the line the service answers to a POST of FILE:
                           "bytes=<n> crc32=<8 hex> adler32=<8 hex>"

The pattern: a 64 KiB block B of an LCG's bytes (x = x * 1103515245 + 12345
mod 2^31 from x = 1, byte = x >> 16 & 0xff); byte j of block k is
B[(j + k * 4099) mod 65536]. Rebuilt here independently of the C++ code, so
a wrong byte on either side shows.
"""
import sys
import zlib

BLOCK = 65536
STEP = 4099


def base_block():
    x, out = 1, bytearray(BLOCK)
    for i in range(BLOCK):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


def check(n):
    b = base_block()
    seen, k, pending = 0, 0, b""
    stdin = sys.stdin.buffer
    while True:
        chunk = stdin.read(1 << 20)
        if not chunk:
            break
        pending += chunk
        while len(pending) >= BLOCK or (pending and seen + len(pending) >= n):
            at = (k * STEP) % BLOCK
            want = (b[at:] + b[:at])[: min(BLOCK, n - seen)] if seen < n else b""
            got = pending[: len(want)] if want else pending
            if not want or got != want[: len(got)]:
                off = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), len(want))
                print(f"mismatch at byte {seen + off} (block {k})")
                return 1
            if len(got) < len(want):
                break  # the rest of this block is still to come
            pending = pending[len(want):]
            seen += len(want)
            k += 1
    if seen != n or pending:
        print(f"got {seen + len(pending)} bytes, want {n}")
        return 1
    print(f"ok: {n} bytes match the pattern")
    return 0


def checksum(path):
    crc, adler, n = 0, 1, 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            crc = zlib.crc32(chunk, crc)
            adler = zlib.adler32(chunk, adler)
            n += len(chunk)
    print(f"bytes={n} crc32={crc:08x} adler32={adler:08x}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(int(sys.argv[2])))
    if len(sys.argv) == 3 and sys.argv[1] == "sum":
        sys.exit(checksum(sys.argv[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
