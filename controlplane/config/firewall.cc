// Built-in firewall objects and the resolution of policies and routes into
// the typed views: groups flattened depth-first, address ranges sorted and
// merged, service ranges de-duplicated in first-seen order.
#include "controlplane/config/firewall.h"

#include <algorithm>
#include <map>

#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"

namespace tandem::config {
using firewall_detail::ipv4_of;
using firewall_detail::word_of;
using firewall_detail::words_of;
namespace {

constexpr std::uint8_t kProtoAny = 0;
constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoSctp = 132;
constexpr int kIcmpAny = -1;
constexpr int kIcmpEchoRequest = 8;

ServiceRange ports(std::uint8_t proto, std::uint16_t lo, std::uint16_t hi) {
  return {proto, lo, hi, 0, kMaxPort, kIcmpAny, kIcmpAny};
}
ServiceRange any_ports(std::uint8_t proto, int icmp_type = kIcmpAny, int icmp_code = kIcmpAny) {
  return {proto, 0, kMaxPort, 0, kMaxPort, icmp_type, icmp_code};
}


void merge(std::vector<AddrRange>* ranges) {
  std::sort(ranges->begin(), ranges->end(),
            [](const AddrRange& a, const AddrRange& b) { return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi); });
  std::vector<AddrRange> out;
  for (const AddrRange& r : *ranges) {
    // Adjacent ranges merge too; hi + 1 would wrap at 255.255.255.255.
    if (!out.empty() && (out.back().hi == UINT32_MAX || r.lo <= out.back().hi + 1)) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else {
      out.push_back(r);
    }
  }
  *ranges = std::move(out);
}

void append_unique(const std::vector<ServiceRange>& from, std::vector<ServiceRange>* to) {
  for (const ServiceRange& r : from) {
    if (std::find(to->begin(), to->end(), r) == to->end()) to->push_back(r);
  }
}

// Memoised name -> ranges over one config. Validation rejected cycles and
// unknown names, so recursion ends; an unknown name resolves to nothing.
class Resolver {
 public:
  explicit Resolver(const Config& cfg) : cfg_(cfg) {}

  const std::vector<AddrRange>& address(const std::string& name) {
    auto memo = addresses_.find(name);
    if (memo != addresses_.end()) return memo->second;
    std::vector<AddrRange> out;
    if (const BuiltinAddress* b = find_builtin_address(name)) {
      out = b->ranges;
    } else if (const ObjectData* a = entry("firewall address", name)) {
      const std::string& type = word_of("firewall address", *a, "type");
      if (type == "fqdn") {
        // Validation keeps names out of policies and groups: nothing to match.
      } else if (type == "iprange") {
        out.push_back({ipv4_of(word_of("firewall address", *a, "start-ip")),
                       ipv4_of(word_of("firewall address", *a, "end-ip"))});
      } else {
        const auto& subnet = words_of("firewall address", *a, "subnet");
        std::uint32_t ip = ipv4_of(subnet.at(0)), mask = ipv4_of(subnet.at(1));
        out.push_back({ip & mask, (ip & mask) | ~mask});
      }
    } else if (const ObjectData* g = entry("firewall addrgrp", name)) {
      for (const std::string& member : words_of("firewall addrgrp", *g, "member")) {
        const auto& sub = address(member);
        out.insert(out.end(), sub.begin(), sub.end());
      }
      merge(&out);
    }
    return addresses_[name] = std::move(out);
  }

  const std::vector<ServiceRange>& service(const std::string& name) {
    auto memo = services_.find(name);
    if (memo != services_.end()) return memo->second;
    std::vector<ServiceRange> out;
    if (const BuiltinService* b = find_builtin_service(name)) {
      out = b->ranges;
    } else if (const ObjectData* s = entry("firewall service custom", name)) {
      out = custom_service(*s);
    } else if (const ObjectData* g = entry("firewall service group", name)) {
      for (const std::string& member : words_of("firewall service group", *g, "member")) {
        append_unique(service(member), &out);
      }
    }
    return services_[name] = std::move(out);
  }

