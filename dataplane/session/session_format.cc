// How sessions print, in the FortiOS `diagnose sys session list|stat`
// layout operators already read. Control side only (snprintf).
#include <cstdio>

#include "dataplane/session/session.h"

namespace tandem::dp {
namespace {

struct Ip {
  char s[16];
};

Ip ip_str(uint32_t be) {
  const auto* b = reinterpret_cast<const uint8_t*>(&be);
  Ip ip;
  std::snprintf(ip.s, sizeof(ip.s), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  return ip;
}

const char* const kFwdDropNames[] = {
    "table_full", "no_route", "no_neighbour", "policy_deny", "ttl_exceeded",
    "tcp_not_syn", "fragment", "handoff_full", "standby", "land",
};
static_assert(sizeof(kFwdDropNames) / sizeof(kFwdDropNames[0]) == kNbFwdDrops,
              "every FwdDrop has a name");

}  // namespace

const char* fwd_drop_name(FwdDrop reason) {
  unsigned i = static_cast<unsigned>(reason);
  return i < kNbFwdDrops ? kFwdDropNames[i] : "?";
}

size_t format_session(const SessionView& v, char* buf, size_t len) {
  const SessionTuple& o = v.orig;
  const SessionTuple& r = v.reply;
  int n = std::snprintf(
      buf, len,
      "session info: proto=%u proto_state=%02u duration=%u expire=%u timeout=%u flags=%08x "
      "worker=%u\n"
      "statistic(bytes/packets/allow_err): org=%llu/%llu/0 reply=%llu/%llu/0 tuples=2\n"
      "orgin->sink: org pre->post, reply pre->post dev=%u->%u/%u->%u gwy=%s/%s\n"
      "hook=pre dir=org act=noop %s:%u->%s:%u(0.0.0.0:0)\n"
      "hook=post dir=reply act=noop %s:%u->%s:%u(0.0.0.0:0)\n"
      "misc=0 policy_id=%u state=%s%s\n"
      "serial=%08x\n",
      unsigned{v.proto}, unsigned{v.proto_state}, v.duration_s, v.expire_s, v.timeout_s,
      unsigned{v.flags}, v.worker, static_cast<unsigned long long>(v.bytes[0]),
      static_cast<unsigned long long>(v.packets[0]), static_cast<unsigned long long>(v.bytes[1]),
      static_cast<unsigned long long>(v.packets[1]), unsigned{v.in_port}, unsigned{v.out_port},
      unsigned{v.out_port}, unsigned{v.in_port}, ip_str(v.gateway_be[0]).s,
      ip_str(v.gateway_be[1]).s, ip_str(o.src_be).s, unsigned{o.sport}, ip_str(o.dst_be).s,
      unsigned{o.dport}, ip_str(r.src_be).s, unsigned{r.sport}, ip_str(r.dst_be).s,
      unsigned{r.dport}, v.policy_id, v.state_name, v.synced ? " synced" : "", v.serial);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

size_t format_session_stats(const SessionStats& st, char* buf, size_t len) {
  size_t used = 0;
  auto put = [&](const char* fmt, auto... args) {
    size_t room = used < len ? len - used : 0;
    int n = std::snprintf(room > 0 ? buf + used : nullptr, room, fmt, args...);
    if (n > 0) used += static_cast<size_t>(n);
  };
  if (len > 0) buf[0] = '\0';
  put("session_count=%llu capacity=%llu setup_total=%llu expired=%llu cleared=%llu\n",
      static_cast<unsigned long long>(st.in_use), static_cast<unsigned long long>(st.capacity),
      static_cast<unsigned long long>(st.inserts_total),
      static_cast<unsigned long long>(st.expired_total),
      static_cast<unsigned long long>(st.cleared_total));
  put("tcp sessions:\n");
  static const TcpState kShown[] = {TcpState::kEstablished, TcpState::kSynSent,
                                    TcpState::kSynRecv, TcpState::kFinWait, TcpState::kTimeWait,
                                    TcpState::kClose};
  static const char* const kNames[] = {"established", "syn_sent", "syn_recv", "fin_wait",
                                       "time_wait", "close"};
  for (unsigned i = 0; i < 6; ++i)
    put("\t %llu in %s state\n",
        static_cast<unsigned long long>(st.by_tcp_state[static_cast<unsigned>(kShown[i])]),
        kNames[i]);
  put("udp sessions: %llu\nicmp sessions: %llu\nother sessions: %llu\n",
      static_cast<unsigned long long>(st.udp), static_cast<unsigned long long>(st.icmp),
      static_cast<unsigned long long>(st.other));
  put("forwarded=%llu handoffs=%llu table_full_seen=%u\n",
      static_cast<unsigned long long>(st.forwarded_packets),
      static_cast<unsigned long long>(st.handoffs), st.table_full_seen ? 1u : 0u);
  for (unsigned d = 0; d < kNbFwdDrops; ++d)
    put("drop_%s=%llu\n", kFwdDropNames[d], static_cast<unsigned long long>(st.drops[d]));
  return used;
}

}  // namespace tandem::dp
