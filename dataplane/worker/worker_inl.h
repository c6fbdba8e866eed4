// Hot inline helpers over the worker's config types, shared by the worker
// loop and the responders (ARP, ICMP) it calls for every frame.
#pragma once

#include <cstdint>

#include "dataplane/worker/worker_types.h"

namespace tandem::dp {

// True when ip_be is one of the port's own addresses (exact match: we answer
// for the node, not for the subnet).
inline bool port_owns_address(const PortConf& port, uint32_t ip_be) {
  for (unsigned i = 0; i < port.nb_addrs && i < kMaxPortAddrs; ++i)
    if (port.addrs[i].ip_be == ip_be) return true;
  return false;
}

// Counters have one writer (their worker) and readers on the control
// thread: relaxed load + store keeps the increment a plain add on x86, yet
// makes the concurrent read well defined.
inline void counter_add(uint64_t& counter, uint64_t n) {
  __atomic_store_n(&counter, __atomic_load_n(&counter, __ATOMIC_RELAXED) + n,
                   __ATOMIC_RELAXED);
}

inline uint64_t counter_read(const uint64_t& counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

}  // namespace tandem::dp
