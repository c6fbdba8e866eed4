// Firewall and router objects taken as a whole: the built-in addresses and
// services FortiOS ships (usable in policies and groups without a table
// entry), the cross-reference checks of addresses, groups, services,
// policies and static routes, and their resolution into the flat views of
// node_config.h. validate() calls validate_firewall(), node_config() calls
// the resolve_ functions, and the docs generator lists the built-ins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config_types.h"
#include "controlplane/config/node_config.h"

namespace tandem::config {

struct BuiltinAddress {
  std::string name;
  std::vector<AddrRange> ranges;  // empty: matches nothing
};

struct BuiltinService {
  std::string name;
  std::vector<ServiceRange> ranges;
};

// "all" (0.0.0.0/0) and "none" (nothing), as FortiOS ships them.
const std::vector<BuiltinAddress>& builtin_addresses();
// ALL, ALL_TCP, ALL_UDP, ALL_ICMP, PING, HTTP, HTTPS, SSH, DNS, TELNET,
// FTP, SMTP, NTP, SNMP.
const std::vector<BuiltinService>& builtin_services();
const BuiltinAddress* find_builtin_address(std::string_view name);
const BuiltinService* find_builtin_service(std::string_view name);

// "TCP 80", "UDP 161-162", "ICMP type 8", "any IP protocol": for docs.
std::string describe(const ServiceRange& range);

// Appends one Diagnostic per problem, each at the offending `set` value
// (or the `edit` of an entry that lacks something).
void validate_firewall(const Config& cfg, std::vector<Diagnostic>* errors);

// cfg must have validated cleanly (names resolve, no group cycles).
std::vector<FirewallPolicy> resolve_policies(const Config& cfg);
std::vector<StaticRoute> resolve_routes(const Config& cfg);
// The merged ranges of address and address-group names (proxy policies).
std::vector<AddrRange> resolve_addresses(const Config& cfg, const std::vector<std::string>& names);

// Shared by firewall.cc and firewall_validate.cc: a stored value's words by
// schema path and key (defaults applied), and an IPv4 word in host order
// (0 when it does not parse; validation has rejected those already).
namespace firewall_detail {
const std::vector<std::string>& words_of(std::string_view path, const ObjectData& object,
                                         std::string_view key);
const std::string& word_of(std::string_view path, const ObjectData& object, std::string_view key);
std::uint32_t ipv4_of(const std::string& text);
// An entry of `config firewall address` of type fqdn (names resolve for
// real servers only; policies and groups refuse them).
bool is_fqdn_address(const Config& cfg, const std::string& name);
inline constexpr std::string_view kFqdnAddressRefused =
    "is an address of type fqdn; names are resolved only for real servers (addr-type fqdn), not in "
    "policies or groups yet";
}  // namespace firewall_detail

}  // namespace tandem::config
