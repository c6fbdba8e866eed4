// The test service on the workers' TCP stacks (`config system
// tcp-test-service`): an echo listener and a minimal HTTP/1.1 responder,
// enough for real Linux clients (nc, curl) to prove the engine and its glue
// byte-exactly in both directions. Callbacks only: everything runs inside
// the engine's input/advance on the owning worker, state per connection in
// a preallocated array indexed by TcpConn::id.
//
//   GET /<n>   -> 200, n bytes of the pattern (below), Connection: close
//   POST <any> -> 200, "bytes=<n> crc32=<8 hex> adler32=<8 hex>\n" over the
//                 body (Content-Length; "Expect: 100-continue" answered)
//   other      -> 400 / 404 / 411
//
// The pattern: a 64 KiB block B of an LCG's bytes (x = x * 1103515245 +
// 12345 mod 2^31 from x = 1, byte = x >> 16 & 0xff); byte j of 64 KiB block
// k of the body is B[(j + k * 4099) mod 65536]. Random within a block,
// different from block to block, and cheap to rebuild in a test script.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_glue.h"

namespace tandem::dp {

namespace {
constexpr size_t kHeadMax = 1024;    // request head; longer ones get 400
constexpr size_t kChunk = 16384;     // bytes read or echoed per step
constexpr uint64_t kMaxGetBytes = uint64_t{1} << 40;
constexpr uint32_t kAdlerMod = 65521;

enum class ServiceKind : uint8_t { kNone, kEcho, kHttp };
enum class HttpPhase : uint8_t {
  kHead,     // reading the request head
  kUpload,   // consuming a POST body
  kRespond,  // writing the response; the peer's further bytes are discarded
};
}  // namespace

struct TcpServiceConn {
  ServiceKind kind;
  HttpPhase phase;
  bool shut;               // our FIN is queued
  uint32_t head_len;
  uint32_t pending_off, pending_len;  // echo: read, not yet written
  uint32_t out_off, out_len;          // http: response text not yet written
  uint64_t body_left;                 // upload: to read; respond: pattern bytes to write
  uint64_t body_len, sent;
  uint32_t crc, adler_a, adler_b;
  char head[kHeadMax];
  char out[kHeadMax];
  uint8_t scratch[kChunk];
};

namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

// zlib's crc32 and adler32, so a script checks them with Python's zlib.
void checksum_update(TcpServiceConn* sc, const uint8_t* p, size_t n) {
  uint32_t c = ~sc->crc;
  uint32_t a = sc->adler_a, b = sc->adler_b;
  for (size_t i = 0; i < n; ++i) {
    c = kCrcTable[(c ^ p[i]) & 0xff] ^ (c >> 8);
    a += p[i];
    if (a >= kAdlerMod) a -= kAdlerMod;
    b += a;
    if (b >= kAdlerMod) b -= kAdlerMod;
  }
  sc->crc = ~c;
  sc->adler_a = a;
  sc->adler_b = b;
}

TcpServiceConn* conn_of(TcpGlue* g, const TcpConn* c) { return &g->conns[c->id]; }

void reset(TcpServiceConn* sc, ServiceKind kind) {
  sc->kind = kind;
  sc->phase = HttpPhase::kHead;
  sc->shut = false;
  sc->head_len = sc->pending_off = sc->pending_len = sc->out_off = sc->out_len = 0;
  sc->body_left = sc->body_len = sc->sent = 0;
  sc->crc = 0;
  sc->adler_a = 1;
  sc->adler_b = 0;
}

// Echo: write what was read before reading more, so the receive window is
// the back-pressure; FIN once the peer's FIN is in and everything echoed.
void echo_pump(TcpGlue* g, TcpConn* c, TcpServiceConn* sc) {
  TcpStack* s = g->stack;
  for (;;) {
    if (sc->pending_len > 0) {
      size_t n = tcp_write(s, c, sc->scratch + sc->pending_off, sc->pending_len);
      sc->pending_off += static_cast<uint32_t>(n);
      sc->pending_len -= static_cast<uint32_t>(n);
      if (sc->pending_len > 0) return;  // on_writable resumes
    }
    size_t r = tcp_read(s, c, sc->scratch, kChunk);
    if (r == 0) break;
    sc->pending_off = 0;
    sc->pending_len = static_cast<uint32_t>(r);
  }
  if (tcp_peer_closed(c) && !sc->shut) {
    sc->shut = true;
    tcp_close(s, c);  // all read: a FIN after the echoed bytes
  }
}

void http_out(TcpServiceConn* sc, const char* text) {
  size_t n = std::min(std::strlen(text), kHeadMax - sc->out_len);
  std::memcpy(sc->out + sc->out_len, text, n);
  sc->out_len += static_cast<uint32_t>(n);
}

void http_respond(TcpServiceConn* sc, const char* status, uint64_t body_len, const char* body) {
  char head[256];
  std::snprintf(head, sizeof(head),
                "HTTP/1.1 %s\r\nServer: tandem-tcp-test\r\nContent-Type: "
                "application/octet-stream\r\nContent-Length: %llu\r\nConnection: close\r\n\r\n",
                status, static_cast<unsigned long long>(body_len));
  http_out(sc, head);
  if (body != nullptr) {
    http_out(sc, body);
    sc->body_left = 0;
  } else {
    sc->body_left = body_len;  // the pattern
  }
  sc->phase = HttpPhase::kRespond;
}

// Case-insensitive search for a header's value in the request head.
const char* header_value(const char* head, const char* name) {
  size_t n = std::strlen(name);
  for (const char* p = std::strstr(head, "\r\n"); p != nullptr; p = std::strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
      const char* v = p + 3 + n;
      while (*v == ' ') ++v;
      return v;
    }
  }
  return nullptr;
}

