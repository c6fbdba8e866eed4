#!/usr/bin/env bash
# Issue 6 end to end: real Linux clients against the test service on the
# workers' userspace TCP stacks (config system tcp-test-service, echo on 7,
# HTTP on 80 of the cluster address): an nc echo round trip, a 100 MiB GET
# checked against the pattern and a 100 MiB POST checked against the
# service's crc32/adler32, first on a clean path and then with loss, delay
# and reordering both ways (tc netem, or impair.py where the kernel lacks
# netem); then a bounded SYN flood from
# a spoofed address while a download runs: the download stays intact and the
# flood is answered with SYN cookies (counted in diagnose sys tcp stat).
. "$(dirname "$0")/lib.sh"
LAB=$ROOT/scripts/lab
PATTERN=$(dirname "$0")/tcp_pattern.py
TMP=$(mktemp -d /tmp/tandem-lab-tcp.XXXXXX)
trap '[ -n "${imppid:-}" ] && kill "$imppid" 2>/dev/null; "$LAB" down >/dev/null 2>&1; rm -rf "$TMP"' EXIT
# Standalone nodes: the stacks do not replicate connections yet. In the HA
# pair a download running through the flood once died after 9 MB on this
# two-core machine (a takeover starved of heartbeats is the likely cause,
# not confirmed); standalone it completes.
TANDEM_LAB_MODE=standalone TANDEM_LAB_TCP_SERVICE=enable lab_up
ctl() { "$TANDEMCTL" -s "$NODE_A_SOCK" "$@"; }
NODE=$NODE_A_PORT2_IP
BIG=$((100 * 1024 * 1024))
URL=http://$NODE:$TCP_HTTP_PORT
# A counter's value from `diagnose sys tcp stat`'s total block (name=value).
counter() { awk -F= -v k="$1" '/^total:/ {t = 1} t && $1 == k {print $2; exit}' <<<"$2"; }

# get <what> <bytes> <max s>: curl GET /<bytes>, streamed into the checker.
get() {
  local t0=$SECONDS out
  out=$(client curl -sS --max-time "$3" "$URL/$2" | python3 "$PATTERN" check "$2" 2>&1)
  contains "$1 ($((SECONDS - t0)) s)" "$out" "ok: $2 bytes"
}
# post <what> <file> <max s>: the service's answer must be the file's own sums.
post() {
  local t0=$SECONDS want got
  want=$(python3 "$PATTERN" sum "$2")
  got=$(client curl -sS --max-time "$3" -H 'Content-Type: application/octet-stream' \
        --data-binary @"$2" "$URL/upload" 2>&1)
  contains "$1 ($((SECONDS - t0)) s)" "$got" "$want"
}

# Echo: a line, then 4 MiB of random bytes (nc -N sends FIN at EOF and the
# service closes once everything is echoed back).
out=$(printf 'hello tandem\n' | client nc -N -w 5 "$NODE" "$TCP_ECHO_PORT" 2>&1)
contains "nc echo round trip" "$out" "hello tandem"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$TMP/echo.in"
client nc -N -w 10 "$NODE" "$TCP_ECHO_PORT" <"$TMP/echo.in" >"$TMP/echo.out" 2>&1
check "4 MiB echoed byte-identical" cmp "$TMP/echo.in" "$TMP/echo.out"
out=$(client curl -sS --max-time 5 "$URL/nothing" 2>&1)
contains "unknown path is 404" "$out" "not found"

head -c $BIG /dev/urandom >"$TMP/up.bin"
get "100 MiB GET byte-identical" $BIG 60
post "100 MiB POST byte-identical" "$TMP/up.bin" 60
stat=$(ctl diagnose sys tcp stat)
contains "tcp stat answers" "$stat" "total: live="
[ "$(counter glue_rx_bad_checksum "$stat")" = 0 ] && ok "no bad checksums" || not_ok "bad checksums: $(counter glue_rx_bad_checksum "$stat")"

# Impaired path, both ways: tc netem on the client's interface and on the
# switch port toward the client where the kernel has it; otherwise (this
# machine's kernel has no sch_netem) impair.py does the same in userspace,
# spliced between the client's switch port and the bridge.
IMPAIR=(--loss 2 --delay 5 --jitter 2 --reorder 5)
NETEM="loss 2% delay 5ms 2ms reorder 5%"
# 20 MiB by default: Tandem's sender moves ~0.5 MB/s at 2 % loss here
# (docs/tcp.md); TANDEM_LAB_TCP_IMPAIRED_MIB=100 runs the full 100 MiB (the
# GET takes 3.5-4 min, so run the script itself: meson's limit is 300 s).
IMPAIRED_MIB=${TANDEM_LAB_TCP_IMPAIRED_MIB:-20}
IMPAIRED=$((IMPAIRED_MIB * 1024 * 1024))
IMPAIRED_MAX_S=$((60 + 3 * IMPAIRED_MIB))
sw() { ip netns exec "$SWITCH_NS" "$@"; }
if client tc qdisc add dev eth0 root netem $NETEM 2>/dev/null; then
  sw tc qdisc add dev c-lan root netem $NETEM
  what="netem $NETEM"
