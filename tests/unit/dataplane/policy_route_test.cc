// Firewall policy matching, the LPM route table and the neighbour table:
// pure functions, no EAL.
#include <cstdlib>
#include <memory>

#include <gtest/gtest.h>

#include "dataplane/firewall/policy.h"
#include "dataplane/neigh/neigh.h"
#include "dataplane/route/route.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::ipv4;
using test::to_be;

FwFlow flow(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport,
            uint8_t in, uint8_t out, uint8_t icmp_type = 0) {
  return FwFlow{src, dst, sport, dport, proto, icmp_type, in, out};
}

// port1 (index 0) = server side, port2 (index 1) = client side.
FirewallConf sample_firewall() {
  FirewallConf fw{};
  fw.addrs[fw.nb_addrs++] = {ipv4(10, 1, 100, 0), ipv4(10, 1, 100, 255)};    // 0: lan subnet
  fw.addrs[fw.nb_addrs++] = {ipv4(172, 16, 200, 200), ipv4(172, 16, 200, 210)};  // 1: server range
  fw.services[fw.nb_services++] = {6, 0, 80, 80, 0, 65535};       // 0: HTTP
  fw.services[fw.nb_services++] = {6, 0, 8000, 8100, 0, 65535};   // 1: alt range
  fw.services[fw.nb_services++] = {1, 8, 0, 0, 0, 0};             // 2: PING
  fw.services[fw.nb_services++] = {17, 0, 53, 53, 1024, 65535};   // 3: DNS from high ports
  fw.services[fw.nb_services++] = {6, 0, 8080, 8080, 0, 65535};   // 4: 8080 only
  // 1: deny lan -> server tcp 8080 (listed first: order matters)
  fw.policies[fw.nb_policies++] = {1, 1u << 1, 1u << 0, 0, 1, 1, 1, 4, 1, false, false, true};
  // 2: lan -> server, HTTP + alt + PING + DNS
  fw.policies[fw.nb_policies++] = {2, 1u << 1, 1u << 0, 0, 1, 1, 1, 0, 4, true, true, true};
  // 3: disabled allow-all
  fw.policies[fw.nb_policies++] = {3, kFwIntfAny, kFwIntfAny, 0, 0, 0, 0, 0, 0, true, false, false};
  return fw;
}

TEST(Policy, FirstMatchInOrderWithImplicitDeny) {
  FirewallConf fw = sample_firewall();
  uint32_t client = ipv4(10, 1, 100, 22), server = ipv4(172, 16, 200, 209);
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 6, 40000, 80, 1, 0)), 1);
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 6, 40000, 8080, 1, 0)), 0) << "deny first";
  EXPECT_FALSE(fw.policies[0].accept);
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 6, 40000, 8100, 1, 0)), 1);
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 6, 40000, 8101, 1, 0)), -1) << "past range";
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 1, 0, 0, 1, 0, 8)), 1) << "ping";
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 1, 0, 0, 1, 0, 13)), -1) << "timestamp";
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 17, 5353, 53, 1, 0)), 1);
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 17, 53, 53, 1, 0)), -1) << "src port range";
}

TEST(Policy, InterfacesAndAddressRanges) {
  FirewallConf fw = sample_firewall();
  uint32_t client = ipv4(10, 1, 100, 22), server = ipv4(172, 16, 200, 209);
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 6, 1, 80, 0, 0)), -1) << "wrong srcintf";
  EXPECT_EQ(policy_lookup(fw, flow(client, server, 6, 1, 80, 1, 1)), -1) << "wrong dstintf";
  EXPECT_EQ(policy_lookup(fw, flow(server, client, 6, 1, 80, 0, 1)), -1) << "reverse";
  EXPECT_EQ(policy_lookup(fw, flow(ipv4(10, 1, 101, 1), server, 6, 1, 80, 1, 0)), -1);
  EXPECT_EQ(policy_lookup(fw, flow(client, ipv4(172, 16, 200, 210), 6, 1, 80, 1, 0)), 1);
  EXPECT_EQ(policy_lookup(fw, flow(client, ipv4(172, 16, 200, 211), 6, 1, 80, 1, 0)), -1);
  fw.policies[2].enabled = true;  // allow-all now catches the rest
  EXPECT_EQ(policy_lookup(fw, flow(server, client, 47, 0, 0, 0, 1)), 2);
  // A policy pointing outside the pools never matches.
  fw.policies[1].src_index = 1000;
  EXPECT_FALSE(policy_matches(fw, fw.policies[1], flow(client, server, 6, 1, 80, 1, 0)));
}

