// controlplane/log: the key=value line FortiOS writes for forward traffic,
// what reaches the file and a syslog server, and the `config log` objects.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/config.h"
#include "controlplane/config/node_config.h"
#include "controlplane/log/traffic_log.h"

namespace tandem::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

uint32_t be(const char* ip) {
  in_addr a{};
  inet_pton(AF_INET, ip, &a);
  return a.s_addr;
}

// 2022-03-23 11:49:57 UTC, the reference's date.
constexpr int64_t kEndNs = 1648036197548444970;

dp::TrafficLogRecord http_close() {
  dp::TrafficLogRecord r{};
  r.src_ip_be = be("10.1.100.22");
  r.dst_ip_be = be("172.16.200.209");
  r.src_port = 45826;
  r.dst_port = 80;
  r.proto = 6;
  r.start_ms = 5'000;
  r.end_ms = 17'500;
  r.sent_bytes = 2093;
  r.rcvd_bytes = 5753;
  r.sent_pkts = 9;
  r.rcvd_pkts = 8;
  r.session_id = 0x1000002a;
  r.policy_id = 1;
  r.src_port_index = 1;
  r.dst_port_index = 0;
  r.action = dp::TrafficLogAction::kClose;
  return r;
}

TrafficLogNames names() {
  TrafficLogNames n;
  n.ports = {{"port1", "wan"}, {"port2", ""}};
  n.policy_names[1] = "lan-to-servers";
  return n;
}

class TrafficLog : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(TrafficLog, ForwardCloseReadsLikeFortiOs) {
  std::string line = format_traffic_log(http_close(), names(), kEndNs);
  EXPECT_EQ(line,
            "date=2022-03-23 time=11:49:57 eventtime=1648036197548444970 tz=\"+0000\" "
            "logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" "
            "vd=\"root\" srcip=10.1.100.22 srcport=45826 srcintf=\"port2\" "
            "srcintfrole=\"undefined\" dstip=172.16.200.209 dstport=80 dstintf=\"port1\" "
            "dstintfrole=\"wan\" sessionid=268435498 proto=6 action=\"close\" policyid=1 "
            "policytype=\"policy\" policyname=\"lan-to-servers\" service=\"HTTP\" "
            "trandisp=\"noop\" duration=12 sentbyte=2093 rcvdbyte=5753 sentpkt=9 rcvdpkt=8");
}

// The reference's ZTNA line (FortiGate ZTNA in HA), with Tandem's fields.
dp::TrafficLogRecord ztna_accept() {
  dp::TrafficLogRecord r{};
  r.subtype = dp::TrafficLogSubtype::kZtna;
  r.action = dp::TrafficLogAction::kAccept;
  r.src_ip_be = be("10.1.100.22");
  r.dst_ip_be = be("172.16.200.209");
  r.src_port = 45826;
  r.dst_port = 443;
  r.proto = 6;
  r.start_ms = 1'000;
  r.end_ms = 6'200;
  r.session_id = 4786;
  r.policy_id = 1;
  r.src_port_index = 1;
  r.dst_port_index = 0;
  r.sent_bytes = 1511;
  r.rcvd_bytes = 2024;
  dp::TrafficLogZtna& z = r.ztna;
  z.lan_in = 1511;
  z.lan_out = 1075;
  z.wan_in = 2024;
  z.wan_out = 1325;
  z.proxy_index = 0;
  z.gateway_index = 0;
  std::strcpy(z.user, "localuser1");
  std::strcpy(z.device_id, "device-0001");
  std::strcpy(z.tags, "managed/corp");
  return r;
}

TrafficLogNames ztna_names() {
  TrafficLogNames n = names();
  n.proxy_policy_names[1] = "ztna";
  n.access_proxies.push_back({"ztna-proxy", "ztna-vip", {7}});
  return n;
}

TEST_F(TrafficLog, ZtnaAcceptReadsLikeFortiOs) {
  EXPECT_EQ(format_traffic_log(ztna_accept(), ztna_names(), kEndNs),
            "date=2022-03-23 time=11:49:57 eventtime=1648036197548444970 tz=\"+0000\" "
            "logid=\"0005000024\" type=\"traffic\" subtype=\"ztna\" level=\"notice\" vd=\"root\" "
            "srcip=10.1.100.22 srcport=45826 srcintf=\"port2\" srcintfrole=\"undefined\" "
            "dstip=172.16.200.209 dstport=443 dstintf=\"port1\" dstintfrole=\"wan\" sessionid=4786 "
            "service=\"HTTPS\" proto=6 action=\"accept\" policyid=1 policytype=\"proxy-policy\" "
            "policyname=\"ztna\" duration=5 user=\"localuser1\" gatewayid=7 vip=\"ztna-vip\" "
            "accessproxy=\"ztna-proxy\" clientdeviceid=\"device-0001\" clientdevicetags=\"managed/corp\" "
            "wanin=2024 rcvdbyte=2024 wanout=1325 lanin=1511 sentbyte=1511 lanout=1075");
}

