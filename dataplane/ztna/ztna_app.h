// The ZTNA access proxy on the workers' TCP stacks (dataplane/tcp/tcp_glue.h):
// a listener on every access proxy's VIP (extip:extport, an address of a
// data port), one ZtnaConn per accepted connection from a per-worker pool,
// and, once ZtnaConn says kForward, a plain TCP connection from this worker
// (tcp_glue_connect) to a real server of the proxy's api-gateway with the
// request relayed up and the response relayed back through TLS. HTTP/1.1
// keep-alive: each response is framed (http::ResponseFramer), then the
// client's next request is decided again and sent over the same server
// connection while the server keeps it (docs/ztna.md).
//
// ZtnaRuntime is what the control side builds for a config generation
// (controlplane/daemon/ztna_snapshot.h): the policy pools, the user
// credentials and one TLS ServerContext per worker and proxy, built there,
// never on a worker. The Snapshot points to it; connections hold a count
// on it so tandemd frees a replaced runtime only when none uses it.
// Internal to dataplane/ (takes TcpGlue); tandemd uses the runtime type.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dataplane/policy/url_map.h"
#include "dataplane/tls/tls.h"
#include "dataplane/worker/worker_types.h"
#include "dataplane/ztna/ztna_conn.h"
#include "dataplane/ztna/ztna_ldb.h"
#include "dataplane/ztna/ztna_diag.h"
#include "dataplane/ztna/ztna_types.h"

namespace tandem::dp {

inline constexpr unsigned kMaxZtnaProxies = 32;  // = bits of ZtnaPolicy::proxy_mask
inline constexpr unsigned kMaxZtnaGateways = 16;  // api-gateways per access proxy
inline constexpr unsigned kMaxZtnaServers = 1024;  // real servers of all gateways (health table)
inline constexpr unsigned kZtnaRealmMax = 64;

// One access proxy as the workers run it.
struct ZtnaProxyRuntime {
  uint32_t ip;  // VIP extip, host order
  uint16_t port;
  ZtnaProxyConf conf;  // its pointers lead into the owning ZtnaRuntime
  char realm[kZtnaRealmMax];
  bool log_blocked;  // log-blocked-traffic: log refusals no deny policy decided
  bool off = false;  // its files did not load: no listener (tandemd logged why)
  // api-gateways in table order; url_map gives those whose url-map
  // matches a request path (entry id = index here); the first of them
  // whose virtual-host matches the Host serves the request.
  uint16_t nb_gateways;
  ZtnaGatewayRuntime gateways[kMaxZtnaGateways];
  UrlMap url_map;
  tls::ServerContext tls[kMaxWorkers];  // worker i uses tls[i]
  // TLS toward the realservers with verify-cert enable of gateway g, with
  // its realserver-ca: gateway_tls[g][worker]; built only for such gateways.
  tls::ClientContext gateway_tls[kMaxZtnaGateways][kMaxWorkers];
};

// Idle limits of client connections (docs/ztna.md "Timeouts").
inline constexpr uint32_t kZtnaDefaultKeepaliveS = 75;   // nginx's keepalive_timeout
inline constexpr uint32_t kZtnaDefaultIdleS = 3600;      // FortiOS's session-ttl default

struct ZtnaRuntime {
  // Live connections using this runtime (workers add and drop, tandemd
  // reads before freeing a runtime no snapshot points to any more).
  mutable std::atomic<uint32_t> refs{0};
  uint32_t nb_proxies = 0;
  uint32_t nb_servers = 0;  // real servers of all gateways (ZtnaRealServer::index)
  // A keep-alive client has this long after a response for its next
  // complete head; a relay (request or tunnel running) that moves no byte
  // either way for idle_ms is reset.
  uint64_t keepalive_ms = kZtnaDefaultKeepaliveS * 1000ull;
  uint64_t idle_ms = kZtnaDefaultIdleS * 1000ull;
  tls::TicketKeyRing ring;
  // The node's TLS 1.2 session-id cache (tandemd's, shared by every
  // runtime and every context in it; outlives them). nullptr: none.
  tls::SessionCache* session_cache = nullptr;
  ZtnaPolicyConf policies;
  ZtnaUserDb users;
  ZtnaProxyRuntime proxies[kMaxZtnaProxies];
  // Real servers of all gateways by ZtnaRealServer::index: what the
  // workers probe (health-check enable).
  ZtnaRealServer servers[kMaxZtnaServers];
  // TLS toward real servers of service https gateways; worker i uses [i].
  tls::ClientContext upstream_tls[kMaxWorkers];
};

// Per-worker proxy state, indexed by TcpConn::id (ztna_app.cc).
struct ZtnaApp;
struct TcpGlue;

// Sizes come from the TCP stack (one slot per connection id). nullptr on
// no memory.
ZtnaApp* ztna_app_create(TcpGlue* g, uint32_t max_conns, int socket);
void ztna_app_destroy(ZtnaApp* app);
// Once per loop from tcp_glue_poll: listeners follow the snapshot's runtime.
void ztna_app_configure(TcpGlue* g, const ZtnaRuntime* rt);
// The echo reply to a health ping (tcp_glue_send_ping) from src_ip (host
// order) with sequence seq, on the worker that sent it (ztna_health.cc).
void ztna_app_ping_reply(ZtnaApp* a, uint32_t src_ip, uint16_t seq);

// Per-worker counters (written by the owner only; ztna_diag.h).
const ZtnaCounters& ztna_app_counters(const ZtnaApp* app);
UserTable* ztna_app_users(ZtnaApp* app);
// The session-id cache of the runtime the worker runs (nullptr: none).
tls::SessionCache* ztna_app_session_cache(const ZtnaApp* app);

}  // namespace tandem::dp
