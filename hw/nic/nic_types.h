// What a port's driver can do, taken from rte_eth_dev_info at start-up, and
// the offloads Tandem turns on. Plain data: hw/nic/nic.h fills it,
// drivers/port and `get hardware nic` read it.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::hw {

struct NicCaps {
  std::string driver;           // PMD name, e.g. "net_ixgbe", "net_af_xdp"
  uint16_t max_rx_queues = 0;
  uint16_t max_tx_queues = 0;
  uint64_t rss_types = 0;       // flow_type_rss_offloads: RTE_ETH_RSS_* the NIC can hash
  uint16_t reta_size = 0;
  uint8_t rss_key_size = 0;     // 0: driver does not say
  uint64_t rx_offload_capa = 0;
  uint64_t tx_offload_capa = 0;
  uint32_t speed_capa = 0;      // RTE_ETH_LINK_SPEED_* bits
  uint16_t rx_desc_max = 0;
  uint16_t tx_desc_max = 0;
};

struct OffloadPlan {
  uint64_t rx_offloads = 0;     // RTE_ETH_RX_OFFLOAD_*
  uint64_t tx_offloads = 0;     // RTE_ETH_TX_OFFLOAD_*
};

}  // namespace tandem::hw
