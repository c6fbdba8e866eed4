// Cross-reference checks of the firewall and router objects: every name a
// policy, group or route uses must exist (or be built in), groups may not
// contain themselves, routes need a next hop on the device's own subnet,
// and enabled policies need every match list FortiOS requires. Each error
// points at the offending `set` value, or at the `edit` of an entry that
// lacks a required key, and suggests the closest known name.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "controlplane/config/config.h"
#include "controlplane/config/firewall.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"

namespace tandem::config {
using firewall_detail::ipv4_of;
using firewall_detail::word_of;
using firewall_detail::words_of;
namespace {

const StoredValue* stored(const ObjectData& object, std::string_view key) {
  auto it = object.values.find(key);
  return it == object.values.end() ? nullptr : &it->second;
}

Location word_location(const ObjectData& object, std::string_view key, std::size_t word, const Location& fallback) {
  const StoredValue* value = stored(object, key);
  if (!value) return fallback;
  if (word < value->word_where.size()) return value->word_where[word];
  return value->where;
}

// RFC 1123 host name: dot-separated labels of letters, digits and hyphens,
// 1..63 each, no hyphen at either end; 253 characters at most, one
// trailing dot allowed.
bool valid_host_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('.', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = end + 1;
  }
  return true;
}

std::string hint(std::string_view word, const std::vector<std::string>& candidates) {
  std::string h = closest_name(word, candidates);
  return h.empty() ? "" : " (did you mean \"" + h + "\"?)";
}

// One namespace of names a policy may use: a member table, its group
// table and the built-ins (addresses, or services).
struct NameSpace {
  std::string_view members_path;   // "firewall address"
  std::string_view groups_path;    // "firewall addrgrp"
  std::string_view member_kind;    // "address"
  std::string_view group_kind;     // "addrgrp"
  std::string_view a_member;       // "an address"
  std::vector<std::string> builtins;
};

NameSpace addresses() {
  NameSpace ns{"firewall address", "firewall addrgrp", "address", "addrgrp", "an address", {}};
  for (const BuiltinAddress& a : builtin_addresses()) ns.builtins.push_back(a.name);
  return ns;
}

NameSpace services() {
  NameSpace ns{"firewall service custom", "firewall service group", "service", "service group", "a service", {}};
  for (const BuiltinService& s : builtin_services()) ns.builtins.push_back(s.name);
  return ns;
}

class FirewallValidator {
 public:
  FirewallValidator(const Config& cfg, std::vector<Diagnostic>* errors) : cfg_(cfg), errors_(errors) {}

  void run() {
    for (const TableEntry& entry : cfg_.table("system interface")->entries) {
      interfaces_.emplace(entry.name, &entry.object);
      interface_names_.push_back(entry.name);
    }
    const NameSpace address_ns = addresses(), service_ns = services();
    check_builtin_clashes(address_ns);
    check_builtin_clashes(service_ns);
    check_addresses();
    check_services();
    check_groups(address_ns);
    check_groups(service_ns);
    check_policies(address_ns, service_ns);
    check_routes();
  }

 private:
  void error(const Location& where, std::string message) { errors_->push_back({where, std::move(message)}); }

  const TableData& table(std::string_view path) const { return *cfg_.table(path); }

  bool known(const NameSpace& ns, const std::string& name) const {
    return std::find(ns.builtins.begin(), ns.builtins.end(), name) != ns.builtins.end() ||
           table(ns.members_path).index.contains(name) || table(ns.groups_path).index.contains(name);
  }

  std::vector<std::string> candidates(const NameSpace& ns) const {
    std::vector<std::string> out = ns.builtins;
    for (std::string_view path : {ns.members_path, ns.groups_path}) {
      for (const TableEntry& e : table(path).entries) out.push_back(e.name);
    }
    return out;
  }

  // Each name of key in object (an entry of path) must resolve in ns.
  void check_names(const NameSpace& ns, std::string_view path, const ObjectData& object, std::string_view key,
                   const Location& fallback, const std::string& owner) {
    const std::vector<std::string>& names = words_of(path, object, key);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (ns.members_path == "firewall address" && firewall_detail::is_fqdn_address(cfg_, names[i])) {
        error(word_location(object, key, i, fallback),
              owner + " " + std::string(key) + " \"" + names[i] + "\" " +
                  std::string(firewall_detail::kFqdnAddressRefused));
        continue;
      }
      if (known(ns, names[i])) continue;
      error(word_location(object, key, i, fallback),
            owner + " " + std::string(key) + " \"" + names[i] + "\" is not " + std::string(ns.a_member) +
                ", " + std::string(ns.group_kind) + " or built-in " + std::string(ns.member_kind) +
                hint(names[i], candidates(ns)));
    }
  }

