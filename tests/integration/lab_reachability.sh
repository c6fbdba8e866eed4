#!/usr/bin/env bash
# The lab end to end: real Linux ping/arping from the client namespace get
# answers from tandemd's DPDK ports; other traffic on an AF_XDP port still
# reaches the kernel; tandemctl answers; a live config change takes effect;
# SIGTERM stops cleanly and `lab down` leaves nothing behind.
. "$(dirname "$0")/lib.sh"
LAB=$ROOT/scripts/lab
trap '"$LAB" down >/dev/null 2>&1' EXIT

export TANDEM_LAB_MODE=standalone  # two separate nodes: each answers for its own addresses
# Workers nap 20 ms when idle (the lab's default is 1000 us) and no access
# proxy keeps TCP connections (which would cap the nap at 1 ms): a frame
# that had to wait out a nap would show in the ping times below.
export TANDEM_LAB_IDLE_SLEEP=20000 TANDEM_LAB_ZTNA=disable
lab_up

for n in a b; do
  ipv="NODE_${n^^}_PORT2_IP"; ip=${!ipv}
  mac=$(ctl $n get hardware nic port2 | sed -n 's/^Current_HWaddr: *//p' | tr 'A-F' 'a-f')
  [ -n "$mac" ] && ok "node $n reports port2 MAC $mac" || not_ok "node $n port2 MAC missing"
  out=$(client arping -c 3 -w 5 -I eth0 "$ip" 2>&1)
  contains "arping node $n: reply from $ip" "$out" "from $ip"
  contains "arping node $n: reply carries port2's MAC" "$(tr 'A-F' 'a-f' <<<"$out")" "[$mac]"
  check "ping node $n port2 ($ip) 5/5" client ping -c 5 -i 0.2 -W 2 "$ip"
done
check "server pings node A port1" ip netns exec "$SERVER_NS" ping -c 3 -i 0.2 -W 2 "$NODE_A_PORT1_IP"
check_not "no answer for an address the node does not own" client ping -c 2 -W 1 10.1.100.99

status=$(ctl a get system status)
contains "get system status: hostname" "$status" "Hostname: tandem-a"
contains "get system status: serial" "$status" "Serial-Number: TDMLAB0000000001"
contains "get system status: port2 up" "$status" "port2"
contains "get system status: uptime" "$status" "Uptime:"
nic=$(ctl a get hardware nic port2)
contains "get hardware nic: driver" "$nic" "Driver Name:"
counters=$(ctl a diagnose sys dataplane counters port2)
contains "counters show ARP replies" "$counters" "arp_replies="
grep -qE '^tsc_hz=[1-9][0-9]{6,}$' <<<"$counters" && ok "counters give the TSC rate of busy_cycles" || not_ok "no tsc_hz line in the counters"
grep -q 'arp_replies=0 ' <<<"$counters" && not_ok "arp_replies still 0" || ok "arp_replies counted"
check_not "unknown command refused" ctl a get system bogus
out=$(ctl a get system bogus 2>&1); contains "unknown command explained" "$out" "command parse error"
shown=$(ctl a show system interface)
contains "show system interface lists port2" "$shown" 'edit "port2"'

if [ "$LAB_PORTS" = af_xdp ]; then
  # Tandem's XDP program passes what is not the node's to the kernel: give
  # the kernel side of port2 an address and the kernel answers for it.
  ip netns exec "$NODE_A_NS" ip addr add 10.1.100.50/24 dev port2
  check "kernel behind the AF_XDP port still answers for its own address" client ping -c 3 -i 0.2 -W 2 10.1.100.50
  ip netns exec "$NODE_A_NS" ip addr del 10.1.100.50/24 dev port2
fi

if [ "$LAB_PORTS" = af_xdp ]; then
  # An echo request on an AF_XDP port ends the worker's nap: answered in
  # well under the 20 ms nap, where a blind nap would make three in four
  # replies take longer than 5 ms.
  times=$(client ping -c 20 -i 0.05 -W 2 "$NODE_A_PORT2_IP" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
  fast=$(awk '$1 < 5 {n++} END {print n + 0}' <<<"$times")
  [ "$fast" -ge 15 ] && ok "idle worker woken by the frame: $fast of 20 echo replies under 5 ms" \
    || not_ok "idle worker not woken by frames: $fast of 20 echo replies under 5 ms ($(tr '\n' ' ' <<<"$times"))"
  wakeups=$(ctl a diagnose sys dataplane counters port2 | grep -o 'rx_wakeups=[0-9]*' | cut -d= -f2)
  [ "${wakeups:-0}" -gt 0 ] && ok "rx_wakeups counted on port2 ($wakeups)" || not_ok "rx_wakeups not counted on port2"
  contains "get system status: which ports end a nap" "$(ctl a get system status)" "idle-sleep 20000 us (a frame on port1, port2 ends it)"
fi

# Live change: without ping in allowaccess the echo is refused and counted.
check "config change accepted" ctl a config system interface edit port2 set allowaccess https end
check_not "ping refused after allowaccess drops ping" client ping -c 2 -W 1 "$NODE_A_PORT2_IP"
counters=$(ctl a diagnose sys dataplane counters port2)
grep -q 'drop_ping_denied=0 ' <<<"$counters" && not_ok "drop_ping_denied not counted" || ok "drop_ping_denied counted"
contains "change persisted to the config file" "$(cat "$NODE_A_CONF")" "set allowaccess https"
check "config change back" ctl a config system interface edit port2 set allowaccess ping https end
check "ping answered again" client ping -c 3 -i 0.2 -W 2 "$NODE_A_PORT2_IP"
out=$(ctl a config system interface edit port2 set mtu 99999 end 2>&1); rc=$?
[ $rc -eq 1 ] && ok "bad edit refused (exit 1)" || not_ok "bad edit exit $rc"
contains "bad edit explained" "$out" "9216"

# SIGTERM: clean stop, exit 0.
pid=$NODE_B_PID
contains "NODE_B_PID is tandemd itself" "$(cat /proc/$pid/comm 2>/dev/null)" "tandemd"
kill -TERM "$pid"
for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
running "$pid" && not_ok "node b still running 5 s after SIGTERM" || ok "node b stopped on SIGTERM"
contains "node b logged a clean stop" "$(tail -3 "$NODE_B_LOG")" "tandemd: stopped"

"$LAB" down >/dev/null 2>&1
left=$(ip netns list | grep -c '^tdm-' || true)
[ "$left" = 0 ] && ok "lab down removed every namespace" || not_ok "$left lab namespaces left"
[ ! -e /run/tandem-lab ] && ok "lab down removed /run/tandem-lab" || not_ok "/run/tandem-lab left"
ls /dev/hugepages/tandem-lab-* >/dev/null 2>&1 && not_ok "hugepage files left" || ok "no hugepage files left"
pgrep -f "tandemd -c /run/tandem-lab" >/dev/null && not_ok "tandemd processes left" || ok "no tandemd left"
finish
