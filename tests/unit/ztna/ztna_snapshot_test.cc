// The daemon's ZTNA translation: a parsed config becomes the proxy-policy
// pools, user credentials and TLS settings the workers read.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/config/config.h"
#include "controlplane/daemon/ztna_snapshot.h"
#include "dataplane/tls/tls.h"
#include "dataplane/user/user_password.h"

#include <unistd.h>

namespace tandem::daemon {
namespace {

// A fresh directory of test certificates (tests/tls/make-certs.sh, named
// by TANDEM_MAKE_CERTS) under the temp dir; "" (and a failure) when it
// cannot be made.
std::string make_certs(const char* tag) {
  const char* script = std::getenv("TANDEM_MAKE_CERTS");
  if (script == nullptr) {
    ADD_FAILURE() << "TANDEM_MAKE_CERTS unset";
    return "";
  }
  std::string dir = std::filesystem::temp_directory_path() / (std::string(tag) + "-" + std::to_string(::getpid()));
  if (std::system((std::string(script) + " " + dir + " >/dev/null 2>&1").c_str()) != 0) {
    ADD_FAILURE() << script << " " << dir << " failed";
    return "";
  }
  return dir;
}

// What the one-VIP tests start with: port2, the VIP's certificate (srv, the
// files under dir) and VIP v1 on 10.1.100.1:443.
std::string one_vip(const std::string& dir) {
  return "config system interface\n edit port2\n  set device af_xdp:veth2\n  set ip 10.1.100.1/24\n next\nend\n"
         "config vpn certificate local\n edit srv\n  set certificate " + dir + "/server.pem\n  set private-key " +
         dir + "/server.key\n next\nend\n"
         "config firewall vip\n edit v1\n  set type access-proxy\n  set extip 10.1.100.1\n  set extport 443\n"
         "  set ssl-certificate srv\n next\nend\n";
}

constexpr std::string_view kConfig =
    "config system interface\n"
    " edit port1\n  set device af_xdp:veth1\n  set ip 172.16.200.1/24\n next\n"
    " edit port2\n  set device af_xdp:veth2\n  set ip 10.1.100.1/24\n next\n"
    "end\n"
    "config firewall address\n edit lan\n  set subnet 10.1.100.0/24\n next\nend\n"
    "config vpn certificate ca\n edit ca1\n  set ca /etc/ca1.pem\n next\nend\n"
    "config vpn certificate local\n edit srv\n  set certificate /etc/srv.pem\n  set private-key /etc/srv.key\n next\nend\n"
    "config vpn certificate crl\n edit crl1\n  set crl /etc/crl1.pem\n next\nend\n"
    "config user local\n edit u1\n  set passwd pw1\n next\n edit u2\n  set passwd pw2\n  set status disable\n next\nend\n"
    "config user group\n edit g\n  set member u2\n next\nend\n"
    "config firewall vip\n"
    " edit v1\n  set type access-proxy\n  set extip 10.1.100.1\n  set extport 443\n  set ssl-certificate srv\n next\n"
    " edit v2\n  set type access-proxy\n  set extip 10.1.100.1\n  set extport 8443\n  set ssl-certificate srv\n next\n"
    "end\n"
    "config firewall access-proxy\n"
    " edit p1\n  set vip v1\n  set client-cert-ca ca1\n next\n"
    " edit p2\n  set vip v2\n  set client-cert disable\n next\n"
    "end\n"
    "config firewall proxy-policy\n"
    " edit 10\n  set proxy access-proxy\n  set access-proxy p2 p1\n  set srcintf port2\n  set srcaddr lan\n"
    "  set users u1\n  set groups g\n  set ztna-ems-tag managed corp\n  set ztna-tags-match-logic and\n"
    "  set action accept\n next\n"
    " edit 11\n  set proxy access-proxy\n  set access-proxy p2\n  set srcintf any\n  set srcaddr none\n next\n"
    "end\n";

TEST(ZtnaSnapshot, PoliciesUsersAndTls) {
  config::ParseResult r = config::parse(kConfig, "node.conf");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  config::NodeConfig node = config::node_config(r.config);
  std::vector<DataPortRef> ports = {{"port1", 0, {}, true}, {"port2", 1, {}, true}};
  auto policies = std::make_unique<dp::ZtnaPolicyConf>();
  auto users = std::make_unique<dp::ZtnaUserDb>();
  std::string error;
  ASSERT_TRUE(build_ztna(node.ztna, ports, policies.get(), users.get(), &error)) << error;

  ASSERT_EQ(policies->nb_policies, 2u);
  const dp::ZtnaPolicy& p = policies->policies[0];
  EXPECT_EQ(p.id, 10u);
  EXPECT_EQ(p.proxy_mask, 0b11u);
  EXPECT_EQ(p.srcintf_mask, 1u << 1);
  ASSERT_EQ(p.src_count, 1u);
  EXPECT_EQ(policies->addrs[p.src_index].lo, 0x0a016400u);
  EXPECT_EQ(policies->addrs[p.src_index].hi, 0x0a0164ffu);
  EXPECT_EQ(p.dst_count, 0u);  // any
  ASSERT_EQ(p.user_count, 2u);  // u1 and g's member u2
  EXPECT_EQ(std::string(policies->names[p.user_index + 1].text, policies->names[p.user_index + 1].len), "u2");
  ASSERT_EQ(p.tag_count, 2u);
  EXPECT_TRUE(p.tags_all);
  EXPECT_TRUE(p.accept);
  const dp::ZtnaPolicy& q = policies->policies[1];
  EXPECT_EQ(q.proxy_mask, 0b10u);
  EXPECT_EQ(q.srcintf_mask, UINT32_MAX);
  ASSERT_EQ(q.src_count, 1u);  // "none": one empty range, not "any"
  EXPECT_GT(policies->addrs[q.src_index].lo, policies->addrs[q.src_index].hi);
  EXPECT_FALSE(q.accept);

  ASSERT_EQ(users->count, 2u);
  EXPECT_TRUE(users->users[0].enabled);
  EXPECT_TRUE(dp::user_password_verify(users->users[0].hash, "pw1"));
  EXPECT_FALSE(users->users[1].enabled);

  dp::tls::ServerConfig tls;
  ASSERT_TRUE(tls_server_config(node.ztna.access_proxies[0], &tls, &error)) << error;
  EXPECT_STREQ(tls.certificate_file, "/etc/srv.pem");
  EXPECT_STREQ(tls.private_key_file, "/etc/srv.key");
  ASSERT_EQ(tls.ca_count, 1u);
  EXPECT_STREQ(tls.ca_files[0], "/etc/ca1.pem");
  ASSERT_EQ(tls.crl_count, 1u);
  EXPECT_TRUE(tls.client_cert);
  EXPECT_FALSE(tls.empty_cert_accept);
  EXPECT_STREQ(tls.session_id_context, "p1");
  ASSERT_TRUE(tls_server_config(node.ztna.access_proxies[1], &tls, &error)) << error;
  EXPECT_FALSE(tls.client_cert);
}

TEST(ZtnaSnapshot, TooLongTagIsAnError) {
  config::ZtnaConfig z;
  config::ZtnaProxyPolicy p{};
  p.ems_tags = {std::string(65, 't')};
  z.policies.push_back(p);
  auto policies = std::make_unique<dp::ZtnaPolicyConf>();
  auto users = std::make_unique<dp::ZtnaUserDb>();
  std::string error;
  EXPECT_FALSE(build_ztna(z, {}, policies.get(), users.get(), &error));
  EXPECT_NE(error.find("longer than 64 bytes"), std::string::npos) << error;
}

// The runtime loads the proxies' files: a proxy whose file is missing is
// off, with a message naming the proxy and the path, so the operator knows
// what to fix; it keeps its index (policies name proxies by it).
TEST(ZtnaSnapshot, RuntimeNamesTheProxyAndFileItCannotLoad) {
  config::ParseResult r = config::parse(kConfig, "node.conf");
  ASSERT_TRUE(r.ok());
  config::NodeConfig node = config::node_config(r.config);
  dp::tls::TicketKeyRing ring;
  ASSERT_TRUE(dp::tls::ticket_ring_rotate(&ring));
  std::string error;
  std::vector<std::string> off;
  auto rt = build_ztna_runtime(node.ztna, {}, 2, ring, &error, nullptr, &off);
  ASSERT_NE(rt, nullptr) << error;
  ASSERT_EQ(rt->nb_proxies, 2u);
  EXPECT_TRUE(rt->proxies[0].off);
  EXPECT_TRUE(rt->proxies[1].off);
  EXPECT_EQ(rt->nb_servers, 0u);
  ASSERT_EQ(off.size(), 2u);
  EXPECT_NE(off[0].find("access-proxy \"p1\""), std::string::npos) << off[0];
  EXPECT_NE(off[0].find("/etc/srv.pem"), std::string::npos) << off[0];
  EXPECT_NE(off[1].find("access-proxy \"p2\""), std::string::npos) << off[1];
}

// One proxy with a certificate that does not load does not take the
// others down: p1 is off, p2 (real files) has its contexts and servers.
TEST(ZtnaSnapshot, AProxyThatCannotLoadItsFilesLeavesTheOthersServing) {
  const std::string dir = make_certs("ztna-off");
  ASSERT_FALSE(dir.empty());
  std::string gateway =
      "  config api-gateway\n   edit 1\n    set url-map /\n"
      "    config realservers\n     edit 1\n      set ip 172.16.200.209\n      set health-check enable\n"
      "     next\n    end\n   next\n  end\n";
  std::string text =
      "config system interface\n edit port2\n  set device af_xdp:veth2\n  set ip 10.1.100.1/24\n next\nend\n"
      "config vpn certificate local\n"
      " edit broken\n  set certificate " + dir + "/missing.pem\n  set private-key " + dir + "/server.key\n next\n"
      " edit srv\n  set certificate " + dir + "/server.pem\n  set private-key " + dir + "/server.key\n next\n"
      "end\n"
      "config firewall vip\n"
      " edit v1\n  set type access-proxy\n  set extip 10.1.100.1\n  set extport 443\n"
      "  set ssl-certificate broken\n next\n"
      " edit v2\n  set type access-proxy\n  set extip 10.1.100.1\n  set extport 8443\n"
      "  set ssl-certificate srv\n next\n"
      "end\n"
      "config firewall access-proxy\n"
      " edit p1\n  set vip v1\n  set client-cert disable\n" + gateway + " next\n"
      " edit p2\n  set vip v2\n  set client-cert disable\n" + gateway + " next\n"
      "end\n";
  config::ParseResult r = config::parse(text, "node.conf");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  config::NodeConfig node = config::node_config(r.config);
  dp::tls::TicketKeyRing ring;
  ASSERT_TRUE(dp::tls::ticket_ring_rotate(&ring));
  std::string error;
  std::vector<std::string> off;
  auto rt = build_ztna_runtime(node.ztna, {{"port2", 0, {}, true}}, 2, ring, &error, nullptr, &off);
  std::filesystem::remove_all(dir);
  ASSERT_NE(rt, nullptr) << error;
  ASSERT_EQ(rt->nb_proxies, 2u);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_NE(off[0].find("access-proxy \"p1\""), std::string::npos) << off[0];
  EXPECT_NE(off[0].find("missing.pem"), std::string::npos) << off[0];
  const dp::ZtnaProxyRuntime& p1 = rt->proxies[0];
  const dp::ZtnaProxyRuntime& p2 = rt->proxies[1];
  EXPECT_TRUE(p1.off);
  EXPECT_EQ(p1.nb_gateways, 0u);
  EXPECT_FALSE(p2.off);
  EXPECT_EQ(p2.port, 8443);
  EXPECT_NE(p2.tls[0].native(), nullptr);
  EXPECT_NE(p2.tls[1].native(), nullptr);
  ASSERT_EQ(p2.nb_gateways, 1u);
  ASSERT_EQ(p2.gateways[0].nb_servers, 1u);
  // p1's server was rolled back: p2's is the only one probed, index 0.
  EXPECT_EQ(rt->nb_servers, 1u);
  EXPECT_EQ(p2.gateways[0].servers[0].index, 0u);
}

// With real files (tests/tls/make-certs.sh): one context per worker and
// proxy, the VIPs, and the first gateway's active real servers.
TEST(ZtnaSnapshot, RuntimeHasContextsPerWorkerAndTheRealServers) {
  const std::string dir = make_certs("ztna-rt");
  ASSERT_FALSE(dir.empty());
  std::string text =
      one_vip(dir) + "config firewall address\n edit lan\n  set subnet 10.1.100.0/24\n next\nend\n"
      "config vpn certificate ca\n edit ca1\n  set ca " + dir + "/ca.pem\n next\nend\n"
      "config firewall access-proxy\n edit p1\n  set vip v1\n  set client-cert-ca ca1\n"
      "  config api-gateway\n   edit 1\n    set url-map /\n    set ldb-method round-robin\n"
      "    set virtual-host Api.Example.com\n    set service http\n"
      "    config realservers\n     edit 1\n      set ip 172.16.200.209\n      set port 80\n     next\n"
      "     edit 2\n      set ip 172.16.200.210\n      set status standby\n     next\n"
      "     edit 4\n      set ip 172.16.200.212\n      set status disable\n     next\n"
      "     edit 3\n      set ip 172.16.200.211\n      set port 8080\n      set weight 7\n"
      "      set health-check enable\n      set health-check-proto ping\n      set holddown-interval enable\n"
      "     next\n    end\n   next\n"
      "   edit 2\n    set url-map /w\n    set ldb-method weighted\n    set realserver-ca ca1\n"
      "    config realservers\n     edit 1\n      set ip 172.16.200.213\n      set verify-cert enable\n"
      "     next\n    end\n   next\n"
      "  end\n next\nend\n";
  config::ParseResult r = config::parse(text, "node.conf");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  config::NodeConfig node = config::node_config(r.config);
  dp::tls::TicketKeyRing ring;
  ASSERT_TRUE(dp::tls::ticket_ring_rotate(&ring));
  std::string error;
  auto rt = build_ztna_runtime(node.ztna, {{"port2", 0, {}, true}}, 2, ring, &error);
  std::filesystem::remove_all(dir);
  ASSERT_NE(rt, nullptr) << error;
  ASSERT_EQ(rt->nb_proxies, 1u);
  const dp::ZtnaProxyRuntime& p = rt->proxies[0];
  EXPECT_EQ(p.ip, 0x0a016401u);
  EXPECT_EQ(p.port, 443);
  EXPECT_STREQ(p.realm, "p1");
  EXPECT_EQ(p.conf.policies, &rt->policies);
  EXPECT_EQ(p.conf.users, &rt->users);
  ASSERT_GE(p.nb_gateways, 1u);
  EXPECT_EQ(p.url_map.match("/anything", 0), 0);  // url-map "/" (sub-string) takes every path
  const dp::ZtnaGatewayRuntime& g = p.gateways[0];
  EXPECT_EQ(g.method, dp::ZtnaLdbMethod::kRoundRobin);
  EXPECT_FALSE(g.https);
  EXPECT_EQ(std::string(g.virtual_host, g.virtual_host_len), "Api.Example.com");
  ASSERT_EQ(g.nb_servers, 3u);  // the disabled one is left out
  EXPECT_EQ(g.servers[0].ip, 0xac10c8d1u);
  EXPECT_EQ(g.servers[0].port, 80);
  EXPECT_FALSE(g.servers[0].standby);
  EXPECT_FALSE(g.servers[0].health_check);
  EXPECT_EQ(g.servers[0].weight, 1);
  EXPECT_EQ(g.servers[1].ip, 0xac10c8d2u);
  EXPECT_TRUE(g.servers[1].standby);
  EXPECT_EQ(g.servers[2].ip, 0xac10c8d3u);
  EXPECT_EQ(g.servers[2].port, 8080);
  EXPECT_EQ(g.servers[2].weight, 7);
  EXPECT_TRUE(g.servers[2].health_check);
  EXPECT_TRUE(g.servers[2].holddown);
  EXPECT_TRUE(g.servers[2].health_ping);
  EXPECT_FALSE(g.servers[2].health_http);
  EXPECT_FALSE(g.servers[0].holddown);
  // Where a probe of each server finds its gateway (an http probe over TLS).
  EXPECT_EQ(g.servers[2].proxy, 0u);
  EXPECT_EQ(g.servers[2].gateway, 0u);
  EXPECT_FALSE(g.servers[2].https);
  // The second gateway: weighted, service https (the schema's default),
  // and its server's health index follows the first gateway's three.
  const dp::ZtnaGatewayRuntime& w = p.gateways[1];
  EXPECT_EQ(w.method, dp::ZtnaLdbMethod::kWeighted);
  EXPECT_TRUE(w.https);
  EXPECT_EQ(w.virtual_host_len, 0u);
  EXPECT_EQ(w.servers[0].port, 443);
  EXPECT_EQ(w.servers[0].index, 3u);
  EXPECT_TRUE(w.servers[0].verify_cert);
  EXPECT_TRUE(w.servers[0].https);
  EXPECT_EQ(w.servers[0].gateway, 1u);
  EXPECT_TRUE(rt->servers[3].https);  // the health table's copy
  EXPECT_FALSE(g.servers[0].verify_cert);
  EXPECT_EQ(rt->nb_servers, 4u);
  // A verifying client context per worker for gateway 2 only (its CA),
  // and the plain one every https server without verify-cert uses.
  EXPECT_EQ(p.gateway_tls[0][0].native(), nullptr);
  ASSERT_NE(p.gateway_tls[1][0].native(), nullptr);
  EXPECT_TRUE(p.gateway_tls[1][1].verifies());
  EXPECT_NE(rt->upstream_tls[0].native(), nullptr);
  EXPECT_FALSE(rt->upstream_tls[0].verifies());
  EXPECT_NE(p.tls[0].native(), nullptr);
  EXPECT_NE(p.tls[1].native(), nullptr);
  EXPECT_NE(p.tls[0].native(), p.tls[1].native());  // one SSL_CTX per worker
  EXPECT_EQ(p.tls[2].native(), nullptr);
  EXPECT_EQ(rt->refs.load(), 0u);
}

// addr-type fqdn: every address the name resolved to is a server of its own,
// with the entry's port and weight; addresses after a name's first take only
// the slots the gateway's later entries leave, so a long answer never pushes
// a configured server out, and a name that does not resolve has none.
TEST(ZtnaSnapshot, EveryAddressOfAHostNameIsAServer) {
  const std::string dir = make_certs("ztna-fqdn");
  ASSERT_FALSE(dir.empty());
  std::string text =
      one_vip(dir) + "config firewall address\n edit be\n  set type fqdn\n  set fqdn backend.example\n next\n"
      " edit nowhere\n  set type fqdn\n  set fqdn nowhere.invalid\n next\nend\n"
      "config firewall access-proxy\n edit p1\n  set vip v1\n  set client-cert disable\n"
      "  config api-gateway\n   edit 1\n    set url-map /\n    set ldb-method weighted\n    set service http\n"
      "    config realservers\n     edit 1\n      set addr-type fqdn\n      set address be\n      set port 8080\n"
      "      set weight 3\n     next\n"
      "     edit 2\n      set addr-type fqdn\n      set address nowhere\n     next\n"
      "     edit 3\n      set ip 172.16.200.9\n      set port 80\n     next\n"
      "    end\n   next\n  end\n next\nend\n";
  config::ParseResult r = config::parse(text, "node.conf");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  config::NodeConfig node = config::node_config(r.config);
  auto& servers = node.ztna.access_proxies.at(0).api_gateways.at(0).realservers;
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].fqdn, "backend.example");
  EXPECT_EQ(servers[0].ip, 0u);
  // What tandemd's resolver fills in (Node::ztna_resolved): three addresses
  // for the first name, none for the second.
  servers[0].fqdn_ips = {0xac10c801u, 0xac10c802u, 0xac10c803u};
  dp::tls::TicketKeyRing ring;
  ASSERT_TRUE(dp::tls::ticket_ring_rotate(&ring));
  std::string error;
  auto rt = build_ztna_runtime(node.ztna, {{"port2", 0, {}, true}}, 1, ring, &error);
  ASSERT_NE(rt, nullptr) << error;
  const dp::ZtnaGatewayRuntime& g = rt->proxies[0].gateways[0];
  ASSERT_EQ(g.nb_servers, 4u);
  for (unsigned k = 0; k < 3; ++k) {
    EXPECT_EQ(g.servers[k].ip, 0xac10c801u + k);
    EXPECT_EQ(g.servers[k].id, 1u);
    EXPECT_EQ(g.servers[k].port, 8080);
    EXPECT_EQ(g.servers[k].weight, 3);
    EXPECT_EQ(g.servers[k].index, k);  // each its own health state
  }
  EXPECT_EQ(g.servers[3].ip, 0xac10c809u);
  EXPECT_EQ(g.servers[3].id, 3u);
  EXPECT_EQ(rt->nb_servers, 4u);

