#include "dataplane/session/session.h"

#include <algorithm>
#include <cerrno>
#include <mutex>

#include <rte_cycles.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync_inl.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/worker/worker_mailbox.h"

namespace tandem::dp {
namespace {

SessionView make_view(const WorkerContext* w, const Session& s, uint64_t now_ms) {
  const SessionCold& c = *session_cold(&s);
  SessionView v{};
  bool orig_lo = (s.flags & kSessionOrigFromLo) != 0;
  SessionTuple lo_hi{s.key.ip_lo_be, s.key.ip_hi_be, s.key.port_lo, s.key.port_hi};
  SessionTuple hi_lo{s.key.ip_hi_be, s.key.ip_lo_be, s.key.port_hi, s.key.port_lo};
  v.orig = orig_lo ? lo_hi : hi_lo;
  v.reply = orig_lo ? hi_lo : lo_hi;
  v.proto = s.key.proto;
  v.proto_state = s.state;
  v.state_name = s.key.proto == 6 ? tcp_state_name(static_cast<TcpState>(s.state)) : "none";
  v.duration_s = static_cast<uint32_t>((now_ms - c.created_ms) / 1000);
  v.expire_s = s.expire_ms > now_ms ? static_cast<uint32_t>((s.expire_ms - now_ms + 999) / 1000) : 0;
  v.timeout_s = c.timeout_s;
  v.policy_id = c.policy_id;
  v.in_port = s.port[kDirOrig];
  v.out_port = s.port[kDirReply];
  v.gateway_be[0] = s.next_hop_be[0];
  v.gateway_be[1] = s.next_hop_be[1];
  for (SessionDir d : {kDirOrig, kDirReply}) {
    v.bytes[d] = session_bytes(s, d);
    v.packets[d] = session_packets(s, d);
  }
  v.worker = w->index;
  v.serial = c.serial;
  v.flags = s.flags;
  v.synced = (s.sync_flags & kSessionSynced) != 0;
  return v;
}

}  // namespace

bool session_filter_match(const SessionFilter& f, const SessionView& v) {
  // A src/dst/port filter matches either tuple, as FortiOS does.
  auto tuple_ok = [&](const SessionTuple& t) {
    return (f.src_be == 0 || t.src_be == f.src_be) && (f.dst_be == 0 || t.dst_be == f.dst_be) &&
           (f.sport == 0 || t.sport == f.sport) && (f.dport == 0 || t.dport == f.dport);
  };
  if (f.proto != 0 && v.proto != f.proto) return false;
  if (f.policy_id != 0 && v.policy_id != f.policy_id) return false;
  return tuple_ok(v.orig) || tuple_ok(v.reply);
}

bool session_mailbox_serve(WorkerContext* w, WorkerRequest* req, uint64_t deadline_tsc) {
  // A million-slot table takes 6-8 ms to walk, far longer than an RX
  // ring holds a line-rate flow: the walk goes a stretch at a
  // time, one slice per loop, and frames are polled in between. Sessions
  // created or ended meanwhile may or may not be listed (or cleared), as
  // with any walk of a live table.
  constexpr uint32_t kStretch = 256;  // entries between two reads of the TSC
  SessionTable* t = w->sessions;
  uint32_t i = req->cursor;
  while (i < t->capacity) {
    for (uint32_t stop = std::min(i + kStretch, t->capacity); i < stop; ++i) {
      Session* s = session_entry(t, i);
      if (!(s->flags & kSessionInUse)) continue;
      SessionView v = make_view(w, *s, w->now_ms);
      if (!session_filter_match(req->filter, v)) continue;
      ++req->matched;
      if (req->clear) {
        sync_session_gone(w, *s);
        session_delete(t, s);
        counter_add(t->cleared, 1);
        ++req->cleared;
      } else if (req->written < req->max) {
        req->out[req->written++] = v;
      }
    }
    if (rte_rdtsc() >= deadline_tsc) break;
  }
  req->cursor = i;
  if (i < t->capacity) return false;
  if (w->full_latched && uint64_t{t->in_use} * 100 < uint64_t{t->capacity} * kFullRearmPercent)
    w->full_latched = false;
  return true;
}

int dataplane_session_list(Dataplane* dp, const SessionFilter& filter, SessionView* out,
                           unsigned max, unsigned* total_matching, unsigned timeout_ms) {
  if (out == nullptr && max > 0) return -EINVAL;
  return worker_request_gather(dp, max, total_matching, timeout_ms,
                               [&](WorkerRequest* req, unsigned written) {
                                 req->kind = WorkerRequestKind::kSessions;
                                 req->clear = false;
                                 req->filter = filter;
                                 req->out = out + written;
                               });
}

int dataplane_session_clear(Dataplane* dp, const SessionFilter& filter, unsigned* cleared,
                            unsigned timeout_ms) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  unsigned total = 0;
  int rc = 0;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    WorkerRequest req{};
    req.kind = WorkerRequestKind::kSessions;
    req.clear = true;
    req.filter = filter;
    if (!worker_request_run(dp, dp->workers_[i], &req, timeout_ms)) rc = -ETIMEDOUT;
    total += req.cleared;
  }
  if (cleared != nullptr) *cleared = total;
  return rc;
}

SessionStats dataplane_session_stats(const Dataplane* dp) {
  SessionStats st{};
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    const WorkerContext* w = dp->workers_[i];
    const SessionTable* t = w->sessions;
    for (unsigned s = 0; s < kNbTcpStates; ++s) st.by_tcp_state[s] += counter_read(t->live_tcp[s]);
    st.udp += counter_read(t->live_udp);
    st.icmp += counter_read(t->live_icmp);
    st.other += counter_read(t->live_other);
    st.inserts_total += counter_read(t->inserts);
    st.deletes_total += counter_read(t->deletes);
    st.expired_total += counter_read(t->expired);
    st.cleared_total += counter_read(t->cleared);
    st.forwarded_packets += counter_read(w->fwd.forwarded);
    st.handoffs += counter_read(w->fwd.handoffs);
    for (unsigned d = 0; d < kNbFwdDrops; ++d) st.drops[d] += counter_read(w->fwd.drops[d]);
    st.capacity += t->capacity;
    st.table_full_seen = st.table_full_seen || w->full_latched ||
                         counter_read(w->fwd.drops[static_cast<unsigned>(FwdDrop::kTableFull)]) > 0;
  }
  for (unsigned s = 0; s < kNbTcpStates; ++s) st.in_use += st.by_tcp_state[s];
  st.in_use += st.udp + st.icmp + st.other;
  return st;
}

bool dataplane_session_take_full_alert(Dataplane* dp) {
  bool any = false;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i)
    any = dp->workers_[i]->full_alert.exchange(0, std::memory_order_acq_rel) != 0 || any;
  return any;
}

PolicyStats dataplane_policy_stats(const Dataplane* dp, unsigned policy_index) {
  PolicyStats ps{};
  if (policy_index >= kMaxPolicies) return ps;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    ps.hits += counter_read(dp->workers_[i]->policy[policy_index].hits);
    ps.bytes += counter_read(dp->workers_[i]->policy[policy_index].bytes);
  }
  return ps;
}

uint64_t dataplane_implicit_deny_count(const Dataplane* dp) {
  uint64_t n = 0;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i)
    n += counter_read(dp->workers_[i]->fwd.implicit_deny);
  return n;
}

}  // namespace tandem::dp
