// Cross-reference validation: each error points at the wrong `set` value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::parse_errors;

// Line 1..10; "ha" at line 2, "port1" at line 5.
constexpr std::string_view kPorts =
    "config system interface\n"
    "    edit \"ha\"\n"
    "        set device \"net_memif0,role=server\"\n"
    "    next\n"
    "    edit \"port1\"\n"
    "        set device \"af_xdp:veth1\"\n"
    "        set ip 10.1.100.1 255.255.255.0\n"
    "    next\n"
    "end\n";

std::string with_ports(std::string_view rest) { return std::string(kPorts) + std::string(rest); }

TEST(ConfigValidate, ValidHaPairConfig) {
  EXPECT_THAT(parse_errors(with_ports("config system ha\n    set group-name \"g\"\n    set mode a-p\n"
                                      "    set hbdev \"ha\" 0\n    set monitor \"port1\"\nend\n")),
              IsEmpty());
}

TEST(ConfigValidate, HbdevAndMonitorMustBeInterfaces) {
  EXPECT_THAT(parse_errors(with_ports("config system ha\n    set hbdev \"ha\" 0 \"ha2\" 50\n"
                                      "    set monitor \"port1\" \"port3\"\nend\n")),
              ElementsAre("node.conf:11:22: error: hbdev \"ha2\" is not an interface in \"config system interface\" (did you mean \"ha\"?)",
                          "node.conf:12:25: error: monitor \"port3\" is not an interface in \"config system interface\" (did you mean \"port1\"?)"));
}

TEST(ConfigValidate, TwoInterfacesMayNotShareADevice) {
  EXPECT_THAT(parse_errors(with_ports("config system interface\n    edit \"port2\"\n"
                                      "        set device \"net_memif0,role=client\"\n    next\nend\n")),
              ElementsAre("node.conf:12:20: error: device \"net_memif0,role=client\" of interface \"port2\" is already used by interface \"ha\""));
}

TEST(ConfigValidate, ActivePassiveNeedsHbdevAndGroupName) {
  EXPECT_THAT(parse_errors(with_ports("config system ha\n    set mode a-p\nend\n")),
              ElementsAre("node.conf:11:14: error: mode a-p requires at least one hbdev (set hbdev \"<interface>\" <priority>)",
                          "node.conf:11:14: error: mode a-p requires a group-name (set group-name \"<name>\")"));
}

TEST(ConfigValidate, HbdevInterfaceMustHaveNoIp) {
  EXPECT_THAT(parse_errors(with_ports("config system ha\n    set hbdev \"port1\" 0\nend\n")),
              ElementsAre("node.conf:7:16: error: interface \"port1\" is a heartbeat device (hbdev) and must have no ip (found 10.1.100.1 255.255.255.0)"));
}

TEST(ConfigValidate, InterfaceIpMustBeAHostAddress) {
  auto one = [](std::string_view ip) {
    return parse_errors("config system interface\n edit p\n  set ip " + std::string(ip) + "\n next\nend\n");
  };
  EXPECT_THAT(one("10.1.100.0/24"),
              ElementsAre("node.conf:3:10: error: interface \"p\" ip: 10.1.100.0 is the network address of 10.1.100.0 255.255.255.0, not a host address"));
  EXPECT_THAT(one("10.1.100.255 255.255.255.0"),
              ElementsAre("node.conf:3:10: error: interface \"p\" ip: 10.1.100.255 is the broadcast address of 10.1.100.255 255.255.255.0, not a host address"));
  EXPECT_THAT(one("127.0.0.1/8"),
              ElementsAre("node.conf:3:10: error: interface \"p\" ip: 127.0.0.1 is a loopback address, not a host address"));
  EXPECT_THAT(one("224.0.0.1/24"),
              ElementsAre("node.conf:3:10: error: interface \"p\" ip: 224.0.0.1 is a multicast or reserved address, not a host address"));
  EXPECT_THAT(one("10.0.0.1/0"),
              ElementsAre("node.conf:3:10: error: interface \"p\" ip: netmask 0.0.0.0 with address 10.0.0.1 (expected a netmask)"));
  EXPECT_THAT(one("0.0.0.0/24"),
              ElementsAre("node.conf:3:10: error: interface \"p\" ip: 0.0.0.0 is not a host address (expected a.b.c.d m.m.m.m)"));
  EXPECT_THAT(one("10.0.0.0/31"), IsEmpty());
  EXPECT_THAT(one("10.0.0.7/32"), IsEmpty());
}

TEST(ConfigValidate, ErrorsAreCheckedOnlyOnACleanParse) {
  // The bad priority is reported; the a-p prerequisites are not piled on.
  EXPECT_THAT(parse_errors("config system ha\n    set mode a-p\n    set priority 999\nend\n"),
              ElementsAre("node.conf:3:18: error: priority 999 out of range 0..255"));
}

}  // namespace
}  // namespace tandem::config
