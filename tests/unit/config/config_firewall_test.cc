// Firewall, router and session objects: keys and ranges, port specs,
// built-ins, cross-reference errors at exact file:line:col, group cycles,
// policy evaluation order and the resolved node_config views.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/firewall.h"
#include "controlplane/config/node_config.h"
#include "controlplane/config/value.h"
#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::error_lines;
using testing::parse_errors;
using testing::show_text;

// Lines 1..16: port1 on 172.16.200.0/24, port2 on 10.1.100.0/24 and one
// address for each subnet. Tests append from line 17.
constexpr std::string_view kBase =
    "config system interface\n"
    "    edit \"port1\"\n"
    "        set ip 172.16.200.1 255.255.255.0\n"
    "    next\n"
    "    edit \"port2\"\n"
    "        set ip 10.1.100.1 255.255.255.0\n"
    "    next\n"
    "end\n"
    "config firewall address\n"
    "    edit \"lan\"\n"
    "        set subnet 10.1.100.0 255.255.255.0\n"
    "    next\n"
    "    edit \"servers\"\n"
    "        set subnet 172.16.200.0/24\n"
    "    next\n"
    "end\n";

std::string with_base(std::string_view rest) { return std::string(kBase) + std::string(rest); }

ParseResult parse_ok(std::string_view text) {
  ParseResult r = parse(text, "node.conf");
  EXPECT_THAT(error_lines(r), IsEmpty()) << text;
  return r;
}

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr ServiceRange tcp(std::uint16_t lo, std::uint16_t hi) { return {6, lo, hi, 0, 65535, -1, -1}; }
constexpr ServiceRange udp(std::uint16_t lo, std::uint16_t hi) { return {17, lo, hi, 0, 65535, -1, -1}; }

// The example of docs/config.md's Firewall section, verbatim.
constexpr std::string_view kDocsExample =
    "config system interface\n"
    "    edit \"port1\"\n"
    "        set device \"af_xdp:veth1\"\n"
    "        set ip 172.16.200.1 255.255.255.0\n"
    "    next\n"
    "    edit \"port2\"\n"
    "        set device \"af_xdp:veth2\"\n"
    "        set ip 10.1.100.1 255.255.255.0\n"
    "    next\n"
    "end\n"
    "config firewall address\n"
    "    edit \"lan\"\n"
    "        set subnet 10.1.100.0 255.255.255.0\n"
    "    next\n"
    "    edit \"servers\"\n"
    "        set subnet 172.16.200.0 255.255.255.0\n"
    "    next\n"
    "end\n"
    "config firewall service custom\n"
    "    edit \"iperf3\"\n"
    "        set tcp-portrange 5201\n"
    "    next\n"
    "end\n"
    "config firewall policy\n"
    "    edit 1\n"
    "        set name \"lan-to-servers\"\n"
    "        set srcintf \"port2\"\n"
    "        set dstintf \"port1\"\n"
    "        set srcaddr \"lan\"\n"
    "        set dstaddr \"servers\"\n"
    "        set action accept\n"
    "        set service \"HTTP\" \"PING\" \"iperf3\"\n"
    "        set logtraffic all\n"
    "    next\n"
    "    edit 2\n"
    "        set name \"deny-rest\"\n"
    "        set srcintf \"any\"\n"
    "        set dstintf \"any\"\n"
    "        set srcaddr \"all\"\n"
    "        set dstaddr \"all\"\n"
    "        set service \"ALL\"\n"
    "    next\n"
    "end\n";

