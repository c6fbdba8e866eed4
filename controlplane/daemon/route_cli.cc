// `get router info routing-table ...`, `get system arp` and `diagnose ip
// arp list`: the routes tandemd last published to the workers and the
// workers' neighbour tables (route_format.h has the text).
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "controlplane/config/value.h"
#include "controlplane/daemon/node.h"
#include "controlplane/daemon/route_format.h"
#include "dataplane/worker/worker.h"

namespace tandem::daemon {
namespace {

// A longer neighbour list is cut, with the total said (a table may hold a
// million entries per worker).
constexpr unsigned kMaxNeighListed = 20'000;

}  // namespace

void Node::remember_published(const dp::Snapshot& snap) {
  routes_published_.clear();
  for (unsigned i = 0; i < snap.nb_routes; ++i) {
    const dp::RouteEntry& r = snap.routes[i];
    routes_published_.push_back({r, snap.ports[r.port_index].name});
  }
  data_port_names_.clear();
  for (unsigned i = 0; i < snap.nb_ports; ++i) data_port_names_.emplace_back(snap.ports[i].name);
}

std::vector<cli::Command> Node::route_commands() {
  using cli::Args;
  using cli::Reply;
  return {
      {"get router info routing-table all", "",
       "the routes the workers forward by: connected and static (FortiOS form)",
       [this](const Args&) { return Reply{true, format_routing_table(routes_published_)}; }},
      {"get router info routing-table details", "[<address>]",
       "the route that forwards <address> (longest prefix), or every route in detail",
       [this](const Args& a) { return cmd_route_details(a); }, 1, 0},
      {"get system arp", "", "resolved neighbours of the data ports (any worker's table)",
       [this](const Args&) { return cmd_arp(false); }},
      {"diagnose ip arp list", "",
       "every worker's neighbour entries, with addresses still being resolved",
       [this](const Args&) { return cmd_arp(true); }},
  };
}

cli::Reply Node::cmd_route_details(const cli::Args& args) const {
  uint32_t dst = 0;
  if (!args.empty() && !config::parse_ipv4(args[0], &dst)) {
    return cli::Reply::error("\"" + args[0] + "\" is not an IPv4 address (e.g. 172.16.200.209)");
  }
  std::string out = format_route_details(routes_published_, htonl(dst), args.empty());
  if (out.empty()) return cli::Reply::error("% Network not in table");
  return cli::Reply{true, out};
}

cli::Reply Node::cmd_arp(bool per_worker) const {
  const unsigned max = std::min(node_.dpdk.workers * node_.dpdk.neighbour_table_size, kMaxNeighListed);
  std::vector<dp::NeighView> views(max);
  unsigned total = 0;
  int n = dp::dataplane_neigh_list(dataplane_, views.data(), max, &total, kCliWorkerTimeoutMs);
  if (n < 0) {
    return cli::Reply::error(std::string("neighbour list: ") +
                             (n == -ETIMEDOUT ? "a worker did not answer within 2 s"
                                              : std::strerror(-n)));
  }
  views.resize(static_cast<size_t>(n));
  std::string out = per_worker ? format_arp_list(views, data_port_names_)
                               : format_arp_table(views, data_port_names_);
  if (total > static_cast<unsigned>(n))
    out += "(" + std::to_string(total - static_cast<unsigned>(n)) + " more worker entries not read)\n";
  return cli::Reply{true, out};
}

}  // namespace tandem::daemon
