// IPv4 forwarding, neighbours, firewall policy, sessions and traffic logs
// through real mbufs on two net_ring data ports (forward_fixture.h); the
// HA roles of a port are in forward_roles_test.cc.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "tests/component/dataplane/forward_fixture.h"

namespace tandem::dp {
namespace {

[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(
    new ::tandem::test::EalRingEnvironment("fwd", "0,1", 2047, &g_pool));

TEST_F(DpForward, ConnectedRouteBothDirectionsThroughOneSession) {
  start();
  learn_hosts();
  Bytes q = client_udp(5353);
  inject(p2_, 0, q);
  poll_all();
  expect_forwarded(take_sent(p1_, 0), q, kPort1Mac, kServerMac);
  // The reply has no policy of its own: the session alone lets it through.
  Bytes r = server_udp(5353);
  inject(p1_, 0, r);
  poll_all();
  expect_forwarded(take_sent(p2_, 0), r, kPort2Mac, kClientMac);

  std::vector<SessionView> v = list(dp_);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].proto, 17);
  EXPECT_EQ(v[0].policy_id, 7u);
  EXPECT_EQ(v[0].orig.src_be, to_be(kClient));
  EXPECT_EQ(v[0].orig.dport, 53);
  EXPECT_EQ(v[0].reply.src_be, to_be(kServer));
  EXPECT_EQ(v[0].packets[0], 1u);
  EXPECT_EQ(v[0].packets[1], 1u);
  EXPECT_EQ(v[0].bytes[0], q.size() - 14);
  EXPECT_EQ(v[0].in_port, kClientPort);
  EXPECT_EQ(v[0].out_port, kServerPort);
  EXPECT_EQ(v[0].timeout_s, 180u);
  EXPECT_EQ(v[0].gateway_be[0], to_be(kServer));
  char buf[1024];
  format_session(v[0], buf, sizeof(buf));
  EXPECT_NE(std::strstr(buf, "proto=17"), nullptr) << buf;
  EXPECT_NE(std::strstr(buf, "10.1.100.22:5353->172.16.200.209:53"), nullptr) << buf;
  EXPECT_NE(std::strstr(buf, "policy_id=7"), nullptr) << buf;
  SessionStats st = stats(dp_);
  EXPECT_EQ(st.udp, 1u);
  EXPECT_EQ(st.inserts_total, 1u);
  EXPECT_EQ(st.forwarded_packets, 2u);
}

TEST_F(DpForward, StaticRouteArpMissQueuesThenReleasesOnReply) {
  start();
  learn_hosts();
  Bytes q = client_udp(4000, 53, kRemote);
  for (int i = 0; i < 6; ++i) inject(p2_, 0, q);
  poll_all();
  // One ARP request for the gateway, not for the remote host; 4 queued, 2 dropped.
  Bytes req = take_sent(p1_, 0);
  ASSERT_FALSE(req.empty());
  EXPECT_EQ(test::get16(&req[12]), kEtherTypeArp);
  EXPECT_EQ(test::get16(&req[20]), 1);
  EXPECT_EQ(std::memcmp(&req[6], kPort1Mac.b, 6), 0);
  EXPECT_EQ(test::get32(&req[28]), kPort1Ip) << "sender = our address in that subnet";
  EXPECT_EQ(test::get32(&req[38]), kGw);
  EXPECT_TRUE(take_sent(p1_, 0).empty());
  EXPECT_EQ(drops(dp_, FwdDrop::kNoNeighbour), 2u);

  inject(p1_, 0, arp_from(kGwMac, kGw, kPort1Ip, 2, kPort1Mac));
  poll_all();
  for (int i = 0; i < 4; ++i) expect_forwarded(take_sent(p1_, 0), q, kPort1Mac, kGwMac);
  EXPECT_TRUE(take_sent(p1_, 0).empty());
  ASSERT_EQ(list(dp_)[0].gateway_be[0], to_be(kGw));
}

TEST_F(DpForward, UnansweredArpRetriesThenDropsQueued) {
  start();
  learn_hosts();
  for (int i = 0; i < 3; ++i) inject(p2_, 0, client_udp(4000, 53, kRemote));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);
  for (unsigned probe = 2; probe <= kNeighMaxProbes; ++probe) {
    advance_ms(kNeighProbeIntervalMs);
    poll_all();
    EXPECT_EQ(count_sent(p1_, 0), 1u) << "probe " << probe;
  }
  EXPECT_EQ(drops(dp_, FwdDrop::kNoNeighbour), 0u);
  advance_ms(kNeighProbeIntervalMs);
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 0u);
  EXPECT_EQ(drops(dp_, FwdDrop::kNoNeighbour), 3u);
}

