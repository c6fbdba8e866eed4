// FortiOS traffic logs on the control plane: formats the workers'
// TrafficLogRecords (dataplane/log) as key=value lines, appends them to the
// node's traffic log file, keeps the newest for `execute log display`, and
// sends them to a syslog server when `config log syslogd setting` says so.
// tandemd's control loop is the only caller; workers never format or write.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "dataplane/log/log_types.h"

namespace tandem::log {

// What a record holds only as an index or an id.
struct TrafficLogNames {
  struct Port {
    std::string name, role;  // interface name; FortiOS role (lan, wan, dmz, undefined)
  };
  std::vector<Port> ports;                     // by snapshot port index
  std::map<uint32_t, std::string> policy_names;  // policy id -> `set name` (may be empty)
  std::map<uint32_t, std::string> proxy_policy_names;  // proxy-policy id -> `set name`
  struct AccessProxy {
    std::string name, vip;
    std::vector<unsigned> gateway_ids;  // api-gateway ids in table order
  };
  std::vector<AccessProxy> access_proxies;  // by snapshot index
  std::string vd = "root";
};

// One line, without a newline: date= time= eventtime= tz= logid= type=
// subtype= level= vd= srcip= ... as FortiOS writes forward traffic logs,
// or, for a subtype kZtna record, ZTNA traffic logs (docs/logs.md).
// end_wall_ns is the wall-clock time of record.end_ms; the local time and
// tz come from the process's time zone (TZ, `set timezone`).
std::string format_traffic_log(const dp::TrafficLogRecord& r, const TrafficLogNames& names,
                               int64_t end_wall_ns);

// The `reason` of a ZTNA deny ("no client certificate", "certificate
// verify failed: certificate revoked", ...).
std::string ztna_deny_reason(const dp::TrafficLogZtna& z);

// FortiOS's service name for a port the way the log shows it: a predefined
// service's name (HTTP, HTTPS, DNS, PING, ...) or "tcp/8080".
std::string service_name(uint8_t proto, uint16_t dst_port);

struct SyslogSetting {
  bool enabled = false;
  std::string server;       // dotted IPv4
  unsigned port = 514;
  unsigned facility = 23;   // local7
  bool rfc5424 = false;     // format rfc5424; else FortiOS's default "<PRI>key=value"
  std::string hostname;     // HOSTNAME of RFC 5424, devname of the default format
  std::string serial;       // devid of the default format
};

// Facility names of `config log syslogd setting` (kern ... local7), in code order.
const std::vector<std::string>& syslog_facilities();

class TrafficLogWriter {
 public:
  static constexpr size_t kKeep = 1000;  // lines kept for `execute log display`

  TrafficLogWriter() = default;
  ~TrafficLogWriter();
  TrafficLogWriter(const TrafficLogWriter&) = delete;
  TrafficLogWriter& operator=(const TrafficLogWriter&) = delete;

  // Appends to `path` from now on (creating its directory); "" stops disk
  // logging. False with *error when the file cannot be opened.
  bool set_file(const std::string& path, std::string* error);
  // A new syslog target (or none). False with *error for a bad server.
  bool set_syslog(const SyslogSetting& s, std::string* error);

  void write(const std::string& line);
  void flush();

  const std::deque<std::string>& recent() const { return recent_; }
  uint64_t written() const { return written_; }
  uint64_t syslog_sent() const { return syslog_sent_; }
  uint64_t syslog_errors() const { return syslog_errors_; }
  uint64_t file_errors() const { return file_errors_; }
  const std::string& path() const { return path_; }

 private:
  void send_syslog(const std::string& line);

  std::string path_;
  std::FILE* file_ = nullptr;
  SyslogSetting syslog_;
  int syslog_fd_ = -1;
  std::deque<std::string> recent_;
  uint64_t written_ = 0, syslog_sent_ = 0, syslog_errors_ = 0, file_errors_ = 0;
};

}  // namespace tandem::log
