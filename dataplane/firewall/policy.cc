#include "dataplane/firewall/policy.h"

namespace tandem::dp {
namespace {

constexpr uint8_t kIpProtoIcmp = 1;

bool addr_in(const FirewallConf& fw, uint16_t index, uint16_t count, uint32_t ip) {
  if (count == 0) return true;
  if (unsigned{index} + count > fw.nb_addrs) return false;
  for (unsigned i = index; i < unsigned{index} + count; ++i)
    if (ip >= fw.addrs[i].lo && ip <= fw.addrs[i].hi) return true;
  return false;
}

bool intf_in(uint32_t mask, uint8_t port) { return port < 32 && ((mask >> port) & 1) != 0; }

}  // namespace

bool service_matches(const FwService& s, const FwFlow& f) {
  if (s.proto == kFwProtoAny) return true;
  if (s.proto != f.proto) return false;
  if (s.proto == kIpProtoIcmp) return s.icmp_type == kFwIcmpTypeAny || s.icmp_type == f.icmp_type;
  if (s.proto != 6 && s.proto != 17) return true;  // other IP protocols: no ports
  return f.dport >= s.dst_port_lo && f.dport <= s.dst_port_hi && f.sport >= s.src_port_lo &&
         f.sport <= s.src_port_hi;
}

bool policy_matches(const FirewallConf& fw, const FwPolicy& p, const FwFlow& f) {
  if (!p.enabled) return false;
  if (!intf_in(p.srcintf_mask, f.in_port) || !intf_in(p.dstintf_mask, f.out_port)) return false;
  if (!addr_in(fw, p.src_index, p.src_count, f.src)) return false;
  if (!addr_in(fw, p.dst_index, p.dst_count, f.dst)) return false;
  if (p.service_count == 0) return true;
  if (unsigned{p.service_index} + p.service_count > fw.nb_services) return false;
  for (unsigned i = p.service_index; i < unsigned{p.service_index} + p.service_count; ++i)
    if (service_matches(fw.services[i], f)) return true;
  return false;
}

int policy_lookup(const FirewallConf& fw, const FwFlow& flow) {
  unsigned n = fw.nb_policies < kMaxPolicies ? fw.nb_policies : kMaxPolicies;
  for (unsigned i = 0; i < n; ++i)
    if (policy_matches(fw, fw.policies[i], flow)) return static_cast<int>(i);
  return -1;
}

}  // namespace tandem::dp
