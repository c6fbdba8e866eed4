// build_snapshot's routes (distance, then priority) and the text of `get
// router info routing-table` and `get system arp` (route_format.h).
#include <arpa/inet.h>

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/config.h"
#include "controlplane/config/node_config.h"
#include "controlplane/daemon/route_format.h"
#include "controlplane/daemon/snapshot_build.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kInterfaces =
    "config system interface\n"
    " edit port1 set device net_ring0 set ip 172.16.200.1/24 next\n"
    " edit port2 set device net_ring1 set ip 10.1.100.1/24 next\n"
    "end\n";

uint32_t be(const char* dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted, &a);
  return a.s_addr;
}

// The config's routes as the workers get them, and as the CLI keeps them.
std::vector<RouteRow> published(const std::string& routes) {
  config::ParseResult r = config::parse(std::string(kInterfaces) + routes, "node.conf");
  EXPECT_THAT(r.errors, IsEmpty());
  config::NodeConfig node = config::node_config(r.config);
  std::vector<DataPortRef> ports = {{"port1", 0, {}, true}, {"port2", 1, {}, true}};
  auto snap = std::make_unique<dp::Snapshot>();
  std::string error;
  std::vector<std::string> warnings;
  EXPECT_TRUE(build_snapshot(node, ports, 1, snap.get(), &error, &warnings)) << error;
  std::vector<RouteRow> rows;
  for (unsigned i = 0; i < snap->nb_routes; ++i) {
    const dp::RouteEntry& e = snap->routes[i];
    rows.push_back({e, snap->ports[e.port_index].name});
  }
  return rows;
}

TEST(DaemonRoutes, RoutingTableInFortiOsForm) {
  auto rows = published(
      "config router static\n"
      " edit 1 set gateway 172.16.200.254 set device port1 next\n"
      " edit 2 set dst 192.168.0.0/16 set gateway 10.1.100.254 set device port2 set distance 5 next\n"
      " edit 3 set dst 10.9.0.0/16 set device port2 next\n"
      "end\n");
  EXPECT_EQ(format_routing_table(rows),
            "Routing table for VRF=0\n"
            "Codes: K - kernel, C - connected, S - static, R - RIP, B - BGP, O - OSPF,\n"
            "       * - candidate default\n\n"
            "Gateway of last resort is 172.16.200.254 to network 0.0.0.0\n\n"
            "S*      0.0.0.0/0 [10/0] via 172.16.200.254, port1\n"
            "C       10.1.100.0/24 is directly connected, port2\n"
            "S       10.9.0.0/16 [10/0] is directly connected, port2\n"
            "C       172.16.200.0/24 is directly connected, port1\n"
            "S       192.168.0.0/16 [5/0] via 10.1.100.254, port2\n");
}

TEST(DaemonRoutes, LowerDistanceThenLowerPriorityWins) {
  // Config order must not matter: 3 has the lowest priority of distance 10,
  // 4 a lower distance for another prefix than 5.
  auto rows = published(
      "config router static\n"
      " edit 1 set gateway 172.16.200.254 set device port1 set priority 20 next\n"
      " edit 2 set gateway 172.16.200.253 set device port1 set priority 10 next\n"
      " edit 3 set gateway 10.1.100.254 set device port2 set priority 5 next\n"
      " edit 5 set dst 192.168.0.0/16 set gateway 172.16.200.9 set device port1 set distance 20 next\n"
      " edit 4 set dst 192.168.0.0/16 set gateway 10.1.100.9 set device port2 set distance 15"
      " set priority 99 next\n"
      "end\n");
  std::string table = format_routing_table(rows);
  EXPECT_THAT(table, HasSubstr("S*      0.0.0.0/0 [10/0] via 10.1.100.254, port2\n"));
  EXPECT_THAT(table, HasSubstr("S       192.168.0.0/16 [15/0] via 10.1.100.9, port2\n"));
  EXPECT_THAT(table, Not(HasSubstr("172.16.200.254")));
  EXPECT_THAT(table, Not(HasSubstr("172.16.200.9,")));
  EXPECT_EQ(format_route_details(rows, be("8.8.8.8"), false),
            "Routing table for VRF=0\nRouting entry for 0.0.0.0/0\n"
            "  Known via \"static\", distance 10, metric 0, best\n"
            "  * 10.1.100.254, via port2\n");
}

TEST(DaemonRoutes, DetailsPickTheLongestPrefix) {
  auto rows = published(
      "config router static\n"
      " edit 1 set dst 172.16.0.0/16 set gateway 10.1.100.254 set device port2 next\n"
      "end\n");
  EXPECT_EQ(format_route_details(rows, be("172.16.200.209"), false),
            "Routing table for VRF=0\nRouting entry for 172.16.200.0/24\n"
            "  Known via \"connected\", distance 0, metric 0, best\n"
            "  * directly connected, port1\n");
  EXPECT_THAT(format_route_details(rows, be("172.16.9.9"), false),
              HasSubstr("Routing entry for 172.16.0.0/16\n"));
  EXPECT_EQ(format_route_details(rows, be("8.8.8.8"), false), "");  // no default route
  EXPECT_THAT(format_route_details(rows, 0, true), HasSubstr("Routing entry for 10.1.100.0/24\n"));
}

TEST(DaemonRoutes, NoRoutesSaysWhy) {
  EXPECT_THAT(format_routing_table({}), HasSubstr("(no routes:"));
}

dp::NeighView reachable(uint8_t worker, uint8_t port, const char* ip, uint8_t last, uint64_t age_ms) {
  dp::NeighView v{};
  v.ip_be = be(ip);
  v.worker = worker;
  v.port_index = port;
  v.state = dp::NeighState::kReachable;
  v.mac = {{0x02, 0, 0, 0, 0, last}};
  v.age_ms = age_ms;
  return v;
}

TEST(DaemonArp, OneLinePerNeighbourTheYoungestWins) {
  dp::NeighView pending{};
  pending.ip_be = be("10.1.100.77");
  pending.port_index = 1;
  pending.state = dp::NeighState::kIncomplete;
  pending.probes = 2;
  pending.nb_queued = 3;
  dp::NeighView also_pending = pending;  // resolved by worker 0, still pending on worker 1
  also_pending.ip_be = be("10.1.100.22");
  also_pending.worker = 1;
  std::vector<dp::NeighView> v = {
      reachable(0, 0, "172.16.200.209", 0x09, 190'000), reachable(1, 0, "172.16.200.209", 0x09, 5'000),
      reachable(0, 1, "10.1.100.22", 0x22, 61'000), also_pending, pending};
  std::vector<std::string> names = {"port1", "port2"};
  EXPECT_EQ(format_arp_table(v, names),
            "Address           Age(min)   Hardware Addr      Interface\n"
            "172.16.200.209    0          02:00:00:00:00:09  port1\n"
            "10.1.100.22       1          02:00:00:00:00:22  port2\n"
            "10.1.100.77       -          (incomplete)       port2\n");
  std::string list = format_arp_list(v, names);
  EXPECT_THAT(list, HasSubstr("worker=1 ifname=port1 172.16.200.209 02:00:00:00:00:09 "
                              "state=reachable confirmed=5s ago\n"));
  EXPECT_THAT(list, HasSubstr("worker=0 ifname=port2 10.1.100.77 00:00:00:00:00:00 "
                              "state=incomplete probes=2 queued=3\n"));
}

}  // namespace
}  // namespace tandem::daemon
