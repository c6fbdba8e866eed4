// libFuzzer target for the TCP engine (dataplane/tcp): arbitrary bytes
// become a sequence of segments, clock steps and application calls on a
// fresh stack per input (so a crash reproduces from its input alone) that
// has a listener on 10.0.0.1:80 and an active open to 10.0.0.2:443 from a
// port in 50000-50007. Each step is one op byte and its operands:
//   op & 3 == 0: [dt]  the clock moves (dt + 1) ms, timers fire;
//   op & 3 == 1: [which][n]  read / write n*16 bytes / shutdown / close /
//                abort / connect, on live connection `which`;
//   op & 3 >= 2: [len] + 20+len bytes of TCP header, options and payload
//                from 10.0.0.2 (op bit 2: from 10.0.0.3). With op bit 6 the
//                seq and ack are steered to the matching connection's
//                rcv_nxt / snd_una plus the signed low bytes given, so deep
//                states are reachable without guessing 32-bit numbers.
// Every emitted segment is encoded and decoded back; after each step the
// connections' sequence and buffer invariants are checked (abort if not).
// Seeds: tests/fuzz/corpus/fuzz_tcp/ (make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_wire.h"

using namespace tandem::dp;

namespace {

constexpr uint32_t kLocal = 0x0a000001, kPeer = 0x0a000002, kStranger = 0x0a000003;
constexpr uint64_t kStartUs = 5'000'000;

bool seq_le(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }

void emit(void*, const TcpSegment& seg) {
  uint8_t buf[kTcpMaxHeaderLen];
  size_t n = tcp_wire_encode_header(seg, buf, sizeof(buf));
  if (n == 0) abort();
  TcpSegment back;
  if (!tcp_wire_decode(buf, n, seg.tuple.src_ip, seg.tuple.dst_ip, &back)) abort();
  if (back.seq != seg.seq || back.ack != seg.ack || back.flags != seg.flags) abort();
  // Touch every payload byte so ASan sees a bad span.
  volatile uint8_t sink = 0;
  for (uint32_t i = 0; i < seg.payload_len; ++i) sink = sink ^ seg.payload[i];
  for (uint32_t i = 0; i < seg.payload2_len; ++i) sink = sink ^ seg.payload2[i];
  (void)sink;
}

struct Fuzz {
  TcpStack* s;
};

void on_readable(void* app, TcpConn* c) {
  uint8_t buf[512];
  while (tcp_read(static_cast<Fuzz*>(app)->s, c, buf, sizeof(buf)) > 0) {
  }
}
void on_writable(void* app, TcpConn* c) {
  static const uint8_t data[300] = {1};
  tcp_write(static_cast<Fuzz*>(app)->s, c, data, sizeof(data));
}
constexpr TcpCallbacks kCallbacks{nullptr, on_readable, on_writable, nullptr};

bool on_accept(void* ctx, TcpConn* c) {
  tcp_set_callbacks(c, &kCallbacks, ctx);
  return true;
}

void check(const TcpStack* s) {
  tcp_stack_for_each(s, [](const TcpConn& c) {
    const TcpConnState& st = c.st;
    if (c.rcv.used > c.rcv.mask + 1 || c.snd.used > c.snd.mask + 1) abort();
    if (c.nb_ooo > kTcpMaxOoo) abort();
    if (st.state == TcpConnStateId::kClosed) return;
    if (!seq_le(st.snd_una, st.snd_nxt) || !seq_le(st.snd_nxt, st.snd_max)) abort();
    for (unsigned i = 0; i < c.nb_ooo; ++i) {
      // Held out-of-order data lies beyond rcv_nxt and inside the ring.
      if (!seq_le(st.rcv_nxt, c.ooo[i].left) || seq_le(c.ooo[i].right, c.ooo[i].left)) abort();
      if (c.ooo[i].right - st.rcv_nxt > c.rcv.mask + 1 - c.rcv.used) abort();
    }
  });
}

// No slot leaks: between calls every slot is either in use (and counted
// live, in exactly one state) or on the free list, and nothing waits on the
// release list.
void check_slots(const TcpStack* s) {
  if (s->depth != 0 || s->release_head != kTcpNil) abort();
  uint32_t in_use = 0, free = 0, by_state = 0;
  for (uint32_t i = 0; i < s->cfg.max_conns; ++i) in_use += s->conns[i].in_use ? 1 : 0;
  for (uint32_t id = s->free_head; id != kTcpNil; id = s->conns[id].hash_next) {
    if (++free > s->cfg.max_conns || s->conns[id].in_use) abort();
  }
  for (unsigned st = 0; st < kNbTcpConnStates; ++st) by_state += s->by_state[st];
  if (in_use != s->live || in_use + free != s->cfg.max_conns) abort();
  if (by_state > s->live) abort();
  // Buffer pairs: each held by one slot in use (never by a TIME_WAIT one
  // with nothing unread, never by a free one) or on the free stack.
  uint32_t held = 0;
  for (uint32_t i = 0; i < s->cfg.max_conns; ++i) {
    const TcpConn& c = s->conns[i];
    if (c.buf == kTcpNil) continue;
    if (!c.in_use || c.buf >= s->cfg.max_buffers) abort();
    if (c.st.state == TcpConnStateId::kTimeWait && c.rcv.used == 0) abort();
    ++held;
  }
  if (held + s->buf_free_n != s->cfg.max_buffers) abort();
}

TcpConn* nth_live(TcpStack* s, unsigned which) {
  TcpConn* found = nullptr;
  unsigned live = 0;
  tcp_stack_for_each(s, [&](const TcpConn& c) {
    if (c.st.state != TcpConnStateId::kClosed) ++live;
  });
  if (live == 0) return nullptr;
  unsigned want = which % live, i = 0;
  tcp_stack_for_each(s, [&](const TcpConn& c) {
    if (c.st.state == TcpConnStateId::kClosed) return;
    if (i++ == want) found = const_cast<TcpConn*>(&c);
  });
  return found;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TcpConfig cfg{};
  cfg.max_conns = 8;
  cfg.max_buffers = 5;  // fewer pairs than slots: TIME_WAIT gives its pair back
  cfg.max_listeners = 2;
  cfg.sndbuf = 4096;
  cfg.rcvbuf = 4096;
  cfg.rto_min_us = 5000;
  cfg.rto_initial_us = 20'000;
  cfg.msl_us = 20'000;
  cfg.keepalive = true;
  cfg.keepalive_idle_us = 50'000;
  cfg.keepalive_intvl_us = 10'000;
  cfg.ephemeral_lo = 50000;
  cfg.ephemeral_hi = 50007;
  cfg.secret_seed = 1;
  size_t mem_len = (tcp_stack_memsize(cfg) + 63) & ~size_t{63};
  void* mem = std::aligned_alloc(64, mem_len);
  uint64_t now = kStartUs;
  TcpStack* s = tcp_stack_init(mem, cfg, TcpOutput{emit, nullptr}, now);
  Fuzz fz{s};
  tcp_listen(s, kLocal, 80, 2, 6, on_accept, &fz);
  tcp_connect(s, kLocal, kPeer, 443, nullptr, nullptr, &kCallbacks, &fz);

  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    uint8_t op = next();
    switch (op & 3) {
      case 0:
        now += (uint64_t{next()} + 1) * 1000;
        tcp_stack_advance(s, now);
        break;
      case 1: {
        uint8_t which = next(), n = next();
        unsigned action = (op >> 2) % 6;
        if (action == 5) {
          tcp_connect(s, kLocal, kPeer, static_cast<uint16_t>(400 + which % 4), nullptr, nullptr,
                      &kCallbacks, &fz);
          break;
        }
        TcpConn* c = nth_live(s, which);
        if (!c) break;
        uint8_t buf[4096];
        std::memset(buf, n, sizeof(buf));
        switch (action) {
          case 0: tcp_read(s, c, buf, size_t{n} * 16); break;
          case 1: tcp_write(s, c, buf, size_t{n} * 16); break;
          case 2: tcp_shutdown(s, c); break;
          case 3: tcp_close(s, c); break;
          default: tcp_abort(s, c); break;
        }
        break;
      }
      default: {
        size_t len = kTcpHeaderLen + next();
        if (len > size - i) len = size - i;
        uint8_t pkt[kTcpHeaderLen + 256];
        std::memcpy(pkt, data + i, len);
        i += len;
        uint32_t src = (op & 4) ? kStranger : kPeer;
        TcpSegment seg;
        if (!tcp_wire_decode(pkt, len, src, kLocal, &seg)) break;
        if (op & 0x40) {
          tcp_stack_for_each(s, [&](const TcpConn& c) {
            if (c.st.remote_ip == src && c.st.remote_port == seg.tuple.src_port &&
                c.st.local_port == seg.tuple.dst_port) {
              seg.seq = c.st.rcv_nxt + static_cast<int8_t>(pkt[7]);
              seg.ack = c.st.snd_una + static_cast<int8_t>(pkt[11]);
            }
          });
        }
        tcp_stack_input(s, seg, now);
        break;
      }
    }
    check(s);
    check_slots(s);
  }
  // Let the timers run out (keepalive is on, so idle connections are probed
  // out too) and look at the slots again: finishing must free, not leak.
  for (int k = 0; k < 200 && s->live > 0; ++k) {
    now += 1'000'000;
    tcp_stack_advance(s, now);
  }
  check_slots(s);
  std::free(mem);
  return 0;
}
