#include "controlplane/daemon/route_format.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <tuple>

#include "dataplane/route/route.h"

namespace tandem::daemon {
namespace {

std::string ip_text(uint32_t ip_be) {
  in_addr a{ip_be};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

std::string mac_text(const rte_ether_addr& m) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m.addr_bytes[0],
                m.addr_bytes[1], m.addr_bytes[2], m.addr_bytes[3], m.addr_bytes[4],
                m.addr_bytes[5]);
  return buf;
}

std::string port_name(const std::vector<std::string>& names, unsigned index) {
  return index < names.size() ? names[index] : "port#" + std::to_string(index);
}

uint32_t masked_host(const dp::RouteEntry& r) {
  uint32_t mask = r.depth == 0 ? 0 : ~uint32_t{0} << (32 - r.depth);
  return ntohl(r.prefix_be) & mask;
}

// The workers' table of these routes (route_table_build), or null.
std::unique_ptr<dp::RouteTable> table_of(const std::vector<RouteRow>& rows) {
  std::vector<dp::RouteEntry> entries;
  for (const auto& r : rows) entries.push_back(r.route);
  auto table = std::make_unique<dp::RouteTable>();
  if (!dp::route_table_build(entries.data(), static_cast<unsigned>(entries.size()), table.get()))
    return nullptr;
  return table;
}

// The routes the workers use, by the dataplane's own rule: the indices
// route_table_build keeps, sorted by address then prefix length.
std::vector<unsigned> installed(const std::vector<RouteRow>& rows) {
  std::vector<unsigned> out;
  auto table = table_of(rows);
  if (!table) return out;
  for (const dp::RouteSlot& s : table->slots)
    if (s.depth_plus1 != 0 && s.route_index < rows.size()) out.push_back(s.route_index);
  std::sort(out.begin(), out.end(), [&](unsigned a, unsigned b) {
    const dp::RouteEntry &x = rows[a].route, &y = rows[b].route;
    return std::make_tuple(masked_host(x), x.depth) < std::make_tuple(masked_host(y), y.depth);
  });
  return out;
}

// An interface's own route: static routes have a distance of 1..255.
bool connected(const dp::RouteEntry& r) { return r.distance == 0; }

std::string prefix_text(const dp::RouteEntry& r) {
  return ip_text(htonl(masked_host(r))) + "/" + std::to_string(r.depth);
}

}  // namespace

std::string format_routing_table(const std::vector<RouteRow>& rows) {
  std::string out =
      "Routing table for VRF=0\n"
      "Codes: K - kernel, C - connected, S - static, R - RIP, B - BGP, O - OSPF,\n"
      "       * - candidate default\n\n";
  const std::vector<unsigned> in_use = installed(rows);
  for (unsigned i : in_use) {
    const RouteRow& r = rows[i];
    if (r.route.depth == 0 && !connected(r.route)) {
      out += "Gateway of last resort is " +
             (r.route.gateway_be != 0 ? ip_text(r.route.gateway_be) : r.port) +
             " to network 0.0.0.0\n\n";
      break;
    }
  }
  char line[160];
  for (unsigned i : in_use) {
    const RouteRow& r = rows[i];
    const std::string code = std::string(connected(r.route) ? "C" : "S") + (r.route.depth == 0 ? "*" : "");
    if (connected(r.route)) {
      std::snprintf(line, sizeof(line), "%-7s %s is directly connected, %s\n", code.c_str(),
                    prefix_text(r.route).c_str(), r.port.c_str());
    } else if (r.route.gateway_be == 0) {
      std::snprintf(line, sizeof(line), "%-7s %s [%u/0] is directly connected, %s\n",
                    code.c_str(), prefix_text(r.route).c_str(), unsigned{r.route.distance},
                    r.port.c_str());
    } else {
      std::snprintf(line, sizeof(line), "%-7s %s [%u/0] via %s, %s\n", code.c_str(),
                    prefix_text(r.route).c_str(), unsigned{r.route.distance},
                    ip_text(r.route.gateway_be).c_str(), r.port.c_str());
    }
    out += line;
  }
  if (in_use.empty()) out += "(no routes: no data port has an address and no static route is set)\n";
  return out;
}