 private:
  const ObjectData* entry(std::string_view path, const std::string& name) const {
    const TableData* table = cfg_.table(path);
    auto it = table->index.find(name);
    return it == table->index.end() ? nullptr : &table->entries[it->second].object;
  }

  static std::vector<ServiceRange> custom_service(const ObjectData& s) {
    constexpr std::string_view kPath = "firewall service custom";
    std::vector<ServiceRange> out;
    const std::string& protocol = word_of(kPath, s, "protocol");
    if (protocol == "ICMP") {
      auto icmp = [&](std::string_view key) {
        const auto& w = words_of(kPath, s, key);
        return w.empty() ? kIcmpAny : static_cast<int>(parse_integer(w[0], 0, 255).value_or(0));
      };
      out.push_back(any_ports(kProtoIcmp, icmp("icmptype"), icmp("icmpcode")));
    } else if (protocol == "IP") {
      out.push_back(any_ports(static_cast<std::uint8_t>(
          parse_integer(word_of(kPath, s, "protocol-number"), 0, 255).value_or(kProtoAny))));
    } else {
      for (auto [key, proto] : {std::pair{"tcp-portrange", kProtoTcp}, std::pair{"udp-portrange", kProtoUdp},
                                std::pair{"sctp-portrange", kProtoSctp}}) {
        for (const std::string& spec_text : words_of(kPath, s, key)) {
          PortRangeSpec spec = parse_port_range(spec_text).value_or(PortRangeSpec{});
          ServiceRange r{proto, spec.dst_lo, spec.dst_hi, spec.src_lo, spec.src_hi, kIcmpAny, kIcmpAny};
          if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
        }
      }
    }
    return out;
  }

  const Config& cfg_;
  std::map<std::string, std::vector<AddrRange>, std::less<>> addresses_;
  std::map<std::string, std::vector<ServiceRange>, std::less<>> services_;
};

}  // namespace

const std::vector<BuiltinAddress>& builtin_addresses() {
  static const std::vector<BuiltinAddress> addresses = {
      {"all", {{0, UINT32_MAX}}},
      {"none", {}},
  };
  return addresses;
}

const std::vector<BuiltinService>& builtin_services() {
  // FortiOS's factory services of the same names (NTP and SNMP: UDP only).
  static const std::vector<BuiltinService> services = {
      {"ALL", {any_ports(kProtoAny)}},
      {"ALL_TCP", {ports(kProtoTcp, 1, kMaxPort)}},
      {"ALL_UDP", {ports(kProtoUdp, 1, kMaxPort)}},
      {"ALL_ICMP", {any_ports(kProtoIcmp)}},
      {"PING", {any_ports(kProtoIcmp, kIcmpEchoRequest)}},
      {"HTTP", {ports(kProtoTcp, 80, 80)}},
      {"HTTPS", {ports(kProtoTcp, 443, 443)}},
      {"SSH", {ports(kProtoTcp, 22, 22)}},
      {"DNS", {ports(kProtoUdp, 53, 53), ports(kProtoTcp, 53, 53)}},
      {"TELNET", {ports(kProtoTcp, 23, 23)}},
      {"FTP", {ports(kProtoTcp, 21, 21)}},
      {"SMTP", {ports(kProtoTcp, 25, 25)}},
      {"NTP", {ports(kProtoUdp, 123, 123)}},
      {"SNMP", {ports(kProtoUdp, 161, 162)}},
  };
  return services;
}

