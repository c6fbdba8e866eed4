// The ZTNA proxy's connections on one worker (ztna_app.h). Everything runs
// inside the TCP engine's callbacks on the owning worker; a client
// connection and the upstream connection it opened point at each other by
// TcpConn::id, and all relay state lives in the client's slot.
//
// Flow control: each direction has one staging buffer; nothing more is read
// from a side while the other side's staging is not empty, so the TCP
// receive windows are the back-pressure (as in tcp_service.cc's echo).
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_app_internal.h"

#include <openssl/crypto.h>
#include <rte_malloc.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include "dataplane/log/log.h"
#include "dataplane/route/route.h"
#include "dataplane/sync/sync_inl.h"
#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/tls/session_cache.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/ztna/ztna_auth.h"
#include "dataplane/ztna/ztna_diag.h"

namespace tandem::dp {

namespace {
// The expiry and timeout sweeps run once per millisecond, not per loop:
// per loop they were 10 % of a busy worker's samples (keep-alive load),
// touching 64 user entries and 16 slots of 18 KiB each time. A pass over
// 4096 users then takes 64 ms and over 256 slots 16 ms, far below the
// timeouts they enforce (seconds).
constexpr size_t kUserSweepSlots = 64;  // user entries looked at per sweep
// A busy user's entry goes to the HA peer at most this often (sync_user):
// once per request it was a sync record per keep-alive request.
constexpr uint64_t kUserResyncMs = 1'000;
// A client has this long from accept to a complete request head; without
// it a silent client would hold its slot and ZtnaConn for good (the stack
// has no keepalive). Checked by a sweep of kSlotSweep slots per ms.
constexpr uint64_t kHeadTimeoutMs = 10'000;
// Lingering close (nginx's lingering_timeout): after the proxy's FIN, what
// the client still sends (its close_notify, a pipelined request) is read
// and dropped until its FIN or this long, then the connection is closed.
constexpr uint64_t kLingerMs = 5'000;
constexpr uint32_t kSlotSweep = 16;
// A pooled server connection (kZtnaPoolMax, ztna_app_internal.h) is used
// only while younger than kPoolIdleMs: a server may close an idle one at
// any time (Apache's KeepAliveTimeout is 5 s), and a request sent on a
// connection the server is closing gets a 502, which is not retried. Older
// ones are closed with a FIN by the sweep; one that the server closes, or
// that receives bytes while idle, is dropped at once.
constexpr uint64_t kPoolIdleMs = 4'000;
constexpr unsigned kPipelineRounds = 8;  // requests served per pump at most
}  // namespace


namespace {

void pump(ZtnaApp* a, ZtnaSlot* cs);
void charge_user(ZtnaApp* a, ZtnaSlot* cs);
void log_refusal(ZtnaApp* a, ZtnaSlot* cs);

// Ciphertext waiting for the client: staging first, then TLS's output BIO.
// True when everything is out.
bool flush_down(ZtnaApp* a, ZtnaSlot* cs) {
  TcpStack* s = a->g->stack;
  for (;;) {
    while (cs->down_off < cs->down_len) {
      size_t n = tcp_write(s, cs->conn, cs->down + cs->down_off, cs->down_len - cs->down_off);
      if (n == 0) return false;  // on_writable resumes
      cs->down_off += static_cast<uint32_t>(n);
      cs->lan_out += n;
    }
    cs->down_off = cs->down_len = 0;
    size_t n = cs->zc->pull_client(cs->down, kZtnaStage);
    if (n == 0) return true;
    cs->down_len = static_cast<uint32_t>(n);
  }
}

void finish_client(ZtnaApp* a, ZtnaSlot* cs) {
  if (cs->closed || !flush_down(a, cs)) return;
  TcpStack* s = a->g->stack;
  // tcp_close with unread bytes would reset (RFC 9293): the client's
  // close_notify or a pipelined request are of no use now.
  while (tcp_read(s, cs->conn, a->scratch, kZtnaChunk) > 0) {
  }
  cs->closed = true;
  if (tcp_peer_closed(cs->conn)) {
    tcp_close(s, cs->conn);
    return;
  }
  // Not tcp_close: bytes the client sends after it (its close_notify, most
  // often) would be answered with a RST (RFC 9293, as Linux does), and a
  // RST can make the client's stack drop the response it has not read
  // yet. FIN now, drain until the client's FIN (TIME_WAIT ends the slot)
  // or kLingerMs (the sweep in ztna_app_configure closes it then).
  tcp_shutdown(s, cs->conn);
  cs->linger_until_ms = ztna_now_ms(a) + kLingerMs;
}

// A lingering client (finish_client): read and drop.
void linger_drain(ZtnaApp* a, ZtnaSlot* cs) {
  if (cs->linger_until_ms == 0) return;
  while (tcp_read(a->g->stack, cs->conn, a->scratch, kZtnaChunk) > 0) {
  }
}

void answer_bad_gateway(ZtnaApp* a, ZtnaSlot* cs) {
  static constexpr char kBody[] = "502 Bad Gateway: the real server could not be reached\n";
  char text[256];
  int n = std::snprintf(text, sizeof text,
                        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: "
                        "%zu\r\nConnection: close\r\n\r\n%s",
                        sizeof kBody - 1, kBody);
  cs->zc->tls_conn().write_plaintext(reinterpret_cast<const uint8_t*>(text), static_cast<size_t>(n));
  ++a->counters.upstream_failed;
}

bool hop_by_hop(std::string_view name) {
  auto is = [&](std::string_view h) {
    return name.size() == h.size() && strncasecmp(name.data(), h.data(), h.size()) == 0;
  };
  return is("Connection") || is("Keep-Alive") || is("Proxy-Connection") || is("TE") ||
         is("Upgrade") || is("Proxy-Authorization");
}

// The head the server gets: the client's, without hop-by-hop fields (the
// server connection is the proxy's own and kept alive), a WebSocket
// upgrade passed on, followed by the body bytes of this request that came
// with it. The rest (a pipelined next request) stays in the ZtnaConn.
// False when it does not fit.
bool stage_request(ZtnaSlot* cs) {
  const http::RequestHead& h = cs->zc->request();
  cs->req_body.start(h.framing, h.fields.content_length);
  std::string_view body = cs->zc->body_bytes();
  std::size_t body_used = 0;
  http::Status bs = cs->req_body.feed(body, &body_used);
  cs->req_done = bs == http::Status::kDone;
  char* out = reinterpret_cast<char*>(cs->up);
  size_t used = 0;
  auto put = [&](std::string_view v) {
    if (used + v.size() > kZtnaStage) return false;
    std::memcpy(out + used, v.data(), v.size());
    used += v.size();
    return true;
  };
  bool ok = !http::is_error(bs) && put(h.method_text) && put(" ") && put(h.target) &&
            put(h.version_minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  for (size_t i = 0; ok && i < h.fields.count; ++i) {
    const http::Header& f = h.fields.headers[i];
    if (hop_by_hop(f.name)) continue;
    ok = put(f.name) && put(": ") && put(f.value) && put("\r\n");
  }
  if (h.websocket) ok = ok && put("Connection: Upgrade\r\nUpgrade: websocket\r\n");
  ok = ok && put("\r\n") && put(body.substr(0, body_used));
  cs->keep_client = h.keep_alive && !h.websocket;
  cs->client_http10 = h.version_minor == 0;
  cs->resp.start(h.method == http::Method::kHead);
  cs->resp_done = false;
  cs->response_bytes = 0;
  cs->zc->consume_forwarded(body_used);
  cs->up_off = 0;
  cs->up_len = static_cast<uint32_t>(used);
  return ok;
}

}  // namespace

// The node's address on the port that routes to dst (host order), or 0.
uint32_t ztna_source_for(const ActiveConfig& cfg, uint32_t dst) {
  int r = route_lookup(cfg.routes, rte_cpu_to_be_32(dst));
  if (r < 0 || cfg.snap.routes[r].port_index >= cfg.snap.nb_ports) return 0;
  const PortConf& p = cfg.snap.ports[cfg.snap.routes[r].port_index];
  return p.nb_addrs > 0 ? rte_be_to_cpu_32(p.addrs[0].ip_be) : 0;
}

namespace {

int port_toward(const ActiveConfig& cfg, uint32_t dst) {
  int r = route_lookup(cfg.routes, rte_cpu_to_be_32(dst));
  return r < 0 ? -1 : cfg.snap.routes[r].port_index;
}

void on_server_established(void* app, TcpConn* c);
void on_server_event(void* app, TcpConn* c);
void on_server_closed(void* app, TcpConn* c, TcpCloseReason why);
constexpr TcpCallbacks kServerCallbacks{on_server_established, on_server_event, on_server_event,
                                        on_server_closed};

// The client's user entry to the peer (session pickup): after a failover
// the new primary knows the address and does not ask for credentials. Sent
// at the first allowed request after a login, then at most once per
// kUserResyncMs while requests keep coming (each record carries the
// refreshed expiry and byte counts, so the peer's copy lags by less than
// that); not sent when this node does not send (secondary, stream not
// running). The bulk walk sends every entry to a peer that (re)joins.
void sync_user(ZtnaApp* a, uint32_t src) {
  SyncStream* st = a->g->w->sync;
  if (st == nullptr) return;
  const uint64_t now = ztna_now_ms(a);
  UserEntry* e = a->users.lookup(src, now);
  if (e == nullptr || e->synced) return;
  if (e->sync_sent_ms != 0 && now - e->sync_sent_ms < kUserResyncMs) return;
  e->sync_sent_ms = now;
  UserRecord r;
  UserTable::record_from(*e, now, &r);
  uint8_t body[4 + 4 + 1 + kUserNameMax + kUserRecordTailLen];
  size_t n = user_record_encode(r, body, sizeof body);
  if (n > 0) sync_tx_record(st, SyncRecordType::kUserAdd, body, n, a->g->w->now_us);
}

void unpool(ZtnaApp* a, uint32_t id);

// Server connection `id` goes away: its slot is freed first (so its
// on_closed finds nothing to do), then a FIN or a RST.
void close_server(ZtnaApp* a, uint32_t id, bool graceful) {
  ZtnaSlot* ss = &a->slots[id];
  TcpConn* server = ss->conn;
  if (ss->pooled) unpool(a, id);
  *ss = ZtnaSlot{};
  graceful ? tcp_close(a->g->stack, server) : tcp_abort(a->g->stack, server);
}

// The server connection of cs goes away.
void drop_server(ZtnaApp* a, ZtnaSlot* cs, bool graceful = true) {
  if (cs->pair == kTcpNil) return;
  uint32_t id = cs->pair;
  cs->pair = kTcpNil;
  cs->upstream_open = false;
  close_server(a, id, graceful);
}

// Whether requests can go to cs's server: connected and, for https, past
// the TLS handshake.
bool upstream_ready(ZtnaApp* a, const ZtnaSlot* cs) {
  if (!cs->upstream_open || cs->pair == kTcpNil) return false;
  const ZtnaSlot* ss = &a->slots[cs->pair];
  return !ss->https || a->up_tls[cs->pair].state() == tls::Conn::State::kEstablished;
}

// The real server (server `pick` of gateway gw) cs's request goes to.
void note_server(ZtnaSlot* cs, int gw, int pick, const ZtnaRealServer& rs) {
  cs->gateway = static_cast<uint16_t>(gw);
  cs->server_ip = rs.ip;
  cs->server_port = rs.port;
  cs->server_index = rs.index;
  cs->tried = static_cast<uint16_t>(cs->tried | 1u << pick);
}

// ---- The pool of idle server connections (kZtnaPoolMax).

void unpool(ZtnaApp* a, uint32_t id) {
  for (uint32_t i = 0; i < a->pool_n; ++i) {
    if (a->pool[i] != id) continue;
    a->pool[i] = a->pool[--a->pool_n];
    break;
  }
  a->slots[id].pooled = false;
}

// The client is gone after a complete keep-alive exchange: its server
// connection goes to the pool instead of being reset. False when it cannot
// be reused (the caller resets it).
bool pool_server(ZtnaApp* a, ZtnaSlot* cs) {
  if (cs->pair == kTcpNil || a->pool_n == kZtnaPoolMax || cs->rt != a->rt || !upstream_ready(a, cs))
    return false;
  ZtnaSlot* ss = &a->slots[cs->pair];
  TcpConn* server = ss->conn;
  if (!cs->resp_done || !cs->req_done || cs->tunnel || cs->client_http10 || !cs->resp.head().keep_alive ||
      cs->up_off != cs->up_len || cs->gateway == kZtnaNoGateway || cs->server_index == kZtnaNoServer ||
      tcp_peer_closed(server) || tcp_readable(server) != 0)
    return false;
  ss->pair = kTcpNil;
  ss->pooled = true;
  ss->pooled_ms = ztna_now_ms(a);
  ss->pool_gen = a->health_gen;
  ss->proxy = cs->proxy;
  ss->gateway = cs->gateway;
  ss->server_index = cs->server_index;
  ss->server_ip = cs->server_ip;
  ss->server_port = cs->server_port;
  ss->server_port_index = cs->server_port_index;
  std::memcpy(ss->sni, cs->sni, sizeof ss->sni);
  a->pool[a->pool_n++] = server->id;
  cs->pair = kTcpNil;
  cs->upstream_open = false;
  ++a->counters.upstream_pooled;
  return true;
}

// A pooled connection to the server `pick` of gateway gw for cs's request,
// the most recently pooled first; false when there is none.
bool take_pooled(ZtnaApp* a, ZtnaSlot* cs, int gw, int pick) {
  if (cs->rt != a->rt) return false;
  const ZtnaRealServer& rs = cs->rt->proxies[cs->proxy].gateways[gw].servers[pick];
  for (uint32_t i = a->pool_n; i-- > 0;) {
    uint32_t id = a->pool[i];
    ZtnaSlot* ss = &a->slots[id];
    if (ss->pool_gen != a->health_gen || ss->proxy != cs->proxy || ss->gateway != gw ||
        ss->server_index != rs.index || std::strcmp(ss->sni, cs->sni) != 0 ||
        ztna_now_ms(a) - ss->pooled_ms > kPoolIdleMs || tcp_peer_closed(ss->conn))
      continue;
    unpool(a, id);
    ss->pair = cs->conn->id;
    cs->pair = id;
    note_server(cs, gw, pick, rs);
    cs->server_port_index = ss->server_port_index;
    cs->upstream_open = true;
    ++a->counters.upstream_reused;
    return true;
  }
  return false;
}

// Once per sweep: pooled connections past kPoolIdleMs, or of an older
// runtime, are closed.
void sweep_pool(ZtnaApp* a) {
  for (uint32_t i = a->pool_n; i-- > 0;) {
    const ZtnaSlot& ss = a->slots[a->pool[i]];
    if (ztna_now_ms(a) - ss.pooled_ms > kPoolIdleMs || ss.pool_gen != a->health_gen)
      close_server(a, a->pool[i], true);
  }
}

// The api-gateway for a request: the first in table order whose url-map
// matches its path (the target without the query) and whose virtual-host
// (when set) is its Host; -1 for none.
int pick_gateway(ZtnaApp* a, const ZtnaProxyRuntime& p, const http::RequestHead& h) {
  if (p.nb_gateways == 0) return -1;
  std::string_view path = h.target.substr(0, h.target.find('?'));
  uint64_t mask = p.url_map.match_mask(path, a->g->w->index);
  for (unsigned g = 0; g < p.nb_gateways && mask != 0; ++g) {
    if ((mask >> g & 1u) && ztna_virtual_host_matches(p.gateways[g], h.host)) return static_cast<int>(g);
  }
  return -1;
}

// The real server of gateway gw for the next server connection (ldb-method
// over the servers not down and not in `exclude`), -1 when none is left.
int pick_server(ZtnaApp* a, ZtnaSlot* cs, int gw, uint32_t exclude) {
  const ZtnaGatewayRuntime& g = cs->rt->proxies[cs->proxy].gateways[gw];
  uint32_t up = 0;
  for (unsigned i = 0; i < g.nb_servers; ++i) {
    const ZtnaHealth* h = ztna_health_of(a, cs->rt, g.servers[i].index);
    if ((h == nullptr || !h->down) && !(exclude >> i & 1u)) up |= 1u << i;
  }
  return ztna_ldb_pick(g, up & cs->host_servers, cs->src, &a->ldb[cs->proxy][gw]);
}

// The SNI toward a real server: the request's Host without its port, none
// (nullptr, out untouched) for an address literal. out holds
// kZtnaVirtualHostMax + 1 bytes.
const char* upstream_sni(std::string_view host, char* out) {
  if (host.empty() || host.front() == '[') return nullptr;
  host = host.substr(0, host.find(':'));
  if (host.empty() || host.size() > kZtnaVirtualHostMax ||
      host.find_first_not_of("0123456789.") == std::string_view::npos)
    return nullptr;
  std::memcpy(out, host.data(), host.size());
  out[host.size()] = '\0';
  return out;
}

// Opens cs's server connection to server `pick` of gateway gw, plain or
// TLS (the SNI in cs->sni). False when it cannot be opened (no route, no
// free connection).
bool connect_server(ZtnaApp* a, ZtnaSlot* cs, int gw, int pick) {
  const ZtnaGatewayRuntime& g = cs->rt->proxies[cs->proxy].gateways[gw];
  const ZtnaRealServer& rs = g.servers[pick];
  note_server(cs, gw, pick, rs);
  int out = a->g->cfg != nullptr ? port_toward(*a->g->cfg, rs.ip) : -1;
  cs->server_port_index = out < 0 ? kTrafficLogNoPort : static_cast<uint8_t>(out);
  uint32_t src = a->g->cfg != nullptr ? ztna_source_for(*a->g->cfg, rs.ip) : 0;
  TcpConn* up = src != 0 ? tcp_glue_connect(a->g->w, src, rs.ip, rs.port, &kServerCallbacks, a) : nullptr;
  unsigned w = a->g->w->index;
  char ip_text[16];
  std::snprintf(ip_text, sizeof ip_text, "%u.%u.%u.%u", rs.ip >> 24, rs.ip >> 16 & 0xff, rs.ip >> 8 & 0xff,
                rs.ip & 0xff);
  const tls::ClientContext& ctx =
      rs.verify_cert ? cs->rt->proxies[cs->proxy].gateway_tls[gw][w] : cs->rt->upstream_tls[w];
  if (up != nullptr && g.https && !a->up_tls[up->id].start_client(ctx, cs->sni[0] ? cs->sni : nullptr, ip_text)) {
    tcp_abort(a->g->stack, up);  // its on_closed finds a free slot
    up = nullptr;
  }
  if (up == nullptr) return false;
  ZtnaSlot* ss = ztna_slot_of(a, up);
  *ss = ZtnaSlot{};
  ss->role = ZtnaRole::kServer;
  ss->conn = up;
  ss->pair = cs->conn->id;
  ss->https = g.https;
  cs->pair = up->id;
  return true;
}

// A request ZtnaConn allowed: staged for the server, over the server
// connection the last request left open (keep-alive, same gateway) or a
// new one to a server ldb-method picks. False when no gateway serves it or
// none of its servers is up: the ZtnaConn refused it.
bool start_forward(ZtnaApp* a, ZtnaSlot* cs) {
  const ZtnaProxyRuntime& p = cs->rt->proxies[cs->proxy];
  int gw = pick_gateway(a, p, cs->zc->request());
  if (gw < 0) {
    cs->zc->refuse_no_gateway();
    return false;
  }
  // The request is read here: stage_request below consumes it.
  cs->host_servers = ztna_ldb_host_mask(p.gateways[gw], cs->zc->request().host);
  bool reuse = upstream_ready(a, cs) && !tcp_peer_closed(a->slots[cs->pair].conn) && cs->gateway == gw;
  // Under http-host the kept-alive server serves this request only if its
  // Host picks that server; the others pick only for a new connection.
  bool by_host = p.gateways[gw].method == ZtnaLdbMethod::kHttpHost;
  int pick = reuse && !by_host ? -1 : pick_server(a, cs, gw, 0);
  if (reuse && by_host) reuse = pick >= 0 && p.gateways[gw].servers[pick].index == cs->server_index;
  if (!reuse && pick < 0) {
    cs->zc->refuse_no_server();
    return false;
  }
  cs->forwarding = true;
  cs->proxied = true;
  cs->log_policy = cs->zc->decision().policy_index;
  cs->log_policy_id = cs->zc->decision().policy_id;
  cs->head_deadline_ms = 0;
  cs->keepalive_wait = false;
  cs->active_ms = ztna_now_ms(a);
  sync_user(a, cs->src);
  ++a->counters.requests;
  ++a->counters.forwarded;
  const ZtnaGatewayRuntime& g = p.gateways[gw];
  cs->sni[0] = '\0';
  if (g.https) upstream_sni(cs->zc->request().host, cs->sni);
  if (!stage_request(cs)) {  // the request is invalid after this
    cs->upstream_done = true;
    answer_bad_gateway(a, cs);
    return true;
  }
  if (reuse) return true;
  if (cs->pair != kTcpNil) drop_server(a, cs);
  cs->tried = 0;
  if (take_pooled(a, cs, gw, pick)) return true;
  ++a->counters.upstream_connects;
  if (!connect_server(a, cs, gw, pick)) {
    cs->upstream_done = true;
    answer_bad_gateway(a, cs);
  }
  return true;
}

// A full TLS 1.2 handshake without a ticket put its session into the
// node's session-id cache: the peer gets it at once (session pickup), so
// the client resumes there after a failover. Not sent when this node does
// not send (the bulk walk of the next generation carries the cache).
void sync_tls_session(ZtnaApp* a, const ZtnaSlot* cs) {
  SyncStream* st = a->g->w->sync;
  tls::SessionCache* cache = cs->rt != nullptr ? cs->rt->session_cache : nullptr;
  if (st == nullptr || cache == nullptr || st->tx_state != SyncTxState::kRunning) return;
  // An entry is 4 KB; thread-local so the worker's stack need not hold it.
  static thread_local tls::SessionCacheEntry entry;
  if (cache->export_of(cs->zc->tls().native(), tls::SessionCache::now_s(), &entry) &&
      sync_send_tls_session(a->g->w, entry))
    cache->count_replicated_out();
}

// Entries OpenSSL invalidated on this worker (a fatal alert on a TLS 1.2
// connection): the peer drops them too, so a session that must not be
// resumed is not resumed there after a failover either. Once per loop;
// nothing to do in almost all of them.
void sync_tls_removals(ZtnaApp* a) {
  tls::SessionCacheKey keys[tls::kRemovedQueue];
  std::size_t n = tls::SessionCache::take_removed(keys, tls::kRemovedQueue);
  tls::SessionCache* cache = a->rt != nullptr ? a->rt->session_cache : nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    if (sync_send_tls_session_delete(a->g->w, keys[i]) && cache != nullptr) cache->count_removal_out();
  }
}

void count_handshake(ZtnaApp* a, ZtnaSlot* cs) {
  const tls::Conn& t = cs->zc->tls();
  if (cs->tls_counted || t.state() != tls::Conn::State::kEstablished) return;
  cs->tls_counted = true;
  ++(t.resumed() ? a->counters.tls_resumed : a->counters.tls_full);
  if (t.cert_cached()) ++a->counters.tls_cert_cached;
  if (t.new_cache_entry()) sync_tls_session(a, cs);
}

void count_tls_failure(ZtnaApp* a, const ZtnaConn& zc) {
  switch (zc.deny_reason()) {
    case ZtnaDenyReason::kNoClientCert: ++a->counters.tls_no_cert; break;
    case ZtnaDenyReason::kCertVerify: ++a->counters.tls_bad_cert; break;
    default: ++a->counters.tls_failed; break;
  }
}

// A request answered by the proxy itself (ZtnaConn kClosing).
void count_refusal(ZtnaApp* a, const ZtnaConn& zc) {
  ZtnaCounters& c = a->counters;
  if (zc.refused_with() == 0) return;
  ++c.requests;
  if (zc.refused_with() == 401) ++c.http_401;
  switch (zc.deny_reason()) {
    case ZtnaDenyReason::kNone: ++c.challenges; break;
    case ZtnaDenyReason::kBadRequest: ++c.denied_bad_request; break;
    case ZtnaDenyReason::kSniHostMismatch: ++c.denied_sni_mismatch; break;
    case ZtnaDenyReason::kNoGatewayMatch: ++c.denied_no_gateway; break;
    case ZtnaDenyReason::kImplicitDeny: ++c.denied_no_policy; break;
    case ZtnaDenyReason::kPolicyDeny: ++c.denied_policy; break;
    case ZtnaDenyReason::kBadCredentials: ++c.denied_bad_password; break;
    case ZtnaDenyReason::kLoginBusy: ++c.denied_login_busy; break;
    default: break;
  }
}

// The password hash of an enabled user `name` in the runtime the worker
// follows now (not the connection's, which may be older), "" when there
// is none: a login is checked against the current word.
std::string_view current_word(const ZtnaApp* a, std::string_view name) {
  if (a->rt == nullptr) return {};
  const ZtnaUserDb& db = a->rt->users;
  for (unsigned i = 0; i < db.count && i < kMaxZtnaUsers; ++i) {
    const ZtnaUserCred& u = db.users[i];
    if (u.enabled && std::string_view(u.name.text, u.name.len) == name) return std::string_view(u.hash);
  }
  return {};
}

// A login (ZtnaConn kLoginWait) to the verifier thread; the connection
// waits without reading until collect_logins() has the answer. No free job
// or a full queue: 503.
void post_login(ZtnaApp* a, ZtnaSlot* cs) {
  if (cs->login_job != 0) return;  // posted already
  ZtnaConn::LoginCheck check = cs->zc->login();
  std::string_view word = current_word(a, check.user);
  if (word.empty()) {  // removed or disabled meanwhile: no check needed
    cs->zc->finish_login(false, ztna_now_ms(a));
    return;
  }
  unsigned j = 0;
  while (j < kZtnaLoginJobs && a->job_used[j]) ++j;
  if (!a->auth || j == kZtnaLoginJobs || word.size() > kZtnaHashMax || check.password.size() > kZtnaPasswordMax) {
    cs->zc->refuse_login_busy();
    return;
  }
  ZtnaLoginJob& job = a->jobs[j];
  job.slot = cs->conn->id;
  job.gen = cs->gen;
  job.posted_us = a->g->now_us;
  std::memcpy(job.hash, word.data(), word.size());
  job.hash[word.size()] = '\0';
  std::memcpy(job.password, check.password.data(), check.password.size());
  job.password_len = static_cast<uint16_t>(check.password.size());
  job.ok = false;
  job.done.store(false, std::memory_order_relaxed);
  if (!ztna_auth_post(&job)) {
    OPENSSL_cleanse(job.password, sizeof job.password);
    cs->zc->refuse_login_busy();
    return;
  }
  a->job_used[j] = true;
  ++a->jobs_in_flight;
  cs->login_job = static_cast<uint8_t>(j + 1);
  ++a->counters.login_checks;
}

// Answers from the verifier, once per loop: each resumes its connection,
// unless that connection is gone (the slot is free or serves a newer one).
void collect_logins(ZtnaApp* a) {
  if (a->jobs_in_flight == 0) return;
  for (unsigned j = 0; j < kZtnaLoginJobs; ++j) {
    ZtnaLoginJob& job = a->jobs[j];
    if (!a->job_used[j] || !job.done.load(std::memory_order_acquire)) continue;
    a->job_used[j] = false;
    --a->jobs_in_flight;
    uint64_t waited = a->g->now_us > job.posted_us ? a->g->now_us - job.posted_us : 0;
    a->counters.login_wait_us += waited;
    a->counters.login_wait_max_us = std::max(a->counters.login_wait_max_us, waited);
    ZtnaSlot* cs = job.slot < a->max_conns ? &a->slots[job.slot] : nullptr;
    if (cs == nullptr || cs->role != ZtnaRole::kClient || cs->gen != job.gen || cs->login_job != j + 1 || cs->closed) {
      ++a->counters.login_stale;
      continue;
    }
    cs->login_job = 0;
    std::string_view word = current_word(a, cs->zc->login().user);
    // The password was changed while it was checked: check it again
    // against the new word (pump posts it anew).
    if (!word.empty() && word != std::string_view(job.hash)) {
      pump(a, cs);
      continue;
    }
    bool ok = job.ok && !word.empty();
    cs->zc->finish_login(ok, ztna_now_ms(a));
    if (ok) ++a->counters.logins;
    pump(a, cs);
  }
}

// Client ciphertext up to the head decision.
void client_handshake(ZtnaApp* a, ZtnaSlot* cs) {
  TcpStack* s = a->g->stack;
  ZtnaConn::State st = cs->zc->state();
  while (st == ZtnaConn::State::kHandshake || st == ZtnaConn::State::kRequestHead) {
    size_t n = tcp_read(s, cs->conn, a->scratch, kZtnaChunk);
    if (n == 0) break;
    cs->lan_in += n;
    st = cs->zc->on_client_bytes(a->scratch, n, ztna_now_ms(a));
  }
  count_handshake(a, cs);
  switch (st) {
    case ZtnaConn::State::kFailed:
      // The alert OpenSSL wrote, then FIN rather than RST: a reset can
      // reach the client before it reads the alert (Linux then reports
      // only "connection reset"), and the alert is what tells the user why.
      if (!cs->shut) count_tls_failure(a, *cs->zc);
      cs->shut = true;
      charge_user(a, cs);
      log_refusal(a, cs);
      finish_client(a, cs);
      return;
    case ZtnaConn::State::kClosing:
      if (!cs->shut) count_refusal(a, *cs->zc);
      cs->shut = true;
      charge_user(a, cs);
      log_refusal(a, cs);
      finish_client(a, cs);
      return;
    case ZtnaConn::State::kForward:
      if (!start_forward(a, cs)) client_handshake(a, cs);  // refused (no gateway): the kClosing case
      return;
    case ZtnaConn::State::kLoginWait:
      // Parked until the answer; nothing more is read meanwhile, and a
      // client that half-closed after its request still gets it.
      flush_down(a, cs);  // what the handshake left (TLS 1.3 tickets)
      post_login(a, cs);
      if (cs->zc->state() != ZtnaConn::State::kLoginWait) client_handshake(a, cs);  // refused or answered at once
      return;
    default:
      flush_down(a, cs);  // handshake messages
      if (tcp_peer_closed(cs->conn)) {
        cs->closed = true;
        tcp_close(s, cs->conn);
      }
      return;
  }
}

}  // namespace

// Service https: ciphertext for the server, from the server slot's own
// staging (its up buffer) and then TLS's output BIO. True when all is out.
bool ztna_flush_server_tls(ZtnaApp* a, ZtnaSlot* ss) {
  tls::Conn& t = a->up_tls[ss->conn->id];
  for (;;) {
    while (ss->up_off < ss->up_len) {
      size_t n = tcp_write(a->g->stack, ss->conn, ss->up + ss->up_off, ss->up_len - ss->up_off);
      if (n == 0) return false;
      ss->up_off += static_cast<uint32_t>(n);
    }
    ss->up_off = ss->up_len = 0;
    size_t n = t.pull_ciphertext(ss->up, kZtnaStage);
    if (n == 0) return true;
    ss->up_len = static_cast<uint32_t>(n);
  }
}

// Plaintext to the server: straight to TCP, or through TLS (service
// https), taken only while the previous ciphertext is all out so the TCP
// send window stays the back-pressure. Returns the bytes taken.
size_t ztna_server_write(ZtnaApp* a, TcpConn* server, const uint8_t* data, size_t len) {
  ZtnaSlot* ss = ztna_slot_of(a, server);
  if (!ss->https) return tcp_write(a->g->stack, server, data, len);
  tls::Conn& t = a->up_tls[server->id];
  if (!ztna_flush_server_tls(a, ss) || t.state() != tls::Conn::State::kEstablished) return 0;
  size_t n = t.write_plaintext(data, std::min(len, kZtnaChunk));
  ztna_flush_server_tls(a, ss);
  return n;
}

// Plaintext from the server: straight from TCP, or through TLS, which
// also advances the handshake (its messages go out at once). 0 when
// nothing is ready; a TLS failure shows in up_tls[id].state().
size_t ztna_server_read(ZtnaApp* a, TcpConn* server, uint8_t* out, size_t cap) {
  ZtnaSlot* ss = ztna_slot_of(a, server);
  if (!ss->https) return tcp_read(a->g->stack, server, out, cap);
  tls::Conn& t = a->up_tls[server->id];
  for (;;) {
    size_t n = t.read_plaintext(out, cap);
    ztna_flush_server_tls(a, ss);
    if (n > 0) return n;
    if (t.state() == tls::Conn::State::kFailed || t.state() == tls::Conn::State::kClosed) return 0;
    size_t r = tcp_read(a->g->stack, server, ss->down, kZtnaStage);
    if (r == 0) return 0;
    t.push_ciphertext(ss->down, r);
  }
}

bool ztna_server_tls_failed(ZtnaApp* a, TcpConn* server) {
  return ztna_slot_of(a, server)->https && a->up_tls[server->id].state() == tls::Conn::State::kFailed;
}

namespace {

// Client plaintext to the server, through the up staging: the current
// request's body only (framed), then nothing more until its response is
// out; bytes read past the body are the next request's and go back to the
// ZtnaConn. A tunnel (after 101) relays everything.
void relay_up(ZtnaApp* a, ZtnaSlot* cs, TcpConn* server) {
  TcpStack* s = a->g->stack;
  tls::Conn& t = cs->zc->tls_conn();
  for (;;) {
    while (cs->up_off < cs->up_len) {
      size_t n = ztna_server_write(a, server, cs->up + cs->up_off, cs->up_len - cs->up_off);
      if (n == 0) return;
      cs->up_off += static_cast<uint32_t>(n);
      cs->wan_out += n;
    }
    cs->up_off = cs->up_len = 0;
    if (cs->req_done && !cs->tunnel) return;
    // Never more than the ZtnaConn can take back.
    size_t cap = cs->tunnel ? kZtnaStage : std::min(kZtnaStage, cs->zc->room());
    if (cap == 0) return;
    size_t n = t.read_plaintext(cs->up, cap);
    if (n > 0) {
      size_t used = n;
      if (!cs->tunnel) {
        http::Status st = cs->req_body.feed(std::string_view(reinterpret_cast<const char*>(cs->up), n), &used);
        if (http::is_error(st)) {  // a body the server could misread: end here
          cs->upstream_done = true;
          return;
        }
        if (st == http::Status::kDone) {
          cs->req_done = true;
          cs->zc->append(cs->up + used, n - used);
        }
      }
      cs->up_len = static_cast<uint32_t>(used);
      continue;
    }
    size_t r = tcp_read(s, cs->conn, a->scratch, kZtnaChunk);
    if (r == 0) return;
    cs->lan_in += r;
    t.push_ciphertext(a->scratch, r);
  }
}

// A response head as the client gets it: HTTP/1.1, without the server
// connection's hop-by-hop fields, with the client connection's own
// Connection field (close when it ends with this response; Upgrade for a
// 101). False when TLS failed.
bool send_head(ZtnaApp* a, ZtnaSlot* cs, const http::ResponseHead& h) {
  char* out = reinterpret_cast<char*>(a->head_out);
  size_t used = 0;
  auto put = [&](std::string_view v) {
    size_t n = std::min(v.size(), kZtnaStage - used);  // a head fits: kZtnaStage > kMaxHeadBytes
    std::memcpy(out + used, v.data(), n);
    used += n;
  };
  char line[32];
  int n = std::snprintf(line, sizeof line, "HTTP/1.1 %u ", h.status);
  put(std::string_view(line, static_cast<size_t>(n)));
  put(h.reason);
  put("\r\n");
  for (size_t i = 0; i < h.fields.count; ++i) {
    const http::Header& f = h.fields.headers[i];
    bool upgrade = strncasecmp(f.name.data(), "Upgrade", f.name.size()) == 0 && f.name.size() == 7;
    if (hop_by_hop(f.name) && !(upgrade && h.switching_protocols)) continue;
    put(f.name);
    put(": ");
    put(f.value);
    put("\r\n");
  }
  if (h.switching_protocols) {
    put("Connection: Upgrade\r\n");
  } else if (h.status >= 200) {
    // A body delimited by the server's close can only end the client's
    // connection too.
    if (h.framing == http::BodyFraming::kUntilClose) cs->keep_client = false;
    if (!cs->keep_client) put("Connection: close\r\n");
    else if (cs->client_http10) put("Connection: keep-alive\r\n");
  }
  put("\r\n");
  return cs->zc->tls_conn().write_plaintext(a->head_out, used) == used;
}

// Server bytes to the client through TLS, framed: heads rewritten
// (send_head), bodies as they are; the response's end ends the request (a
// close-delimited one ends with the server's close). Nothing is read from
// the server while ciphertext for the client is still waiting.
void relay_down(ZtnaApp* a, ZtnaSlot* cs, TcpConn* server) {
  tls::Conn& t = cs->zc->tls_conn();
  for (;;) {
    if (!flush_down(a, cs)) return;
    if (server == nullptr || (cs->resp_done && !cs->tunnel)) return;
    size_t n = ztna_server_read(a, server, a->scratch, kZtnaChunk);
    if (n == 0) break;
    cs->wan_in += n;
    if (cs->tunnel) {
      cs->response_bytes += n;
      if (t.write_plaintext(a->scratch, n) != n) cs->upstream_done = true;
      if (cs->upstream_done) return;
      continue;
    }
    size_t off = 0;
    for (;;) {
      size_t used = 0;
      std::string_view rest(reinterpret_cast<const char*>(a->scratch) + off, n - off);
      http::Status st = cs->resp.feed(rest, &used);
      if (http::is_error(st)) {  // a response that cannot be framed: no keep-alive over it
        if (cs->response_bytes == 0) answer_bad_gateway(a, cs);
        cs->upstream_done = true;
        return;
      }
      bool ok = true;
      if (st == http::Status::kData) {
        ok = send_head(a, cs, cs->resp.head());
      } else if (used > 0) {
        ok = t.write_plaintext(a->scratch + off, used) == used;
      }
      cs->response_bytes += used;
      off += used;
      if (!ok) {  // TLS failed under us
        cs->upstream_done = true;
        return;
      }
      if (st == http::Status::kData) continue;
      if (st == http::Status::kDone) {
        cs->resp_done = true;
        if (cs->resp.head().switching_protocols) {
          cs->tunnel = true;  // what came with the 101 is the tunnel's
          if (off < n && t.write_plaintext(a->scratch + off, n - off) != n - off) cs->upstream_done = true;
          off = n;
        }
      }
      break;
    }
    if (cs->resp_done && !cs->tunnel) {
      // Bytes after a complete response were never asked for: no reuse.
      if (off < n) drop_server(a, cs);
      return;
    }
  }
  if (ztna_server_tls_failed(a, server)) {  // handshake or record failure: as a reset
    if (cs->response_bytes == 0) answer_bad_gateway(a, cs);
    cs->upstream_done = true;
    drop_server(a, cs);
    return;
  }
  if (tcp_peer_closed(server)) {
    // Close-delimited or a tunnel: the end. Cut short: the client cannot
    // tell a whole response, so its connection ends too.
    if (!cs->resp_done || cs->tunnel) cs->upstream_done = true;
    drop_server(a, cs);
  }
}

// The client's user entry (when it has one) gets the bytes moved and, with
// idle-timeout, a fresh expiry: traffic keeps a login alive.
void charge_user(ZtnaApp* a, ZtnaSlot* cs) {
  if (cs->role != ZtnaRole::kClient || (cs->lan_in | cs->lan_out | cs->wan_in | cs->wan_out) == 0) return;
  a->counters.lan_in += cs->lan_in;
  a->counters.lan_out += cs->lan_out;
  a->counters.wan_in += cs->wan_in;
  a->counters.wan_out += cs->wan_out;
  cs->active_ms = ztna_now_ms(a);
  cs->log_lan_in += cs->lan_in;
  cs->log_lan_out += cs->lan_out;
  cs->log_wan_in += cs->wan_in;
  cs->log_wan_out += cs->wan_out;
  UserEntry* e = a->users.lookup(cs->src, ztna_now_ms(a));
  if (e != nullptr) {
    e->lan_bytes_in += cs->lan_in;
    e->lan_bytes_out += cs->lan_out;
    e->wan_bytes_in += cs->wan_in;
    e->wan_bytes_out += cs->wan_out;
    a->users.touch(e, ztna_now_ms(a));
  }
  cs->lan_in = cs->lan_out = cs->wan_in = cs->wan_out = 0;
}

void copy_field(char* out, std::size_t cap, const char* in) {
  std::size_t n = strnlen(in, cap - 1);
  std::memcpy(out, in, n);
  out[n] = '\0';
}

// One ZTNA traffic log record for the client connection cs: the end of an
// allowed connection (accept) or a refusal (deny, with its reason).
void log_conn(ZtnaApp* a, ZtnaSlot* cs, TrafficLogAction action) {
  const ZtnaProxyRuntime& p = cs->rt->proxies[cs->proxy];
  const ZtnaConn& zc = *cs->zc;
  TrafficLogRecord r{};
  r.start_ms = cs->start_ms;
  r.end_ms = ztna_now_ms(a);
  r.src_ip_be = rte_cpu_to_be_32(cs->src);
  r.src_port = cs->src_port;
  // Before a real server is chosen the destination is the VIP.
  bool to_server = cs->server_ip != 0;
  r.dst_ip_be = rte_cpu_to_be_32(to_server ? cs->server_ip : p.ip);
  r.dst_port = to_server ? cs->server_port : p.port;
  r.src_port_index = cs->in_port;
  r.dst_port_index = to_server ? cs->server_port_index : cs->in_port;
  r.proto = 6;
  r.session_id = cs->serial;
  // The end of a connection: the policy of its last request (the ZtnaConn
  // may be between requests); a refusal: the deciding one.
  r.policy_id = action == TrafficLogAction::kAccept ? cs->log_policy_id : zc.decision().policy_id;
  r.action = action;
  r.sent_bytes = cs->log_lan_in;
  r.rcvd_bytes = cs->log_wan_in;
  TrafficLogZtna& z = r.ztna;
  z.lan_in = cs->log_lan_in;
  z.lan_out = cs->log_lan_out;
  z.wan_in = cs->log_wan_in;
  z.wan_out = cs->log_wan_out;
  z.proxy_index = cs->proxy;
  z.gateway_index = cs->gateway;
  z.reason = action == TrafficLogAction::kDeny ? zc.deny_reason() : ZtnaDenyReason::kNone;
  z.http_status = zc.refused_with();
  z.verify_error = static_cast<int32_t>(zc.tls().client_cert().verify_error);
  copy_field(z.user, sizeof z.user, zc.user());
  copy_field(z.detail, sizeof z.detail, zc.deny_detail());
  const tls::DeviceIdentity& id = zc.tls().client_cert().identity;
  copy_field(z.device_id, sizeof z.device_id, id.device_id);
  std::size_t used = 0;
  for (std::size_t i = 0; i < id.tag_count && i < tls::kMaxTags; ++i) {
    std::size_t n = strnlen(id.tags[i], tls::kMaxTagBytes);
    if (used + (i > 0) + n > kZtnaLogTagsMax) break;  // cut at a whole tag
    if (i > 0) z.tags[used++] = '/';
    std::memcpy(z.tags + used, id.tags[i], n);
    used += n;
  }
  z.tags[used] = '\0';
  log_ztna(a->g->w, r);
}

// A refusal is logged once, when the proxy's log-blocked-traffic says so,
// or, for a deny policy, when that policy logs (logtraffic all), as the
// firewall logs its deny policies.
void log_refusal(ZtnaApp* a, ZtnaSlot* cs) {
  if (cs->logged) return;
  cs->logged = true;
  ZtnaDenyReason why = cs->zc->deny_reason();
  if (why == ZtnaDenyReason::kNone) return;
  bool on = cs->rt->proxies[cs->proxy].log_blocked;
  if (why == ZtnaDenyReason::kPolicyDeny) {
    int i = cs->zc->decision().policy_index;
    on = i >= 0 && cs->rt->policies.policies[i].log_traffic;
  }
  if (on) log_conn(a, cs, TrafficLogAction::kDeny);
}

void pump_steps(ZtnaApp* a, ZtnaSlot* cs);

void pump(ZtnaApp* a, ZtnaSlot* cs) {
  pump_steps(a, cs);
  charge_user(a, cs);  // a slot closed meanwhile was zeroed: nothing to charge
}

// A response is out: the next request on the connection, or its end.
// True when the next request is being forwarded already.
bool next_request(ZtnaApp* a, ZtnaSlot* cs) {
  cs->forwarding = false;
  if (cs->pair != kTcpNil && !cs->resp.head().keep_alive) drop_server(a, cs);
  if (!cs->keep_client || !cs->req_done) {
    cs->upstream_done = true;  // the connection ends with this response
    return false;
  }
  cs->head_deadline_ms = ztna_now_ms(a) + cs->rt->keepalive_ms;  // the keep-alive idle limit
  cs->keepalive_wait = true;
  ZtnaConn::State st = cs->zc->next_request(ztna_now_ms(a));
  // Not forwarded (waiting, or refused): the head path at the loop's top.
  return st == ZtnaConn::State::kForward && start_forward(a, cs);
}

void pump_steps(ZtnaApp* a, ZtnaSlot* cs) {
  // Pipelined requests are served in turn; the bound only keeps one pump
  // from running long (the next event picks up where this one stopped).
  for (unsigned round = 0; round < kPipelineRounds; ++round) {
    if (cs->closed) {
      linger_drain(a, cs);
      return;
    }
    if (!cs->forwarding && !cs->upstream_done) {
      client_handshake(a, cs);
      if (!cs->forwarding || cs->closed) return;
    }
    TcpConn* server = cs->pair != kTcpNil ? a->slots[cs->pair].conn : nullptr;
    bool was_tunnel = cs->tunnel;
    bool was_ready = upstream_ready(a, cs);
    if (!cs->upstream_done && server != nullptr && cs->upstream_open) relay_up(a, cs, server);
    if (!cs->upstream_done) relay_down(a, cs, cs->upstream_open ? server : nullptr);
    // The TLS handshake with the server ended in relay_down: the request goes now.
    if (!was_ready && !cs->upstream_done && upstream_ready(a, cs)) relay_up(a, cs, server);
    if (cs->tunnel && !was_tunnel && !cs->upstream_done) continue;  // the client's side of the tunnel
    if (cs->upstream_done) {
      if (!flush_down(a, cs)) return;
      if (!cs->shut) {
        cs->shut = true;
        ++a->counters.completed;
        cs->zc->tls_conn().shutdown();
      }
      finish_client(a, cs);
      return;
    }
    if (!cs->resp_done || cs->tunnel) return;
    if (!flush_down(a, cs)) return;  // the response leaves before the next is read
    // The next request: forwarded already, or the head path at the top of
    // the loop reads it (or its refusal), or the connection ends.
    next_request(a, cs);
  }
}

void on_client_event(void* app, TcpConn* c) {
  auto* a = static_cast<ZtnaApp*>(app);
  pump(a, ztna_slot_of(a, c));
}

void on_client_closed(void* app, TcpConn* c, TcpCloseReason) {
  auto* a = static_cast<ZtnaApp*>(app);
  ZtnaSlot* cs = ztna_slot_of(a, c);
  charge_user(a, cs);
  if (cs->proxied && cs->zc != nullptr) {
    int i = cs->log_policy;
    if (i >= 0 && cs->rt->policies.policies[i].log_traffic) log_conn(a, cs, TrafficLogAction::kAccept);
  }
  // Nobody to answer any more: to the pool when reusable, else a RST, not
  // a FIN: the side that closes first holds TIME_WAIT for 2 MSL, and with
  // one connection to a real server per client that filled the worker's
  // 256-slot table within a second under bench/ztna (every request a 502).
  if (!pool_server(a, cs)) drop_server(a, cs, false);
  if (cs->zc != nullptr) {
    cs->zc->release();
    a->free_conns[a->nb_free++] = cs->zc;
  }
  if (cs->rt != nullptr) cs->rt->refs.fetch_sub(1, std::memory_order_relaxed);
  if (cs->role == ZtnaRole::kClient) --a->counters.active;
  *cs = ZtnaSlot{};
}

void on_server_established(void* app, TcpConn* c) {
  auto* a = static_cast<ZtnaApp*>(app);
  ZtnaSlot* ss = ztna_slot_of(a, c);
  if (ss->role != ZtnaRole::kServer || ss->pair == kTcpNil) return;
  ZtnaSlot* cs = &a->slots[ss->pair];
  cs->upstream_open = true;
  ztna_health_from_conn(a, cs, true);
  if (ss->https) {
    uint8_t none[1];
    a->up_tls[c->id].read_plaintext(none, 0);  // the ClientHello
    ztna_flush_server_tls(a, ss);
  }
  pump(a, cs);
}

void on_server_event(void* app, TcpConn* c) {
  auto* a = static_cast<ZtnaApp*>(app);
  ZtnaSlot* ss = ztna_slot_of(a, c);
  if (ss->role == ZtnaRole::kServer && ss->pooled) {
    // Idle and nobody asked: the server closes, or says something no
    // request will own.
    if (tcp_peer_closed(c) || tcp_readable(c) != 0) close_server(a, c->id, false);
    return;
  }
  if (ss->role != ZtnaRole::kServer || ss->pair == kTcpNil) return;
  ZtnaSlot* cs = &a->slots[ss->pair];
  // A kept-alive server connection that closes between requests just goes.
  if (!cs->forwarding && tcp_peer_closed(c)) {
    drop_server(a, cs);
    return;
  }
  pump(a, cs);
}

void on_server_closed(void* app, TcpConn* c, TcpCloseReason why) {
  auto* a = static_cast<ZtnaApp*>(app);
  a->up_tls[c->id].release();
  ZtnaSlot* ss = ztna_slot_of(a, c);
  if (ss->pooled) unpool(a, c->id);
  if (ss->role != ZtnaRole::kServer || ss->pair == kTcpNil) {
    if (ss->role == ZtnaRole::kServer) *ss = ZtnaSlot{};
    return;
  }
  ZtnaSlot* cs = &a->slots[ss->pair];
  *ss = ZtnaSlot{};
  cs->pair = kTcpNil;
  // Refused, reset or timed out before it was established: the server
  // failed (a probe's worth, for health-check), and nothing of the request
  // has left (it waits in cs->up): another server of the gateway gets it,
  // each at most once.
  if (!cs->upstream_open && (why == TcpCloseReason::kRefused || why == TcpCloseReason::kReset ||
                             why == TcpCloseReason::kTimeout)) {
    ztna_health_from_conn(a, cs, false);
    if (cs->forwarding && !cs->upstream_done && cs->response_bytes == 0 && cs->gateway != kZtnaNoGateway) {
      int next = pick_server(a, cs, cs->gateway, cs->tried);
      if (next >= 0 && connect_server(a, cs, cs->gateway, next)) {
        ++a->retried;
        return;
      }
    }
  }
  cs->upstream_open = false;
  // Between requests (kept alive): the next request opens another.
  if (cs->upstream_done || !cs->forwarding || cs->resp_done) return;
  cs->upstream_done = true;
  // Reset or never reached before a byte of answer: the client gets a 502.
  if (cs->response_bytes == 0) answer_bad_gateway(a, cs);
  pump(a, cs);
}

constexpr TcpCallbacks kClientCallbacks{nullptr, on_client_event, on_client_event, on_client_closed};

bool accept_client(void* ctx, TcpConn* c) {
  auto* lc = static_cast<ZtnaListenCtx*>(ctx);
  ZtnaApp* a = lc->app;
  const ZtnaRuntime* rt = a->rt;
  if (rt == nullptr || lc->proxy >= rt->nb_proxies || a->nb_free == 0) {
    ++a->counters.refused_no_conn;
    return false;
  }
  const ZtnaProxyRuntime& p = rt->proxies[lc->proxy];
  const TcpConnState& st = tcp_conn_state(c);
  // srcintf: the port the client is reached through (the glue does not
  // keep the ingress port per connection).
  int in_port = a->g->cfg != nullptr ? port_toward(*a->g->cfg, st.remote_ip) : -1;
  ZtnaConn* zc = a->free_conns[--a->nb_free];
  if (!zc->start(p.tls[a->g->w->index], &p.conf, &a->users, st.remote_ip,
                 in_port < 0 ? 31 : static_cast<uint32_t>(in_port))) {
    a->free_conns[a->nb_free++] = zc;
    ++a->counters.tls_failed;
    return false;
  }
  ZtnaSlot* cs = ztna_slot_of(a, c);
  *cs = ZtnaSlot{};
  cs->role = ZtnaRole::kClient;
  cs->conn = c;
  cs->zc = zc;
  cs->rt = rt;
  cs->proxy = lc->proxy;
  cs->src = st.remote_ip;
  cs->src_port = st.remote_port;
  cs->in_port = in_port < 0 ? kTrafficLogNoPort : static_cast<uint8_t>(in_port);
  cs->start_ms = ztna_now_ms(a);
  cs->serial = ++a->serial * kMaxWorkers + a->g->w->index;
  cs->gateway = kZtnaNoGateway;
  cs->server_index = kZtnaNoServer;
  cs->head_deadline_ms = ztna_now_ms(a) + kHeadTimeoutMs;
  cs->gen = ++a->next_gen != 0 ? a->next_gen : ++a->next_gen;
  rt->refs.fetch_add(1, std::memory_order_relaxed);
  ++a->counters.accepted;
  ++a->counters.active;
  tcp_set_callbacks(c, &kClientCallbacks, a);
  return true;
}

}  // namespace

ZtnaApp* ztna_app_create(TcpGlue* g, uint32_t max_conns, int socket) {
  auto* a = static_cast<ZtnaApp*>(
      rte_zmalloc_socket("tandem_ztna_app", sizeof(ZtnaApp), RTE_CACHE_LINE_SIZE, socket));
  if (a == nullptr) return nullptr;
  new (&a->users) UserTable();
  new (&a->mailbox) std::atomic<ZtnaUserRequest*>(nullptr);
  for (ZtnaLoginJob& j : a->jobs) new (&j.done) std::atomic<bool>(false);
  a->g = g;
  a->max_conns = max_conns;
  a->health = a->health_store[0];
  for (int& l : a->listeners) l = -1;
  a->slots = static_cast<ZtnaSlot*>(
      rte_zmalloc_socket("tandem_ztna_slots", sizeof(ZtnaSlot) * max_conns, RTE_CACHE_LINE_SIZE, socket));
  a->conns = static_cast<ZtnaConn*>(
      rte_zmalloc_socket("tandem_ztna_conns", sizeof(ZtnaConn) * max_conns, RTE_CACHE_LINE_SIZE, socket));
  a->free_conns = static_cast<ZtnaConn**>(
      rte_zmalloc_socket("tandem_ztna_free", sizeof(ZtnaConn*) * max_conns, RTE_CACHE_LINE_SIZE, socket));
  a->up_tls = static_cast<tls::Conn*>(
      rte_zmalloc_socket("tandem_ztna_up_tls", sizeof(tls::Conn) * max_conns, RTE_CACHE_LINE_SIZE, socket));
  a->auth = ztna_auth_acquire();
  if (!a->auth || a->slots == nullptr || a->conns == nullptr || a->free_conns == nullptr ||
      a->up_tls == nullptr ||
      !a->users.init(kZtnaUserCapacity, static_cast<uint16_t>(g->w->index))) {
    if (a->auth) ztna_auth_release();
    rte_free(a->slots);
    rte_free(a->conns);
    a->conns = nullptr;
    rte_free(a->free_conns);
    rte_free(a->up_tls);
    a->users.~UserTable();
    rte_free(a);
    return nullptr;
  }
  for (uint32_t i = 0; i < max_conns; ++i) {
    new (&a->slots[i]) ZtnaSlot();
    new (&a->conns[i]) ZtnaConn();
    new (&a->up_tls[i]) tls::Conn();
    a->free_conns[i] = &a->conns[i];
  }
  a->nb_free = max_conns;
  return a;
}

void ztna_app_destroy(ZtnaApp* a) {
  if (a == nullptr) return;
  // The verifier writes into jobs it holds: wait for them (bounded: a
  // stopped verifier answers what is queued without a check).
  for (unsigned j = 0; j < kZtnaLoginJobs; ++j) {
    while (a->job_used[j] && !a->jobs[j].done.load(std::memory_order_acquire)) std::this_thread::yield();
  }
  if (a->auth) ztna_auth_release();
  // Connections just vanish with the stack; their runtime counts go too.
  for (uint32_t i = 0; i < a->max_conns; ++i) {
    if (a->slots[i].role == ZtnaRole::kClient && a->slots[i].rt != nullptr)
      a->slots[i].rt->refs.fetch_sub(1, std::memory_order_relaxed);
    a->conns[i].~ZtnaConn();
    a->up_tls[i].~Conn();
  }
  rte_free(a->slots);
  rte_free(a->conns);
  rte_free(a->free_conns);
  rte_free(a->up_tls);
  a->users.~UserTable();
  rte_free(a);
}

void ztna_app_configure(TcpGlue* g, const ZtnaRuntime* rt) {
  ZtnaApp* a = g->ztna;
  if (a == nullptr) return;
  collect_logins(a);
  const bool sweep = ztna_now_ms(a) != a->sweep_ms;
  a->sweep_ms = ztna_now_ms(a);
  if (sweep) a->users.expire(ztna_now_ms(a), kUserSweepSlots, sync_user_expired, a->g->w);
  if (sweep) sweep_pool(a);
  for (uint32_t i = 0; sweep && i < kSlotSweep && a->max_conns > 0; ++i) {
    ZtnaSlot* cs = &a->slots[a->sweep_cursor];
    a->sweep_cursor = (a->sweep_cursor + 1) % a->max_conns;
    if (cs->role == ZtnaRole::kClient && !cs->closed && cs->head_deadline_ms != 0 &&
        ztna_now_ms(a) > cs->head_deadline_ms && cs->keepalive_wait) {
      // An idle keep-alive client: closed as nginx does, close_notify and
      // FIN (the client opens a new connection for its next request).
      ++a->counters.keepalive_timeouts;
      // A client that does not read its close_notify is reset when this
      // runs out (the branch below, not counted as a head timeout).
      cs->head_deadline_ms = ztna_now_ms(a) + kLingerMs;
      cs->keepalive_wait = false;
      cs->upstream_done = true;
      cs->shut = true;
      cs->zc->tls_conn().shutdown();
      finish_client(a, cs);
    } else if (cs->role == ZtnaRole::kClient && !cs->closed && cs->head_deadline_ms != 0 &&
               ztna_now_ms(a) > cs->head_deadline_ms) {
      if (!cs->shut) ++a->counters.head_timeouts;  // shut: an answer or close_notify the client did not take
      cs->closed = true;
      tcp_abort(g->stack, cs->conn);  // its on_closed gives the slot back
    } else if (cs->role == ZtnaRole::kClient && !cs->closed && cs->forwarding &&
               ztna_now_ms(a) > cs->active_ms + cs->rt->idle_ms) {
      // A relay that moved nothing either way for the idle timeout (a
      // request the server never answers, a silent tunnel): both
      // connections are reset, as FortiOS drops an expired session.
      ++a->counters.idle_timeouts;
      cs->closed = true;
      tcp_abort(g->stack, cs->conn);  // its on_closed aborts the server side
    } else if (cs->role == ZtnaRole::kClient && cs->closed && cs->linger_until_ms != 0 &&
               ztna_now_ms(a) > cs->linger_until_ms) {
      linger_drain(a, cs);
      cs->linger_until_ms = 0;
      tcp_close(g->stack, cs->conn);  // the client never sent its FIN
    }
  }
  if (a->mailbox.load(std::memory_order_relaxed) != nullptr) {
    ZtnaUserRequest* req = a->mailbox.exchange(nullptr, std::memory_order_acq_rel);
    if (req != nullptr) {
      ztna_serve_user_request(a, req);
      req->done.store(true, std::memory_order_release);
    }
  }
  sync_tls_removals(a);
  if (rt == a->rt) {
    ztna_health_tick(a);
    return;
  }
  for (int& l : a->listeners) {
    if (l >= 0) tcp_unlisten(g->stack, l);
    l = -1;
  }
  a->rt = rt;
  ++a->health_gen;
  ztna_carry_health(a, rt);
  std::memset(a->ldb, 0, sizeof a->ldb);
  a->health_cursor = 0;
  if (rt == nullptr) return;
  for (uint32_t i = 0; i < rt->nb_proxies && i < kMaxZtnaProxies; ++i) {
    if (rt->proxies[i].off) continue;
    a->listen_ctx[i] = ZtnaListenCtx{a, static_cast<uint8_t>(i)};
    a->listeners[i] = tcp_listen(g->stack, rt->proxies[i].ip, rt->proxies[i].port, kTcpGlueSynBacklog,
                                 a->max_conns, accept_client, &a->listen_ctx[i]);
  }
}

const ZtnaCounters& ztna_app_counters(const ZtnaApp* a) { return a->counters; }
UserTable* ztna_app_users(ZtnaApp* a) { return &a->users; }

tls::SessionCache* ztna_app_session_cache(const ZtnaApp* a) {
  return a->rt != nullptr ? a->rt->session_cache : nullptr;
}

}  // namespace tandem::dp
