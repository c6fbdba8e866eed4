#include "controlplane/log/traffic_log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace tandem::log {
namespace {

constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr unsigned kSeverityWarning = 4, kSeverityNotice = 5;
// FortiOS's log id of forward traffic, whatever the action.
constexpr const char* kLogIdForward = "0000000013";
// FortiOS's log id of ZTNA traffic (LOG_ID_TRAFFIC_ZTNA, as in the
// FortiGate "ZTNA in HA" example), accept and deny alike.
constexpr const char* kLogIdZtna = "0005000024";

std::string ipv4(uint32_t ip_be) {
  in_addr a{ip_be};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// FortiOS quotes strings in key=value logs and escapes " and \ inside them.
std::string quote_value(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* action_name(dp::TrafficLogAction a) {
  switch (a) {
    case dp::TrafficLogAction::kAccept: return "accept";
    case dp::TrafficLogAction::kClose: return "close";
    case dp::TrafficLogAction::kTimeout: return "timeout";
    case dp::TrafficLogAction::kClientRst: return "client-rst";
    case dp::TrafficLogAction::kServerRst: return "server-rst";
    case dp::TrafficLogAction::kDeny: return "deny";
  }
  return "unknown";
}

void append_port(std::string* o, const char* key, uint8_t index, const TrafficLogNames& n) {
  const bool known = index < n.ports.size();
  *o += std::string(" ") + key + "intf=" + quote_value(known ? n.ports[index].name : "unknown");
  *o += std::string(" ") + key + "intfrole=" +
        quote_value(known && !n.ports[index].role.empty() ? n.ports[index].role : "undefined");
}

// The common head: date ... vd.
std::string log_head(const char* logid, const char* subtype, bool warning, const TrafficLogNames& n,
                     int64_t end_wall_ns) {
  std::time_t secs = static_cast<std::time_t>(end_wall_ns / 1000000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char date[16], time[16], tz[8];
  std::strftime(date, sizeof(date), "%Y-%m-%d", &tm);
  std::strftime(time, sizeof(time), "%H:%M:%S", &tm);
  std::strftime(tz, sizeof(tz), "%z", &tm);
  std::string o;
  o.reserve(768);
  o += "date=" + std::string(date) + " time=" + time + " eventtime=" + std::to_string(end_wall_ns) +
       " tz=" + quote_value(tz) + " logid=" + quote_value(logid) + " type=\"traffic\" subtype=" +
       quote_value(subtype) + " level=" + (warning ? "\"warning\"" : "\"notice\"") + " vd=" + quote_value(n.vd);
  return o;
}

// A fixed char field of a record, up to its NUL or its end.
std::string text(const char* field, std::size_t cap) { return std::string(field, strnlen(field, cap)); }

std::string format_ztna_log(const dp::TrafficLogRecord& r, const TrafficLogNames& n, int64_t end_wall_ns) {
  const dp::TrafficLogZtna& z = r.ztna;
  const bool deny = r.action == dp::TrafficLogAction::kDeny;
  std::string o = log_head(kLogIdZtna, "ztna", deny, n, end_wall_ns);
  o += " srcip=" + ipv4(r.src_ip_be) + " srcport=" + std::to_string(r.src_port);
  append_port(&o, "src", r.src_port_index, n);
  o += " dstip=" + ipv4(r.dst_ip_be) + " dstport=" + std::to_string(r.dst_port);
  append_port(&o, "dst", r.dst_port_index, n);
  o += " sessionid=" + std::to_string(r.session_id);
  o += " service=" + quote_value(service_name(r.proto, r.dst_port));
  o += " proto=" + std::to_string(r.proto);
  o += " action=" + quote_value(deny ? "deny" : "accept");
  o += " policyid=" + std::to_string(r.policy_id) + " policytype=\"proxy-policy\"";
  if (auto it = n.proxy_policy_names.find(r.policy_id);
      r.policy_id != 0 && it != n.proxy_policy_names.end() && !it->second.empty())
    o += " policyname=" + quote_value(it->second);
  uint64_t duration_s = r.end_ms >= r.start_ms ? (r.end_ms - r.start_ms) / 1000 : 0;
  o += " duration=" + std::to_string(duration_s);
  std::string user = text(z.user, sizeof z.user);
  if (!user.empty()) o += " user=" + quote_value(user);
  const TrafficLogNames::AccessProxy* ap =
      z.proxy_index < n.access_proxies.size() ? &n.access_proxies[z.proxy_index] : nullptr;
  if (ap != nullptr && z.gateway_index < ap->gateway_ids.size())
    o += " gatewayid=" + std::to_string(ap->gateway_ids[z.gateway_index]);
  if (ap != nullptr) o += " vip=" + quote_value(ap->vip) + " accessproxy=" + quote_value(ap->name);
  std::string device = text(z.device_id, sizeof z.device_id);
  if (!device.empty()) o += " clientdeviceid=" + quote_value(device);
  std::string tags = text(z.tags, sizeof z.tags);
  if (!tags.empty()) o += " clientdevicetags=" + quote_value(tags);
  if (deny) o += " reason=" + quote_value(ztna_deny_reason(z));
  o += " wanin=" + std::to_string(z.wan_in) + " rcvdbyte=" + std::to_string(r.rcvd_bytes) +
       " wanout=" + std::to_string(z.wan_out) + " lanin=" + std::to_string(z.lan_in) +
       " sentbyte=" + std::to_string(r.sent_bytes) + " lanout=" + std::to_string(z.lan_out);
  return o;
}

}  // namespace

std::string ztna_deny_reason(const dp::TrafficLogZtna& z) {
  std::string detail = text(z.detail, sizeof z.detail);
  auto with = [&](const char* what) { return detail.empty() ? std::string(what) : std::string(what) + ": " + detail; };
  switch (z.reason) {
    case dp::ZtnaDenyReason::kNone: return "none";
    case dp::ZtnaDenyReason::kNoClientCert: return "no client certificate";
    case dp::ZtnaDenyReason::kCertVerify:
      return with("certificate verify failed") + " (X509 error " + std::to_string(z.verify_error) + ")";
    case dp::ZtnaDenyReason::kTlsHandshake: return with("tls handshake failed");
    case dp::ZtnaDenyReason::kBadRequest: return with("bad request");
    case dp::ZtnaDenyReason::kSniHostMismatch: return "sni/host mismatch";
    case dp::ZtnaDenyReason::kNoGatewayMatch: return "no gateway match";
    case dp::ZtnaDenyReason::kImplicitDeny: return "no policy match (implicit deny)";
    case dp::ZtnaDenyReason::kPolicyDeny: return "policy deny";
    case dp::ZtnaDenyReason::kBadCredentials: return "bad credentials";
    case dp::ZtnaDenyReason::kNoServerUp: return "no real server up";
    case dp::ZtnaDenyReason::kLoginBusy: return "login queue full";
  }
  return "unknown";
}

std::string service_name(uint8_t proto, uint16_t port) {
  struct Known {
    uint8_t proto;
    uint16_t port;
    const char* name;
  };
  // FortiOS's predefined services that a single port names.
  static const Known kKnown[] = {
      {kProtoTcp, 21, "FTP"},    {kProtoTcp, 22, "SSH"},     {kProtoTcp, 23, "TELNET"},
      {kProtoTcp, 25, "SMTP"},   {kProtoTcp, 53, "DNS"},     {kProtoUdp, 53, "DNS"},
      {kProtoTcp, 80, "HTTP"},   {kProtoTcp, 110, "POP3"},   {kProtoUdp, 123, "NTP"},
      {kProtoTcp, 143, "IMAP"},  {kProtoUdp, 161, "SNMP"},   {kProtoTcp, 389, "LDAP"},
      {kProtoTcp, 443, "HTTPS"}, {kProtoUdp, 514, "SYSLOG"}, {kProtoTcp, 3389, "RDP"},
  };
  if (proto == kProtoIcmp) return "PING";
  for (const Known& k : kKnown)
    if (k.proto == proto && k.port == port) return k.name;
  const char* p = proto == kProtoTcp ? "tcp" : proto == kProtoUdp ? "udp" : nullptr;
  if (p == nullptr) return "proto/" + std::to_string(proto);
  return std::string(p) + "/" + std::to_string(port);
}

std::string format_traffic_log(const dp::TrafficLogRecord& r, const TrafficLogNames& n,
                               int64_t end_wall_ns) {
  if (r.subtype == dp::TrafficLogSubtype::kZtna) return format_ztna_log(r, n, end_wall_ns);
  const bool deny = r.action == dp::TrafficLogAction::kDeny;
  std::string o = log_head(kLogIdForward, "forward", deny, n, end_wall_ns);
  o += " srcip=" + ipv4(r.src_ip_be);
  if (r.proto != kProtoIcmp) o += " srcport=" + std::to_string(r.src_port);
  append_port(&o, "src", r.src_port_index, n);
  o += " dstip=" + ipv4(r.dst_ip_be);
  if (r.proto != kProtoIcmp) o += " dstport=" + std::to_string(r.dst_port);
  append_port(&o, "dst", r.dst_port_index, n);
  // A denied flow never had a session.
  if (!deny) o += " sessionid=" + std::to_string(r.session_id);
  o += " proto=" + std::to_string(r.proto);
  o += " action=" + quote_value(action_name(r.action));
  o += " policyid=" + std::to_string(r.policy_id) + " policytype=\"policy\"";
  if (auto it = n.policy_names.find(r.policy_id); it != n.policy_names.end() && !it->second.empty())
    o += " policyname=" + quote_value(it->second);
  o += " service=" + quote_value(service_name(r.proto, r.dst_port));
  if (r.proto == kProtoIcmp) {
    char icmp[64];
    std::snprintf(icmp, sizeof(icmp), " icmpid=0x%04x icmptype=0x%02x icmpcode=0x00", r.src_port,
                  deny ? r.icmp_type : kIcmpEchoRequest);
    o += icmp;
  }
  o += " trandisp=\"noop\"";
  uint64_t duration_s = r.end_ms >= r.start_ms ? (r.end_ms - r.start_ms) / 1000 : 0;
  o += " duration=" + std::to_string(duration_s);
  o += " sentbyte=" + std::to_string(r.sent_bytes) + " rcvdbyte=" + std::to_string(r.rcvd_bytes);
  o += " sentpkt=" + std::to_string(r.sent_pkts) + " rcvdpkt=" + std::to_string(r.rcvd_pkts);
  return o;
}

const std::vector<std::string>& syslog_facilities() {
  static const std::vector<std::string> kNames = {
      "kernel", "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
      "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
      "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
  return kNames;
}

TrafficLogWriter::~TrafficLogWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (syslog_fd_ >= 0) close(syslog_fd_);
}

bool TrafficLogWriter::set_file(const std::string& path, std::string* error) {
  if (path == path_ && (file_ != nullptr || path.empty())) return true;
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  path_.clear();
  if (path.empty()) return true;
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    *error = "cannot open traffic log " + path + ": " + std::strerror(errno) +
             " (choose another directory with tandemd --log-dir)";
    return false;
  }
  path_ = path;
  return true;
}

bool TrafficLogWriter::set_syslog(const SyslogSetting& s, std::string* error) {
  if (syslog_fd_ >= 0) close(syslog_fd_);
  syslog_fd_ = -1;
  syslog_ = SyslogSetting{};
  if (!s.enabled) return true;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(s.port));
  if (inet_pton(AF_INET, s.server.c_str(), &to.sin_addr) != 1) {
    *error = "syslog server \"" + s.server + "\" is not an IPv4 address";
    return false;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    *error = "syslog to " + s.server + ":" + std::to_string(s.port) + ": " + std::strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  syslog_fd_ = fd;
  syslog_ = s;
  return true;
}

void TrafficLogWriter::write(const std::string& line) {
  ++written_;
  if (file_ != nullptr && (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) < 0))
    ++file_errors_;
  recent_.push_back(line);
  if (recent_.size() > kKeep) recent_.pop_front();
  if (syslog_fd_ >= 0) send_syslog(line);
}

void TrafficLogWriter::flush() {
  if (file_ != nullptr && std::fflush(file_) != 0) ++file_errors_;
}

// One datagram per line. RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME
// PROCID MSGID SD MSG. FortiOS's default format: <PRI> then the line with
// devname and devid after time=, which is what FortiAnalyzer-style
// collectors parse.
void TrafficLogWriter::send_syslog(const std::string& line) {
  unsigned severity = line.find(" level=\"warning\"") != std::string::npos ? kSeverityWarning
                                                                           : kSeverityNotice;
  std::string pri = "<" + std::to_string(syslog_.facility * 8 + severity) + ">";
  std::string msg;
  if (syslog_.rfc5424) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm{};
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[40];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[24];
    std::snprintf(frac, sizeof(frac), ".%06ldZ", ts.tv_nsec / 1000);
    std::string host = syslog_.hostname.empty() ? "-" : syslog_.hostname;
    msg = pri + "1 " + stamp + frac + " " + host + " tandemd " + std::to_string(getpid()) +
          " traffic - " + line;
  } else {
    msg = pri + line;
    size_t at = msg.find(" eventtime=");
    if (at != std::string::npos)
      msg.insert(at, " devname=" + quote_value(syslog_.hostname) + " devid=" + quote_value(syslog_.serial));
  }
  if (send(syslog_fd_, msg.data(), msg.size(), MSG_DONTWAIT) < 0)
    ++syslog_errors_;
  else
    ++syslog_sent_;
}

}  // namespace tandem::log