const BuiltinAddress* find_builtin_address(std::string_view name) {
  for (const BuiltinAddress& a : builtin_addresses()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const BuiltinService* find_builtin_service(std::string_view name) {
  for (const BuiltinService& s : builtin_services()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string describe(const ServiceRange& r) {
  auto span = [](unsigned lo, unsigned hi) {
    return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
  };
  std::string out;
  switch (r.proto) {
    case kProtoAny: return "any IP protocol";
    case kProtoIcmp:
      out = "ICMP";
      if (r.icmp_type >= 0) out += " type " + std::to_string(r.icmp_type);
      if (r.icmp_code >= 0) out += " code " + std::to_string(r.icmp_code);
      return r.icmp_type < 0 && r.icmp_code < 0 ? out + " (any type)" : out;
    case kProtoTcp: out = "TCP "; break;
    case kProtoUdp: out = "UDP "; break;
    case kProtoSctp: out = "SCTP "; break;
    default: return "IP protocol " + std::to_string(r.proto);
  }
  out += span(r.dst_lo, r.dst_hi);
  if (r.src_lo != 0 || r.src_hi != kMaxPort) out += " from " + span(r.src_lo, r.src_hi);
  return out;
}

std::vector<FirewallPolicy> resolve_policies(const Config& cfg) {
  constexpr std::string_view kPath = "firewall policy";
  Resolver resolver(cfg);
  std::vector<FirewallPolicy> out;
  for (const TableEntry& entry : cfg.table(kPath)->entries) {
    const ObjectData& p = entry.object;
    FirewallPolicy policy;
    policy.id = static_cast<unsigned>(parse_integer(entry.name, 0, UINT32_MAX).value_or(0));
    policy.name = word_of(kPath, p, "name");
    policy.srcintf = words_of(kPath, p, "srcintf");
    policy.dstintf = words_of(kPath, p, "dstintf");
    for (auto [key, ranges] : {std::pair{"srcaddr", &policy.src}, std::pair{"dstaddr", &policy.dst}}) {
      for (const std::string& name : words_of(kPath, p, key)) {
        const auto& r = resolver.address(name);
        ranges->insert(ranges->end(), r.begin(), r.end());
      }
      merge(ranges);
    }
    for (const std::string& name : words_of(kPath, p, "service")) {
      append_unique(resolver.service(name), &policy.services);
    }
    policy.accept = word_of(kPath, p, "action") == "accept";
    policy.log = word_of(kPath, p, "logtraffic") == "all";
    policy.enabled = word_of(kPath, p, "status") == "enable";
    out.push_back(std::move(policy));
  }
  return out;
}

std::vector<AddrRange> resolve_addresses(const Config& cfg, const std::vector<std::string>& names) {
  Resolver resolver(cfg);
  std::vector<AddrRange> out;
  for (const std::string& name : names) {
    const auto& r = resolver.address(name);
    out.insert(out.end(), r.begin(), r.end());
  }
  merge(&out);
  return out;
}

std::vector<StaticRoute> resolve_routes(const Config& cfg) {
  constexpr std::string_view kPath = "router static";
  std::vector<StaticRoute> out;
  for (const TableEntry& entry : cfg.table(kPath)->entries) {
    const ObjectData& r = entry.object;
    const auto& dst = words_of(kPath, r, "dst");
    std::uint32_t mask = ipv4_of(dst.at(1));
    out.push_back({static_cast<unsigned>(parse_integer(entry.name, 0, UINT32_MAX).value_or(0)),
                   ipv4_of(dst.at(0)) & mask, static_cast<std::uint8_t>(netmask_prefix(mask).value_or(0)),
                   ipv4_of(word_of(kPath, r, "gateway")), word_of(kPath, r, "device"),
                   static_cast<unsigned>(parse_integer(word_of(kPath, r, "distance"), 0, UINT32_MAX).value_or(0)),
                   static_cast<unsigned>(parse_integer(word_of(kPath, r, "priority"), 0, UINT32_MAX).value_or(0)),
                   word_of(kPath, r, "status") == "enable"});
  }
  return out;
}

namespace firewall_detail {

const std::vector<std::string>& words_of(std::string_view path, const ObjectData& object, std::string_view key) {
  return value_words(*find_key(*find_object(path), key), object);
}
const std::string& word_of(std::string_view path, const ObjectData& object, std::string_view key) {
  return words_of(path, object, key).at(0);
}

bool is_fqdn_address(const Config& cfg, const std::string& name) {
  const TableData& t = *cfg.table("firewall address");
  auto it = t.index.find(name);
  return it != t.index.end() && word_of("firewall address", t.entries[it->second].object, "type") == "fqdn";
}

std::uint32_t ipv4_of(const std::string& text) {
  std::uint32_t ip = 0;
  parse_ipv4(text, &ip);
  return ip;
}

}  // namespace firewall_detail
}  // namespace tandem::config
