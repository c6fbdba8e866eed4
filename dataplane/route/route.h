// IPv4 longest-prefix match over the snapshot's routes. The control side
// builds a RouteTable per snapshot generation (route_table_build, inside
// dataplane_create/publish); workers call route_lookup() for the first
// packet of a flow, in both directions. Pure functions: unit tests need no EAL.
#pragma once

#include <cstdint>

#include "dataplane/route/route_types.h"

namespace tandem::dp {

// Builds `table` from routes[0..nb). Between routes to the same prefix and
// depth the lowest distance wins, then the lowest priority, then the first.
// Returns false when a route is invalid (depth > 32).
bool route_table_build(const RouteEntry* routes, unsigned nb, RouteTable* table);

// Index into `routes` of the longest prefix holding dst_be, or -1.
int route_lookup(const RouteTable& table, uint32_t dst_be);

}  // namespace tandem::dp
