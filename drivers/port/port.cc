#include "drivers/port/port.h"

#include <dirent.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <vector>

#include <rte_ethdev.h>

#include "drivers/port/device.h"
#include "drivers/port/unmap_guard.h"
#include "hw/nic/nic.h"
#include "hw/nic/rss.h"

namespace tandem::drivers {

namespace {

bool fail(std::string* error, const std::string& text) {
  if (error != nullptr) *error = text;
  return false;
}

std::string rc_text(int rc) { return std::strerror(rc < 0 ? -rc : rc); }

// The process's AF_XDP sockets, sorted. DPDK's af_xdp PMD keeps a queue's
// socket to itself and kernels without CONFIG_XDP_SOCKETS_DIAG cannot say
// which interface and queue a socket is bound to, so setup() tells a
// queue's socket by what the queue's set-up added to this list.
std::vector<int> xdp_sockets() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    int domain = 0;
    socklen_t len = sizeof(domain);
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
        domain == AF_XDP) {
      fds.push_back(static_cast<int>(fd));
    }
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

// The one socket in `after` that is not in `before`, or -1.
int added_socket(const std::vector<int>& before, const std::vector<int>& after) {
  std::vector<int> added;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(added));
  return added.size() == 1 ? added[0] : -1;
}

// Some PMDs (net_null among them) ignore the key given to
// rte_eth_dev_configure and keep their default, which is not symmetric; the
// key is pushed again and read back, and a port whose NIC will not hold it
// is reported as software-steered so workers keep checking flow ownership.
bool rss_key_applied(uint16_t port_id, const hw::RssPlan& plan, std::string* note) {
  uint8_t key[hw::kRssKeyMaxLen];
  std::memcpy(key, plan.key, plan.key_len);
  rte_eth_rss_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  conf.rss_key = key;
  conf.rss_key_len = plan.key_len;
  conf.rss_hf = plan.rss_hf;
  const int update_rc = rte_eth_dev_rss_hash_update(port_id, &conf);

  uint8_t held[hw::kRssKeyMaxLen] = {};
  std::memset(&conf, 0, sizeof(conf));
  conf.rss_key = held;
  conf.rss_key_len = plan.key_len;
  const int get_rc = rte_eth_dev_rss_hash_conf_get(port_id, &conf);
  if (get_rc == -ENOTSUP) {
    // Cannot read it back: trust configure (and the update when it worked).
    if (update_rc != 0 && update_rc != -ENOTSUP) {
      *note = "RSS key update failed (" + rc_text(update_rc) + "); workers steer in software";
      return false;
    }
    return true;
  }
  if (get_rc != 0 || std::memcmp(held, plan.key, plan.key_len) != 0) {
    *note = "driver kept its own RSS key (" +
            (update_rc == 0 ? std::string("update ignored") : "update: " + rc_text(update_rc)) +
            "); workers steer in software";
    return false;
  }
  return true;
}

}  // namespace

bool port_id_by_name(const std::string& dpdk_name, uint16_t* port_id) {
  return rte_eth_dev_get_port_by_name(dpdk_name.c_str(), port_id) == 0;
}

