#!/usr/bin/env bash
# The watchdog: a control lcore hung for longer than the heartbeat keeper
# covers (10 s) is a dead node to the peer, which takes over. The hung
# node's workers would go on answering ARP and forwarding with the virtual
# MACs the peer now announces, so the keeper silences the data ports until
# the control lcore is back, and the election settles the roles then.
# `diagnose test ha hang-control N` stops A's control lcore for N s; its
# workers and its keeper go on.
. "$(dirname "$0")/lib.sh"
LAB=$ROOT/scripts/lab
trap '"$LAB" down >/dev/null 2>&1' EXIT
export TANDEM_LAB_MODE=ha
lab_up
VMAC=02:54:44:00:07:01  # group-id 7, data port index 1 (port2)
HANG_S=18               # 10 s covered by the keeper, then ~8 s of B in charge while A is silenced
counter_of() {  # counter_of <node> <port> <name>
  ctl "$1" diagnose sys dataplane counters "$2" 2>/dev/null | sed -n "s/.*\b$3=\([0-9]*\).*/\1/p" | head -1
}
log_has() {  # log_has <log> <text> <seconds>
  for _ in $(seq 1 $(($3 * 10))); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}

check "node A is primary" wait_primary a tandem-a 10
check "node B agrees A is primary" wait_primary b tandem-a 5
check "client reaches the server through the cluster" client ping -c 3 -i 0.2 -W 2 "$SERVER_IP"
check_not "hang-control refuses 0 s" ctl a diagnose test ha hang-control 0
contains "and says what it takes" "$(ctl a diagnose test ha hang-control 61 2>&1)" "from 1 to 60"
contains "the command warns before it stops the control lcore" "$(ctl a diagnose test ha hang-control "$HANG_S" 2>&1)" \
  "the control lcore stops for $HANG_S s"
hang_ms=$(date +%s%3N)

# B hears A's keeper for 10 s, then nothing: it takes over.
check "B takes over once A's keeper stops covering" wait_primary b tandem-b 14
took_ms=$(( $(date +%s%3N) - hang_ms ))
echo "# B primary ${took_ms} ms after A's control lcore stopped"
[ "$took_ms" -ge 9500 ] && ok "not before the keeper's 10 s were up (${took_ms} ms)" \
  || not_ok "B took over after ${took_ms} ms: the keeper should have covered 10 s"
check "A's watchdog silenced its data ports" log_has "$NODE_A_LOG" "HA: watchdog: the control lcore has made no heartbeat" 3

# While A is hung and silenced, only B answers: one reply per ARP request
# (A's workers would add a second one with the same virtual MAC), and the
# switch keeps the virtual MAC on B's port.
client ip neigh flush dev eth0
out=$(client arping -c 3 -I eth0 "$CLUSTER_PORT2_IP" 2>&1)
replies=$(grep -c 'reply from' <<<"$out")
[ "$replies" -eq 3 ] && ok "3 ARP requests, 3 replies: A's silenced workers did not answer" \
  || { not_ok "3 ARP requests got $replies replies"; sed 's/^/    /' <<<"$out"; }
check "client reaches the server through B" client ping -c 3 -i 0.2 -W 2 "$SERVER_IP"
fdb=$(ip netns exec "$SWITCH_NS" bridge fdb show br br-lan 2>/dev/null | grep -i "^$VMAC ")
grep -q "dev b-p2" <<<"$fdb" && ok "the switch holds the virtual MAC on B's port" \
  || not_ok "virtual MAC in the switch: ${fdb:-none}"
left=$(( HANG_S * 1000 - ($(date +%s%3N) - hang_ms) ))
[ "$left" -gt 0 ] && ok "those checks ran inside A's hang (${left} ms to spare)" \
  || not_ok "the checks outlasted A's hang by $(( -left )) ms: raise HANG_S"

# A is back: its ports follow its role again, and one primary remains.
check "A answers the CLI again" bash -c "for _ in \$(seq 1 $(( HANG_S * 10 ))); do $TANDEMCTL -s $LAB_DIR/a.sock -t 1000 get system status >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
check "A's watchdog gave the ports back" log_has "$NODE_A_LOG" "HA: watchdog: the control lcore is back" 3
sa=$(counter_of a port2 drop_silenced)
[ "${sa:-0}" -gt 0 ] && ok "A's port2 dropped what it received while silenced (drop_silenced=$sa)" \
  || not_ok "A's port2 drop_silenced=${sa:-?}"
contains "diagnose sys ha status counts the watchdog" "$(ctl a diagnose sys ha status)" "watchdog:1"
agree() {
  for _ in $(seq 1 100); do
    pa=$(primary_of a) pb=$(primary_of b)
    [ -n "$pa" ] && [ "$pa" = "$pb" ] && { echo "both name $pa"; return 0; }
    sleep 0.1
  done
  echo "A names '${pa:-}', B names '${pb:-}'"; return 1
}
check "one primary, both nodes agree" agree
check "client reaches the server through the cluster after" client ping -c 3 -i 0.2 -W 2 "$SERVER_IP"
finish
