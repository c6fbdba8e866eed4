// `get router info routing-table` and `get system arp` / `diagnose ip arp
// list` text, from the routes tandemd last published to the workers and the
// workers' neighbour tables. Pure formatting: unit tested without EAL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/neigh/neigh_types.h"
#include "dataplane/route/route_types.h"

namespace tandem::daemon {

// One published route and the name of its egress port. An interface's own
// (connected) route has distance 0, a static one 1..255.
struct RouteRow {
  dp::RouteEntry route;
  std::string port;
};

// FortiOS `get router info routing-table all`: the routes the workers use
// (between routes to one prefix the lowest distance, the first on a tie, as
// route_table_build chooses), sorted by address then prefix length.
std::string format_routing_table(const std::vector<RouteRow>& routes);

// FortiOS `get router info routing-table details`: the entry that forwards
// dst_be (longest prefix), or every entry when all is set. Empty when no
// route holds dst_be.
std::string format_route_details(const std::vector<RouteRow>& routes, uint32_t dst_be, bool all);

// FortiOS `get system arp`: one line per (port, address) that some worker
// has resolved (the youngest confirmation wins), then the addresses being
// resolved. port_names[i] names snapshot port i.
std::string format_arp_table(const std::vector<dp::NeighView>& entries,
                             const std::vector<std::string>& port_names);

// `diagnose ip arp list`: every entry of every worker's table, with its
// resolution state (probes sent, packets waiting).
std::string format_arp_list(const std::vector<dp::NeighView>& entries,
                            const std::vector<std::string>& port_names);

}  // namespace tandem::daemon
