// Plain types of the ZTNA proxy-policy decision as workers read it from
// the snapshot: `config firewall proxy-policy` entries in evaluation order,
// with address ranges, user names and device tags in flat pools the daemon
// fills from node_config's ZtnaConfig (groups already flattened to user
// names). No code here; ztna_policy.h decides.
#pragma once

#include <cstdint>

namespace tandem::dp {

inline constexpr unsigned kMaxZtnaPolicies = 256;
inline constexpr unsigned kMaxZtnaAddrRanges = 1024;
inline constexpr unsigned kMaxZtnaNames = 1024;
inline constexpr unsigned kZtnaNameMax = 64;  // user names (FortiOS) and tags

struct ZtnaAddrRange {
  uint32_t lo, hi;  // host order, inclusive
};

struct ZtnaName {
  uint8_t len;
  char text[kZtnaNameMax];
};

// One proxy-policy. Masks hold one bit per access proxy (snapshot index)
// and per port; a *_count of 0 means "any" for srcaddr, dstaddr and tags
// and "no user required" for users, so the daemon expands "all" to count 0
// and "none" to an empty range (lo > hi).
struct ZtnaPolicy {
  uint32_t id;
  uint32_t proxy_mask;
  uint32_t srcintf_mask;  // UINT32_MAX: any
  uint16_t src_index, src_count;  // into ZtnaPolicyConf::addrs
  uint16_t dst_index, dst_count;
  uint16_t user_index, user_count;  // into ZtnaPolicyConf::names
  uint16_t tag_index, tag_count;    // into ZtnaPolicyConf::names
  bool tags_all;  // ztna-tags-match-logic and
  bool accept;
  bool log_traffic;
  bool enabled;
};

struct ZtnaPolicyConf {
  uint16_t nb_addrs, nb_names, nb_policies;
  ZtnaAddrRange addrs[kMaxZtnaAddrRanges];
  ZtnaName names[kMaxZtnaNames];
  ZtnaPolicy policies[kMaxZtnaPolicies];  // evaluation order; no match = deny
};

// `config user local` as the proxy checks Basic credentials against it:
// names and their PB2 hash words (dataplane/user/user_password.h).
inline constexpr unsigned kMaxZtnaUsers = 1024;
inline constexpr unsigned kZtnaHashMax = 96;  // = kUserPasswordHashMax

struct ZtnaUserCred {
  ZtnaName name;
  char hash[kZtnaHashMax + 1];
  bool enabled;
};

struct ZtnaUserDb {
  uint16_t count;
  ZtnaUserCred users[kMaxZtnaUsers];
};

enum class ZtnaVerdict : uint8_t {
  kAllow,
  kDeny,
  kAuthenticate,  // a user-based policy is next in line: ask for credentials (401)
};

struct ZtnaDecision {
  ZtnaVerdict verdict;
  int policy_index;  // the deciding policy, -1 for the implicit deny
  uint32_t policy_id;
};

}  // namespace tandem::dp