TEST(ConfigFirewall, DocsExampleResolves) {
  ParseResult r = parse_ok(kDocsExample);
  NodeConfig n = node_config(r.config);
  ASSERT_EQ(n.policies.size(), 2u);
  const FirewallPolicy& allow = n.policies[0];
  EXPECT_EQ(allow.id, 1u);
  EXPECT_EQ(allow.name, "lan-to-servers");
  EXPECT_THAT(allow.srcintf, ElementsAre("port2"));
  EXPECT_THAT(allow.dstintf, ElementsAre("port1"));
  EXPECT_THAT(allow.src, ElementsAre(AddrRange{ip(10, 1, 100, 0), ip(10, 1, 100, 255)}));
  EXPECT_THAT(allow.dst, ElementsAre(AddrRange{ip(172, 16, 200, 0), ip(172, 16, 200, 255)}));
  EXPECT_THAT(allow.services, ElementsAre(tcp(80, 80), ServiceRange{1, 0, 65535, 0, 65535, 8, -1}, tcp(5201, 5201)));
  EXPECT_TRUE(allow.accept);
  EXPECT_TRUE(allow.log);
  EXPECT_TRUE(allow.enabled);
  const FirewallPolicy& deny = n.policies[1];
  EXPECT_EQ(deny.id, 2u);
  EXPECT_THAT(deny.srcintf, ElementsAre("any"));
  EXPECT_THAT(deny.src, ElementsAre(AddrRange{0, 0xffffffffu}));
  EXPECT_THAT(deny.services, ElementsAre(ServiceRange{0, 0, 65535, 0, 65535, -1, -1}));
  EXPECT_FALSE(deny.accept);  // action defaults to deny
  EXPECT_FALSE(deny.log);     // logtraffic utm: no security events on forwarded traffic
}

TEST(ConfigFirewall, PolicyDefaultsAndShow) {
  ParseResult r = parse_ok(with_base(
      "config firewall policy edit 7 set srcintf port2 set dstintf port1 set srcaddr lan set dstaddr servers"
      " set service HTTPS set schedule always set nat disable set logtraffic utm set action deny next end\n"));
  EXPECT_EQ(show_text(r.config, "firewall policy"),
            "config firewall policy\n"
            "    edit 7\n"
            "        set srcintf \"port2\"\n"
            "        set dstintf \"port1\"\n"
            "        set srcaddr \"lan\"\n"
            "        set dstaddr \"servers\"\n"
            "        set service \"HTTPS\"\n"
            "    next\n"
            "end\n");
  std::string full = show_text(r.config, "firewall policy", true);
  EXPECT_THAT(full, ::testing::HasSubstr("        set action deny\n"));
  EXPECT_THAT(full, ::testing::HasSubstr("        set schedule \"always\"\n"));
  EXPECT_THAT(full, ::testing::HasSubstr("        set logtraffic utm\n"));
  EXPECT_THAT(full, ::testing::HasSubstr("        set status enable\n"));
  EXPECT_THAT(full, ::testing::HasSubstr("        set nat disable\n"));
}

TEST(ConfigFirewall, EvaluationOrderIsTableOrderNotIdOrder) {
  std::string policies;
  for (const char* id : {"20", "5", "10"}) {
    policies += std::string(" edit ") + id +
                " set srcintf any set dstintf any set srcaddr all set dstaddr all set service ALL next\n";
  }
  ParseResult r = parse_ok(with_base("config firewall policy\n" + policies + "end\n"));
  // Re-editing an entry keeps its place, as on FortiOS.
  ParseResult edited = apply(r.config, "config firewall policy edit 20 set action accept next end", "cli");
  ASSERT_THAT(error_lines(edited), IsEmpty());
  NodeConfig n = node_config(edited.config);
  ASSERT_EQ(n.policies.size(), 3u);
  EXPECT_EQ(n.policies[0].id, 20u);
  EXPECT_TRUE(n.policies[0].accept);
  EXPECT_EQ(n.policies[1].id, 5u);
  EXPECT_EQ(n.policies[2].id, 10u);
  std::string shown = show_text(edited.config, "firewall policy");
  EXPECT_LT(shown.find("edit 20"), shown.find("edit 5"));
  EXPECT_LT(shown.find("edit 5"), shown.find("edit 10"));
}

