// The fixture of the forwarding component tests (forward_test.cc,
// forward_roles_test.cc): two net_ring data ports around one node, the
// client, server and gateway hosts, their frames, and the snapshot with
// its routes and policies. Time is the test's: the dataplane reads an
// injected clock, so timeouts are exercised without sleeping.
//
// The lab's hosts and addresses are tests/component/lib/lab_hosts.h's.
//
// Included by one test file per executable: its names are internal to
// that file, which registers the EAL environment (EalRingEnvironment,
// with g_pool) under its own file prefix.
#pragma once

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <utility>
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
#include "dataplane/forward/forward.h"
#include "dataplane/log/log.h"
#include "dataplane/packet/parse.h"
#include "dataplane/session/session.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_context.h"
#include "drivers/port/unmap_guard.h"
#include "tests/component/lib/eal_ring.h"
#include "tests/component/lib/lab_hosts.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::Bytes;
using test::ipv4;
using test::Mac;
using test::to_be;

using namespace test::lab;  // the lab's hosts and ports (lab_hosts.h)

constexpr unsigned kRingSize = 1024;

rte_mempool* g_pool = nullptr;
uint64_t g_now_ms = 1'000'000;
inline uint64_t test_clock(void*) { return __atomic_load_n(&g_now_ms, __ATOMIC_RELAXED); }
inline void advance_ms(uint64_t ms) { __atomic_fetch_add(&g_now_ms, ms, __ATOMIC_RELAXED); }

using ::tandem::test::RingPort;
inline RingPort make_ring_port(unsigned nb_queues) { return ::tandem::test::make_ring_port(nb_queues, g_pool); }

using ::tandem::test::free_ring_port;

inline void inject(const RingPort& p, unsigned queue, const Bytes& frame) {
  ::tandem::test::ring_inject(g_pool, p, queue, frame);
}

inline Bytes take_sent(const RingPort& p, unsigned queue) {
  return ::tandem::test::ring_take_sent(p, queue);
}

inline unsigned count_sent(const RingPort& p, unsigned queue) {
  unsigned n = 0;
  while (!take_sent(p, queue).empty()) ++n;
  return n;
}

// port1 = servers, port2 = clients; policy 9 denies ssh, policy 7 allows the
// client subnet to HTTP, DNS and ping anywhere behind port1.
inline Snapshot make_snapshot(const RingPort& p1, const RingPort& p2) {
  Snapshot s{};
  s.generation = 1;
  s.nb_ports = 2;
  s.ports[kServerPort] = lab_port_conf(p1.port_id, kPort1Mac, kPort1Ip, "port1", true);
  s.ports[kClientPort] = lab_port_conf(p2.port_id, kPort2Mac, kPort2Ip, "port2", true);
  s.routes[s.nb_routes++] = {to_be(ipv4(172, 16, 200, 0)), 24, kServerPort, 0, 0, 0};
  s.routes[s.nb_routes++] = {to_be(ipv4(10, 1, 100, 0)), 24, kClientPort, 0, 0, 0};
  s.routes[s.nb_routes++] = {to_be(ipv4(192, 168, 50, 0)), 24, kServerPort, 10, to_be(kGw), 0};
  FirewallConf& fw = s.firewall;
  fw.addrs[fw.nb_addrs++] = {ipv4(10, 1, 100, 0), ipv4(10, 1, 100, 255)};
  fw.services[fw.nb_services++] = {6, 0, 22, 22, 0, 65535};
  fw.services[fw.nb_services++] = {6, 0, 80, 80, 0, 65535};
  fw.services[fw.nb_services++] = {17, 0, 53, 53, 0, 65535};
  fw.services[fw.nb_services++] = {1, 8, 0, 0, 0, 0};
  fw.policies[fw.nb_policies++] = {9, 1u << kClientPort, 1u << kServerPort, 0, 1, 0, 0, 0, 1,
                                   false, false, true};
  fw.policies[fw.nb_policies++] = {7, 1u << kClientPort, 1u << kServerPort, 0, 1, 0, 0, 1, 3,
                                   true, true, true};
  return s;
}

inline Bytes udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Mac& dst_mac,
          const Mac& src_mac) {
  return test::ipv4_frame(dst_mac, src_mac, src, dst, kIpProtoUdp,
                          test::udp_segment(sport, dport, test::pattern_bytes(20)));
}
inline Bytes client_udp(uint16_t sport, uint16_t dport = 53, uint32_t dst = kServer) {
  return udp(kClient, dst, sport, dport, kPort2Mac, kClientMac);
}
inline Bytes server_udp(uint16_t dport, uint16_t sport = 53) {
  return udp(kServer, kClient, sport, dport, kPort1Mac, kServerMac);
}
inline Bytes tcp(bool from_client, uint16_t cport, uint16_t sport, uint8_t flags) {
  if (from_client)
    return test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoTcp,
                            test::tcp_flags_segment(cport, sport, flags));
  return test::ipv4_frame(kPort1Mac, kServerMac, kServer, kClient, kIpProtoTcp,
                          test::tcp_flags_segment(sport, cport, flags));
}
inline Bytes arp_from(const Mac& mac, uint32_t ip, uint32_t target, uint16_t op, const Mac& to) {
  Bytes f = test::arp_frame(op == 1 ? test::kBroadcastMac : to, mac, op, mac, ip,
                            op == 1 ? Mac{} : to, target);
  f.resize(60, 0);
  return f;
}

