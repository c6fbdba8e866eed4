// Health checks of the ZTNA proxy's real servers (realservers
// `health-check enable`, docs/ztna.md "Health checks"): the probes each
// worker opens through its own TCP stack (tcp-connect, or GET / plain or
// over TLS), their timeouts, and what a request's server connection tells
// about its server. The state machine itself is ztna_health_result
// (ztna_ldb.cc); ztna_app.cc calls in here from its poll, on a config
// change and when a server connection opens or fails.
#include <bitset>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/ztna/ztna_app_internal.h"

namespace tandem::dp {
namespace {

// Health checks (realservers `health-check enable`): every worker probes
// every such server with a TCP connect through its own stack, as FortiOS's
// ldb-monitor type tcp does, with its timeout (2 s) and retry (3) defaults;
// the interval is 5 s rather than its 10 s, so a dead server stops getting
// requests within about 15 s. A failed connection to the server (refused,
// reset or timed out before it was established) counts as a failed probe.
constexpr uint64_t kHealthIntervalMs = 5'000;
constexpr uint64_t kHealthTimeoutMs = 2'000;
constexpr unsigned kHealthRetry = 3;
constexpr uint32_t kHealthSweep = 16;  // servers looked at per poll
// health-check-proto ping: ZtnaHealth::probe_conn while an echo request is
// out, and its sequence number: the server's index in the low bits, the
// health generation's low bits above (a reply from before a config change
// does not count).
constexpr uint32_t kPingProbe = UINT32_MAX;
constexpr unsigned kPingIndexBits = 10;
static_assert(kMaxZtnaServers <= 1u << kPingIndexBits, "a ping's sequence holds the server index");

// holddown-interval of the runtime's server `index`: its holddown, or none.
uint64_t holddown_of(const ZtnaRuntime* rt, uint16_t index) {
  return rt != nullptr && index < rt->nb_servers && rt->servers[index].holddown ? kZtnaHolddownMs : 0;
}

// ---- Health probes: a TCP connect to the server; established is a pass
// (then a RST: nothing to say, and no TIME_WAIT on either side), refused,
// reset, timed out or not established within kHealthTimeoutMs a failure.
// health-check-proto http: established, the probe sends GET / and passes
// on a 2xx or 3xx status line, fails on another status, a close or the
// timeout; then a RST either way. On a gateway with service https that
// exchange goes over TLS, as the gateway's requests do: a handshake that
// fails (a plain server, or verify-cert and a certificate its
// realserver-ca did not sign) fails the probe.

constexpr char kHealthRequestHead[] = "GET / HTTP/1.1\r\nHost: ";
constexpr char kHealthRequestTail[] = "\r\nUser-Agent: tandem-health-check\r\nConnection: close\r\n\r\n";

// The end of a probe (TCP, http or ping) of the current runtime's server
// `index`.
void probe_done(ZtnaApp* a, uint32_t index, bool ok) {
  ZtnaHealth& h = a->health[index];
  h.probing = false;
  ok ? ++h.probes_ok : ++h.probes_failed;
  ztna_health_result(&h, ok, kHealthRetry, ztna_now_ms(a), holddown_of(a->rt, index));
}

// A probe connection's verdict; its slot is freed. One of an older runtime
// does not count.
void probe_result(ZtnaApp* a, ZtnaSlot* ps, bool ok) {
  uint16_t index = ps->server_index;
  bool current = ps->health_gen == a->health_gen && a->rt != nullptr && index < a->rt->nb_servers;
  *ps = ZtnaSlot{};
  if (current) probe_done(a, index, ok);
}

// "HTTP/1.x NNN ...": a 2xx or 3xx passes; anything else, or no line, fails.
bool probe_status_ok(std::string_view got) {
  std::string_view line = got.substr(0, got.find("\r\n"));
  return line.size() >= 12 && line.starts_with("HTTP/1.") && line[8] == ' ' && (line[9] == '2' || line[9] == '3') &&
         line[10] >= '0' && line[10] <= '9' && line[11] >= '0' && line[11] <= '9';
}

// GET / for the probe (plain, or into TLS once its handshake is done).
bool send_probe_request(ZtnaApp* a, TcpConn* c) {
  char req[96];
  uint32_t ip = tcp_conn_state(c).remote_ip;
  int n = std::snprintf(req, sizeof req, "%s%u.%u.%u.%u%s", kHealthRequestHead, ip >> 24, ip >> 16 & 0xff,
                        ip >> 8 & 0xff, ip & 0xff, kHealthRequestTail);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof req) return false;
  return ztna_server_write(a, c, reinterpret_cast<const uint8_t*>(req), static_cast<size_t>(n)) == static_cast<size_t>(n);
}

void on_probe_established(void* app, TcpConn* c) {
  auto* a = static_cast<ZtnaApp*>(app);
  ZtnaSlot* ps = ztna_slot_of(a, c);
  if (ps->role != ZtnaRole::kProbe) return;
  if (ps->https) {  // the ClientHello; the rest happens in on_probe_readable
    uint8_t none[1];
    a->up_tls[c->id].read_plaintext(none, 0);
    ztna_flush_server_tls(a, ps);
    return;
  }
  if (ps->probe_http) {  // the answer decides (on_probe_readable)
    if (send_probe_request(a, c)) return;
    probe_result(a, ps, false);
    tcp_abort(a->g->stack, c);
    return;
  }
  probe_result(a, ps, true);
  tcp_abort(a->g->stack, c);  // its on_closed finds the slot free
}

// health-check-proto http: the status line of the answer to GET /.
void on_probe_readable(void* app, TcpConn* c) {
  auto* a = static_cast<ZtnaApp*>(app);
  ZtnaSlot* ps = ztna_slot_of(a, c);
  if (ps->role != ZtnaRole::kProbe || !ps->probe_http) return;
  std::string_view got;
  if (ps->https) {
    // ztna_server_read advances the handshake and keeps the ciphertext in the
    // slot's staging; the plaintext answer collects in probe_line.
    size_t room = sizeof ps->probe_line - ps->probe_line_len;
    size_t n = ztna_server_read(a, c, reinterpret_cast<uint8_t*>(ps->probe_line) + ps->probe_line_len, room);
    ps->probe_line_len = static_cast<uint8_t>(ps->probe_line_len + n);
    if (ztna_server_tls_failed(a, c)) {
      probe_result(a, ps, false);
      tcp_abort(a->g->stack, c);
      return;
    }
    if (!ps->probe_sent && a->up_tls[c->id].state() == tls::Conn::State::kEstablished) {
      if (!send_probe_request(a, c)) {
        probe_result(a, ps, false);
        tcp_abort(a->g->stack, c);
        return;
      }
      ps->probe_sent = true;
    }
    got = std::string_view(ps->probe_line, ps->probe_line_len);
    bool full = ps->probe_line_len == sizeof ps->probe_line;
    if (got.find("\r\n") == std::string_view::npos && !full && !tcp_peer_closed(c)) return;
  } else {
    size_t room = sizeof ps->down - ps->down_len;
    ps->down_len += static_cast<uint32_t>(tcp_read(a->g->stack, c, ps->down + ps->down_len, room));
    got = std::string_view(reinterpret_cast<const char*>(ps->down), ps->down_len);
    if (got.find("\r\n") == std::string_view::npos && ps->down_len < sizeof ps->down && !tcp_peer_closed(c)) return;
  }
  probe_result(a, ps, probe_status_ok(got));
  tcp_abort(a->g->stack, c);
}

void on_probe_closed(void* app, TcpConn* c, TcpCloseReason) {
  auto* a = static_cast<ZtnaApp*>(app);
  a->up_tls[c->id].release();
  ZtnaSlot* ps = ztna_slot_of(a, c);
  if (ps->role == ZtnaRole::kProbe) probe_result(a, ps, false);
}

constexpr TcpCallbacks kProbeCallbacks{on_probe_established, on_probe_readable, nullptr, on_probe_closed};

uint16_t ping_seq(const ZtnaApp* a, uint32_t index) {
  return static_cast<uint16_t>((a->health_gen & 0x3fu) << kPingIndexBits | index);
}

// An http probe of a server behind a service https gateway: TLS as the
// gateway's requests use it (its realserver-ca with verify-cert), no SNI.
bool start_probe_tls(ZtnaApp* a, const ZtnaRealServer& rs, TcpConn* c) {
  unsigned w = a->g->w->index;
  char ip_text[16];
  std::snprintf(ip_text, sizeof ip_text, "%u.%u.%u.%u", rs.ip >> 24, rs.ip >> 16 & 0xff, rs.ip >> 8 & 0xff,
                rs.ip & 0xff);
  const tls::ClientContext& ctx =
      rs.verify_cert ? a->rt->proxies[rs.proxy].gateway_tls[rs.gateway][w] : a->rt->upstream_tls[w];
  return a->up_tls[c->id].start_client(ctx, nullptr, ip_text);
}

}  // namespace

