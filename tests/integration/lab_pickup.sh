#!/usr/bin/env bash
# Issue 5 in the lab: session pickup with real Linux TCP. An iperf3 stream
# and a rate-limited curl download run through the a-p pair while the
# primary is killed with kill -9, TANDEM_PICKUP_KILLS times in a row (4 by
# default; 10 by hand). Each time the dead node is restarted and the test
# waits until the survivor's sessions are back on it (bulk sync, in sync)
# before the next kill. Every connection must survive every kill: iperf3
# ends normally with no second at zero throughput beyond the takeover
# second, curl finishes and the file is byte-identical. iperf3 runs 12 s so
# that the check of the secondary (2..8 s in) never races its end. Before each kill
# the secondary must already hold both connections, marked synced. A
# control run with session-pickup disabled must see the connection break.
. "$(dirname "$0")/lib.sh"
LAB=$ROOT/scripts/lab
KILLS=${TANDEM_PICKUP_KILLS:-4}
trap '"$LAB" down >/dev/null 2>&1; rm -f /tmp/tandem-pickup-*' EXIT
# Uptime margin 1 s: the survivor, older by more than that, stays primary
# when the killed node returns (FGCP age rule), so the kills alternate
# between A and B and both directions of the stream are exercised.
export TANDEM_LAB_MODE=ha TANDEM_LAB_SESSION_PICKUP=enable TANDEM_LAB_UPTIME_MARGIN=1
lab_up
node_of() { [ "$1" = tandem-a ] && echo a || echo b; }
other() { [ "$1" = a ] && echo b || echo a; }
# Both nodes name the same primary and the secondary holds the primary's
# tables (its streams finished the bulk walk).
settled() {
  local pa pb sec
  pa=$(primary_of a) pb=$(primary_of b)
  [ -n "$pa" ] && [ "$pa" = "$pb" ] || return 1
  sec=$(other "$(node_of "$pa")")
  ctl "$sec" diagnose sys ha sync | grep -q 'secondary: in sync'
}
wait_settled() { for _ in $(seq 1 150); do settled && return 0; sleep 0.1; done; return 1; }
# What a failed kill needs to be understood (a rare one was seen in CI with
# changes to the workers' polling, cause not found): who is primary, where
# the bridges send the virtual MACs, the survivor's neighbours, counters,
# sessions and recent events.
diag() {
  local n
  echo "# diagnostics after the failure (survivor: $1):"
  for n in a b; do
    echo "# node $n:"
    ctl "$n" get system ha status 2>&1 | grep -E 'selected|^Primary +:|^Secondary +:|^vcluster|port[12]:' |
      sed 's/^/#   /'
  done
  ip netns exec tdm-sw bridge fdb show 2>&1 | grep -i '^02:54:44:' | sed 's/^/#   fdb: /'
  ctl "$1" get system arp 2>&1 | head -12 | sed 's/^/#   /'
  ctl "$1" diagnose sys dataplane counters 2>&1 | grep -v '=0$' | head -60 | sed 's/^/#   /'
  ctl "$1" diagnose sys session list 2>&1 | head -30 | sed 's/^/#   /'
  ctl "$1" diagnose debug eventlog 2>&1 | tail -25 | sed 's/^/#   /'
}
wait_primary_any() {
  for _ in $(seq 1 100); do
    [ -n "$(primary_of a)" ] && [ "$(primary_of a)" = "$(primary_of b)" ] && return 0
    sleep 0.1
  done
  return 1
}

# 40 MiB at 2 MiB/s (curl bursts above its limit: 24 MiB once ended 9 s in,
# before the kill): the download spans a kill.
head -c $((40 * 1048576)) /dev/urandom >"$LAB_DIR/www/40m.bin"
want_md5=$(md5sum <"$LAB_DIR/www/40m.bin" | cut -d' ' -f1)

