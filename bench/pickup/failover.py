#!/usr/bin/env python3
"""Per-kill figures of one failover run of bench/pickup/run, and its plot.

Inputs: tandem-gen's JSON (start_unix_ns = wall clock of timeline ms 0,
dead_flows, flow_revisit_s) and per-ms CSV (ms,rx_frames,tx_frames,
lost_so_far,flows_last_rx), the driver's kill list ("k killed survivor
t_kill_ns t_restart_ns t_back_ns ok") and both node logs. Per kill:
  outage_ms   longest run of milliseconds without a received frame from
              the kill to the restart of the killed node
  dead        flows whose last frame came from one revisit before this kill
              up to one revisit before the next (they never came back)
  takeover_ms survivor's "gratuitous ARP round 0" minus the kill
Prints one TSV line per kill: label k outage_ms dead takeover_ms.
Writes an SVG (by hand, no matplotlib): rx frames per ms, kills marked.
"""
import argparse
import csv
import json
import re
import time

LOG_LINE = re.compile(r'date=(\d{4}-\d\d-\d\d) time=(\d\d:\d\d:\d\d)\.(\d{3}) level="\w+" msg="(.*)"$')


def log_events(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LOG_LINE.search(line.rstrip("\n"))
            if m:
                t = time.mktime(time.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S"))
                out.append((t * 1000.0 + int(m.group(3)), m.group(4)))
    return out


def svg(path, rx, kills_ms, title):
    width, height, left, bottom = 1200, 360, 60, 40
    n = len(rx)
    # One bar per pixel column: the minimum rx of its ms range, so a gap of
    # even one ms stays visible at any zoom.
    cols = width - left - 10
    per = max(1, (n + cols - 1) // cols)
    mins = [min(rx[i:i + per]) for i in range(0, n, per)]
    maxs = [max(rx[i:i + per]) for i in range(0, n, per)]
    top = max(maxs) if maxs else 1
    top = top or 1
    plot_h = height - bottom - 30
    def y(v):
        return 30 + plot_h - plot_h * v / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="18" font-size="13">{title}</text>']
    for i, (lo, hi) in enumerate(zip(mins, maxs)):
        x = left + i
        parts.append(f'<line x1="{x}" y1="{y(hi):.1f}" x2="{x}" y2="{y(0):.1f}" stroke="#9ab"/>')
        parts.append(f'<line x1="{x}" y1="{y(lo):.1f}" x2="{x}" y2="{y(0):.1f}" stroke="#247"/>')
    for k, ms in enumerate(kills_ms, 1):
        x = left + ms / per
        parts.append(f'<line x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{y(0):.1f}" stroke="red" '
                     f'stroke-dasharray="3,2"/><text x="{x + 2:.1f}" y="42" fill="red">kill {k}</text>')
    parts.append(f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 10}" y2="{y(0):.1f}" stroke="black"/>')
    parts.append(f'<line x1="{left}" y1="30" x2="{left}" y2="{y(0):.1f}" stroke="black"/>')
    parts.append(f'<text x="4" y="{y(top):.1f}">{top}</text><text x="4" y="{y(0):.1f}">0</text>')
    for s in range(0, n // 1000 + 1, max(1, n // 10000)):
        x = left + s * 1000 / per
        parts.append(f'<text x="{x:.1f}" y="{height - 22}">{s}s</text>')
    parts.append(f'<text x="{left}" y="{height - 6}">rx frames per ms (dark: min, light: max of '
                 f'the {per} ms per column); red: kill -9 of the primary</text></svg>')
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser()
    for a in ("--label", "--json", "--csv", "--kills", "--log-a", "--log-b", "--svg"):
        ap.add_argument(a, required=True)
    ap.add_argument("--rate", required=True)
    a = ap.parse_args()
    d = json.load(open(a.json))["result"]
    start_ms = d["start_unix_ns"] / 1e6
    revisit_ms = d["flow_revisit_s"] * 1000.0
    rx, last = [], []
    with open(a.csv) as f:
        for row in csv.DictReader(f):
            rx.append(int(row["rx_frames"]))
            last.append(int(row["flows_last_rx"]))
    end_alive_ms = len(rx) - d["dead_after_s"] * 1000.0
    kills = [l.split() for l in open(a.kills) if l.strip()]
    logs = {"a": log_events(a.log_a), "b": log_events(a.log_b)}
    kill_ms = [(int(k[3]) / 1e6) - start_ms for k in kills]
    for i, k in enumerate(kills):
        t_kill = int(k[3]) / 1e6
        t_restart = int(k[4]) / 1e6
        lo, hi = int(kill_ms[i]), min(len(rx), int(t_restart - start_ms))
        gap = best = 0
        for ms in range(max(0, lo), hi):
            gap = gap + 1 if rx[ms] == 0 else 0
            best = max(best, gap)
        w_lo = kill_ms[i] - revisit_ms - 1
        w_hi = kill_ms[i + 1] - revisit_ms - 1 if i + 1 < len(kills) else end_alive_ms
        dead = sum(last[ms] for ms in range(max(0, int(w_lo)), min(len(last), int(min(w_hi, end_alive_ms)))))
        take = [t for t, m in logs[k[2]] if t >= t_kill - 1 and "gratuitous ARP round 0" in m]
        takeover = f"{take[0] - t_kill:.0f}" if take else "nan"
        print(f"{a.label}\t{k[0]}\t{best}\t{dead}\t{takeover}\t{a.rate}\t{d['dead_flows']}\t{k[6]}")
    svg(a.svg, rx, kill_ms, f"{a.label}: {len(kills)} kills, {a.rate} pps per stream, "
        f"dead flows {d['dead_flows']}, lost frames {d['lost']}")


if __name__ == "__main__":
    main()