void http_finish_upload(TcpServiceConn* sc) {
  char body[96];
  std::snprintf(body, sizeof(body), "bytes=%llu crc32=%08x adler32=%08x\n",
                static_cast<unsigned long long>(sc->body_len), sc->crc,
                (sc->adler_b << 16) | sc->adler_a);
  http_respond(sc, "200 OK", std::strlen(body), body);
}

void http_request(TcpServiceConn* sc) {
  const char* h = sc->head;
  if (std::strncmp(h, "GET /", 5) == 0) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(h + 5, &end, 10);
    if (end == h + 5 || (*end != ' ' && *end != '?') || n > kMaxGetBytes)
      return http_respond(sc, "404 Not Found", 10, "not found\n");
    return http_respond(sc, "200 OK", n, nullptr);
  }
  if (std::strncmp(h, "POST ", 5) == 0) {
    const char* te = header_value(h, "Transfer-Encoding");
    const char* cl = header_value(h, "Content-Length");
    if (te != nullptr || cl == nullptr)
      return http_respond(sc, "411 Length Required", 16, "length required\n");
    sc->body_left = std::strtoull(cl, nullptr, 10);
    sc->body_len = sc->body_left;
    sc->phase = HttpPhase::kUpload;
    const char* expect = header_value(h, "Expect");
    if (expect != nullptr && strncasecmp(expect, "100-continue", 12) == 0)
      http_out(sc, "HTTP/1.1 100 Continue\r\n\r\n");
    if (sc->body_left == 0) http_finish_upload(sc);
    return;
  }
  http_respond(sc, "400 Bad Request", 12, "bad request\n");
}

// Consumes bytes read from the peer by phase.
void http_consume(TcpServiceConn* sc, const uint8_t* p, size_t n) {
  while (n > 0) {
    if (sc->phase == HttpPhase::kHead) {
      sc->head[sc->head_len++] = static_cast<char>(*p++);
      --n;
      sc->head[sc->head_len] = '\0';
      if (sc->head_len >= 4 && std::memcmp(sc->head + sc->head_len - 4, "\r\n\r\n", 4) == 0) {
        http_request(sc);
      } else if (sc->head_len == kHeadMax - 1) {
        http_respond(sc, "400 Bad Request", 12, "bad request\n");
      }
    } else if (sc->phase == HttpPhase::kUpload) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, sc->body_left));
      checksum_update(sc, p, take);
      p += take;
      n -= take;
      sc->body_left -= take;
      if (sc->body_left == 0) http_finish_upload(sc);
    } else {
      return;  // after the request: discarded
    }
  }
}

