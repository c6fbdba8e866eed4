// NIC capability probe, offload choice and the `get hardware nic` text.
//
// Called by drivers/port at port set-up and by the control plane's CLI; never
// on the fast path. hw/ sits below drivers/ in the layering, so it only sees
// the plain PortInfo type from drivers/port/port_types.h.
#pragma once

#include <cstdint>
#include <string>

#include <rte_ethdev.h>

#include "drivers/port/port_types.h"
#include "hw/nic/nic_types.h"

namespace tandem::hw {

NicCaps nic_caps_from_info(const rte_eth_dev_info& info);
bool probe_nic(uint16_t port_id, NicCaps* out, std::string* error);

// Checksum offloads where the driver has them (the proxy's TCP stack fills
// checksums itself otherwise), plus the RSS hash in the mbuf when RSS is on so
// workers need not recompute it.
OffloadPlan plan_offloads(const rte_eth_dev_info& info, bool rss_enabled);

// Offload bits as DPDK names them, space separated ("none" when empty).
std::string format_rx_offloads(uint64_t offloads);
std::string format_tx_offloads(uint64_t offloads);

// The text of `get hardware nic <port>` in FortiOS layout, from the port's
// live link status and rte_eth_stats.
std::string format_nic(uint16_t port_id, const tandem::drivers::PortInfo& port);

}  // namespace tandem::hw
