// The worker through real mbufs on net_ring ports: frames are injected into
// the port's RX ring, one poll iteration (or a worker on lcore 1) handles
// them, and replies are read back from the TX ring and checked byte by byte.
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/arp/arp.h"
#include "dataplane/packet/parse.h"
#include "dataplane/tcp/tcp_diag.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/worker/worker.h"
#include "tests/component/lib/eal_ring.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::Bytes;
using test::Mac;

constexpr Mac kNodeMac{{0x02, 0x09, 0x0f, 0x00, 0x00, 0x02}};
constexpr Mac kClientMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const uint32_t kClientIp = test::ipv4(10, 1, 100, 22);
const uint32_t kNodeIp = test::ipv4(10, 1, 100, 1);
const uint32_t kNewIp = test::ipv4(10, 1, 100, 2);
constexpr unsigned kRingSize = 1024;

rte_mempool* g_pool = nullptr;

[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(
    new ::tandem::test::EalRingEnvironment("dpworker", "0,1", 2047, &g_pool, 64));

using ::tandem::test::RingPort;
RingPort make_ring_port(unsigned nb_queues, unsigned tx_ring_size = kRingSize) {
  return ::tandem::test::make_ring_port(nb_queues, g_pool, tx_ring_size);
}

using ::tandem::test::free_ring_port;

void inject(const RingPort& p, unsigned queue, const Bytes& frame) {
  ::tandem::test::ring_inject(g_pool, p, queue, frame);
}

Bytes take_sent(const RingPort& p, unsigned queue) { return ::tandem::test::ring_take_sent(p, queue); }

PortConf port_conf(const RingPort& p, std::initializer_list<uint32_t> ips, bool allow_ping) {
  PortConf c{};
  c.port_id = p.port_id;
  std::memcpy(c.mac.addr_bytes, kNodeMac.b, 6);
  for (uint32_t ip : ips) c.addrs[c.nb_addrs++] = {test::to_be(ip), test::to_be(0xffffff00)};
  c.allow_ping = allow_ping;
  c.active = true;
  std::snprintf(c.name, sizeof(c.name), "port%u", unsigned{p.port_id});
  return c;
}

Snapshot one_port_snapshot(const PortConf& port, uint64_t generation = 1) {
  Snapshot s{};
  s.generation = generation;
  s.nb_ports = 1;
  s.ports[0] = port;
  return s;
}

Dataplane* create(unsigned nb_workers, const Snapshot& snap, unsigned idle_sleep_us = 0) {
  char error[256] = "";
  DataplaneParams params{nb_workers, idle_sleep_us, static_cast<unsigned>(SOCKET_ID_ANY)};
  Dataplane* dp = dataplane_create(params, snap, error, sizeof(error));
  EXPECT_NE(dp, nullptr) << error;
  return dp;
}

Bytes arp_request(uint32_t target) {
  Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{}, target);
  f.resize(60, 0);
  return f;
}

class DpWorker : public ::testing::Test {
 protected:
  void SetUp() override { port_ = make_ring_port(1); }
  void TearDown() override {
    dataplane_destroy(dp_);
    free_ring_port(port_);
  }
  RingPort port_;
  Dataplane* dp_ = nullptr;
};

TEST_F(DpWorker, ArpRequestGetsReply) {
  dp_ = create(1, one_port_snapshot(port_conf(port_, {kNodeIp}, true)));
  inject(port_, 0, arp_request(kNodeIp));
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 1u);
  Bytes reply = take_sent(port_, 0);
  Bytes expected = test::arp_frame(kClientMac, kNodeMac, 2, kNodeMac, kNodeIp, kClientMac, kClientIp);
  expected.resize(60, 0);
  ASSERT_EQ(reply.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(reply[i], expected[i]) << "byte " << i;
  EXPECT_TRUE(take_sent(port_, 0).empty());

  PortCounters c = dataplane_port_counters(dp_, 0);
  EXPECT_EQ(c.rx_packets, 1u);
  EXPECT_EQ(c.rx_bytes, 60u);
  EXPECT_EQ(c.arp_requests, 1u);
  EXPECT_EQ(c.arp_replies, 1u);
  EXPECT_EQ(c.tx_packets, 1u);
  EXPECT_EQ(c.tx_bytes, 60u);
  EXPECT_EQ(c.tx_dropped, 0u);
}

