// The ZTNA objects: their cross-reference validation, the resolved
// NodeConfig view, and the hashed user passwords.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/node_config.h"
#include "controlplane/config/value.h"
#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using testing::error_lines;
using testing::parse_errors;
using testing::show_text;

// The example of docs/ztna.md, verbatim.
constexpr std::string_view kDocsExample =
    "config system interface\n"
    "    edit \"port2\"\n"
    "        set device \"af_xdp:veth2\"\n"
    "        set ip 10.1.100.1 255.255.255.0\n"
    "    next\n"
    "end\n"
    "config firewall address\n"
    "    edit \"lan\"\n"
    "        set subnet 10.1.100.0 255.255.255.0\n"
    "    next\n"
    "end\n"
    "config vpn certificate ca\n"
    "    edit \"ems-ca\"\n"
    "        set ca \"/etc/tandem/ems-ca.pem\"\n"
    "    next\n"
    "end\n"
    "config vpn certificate local\n"
    "    edit \"ztna-server\"\n"
    "        set certificate \"/etc/tandem/ztna-server.pem\"\n"
    "        set private-key \"/etc/tandem/ztna-server.key\"\n"
    "    next\n"
    "end\n"
    "config vpn certificate crl\n"
    "    edit \"ems-crl\"\n"
    "        set crl \"/etc/tandem/ems.crl\"\n"
    "    next\n"
    "end\n"
    "config user local\n"
    "    edit \"localuser1\"\n"
    "        set passwd \"s3cret\"\n"
    "    next\n"
    "    edit \"localuser2\"\n"
    "        set passwd \"other\"\n"
    "    next\n"
    "end\n"
    "config user group\n"
    "    edit \"ztna-users\"\n"
    "        set member \"localuser2\"\n"
    "    next\n"
    "end\n"
    "config user setting\n"
    "    set auth-timeout 10\n"
    "end\n"
    "config firewall vip\n"
    "    edit \"ztna-vip\"\n"
    "        set type access-proxy\n"
    "        set extip 10.1.100.1\n"
    "        set extintf \"port2\"\n"
    "        set extport 443\n"
    "        set ssl-certificate \"ztna-server\"\n"
    "    next\n"
    "end\n"
    "config firewall access-proxy\n"
    "    edit \"ztna-proxy\"\n"
    "        set vip \"ztna-vip\"\n"
    "        set client-cert enable\n"
    "        set empty-cert-action block\n"
    "        set client-cert-ca \"ems-ca\"\n"
    "        config api-gateway\n"
    "            edit 1\n"
    "                set url-map \"/\"\n"
    "                set service http\n"
    "                config realservers\n"
    "                    edit 1\n"
    "                        set ip 172.16.200.209\n"
    "                        set port 80\n"
    "                    next\n"
    "                end\n"
    "            next\n"
    "        end\n"
    "    next\n"
    "end\n"
    "config firewall proxy-policy\n"
    "    edit 1\n"
    "        set name \"ztna-web\"\n"
    "        set proxy access-proxy\n"
    "        set access-proxy \"ztna-proxy\"\n"
    "        set srcintf \"port2\"\n"
    "        set srcaddr \"lan\"\n"
    "        set users \"localuser1\"\n"
    "        set groups \"ztna-users\"\n"
    "        set action accept\n"
    "        set logtraffic all\n"
    "    next\n"
    "end\n";

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }

