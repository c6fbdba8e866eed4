#include "controlplane/daemon/ztna_snapshot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tandem::daemon {
namespace {

constexpr unsigned kMaxProxies = 32;  // bits of ZtnaPolicy::proxy_mask

class Pools {
 public:
  Pools(dp::ZtnaPolicyConf* c, std::string* error) : c_(c), error_(error) {}

  // Appends ranges; an empty list that must match nothing becomes one
  // empty range (lo > hi), since a count of 0 means "any".
  bool ranges(const std::vector<config::AddrRange>& in, bool empty_is_any, uint16_t* index, uint16_t* count) {
    *index = c_->nb_addrs;
    if (in.empty()) {
      *count = 0;
      if (empty_is_any) return true;
      return add_range({1, 0}, count);
    }
    for (const config::AddrRange& r : in) {
      if (!add_range({r.lo, r.hi}, count)) return false;
    }
    return true;
  }

  bool names(const std::vector<std::string>& in, uint16_t* index, uint16_t* count) {
    *index = c_->nb_names;
    *count = 0;
    for (const std::string& n : in) {
      if (n.size() > dp::kZtnaNameMax) return fail("name \"" + n + "\" is longer than 64 bytes");
      if (c_->nb_names == dp::kMaxZtnaNames) return fail("more than 1024 user and tag names in proxy policies");
      dp::ZtnaName& out = c_->names[c_->nb_names++];
      out.len = static_cast<uint8_t>(n.size());
      std::memcpy(out.text, n.data(), n.size());
      ++*count;
    }
    return true;
  }

  bool fail(std::string message) {
    *error_ = std::move(message);
    return false;
  }

 private:
  bool add_range(dp::ZtnaAddrRange r, uint16_t* count) {
    if (c_->nb_addrs == dp::kMaxZtnaAddrRanges) return fail("more than 1024 address ranges in proxy policies");
    c_->addrs[c_->nb_addrs++] = r;
    ++*count;
    return true;
  }

  dp::ZtnaPolicyConf* c_;
  std::string* error_;
};

}  // namespace

bool build_ztna(const config::ZtnaConfig& ztna, const std::vector<DataPortRef>& ports, dp::ZtnaPolicyConf* policies,
                dp::ZtnaUserDb* users, std::string* error) {
  std::memset(policies, 0, sizeof *policies);
  std::memset(users, 0, sizeof *users);
  if (ztna.access_proxies.size() > kMaxProxies) {
    *error = "more than 32 access proxies";
    return false;
  }
  if (ztna.policies.size() > dp::kMaxZtnaPolicies) {
    *error = "more than 256 proxy policies";
    return false;
  }
  Pools pools(policies, error);
  for (const config::ZtnaProxyPolicy& in : ztna.policies) {
    dp::ZtnaPolicy& p = policies->policies[policies->nb_policies++];
    p.id = in.id;
    for (const std::string& name : in.access_proxies) {
      for (std::size_t i = 0; i < ztna.access_proxies.size(); ++i) {
        if (ztna.access_proxies[i].name == name) p.proxy_mask |= 1u << i;
      }
    }
    // "any" or data ports; a name that is not a data port adds no bit.
    p.srcintf_mask = 0;
    for (const std::string& name : in.srcintf) {
      if (name == "any") {
        p.srcintf_mask = UINT32_MAX;
        break;
      }
      for (std::size_t i = 0; i < ports.size() && i < 32; ++i) {
        if (ports[i].name == name) p.srcintf_mask |= 1u << i;
      }
    }
    if (!pools.ranges(in.src, false, &p.src_index, &p.src_count)) return false;
    if (!pools.ranges(in.dst, true, &p.dst_index, &p.dst_count)) return false;
    if (!pools.names(in.users, &p.user_index, &p.user_count)) return false;
    if (!pools.names(in.ems_tags, &p.tag_index, &p.tag_count)) return false;
    p.tags_all = in.tags_match_all;
    p.accept = in.accept;
    p.log_traffic = in.log;
    p.enabled = in.enabled;
  }
  for (const config::ZtnaUser& u : ztna.users) {
    if (users->count == dp::kMaxZtnaUsers) {
      *error = "more than 1024 local users";
      return false;
    }
    if (u.name.size() > dp::kZtnaNameMax || u.password_hash.size() > dp::kZtnaHashMax) {
      *error = "user local \"" + u.name + "\": name or password hash too long";
      return false;
    }
    dp::ZtnaUserCred& out = users->users[users->count++];
    out.name.len = static_cast<uint8_t>(u.name.size());
    std::memcpy(out.name.text, u.name.data(), u.name.size());
    std::memcpy(out.hash, u.password_hash.data(), u.password_hash.size());
    out.enabled = u.enabled && !u.password_hash.empty();
  }
  return true;
}

