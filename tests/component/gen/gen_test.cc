// tandem-gen's engine through real mbufs on net_ring vdevs. A net_ring port
// created from the command line is a loopback: what it transmits, it
// receives. That makes one port a wire from the generator to itself, and
// lets the test play the DUT on the switch-mode ports by transmitting into
// their rings (the generator receives it) and draining them (what the
// generator sent).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench/gen/frame_inl.h"
#include "bench/gen/generator.h"
#include "bench/gen/report.h"

namespace tandem::gen {
namespace {

const std::string kFilePrefix = "tandem-test-gen-" + std::to_string(getpid());
const char* const kLoopDevice = "net_ring_genloop";
const char* const kSwitchDeviceA = "net_ring_gensw_a";
const char* const kSwitchDeviceB = "net_ring_gensw_b";
// A closed port cannot be opened again: the ARP test gets its own pair.
const char* const kArpClientDevice = "net_ring_genarp_c";
const char* const kArpServerDevice = "net_ring_genarp_s";
constexpr uint32_t kGatewayIp = 0x0a010001;  // 10.1.0.1
const rte_ether_addr kVirtualMac = {{0x00, 0x09, 0x0f, 0x09, 0x00, 0x01}};

rte_mempool* g_test_pool = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    GenConfig cfg;
    cfg.client.devices = {kLoopDevice, kSwitchDeviceA, kSwitchDeviceB, kArpClientDevice,
                          kArpServerDevice};
    std::vector<std::string> args = {"gen_component", "-l", "0", "--no-huge", "-m", "256",
                                     "--no-pci", "--no-shconf", "--no-telemetry",
                                     "--log-level=lib.eal:warning", "--file-prefix", kFilePrefix};
    std::string error;
    ASSERT_TRUE(Generator::device_eal_args(cfg, &args, &error)) << error;
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << rte_strerror(rte_errno);
    g_test_pool = rte_pktmbuf_pool_create("gen_test_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                          SOCKET_ID_ANY);
    ASSERT_NE(g_test_pool, nullptr);
  }
  void TearDown() override {
    rte_eal_cleanup();
    std::system(("rm -rf /var/run/dpdk/" + kFilePrefix).c_str());
  }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

GenConfig base_config() {
  GenConfig cfg;
  cfg.flows.client_ip = AddrRange{0x0a010002, 1000};
  cfg.flows.client_port = PortRange{1024, 100};
  cfg.flows.server_ip = AddrRange{0xac10c802, 1};
  cfg.flows.server_port = PortRange{5201, 1};
  cfg.progress = false;
  cfg.pool_size = 4095;
  cfg.rx_desc = 512;
  cfg.tx_desc = 512;
  return cfg;
}

TEST(GenLoopback, FixedRateTrialHasNoLossAndAnExactCount) {
  GenConfig cfg = base_config();
  cfg.client.devices = {kLoopDevice};
  cfg.flows.flows = 5000;
  cfg.frame_sizes = {64, 128, 1518};
  constexpr double kRate = 20000;
  constexpr double kSeconds = 2;
  constexpr uint64_t kExpected = 40000;
  Generator gen;
  std::string error;
  ASSERT_TRUE(gen.open(cfg, &error)) << error;
  ASSERT_TRUE(gen.wait_links(&error)) << error;
  const TrialResult r = gen.run_trial(kRate, kSeconds, false);

  EXPECT_EQ(r.tx_frames, kExpected);
  EXPECT_EQ(r.rx_frames, kExpected);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.late, 0u);
  EXPECT_EQ(r.duplicate, 0u);
  EXPECT_EQ(r.rx_other, 0u);
  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].flows_with_loss, 0u);
  // Paced, not blasted: the frames took the trial's length to leave.
  EXPECT_GT(r.elapsed_s, kSeconds * 0.95);
  EXPECT_LT(r.elapsed_s, kSeconds * 1.3);  // the paced overrun allowance
  // Sizes cycle 64,128,1518: 13333 full cycles and one 64-byte frame.
  EXPECT_EQ(r.tx_bytes, uint64_t{13333} * (64 + 128 + 1518) + 64);
  // Every flow got its share: 40000 frames over 5000 flows.
  for (uint32_t flow = 0; flow < cfg.flows.flows; flow += 997) {
    EXPECT_EQ(gen.tx_seq(0, flow), 8u);
    EXPECT_EQ(gen.rx_flow(0, flow).received, 8u);
    EXPECT_EQ(gen.rx_flow(0, flow).next_seq, 8u);
  }
  EXPECT_EQ(r.latency.samples, kExpected);
  EXPECT_GT(latency_percentile(r.latency, 0.5), 0u);
  EXPECT_LE(latency_percentile(r.latency, 0.99), r.latency.max_ns);

  // The per-millisecond timeline accounts for every frame, and no
  // millisecond saw a burst far above the pace (20 frames/ms).
  EXPECT_EQ(std::accumulate(r.timeline_tx.begin(), r.timeline_tx.end(), uint64_t{0}), kExpected);
  EXPECT_EQ(std::accumulate(r.timeline_rx.begin(), r.timeline_rx.end(), uint64_t{0}), kExpected);
  // The last slot collects whatever left after the planned end (a run that
  // was descheduled catches up there), so pacing is checked before it.
  for (size_t ms = 0; ms + 1 < r.timeline_tx.size(); ++ms) EXPECT_LE(r.timeline_tx[ms], 64u) << ms;

  const std::string csv = "/tmp/" + kFilePrefix + "-timeline.csv";
  ASSERT_TRUE(write_timeline(csv, r, &error)) << error;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "ms,rx_frames,tx_frames,lost_so_far,flows_last_rx");
  uint64_t rx_sum = 0;
  uint64_t tx_sum = 0;
  uint64_t last_rx_sum = 0;
  long last_lost = -1;
  while (std::getline(in, line)) {
    unsigned long ms = 0, rx = 0, tx = 0, flows_last = 0;
    long lost = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lu,%lu,%lu,%ld,%lu", &ms, &rx, &tx, &lost, &flows_last), 5)
        << line;
    rx_sum += rx;
    tx_sum += tx;
    last_rx_sum += flows_last;
    last_lost = lost;
  }
  std::remove(csv.c_str());
  EXPECT_EQ(rx_sum, kExpected);
  EXPECT_EQ(tx_sum, kExpected);
  EXPECT_EQ(last_lost, 0);
  // Every flow heard back, each has one last millisecond, none went dead.
  EXPECT_EQ(last_rx_sum, cfg.flows.flows);
  EXPECT_EQ(r.dead_flows, 0u);
  EXPECT_EQ(r.silent_flows, 0u);
  gen.close();
}

