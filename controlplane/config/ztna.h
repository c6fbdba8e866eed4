// The ZTNA objects taken as a whole (`firewall vip`, `firewall
// access-proxy`, `firewall proxy-policy`, `user local|group|setting`,
// `vpn certificate ca|local|crl`): their cross-reference checks, called by
// validate(), and their resolution into the plain structs of node_config.h,
// called by node_config().
#pragma once

#include <vector>

#include "controlplane/config/config_types.h"
#include "controlplane/config/node_config.h"

namespace tandem::config {

// Appends one Diagnostic per problem, at the offending `set` value or at
// the `edit` of an entry that lacks a required key.
void validate_ztna(const Config& cfg, std::vector<Diagnostic>* errors);

// cfg must have validated cleanly: every name resolves.
ZtnaConfig resolve_ztna(const Config& cfg);

}  // namespace tandem::config
