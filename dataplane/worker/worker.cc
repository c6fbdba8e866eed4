#include "dataplane/worker/worker.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/arp/arp.h"
#include "dataplane/icmp/icmp.h"
#include "dataplane/packet/parse.h"
#include "dataplane/worker/worker_inl.h"

namespace tandem::dp {
namespace {

constexpr uint16_t kRxBurst = 32;        // frames per rte_eth_rx_burst
constexpr uint16_t kTxBurst = 32;        // frames a TX buffer holds before it is sent
constexpr unsigned kPrefetchOffset = 3;  // frames prefetched ahead of the one parsed
constexpr uint64_t kTxDrainUs = 100;     // longest a reply waits in a TX buffer
// Empty loops before an idle worker may sleep: long enough that a burst gap
// under load never triggers it, short enough (a few µs of polling) that an
// idle node gives the shared cores back quickly.
constexpr unsigned kIdleLoopsBeforeSleep = 256;

struct TxBuffer {
  uint16_t port_id;     // where the waiting frames go (fixed when the first is queued)
  uint16_t nb_pkts;
  uint64_t oldest_tsc;  // when the first waiting frame was queued
  rte_mbuf* pkts[kTxBurst];
};

struct alignas(RTE_CACHE_LINE_SIZE) AlignedPortCounters {
  PortCounters counters;
};

}  // namespace

// Everything one worker touches on the fast path; only that worker writes it
// (counters are also read, never written, by the control side).
struct alignas(RTE_CACHE_LINE_SIZE) WorkerContext {
  Dataplane* dp;
  unsigned index;     // worker number = RX/TX queue id = RCU thread id
  unsigned lcore_id;  // set by dataplane_launch
  unsigned idle_loops;
  TxBuffer tx[kMaxPorts];  // indexed like Snapshot::ports
  AlignedPortCounters port_counters[kMaxPorts];
};

class Dataplane {
 public:
  DataplaneParams params_{};
  uint64_t drain_tsc_ = 0;
  std::atomic<Snapshot*> snapshot_{nullptr};
  std::atomic<bool> stop_{false};
  std::atomic<bool> launched_{false};  // written under control_mutex_
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::mutex control_mutex_;  // serialises publish/launch/stop (control side only)
  WorkerContext* workers_[kMaxWorkers] = {};
};

namespace {

int socket_arg(const Dataplane* dp) { return static_cast<int>(dp->params_.socket_id); }

bool validate_snapshot(const Snapshot& s, char* error, size_t error_len) {
  if (s.nb_ports > kMaxPorts) {
    std::snprintf(error, error_len, "snapshot has %u ports, at most %u are supported",
                  unsigned{s.nb_ports}, kMaxPorts);
    return false;
  }
  for (unsigned p = 0; p < s.nb_ports; ++p) {
    const PortConf& port = s.ports[p];
    if (port.nb_addrs > kMaxPortAddrs) {
      std::snprintf(error, error_len, "port %u has %u addresses, at most %u are supported", p,
                    unsigned{port.nb_addrs}, kMaxPortAddrs);
      return false;
    }
    if (!rte_eth_dev_is_valid_port(port.port_id)) {
      std::snprintf(error, error_len, "port %u: ethdev %u does not exist", p,
                    unsigned{port.port_id});
      return false;
    }
    for (unsigned q = 0; q < p; ++q) {
      if (s.ports[q].port_id == port.port_id) {
        std::snprintf(error, error_len, "ethdev %u appears twice in the snapshot",
                      unsigned{port.port_id});
        return false;
      }
    }
  }
  return true;
}

// Worker i polls queue i: every port needs a queue per worker.
bool check_queues(const Snapshot& s, unsigned nb_workers) {
  for (unsigned p = 0; p < s.nb_ports; ++p) {
    rte_eth_dev_info info;
    if (rte_eth_dev_info_get(s.ports[p].port_id, &info) != 0) return false;
    if (info.nb_rx_queues < nb_workers || info.nb_tx_queues < nb_workers) return false;
  }
  return true;
}

Snapshot* copy_snapshot(const Dataplane* dp, const Snapshot& from) {
  auto* s = static_cast<Snapshot*>(
      rte_zmalloc_socket("tandem_snapshot", sizeof(Snapshot), RTE_CACHE_LINE_SIZE, socket_arg(dp)));
  if (s != nullptr) *s = from;
  return s;
}

void tx_flush(WorkerContext* w, unsigned port_index) {
  TxBuffer& b = w->tx[port_index];
  if (b.nb_pkts == 0) return;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < b.nb_pkts; ++i) bytes += rte_pktmbuf_pkt_len(b.pkts[i]);
  uint16_t sent = rte_eth_tx_burst(b.port_id, static_cast<uint16_t>(w->index), b.pkts, b.nb_pkts);
  // Replies are cheap to lose and the peer retries; waiting for room would
  // stall every other port of this worker.
  for (uint16_t i = sent; i < b.nb_pkts; ++i) {
    bytes -= rte_pktmbuf_pkt_len(b.pkts[i]);
    rte_pktmbuf_free(b.pkts[i]);
  }
  PortCounters& c = w->port_counters[port_index].counters;
  counter_add(c.tx_packets, sent);
  counter_add(c.tx_bytes, bytes);
  counter_add(c.tx_dropped, b.nb_pkts - sent);
  b.nb_pkts = 0;
}

void tx_enqueue(WorkerContext* w, unsigned port_index, uint16_t port_id, rte_mbuf* m,
                uint64_t now) {
  TxBuffer& b = w->tx[port_index];
  // A new snapshot may have moved another port to this index.
  if (b.nb_pkts > 0 && b.port_id != port_id) tx_flush(w, port_index);
  if (b.nb_pkts == 0) {
    b.port_id = port_id;
    b.oldest_tsc = now;
  }
  b.pkts[b.nb_pkts++] = m;
  if (b.nb_pkts == kTxBurst) tx_flush(w, port_index);
}

void tx_flush_all(WorkerContext* w) {
  for (unsigned p = 0; p < kMaxPorts; ++p) tx_flush(w, p);
}

bool is_broadcast_mac(const uint8_t* mac) {
  static constexpr uint8_t kBroadcast[RTE_ETHER_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  return std::memcmp(mac, kBroadcast, RTE_ETHER_ADDR_LEN) == 0;
}

Verdict classify_ipv4(rte_mbuf* m, const uint8_t* data, const ParsedFrame& frame,
                      const PortConf& port, PortCounters& c) {
  if (frame.ip_proto != kIpProtoIcmp)
    // TCP/UDP to the node is the proxy's (issue 3 onward).
    return port_owns_address(port, frame.ip_dst_be) ? Verdict::kDropUnsupported
                                                    : Verdict::kDropNotLocal;
  if (icmp_is_echo_request(data, frame)) counter_add(c.icmp_echo_requests, 1);
  Verdict v = icmp_answer_echo_mbuf(m, frame, port);
  if (v == Verdict::kTransmit) counter_add(c.icmp_echo_replies, 1);
  return v;
}

void handle_frame(WorkerContext* w, const PortConf& port, unsigned port_index, rte_mbuf* m,
                  uint64_t now) {
  PortCounters& c = w->port_counters[port_index].counters;
  counter_add(c.rx_packets, 1);
  counter_add(c.rx_bytes, rte_pktmbuf_pkt_len(m));

  // Headers are read from the first segment only; a chain whose headers
  // straddle segments parses as truncated.
  const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
  ParsedFrame frame;
  Verdict v;
  if (parse_frame(data, rte_pktmbuf_data_len(m), &frame) != DropReason::kNone) {
    v = Verdict::kDropMalformed;
  } else if (std::memcmp(data, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0 &&
             !is_broadcast_mac(data)) {
    v = Verdict::kDropNotLocal;  // promiscuous ports and multicast we do not join
  } else if (frame.ether_type == kEtherTypeArp) {
    if (frame.arp_op == RTE_ARP_OP_REQUEST) counter_add(c.arp_requests, 1);
    v = arp_answer_mbuf(m, frame, port);
    if (v == Verdict::kTransmit) counter_add(c.arp_replies, 1);
  } else if (frame.ether_type == kEtherTypeIpv4) {
    v = classify_ipv4(m, data, frame, port, c);
  } else {
    v = Verdict::kDropUnsupported;  // IPv6, LLDP, ...
  }

  switch (v) {
    case Verdict::kTransmit:
      tx_enqueue(w, port_index, port.port_id, m, now);
      return;
    case Verdict::kDropMalformed: counter_add(c.drop_malformed, 1); break;
    case Verdict::kDropNotLocal: counter_add(c.drop_not_local, 1); break;
    case Verdict::kDropUnsupported: counter_add(c.drop_unsupported, 1); break;
    case Verdict::kDropPingDenied: counter_add(c.drop_ping_denied, 1); break;
    case Verdict::kDropOther: counter_add(c.drop_other, 1); break;
  }
  rte_pktmbuf_free(m);
}

// One loop of a worker: every port of the snapshot once. Returns the number
// of frames received. Ends with the RCU quiescent state: no snapshot pointer
// survives past it.
unsigned worker_poll(Dataplane* dp, WorkerContext* w) {
  const Snapshot* snap = dp->snapshot_.load(std::memory_order_acquire);
  uint64_t now = rte_rdtsc();
  unsigned total = 0;
  bool queue_drained[kMaxPorts];
  for (unsigned p = 0; p < kMaxPorts; ++p) queue_drained[p] = true;

  for (unsigned p = 0; p < snap->nb_ports; ++p) {
    const PortConf& port = snap->ports[p];
    rte_mbuf* pkts[kRxBurst];
    uint16_t n = rte_eth_rx_burst(port.port_id, static_cast<uint16_t>(w->index), pkts, kRxBurst);
    for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i)
      rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (uint16_t i = 0; i < n; ++i) {
      if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
      handle_frame(w, port, p, pkts[i], now);
    }
    queue_drained[p] = n < kRxBurst;
    total += n;
  }

  // Hold replies back only while more frames are waiting to join the batch,
  // and never longer than the drain period.
  for (unsigned p = 0; p < kMaxPorts; ++p) {
    const TxBuffer& b = w->tx[p];
    if (b.nb_pkts > 0 && (queue_drained[p] || now - b.oldest_tsc >= dp->drain_tsc_))
      tx_flush(w, p);
  }
  rte_rcu_qsbr_quiescent(dp->qsbr_, w->index);
  return total;
}

int worker_main(void* arg) {
  auto* w = static_cast<WorkerContext*>(arg);
  Dataplane* dp = w->dp;
  rte_rcu_qsbr_thread_online(dp->qsbr_, w->index);
  while (!dp->stop_.load(std::memory_order_acquire)) {
    if (worker_poll(dp, w) > 0) {
      w->idle_loops = 0;
      continue;
    }
    if (w->idle_loops < kIdleLoopsBeforeSleep) {
      ++w->idle_loops;
      continue;
    }
    if (dp->params_.idle_sleep_us > 0) {
      // A syscall on a worker, on purpose: the operator set idle_sleep_us so
      // that nodes and a generator can share the cores of a small machine.
      // It happens only after kIdleLoopsBeforeSleep empty loops, with every
      // TX buffer flushed; offline, so a publish does not wait for the nap.
      rte_rcu_qsbr_thread_offline(dp->qsbr_, w->index);
      rte_delay_us_sleep(dp->params_.idle_sleep_us);
      rte_rcu_qsbr_thread_online(dp->qsbr_, w->index);
    }
  }
  tx_flush_all(w);
  rte_rcu_qsbr_thread_offline(dp->qsbr_, w->index);
  return 0;
}

void free_dataplane(Dataplane* dp) {
  for (unsigned i = 0; i < kMaxWorkers; ++i) {
    WorkerContext* w = dp->workers_[i];
    if (w == nullptr) continue;
    for (unsigned p = 0; p < kMaxPorts; ++p) {
      TxBuffer& b = w->tx[p];
      rte_pktmbuf_free_bulk(b.pkts, b.nb_pkts);
      b.nb_pkts = 0;
    }
    rte_free(w);
  }
  rte_free(dp->snapshot_.load());
  rte_free(dp->qsbr_);
  dp->~Dataplane();
  rte_free(dp);
}

}  // namespace

Dataplane* dataplane_create(const DataplaneParams& params, const Snapshot& initial, char* error,
                            size_t error_len) {
  if (params.nb_workers < 1 || params.nb_workers > kMaxWorkers) {
    std::snprintf(error, error_len, "nb_workers is %u, it must be 1..%u", params.nb_workers,
                  kMaxWorkers);
    return nullptr;
  }
  if (!validate_snapshot(initial, error, error_len)) return nullptr;
  int socket = static_cast<int>(params.socket_id);
  void* mem = rte_zmalloc_socket("tandem_dataplane", sizeof(Dataplane), RTE_CACHE_LINE_SIZE, socket);
  if (mem == nullptr) {
    std::snprintf(error, error_len, "out of memory for the dataplane (socket %d)", socket);
    return nullptr;
  }
  auto* dp = new (mem) Dataplane();
  dp->params_ = params;
  dp->drain_tsc_ = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * kTxDrainUs;

  size_t qsbr_size = rte_rcu_qsbr_get_memsize(params.nb_workers);
  dp->qsbr_ = static_cast<rte_rcu_qsbr*>(
      rte_zmalloc_socket("tandem_dp_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE, socket));
  Snapshot* snap = copy_snapshot(dp, initial);
  dp->snapshot_.store(snap);
  bool ok = dp->qsbr_ != nullptr && snap != nullptr &&
            rte_rcu_qsbr_init(dp->qsbr_, params.nb_workers) == 0;
  for (unsigned i = 0; ok && i < params.nb_workers; ++i) {
    auto* w = static_cast<WorkerContext*>(
        rte_zmalloc_socket("tandem_worker", sizeof(WorkerContext), RTE_CACHE_LINE_SIZE, socket));
    if (w == nullptr) {
      ok = false;
      break;
    }
    w->dp = dp;
    w->index = i;
    dp->workers_[i] = w;
    // Registered but offline: a worker counts for RCU only while it polls.
    ok = rte_rcu_qsbr_thread_register(dp->qsbr_, i) == 0;
  }
  if (!ok) {
    std::snprintf(error, error_len, "out of memory for %u worker contexts (socket %d)",
                  params.nb_workers, socket);
    free_dataplane(dp);
    return nullptr;
  }
  return dp;
}

void dataplane_destroy(Dataplane* dp) {
  if (dp == nullptr) return;
  dataplane_stop(dp);
  free_dataplane(dp);
}

int dataplane_publish(Dataplane* dp, const Snapshot& next) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  char error[128];
  if (!validate_snapshot(next, error, sizeof(error))) return -EINVAL;
  if (dp->launched_ && !check_queues(next, dp->params_.nb_workers)) return -EINVAL;
  Snapshot* fresh = copy_snapshot(dp, next);
  if (fresh == nullptr) return -ENOMEM;
  Snapshot* old = dp->snapshot_.exchange(fresh, std::memory_order_acq_rel);
  rte_rcu_qsbr_synchronize(dp->qsbr_, RTE_QSBR_THRID_INVALID);
  rte_free(old);
  return 0;
}

int dataplane_launch(Dataplane* dp, const unsigned* lcore_ids, unsigned nb_lcores) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (dp->launched_) return -EBUSY;
  if (nb_lcores != dp->params_.nb_workers) return -EINVAL;
  for (unsigned i = 0; i < nb_lcores; ++i) {
    if (lcore_ids[i] >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore_ids[i]) ||
        lcore_ids[i] == rte_get_main_lcore())
      return -EINVAL;
    for (unsigned j = 0; j < i; ++j)
      if (lcore_ids[j] == lcore_ids[i]) return -EINVAL;
  }
  if (!check_queues(*dp->snapshot_.load(), dp->params_.nb_workers)) return -EINVAL;

