// The declared objects. FortiOS names, defaults and ranges where FortiOS has
// the key; Tandem's own keys are marked in their help.
#include "controlplane/config/schema.h"

#include <algorithm>

#include "dataplane/session/session_types.h"

namespace tandem::config {
namespace {

KeySchema str(std::string name, std::int64_t max_len, std::string def, std::string help) {
  return {std::move(name), ValueType::kString, {std::move(def)}, 0, max_len, {}, std::move(help)};
}
KeySchema integer(std::string name, std::int64_t lo, std::int64_t hi, std::int64_t def,
                  std::string help) {
  return {std::move(name), ValueType::kInteger, {std::to_string(def)}, lo, hi, {}, std::move(help)};
}
KeySchema choice(std::string name, std::vector<std::string> choices, std::string def,
                 std::string help) {
  return {std::move(name), ValueType::kEnum, {std::move(def)}, 0, 0, std::move(choices),
          std::move(help)};
}
KeySchema toggle(std::string name, bool def, std::string help) {
  return {std::move(name), ValueType::kEnableDisable, {def ? "enable" : "disable"}, 0, 0, {},
          std::move(help)};
}
KeySchema typed(std::string name, ValueType type, std::vector<std::string> def, std::string help) {
  return {std::move(name), type, std::move(def), 0, 0, {}, std::move(help)};
}

KeySchema comment(std::string name);

// Interface names follow FortiOS: at most 15 bytes.
constexpr std::int64_t kInterfaceNameMax = 15;

ObjectSchema system_global() {
  ObjectSchema o;
  o.path = "system global";
  o.help = "Node-wide settings: host name, serial number, time zone, admin timeout.";
  o.keys = {
      str("hostname", 35, "Tandem", "Host name shown in the CLI prompt and logs."),
      str("serial-number", 32, "",
          "Node serial number (election tie-break, config-sync identity); generated at start when empty."),
      str("alias", 35, "", "Free-form alias of this node."),
      str("timezone", 63, "", "Time zone name used for log timestamps (e.g. \"Europe/Paris\")."),
      integer("admintimeout", 1, 480, 5, "Idle minutes before a CLI session is closed."),
      integer("tcp-halfclose-timer", 1, 86400, 120,
              "Seconds a TCP session waits after one side sent FIN before it is removed."),
      integer("tcp-halfopen-timer", 1, 86400, 10,
              "Seconds a TCP session may stay without completing its handshake."),
      integer("tcp-timewait-timer", 0, 300, 1, "Seconds a closed TCP session lingers in TIME-WAIT."),
      integer("udp-idle-timer", 1, 86400, 180, "Seconds an idle UDP session lives."),
      integer("icmp-idle-timer", 1, 86400, 60,
              "Seconds an idle ICMP session lives (Tandem's own key)."),
      integer("ztna-keepalive-timeout", 1, 3600, 75,
              "Seconds a ZTNA client connection may wait between requests before the proxy closes it "
              "(Tandem's own key; nginx's keepalive_timeout)."),
      integer("ztna-idle-timeout", 0, 604800, 0,
              "Seconds a ZTNA relay (a request or WebSocket running) may move no byte before both connections "
              "are reset; 0 follows system session-ttl default (Tandem's own key)."),
  };
  return o;
}

ObjectSchema system_interface() {
  ObjectSchema o;
  o.path = "system interface";
  o.entry_key = EntryKey::kName;
  o.key_max = kInterfaceNameMax;
  o.help = "Ports of this node, keyed by interface name.";
  o.keys = {
      typed("device", ValueType::kDevice, {""},
            "Port backing the interface: PCI address, af_xdp:<if>, af_packet:<if>, kernel:<if> or a DPDK vdev spec net_...."),
      typed("ip", ValueType::kIpv4Mask, {"0.0.0.0", "0.0.0.0"}, "Interface address and netmask."),
      {"allowaccess", ValueType::kWordList, {}, 0, 0,
       {"ping", "https", "ssh", "http", "snmp", "fgfm"},
       "Management protocols answered on this interface."},
      choice("role", {"lan", "wan", "dmz", "undefined"}, "undefined", "Interface role."),
      str("vdom", 31, "root", "Virtual domain of the interface."),
      str("alias", 25, "", "Free-form alias."),
      choice("status", {"up", "down"}, "up", "Administrative status."),
      integer("mtu", 68, 9216, 1500, "IP MTU in bytes."),
      str("description", 255, "", "Free-form description."),
      typed("macaddr", ValueType::kMac, {"00:00:00:00:00:00"},
            "MAC address override; 00:00:00:00:00:00 keeps the port's own."),
  };
  return o;
}

ObjectSchema ha_peer() {
  ObjectSchema o;
  o.path = "peer";
  o.entry_key = EntryKey::kInteger;
  o.key_min = 1;
  o.key_max = 4294967295;
  o.help = "Config-sync peers accepted by this node (as FortiManager HA).";
  o.keys = {
      typed("ip", ValueType::kIpv4, {"0.0.0.0"}, "Management address of the peer."),
      str("serial-number", 32, "", "Serial number the peer's certificate must carry."),
      toggle("status", true, "Accept this peer."),
  };
  return o;
}

ObjectSchema system_ha() {
  ObjectSchema o;
  o.path = "system ha";
  o.help = "High availability (FGCP active-passive) settings.";
  o.keys = {
      str("group-name", 32, "", "Cluster group name; both nodes must match."),
      integer("group-id", 0, 1023, 0, "Cluster group id; selects the virtual MAC."),
      choice("mode", {"standalone", "a-p"}, "standalone", "HA mode."),
      typed("password", ValueType::kPassword, {}, "Cluster password; shown as ENC <hash>."),
      {"hbdev", ValueType::kHbdevList, {}, 0, 512, {},
       "Heartbeat interfaces and their priorities: \"name\" priority ..."},
      toggle("session-pickup", false, "Replicate sessions to the peer."),
      toggle("session-pickup-connectionless", false, "Replicate UDP and ICMP sessions too."),
      toggle("session-pickup-delay", false, "Replicate only sessions older than 30 s."),
      integer("session-sync-flush", 1, 100000, 50,
              "Microseconds a partly filled sync frame waits for more records (Tandem extension)."),
      toggle("override", false, "Let priority beat uptime in the election."),
      integer("priority", 0, 255, 128, "Election priority; higher wins."),
      {"monitor", ValueType::kNameList, {}, 0, kInterfaceNameMax, {},
       "Interfaces whose link state counts in the election."},
      integer("hb-interval", 1, 20, 2, "Heartbeat interval in units of hb-interval-in-milliseconds."),
      choice("hb-interval-in-milliseconds", {"100ms", "10ms", "1ms"}, "100ms",
             "Unit of hb-interval (1ms is a Tandem extension; FortiOS has 100ms|10ms)."),
      integer("hb-lost-threshold", 1, 60, 6, "Lost heartbeats before the peer is declared dead."),
      integer("ha-uptime-diff-margin", 1, 65535, 300,
              "Uptime difference in seconds below which uptimes count as equal."),
      integer("monitor-stability-period", 0, 3600, 30,
              "Seconds monitored links must be stable before a node takes over."),
      integer("arps", 1, 60, 5, "Gratuitous ARPs sent after a takeover."),
      integer("arps-interval", 1, 20, 8, "Seconds between gratuitous ARPs."),
      str("local-cert", 35, "", "Certificate presented for config sync."),
      choice("maintenance-mode", {"disable", "enable-with-sync", "enable-without-sync"}, "disable",
             "Hand the primary role away, with or without continued sync."),
      typed("ha-mgmt-ip", ValueType::kIpv4Mask, {"0.0.0.0", "0.0.0.0"},
            "This node's management address used for config sync."),
      typed("ha-mgmt-gateway", ValueType::kIpv4, {"0.0.0.0"},
            "Gateway of this node's management address; never synchronised (Tandem's key, as "
            "FortiOS ha-mgmt-interfaces gateway)."),
  };
  o.children = {ha_peer()};
  return o;
}

// Certificates for config sync, FortiManager-style: the PEM files are
// imported by path, so the appliance never holds key material in its
// config text (which is synchronised and shown).
constexpr std::int64_t kCertificateNameMax = 35;
constexpr std::int64_t kPemPathMax = 255;

ObjectSchema system_certificate_ca() {
  ObjectSchema o;
  o.path = "system certificate ca";
  o.entry_key = EntryKey::kName;
  o.key_max = kCertificateNameMax;
  o.help = "Imported CA certificates; a config-sync peer's certificate must chain to one of them.";
  o.keys = {
      str("certificate", kPemPathMax, "", "Path of the CA certificate (PEM)."),
      comment("comment"),
  };
  return o;
}

ObjectSchema system_certificate_local() {
  ObjectSchema o;
  o.path = "system certificate local";
  o.entry_key = EntryKey::kName;
  o.key_max = kCertificateNameMax;
  o.help = "This node's certificates (named by `set local-cert` in config system ha); never synchronised.";
  o.keys = {
      str("certificate", kPemPathMax, "", "Path of the certificate (PEM); CN or SAN must carry the serial."),
      str("private-key", kPemPathMax, "", "Path of its private key (PEM, unencrypted)."),
      comment("comment"),
  };
  return o;
}

ObjectSchema system_dpdk() {
  ObjectSchema o;
  o.path = "system dpdk";
  o.help = "DPDK runtime of this node (Tandem's own object).";
  o.keys = {
      typed("cores", ValueType::kCpuList, {"0-1"}, "CPU list for EAL lcores, e.g. \"0,1\" or \"0-3\"."),
      integer("workers", 1, TANDEM_MAX_WORKERS, 1, "Worker lcores (both HA nodes must match)."),
      integer("memory", 64, 65536, 512, "EAL memory in MiB."),
      toggle("hugepages", true, "Back EAL memory with hugepages."),
      integer("idle-sleep", 0, 100000, 0,
              "Microseconds an idle worker sleeps; 0 polls without sleeping. A frame on "
              "an AF_XDP port ends the sleep early."),
      str("file-prefix", 63, "", "EAL file prefix; empty derives it from the hostname."),
      integer("rx-desc", 64, 4096, 1024, "RX descriptors per queue."),
      integer("tx-desc", 64, 4096, 1024, "TX descriptors per queue."),
      integer("mbufs", 1024, 4194304, 16384, "Mbufs per worker mempool."),
      integer("session-table-size", tandem::dp::kSessionTableMin, tandem::dp::kSessionTableMax,
              tandem::dp::kSessionTableDefault, "Sessions per worker session table."),
      integer("neighbour-table-size", 64, 1048576, 4096, "ARP neighbour entries per worker."),
  };
  return o;
}

ObjectSchema system_session_ttl() {
  ObjectSchema o;
  o.path = "system session-ttl";
  o.help = "Lifetime of idle established sessions.";
  o.keys = {
      integer("default", 300, 604800, 3600, "Seconds an idle established TCP session lives."),
  };
  return o;
}

// Tandem's own: the listeners the workers' TCP stacks serve until the ZTNA
// proxy exists (dataplane/tcp/tcp_service.cc, docs/tcp.md).
ObjectSchema system_tcp_test_service() {
  ObjectSchema o;
  o.path = "system tcp-test-service";
  o.help = "Test listeners on the node's addresses for the userspace TCP stack (Tandem's own object).";
  o.keys = {
      integer("echo-port", 0, 65535, 0, "TCP port of the echo service; 0 turns it off."),
      integer("http-port", 0, 65535, 0,
              "TCP port of the HTTP test responder (GET /<bytes>, POST answers length and checksums); 0 turns it off."),
      integer("max-connections", 1, 65536, 64,
              "Connections per worker; read at start-up (the stacks are sized then)."),
  };
  return o;
}

// Where traffic logs go (controlplane/log/traffic_log.h). FortiOS keys and
// defaults; only the formats Tandem writes are offered.
ObjectSchema log_disk_setting() {
  ObjectSchema o;
  o.path = "log disk setting";
  o.help = "Traffic logs to the node's log file (tandemd --log-dir, traffic.log).";
  o.keys = {
      toggle("status", true, "Write traffic logs to the log file."),
  };
  return o;
}

ObjectSchema log_syslogd_setting() {
  ObjectSchema o;
  o.path = "log syslogd setting";
  o.help = "Traffic logs to a remote syslog server over UDP.";
  o.keys = {
      toggle("status", false, "Send traffic logs to the syslog server."),
      typed("server", ValueType::kIpv4, {"0.0.0.0"}, "Address of the syslog server."),
      integer("port", 1, 65535, 514, "UDP port of the syslog server."),
      choice("facility",
             {"kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
              "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2",
              "local3", "local4", "local5", "local6", "local7"},
             "local7", "Syslog facility of the messages."),
      choice("format", {"default", "rfc5424"}, "default",
             "default: <PRI> then the key=value line (with devname and devid); rfc5424: RFC 5424 header."),
  };
  return o;
}

// FortiOS limits firewall object names to 79 bytes.
constexpr std::int64_t kFirewallNameMax = 79;

KeySchema names(std::string name, std::int64_t max_len, std::string help) {
  return {std::move(name), ValueType::kNameList, {}, 0, max_len, {}, std::move(help)};
}
KeySchema comment(std::string name) { return str(std::move(name), 255, "", "Free-form comment."); }

ObjectSchema firewall_address() {
  ObjectSchema o;
  o.path = "firewall address";
  o.entry_key = EntryKey::kName;
  o.key_max = kFirewallNameMax;
  o.help = "IPv4 addresses, keyed by name; \"all\" and \"none\" are built in.";
  o.keys = {
      choice("type", {"ipmask", "iprange", "fqdn"}, "ipmask",
             "ipmask uses subnet; iprange uses start-ip..end-ip; fqdn uses fqdn, resolved by the node "
             "(today only for real servers: addr-type fqdn)."),
      typed("subnet", ValueType::kIpv4Mask, {"0.0.0.0", "0.0.0.0"}, "Network and netmask (type ipmask)."),
      typed("start-ip", ValueType::kIpv4, {"0.0.0.0"}, "First address of the range (type iprange)."),
      typed("end-ip", ValueType::kIpv4, {"0.0.0.0"}, "Last address of the range (type iprange)."),
      str("fqdn", 255, "", "Host name (type fqdn), resolved through the node's resolver (/etc/hosts, DNS)."),
      comment("comment"),
  };
  return o;
}

ObjectSchema firewall_addrgrp() {
  ObjectSchema o;
  o.path = "firewall addrgrp";
  o.entry_key = EntryKey::kName;
  o.key_max = kFirewallNameMax;
  o.help = "Address groups, keyed by name; members are addresses or other groups.";
  o.keys = {
      names("member", kFirewallNameMax, "Addresses and address groups in this group (no cycles)."),
      comment("comment"),
  };
  return o;
}

ObjectSchema firewall_service_custom() {
  ObjectSchema o;
  o.path = "firewall service custom";
  o.entry_key = EntryKey::kName;
  o.key_max = kFirewallNameMax;
  o.help = "Services, keyed by name; the built-in services need no entry.";
  o.keys = {
      choice("protocol", {"TCP/UDP/SCTP", "ICMP", "IP"}, "TCP/UDP/SCTP", "Which of the keys below apply."),
      {"tcp-portrange", ValueType::kPortRangeList, {}, 0, 0, {}, "TCP port ranges dst[-dst][:src[-src]]."},
      {"udp-portrange", ValueType::kPortRangeList, {}, 0, 0, {}, "UDP port ranges dst[-dst][:src[-src]]."},
      {"sctp-portrange", ValueType::kPortRangeList, {}, 0, 0, {}, "SCTP port ranges dst[-dst][:src[-src]]."},
      {"icmptype", ValueType::kInteger, {}, 0, 255, {}, "ICMP type (protocol ICMP); unset matches any type."},
      {"icmpcode", ValueType::kInteger, {}, 0, 255, {}, "ICMP code (protocol ICMP); unset matches any code."},
      integer("protocol-number", 0, 255, 0, "IP protocol number (protocol IP); 0 matches any protocol."),
      comment("comment"),
  };
  return o;
}

ObjectSchema firewall_service_group() {
  ObjectSchema o;
  o.path = "firewall service group";
  o.entry_key = EntryKey::kName;
  o.key_max = kFirewallNameMax;
  o.help = "Service groups, keyed by name; members are services or other groups.";
  o.keys = {
      names("member", kFirewallNameMax, "Services and service groups in this group (no cycles)."),
      comment("comment"),
  };
  return o;
}

ObjectSchema firewall_policy() {
  ObjectSchema o;
  o.path = "firewall policy";
  o.entry_key = EntryKey::kInteger;
  o.key_min = 1;
  o.key_max = 4294967294;
  o.help = "Forwarding policies, keyed by id; evaluated in table order (as written), not id order.";
  o.keys = {
      str("name", 35, "", "Policy name."),
      names("srcintf", kInterfaceNameMax, "Incoming interfaces, or \"any\"."),
      names("dstintf", kInterfaceNameMax, "Outgoing interfaces, or \"any\"."),
      names("srcaddr", kFirewallNameMax, "Source addresses and address groups."),
      names("dstaddr", kFirewallNameMax, "Destination addresses and address groups."),
      choice("action", {"accept", "deny"}, "deny", "What a matching session gets."),
      names("service", kFirewallNameMax, "Services and service groups."),
      str("schedule", 35, "always", "Schedule; only \"always\" is supported for now."),
      choice("logtraffic", {"all", "utm", "disable"}, "utm",
             "all logs every session; utm logs only security events (none on forwarded traffic yet)."),
      toggle("status", true, "Evaluate this policy."),
      toggle("nat", false, "Source NAT to the outgoing interface; enable is refused for now."),
      str("comments", 1023, "", "Free-form comment."),
  };
  return o;
}

ObjectSchema router_static() {
  ObjectSchema o;
  o.path = "router static";
  o.entry_key = EntryKey::kInteger;
  o.key_min = 1;
  o.key_max = 4294967295;
  o.help = "IPv4 static routes, keyed by seq-num.";
  o.keys = {
      typed("dst", ValueType::kIpv4Mask, {"0.0.0.0", "0.0.0.0"}, "Destination network and netmask."),
      typed("gateway", ValueType::kIpv4, {"0.0.0.0"},
            "Next hop on a connected subnet of device; 0.0.0.0 means dst is on the device's link."),
      str("device", kInterfaceNameMax, "", "Outgoing interface (required while status is enable)."),
      integer("distance", 1, 255, 10, "Administrative distance; lower wins."),
      integer("priority", 0, 65535, 0, "Priority among routes of equal distance; lower wins."),
      toggle("status", true, "Use this route."),
      comment("comment"),
  };
  return o;
}

// ---- ZTNA access proxy (issue 7): certificates, users, VIPs, proxies and
// proxy policies. Cross-references are checked in ztna_validate.cc; why
// each of these is synchronised is in docs/ztna.md.

ObjectSchema vpn_certificate_ca() {
  ObjectSchema o;
  o.path = "vpn certificate ca";
  o.entry_key = EntryKey::kName;
  o.key_max = kCertificateNameMax;
  o.help = "CA certificates that ZTNA client certificates must chain to (named by access-proxy client-cert-ca).";
  o.keys = {
      str("ca", kPemPathMax, "", "Path of the CA certificate (PEM); the file must exist on both nodes."),
      comment("comment"),
  };
  return o;
}

ObjectSchema vpn_certificate_local() {
  ObjectSchema o;
  o.path = "vpn certificate local";
  o.entry_key = EntryKey::kName;
  o.key_max = kCertificateNameMax;
  o.help = "Server certificates presented by access-proxy VIPs (both nodes present the same one).";
  o.keys = {
      str("certificate", kPemPathMax, "", "Path of the certificate chain (PEM), leaf first."),
      str("private-key", kPemPathMax, "", "Path of its private key (PEM, unencrypted)."),
      comment("comment"),
  };
  return o;
}

ObjectSchema vpn_certificate_crl() {
  ObjectSchema o;
  o.path = "vpn certificate crl";
  o.entry_key = EntryKey::kName;
  o.key_max = kCertificateNameMax;
  o.help = "Certificate revocation lists checked for every client certificate.";
  o.keys = {
      str("crl", kPemPathMax, "", "Path of the CRL (PEM)."),
      comment("comment"),
  };
  return o;
}

// FortiOS allows 64-byte local user names and 35-byte group names.
constexpr std::int64_t kUserNameMax = 64;
constexpr std::int64_t kGroupNameMax = 35;

ObjectSchema user_local() {
  ObjectSchema o;
  o.path = "user local";
  o.entry_key = EntryKey::kName;
  o.key_max = kUserNameMax;
  o.help = "Local users for ZTNA Basic authentication.";
  o.keys = {
      choice("type", {"password"}, "password", "Authentication type; only local passwords for now."),
      typed("passwd", ValueType::kUserPassword, {},
            "Password; stored and shown as ENC PB2$<iterations>$<salt>$<key> (PBKDF2-HMAC-SHA256)."),
      toggle("status", true, "Allow this user to log in."),
  };
  return o;
}

ObjectSchema user_group() {
  ObjectSchema o;
  o.path = "user group";
  o.entry_key = EntryKey::kName;
  o.key_max = kGroupNameMax;
  o.help = "User groups named by proxy policies.";
  o.keys = {
      choice("group-type", {"firewall"}, "firewall", "Group type; only firewall groups for now."),
      names("member", kUserNameMax, "Local users in this group."),
  };
  return o;
}

ObjectSchema user_setting() {
  ObjectSchema o;
  o.path = "user setting";
  o.help = "Authentication settings.";
  o.keys = {
      integer("auth-timeout", 1, 1440, 5, "Minutes an authenticated user entry lives."),
      choice("auth-timeout-type", {"idle-timeout", "hard-timeout"}, "idle-timeout",
             "idle-timeout restarts the timer on traffic; hard-timeout counts from login."),
  };
  return o;
}

ObjectSchema firewall_vip() {
  ObjectSchema o;
  o.path = "firewall vip";
  o.entry_key = EntryKey::kName;
  o.key_max = kFirewallNameMax;
  o.help = "Virtual IPs; only type access-proxy is supported (the address a ZTNA access proxy listens on).";
  o.keys = {
      choice("type", {"static-nat", "access-proxy"}, "static-nat",
             "access-proxy: the VIP of an access proxy; static-nat is refused for now."),
      typed("extip", ValueType::kIpv4, {"0.0.0.0"}, "External address clients connect to."),
      str("extintf", kInterfaceNameMax, "any", "Interface the VIP answers on, or \"any\"."),
      integer("extport", 0, 65535, 0, "TCP port clients connect to (required for access-proxy)."),
      str("ssl-certificate", kCertificateNameMax, "",
          "Server certificate (a vpn certificate local entry) presented to clients."),
      comment("comment"),
  };
  return o;
}

ObjectSchema access_proxy_realservers() {
  ObjectSchema o;
  o.path = "realservers";
  o.entry_key = EntryKey::kInteger;
  o.key_min = 1;
  o.key_max = 4294967295;
  o.help = "Servers behind an API gateway, keyed by id.";
  o.keys = {
      choice("addr-type", {"ip", "fqdn"}, "ip",
             "ip: the server is at ip; fqdn: at the first IPv4 address the name of address resolves to, "
             "looked up again every 60 s and on every configuration change."),
      typed("ip", ValueType::kIpv4, {"0.0.0.0"}, "Address of the real server (addr-type ip)."),
      str("address", kFirewallNameMax, "", "A firewall address of type fqdn naming the server (addr-type fqdn)."),
      integer("port", 1, 65535, 443, "TCP port of the real server."),
      choice("status", {"active", "standby", "disable"}, "active",
             "active servers share the load; standby serves only when no active one is up."),
      integer("weight", 1, 255, 1, "Share of connections under ldb-method weighted."),
      toggle("health-check", false, "Probe the server and skip it while it fails."),
      choice("health-check-proto", {"tcp-connect", "http", "ping"}, "tcp-connect",
             "tcp-connect: the server accepts a TCP connection; http: it also answers GET / with a 2xx or "
             "3xx status, over TLS when the gateway's service is https (the handshake must pass, and "
             "verify-cert applies); ping: it answers an ICMP echo request. FortiOS's default is ping; "
             "Tandem's is tcp-connect, which also proves the service listens."),
      str("http-host", 63, "",
          "ldb-method http-host: the Host this server serves (case-insensitive, port and a trailing dot "
          "ignored). A request goes to the first usable server naming its Host, else to the first usable "
          "one naming none."),
      toggle("holddown-interval", false,
             "A server that was down is used again only once it has passed its checks for 30 s (FortiOS's "
             "holddown timer); disable: from the first passing check."),
      toggle("verify-cert", false,
             "service https: verify the server's certificate and its name against the gateway's realserver-ca, "
             "or the system's CA certificates when it names none (Tandem's key)."),
  };
  return o;
}

ObjectSchema access_proxy_api_gateway() {
  ObjectSchema o;
  o.path = "api-gateway";
  o.entry_key = EntryKey::kInteger;
  o.key_min = 1;
  o.key_max = 4294967295;
  o.help = "URL-mapped backends of an access proxy, keyed by id; the first (in table order) that matches wins.";
  o.keys = {
      str("url-map", 511, "/", "Pattern the request path is matched against."),
      choice("url-map-type", {"sub-string", "wildcard", "regex"}, "sub-string", "How url-map is matched."),
      choice("service", {"http", "https"}, "https", "Protocol towards the real servers."),
      str("virtual-host", 255, "", "Host the request must name; empty matches any."),
      choice("ldb-method", {"static", "round-robin", "weighted", "first-alive", "http-host"}, "static",
             "How a real server is chosen; static: by the client's source address (a hash, the same on every "
             "worker and both nodes)."),
      names("realserver-ca", kCertificateNameMax,
            "vpn certificate ca entries the certificates of realservers with verify-cert enable must chain to; "
            "none: the system's CA certificates (Tandem's key)."),
  };
  o.children = {access_proxy_realservers()};
  return o;
}

ObjectSchema firewall_access_proxy() {
  ObjectSchema o;
  o.path = "firewall access-proxy";
  o.entry_key = EntryKey::kName;
  o.key_max = kFirewallNameMax;
  o.help = "ZTNA access proxies: TLS on a VIP, client certificates, then API gateways.";
  o.keys = {
      str("vip", kFirewallNameMax, "", "The firewall vip (type access-proxy) this proxy listens on."),
      toggle("client-cert", true, "Ask clients for a certificate and verify it."),
      choice("empty-cert-action", {"accept", "block"}, "block",
             "What a client that sends no certificate gets (client-cert enable)."),
      names("client-cert-ca", kCertificateNameMax,
            "vpn certificate ca entries client certificates must chain to (Tandem's key; FortiOS uses the EMS CA)."),
      toggle("log-blocked-traffic", true, "Log connections the proxy refuses."),
  };
  o.children = {access_proxy_api_gateway()};
  return o;
}

ObjectSchema firewall_proxy_policy() {
  ObjectSchema o;
  o.path = "firewall proxy-policy";
  o.entry_key = EntryKey::kInteger;
  o.key_min = 1;
  o.key_max = 4294967294;
  o.help = "Policies of the access proxies, keyed by id; evaluated in table order (as written).";
  o.keys = {
      str("name", 35, "", "Policy name."),
      choice("proxy", {"explicit-web", "transparent-web", "access-proxy"}, "explicit-web",
             "Proxy type; only access-proxy is supported."),
      names("access-proxy", kFirewallNameMax, "Access proxies this policy applies to."),
      names("srcintf", kInterfaceNameMax, "Incoming interfaces, or \"any\"."),
      names("srcaddr", kFirewallNameMax, "Source addresses and address groups."),
      names("dstaddr", kFirewallNameMax, "Destination addresses; empty matches any real server."),
      names("ztna-ems-tag", kFirewallNameMax, "Device tags (from the client certificate) to match; empty matches any."),
      choice("ztna-tags-match-logic", {"or", "and"}, "or", "Whether one or all ztna-ems-tag must be present."),
      names("users", kUserNameMax, "Local users allowed; with groups, either one matching suffices."),
      names("groups", kGroupNameMax, "User groups allowed."),
      choice("action", {"accept", "deny"}, "deny", "What a matching request gets."),
      toggle("status", true, "Evaluate this policy."),
      choice("logtraffic", {"all", "utm", "disable"}, "utm", "all logs every request; utm only security events."),
      str("comments", 1023, "", "Free-form comment."),
  };
  return o;
}

std::vector<ObjectSchema> declare_objects() {
  return {system_global(),    system_interface(),     system_ha(),
          system_certificate_ca(), system_certificate_local(),
          system_dpdk(),      system_session_ttl(),   system_tcp_test_service(),
          firewall_address(),
          firewall_addrgrp(), firewall_service_custom(), firewall_service_group(),
          firewall_policy(),  router_static(),
          vpn_certificate_ca(), vpn_certificate_local(), vpn_certificate_crl(),
          user_local(), user_group(), user_setting(),
          firewall_vip(), firewall_access_proxy(), firewall_proxy_policy(),
          log_disk_setting(), log_syslogd_setting()};
}

}  // namespace

const std::vector<ObjectSchema>& top_level_objects() {
  static const std::vector<ObjectSchema> objects = declare_objects();
  return objects;
}

const ObjectSchema* find_object(std::string_view path) {
  for (const ObjectSchema& o : top_level_objects()) {
    if (o.path == path) return &o;
  }
  return nullptr;
}

const ObjectSchema* find_child(const ObjectSchema& parent, std::string_view path) {
  for (const ObjectSchema& o : parent.children) {
    if (o.path == path) return &o;
  }
  return nullptr;
}

const KeySchema* find_key(const ObjectSchema& object, std::string_view name) {
  for (const KeySchema& k : object.keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const std::vector<std::string>& value_words(const KeySchema& key, const ObjectData& object) {
  auto it = object.values.find(key.name);
  return it == object.values.end() ? key.default_words : it->second.words;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  // Unbounded input must not make this quadratic in the file size.
  constexpr std::size_t kMaxCompared = 64;
  constexpr std::size_t kMaxDistance = 2;
  if (word.empty() || word.size() > kMaxCompared) return {};
  std::string best;
  std::size_t best_distance = kMaxDistance + 1;
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (!best.empty()) return best;
  for (const std::string& c : candidates) {
    if (c.starts_with(word)) return c;
  }
  return {};
}

bool is_command_keyword(std::string_view word) {
  return word == "config" || word == "edit" || word == "set" || word == "unset" ||
         word == "next" || word == "end" || word == "delete" || word == "purge";
}

ObjectData make_object(const ObjectSchema& object) {
  ObjectData data;
  for (const ObjectSchema& child : object.children) {
    TableData& table = data.children[child.path];
    if (!child.is_table()) {
      table.entries.push_back({"", make_object(child), {}});
      table.index.emplace("", 0);
    }
  }
  return data;
}

}  // namespace tandem::config
