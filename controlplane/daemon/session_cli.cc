// `diagnose sys session list|filter|clear|stat`: the FortiOS session
// commands over the workers' session tables (read and cleared on the owning
// worker through its mailbox, never from the control lcore directly).
#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "controlplane/daemon/node.h"
#include "dataplane/session/session.h"

namespace tandem::daemon {
namespace {

// A list larger than this is cut, with the total said: the CLI socket is
// not the way to export a million sessions.
constexpr unsigned kMaxListed = 20'000;

dp::SessionFilter to_dp(uint32_t src_be, uint32_t dst_be, uint16_t sport, uint16_t dport,
                        uint8_t proto, uint32_t policy_id) {
  dp::SessionFilter f{};
  f.src_be = src_be;
  f.dst_be = dst_be;
  f.sport = sport;
  f.dport = dport;
  f.proto = proto;
  f.policy_id = policy_id;
  return f;
}

}  // namespace

std::vector<cli::Command> Node::session_commands() {
  using cli::Args;
  return {
      {"diagnose sys session list", "", "sessions matching the filter, in FortiOS form",
       [this](const Args&) { return cmd_session_list(); }},
      {"diagnose sys session filter", "[src|dst|sport|dport|proto|policy <value> | clear]",
       "show or set the session filter used by list and clear",
       [this](const Args& a) { return cmd_session_filter(a); }, 2, 0},
      {"diagnose sys session clear", "", "delete the sessions matching the filter",
       [this](const Args&) { return cmd_session_clear(); }},
      {"diagnose sys session stat", "", "session counts by state, setup rate, drops by reason",
       [this](const Args&) { return cmd_session_stat(); }},
  };
}

cli::Reply Node::cmd_session_list() {
  const auto& f = session_filter_;
  dp::SessionFilter filter = to_dp(f.src_be, f.dst_be, f.sport, f.dport, f.proto, f.policy_id);
  std::vector<dp::SessionView> views(kMaxListed);
  unsigned total = 0;
  int n = dp::dataplane_session_list(dataplane_, filter, views.data(), kMaxListed, &total,
                                     kCliWorkerTimeoutMs);
  if (n < 0) {
    return cli::Reply::error(std::string("session list: ") +
                             (n == -ETIMEDOUT ? "a worker did not answer within 2 s"
                                              : std::strerror(-n)));
  }
  std::string out;
  char buf[2048];
  for (int i = 0; i < n; ++i) {
    size_t len = dp::format_session(views[static_cast<size_t>(i)], buf, sizeof(buf));
    out.append(buf, std::min(len, sizeof(buf) - 1));
    out += "\n";
  }
  if (total > static_cast<unsigned>(n)) {
    out += "(" + std::to_string(total - static_cast<unsigned>(n)) +
           " more not listed; narrow the filter with `diagnose sys session filter`)\n";
  }
  out += "total session " + std::to_string(total) + "\n";
  return cli::Reply{true, out};
}

cli::Reply Node::cmd_session_filter(const cli::Args& args) {
  auto& f = session_filter_;
  if (args.empty()) {
    std::ostringstream o;
    o << "session filter:\n"
      << "\tvd: any\n"
      << "\tproto: " << (f.proto ? std::to_string(f.proto) : "any") << "\n"
      << "\tsource ip: " << (f.src_be ? ipv4_text(f.src_be) : "any") << "\n"
      << "\tdest ip: " << (f.dst_be ? ipv4_text(f.dst_be) : "any") << "\n"
      << "\tsource port: " << (f.sport ? std::to_string(f.sport) : "any") << "\n"
      << "\tdest port: " << (f.dport ? std::to_string(f.dport) : "any") << "\n"
      << "\tpolicy id: " << (f.policy_id ? std::to_string(f.policy_id) : "any") << "\n";
    return cli::Reply{true, o.str()};
  }
  const std::string& key = args[0];
  if (key == "clear") {
    if (args.size() != 1) return cli::Reply::error("usage: diagnose sys session filter clear");
    f = SessionFilterState{};
    return cli::Reply{};
  }
  if (args.size() != 2) {
    return cli::Reply::error("usage: diagnose sys session filter " + key + " <value>");
  }
  const std::string& value = args[1];
  unsigned long n = 0;
  in_addr addr{};
  if (key == "src" || key == "dst") {
    if (inet_pton(AF_INET, value.c_str(), &addr) != 1) {
      return cli::Reply::error("\"" + value + "\" is not an IPv4 address (e.g. 10.1.100.22)");
    }
    (key == "src" ? f.src_be : f.dst_be) = addr.s_addr;
  } else if (key == "sport" || key == "dport") {
    if (!cli::parse_number(value, 65535, &n) || n == 0) {
      return cli::Reply::error("port must be 1..65535, got \"" + value + "\"");
    }
    (key == "sport" ? f.sport : f.dport) = static_cast<uint16_t>(n);
  } else if (key == "proto") {
    if (!cli::parse_number(value, 255, &n) || n == 0) {
      return cli::Reply::error("proto must be an IP protocol number 1..255 (6 tcp, 17 udp, 1 "
                               "icmp), got \"" + value + "\"");
    }
    f.proto = static_cast<uint8_t>(n);
  } else if (key == "policy") {
    if (!cli::parse_number(value, 4294967294UL, &n) || n == 0) {
      return cli::Reply::error("policy must be a policy id, got \"" + value + "\"");
    }
    f.policy_id = static_cast<uint32_t>(n);
  } else {
    return cli::Reply::error("unknown filter \"" + key +
                             "\"; one of: src dst sport dport proto policy clear");
  }
  return cli::Reply{};
}

cli::Reply Node::cmd_session_clear() {
  const auto& f = session_filter_;
  dp::SessionFilter filter = to_dp(f.src_be, f.dst_be, f.sport, f.dport, f.proto, f.policy_id);
  unsigned cleared = 0;
  int rc = dp::dataplane_session_clear(dataplane_, filter, &cleared, kCliWorkerTimeoutMs);
  if (rc < 0) {
    return cli::Reply::error("session clear: a worker did not answer within 2 s; " +
                             std::to_string(cleared) + " sessions cleared by the others");
  }
  return cli::Reply{true, "cleared " + std::to_string(cleared) + " sessions\n"};
}

cli::Reply Node::cmd_session_stat() const {
  dp::SessionStats st = dp::dataplane_session_stats(dataplane_);
  char buf[4096];
  size_t len = dp::format_session_stats(st, buf, sizeof(buf));
  std::ostringstream o;
  o << "misc info:       session_count=" << st.in_use << " setup_rate=" << static_cast<long>(setup_rate_)
    << " exp_count=" << st.expired_total << " clear_count=" << st.cleared_total << "\n";
  o.write(buf, static_cast<std::streamsize>(std::min(len, sizeof(buf) - 1)));
  o << "implicit_deny=" << dp::dataplane_implicit_deny_count(dataplane_) << "\n";
  return cli::Reply{true, o.str()};
}

}  // namespace tandem::daemon
