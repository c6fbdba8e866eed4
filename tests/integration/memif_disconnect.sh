#!/usr/bin/env bash
# A memif peer that goes away under load must not take tandemd (or
# tandem-gen) with it.
# DPDK 22.11's memif PMD unmaps a port's shared memory on the interrupt
# thread while a worker may still be in a burst on it (the lab's hbdev when
# the HA peer is killed; a generator that exits). tandemd's munmap waits
# for the pollers first (drivers/port/unmap_guard.h). Here tandem-gen
# connects to tandemd's two memif ports, sends at full rate for a moment
# and exits, many times over. Without the guard tandemd died within ~25-40
# such exits in about half the runs; the counter check below fails
# whenever the guard is not in the path at all.
. "$(dirname "$0")/lib.sh"
GEN=$TANDEM_BUILD/bench/gen/tandem-gen
ROUNDS=${TANDEM_MEMIF_ROUNDS:-40}
dir=$(mktemp -d /tmp/tandem-memif.XXXXXX)
tag="memif-$$"
pid=""
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  # The killed tandemd's and the generators' hugepage files: 384 MiB held
  # after this test until the next DPDK process started.
  rm -rf "$dir" /tmp/$tag-*.sock
  dpdk_forget "$tag-"
}
trap cleanup EXIT

cat >"$dir/node.conf" <<CONF
config system dpdk
    set cores "1"
    set workers 1
    set memory 256
    set session-table-size 65536
    set file-prefix "$tag-dut"
end
config system interface
    edit "port1"
        set device "net_memif1,role=server,socket=/tmp/$tag-p1.sock,socket-abstract=no"
        set ip 172.16.200.1 255.255.0.0
    next
    edit "port2"
        set device "net_memif2,role=server,socket=/tmp/$tag-p2.sock,socket-abstract=no"
        set ip 10.1.0.1 255.255.0.0
    next
end
config firewall policy
    edit 1
        set srcintf "port2"
        set dstintf "port1"
        set srcaddr "all"
        set dstaddr "all"
        set action accept
        set service "ALL"
        set schedule "always"
    next
end
CONF
# start_tandemd: the DUT in the background (pid), back once its memif
# sockets and CLI socket exist.
start_tandemd() {
  rm -f /tmp/$tag-p1.sock /tmp/$tag-p2.sock "$dir/t.sock"
  "$TANDEMD" -c "$dir/node.conf" -s "$dir/t.sock" >"$dir/tandemd.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    [ -S /tmp/$tag-p1.sock ] && [ -S /tmp/$tag-p2.sock ] && [ -S "$dir/t.sock" ] && break
    sleep 0.1
  done
}
# gen <file-prefix> <seconds>: tandem-gen at full rate through both ports.
gen() {
  "$GEN" -l 0 -m 128 --no-pci --no-telemetry --log-level=lib.eal:warning --file-prefix "$tag-$1" -- \
    --client-port "net_memif2,role=client,socket=/tmp/$tag-p2.sock,socket-abstract=no" \
    --server-port "net_memif1,role=client,socket=/tmp/$tag-p1.sock,socket-abstract=no" \
    --client-gw 10.1.0.1 --server-gw 172.16.200.1 --size 64 --flows 1000 \
    --rate max --duration "$2" --quiet
  local rc=$?
  rm -rf "/var/run/dpdk/$tag-$1"
  return $rc
}

start_tandemd
check "tandemd is up with two memif ports" test -S "$dir/t.sock"

forwarded=0 died=""
for i in $(seq "$ROUNDS"); do
  gen "gen-$i" 0.3 >"$dir/gen.txt" 2>&1
  rx=$(sed -n 's/^ *client->server tx [0-9]* rx \([0-9]*\).*/\1/p' "$dir/gen.txt")
  forwarded=$((forwarded + ${rx:-0}))
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"; died="after $i generator exits (status $?)"; pid=""; break
  fi
done
echo "# $ROUNDS generator runs, $forwarded frames forwarded in all"
if [ -z "$died" ]; then ok "tandemd survives $ROUNDS memif peers leaving under load"; else
  not_ok "tandemd died $died"; grep -i "segfault\|memif" "$dir/tandemd.log" | tail -5; fi
[ "$forwarded" -gt 0 ] && ok "frames were forwarded while the peers came and went" ||
  not_ok "no frame was forwarded (generator output: $(tail -3 "$dir/gen.txt"))"
if [ -n "$pid" ]; then
  counters=$("$TANDEMCTL" -s "$dir/t.sock" diagnose sys dataplane counters 2>&1)
  held=$(sed -n 's/^unmaps held until pollers left their burst: \([0-9]*\).*/\1/p' <<<"$counters")
  echo "# $(grep '^unmaps held' <<<"$counters")"
  [ "${held:-0}" -ge "$ROUNDS" ] && ok "every disconnect's unmaps waited for the pollers ($held)" ||
    not_ok "the unmap guard is not in the path: ${held:-no counter} unmaps held for $ROUNDS disconnects"
fi

# The other way round: tandemd killed under tandem-gen's load. The
# generator's memif clients unmap on the interrupt thread as well; without
# its guard it died in 9 of 120 such kills here (SIGSEGV), with it in
# none of 120. Each round must end with the generator's own exit and its
# note that the unmaps waited.
[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""; }
KILLS=${TANDEM_MEMIF_KILLS:-5}
crashed=0 guarded=0
for i in $(seq "$KILLS"); do
  start_tandemd
  gen "genk-$i" 3 >"$dir/genk.txt" 2>&1 &
  gen_pid=$!
  # Kill under load: once the generator's frames reach tandemd (its EAL
  # start-up alone took over a second on a busy host).
  for _ in $(seq 1 100); do
    "$TANDEMCTL" -s "$dir/t.sock" diagnose sys dataplane counters 2>/dev/null |
      grep -Eq 'rx_packets[ =]+[1-9]' && break
    sleep 0.1
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
  wait "$gen_pid"; rc=$?
  rm -rf /var/run/dpdk/$tag-dut
  [ "$rc" -lt 128 ] || { crashed=$((crashed + 1)); echo "# kill $i: tandem-gen ended with status $rc"; }
  grep -q "unmaps waited for the lcores" "$dir/genk.txt" && guarded=$((guarded + 1))
done
[ "$crashed" = 0 ] && ok "tandem-gen survives $KILLS kills of its memif server under load" ||
  not_ok "tandem-gen died in $crashed of $KILLS kills"
[ "$guarded" = "$KILLS" ] && ok "every kill's unmaps waited for the generator's lcores" ||
  not_ok "the generator's unmap guard was in the path in $guarded of $KILLS kills: $(tail -3 "$dir/genk.txt")"
finish
