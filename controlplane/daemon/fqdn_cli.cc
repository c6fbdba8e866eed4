// Real servers named by host name (addr-type fqdn): what the node asks the
// resolver for, the rebuild when an answer changes, and `diagnose firewall
// fqdn list` (FortiOS's command, with Tandem's error and age columns).
#include <arpa/inet.h>

#include <cstdio>

#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/node.h"

namespace tandem::daemon {

void Node::fqdn_follow_config() {
  std::vector<std::string> names;
  for (const auto& proxy : node_.ztna.access_proxies)
    for (const auto& gw : proxy.api_gateways)
      for (const auto& rs : gw.realservers)
        if (!rs.fqdn.empty()) names.push_back(rs.fqdn);
  fqdn_->set_names(names);
  fqdn_->refresh();
}

void Node::fqdn_poll() {
  if (!fqdn_->take_changed()) return;
  for (const FqdnEntry& e : fqdn_->entries()) {
    std::string addrs;
    for (uint32_t a : e.addrs_be) addrs += (addrs.empty() ? "" : " ") + ipv4_text(a);
    event_log().log(e.addrs_be.empty() ? Severity::kWarning : Severity::kInfo,
                    "ZTNA: real server name %s: %s", e.name.c_str(),
                    e.addrs_be.empty() ? ("does not resolve (" + e.error + ")").c_str() : addrs.c_str());
  }
  if (dataplane_ == nullptr) return;  // still starting: the first snapshot takes the answers
  std::string err;
  if (!republish(&err)) event_log().log(Severity::kError, "ZTNA: cannot publish the resolved real servers: %s", err.c_str());
}

config::ZtnaConfig Node::ztna_resolved() const {
  config::ZtnaConfig z = node_.ztna;
  for (auto& proxy : z.access_proxies)
    for (auto& gw : proxy.api_gateways)
      for (auto& rs : gw.realservers) {
        if (rs.fqdn.empty()) continue;
        rs.fqdn_ips.clear();  // none: unresolved, left out
        for (uint32_t a : fqdn_->addresses(rs.fqdn)) rs.fqdn_ips.push_back(ntohl(a));
      }
  return z;
}

std::vector<cli::Command> Node::fqdn_commands() {
  using cli::Args;
  return {
      {"diagnose firewall fqdn list", "",
       "host names of real servers (addr-type fqdn) and the addresses they resolve to",
       [this](const Args&) {
         std::string out = "List all FQDN:\n";
         const auto now = std::chrono::steady_clock::now();
         char line[96];
         for (const FqdnEntry& e : fqdn_->entries()) {
           out += e.name + ": ID(" + std::to_string(e.id) + ")";
           for (uint32_t a : e.addrs_be) out += " ADDR(" + ipv4_text(a) + ")";
           if (e.addrs_be.empty()) out += " unresolved: " + e.error;
           if (e.resolved_once) {
             std::snprintf(line, sizeof line, " (looked up %llds ago)",
                           static_cast<long long>(
                               std::chrono::duration_cast<std::chrono::seconds>(now - e.resolved_at).count()));
             out += line;
           }
           out += "\n";
         }
         return cli::Reply{true, out};
       }},
  };
}

}  // namespace tandem::daemon