TEST_F(DpForward, NeighbourReachableTimeoutResolvesAgain) {
  start();
  learn_hosts();
  inject(p2_, 0, client_udp(1111));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);
  advance_ms(uint64_t{kNeighDefaultReachableS} * 1000 + 1);
  inject(p2_, 0, client_udp(1111));
  poll_all();
  Bytes req = take_sent(p1_, 0);
  ASSERT_FALSE(req.empty());
  EXPECT_EQ(test::get16(&req[12]), kEtherTypeArp);
  EXPECT_EQ(test::get32(&req[38]), kServer);
  inject(p1_, 0, arp_from(kServerMac, kServer, kPort1Ip, 2, kPort1Mac));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u) << "the queued packet went out";
}

// neigh_lookup tries the egress port's last hit before the table
// (NeighTable::last): frames of one burst to two next hops on one port
// alternate, a next hop that moves to another MAC is followed from the
// next frame on, and one whose entry was deleted (and its slot taken by
// another address) is resolved again, not sent to the old MAC.
TEST_F(DpForward, EachFrameGoesToItsOwnNeighbourOnOnePort) {
  start();
  learn_hosts();
  inject(p1_, 0, arp_from(kGwMac, kGw, kPort1Ip, 1, {}));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);  // our ARP reply
  std::vector<Bytes> in;
  for (uint16_t i = 0; i < 6; ++i) {
    in.push_back(client_udp(static_cast<uint16_t>(3000 + i), 53, i % 2 ? kRemote : kServer));
    inject(p2_, 0, in.back());
  }
  poll_all();
  for (unsigned i = 0; i < in.size(); ++i)
    expect_forwarded(take_sent(p1_, 0), in[i], kPort1Mac, i % 2 ? kGwMac : kServerMac);

  // The gateway moves: an ARP reply with a new MAC (aimed at us).
  constexpr Mac kGwMac2{{0x52, 0x54, 0x00, 0x00, 0x02, 0xfd}};
  inject(p1_, 0, arp_from(kGwMac2, kGw, kPort1Ip, 2, kPort1Mac));
  inject(p2_, 0, in[1]);
  inject(p2_, 0, in[0]);
  poll_all();
  expect_forwarded(take_sent(p1_, 0), in[1], kPort1Mac, kGwMac2);
  expect_forwarded(take_sent(p1_, 0), in[0], kPort1Mac, kServerMac);

  // Both entries age out and the scan deletes them, the server's last (the
  // hint still points at its free entry); the gateway comes back. The
  // server's next frame must wait for an ARP reply, whatever slot the
  // gateway took.
  advance_ms(uint64_t{kNeighDefaultReachableS} * 1000 + 2000);
  poll_all();
  inject(p1_, 0, arp_from(kGwMac, kGw, kPort1Ip, 1, {}));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);  // our ARP reply
  inject(p2_, 0, in[0]);
  poll_all();
  Bytes req = take_sent(p1_, 0);
  ASSERT_FALSE(req.empty());
  EXPECT_EQ(test::get16(&req[12]), kEtherTypeArp) << "resolved again, not sent to the old MAC";
  EXPECT_EQ(test::get32(&req[38]), kServer);
  EXPECT_TRUE(take_sent(p1_, 0).empty());
  inject(p2_, 0, in[1]);
  poll_all();
  expect_forwarded(take_sent(p1_, 0), in[1], kPort1Mac, kGwMac);
  inject(p1_, 0, arp_from(kServerMac, kServer, kPort1Ip, 2, kPort1Mac));
  poll_all();
  expect_forwarded(take_sent(p1_, 0), in[0], kPort1Mac, kServerMac);
}

