// Plain types of the IPv4 routing stage: the routes tandemd puts in a
// snapshot (connected routes from interface addresses plus static routes) and
// the longest-prefix-match table built from them on the control side, once
// per snapshot generation, inside dataplane_create/dataplane_publish. No code.
#pragma once

#include <cstdint>

namespace tandem::dp {

inline constexpr unsigned kMaxRoutes = 1024;

// One route as the daemon writes it. gateway_be 0 means "connected": the
// destination itself is the next hop.
struct RouteEntry {
  uint32_t prefix_be;   // network byte order; host bits are ignored
  uint8_t depth;        // prefix length 0..32
  uint8_t port_index;   // egress port, index into Snapshot::ports
  uint16_t distance;    // lower wins between routes to the same prefix
  uint32_t gateway_be;  // next hop, network byte order; 0 = connected
  uint16_t priority;    // lower wins between routes of equal distance
};

// Own LPM rather than rte_lpm: rte_lpm's tbl24 is 64 MiB per table and a
// publish holds two generations, more than a whole `-m 256` test EAL. Lookups
// happen once per new flow (sessions keep the result), so a probe per prefix
// length in use is plenty: one open-addressing table keyed by (prefix, depth).
inline constexpr unsigned kRouteSlots = 2 * kMaxRoutes;  // power of two, load <= 1/2

struct RouteSlot {
  uint32_t prefix;      // host order, masked to depth
  uint8_t depth_plus1;  // 0: empty slot
  uint16_t route_index; // into Snapshot::routes
};

struct RouteTable {
  uint8_t nb_depths;
  uint8_t depths[33];  // prefix lengths in use, longest first
  RouteSlot slots[kRouteSlots];
};

}  // namespace tandem::dp