// The DUT side of the switch test: frames the generator sent on a port.
std::vector<rte_mbuf*> drain(uint16_t port_id) {
  std::vector<rte_mbuf*> out;
  rte_mbuf* frames[64];
  uint16_t n;
  while ((n = rte_eth_rx_burst(port_id, 0, frames, 64)) > 0) out.insert(out.end(), frames, frames + n);
  return out;
}

void free_all(std::vector<rte_mbuf*>& frames) {
  for (rte_mbuf* m : frames) rte_pktmbuf_free(m);
  frames.clear();
}

// A gratuitous ARP from the virtual MAC, as a new HA primary sends it,
// arriving at the generator through port_id.
// eth_src, when given, replaces the Ethernet source (a node announcing the
// virtual MAC from its own burnt-in address).
void inject_gratuitous_arp(uint16_t port_id, const rte_ether_addr* eth_src = nullptr) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_test_pool);
  ASSERT_NE(m, nullptr);
  const rte_ether_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  build_arp(rte_pktmbuf_mtod(m, uint8_t*), RTE_ARP_OP_REQUEST, broadcast, kVirtualMac, kGatewayIp,
            broadcast, kGatewayIp);
  if (eth_src != nullptr) rte_pktmbuf_mtod(m, rte_ether_hdr*)->src_addr = *eth_src;
  m->data_len = m->pkt_len = kArpFrameLen;
  ASSERT_EQ(rte_eth_tx_burst(port_id, 0, &m, 1), 1);
}

