// The ZTNA proxy's per-worker state: the application (ZtnaApp) and its
// connection slots (ZtnaSlot), shared by the relay (ztna_app.cc), the
// real servers' health probes (ztna_health.cc) and the operator requests
// it serves on the worker (ztna_cli.cc). Not an API:
// the rest of Tandem goes through ztna_app.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dataplane/http/http.h"
#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/tls/tls.h"
#include "dataplane/user/user_table.h"
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_auth.h"
#include "dataplane/ztna/ztna_conn.h"
#include "dataplane/ztna/ztna_diag.h"
#include "dataplane/ztna/ztna_ldb.h"

namespace tandem::dp {

struct ActiveConfig;  // dataplane/worker/worker_context.h

inline constexpr size_t kZtnaChunk = 16384;  // bytes read from a side per step
inline constexpr uint16_t kZtnaNoServer = 0xffff;  // ZtnaSlot::server_index: none chosen
// Staging of one direction: a rewritten request head (at most
// kMaxHeadBytes plus the Connection line) with the body bytes read with it,
// or a TLS record's worth of ciphertext.
inline constexpr size_t kZtnaStage = http::kMaxHeadBytes + 1024;
inline constexpr size_t kZtnaUserCapacity = 4096;  // authenticated client addresses per worker
// Server connections kept for the next client (nginx's upstream
// `keepalive`): when a client connection ends after a complete keep-alive
// response, its server connection waits here, per worker, for a request
// of any client to the same real server (same proxy, gateway and SNI, the
// same runtime). How long: kPoolIdleMs in ztna_app.cc.
inline constexpr uint32_t kZtnaPoolMax = 32;

enum class ZtnaRole : uint8_t { kFree, kClient, kServer, kProbe };

struct ZtnaSlot {
  ZtnaRole role;
  bool forwarding;      // client: ZtnaConn said kForward, the relay runs this request
  bool proxied;         // client: at least one request was forwarded (the end log)
  bool keep_client;     // client: the request lets the connection carry another
  bool req_done;        // client: the request's body is all staged for the server
  bool resp_done;       // client: the response is all relayed
  bool tunnel;          // client: a 101 made the connection a byte tunnel (WebSocket)
  bool client_http10;   // client: the request was HTTP/1.0
  bool upstream_open;   // client: the server connection is established
  bool upstream_done;   // client: the server's data has all been read (or it failed)
  bool shut;            // client: close_notify queued, TCP close follows the flush
  bool closed;          // client: tcp_close called
  uint8_t proxy;
  uint32_t pair = kTcpNil;  // the other side's id, kTcpNil when none (so a reset slot has none)
  TcpConn* conn;
  ZtnaConn* zc;
  const ZtnaRuntime* rt;
  uint64_t response_bytes;  // of the current request's response
  int log_policy;           // the policy index that decided the last request
  uint32_t log_policy_id;   // and its id
  http::BodyFramer req_body;
  http::ResponseFramer resp;
  uint64_t head_deadline_ms;  // client, until kForward: see kHeadTimeoutMs, or the keep-alive limit
  bool keepalive_wait;        // client: between requests (head_deadline_ms is the keep-alive limit)
  bool tls_counted;           // client: its handshake is in the counters
  uint8_t login_job;          // client: 1 + the index of its pending password check, 0 none
  uint32_t gen;               // client: tells an answer for this connection from one for an earlier one
  uint64_t active_ms;         // client, relaying: when a byte last moved (the idle timeout)
  uint64_t linger_until_ms;   // client, closed: draining until the peer's FIN or then (kLingerMs)
  uint32_t src;  // client address, host order: its user entry gets the byte counts
  // Bytes moved since the user entry was last charged (end of pump).
  uint64_t lan_in, lan_out, wan_in, wan_out;
  // For the traffic log (client): totals, when it started, where it went.
  uint64_t log_lan_in, log_lan_out, log_wan_in, log_wan_out;
  uint64_t start_ms;
  uint32_t serial;       // sessionid of the log
  uint16_t src_port;
  uint8_t in_port;       // port toward the client (kTrafficLogNoPort when none)
  uint8_t server_port_index;
  uint32_t server_ip;    // real server, host order; 0 until chosen
  uint16_t server_port;
  uint16_t gateway;      // api-gateway by table position, kZtnaNoGateway until chosen
  uint16_t server_index; // client: the real server's health index (kNoServer); probe: the probed one
  uint32_t health_gen;   // probe: ZtnaApp::health_gen when it started
  uint16_t tried;        // client: servers of the gateway (bits) this request failed to connect to
  uint32_t host_servers; // client: servers of the gateway (bits) this request's Host allows (http-host)
  bool https;            // server: TLS over this connection (ZtnaApp::up_tls[id])
  bool logged;           // the deny record is out
  bool pooled;           // server: idle in ZtnaApp::pool, no client (kPoolIdleMs)
  bool probe_http;       // probe: health-check-proto http (GET /, the status decides)
  bool probe_sent;       // probe over TLS: GET / is out (after the handshake)
  uint8_t probe_line_len;
  char probe_line[64];   // probe over TLS: the answer's first bytes (its status line)
  uint64_t pooled_ms;    // server, pooled: since when
  uint32_t pool_gen;     // server, pooled: ZtnaApp::health_gen when it was pooled
  uint32_t up_off, up_len;      // plaintext for the server
  uint32_t down_off, down_len;  // ciphertext for the client
  char sni[kZtnaVirtualHostMax + 1];  // client, service https: the SNI toward the server ("" for none)
  uint8_t up[kZtnaStage];
  uint8_t down[kZtnaStage];
};

// What a ZtnaUserRequest asks a worker's proxy.
enum class ZtnaAsk : uint8_t {
  kUserList,     // `diagnose wad user list`
  kUserClear,    // `diagnose wad user clear`
  kRealservers,  // `diagnose firewall vip realserver list`
};

// An operator request, run on the owning worker.
struct ZtnaUserRequest {
  ZtnaAsk ask;
  char* buf;
  size_t len, used;
  unsigned total;
  std::atomic<bool> done;
};

struct ZtnaListenCtx {
  ZtnaApp* app;
  uint8_t proxy;
};

struct ZtnaApp {
  TcpGlue* g;
  uint32_t max_conns;
  const ZtnaRuntime* rt;  // the runtime the listeners follow
  int listeners[kMaxZtnaProxies];
  ZtnaListenCtx listen_ctx[kMaxZtnaProxies];
  ZtnaLdbState ldb[kMaxZtnaProxies][kMaxZtnaGateways];  // real-server choice per gateway
  ZtnaHealth* health;  // kMaxZtnaServers, by ZtnaRealServer::index of rt: one of health_store
  ZtnaHealth health_store[2][kMaxZtnaServers];  // the current generation's and the previous one's
  uint32_t nb_health;  // entries of health in use
  uint32_t health_gen;     // bumped when rt changes: older probes no longer count
  uint32_t health_cursor;  // next server the probe sweep looks at
  uint64_t health_tick_ms;
  uint64_t retried;  // requests sent to another server after a failed connect
  uint32_t pool[kZtnaPoolMax];  // idle server connections by TcpConn::id (kZtnaPoolMax above)
  uint32_t pool_n;
  tls::Conn* up_tls;       // max_conns, by TcpConn::id of the server connection (service https)
  uint32_t sweep_cursor;
  uint64_t sweep_ms;  // the millisecond the sweeps last ran
  uint32_t serial;  // ZTNA sessions started on this worker (the log's sessionid)
  ZtnaSlot* slots;               // max_conns, by TcpConn::id
  ZtnaConn* conns;               // max_conns, constructed in place
  ZtnaConn** free_conns;
  uint32_t nb_free;
  UserTable users;
  ZtnaCounters counters;
  // Password checks this worker has at the verifier (ztna_auth.h).
  bool auth;  // holds a verifier reference
  uint32_t next_gen;
  uint32_t jobs_in_flight;
  bool job_used[kZtnaLoginJobs];
  ZtnaLoginJob jobs[kZtnaLoginJobs];
  std::atomic<ZtnaUserRequest*> mailbox;
  uint32_t clear_ips[kZtnaUserCapacity];  // `diagnose wad user clear` collects, then removes
  uint8_t scratch[kZtnaChunk];
  uint8_t head_out[kZtnaStage];  // a response head as the client gets it
};

// The slot of connection c.
inline ZtnaSlot* ztna_slot_of(ZtnaApp* a, const TcpConn* c) { return &a->slots[c->id]; }
// The proxy's clock: its TCP stack's, in milliseconds.
inline uint64_t ztna_now_ms(const ZtnaApp* a) { return a->g->now_us / 1000; }

// Serves a `diagnose wad user list|clear` or `diagnose firewall vip
// realserver list` request on the worker that owns `a` (ztna_cli.cc).
void ztna_serve_user_request(ZtnaApp* a, ZtnaUserRequest* req);

// ---- The relay's server side (ztna_app.cc), for the health probes.
// The node's address on the port that routes to dst (host order), or 0.
uint32_t ztna_source_for(const ActiveConfig& cfg, uint32_t dst);
// Service https: the server slot's ciphertext out (its up staging, then
// TLS's output). True when all is out.
bool ztna_flush_server_tls(ZtnaApp* a, ZtnaSlot* ss);
// Plaintext to the server, plain or through TLS once its handshake is
// done; the bytes taken.
size_t ztna_server_write(ZtnaApp* a, TcpConn* server, const uint8_t* data, size_t len);
// Plaintext from the server (TLS also advances its handshake); 0 when
// nothing is ready.
size_t ztna_server_read(ZtnaApp* a, TcpConn* server, uint8_t* out, size_t cap);
bool ztna_server_tls_failed(ZtnaApp* a, TcpConn* server);

// ---- Health checks (ztna_health.cc).
// This worker's health of server `index` of runtime rt, or nullptr when it
// is not checked.
ZtnaHealth* ztna_health_of(ZtnaApp* a, const ZtnaRuntime* rt, uint16_t index);
// cs's server connection was established (ok) or failed before it was.
void ztna_health_from_conn(ZtnaApp* a, ZtnaSlot* cs, bool ok);
// A new runtime: servers it still has keep their state (a->health swaps).
void ztna_carry_health(ZtnaApp* a, const ZtnaRuntime* rt);
// From the poll: the probes due, and those past their timeout.
void ztna_health_tick(ZtnaApp* a);

}  // namespace tandem::dp