TEST_F(DpForward, NeighbourListShowsEveryWorkersEntries) {
  start(2);
  learn_hosts();  // on worker 0's queue: worker 1 learns through its ring
  for (int i = 0; i < 2; ++i) inject(p2_, 1, client_udp(4000, 53, kRemote));
  poll_all();
  // One ARP request for the gateway, from the flow's owner (either worker).
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p1_, 1), 1u);
  advance_ms(5'000);
  std::vector<NeighView> v(16);
  unsigned total = 0;
  int n = dataplane_neigh_list(dp_, v.data(), 16, &total, 1000);
  ASSERT_EQ(n, 5);
  EXPECT_EQ(total, 5u);
  unsigned reachable[2] = {}, incomplete = 0;
  for (int i = 0; i < n; ++i) {
    const NeighView& e = v[static_cast<size_t>(i)];
    if (e.state == NeighState::kReachable) {
      ++reachable[e.worker];
      const bool client = e.ip_be == to_be(kClient);
      EXPECT_TRUE(client || e.ip_be == to_be(kServer));
      EXPECT_EQ(e.port_index, client ? kClientPort : kServerPort);
      EXPECT_EQ(std::memcmp(e.mac.addr_bytes, client ? kClientMac.b : kServerMac.b, 6), 0);
      EXPECT_EQ(e.age_ms, 5'000u);
    } else {
      ++incomplete;
      EXPECT_EQ(e.ip_be, to_be(kGw));
      EXPECT_EQ(e.port_index, kServerPort);
      EXPECT_EQ(e.probes, 1u);
      EXPECT_EQ(e.nb_queued, 2u);
    }
  }
  EXPECT_EQ(reachable[0], 2u);
  EXPECT_EQ(reachable[1], 2u);
  EXPECT_EQ(incomplete, 1u);
  // A short buffer: what fits, and the whole count.
  n = dataplane_neigh_list(dp_, v.data(), 2, &total, 1000);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(total, 5u);
  EXPECT_EQ(dataplane_neigh_list(dp_, nullptr, 1, &total, 1000), -EINVAL);
}

TEST_F(DpForward, PolicyDecidesFirstPacketOnly) {
  start();
  learn_hosts();
  inject(p2_, 0, tcp(true, 40000, 22, 0x02));  // ssh: policy 9 denies
  inject(p2_, 0, tcp(true, 40001, 443, 0x02));  // no policy: implicit deny
  inject(p1_, 0, udp(kServer, kClient, 53, 5000, kPort1Mac, kServerMac));  // wrong direction
  inject(p2_, 0, test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoIcmp,
                                  test::icmp_echo(13, 1, 1, {})));  // timestamp: not PING
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 0u);
  EXPECT_EQ(drops(dp_, FwdDrop::kPolicyDeny), 4u);
  EXPECT_EQ(dataplane_policy_stats(dp_, 0).hits, 1u);
  EXPECT_EQ(dataplane_implicit_deny_count(dp_), 3u);

  Bytes ping = test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoIcmp,
                                test::icmp_echo(8, 0x55, 1, test::pattern_bytes(16)));
  inject(p2_, 0, ping);
  inject(p2_, 0, tcp(true, 40002, 80, 0x02));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 2u);
  Bytes pong = test::ipv4_frame(kPort1Mac, kServerMac, kServer, kClient, kIpProtoIcmp,
                                test::icmp_echo(0, 0x55, 1, test::pattern_bytes(16)));
  inject(p1_, 0, pong);
  poll_all();
  EXPECT_EQ(count_sent(p2_, 0), 1u) << "echo reply matched the echo session";
  EXPECT_EQ(dataplane_policy_stats(dp_, 1).hits, 2u);
  SessionStats st = stats(dp_);
  EXPECT_EQ(st.icmp, 1u);
  EXPECT_EQ(st.by_tcp_state[static_cast<unsigned>(TcpState::kSynSent)], 1u);

  // A policy change does not touch existing sessions: drop everything now.
  Snapshot locked = make_snapshot(p1_, p2_);
  locked.firewall.nb_policies = 0;
  ASSERT_EQ(dataplane_publish(dp_, locked), 0);
  inject(p2_, 0, ping);
  inject(p2_, 0, client_udp(999));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u) << "ping session lives on, the new flow is denied";
}