// Writes the response text, then the pattern, then FIN; a short write
// leaves the rest to on_writable.
void http_pump(TcpGlue* g, TcpConn* c, TcpServiceConn* sc) {
  TcpStack* s = g->stack;
  while (sc->phase != HttpPhase::kRespond) {
    size_t r = tcp_read(s, c, sc->scratch, kChunk);
    if (r == 0) break;
    http_consume(sc, sc->scratch, r);
  }
  if (sc->phase != HttpPhase::kRespond) {
    // A 100 Continue may be waiting while the body comes.
    if (sc->out_len > sc->out_off) {
      size_t n = tcp_write(s, c, sc->out + sc->out_off, sc->out_len - sc->out_off);
      sc->out_off += static_cast<uint32_t>(n);
    }
    if (tcp_peer_closed(c) && !sc->shut) {  // closed mid-request
      sc->shut = true;
      tcp_close(s, c);
    }
    return;
  }
  while (tcp_read(s, c, sc->scratch, kChunk) > 0) {
  }
  while (sc->out_off < sc->out_len) {
    size_t n = tcp_write(s, c, sc->out + sc->out_off, sc->out_len - sc->out_off);
    sc->out_off += static_cast<uint32_t>(n);
    if (sc->out_off < sc->out_len) return;
  }
  while (sc->body_left > 0) {
    uint64_t block = sc->sent / kTcpPatternBlock;
    uint32_t j = static_cast<uint32_t>(sc->sent % kTcpPatternBlock);
    uint32_t at = static_cast<uint32_t>((j + block * kTcpPatternStep) % kTcpPatternBlock);
    size_t n = std::min<uint64_t>({sc->body_left, kTcpPatternBlock - j, kTcpPatternBlock - at});
    size_t wrote = tcp_write(s, c, g->pattern + at, n);
    sc->sent += wrote;
    sc->body_left -= wrote;
    if (wrote < n) return;
  }
  if (!sc->shut) {
    sc->shut = true;
    tcp_shutdown(s, c);
  }
}

void pump(TcpGlue* g, TcpConn* c) {
  TcpServiceConn* sc = conn_of(g, c);
  if (sc->kind == ServiceKind::kEcho) echo_pump(g, c, sc);
  else if (sc->kind == ServiceKind::kHttp) http_pump(g, c, sc);
}

void on_readable(void* app, TcpConn* c) { pump(static_cast<TcpGlue*>(app), c); }
void on_writable(void* app, TcpConn* c) { pump(static_cast<TcpGlue*>(app), c); }
void on_closed(void* app, TcpConn* c, TcpCloseReason) {
  reset(conn_of(static_cast<TcpGlue*>(app), c), ServiceKind::kNone);
}

constexpr TcpCallbacks kServiceCallbacks{nullptr, on_readable, on_writable, on_closed};

bool accept_as(TcpGlue* g, TcpConn* c, ServiceKind kind) {
  reset(conn_of(g, c), kind);
  ++g->counters.accepted;
  tcp_set_callbacks(c, &kServiceCallbacks, g);
  return true;
}
bool accept_echo(void* ctx, TcpConn* c) {
  return accept_as(static_cast<TcpGlue*>(ctx), c, ServiceKind::kEcho);
}
bool accept_http(void* ctx, TcpConn* c) {
  return accept_as(static_cast<TcpGlue*>(ctx), c, ServiceKind::kHttp);
}

int relisten(TcpGlue* g, int listener, uint16_t port, uint32_t max_conns, TcpAcceptFn fn) {
  if (listener >= 0) tcp_unlisten(g->stack, listener);
  if (port == 0) return -1;
  // Any of the node's addresses: the glue only hands in segments to them.
  return tcp_listen(g->stack, 0, port, tcp_glue_syn_backlog(g->stack->cfg.max_conns), max_conns, fn,
                    g);
}

}  // namespace

size_t tcp_service_conn_memsize(uint32_t max_conns) {
  return sizeof(TcpServiceConn) * max_conns;
}

void tcp_service_init_pattern(uint8_t* block) {
  uint32_t x = 1;
  for (uint32_t i = 0; i < kTcpPatternBlock; ++i) {
    x = (x * 1103515245u + 12345u) & 0x7fffffffu;
    block[i] = static_cast<uint8_t>((x >> 16) & 0xff);
  }
}

void tcp_service_configure(TcpGlue* g, const TcpServiceConf& conf) {
  if (std::memcmp(&conf, &g->service, sizeof(conf)) == 0) return;
  uint32_t max_conns = conf.max_conns != 0 ? conf.max_conns : g->stack->cfg.max_conns;
  bool max_changed = conf.max_conns != g->service.max_conns;
  if (max_changed || conf.echo_port != g->service.echo_port)
    g->echo_listener = relisten(g, g->echo_listener, conf.echo_port, max_conns, accept_echo);
  if (max_changed || conf.http_port != g->service.http_port)
    g->http_listener = relisten(g, g->http_listener, conf.http_port, max_conns, accept_http);
  g->service = conf;
}

}  // namespace tandem::dp
