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

// The entry of (port_index, ip_be), whatever its state; nullptr when there
// is none. Inline for the port's last hit (NeighTable::last), which is the
// entry still when it is in use and has that key (a key has one entry in
// use: an entry is created only after a lookup missed); else the table.
NeighEntry* neigh_find(NeighTable* t, uint8_t port_index, uint32_t ip_be);
inline NeighEntry* neigh_lookup(NeighTable* t, uint8_t port_index, uint32_t ip_be) {
  NeighEntry*& last = t->last[port_index % kNeighLastSlots];
  if (last != nullptr && last->ip_be == ip_be && last->port_index == port_index &&
      last->state != NeighState::kFree)
    return last;
  NeighEntry* e = neigh_find(t, port_index, ip_be);
  if (e != nullptr) last = e;
  return e;
}
// A fresh kIncomplete entry; nullptr when full. The key must not be present.
NeighEntry* neigh_create(NeighTable* t, uint8_t port_index, uint32_t ip_be);
// Frees the slot; the caller has released any queued packets.
void neigh_delete(NeighTable* t, NeighEntry* e);

}  // namespace tandem::dp
