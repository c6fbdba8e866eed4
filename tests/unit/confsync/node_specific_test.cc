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

}  // namespace
}  // namespace tandem::confsync
