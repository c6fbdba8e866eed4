// Resolution of the ZTNA objects into node_config.h's plain structs: the
// daemon hands these to the TLS contexts, the url-map compiler and the
// proxy policy matcher without looking up a config name again.
#include "controlplane/config/ztna.h"

#include <algorithm>

#include "controlplane/config/firewall.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"

namespace tandem::config {
using firewall_detail::ipv4_of;
using firewall_detail::word_of;
using firewall_detail::words_of;
namespace {

unsigned as_uint(const std::string& word) {
  return static_cast<unsigned>(parse_integer(word, 0, UINT32_MAX).value_or(0));
}

const ObjectData* entry(const Config& cfg, std::string_view path, const std::string& name) {
  const TableData* t = cfg.table(path);
  auto it = t->index.find(name);
  return it == t->index.end() ? nullptr : &t->entries[it->second].object;
}

ZtnaCertificate local_certificate(const Config& cfg, const std::string& name) {
  const ObjectData* c = entry(cfg, "vpn certificate local", name);
  if (!c) return {name, "", ""};
  return {name, word_of("vpn certificate local", *c, "certificate"), word_of("vpn certificate local", *c, "private-key")};
}

std::vector<ZtnaApiGateway> api_gateways(const Config& cfg, const ObjectData& proxy) {
  const ObjectSchema& gw_schema = *find_child(*find_object("firewall access-proxy"), "api-gateway");
  const ObjectSchema& rs_schema = *find_child(gw_schema, "realservers");
  auto word = [](const ObjectSchema& s, const ObjectData& o, std::string_view key) -> const std::string& {
    return value_words(*find_key(s, key), o).at(0);
  };
  std::vector<ZtnaApiGateway> out;
  for (const TableEntry& gw : proxy.children.at("api-gateway").entries) {
    ZtnaApiGateway g{as_uint(gw.name),
                     word(gw_schema, gw.object, "url-map"),
                     word(gw_schema, gw.object, "url-map-type"),
                     word(gw_schema, gw.object, "service"),
                     word(gw_schema, gw.object, "virtual-host"),
                     word(gw_schema, gw.object, "ldb-method"),
                     {},
                     {}};
    for (const TableEntry& rs : gw.object.children.at("realservers").entries) {
      g.realservers.push_back({as_uint(rs.name), ipv4_of(word(rs_schema, rs.object, "ip")),
                               static_cast<uint16_t>(as_uint(word(rs_schema, rs.object, "port"))),
                               word(rs_schema, rs.object, "status"), as_uint(word(rs_schema, rs.object, "weight")),
                               word(rs_schema, rs.object, "health-check") == "enable",
                               word(rs_schema, rs.object, "health-check-proto") == "http",
                               word(rs_schema, rs.object, "health-check-proto") == "ping",
                               word(rs_schema, rs.object, "holddown-interval") == "enable",
                               word(rs_schema, rs.object, "verify-cert") == "enable",
                               word(rs_schema, rs.object, "http-host"),
                               "",
                               {}});
      if (word(rs_schema, rs.object, "addr-type") == "fqdn") {
        g.realservers.back().ip = 0;
        if (const ObjectData* a = entry(cfg, "firewall address", word(rs_schema, rs.object, "address")))
          g.realservers.back().fqdn = word_of("firewall address", *a, "fqdn");
      }
    }
    for (const std::string& ca : value_words(*find_key(gw_schema, "realserver-ca"), gw.object)) {
      if (const ObjectData* c = entry(cfg, "vpn certificate ca", ca)) {
        g.realserver_ca_files.push_back(word_of("vpn certificate ca", *c, "ca"));
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

ZtnaConfig resolve_ztna(const Config& cfg) {
  ZtnaConfig z;
  std::vector<std::string> crl_files;
  for (const TableEntry& e : cfg.table("vpn certificate crl")->entries) {
    crl_files.push_back(word_of("vpn certificate crl", e.object, "crl"));
  }
  for (const TableEntry& e : cfg.table("firewall access-proxy")->entries) {
    constexpr std::string_view kPath = "firewall access-proxy";
    const ObjectData& p = e.object;
    ZtnaAccessProxy a;
    a.name = e.name;
    a.vip = word_of(kPath, p, "vip");
    const ObjectData* vip = entry(cfg, "firewall vip", a.vip);
    a.ip = vip ? ipv4_of(word_of("firewall vip", *vip, "extip")) : 0;
    a.port = vip ? static_cast<uint16_t>(as_uint(word_of("firewall vip", *vip, "extport"))) : 0;
    a.extintf = vip ? word_of("firewall vip", *vip, "extintf") : "any";
    a.server_certificate = local_certificate(cfg, vip ? word_of("firewall vip", *vip, "ssl-certificate") : "");
    a.client_cert = word_of(kPath, p, "client-cert") == "enable";
    a.empty_cert_accept = word_of(kPath, p, "empty-cert-action") == "accept";
    for (const std::string& ca : words_of(kPath, p, "client-cert-ca")) {
      if (const ObjectData* c = entry(cfg, "vpn certificate ca", ca)) {
        a.client_ca_files.push_back(word_of("vpn certificate ca", *c, "ca"));
      }
    }
    a.crl_files = crl_files;
    a.log_blocked = word_of(kPath, p, "log-blocked-traffic") == "enable";
    a.api_gateways = api_gateways(cfg, p);
    z.access_proxies.push_back(std::move(a));
  }

  for (const TableEntry& e : cfg.table("user local")->entries) {
    const auto& passwd = words_of("user local", e.object, "passwd");
    z.users.push_back({e.name, passwd.size() == 2 ? passwd[1] : std::string(),
                       word_of("user local", e.object, "status") == "enable"});
  }
  for (const TableEntry& e : cfg.table("user group")->entries) {
    z.groups.push_back({e.name, words_of("user group", e.object, "member")});
  }

  for (const TableEntry& e : cfg.table("firewall proxy-policy")->entries) {
    constexpr std::string_view kPath = "firewall proxy-policy";
    const ObjectData& p = e.object;
    ZtnaProxyPolicy policy;
    policy.id = as_uint(e.name);
    policy.name = word_of(kPath, p, "name");
    policy.access_proxies = words_of(kPath, p, "access-proxy");
    policy.srcintf = words_of(kPath, p, "srcintf");
    policy.src = resolve_addresses(cfg, words_of(kPath, p, "srcaddr"));
    policy.dst = resolve_addresses(cfg, words_of(kPath, p, "dstaddr"));
    policy.ems_tags = words_of(kPath, p, "ztna-ems-tag");
    policy.tags_match_all = word_of(kPath, p, "ztna-tags-match-logic") == "and";
    policy.users = words_of(kPath, p, "users");
    policy.groups = words_of(kPath, p, "groups");
    for (const std::string& g : policy.groups) {
      const ObjectData* group = entry(cfg, "user group", g);
      if (!group) continue;
      for (const std::string& member : words_of("user group", *group, "member")) {
        if (std::find(policy.users.begin(), policy.users.end(), member) == policy.users.end()) {
          policy.users.push_back(member);
        }
      }
    }
    policy.accept = word_of(kPath, p, "action") == "accept";
    policy.enabled = word_of(kPath, p, "status") == "enable";
    policy.log = word_of(kPath, p, "logtraffic") == "all";
    z.policies.push_back(std::move(policy));
  }

  const ObjectData& setting = *cfg.singleton("user setting");
  constexpr unsigned kSecondsPerMinute = 60;
  z.auth_timeout_s = as_uint(word_of("user setting", setting, "auth-timeout")) * kSecondsPerMinute;
  z.auth_timeout_hard = word_of("user setting", setting, "auth-timeout-type") == "hard-timeout";
  const ObjectData& global = *cfg.singleton("system global");
  z.keepalive_timeout_s = as_uint(word_of("system global", global, "ztna-keepalive-timeout"));
  z.idle_timeout_s = as_uint(word_of("system global", global, "ztna-idle-timeout"));
  if (z.idle_timeout_s == 0) {
    z.idle_timeout_s = as_uint(word_of("system session-ttl", *cfg.singleton("system session-ttl"), "default"));
  }
  return z;
}

}  // namespace tandem::config