TEST(ConfigFirewall, PortSpecs) {
  auto spec = [](std::string_view text) { return parse_port_range(text); };
  EXPECT_EQ(spec("80"), (PortRangeSpec{80, 80, 0, 65535}));
  EXPECT_EQ(spec("8000-8080"), (PortRangeSpec{8000, 8080, 0, 65535}));
  EXPECT_EQ(spec("443:1024-65535"), (PortRangeSpec{443, 443, 1024, 65535}));
  EXPECT_EQ(spec("0-65535:53"), (PortRangeSpec{0, 65535, 53, 53}));
  for (std::string_view bad : {"", "80-70", "65536", "http", "1:2:3", "-5", "5-", "80:", ":80", "1 2", "80-80-80"}) {
    EXPECT_EQ(spec(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(format_port_range(*spec("0080")), "80");
  EXPECT_EQ(format_port_range(*spec("80-80")), "80");
  EXPECT_EQ(format_port_range(*spec("80:0-65535")), "80");
  EXPECT_EQ(format_port_range(*spec("443:1024-65535")), "443:1024-65535");

  ParseResult r = parse_ok(
      "config firewall service custom edit web set tcp-portrange 80-80 0443 8000-8080:1024-65535"
      " set udp-portrange 53:53 next end\n");
  EXPECT_EQ(show_text(r.config, "firewall service custom"),
            "config firewall service custom\n    edit \"web\"\n"
            "        set tcp-portrange 80 443 8000-8080:1024-65535\n        set udp-portrange 53:53\n"
            "    next\nend\n");
  NodeConfig n = node_config(parse_ok(with_base(
      "config firewall service custom edit web set tcp-portrange 80 8000-8080:1024-65535 set udp-portrange 53:53"
      " set sctp-portrange 9 next end\n"
      "config firewall policy edit 1 set srcintf any set dstintf any set srcaddr all set dstaddr all"
      " set service web next end\n")).config);
  EXPECT_THAT(n.policies.at(0).services,
              ElementsAre(tcp(80, 80), ServiceRange{6, 8000, 8080, 1024, 65535, -1, -1},
                          ServiceRange{17, 53, 53, 53, 53, -1, -1}, ServiceRange{132, 9, 9, 0, 65535, -1, -1}));

  EXPECT_THAT(parse_errors("config firewall service custom\n edit s\n  set tcp-portrange 80 90-70\n next\nend\n"),
              ElementsAre("node.conf:3:24: error: \"90-70\" is not a port range (expected port ranges such as 80, "
                          "8000-8080 or 443:1024-65535 (dst[:src], 0..65535, low<=high))"));
  EXPECT_THAT(parse_errors("config firewall service custom\n edit s\n  set udp-portrange 53 053\n next\nend\n"),
              ElementsAre("node.conf:3:24: error: \"053\" listed twice in udp-portrange"));
}

TEST(ConfigFirewall, ServiceProtocols) {
  NodeConfig n = node_config(parse_ok(with_base(
      "config firewall service custom\n"
      " edit echo-reply set protocol ICMP set icmptype 0 next\n"
      " edit frag set protocol ICMP set icmptype 3 set icmpcode 4 next\n"
      " edit any-icmp set protocol ICMP next\n"
      " edit gre set protocol IP set protocol-number 47 next\n"
      " edit any-ip set protocol IP next\n"
      "end\n"
      "config firewall policy edit 1 set srcintf any set dstintf any set srcaddr all set dstaddr all"
      " set service echo-reply frag any-icmp gre any-ip next end\n")).config);
  EXPECT_THAT(n.policies.at(0).services,
              ElementsAre(ServiceRange{1, 0, 65535, 0, 65535, 0, -1}, ServiceRange{1, 0, 65535, 0, 65535, 3, 4},
                          ServiceRange{1, 0, 65535, 0, 65535, -1, -1}, ServiceRange{47, 0, 65535, 0, 65535, -1, -1},
                          ServiceRange{0, 0, 65535, 0, 65535, -1, -1}));
  EXPECT_THAT(parse_errors("config firewall service custom\n edit s\n  set icmptype 256\n next\nend\n"),
              ElementsAre("node.conf:3:16: error: icmptype 256 out of range 0..255"));
  EXPECT_THAT(parse_errors("config firewall service custom\n edit s\n  set protocol UDP\n next\nend\n"),
              ElementsAre("node.conf:3:16: error: invalid protocol \"UDP\" (expected TCP/UDP/SCTP|ICMP|IP) (did you mean \"IP\"?)"));
  EXPECT_THAT(parse_errors("config firewall service custom\n edit s\n next\nend\n"),
              ElementsAre("node.conf:2:2: error: service \"s\" of protocol TCP/UDP/SCTP needs tcp-portrange, "
                          "udp-portrange or sctp-portrange"));
  EXPECT_THAT(parse_errors("config firewall service custom\n edit s\n  set protocol ICMP\n  set icmpcode 1\n next\nend\n"),
              ElementsAre("node.conf:4:16: error: service \"s\" icmpcode needs an icmptype (set icmptype <0..255>)"));
}

TEST(ConfigFirewall, BuiltInsResolveWithoutEntries) {
  NodeConfig n = node_config(parse_ok(with_base(
      "config firewall policy edit 1 set srcintf any set dstintf any set srcaddr none set dstaddr all"
      " set service DNS NTP SNMP ALL_TCP ALL_UDP ALL_ICMP SSH TELNET FTP SMTP HTTPS next end\n")).config);
  const FirewallPolicy& p = n.policies.at(0);
  EXPECT_THAT(p.src, IsEmpty());
  EXPECT_THAT(p.dst, ElementsAre(AddrRange{0, 0xffffffffu}));
  EXPECT_THAT(p.services,
              ElementsAre(udp(53, 53), tcp(53, 53), udp(123, 123), udp(161, 162), tcp(1, 65535), udp(1, 65535),
                          ServiceRange{1, 0, 65535, 0, 65535, -1, -1}, tcp(22, 22), tcp(23, 23), tcp(21, 21),
                          tcp(25, 25), tcp(443, 443)));
  EXPECT_EQ(builtin_services().size(), 14u);
}

TEST(ConfigFirewall, BuiltInsCannotBeRedefined) {
  EXPECT_THAT(parse_errors("config firewall address\n    edit \"all\"\n    next\nend\n"
                           "config firewall service group\n    edit \"HTTP\"\n        set member \"PING\"\n    next\nend\n"),
              ElementsAre("node.conf:2:5: error: \"all\" is a built-in address and cannot be redefined in "
                          "\"config firewall address\"; use it without an entry",
                          "node.conf:6:5: error: \"HTTP\" is a built-in service and cannot be redefined in "
                          "\"config firewall service group\"; use it without an entry"));
}

TEST(ConfigFirewall, PolicyReferencesAreCheckedWithSuggestions) {
  EXPECT_THAT(parse_errors(with_base("config firewall policy\n"        // 17
                                     "    edit 3\n"                    // 18
                                     "        set srcintf \"port3\"\n"  // 19
                                     "        set dstintf any port1\n"  // 20
                                     "        set srcaddr lan lna\n"   // 21
                                     "        set dstaddr servrs\n"    // 22
                                     "        set service HTTP HTTPX\n"  // 23
                                     "    next\nend\n")),
              ElementsAre("node.conf:19:21: error: policy 3 srcintf \"port3\" is not an interface in \"config system "
                          "interface\" or \"any\" (did you mean \"port1\"?)",
                          "node.conf:21:25: error: policy 3 srcaddr \"lna\" is not an address, addrgrp or built-in "
                          "address (did you mean \"lan\"?)",
                          "node.conf:22:21: error: policy 3 dstaddr \"servrs\" is not an address, addrgrp or built-in "
                          "address (did you mean \"servers\"?)",
                          "node.conf:23:26: error: policy 3 service \"HTTPX\" is not a service, service group or "
                          "built-in service (did you mean \"HTTP\"?)"));
}

TEST(ConfigFirewall, EnabledPolicyNeedsEveryMatchList) {
  EXPECT_THAT(parse_errors(with_base("config firewall policy\n    edit 4\n        set srcintf port2\n"
                                     "        set service ALL\n    next\nend\n")),
              ElementsAre("node.conf:18:5: error: policy 4 has no dstintf; an enabled policy needs srcintf, dstintf, "
                          "srcaddr, dstaddr and service",
                          "node.conf:18:5: error: policy 4 has no srcaddr; an enabled policy needs srcintf, dstintf, "
                          "srcaddr, dstaddr and service",
                          "node.conf:18:5: error: policy 4 has no dstaddr; an enabled policy needs srcintf, dstintf, "
                          "srcaddr, dstaddr and service"));
  ParseResult disabled = parse_ok(with_base("config firewall policy edit 4 set status disable next end\n"));
  EXPECT_FALSE(node_config(disabled.config).policies.at(0).enabled);
}

TEST(ConfigFirewall, ScheduleAndNatAreRefusedForNow) {
  EXPECT_THAT(parse_errors(with_base("config firewall policy\n    edit 1\n"
                                     "        set srcintf any\n        set dstintf any\n"
                                     "        set srcaddr all\n        set dstaddr all\n        set service ALL\n"
                                     "        set schedule \"weekdays\"\n        set nat enable\n    next\nend\n")),
              ElementsAre("node.conf:24:22: error: policy 1 schedule \"weekdays\" is not supported; only \"always\" is for now",
                          "node.conf:25:17: error: policy 1: nat enable is not supported yet (set nat disable)"));
}

TEST(ConfigFirewall, GroupCyclesAreNamed) {
  EXPECT_THAT(parse_errors("config firewall addrgrp\n"
                           "    edit \"g1\"\n        set member \"g2\"\n    next\n"
                           "    edit \"g2\"\n        set member \"all\" \"g3\"\n    next\n"
                           "    edit \"g3\"\n        set member \"g1\"\n    next\n"
                           "    edit \"self\"\n        set member \"self\"\n    next\n"
                           "end\n"),
              ElementsAre("node.conf:9:20: error: addrgrp cycle: g1 -> g2 -> g3 -> g1 (a group may not contain itself)",
                          "node.conf:12:20: error: addrgrp cycle: self -> self (a group may not contain itself)"));
  EXPECT_THAT(parse_errors("config firewall service group\n"
                           " edit a set member b next\n edit b set member a PING next\nend\n"),
              ElementsAre("node.conf:3:20: error: service group cycle: a -> b -> a (a group may not contain itself)"));
}

TEST(ConfigFirewall, GroupMembersMustExist) {
  EXPECT_THAT(parse_errors(with_base("config firewall addrgrp\n    edit \"g\"\n        set member \"lan\" \"lam\"\n"
                                     "    next\n    edit \"empty\"\n    next\n    edit \"lan\"\n"
                                     "        set member \"servers\"\n    next\nend\n")),
              ElementsAre("node.conf:23:5: error: addrgrp \"lan\" has the name of an address; address and addrgrp "
                          "names share one namespace",
                          "node.conf:19:26: error: addrgrp \"g\" member \"lam\" is not an address, addrgrp or built-in "
                          "address (did you mean \"lan\"?)",
                          "node.conf:21:5: error: addrgrp \"empty\" has no member (set member \"<name>\" ...)"));
}

TEST(ConfigFirewall, AddressChecks) {
  EXPECT_THAT(parse_errors("config firewall address\n"
                           "    edit a\n        set subnet 10.1.100.5/24\n    next\n"
                           "    edit b\n        set type iprange\n        set start-ip 10.0.0.9\n"
                           "        set end-ip 10.0.0.1\n    next\n"
                           "    edit c\n        set type iprange\n    next\n"
                           "end\n"),
              ElementsAre("node.conf:3:20: error: address \"a\" subnet 10.1.100.5 255.255.255.0 has host bits set "
                          "(did you mean 10.1.100.0 255.255.255.0?)",
                          "node.conf:8:20: error: address \"b\" end-ip 10.0.0.1 is below start-ip 10.0.0.9",
                          "node.conf:11:18: error: address \"c\" of type iprange needs start-ip and end-ip"));
}

TEST(ConfigFirewall, GroupsFlattenAndRangesMerge) {
  NodeConfig n = node_config(parse_ok(with_base(
      "config firewall address\n"
      " edit r1 set type iprange set start-ip 10.1.100.200 set end-ip 10.1.101.10 next\n"
      " edit h set subnet 10.1.101.11/32 next\n"
      " edit far set subnet 192.168.0.0/16 next\n"
      "end\n"
      "config firewall addrgrp\n"
      " edit inner set member lan r1 next\n"
      " edit outer set member inner h far lan next\n"
      "end\n"
      "config firewall service custom edit web set tcp-portrange 80 443 next end\n"
      "config firewall service group\n"
      " edit g1 set member web HTTP next\n"
      " edit g2 set member PING g1 DNS HTTPS next\n"
      "end\n"
      "config firewall policy edit 1 set srcintf port2 set dstintf port1 set srcaddr outer servers"
      " set dstaddr far set service g2 next end\n")).config);
  const FirewallPolicy& p = n.policies.at(0);
  // lan, r1 and h touch: one range; then far; servers sits between them.
  EXPECT_THAT(p.src, ElementsAre(AddrRange{ip(10, 1, 100, 0), ip(10, 1, 101, 11)},
                                 AddrRange{ip(172, 16, 200, 0), ip(172, 16, 200, 255)},
                                 AddrRange{ip(192, 168, 0, 0), ip(192, 168, 255, 255)}));
  EXPECT_THAT(p.services, ElementsAre(ServiceRange{1, 0, 65535, 0, 65535, 8, -1}, tcp(80, 80), tcp(443, 443),
                                      udp(53, 53), tcp(53, 53)));
}

TEST(ConfigFirewall, StaticRoutes) {
  ParseResult r = parse_ok(with_base(
      "config router static\n"
      " edit 9 set gateway 172.16.200.254 set device port1 next\n"
      " edit 2 set dst 192.168.0.0/16 set gateway 10.1.100.254 set device port2 set distance 5"
      " set priority 7 set status disable set comment \"lab\" next\n"
      " edit 3 set dst 10.9.0.0 255.255.0.0 set device port2 next\n"
      "end\n"));
  NodeConfig n = node_config(r.config);
  ASSERT_EQ(n.routes.size(), 3u);
  EXPECT_EQ(n.routes[0].seq, 9u);
  EXPECT_EQ(n.routes[0].dst, 0u);
  EXPECT_EQ(n.routes[0].prefix_len, 0);
  EXPECT_EQ(n.routes[0].gateway, ip(172, 16, 200, 254));
  EXPECT_EQ(n.routes[0].device, "port1");
  EXPECT_EQ(n.routes[0].distance, 10u);
  EXPECT_EQ(n.routes[0].priority, 0u);
  EXPECT_TRUE(n.routes[0].enabled);
  EXPECT_EQ(n.routes[1].seq, 2u);
  EXPECT_EQ(n.routes[1].dst, ip(192, 168, 0, 0));
  EXPECT_EQ(n.routes[1].prefix_len, 16);
  EXPECT_EQ(n.routes[1].distance, 5u);
  EXPECT_EQ(n.routes[1].priority, 7u);
  EXPECT_FALSE(n.routes[1].enabled);
  EXPECT_EQ(n.routes[2].gateway, 0u);
  EXPECT_EQ(show_text(r.config, "router static 3"),
            "config router static\n    edit 3\n        set dst 10.9.0.0 255.255.0.0\n"
            "        set device \"port2\"\n    next\nend\n");
}

TEST(ConfigFirewall, StaticRouteChecks) {
  EXPECT_THAT(parse_errors(with_base("config router static\n"                                        // 17
                                     "    edit 1\n        set gateway 10.1.100.254\n"                // 18-19
                                     "        set device \"port1\"\n    next\n"                       // 20-21
                                     "    edit 2\n        set device \"prt2\"\n    next\n"            // 22-24
                                     "    edit 3\n        set gateway 10.0.0.1\n    next\n"           // 25-27
                                     "    edit 4\n        set dst 10.2.0.1 255.255.0.0\n"            // 28-29
                                     "        set gateway 172.16.200.1\n        set device port1\n"   // 30-31
                                     "    next\nend\n"
                                     "config system interface edit ha next end\n"
                                     "config router static edit 5 set gateway 1.2.3.4 set device ha next end\n")),
              ElementsAre("node.conf:19:21: error: static route 1 gateway 10.1.100.254 is not on the connected "
                          "subnet of \"port1\" (172.16.200.0 255.255.255.0)",
                          "node.conf:23:20: error: static route 2 device \"prt2\" is not an interface in \"config "
                          "system interface\" (did you mean \"port2\"?)",
                          "node.conf:25:5: error: static route 3 has no device (set device \"<interface>\")",
                          "node.conf:29:17: error: static route 4 dst 10.2.0.1 255.255.0.0 has host bits set (did "
                          "you mean 10.2.0.0 255.255.0.0?)",
                          "node.conf:30:21: error: static route 4 gateway 172.16.200.1 is the address of \"port1\" itself",
                          "node.conf:35:41: error: static route 5 gateway 1.2.3.4 cannot be reached: interface \"ha\" "
                          "has no ip"));
  EXPECT_THAT(parse_errors("config router static\n edit 1\n  set distance 0\n next\nend\n"),
              ElementsAre("node.conf:3:16: error: distance 0 out of range 1..255"));
}

TEST(ConfigFirewall, SessionTimersAndTableSizes) {
  NodeConfig d = node_config(Config());
  EXPECT_EQ(d.timers.tcp_halfopen, 10u);
  EXPECT_EQ(d.timers.tcp_established, 3600u);
  EXPECT_EQ(d.timers.tcp_halfclose, 120u);
  EXPECT_EQ(d.timers.tcp_timewait, 1u);
  EXPECT_EQ(d.timers.udp, 180u);
  EXPECT_EQ(d.timers.icmp, 60u);
  EXPECT_EQ(d.dpdk.session_table_size, 1048576u);
  EXPECT_EQ(d.dpdk.neighbour_table_size, 4096u);
  EXPECT_THAT(d.policies, IsEmpty());
  EXPECT_THAT(d.routes, IsEmpty());

  NodeConfig n = node_config(parse_ok(
      "config system global set tcp-halfclose-timer 30 set tcp-halfopen-timer 5 set tcp-timewait-timer 0"
      " set udp-idle-timer 60 set icmp-idle-timer 2 end\n"
      "config system session-ttl set default 300 end\n"
      "config system dpdk set session-table-size 1024 set neighbour-table-size 64 end\n").config);
  EXPECT_EQ(n.timers.tcp_halfopen, 5u);
  EXPECT_EQ(n.timers.tcp_established, 300u);
  EXPECT_EQ(n.timers.tcp_halfclose, 30u);
  EXPECT_EQ(n.timers.tcp_timewait, 0u);
  EXPECT_EQ(n.timers.udp, 60u);
  EXPECT_EQ(n.timers.icmp, 2u);
  EXPECT_EQ(n.dpdk.session_table_size, 1024u);
  EXPECT_EQ(n.dpdk.neighbour_table_size, 64u);

  EXPECT_THAT(parse_errors("config system global\n set tcp-timewait-timer 301\n set udp-idle-timer 0\nend\n"
                           "config system session-ttl\n set default 299\nend\n"
                           "config system dpdk\n set session-table-size 67108865\n set neighbour-table-size 63\nend\n"),
              ElementsAre("node.conf:2:25: error: tcp-timewait-timer 301 out of range 0..300",
                          "node.conf:3:21: error: udp-idle-timer 0 out of range 1..86400",
                          "node.conf:6:14: error: default 299 out of range 300..604800",
                          "node.conf:9:25: error: session-table-size 67108865 out of range 1024..67108864",
                          "node.conf:10:27: error: neighbour-table-size 63 out of range 64..1048576"));
}

TEST(ConfigFirewall, PolicyIdsAndAddressNamesAreBounded) {
  EXPECT_THAT(parse_errors("config firewall policy\n edit 0\n next\nend\n"),
              ElementsAre("node.conf:2:7: error: entry id \"0\" of \"config firewall policy\" is not a number in "
                          "1..4294967294"));
  EXPECT_THAT(parse_errors("config firewall address\n edit " + std::string(80, 'a') + "\n next\nend\n"),
              ElementsAre("node.conf:2:7: error: entry name \"" + std::string(80, 'a') +
                          "\" of \"config firewall address\" must be 1..79 bytes"));
}

}  // namespace
}  // namespace tandem::config