// This worker's health of server `index` of runtime rt, or nullptr when it
// is not checked. A connection that started before a config change still
// runs on its older runtime: its server is found by address and port
// among those the probes follow (a->rt).
ZtnaHealth* ztna_health_of(ZtnaApp* a, const ZtnaRuntime* rt, uint16_t index) {
  if (rt == nullptr || index >= rt->nb_servers || !rt->servers[index].health_check) return nullptr;
  if (rt == a->rt) return &a->health[index];
  const ZtnaRealServer& rs = rt->servers[index];
  for (uint32_t j = 0; a->rt != nullptr && j < a->nb_health; ++j) {
    if (a->health[j].ip == rs.ip && a->health[j].port == rs.port && a->rt->servers[j].health_check)
      return &a->health[j];
  }
  return nullptr;
}

// A connection to a real server ended before it was established (or was
// established): a failed (or passed) health probe of that server.
void ztna_health_from_conn(ZtnaApp* a, ZtnaSlot* cs, bool ok) {
  if (cs->server_index == kZtnaNoServer) return;
  ZtnaHealth* h = ztna_health_of(a, cs->rt, cs->server_index);
  if (h == nullptr) return;
  if (!ok) ++h->conn_failed;
  ztna_health_result(h, ok, kHealthRetry, ztna_now_ms(a), holddown_of(cs->rt, cs->server_index));
}

