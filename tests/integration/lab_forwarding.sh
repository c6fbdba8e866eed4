#!/usr/bin/env bash
# Issue 3 end to end: a Linux client in its namespace reaches the server
# namespace through node A (routing, ARP, firewall policy, sessions): ping,
# curl of a 1 MiB file (byte-identical) and an iperf3 TCP transfer; the
# sessions are visible in `diagnose sys session list`; a service the policy
# does not allow (TCP 8080) is really denied and counted.
. "$(dirname "$0")/lib.sh"
LAB=$ROOT/scripts/lab
trap '"$LAB" down >/dev/null 2>&1' EXIT
"$LAB" up || { not_ok "lab up"; finish; }
. /run/tandem-lab/env
ctl() { "$TANDEMCTL" -s "$NODE_A_SOCK" "$@"; }
client() { ip netns exec "$CLIENT_NS" "$@"; }

check "client pings the server through node A" client ping -c 5 -i 0.2 -W 2 "$SERVER_IP"
out=$(client ping -c 1 -W 2 "$SERVER_IP" 2>&1)
contains "TTL decremented by the node (63)" "$out" "ttl=63"
check "curl of index.html through node A" client curl -sS --max-time 10 -o /dev/null "$SERVER_HTTP"
client curl -sS --max-time 20 -o /tmp/tandem-fwd-1m.bin "${SERVER_HTTP}1m.bin"
check "1 MiB download is byte-identical" cmp /tmp/tandem-fwd-1m.bin "$LAB_DIR/www/1m.bin"
rm -f /tmp/tandem-fwd-1m.bin
iperf=$(client iperf3 -c "$SERVER_IP" -t 3 -f m 2>&1)
contains "iperf3 TCP transfer completes" "$iperf" "receiver"
echo "# iperf3 through node A: $(grep receiver <<<"$iperf" | awk '{print $7, $8}')"

check_not "TCP 8080 is denied by policy" client curl -sS --max-time 3 -o /dev/null "$SERVER_DENIED_HTTP"
stat=$(ctl diagnose sys session stat)
contains "session stat answers" "$stat" "session"
# Sessions: start a long-lived flow and look for it in the list.
client timeout 15 iperf3 -c "$SERVER_IP" -t 4 >/dev/null 2>&1 &
sleep 1.5
list=$(ctl diagnose sys session list)
contains "session list shows the TCP session" "$list" "proto=6"
contains "session list shows the client tuple" "$list" "$CLIENT_IP"
contains "session list names policy 1" "$list" "policy_id=1"
check "session filter by dport" ctl diagnose sys session filter dport 5201
flist=$(ctl diagnose sys session list)
contains "filtered list keeps the iperf3 session" "$flist" ":5201"
check "session filter clear" ctl diagnose sys session filter clear
wait
stat=$(ctl diagnose sys session stat)
echo "$stat" | sed 's/^/    /'
grep -Eq 'policy[ _-]?deny[^0-9]*[1-9]' <<<"$stat" && ok "policy denials counted" || not_ok "policy denials not counted"
check "session clear" ctl diagnose sys session clear
finish