TEST(GenSwitch, LearnsTheGatewayFromGratuitousArpAndSendsToItsPort) {
  GenConfig cfg = base_config();
  cfg.client.devices = {kSwitchDeviceA, kSwitchDeviceB};
  cfg.client.gateway_ip = kGatewayIp;
  cfg.flows.flows = 16;
  Generator gen;
  std::string error;
  ASSERT_TRUE(gen.open(cfg, &error)) << error;
  const uint16_t port_a = gen.port(Side::kClient, 0).port_id;
  const uint16_t port_b = gen.port(Side::kClient, 1).port_id;

  // Gateway unresolved: nothing may leave.
  rte_ether_addr dst;
  EXPECT_FALSE(gen.destination_mac(Side::kClient, &dst));
  EXPECT_EQ(gen.send_once(0, 8), 0u);
  EXPECT_EQ(gen.mac_table(Side::kClient).lookup(kVirtualMac), MacTable::kUnknown);

  // The gateway is known, but no frame from its MAC has been seen: the
  // switch does not know the port and floods both.
  const rte_ether_addr node_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0xb0}};
  inject_gratuitous_arp(port_b, &node_mac);
  EXPECT_EQ(gen.poll_once(), 1u);
  ASSERT_TRUE(gen.destination_mac(Side::kClient, &dst));
  EXPECT_EQ(gen.mac_table(Side::kClient).lookup(node_mac), 1);
  EXPECT_EQ(gen.mac_table(Side::kClient).lookup(kVirtualMac), MacTable::kUnknown);
  ASSERT_EQ(gen.send_once(0, 8), 8u);
  std::vector<rte_mbuf*> flooded_a = drain(port_a);
  std::vector<rte_mbuf*> flooded_b = drain(port_b);
  EXPECT_EQ(flooded_a.size(), 8u);
  EXPECT_EQ(flooded_b.size(), 8u);
  free_all(flooded_a);
  free_all(flooded_b);

  inject_gratuitous_arp(port_b);
  EXPECT_EQ(gen.poll_once(), 1u);
  ASSERT_TRUE(gen.destination_mac(Side::kClient, &dst));
  EXPECT_TRUE(rte_is_same_ether_addr(&dst, &kVirtualMac));
  EXPECT_EQ(gen.mac_table(Side::kClient).lookup(kVirtualMac), 1);

  ASSERT_EQ(gen.send_once(0, 8), 8u);
  std::vector<rte_mbuf*> on_a = drain(port_a);
  std::vector<rte_mbuf*> on_b = drain(port_b);
  EXPECT_EQ(on_a.size(), 0u);
  ASSERT_EQ(on_b.size(), 8u);
  for (unsigned i = 0; i < on_b.size(); ++i) {
    const auto* eth = rte_pktmbuf_mtod(on_b[i], const rte_ether_hdr*);
    EXPECT_TRUE(rte_is_same_ether_addr(&eth->dst_addr, &kVirtualMac));
    Stamp stamp;
    ASSERT_TRUE(read_stamp(rte_pktmbuf_mtod(on_b[i], const uint8_t*), rte_pktmbuf_data_len(on_b[i]), &stamp));
    // Flows 8..15 (the flood took 0..7), first frame of each.
    EXPECT_EQ(stamp.wire_flow, 8 + i);
    EXPECT_EQ(stamp.seq, 0u);
  }
  free_all(on_b);

  // Failover: the other node announces the same virtual MAC on port A.
  inject_gratuitous_arp(port_a);
  EXPECT_EQ(gen.poll_once(), 1u);
  EXPECT_EQ(gen.mac_table(Side::kClient).lookup(kVirtualMac), 0);
  EXPECT_EQ(gen.mac_table(Side::kClient).moves(), 1u);
  ASSERT_EQ(gen.send_once(0, 4), 4u);
  on_a = drain(port_a);
  on_b = drain(port_b);
  EXPECT_EQ(on_a.size(), 4u);
  EXPECT_EQ(on_b.size(), 0u);
  free_all(on_a);
  free_all(on_b);
  gen.close();
}

