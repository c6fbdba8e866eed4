// Translates the node's resolved configuration into the dataplane's
// immutable Snapshot: data ports and their addresses, connected and static
// routes, firewall policies (address ranges and services flattened into the
// snapshot's pools) and session timers. Called by tandemd at start-up and on
// every committed config change; the result is published with RCU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/config/node_config.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::daemon {

// One data port as the translation needs it: its interface name, DPDK port
// id and the MAC the workers answer with.
struct DataPortRef {
  std::string name;
  uint16_t port_id = 0;
  rte_ether_addr mac{};  // the HA virtual MAC on a cluster member
  bool active = true;    // false: HA secondary, the port stays silent
};

// Fills *snap (zeroed first). Ports keep the order of `ports` (workers index
// their counters by it). Returns false with *error when the configuration
// does not fit the snapshot's fixed tables. *warnings gets what was left out
// on purpose (a route through a non-data interface, say).
bool build_snapshot(const config::NodeConfig& node, const std::vector<DataPortRef>& ports,
                    uint64_t generation, dp::Snapshot* snap, std::string* error,
                    std::vector<std::string>* warnings);

}  // namespace tandem::daemon