check "pair settled (one primary, secondary in sync)" wait_settled
for k in $(seq 1 "$KILLS"); do
  prim=$(node_of "$(primary_of a)")
  sec=$(other "$prim")
  client timeout 40 iperf3 -c "$SERVER_IP" -t 12 -i 1 -b 50M --connect-timeout 3000 \
    >/tmp/tandem-pickup-iperf.txt 2>&1 &
  ip=$!
  client curl -sS --max-time 40 --limit-rate 2M -o /tmp/tandem-pickup-dl.bin \
    "${SERVER_HTTP}40m.bin" 2>/tmp/tandem-pickup-curl.err &
  cp=$!
  sleep 2
  for _ in $(seq 1 60); do
    synced=$(ctl "$sec" diagnose sys session list)
    n5201=$(grep -A5 'proto_state=01' <<<"$synced" | grep -c ':5201(')
    n80=$(grep -c 'dir=org.*:80(' <<<"$synced")
    nsync=$(grep -c 'state=.* synced' <<<"$synced")
    [ "$n5201" -ge 2 ] && [ "$n80" -ge 1 ] && [ "$nsync" -ge 3 ] && break
    sleep 0.1
  done
  [ "$n5201" -ge 2 ] && [ "$n80" -ge 1 ] && [ "$nsync" -ge 3 ] &&
    ok "kill $k: secondary $sec holds iperf3 ($n5201) and curl ($n80) sessions, synced" ||
    { not_ok "kill $k: secondary $sec sessions: 5201=$n5201 80=$n80 synced=$nsync";
      ctl "$sec" diagnose sys ha sync | head -12; ctl "$prim" diagnose sys session list | head -40; }
  pid_var="NODE_${prim^^}_PID"
  kill -9 "${!pid_var}"
  sleep 1
  "$LAB" restart-node "$prim" >/dev/null || not_ok "kill $k: restart node $prim"
  . /run/tandem-lab/env
  wait "$ip"; irc=$?
  wait "$cp"; crc=$?
  # Seconds at zero throughput: the takeover lies inside one second; more
  # than one means the connection stalled (retransmission backoff after a
  # lost session looks like that before it dies).
  zeros=$(grep -E '^\[ *[0-9]+\] +[0-9.]+-[0-9.]+ +sec' /tmp/tandem-pickup-iperf.txt |
          grep -v -E 'sender|receiver' | grep -c ' 0.00 bits/sec')
  [ "$irc" -eq 0 ] && [ "$zeros" -le 1 ] &&
    ok "kill $k (primary $prim): iperf3 survived ($zeros s at zero)" ||
    { not_ok "kill $k: iperf3 exit $irc, $zeros s at zero"; tail -15 /tmp/tandem-pickup-iperf.txt;
      diag "$sec"; }
  got_md5=$(md5sum </tmp/tandem-pickup-dl.bin 2>/dev/null | cut -d' ' -f1)
  [ "$crc" -eq 0 ] && [ "$got_md5" = "$want_md5" ] &&
    ok "kill $k (primary $prim): curl download survived, bytes identical" ||
    { not_ok "kill $k: curl exit $crc, md5 ${got_md5:-none}"; cat /tmp/tandem-pickup-curl.err;
      [ "$irc" -eq 0 ] && [ "$zeros" -le 1 ] && diag "$sec"; }
  check "kill $k: pair settled again (restarted $prim back in sync)" wait_settled
done
st=$(ctl "$(node_of "$(primary_of a)")" diagnose sys ha sync)
contains "primary's stream is running" "$st" "state=running"
contains "primary says it is sending" "$st" "primary: sending its tables"

# Control: the same kill with session-pickup disabled must break the
# connection (the new primary drops mid-stream TCP it has no session for),
# or the checks above prove nothing.
"$LAB" down >/dev/null 2>&1
TANDEM_LAB_SESSION_PICKUP=disable "$LAB" up >/dev/null || not_ok "lab up without pickup"
. /run/tandem-lab/env
check "control: pair up without pickup" wait_primary_any
client timeout 15 iperf3 -c "$SERVER_IP" -t 6 -i 1 -b 50M --connect-timeout 3000 \
  >/tmp/tandem-pickup-iperf.txt 2>&1 &
ip=$!
sleep 2
prim=$(node_of "$(primary_of a)")
pid_var="NODE_${prim^^}_PID"
kill -9 "${!pid_var}"
wait "$ip"; irc=$?
zeros=$(grep -E '^\[ *[0-9]+\] +[0-9.]+-[0-9.]+ +sec' /tmp/tandem-pickup-iperf.txt |
        grep -v -E 'sender|receiver' | grep -c ' 0.00 bits/sec')
{ [ "$irc" -ne 0 ] || [ "$zeros" -ge 2 ]; } &&
  ok "control: without session pickup the connection breaks (exit $irc, $zeros s at zero)" ||
  not_ok "control: without pickup iperf3 still survived (exit $irc, $zeros s at zero)"
finish
