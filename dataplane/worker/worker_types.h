// Plain types shared by the dataplane workers and the daemon that drives them:
// the configuration snapshot workers read (swapped with RCU by
// dataplane_publish) and the per-port counters they write. No code here;
// tandemd fills a Snapshot from the parsed config, the workers only read it.
#pragma once

#include <cstdint>

#include <rte_ether.h>

#include "dataplane/firewall/firewall_types.h"
#include "dataplane/neigh/neigh_types.h"
#include "dataplane/route/route_types.h"
#include "dataplane/session/session_types.h"
#include "dataplane/sync/sync_types.h"
#include "dataplane/tcp/tcp_glue_types.h"

namespace tandem::dp {

inline constexpr unsigned kMaxPorts = 8;      // data ports a worker serves
inline constexpr unsigned kMaxPortAddrs = 8;  // IPv4 addresses per port
inline constexpr unsigned kMaxWorkers = TANDEM_MAX_WORKERS;
inline constexpr unsigned kPortNameLen = 16;
// Frames per rte_eth_rx_burst of a worker, and frames a TX buffer holds
// before it is sent (docs/bench-forwarding.md, "A 64-frame burst").
inline constexpr uint16_t kRxBurst = 64;
inline constexpr uint16_t kTxBurst = 64;

// The ZTNA proxy's config generation (dataplane/ztna/ztna_app.h).
struct ZtnaRuntime;

struct PortAddr {
  uint32_t ip_be;    // network byte order
  uint32_t mask_be;  // network byte order
};

// One data port as workers see it; plain and copyable.
struct PortConf {
  uint16_t port_id;    // DPDK ethdev port id
  rte_ether_addr mac;  // the address the port answers for (virtual MAC under HA)
  uint8_t nb_addrs;
  PortAddr addrs[kMaxPortAddrs];
  bool allow_ping;  // "set allowaccess ping" on the interface
  // The node's HA role on this port. true: standalone or HA primary, the
  // port answers, forwards, learns and sends. false: HA secondary, the port
  // is silent (every received frame is counted in drop_standby and freed;
  // only dataplane_send() transmits). No default: a zeroed PortConf is a
  // silent port, so whoever builds one (tandemd's snapshot_build.cc, the
  // tests) sets it explicitly.
  bool active;
  char name[kPortNameLen];
};

// Immutable config view, swapped with RCU. Workers index counters by the
// position of a port in `ports`, so the daemon keeps that order stable.
// Plain arrays only: the daemon memsets it, fills it and hands it over.
struct Snapshot {
  uint64_t generation;
  uint8_t nb_ports;
  PortConf ports[kMaxPorts];
  // Connected routes (one per interface address, gateway 0) are the
  // daemon's to add, with the static routes.
  uint16_t nb_routes;
  RouteEntry routes[kMaxRoutes];
  FirewallConf firewall;
  SessionTimers session_timers;  // seconds; a 0 field takes the default
  SyncConf sync;                 // session pickup (needs DataplaneParams::session_sync)
  TcpServiceConf tcp_service;    // test service (needs DataplaneParams::tcp_max_conns)
  // The ZTNA proxy (needs DataplaneParams::ztna); owned by tandemd, which
  // frees it once no snapshot and no connection uses it. nullptr: none.
  const ZtnaRuntime* ztna;
};

// Written only by the worker that owns them; summed on demand.
struct PortCounters {
  uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped,
      arp_requests, arp_replies, icmp_echo_requests, icmp_echo_replies,
      drop_malformed, drop_not_local, drop_unsupported, drop_ping_denied,
      drop_other,
      drop_standby,        // received while the port is !active (HA secondary)
      drop_silenced,       // received while the data ports are silenced (dataplane_set_silenced)
      tx_silenced,         // not sent for the same reason, freed
      rx_own_mac_foreign,  // Ethernet source is our own PortConf.mac: split brain
      rx_own_mac_answer,   // of those, unicast ones: answers to the HA ARP probes
      ctl_tx_packets,      // frames the control plane sent with dataplane_send()
      rx_wakeups,          // naps this port's frames ended early (dataplane_set_rx_wait_fd)
      // What the forwarding path costs, in TSC cycles (bench/ndr/run --cycles).
      // Only loops that received or sent frames count, like testpmd's
      // --record-core-cycles: empty polls are the price of polling, not of
      // a frame. A loop is charged to the port it received on (the last
      // one when it received on several; without RX, the last it sent
      // on), so the sum over ports is the worker's. A loop longer than kStalledLoopUs did not work that long:
      // the worker was descheduled, so it is set apart (stalled_*) and
      // busy_cycles / (rx_packets - stalled_packets) is the cost per frame
      // whatever else ran on the core.
      busy_loops, busy_cycles, stalled_loops, stalled_packets, stalled_cycles;
};

}  // namespace tandem::dp
