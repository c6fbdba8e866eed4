// Test helpers for the TCP engine's unit tests: an owned stack, a seeded
// PRNG, a simulated two-host network with a clock and impairments (loss,
// reordering, duplication, delay/jitter, bit flips caught by the checksum
// as the worker glue will catch them, a bottleneck with a tail-drop queue),
// application endpoints that stream PRNG bytes and hash what they read, and
// a capture harness for hand-crafted segments. Header-only; no EAL.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_wire.h"

namespace tandem::dp::test {

inline constexpr uint32_t kIpA = 0x0a000001;  // 10.0.0.1
inline constexpr uint32_t kIpB = 0x0a000002;  // 10.0.0.2
inline constexpr uint16_t kPortListen = 80;

inline uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix(state_++ * 0x9e3779b97f4a7c15ull); }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(unsigned permille) { return permille != 0 && below(1000) < permille; }

 private:
  uint64_t state_;
};

// Byte i of the stream named `seed`.
inline uint8_t stream_byte(uint64_t seed, uint64_t i) {
  return static_cast<uint8_t>(splitmix(seed ^ (i / 8) * 0x100000001b3ull) >> (8 * (i % 8)));
}

inline uint64_t fnv_update(uint64_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;

inline uint64_t stream_hash(uint64_t seed, uint64_t len) {
  uint64_t h = kFnvOffset;
  for (uint64_t i = 0; i < len; ++i) {
    uint8_t b = stream_byte(seed, i);
    h = fnv_update(h, &b, 1);
  }
  return h;
}

// A test config: small timers so simulated time stays short.
inline TcpConfig test_config() {
  TcpConfig c{};
  c.max_conns = 16;
  c.max_listeners = 4;
  c.sndbuf = 128 * 1024;
  c.rcvbuf = 128 * 1024;
  c.rto_min_us = 20'000;
  c.rto_initial_us = 100'000;
  c.rto_max_us = 2'000'000;
  c.delack_us = 10'000;
  c.msl_us = 50'000;
  c.persist_min_us = 20'000;
  c.persist_max_us = 500'000;
  c.timer_tick_us = 1000;
  c.secret_seed = 42;
  return c;
}

struct StackMem {
  explicit StackMem(const TcpConfig& cfg, const TcpOutput& out, uint64_t now) {
    size_t n = (tcp_stack_memsize(cfg) + 63) & ~size_t{63};
    mem = std::aligned_alloc(64, n);
    stack = tcp_stack_init(mem, cfg, out, now);
  }
  ~StackMem() { std::free(mem); }
  StackMem(const StackMem&) = delete;
  StackMem& operator=(const StackMem&) = delete;
  void* mem;
  TcpStack* stack;
};

// Per mille of segments each impairment hits (both directions).
struct Impairment {
  const char* name;
  unsigned loss, reorder, duplicate, corrupt;
  uint64_t delay_us, jitter_us;
  uint64_t rate_bps;      // bottleneck; 0 = unlimited
  uint64_t max_queue_us;  // tail drop beyond this queueing delay (with rate)
};

class Net;

// One side's application: streams `to_send` bytes of stream `seed`, then
// shuts down; hashes what it reads.
struct Endpoint {
  Net* net = nullptr;
  int side = 0;
  TcpConn* c = nullptr;
  uint64_t seed = 0, to_send = 0, sent = 0;
  uint64_t received = 0, hash = kFnvOffset;
  bool read_enabled = true;
  bool auto_shutdown = true;
  // Writes back what it reads, reading only what its send ring takes (as
  // the glue's echo service does), and shuts down after the peer's FIN.
  bool echo = false;
  bool shut = false, eof = false, established = false, closed = false;
  TcpCloseReason why = TcpCloseReason::kNormal;
  uint64_t closed_at = 0;
  void pump();
  void drain();
};

class Net {
 public:
  Net(const TcpConfig& cfg, uint64_t seed, Impairment imp = {}) : imp_(imp), prng_(seed) {
    for (int i = 0; i < 2; ++i) {
      emit_ctx_[i] = EmitCtx{this, i};
      mem_[i] = std::make_unique<StackMem>(cfg, TcpOutput{&Net::emit_cb, &emit_ctx_[i]}, now);
    }
  }
  TcpStack* stack(int i) { return mem_[i]->stack; }
  static uint32_t ip(int i) { return i == 0 ? kIpA : kIpB; }

  // Listener on side `i` whose accepted connection drives `ep`.
  int listen(int i, Endpoint* ep, uint32_t syn_backlog = 64, uint32_t max_conns = 0) {
    accept_ep_[i] = ep;
    accept_ctx_[i] = AcceptCtx{this, i};
    return tcp_listen(stack(i), ip(i), kPortListen, syn_backlog, max_conns, &Net::accept_cb,
                      &accept_ctx_[i]);
  }
  TcpConn* connect(int i, Endpoint* ep, uint16_t remote_port = kPortListen,
                   TcpPortFilter filter = nullptr, void* fctx = nullptr) {
    ep->net = this;
    ep->side = i;
    ep->c = tcp_connect(stack(i), ip(i), ip(1 - i), remote_port, filter, fctx, &kCallbacks, ep);
    return ep->c;
  }

  // Runs until done() or `until` (absolute), stepping 1 ms at most.
  void run(uint64_t until, const std::function<bool()>& done) {
    while (now < until && !done()) step();
  }
  void run_for(uint64_t us) {
    uint64_t end = now + us;
    while (now < end) step();
  }
  void step() {
    while (!queue_.empty() && queue_.top().at <= now) {
      Packet p = queue_.top();
      queue_.pop();
      deliver(p);
    }
    for (int i = 0; i < 2; ++i) tcp_stack_advance(stack(i), now);
    trace();
    uint64_t next = now + 1000;
    if (!queue_.empty() && queue_.top().at < next) next = queue_.top().at;
    now = next > now ? next : now + 1;
  }

  // States seen on side i (after every step).
  std::set<TcpConnStateId> seen[2];
  uint64_t now = 1'000'000;
  uint64_t corrupt_dropped = 0, tail_dropped = 0, delivered = 0;
  bool cut = false;  // drop everything
  // Drops matching segments (decoded) before impairments.
  std::function<bool(int from, const TcpSegment&)> drop_filter;
  std::vector<std::pair<int, TcpSegment>> log;  // headers only (payload pointers cleared)
  bool keep_log = false;

 private:
  struct EmitCtx {
    Net* net;
    int side;
  };
  struct AcceptCtx {
    Net* net;
    int side;
  };
  struct Packet {
    uint64_t at, order;
    int to;
    uint32_t src, dst;
    std::vector<uint8_t> bytes;
    bool operator>(const Packet& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  static void emit_cb(void* ctx, const TcpSegment& seg) {
    auto* e = static_cast<EmitCtx*>(ctx);
    e->net->on_emit(e->side, seg);
  }
  static bool accept_cb(void* ctx, TcpConn* c) {
    auto* a = static_cast<AcceptCtx*>(ctx);
    Endpoint* ep = a->net->accept_ep_[a->side];
    if (!ep || ep->c) return false;
    ep->net = a->net;
    ep->side = a->side;
    ep->c = c;
    ep->established = true;
    tcp_set_callbacks(c, &kCallbacks, ep);
    ep->pump();
    return true;
  }

  void on_emit(int from, const TcpSegment& seg) {
    if (keep_log) {
      TcpSegment h = seg;
      h.payload = h.payload2 = nullptr;
      log.emplace_back(from, h);
    }
    if (cut || (drop_filter && drop_filter(from, seg))) return;
    if (prng_.chance(imp_.loss)) return;
    Packet p;
    p.to = 1 - from;
    p.src = seg.tuple.src_ip;
    p.dst = seg.tuple.dst_ip;
    p.bytes.resize(tcp_wire_header_len(seg));
    size_t hl = tcp_wire_encode_header(seg, p.bytes.data(), p.bytes.size());
    EXPECT_EQ(hl, p.bytes.size());
    p.bytes.insert(p.bytes.end(), seg.payload, seg.payload + seg.payload_len);
    if (seg.payload2_len)
      p.bytes.insert(p.bytes.end(), seg.payload2, seg.payload2 + seg.payload2_len);
    uint16_t ck = tcp_wire_checksum(p.src, p.dst, p.bytes.data(), p.bytes.size());
    p.bytes[16] = static_cast<uint8_t>(ck >> 8);
    p.bytes[17] = static_cast<uint8_t>(ck);
    if (prng_.chance(imp_.corrupt)) {
      size_t at = prng_.below(p.bytes.size());
      p.bytes[at] ^= static_cast<uint8_t>(1u << prng_.below(8));
    }
    uint64_t depart = now;
    if (imp_.rate_bps) {
      uint64_t& free_at = link_free_[from];
      if (free_at < now) free_at = now;
      if (imp_.max_queue_us && free_at - now > imp_.max_queue_us) {
        ++tail_dropped;
        return;
      }
      free_at += (p.bytes.size() + 40) * 8 * 1'000'000 / imp_.rate_bps;
      depart = free_at;
    }
    p.at = depart + imp_.delay_us + (imp_.jitter_us ? prng_.below(imp_.jitter_us) : 0);
    if (prng_.chance(imp_.reorder)) p.at += 2 * imp_.delay_us + 3000;
    p.order = order_++;
    if (prng_.chance(imp_.duplicate)) {
      Packet d = p;
      d.order = order_++;
      d.at += prng_.below(2000);
      queue_.push(d);
    }
    queue_.push(p);
  }

  void deliver(const Packet& p) {
    if (tcp_wire_checksum(p.src, p.dst, p.bytes.data(), p.bytes.size()) != 0) {
      ++corrupt_dropped;  // the glue's job: the engine only sees verified segments
      return;
    }
    TcpSegment seg;
    if (!tcp_wire_decode(p.bytes.data(), p.bytes.size(), p.src, p.dst, &seg)) return;
    ++delivered;
    tcp_stack_input(stack(p.to), seg, now);
  }

  void trace() {
    for (int i = 0; i < 2; ++i)
      tcp_stack_for_each(stack(i), [&](const TcpConn& c) { seen[i].insert(c.st.state); });
  }

  static void on_established(void* app, TcpConn*) {
    auto* ep = static_cast<Endpoint*>(app);
    ep->established = true;
    ep->pump();
  }
  static void on_readable(void* app, TcpConn*) { static_cast<Endpoint*>(app)->drain(); }
  static void on_writable(void* app, TcpConn*) { static_cast<Endpoint*>(app)->pump(); }
  static void on_closed(void* app, TcpConn*, TcpCloseReason why) {
    auto* ep = static_cast<Endpoint*>(app);
    ep->closed = true;
    ep->why = why;
    ep->c = nullptr;
    ep->closed_at = ep->net ? ep->net->now : 0;
  }

 public:
  static constexpr TcpCallbacks kCallbacks{&Net::on_established, &Net::on_readable,
                                           &Net::on_writable, &Net::on_closed};

 private:
  Impairment imp_;
  Prng prng_;
  EmitCtx emit_ctx_[2];
  AcceptCtx accept_ctx_[2];
  Endpoint* accept_ep_[2] = {nullptr, nullptr};
  std::unique_ptr<StackMem> mem_[2];
  std::priority_queue<Packet, std::vector<Packet>, std::greater<Packet>> queue_;
  uint64_t order_ = 0;
  uint64_t link_free_[2] = {0, 0};
};

inline void Endpoint::pump() {
  if (!c || closed) return;
  if (echo) {
    drain();  // room to write: read on
    return;
  }
  TcpStack* s = net->stack(side);
  uint8_t buf[16384];
  while (sent < to_send && c) {
    uint64_t n = to_send - sent < sizeof(buf) ? to_send - sent : sizeof(buf);
    for (uint64_t i = 0; i < n; ++i) buf[i] = stream_byte(seed, sent + i);
    size_t w = tcp_write(s, c, buf, n);
    sent += w;
    if (w < n) return;
  }
  if (c && sent == to_send && auto_shutdown && !shut) {
    shut = true;
    tcp_shutdown(s, c);
  }
}

inline void Endpoint::drain() {
  if (!c || !read_enabled) return;
  TcpStack* s = net->stack(side);
  uint8_t buf[16384];
  for (;;) {
    if (!c) return;
    size_t want = sizeof(buf);
    if (echo) {
      size_t room = tcp_send_room(c);
      if (room < want) want = room;
      if (want == 0) {
        tcp_write(s, c, buf, 1);  // takes nothing; asks for on_writable
        break;
      }
    }
    size_t n = tcp_read(s, c, buf, want);
    if (n == 0) break;
    received += n;
    hash = fnv_update(hash, buf, n);
    if (echo) sent += tcp_write(s, c, buf, n);
  }
  if (c && tcp_peer_closed(c)) {
    eof = true;
    if (echo && !shut) {
      shut = true;
      tcp_shutdown(s, c);
    }
  }
}

// One stack fed hand-made segments from a peer at 10.0.0.9:4000; what it
// sends is captured.
class Capture {
 public:
  explicit Capture(TcpConfig cfg = test_config())
      : mem_(cfg, TcpOutput{&Capture::emit_cb, this}, kStart) {}
  static constexpr uint64_t kStart = 1'000'000;
  static constexpr uint32_t kPeerIp = 0x0a000009;
  static constexpr uint16_t kPeerPort = 4000;
  TcpStack* s() { return mem_.stack; }

  struct Out {
    TcpSegment seg;
    std::string payload;
  };
  std::vector<Out> out;
  uint64_t now = kStart;

  TcpSegment seg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window = 65535,
                 uint16_t local_port = kPortListen) const {
    TcpSegment g{};
    g.tuple = TcpTuple{kPeerIp, kIpA, kPeerPort, local_port};
    g.flags = flags;
    g.seq = seq;
    g.ack = ack;
    g.window = window;
    return g;
  }
  void send(const TcpSegment& g) { tcp_stack_input(s(), g, now); }
  void send_data(TcpSegment g, const std::string& data) {
    g.payload = reinterpret_cast<const uint8_t*>(data.data());
    g.payload_len = static_cast<uint32_t>(data.size());
    send(g);
  }
  void advance(uint64_t us) {
    uint64_t end = now + us;
    while (now < end) {
      now = now + 1000 < end ? now + 1000 : end;
      tcp_stack_advance(s(), now);
    }
  }
  const Out& last() const { return out.back(); }
  size_t live() const { return s_const()->live; }

 private:
  const TcpStack* s_const() const { return mem_.stack; }
  static void emit_cb(void* ctx, const TcpSegment& g) {
    auto* cap = static_cast<Capture*>(ctx);
    Out o{g, std::string()};
    o.payload.assign(reinterpret_cast<const char*>(g.payload), g.payload_len);
    if (g.payload2_len) o.payload.append(reinterpret_cast<const char*>(g.payload2), g.payload2_len);
    o.seg.payload = o.seg.payload2 = nullptr;
    cap->out.push_back(o);
  }
  StackMem mem_;
};

}  // namespace tandem::dp::test
