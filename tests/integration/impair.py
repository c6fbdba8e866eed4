#!/usr/bin/env python3
"""A wire with loss, delay, jitter, reordering and duplication between two
interfaces, for lab_tcp.sh: this machine's kernel has no sch_netem, so
`tc qdisc ... netem` is not available and the impairment runs in userspace.

  impair.py IF_A IF_B [--loss P] [--delay MS] [--jitter MS] [--reorder P]
            [--dup P] [--seed N]

Frames read on one interface (AF_PACKET, promiscuous) are written to the
other after delay + uniform(0, jitter) ms; with probability --loss a frame
is dropped, --dup it is sent twice, --reorder it is sent at once instead of
after the delay (netem's meaning: it overtakes the delayed frames before
it). Percentages are 0..100. Prints "ready" once both sockets are bound;
runs until killed; prints counters on SIGTERM.
"""
import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("if_a")
    ap.add_argument("if_b")
    ap.add_argument("--loss", type=float, default=0)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--jitter", type=float, default=0)
    ap.add_argument("--reorder", type=float, default=0)
    ap.add_argument("--dup", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    socks = []
    for name in (a.if_a, a.if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        # PACKET_ADD_MEMBERSHIP / PACKET_MR_PROMISC: frames for any MAC.
        mreq = socket.if_nametoindex(name).to_bytes(4, sys.byteorder) + (1).to_bytes(2, sys.byteorder) + bytes(10)
        s.setsockopt(263, 1, mreq)
        s.setblocking(False)
        socks.append(s)
    out = {socks[0].fileno(): socks[1], socks[1].fileno(): socks[0]}
    queue = []  # (due, seq, sock, frame)
    seq = 0
    stats = {"in": 0, "out": 0, "lost": 0, "dup": 0, "reordered": 0}

    def stop(*_):
        print(" ".join(f"{k}={v}" for k, v in stats.items()), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    poller = select.epoll()
    for s in socks:
        poller.register(s.fileno(), select.EPOLLIN)
    print("ready", flush=True)  # both sockets bound: lab_tcp.sh waits for this line
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, dst, frame = heapq.heappop(queue)
            try:
                dst.send(frame)
                stats["out"] += 1
            except OSError:
                stats["lost"] += 1  # a full socket buffer is a drop, as on a wire
        timeout = max(0.0, queue[0][0] - now) if queue else 0.05
        for fd, _ in poller.poll(timeout):
            src = socks[0] if fd == socks[0].fileno() else socks[1]
            for _ in range(64):
                try:
                    frame, addr = src.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue  # our own transmissions, seen again on the socket
                stats["in"] += 1
                if rng.random() * 100 < a.loss:
                    stats["lost"] += 1
                    continue
                copies = 2 if rng.random() * 100 < a.dup else 1
                stats["dup"] += copies - 1
                for _ in range(copies):
                    if rng.random() * 100 < a.reorder:
                        due = time.monotonic()
                        stats["reordered"] += 1
                    else:
                        due = time.monotonic() + (a.delay + rng.random() * a.jitter) / 1000
                    seq += 1
                    heapq.heappush(queue, (due, seq, out[fd], frame))


if __name__ == "__main__":
    main()
