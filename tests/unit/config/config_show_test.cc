// `show` canonical text for a known config, path selection, and the
// checksums computed over it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::error_lines;
using testing::show_text;

// Deliberately messy: comments, odd spacing, CRLF, one-line parts and `set`
// lines out of schema order.
constexpr std::string_view kNodeConf =
    "# node A of the lab pair\r\n"
    "config system global\r\n"
    "  set timezone \"Europe/Paris\"   # used by logs\r\n"
    "  set hostname node-a\r\n"
    "end\r\n"
    "config system interface\n"
    "    edit port2\n"
    "        set allowaccess ping https\n"
    "        set ip 10.1.100.1/24\n"
    "        set device af_xdp:veth-c\n"
    "        set role lan\n"
    "    next\n"
    "    edit \"ha\" set device \"net_memif0,role=server,socket=/run/ha.sock\" next\n"
    "end\n"
    "config system ha\n"
    "    set monitor port2\n"
    "    set hbdev ha 0\n"
    "    set mode a-p\n"
    "    set group-name \"lab\"\n"
    "    set password ENC AAAA\n"
    "    set priority 200\n"
    "    set hb-interval-in-milliseconds 10ms\n"
    "    set ha-mgmt-ip 192.168.50.1 255.255.255.0\n"
    "    config peer\n"
    "        edit 1\n"
    "            set serial-number \"TANDEM-B\"\n"
    "            set ip 192.168.50.2\n"
    "        next\n"
    "    end\n"
    "end\n"
    "config system dpdk set workers 2 set idle-sleep 50 end\n";

constexpr std::string_view kGolden =
    "config system global\n"
    "    set hostname \"node-a\"\n"
    "    set timezone \"Europe/Paris\"\n"
    "end\n"
    "config system interface\n"
    "    edit \"port2\"\n"
    "        set device \"af_xdp:veth-c\"\n"
    "        set ip 10.1.100.1 255.255.255.0\n"
    "        set allowaccess ping https\n"
    "        set role lan\n"
    "    next\n"
    "    edit \"ha\"\n"
    "        set device \"net_memif0,role=server,socket=/run/ha.sock\"\n"
    "    next\n"
    "end\n"
    "config system ha\n"
    "    set group-name \"lab\"\n"
    "    set mode a-p\n"
    "    set password ENC AAAA\n"
    "    set hbdev \"ha\" 0\n"
    "    set priority 200\n"
    "    set monitor \"port2\"\n"
    "    set hb-interval-in-milliseconds 10ms\n"
    "    set ha-mgmt-ip 192.168.50.1 255.255.255.0\n"
    "    config peer\n"
    "        edit 1\n"
    "            set ip 192.168.50.2\n"
    "            set serial-number \"TANDEM-B\"\n"
    "        next\n"
    "    end\n"
    "end\n"
    "config system dpdk\n"
    "    set workers 2\n"
    "    set idle-sleep 50\n"
    "end\n";

Config node_a() {
  ParseResult r = parse(kNodeConf, "node.conf");
  EXPECT_THAT(error_lines(r), IsEmpty());
  return r.config;
}

TEST(ConfigShow, CanonicalText) { EXPECT_EQ(show_text(node_a()), kGolden); }

TEST(ConfigShow, ObjectAndEntryPaths) {
  Config cfg = node_a();
  EXPECT_EQ(show_text(cfg, "system dpdk"), "config system dpdk\n    set workers 2\n    set idle-sleep 50\nend\n");
  EXPECT_EQ(show_text(cfg, "system interface \"ha\""),
            "config system interface\n    edit \"ha\"\n"
            "        set device \"net_memif0,role=server,socket=/run/ha.sock\"\n    next\nend\n");
  EXPECT_THAT(show_text(cfg, "full-configuration system dpdk"), ::testing::HasSubstr("    set mbufs 16384\n"));
  std::string out, error;
  EXPECT_FALSE(show(cfg, "system hx", false, &out, &error));
  EXPECT_EQ(error, "unknown object \"system hx\" (did you mean \"system ha\"?)");
  EXPECT_FALSE(show(cfg, "system interface port9", false, &out, &error));
  EXPECT_EQ(error, "no entry \"port9\" in \"config system interface\"");
}