TEST_F(DpWorker, ArpForAnotherAddressIsCountedNotAnswered) {
  dp_ = create(1, one_port_snapshot(port_conf(port_, {kNodeIp}, true)));
  inject(port_, 0, arp_request(kNewIp));
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 1u);
  EXPECT_TRUE(take_sent(port_, 0).empty());
  PortCounters c = dataplane_port_counters(dp_, 0);
  EXPECT_EQ(c.arp_requests, 1u);
  EXPECT_EQ(c.arp_replies, 0u);
  EXPECT_EQ(c.drop_not_local, 1u);
  EXPECT_EQ(c.tx_packets, 0u);
}

TEST_F(DpWorker, IcmpEchoReplyKeepsVlanAndPayload) {
  dp_ = create(1, one_port_snapshot(port_conf(port_, {kNodeIp}, true)));
  Bytes payload = test::pattern_bytes(100);
  Bytes req = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                               test::icmp_echo(8, 0x77, 3, payload), {{kEtherTypeVlan, 0x0064}});
  inject(port_, 0, req);
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 1u);
  Bytes reply = take_sent(port_, 0);
  ASSERT_EQ(reply.size(), req.size());
  EXPECT_EQ(std::memcmp(&reply[0], kClientMac.b, 6), 0);
  EXPECT_EQ(std::memcmp(&reply[6], kNodeMac.b, 6), 0);
  EXPECT_EQ(test::get16(&reply[12]), kEtherTypeVlan);
  EXPECT_EQ(test::get16(&reply[14]), 0x0064);
  EXPECT_EQ(test::get16(&reply[16]), kEtherTypeIpv4);
  const size_t ip = 18;
  EXPECT_EQ(test::inet_checksum(&reply[ip], 20), 0);
  EXPECT_EQ(test::get32(&reply[ip + 12]), kNodeIp);
  EXPECT_EQ(test::get32(&reply[ip + 16]), kClientIp);
  const size_t icmp = ip + 20;
  EXPECT_EQ(reply[icmp], 0);
  EXPECT_EQ(test::inet_checksum(&reply[icmp], reply.size() - icmp), 0);
  EXPECT_EQ(test::get16(&reply[icmp + 4]), 0x77);
  EXPECT_EQ(test::get16(&reply[icmp + 6]), 3);
  EXPECT_EQ(Bytes(reply.begin() + icmp + 8, reply.end()), payload);

  PortCounters c = dataplane_port_counters(dp_, 0);
  EXPECT_EQ(c.icmp_echo_requests, 1u);
  EXPECT_EQ(c.icmp_echo_replies, 1u);
  EXPECT_EQ(c.tx_packets, 1u);
}

TEST_F(DpWorker, PingNotAllowedIsDroppedAndCounted) {
  dp_ = create(1, one_port_snapshot(port_conf(port_, {kNodeIp}, false)));
  inject(port_, 0, test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                    test::icmp_echo(8, 1, 1, test::pattern_bytes(8))));
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 1u);
  EXPECT_TRUE(take_sent(port_, 0).empty());
  PortCounters c = dataplane_port_counters(dp_, 0);
  EXPECT_EQ(c.icmp_echo_requests, 1u);
  EXPECT_EQ(c.drop_ping_denied, 1u);
  EXPECT_EQ(c.icmp_echo_replies, 0u);
}

TEST_F(DpWorker, MalformedAndForeignFramesAreCountedAndDropped) {
  dp_ = create(1, one_port_snapshot(port_conf(port_, {kNodeIp}, true)));
  Bytes good = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                test::icmp_echo(8, 1, 1, test::pattern_bytes(32)));
  Bytes truncated(good.begin(), good.end() - 5);
  Bytes bad_ip_sum = good;
  bad_ip_sum[14 + 11] ^= 0xff;
  Bytes bad_icmp_sum = good;
  bad_icmp_sum.back() ^= 0x01;
  Bytes runt(good.begin(), good.begin() + 10);
  Bytes other_mac = good;
  other_mac[5] = 0x99;
  Bytes ipv6 = test::ether_header(kNodeMac, kClientMac, 0x86dd);
  ipv6.resize(60, 0);
  Bytes udp_to_us = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                                     test::udp_segment(1000, 53, {}));
  for (const Bytes& f : {truncated, bad_ip_sum, bad_icmp_sum, runt, other_mac, ipv6, udp_to_us})
    inject(port_, 0, f);
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 7u);
  EXPECT_TRUE(take_sent(port_, 0).empty());
  PortCounters c = dataplane_port_counters(dp_, 0);
  EXPECT_EQ(c.rx_packets, 7u);
  EXPECT_EQ(c.drop_malformed, 4u);
  EXPECT_EQ(c.drop_not_local, 1u);
  EXPECT_EQ(c.drop_unsupported, 2u);
  EXPECT_EQ(c.tx_packets, 0u);
  EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "dropped mbufs must be freed";
}

