// The HA roles of a port through the forwarding fixture (forward_fixture.h):
// a silent standby, a port the watchdog silenced, own-MAC detection, the
// RX pass's classes of frames, and the control-plane TX path.
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
    new ::tandem::test::EalRingEnvironment("fwdrole", "0,1", 2047, &g_pool));

TEST_F(DpForward, StandbyPortAnswersNothingUntilPromoted) {
  start();
  learn_hosts();  // neighbours learnt while active: they stay across the role change
  ASSERT_EQ(dataplane_publish(dp_, with_roles(p1_, p2_, false, false, 2)), 0);
  PortCounters before = dataplane_port_counters(dp_, kClientPort);
  Bytes transit = client_udp(6000);
  Bytes arp = arp_from(kClientMac, kClient, kPort2Ip, 1, {});
  Bytes ping = client_ping();
  for (const Bytes* f : {&arp, &ping, &transit}) inject(p2_, 0, *f);
  inject(p1_, 0, server_udp(6000));
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 0u) << "a standby port is silent";
  PortCounters c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_EQ(c.rx_packets - before.rx_packets, 3u);
  EXPECT_EQ(c.drop_standby, 3u);
  EXPECT_EQ(c.arp_requests, before.arp_requests) << "not even looked at";
  EXPECT_EQ(c.icmp_echo_requests, 0u);
  EXPECT_EQ(c.tx_packets, before.tx_packets);
  EXPECT_EQ(dataplane_port_counters(dp_, kServerPort).drop_standby, 1u);
  EXPECT_EQ(stats(dp_).forwarded_packets, 0u);
  EXPECT_EQ(stats(dp_).inserts_total, 0u) << "no session from a standby port";

  // Promotion: the very next loop answers and forwards again.
  ASSERT_EQ(dataplane_publish(dp_, with_roles(p1_, p2_, true, true, 3)), 0);
  for (const Bytes* f : {&arp, &ping, &transit}) inject(p2_, 0, *f);
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 3u);
  Bytes arp_reply = take_sent(p2_, 0);
  ASSERT_FALSE(arp_reply.empty());
  EXPECT_EQ(test::get16(&arp_reply[12]), kEtherTypeArp);
  EXPECT_EQ(test::get16(&arp_reply[20]), 2);
  EXPECT_EQ(test::get32(&arp_reply[28]), kPort2Ip);
  Bytes echo_reply = take_sent(p2_, 0);
  ASSERT_FALSE(echo_reply.empty());
  EXPECT_EQ(test::get32(&echo_reply[14 + 12]), kPort2Ip);
  EXPECT_EQ(echo_reply[34], 0) << "echo reply";
  expect_forwarded(take_sent(p1_, 0), transit, kPort1Mac, kServerMac);
  c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_EQ(c.drop_standby, 3u);
  EXPECT_EQ(c.icmp_echo_replies, 1u);
  EXPECT_EQ(stats(dp_).forwarded_packets, 1u);
}

// The watchdog's switch (tandemd sets it when its control lcore hangs and
// the peer takes over): active ports fall silent both ways, and their
// roles come back untouched when it is cleared.
TEST_F(DpForward, SilencedPortsTakeAndSendNothingUntilCleared) {
  start();
  learn_hosts();
  Bytes transit = client_udp(6050);
  inject(p2_, 0, transit);
  poll_all();
  expect_forwarded(take_sent(p1_, 0), transit, kPort1Mac, kServerMac);
  ASSERT_EQ(stats(dp_).forwarded_packets, 1u);

  dataplane_set_silenced(dp_, true);
  EXPECT_TRUE(dataplane_silenced(dp_));
  PortCounters before = dataplane_port_counters(dp_, kClientPort);
  Bytes arp = arp_from(kClientMac, kClient, kPort2Ip, 1, {});
  Bytes ping = client_ping();
  for (const Bytes* f : {&arp, &ping, &transit}) inject(p2_, 0, *f);
  inject(p1_, 0, server_udp(6050));
  rte_mbuf* garp = garp_mbuf(kPort1Mac, kPort1Ip);
  ASSERT_NE(garp, nullptr);
  EXPECT_EQ(dataplane_send(dp_, kServerPort, &garp, 1), 1u) << "queued; the worker frees it";
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 0u) << "silenced ports send nothing";
  PortCounters c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_EQ(c.drop_silenced - before.drop_silenced, 3u);
  EXPECT_EQ(c.drop_standby, before.drop_standby) << "the port's role is still active";
  EXPECT_EQ(c.arp_requests, before.arp_requests) << "not even looked at";
  EXPECT_EQ(c.tx_packets, before.tx_packets);
  PortCounters s = dataplane_port_counters(dp_, kServerPort);
  EXPECT_EQ(s.drop_silenced, 1u);
  EXPECT_EQ(s.tx_silenced, 1u) << "the control plane's frame was not sent either";
  EXPECT_EQ(stats(dp_).forwarded_packets, 1u);

  // Cleared: the very next loop answers and forwards on the session it kept.
  dataplane_set_silenced(dp_, false);
  for (const Bytes* f : {&arp, &transit}) inject(p2_, 0, *f);
  EXPECT_EQ(dataplane_poll_once(dp_, 0), 2u);
  Bytes arp_reply = take_sent(p2_, 0);
  ASSERT_FALSE(arp_reply.empty());
  EXPECT_EQ(test::get16(&arp_reply[20]), 2) << "ARP reply";
  expect_forwarded(take_sent(p1_, 0), transit, kPort1Mac, kServerMac);
  EXPECT_EQ(stats(dp_).forwarded_packets, 2u);
  EXPECT_EQ(stats(dp_).inserts_total, 1u) << "the flow's session outlived the silence";
}

