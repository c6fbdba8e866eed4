#include "controlplane/config/node_config.h"

#include <algorithm>

#include "controlplane/config/firewall.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"
#include "controlplane/config/ztna.h"

namespace tandem::config {
namespace {

// Reads typed values of one object; the config is valid, so every word
// parses and a failure here is a schema/view mismatch caught by tests.
class Reader {
 public:
  Reader(std::string_view path, const ObjectData& object)
      : schema_(*find_object(path)), object_(object) {}
  Reader(const ObjectSchema& schema, const ObjectData& object) : schema_(schema), object_(object) {}

  const std::vector<std::string>& words(std::string_view key) const {
    return value_words(*find_key(schema_, key), object_);
  }
  std::string str(std::string_view key) const {
    const auto& w = words(key);
    return w.empty() ? std::string() : w[0];
  }
  unsigned uint(std::string_view key) const {
    return static_cast<unsigned>(parse_integer(str(key), 0, UINT32_MAX).value_or(0));
  }
  bool enabled(std::string_view key) const { return str(key) == "enable"; }
  void ip_mask(std::string_view key, uint32_t* ip, uint8_t* prefix_len) const {
    const auto& w = words(key);
    uint32_t mask = 0;
    *ip = 0;
    if (w.size() == 2 && parse_ipv4(w[0], ip) && parse_ipv4(w[1], &mask)) {
      *prefix_len = static_cast<uint8_t>(netmask_prefix(mask).value_or(0));
    } else {
      *prefix_len = 0;
    }
  }

