#include "dataplane/ztna/ztna_policy.h"

namespace tandem::dp {
namespace {

std::string_view name_at(const ZtnaPolicyConf& conf, unsigned i) {
  const ZtnaName& n = conf.names[i];
  return std::string_view(n.text, n.len <= kZtnaNameMax ? n.len : kZtnaNameMax);
}

bool in_ranges(const ZtnaPolicyConf& conf, uint16_t index, uint16_t count, uint32_t ip) {
  if (count == 0) return true;
  for (unsigned i = index; i < unsigned{index} + count && i < conf.nb_addrs; ++i) {
    if (conf.addrs[i].lo <= ip && ip <= conf.addrs[i].hi) return true;
  }
  return false;
}

bool has_tag(const ZtnaRequest& r, std::string_view tag) {
  for (std::size_t i = 0; i < r.tag_count; ++i) {
    if (r.tags[i] == tag) return true;
  }
  return false;
}

bool tags_match(const ZtnaPolicyConf& conf, const ZtnaPolicy& p, const ZtnaRequest& r) {
  if (p.tag_count == 0) return true;
  unsigned found = 0;
  for (unsigned i = p.tag_index; i < unsigned{p.tag_index} + p.tag_count && i < conf.nb_names; ++i) {
    if (has_tag(r, name_at(conf, i))) ++found;
  }
  return p.tags_all ? found == p.tag_count : found > 0;
}

bool user_listed(const ZtnaPolicyConf& conf, const ZtnaPolicy& p, std::string_view user) {
  for (unsigned i = p.user_index; i < unsigned{p.user_index} + p.user_count && i < conf.nb_names; ++i) {
    if (name_at(conf, i) == user) return true;
  }
  return false;
}

}  // namespace

ZtnaDecision ztna_policy_match(const ZtnaPolicyConf& conf, const ZtnaRequest& r) {
  for (unsigned i = 0; i < conf.nb_policies && i < kMaxZtnaPolicies; ++i) {
    const ZtnaPolicy& p = conf.policies[i];
    if (!p.enabled || !(p.proxy_mask & (uint32_t{1} << (r.proxy_index & 31)))) continue;
    if (!(p.srcintf_mask & (uint32_t{1} << (r.in_port & 31)))) continue;
    if (!in_ranges(conf, p.src_index, p.src_count, r.src)) continue;
    if (r.dst != 0 && !in_ranges(conf, p.dst_index, p.dst_count, r.dst)) continue;
    if (!tags_match(conf, p, r)) continue;
    if (p.user_count > 0) {
      if (r.user.empty()) return {ZtnaVerdict::kAuthenticate, static_cast<int>(i), p.id};
      if (!user_listed(conf, p, r.user)) continue;
    }
    return {p.accept ? ZtnaVerdict::kAllow : ZtnaVerdict::kDeny, static_cast<int>(i), p.id};
  }
  return {ZtnaVerdict::kDeny, -1, 0};
}

}  // namespace tandem::dp
