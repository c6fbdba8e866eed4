// Plain types of firewall policy as workers read it from the snapshot:
// address ranges, services and policies in evaluation order, as flat pools
// the daemon fills from `config firewall address|service custom|policy`.
// Policies are evaluated once, on a flow's first packet (dataplane/firewall/
// policy.h); every later packet is decided by its session. No code here.
#pragma once

#include <cstdint>

namespace tandem::dp {

inline constexpr unsigned kMaxFwAddrRanges = 1024;
inline constexpr unsigned kMaxFwServices = 512;
inline constexpr unsigned kMaxPolicies = 256;
inline constexpr uint8_t kFwProtoAny = 0;
inline constexpr uint8_t kFwIcmpTypeAny = 255;
inline constexpr uint32_t kFwIntfAny = UINT32_MAX;  // every bit: any interface

// A subnet is the range [network, broadcast]; host order so ranges compare.
struct FwAddrRange {
  uint32_t lo, hi;
};

// One protocol/port entry of a service. proto 6/17 match on ports, 1 on the
// ICMP type, 0 on anything.
struct FwService {
  uint8_t proto;
  uint8_t icmp_type;  // kFwIcmpTypeAny or the echo/... type
  uint16_t dst_port_lo, dst_port_hi;
  uint16_t src_port_lo, src_port_hi;  // 0..65535 for "any source port"
};

// One `config firewall policy` entry. A count of 0 means "all" (the FortiOS
// "all" address / "ALL" service). srcintf/dstintf are bitmasks of snapshot
// port indexes; dstintf is compared with the route lookup of the first packet.
struct FwPolicy {
  uint32_t id;
  uint32_t srcintf_mask, dstintf_mask;
  uint16_t src_index, src_count;  // into FirewallConf::addrs
  uint16_t dst_index, dst_count;
  uint16_t service_index, service_count;  // into FirewallConf::services
  bool accept;
  bool log_traffic;
  bool enabled;
};

struct FirewallConf {
  uint16_t nb_addrs, nb_services, nb_policies;
  FwAddrRange addrs[kMaxFwAddrRanges];
  FwService services[kMaxFwServices];
  FwPolicy policies[kMaxPolicies];  // evaluation order; no match = implicit deny
};

// What a policy is evaluated against: the first packet, after routing.
struct FwFlow {
  uint32_t src, dst;  // host order
  uint16_t sport, dport;
  uint8_t proto;
  uint8_t icmp_type;
  uint8_t in_port, out_port;
};

}  // namespace tandem::dp