// The DUT, routing to an emulated host, asks who has its address; the
// generator answers for exactly its own side's hosts, from the MAC that side
// sends with, to the asker.
void inject_arp_request(uint16_t port_id, const rte_ether_addr& asker_mac, uint32_t asker_ip,
                        uint32_t target_ip) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_test_pool);
  ASSERT_NE(m, nullptr);
  const rte_ether_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  const rte_ether_addr unknown{};
  build_arp(rte_pktmbuf_mtod(m, uint8_t*), RTE_ARP_OP_REQUEST, broadcast, asker_mac, asker_ip,
            unknown, target_ip);
  m->data_len = m->pkt_len = kArpFrameLen;
  ASSERT_EQ(rte_eth_tx_burst(port_id, 0, &m, 1), 1);
}

// Frames the generator sent on port_id after one poll; only ARP replies are
// expected, checked field by field.
void expect_arp_reply(uint16_t port_id, const rte_ether_addr& from_mac, uint32_t host_ip,
                      const rte_ether_addr& asker_mac, uint32_t asker_ip) {
  std::vector<rte_mbuf*> out = drain(port_id);
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* frame = rte_pktmbuf_mtod(out[0], const uint8_t*);
  const auto* eth = reinterpret_cast<const rte_ether_hdr*>(frame);
  EXPECT_TRUE(rte_is_same_ether_addr(&eth->dst_addr, &asker_mac));
  EXPECT_TRUE(rte_is_same_ether_addr(&eth->src_addr, &from_mac));
  EXPECT_EQ(rte_pktmbuf_data_len(out[0]), kArpFrameLen);
  const rte_arp_hdr* arp = arp_of(frame, rte_pktmbuf_data_len(out[0]));
  ASSERT_NE(arp, nullptr);
  EXPECT_EQ(rte_be_to_cpu_16(arp->arp_hardware), RTE_ARP_HRD_ETHER);
  EXPECT_EQ(rte_be_to_cpu_16(arp->arp_protocol), RTE_ETHER_TYPE_IPV4);
  EXPECT_EQ(arp->arp_hlen, RTE_ETHER_ADDR_LEN);
  EXPECT_EQ(arp->arp_plen, 4);
  EXPECT_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
  EXPECT_TRUE(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &from_mac));
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_sip), host_ip);
  EXPECT_TRUE(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &asker_mac));
  EXPECT_EQ(rte_be_to_cpu_32(arp->arp_data.arp_tip), asker_ip);
  free_all(out);
}

void expect_nothing_sent(uint16_t port_id) {
  std::vector<rte_mbuf*> out = drain(port_id);
  EXPECT_EQ(out.size(), 0u);
  free_all(out);
}