 private:
  const ObjectSchema& schema_;
  const ObjectData& object_;
};

unsigned hb_unit_ms(const std::string& unit) {
  if (unit == "10ms") return 10;
  if (unit == "1ms") return 1;
  return 100;
}

}  // namespace

const InterfaceConfig* NodeConfig::interface(std::string_view name) const {
  auto it = std::find_if(interfaces.begin(), interfaces.end(),
                         [&](const InterfaceConfig& i) { return i.name == name; });
  return it == interfaces.end() ? nullptr : &*it;
}

NodeConfig node_config(const Config& cfg) {
  NodeConfig node;
  Reader g("system global", *cfg.singleton("system global"));
  node.global = {g.str("hostname"), g.str("serial-number"), g.str("alias"), g.str("timezone"),
                 g.uint("admintimeout")};

  for (const TableEntry& entry : cfg.table("system interface")->entries) {
    Reader r("system interface", entry.object);
    InterfaceConfig i;
    i.name = entry.name;
    i.device = r.str("device");
    i.role = r.str("role");
    i.vdom = r.str("vdom");
    i.alias = r.str("alias");
    i.description = r.str("description");
    r.ip_mask("ip", &i.ip, &i.prefix_len);
    i.allowaccess = r.words("allowaccess");
    i.allow_ping = std::find(i.allowaccess.begin(), i.allowaccess.end(), "ping") != i.allowaccess.end();
    i.up = r.str("status") == "up";
    i.mtu = r.uint("mtu");
    node.interfaces.push_back(std::move(i));
  }

  const ObjectSchema& ha_schema = *find_object("system ha");
  const ObjectData& ha_object = *cfg.singleton("system ha");
  Reader h(ha_schema, ha_object);
  HaConfig& ha = node.ha;
  ha.group_name = h.str("group-name");
  ha.group_id = h.uint("group-id");
  ha.mode = h.str("mode");
  const auto& password = h.words("password");
  ha.password_hash = password.size() == 2 ? password[1] : std::string();
  const auto& hbdev = h.words("hbdev");
  for (std::size_t k = 0; k + 1 < hbdev.size(); k += 2) {
    ha.hbdevs.push_back({hbdev[k], static_cast<unsigned>(parse_integer(hbdev[k + 1], 0, UINT32_MAX).value_or(0))});
  }
  ha.session_pickup = h.enabled("session-pickup");
  ha.session_pickup_connectionless = h.enabled("session-pickup-connectionless");
  ha.session_pickup_delay = h.enabled("session-pickup-delay");
  ha.session_sync_flush_us = h.uint("session-sync-flush");
  ha.override = h.enabled("override");
  ha.priority = h.uint("priority");
  ha.monitor = h.words("monitor");
  ha.hb_interval_ms = h.uint("hb-interval") * hb_unit_ms(h.str("hb-interval-in-milliseconds"));
  ha.hb_lost_threshold = h.uint("hb-lost-threshold");
  ha.uptime_diff_margin_s = h.uint("ha-uptime-diff-margin");
  ha.monitor_stability_period_s = h.uint("monitor-stability-period");
  ha.arps = h.uint("arps");
  ha.arps_interval_s = h.uint("arps-interval");
  ha.local_cert = h.str("local-cert");
  ha.maintenance_mode = h.str("maintenance-mode");
  h.ip_mask("ha-mgmt-ip", &ha.mgmt_ip, &ha.mgmt_prefix_len);
  ha.mgmt_gateway = 0;
  parse_ipv4(h.str("ha-mgmt-gateway"), &ha.mgmt_gateway);
  const ObjectSchema& peer_schema = *find_child(ha_schema, "peer");
  for (const TableEntry& entry : ha_object.children.at("peer").entries) {
    Reader p(peer_schema, entry.object);
    HaPeerConfig peer{static_cast<unsigned>(parse_integer(entry.name, 0, UINT32_MAX).value_or(0)), 0,
                      p.str("serial-number"), p.enabled("status")};
    parse_ipv4(p.str("ip"), &peer.ip);
    ha.peers.push_back(std::move(peer));
  }

  for (const TableEntry& entry : cfg.table("system certificate ca")->entries) {
    Reader c("system certificate ca", entry.object);
    node.ca_certificates.push_back({entry.name, c.str("certificate"), "", c.str("comment")});
  }
  for (const TableEntry& entry : cfg.table("system certificate local")->entries) {
    Reader c("system certificate local", entry.object);
    node.local_certificates.push_back(
        {entry.name, c.str("certificate"), c.str("private-key"), c.str("comment")});
  }

  Reader d("system dpdk", *cfg.singleton("system dpdk"));
  node.dpdk = {d.str("cores"),      d.uint("workers"), d.uint("memory"),  d.enabled("hugepages"),
               d.uint("idle-sleep"), d.str("file-prefix"), d.uint("rx-desc"), d.uint("tx-desc"),
               d.uint("mbufs"),     d.uint("session-table-size"), d.uint("neighbour-table-size")};

  node.policies = resolve_policies(cfg);
  node.routes = resolve_routes(cfg);
  Reader ttl("system session-ttl", *cfg.singleton("system session-ttl"));
  node.timers = {g.uint("tcp-halfopen-timer"), ttl.uint("default"),       g.uint("tcp-halfclose-timer"),
                 g.uint("tcp-timewait-timer"), g.uint("udp-idle-timer"), g.uint("icmp-idle-timer")};
  Reader tts("system tcp-test-service", *cfg.singleton("system tcp-test-service"));
  node.tcp_test_service = {tts.uint("echo-port"), tts.uint("http-port"), tts.uint("max-connections")};
  Reader disk("log disk setting", *cfg.singleton("log disk setting"));
  Reader sys("log syslogd setting", *cfg.singleton("log syslogd setting"));
  node.log.disk = disk.str("status") == "enable";
  node.log.syslog = sys.str("status") == "enable";
  parse_ipv4(sys.str("server"), &node.log.syslog_server);
  node.log.syslog_port = sys.uint("port");
  node.log.syslog_facility = sys.str("facility");
  node.log.syslog_rfc5424 = sys.str("format") == "rfc5424";
  node.ztna = resolve_ztna(cfg);
  return node;
}

}  // namespace tandem::config