TEST_F(DpForward, SessionExpiresOnTheWheel) {
  start();
  learn_hosts();
  inject(p2_, 0, client_udp(2222));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);
  advance_ms(179'000);
  inject(p1_, 0, server_udp(2222));  // the reply refreshes: 180 s from now
  poll_all();
  EXPECT_EQ(count_sent(p2_, 0), 1u);
  advance_ms(179'000);
  poll_all();
  ASSERT_EQ(list(dp_).size(), 1u);
  EXPECT_LE(list(dp_)[0].expire_s, 1u);
  advance_ms(1'000);
  poll_all();
  EXPECT_EQ(list(dp_).size(), 0u);
  EXPECT_EQ(stats(dp_).expired_total, 1u);
  inject(p1_, 0, server_udp(2222));
  poll_all();
  EXPECT_EQ(count_sent(p2_, 0), 0u) << "no session, and no policy for the reply direction";
}

TEST_F(DpForward, TcpStatesAndTheirTimeouts) {
  start();
  learn_hosts();
  SessionFilter f{};
  f.dport = 80;
  auto state = [&] {
    std::vector<SessionView> v = list(dp_, f);
    return v.empty() ? std::make_pair(-1, 0u) : std::make_pair(int{v[0].proto_state}, v[0].timeout_s);
  };
  inject(p2_, 0, tcp(true, 41000, 80, 0x10));  // ACK without a session
  poll_all();
  EXPECT_EQ(drops(dp_, FwdDrop::kTcpNotSyn), 1u);
  inject(p2_, 0, tcp(true, 41000, 80, 0x02));
  poll_all();
  EXPECT_EQ(state(), std::make_pair(2, 10u));  // syn_sent, tcp_halfopen
  inject(p1_, 0, tcp(false, 41000, 80, 0x12));
  poll_all();
  EXPECT_EQ(state(), std::make_pair(3, 10u));  // syn_recv
  inject(p2_, 0, tcp(true, 41000, 80, 0x10));
  poll_all();
  EXPECT_EQ(state(), std::make_pair(1, 3600u));  // established
  inject(p2_, 0, tcp(true, 41000, 80, 0x11));
  poll_all();
  EXPECT_EQ(state(), std::make_pair(4, 120u));  // fin_wait, tcp_halfclose
  inject(p1_, 0, tcp(false, 41000, 80, 0x11));
  poll_all();
  EXPECT_EQ(state(), std::make_pair(5, 1u));  // time_wait
  EXPECT_EQ(count_sent(p1_, 0), 3u);
  EXPECT_EQ(count_sent(p2_, 0), 2u);
  advance_ms(1'000);
  poll_all();
  EXPECT_EQ(state().first, -1) << "time_wait lasts tcp_timewait";

  inject(p2_, 0, tcp(true, 41001, 80, 0x02));
  poll_all();  // port1 is polled before port2: keep SYN before RST
  inject(p1_, 0, tcp(false, 41001, 80, 0x14));  // RST-ACK
  poll_all();
  f.sport = 41001;
  EXPECT_EQ(state(), std::make_pair(6, 1u));  // close
}

TEST_F(DpForward, TtlExceededIsDroppedAndCounted) {
  start();
  learn_hosts();
  Bytes q = client_udp(3333);
  q[14 + 8] = 1;
  q[14 + 10] = q[14 + 11] = 0;
  uint16_t sum = test::inet_checksum(&q[14], 20);
  q[14 + 10] = static_cast<uint8_t>(sum >> 8);
  q[14 + 11] = static_cast<uint8_t>(sum);
  inject(p2_, 0, q);
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 0u);
  EXPECT_EQ(drops(dp_, FwdDrop::kTtlExceeded), 1u);
  EXPECT_EQ(list(dp_).size(), 0u);
}

// A LAND attack (source = destination, the classic one a SYN with equal
// ports too) gets no session even though policy 1 accepts everything.
TEST_F(DpForward, LandPacketsAreDroppedWithoutASession) {
  start();
  learn_hosts();
  inject(p2_, 0, udp(kServer, kServer, 53, 53, kPort2Mac, kClientMac));
  inject(p2_, 0, test::ipv4_frame(kPort2Mac, kClientMac, kServer, kServer, kIpProtoTcp,
                                  test::tcp_flags_segment(80, 80, 0x02)));  // SYN
  inject(p2_, 0, client_udp(3334));  // an ordinary flow still passes
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);
  EXPECT_EQ(drops(dp_, FwdDrop::kLand), 2u);
  EXPECT_EQ(list(dp_).size(), 1u);
  EXPECT_EQ(std::string(fwd_drop_name(FwdDrop::kLand)), "land");
}

// A memif port (port_setup marks it; here a net_ring port marked the same
// way) is polled and sent to only once its link was seen up since the last
// unmap: its PMD reads the ring's address before it knows it is mapped
// (drivers/port/unmap_guard.h, LinkGate).
TEST_F(DpForward, AGatedPortIsNeitherPolledNorSentToBeforeItsLinkIsUp) {
  start();
  learn_hosts();
  drivers::link_gate_require(p1_.port_id);
  drivers::link_gate_require(p2_.port_id);
  const uint64_t received = dataplane_port_counters(dp_, kClientPort).rx_packets;
  ASSERT_EQ(rte_eth_dev_set_link_down(p2_.port_id), 0);
  drivers::link_gate_new_epoch();  // what a memif disconnect's unmap does
  inject(p2_, 0, client_udp(5555));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 0u);
  EXPECT_EQ(rte_ring_count(p2_.rx[0]), 1u) << "the frame waits in the port, unread";
  EXPECT_EQ(dataplane_port_counters(dp_, kClientPort).rx_packets, received);

  ASSERT_EQ(rte_eth_dev_set_link_up(p2_.port_id), 0);
  poll_all();
  EXPECT_EQ(rte_ring_count(p2_.rx[0]), 0u);
  EXPECT_EQ(count_sent(p1_, 0), 1u) << "the same frame, once the link is up";

  ASSERT_EQ(rte_eth_dev_set_link_down(p1_.port_id), 0);
  drivers::link_gate_new_epoch();
  const uint64_t dropped = dataplane_port_counters(dp_, kServerPort).tx_dropped;
  inject(p2_, 0, client_udp(5555));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 0u) << "no burst on a port whose link is down";
  EXPECT_EQ(dataplane_port_counters(dp_, kServerPort).tx_dropped, dropped + 1);
  ASSERT_EQ(rte_eth_dev_set_link_up(p1_.port_id), 0);
  inject(p2_, 0, client_udp(5555));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 1u);
}