  dp->stop_.store(false, std::memory_order_release);
  for (unsigned i = 0; i < nb_lcores; ++i) {
    WorkerContext* w = dp->workers_[i];
    w->lcore_id = lcore_ids[i];
    w->idle_loops = 0;
    int rc = rte_eal_remote_launch(worker_main, w, lcore_ids[i]);
    if (rc != 0) {
      dp->stop_.store(true, std::memory_order_release);
      for (unsigned j = 0; j < i; ++j) rte_eal_wait_lcore(dp->workers_[j]->lcore_id);
      dp->stop_.store(false, std::memory_order_release);
      return rc < 0 ? rc : -rc;
    }
  }
  dp->launched_ = true;
  return 0;
}

void dataplane_stop(Dataplane* dp) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (!dp->launched_) return;
  dp->stop_.store(true, std::memory_order_release);
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i)
    rte_eal_wait_lcore(dp->workers_[i]->lcore_id);
  dp->launched_ = false;
  dp->stop_.store(false, std::memory_order_release);
}

unsigned dataplane_poll_once(Dataplane* dp, unsigned worker) {
  if (worker >= dp->params_.nb_workers) return 0;
  if (dp->launched_.load(std::memory_order_acquire)) return 0;
  WorkerContext* w = dp->workers_[worker];
  rte_rcu_qsbr_thread_online(dp->qsbr_, worker);
  unsigned n = worker_poll(dp, w);
  rte_rcu_qsbr_thread_offline(dp->qsbr_, worker);
  return n;
}

PortCounters dataplane_worker_port_counters(const Dataplane* dp, unsigned worker,
                                            unsigned port_index) {
  PortCounters sum{};
  if (worker >= dp->params_.nb_workers || port_index >= kMaxPorts) return sum;
  const PortCounters& c = dp->workers_[worker]->port_counters[port_index].counters;
  for (size_t f = 0; f < kNbPortCounterFields; ++f) {
    auto field = kPortCounterFields[f].field;
    sum.*field = counter_read(c.*field);
  }
  return sum;
}

PortCounters dataplane_port_counters(const Dataplane* dp, unsigned port_index) {
  PortCounters sum{};
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    PortCounters one = dataplane_worker_port_counters(dp, i, port_index);
    for (size_t f = 0; f < kNbPortCounterFields; ++f) {
      auto field = kPortCounterFields[f].field;
      sum.*field += one.*field;
    }
  }
  return sum;
}

unsigned dataplane_nb_workers(const Dataplane* dp) { return dp->params_.nb_workers; }

}  // namespace tandem::dp