bool tls_server_config(const config::ZtnaAccessProxy& proxy, dp::tls::ServerConfig* out, std::string* error) {
  if (proxy.client_ca_files.size() > dp::tls::kMaxCaFiles || proxy.crl_files.size() > dp::tls::kMaxCrlFiles) {
    *error = "access-proxy \"" + proxy.name + "\": more than 8 CA or CRL files";
    return false;
  }
  *out = dp::tls::ServerConfig{};
  out->certificate_file = proxy.server_certificate.certificate.c_str();
  out->private_key_file = proxy.server_certificate.private_key.c_str();
  for (const std::string& f : proxy.client_ca_files) out->ca_files[out->ca_count++] = f.c_str();
  for (const std::string& f : proxy.crl_files) out->crl_files[out->crl_count++] = f.c_str();
  out->client_cert = proxy.client_cert;
  out->empty_cert_accept = proxy.empty_cert_accept;
  // Per proxy, so a ticket of one proxy never resumes on another.
  out->session_id_context = proxy.name.c_str();
  return true;
}

// One access proxy of the runtime: its VIP, gateways and real servers, and
// its TLS contexts. False with *error (naming the proxy) when a file does
// not load or a limit is passed; the caller then leaves this proxy off.
bool build_proxy(const config::ZtnaConfig& ztna, std::size_t i, unsigned nb_workers,
                 dp::tls::SessionCache* session_cache, dp::ZtnaRuntime* rt, std::string* error) {
  const config::ZtnaAccessProxy& in = ztna.access_proxies[i];
  dp::ZtnaProxyRuntime& p = rt->proxies[i];
  p.ip = in.ip;
  p.port = in.port;
  p.log_blocked = in.log_blocked;
  std::snprintf(p.realm, sizeof p.realm, "%s", in.name.c_str());
  p.conf = dp::ZtnaProxyConf{static_cast<uint32_t>(i), &rt->policies, &rt->users,
                             ztna.auth_timeout_s, !ztna.auth_timeout_hard, p.realm};
  // api-gateways in table order; the url-map database picks one per request.
  if (in.api_gateways.size() > dp::kMaxZtnaGateways) {
    *error = "access-proxy \"" + in.name + "\": more than 16 api-gateways";
    return false;
  }
  std::vector<dp::UrlMapEntry> maps;
  for (const config::ZtnaApiGateway& gw : in.api_gateways) {
    dp::ZtnaGatewayRuntime& g = p.gateways[p.nb_gateways];
    g.method = gw.ldb_method == "round-robin" ? dp::ZtnaLdbMethod::kRoundRobin
               : gw.ldb_method == "weighted"  ? dp::ZtnaLdbMethod::kWeighted
               : gw.ldb_method == "first-alive" ? dp::ZtnaLdbMethod::kFirstAlive
               : gw.ldb_method == "http-host"   ? dp::ZtnaLdbMethod::kHttpHost
                                                : dp::ZtnaLdbMethod::kStatic;
    g.id = gw.id;
    g.https = gw.service == "https";
    if (gw.virtual_host.size() > dp::kZtnaVirtualHostMax) {
      *error = "access-proxy \"" + in.name + "\": virtual-host longer than 255 bytes";
      return false;
    }
    g.virtual_host_len = static_cast<uint16_t>(gw.virtual_host.size());
    std::memcpy(g.virtual_host, gw.virtual_host.data(), gw.virtual_host.size());
    // Every address of a host name (addr-type fqdn) is a server of its own,
    // with the entry's settings: balanced and health-checked one by one. A
    // name's addresses after its first take only the slots the gateway's
    // later entries leave free, and only while the 1024-server table has room.
    auto in_use = [](const config::ZtnaRealServer& rs) {
      // No address: a host name (addr-type fqdn) that does not resolve yet.
      return rs.status != "disable" && (rs.fqdn.empty() ? rs.ip != 0 : !rs.fqdn_ips.empty());
    };
    unsigned owed = 0;  // entries still to come, one slot each
    for (const config::ZtnaRealServer& rs : gw.realservers) owed += in_use(rs);
    for (const config::ZtnaRealServer& rs : gw.realservers) {
      if (!in_use(rs)) continue;
      --owed;
      const std::vector<uint32_t> ips = rs.fqdn.empty() ? std::vector<uint32_t>{rs.ip} : rs.fqdn_ips;
      for (size_t k = 0; k < ips.size(); ++k) {
        if (k > 0 && (g.nb_servers + owed >= dp::kMaxZtnaRealServers || rt->nb_servers == dp::kMaxZtnaServers))
          break;
        if (g.nb_servers == dp::kMaxZtnaRealServers) {
          *error = "access-proxy \"" + in.name + "\": more than 16 real servers in one api-gateway";
          return false;
        }
        if (rt->nb_servers == dp::kMaxZtnaServers) {
          *error = "more than 1024 real servers in access proxies";
          return false;
        }
        dp::ZtnaRealServer& out = g.servers[g.nb_servers++];
        out = dp::ZtnaRealServer{rs.id, ips[k], rs.port, static_cast<uint16_t>(rt->nb_servers),
                                 static_cast<uint8_t>(std::clamp(rs.weight, 1u, 255u)), rs.status == "standby",
                                 rs.health_check, rs.health_http, rs.health_ping, rs.holddown, rs.verify_cert,
                                 g.https, static_cast<uint8_t>(i), static_cast<uint8_t>(p.nb_gateways), 0, {}};
        // The schema caps http-host at 63 bytes, the field's size.
        out.http_host_len = static_cast<uint8_t>(std::min(rs.http_host.size(), sizeof out.http_host - 1));
        std::memcpy(out.http_host, rs.http_host.data(), out.http_host_len);
        rt->servers[rt->nb_servers++] = out;
      }
    }
    if (std::any_of(gw.realservers.begin(), gw.realservers.end(),
                    [](const config::ZtnaRealServer& rs) { return rs.verify_cert; })) {
      std::vector<const char*> cas;
      for (const std::string& f : gw.realserver_ca_files) cas.push_back(f.c_str());
      for (unsigned w = 0; w < nb_workers; ++w) {
        char err[256] = "";
        // No realserver-ca: the system's CA certificates.
        dp::tls::ClientContext& ctx = p.gateway_tls[p.nb_gateways][w];
        if (!(cas.empty() ? ctx.init_system_trust(err, sizeof err) : ctx.init(cas.data(), cas.size(), err, sizeof err))) {
          *error = "access-proxy \"" + in.name + "\" api-gateway " + std::to_string(gw.id) + ": " + err;
          return false;
        }
      }
    }
    dp::UrlMapType type = gw.url_map_type == "regex"      ? dp::UrlMapType::kRegex
                          : gw.url_map_type == "wildcard" ? dp::UrlMapType::kWildcard
                                                          : dp::UrlMapType::kSubString;
    maps.push_back({static_cast<int32_t>(p.nb_gateways++), gw.url_map, type});
  }
  if (!maps.empty() && !p.url_map.compile(maps.data(), maps.size(), nb_workers, error)) {
    *error = "access-proxy \"" + in.name + "\": url-map: " + *error;
    return false;
  }
  dp::tls::ServerConfig tc;
  if (!tls_server_config(in, &tc, error)) return false;
  tc.session_cache = session_cache;
  for (unsigned w = 0; w < nb_workers; ++w) {
    char err[256] = "";
    if (!p.tls[w].init(tc, &rt->ring, err, sizeof err)) {
      *error = "access-proxy \"" + in.name + "\": " + err;
      return false;
    }
  }
  return true;
}

