// Plain types of the IPv4 neighbour (ARP) table. Each worker owns one: it
// resolves its own misses and learns from every ARP frame any worker
// receives (the receiver forwards a NeighLearn record to the others through
// their rings; see docs/dataplane.md for why). No code here.
#pragma once

#include <cstdint>

#include <rte_ether.h>

struct rte_mbuf;

namespace tandem::dp {

inline constexpr unsigned kNeighQueueLen = 4;          // packets held per unresolved address
inline constexpr uint64_t kNeighProbeIntervalMs = 1000;  // between ARP requests for one miss
inline constexpr unsigned kNeighMaxProbes = 3;         // then the queued packets are dropped
inline constexpr uint32_t kNeighDefaultReachableS = 300;

enum class NeighState : uint8_t {
  kFree = 0,    // slot unused
  kIncomplete,  // request sent, packets may be waiting in `queued`
  kReachable,   // MAC known and confirmed within the reachable time
};

struct NeighEntry {
  uint32_t ip_be;
  uint32_t next;  // bucket chain / free list
  uint8_t port_index;
  NeighState state;
  uint8_t nb_queued;
  uint8_t probes;  // requests sent for the current miss
  rte_ether_addr mac;
  uint64_t confirmed_ms;   // last ARP that taught us the MAC
  uint64_t next_probe_ms;  // when to send the next request (incomplete)
  rte_mbuf* queued[kNeighQueueLen];
};

// One entry as `get system arp` shows it (a copy made on the owning worker).
struct NeighView {
  uint32_t ip_be;
  uint8_t worker;
  uint8_t port_index;
  NeighState state;
  uint8_t probes;     // requests sent for the current miss (incomplete)
  uint8_t nb_queued;  // packets waiting on it (incomplete)
  rte_ether_addr mac; // reachable only
  uint64_t age_ms;    // since the last ARP that confirmed the MAC (reachable)
};

// What a worker that received an ARP frame tells the other workers.
struct NeighLearn {
  uint32_t ip_be;
  uint8_t port_index;
  uint8_t pad;
  rte_ether_addr mac;
  uint32_t reserved;  // ring elements are a multiple of 4 bytes; 16 keeps them aligned
};
static_assert(sizeof(NeighLearn) == 16, "ring element size");

// neigh_lookup's last hit per egress port (indexed by port_index %
// kNeighLastSlots): a worker sends most frames of a port to one or a few
// next hops, and the hit skips the hash and its chain (~4 cycles a frame
// in bench-worker, docs/bench-forwarding.md "The home once a frame, and
// two lookups fewer").
inline constexpr unsigned kNeighLastSlots = 16;

struct NeighTable {
  uint32_t capacity, bucket_mask, free_head, in_use;
  uint32_t* buckets;
  NeighEntry* entries;
  NeighEntry* last[kNeighLastSlots];  // only a hint: checked before use
};

}  // namespace tandem::dp
