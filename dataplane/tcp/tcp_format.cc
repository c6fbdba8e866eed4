// How TCP connections and counters print, for `diagnose sys tcp list` and
// `diagnose sys tcp stat` (the lead wires the CLI). Control side: snprintf.
#include <cstdio>

#include "dataplane/tcp/tcp.h"

namespace tandem::dp {
namespace {

struct Ip {
  char s[16];
};

Ip ip_str(uint32_t host) {
  Ip ip;
  std::snprintf(ip.s, sizeof(ip.s), "%u.%u.%u.%u", host >> 24, (host >> 16) & 0xff,
                (host >> 8) & 0xff, host & 0xff);
  return ip;
}

const char* const kStateNames[] = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT",
};
static_assert(sizeof(kStateNames) / sizeof(kStateNames[0]) == kNbTcpConnStates,
              "every state has a name");

const char* const kReasonNames[] = {"normal", "reset", "refused", "timeout", "keepalive",
                                    "aborted"};

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

const char* tcp_state_name(TcpConnStateId st) {
  unsigned i = static_cast<unsigned>(st);
  return i < kNbTcpConnStates ? kStateNames[i] : "?";
}

const char* tcp_close_reason_name(TcpCloseReason why) {
  unsigned i = static_cast<unsigned>(why);
  return i < sizeof(kReasonNames) / sizeof(kReasonNames[0]) ? kReasonNames[i] : "?";
}

size_t tcp_format_conn(const TcpConn& c, uint64_t now_us, char* buf, size_t len) {
  const TcpConnState& st = c.st;
  uint64_t age_ms = now_us > st.created_us ? (now_us - st.created_us) / 1000 : 0;
  int n = std::snprintf(
      buf, len,
      "%s:%u->%s:%u state=%s age=%llums snd_una=%u snd_nxt=%u snd_max=%u snd_wnd=%u "
      "rcv_nxt=%u rcv_wnd=%u mss=%u ws=%u/%u%s%s rto=%ums srtt=%uus rttvar=%uus "
      "cwnd=%u ssthresh=%u%s sndq=%u rcvq=%u ooo=%u flags=%04x\n",
      ip_str(st.local_ip).s, unsigned{st.local_port}, ip_str(st.remote_ip).s,
      unsigned{st.remote_port}, tcp_state_name(st.state), ull(age_ms), st.snd_una - st.iss,
      st.snd_nxt - st.iss, st.snd_max - st.iss, st.snd_wnd, st.rcv_nxt - st.irs,
      c.rcv.mask + 1 - c.rcv.used, unsigned{st.snd_mss}, unsigned{st.snd_wscale},
      unsigned{st.rcv_wscale}, st.ts_enabled ? " ts" : "", st.sack_enabled ? " sack" : "",
      st.rto_us / 1000, st.srtt_us, st.rttvar_us, st.cwnd,
      st.ssthresh >= UINT32_MAX / 2 ? 0u : st.ssthresh,
      (st.flags & kTcpfInRecovery) ? " recovery" : "", c.snd.used, c.rcv.used,
      unsigned{c.nb_ooo}, st.flags);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

size_t tcp_format_counters(const TcpCounters& k, char* buf, size_t len) {
  size_t used = 0;
  auto put = [&](const char* name, uint64_t v) {
    size_t room = used < len ? len - used : 0;
    int n = std::snprintf(room > 0 ? buf + used : nullptr, room, "%s=%llu\n", name, ull(v));
    if (n > 0) used += static_cast<size_t>(n);
  };
  if (len > 0) buf[0] = '\0';
  put("segs_in", k.segs_in);
  put("segs_out", k.segs_out);
  put("bytes_in", k.bytes_in);
  put("bytes_out", k.bytes_out);
  put("retransmits", k.retransmits);
  put("rto_events", k.rto_events);
  put("fast_retransmits", k.fast_retransmits);
  put("partial_acks", k.partial_acks);
  put("spurious_retransmits", k.spurious_retransmits);
  put("dup_acks", k.dup_acks);
  put("ooo_queued", k.ooo_queued);
  put("ooo_dropped", k.ooo_dropped);
  put("syn_cookies_sent", k.syn_cookies_sent);
  put("syn_cookies_validated", k.syn_cookies_validated);
  put("syn_cookies_failed", k.syn_cookies_failed);
  put("resets_sent", k.resets_sent);
  put("resets_received", k.resets_received);
  put("challenge_acks", k.challenge_acks);
  put("challenge_acks_limited", k.challenge_acks_limited);
  put("paws_drops", k.paws_drops);
  put("bad_acks", k.bad_acks);
  put("out_of_window", k.out_of_window);
  put("zero_window_probes", k.zero_window_probes);
  put("keepalive_probes", k.keepalive_probes);
  put("keepalive_timeouts", k.keepalive_timeouts);
  put("listen_overflows", k.listen_overflows);
  put("table_full", k.table_full);
  put("no_listener", k.no_listener);
  put("active_opens", k.active_opens);
  put("passive_opens", k.passive_opens);
  put("closed", k.closed);
  return used;
}

}  // namespace tandem::dp