TEST_F(TrafficLog, ZtnaDenyNamesItsReason) {
  dp::TrafficLogRecord r = ztna_accept();
  r.action = dp::TrafficLogAction::kDeny;
  r.policy_id = 0;
  r.ztna.gateway_index = dp::kZtnaNoGateway;
  r.ztna.reason = dp::ZtnaDenyReason::kCertVerify;
  r.ztna.verify_error = 23;
  std::strcpy(r.ztna.detail, "certificate revoked");
  r.ztna.user[0] = '\0';
  std::string line = format_traffic_log(r, ztna_names(), kEndNs);
  EXPECT_THAT(line, HasSubstr(" level=\"warning\" "));
  EXPECT_THAT(line, HasSubstr(" action=\"deny\" policyid=0 policytype=\"proxy-policy\" duration="));
  EXPECT_THAT(line, HasSubstr(" reason=\"certificate verify failed: certificate revoked (X509 error 23)\" "));
  EXPECT_THAT(line, Not(HasSubstr("gatewayid=")));
  EXPECT_THAT(line, Not(HasSubstr("user=")));
  EXPECT_THAT(line, Not(HasSubstr("policyname=")));
  struct Case {
    dp::ZtnaDenyReason why;
    const char* text;
  };
  for (const Case& c : {Case{dp::ZtnaDenyReason::kNoClientCert, "no client certificate"},
                        Case{dp::ZtnaDenyReason::kSniHostMismatch, "sni/host mismatch"},
                        Case{dp::ZtnaDenyReason::kNoGatewayMatch, "no gateway match"},
                        Case{dp::ZtnaDenyReason::kImplicitDeny, "no policy match (implicit deny)"},
                        Case{dp::ZtnaDenyReason::kPolicyDeny, "policy deny"},
                        Case{dp::ZtnaDenyReason::kBadCredentials, "bad credentials"},
                        Case{dp::ZtnaDenyReason::kNoServerUp, "no real server up"},
                        Case{dp::ZtnaDenyReason::kLoginBusy, "login queue full"}}) {
    r.ztna.reason = c.why;
    r.ztna.detail[0] = '\0';
    EXPECT_THAT(format_traffic_log(r, ztna_names(), kEndNs),
                HasSubstr(std::string(" reason=\"") + c.text + "\" "));
  }
}

TEST_F(TrafficLog, TimeZoneShapesDateTimeAndTz) {
  setenv("TZ", "America/Los_Angeles", 1);
  tzset();
  std::string line = format_traffic_log(http_close(), names(), kEndNs);
  EXPECT_THAT(line, StartsWith("date=2022-03-23 time=04:49:57 eventtime=1648036197548444970 "
                               "tz=\"-0700\" "));
}

TEST_F(TrafficLog, IcmpDenyAndUnknownNames) {
  dp::TrafficLogRecord r = http_close();
  r.proto = 1;
  r.src_port = r.dst_port = 0x55;
  std::string ping = format_traffic_log(r, names(), kEndNs);
  EXPECT_THAT(ping, Not(HasSubstr("srcport=")));
  EXPECT_THAT(ping, HasSubstr(" service=\"PING\" icmpid=0x0055 icmptype=0x08 icmpcode=0x00 "));

  dp::TrafficLogRecord d = http_close();
  d.action = dp::TrafficLogAction::kDeny;
  d.dst_port = 8080;
  d.policy_id = 4;  // no name
  d.dst_port_index = 9;  // not a port the names know
  std::string deny = format_traffic_log(d, names(), kEndNs);
  EXPECT_THAT(deny, HasSubstr(" level=\"warning\" "));
  EXPECT_THAT(deny, HasSubstr(" action=\"deny\" policyid=4 policytype=\"policy\" service=\"tcp/8080\" "));
  EXPECT_THAT(deny, HasSubstr(" dstintf=\"unknown\" dstintfrole=\"undefined\" "));
  EXPECT_THAT(deny, Not(HasSubstr("sessionid=")));
  EXPECT_THAT(deny, Not(HasSubstr("policyname=")));

  TrafficLogNames quoting = names();
  quoting.policy_names[1] = "say \"hi\"";
  EXPECT_THAT(format_traffic_log(http_close(), quoting, kEndNs),
              HasSubstr(" policyname=\"say \\\"hi\\\"\" "));
}

