#include <cstdio>
#include <cstring>
#include <string>

#include <rte_version.h>

#include "hw/nic/nic.h"

namespace tandem::hw {

namespace {

std::string format_offloads(uint64_t offloads, const char* (*name_of)(uint64_t)) {
  std::string text;
  for (unsigned bit = 0; bit < 64; ++bit) {
    const uint64_t flag = uint64_t{1} << bit;
    if ((offloads & flag) == 0) continue;
    if (!text.empty()) text += ' ';
    text += name_of(flag);
  }
  return text.empty() ? "none" : text;
}

std::string format_mac(const rte_ether_addr& mac) {
  char text[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(text, sizeof(text), &mac);
  return text;
}

void add_line(std::string* out, const char* label, const std::string& value) {
  char line[256];
  std::snprintf(line, sizeof(line), "%-20s%s\n", label, value.c_str());
  *out += line;
}

// ethdev in 22.11 has no public "is started" query; a started port has its
// queues started, which drivers that implement queue info report. Drivers
// without it fall back to the link state, which vdevs raise in dev_start.
bool port_admin_up(uint16_t port_id, const rte_eth_link& link) {
  rte_eth_rxq_info rxq;
  std::memset(&rxq, 0, sizeof(rxq));
  if (rte_eth_rx_queue_info_get(port_id, 0, &rxq) == 0) {
    return rxq.queue_state == RTE_ETH_QUEUE_STATE_STARTED;
  }
  return link.link_status == RTE_ETH_LINK_UP;
}

}  // namespace

std::string format_rx_offloads(uint64_t offloads) {
  return format_offloads(offloads, rte_eth_dev_rx_offload_name);
}

std::string format_tx_offloads(uint64_t offloads) {
  return format_offloads(offloads, rte_eth_dev_tx_offload_name);
}

std::string format_nic(uint16_t port_id, const tandem::drivers::PortInfo& port) {
  std::string out;
  rte_eth_link link;
  std::memset(&link, 0, sizeof(link));
  const bool have_link = rte_eth_link_get_nowait(port_id, &link) == 0;
  rte_eth_stats stats;
  std::memset(&stats, 0, sizeof(stats));
  const bool have_stats = rte_eth_stats_get(port_id, &stats) == 0;

  char fw[64] = {};
  std::string version = rte_version();
  if (rte_eth_dev_fw_version_get(port_id, fw, sizeof(fw)) == 0) version += ", firmware " + std::string(fw);

  const bool link_up = have_link && link.link_status == RTE_ETH_LINK_UP;
  std::string speed = "unknown";
  if (link_up && link.link_speed != RTE_ETH_SPEED_NUM_NONE &&
      link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN) {
    speed = std::to_string(link.link_speed) + "Mbps";
  }
  std::string duplex = "unknown";
  if (link_up) duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "Full" : "Half";

  rte_ether_addr current = port.mac;
  rte_eth_macaddr_get(port_id, &current);

  auto counter = [&](uint64_t value) {
    return have_stats ? std::to_string(value) : std::string("n/a");
  };

  add_line(&out, "Name:", port.name);
  add_line(&out, "Driver Name:", port.driver);
  add_line(&out, "Version:", version);
  add_line(&out, "Admin:", have_link && port_admin_up(port_id, link) ? "up" : "down");
  add_line(&out, "netdev status:", link_up ? "up" : "down");
  add_line(&out, "Link:", link_up ? "up" : "down");
  add_line(&out, "Speed:", speed);
  add_line(&out, "Duplex:", duplex);
  add_line(&out, "Host Rx Pkts:", counter(stats.ipackets));
  add_line(&out, "Host Rx Bytes:", counter(stats.ibytes));
  add_line(&out, "Host Tx Pkts:", counter(stats.opackets));
  add_line(&out, "Host Tx Bytes:", counter(stats.obytes));
  add_line(&out, "Rx Missed:", counter(stats.imissed));
  add_line(&out, "Rx Errors:", counter(stats.ierrors));
  add_line(&out, "Tx Errors:", counter(stats.oerrors));
  add_line(&out, "Rx Queues:", std::to_string(port.nb_rxq) + " x " + std::to_string(port.rx_desc) + " desc");
  add_line(&out, "Tx Queues:", std::to_string(port.nb_txq) + " x " + std::to_string(port.tx_desc) + " desc");
  add_line(&out, "RSS:", std::string(port.rss ? "enabled" : "disabled") + " (" + port.rss_note + ")");
  add_line(&out, "Rx Offloads:", format_rx_offloads(port.rx_offloads));
  add_line(&out, "Tx Offloads:", format_tx_offloads(port.tx_offloads));
  add_line(&out, "Current_HWaddr:", format_mac(current));
  add_line(&out, "Permanent_HWaddr:", format_mac(port.mac));
  return out;
}

}  // namespace tandem::hw
