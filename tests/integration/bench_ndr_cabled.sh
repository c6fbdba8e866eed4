#!/usr/bin/env bash
# bench/ndr/run on cabled ports, the way an appliance runs it (NIC ports
# wired generator <-> DUT), here over two veth pairs with AF_XDP ports
# (--veth af_xdp): testpmd 5tswap and tandemd with 1000 sessions each
# forward tandem-gen's frames, the rate search finds a rate, the report
# says which column shows a DUT at its limit, and the namespace goes away.
# It asserts that the topology works, not how fast: the kernel's veth sets
# the rates. It also covers tandem-gen on af_xdp:IF ports, which received
# nothing until its XDP steering was turned on (2026-12-06).
. "$(dirname "$0")/lib.sh"
command -v dpdk-testpmd >/dev/null || { not_ok "dpdk-testpmd is not installed"; finish; }
out=$(mktemp -d /tmp/tandem-ndr-cabled.XXXXXX)
trap 'rm -rf "$out"' EXIT

# A 0.5 % loss tolerance (a PDR search): a descheduled generator on a busy
# CI host must not make the search end at zero.
"$ROOT/bench/ndr/run" --build "$TANDEM_BUILD" --veth af_xdp --dut tandemd --same-flows \
    --sessions 1000 --runs 1 --trial 1 --loss-pct 0.5 --no-session-bench --report "$out/report.md" \
    >"$out/run.log" 2>&1
rc=$?
[ "$rc" = 0 ] && ok "bench/ndr/run --veth af_xdp ends with status 0" ||
  { not_ok "bench/ndr/run --veth af_xdp ended with status $rc:"; tail -20 "$out/run.log" | sed 's/^/    /'; }
report=$(cat "$out/report.md" 2>/dev/null)
contains "the report names the cabled ports" "$report" \
  "cabled ports: tandem-gen af_xdp:ndr-gc / af_xdp:ndr-gs, DUT af_xdp:ndr-dc / af_xdp:ndr-ds"
contains "with cabled ports a DUT at its limit shows as loss" "$report" "| max-load loss % median"
# "| label | NDR median | ..." with a rate above zero for both DUTs.
for leg in testpmd-5tswap-1000 tandemd-1000; do
  ndr=$(awk -F'|' -v l=" $leg " '$2 == l { gsub(/ /, "", $3); print $3; exit }' <<<"$report")
  awk -v v="${ndr:-0}" 'BEGIN { exit !(v > 0) }' && ok "$leg forwards: $ndr Mpps at <= 0.5 % loss" ||
    not_ok "$leg: no NDR in the report (${ndr:-none})"
done
contains "tandemd held its 1000 sessions through every trial" "$report" "| tandemd-1000 | 1000..1000 |"
contains "the verdict compares tandemd with testpmd on the same flows" "$report" \
  "tandemd-1000 / testpmd-5tswap-1000: NDR"
# --cycles at a fixed rate both DUTs keep up with: the cost report and its
# verdict against the target.
"$ROOT/bench/ndr/run" --build "$TANDEM_BUILD" --veth af_xdp --dut tandemd --same-flows --cycles \
    --cycles-rate 100000 --sessions 1000 --runs 1 --trial 1 --no-session-bench \
    --report "$out/cycles.md" >"$out/cycles.log" 2>&1
rc=$?
[ "$rc" = 0 ] && ok "bench/ndr/run --cycles --cycles-rate 100000 ends with status 0" ||
  { not_ok "bench/ndr/run --cycles ended with status $rc:"; tail -20 "$out/cycles.log" | sed 's/^/    /'; }
cycles=$(cat "$out/cycles.md" 2>/dev/null)
contains "the cost report is at the fixed rate" "$cycles" "at 100000 pps offered"
contains "the cost verdict compares tandemd with testpmd on the same flows" "$cycles" \
  "- tandemd-1000: "
cost=$(awk -F'|' '$2 == " tandemd-1000 " { gsub(/ /, "", $3); print $3; exit }' <<<"$cycles")
awk -v v="${cost:-0}" 'BEGIN { exit !(v > 0) }' && ok "tandemd-1000 costs $cost cycles a frame" ||
  not_ok "tandemd-1000: no cycles per frame in the report (${cost:-none})"
# The driver's namespace is gone (its EXIT trap).
check_not "the driver removed its network namespace" sh -c "ip netns list | grep -q '^tandem-ndr-'"

# Stopped mid-run as `timeout` stops it (SIGTERM to the whole process
# group): no namespace, hugepage file or DPDK runtime dir of it is left.
# (DPDK 22.11 leaves a process's hugepage files, and their hugepages, until
# the next DPDK process starts and reclaims them.)
timeout 15 "$ROOT/bench/ndr/run" --build "$TANDEM_BUILD" --veth af_xdp --dut testpmd --runs 1 \
    --trial 1 >"$out/stopped.log" 2>&1
sleep 1
check_not "a stopped run leaves no namespace" sh -c "ip netns list | grep -q '^tandem-ndr-'"
check_not "a stopped run leaves no hugepage files" sh -c "ls /dev/hugepages/ndr-* >/dev/null 2>&1"
check_not "a stopped run leaves no DPDK runtime dir" sh -c "ls -d /var/run/dpdk/ndr-* >/dev/null 2>&1"
finish
