// Every value type: accepted forms, canonical form shown, and the exact
// error with file:line:col for each kind of bad value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/value.h"
#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::parse_errors;
using testing::show_text;

// `set` lines inside `config system ha` start at line 2, column 5.
std::string in_ha(std::string_view sets) { return "config system ha\n" + std::string(sets) + "\nend\n"; }
std::string in_port(std::string_view sets) {
  return "config system interface\n    edit \"port1\"\n" + std::string(sets) + "\n    next\nend\n";
}

std::string shown_ha(std::string_view sets) {
  ParseResult r = parse(in_ha(sets), "node.conf");
  EXPECT_THAT(testing::error_lines(r), IsEmpty());
  return show_text(r.config, "system ha");
}

TEST(ConfigValues, IntegerInRangeAndOut) {
  EXPECT_EQ(shown_ha("    set priority 007"), "config system ha\n    set priority 7\nend\n");
  EXPECT_THAT(parse_errors("config system ha\n    set   priority 300\nend\n"),
              ElementsAre("node.conf:2:20: error: priority 300 out of range 0..255"));
  EXPECT_THAT(parse_errors(in_ha("    set priority high")),
              ElementsAre("node.conf:2:18: error: \"high\" is not a number (expected an integer 0..255)"));
  EXPECT_THAT(parse_errors(in_ha("    set priority 99999999999999999999")),
              ElementsAre("node.conf:2:18: error: \"99999999999999999999\" is not a number (expected an integer 0..255)"));
  EXPECT_THAT(parse_errors(in_ha("    set priority -1")),
              ElementsAre("node.conf:2:18: error: \"-1\" is not a number (expected an integer 0..255)"));
  EXPECT_THAT(parse_errors(in_ha("    set priority 1 2")),
              ElementsAre("node.conf:2:20: error: too many values for priority (expected an integer 0..255)"));
  EXPECT_THAT(parse_errors(in_ha("    set priority")),
              ElementsAre("node.conf:2:9: error: missing value for priority (expected an integer 0..255)"));
}

TEST(ConfigValues, StringLengthAndQuoting) {
  EXPECT_EQ(shown_ha("    set group-name 501E"), "config system ha\n    set group-name \"501E\"\nend\n");
  EXPECT_EQ(shown_ha("    set group-name \"end\""), "config system ha\n    set group-name \"end\"\nend\n");
  EXPECT_THAT(parse_errors(in_ha("    set group-name \"" + std::string(33, 'x') + "\"")),
              ElementsAre("node.conf:2:20: error: string of 33 bytes is too long (at most 32)"));
}

TEST(ConfigValues, EnumAndEnableDisable) {
  EXPECT_EQ(shown_ha("    set maintenance-mode \"enable-with-sync\"\n    set override enable"),
            "config system ha\n    set override enable\n    set maintenance-mode enable-with-sync\nend\n");
  EXPECT_THAT(parse_errors(in_ha("    set mode a-a")),
              ElementsAre("node.conf:2:14: error: invalid mode \"a-a\" (expected standalone|a-p) (did you mean \"a-p\"?)"));
  EXPECT_THAT(parse_errors(in_ha("    set override on")),
              ElementsAre("node.conf:2:18: error: invalid override \"on\" (expected enable|disable)"));
}

TEST(ConfigValues, Ipv4) {
  ParseResult r = parse("config system ha\n config peer\n  edit 1\n   set ip 192.168.001.010\n  next\n end\nend\n", "node.conf");
  EXPECT_THAT(testing::error_lines(r), IsEmpty());
  EXPECT_EQ(show_text(r.config, "system ha"),
            "config system ha\n    config peer\n        edit 1\n            set ip 192.168.1.10\n        next\n    end\nend\n");
  EXPECT_THAT(parse_errors("config system ha\n config peer\n  edit 1\n   set ip 1.2.3.256\n  next\n end\nend\n"),
              ElementsAre("node.conf:4:11: error: \"1.2.3.256\" is not an IPv4 address (expected a.b.c.d)"));
}

TEST(ConfigValues, Ipv4WithNetmaskBothForms) {
  ParseResult a = parse(in_port("        set ip 10.1.100.1 255.255.255.0"), "a");
  ParseResult b = parse(in_port("        set ip 10.1.100.1/24"), "b");
  EXPECT_THAT(testing::error_lines(a), IsEmpty());
  EXPECT_THAT(testing::error_lines(b), IsEmpty());
  EXPECT_EQ(a.config, b.config);
  EXPECT_THAT(show_text(b.config), ::testing::HasSubstr("set ip 10.1.100.1 255.255.255.0\n"));
  EXPECT_THAT(parse_errors(in_port("        set ip 10.1.100.1 255.0.255.0")),
              ElementsAre("node.conf:3:27: error: netmask 255.0.255.0 is not contiguous"));
  EXPECT_THAT(parse_errors(in_port("        set ip 10.1.100.1")),
              ElementsAre("node.conf:3:16: error: missing netmask (expected a.b.c.d m.m.m.m or a.b.c.d/len)"));
  EXPECT_THAT(parse_errors(in_port("        set ip 10.1.100.1/33")),
              ElementsAre("node.conf:3:16: error: prefix length in \"10.1.100.1/33\" is not 0..32"));
}