// A new runtime: a server it still has (same address and port) keeps its
// state, so a config edit does not send requests to a server known down;
// a new one starts up. Every one is probed at once; probes still open
// belong to the old generation and end unheeded.
void ztna_carry_health(ZtnaApp* a, const ZtnaRuntime* rt) {
  ZtnaHealth* old = a->health;
  ZtnaHealth* next = old == a->health_store[0] ? a->health_store[1] : a->health_store[0];
  uint32_t n = rt != nullptr ? rt->nb_servers : 0;
  std::memset(next, 0, sizeof(ZtnaHealth) * kMaxZtnaServers);
  // Each old state goes to at most one new server: the same address, port
  // and probe (a gateway that lists a server another one probes otherwise,
  // or not at all, has a state of its own).
  std::bitset<kMaxZtnaServers> taken;
  for (uint32_t i = 0; i < n; ++i) {
    const ZtnaRealServer& rs = rt->servers[i];
    ZtnaHealth& h = next[i];
    uint8_t probe = ztna_health_probe_kind(rs);
    for (uint32_t j = 0; probe != 0 && j < a->nb_health; ++j) {
      if (!taken[j] && old[j].ip == rs.ip && old[j].port == rs.port && old[j].probe == probe) {
        h = old[j];
        taken[j] = true;
        break;
      }
    }
    h.ip = rs.ip;
    h.port = rs.port;
    h.probe = probe;
    h.probing = false;
    h.next_probe_ms = 0;
  }
  a->health = next;
  a->nb_health = n;
}

// Once per millisecond at most: kHealthSweep servers of the runtime, each
// probed every kHealthInterval, a probe past its timeout ended as failed.
void ztna_health_tick(ZtnaApp* a) {
  const ZtnaRuntime* rt = a->rt;
  uint64_t now = ztna_now_ms(a);
  if (rt == nullptr || rt->nb_servers == 0 || now == a->health_tick_ms || a->g->cfg == nullptr) return;
  a->health_tick_ms = now;
  for (uint32_t k = 0; k < kHealthSweep && k < rt->nb_servers; ++k) {
    uint32_t i = a->health_cursor;
    a->health_cursor = (a->health_cursor + 1) % rt->nb_servers;
    const ZtnaRealServer& rs = rt->servers[i];
    ZtnaHealth& h = a->health[i];
    if (!rs.health_check) continue;
    if (h.probing) {
      if (now <= h.probe_deadline_ms) continue;
      if (h.probe_conn == kPingProbe)
        probe_done(a, i, false);  // no echo reply in time (nor, often, an ARP answer)
      else
        tcp_abort(a->g->stack, a->slots[h.probe_conn].conn);  // a failure
      continue;
    }
    if (now < h.next_probe_ms) continue;
    h.next_probe_ms = now + kHealthIntervalMs;
    uint32_t src = ztna_source_for(*a->g->cfg, rs.ip);
    if (rs.health_ping) {
      if (src == 0 || !tcp_glue_send_ping(a->g->w, src, rs.ip, ping_seq(a, i))) continue;  // next interval
      h.probing = true;
      h.probe_conn = kPingProbe;
      h.probe_deadline_ms = now + kHealthTimeoutMs;
      continue;
    }
    TcpConn* c = src != 0 ? tcp_glue_connect(a->g->w, src, rs.ip, rs.port, &kProbeCallbacks, a) : nullptr;
    if (c == nullptr) continue;  // no route or no free connection: try at the next interval
    ZtnaSlot* ps = ztna_slot_of(a, c);
    *ps = ZtnaSlot{};
    ps->role = ZtnaRole::kProbe;
    ps->conn = c;
    ps->probe_http = rs.health_http;
    ps->https = rs.health_http && rs.https;
    ps->server_index = static_cast<uint16_t>(i);
    ps->health_gen = a->health_gen;
    if (ps->https && !start_probe_tls(a, rs, c)) {
      tcp_abort(a->g->stack, c);  // its on_closed counts the failure
      continue;
    }
    h.probing = true;
    h.probe_conn = c->id;
    h.probe_deadline_ms = now + kHealthTimeoutMs;
  }
}


void ztna_app_ping_reply(ZtnaApp* a, uint32_t src_ip, uint16_t seq) {
  const ZtnaRuntime* rt = a->rt;
  uint32_t index = seq & ((1u << kPingIndexBits) - 1);
  if (rt == nullptr || index >= rt->nb_servers || a->health == nullptr ||
      (seq >> kPingIndexBits) != (a->health_gen & 0x3fu))
    return;
  const ZtnaHealth& h = a->health[index];
  if (!h.probing || h.probe_conn != kPingProbe || rt->servers[index].ip != src_ip) return;
  probe_done(a, index, true);
}

}  // namespace tandem::dp