  // Twenty addresses: the name gets the 15 slots the static server leaves.
  servers[0].fqdn_ips.clear();
  for (uint32_t k = 0; k < 20; ++k) servers[0].fqdn_ips.push_back(0x0a000001u + k);
  rt = build_ztna_runtime(node.ztna, {{"port2", 0, {}, true}}, 1, ring, &error);
  std::filesystem::remove_all(dir);
  ASSERT_NE(rt, nullptr) << error;
  const dp::ZtnaGatewayRuntime& full = rt->proxies[0].gateways[0];
  ASSERT_EQ(full.nb_servers, dp::kMaxZtnaRealServers);
  EXPECT_EQ(full.servers[14].ip, 0x0a000001u + 14);
  EXPECT_EQ(full.servers[15].ip, 0xac10c809u);  // the configured server kept its place
}

// url-map: api-gateways in table order, each with its type; the first that
// matches a path wins, and a path none matches gets no gateway.
TEST(ZtnaSnapshot, UrlMapsPickTheFirstMatchingGatewayInTableOrder) {
  const std::string dir = make_certs("ztna-um");
  ASSERT_FALSE(dir.empty());
  auto gateway = [](int id, const char* map, const char* type, int port) {
    return "   edit " + std::to_string(id) + "\n    set url-map \"" + map + "\"\n    set url-map-type " + type +
           "\n    config realservers\n     edit 1\n      set ip 172.16.200.209\n      set port " +
           std::to_string(port) + "\n     next\n    end\n   next\n";
  };
  std::string text =
      one_vip(dir) + "config vpn certificate ca\n edit ca1\n  set ca " + dir + "/ca.pem\n next\nend\n"
      "config firewall access-proxy\n edit p1\n  set vip v1\n  set client-cert-ca ca1\n  config api-gateway\n" +
      gateway(10, "/api/", "sub-string", 81) + gateway(20, "/img/*.png", "wildcard", 82) +
      gateway(30, "^/r[0-9]+$", "regex", 83) + gateway(40, "/api/v2", "sub-string", 84) +
      "  end\n next\nend\n";
  config::ParseResult r = config::parse(text, "node.conf");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  config::NodeConfig node = config::node_config(r.config);
  dp::tls::TicketKeyRing ring;
  ASSERT_TRUE(dp::tls::ticket_ring_rotate(&ring));
  std::string error;
  auto rt = build_ztna_runtime(node.ztna, {{"port2", 0, {}, true}}, 2, ring, &error);
  std::filesystem::remove_all(dir);
  ASSERT_NE(rt, nullptr) << error;
  const dp::ZtnaProxyRuntime& p = rt->proxies[0];
  ASSERT_EQ(p.nb_gateways, 4u);
  EXPECT_EQ(p.gateways[3].servers[0].port, 84);
  for (unsigned worker : {0u, 1u}) {
    EXPECT_EQ(p.url_map.match("/api/v1/users", worker), 0);
    EXPECT_EQ(p.url_map.match("/api/v2/users", worker), 0) << "table order: the first match wins";
    EXPECT_EQ(p.url_map.match("/img/logo.png", worker), 1);
    EXPECT_EQ(p.url_map.match("/img/logo.png.txt", worker), -1) << "wildcard matches the whole path";
    EXPECT_EQ(p.url_map.match("/r42", worker), 2);
    EXPECT_EQ(p.url_map.match("/r42x", worker), -1);
    EXPECT_EQ(p.url_map.match("/", worker), -1);
  }
}

}  // namespace
// The idle limits reach the runtime in milliseconds (docs/ztna.md "Timeouts").
TEST(ZtnaSnapshot, RuntimeCarriesTheTimeouts) {
  config::ParseResult r = config::parse(
      "config system global\n set ztna-keepalive-timeout 9\n set ztna-idle-timeout 12\nend\n", "node.conf");
  ASSERT_TRUE(r.ok());
  dp::tls::TicketKeyRing ring;
  ASSERT_TRUE(dp::tls::ticket_ring_rotate(&ring));
  std::string error;
  auto rt = build_ztna_runtime(config::node_config(r.config).ztna, {}, 1, ring, &error);
  ASSERT_NE(rt, nullptr) << error;
  EXPECT_EQ(rt->keepalive_ms, 9'000u);
  EXPECT_EQ(rt->idle_ms, 12'000u);
}

}  // namespace tandem::daemon
