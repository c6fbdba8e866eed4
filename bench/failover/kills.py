#!/usr/bin/env python3
"""One configuration of the failover benchmark, run under the lab lock.

bench/failover/run calls this once per heartbeat configuration, inside
`flock /run/tandem-lab.lock`. It brings the lab up with the HA knobs, keeps a
10 ms ping running from the client through the cluster to the server, and
N times: kill -9s the current primary, reads the survivor's event log for
detection ("peer ... lost") and takeover ("gratuitous ARP round 0"),
restarts the killed node with `scripts/lab restart-node` and waits until it
has re-joined as secondary. Afterwards it classifies every role change and
peer loss in both event logs (expected ones are explained by a kill or a
restart; the rest are false failovers) and computes the client-visible
outage per kill from the ping reply timestamps. Writes one JSON file;
report.py turns the files into tables. The lab always goes down at the end.

Clocks: the kill time is time.time() (CLOCK_REALTIME, us) taken right before
kill(2); the event log stamps gettimeofday() truncated to ms; ping -D stamps
replies with CLOCK_REALTIME in us. All three share the wall clock, so the
differences are good to about 1 ms (the event log's truncation).
"""
import argparse
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

LAB_DIR = "/run/tandem-lab"
LOG_LINE = re.compile(
    r'date=(\d{4}-\d\d-\d\d) time=(\d\d:\d\d:\d\d)\.(\d{3}) level="(\w+)" msg="(.*)"$')
ROLE_CHANGE = re.compile(r"^HA: role (\w+) -> (\w+): (.*)$")
PEER_LOST = re.compile(r"^HA: peer (\S+) \(([^)]*)\) lost: no heartbeat for ([0-9.]+) ?(ms|s|us|ns)")
PING_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)")
HOSTNAME = {"a": "tandem-a", "b": "tandem-b"}
NODE_OF = {v: k for k, v in HOSTNAME.items()}


