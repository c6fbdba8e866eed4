// Cross-reference checks of the ZTNA objects: an access proxy's VIP exists
// and is an access-proxy VIP, certificates and CAs named anywhere exist,
// users and groups named by policies exist, and every entry carries what
// the dataplane cannot do without (paths, addresses, ports). Files named
// by certificate entries are not opened here: config sync applies the same
// text on the peer, whose files are its own; the TLS context build reports
// a missing or bad file (docs/ztna.md).
#include <algorithm>
#include <map>

#include "controlplane/config/config.h"
#include "controlplane/config/firewall.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"
#include "controlplane/config/ztna.h"
#include "dataplane/policy/url_map.h"

namespace tandem::config {
using firewall_detail::word_of;
using firewall_detail::words_of;
namespace {

Location where_of(const ObjectData& object, std::string_view key, std::size_t word, const Location& fallback) {
  auto it = object.values.find(key);
  if (it == object.values.end()) return fallback;
  if (word < it->second.word_where.size()) return it->second.word_where[word];
  return it->second.where;
}

class ZtnaValidator {
 public:
  ZtnaValidator(const Config& cfg, std::vector<Diagnostic>* errors) : cfg_(cfg), errors_(errors) {}

  void run() {
    check_certificates();
    check_users();
    check_vips();
    check_access_proxies();
    check_proxy_policies();
  }

 private:
  void error(const Location& where, std::string message) { errors_->push_back({where, std::move(message)}); }

  const TableData& table(std::string_view path) const { return *cfg_.table(path); }

  std::vector<std::string> names_in(std::string_view path) const {
    std::vector<std::string> out;
    for (const TableEntry& e : table(path).entries) out.push_back(e.name);
    return out;
  }

  // Each name of key must be an entry of target (or one of extra).
  void check_refs(std::string_view path, const TableEntry& e, std::string_view key, std::string_view target,
                  std::string_view what, const std::vector<std::string>& extra = {}) {
    const auto& names = words_of(path, e.object, key);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (table(target).index.contains(names[i])) continue;
      if (std::find(extra.begin(), extra.end(), names[i]) != extra.end()) continue;
      std::vector<std::string> candidates = names_in(target);
      candidates.insert(candidates.end(), extra.begin(), extra.end());
      std::string hint = closest_name(names[i], candidates);
      error(where_of(e.object, key, i, e.where),
            std::string(key) + " \"" + names[i] + "\" is not " + std::string(what) + " in \"config " +
                std::string(target) + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
    }
  }

  void require_word(std::string_view path, const TableEntry& e, std::string_view key, std::string_view why) {
    if (!word_of(path, e.object, key).empty()) return;
    error(e.where, std::string(path) + " \"" + e.name + "\" needs " + std::string(key) + " (" + std::string(why) + ")");
  }

  void check_certificates() {
    for (const TableEntry& e : table("vpn certificate ca").entries) {
      require_word("vpn certificate ca", e, "ca", "set ca \"<path of the PEM file>\"");
    }
    for (const TableEntry& e : table("vpn certificate local").entries) {
      require_word("vpn certificate local", e, "certificate", "set certificate \"<path of the PEM file>\"");
      require_word("vpn certificate local", e, "private-key", "set private-key \"<path of the PEM file>\"");
    }
    for (const TableEntry& e : table("vpn certificate crl").entries) {
      require_word("vpn certificate crl", e, "crl", "set crl \"<path of the PEM file>\"");
    }
  }

  void check_users() {
    for (const TableEntry& e : table("user local").entries) {
      if (word_of("user local", e.object, "status") == "enable" && words_of("user local", e.object, "passwd").empty()) {
        error(e.where, "user local \"" + e.name + "\" needs a passwd while status is enable (set passwd \"<password>\")");
      }
    }
    for (const TableEntry& e : table("user group").entries) {
      check_refs("user group", e, "member", "user local", "a user");
    }
  }

