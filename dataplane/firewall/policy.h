// Firewall policy evaluation for the first packet of a flow: the worker calls
// policy_lookup() after the route lookup decided the egress interface, and
// either creates a session (accept) or drops and counts (deny, or no policy:
// implicit deny). Pure functions over the snapshot's FirewallConf.
#pragma once

#include "dataplane/firewall/firewall_types.h"

namespace tandem::dp {

// Index of the first enabled policy matching `flow`, or -1 (implicit deny).
// A policy whose address or service indexes point outside the pools never
// matches.
int policy_lookup(const FirewallConf& fw, const FwFlow& flow);

// The parts, exposed for unit tests.
bool policy_matches(const FirewallConf& fw, const FwPolicy& policy, const FwFlow& flow);
bool service_matches(const FwService& service, const FwFlow& flow);

}  // namespace tandem::dp
