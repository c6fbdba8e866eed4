// port_setup/port_shutdown and format_nic on real vdevs (net_ring, net_null)
// under a hugepage-free EAL.
#include <filesystem>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "drivers/port/device.h"
#include "drivers/port/port.h"
#include "drivers/port/unmap_guard.h"
#include "hw/nic/nic.h"

namespace tandem::drivers {
namespace {

constexpr unsigned kPoolSize = 2047;
rte_mempool* g_pool = nullptr;
DeviceSpec g_ring;
DeviceSpec g_null;

// One EAL per process: both vdevs come from parse_device, as tandemd builds
// its command line.
class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(parse_device("port1", "net_ring0", 1, &g_ring, &error)) << error;
    ASSERT_TRUE(parse_device("port2", "net_null0,copy=1", 2, &g_null, &error)) << error;
    // --in-memory is refused together with --no-huge by DPDK 22.11 (no-huge
    // implies legacy memory); --no-shconf gives the same isolation.
    std::vector<std::string> args = {"drivers_port", "-l", "0", "--no-huge", "-m", "256",
                                     "--no-pci", "--no-shconf", "--log-level=lib.eal:warning",
                                     "--file-prefix", "tandem-test-drvport-" + std::to_string(getpid())};
    for (const DeviceSpec* spec : {&g_ring, &g_null}) {
      args.insert(args.end(), spec->eal_args.begin(), spec->eal_args.end());
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << rte_strerror(rte_errno);
    g_pool = rte_pktmbuf_pool_create("drv_port_pool", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     SOCKET_ID_ANY);
    ASSERT_NE(g_pool, nullptr) << rte_strerror(rte_errno);
  }
  void TearDown() override {
    rte_eal_cleanup();
    // EAL leaves its runtime directory behind even with --no-shconf.
    std::filesystem::remove_all("/var/run/dpdk/tandem-test-drvport-" + std::to_string(getpid()));
  }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

uint64_t line_value(const std::string& text, const std::string& label) {
  const size_t at = text.find("\n" + label);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(text.substr(at + 1 + label.size()));
}

std::string line_text(const std::string& text, const std::string& label) {
  const size_t at = text.find("\n" + label);
  if (at == std::string::npos) return "<missing " + label + ">";
  const size_t start = text.find_first_not_of(' ', at + 1 + label.size());
  return text.substr(start, text.find('\n', start) - start);
}

TEST(PortSetup, RingLoopsBackAndFormatsCounters) {
  PortInfo port;
  std::string error;
  ASSERT_TRUE(port_setup(g_ring, "port1", 1, 1, 512, 512, g_pool, &port, &error)) << error;
  uint16_t by_name = 0;
  ASSERT_TRUE(port_id_by_name("net_ring0", &by_name));
  EXPECT_EQ(port.port_id, by_name);
  EXPECT_EQ(port.name, "port1");
  EXPECT_EQ(port.dpdk_name, "net_ring0");
  EXPECT_EQ(port.driver, "net_ring");
  EXPECT_EQ(port.nb_rxq, 1u);
  EXPECT_EQ(port.nb_txq, 1u);
  EXPECT_FALSE(port.rss);
  EXPECT_EQ(port.rss_note, "driver net_ring has no RSS; workers steer in software");

  // net_ring created from --vdev uses one ring for rx and tx: what we send
  // comes back, so both directions' counters move.
  constexpr unsigned kFrames = 5;
  constexpr uint16_t kFrameLen = 60;
  rte_mbuf* tx[kFrames];
  ASSERT_EQ(rte_pktmbuf_alloc_bulk(g_pool, tx, kFrames), 0);
  for (rte_mbuf* m : tx) {
    char* data = rte_pktmbuf_append(m, kFrameLen);
    ASSERT_NE(data, nullptr);
    std::memset(data, 0xab, kFrameLen);
  }
  ASSERT_EQ(rte_eth_tx_burst(port.port_id, 0, tx, kFrames), kFrames);
  rte_mbuf* rx[2 * kFrames];
  const uint16_t got = rte_eth_rx_burst(port.port_id, 0, rx, 2 * kFrames);
  ASSERT_EQ(got, kFrames);
  for (uint16_t i = 0; i < got; ++i) {
    EXPECT_EQ(rte_pktmbuf_pkt_len(rx[i]), kFrameLen);
    rte_pktmbuf_free(rx[i]);
  }

  const std::string text = hw::format_nic(port.port_id, port);
  SCOPED_TRACE(text);
  EXPECT_EQ(line_text(text, "Driver Name:"), "net_ring");
  EXPECT_EQ(line_text(text, "Admin:"), "up");
  EXPECT_EQ(line_text(text, "Link:"), "up");
  EXPECT_EQ(line_value(text, "Host Tx Pkts:"), kFrames);
  EXPECT_EQ(line_value(text, "Host Rx Pkts:"), kFrames);
  // net_ring counts packets only; byte counters are checked on net_null.
  EXPECT_EQ(line_value(text, "Host Tx Bytes:"), 0u);
  EXPECT_EQ(line_value(text, "Rx Missed:"), 0u);
  EXPECT_EQ(line_value(text, "Rx Errors:"), 0u);
  EXPECT_EQ(line_value(text, "Tx Errors:"), 0u);
  EXPECT_EQ(line_text(text, "Rx Queues:"), "1 x " + std::to_string(port.rx_desc) + " desc");
  EXPECT_NE(text.find("RSS:                disabled (driver net_ring has no RSS"), std::string::npos);
  for (const char* label : {"Version:", "netdev status:", "Speed:", "Duplex:", "Rx Offloads:",
                            "Tx Offloads:", "Current_HWaddr:", "Permanent_HWaddr:"}) {
    EXPECT_NE(text.find(std::string("\n") + label), std::string::npos) << label;
  }

  port_shutdown(port.port_id);
  EXPECT_FALSE(rte_eth_dev_is_valid_port(port.port_id));
  port_shutdown(port.port_id);  // idempotent
}

TEST(PortSetup, NullGetsSymmetricRss) {
  PortInfo port;
  std::string error;
  ASSERT_TRUE(port_setup(g_null, "port2", 2, 2, 256, 256, g_pool, &port, &error)) << error;
  EXPECT_EQ(port.driver, "net_null");
  EXPECT_EQ(port.nb_rxq, 2u);
  EXPECT_EQ(port.nb_txq, 2u);
  ASSERT_TRUE(port.rss) << port.rss_note;
  EXPECT_NE(port.rss_note.find("symmetric"), std::string::npos);

  // What the PMD holds now, not what we asked for.
  uint8_t key[64] = {};
  rte_eth_rss_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  conf.rss_key = key;
  conf.rss_key_len = sizeof(key);
  ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(port.port_id, &conf), 0);
  for (unsigned i = 0; i < 40; ++i) EXPECT_EQ(key[i], i % 2 == 0 ? 0x6d : 0x5a) << i;
  EXPECT_NE(conf.rss_hf & RTE_ETH_RSS_IP, 0u);