namespace {

bool setup(const DeviceSpec& spec, const std::string& port_name, unsigned nb_rxq, unsigned nb_txq,
           unsigned rx_desc, unsigned tx_desc, rte_mempool* pool, bool defer_start,
           PortInfo* out, std::string* error) {
  const std::string where = "interface " + port_name + " (" + spec.dpdk_name + "): ";
  if (spec.kind == DeviceKind::kKernel) {
    return fail(error, "interface " + port_name + " is a kernel interface (" + spec.ifname +
                           "), not a DPDK port");
  }
  if (pool == nullptr) return fail(error, where + "no mbuf pool");
  uint16_t port_id = 0;
  if (!port_id_by_name(spec.dpdk_name, &port_id)) {
    std::string args;
    for (const std::string& arg : spec.eal_args) args += " " + arg;
    return fail(error, where + "DPDK has no such port; was it on the EAL command line (" +
                           (args.empty() ? std::string(" none") : args) +
                           " ) and did the driver probe it?");
  }

  rte_eth_dev_info info;
  std::memset(&info, 0, sizeof(info));
  int rc = rte_eth_dev_info_get(port_id, &info);
  if (rc != 0) return fail(error, where + "cannot read device info: " + rc_text(rc));
  if (nb_rxq == 0 || nb_rxq > info.max_rx_queues) {
    return fail(error, where + std::to_string(nb_rxq) + " rx queues requested, driver " +
                           info.driver_name + " offers 1.." + std::to_string(info.max_rx_queues));
  }
  if (nb_txq == 0 || nb_txq > info.max_tx_queues) {
    return fail(error, where + std::to_string(nb_txq) + " tx queues requested, driver " +
                           info.driver_name + " offers 1.." + std::to_string(info.max_tx_queues));
  }
  if (rx_desc == 0 || rx_desc > UINT16_MAX || tx_desc == 0 || tx_desc > UINT16_MAX) {
    return fail(error, where + "descriptor counts must be 1..65535");
  }

  const hw::RssPlan rss = hw::plan_rss(info, nb_rxq);
  const hw::OffloadPlan offloads = hw::plan_offloads(info, rss.enabled);

  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  conf.rxmode.offloads = offloads.rx_offloads;
  conf.txmode.offloads = offloads.tx_offloads;
  uint8_t rss_key[hw::kRssKeyMaxLen];
  if (rss.enabled) {
    std::memcpy(rss_key, rss.key, rss.key_len);
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = rss_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = rss.key_len;
    conf.rx_adv_conf.rss_conf.rss_hf = rss.rss_hf;
  } else {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
  }
  rc = rte_eth_dev_configure(port_id, static_cast<uint16_t>(nb_rxq), static_cast<uint16_t>(nb_txq),
                             &conf);
  if (rc != 0) return fail(error, where + "rte_eth_dev_configure: " + rc_text(rc));

  // PMDs round or clamp ring sizes (af_xdp and af_packet have their own
  // limits); keep what the driver will really use.
  uint16_t nb_rxd = static_cast<uint16_t>(rx_desc);
  uint16_t nb_txd = static_cast<uint16_t>(tx_desc);
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
  if (rc != 0) return fail(error, where + "descriptor counts: " + rc_text(rc));

  int socket = rte_eth_dev_socket_id(port_id);
  if (socket < 0) socket = SOCKET_ID_ANY;
  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = offloads.rx_offloads;
  // An AF_XDP queue's socket polls readable while the queue holds frames:
  // an idle worker waits on it (PortInfo::rx_wait_fds).
  const bool xdp = spec.kind == DeviceKind::kAfXdp;
  std::vector<int> rx_wait_fds(nb_rxq, -1);
  for (unsigned q = 0; q < nb_rxq; ++q) {
    const std::vector<int> before = xdp ? xdp_sockets() : std::vector<int>{};
    rc = rte_eth_rx_queue_setup(port_id, static_cast<uint16_t>(q), nb_rxd,
                                static_cast<unsigned>(socket), &rxconf, pool);
    if (rc != 0) {
      return fail(error, where + "rx queue " + std::to_string(q) + " (" + std::to_string(nb_rxd) +
                             " desc): " + rc_text(rc));
    }
    if (xdp) rx_wait_fds[q] = added_socket(before, xdp_sockets());
  }
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = offloads.tx_offloads;
  for (unsigned q = 0; q < nb_txq; ++q) {
    rc = rte_eth_tx_queue_setup(port_id, static_cast<uint16_t>(q), nb_txd,
                                static_cast<unsigned>(socket), &txconf);
    if (rc != 0) {
      return fail(error, where + "tx queue " + std::to_string(q) + " (" + std::to_string(nb_txd) +
                             " desc): " + rc_text(rc));
    }
  }

  // memif: polled only once its rings are mapped (unmap_guard.h, LinkGate).
  link_gate_require(port_id,
                    std::strcmp(info.driver_name != nullptr ? info.driver_name : "", "net_memif") == 0);
  rc = rte_eth_dev_start(port_id);
  std::string start_error;
  if (rc != 0) {
    if (!defer_start) return fail(error, where + "start: " + rc_text(rc));
    start_error = "start: " + rc_text(rc);
  }
  std::string rss_note = rss.note;
  const bool rss_on = rc == 0 && rss.enabled && rss_key_applied(port_id, rss, &rss_note);
  // Not every vdev has a promiscuous mode (net_ring, net_null accept every
  // frame anyway); a refusal is not a set-up failure.
  if (rc == 0) (void)rte_eth_promiscuous_enable(port_id);

  PortInfo port;
  port.port_id = port_id;
  port.name = port_name;
  port.dpdk_name = spec.dpdk_name;
  port.driver = info.driver_name != nullptr ? info.driver_name : "unknown";
  port.nb_rxq = nb_rxq;
  port.nb_txq = nb_txq;
  port.rx_desc = nb_rxd;
  port.tx_desc = nb_txd;
  port.rss = rss_on;
  port.rss_note = rss_note;
  port.rx_offloads = offloads.rx_offloads;
  port.tx_offloads = offloads.tx_offloads;
  rte_eth_macaddr_get(port_id, &port.mac);
  port.started = rc == 0;
  port.start_error = start_error;
  port.rx_wait_fds = std::move(rx_wait_fds);
  *out = std::move(port);
  return true;
}

}  // namespace

bool port_setup(const DeviceSpec& spec, const std::string& port_name, unsigned nb_rxq,
                unsigned nb_txq, unsigned rx_desc, unsigned tx_desc, rte_mempool* pool,
                PortInfo* out, std::string* error) {
  return setup(spec, port_name, nb_rxq, nb_txq, rx_desc, tx_desc, pool, false, out, error);
}

bool port_setup_deferred(const DeviceSpec& spec, const std::string& port_name, unsigned nb_rxq,
                         unsigned nb_txq, unsigned rx_desc, unsigned tx_desc, rte_mempool* pool,
                         PortInfo* out, std::string* error) {
  return setup(spec, port_name, nb_rxq, nb_txq, rx_desc, tx_desc, pool, true, out, error);
}

bool port_start(PortInfo* info, std::string* error) {
  int rc = rte_eth_dev_start(info->port_id);
  if (rc != 0) {
    info->started = false;
    info->start_error = "start: " + rc_text(rc);
    return fail(error, "interface " + info->name + " (" + info->dpdk_name + "): " +
                           info->start_error);
  }
  (void)rte_eth_promiscuous_enable(info->port_id);
  info->started = true;
  info->start_error.clear();
  return true;
}

void port_shutdown(uint16_t port_id) {
  if (!rte_eth_dev_is_valid_port(port_id)) return;
  link_gate_new_epoch();  // a port that comes back under this id starts unseen
  // A peer's disconnect the interrupt thread is running on this port ends
  // before the close runs the PMD's own; what the close left for that
  // thread ends before the caller goes on (to rte_eal_cleanup, say).
  (void)interrupt_thread_sync();
  (void)rte_eth_dev_stop(port_id);
  (void)rte_eth_dev_close(port_id);
  (void)interrupt_thread_sync();
}

}  // namespace tandem::drivers