std::string format_route_details(const std::vector<RouteRow>& rows, uint32_t dst_be, bool all) {
  std::vector<unsigned> chosen;
  if (all) {
    chosen = installed(rows);
  } else if (auto table = table_of(rows)) {
    int idx = dp::route_lookup(*table, dst_be);
    if (idx >= 0) chosen.push_back(static_cast<unsigned>(idx));
  }
  if (chosen.empty()) return "";
  std::string out = "Routing table for VRF=0\n";
  for (unsigned i : chosen) {
    const RouteRow& r = rows[i];
    out += "Routing entry for " + prefix_text(r.route) + "\n";
    out += std::string("  Known via \"") + (connected(r.route) ? "connected" : "static") +
           "\", distance " + std::to_string(r.route.distance) + ", metric 0, best\n";
    if (r.route.gateway_be == 0) {
      out += "  * directly connected, " + r.port + "\n";
    } else {
      out += "  * " + ip_text(r.route.gateway_be) + ", via " + r.port + "\n";
    }
  }
  return out;
}

std::string format_arp_table(const std::vector<dp::NeighView>& entries,
                             const std::vector<std::string>& port_names) {
  // (port, address in host order) -> the youngest resolved entry of any worker.
  std::map<std::pair<unsigned, uint32_t>, const dp::NeighView*> resolved, pending;
  for (const auto& e : entries) {
    const auto key = std::make_pair(unsigned{e.port_index}, ntohl(e.ip_be));
    if (e.state == dp::NeighState::kReachable) {
      auto [it, fresh] = resolved.emplace(key, &e);
      if (!fresh && e.age_ms < it->second->age_ms) it->second = &e;
    } else if (e.state == dp::NeighState::kIncomplete) {
      pending.emplace(key, &e);
    }
  }
  // FortiOS sorts nothing in particular; by interface, then address, reads best.
  std::string out = "Address           Age(min)   Hardware Addr      Interface\n";
  char line[128];
  for (const auto& [key, e] : resolved) {
    std::snprintf(line, sizeof(line), "%-17s %-10" PRIu64 " %-18s %s\n", ip_text(e->ip_be).c_str(),
                  e->age_ms / 60000, mac_text(e->mac).c_str(),
                  port_name(port_names, key.first).c_str());
    out += line;
  }
  for (const auto& [key, e] : pending) {
    if (resolved.count(key) != 0) continue;
    std::snprintf(line, sizeof(line), "%-17s %-10s %-18s %s\n", ip_text(e->ip_be).c_str(), "-",
                  "(incomplete)", port_name(port_names, key.first).c_str());
    out += line;
  }
  return out;
}

std::string format_arp_list(const std::vector<dp::NeighView>& entries,
                            const std::vector<std::string>& port_names) {
  std::string out;
  char line[192];
  for (const auto& e : entries) {
    if (e.state == dp::NeighState::kReachable) {
      std::snprintf(line, sizeof(line),
                    "worker=%u ifname=%s %s %s state=reachable confirmed=%" PRIu64 "s ago\n",
                    unsigned{e.worker}, port_name(port_names, e.port_index).c_str(),
                    ip_text(e.ip_be).c_str(), mac_text(e.mac).c_str(), e.age_ms / 1000);
    } else {
      std::snprintf(line, sizeof(line),
                    "worker=%u ifname=%s %s 00:00:00:00:00:00 state=incomplete probes=%u "
                    "queued=%u\n",
                    unsigned{e.worker}, port_name(port_names, e.port_index).c_str(),
                    ip_text(e.ip_be).c_str(), unsigned{e.probes}, unsigned{e.nb_queued});
    }
    out += line;
  }
  return out;
}

}  // namespace tandem::daemon
