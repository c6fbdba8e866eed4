// What every EAL component test sets up the same way: EAL without
// hugepages or PCI under a per-process file prefix (removed again at the
// end), one mbuf pool, and net_ring ports whose rings the test feeds (rx)
// and drains (tx). Header-only; included by tests/component/*/ only.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

namespace tandem::test {

inline constexpr unsigned kRingPortMaxQueues = 4;
inline constexpr unsigned kRingPortSize = 1024;

// EAL on `lcores` ("0" or "0,1") with prefix tandem-test-<tag>-<pid>, and a
// pool of pool_mbufs. Aborts when EAL cannot start (a failed environment
// would only skip the tests). DPDK 22.11 refuses --in-memory with
// --no-huge; --no-shconf leaves no files behind either.
class EalRingEnvironment : public ::testing::Environment {
 public:
  EalRingEnvironment(const char* tag, const char* lcores, unsigned pool_mbufs, rte_mempool** pool,
                     unsigned pool_cache = 0)
      : tag_(tag), lcores_(lcores), pool_mbufs_(pool_mbufs), pool_cache_(pool_cache), pool_(pool) {}
  void SetUp() override {
    prefix_ = std::string("tandem-test-") + tag_ + "-" + std::to_string(getpid());
    const char* argv[] = {tag_, "-l", lcores_, "--no-huge", "-m", "256", "--no-pci",
                          "--no-shconf", "--no-telemetry", "--file-prefix", prefix_.c_str(),
                          "--log-level", "lib.eal:error"};
    if (rte_eal_init(static_cast<int>(sizeof(argv) / sizeof(argv[0])), const_cast<char**>(argv)) <
        0) {
      std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
      std::abort();
    }
    std::string pool_name = std::string(tag_) + "_pool";
    *pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), pool_mbufs_, pool_cache_, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (*pool_ == nullptr) std::abort();
  }
  void TearDown() override {
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all("/var/run/dpdk/" + prefix_, ec);
  }

 private:
  const char* tag_;
  const char* lcores_;
  unsigned pool_mbufs_, pool_cache_;
  rte_mempool** pool_;
  std::string prefix_;
};

struct RingPort {
  uint16_t port_id = 0;
  unsigned nb_queues = 0;
  rte_ring* rx[kRingPortMaxQueues] = {};  // what the port receives: the test enqueues here
  rte_ring* tx[kRingPortMaxQueues] = {};  // what the port sent: the test dequeues here
};

// A started net_ring port with nb_queues queue pairs; tx rings of
// tx_ring_size (a small one makes TX back-pressure testable).
inline RingPort make_ring_port(unsigned nb_queues, rte_mempool* pool,
                               unsigned tx_ring_size = kRingPortSize) {
  static unsigned serial = 0;
  RingPort p;
  p.nb_queues = nb_queues;
  unsigned id = serial++;
  for (unsigned q = 0; q < nb_queues; ++q) {
    std::string rx = "rprx" + std::to_string(id) + "_" + std::to_string(q);
    std::string tx = "prtx" + std::to_string(id) + "_" + std::to_string(q);
    p.rx[q] = rte_ring_create(rx.c_str(), kRingPortSize, SOCKET_ID_ANY,
                              RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx[q] = rte_ring_create(tx.c_str(), tx_ring_size, SOCKET_ID_ANY,
                              RING_F_SP_ENQ | RING_F_SC_DEQ);
    EXPECT_NE(p.rx[q], nullptr);
    EXPECT_NE(p.tx[q], nullptr);
  }
  std::string name = "net_ring_rp" + std::to_string(id);
  int port = rte_eth_from_rings(name.c_str(), p.rx, nb_queues, p.tx, nb_queues, SOCKET_ID_ANY);
  EXPECT_GE(port, 0);
  p.port_id = static_cast<uint16_t>(port);
  rte_eth_conf conf{};
  EXPECT_EQ(rte_eth_dev_configure(p.port_id, static_cast<uint16_t>(nb_queues),
                                  static_cast<uint16_t>(nb_queues), &conf), 0);
  for (unsigned q = 0; q < nb_queues; ++q) {
    EXPECT_EQ(rte_eth_rx_queue_setup(p.port_id, static_cast<uint16_t>(q), kRingPortSize,
                                     SOCKET_ID_ANY, nullptr, pool), 0);
    EXPECT_EQ(rte_eth_tx_queue_setup(p.port_id, static_cast<uint16_t>(q), kRingPortSize,
                                     SOCKET_ID_ANY, nullptr), 0);
  }
  EXPECT_EQ(rte_eth_dev_start(p.port_id), 0);
  return p;
}

// Frees every mbuf left in r.
inline void drain_ring(rte_ring* r) {
  void* m;
  while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

// A frame into the port's RX ring `queue`, as the wire would deliver it.
inline void ring_inject(rte_mempool* pool, const RingPort& p, unsigned queue,
                        const std::vector<uint8_t>& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  ASSERT_NE(m, nullptr);
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  ASSERT_NE(data, nullptr);
  std::memcpy(data, frame.data(), frame.size());
  ASSERT_EQ(rte_ring_enqueue(p.rx[queue], m), 0);
}

// The next frame the port sent on `queue` (one segment), or an empty vector.
inline std::vector<uint8_t> ring_take_sent(const RingPort& p, unsigned queue) {
  void* obj;
  if (rte_ring_dequeue(p.tx[queue], &obj) != 0) return {};
  auto* m = static_cast<rte_mbuf*>(obj);
  const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
  std::vector<uint8_t> out(data, data + rte_pktmbuf_data_len(m));
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), rte_pktmbuf_data_len(m));
  rte_pktmbuf_free(m);
  return out;
}

// Stops and closes the port, then frees its rings and what is left in them.
inline void free_ring_port(RingPort& p) {
  rte_eth_dev_stop(p.port_id);
  rte_eth_dev_close(p.port_id);
  for (unsigned q = 0; q < p.nb_queues; ++q) {
    for (rte_ring* r : {p.rx[q], p.tx[q]}) {
      drain_ring(r);
      rte_ring_free(r);
    }
  }
}

}  // namespace tandem::test