else
  sw ip link set c-lan nomaster
  sw ip link add imp0 type veth peer name imp1
  sw ip link set imp1 master br-lan up
  sw ip link set imp0 up
  for i in c-lan imp0 imp1; do sw ethtool -K "$i" tx off gro off >/dev/null 2>&1; done
  sw python3 "$(dirname "$0")/impair.py" c-lan imp0 "${IMPAIR[@]}" >"$TMP/impair.log" 2>&1 &
  imppid=$!
  # python's start-up took over 0.5 s on a busy host: wait for the wire.
  for _ in $(seq 1 100); do grep -q '^ready' "$TMP/impair.log" && break; sleep 0.1; done
  what="impair.py ${IMPAIR[*]}"
fi
check "client reaches the node through the impaired path" client ping -c 3 -i 0.2 -W 2 "$NODE"
get "$IMPAIRED_MIB MiB GET under loss/delay/reordering ($what)" $IMPAIRED $IMPAIRED_MAX_S
head -c $IMPAIRED "$TMP/up.bin" >"$TMP/up-impaired.bin"
post "$IMPAIRED_MIB MiB POST under loss/delay/reordering" "$TMP/up-impaired.bin" $IMPAIRED_MAX_S
stat=$(ctl diagnose sys tcp stat)
echo "$stat" | grep -E '^(retransmits|rto_events|fast_retransmits|ooo_queued|dup_acks)=' | sed 's/^/    /'
[ "$(counter retransmits "$stat")" -gt 0 ] 2>/dev/null && ok "the stack retransmitted under loss" \
  || not_ok "no retransmits counted under loss"
[ "$(counter ooo_queued "$stat")" -gt 0 ] 2>/dev/null && ok "out-of-order segments reassembled" \
  || not_ok "no out-of-order segments counted under reordering"
if [ -n "${imppid:-}" ]; then
  kill "$imppid"; wait "$imppid" 2>/dev/null
  echo "    impair.py: $(cat "$TMP/impair.log")"
  sw ip link del imp0
  sw ip link set c-lan master br-lan
else
  client tc qdisc del dev eth0 root
  sw tc qdisc del dev c-lan root
fi

# SYN flood from an address nobody answers for (its SYN-ACKs go nowhere, so
# the backlog fills and stays full), bounded: 5 k SYN/s for 5 s, while a
# 500 MiB download runs through it, held to 50 MB/s so that it lasts about
# 10 s on any machine (unpaced on an idle one, it ended before the check
# below looked for it).
FLOOD_GET=$((500 * 1024 * 1024))
client curl -sS --max-time 90 --limit-rate 50M "$URL/$FLOOD_GET" | python3 "$PATTERN" check $FLOOD_GET >"$TMP/flood-get.out" 2>&1 &
getpid=$!
sleep 0.5
client hping3 -q -S -p "$TCP_HTTP_PORT" -a 10.1.100.99 -i u200 -c 25000 "$NODE" >"$TMP/hping.out" 2>&1 &
floodpid=$!
sleep 1.5
# New connections while the backlog is full: answered with cookies.
out=$(client curl -sS --max-time 10 "$URL/1000000" | python3 "$PATTERN" check 1000000 2>&1)
contains "new connection during the flood" "$out" "ok: 1000000 bytes"
list=$(ctl diagnose sys tcp list)
contains "tcp list shows the flood's half-open connections" "$list" "SYN_RECEIVED"
contains "tcp list shows the running download" "$list" "ESTABLISHED"
wait $floodpid
wait $getpid
contains "download running through the flood is intact" "$(cat "$TMP/flood-get.out")" "ok: $FLOOD_GET bytes"
stat=$(ctl diagnose sys tcp stat)
echo "$stat" | grep -E '^(syn_cookies_|listen_overflows|passive_opens)' | sed 's/^/    /'
[ "$(counter syn_cookies_sent "$stat")" -gt 1000 ] 2>/dev/null && ok "flood answered with SYN cookies" \
  || not_ok "SYN cookies sent: $(counter syn_cookies_sent "$stat")"
[ "$(counter syn_cookies_validated "$stat")" -gt 0 ] 2>/dev/null && ok "a cookie connection was validated" \
  || not_ok "SYN cookies validated: $(counter syn_cookies_validated "$stat")"
out=$(printf 'after the flood\n' | client nc -N -w 5 "$NODE" "$TCP_ECHO_PORT" 2>&1)
contains "echo still answers after the flood" "$out" "after the flood"
finish