TEST(GenArp, AnswersTheDutsArpForItsEmulatedHostsOnly) {
  GenConfig cfg = base_config();  // clients 10.1.0.2 + 1000, one server 172.16.200.2
  cfg.client.devices = {kArpClientDevice};
  cfg.server.devices = {kArpServerDevice};
  cfg.client.gateway_ip = kGatewayIp;
  constexpr uint32_t kServerGatewayIp = 0xac10c801;  // 172.16.200.1
  cfg.server.gateway_ip = kServerGatewayIp;
  cfg.flows.flows = 16;
  Generator gen;
  std::string error;
  ASSERT_TRUE(gen.open(cfg, &error)) << error;
  const drivers::PortInfo& client = gen.port(Side::kClient, 0);
  const drivers::PortInfo& server = gen.port(Side::kServer, 0);
  // net_ring ports all carry the same MAC (and cannot change it), so the
  // side shows in which port a reply leaves by, not in its source MAC.
  const rte_ether_addr dut_client_mac = {{0x02, 0x00, 0x00, 0x00, 0x0d, 0x02}};
  const rte_ether_addr dut_server_mac = {{0x02, 0x00, 0x00, 0x00, 0x0d, 0x01}};
  rte_ether_addr learned;
  EXPECT_FALSE(gen.destination_mac(Side::kClient, &learned));

  // First and last emulated client (10.1.0.2, 10.1.3.233), asked on the
  // client side: answered from the client port's MAC.
  for (uint32_t host : {0x0a010002u, 0x0a0103e9u}) {
    inject_arp_request(client.port_id, dut_client_mac, kGatewayIp, host);
    EXPECT_EQ(gen.poll_once(), 1u);
    expect_arp_reply(client.port_id, client.mac, host, dut_client_mac, kGatewayIp);
  }
  // The gateway's own request also told us its MAC: a router DUT that asks
  // first needs no separate resolution.
  ASSERT_TRUE(gen.destination_mac(Side::kClient, &learned));
  EXPECT_TRUE(rte_is_same_ether_addr(&learned, &dut_client_mac));

  // Not ours on this side: past the range, below it, the server host (it
  // lives behind the other port), and a gratuitous ARP for an emulated host
  // (an announcement, not a question). None may be answered.
  for (uint32_t target : {0x0a0103eau, 0x0a010001u, 0xac10c802u}) {
    inject_arp_request(client.port_id, dut_client_mac, kGatewayIp, target);
    EXPECT_EQ(gen.poll_once(), 1u);
    expect_nothing_sent(client.port_id);
  }
  inject_arp_request(client.port_id, dut_client_mac, 0x0a010005, 0x0a010005);
  EXPECT_EQ(gen.poll_once(), 1u);
  expect_nothing_sent(client.port_id);
  expect_nothing_sent(server.port_id);

  // The server side answers for the server host, from the server port's MAC,
  // and not for a client.
  inject_arp_request(server.port_id, dut_server_mac, kServerGatewayIp, 0xac10c802);
  EXPECT_EQ(gen.poll_once(), 1u);
  expect_arp_reply(server.port_id, server.mac, 0xac10c802, dut_server_mac, kServerGatewayIp);
  ASSERT_TRUE(gen.destination_mac(Side::kServer, &learned));
  EXPECT_TRUE(rte_is_same_ether_addr(&learned, &dut_server_mac));
  inject_arp_request(server.port_id, dut_server_mac, kServerGatewayIp, 0x0a010002);
  EXPECT_EQ(gen.poll_once(), 1u);
  expect_nothing_sent(server.port_id);
  expect_nothing_sent(client.port_id);
  gen.close();
}

TEST(GenSwitch, MacTableMovesStationsAndEvictsTheOldest) {
  MacTable table;
  EXPECT_EQ(table.lookup(kVirtualMac), MacTable::kUnknown);
  EXPECT_TRUE(table.learn(kVirtualMac, 1));
  EXPECT_FALSE(table.learn(kVirtualMac, 1));
  EXPECT_EQ(table.lookup(kVirtualMac), 1);
  EXPECT_TRUE(table.learn(kVirtualMac, 0));
  EXPECT_EQ(table.lookup(kVirtualMac), 0);
  EXPECT_EQ(table.moves(), 1u);
  for (unsigned i = 0; i < MacTable::kCapacity + 3; ++i) {
    rte_ether_addr mac = {{0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}};
    table.learn(mac, 0);
  }
  rte_ether_addr newest = {{0x02, 0, 0, 0, 0, static_cast<uint8_t>(MacTable::kCapacity + 2)}};
  EXPECT_EQ(table.lookup(newest), 0);
  // The first entries went to make room.
  EXPECT_EQ(table.lookup(kVirtualMac), MacTable::kUnknown);
}

// A stateful DUT that loses some sessions: a thread between two ring
// ports (generator TX ring -> other port's RX ring, both ways) that logs
// the TCP flags of the first frames of a few flows, and once the measured
// traffic has run for kDropAfter drops every frame of flows below
// kDeadFlows, as a failover to a node without those sessions would.
class LossyDut {
 public:
  static constexpr uint32_t kDeadFlows = 100;
  static constexpr unsigned kLoggedFlows = 4;
  static constexpr auto kDropAfter = std::chrono::milliseconds(500);
  static constexpr auto kStopAfter = std::chrono::milliseconds(1500);