TEST_F(DpWorker, BurstLargerThanRxBurstAllAnswered) {
  dp_ = create(1, one_port_snapshot(port_conf(port_, {kNodeIp}, true)));
  constexpr unsigned kFrames = 100;
  for (unsigned i = 0; i < kFrames; ++i) inject(port_, 0, arp_request(kNodeIp));
  unsigned polled = 0;
  for (int loops = 0; loops < 100 && polled < kFrames; ++loops)
    polled += dataplane_poll_once(dp_, 0);
  EXPECT_EQ(polled, kFrames);
  dataplane_poll_once(dp_, 0);  // the empty loop flushes what is left
  unsigned replies = 0;
  while (!take_sent(port_, 0).empty()) ++replies;
  EXPECT_EQ(replies, kFrames);
  EXPECT_EQ(dataplane_port_counters(dp_, 0).tx_packets, kFrames);
}

TEST(DpWorkerTx, FullTxRingCountsTxDropped) {
  RingPort port = make_ring_port(1, 4);  // the TX ring holds 3 frames
  Dataplane* dp = create(1, one_port_snapshot(port_conf(port, {kNodeIp}, true)));
  for (int i = 0; i < 5; ++i) inject(port, 0, arp_request(kNodeIp));
  EXPECT_EQ(dataplane_poll_once(dp, 0), 5u);
  PortCounters c = dataplane_port_counters(dp, 0);
  EXPECT_EQ(c.arp_replies, 5u);
  EXPECT_EQ(c.tx_packets, 3u);
  EXPECT_EQ(c.tx_bytes, 180u);
  EXPECT_EQ(c.tx_dropped, 2u);
  dataplane_destroy(dp);
  free_ring_port(port);
  EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u);
}

TEST(DpWorkerMulti, EachWorkerServesItsOwnQueue) {
  RingPort port = make_ring_port(2);
  Dataplane* dp = create(2, one_port_snapshot(port_conf(port, {kNodeIp}, true)));
  ASSERT_EQ(dataplane_nb_workers(dp), 2u);
  inject(port, 1, arp_request(kNodeIp));
  EXPECT_EQ(dataplane_poll_once(dp, 0), 0u);
  EXPECT_EQ(dataplane_poll_once(dp, 1), 1u);
  EXPECT_TRUE(take_sent(port, 0).empty());
  EXPECT_FALSE(take_sent(port, 1).empty());
  EXPECT_EQ(dataplane_worker_port_counters(dp, 0, 0).rx_packets, 0u);
  EXPECT_EQ(dataplane_worker_port_counters(dp, 1, 0).arp_replies, 1u);
  inject(port, 0, arp_request(kNodeIp));
  EXPECT_EQ(dataplane_poll_once(dp, 0), 1u);
  EXPECT_EQ(dataplane_port_counters(dp, 0).arp_replies, 2u);
  EXPECT_EQ(dataplane_poll_once(dp, 2), 0u);  // no such worker
  dataplane_destroy(dp);
  free_ring_port(port);
}

