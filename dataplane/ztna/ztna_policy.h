// The proxy-policy decision of the ZTNA proxy: which `config firewall
// proxy-policy` entry applies to a request that passed the TLS and Host
// checks, given its access proxy, client address, authenticated user (if
// any) and the device tags of its client certificate. Pure; called on the
// worker once per request head (or once per connection when the user is
// already known), so it allocates nothing and walks the table once.
//
// FortiOS semantics: policies in table order; the first enabled one whose
// access proxy, srcintf, srcaddr, dstaddr and tags match decides. If it
// names users or groups, an authenticated user must be among them; when
// the request has no user yet, that policy asks for authentication
// (kAuthenticate, a 401 Basic challenge) instead of being skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/ztna/ztna_types.h"

namespace tandem::dp {

struct ZtnaRequest {
  uint32_t proxy_index;  // bit in ZtnaPolicy::proxy_mask
  uint32_t in_port;      // bit in ZtnaPolicy::srcintf_mask
  uint32_t src;          // client address, host order
  uint32_t dst;          // real server address, host order (0 before the gateway is chosen: dstaddr not checked)
  std::string_view user;  // empty: not authenticated
  const std::string_view* tags;  // the client certificate's tags
  std::size_t tag_count;
};

ZtnaDecision ztna_policy_match(const ZtnaPolicyConf& conf, const ZtnaRequest& request);

}  // namespace tandem::dp
