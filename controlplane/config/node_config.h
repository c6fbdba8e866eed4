// A typed view of a valid Config for tandemd: plain structs with host-order
// addresses, milliseconds and booleans, so the daemon, HA and the ports
// never handle value words. Built once per config generation by
// node_config(); the input must have parsed and validated cleanly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config_types.h"

namespace tandem::config {

struct InterfaceConfig {
  std::string name, device, role, vdom, alias, description;
  uint32_t ip = 0; /*host order*/
  uint8_t prefix_len = 0;
  std::vector<std::string> allowaccess;
  bool allow_ping = false;
  bool up = true;
  unsigned mtu = 1500;
};

struct HbdevConfig {
  std::string interface;
  unsigned priority;
};

struct HaPeerConfig {
  unsigned id;
  uint32_t ip;
  std::string serial;
  bool enabled;
};

struct HaConfig {
  std::string group_name;
  unsigned group_id;
  std::string mode;
  std::string password_hash;  // base64 SHA-256, empty without a password
  std::vector<HbdevConfig> hbdevs;
  bool session_pickup, session_pickup_connectionless, session_pickup_delay, override;
  unsigned session_sync_flush_us;
  unsigned priority;
  std::vector<std::string> monitor;
  unsigned hb_interval_ms /*hb-interval x unit*/;
  unsigned hb_lost_threshold, uptime_diff_margin_s, monitor_stability_period_s, arps, arps_interval_s;
  std::string local_cert, maintenance_mode;
  uint32_t mgmt_ip;
  uint8_t mgmt_prefix_len;
  uint32_t mgmt_gateway;  // host order, 0 when unset
  std::vector<HaPeerConfig> peers;
};

// `config system certificate ca|local` entries: PEM file paths, read by
// config sync (controlplane/confsync) when it builds its TLS context.
struct CertificateConfig {
  std::string name, certificate, private_key /*empty for a CA*/, comment;
};

struct DpdkConfig {
  std::string cores;
  unsigned workers, memory_mb;
  bool hugepages;
  unsigned idle_sleep_us;
  std::string file_prefix;
  unsigned rx_desc, tx_desc, mbufs;
  unsigned session_table_size;    // sessions per worker
  unsigned neighbour_table_size;  // ARP entries per worker
};

// `config log disk setting` and `config log syslogd setting`.
struct LogConfig {
  bool disk;
  bool syslog;
  uint32_t syslog_server;  // host order
  unsigned syslog_port;
  std::string syslog_facility;  // a name of log::syslog_facilities()
  bool syslog_rfc5424;
};

// `config system tcp-test-service`: ports 0 are off.
struct TcpTestServiceConfig {
  unsigned echo_port, http_port, max_connections;
};

// Firewall objects come fully resolved: groups flattened, built-ins
// expanded, addresses as merged host-order ranges, so the daemon copies
// them into the dataplane snapshot without knowing any config names.
struct AddrRange {
  uint32_t lo, hi;  // inclusive, host order
  bool operator==(const AddrRange&) const = default;
};

// Ports (inclusive, host order) matter for proto 6, 17 and 132 only; other
// protocols carry the full 0..65535 ranges so a matcher may test them
// unconditionally. icmp_type/icmp_code are -1 (any) except for ICMP.
struct ServiceRange {
  uint8_t proto;  // 6, 17, 1, 132, another IP protocol, or 0 = any IP protocol
  uint16_t dst_lo, dst_hi, src_lo, src_hi;
  int icmp_type;  // -1: any
  int icmp_code;  // -1: any
  bool operator==(const ServiceRange&) const = default;
};

struct FirewallPolicy {
  unsigned id;
  std::string name;
  std::vector<std::string> srcintf, dstintf;  // "any" kept as the single word
  std::vector<AddrRange> src, dst;            // sorted, merged; empty matches nothing
  std::vector<ServiceRange> services;         // duplicates removed, first occurrence kept
  bool accept;   // action accept
  bool log;      // logtraffic all
  bool enabled;  // status enable
};

struct StaticRoute {
  unsigned seq;
  uint32_t dst;  // network, host order
  uint8_t prefix_len;
  uint32_t gateway;  // 0: dst is on the device's link
  std::string device;
  unsigned distance, priority;
  bool enabled;
};

// Seconds.
struct SessionTimers {
  unsigned tcp_halfopen, tcp_established, tcp_halfclose, tcp_timewait, udp, icmp;
};

struct GlobalConfig {
  std::string hostname, serial_number, alias, timezone;
  unsigned admintimeout;
};

// ---- ZTNA (issue 7). Names are resolved: an access proxy carries its VIP's
// address, port and certificate files; a policy carries address ranges and
// the flattened user names its users and groups allow.
struct ZtnaCertificate {
  std::string name, certificate /*PEM path*/, private_key /*PEM path*/;
};

struct ZtnaRealServer {
  unsigned id;
  uint32_t ip;  // host order
  uint16_t port;
  std::string status;  // active | standby | disable
  unsigned weight;
  bool health_check;
  bool health_http;  // health-check-proto http: GET / must answer 2xx or 3xx
  bool health_ping;  // health-check-proto ping: an ICMP echo reply
  bool holddown;     // holddown-interval enable: back in use 30 s after it recovers
  bool verify_cert;  // service https: verify the certificate (chain to realserver_ca_files, name)
  std::string http_host;  // ldb-method http-host: the Host it serves ("": the others)
  // addr-type fqdn: the host name of its firewall address; ip is then 0 and
  // tandemd uses what the name resolves to (controlplane/daemon/fqdn.h):
  // fqdn_ips, every IPv4 address of the answer (host order, the resolver's
  // order), filled in by tandemd, never by the parser.
  std::string fqdn;
  std::vector<uint32_t> fqdn_ips;
};

struct ZtnaApiGateway {
  unsigned id;
  std::string url_map, url_map_type /*sub-string|wildcard|regex*/, service /*http|https*/;
  std::string virtual_host;  // empty: any host
  std::string ldb_method;
  std::vector<ZtnaRealServer> realservers;
  std::vector<std::string> realserver_ca_files;  // PEM paths of realserver-ca
};

struct ZtnaAccessProxy {
  std::string name, vip;
  uint32_t ip;  // the VIP's extip, host order
  uint16_t port;
  std::string extintf;                // "any" or an interface
  ZtnaCertificate server_certificate;  // the VIP's ssl-certificate
  bool client_cert;
  bool empty_cert_accept;  // empty-cert-action accept
  std::vector<std::string> client_ca_files;  // PEM paths of client-cert-ca
  std::vector<std::string> crl_files;        // every vpn certificate crl
  bool log_blocked;
  std::vector<ZtnaApiGateway> api_gateways;  // table order
};

struct ZtnaProxyPolicy {
  unsigned id;
  std::string name;
  std::vector<std::string> access_proxies, srcintf;
  std::vector<AddrRange> src, dst;  // dst empty: any
  std::vector<std::string> ems_tags;
  bool tags_match_all;  // ztna-tags-match-logic and
  std::vector<std::string> users;   // users, plus members of groups
  std::vector<std::string> groups;  // as configured (logs name the group)
  bool accept, enabled, log;
};

struct ZtnaUser {
  std::string name, password_hash /*PB2$..., empty: none*/;
  bool enabled;
};

struct ZtnaUserGroup {
  std::string name;
  std::vector<std::string> members;
};

struct ZtnaConfig {
  std::vector<ZtnaAccessProxy> access_proxies;
  std::vector<ZtnaProxyPolicy> policies;  // evaluation order: as written
  std::vector<ZtnaUser> users;
  std::vector<ZtnaUserGroup> groups;
  unsigned auth_timeout_s;
  bool auth_timeout_hard;  // auth-timeout-type hard-timeout
  // system global ztna-keepalive-timeout, and ztna-idle-timeout with 0
  // resolved to system session-ttl default.
  unsigned keepalive_timeout_s = 75;
  unsigned idle_timeout_s = 3600;
};

struct NodeConfig {
  GlobalConfig global;
  std::vector<InterfaceConfig> interfaces;
  HaConfig ha;
  std::vector<CertificateConfig> ca_certificates, local_certificates;
  DpdkConfig dpdk;
  std::vector<FirewallPolicy> policies;  // evaluation order: as written, not by id
  std::vector<StaticRoute> routes;       // as written
  SessionTimers timers;
  TcpTestServiceConfig tcp_test_service;
  LogConfig log;
  ZtnaConfig ztna;
  const InterfaceConfig* interface(std::string_view name) const;
};

NodeConfig node_config(const Config& cfg);

}  // namespace tandem::config