  // Rings of the two ports: client TX/RX, server TX/RX.
  LossyDut(rte_ring* c_tx, rte_ring* c_rx, rte_ring* s_tx, rte_ring* s_rx)
      : c_tx_(c_tx), c_rx_(c_rx), s_tx_(s_tx), s_rx_(s_rx), thread_([this] { run(); }) {}
  ~LossyDut() { stop(); }
  // Flags of the first frames of flow f, in arrival order, tagged with the
  // direction: 'c' client->server, 's' server->client. After the thread ended.
  const std::vector<std::pair<char, uint8_t>>& flags(unsigned f) const { return flags_[f]; }
  uint64_t dropped() const { return dropped_; }
  void stop() {
    done_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  void pass(rte_ring* from, rte_ring* to, char dir) {
    void* frames[32];
    const unsigned n = rte_ring_dequeue_burst(from, frames, 32, nullptr);
    unsigned kept = 0;
    const auto now = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < n; ++i) {
      auto* m = static_cast<rte_mbuf*>(frames[i]);
      const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
      Stamp stamp;
      bool drop = false;
      if (read_stamp(data, rte_pktmbuf_data_len(m), &stamp)) {
        const uint32_t flow = stamp.wire_flow & ~kReverseStreamBit;
        const uint8_t tcp_flags = data[kEthHdrLen + kIpv4HdrLen + 13];
        if (flow < kLoggedFlows && flags_[flow].size() < 8) flags_[flow].push_back({dir, tcp_flags});
        if (tcp_flags == kTcpDataFlags && !measuring_) {
          measuring_ = true;
          measure_start_ = now;
        }
        if (measuring_ && now - measure_start_ >= kStopAfter) Generator::request_stop();
        drop = measuring_ && flow < kDeadFlows && now - measure_start_ >= kDropAfter;
      }
      if (drop) {
        rte_pktmbuf_free(m);
        ++dropped_;
      } else {
        frames[kept++] = m;
      }
    }
    const unsigned put = rte_ring_enqueue_burst(to, frames, kept, nullptr);
    for (unsigned i = put; i < kept; ++i) rte_pktmbuf_free(static_cast<rte_mbuf*>(frames[i]));
  }
  void run() {
    while (!done_.load()) {
      pass(c_tx_, s_rx_, 'c');
      pass(s_tx_, c_rx_, 's');
    }
  }

  rte_ring* c_tx_;
  rte_ring* c_rx_;
  rte_ring* s_tx_;
  rte_ring* s_rx_;
  std::atomic<bool> done_{false};
  bool measuring_ = false;
  std::chrono::steady_clock::time_point measure_start_;
  uint64_t dropped_ = 0;
  std::vector<std::pair<char, uint8_t>> flags_[kLoggedFlows];
  std::thread thread_;
};

rte_ring* test_ring(const char* name) {
  rte_ring* r = rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  EXPECT_NE(r, nullptr) << name << ": " << rte_strerror(rte_errno);
  return r;
}

