// Which real server of an api-gateway gets a request (`ldb-method`), and
// the health state a probe or a failed connection moves (`health-check`).
// Pure logic, no EAL: the proxy on the workers (ztna_app.cc) keeps one
// ZtnaLdbState per gateway and one ZtnaHealth per real server per worker,
// and calls these; the unit tests call them directly (docs/ztna.md, "Real
// server choice" and "Health checks").
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem::dp {

inline constexpr unsigned kMaxZtnaRealServers = 16;  // per api-gateway (bits of an up mask)
inline constexpr unsigned kZtnaVirtualHostMax = 255;  // = the schema's virtual-host length
inline constexpr uint64_t kZtnaHolddownMs = 30'000;  // holddown-interval enable (FortiOS: 30 s)

enum class ZtnaLdbMethod : uint8_t {
  kStatic,      // by the client's source address: rendezvous hash over the usable servers
  kRoundRobin,  // usable servers in turn
  kWeighted,    // smooth weighted round-robin by weight (nginx's)
  kFirstAlive,  // the first usable server (same rule as static here)
  kHttpHost,    // the first usable server whose http-host names the request's Host, else
                // the first usable one without an http-host
};

struct ZtnaRealServer {
  uint32_t id;  // realservers entry id
  uint32_t ip;  // host order
  uint16_t port;
  uint16_t index;     // into the worker's health table (ZtnaRuntime::nb_servers of them)
  uint8_t weight;     // 1..255
  bool standby;       // status standby: used only while no active server is usable
  bool health_check;  // probed; skipped while down
  bool health_http;   // the probe also sends GET / and wants a 2xx or 3xx status
  bool health_ping;   // the probe is an ICMP echo request instead
  bool holddown;      // holddown-interval: back in use only kZtnaHolddownMs after it recovers
  bool verify_cert;   // service https: its certificate is verified (the gateway's realserver-ca)
  bool https;         // its gateway's service is https: an http probe goes over TLS
  uint8_t proxy;      // its access proxy and api-gateway, by table position: where an
  uint8_t gateway;    // http probe over TLS finds the realserver-ca (verify-cert)
  uint8_t http_host_len;  // ldb-method http-host: the Host it serves (0: none)
  char http_host[64];
};

// One api-gateway: its servers with status active or standby (disable
// ones are left out), in table order.
struct ZtnaGatewayRuntime {
  uint32_t id;  // api-gateway entry id
  uint16_t nb_servers;
  ZtnaLdbMethod method;
  bool https;  // service https: TLS to the real server
  uint16_t virtual_host_len;  // 0: any Host
  char virtual_host[kZtnaVirtualHostMax + 1];
  ZtnaRealServer servers[kMaxZtnaRealServers];
};

// One worker's choice state of one gateway.
struct ZtnaLdbState {
  uint32_t rr;  // round-robin: the position after the last pick
  int32_t current[kMaxZtnaRealServers];  // weighted: current weights
};

// The server for the next request from client address src_ip (host
// order; only ldb-method static reads it): bit i of up_mask says
// servers[i] is usable (not down by health check, and for ldb-method
// http-host among ztna_ldb_host_mask's). Active servers first; standby
// ones only when no active one is usable. Index into g.servers, or -1 when
// none is usable.
int ztna_ldb_pick(const ZtnaGatewayRuntime& g, uint32_t up_mask, uint32_t src_ip, ZtnaLdbState* st);

// The servers a request with this Host may go to: for ldb-method
// http-host those whose http-host names it (case-insensitive, port and one
// trailing dot ignored) or, when none does, those naming no host; for the
// other methods all of them.
uint32_t ztna_ldb_host_mask(const ZtnaGatewayRuntime& g, std::string_view host);

// Whether a request's Host (port stripped, case-insensitive, one trailing
// dot ignored) names the gateway's virtual-host; an empty virtual-host
// matches any request, a request without Host only that.
bool ztna_virtual_host_matches(const ZtnaGatewayRuntime& g, std::string_view host);

// Health of one real server on one worker. A server starts up; `retry`
// consecutive failures (probe or connection) take it down, one success
// brings it back; with a holddown, successes only for holddown_ms from the
// first (a failure in between starts it over).
struct ZtnaHealth {
  uint32_t ip;  // the server (host order) and how it is probed: a new
  uint16_t port;  // config generation keeps the state of a server it
  uint8_t probe;  // still probes the same way (ztna_health_probe_kind)
  bool down;
  uint8_t fails;        // consecutive failures
  bool probing;         // a probe connection is open
  uint32_t probe_conn;  // its TcpConn::id
  uint64_t next_probe_ms, probe_deadline_ms;
  uint64_t changed_ms;  // last up/down change (0: never)
  uint64_t holddown_until_ms;  // down, passing, back up at this time (0: not in a holddown)
  uint32_t ups, downs;  // transitions
  uint64_t probes_ok, probes_failed, conn_failed;
};

// How a server is probed, as ZtnaHealth::probe keeps it: 0 when it is not
// (health-check disable), else the protocol and, for http over TLS, whether
// its certificate is verified. Two gateways may list the same address and
// port with different probes; their states are different things.
uint8_t ztna_health_probe_kind(const ZtnaRealServer& rs);

// Records one result; true when the server changed state (up <-> down).
bool ztna_health_result(ZtnaHealth* h, bool ok, unsigned retry, uint64_t now_ms, uint64_t holddown_ms);

}  // namespace tandem::dp
