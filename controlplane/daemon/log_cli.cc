// Traffic logs on the control loop: the workers' records (dataplane/log)
// drained every turn of Node::run, formatted and written by
// controlplane/log; `execute log display` and `execute log filter
// view-lines` as in FortiOS.
#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/node.h"
#include "dataplane/log/log.h"

namespace tandem::daemon {
namespace {

// Records taken per control-loop turn: a burst of ends cannot hold the
// heartbeats back for long, and the rings (kLogRingSize per worker) absorb
// the rest until the next turn.
constexpr unsigned kDrainPerTurn = 512;
constexpr unsigned kViewLinesMin = 5, kViewLinesMax = 1000;  // FortiOS's range

// `execute log filter field <name> <value>`: the line has name=value or
// name="value" as a whole field.
bool line_has_field(const std::string& line, const std::string& name, const std::string& value) {
  for (const std::string& v : {value, "\"" + value + "\""}) {
    std::string f = " " + name + "=" + v;
    for (size_t at = line.find(f); at != std::string::npos; at = line.find(f, at + 1)) {
      size_t end = at + f.size();
      if (end == line.size() || line[end] == ' ') return true;
    }
  }
  return false;
}

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Node::configure_traffic_log() {
  // Local time in log lines follows `set timezone` (a TZ name such as
  // "Europe/Paris"); empty: the process's own (UTC in the lab).
  if (node_.global.timezone != log_timezone_) {
    log_timezone_ = node_.global.timezone;
    if (log_timezone_.empty())
      unsetenv("TZ");
    else
      setenv("TZ", log_timezone_.c_str(), 1);
    tzset();
  }
  std::string err;
  if (!traffic_log_.set_file(node_.log.disk ? options_.log_dir + "/traffic.log" : "", &err))
    event_log().log(Severity::kError, "traffic log: %s", err.c_str());
  log::SyslogSetting s;
  s.enabled = node_.log.syslog;
  in_addr a{htonl(node_.log.syslog_server)};
  char ip[INET_ADDRSTRLEN];
  s.server = inet_ntop(AF_INET, &a, ip, sizeof(ip));
  s.port = node_.log.syslog_port;
  const auto& names = log::syslog_facilities();
  s.facility = static_cast<unsigned>(
      std::find(names.begin(), names.end(), node_.log.syslog_facility) - names.begin());
  s.rfc5424 = node_.log.syslog_rfc5424;
  s.hostname = node_.global.hostname;
  s.serial = serial_;
  if (!traffic_log_.set_syslog(s, &err))
    event_log().log(Severity::kError, "traffic log: %s", err.c_str());
}

void Node::drain_traffic_log() {
  if (dataplane_ == nullptr) return;
  dp::TrafficLogRecord recs[kDrainPerTurn];
  uint64_t dp_now_ms = 0;
  unsigned n = dp::dataplane_log_drain(dataplane_, recs, kDrainPerTurn, &dp_now_ms);
  if (n == 0) return;
  log::TrafficLogNames names;
  for (const auto& p : ports_) {
    if (p.data_index < 0) continue;
    if (names.ports.size() <= static_cast<size_t>(p.data_index))
      names.ports.resize(static_cast<size_t>(p.data_index) + 1);
    const config::InterfaceConfig* ifc = node_.interface(p.name);
    names.ports[static_cast<size_t>(p.data_index)] = {p.name, ifc != nullptr ? ifc->role : ""};
  }
  for (const auto& pol : node_.policies) names.policy_names[pol.id] = pol.name;
  for (const auto& pol : node_.ztna.policies) names.proxy_policy_names[pol.id] = pol.name;
  for (const auto& ap : node_.ztna.access_proxies) {
    log::TrafficLogNames::AccessProxy& out = names.access_proxies.emplace_back();
    out.name = ap.name;
    out.vip = ap.vip;
    for (const auto& gw : ap.api_gateways) out.gateway_ids.push_back(gw.id);
  }
  // Record times are the dataplane's clock; the wall clock is now minus
  // how long ago that was.
  int64_t wall_ns = wall_now_ns();
  for (unsigned i = 0; i < n; ++i) {
    uint64_t ago_ms = dp_now_ms > recs[i].end_ms ? dp_now_ms - recs[i].end_ms : 0;
    traffic_log_.write(log::format_traffic_log(recs[i], names,
                                               wall_ns - static_cast<int64_t>(ago_ms) * 1000000));
  }
  traffic_log_.flush();
}

std::vector<cli::Command> Node::log_commands() {
  using cli::Args;
  using cli::Reply;
  return {
      {"execute log display", "", "the newest traffic logs, newest first (see view-lines)",
       [this](const Args&) {
         const auto& recent = traffic_log_.recent();
         std::vector<const std::string*> found;
         for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
           bool keep = true;
           for (const auto& [name, value] : log_filter_fields_) keep = keep && line_has_field(*it, name, value);
           if (keep) found.push_back(&*it);
         }
         size_t shown = std::min<size_t>(log_view_lines_, found.size());
         std::string out = std::to_string(found.size()) + " logs found.\n" +
                           std::to_string(shown) + " logs returned.\n\n";
         for (size_t i = 0; i < shown; ++i) out += std::to_string(i + 1) + ": " + *found[i] + "\n";
         return Reply{true, out};
       }},
      {"execute log filter field", "<name> <value>",
       "show only logs whose field <name> is <value> (e.g. subtype ztna); again for more fields",
       [this](const Args& a) {
         for (auto& f : log_filter_fields_) {
           if (f.first == a[0]) {
             f.second = a[1];
             return Reply{true, ""};
           }
         }
         log_filter_fields_.emplace_back(a[0], a[1]);
         return Reply{true, ""};
       },
       2, 2},
      {"execute log filter reset", "", "clear the field filters and view-lines",
       [this](const Args&) {
         log_filter_fields_.clear();
         log_view_lines_ = 10;
         return Reply{true, ""};
       }},
      {"execute log filter view-lines", "<5-1000>", "how many logs `execute log display` shows",
       [this](const Args& a) {
         unsigned long v = 0;
         if (!cli::parse_number(a[0], kViewLinesMax, &v) || v < kViewLinesMin)
           return Reply::error("view-lines takes a number from 5 to 1000 (got \"" + a[0] + "\")");
         log_view_lines_ = static_cast<unsigned>(v);
         return Reply{true, ""};
       },
       1, 1},
      {"diagnose log traffic stat", "",
       "traffic log records made, dropped and written; file and syslog state",
       [this](const Args&) {
         dp::TrafficLogCounters c{};
         if (dataplane_ != nullptr) c = dp::dataplane_log_counters(dataplane_);
         std::string out =
             "records: " + std::to_string(c.records) + "\n" +
             "dropped (ring full): " + std::to_string(c.dropped) + "\n" +
             "deny logs suppressed (over " + std::to_string(dp::kDenyLogsPerSecond) +
             "/s per worker): " + std::to_string(c.suppressed) + "\n" +
             "written: " + std::to_string(traffic_log_.written()) + "\n" +
             "file: " + (traffic_log_.path().empty() ? "disabled" : traffic_log_.path()) +
             " (errors " + std::to_string(traffic_log_.file_errors()) + ")\n" +
             "syslog: " + (node_.log.syslog ? "sent " + std::to_string(traffic_log_.syslog_sent()) +
                                                  ", errors " +
                                                  std::to_string(traffic_log_.syslog_errors())
                                            : std::string("disabled")) +
             "\n";
         return Reply{true, out};
       }},
  };
}

}  // namespace tandem::daemon