// The docs example with one line replaced (the first occurrence of from).
std::string example_with(std::string_view from, std::string_view to) {
  std::string text(kDocsExample);
  std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ConfigZtna, DocsExampleResolves) {
  ParseResult r = parse(kDocsExample, "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  NodeConfig n = node_config(r.config);
  ASSERT_EQ(n.ztna.access_proxies.size(), 1u);
  const ZtnaAccessProxy& a = n.ztna.access_proxies[0];
  EXPECT_EQ(a.vip, "ztna-vip");
  EXPECT_EQ(a.ip, ip(10, 1, 100, 1));
  EXPECT_EQ(a.port, 443);
  EXPECT_EQ(a.extintf, "port2");
  EXPECT_EQ(a.server_certificate.certificate, "/etc/tandem/ztna-server.pem");
  EXPECT_EQ(a.server_certificate.private_key, "/etc/tandem/ztna-server.key");
  EXPECT_TRUE(a.client_cert);
  EXPECT_FALSE(a.empty_cert_accept);
  EXPECT_THAT(a.client_ca_files, ElementsAre("/etc/tandem/ems-ca.pem"));
  EXPECT_THAT(a.crl_files, ElementsAre("/etc/tandem/ems.crl"));
  ASSERT_EQ(a.api_gateways.size(), 1u);
  EXPECT_EQ(a.api_gateways[0].url_map, "/");
  EXPECT_EQ(a.api_gateways[0].url_map_type, "sub-string");
  EXPECT_EQ(a.api_gateways[0].service, "http");
  ASSERT_EQ(a.api_gateways[0].realservers.size(), 1u);
  EXPECT_EQ(a.api_gateways[0].realservers[0].ip, ip(172, 16, 200, 209));
  EXPECT_EQ(a.api_gateways[0].realservers[0].port, 80);
  EXPECT_EQ(a.api_gateways[0].realservers[0].status, "active");

  ASSERT_EQ(n.ztna.policies.size(), 1u);
  const ZtnaProxyPolicy& p = n.ztna.policies[0];
  EXPECT_EQ(p.id, 1u);
  EXPECT_THAT(p.access_proxies, ElementsAre("ztna-proxy"));
  EXPECT_THAT(p.src, ElementsAre(AddrRange{ip(10, 1, 100, 0), ip(10, 1, 100, 255)}));
  EXPECT_THAT(p.dst, IsEmpty());
  EXPECT_THAT(p.users, ElementsAre("localuser1", "localuser2"));  // groups flattened
  EXPECT_THAT(p.groups, ElementsAre("ztna-users"));
  EXPECT_TRUE(p.accept);
  EXPECT_TRUE(p.log);
  EXPECT_FALSE(p.tags_match_all);

  EXPECT_EQ(n.ztna.auth_timeout_s, 600u);
  EXPECT_FALSE(n.ztna.auth_timeout_hard);
  ASSERT_EQ(n.ztna.users.size(), 2u);
  EXPECT_TRUE(verify_user_password(n.ztna.users[0].password_hash, "s3cret"));
  EXPECT_FALSE(verify_user_password(n.ztna.users[0].password_hash, "s3creT"));
  EXPECT_TRUE(verify_user_password(n.ztna.users[1].password_hash, "other"));
}

// The proxy's idle limits (docs/ztna.md "Timeouts"): keep-alive 75 s by
// default; the relay's idle timeout follows system session-ttl unless
// ztna-idle-timeout names its own.
TEST(ConfigZtna, TimeoutsDefaultAndFollowSessionTtl) {
  NodeConfig n = node_config(parse(kDocsExample, "node.conf").config);
  EXPECT_EQ(n.ztna.keepalive_timeout_s, 75u);
  EXPECT_EQ(n.ztna.idle_timeout_s, 3600u);
  std::string ttl = std::string(kDocsExample) + "config system session-ttl\n    set default 7200\nend\n";
  ParseResult r = parse(ttl, "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  EXPECT_EQ(node_config(r.config).ztna.idle_timeout_s, 7200u);
  r = parse(ttl + "config system global\n    set ztna-keepalive-timeout 5\n    set ztna-idle-timeout 30\nend\n",
            "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  n = node_config(r.config);
  EXPECT_EQ(n.ztna.keepalive_timeout_s, 5u);
  EXPECT_EQ(n.ztna.idle_timeout_s, 30u);
  EXPECT_FALSE(parse(std::string(kDocsExample) + "config system global\n    set ztna-keepalive-timeout 0\nend\n",
                     "node.conf")
                   .ok());
}

TEST(ConfigZtna, PasswordIsStoredHashedAndShowParsesBack) {
  ParseResult r = parse(kDocsExample, "node.conf");
  ASSERT_TRUE(r.ok());
  std::string shown = show_text(r.config, "user local");
  EXPECT_THAT(shown, Not(HasSubstr("s3cret")));
  EXPECT_THAT(shown, HasSubstr("set passwd ENC PB2$10000$"));
  ParseResult again = parse(show_text(r.config), "show");
  ASSERT_THAT(error_lines(again), IsEmpty());
  EXPECT_EQ(again.config, r.config);
  EXPECT_TRUE(verify_user_password(node_config(again.config).ztna.users[0].password_hash, "s3cret"));
}

TEST(ConfigZtna, SamePasswordHashesDifferently) {
  std::string a = hash_user_password("pw", 1), b = hash_user_password("pw", 1);
  EXPECT_NE(a, b);  // the salt is random
  EXPECT_TRUE(verify_user_password(a, "pw"));
  EXPECT_TRUE(verify_user_password(b, "pw"));
  EXPECT_THAT(a, StartsWith("PB2$1$"));
}

TEST(ConfigZtna, MalformedPasswordHashesAreRefused) {
  for (std::string_view bad : {"PB2$10000$AAAA$AAAA", "PB1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "PB2$0$x$y",
                               "PB2$1$AAAAAAAAAAAAAAAAAAAAAA==", "plain"}) {
    EXPECT_FALSE(valid_user_password_hash(bad)) << bad;
    EXPECT_FALSE(verify_user_password(bad, "")) << bad;
  }
  EXPECT_THAT(parse_errors("config user local\n edit u\n  set passwd ENC PB2$1$x$y\n next\nend\n"),
              ElementsAre(HasSubstr("node.conf:3:18: error: invalid password hash")));
}

TEST(ConfigZtna, VipMustBeAnAccessProxyVipWithCertificate) {
  EXPECT_THAT(parse_errors(example_with("        set vip \"ztna-vip\"\n", "        set vip \"ztna-vp\"\n")),
              ElementsAre("node.conf:55:17: error: vip \"ztna-vp\" is not a VIP in \"config firewall vip\" (did you mean "
                          "\"ztna-vip\"?)"));
  EXPECT_THAT(parse_errors(example_with("        set type access-proxy\n", "")),
              ElementsAre(HasSubstr("type static-nat is not supported yet"),
                          HasSubstr("vip \"ztna-vip\" is not of type access-proxy")));
  EXPECT_THAT(parse_errors(example_with("        set ssl-certificate \"ztna-server\"\n",
                                        "        set ssl-certificate \"ztna-srv\"\n")),
              ElementsAre(HasSubstr("ssl-certificate \"ztna-srv\" is not a certificate in \"config vpn certificate "
                                    "local\"")));
  EXPECT_THAT(parse_errors(example_with("        set extport 443\n", "")),
              ElementsAre(HasSubstr("firewall vip \"ztna-vip\" needs extport")));
}

TEST(ConfigZtna, TwoProxiesMayNotShareAVip) {
  std::string text = example_with("config firewall proxy-policy\n",
                                  "config firewall access-proxy\n edit \"second\"\n  set vip \"ztna-vip\"\n"
                                  "  set client-cert disable\n next\nend\nconfig firewall proxy-policy\n");
  EXPECT_THAT(parse_errors(text),
              ElementsAre(HasSubstr("vip \"ztna-vip\" is already used by access-proxy \"ztna-proxy\"")));
}

TEST(ConfigZtna, ClientCertNeedsAnExistingCa) {
  EXPECT_THAT(parse_errors(example_with("        set client-cert-ca \"ems-ca\"\n", "")),
              ElementsAre(HasSubstr("verifies client certificates but names no CA")));
  EXPECT_THAT(parse_errors(example_with("        set client-cert-ca \"ems-ca\"\n", "        set client-cert-ca \"x\"\n")),
              ElementsAre(HasSubstr("client-cert-ca \"x\" is not a CA certificate")));
  EXPECT_THAT(parse_errors(example_with("        set client-cert-ca \"ems-ca\"\n", "        set client-cert disable\n")),
              IsEmpty());
}

// service https with verify-cert: the gateway's realserver-ca resolves to
// its PEM path and must name a CA; without one the system's CAs verify.
TEST(ConfigZtna, VerifyCertUsesTheRealserverCaElseTheSystemCas) {
  const std::string service = "                set service http\n";
  const std::string port = "                        set port 80\n";
  std::string text = example_with(service, "                set service https\n"
                                           "                set realserver-ca \"ems-ca\"\n");
  text = text.replace(text.find(port), port.size(), port + "                        set verify-cert enable\n");
  ParseResult r = parse(text, "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  NodeConfig n = node_config(r.config);
  const ZtnaApiGateway& g = n.ztna.access_proxies.at(0).api_gateways.at(0);
  EXPECT_EQ(g.service, "https");
  EXPECT_THAT(g.realserver_ca_files, ElementsAre("/etc/tandem/ems-ca.pem"));
  EXPECT_TRUE(g.realservers.at(0).verify_cert);
  std::string no_ca = example_with(service, "                set service https\n");
  no_ca = no_ca.replace(no_ca.find(port), port.size(), port + "                        set verify-cert enable\n");
  // No realserver-ca: the system's CA certificates (the daemon loads them).
  ParseResult system = parse(no_ca, "node.conf");
  ASSERT_THAT(error_lines(system), IsEmpty());
  NodeConfig sn = node_config(system.config);
  const ZtnaApiGateway& sg = sn.ztna.access_proxies.at(0).api_gateways.at(0);
  EXPECT_THAT(sg.realserver_ca_files, IsEmpty());
  EXPECT_TRUE(sg.realservers.at(0).verify_cert);
  EXPECT_THAT(parse_errors(example_with(service, "                set realserver-ca \"ems\"\n")),
              ElementsAre(HasSubstr("realserver-ca \"ems\" is not a CA certificate in \"config vpn certificate ca\" "
                                    "(did you mean \"ems-ca\"?)")));
}

TEST(ConfigZtna, HealthCheckProtoHttpOnHttpAndHttpsGatewaysAndPing) {
  const std::string port = "                        set port 80\n";
  const std::string http_probe = port + "                        set health-check enable\n"
                                        "                        set health-check-proto http\n";
  std::string text(kDocsExample);
  text = text.replace(text.find(port), port.size(), http_probe);
  ParseResult r = parse(text, "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  const NodeConfig n = node_config(r.config);
  const ZtnaRealServer& rs = n.ztna.access_proxies.at(0).api_gateways.at(0).realservers.at(0);
  EXPECT_TRUE(rs.health_check);
  EXPECT_TRUE(rs.health_http);
  EXPECT_FALSE(rs.holddown);  // holddown-interval disable, FortiOS's default
  EXPECT_FALSE(rs.health_ping);
  std::string ping(kDocsExample);
  ping = ping.replace(ping.find(port), port.size(),
                      port + "                        set health-check enable\n"
                             "                        set health-check-proto ping\n");
  ParseResult pr = parse(ping, "node.conf");
  ASSERT_THAT(error_lines(pr), IsEmpty());
  const NodeConfig pn = node_config(pr.config);
  const ZtnaRealServer& pg = pn.ztna.access_proxies.at(0).api_gateways.at(0).realservers.at(0);
  EXPECT_TRUE(pg.health_ping);
  EXPECT_FALSE(pg.health_http);
  std::string https = example_with("                set service http\n", "                set service https\n");
  https = https.replace(https.find(port), port.size(), http_probe);
  // service https: the probe's GET / goes over TLS (docs/ztna.md).
  ParseResult t = parse(https, "node.conf");
  ASSERT_THAT(error_lines(t), IsEmpty());
  EXPECT_TRUE(node_config(t.config).ztna.access_proxies.at(0).api_gateways.at(0).realservers.at(0).health_http);
  // The default is the TCP connect.
  ParseResult d = parse(std::string(kDocsExample), "node.conf");
  EXPECT_FALSE(node_config(d.config).ztna.access_proxies.at(0).api_gateways.at(0).realservers.at(0).health_http);
}

TEST(ConfigZtna, PolicyNamesMustExist) {
  EXPECT_THAT(parse_errors(example_with("        set users \"localuser1\"\n", "        set users \"localuser3\"\n")),
              ElementsAre("node.conf:80:19: error: users \"localuser3\" is not a user in \"config user local\" (did "
                          "you mean \"localuser1\"?)"));
  EXPECT_THAT(parse_errors(example_with("        set groups \"ztna-users\"\n", "        set groups \"nobody\"\n")),
              ElementsAre(HasSubstr("groups \"nobody\" is not a user group")));
  EXPECT_THAT(parse_errors(example_with("        set srcaddr \"lan\"\n", "        set srcaddr \"lam\"\n")),
              ElementsAre(HasSubstr("srcaddr \"lam\" is not an address, addrgrp or built-in address (did you mean "
                                    "\"lan\"?)")));
  EXPECT_THAT(parse_errors(example_with("        set access-proxy \"ztna-proxy\"\n", "")),
              ElementsAre("node.conf:74:5: error: proxy-policy 1 needs access-proxy while status is enable"));
  EXPECT_THAT(parse_errors(example_with("        set proxy access-proxy\n", "")),
              ElementsAre(HasSubstr("proxy explicit-web is not supported (set proxy access-proxy)")));
  EXPECT_THAT(parse_errors(example_with("        set member \"localuser2\"\n", "        set member \"localuser9\"\n")),
              ElementsAre(HasSubstr("member \"localuser9\" is not a user in \"config user local\"")));
}

TEST(ConfigZtna, EntriesNeedTheirFilesAndAddresses) {
  EXPECT_THAT(parse_errors(example_with("        set ca \"/etc/tandem/ems-ca.pem\"\n", "")),
              ElementsAre(HasSubstr("vpn certificate ca \"ems-ca\" needs ca")));
  EXPECT_THAT(parse_errors(example_with("        set private-key \"/etc/tandem/ztna-server.key\"\n", "")),
              ElementsAre(HasSubstr("vpn certificate local \"ztna-server\" needs private-key")));
  EXPECT_THAT(parse_errors(example_with("                        set ip 172.16.200.209\n", "")),
              ElementsAre(HasSubstr("realserver 1 of api-gateway 1 needs an ip")));
  EXPECT_THAT(parse_errors(example_with("        set passwd \"s3cret\"\n", "")),
              ElementsAre(HasSubstr("user local \"localuser1\" needs a passwd while status is enable")));
}

// addr-type fqdn: the server is named by a firewall address of type fqdn;
// tandemd resolves it (controlplane/daemon/fqdn.h).
TEST(ConfigZtna, RealServerByFqdn) {
  const std::string kIp = "                        set ip 172.16.200.209\n";
  const std::string kBackend =
      "config firewall address\n"
      "    edit \"backend\"\n"
      "        set type fqdn\n"
      "        set fqdn \"backend.lab.internal\"\n"
      "    next\n"
      "end\n";
  auto with_fqdn = [&](std::string_view address_conf, std::string_view server) {
    return std::string(address_conf) + example_with(kIp, server);
  };
  ParseResult r = parse(with_fqdn(kBackend, "                        set addr-type fqdn\n"
                                            "                        set address \"backend\"\n"),
                        "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  const NodeConfig n = node_config(r.config);
  const ZtnaRealServer& rs = n.ztna.access_proxies.at(0).api_gateways.at(0).realservers.at(0);
  EXPECT_EQ(rs.fqdn, "backend.lab.internal");
  EXPECT_EQ(rs.ip, 0u);
  EXPECT_EQ(rs.port, 80);
  // addr-type ip (the default) keeps its address and no name.
  ParseResult d = parse(std::string(kDocsExample), "node.conf");
  EXPECT_EQ(node_config(d.config).ztna.access_proxies.at(0).api_gateways.at(0).realservers.at(0).fqdn, "");

  EXPECT_THAT(parse_errors(with_fqdn(kBackend, "                        set addr-type fqdn\n")),
              ElementsAre(HasSubstr("realserver 1 of api-gateway 1 has addr-type fqdn and needs an address")));
  EXPECT_THAT(parse_errors(with_fqdn(kBackend, "                        set addr-type fqdn\n"
                                               "                        set address \"backnd\"\n")),
              ElementsAre(HasSubstr("address \"backnd\" is not in \"config firewall address\" (did you mean "
                                    "\"backend\"?)")));
  EXPECT_THAT(parse_errors(with_fqdn("", "                        set addr-type fqdn\n"
                                         "                        set address \"lan\"\n")),
              ElementsAre(HasSubstr("address \"lan\" is not of type fqdn")));
  std::string no_name = kBackend;
  no_name.replace(no_name.find("        set fqdn"), std::string("        set fqdn \"backend.lab.internal\"\n").size(), "");
  EXPECT_THAT(parse_errors(with_fqdn(no_name, "                        set addr-type fqdn\n"
                                              "                        set address \"backend\"\n")),
              ElementsAre(HasSubstr("address \"backend\" of type fqdn needs a host name")));
  for (const char* bad : {"-lead.example", "a..b", "under_score.example", "x.", ""}) {
    std::string conf = kBackend;
    conf.replace(conf.find("backend.lab.internal"), std::string("backend.lab.internal").size(), bad);
    auto errors = parse_errors(with_fqdn(conf, kIp));
    if (std::string(bad) == "x.") {
      EXPECT_THAT(errors, IsEmpty()) << "a trailing dot is a valid absolute name";
    } else {
      EXPECT_THAT(errors, ElementsAre(HasSubstr("of type fqdn needs a host name"))) << bad;
    }
  }
  // A name matches nothing in a policy yet: refused there, not matched as 0.0.0.0/0.
  EXPECT_THAT(parse_errors(std::string(kBackend) +
                           example_with("        set srcaddr \"lan\"\n", "        set srcaddr \"backend\"\n")),
              ElementsAre(HasSubstr("srcaddr \"backend\" is an address of type fqdn")));
  EXPECT_THAT(parse_errors(std::string(kBackend) + "config firewall addrgrp\n    edit \"g\"\n        set member "
                                                   "\"backend\"\n    next\nend\n" +
                           std::string(kDocsExample)),
              ElementsAre(HasSubstr("member \"backend\" is an address of type fqdn")));
}

// Found when the file is read, not later when the daemon compiles the
// generation's database (which would turn the whole proxy off).
TEST(ConfigZtna, UrlMapMustCompile) {
  const std::string kMap = "                set url-map \"/\"\n";
  EXPECT_THAT(parse_errors(example_with(kMap, "                set url-map \"/api/(v1\"\n"
                                              "                set url-map-type regex\n")),
              ElementsAre(HasSubstr("url-map \"/api/(v1\" of api-gateway 1 (access-proxy \"ztna-proxy\") "
                                    "does not compile as url-map-type regex: ")));
  // Hyperscan has no back-references: a PCRE-valid pattern it cannot take.
  EXPECT_THAT(parse_errors(example_with(kMap, "                set url-map \"/(a)\\\\1\"\n"
                                              "                set url-map-type regex\n")),
              ElementsAre(HasSubstr("does not compile as url-map-type regex")));
  // The same text as a sub-string or a wildcard is a literal: fine.
  EXPECT_THAT(parse_errors(example_with(kMap, "                set url-map \"/api/(v1\"\n")), IsEmpty());
  EXPECT_THAT(parse_errors(example_with(kMap, "                set url-map \"/api/(v1*\"\n"
                                              "                set url-map-type wildcard\n")),
              IsEmpty());
  EXPECT_THAT(parse_errors(example_with(kMap, "                set url-map \"^/api/v[0-9]+/\"\n"
                                              "                set url-map-type regex\n")),
              IsEmpty());
}

}  // namespace
}  // namespace tandem::config