TEST_F(DpForward, FullTableDropsNewFlowsOnlyAndAlertsOnce) {
  start(1, 4);
  learn_hosts();
  for (uint16_t i = 0; i < 6; ++i) inject(p2_, 0, client_udp(static_cast<uint16_t>(6000 + i)));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 4u);
  EXPECT_EQ(drops(dp_, FwdDrop::kTableFull), 2u);
  EXPECT_TRUE(stats(dp_).table_full_seen);
  EXPECT_TRUE(dataplane_session_take_full_alert(dp_));
  EXPECT_FALSE(dataplane_session_take_full_alert(dp_)) << "told once";
  inject(p2_, 0, client_udp(7000));
  poll_all();
  EXPECT_FALSE(dataplane_session_take_full_alert(dp_)) << "still once while full";
  for (uint16_t i = 0; i < 4; ++i) {
    inject(p2_, 0, client_udp(static_cast<uint16_t>(6000 + i)));
    inject(p1_, 0, server_udp(static_cast<uint16_t>(6000 + i)));
  }
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0), 4u) << "existing sessions keep forwarding";
  EXPECT_EQ(count_sent(p2_, 0), 4u);
  EXPECT_EQ(drops(dp_, FwdDrop::kTableFull), 3u);
  EXPECT_EQ(stats(dp_).in_use, 4u);
}

// `diagnose sys session list|clear` walks the whole table (65536 slots
// here, a million on the benchmark's nodes): the worker takes it a slice
// per loop, so frames are polled in between. A deadline already passed
// gives the smallest slice, one stretch of 256 slots.
TEST_F(DpForward, SessionListAndClearWalkTheTableASliceAtATime) {
  start();
  learn_hosts();
  unsigned sent = 0;
  for (uint16_t batch = 0; batch < 10; ++batch) {
    for (uint16_t i = 0; i < 30; ++i) inject(p2_, 0, client_udp(static_cast<uint16_t>(10000 + batch * 30 + i)));
    poll_all();
    sent += count_sent(p1_, 0);
  }
  ASSERT_EQ(sent, 300u);
  WorkerContext* w = dp_->workers_[0];
  const uint32_t slots = w->sessions->capacity;
  ASSERT_EQ(slots, kDefaultSessionCapacity);

  std::vector<SessionView> out(400);
  WorkerRequest req{};
  req.kind = WorkerRequestKind::kSessions;
  req.out = out.data();
  req.max = 400;
  unsigned slices = 1;
  while (!session_mailbox_serve(w, &req, 0)) {
    ++slices;
    ASSERT_LE(slices, slots) << "the walk does not end";
    if (slices == slots / 512) {  // halfway: a new flow, in a slot before or after the cursor
      inject(p2_, 0, client_udp(20000));
      poll_all();
    }
  }
  EXPECT_EQ(slices, slots / 256);
  EXPECT_GE(req.matched, 300u);
  EXPECT_LE(req.matched, 301u);
  EXPECT_EQ(req.written, req.matched);
  for (unsigned i = 0; i < req.written; ++i) EXPECT_EQ(out[i].proto, 17);

  // Clear, a slice at a time, while the flows keep sending: a flow whose
  // session the walk has passed may come back (a new first packet); one it
  // has not reached yet is cleared when it gets there.
  WorkerRequest clear{};
  clear.kind = WorkerRequestKind::kSessions;
  clear.clear = true;
  slices = 1;
  while (!session_mailbox_serve(w, &clear, 0)) {
    ++slices;
    ASSERT_LE(slices, slots) << "the walk does not end";
    if (slices % 64 == 0) {
      inject(p2_, 0, client_udp(10000));
      poll_all();
    }
  }
  EXPECT_EQ(slices, slots / 256);
  EXPECT_GE(clear.cleared, 301u);
  SessionStats st = stats(dp_);
  EXPECT_EQ(st.cleared_total, clear.cleared);
  EXPECT_LE(st.in_use, 1u) << "at most the one flow that came back behind the walk";
  EXPECT_EQ(st.in_use + st.cleared_total, st.inserts_total);
}

