#!/usr/bin/env python3
"""Markdown report of bench/pickup/run: medians and min..max over runs,
the pickup-on/off NDR ratio paired per run, records/s, lag, and per-kill
failover figures (outage, dead flows = lost sessions, takeover)."""
import argparse
import statistics


def spread(v, fmt="{:.0f}"):
    if not v:
        return "n/a", "n/a"
    return fmt.format(statistics.median(v)), f"{fmt.format(min(v))}..{fmt.format(max(v))}"


def main():
    ap = argparse.ArgumentParser()
    for a in ("--results", "--failover", "--loadavg", "--flows", "--trial", "--records", "--fo-flows",
              "--kills"):
        ap.add_argument(a, required=True)
    ap.add_argument("--cost-rate", default="?")
    ap.add_argument("--cost-seconds", default="?")
    a = ap.parse_args()
    rows = [l.rstrip("\n").split("\t") for l in open(a.results) if l.strip()]
    ndr = {}
    for r in (r for r in rows if r[0] == "ndr"):
        ndr.setdefault(r[1], {})[r[2]] = float(r[3])
    print(f"## Session pickup (bench/pickup/run)\n")
    if ndr:
        off, on = ndr.get("disable", {}), ndr.get("enable", {})
        ratios = [on[k] / off[k] for k in on if k in off and off[k] > 0]
        print(f"NDR, {a.flows} UDP flows, 64-byte frames, trial {a.trial} s, per direction:\n")
        print("| session-pickup | NDR kpps median | min..max | runs |")
        print("|---|---|---|---|")
        for name, v in (("disable", off), ("enable", on)):
            m, s = spread([x / 1e3 for x in v.values()], "{:.1f}")
            print(f"| {name} | {m} | {s} | {len(v)} |")
        m, s = spread(ratios, "{:.3f}")
        cost = [100 * (1 - x) for x in ratios]
        cm, cs = spread(cost, "{:.1f}")
        print(f"\nNDR on/off ratio per run: median {m} ({s}); cost of replication {cm} % ({cs}); "
              f"target <= 10 %.\n")
    cost = {}
    for r in (r for r in rows if r[0] == "cost" and r[4] != "nan"):
        # cost load pickup run cycles/frame frames records
        cost.setdefault(r[1], {}).setdefault(r[2], {})[r[3]] = (float(r[4]), int(r[5]), int(r[6]))
    if cost:
        print(f"Cost on the primary's worker, TSC cycles per frame (busy_cycles / (rx_packets - stalled_packets)), "
              f"{a.cost_rate} frames/s for {a.cost_seconds} s, pickup off vs on, paired per run:\n")
        print("| load | off: cycles/frame median (min..max) | on: median (min..max) | records sent (on, median) "
              "| on/off per run, median (min..max) | cost |")
        print("|---|---|---|---|---|---|")
        for load in ("steady", "churn"):
            off, on = cost.get(load, {}).get("disable", {}), cost.get(load, {}).get("enable", {})
            if not off or not on:
                continue
            om, os_ = spread([v[0] for v in off.values()])
            nm, ns = spread([v[0] for v in on.values()])
            rm, _ = spread([v[2] for v in on.values()])
            ratios = [on[k][0] / off[k][0] for k in on if k in off and off[k][0] > 0]
            qm, qs = spread(ratios, "{:.3f}")
            cm, _ = spread([100 * (x - 1) for x in ratios], "{:+.1f}")
            print(f"| {load} | {om} ({os_}) | {nm} ({ns}) | {rm} | {qm} ({qs}) | {cm} % |")
        print("\nA frame that costs x more cycles lowers a DUT-bound NDR by the same factor; "
              "target <= 10 % NDR cost.\n")
    rec = [r for r in rows if r[0] == "records"]
    if rec:
        # records run warm_s tx rx sessions_primary sessions_secondary p50 p99
        rate = [float(r[3]) / float(r[2]) for r in rec if float(r[2]) > 0]
        print(f"Replication, warm-up of {a.records} new UDP flows at max pace, one worker:\n")
        print("| run | warm-up s | tx records | rx records (secondary) | sessions primary / secondary "
              "| records/s | lag p50 <= us | lag p99 <= us |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rec:
            rs = float(r[3]) / float(r[2]) if float(r[2]) > 0 else 0
            print(f"| {r[1]} | {float(r[2]):.3f} | {r[3]} | {r[4]} | {r[5]} / {r[6]} | {rs:,.0f} | {r[7]} | {r[8]} |")
        m, s = spread(rate, "{:,.0f}")
        print(f"\nRecords/s per worker: median {m} ({s}); target >= 1,000,000.\n")
    fo = [l.rstrip("\n").split("\t") for l in open(a.failover) if l.strip()]
    if fo:
        out = [float(r[2]) for r in fo]
        dead = [int(r[3]) for r in fo]
        take = [float(r[4]) for r in fo if r[4] != "nan"]
        print(f"Failover under load, {a.fo_flows} TCP flows (handshaken), both directions, "
              f"hb 1 x 10 ms x 3, {len(fo)} kills (rate per stream: {', '.join(sorted(set(r[5] for r in fo)))} pps):\n")
        print("| run | kill | outage ms | dead flows (lost sessions) | takeover ms | back in sync |")
        print("|---|---|---|---|---|---|")
        for r in fo:
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {'yes' if r[7] == '1' else 'NO'} |")
        om, os_ = spread(out)
        tm, ts = spread(take)
        totals = {r[0]: int(r[6]) for r in fo}
        print(f"\nOutage median {om} ms ({os_}), target <= 50 ms; takeover median {tm} ms ({ts}); "
              f"lost sessions per kill {sum(dead)} in all, tandem-gen's dead_flows per run "
              f"{', '.join(f'{k}: {v}' for k, v in totals.items())}; target 0.\n")
    print("load average (1/5/15 min) after each leg:\n```")
    print(open(a.loadavg).read().rstrip())
    print("```")


if __name__ == "__main__":
    main()
