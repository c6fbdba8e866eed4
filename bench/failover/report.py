#!/usr/bin/env python3
"""Tables for the failover benchmark: reads the JSON files kills.py wrote
(one per heartbeat configuration) and prints markdown tables and a short
summary; bench/failover/run calls it at the end and docs/bench-failover.md
holds its output. The first file is the configuration under test, the last
is the baseline (FortiOS defaults) that ratios refer to.

Percentiles are nearest-rank: with 20 kills, p99 is the largest sample."""
import json
import math
import sys

TAKEOVER_TARGET_MS = 50  # issue 4: with hb 10 ms x 3, first GARP <= 50 ms after the kill


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100.0 * len(xs)) - 1)] if xs else None


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return None
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0


def f(v, digits=0):
    return "n/a" if v is None else f"{v:.{digits}f}"


def values(r, key):
    return [k[key] for k in r["kills"] if k.get(key) is not None]


def last_hb_age(k):
    """How old the survivor's last heartbeat from the killed node was at the
    kill: the survivor logs the silence it saw ("no heartbeat for N ms");
    minus the time from the kill to that line. Above hb-interval means the
    primary sent its heartbeats late just before it died (CPU contention)."""
    if k.get("detect_ms") is None or not k.get("lost_after_last_hb", "").endswith(" ms"):
        return None
    return float(k["lost_after_last_hb"].split()[0]) - k["detect_ms"]


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    base = runs[-1]
    base_takeover = median(values(base, "takeover_ms"))
    out = []
    out.append("| configuration | dead interval | kills | detection median / p99 / max / min (ms) "
               "| takeover median / p99 / max / min (ms) | takeover / dead interval (median) "
               "| takeover vs defaults (median) | client outage: reply gap median / max (ms) "
               "| client: first reply after the kill median / max (ms) | pings lost per kill median / max "
               "| ping interval kept (ms) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        d, t, g = values(r, "detect_ms"), values(r, "takeover_ms"), values(r, "client_gap_ms")
        tm = median(t)
        ratio_dead = None if tm is None else tm / r["dead_ms"]
        ratio_base = None if tm is None or not base_takeover else tm / base_takeover
        out.append(
            f"| {r['name']}: hb-interval {r['hb_interval']} x {r['hb_unit']}, hb-lost-threshold {r['hb_lost']} "
            f"| {r['dead_ms']} ms | {len(r['kills'])}/{r['kills_planned']} "
            f"| {f(median(d), 1)} / {f(pct(d, 99))} / {f(max(d) if d else None)} / {f(min(d) if d else None)} "
            f"| {f(tm, 1)} / {f(pct(t, 99))} / {f(max(t) if t else None)} / {f(min(t) if t else None)} "
            f"| {f(ratio_dead, 2)} | {f(ratio_base, 3)} "
            f"| {f(median(g))} / {f(max(g) if g else None)} "
            f"| {f(median(values(r, 'client_resume_ms')))} / {f(max(values(r, 'client_resume_ms'), default=None))} "
            f"| {f(median(values(r, 'client_lost')))} / {f(max(values(r, 'client_lost'), default=None))} "
            f"| {f(r.get('ping_interval_measured_ms'), 1)} |")
    out.append("")
    out.append("| configuration | takeover - detection median / max (ms) | kill(2) to process gone, max (ms) "
               "| last heartbeat age at the kill median / max (ms) | re-join after restart median / max (s) | largest reply gap while the killed node re-joins (ms) | HA role changes / peer losses in the logs "
               "| false failovers (role changes without a kill) | spurious peer losses | load avg before -> after |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        ages = [x for x in (last_hb_age(k) for k in r["kills"]) if x is not None]
        diffs = [k["takeover_ms"] - k["detect_ms"] for k in r["kills"]
                 if k.get("takeover_ms") is not None and k.get("detect_ms") is not None]
        ff = [u for u in r["unexpected"] if " role " in u["msg"] or "split brain" in u["msg"]]
        sp = [u for u in r["unexpected"] if " lost: " in u["msg"]]
        rj = values(r, "rejoin_s")
        out.append(
            f"| {r['name']} | {f(median(diffs), 1)} / {f(max(diffs) if diffs else None)} "
            f"| {f(max(values(r, 'death_seen_ms')) if r['kills'] else None, 1)} "
            f"| {f(median(ages), 1)} / {f(max(ages) if ages else None, 1)} "
            f"| {f(median(rj), 1)} / {f(max(rj) if rj else None, 1)} "
            f"| {f(max(values(r, 'rejoin_gap_ms'), default=None))} "
            f"| {r['role_changes']} / {r['peer_losses']} | {len(ff)} | {len(sp)} "
            f"| {r['loadavg_before'][0]:.2f} -> {r['loadavg_after'][0]:.2f} |")
    for r in runs:
        if r["unexpected"]:
            out.append("")
            out.append(f"Unexpected HA events, {r['name']}:")
            for u in r["unexpected"]:
                out.append(f"- node {u['node']} at {u['wall_ms'] / 1000:.3f}: {u['msg']}")
        if r.get("error"):
            out.append("")
            out.append(f"Run {r['name']} stopped early: {r['error']}")
    out.append("")
    out.append("Summary:")
    for r in runs:
        t = values(r, "takeover_ms")
        line = (f"- {r['name']} (dead interval {r['dead_ms']} ms): takeover median {f(median(t), 1)} ms, "
                f"max {f(max(t) if t else None)} ms over {len(t)} kills")
        if r["dead_ms"] == 30:
            within = sum(1 for x in t if x <= TAKEOVER_TARGET_MS)
            line += (f"; {within}/{len(t)} within the {TAKEOVER_TARGET_MS} ms target"
                     f" ({'met' if t and within == len(t) and len(t) == r['kills_planned'] else 'NOT met'})")
        n_ff = sum(1 for u in r["unexpected"] if " role " in u["msg"] or "split brain" in u["msg"])
        n_sp = sum(1 for u in r["unexpected"] if " lost: " in u["msg"])
        line += f"; {n_ff} false failovers, {n_sp} spurious peer losses"
        out.append(line)
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