TEST(Route, LongestPrefixWinsAndDistanceThenPriorityBreakTies) {
  RouteEntry routes[] = {
      {to_be(ipv4(0, 0, 0, 0)), 0, 0, 10, to_be(ipv4(172, 16, 200, 1)), 0},    // 0 default
      {to_be(ipv4(10, 1, 100, 0)), 24, 1, 0, 0, 0},                             // 1 connected
      {to_be(ipv4(172, 16, 200, 0)), 24, 0, 0, 0, 0},                           // 2 connected
      {to_be(ipv4(192, 168, 0, 0)), 16, 1, 20, to_be(ipv4(10, 1, 100, 254)), 0},  // 3
      {to_be(ipv4(192, 168, 0, 0)), 16, 0, 5, to_be(ipv4(172, 16, 200, 254)), 0},  // 4 better
      {to_be(ipv4(192, 168, 7, 99)), 32, 1, 10, to_be(ipv4(10, 1, 100, 253)), 0},  // 5 host
  };
  RouteTable* t = new RouteTable;
  ASSERT_TRUE(route_table_build(routes, 6, t));
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(10, 1, 100, 22))), 1);
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(172, 16, 200, 209))), 2);
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(192, 168, 3, 4))), 4);
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(192, 168, 7, 99))), 5);
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(8, 8, 8, 8))), 0);
  ASSERT_TRUE(route_table_build(routes + 1, 2, t));  // no default
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(8, 8, 8, 8))), -1);
  // Equal distance: the lower priority wins, wherever it is listed.
  RouteEntry tie[] = {
      {to_be(ipv4(0, 0, 0, 0)), 0, 0, 10, to_be(ipv4(172, 16, 200, 1)), 20},
      {to_be(ipv4(0, 0, 0, 0)), 0, 1, 10, to_be(ipv4(10, 1, 100, 1)), 5},
      {to_be(ipv4(0, 0, 0, 0)), 0, 0, 10, to_be(ipv4(172, 16, 200, 2)), 5},
  };
  ASSERT_TRUE(route_table_build(tie, 3, t));
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(8, 8, 8, 8))), 1) << "priority 5 beats 20; first of the two 5s";
  RouteEntry bad{0, 33, 0, 0, 0, 0};
  EXPECT_FALSE(route_table_build(&bad, 1, t));
  delete t;
}

TEST(Route, FullTableOfHostRoutes) {
  auto* routes = new RouteEntry[kMaxRoutes];
  for (unsigned i = 0; i < kMaxRoutes; ++i)
    routes[i] = {to_be(ipv4(10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i))), 32,
                 static_cast<uint8_t>(i % 4), 0, 0, 0};
  auto* t = new RouteTable;
  ASSERT_TRUE(route_table_build(routes, kMaxRoutes, t));
  for (unsigned i = 0; i < kMaxRoutes; ++i)
    ASSERT_EQ(route_lookup(*t, routes[i].prefix_be), static_cast<int>(i));
  EXPECT_EQ(route_lookup(*t, to_be(ipv4(10, 0, 4, 0))), -1);
  delete t;
  delete[] routes;
}

TEST(NeighTable, CreateLookupDeleteReuse) {
  size_t size = (neigh_table_memsize(2) + 63) / 64 * 64;
  std::unique_ptr<void, void (*)(void*)> mem(std::aligned_alloc(64, size), std::free);
  NeighTable* t = neigh_table_init(mem.get(), 2);
  NeighEntry* a = neigh_create(t, 0, to_be(ipv4(10, 0, 0, 1)));
  NeighEntry* b = neigh_create(t, 1, to_be(ipv4(10, 0, 0, 1)));  // same IP, other port
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(a->state, NeighState::kIncomplete);
  EXPECT_EQ(neigh_create(t, 0, to_be(ipv4(10, 0, 0, 2))), nullptr) << "full";
  EXPECT_EQ(neigh_lookup(t, 0, to_be(ipv4(10, 0, 0, 1))), a);
  EXPECT_EQ(neigh_lookup(t, 1, to_be(ipv4(10, 0, 0, 1))), b);
  EXPECT_EQ(neigh_lookup(t, 2, to_be(ipv4(10, 0, 0, 1))), nullptr);
  neigh_delete(t, a);
  EXPECT_EQ(neigh_lookup(t, 0, to_be(ipv4(10, 0, 0, 1))), nullptr);
  EXPECT_EQ(neigh_lookup(t, 1, to_be(ipv4(10, 0, 0, 1))), b);
  EXPECT_NE(neigh_create(t, 0, to_be(ipv4(10, 0, 0, 2))), nullptr);
  EXPECT_EQ(t->in_use, 2u);
}

}  // namespace
}  // namespace tandem::dp
