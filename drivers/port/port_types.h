// Plain types of Tandem's ports: how the config's `set device` string maps to
// a DPDK device, and what port set-up ended up with. Read by the control plane
// (interface table, `get hardware nic`) and by hw/ (formatting), so this
// header carries no code and depends only on DPDK's ether address type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_ether.h>

namespace tandem::drivers {

enum class DeviceKind {
  kPci,       // a NIC bound to vfio-pci/uio, named by its PCI address
  kAfXdp,     // net_af_xdp on a kernel interface, with Tandem's XDP program
  kAfPacket,  // net_af_packet on a kernel interface (no XDP needed)
  kKernel,    // not a DPDK port: the control plane uses kernel sockets on it
  kVdev,      // any other DPDK virtual device (net_ring, net_null, net_memif, net_tap...)
};

struct DeviceSpec {
  DeviceKind kind = DeviceKind::kVdev;
  std::string dpdk_name;               // ethdev name to look the port up by after EAL init
  std::string ifname;                  // kernel interface, for af_xdp/af_packet/kernel
  std::vector<std::string> eal_args;   // appended to the EAL command line
};

struct PortInfo {
  uint16_t port_id = 0;
  std::string name;        // Tandem's interface name ("port1", "ha")
  std::string dpdk_name;
  std::string driver;
  unsigned nb_rxq = 0;
  unsigned nb_txq = 0;
  unsigned rx_desc = 0;    // per queue, after the PMD adjusted it
  unsigned tx_desc = 0;
  bool rss = false;
  std::string rss_note;
  uint64_t rx_offloads = 0;
  uint64_t tx_offloads = 0;
  rte_ether_addr mac{};
  // False when port_setup() was allowed to defer a failed start (an hbdev
  // whose peer is not there yet); port_start() finishes the job later.
  bool started = false;
  std::string start_error;  // why the last start failed, for the operator
  // Per RX queue: a file descriptor that polls readable (POLLIN) while the
  // queue holds frames, or -1. AF_XDP ports have one, the queue's XDP
  // socket; an idle worker with idle-sleep set waits on it instead of
  // sleeping blind (dp::dataplane_set_rx_wait_fd).
  std::vector<int> rx_wait_fds;
};

}  // namespace tandem::drivers