// The access proxy's health pings (tcp_glue_send_ping): an echo reply
// carries the sending worker in its identifier, and whichever worker's
// queue it arrives on, the sender's glue takes it. Other echo replies to
// the node are not the glue's.
TEST(DpWorkerMulti, HealthPingRepliesGoToTheWorkerThatSentThem) {
  RingPort port = make_ring_port(2);
  char error[256] = "";
  DataplaneParams params{2, 0, static_cast<unsigned>(SOCKET_ID_ANY)};
  params.tcp_max_conns = 8;
  Dataplane* dp = dataplane_create(params, one_port_snapshot(port_conf(port, {kNodeIp}, true)), error,
                                   sizeof(error));
  ASSERT_NE(dp, nullptr) << error;
  auto reply = [](uint16_t id, bool good_checksum = true) {
    Bytes f = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                               test::icmp_echo(0, id, 7, test::pattern_bytes(32)));
    if (!good_checksum) f.back() ^= 0x01;
    return f;
  };
  auto glue = [&](unsigned w) {
    TcpWorkerStats st{};
    EXPECT_EQ(dataplane_tcp_stats(dp, w, &st, 1000), 0);
    return st.glue;
  };
  inject(port, 0, reply(kTcpGluePingTag | 1));  // worker 1's ping, received by worker 0
  inject(port, 0, reply(kTcpGluePingTag | 0));  // worker 0's own
  inject(port, 0, reply(0x1234));               // somebody else's ping
  inject(port, 0, reply(kTcpGluePingTag | 0, false));
  EXPECT_EQ(dataplane_poll_once(dp, 0), 4u);
  EXPECT_EQ(glue(0).rx_handoffs, 1u);
  EXPECT_EQ(glue(0).ping_replies, 1u);
  EXPECT_EQ(glue(1).ping_replies, 0u);
  dataplane_poll_once(dp, 1);  // takes the hand-off
  EXPECT_EQ(glue(1).ping_replies, 1u);
  EXPECT_EQ(glue(0).ping_replies, 1u);
  // The other two went the way of any ICMP to the node: not a request, dropped.
  EXPECT_EQ(dataplane_worker_port_counters(dp, 0, 0).drop_unsupported, 2u);
  EXPECT_TRUE(take_sent(port, 0).empty());
  dataplane_destroy(dp);
  free_ring_port(port);
}

TEST(DpWorkerCreate, RejectsBadParameters) {
  char error[256] = "";
  Snapshot snap{};
  snap.nb_ports = 1;
  snap.ports[0].port_id = RTE_MAX_ETHPORTS - 1;  // no such ethdev
  DataplaneParams params{1, 0, static_cast<unsigned>(SOCKET_ID_ANY)};
  EXPECT_EQ(dataplane_create(params, snap, error, sizeof(error)), nullptr);
  EXPECT_NE(std::strstr(error, "does not exist"), nullptr) << error;
  Snapshot empty{};
  params.nb_workers = 0;
  EXPECT_EQ(dataplane_create(params, empty, error, sizeof(error)), nullptr);
  EXPECT_NE(std::strstr(error, "nb_workers"), nullptr) << error;
  params.nb_workers = kMaxWorkers + 1;
  EXPECT_EQ(dataplane_create(params, empty, error, sizeof(error)), nullptr);
}

TEST(DpGratuitousArp, BuiltIntoMbuf) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  ASSERT_NE(m, nullptr);
  rte_ether_addr mac;
  std::memcpy(mac.addr_bytes, kNodeMac.b, 6);
  ASSERT_EQ(arp_build_gratuitous(m, mac, test::to_be(kNodeIp), 0x0123), 0);
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), kEtherMinFrameLen);
  ParsedFrame p;
  ASSERT_EQ(parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), &p),
            DropReason::kNone);
  EXPECT_EQ(p.ether_type, kEtherTypeArp);
  EXPECT_EQ(p.nb_vlans, 1);
  EXPECT_EQ(p.vlan_tci[0], 0x0123);
  EXPECT_EQ(arp_build_gratuitous(m, mac, test::to_be(kNodeIp), 0), -EINVAL);
  rte_pktmbuf_free(m);
}

