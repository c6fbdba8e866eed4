// Node-specific settings: stripped from what is synchronised (so checksums
// of two nodes in sync are equal) and kept by the receiver when it installs
// the peer's config.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "controlplane/config/node_config.h"
#include "controlplane/confsync/node_specific.h"

namespace tandem::confsync {
namespace {

config::Config parse_ok(const std::string& text) {
  config::ParseResult r = config::parse(text, "test");
  std::string errors;
  for (const auto& d : r.errors) errors += d.to_string() + "\n";
  EXPECT_TRUE(r.ok()) << errors;
  return r.config;
}

std::string node_text(const std::string& host, const std::string& serial, int priority,
                      const std::string& gateway, const std::string& peer_serial, const std::string& shared) {
  return "config system global\n set hostname \"" + host + "\"\n set serial-number \"" + serial +
         "\"\nend\n"
         "config system ha\n set group-name \"lab\"\n set priority " + std::to_string(priority) +
         "\n set override enable\n set ha-mgmt-ip 10.9.0.1 255.255.255.0\n set ha-mgmt-gateway " + gateway +
         "\n set local-cert \"mine\"\n config peer\n  edit 1\n   set ip 10.9.0.2\n   set serial-number \"" +
         peer_serial + "\"\n  next\n end\nend\n"
         "config system certificate local\n edit \"mine\"\n  set certificate \"/etc/" + host +
         ".crt\"\n  set private-key \"/etc/" + host + ".key\"\n next\nend\n"
         "config system dpdk\n set memory " + std::to_string(256 + priority) + "\nend\n" + shared;
}

const char kShared[] =
    "config system certificate ca\n edit \"lab-ca\"\n  set certificate \"/etc/ca.pem\"\n next\nend\n"
    "config firewall address\n edit \"web\"\n  set subnet 10.1.0.0 255.255.255.0\n next\nend\n";

TEST(NodeSpecific, NodesInSyncHaveEqualChecksumsDespiteTheirOwnSettings) {
  config::Config a = parse_ok(node_text("node-a", "FGT-A", 200, "10.9.0.254", "FGT-B", kShared));
  config::Config b = parse_ok(node_text("node-b", "FGT-B", 50, "10.9.0.253", "FGT-A", kShared));
  EXPECT_NE(config::checksums(a), config::checksums(b));
  EXPECT_EQ(synced_checksums(a), synced_checksums(b));
  std::string text = synced_text(a, {});
  for (const char* gone : {"node-a", "FGT-A", "FGT-B", "priority", "override", "ha-mgmt", "local-cert",
                           "config peer", "node-a.key", "memory"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " leaked into:\n" << text;
  }
  EXPECT_NE(text.find("group-name \"lab\""), std::string::npos);
  EXPECT_NE(text.find("/etc/ca.pem"), std::string::npos);
}

TEST(NodeSpecific, AFullInstallKeepsTheReceiversOwnSettings) {
  config::Config a = parse_ok(node_text(
      "node-a", "FGT-A", 200, "10.9.0.254", "FGT-B",
      std::string(kShared) + "config firewall address\n edit \"db\"\n  set subnet 10.2.0.0 255.255.0.0\n next\nend\n"));
  config::Config b = parse_ok(node_text("node-b", "FGT-B", 50, "10.9.0.253", "FGT-A",
                                        "config firewall address\n edit \"old\"\n next\nend\n"));
  config::Config installed;
  std::string error;
  ASSERT_TRUE(install_sections(b, {}, synced_text(a, {}), &installed, &error)) << error;
  EXPECT_EQ(synced_checksums(installed), synced_checksums(a));
  config::NodeConfig n = config::node_config(installed);
  EXPECT_EQ(n.global.hostname, "node-b");
  EXPECT_EQ(n.global.serial_number, "FGT-B");
  EXPECT_EQ(n.ha.priority, 50u);
  EXPECT_TRUE(n.ha.override);
  EXPECT_EQ(n.ha.mgmt_gateway, 0x0a0900fdu);
  EXPECT_EQ(n.ha.local_cert, "mine");
  ASSERT_EQ(n.ha.peers.size(), 1u);
  EXPECT_EQ(n.ha.peers[0].serial, "FGT-A");
  ASSERT_EQ(n.local_certificates.size(), 1u);
  EXPECT_EQ(n.local_certificates[0].private_key, "/etc/node-b.key");
  EXPECT_EQ(n.dpdk.memory_mb, 306u);
  ASSERT_EQ(n.ca_certificates.size(), 1u);
  const config::TableData* addrs = installed.table("firewall address");
  ASSERT_NE(addrs, nullptr);
  EXPECT_TRUE(addrs->index.contains("db"));
  EXPECT_FALSE(addrs->index.contains("old")) << "a FULL replaces the section, deletions included";
}

TEST(NodeSpecific, AChangeReplacesOnlyItsSectionsAndRefusesBadText) {
  config::Config b = parse_ok(node_text("node-b", "FGT-B", 50, "10.9.0.253", "FGT-A", kShared));
  config::Config installed;
  std::string error;
  ASSERT_TRUE(install_sections(b, {"firewall address"},
                               "config firewall address\n edit \"new\"\n next\nend\n"
                               "config system global\n set hostname \"evil\"\nend\n",
                               &installed, &error))
      << error;
  EXPECT_EQ(config::node_config(installed).global.hostname, "node-b") << "a peer never sets our hostname";
  EXPECT_TRUE(installed.table("firewall address")->index.contains("new"));
  EXPECT_FALSE(installed.table("firewall address")->index.contains("web"));
  EXPECT_EQ(installed.table("system certificate ca")->entries.size(), 1u) << "other sections stay";
  EXPECT_FALSE(install_sections(b, {"firewall address"}, "config firewall address\n edit\n", &installed, &error));
  EXPECT_NE(error.find("config-sync"), std::string::npos) << error;
}

// The lab's two nodes: the same interfaces, but the hbdev memif is a server
// on one and a client on the other, and each has its own management address.
std::string lab_node(const std::string& serial, const std::string& role, const std::string& mgmt_ip,
                     const std::string& extra) {
  return "config system global\n set serial-number \"" + serial + "\"\nend\n"
         "config system interface\n"
         " edit \"port1\"\n  set device \"af_xdp:port1\"\n  set ip 172.16.200.1 255.255.255.0\n next\n"
         " edit \"ha\"\n  set device \"net_memif_ha,role=" + role + ",id=0,socket=/run/x.sock\"\n next\n"
         " edit \"mgmt\"\n  set device \"kernel:mgmt\"\n  set ip " + mgmt_ip + " 255.255.255.0\n"
         "  set allowaccess ping ssh\n next\n" + extra + "end\n"
         "config system ha\n set group-name \"lab\"\n set hbdev \"ha\" 0\n"
         " set ha-mgmt-ip " + mgmt_ip + " 255.255.255.0\nend\n";
}

TEST(NodeSpecific, InterfaceDevicesAndTheManagementInterfaceStayPerNode) {
  config::Config a = parse_ok(lab_node("FGT-A", "server", "10.0.0.1", ""));
  config::Config b = parse_ok(lab_node("FGT-B", "client", "10.0.0.2", ""));
  EXPECT_EQ(synced_checksums(a), synced_checksums(b));
  std::string text = synced_text(a, {"system interface"});
  for (const char* gone : {"role=server", "af_xdp", "10.0.0.1", "\"mgmt\""}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " leaked into:\n" << text;
  }
  // A changes port1's address: B takes it, keeps its devices, its mgmt
  // entry, and the interface order (the daemon compares it).
  config::Config a2 = parse_ok(lab_node("FGT-A", "server", "10.0.0.1", "")
                                   .replace(lab_node("FGT-A", "server", "10.0.0.1", "").find("172.16.200.1"),
                                            12, "172.16.200.5"));
  EXPECT_NE(synced_checksums(a2), synced_checksums(b));
  config::Config installed;
  std::string error;
  ASSERT_TRUE(install_sections(b, {"system interface"}, synced_text(a2, {"system interface"}), &installed, &error))
      << error;
  EXPECT_EQ(synced_checksums(installed), synced_checksums(a2));
  config::NodeConfig n = config::node_config(installed);
  ASSERT_EQ(n.interfaces.size(), 3u);
  EXPECT_EQ(n.interfaces[0].name, "port1");
  EXPECT_EQ(n.interfaces[0].ip, 0xac10c805u) << "172.16.200.5";
  EXPECT_EQ(n.interfaces[1].name, "ha");
  EXPECT_NE(n.interfaces[1].device.find("role=client"), std::string::npos) << n.interfaces[1].device;
  EXPECT_EQ(n.interfaces[2].name, "mgmt");
  EXPECT_EQ(n.interfaces[2].ip, 0x0a000002u);
  EXPECT_EQ(n.interfaces[2].device, "kernel:mgmt");
}

}  // namespace
}  // namespace tandem::confsync