  void check_vips() {
    constexpr std::string_view kPath = "firewall vip";
    std::map<std::pair<std::string, std::string>, std::string> owner;  // (extip, extport) -> vip
    std::vector<std::string> interfaces = names_in("system interface");
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& v = e.object;
      if (word_of(kPath, v, "type") != "access-proxy") {
        error(where_of(v, "type", 0, e.where),
              "firewall vip \"" + e.name + "\": type static-nat is not supported yet (set type access-proxy)");
        continue;
      }
      const std::string& extip = word_of(kPath, v, "extip");
      const std::string& extport = word_of(kPath, v, "extport");
      if (extip == "0.0.0.0") error(e.where, "firewall vip \"" + e.name + "\" needs extip (set extip a.b.c.d)");
      if (extport == "0") error(e.where, "firewall vip \"" + e.name + "\" needs extport (set extport <port>)");
      const std::string& intf = word_of(kPath, v, "extintf");
      if (intf != "any" && !table("system interface").index.contains(intf)) {
        std::string hint = closest_name(intf, interfaces);
        error(where_of(v, "extintf", 0, e.where), "extintf \"" + intf + "\" is not an interface or \"any\"" +
                                                      (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
      }
      const std::string& cert = word_of(kPath, v, "ssl-certificate");
      if (cert.empty()) {
        error(e.where, "firewall vip \"" + e.name +
                           "\" needs ssl-certificate (set ssl-certificate \"<vpn certificate local name>\")");
      } else {
        check_refs(kPath, e, "ssl-certificate", "vpn certificate local", "a certificate");
      }
      if (extip != "0.0.0.0" && extport != "0") {
        auto [it, inserted] = owner.emplace(std::pair{extip, extport}, e.name);
        if (!inserted) {
          error(where_of(v, "extport", 0, e.where), "firewall vip \"" + e.name + "\" listens on " + extip + ":" +
                                                        extport + " already taken by vip \"" + it->second + "\"");
        }
      }
    }
  }

  void check_access_proxies() {
    constexpr std::string_view kPath = "firewall access-proxy";
    std::map<std::string, std::string> vip_owner;
    const ObjectSchema& gw_schema = *find_child(*find_object(kPath), "api-gateway");
    const ObjectSchema& rs_schema = *find_child(gw_schema, "realservers");
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& p = e.object;
      const std::string& vip = word_of(kPath, p, "vip");
      if (vip.empty()) {
        error(e.where, "firewall access-proxy \"" + e.name + "\" needs a vip (set vip \"<firewall vip name>\")");
      } else if (auto it = table("firewall vip").index.find(vip); it == table("firewall vip").index.end()) {
        check_refs(kPath, e, "vip", "firewall vip", "a VIP");
      } else if (word_of("firewall vip", table("firewall vip").entries[it->second].object, "type") != "access-proxy") {
        error(where_of(p, "vip", 0, e.where), "vip \"" + vip + "\" is not of type access-proxy");
      } else if (auto [owner, inserted] = vip_owner.emplace(vip, e.name); !inserted) {
        error(where_of(p, "vip", 0, e.where),
              "vip \"" + vip + "\" is already used by access-proxy \"" + owner->second + "\"");
      }
      check_refs(kPath, e, "client-cert-ca", "vpn certificate ca", "a CA certificate");
      if (word_of(kPath, p, "client-cert") == "enable" && words_of(kPath, p, "client-cert-ca").empty()) {
        error(e.where, "firewall access-proxy \"" + e.name +
                           "\" verifies client certificates but names no CA (set client-cert-ca \"<vpn certificate ca name>\")");
      }
      for (const TableEntry& gw : p.children.at("api-gateway").entries) {
        const std::string& url_map = value_words(*find_key(gw_schema, "url-map"), gw.object).at(0);
        const std::string& map_type = value_words(*find_key(gw_schema, "url-map-type"), gw.object).at(0);
        std::string why;
        if (url_map.empty()) {
          error(gw.where, "api-gateway " + gw.name + " of access-proxy \"" + e.name + "\" has an empty url-map");
        } else if (!dp::UrlMap::validate(url_map, dp::UrlMap::type_named(map_type), &why)) {
          // Found here, not when the daemon compiles the generation: there
          // it would turn the whole proxy off.
          error(where_of(gw.object, "url-map", 0, gw.where),
                "url-map \"" + url_map + "\" of api-gateway " + gw.name + " (access-proxy \"" + e.name +
                    "\") does not compile as url-map-type " + map_type + ": " + why);
        }
        const auto& cas = value_words(*find_key(gw_schema, "realserver-ca"), gw.object);
        for (std::size_t i = 0; i < cas.size(); ++i) {
          if (table("vpn certificate ca").index.contains(cas[i])) continue;
          std::string hint = closest_name(cas[i], names_in("vpn certificate ca"));
          error(where_of(gw.object, "realserver-ca", i, gw.where),
                "realserver-ca \"" + cas[i] + "\" is not a CA certificate in \"config vpn certificate ca\"" +
                    (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
        }
        for (const TableEntry& rs : gw.object.children.at("realservers").entries) {
          const std::string who = "realserver " + rs.name + " of api-gateway " + gw.name;
          if (value_words(*find_key(rs_schema, "addr-type"), rs.object).at(0) == "fqdn") {
            check_fqdn_server(rs, who, value_words(*find_key(rs_schema, "address"), rs.object).at(0));
          } else if (value_words(*find_key(rs_schema, "ip"), rs.object).at(0) == "0.0.0.0") {
            error(rs.where, who + " needs an ip (set ip a.b.c.d)");
          }
        }
      }
    }
  }

  // addr-type fqdn: address names a firewall address of type fqdn.
  void check_fqdn_server(const TableEntry& rs, const std::string& who, const std::string& address) {
    auto where = where_of(rs.object, "address", 0, rs.where);
    if (address.empty()) {
      error(rs.where, who + " has addr-type fqdn and needs an address (set address \"<firewall address of type fqdn>\")");
      return;
    }
    if (!table("firewall address").index.contains(address)) {
      std::string hint = closest_name(address, names_in("firewall address"));
      error(where, who + ": address \"" + address + "\" is not in \"config firewall address\"" +
                       (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
    } else if (!firewall_detail::is_fqdn_address(cfg_, address)) {
      error(where, who + ": address \"" + address + "\" is not of type fqdn (set type fqdn and set fqdn <name> in it)");
    }
  }

  void check_proxy_policies() {
    constexpr std::string_view kPath = "firewall proxy-policy";
    std::vector<std::string> address_names = names_in("firewall address");
    for (const std::string& n : names_in("firewall addrgrp")) address_names.push_back(n);
    for (const BuiltinAddress& a : builtin_addresses()) address_names.push_back(a.name);
    for (const TableEntry& e : table(kPath).entries) {
      const ObjectData& p = e.object;
      if (word_of(kPath, p, "proxy") != "access-proxy") {
        error(where_of(p, "proxy", 0, e.where), "proxy-policy " + e.name + ": proxy " + word_of(kPath, p, "proxy") +
                                                    " is not supported (set proxy access-proxy)");
      }
      check_refs(kPath, e, "access-proxy", "firewall access-proxy", "an access proxy");
      check_refs(kPath, e, "srcintf", "system interface", "an interface", {"any"});
      for (std::string_view key : {"srcaddr", "dstaddr"}) {
        const auto& names = words_of(kPath, p, key);
        for (std::size_t i = 0; i < names.size(); ++i) {
          if (firewall_detail::is_fqdn_address(cfg_, names[i])) {
            error(where_of(p, key, i, e.where), std::string(key) + " \"" + names[i] + "\" " +
                                                    std::string(firewall_detail::kFqdnAddressRefused));
            continue;
          }
          if (std::find(address_names.begin(), address_names.end(), names[i]) != address_names.end()) continue;
          std::string hint = closest_name(names[i], address_names);
          error(where_of(p, key, i, e.where), std::string(key) + " \"" + names[i] +
                                                  "\" is not an address, addrgrp or built-in address" +
                                                  (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
        }
      }
      check_refs(kPath, e, "users", "user local", "a user");
      check_refs(kPath, e, "groups", "user group", "a user group");
      if (word_of(kPath, p, "status") != "enable") continue;
      for (std::string_view key : {"access-proxy", "srcintf", "srcaddr"}) {
        if (words_of(kPath, p, key).empty()) {
          error(e.where, "proxy-policy " + e.name + " needs " + std::string(key) + " while status is enable");
        }
      }
    }
  }

  const Config& cfg_;
  std::vector<Diagnostic>* errors_;
};

}  // namespace

void validate_ztna(const Config& cfg, std::vector<Diagnostic>* errors) { ZtnaValidator(cfg, errors).run(); }

}  // namespace tandem::config