std::unique_ptr<dp::ZtnaRuntime> build_ztna_runtime(const config::ZtnaConfig& ztna,
                                                    const std::vector<DataPortRef>& ports, unsigned nb_workers,
                                                    const dp::tls::TicketKeyRing& ring, std::string* error,
                                                    dp::tls::SessionCache* session_cache,
                                                    std::vector<std::string>* proxies_off) {
  if (nb_workers > dp::kMaxWorkers) {
    *error = "more workers than the ZTNA runtime holds";
    return nullptr;
  }
  auto rt = std::make_unique<dp::ZtnaRuntime>();
  rt->ring = ring;
  rt->session_cache = session_cache;
  rt->keepalive_ms = uint64_t{ztna.keepalive_timeout_s} * 1000;
  rt->idle_ms = uint64_t{ztna.idle_timeout_s} * 1000;
  if (!build_ztna(ztna, ports, &rt->policies, &rt->users, error)) return nullptr;
  for (std::size_t i = 0; i < ztna.access_proxies.size(); ++i) {
    // A proxy whose files do not load (or that passes a limit) is off, and
    // says why; the other proxies serve. Its index stays, so proxy
    // policies keep naming the right proxies.
    const uint32_t servers_before = rt->nb_servers;
    std::string why;
    if (!build_proxy(ztna, i, nb_workers, session_cache, rt.get(), &why)) {
      dp::ZtnaProxyRuntime& p = rt->proxies[i];
      p.off = true;
      p.nb_gateways = 0;
      rt->nb_servers = servers_before;  // no probes for its servers
      if (proxies_off != nullptr) proxies_off->push_back(why);
    }
    ++rt->nb_proxies;
  }
  for (unsigned w = 0; w < nb_workers && rt->nb_proxies > 0; ++w) {
    char err[256] = "";
    if (!rt->upstream_tls[w].init(nullptr, 0, err, sizeof err)) {
      *error = err;
      return nullptr;
    }
  }
  return rt;
}

}  // namespace tandem::daemon
