#include "controlplane/daemon/snapshot_build.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace tandem::daemon {
namespace {

uint32_t mask_of(uint8_t prefix_len) {
  return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
}

int port_index(const std::vector<DataPortRef>& ports, const std::string& name) {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// "any" or a list of interface names -> the policy's port bitmask. Names
// that are not data ports (a kernel management interface) add no bit: a
// policy can only match traffic the workers see.
uint32_t intf_mask(const std::vector<DataPortRef>& ports, const std::vector<std::string>& names) {
  uint32_t mask = 0;
  for (const auto& n : names) {
    if (n == "any") return dp::kFwIntfAny;
    int i = port_index(ports, n);
    if (i >= 0) mask |= 1u << i;
  }
  return mask;
}

}  // namespace

bool build_snapshot(const config::NodeConfig& node, const std::vector<DataPortRef>& ports,
                    uint64_t generation, dp::Snapshot* snap, std::string* error,
                    std::vector<std::string>* warnings) {
  std::memset(snap, 0, sizeof(*snap));
  snap->generation = generation;
  if (ports.size() > dp::kMaxPorts) {
    *error = "more than " + std::to_string(dp::kMaxPorts) + " data ports";
    return false;
  }

  // Ports, and a connected route for each address.
  for (const auto& ref : ports) {
    const config::InterfaceConfig* ifc = node.interface(ref.name);
    dp::PortConf& pc = snap->ports[snap->nb_ports];
    pc.port_id = ref.port_id;
    pc.mac = ref.mac;
    pc.active = ref.active;
    pc.allow_ping = ifc != nullptr && ifc->allow_ping && ifc->up;
    std::snprintf(pc.name, sizeof(pc.name), "%s", ref.name.c_str());
    if (ifc != nullptr && ifc->ip != 0 && ifc->up) {
      pc.addrs[0].ip_be = htonl(ifc->ip);
      pc.addrs[0].mask_be = htonl(mask_of(ifc->prefix_len));
      pc.nb_addrs = 1;
      dp::RouteEntry& r = snap->routes[snap->nb_routes++];
      r.prefix_be = htonl(ifc->ip & mask_of(ifc->prefix_len));
      r.depth = ifc->prefix_len;
      r.port_index = snap->nb_ports;
      r.distance = 0;  // connected routes beat every static one
      r.gateway_be = 0;
    }
    ++snap->nb_ports;
  }

  for (const auto& route : node.routes) {
    if (!route.enabled) continue;
    int idx = port_index(ports, route.device);
    if (idx < 0) {
      warnings->push_back("static route " + std::to_string(route.seq) + " uses " + route.device +
                          ", which is not a data port; it is not used for forwarding");
      continue;
    }
    if (snap->nb_routes >= dp::kMaxRoutes) {
      *error = "more than " + std::to_string(dp::kMaxRoutes) + " routes";
      return false;
    }
    dp::RouteEntry& r = snap->routes[snap->nb_routes++];
    r.prefix_be = htonl(route.dst & mask_of(route.prefix_len));
    r.depth = route.prefix_len;
    r.port_index = static_cast<uint8_t>(idx);
    r.distance = static_cast<uint16_t>(route.distance);
    r.gateway_be = htonl(route.gateway);
    r.priority = static_cast<uint16_t>(route.priority);
  }

  // Firewall policies in evaluation order. In the snapshot a count of 0
  // means "all", so a policy whose resolved address or service list is
  // empty ("none") can match nothing and is left out.
  dp::FirewallConf& fw = snap->firewall;
  for (const auto& pol : node.policies) {
    if (!pol.enabled || pol.src.empty() || pol.dst.empty() || pol.services.empty()) continue;
    if (fw.nb_policies >= dp::kMaxPolicies) {
      *error = "more than " + std::to_string(dp::kMaxPolicies) + " firewall policies";
      return false;
    }
    if (fw.nb_addrs + pol.src.size() + pol.dst.size() > dp::kMaxFwAddrRanges ||
        fw.nb_services + pol.services.size() > dp::kMaxFwServices) {
      *error = "firewall policy " + std::to_string(pol.id) +
               ": the policies use more than " + std::to_string(dp::kMaxFwAddrRanges) +
               " address ranges or " + std::to_string(dp::kMaxFwServices) + " service ranges";
      return false;
    }
    dp::FwPolicy& p = fw.policies[fw.nb_policies++];
    p.id = pol.id;
    p.srcintf_mask = intf_mask(ports, pol.srcintf);
    p.dstintf_mask = intf_mask(ports, pol.dstintf);
    p.accept = pol.accept;
    p.log_traffic = pol.log;
    p.enabled = true;
    p.src_index = fw.nb_addrs;
    for (const auto& r : pol.src) fw.addrs[fw.nb_addrs++] = {r.lo, r.hi};
    p.src_count = static_cast<uint16_t>(fw.nb_addrs - p.src_index);
    p.dst_index = fw.nb_addrs;
    for (const auto& r : pol.dst) fw.addrs[fw.nb_addrs++] = {r.lo, r.hi};
    p.dst_count = static_cast<uint16_t>(fw.nb_addrs - p.dst_index);
    p.service_index = fw.nb_services;
    for (const auto& s : pol.services) {
      dp::FwService& svc = fw.services[fw.nb_services++];
      svc.proto = s.proto;
      svc.icmp_type = s.icmp_type < 0 ? dp::kFwIcmpTypeAny : static_cast<uint8_t>(s.icmp_type);
      svc.dst_port_lo = s.dst_lo;
      svc.dst_port_hi = s.dst_hi;
      svc.src_port_lo = s.src_lo;
      svc.src_port_hi = s.src_hi;
    }
    p.service_count = static_cast<uint16_t>(fw.nb_services - p.service_index);
  }

  snap->session_timers.tcp_halfopen = node.timers.tcp_halfopen;
  snap->session_timers.tcp_established = node.timers.tcp_established;
  snap->session_timers.tcp_halfclose = node.timers.tcp_halfclose;
  snap->session_timers.tcp_timewait = node.timers.tcp_timewait;
  snap->session_timers.udp = node.timers.udp;
  snap->session_timers.icmp = node.timers.icmp;
  snap->session_timers.other = node.timers.tcp_established;
  snap->tcp_service.echo_port = static_cast<uint16_t>(node.tcp_test_service.echo_port);
  snap->tcp_service.http_port = static_cast<uint16_t>(node.tcp_test_service.http_port);
  snap->tcp_service.max_conns = node.tcp_test_service.max_connections;
  return true;
}

}  // namespace tandem::daemon
