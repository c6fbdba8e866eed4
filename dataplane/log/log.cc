#include "dataplane/log/log.h"

#include <cstdio>
#include <cstring>

#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/worker/worker_inl.h"

namespace tandem::dp {
namespace {

constexpr uint8_t kProtoTcp = 6;

TrafficLogAction end_action(const Session& s) {
  if (s.key.proto != kProtoTcp) return TrafficLogAction::kAccept;
  switch (static_cast<TcpState>(s.state)) {
    case TcpState::kTimeWait: return TrafficLogAction::kClose;
    case TcpState::kClose:
      return (s.flags & kSessionRstReply) ? TrafficLogAction::kServerRst
                                          : TrafficLogAction::kClientRst;
    default: return TrafficLogAction::kTimeout;
  }
}

// A flood of denied first packets (or refused ZTNA connections) must not
// flood the ring and the disk: at most kDenyLogsPerSecond records per
// worker and second.
bool deny_allowed(WorkerContext* w) {
  uint64_t second = w->now_ms / 1000;
  if (second != w->log_deny_second) {
    w->log_deny_second = second;
    w->log_deny_count = 0;
  }
  if (w->log_deny_count >= kDenyLogsPerSecond) {
    counter_add(w->log.suppressed, 1);
    return false;
  }
  ++w->log_deny_count;
  return true;
}

void put(WorkerContext* w, TrafficLogRecord& r) {
  if (rte_ring_sp_enqueue_elem(w->log_ring, &r, sizeof(r)) != 0) {
    counter_add(w->log.dropped, 1);
    return;
  }
  counter_add(w->log.records, 1);
}

}  // namespace

bool log_worker_create(WorkerContext* w, unsigned ring_id) {
  char name[RTE_RING_NAMESIZE];
  std::snprintf(name, sizeof(name), "tdm_log_%u", ring_id);
  w->log_ring = rte_ring_create_elem(name, sizeof(TrafficLogRecord), kLogRingSize,
                                     static_cast<int>(rte_socket_id()),
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
  return w->log_ring != nullptr;
}

void log_worker_destroy(WorkerContext* w) {
  rte_ring_free(w->log_ring);
  w->log_ring = nullptr;
}

void log_session_end(WorkerContext* w, const Session& s) {
  const ActiveConfig* cfg = w->loop_cfg;
  uint8_t in = s.port[kDirOrig];
  if (cfg == nullptr || in >= cfg->snap.nb_ports || !cfg->snap.ports[in].active) return;
  TrafficLogRecord r{};
  bool orig_lo = (s.flags & kSessionOrigFromLo) != 0;
  r.src_ip_be = orig_lo ? s.key.ip_lo_be : s.key.ip_hi_be;
  r.dst_ip_be = orig_lo ? s.key.ip_hi_be : s.key.ip_lo_be;
  r.src_port = orig_lo ? s.key.port_lo : s.key.port_hi;
  r.dst_port = orig_lo ? s.key.port_hi : s.key.port_lo;
  r.proto = s.key.proto;
  const SessionCold& c = *session_cold(&s);
  r.start_ms = c.created_ms;
  r.end_ms = w->now_ms;
  r.sent_bytes = session_bytes(s, kDirOrig);
  r.rcvd_bytes = session_bytes(s, kDirReply);
  r.sent_pkts = session_packets(s, kDirOrig);
  r.rcvd_pkts = session_packets(s, kDirReply);
  r.session_id = c.serial;
  r.policy_id = c.policy_id;
  r.src_port_index = in;
  r.dst_port_index = s.port[kDirReply];
  r.subtype = TrafficLogSubtype::kForward;
  r.action = end_action(s);
  r.worker = static_cast<uint8_t>(w->index);
  put(w, r);
}

void log_deny(WorkerContext* w, uint32_t src_ip_be, uint32_t dst_ip_be, uint16_t sport,
              uint16_t dport, uint8_t proto, uint8_t icmp_type, uint8_t in_port,
              uint8_t out_port, uint32_t policy_id) {
  if (!deny_allowed(w)) return;
  TrafficLogRecord r{};
  r.src_ip_be = src_ip_be;
  r.dst_ip_be = dst_ip_be;
  r.src_port = sport;
  r.dst_port = dport;
  r.proto = proto;
  r.icmp_type = icmp_type;
  r.start_ms = r.end_ms = w->now_ms;
  r.policy_id = policy_id;
  r.src_port_index = in_port;
  r.dst_port_index = out_port;
  r.subtype = TrafficLogSubtype::kForward;
  r.action = TrafficLogAction::kDeny;
  r.worker = static_cast<uint8_t>(w->index);
  put(w, r);
}

void log_ztna(WorkerContext* w, TrafficLogRecord& r) {
  if (r.action == TrafficLogAction::kDeny && !deny_allowed(w)) return;
  r.subtype = TrafficLogSubtype::kZtna;
  r.worker = static_cast<uint8_t>(w->index);
  put(w, r);
}

unsigned dataplane_log_drain(Dataplane* dp, TrafficLogRecord* out, unsigned max,
                             uint64_t* now_ms) {
  *now_ms = dataplane_now_ms(dp);
  unsigned got = 0;
  for (unsigned i = 0; i < dp->params_.nb_workers && got < max; ++i) {
    WorkerContext* w = dp->workers_[i];
    if (w == nullptr || w->log_ring == nullptr) continue;
    got += rte_ring_sc_dequeue_burst_elem(w->log_ring, out + got, sizeof(TrafficLogRecord),
                                          max - got, nullptr);
  }
  return got;
}

TrafficLogCounters dataplane_log_counters(const Dataplane* dp) {
  TrafficLogCounters sum{};
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    const WorkerContext* w = dp->workers_[i];
    if (w == nullptr) continue;
    sum.records += counter_read(w->log.records);
    sum.dropped += counter_read(w->log.dropped);
    sum.suppressed += counter_read(w->log.suppressed);
  }
  return sum;
}

}  // namespace tandem::dp