TEST(GenDeadFlows, HandshakeEstablishesAndFlowsTheDutDropsCountDead) {
  rte_ring* c_tx = test_ring("gdead_ctx");
  rte_ring* c_rx = test_ring("gdead_crx");
  rte_ring* s_tx = test_ring("gdead_stx");
  rte_ring* s_rx = test_ring("gdead_srx");
  ASSERT_TRUE(c_tx && c_rx && s_tx && s_rx);
  // rte_eth_from_rings() prefixes the name with "net_ring_".
  ASSERT_GE(rte_eth_from_rings("gendead_c", &c_rx, 1, &c_tx, 1, 0), 0);
  ASSERT_GE(rte_eth_from_rings("gendead_s", &s_rx, 1, &s_tx, 1, 0), 0);

  GenConfig cfg = base_config();
  cfg.client.devices = {"net_ring_gendead_c"};
  cfg.server.devices = {"net_ring_gendead_s"};
  cfg.flows.flows = 1000;
  cfg.flows.shape = L4Shape::kTcp;
  cfg.directions = Directions::kBoth;
  cfg.warmup = true;
  cfg.warmup_pps = 50000;
  cfg.dead_after_s = 0.5;
  constexpr double kRate = 20000;  // per stream: each flow every 50 ms
  Generator gen;
  std::string error;
  ASSERT_TRUE(gen.open(cfg, &error)) << error;
  ASSERT_TRUE(gen.wait_links(&error)) << error;
  LossyDut dut(c_tx, c_rx, s_tx, s_rx);

  const TrialResult warm = gen.warm_up();
  EXPECT_EQ(warm.flows_answered, cfg.flows.flows);
  EXPECT_EQ(warm.tx_frames, 3u * cfg.flows.flows);
  EXPECT_EQ(warm.rx_frames, 3u * cfg.flows.flows);
  EXPECT_EQ(warm.lost, 0u);

  // Long enough that only the DUT's stop request ends it.
  const TrialResult r = gen.run_trial(kRate, 10, false);
  dut.stop();
  Generator::clear_stop_request();

  // The handshake came in order, per flow, before any data.
  for (unsigned f = 0; f < LossyDut::kLoggedFlows; ++f) {
    const auto& seen = dut.flags(f);
    ASSERT_GE(seen.size(), 4u) << "flow " << f;
    EXPECT_EQ(seen[0], std::make_pair('c', uint8_t{RTE_TCP_SYN_FLAG})) << f;
    EXPECT_EQ(seen[1], std::make_pair('s', uint8_t{RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG})) << f;
    EXPECT_EQ(seen[2], std::make_pair('c', uint8_t{RTE_TCP_ACK_FLAG})) << f;
    EXPECT_EQ(seen[3].second, kTcpDataFlags) << f;
  }

  EXPECT_TRUE(r.stopped_early);
  EXPECT_GT(r.elapsed_s, 1.4);
  EXPECT_LT(r.elapsed_s, 3.0);
  EXPECT_GT(r.start_unix_ns, warm.start_unix_ns);
  // Measured sequences start after the warm-up's: nothing counts as late.
  EXPECT_EQ(r.late, 0u);
  EXPECT_EQ(r.duplicate, 0u);
  ASSERT_EQ(r.streams.size(), 2u);
  EXPECT_EQ(r.streams[0].flows_with_loss, LossyDut::kDeadFlows);
  EXPECT_EQ(r.streams[1].flows_with_loss, LossyDut::kDeadFlows);
  EXPECT_EQ(r.lost, dut.dropped());
  EXPECT_EQ(r.dead_flows, LossyDut::kDeadFlows);
  EXPECT_EQ(r.silent_flows, 0u);
  EXPECT_NEAR(r.flow_revisit_s, 0.05, 1e-9);
  for (uint32_t f = 0; f < cfg.flows.flows; f += 37) {
    const uint32_t last_ms = gen.last_rx_ms(f) - 1;
    if (f < LossyDut::kDeadFlows) {
      // Last heard around the drop (500 ms into the trial, give or take one visit).
      EXPECT_GT(last_ms, 400u) << f;
      EXPECT_LT(last_ms, 700u) << f;
    } else {
      EXPECT_GT(last_ms, static_cast<uint32_t>(r.elapsed_s * 1000) - 200) << f;
    }
  }
  // The timeline column shows where the dead flows stopped.
  ASSERT_EQ(r.timeline_last_rx.size(), r.timeline_rx.size());
  uint64_t died_near_drop = 0, total = 0;
  for (size_t ms = 0; ms < r.timeline_last_rx.size(); ++ms) {
    total += r.timeline_last_rx[ms];
    if (ms >= 400 && ms < 700) died_near_drop += r.timeline_last_rx[ms];
  }
  EXPECT_EQ(total, cfg.flows.flows);
  EXPECT_EQ(died_near_drop, LossyDut::kDeadFlows);
  gen.close();
}

}  // namespace
}  // namespace tandem::gen