TEST(ConfigShow, ChecksumShape) {
  auto sums = checksums(node_a());
  ASSERT_EQ(sums.size(), 26u);
  EXPECT_EQ(sums[0].first, "system global");
  EXPECT_EQ(sums[3].first, "system certificate ca");
  EXPECT_EQ(sums[4].first, "system certificate local");
  EXPECT_EQ(sums[7].first, "system tcp-test-service");
  EXPECT_EQ(sums[12].first, "firewall policy");
  EXPECT_EQ(sums[13].first, "router static");
  EXPECT_EQ(sums[14].first, "vpn certificate ca");
  EXPECT_EQ(sums[17].first, "user local");
  EXPECT_EQ(sums[19].first, "user setting");
  EXPECT_EQ(sums[20].first, "firewall vip");
  EXPECT_EQ(sums[21].first, "firewall access-proxy");
  EXPECT_EQ(sums[22].first, "firewall proxy-policy");
  EXPECT_EQ(sums[23].first, "log disk setting");
  EXPECT_EQ(sums[24].first, "log syslogd setting");
  EXPECT_EQ(sums[25].first, "all");
  for (const auto& [path, sum] : sums) {
    EXPECT_THAT(sum, ::testing::MatchesRegex("[0-9a-f]{32}")) << path;
  }
}

TEST(ConfigShow, ChecksumIgnoresLayoutCommentsAndSetOrder) {
  std::string relaid =
      "config system global set hostname \"node-a\" set timezone Europe/Paris end\n"
      "config system interface\n edit port2\n  set role lan\n  set device \"af_xdp:veth-c\"\n"
      "  set allowaccess ping https\n  set ip 10.1.100.1 255.255.255.0\n  set mtu 1500\n next\n"
      " edit ha\n  set device \"net_memif0,role=server,socket=/run/ha.sock\"\n next\nend\n"
      "# HA last-but-one this time\n"
      "config system dpdk\n set idle-sleep 50\n set workers 2\nend\n"
      "config system ha\n config peer\n  edit 1\n   set ip 192.168.50.2\n   set serial-number TANDEM-B\n  next\n end\n"
      " set ha-mgmt-ip 192.168.50.1/24\n set hb-interval-in-milliseconds 10ms\n set priority 200\n"
      " set password ENC AAAA\n set group-name lab\n set mode a-p\n set hbdev ha 0\n set monitor port2\nend\n";
  ParseResult r = parse(relaid, "relaid.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  EXPECT_EQ(checksums(r.config), checksums(node_a()));
}

TEST(ConfigShow, ChecksumChangesWithAValueAndOnlyForItsObject) {
  Config base = node_a();
  ParseResult changed = apply(base, "config system ha set priority 201 end", "cli");
  ASSERT_TRUE(changed.ok());
  auto a = checksums(base), b = checksums(changed.config);
  EXPECT_EQ(a[0], b[0]);  // system global
  EXPECT_EQ(a[1], b[1]);  // system interface
  EXPECT_NE(a[2], b[2]);  // system ha
  for (std::size_t i = 3; i + 1 < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << a[i].first;
  EXPECT_NE(a.back(), b.back());  // all
}

TEST(ConfigShow, ChecksumOfDefaultsIsStable) {
  // Pinned: a change here changes what an upgraded node reports to its peer.
  auto sums = checksums(Config());
  std::string ha_text = show_text(Config(), "system ha");
  EXPECT_EQ(ha_text, "config system ha\nend\n");
  // First 128 bits of SHA-256("config system ha\nend\n").
  EXPECT_EQ(sums[2].second, "2ed9c346df0c2ba419bf6d8aa2e2dfde");
}

}  // namespace
}  // namespace tandem::config