TEST_F(DpForward, TransitToStandbyEgressIsDropped) {
  start();
  learn_hosts();
  ASSERT_EQ(dataplane_publish(dp_, with_roles(p1_, p2_, false, true, 2)), 0);
  inject(p2_, 0, client_udp(6100));                  // egress port1 is standby
  inject(p2_, 0, client_udp(6101, 53, kRemote));     // and so is its gateway's port
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 0u);
  EXPECT_EQ(drops(dp_, FwdDrop::kStandby), 2u);
  EXPECT_EQ(stats(dp_).forwarded_packets, 0u);
  EXPECT_EQ(std::string(fwd_drop_name(FwdDrop::kStandby)), "standby");
}

TEST_F(DpForward, FrameFromOwnMacIsCountedAsForeignWhateverTheRole) {
  start();
  // Another box announcing our port2 address with our (virtual) MAC.
  Bytes twin = arp_from(kPort2Mac, kPort2Ip, kPort2Ip, 1, {});
  Bytes twin_ping = test::ipv4_frame(kPort2Mac, kPort2Mac, kClient, kPort2Ip, kIpProtoIcmp,
                                     test::icmp_echo(8, 1, 1, test::pattern_bytes(8)));
  inject(p2_, 0, twin);
  inject(p2_, 0, twin_ping);
  poll_all();
  PortCounters c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_EQ(c.rx_packets, 2u);
  EXPECT_EQ(c.rx_own_mac_foreign, 2u);
  EXPECT_EQ(c.arp_requests + c.icmp_echo_requests + c.tx_packets + c.drop_not_local, 0u)
      << "processed no further";
  EXPECT_EQ(dataplane_port_counters(dp_, kServerPort).rx_own_mac_foreign, 0u);

  ASSERT_EQ(dataplane_publish(dp_, with_roles(p1_, p2_, false, false, 2)), 0);
  inject(p2_, 0, twin);
  inject(p2_, 0, client_ping());
  poll_all();
  c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_EQ(c.rx_own_mac_foreign, 3u) << "counted on a standby port too";
  EXPECT_EQ(c.drop_standby, 1u) << "the twin's frame is not also a standby drop";
  EXPECT_EQ(count_sent(p2_, 0), 0u);
}

// The RX pass sends a common frame (untagged IPv4 UDP/TCP) straight to
// forwarding only when it is to the port's MAC, not from it, and not to
// the node: in one burst, each of the others still takes the general
// path's verdict.
TEST_F(DpForward, CommonFramesForwardOnlyWhenToOurMacFromAnotherAndNotToTheNode) {
  start();
  learn_hosts();
  const Mac kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  Bytes good = client_udp(6200);
  inject(p2_, 0, udp(kClient, kServer, 6201, 53, kPort2Mac, kPort2Mac));  // from our MAC
  inject(p2_, 0, udp(kClient, kServer, 6202, 53, kGwMac, kClientMac));    // to another host
  inject(p2_, 0, udp(kClient, kServer, 6203, 53, kBroadcast, kClientMac));
  inject(p2_, 0, udp(kClient, kPort2Ip, 6204, 53, kPort2Mac, kClientMac));  // to the node
  inject(p2_, 0, good);
  poll_all();
  PortCounters c = dataplane_port_counters(dp_, kClientPort);
  EXPECT_EQ(c.rx_own_mac_foreign, 1u);
  EXPECT_EQ(c.drop_not_local, 2u) << "another host's MAC, and broadcast to a transit address";
  EXPECT_EQ(c.drop_unsupported, 1u) << "UDP to the node is not forwarded";
  expect_forwarded(take_sent(p1_, 0), good, kPort1Mac, kServerMac);
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 0u);
  EXPECT_EQ(stats(dp_).forwarded_packets, 1u);
  EXPECT_EQ(stats(dp_).inserts_total, 1u);
}

