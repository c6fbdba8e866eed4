// node_config(): the typed view tandemd reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/node_config.h"
#include "controlplane/config/value.h"
#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ConfigNode, DefaultsMatchTheSchema) {
  NodeConfig n = node_config(Config());
  EXPECT_EQ(n.global.hostname, "Tandem");
  EXPECT_EQ(n.global.serial_number, "");
  EXPECT_EQ(n.global.admintimeout, 5u);
  EXPECT_THAT(n.interfaces, IsEmpty());
  EXPECT_EQ(n.ha.mode, "standalone");
  EXPECT_EQ(n.ha.priority, 128u);
  EXPECT_EQ(n.ha.hb_interval_ms, 200u);
  EXPECT_EQ(n.ha.hb_lost_threshold, 6u);
  EXPECT_EQ(n.ha.uptime_diff_margin_s, 300u);
  EXPECT_EQ(n.ha.monitor_stability_period_s, 30u);
  EXPECT_EQ(n.ha.arps, 5u);
  EXPECT_EQ(n.ha.arps_interval_s, 8u);
  EXPECT_EQ(n.ha.maintenance_mode, "disable");
  EXPECT_EQ(n.ha.password_hash, "");
  EXPECT_FALSE(n.ha.session_pickup);
  EXPECT_EQ(n.dpdk.cores, "0-1");
  EXPECT_EQ(n.dpdk.workers, 1u);
  EXPECT_EQ(n.dpdk.memory_mb, 512u);
  EXPECT_TRUE(n.dpdk.hugepages);
  EXPECT_EQ(n.dpdk.idle_sleep_us, 0u);
  EXPECT_EQ(n.dpdk.rx_desc, 1024u);
  EXPECT_EQ(n.dpdk.tx_desc, 1024u);
  EXPECT_EQ(n.dpdk.mbufs, 16384u);
}

TEST(ConfigNode, TypedValues) {
  ParseResult r = parse(
      "config system global set serial-number \"TANDEM-A\" end\n"
      "config system interface\n"
      " edit ha set device net_memif0 next\n"
      " edit port2 set device af_xdp:veth2 set ip 10.1.100.1/24 set allowaccess https ping set status down"
      " set mtu 9000 set role lan next\n"
      "end\n"
      "config system ha set group-name g set mode a-p set password secret set hbdev ha 50"
      " set session-pickup enable set override enable set monitor port2 set hb-interval 3"
      " set hb-interval-in-milliseconds 10ms set ha-mgmt-ip 192.168.50.1/24"
      " config peer edit 7 set ip 192.168.50.2 set serial-number TANDEM-B set status disable next end end\n"
      "config system dpdk set workers 2 set hugepages disable set idle-sleep 100 end\n",
      "node.conf");
  ASSERT_THAT(testing::error_lines(r), IsEmpty());
  NodeConfig n = node_config(r.config);
  EXPECT_EQ(n.global.serial_number, "TANDEM-A");
  ASSERT_EQ(n.interfaces.size(), 2u);
  const InterfaceConfig* port2 = n.interface("port2");
  ASSERT_NE(port2, nullptr);
  EXPECT_EQ(port2->device, "af_xdp:veth2");
  EXPECT_EQ(port2->ip, 0x0a016401u);
  EXPECT_EQ(port2->prefix_len, 24);
  EXPECT_THAT(port2->allowaccess, ElementsAre("https", "ping"));
  EXPECT_TRUE(port2->allow_ping);
  EXPECT_FALSE(port2->up);
  EXPECT_EQ(port2->mtu, 9000u);
  EXPECT_EQ(port2->role, "lan");
  EXPECT_EQ(port2->vdom, "root");
  EXPECT_EQ(n.interface("nope"), nullptr);
  EXPECT_FALSE(n.interface("ha")->allow_ping);

  EXPECT_EQ(n.ha.mode, "a-p");
  EXPECT_EQ(n.ha.password_hash, hash_password("secret"));
  ASSERT_EQ(n.ha.hbdevs.size(), 1u);
  EXPECT_EQ(n.ha.hbdevs[0].interface, "ha");
  EXPECT_EQ(n.ha.hbdevs[0].priority, 50u);
  EXPECT_TRUE(n.ha.session_pickup);
  EXPECT_TRUE(n.ha.override);
  EXPECT_THAT(n.ha.monitor, ElementsAre("port2"));
  EXPECT_EQ(n.ha.hb_interval_ms, 30u);
  EXPECT_EQ(n.ha.mgmt_ip, 0xc0a83201u);
  EXPECT_EQ(n.ha.mgmt_prefix_len, 24);
  ASSERT_EQ(n.ha.peers.size(), 1u);
  EXPECT_EQ(n.ha.peers[0].id, 7u);
  EXPECT_EQ(n.ha.peers[0].ip, 0xc0a83202u);
  EXPECT_EQ(n.ha.peers[0].serial, "TANDEM-B");
  EXPECT_FALSE(n.ha.peers[0].enabled);
  EXPECT_EQ(n.dpdk.workers, 2u);
  EXPECT_FALSE(n.dpdk.hugepages);
  EXPECT_EQ(n.dpdk.idle_sleep_us, 100u);
}

}  // namespace
}  // namespace tandem::config

namespace tandem::config {
namespace {

// Config sync's objects (controlplane/confsync): certificates by file path
// and the node's management gateway.
TEST(ConfigNode, ConfigSyncCertificatesAndGateway) {
  ParseResult r = parse(
      "config system ha set local-cert \"node-a\" set ha-mgmt-gateway 192.168.50.254 end\n"
      "config system certificate ca edit \"lab-ca\" set certificate \"/etc/tandem/ca.pem\" next end\n"
      "config system certificate local edit \"node-a\" set certificate \"/etc/tandem/a.crt\""
      " set private-key \"/etc/tandem/a.key\" set comment \"CN=TANDEM-A\" next end\n",
      "node.conf");
  ASSERT_THAT(testing::error_lines(r), ::testing::IsEmpty());
  NodeConfig n = node_config(r.config);
  EXPECT_EQ(n.ha.local_cert, "node-a");
  EXPECT_EQ(n.ha.mgmt_gateway, 0xc0a832feu);
  ASSERT_EQ(n.ca_certificates.size(), 1u);
  EXPECT_EQ(n.ca_certificates[0].name, "lab-ca");
  EXPECT_EQ(n.ca_certificates[0].certificate, "/etc/tandem/ca.pem");
  ASSERT_EQ(n.local_certificates.size(), 1u);
  EXPECT_EQ(n.local_certificates[0].certificate, "/etc/tandem/a.crt");
  EXPECT_EQ(n.local_certificates[0].private_key, "/etc/tandem/a.key");
  EXPECT_EQ(n.local_certificates[0].comment, "CN=TANDEM-A");
  EXPECT_EQ(node_config(Config()).ha.mgmt_gateway, 0u);
  EXPECT_THAT(testing::parse_errors("config system certificate ca edit \"x\" set private-key \"/k\" next end\n"),
              ::testing::Not(::testing::IsEmpty()));
}

}  // namespace
}  // namespace tandem::config