// Waits up to five seconds for `done`.
template <typename Pred>
bool wait_for(Pred done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(DpWorkerLcore, PublishWhileRunningTakesEffect) {
  ASSERT_TRUE(rte_lcore_is_enabled(1)) << "needs EAL -l 0,1";
  RingPort port = make_ring_port(1);
  PortConf conf = port_conf(port, {kNodeIp}, true);
  // A small idle sleep, as the lab runs it: the worker must still answer.
  Dataplane* dp = create(1, one_port_snapshot(conf), 50);
  const unsigned lcores[] = {1};
  ASSERT_EQ(dataplane_launch(dp, lcores, 1), 0);
  EXPECT_EQ(dataplane_launch(dp, lcores, 1), -EBUSY);
  EXPECT_EQ(dataplane_poll_once(dp, 0), 0u) << "the lcore owns the queue";

  inject(port, 0, arp_request(kNewIp));
  ASSERT_TRUE(wait_for([&] { return dataplane_port_counters(dp, 0).drop_not_local == 1; }));
  EXPECT_TRUE(take_sent(port, 0).empty());

  PortConf next = port_conf(port, {kNodeIp, kNewIp}, true);
  ASSERT_EQ(dataplane_publish(dp, one_port_snapshot(next, 2)), 0);
  inject(port, 0, arp_request(kNewIp));
  Bytes reply;
  ASSERT_TRUE(wait_for([&] { return !(reply = take_sent(port, 0)).empty(); }));
  EXPECT_EQ(test::get16(&reply[20]), 2);
  EXPECT_EQ(test::get32(&reply[28]), kNewIp);

  // Several publishes in a row while traffic flows: the worker survives each.
  for (uint64_t gen = 3; gen < 10; ++gen) {
    inject(port, 0, arp_request(kNodeIp));
    ASSERT_EQ(dataplane_publish(dp, one_port_snapshot(next, gen)), 0);
  }
  ASSERT_TRUE(wait_for([&] { return dataplane_port_counters(dp, 0).tx_packets == 8; }));

  dataplane_stop(dp);
  dataplane_stop(dp);  // idempotent
  EXPECT_EQ(rte_eal_get_lcore_state(1), WAIT);
  // Stopped: the caller may drive it again, and relaunch it.
  inject(port, 0, arp_request(kNodeIp));
  EXPECT_EQ(dataplane_poll_once(dp, 0), 1u);
  ASSERT_EQ(dataplane_launch(dp, lcores, 1), 0);
  inject(port, 0, arp_request(kNodeIp));
  ASSERT_TRUE(wait_for([&] { return dataplane_port_counters(dp, 0).tx_packets == 10; }));
  dataplane_destroy(dp);  // stops the running worker
  free_ring_port(port);
}

// An RX wait fd (an AF_XDP socket in tandemd; an eventfd here, which the
// test makes readable with each frame) ends a 100 ms nap at once. A blind
// nap would answer each frame, injected 30 ms into a nap, ~70 ms late.
TEST(DpWorkerLcore, RxWaitFdEndsTheNap) {
  ASSERT_TRUE(rte_lcore_is_enabled(1)) << "needs EAL -l 0,1";
  RingPort port = make_ring_port(1);
  Dataplane* dp = create(1, one_port_snapshot(port_conf(port, {kNodeIp}, true)), 100000);
  const int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  dataplane_set_rx_wait_fd(dp, port.port_id, 0, efd);
  const unsigned lcores[] = {1};
  ASSERT_EQ(dataplane_launch(dp, lcores, 1), 0);
  dataplane_set_rx_wait_fd(dp, port.port_id, 0, -1);  // refused while launched: still waits on efd
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the worker is napping
    const auto sent = std::chrono::steady_clock::now();
    inject(port, 0, arp_request(kNodeIp));
    ASSERT_EQ(eventfd_write(efd, 1), 0);
    Bytes reply;
    ASSERT_TRUE(wait_for([&] { return !(reply = take_sent(port, 0)).empty(); }));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - sent).count();
    EXPECT_LT(ms, 40) << "frame " << i << " waited for the nap to end";
    eventfd_t v;
    ASSERT_EQ(eventfd_read(efd, &v), 0);  // not readable again until the next frame
  }
  EXPECT_GE(dataplane_port_counters(dp, 0).rx_wakeups, 3u);
  dataplane_destroy(dp);
  close(efd);
  free_ring_port(port);
}

TEST(DpWorkerLcore, LaunchRejectsBadLcores) {
  RingPort port = make_ring_port(1);
  Dataplane* dp = create(1, one_port_snapshot(port_conf(port, {kNodeIp}, true)));
  const unsigned main_lcore[] = {rte_get_main_lcore()};
  EXPECT_EQ(dataplane_launch(dp, main_lcore, 1), -EINVAL);
  const unsigned two[] = {1, 1};
  EXPECT_EQ(dataplane_launch(dp, two, 2), -EINVAL);
  const unsigned absent[] = {5};
  EXPECT_EQ(dataplane_launch(dp, absent, 1), -EINVAL);
  const unsigned too_many[] = {1, 1};
  EXPECT_EQ(dataplane_launch(dp, too_many, 2), -EINVAL) << "one lcore per worker";
  dataplane_destroy(dp);
  free_ring_port(port);
}

}  // namespace
}  // namespace tandem::dp
