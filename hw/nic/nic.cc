#include "hw/nic/nic.h"

#include <cstring>

namespace tandem::hw {

namespace {

constexpr uint64_t kWantedRxOffloads =
    RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
constexpr uint64_t kWantedTxOffloads =
    RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

}  // namespace

NicCaps nic_caps_from_info(const rte_eth_dev_info& info) {
  NicCaps caps;
  caps.driver = info.driver_name != nullptr ? info.driver_name : "unknown";
  caps.max_rx_queues = info.max_rx_queues;
  caps.max_tx_queues = info.max_tx_queues;
  caps.rss_types = info.flow_type_rss_offloads;
  caps.reta_size = info.reta_size;
  caps.rss_key_size = info.hash_key_size;
  caps.rx_offload_capa = info.rx_offload_capa;
  caps.tx_offload_capa = info.tx_offload_capa;
  caps.speed_capa = info.speed_capa;
  caps.rx_desc_max = info.rx_desc_lim.nb_max;
  caps.tx_desc_max = info.tx_desc_lim.nb_max;
  return caps;
}

bool probe_nic(uint16_t port_id, NicCaps* out, std::string* error) {
  rte_eth_dev_info info;
  std::memset(&info, 0, sizeof(info));
  const int rc = rte_eth_dev_info_get(port_id, &info);
  if (rc != 0) {
    if (error != nullptr) {
      *error = "port " + std::to_string(port_id) + ": cannot read device info: " +
               std::strerror(-rc);
    }
    return false;
  }
  *out = nic_caps_from_info(info);
  return true;
}

OffloadPlan plan_offloads(const rte_eth_dev_info& info, bool rss_enabled) {
  OffloadPlan plan;
  plan.rx_offloads = info.rx_offload_capa & kWantedRxOffloads;
  plan.tx_offloads = info.tx_offload_capa & kWantedTxOffloads;
  if (rss_enabled) plan.rx_offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH;
  return plan;
}

}  // namespace tandem::hw