TEST_F(DpForward, WrongWorkerHandsOffToOwnerOnce) {
  start(2);
  learn_hosts(0);  // learnt on worker 0, told to worker 1 through its ring
  uint16_t sport = 0;
  unsigned owner = 0;
  uint8_t key[40];
  for (unsigned i = 0; i < 40; ++i) key[i] = i % 2 == 0 ? 0x6d : 0x5a;
  // A flow owned by worker 1, so that the reply arriving on queue 0 strays.
  for (uint16_t p = 10000; p < 10100; ++p) {
    owner = flow_owner(key, to_be(kClient), to_be(kServer), p, 53, true, 2);
    EXPECT_EQ(owner, flow_owner(key, to_be(kServer), to_be(kClient), 53, p, true, 2))
        << "symmetric";
    if (owner == 1) {
      sport = p;
      break;
    }
  }
  ASSERT_EQ(owner, 1u);
  Bytes q = client_udp(sport);
  inject(p2_, 1, q);
  dataplane_poll_once(dp_, 1);
  expect_forwarded(take_sent(p1_, 1), q, kPort1Mac, kServerMac);

  inject(p1_, 0, server_udp(sport));  // a NIC without RSS put it on queue 0
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 1u);
  EXPECT_EQ(count_sent(p2_, 0), 0u);
  EXPECT_EQ(stats(dp_).handoffs, 1u);
  dataplane_poll_once(dp_, 1);
  Bytes r = take_sent(p2_, 1);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(std::memcmp(&r[0], kClientMac.b, 6), 0);
  poll_all();
  EXPECT_EQ(count_sent(p2_, 0) + count_sent(p2_, 1), 0u) << "exactly once";
  EXPECT_EQ(stats(dp_).handoffs, 1u);
  std::vector<SessionView> v = list(dp_);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].worker, 1u);
  EXPECT_EQ(v[0].packets[1], 1u);
}

TEST_F(DpForward, ListFilterClearThroughMailboxWhileRunning) {
  ASSERT_TRUE(rte_lcore_is_enabled(1));
  start();
  const unsigned lcores[] = {1};
  ASSERT_EQ(dataplane_launch(dp_, lcores, 1), 0);
  inject(p2_, 0, arp_from(kClientMac, kClient, kPort2Ip, 1, {}));
  inject(p1_, 0, arp_from(kServerMac, kServer, kPort1Ip, 1, {}));
  ASSERT_TRUE(wait_for([&] { return count_sent(p1_, 0) == 1; }));
  for (uint16_t i = 0; i < 5; ++i) inject(p2_, 0, client_udp(static_cast<uint16_t>(8000 + i)));
  inject(p2_, 0, tcp(true, 8100, 80, 0x02));
  ASSERT_TRUE(wait_for([&] { return stats(dp_).forwarded_packets == 6; }));

  EXPECT_EQ(list(dp_).size(), 6u);
  SessionFilter by_port{};
  by_port.sport = 8002;
  std::vector<SessionView> v = list(dp_, by_port);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].orig.sport, 8002);
  SessionFilter tcp_only{};
  tcp_only.proto = 6;
  EXPECT_EQ(list(dp_, tcp_only).size(), 1u);
  SessionFilter by_policy{};
  by_policy.policy_id = 7;
  by_policy.dst_be = to_be(kServer);
  EXPECT_EQ(list(dp_, by_policy).size(), 6u);
  by_policy.policy_id = 9;
  EXPECT_EQ(list(dp_, by_policy).size(), 0u);

  SessionView small[2];
  unsigned total = 0;
  EXPECT_EQ(dataplane_session_list(dp_, SessionFilter{}, small, 2, &total, 1000), 2);
  EXPECT_EQ(total, 6u);

  SessionFilter udp_only{};
  udp_only.proto = 17;
  unsigned cleared = 0;
  ASSERT_EQ(dataplane_session_clear(dp_, udp_only, &cleared, 1000), 0);
  EXPECT_EQ(cleared, 5u);
  EXPECT_EQ(list(dp_).size(), 1u);
  SessionStats st = stats(dp_);
  EXPECT_EQ(st.cleared_total, 5u);
  char buf[2048];
  format_session_stats(st, buf, sizeof(buf));
  EXPECT_NE(std::strstr(buf, "1 in syn_sent state"), nullptr) << buf;
  dataplane_stop(dp_);
}


