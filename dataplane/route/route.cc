#include "dataplane/route/route.h"

#include <cstring>

#include <rte_byteorder.h>

namespace tandem::dp {
namespace {

uint32_t depth_mask(unsigned depth) { return depth == 0 ? 0 : ~uint32_t{0} << (32 - depth); }

unsigned slot_of(uint32_t prefix, unsigned depth) {
  // Multiplicative hashing (Knuth); depth mixed in so 10.0.0.0/8 and /16 differ.
  uint32_t h = (prefix ^ (depth * 0x9e3779b9u)) * 0x85ebca6bu;
  return (h ^ (h >> 15)) & (kRouteSlots - 1);
}

}  // namespace

bool route_table_build(const RouteEntry* routes, unsigned nb, RouteTable* table) {
  std::memset(table, 0, sizeof(*table));
  if (nb > kMaxRoutes) return false;
  bool used[33] = {};
  for (unsigned i = 0; i < nb; ++i) {
    const RouteEntry& r = routes[i];
    if (r.depth > 32) return false;
    uint32_t prefix = rte_be_to_cpu_32(r.prefix_be) & depth_mask(r.depth);
    unsigned s = slot_of(prefix, r.depth);
    while (true) {
      RouteSlot& slot = table->slots[s];
      if (slot.depth_plus1 == 0) {
        slot = {prefix, static_cast<uint8_t>(r.depth + 1), static_cast<uint16_t>(i)};
        break;
      }
      if (slot.prefix == prefix && slot.depth_plus1 == r.depth + 1) {
        const RouteEntry& kept = routes[slot.route_index];
        if (r.distance < kept.distance || (r.distance == kept.distance && r.priority < kept.priority))
          slot.route_index = static_cast<uint16_t>(i);
        break;
      }
      s = (s + 1) & (kRouteSlots - 1);
    }
    used[r.depth] = true;
  }
  for (int d = 32; d >= 0; --d)
    if (used[d]) table->depths[table->nb_depths++] = static_cast<uint8_t>(d);
  return true;
}

int route_lookup(const RouteTable& table, uint32_t dst_be) {
  uint32_t dst = rte_be_to_cpu_32(dst_be);
  for (unsigned i = 0; i < table.nb_depths; ++i) {
    unsigned depth = table.depths[i];
    uint32_t prefix = dst & depth_mask(depth);
    for (unsigned s = slot_of(prefix, depth);; s = (s + 1) & (kRouteSlots - 1)) {
      const RouteSlot& slot = table.slots[s];
      if (slot.depth_plus1 == 0) break;
      if (slot.prefix == prefix && slot.depth_plus1 == depth + 1) return slot.route_index;
    }
  }
  return -1;
}

}  // namespace tandem::dp