inline SessionStats stats(Dataplane* dp) { return dataplane_session_stats(dp); }
inline uint64_t drops(Dataplane* dp, FwdDrop why) {
  return stats(dp).drops[static_cast<unsigned>(why)];
}

inline std::vector<SessionView> list(Dataplane* dp, const SessionFilter& f = {}) {
  std::vector<SessionView> v(64);
  unsigned total = 0;
  int n = dataplane_session_list(dp, f, v.data(), 64, &total, 1000);
  EXPECT_GE(n, 0);
  v.resize(n > 0 ? static_cast<size_t>(n) : 0);
  EXPECT_EQ(total, v.size());
  return v;
}

class DpForward : public ::testing::Test {
 protected:
  void start(unsigned nb_workers = 1, uint32_t session_capacity = 0) {
    p1_ = make_ring_port(nb_workers);
    p2_ = make_ring_port(nb_workers);
    char error[256] = "";
    DataplaneParams params{nb_workers, 0, static_cast<unsigned>(SOCKET_ID_ANY)};
    params.session_capacity = session_capacity;
    params.neigh_capacity = 64;
    dp_ = dataplane_create(params, make_snapshot(p1_, p2_), error, sizeof(error));
    ASSERT_NE(dp_, nullptr) << error;
    dataplane_set_clock(dp_, test_clock, nullptr);
  }
  void TearDown() override {
    dataplane_destroy(dp_);
    free_ring_port(p1_);
    free_ring_port(p2_);
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "every mbuf must come back";
  }
  // Both hosts ARP for the node: every worker learns them.
  void learn_hosts(unsigned queue = 0) {
    inject(p2_, queue, arp_from(kClientMac, kClient, kPort2Ip, 1, {}));
    inject(p1_, queue, arp_from(kServerMac, kServer, kPort1Ip, 1, {}));
    poll_all();
    EXPECT_EQ(count_sent(p1_, queue), 1u);  // our ARP replies
    EXPECT_EQ(count_sent(p2_, queue), 1u);
  }
  void poll_all() {
    for (int round = 0; round < 2; ++round)
      for (unsigned w = 0; w < dataplane_nb_workers(dp_); ++w) dataplane_poll_once(dp_, w);
  }
  RingPort p1_, p2_;
  Dataplane* dp_ = nullptr;
};

inline void expect_forwarded(const Bytes& out, const Bytes& in, const Mac& src_mac, const Mac& dst_mac) {
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(std::memcmp(&out[0], dst_mac.b, 6), 0) << "dst = neighbour MAC";
  EXPECT_EQ(std::memcmp(&out[6], src_mac.b, 6), 0) << "src = egress port MAC";
  EXPECT_EQ(out[14 + 8], in[14 + 8] - 1) << "TTL decremented";
  EXPECT_EQ(test::inet_checksum(&out[14], 20), 0) << "incremental checksum";
  EXPECT_EQ(Bytes(out.begin() + 14 + 9, out.begin() + 14 + 10),
            Bytes(in.begin() + 14 + 9, in.begin() + 14 + 10));
  EXPECT_EQ(Bytes(out.begin() + 34, out.end()), Bytes(in.begin() + 34, in.end()));
}

inline bool wait_for(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline Snapshot with_roles(const RingPort& p1, const RingPort& p2, bool server_active,
                    bool client_active, uint64_t generation) {
  Snapshot s = make_snapshot(p1, p2);
  s.generation = generation;
  s.ports[kServerPort].active = server_active;
  s.ports[kClientPort].active = client_active;
  return s;
}

inline Bytes client_ping() {
  return test::ipv4_frame(kPort2Mac, kClientMac, kClient, kPort2Ip, kIpProtoIcmp,
                          test::icmp_echo(8, 0x42, 1, test::pattern_bytes(16)));
}

// What the control plane would send at promotion, written by the same code.
inline Bytes expected_garp(const Mac& mac, uint32_t ip) {
  rte_ether_addr a;
  std::memcpy(a.addr_bytes, mac.b, 6);
  Bytes f(kEtherMinFrameLen);
  EXPECT_EQ(arp_write_gratuitous(f.data(), static_cast<uint32_t>(f.size()), a, to_be(ip), 0),
            kEtherMinFrameLen);
  return f;
}

inline rte_mbuf* garp_mbuf(const Mac& mac, uint32_t ip) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  EXPECT_NE(m, nullptr);
  if (m == nullptr) return nullptr;
  rte_ether_addr a;
  std::memcpy(a.addr_bytes, mac.b, 6);
  EXPECT_EQ(arp_build_gratuitous(m, a, to_be(ip), 0), 0);
  return m;
}

}  // namespace
}  // namespace tandem::dp
