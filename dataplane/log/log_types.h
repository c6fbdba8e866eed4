// Traffic log records: what a worker knows when a logged session ends, or
// when a logged policy denies a flow's first packet. The worker fills one
// and puts it on its own log ring (log.h); tandemd's control loop drains
// the rings and formats each record as a FortiOS key=value line
// (controlplane/log). Plain data, no pointers, no code.
#pragma once

#include <cstdint>

namespace tandem::dp {

// FortiOS `action` of a traffic log.
enum class TrafficLogAction : uint8_t {
  kAccept,     // a connectionless session (UDP, ICMP) that timed out
  kClose,      // TCP: both sides sent FIN
  kTimeout,    // TCP: the session expired without FIN or RST
  kClientRst,  // TCP: the originator sent RST
  kServerRst,  // TCP: the responder sent RST
  kDeny,       // a deny policy with logtraffic all matched the first packet
};

enum class TrafficLogSubtype : uint8_t {
  kForward,  // a forwarded session (config firewall policy)
};

inline constexpr uint8_t kTrafficLogNoPort = 0xff;

struct TrafficLogRecord {
  uint64_t start_ms, end_ms;   // the dataplane's clock (dataplane_now_ms)
  uint64_t sent_bytes, rcvd_bytes;  // IP bytes, originator -> responder and back
  uint64_t sent_pkts, rcvd_pkts;
  uint32_t src_ip_be, dst_ip_be;    // the originator's view
  uint32_t session_id;              // Session::serial; 0 for a deny
  uint32_t policy_id;
  uint16_t src_port, dst_port;      // host order; ICMP: the echo identifier
  uint8_t proto;
  uint8_t src_port_index, dst_port_index;  // snapshot port indexes (kTrafficLogNoPort)
  TrafficLogSubtype subtype;
  TrafficLogAction action;
  uint8_t worker;
  uint8_t icmp_type;
  uint8_t pad[5];
};
// rte_ring's element API wants a multiple of 4 bytes.
static_assert(sizeof(TrafficLogRecord) % 4 == 0);

// Per worker, written by it only; summed when asked.
struct TrafficLogCounters {
  uint64_t records;     // put on the ring
  uint64_t dropped;     // ring full: the control loop fell behind
  uint64_t suppressed;  // deny records over kDenyLogsPerSecond
};

}  // namespace tandem::dp
