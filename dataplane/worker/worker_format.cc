// How the worker's counters print. Control side only (uses snprintf).
#include <cstdint>
#include <cstdio>

#include "dataplane/worker/worker.h"

namespace tandem::dp {

const PortCounterField kPortCounterFields[] = {
    {"rx_packets", "frames received", &PortCounters::rx_packets},
    {"rx_bytes", "bytes received", &PortCounters::rx_bytes},
    {"tx_packets", "frames sent", &PortCounters::tx_packets},
    {"tx_bytes", "bytes sent", &PortCounters::tx_bytes},
    {"tx_dropped", "frames not sent: TX queue full, or memif link down", &PortCounters::tx_dropped},
    {"arp_requests", "ARP requests received, for any address", &PortCounters::arp_requests},
    {"arp_replies", "ARP replies sent for the node's addresses", &PortCounters::arp_replies},
    {"icmp_echo_requests", "ICMP echo requests received, to any address",
     &PortCounters::icmp_echo_requests},
    {"icmp_echo_replies", "ICMP echo replies sent", &PortCounters::icmp_echo_replies},
    {"drop_malformed", "frames whose headers are invalid (runt, truncated, bad checksum)",
     &PortCounters::drop_malformed},
    {"drop_not_local", "frames not addressed to the node (MAC or IPv4)",
     &PortCounters::drop_not_local},
    {"drop_unsupported", "valid frames nothing handles yet (IPv6, TCP, ARP replies, ...)",
     &PortCounters::drop_unsupported},
    {"drop_ping_denied", "echo requests to a port without allowaccess ping",
     &PortCounters::drop_ping_denied},
    {"drop_other", "echo requests from a source that must not be answered",
     &PortCounters::drop_other},
    {"drop_standby", "frames received while the port is standby (HA secondary), all dropped",
     &PortCounters::drop_standby},
    {"drop_silenced",
     "frames received while the watchdog silenced the data ports (control lcore hung), all dropped",
     &PortCounters::drop_silenced},
    {"tx_silenced", "frames not sent while the watchdog silenced the data ports, freed",
     &PortCounters::tx_silenced},
    {"rx_own_mac_foreign",
     "frames from our own MAC: another box uses this (virtual) MAC (HA split brain)",
     &PortCounters::rx_own_mac_foreign},
    {"rx_own_mac_answer",
     "of those, unicast to this port: another box answered our HA probe with the virtual MAC",
     &PortCounters::rx_own_mac_answer},
    {"ctl_tx_packets", "frames the control plane queued for this port (gratuitous ARP, ...)",
     &PortCounters::ctl_tx_packets},
    {"rx_wakeups", "idle naps a frame on this port ended early (AF_XDP: the worker waits on it)",
     &PortCounters::rx_wakeups},
    {"busy_loops", "worker loops that received frames here (the last port of several), or only sent",
     &PortCounters::busy_loops},
    {"busy_cycles", "TSC cycles of those loops, stalled ones excluded",
     &PortCounters::busy_cycles},
    {"stalled_loops", "busy loops longer than kStalledLoopUs (250 us): the worker was descheduled",
     &PortCounters::stalled_loops},
    {"stalled_packets", "frames received in stalled loops", &PortCounters::stalled_packets},
    {"stalled_cycles", "TSC cycles of stalled loops", &PortCounters::stalled_cycles},
};
const size_t kNbPortCounterFields = sizeof(kPortCounterFields) / sizeof(kPortCounterFields[0]);
// Every counter is in the table: summing and printing both walk it.
static_assert(sizeof(kPortCounterFields) / sizeof(kPortCounterFields[0]) * sizeof(uint64_t) ==
              sizeof(PortCounters));

size_t format_port_counters(const PortCounters& counters, char* buf, size_t buf_len) {
  size_t used = 0;
  if (buf_len > 0) buf[0] = '\0';
  for (size_t i = 0; i < kNbPortCounterFields; ++i) {
    const PortCounterField& f = kPortCounterFields[i];
    size_t room = used < buf_len ? buf_len - used : 0;
    int n = std::snprintf(room > 0 ? buf + used : nullptr, room, "%s %llu\n", f.name,
                          static_cast<unsigned long long>(counters.*f.field));
    if (n > 0) used += static_cast<size_t>(n);
  }
  return used;
}

}  // namespace tandem::dp
