// Traffic logs from the workers. A worker builds a TrafficLogRecord when a
// session whose policy has `logtraffic all` ends on the node that carries
// the traffic, or when such a deny policy refuses a flow, and puts it on its
// own single-producer ring: no formatting, no I/O, no allocation on the
// worker. tandemd's control loop drains every ring with dataplane_log_drain
// and writes the lines (controlplane/log/traffic_log.h).
//
// The secondary of an HA pair holds replicated sessions but logs nothing
// for them: a record is made only while the session's ingress port is
// active, so each session is logged once, by the node that forwarded it
// last (after a failover: the new primary, with the counters it has).
#pragma once

#include <cstdint>

#include "dataplane/log/log_types.h"

namespace tandem::dp {

class Dataplane;
struct WorkerContext;
struct Session;

inline constexpr unsigned kLogRingSize = 4096;   // records per worker
inline constexpr unsigned kDenyLogsPerSecond = 1000;  // per worker; the rest counted as suppressed

// Worker side (dataplane/ only).
// At dataplane_create; ring_id makes the ring's EAL-global name unique.
bool log_worker_create(WorkerContext* w, unsigned ring_id);
void log_worker_destroy(WorkerContext* w);
// A session with kSessionLog is being freed by its worker (expiry).
void log_session_end(WorkerContext* w, const Session& s);
// A deny policy with logtraffic all matched a flow's first packet.
void log_deny(WorkerContext* w, uint32_t src_ip_be, uint32_t dst_ip_be, uint16_t sport,
              uint16_t dport, uint8_t proto, uint8_t icmp_type, uint8_t in_port,
              uint8_t out_port, uint32_t policy_id);
// A ZTNA record the proxy filled (subtype kZtna): a connection that ended
// or a refusal. Refusals share log_deny's per-second limit.
void log_ztna(WorkerContext* w, TrafficLogRecord& r);

// Control side: moves up to `max` records, oldest first per worker, into
// `out`; returns how many. *now_ms is the dataplane's clock at the drain,
// so the caller can turn record times into wall-clock time. One control
// thread at a time.
unsigned dataplane_log_drain(Dataplane* dp, TrafficLogRecord* out, unsigned max, uint64_t* now_ms);
// The workers' counters, summed.
TrafficLogCounters dataplane_log_counters(const Dataplane* dp);

}  // namespace tandem::dp