TEST_F(DpForward, OneBurstHandlesItsFramesInOrder) {
  start();
  learn_hosts();
  Bytes a1 = client_udp(7000), b1 = client_udp(7001), ping = client_ping();
  Bytes bad = client_udp(7002);
  bad[14 + 10] ^= 0xff;  // IPv4 checksum: malformed, between good frames
  for (const Bytes* f : {&a1, &a1, &b1, &bad, &ping, &a1, &b1}) inject(p2_, 0, *f);
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 7u) << "one burst";
  for (int i = 0; i < 5; ++i) {
    const Bytes& in = i == 2 || i == 4 ? b1 : a1;
    SCOPED_TRACE(i);
    expect_forwarded(take_sent(p1_, 0), in, kPort1Mac, kServerMac);
  }
  EXPECT_TRUE(take_sent(p1_, 0).empty());
  EXPECT_EQ(count_sent(p2_, 0), 1u) << "the echo reply";
  SessionStats st = stats(dp_);
  EXPECT_EQ(st.inserts_total, 2u) << "a1's second and third frames hit the session the first made";
  EXPECT_EQ(st.forwarded_packets, 5u);
  EXPECT_EQ(dataplane_port_counters(dp_, kClientPort).drop_malformed, 1u);
  std::vector<SessionView> v = list(dp_);
  ASSERT_EQ(v.size(), 2u);
  for (const SessionView& s : v) EXPECT_EQ(s.packets[0], s.orig.sport == 7000 ? 3u : 2u);
}

// busy_* count the loops that received frames, charged to the port they
// came in by (the last one when several), and the loops that only sent,
// charged to the port they sent on: never an empty loop.
TEST_F(DpForward, BusyCyclesCountOnlyLoopsThatReceivedOrSentFrames) {
  start();
  learn_hosts();
  auto busy = [&](unsigned port) {
    PortCounters c = dataplane_port_counters(dp_, port);
    return std::make_pair(c.busy_loops + c.stalled_loops, c.busy_cycles + c.stalled_cycles);
  };
  auto client0 = busy(kClientPort), server0 = busy(kServerPort);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(dataplane_poll_once(dp_, 0), 0u);
  EXPECT_EQ(busy(kClientPort), client0) << "empty loops cost nothing per frame";
  EXPECT_EQ(busy(kServerPort), server0);

  for (int i = 0; i < 3; ++i) inject(p2_, 0, client_udp(static_cast<uint16_t>(7100 + i)));
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 3u);
  auto client1 = busy(kClientPort);
  EXPECT_EQ(client1.first, client0.first + 1) << "one loop";
  EXPECT_GT(client1.second, client0.second);
  EXPECT_EQ(busy(kServerPort), server0);
  EXPECT_EQ(count_sent(p1_, 0), 3u);

  // Frames on both ports in one loop: port1 (index 0) is polled first, so
  // the loop is port2's.
  inject(p1_, 0, server_udp(7100));
  inject(p2_, 0, client_udp(7100));
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 2u);
  EXPECT_EQ(busy(kClientPort).first, client1.first + 1);
  EXPECT_EQ(busy(kServerPort), server0);
  PortCounters c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_LE(c.stalled_packets, c.rx_packets);
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 2u);

  // A loop that received nothing but sent a frame (here the control
  // plane's) did work: it is the port's it sent on.
  auto client2 = busy(kClientPort);
  rte_mbuf* garp = garp_mbuf(kPort1Mac, kPort1Ip);
  ASSERT_NE(garp, nullptr);
  ASSERT_EQ(dataplane_send(dp_, kServerPort, &garp, 1), 1u);
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 0u) << "nothing received";
  EXPECT_EQ(count_sent(p1_, 0), 1u);
  EXPECT_EQ(busy(kServerPort).first, server0.first + 1) << "the sending loop counts";
  EXPECT_EQ(busy(kClientPort), client2);
  EXPECT_EQ(dataplane_port_counters(dp_, kServerPort).stalled_packets, 0u);
}


std::vector<TrafficLogRecord> drain_logs(Dataplane* dp) {
  std::vector<TrafficLogRecord> v(64);
  uint64_t now = 0;
  v.resize(dataplane_log_drain(dp, v.data(), 64, &now));
  EXPECT_EQ(now, test_clock(nullptr)) << "the drain reports the dataplane's clock";
  return v;
}