TEST(ConfigValues, WordListSubsetWithoutRepeats) {
  ParseResult r = parse(in_port("        set allowaccess ping https ssh"), "node.conf");
  EXPECT_THAT(show_text(r.config), ::testing::HasSubstr("        set allowaccess ping https ssh\n"));
  EXPECT_THAT(parse_errors(in_port("        set allowaccess ping telnet")),
              ElementsAre("node.conf:3:30: error: invalid allowaccess \"telnet\" (expected any of ping https ssh http snmp fgfm)"));
  EXPECT_THAT(parse_errors(in_port("        set allowaccess ping ping")),
              ElementsAre("node.conf:3:30: error: \"ping\" listed twice in allowaccess"));
}

TEST(ConfigValues, HbdevPairs) {
  EXPECT_THAT(parse_errors(in_ha("    set hbdev \"ha\" 0 \"ha2\"")),
              ElementsAre("node.conf:2:22: error: missing priority after hbdev \"ha2\" (expected \"name\" priority pairs)"));
  EXPECT_THAT(parse_errors(in_ha("    set hbdev \"ha\" 513")),
              ElementsAre("node.conf:2:20: error: hbdev priority 513 out of range 0..512"));
  EXPECT_THAT(parse_errors(in_ha("    set hbdev ha 1 ha 2")),
              ElementsAre("node.conf:2:20: error: \"ha\" listed twice in hbdev"));
}

TEST(ConfigValues, PasswordShowsHashAndKeepsAGivenHash) {
  std::string hash = hash_password("secret");
  EXPECT_EQ(hash, "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=");
  EXPECT_EQ(shown_ha("    set password secret"), "config system ha\n    set password ENC " + hash + "\nend\n");
  EXPECT_EQ(shown_ha("    set password ENC " + hash), "config system ha\n    set password ENC " + hash + "\nend\n");
  // A single word is a plaintext, even "ENC" (as in the FortiOS one-line example).
  EXPECT_EQ(shown_ha("    set password ENC"),
            "config system ha\n    set password ENC " + hash_password("ENC") + "\nend\n");
  EXPECT_THAT(parse_errors(in_ha("    set password ENC not-base64")),
              ElementsAre("node.conf:2:22: error: invalid password hash (expected the base64 text `show` prints after ENC)"));
}

TEST(ConfigValues, MacAddress) {
  ParseResult r = parse(in_port("        set macaddr 00:0C:29-AB:cd:01"), "node.conf");
  EXPECT_THAT(testing::error_lines(r), IsEmpty());
  EXPECT_THAT(show_text(r.config), ::testing::HasSubstr("set macaddr 00:0c:29:ab:cd:01\n"));
  EXPECT_THAT(parse_errors(in_port("        set macaddr 00:0c:29:ab:cd")),
              ElementsAre("node.conf:3:21: error: \"00:0c:29:ab:cd\" is not a MAC address (expected xx:xx:xx:xx:xx:xx)"));
}

TEST(ConfigValues, DeviceForms) {
  for (const char* device : {"0000:03:00.0", "af_xdp:eth1", "af_packet:veth-a", "kernel:lo",
                             "net_memif0,role=server,socket=/run/x.sock"}) {
    ParseResult r = parse(in_port(std::string("        set device \"") + device + "\""), "node.conf");
    EXPECT_THAT(testing::error_lines(r), IsEmpty()) << device;
    EXPECT_THAT(show_text(r.config), ::testing::HasSubstr(std::string("set device \"") + device + "\"\n"));
  }
  ParseResult short_pci = parse(in_port("        set device 03:00.1"), "node.conf");
  EXPECT_THAT(show_text(short_pci.config), ::testing::HasSubstr("set device \"0000:03:00.1\"\n"));
  EXPECT_THAT(parse_errors(in_port("        set device eth0")),
              ElementsAre("node.conf:3:20: error: \"eth0\" is not a device (expected a PCI address 0000:03:00.0, "
                          "af_xdp:<if>, af_packet:<if>, kernel:<if> or net_<vdev>[,args])"));
}

TEST(ConfigValues, CpuList) {
  EXPECT_TRUE(parse("config system dpdk\n set cores \"0-3,6\"\nend\n", "n").ok());
  EXPECT_THAT(parse_errors("config system dpdk\n set cores 3-1\nend\n"),
              ElementsAre("node.conf:2:12: error: \"3-1\" is not a CPU list (expected e.g. 0,1 or 0-3)"));
}

TEST(ConfigValues, WorkersBoundedByBuildOption) {
  EXPECT_TRUE(parse("config system dpdk\n set workers " + std::to_string(TANDEM_MAX_WORKERS) + "\nend\n", "n").ok());
  EXPECT_THAT(parse_errors("config system dpdk\n set workers " + std::to_string(TANDEM_MAX_WORKERS + 1) + "\nend\n"),
              ElementsAre("node.conf:2:14: error: workers " + std::to_string(TANDEM_MAX_WORKERS + 1) +
                          " out of range 1.." + std::to_string(TANDEM_MAX_WORKERS)));
}

}  // namespace
}  // namespace tandem::config
