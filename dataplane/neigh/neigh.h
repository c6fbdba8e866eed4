// The per-worker neighbour table: IPv4 address + egress port -> MAC, with
// the state needed to resolve a miss (bounded queue of waiting packets,
// probe timer). Only the owning worker touches it. The resolution logic
// (sending requests, releasing queued packets, timeouts) is in
// dataplane/forward/, which owns the TX path; this is the table alone and
// needs no EAL (unit tests give it plain memory).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/neigh/neigh_types.h"

namespace tandem::dp {

size_t neigh_table_memsize(uint32_t capacity);
NeighTable* neigh_table_init(void* mem, uint32_t capacity);

NeighEntry* neigh_lookup(NeighTable* t, uint8_t port_index, uint32_t ip_be);
// A fresh kIncomplete entry; nullptr when full. The key must not be present.
NeighEntry* neigh_create(NeighTable* t, uint8_t port_index, uint32_t ip_be);
// Frees the slot; the caller has released any queued packets.
void neigh_delete(NeighTable* t, NeighEntry* e);

}  // namespace tandem::dp