// Policy 7 has logtraffic all, policy 9 (deny ssh) has not: every logged
// session ends in one record with the originator's view, the action its
// TCP state implies and both directions' counters; nothing is logged while
// the session lives, nor for a session of an unlogged policy.
TEST_F(DpForward, LoggedSessionsEndInOneRecordWithTheirAction) {
  start();
  learn_hosts();
  inject(p2_, 0, client_udp(3333));  // logged UDP
  inject(p2_, 0, tcp(true, 42000, 80, 0x02));  // logged TCP: SYN, SYN-ACK, ACK, FINs
  poll_all();
  inject(p1_, 0, server_udp(3333));
  inject(p1_, 0, tcp(false, 42000, 80, 0x12));
  poll_all();
  inject(p2_, 0, tcp(true, 42000, 80, 0x10));
  inject(p2_, 0, tcp(true, 42000, 80, 0x11));
  poll_all();
  inject(p1_, 0, tcp(false, 42000, 80, 0x11));
  inject(p2_, 0, tcp(true, 42001, 80, 0x02));  // reset by the server
  poll_all();
  inject(p1_, 0, tcp(false, 42001, 80, 0x14));
  poll_all();
  count_sent(p1_, 0);
  count_sent(p2_, 0);
  EXPECT_TRUE(drain_logs(dp_).empty()) << "sessions still live";

  advance_ms(1'000);  // time_wait and close end after tcp_timewait (1 s)
  poll_all();
  std::vector<TrafficLogRecord> tcp_logs = drain_logs(dp_);
  ASSERT_EQ(tcp_logs.size(), 2u);
  std::sort(tcp_logs.begin(), tcp_logs.end(),
            [](const auto& a, const auto& b) { return a.src_port < b.src_port; });
  const TrafficLogRecord& closed = tcp_logs[0];
  EXPECT_EQ(closed.action, TrafficLogAction::kClose);
  EXPECT_EQ(closed.src_ip_be, to_be(kClient));
  EXPECT_EQ(closed.dst_ip_be, to_be(kServer));
  EXPECT_EQ(closed.src_port, 42000);
  EXPECT_EQ(closed.dst_port, 80);
  EXPECT_EQ(closed.proto, kIpProtoTcp);
  EXPECT_EQ(closed.policy_id, 7u);
  EXPECT_EQ(closed.src_port_index, kClientPort);
  EXPECT_EQ(closed.dst_port_index, kServerPort);
  EXPECT_EQ(closed.sent_pkts, 3u);
  EXPECT_EQ(closed.rcvd_pkts, 2u);
  EXPECT_GT(closed.sent_bytes, 0u);
  EXPECT_NE(closed.session_id, 0u);
  EXPECT_EQ(closed.end_ms - closed.start_ms, 1'000u);
  EXPECT_EQ(tcp_logs[1].action, TrafficLogAction::kServerRst);

  advance_ms(180'000);
  poll_all();
  std::vector<TrafficLogRecord> udp_logs = drain_logs(dp_);
  ASSERT_EQ(udp_logs.size(), 1u);
  EXPECT_EQ(udp_logs[0].action, TrafficLogAction::kAccept);
  EXPECT_EQ(udp_logs[0].src_port, 3333);
  EXPECT_EQ(udp_logs[0].rcvd_pkts, 1u);

  // Unlogged deny (policy 9): nothing. The same deny with logtraffic all:
  // a deny record per first packet, up to kDenyLogsPerSecond a second.
  inject(p2_, 0, tcp(true, 42002, 22, 0x02));
  poll_all();
  EXPECT_TRUE(drain_logs(dp_).empty());
  Snapshot logged = make_snapshot(p1_, p2_);
  logged.firewall.policies[0].log_traffic = true;
  ASSERT_EQ(dataplane_publish(dp_, logged), 0);
  inject(p2_, 0, tcp(true, 42003, 22, 0x02));
  poll_all();
  std::vector<TrafficLogRecord> deny = drain_logs(dp_);
  ASSERT_EQ(deny.size(), 1u);
  EXPECT_EQ(deny[0].action, TrafficLogAction::kDeny);
  EXPECT_EQ(deny[0].policy_id, 9u);
  EXPECT_EQ(deny[0].dst_port, 22);
  EXPECT_EQ(deny[0].session_id, 0u);
  EXPECT_EQ(dataplane_log_counters(dp_).records, 4u);
}

// A standby node holds replicated sessions but does not log their end:
// the node that forwarded them does.
TEST_F(DpForward, StandbyPortsLogNoSessionEnds) {
  start();
  learn_hosts();
  inject(p2_, 0, client_udp(4444));
  poll_all();
  count_sent(p1_, 0);
  Snapshot standby = make_snapshot(p1_, p2_);
  standby.ports[kServerPort].active = standby.ports[kClientPort].active = false;
  ASSERT_EQ(dataplane_publish(dp_, standby), 0);
  advance_ms(181'000);
  poll_all();
  EXPECT_EQ(stats(dp_).expired_total, 1u);
  EXPECT_TRUE(drain_logs(dp_).empty());
  EXPECT_EQ(dataplane_log_counters(dp_).records, 0u);
}

}  // namespace
}  // namespace tandem::dp