TEST_F(DpForward, ControlSendGoesOutOfTheRightStandbyPortViaWorkerZero) {
  start(2);
  ASSERT_EQ(dataplane_publish(dp_, with_roles(p1_, p2_, false, false, 2)), 0);
  rte_mbuf* garp = garp_mbuf(kPort1Mac, kPort1Ip);
  ASSERT_NE(garp, nullptr);
  EXPECT_EQ(dataplane_send(dp_, kServerPort, &garp, 1), 1u);
  dataplane_poll_once(dp_, 1);
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p1_, 1), 0u) << "worker 1 does not send them";
  dataplane_poll_once(dp_, 0);
  EXPECT_EQ(take_sent(p1_, 0), expected_garp(kPort1Mac, kPort1Ip));
  EXPECT_EQ(count_sent(p2_, 0) + count_sent(p2_, 1) + count_sent(p1_, 1), 0u);
  PortCounters c = dataplane_port_counters(dp_, kServerPort);
  EXPECT_EQ(c.ctl_tx_packets, 1u);
  EXPECT_EQ(c.tx_packets, 1u);
  EXPECT_EQ(c.tx_bytes, uint64_t{kEtherMinFrameLen});
  EXPECT_EQ(dataplane_port_counters(dp_, kClientPort).ctl_tx_packets, 0u);

  // A port index outside the table is refused at once; one outside the
  // snapshot (but in the table) is freed by worker 0 (TearDown counts mbufs).
  rte_mbuf* m = garp_mbuf(kPort1Mac, kPort1Ip);
  EXPECT_EQ(dataplane_send(dp_, kMaxPorts, &m, 1), 0u);
  EXPECT_EQ(dataplane_send(dp_, 5, &m, 1), 1u);
  poll_all();
  EXPECT_EQ(count_sent(p1_, 0) + count_sent(p2_, 0), 0u);
  EXPECT_EQ(dataplane_port_counters(dp_, kServerPort).ctl_tx_packets, 1u);
}

TEST_F(DpForward, ControlSendRingIsBoundedAndFreedOnDestroy) {
  start();
  std::vector<rte_mbuf*> pkts(kCtlTxRingSize + 8);
  for (rte_mbuf*& m : pkts) {
    m = garp_mbuf(kPort2Mac, kPort2Ip);
    ASSERT_NE(m, nullptr);
  }
  unsigned accepted = dataplane_send(dp_, kClientPort, pkts.data(), 100);
  EXPECT_EQ(accepted, 100u);
  accepted += dataplane_send(dp_, kClientPort, pkts.data() + 100,
                             static_cast<unsigned>(pkts.size()) - 100);
  EXPECT_EQ(accepted, kCtlTxRingSize) << "never blocks, never grows";
  for (size_t i = accepted; i < pkts.size(); ++i) rte_pktmbuf_free(pkts[i]);
  // Left in the ring: dataplane_destroy (TearDown) must free them.
}

TEST_F(DpForward, ControlSendAndPromotionWhileWorkerRunsOnLcore1) {
  ASSERT_TRUE(rte_lcore_is_enabled(1));
  p1_ = make_ring_port(1);
  p2_ = make_ring_port(1);
  char error[256] = "";
  // Idle sleep as the lab runs it: the worker naps between frames.
  DataplaneParams params{1, 200, static_cast<unsigned>(SOCKET_ID_ANY)};
  params.neigh_capacity = 64;
  dp_ = dataplane_create(params, with_roles(p1_, p2_, false, false, 1), error, sizeof(error));
  ASSERT_NE(dp_, nullptr) << error;
  const unsigned lcores[] = {1};
  ASSERT_EQ(dataplane_launch(dp_, lcores, 1), 0);

  Bytes arp = arp_from(kClientMac, kClient, kPort2Ip, 1, {});
  inject(p2_, 0, arp);
  ASSERT_TRUE(wait_for([&] {
    return dataplane_port_counters(dp_, kClientPort).drop_standby == 1;
  }));
  rte_mbuf* garp = garp_mbuf(kPort2Mac, kPort2Ip);
  ASSERT_NE(garp, nullptr);
  ASSERT_EQ(dataplane_send(dp_, kClientPort, &garp, 1), 1u);
  Bytes out;
  ASSERT_TRUE(wait_for([&] { return !(out = take_sent(p2_, 0)).empty(); }));
  EXPECT_EQ(out, expected_garp(kPort2Mac, kPort2Ip));
  EXPECT_EQ(count_sent(p1_, 0), 0u);
  EXPECT_EQ(dataplane_port_counters(dp_, kClientPort).ctl_tx_packets, 1u);

  ASSERT_EQ(dataplane_publish(dp_, with_roles(p1_, p2_, true, true, 2)), 0);
  inject(p2_, 0, arp);
  ASSERT_TRUE(wait_for([&] { return !(out = take_sent(p2_, 0)).empty(); }));
  EXPECT_EQ(test::get16(&out[20]), 2) << "promoted: the ARP request is answered";
  EXPECT_EQ(dataplane_port_counters(dp_, kClientPort).drop_standby, 1u);
  dataplane_stop(dp_);
}

// The worker handles a burst in passes (parse and hash all, prefetch, then
// handle in order): a flow's first frame must still create the session its
// next frames in the same burst hit, and frames that are not transit
// (malformed, for the node) keep their place between them.

}  // namespace
}  // namespace tandem::dp