  // FortiOS ships "all", "ALL", "HTTP"... as entries; here they are built
  // in, and an entry of the same name would silently shadow them.
  void check_builtin_clashes(const NameSpace& ns) {
    for (std::string_view path : {ns.members_path, ns.groups_path}) {
      for (const TableEntry& e : table(path).entries) {
        if (std::find(ns.builtins.begin(), ns.builtins.end(), e.name) != ns.builtins.end()) {
          error(e.where, "\"" + e.name + "\" is a built-in " + std::string(ns.member_kind) +
                             " and cannot be redefined in \"config " + std::string(path) +
                             "\"; use it without an entry");
        }
      }
    }
    for (const TableEntry& e : table(ns.groups_path).entries) {
      if (table(ns.members_path).index.contains(e.name)) {
        error(e.where, std::string(ns.group_kind) + " \"" + e.name + "\" has the name of " +
                           std::string(ns.a_member) + "; " + std::string(ns.member_kind) + " and " +
                           std::string(ns.group_kind) + " names share one namespace");
      }
    }
  }

  void check_addresses() {
    constexpr std::string_view kPath = "firewall address";
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& a = e.object;
      if (word_of(kPath, a, "type") == "fqdn") {
        const std::string& name = word_of(kPath, a, "fqdn");
        if (!valid_host_name(name)) {
          error(stored(a, "fqdn") ? word_location(a, "fqdn", 0, e.where) : e.where,
                "address \"" + e.name + "\" of type fqdn needs a host name (set fqdn app.example.com)" +
                    (name.empty() ? "" : "; \"" + name + "\" is not one"));
        }
        continue;
      }
      if (word_of(kPath, a, "type") == "ipmask") {
        const auto& subnet = words_of(kPath, a, "subnet");
        std::uint32_t ip = ipv4_of(subnet[0]), mask = ipv4_of(subnet[1]);
        if ((ip & ~mask) != 0) {
          error(word_location(a, "subnet", 0, e.where),
                "address \"" + e.name + "\" subnet " + subnet[0] + " " + subnet[1] +
                    " has host bits set (did you mean " + format_ipv4(ip & mask) + " " + subnet[1] + "?)");
        }
        continue;
      }
      if (!stored(a, "start-ip") || !stored(a, "end-ip")) {
        error(word_location(a, "type", 0, e.where),
              "address \"" + e.name + "\" of type iprange needs start-ip and end-ip");
        continue;
      }
      const std::string &start = word_of(kPath, a, "start-ip"), &end = word_of(kPath, a, "end-ip");
      if (ipv4_of(start) > ipv4_of(end)) {
        error(word_location(a, "end-ip", 0, e.where),
              "address \"" + e.name + "\" end-ip " + end + " is below start-ip " + start);
      }
    }
  }

  void check_services() {
    constexpr std::string_view kPath = "firewall service custom";
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& s = e.object;
      const std::string& protocol = word_of(kPath, s, "protocol");
      if (protocol == "TCP/UDP/SCTP" && words_of(kPath, s, "tcp-portrange").empty() &&
          words_of(kPath, s, "udp-portrange").empty() && words_of(kPath, s, "sctp-portrange").empty()) {
        error(e.where, "service \"" + e.name +
                           "\" of protocol TCP/UDP/SCTP needs tcp-portrange, udp-portrange or sctp-portrange");
      }
      if (protocol == "ICMP" && stored(s, "icmpcode") && !stored(s, "icmptype")) {
        error(word_location(s, "icmpcode", 0, e.where),
              "service \"" + e.name + "\" icmpcode needs an icmptype (set icmptype <0..255>)");
      }
    }
  }

  // Unknown members, empty groups, then cycles (depth-first, reported once
  // per back edge at the member that closes the cycle).
  void check_groups(const NameSpace& ns) {
    const TableData& groups = table(ns.groups_path);
    for (const TableEntry& e : groups.entries) {
      if (words_of(ns.groups_path, e.object, "member").empty()) {
        error(e.where, std::string(ns.group_kind) + " \"" + e.name + "\" has no member (set member \"<name>\" ...)");
      }
      check_names(ns, ns.groups_path, e.object, "member", e.where, std::string(ns.group_kind) + " \"" + e.name + "\"");
    }
    enum class Mark { kUnseen, kOnPath, kDone };
    std::vector<Mark> marks(groups.entries.size(), Mark::kUnseen);
    std::vector<std::size_t> path;
    auto visit = [&](auto&& self, std::size_t g) -> void {
      marks[g] = Mark::kOnPath;
      path.push_back(g);
      const ObjectData& object = groups.entries[g].object;
      const auto& members = words_of(ns.groups_path, object, "member");
      for (std::size_t i = 0; i < members.size(); ++i) {
        auto it = groups.index.find(members[i]);
        if (it == groups.index.end()) continue;
        std::size_t m = it->second;
        if (marks[m] == Mark::kOnPath) {
          std::string cycle;
          for (auto p = std::find(path.begin(), path.end(), m); p != path.end(); ++p) {
            cycle += groups.entries[*p].name + " -> ";
          }
          error(word_location(object, "member", i, groups.entries[g].where),
                std::string(ns.group_kind) + " cycle: " + cycle + groups.entries[m].name +
                    " (a group may not contain itself)");
        } else if (marks[m] == Mark::kUnseen) {
          self(self, m);
        }
      }
      path.pop_back();
      marks[g] = Mark::kDone;
    };
    for (std::size_t g = 0; g < groups.entries.size(); ++g) {
      if (marks[g] == Mark::kUnseen) visit(visit, g);
    }
  }

  void check_interfaces(const ObjectData& p, std::string_view key, const Location& fallback, const std::string& owner) {
    const auto& names = words_of("firewall policy", p, key);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "any" || interfaces_.contains(names[i])) continue;
      std::vector<std::string> known = interface_names_;
      known.push_back("any");
      error(word_location(p, key, i, fallback),
            owner + " " + std::string(key) + " \"" + names[i] +
                "\" is not an interface in \"config system interface\" or \"any\"" + hint(names[i], known));
    }
  }

  void check_policies(const NameSpace& address_ns, const NameSpace& service_ns) {
    constexpr std::string_view kPath = "firewall policy";
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& p = e.object;
      std::string owner = "policy " + e.name;
      check_interfaces(p, "srcintf", e.where, owner);
      check_interfaces(p, "dstintf", e.where, owner);
      check_names(address_ns, kPath, p, "srcaddr", e.where, owner);
      check_names(address_ns, kPath, p, "dstaddr", e.where, owner);
      check_names(service_ns, kPath, p, "service", e.where, owner);
      const std::string& schedule = word_of(kPath, p, "schedule");
      if (schedule != "always") {
        error(word_location(p, "schedule", 0, e.where),
              owner + " schedule \"" + schedule + "\" is not supported; only \"always\" is for now");
      }
      if (word_of(kPath, p, "nat") == "enable") {
        error(word_location(p, "nat", 0, e.where),
              owner + ": nat enable is not supported yet (set nat disable)");
      }
      if (word_of(kPath, p, "status") != "enable") continue;
      for (std::string_view key : {"srcintf", "dstintf", "srcaddr", "dstaddr", "service"}) {
        if (words_of(kPath, p, key).empty()) {
          error(e.where, owner + " has no " + std::string(key) +
                             "; an enabled policy needs srcintf, dstintf, srcaddr, dstaddr and service");
        }
      }
    }
  }

  void check_routes() {
    constexpr std::string_view kPath = "router static";
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& r = e.object;
      std::string owner = "static route " + e.name;
      const auto& dst = words_of(kPath, r, "dst");
      std::uint32_t dst_ip = ipv4_of(dst[0]), dst_mask = ipv4_of(dst[1]);
      if ((dst_ip & ~dst_mask) != 0) {
        error(word_location(r, "dst", 0, e.where),
              owner + " dst " + dst[0] + " " + dst[1] + " has host bits set (did you mean " +
                  format_ipv4(dst_ip & dst_mask) + " " + dst[1] + "?)");
      }
      const std::string& device = word_of(kPath, r, "device");
      if (device.empty()) {
        if (word_of(kPath, r, "status") == "enable") {
          error(e.where, owner + " has no device (set device \"<interface>\")");
        }
        continue;
      }
      auto it = interfaces_.find(device);
      if (it == interfaces_.end()) {
        error(word_location(r, "device", 0, e.where),
              owner + " device \"" + device + "\" is not an interface in \"config system interface\"" +
                  hint(device, interface_names_));
        continue;
      }
      const std::string& gateway_text = word_of(kPath, r, "gateway");
      std::uint32_t gateway = ipv4_of(gateway_text);
      if (gateway == 0) continue;
      const auto& if_ip = words_of("system interface", *it->second, "ip");
      std::uint32_t ip = ipv4_of(if_ip[0]), mask = ipv4_of(if_ip[1]);
      Location at = word_location(r, "gateway", 0, e.where);
      if (ip == 0) {
        error(at, owner + " gateway " + gateway_text + " cannot be reached: interface \"" + device + "\" has no ip");
      } else if ((gateway & mask) != (ip & mask)) {
        error(at, owner + " gateway " + gateway_text + " is not on the connected subnet of \"" + device + "\" (" +
                      format_ipv4(ip & mask) + " " + if_ip[1] + ")");
      } else if (gateway == ip) {
        error(at, owner + " gateway " + gateway_text + " is the address of \"" + device + "\" itself");
      }
    }
  }

  const Config& cfg_;
  std::vector<Diagnostic>* errors_;
  std::map<std::string, const ObjectData*, std::less<>> interfaces_;
  std::vector<std::string> interface_names_;
};

}  // namespace

void validate_firewall(const Config& cfg, std::vector<Diagnostic>* errors) {
  FirewallValidator(cfg, errors).run();
}

}  // namespace tandem::config