def log(msg):
    print(f"[fobench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wall_ms_of(date, hms, ms):
    t = time.mktime(time.strptime(f"{date} {hms}", "%Y-%m-%d %H:%M:%S"))  # the daemon's localtime_r
    return t * 1000.0 + int(ms)


def read_events(path, offset=0):
    """Event log lines of one node from byte offset on: [(wall_ms, msg)]."""
    out = []
    with open(path, "rb") as f:
        f.seek(offset)
        for raw in f:
            m = LOG_LINE.search(raw.decode("utf-8", "replace").rstrip("\n"))
            if m:
                out.append((wall_ms_of(m.group(1), m.group(2), m.group(3)), m.group(5)))
    return out


def read_env():
    env = {}
    with open(f"{LAB_DIR}/env") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


class Lab:
    def __init__(self, root, build, knobs):
        self.script = os.path.join(root, "scripts", "lab")
        self.env = dict(os.environ, TANDEM_BUILD=build, TANDEM_LAB_MODE="ha", **knobs)
        self.ctl = os.path.join(build, "controlplane", "cli", "tandemctl")

    def run(self, *args, timeout=120):
        r = subprocess.run([self.script, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"scripts/lab {' '.join(args)} failed ({r.returncode}):\n"
                               f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}")

    def status(self, node, what=("get", "system", "ha", "status")):
        try:
            r = subprocess.run([self.ctl, "-s", f"{LAB_DIR}/{node}.sock", "-t", "1000", *what],
                               capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        return r.stdout if r.returncode == 0 else ""

    def members(self, node):
        """{'Primary': hostname, 'Secondary': hostname} as `node` sees the cluster."""
        out = {}
        for line in self.status(node).splitlines():
            m = re.match(r"^(Primary|Secondary) +: ([^ ,]+)", line)
            if m:
                out[m.group(1)] = m.group(2)
        return out


def wait_for(pred, timeout_s, step_s=0.02):
    end = time.time() + timeout_s
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step_s)
    return None


def cluster_formed(lab):
    """The primary's node letter once both nodes see the same primary and secondary."""
    a, b = lab.members("a"), lab.members("b")
    if a and a == b and "Primary" in a and "Secondary" in a and a["Primary"] != a["Secondary"]:
        return NODE_OF.get(a["Primary"])
    return None


def ping_replies(path):
    out = []
    with open(path) as f:
        for line in f:
            m = PING_REPLY.match(line)
            if m:
                out.append((float(m.group(1)) * 1000.0, int(m.group(2))))
    return out


def kill_once(lab, primary, dead_ms, k, ping_path):
    survivor = "b" if primary == "a" else "a"
    pid = int(open(f"{LAB_DIR}/{primary}.pid").read().strip())
    slog = f"{LAB_DIR}/{survivor}.log"
    offset = os.path.getsize(slog)
    pidfd = os.pidfd_open(pid)
    t_kill = time.time() * 1000.0
    os.kill(pid, signal.SIGKILL)
    t_sent = time.time() * 1000.0
    # When the process is really gone (its last heartbeat is older than this).
    select.select([pidfd], [], [], 5.0)
    t_dead = time.time() * 1000.0
    os.close(pidfd)

    def takeover_seen():
        return any("gratuitous ARP round 0" in m for _, m in read_events(slog, offset))
    wait_for(takeover_seen, dead_ms / 1000.0 + 5.0, 0.005)
    ev = read_events(slog, offset)
    rec = {"kill": k, "killed": primary, "survivor": survivor, "t_kill_ms": t_kill,
           "kill_syscall_ms": t_sent - t_kill, "death_seen_ms": t_dead - t_kill}
    for ts, msg in ev:
        if "detect_ms" not in rec and PEER_LOST.match(msg):
            m = PEER_LOST.match(msg)
            rec["detect_ms"] = ts - t_kill
            rec["lost_after_last_hb"] = f"{m.group(3)} {m.group(4)}"
        rm = ROLE_CHANGE.match(msg)
        if "role_ms" not in rec and rm and rm.group(2) == "primary":
            rec["role_ms"] = ts - t_kill
        if "active_ms" not in rec and msg.startswith("HA: data ports active"):
            rec["active_ms"] = ts - t_kill
        if "takeover_ms" not in rec and "gratuitous ARP round 0" in msg:
            rec["takeover_ms"] = ts - t_kill
    if "takeover_ms" not in rec:
        log(f"kill {k}: no takeover on node {survivor} within {dead_ms / 1000 + 5:.1f} s")
    # Let the client's pings resume before the restart disturbs the CPUs: the
    # outage of this kill is measured up to here, the restart's after it.
    t_takeover = t_kill + rec.get("takeover_ms", 0.0)
    wait_for(lambda: any(t > t_takeover for t, _ in ping_replies(ping_path)), 5.0, 0.02)
    time.sleep(0.1)
    rec["t_restart_ms"] = time.time() * 1000.0
    t0 = time.time()
    lab.run("restart-node", primary)
    rec["restart_s"] = time.time() - t0

    def rejoined():
        want = {"Primary": HOSTNAME[survivor], "Secondary": HOSTNAME[primary]}
        return lab.members(primary) == want and lab.members(survivor) == want
    ok = wait_for(rejoined, 30.0, 0.1)
    rec["rejoin_s"] = time.time() - t0
    rec["rejoined"] = bool(ok)
    rec["t_rejoined_ms"] = time.time() * 1000.0
    log(f"kill {k}: {primary} killed, {survivor} took over: detect "
        f"{rec.get('detect_ms', float('nan')):.0f} ms, takeover {rec.get('takeover_ms', float('nan')):.0f} ms; "
        f"{primary} back as secondary after {rec['rejoin_s']:.1f} s" + ("" if ok else " (NOT re-joined)"))
    return rec, (survivor if ok else None)


def outage_per_kill(replies, kills):
    """Per kill, the longest gap between consecutive ping replies from the
    kill to the restart of the killed node (the failover outage), the first
    reply after the kill, the pings lost in that gap (by icmp_seq), and the
    longest gap from the restart to the next kill (does a re-joining node
    disturb the clients?)."""
    def longest_gap(t_from, t_to):
        best = None
        for i in range(1, len(replies)):
            if replies[i][0] <= t_from or replies[i][0] > t_to:
                continue
            if best is None or replies[i][0] - replies[i - 1][0] > replies[best][0] - replies[best - 1][0]:
                best = i
        return best
    for n, rec in enumerate(kills):
        t_kill = rec["t_kill_ms"]
        t_restart = rec.get("t_restart_ms", t_kill + 10000.0)
        best = longest_gap(t_kill, t_restart)
        if best is None:
            rec["client_gap_ms"] = rec["client_resume_ms"] = rec["client_lost"] = None
        else:
            rec["client_gap_ms"] = replies[best][0] - replies[best - 1][0]
            rec["client_resume_ms"] = replies[best][0] - t_kill
            rec["client_lost"] = replies[best][1] - replies[best - 1][1] - 1
        t_next = kills[n + 1]["t_kill_ms"] if n + 1 < len(kills) else (replies[-1][0] if replies else t_restart)
        rb = longest_gap(t_restart, t_next)
        rec["rejoin_gap_ms"] = None if rb is None else replies[rb][0] - replies[rb - 1][0]


def ping_interval_ms(replies):
    """The interval ping really kept (median gap between consecutive seqs):
    on two busy cores it is longer than -i asks, and it is the resolution
    of the client-visible outage."""
    gaps = sorted(replies[i][0] - replies[i - 1][0] for i in range(1, len(replies))
                  if replies[i][1] == replies[i - 1][1] + 1)
    return gaps[len(gaps) // 2] if gaps else None


def classify(events, kills, t_start_kills, dead_ms):
    """Every role change and peer loss in both logs, expected or not.

    Expected: the initial election before the first kill; per kill, the
    survivor's one peer loss and secondary -> primary within dead interval +
    2 s; per restart, the restarted node's hello -> secondary before it
    re-joined. Anything else is a false failover (a role change) or a
    spurious peer loss (heartbeats late beyond the dead interval)."""
    unexpected = []
    role_changes = peer_losses = 0
    used = set()  # (kill, what): each kill explains one loss and one promotion, a restart one join
    for node, evs in events.items():
        for ts, msg in evs:
            rm = ROLE_CHANGE.match(msg)
            pl = PEER_LOST.match(msg)
            if not rm and not pl:
                if "split brain" in msg:
                    unexpected.append({"node": node, "wall_ms": ts, "msg": msg})
                continue
            if rm:
                role_changes += 1
            else:
                peer_losses += 1
            if ts < t_start_kills:
                if rm and rm.group(1) == "hello":
                    continue
                unexpected.append({"node": node, "wall_ms": ts, "msg": msg})
                continue
            explained = False
            for rec in kills:
                in_window = rec["t_kill_ms"] - 1 <= ts <= rec["t_kill_ms"] + dead_ms + 2000
                what = None
                if node == rec["survivor"] and in_window:
                    if pl:
                        what = "loss"
                    elif rm.group(1) == "secondary" and rm.group(2) == "primary":
                        what = "promotion"
                # A restarted node starts in hello; its first role is expected.
                if (node == rec["killed"] and rm and rm.group(1) == "hello" and rm.group(2) == "secondary"
                        and rec["t_kill_ms"] <= ts <= rec["t_rejoined_ms"] + 1000):
                    what = "join"
                if what and (rec["kill"], what) not in used:
                    used.add((rec["kill"], what))
                    explained = True
                    break
            if not explained:
                unexpected.append({"node": node, "wall_ms": ts, "msg": msg})
    return role_changes, peer_losses, unexpected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--hb-interval", type=int, required=True)
    ap.add_argument("--hb-unit", required=True, choices=["100ms", "10ms", "1ms"])
    ap.add_argument("--hb-lost", type=int, required=True)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--traffic-s", type=float, default=1.0, help="traffic before each kill")
    ap.add_argument("--ping-interval-ms", type=int, default=10)
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True, help="JSON result file")
    ap.add_argument("--keep", help="copy node logs and the ping log here")
    a = ap.parse_args()

    dead_ms = a.hb_interval * int(a.hb_unit[:-2]) * a.hb_lost
    knobs = {"TANDEM_LAB_HB_INTERVAL": str(a.hb_interval), "TANDEM_LAB_HB_UNIT": a.hb_unit,
             "TANDEM_LAB_HB_LOST": str(a.hb_lost)}
    lab = Lab(a.root, a.build, knobs)
    result = {"name": a.name, "hb_interval": a.hb_interval, "hb_unit": a.hb_unit, "hb_lost": a.hb_lost,
              "dead_ms": dead_ms, "kills_planned": a.kills, "ping_interval_ms": a.ping_interval_ms,
              "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "kills": [], "error": None}
    ping = None
    ping_path = f"/tmp/tandem-fobench-ping-{os.getpid()}.txt"
    load_before = os.getloadavg()
    try:
        log(f"{a.name}: lab up with hb-interval {a.hb_interval} x {a.hb_unit}, hb-lost-threshold "
            f"{a.hb_lost} (dead interval {dead_ms} ms)")
        lab.run("up", timeout=300)
        env = read_env()
        primary = wait_for(lambda: cluster_formed(lab), 30.0, 0.2)
        if not primary:
            raise RuntimeError("the cluster did not form (both nodes agreeing on primary and secondary) in 30 s")
        with open(ping_path, "w") as pf:
            ping = subprocess.Popen(["ip", "netns", "exec", env["CLIENT_NS"], "stdbuf", "-oL", "ping", "-D",
                                     "-n", "-i", f"{a.ping_interval_ms / 1000:.3f}", "-W", "1",
                                     env["SERVER_IP"]], stdout=pf, stderr=subprocess.STDOUT)
        if not wait_for(lambda: len(ping_replies(ping_path)) >= 20, 10.0, 0.1):
            raise RuntimeError(f"the client gets no ping replies from {env['SERVER_IP']} through the cluster")
        t_start_kills = time.time() * 1000.0
        for k in range(1, a.kills + 1):
            time.sleep(a.traffic_s)
            # Kill whoever is primary now: a false failover during the
            # traffic phase may have moved the role (classify() counts it).
            now_primary = wait_for(lambda: cluster_formed(lab), 10.0, 0.05)
            if not now_primary:
                raise RuntimeError(f"kill {k}: the nodes do not agree on a primary and a secondary")
            moved = now_primary != primary
            if moved:
                log(f"kill {k}: the primary moved to node {now_primary} without a kill")
            rec, primary = kill_once(lab, now_primary, dead_ms, k, ping_path)
            rec["primary_moved_before"] = moved
            result["kills"].append(rec)
            if primary is None:
                raise RuntimeError(f"kill {k}: the killed node did not re-join as secondary within 30 s")
        time.sleep(0.5)
    except Exception as e:  # noqa: BLE001 — a partial run is still reported
        result["error"] = str(e)
        log(f"{a.name}: stopped early: {e}")
        t_start_kills = result["kills"][0]["t_kill_ms"] if result["kills"] else time.time() * 1000.0
    finally:
        if ping:
            ping.send_signal(signal.SIGINT)
            try:
                ping.wait(5)
            except subprocess.TimeoutExpired:
                ping.kill()
        events = {}
        for n in ("a", "b"):
            path = f"{LAB_DIR}/{n}.log"
            events[n] = read_events(path) if os.path.exists(path) else []
            result[f"ha_counters_{n}"] = lab.status(n, ("diagnose", "sys", "ha", "status"))
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            for n in ("a", "b"):
                if os.path.exists(f"{LAB_DIR}/{n}.log"):
                    subprocess.run(["cp", f"{LAB_DIR}/{n}.log", f"{a.keep}/{a.name}-{n}.log"])
            if os.path.exists(ping_path):
                subprocess.run(["cp", ping_path, f"{a.keep}/{a.name}-ping.txt"])
        try:
            lab.run("down")
        except Exception as e:  # noqa: BLE001
            log(f"lab down: {e}")
    replies = ping_replies(ping_path) if os.path.exists(ping_path) else []
    if os.path.exists(ping_path):
        os.unlink(ping_path)
    outage_per_kill(replies, result["kills"])
    rc, pl, unexpected = classify(events, result["kills"], t_start_kills, dead_ms)
    result.update({"role_changes": rc, "peer_losses": pl, "unexpected": unexpected,
                   "ping_replies": len(replies),
                   "ping_interval_measured_ms": ping_interval_ms(replies), "loadavg_before": load_before,
                   "loadavg_after": os.getloadavg(), "finished": time.strftime("%Y-%m-%d %H:%M:%S %z")})
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    log(f"{a.name}: {len(result['kills'])} kills, {len(unexpected)} unexpected HA events; wrote {a.out}")
    return 0 if result["error"] is None and len(result["kills"]) == a.kills else 1


if __name__ == "__main__":
    sys.exit(main())