  // net_null rx hands out zero-filled frames of its packet size.
  rte_mbuf* rx[4];
  const uint16_t got = rte_eth_rx_burst(port.port_id, 1, rx, 4);
  EXPECT_EQ(got, 4);
  rte_pktmbuf_free_bulk(rx, got);
  const std::string text = hw::format_nic(port.port_id, port);
  SCOPED_TRACE(text);
  EXPECT_EQ(line_text(text, "Driver Name:"), "net_null");
  EXPECT_EQ(line_value(text, "Host Rx Pkts:"), got);
  // Like net_ring, net_null counts no bytes; drivers_af_xdp checks them.
  EXPECT_EQ(line_value(text, "Host Rx Bytes:"), 0u);
  if (std::getenv("TANDEM_SHOW_NIC") != nullptr) std::printf("%s", text.c_str());
  EXPECT_EQ(line_text(text, "Rx Queues:"), "2 x " + std::to_string(port.rx_desc) + " desc");
  EXPECT_EQ(line_text(text, "RSS:").rfind("enabled (symmetric", 0), 0u);

  port_shutdown(port.port_id);
  EXPECT_FALSE(rte_eth_dev_is_valid_port(port.port_id));
}

TEST(PortSetup, Errors) {
  PortInfo port;
  std::string error;
  DeviceSpec missing;
  missing.kind = DeviceKind::kVdev;
  missing.dpdk_name = "net_ring9";
  missing.eal_args = {"--vdev=net_ring9"};
  EXPECT_FALSE(port_setup(missing, "port9", 1, 1, 128, 128, g_pool, &port, &error));
  EXPECT_NE(error.find("DPDK has no such port"), std::string::npos) << error;
  EXPECT_NE(error.find("--vdev=net_ring9"), std::string::npos) << error;

  DeviceSpec kernel;
  ASSERT_TRUE(parse_device("mgmt", "kernel:eth0", 1, &kernel, &error));
  EXPECT_FALSE(port_setup(kernel, "mgmt", 1, 1, 128, 128, g_pool, &port, &error));
  EXPECT_NE(error.find("not a DPDK port"), std::string::npos) << error;
}

// The memif unmap guard: what munmap on the EAL interrupt thread waits for
// (drivers/port/unmap_guard.h), asked from a plain thread here.
using Clock = std::chrono::steady_clock;

double waited_ms(bool* in_time) {
  const auto t0 = Clock::now();
  *in_time = unmap_guard_wait();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

TEST(UnmapGuard, WaitsUntilTheLcoreLeftItsBurst) {
  bool in_time = false;
  EXPECT_LT(waited_ms(&in_time), 20.0) << "nobody inside a burst: no wait";
  EXPECT_TRUE(in_time);

  std::atomic<bool> done{false};
  double ms = 0;
  UnmapGuardStats before = unmap_guard_stats();
  std::thread unmapper;
  {
    BurstSection section;  // this thread is EAL lcore 0
    unmapper = std::thread([&] {
      ms = waited_ms(&in_time);
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    EXPECT_FALSE(done.load()) << "returned while lcore 0 was inside its burst";
  }
  unmapper.join();
  EXPECT_TRUE(in_time);
  EXPECT_GE(ms, 55.0);
  UnmapGuardStats after = unmap_guard_stats();
  EXPECT_EQ(after.waits, before.waits + 1);
  EXPECT_EQ(after.timeouts, before.timeouts);
}

TEST(UnmapGuard, GivesUpOnAStuckBurstAndAsksTheWaiter) {
  bool in_time = true;
  double ms = 0;
  {
    BurstSection section;
    std::thread unmapper([&] { ms = waited_ms(&in_time); });
    unmapper.join();
  }
  EXPECT_FALSE(in_time) << "a burst that never ends is waited for kUnmapGuardWaitUs only";
  EXPECT_GE(ms, kUnmapGuardWaitUs / 1000.0 - 1);
  EXPECT_LT(ms, kUnmapGuardWaitUs / 1000.0 + 500);

  static unsigned calls;
  calls = 0;
  unmap_guard_set_waiter([](void* arg, uint64_t budget_us) {
    ++calls;
    return arg != nullptr && budget_us == kUnmapGuardWaitUs;
  }, &calls);
  EXPECT_TRUE(unmap_guard_wait());
  unmap_guard_set_waiter([](void*, uint64_t) { return false; }, nullptr);
  EXPECT_FALSE(unmap_guard_wait()) << "the waiter's workers did not quiesce";
  unmap_guard_set_waiter(nullptr, nullptr);
  EXPECT_TRUE(unmap_guard_wait());
  EXPECT_EQ(calls, 1u);
}

// A callback the interrupt thread is inside is waited for; the thread
// itself never waits for itself.
TEST(UnmapGuard, InterruptThreadSyncWaitsForTheRunningCallback) {
  static std::atomic<int> state;  // 1: the callback started, 2: it ended
  state = 0;
  ASSERT_EQ(rte_eal_alarm_set(1, [](void*) {
    state = 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    EXPECT_TRUE(interrupt_thread_sync(1000)) << "on the interrupt thread: at once";
    state = 2;
  }, nullptr), 0);
  for (int i = 0; i < 1000 && state.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(state.load(), 1) << "the alarm never ran";
  EXPECT_TRUE(interrupt_thread_sync());
  EXPECT_EQ(state.load(), 2) << "returned while the interrupt thread was inside its callback";

  // Held up past the budget (until the test lets it go): false, and the
  // alarm is cancelled.
  static std::atomic<bool> release;
  state = 0;
  release = false;
  ASSERT_EQ(rte_eal_alarm_set(1, [](void*) {
    state = 1;
    for (int i = 0; i < 5000 && !release.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    state = 2;
  }, nullptr), 0);
  for (int i = 0; i < 1000 && state.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(state.load(), 1) << "the alarm never ran";
  EXPECT_FALSE(interrupt_thread_sync(20'000));
  EXPECT_EQ(state.load(), 1);
  release = true;
  EXPECT_TRUE(interrupt_thread_sync());
  EXPECT_EQ(state.load(), 2);
}

// The memif connect race's gate (unmap_guard.h, LinkGate), on a real memif
// pair in this process: a server port, and a client that connects to it
// later and then goes away. The PMD connects and disconnects on the EAL
// interrupt thread, and its munmap comes to unmap_guard.cc (this test
// exports munmap as tandemd does).
bool wait_link(uint16_t port_id, bool up) {
  for (int i = 0; i < 400; ++i) {
    rte_eth_link link;
    if (rte_eth_link_get_nowait(port_id, &link) == 0 && (link.link_status == RTE_ETH_LINK_UP) == up)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(LinkGate, AMemifPortOpensOnceConnectedAndClosesWithItsUnmap) {
  const std::string sock = "/tmp/tandem-test-gate-" + std::to_string(getpid()) + ".sock";
  std::string error;
  DeviceSpec server_spec, client_spec;
  ASSERT_TRUE(parse_device("gs", "net_memif_gs,role=server,socket-abstract=no,socket=" + sock, 1,
                           &server_spec, &error)) << error;
  ASSERT_TRUE(parse_device("gc", "net_memif_gc,role=client,socket-abstract=no,socket=" + sock, 1,
                           &client_spec, &error)) << error;
  ASSERT_EQ(rte_dev_probe(("net_memif_gs,role=server,socket-abstract=no,socket=" + sock).c_str()), 0);
  PortInfo server;
  ASSERT_TRUE(port_setup(server_spec, "gs", 1, 1, 256, 256, g_pool, &server, &error)) << error;

  LinkGate gate;
  EXPECT_FALSE(gate.open(server.port_id)) << "no client yet: the rings are not mapped";

  ASSERT_EQ(rte_dev_probe(("net_memif_gc,role=client,socket-abstract=no,socket=" + sock).c_str()), 0);
  PortInfo client;
  ASSERT_TRUE(port_setup(client_spec, "gc", 1, 1, 256, 256, g_pool, &client, &error)) << error;
  ASSERT_TRUE(wait_link(server.port_id, true)) << "the client never connected";
  EXPECT_TRUE(gate.open(server.port_id));
  rte_mbuf* burst[8];
  EXPECT_EQ(rte_eth_rx_burst(server.port_id, 0, burst, 8), 0) << "mapped and empty";

  // The client leaves (stopped and closed directly: port_shutdown would
  // start a new epoch itself). The server's PMD unmaps the client's regions
  // on the interrupt thread, through the guard, which starts the epoch.
  const UnmapGuardStats before = unmap_guard_stats();
  ASSERT_EQ(rte_eth_dev_stop(client.port_id), 0);
  ASSERT_EQ(rte_eth_dev_close(client.port_id), 0);
  ASSERT_TRUE(wait_link(server.port_id, false));
  for (int i = 0; i < 200 && unmap_guard_stats().waits == before.waits; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GT(unmap_guard_stats().waits, before.waits) << "the server's unmap did not come to the guard";
  EXPECT_FALSE(gate.open(server.port_id)) << "still trusted after the unmap";
  port_shutdown(server.port_id);
  std::filesystem::remove(sock);
}

// The gate's bookkeeping on a net_ring port marked as port_setup marks memif
// ones (a ring's link can be set down and up at will).
TEST(LinkGate, TrustsALinkSeenUpUntilTheNextEpoch) {
  PortInfo port;
  std::string error;
  DeviceSpec spec;
  ASSERT_TRUE(parse_device("gr", "net_ring_gate0", 1, &spec, &error)) << error;
  ASSERT_EQ(rte_dev_probe("net_ring_gate0"), 0);
  ASSERT_TRUE(port_setup(spec, "gr", 1, 1, 256, 256, g_pool, &port, &error)) << error;
  LinkGate gate;
  ASSERT_EQ(rte_eth_dev_set_link_down(port.port_id), 0);
  EXPECT_TRUE(gate.open(port.port_id)) << "an unmarked port is never gated";
  link_gate_require(port.port_id);
  EXPECT_FALSE(gate.open(port.port_id));
  ASSERT_EQ(rte_eth_dev_set_link_up(port.port_id), 0);
  EXPECT_TRUE(gate.open(port.port_id));
  ASSERT_EQ(rte_eth_dev_set_link_down(port.port_id), 0);
  EXPECT_TRUE(gate.open(port.port_id)) << "mapped until an unmap says otherwise";
  link_gate_new_epoch();
  EXPECT_FALSE(gate.open(port.port_id));
  ASSERT_EQ(rte_eth_dev_set_link_up(port.port_id), 0);
  EXPECT_TRUE(gate.open(port.port_id));
  EXPECT_TRUE(unmap_guard_wait());
  ASSERT_EQ(rte_eth_dev_set_link_down(port.port_id), 0);
  EXPECT_FALSE(gate.open(port.port_id)) << "every guarded unmap starts an epoch";
  port_shutdown(port.port_id);
}

}  // namespace
}  // namespace tandem::drivers