TEST_F(TrafficLog, ActionsAndServices) {
  dp::TrafficLogRecord r = http_close();
  for (auto [a, text] : {std::pair{dp::TrafficLogAction::kAccept, "accept"},
                         std::pair{dp::TrafficLogAction::kTimeout, "timeout"},
                         std::pair{dp::TrafficLogAction::kClientRst, "client-rst"},
                         std::pair{dp::TrafficLogAction::kServerRst, "server-rst"}}) {
    r.action = a;
    EXPECT_THAT(format_traffic_log(r, names(), kEndNs),
                HasSubstr(std::string(" action=\"") + text + "\" "));
  }
  EXPECT_EQ(service_name(6, 443), "HTTPS");
  EXPECT_EQ(service_name(17, 53), "DNS");
  EXPECT_EQ(service_name(17, 5201), "udp/5201");
  EXPECT_EQ(service_name(47, 0), "proto/47");
}

// A UDP socket on loopback plays the syslog server.
class SyslogServer {
 public:
  SyslogServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~SyslogServer() { close(fd_); }
  unsigned port() const { return port_; }
  std::string receive() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
  unsigned port_ = 0;
};

TEST_F(TrafficLog, FileRecentLinesAndBothSyslogFormats) {
  auto dir = std::filesystem::temp_directory_path() / ("tandem-log-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  TrafficLogWriter w;
  std::string err;
  ASSERT_TRUE(w.set_file((dir / "sub" / "traffic.log").string(), &err)) << err;

  SyslogServer server;
  SyslogSetting s;
  s.enabled = true;
  s.server = "127.0.0.1";
  s.port = server.port();
  s.facility = 23;  // local7
  s.hostname = "tandem-a";
  s.serial = "TDM-A";
  ASSERT_TRUE(w.set_syslog(s, &err)) << err;

  std::string line = format_traffic_log(http_close(), names(), kEndNs);
  w.write(line);
  std::string legacy = server.receive();
  EXPECT_THAT(legacy, StartsWith("<189>date=2022-03-23 time=11:49:57 devname=\"tandem-a\" "
                                 "devid=\"TDM-A\" eventtime="));  // local7.notice
  s.rfc5424 = true;
  ASSERT_TRUE(w.set_syslog(s, &err)) << err;
  dp::TrafficLogRecord d = http_close();
  d.action = dp::TrafficLogAction::kDeny;
  w.write(format_traffic_log(d, names(), kEndNs));
  std::string modern = server.receive();
  EXPECT_THAT(modern, ::testing::MatchesRegex(
                          "<188>1 [0-9-]+T[0-9:.]+Z tandem-a tandemd [0-9]+ traffic - date=.*"));
  EXPECT_EQ(w.syslog_sent(), 2u);
  w.flush();

  std::ifstream f(dir / "sub" / "traffic.log");
  std::string first, second, third;
  ASSERT_TRUE(std::getline(f, first));
  ASSERT_TRUE(std::getline(f, second));
  EXPECT_FALSE(std::getline(f, third));
  EXPECT_EQ(first, line);
  EXPECT_THAT(second, HasSubstr("action=\"deny\""));
  ASSERT_EQ(w.recent().size(), 2u);
  EXPECT_EQ(w.recent().front(), line);

  s.server = "not-an-ip";
  EXPECT_FALSE(w.set_syslog(s, &err));
  EXPECT_THAT(err, HasSubstr("not an IPv4 address"));
  EXPECT_FALSE(w.set_file("/proc/no-such-dir/traffic.log", &err));
  EXPECT_THAT(err, HasSubstr("--log-dir"));
  std::filesystem::remove_all(dir);
}

TEST_F(TrafficLog, ConfigObjects) {
  config::ParseResult r = config::parse(
      "config log syslogd setting\n"
      "    set status enable\n"
      "    set server 10.0.0.9\n"
      "    set facility local3\n"
      "    set format rfc5424\n"
      "end\n"
      "config log disk setting\n"
      "    set status disable\n"
      "end\n",
      "test");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  config::NodeConfig n = config::node_config(r.config);
  EXPECT_FALSE(n.log.disk);
  EXPECT_TRUE(n.log.syslog);
  EXPECT_EQ(n.log.syslog_server, 0x0a000009u);
  EXPECT_EQ(n.log.syslog_port, 514u);
  EXPECT_EQ(n.log.syslog_facility, "local3");
  EXPECT_TRUE(n.log.syslog_rfc5424);
  EXPECT_EQ(syslog_facilities()[19], "local3");

  config::ParseResult defaults = config::parse("", "test");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(config::node_config(defaults.config).log.disk);
  EXPECT_FALSE(config::node_config(defaults.config).log.syslog);

  config::ParseResult bad =
      config::parse("config log syslogd setting\n    set status enable\nend\n", "test");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.errors[0].to_string(), HasSubstr("status enable needs a server"));
}

}  // namespace
}  // namespace tandem::log
