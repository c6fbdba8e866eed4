// The stack: memory layout, the connection table, listeners (SYN backlog,
// SYN cookies), segment demultiplexing and the application API. The state
// machine proper is in tcp_input.cc, sending and timers in tcp_output.cc.
#include "dataplane/tcp/tcp.h"

#include <bit>
#include <cstring>
#include <new>

#include "dataplane/tcp/tcp_conn.h"
#include "dataplane/tcp/tcp_inl.h"

namespace tandem::dp {
namespace {

constexpr size_t kAlign = 64;
constexpr uint16_t kDefaultMss = 536;  // RFC 9293 3.7.1: no MSS option
constexpr uint16_t kMinMss = 88;       // refuse to be driven into tiny segments
constexpr uint32_t kCookieWscaleNone = 0xf;
constexpr uint32_t kCookieSackBit = 0x10;
constexpr uint32_t kCookieTsBits = 0x1f;

size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A connection's buffer pair goes back to the stack: at TIME_WAIT (when the
// application left nothing unread) and when the slot is freed. The rings
// keep their size, so a TIME_WAIT ACK still offers the usual window; no
// state that reaches the rings' data (data-bearing states, tcp_read with
// bytes, tcp_write with room) is reachable without a pair.
void release_buffers(TcpStack* s, TcpConn* c) {
  if (c->buf == kTcpNil) return;
  s->buf_free[s->buf_free_n++] = c->buf;
  c->buf = kTcpNil;
  c->snd = TcpRing{nullptr, c->snd.mask, 0, 0};
  c->rcv = TcpRing{nullptr, c->rcv.mask, 0, 0};
  c->nb_ooo = 0;
  c->ooo_fin = false;
}

// Whether alloc_conn can succeed: a free slot and a free buffer pair.
bool can_alloc(const TcpStack* s) { return s->free_head != kTcpNil && s->buf_free_n > 0; }

// Nesting guard: finished slots are only reused once no caller up the stack
// can still hold them.
class Depth {
 public:
  explicit Depth(TcpStack* s) : s_(s) { ++s_->depth; }
  ~Depth() {
    if (--s_->depth != 0) return;
    while (s_->release_head != kTcpNil) {
      TcpConn* c = &s_->conns[s_->release_head];
      s_->release_head = c->release_next;
      release_buffers(s_, c);
      c->in_use = false;
      c->hash_next = s_->free_head;
      s_->free_head = c->id;
      --s_->live;
    }
  }

 private:
  TcpStack* s_;
};

uint32_t tuple_hash(const TcpStack* s, uint32_t local_ip, uint32_t remote_ip, uint16_t local_port,
                    uint16_t remote_port) {
  // Keyed: remote peers choose ports and addresses, and must not be able to
  // aim at one bucket.
  uint32_t in[3] = {local_ip, remote_ip, uint32_t{local_port} << 16 | remote_port};
  return static_cast<uint32_t>(siphash24(s->secret, in, sizeof(in)));
}

TcpConn* lookup(TcpStack* s, uint32_t local_ip, uint32_t remote_ip, uint16_t local_port,
                uint16_t remote_port) {
  uint32_t h = tuple_hash(s, local_ip, remote_ip, local_port, remote_port) & s->bucket_mask;
  for (uint32_t i = s->buckets[h]; i != kTcpNil; i = s->conns[i].hash_next) {
    const TcpConnState& st = s->conns[i].st;
    if (st.local_ip == local_ip && st.remote_ip == remote_ip && st.local_port == local_port &&
        st.remote_port == remote_port)
      return &s->conns[i];
  }
  return nullptr;
}

void unhash(TcpStack* s, TcpConn* c) {
  uint32_t h = tuple_hash(s, c->st.local_ip, c->st.remote_ip, c->st.local_port,
                          c->st.remote_port) &
               s->bucket_mask;
  uint32_t* link = &s->buckets[h];
  while (*link != kTcpNil && *link != c->id) link = &s->conns[*link].hash_next;
  if (*link == c->id) *link = c->hash_next;
  c->hash_next = kTcpNil;
}

TcpConn* alloc_conn(TcpStack* s, uint32_t local_ip, uint32_t remote_ip, uint16_t local_port,
                    uint16_t remote_port) {
  if (!can_alloc(s)) {
    ++s->counters.table_full;
    return nullptr;
  }
  TcpConn* c = &s->conns[s->free_head];
  s->free_head = c->hash_next;
  ++s->live;
  uint32_t id = c->id;
  std::memset(static_cast<void*>(c), 0, sizeof(*c));
  c->id = id;
  c->buf = s->buf_free[--s->buf_free_n];
  uint8_t* pair = s->buffers + size_t{c->buf} * (size_t{s->cfg.sndbuf} + s->cfg.rcvbuf);
  c->snd = TcpRing{pair, s->cfg.sndbuf - 1, 0, 0};
  c->rcv = TcpRing{pair + s->cfg.sndbuf, s->cfg.rcvbuf - 1, 0, 0};
  c->listener = kTcpNil;
  c->release_next = kTcpNil;
  c->in_use = true;
  TcpConnState& st = c->st;
  st.local_ip = local_ip;
  st.remote_ip = remote_ip;
  st.local_port = local_port;
  st.remote_port = remote_port;
  st.state = TcpConnStateId::kClosed;
  st.rcv_mss = s->cfg.mss;
  st.snd_mss = kDefaultMss;
  st.rto_us = s->cfg.rto_initial_us;
  st.ssthresh = UINT32_MAX / 2;
  st.created_us = s->now_us;
  st.last_rcv_us = s->now_us;
  uint32_t h = tuple_hash(s, local_ip, remote_ip, local_port, remote_port) & s->bucket_mask;
  c->hash_next = s->buckets[h];
  s->buckets[h] = c->id;
  return c;
}

}  // namespace

void conn_take_syn_options(TcpStack* s, TcpConn* c, const TcpSegment& seg) {
  TcpConnState& st = c->st;
  uint16_t mss = seg.opts.has_mss ? seg.opts.mss : kDefaultMss;
  if (mss > s->cfg.mss) mss = s->cfg.mss;
  if (mss < kMinMss) mss = kMinMss;
  st.snd_mss = mss;
  if (seg.opts.has_wscale && !s->cfg.no_window_scale) {
    st.wscale_ok = true;
    st.snd_wscale = seg.opts.wscale;
    st.rcv_wscale = s->rcv_wscale;
  } else {
    st.wscale_ok = false;
    st.snd_wscale = st.rcv_wscale = 0;
  }
  st.ts_enabled = seg.opts.has_ts && !s->cfg.no_timestamps;
  if (st.ts_enabled) st.ts_recent = seg.opts.ts_val;
  st.sack_enabled = seg.opts.sack_permitted && !s->cfg.no_sack;
  st.snd_wnd = seg.window;  // never scaled on a SYN (RFC 7323 2.2)
  st.max_snd_wnd = st.snd_wnd;
  st.snd_wl1 = seg.seq;
  st.snd_wl2 = seg.ack;
  st.cwnd = s->cfg.initial_cwnd_segs * st.snd_mss;
}

namespace {

int find_listener(const TcpStack* s, uint32_t ip, uint16_t port) {
  int any = -1;
  for (uint32_t i = 0; i < s->cfg.max_listeners; ++i) {
    const TcpListener& l = s->listeners[i];
    if (!l.in_use || l.port != port) continue;
    if (l.ip == ip) return static_cast<int>(i);
    if (l.ip == 0) any = static_cast<int>(i);
  }
  return any;
}

void send_cookie_syn_ack(TcpStack* s, const TcpSegment& syn) {
  uint16_t peer_mss = syn.opts.has_mss ? syn.opts.mss : kDefaultMss;
  uint8_t idx = tcp_cookie_mss_index(peer_mss);
  TcpSegment out{};
  out.tuple = TcpTuple{syn.tuple.dst_ip, syn.tuple.src_ip, syn.tuple.dst_port, syn.tuple.src_port};
  out.seq = tcp_cookie_make(s->secret, syn.tuple, syn.seq, idx, s->now_us);
  out.ack = syn.seq + 1;
  out.flags = kTcpSyn | kTcpAck;
  uint32_t wnd = s->cfg.rcvbuf;
  out.window = static_cast<uint16_t>(wnd > 0xffff ? 0xffff : wnd);
  out.opts.has_mss = true;
  out.opts.mss = s->cfg.mss;
  // Without a timestamp to carry them, the peer's window scale and SACK
  // permission would be forgotten: offer neither (as Linux does).
  if (syn.opts.has_ts && !s->cfg.no_timestamps) {
    bool ws = syn.opts.has_wscale && !s->cfg.no_window_scale;
    bool sack = syn.opts.sack_permitted && !s->cfg.no_sack;
    uint32_t enc = (ws ? syn.opts.wscale : kCookieWscaleNone) | (sack ? kCookieSackBit : 0);
    // The low bits carry the options. The peer keeps this TSval for PAWS,
    // so it must not be ahead of our clock: our next segments would look
    // older than it and be dropped for up to 31 ticks. Step back one period
    // instead (as Linux's cookie_init_timestamp does).
    uint32_t now_ts = tcp_ts_now(s);
    uint32_t ts = (now_ts & ~kCookieTsBits) | enc;
    if (seq_gt(ts, now_ts)) ts -= kCookieTsBits + 1;
    out.opts.has_ts = true;
    out.opts.ts_val = ts;
    out.opts.ts_ecr = syn.opts.ts_val;
    out.opts.has_wscale = ws;
    out.opts.wscale = s->rcv_wscale;
    out.opts.sack_permitted = sack;
  }
  ++s->counters.syn_cookies_sent;
  ++s->counters.segs_out;
  s->out.emit(s->out.ctx, out);
}

// The final ACK of a handshake we answered with a cookie.
void cookie_ack_input(TcpStack* s, int li, const TcpSegment& seg) {
  TcpListener& l = s->listeners[li];
  uint8_t idx = 0;
  if (!tcp_cookie_check(s->secret, seg.tuple, seg.seq - 1, seg.ack - 1, s->now_us, &idx)) {
    ++s->counters.syn_cookies_failed;
    send_rst_for(s, seg);
    return;
  }
  if (l.live >= l.max_conns) {
    ++s->counters.listen_overflows;
    return;
  }
  TcpConn* c = alloc_conn(s, seg.tuple.dst_ip, seg.tuple.src_ip, seg.tuple.dst_port,
                          seg.tuple.src_port);
  if (!c) return;  // the peer retransmits; maybe room then
  ++s->counters.syn_cookies_validated;
  TcpConnState& st = c->st;
  c->listener = static_cast<uint32_t>(li);
  ++l.live;
  st.flags = kTcpfPassive | kTcpfFromCookie | kTcpfSynAcked;
  st.iss = seg.ack - 1;
  st.irs = seg.seq - 1;
  st.snd_una = st.snd_nxt = st.snd_max = st.snd_buf_seq = seg.ack;
  st.rcv_nxt = seg.seq;
  st.recover = st.iss;
  TcpSegment syn_like = seg;  // the options the cookie kept, as if from the SYN
  syn_like.opts = TcpOptions{};
  syn_like.opts.has_mss = true;
  syn_like.opts.mss = kTcpCookieMss[idx];
  if (seg.opts.has_ts && !s->cfg.no_timestamps) {
    uint32_t enc = seg.opts.ts_ecr & kCookieTsBits;
    syn_like.opts.has_ts = true;
    syn_like.opts.ts_val = seg.opts.ts_val;
    if ((enc & kCookieWscaleNone) != kCookieWscaleNone) {
      syn_like.opts.has_wscale = true;
      syn_like.opts.wscale = static_cast<uint8_t>(enc & kCookieWscaleNone);
    }
    syn_like.opts.sack_permitted = enc & kCookieSackBit;
  }
  conn_take_syn_options(s, c, syn_like);
  st.snd_wnd = uint32_t{seg.window} << st.snd_wscale;
  st.max_snd_wnd = st.snd_wnd;
  st.rcv_adv = st.rcv_nxt + (uint32_t{conn_rcv_window_field(s, c, false)} << st.rcv_wscale);
  st.last_ack_sent = st.rcv_nxt;
  conn_set_state(s, c, TcpConnStateId::kEstablished);
  if (!conn_established(s, c)) return;
  // Data or FIN riding on the ACK goes through the normal path.
  if (seg.payload_len || (seg.flags & kTcpFin)) conn_input(s, c, seg);
  if (!conn_dead(c)) conn_rearm(s, c);
}

void listen_input(TcpStack* s, int li, const TcpSegment& seg) {
  TcpListener& l = s->listeners[li];
  if (seg.flags & kTcpRst) return;
  if (seg.flags & kTcpAck) {
    if (seg.flags & kTcpSyn) send_rst_for(s, seg);
    else cookie_ack_input(s, li, seg);
    return;
  }
  if (!(seg.flags & kTcpSyn)) return;
  if (l.live >= l.max_conns) {
    ++s->counters.listen_overflows;
    return;  // dropped: the client's SYN retransmission may find room
  }
  if (l.syn_recv >= l.syn_backlog || !can_alloc(s)) {
    send_cookie_syn_ack(s, seg);
    return;
  }
  TcpConn* c = alloc_conn(s, seg.tuple.dst_ip, seg.tuple.src_ip, seg.tuple.dst_port,
                          seg.tuple.src_port);
  if (!c) return;
  TcpConnState& st = c->st;
  c->listener = static_cast<uint32_t>(li);
  ++l.syn_recv;
  ++l.live;
  st.flags = kTcpfPassive;
  st.irs = seg.seq;
  st.rcv_nxt = seg.seq + 1;
  TcpTuple local{st.local_ip, st.remote_ip, st.local_port, st.remote_port};
  st.iss = tcp_iss(s->secret, local, s->now_us);
  st.snd_una = st.snd_nxt = st.snd_max = st.iss;
  st.snd_buf_seq = st.iss + 1;
  st.recover = st.iss;
  conn_take_syn_options(s, c, seg);
  conn_set_state(s, c, TcpConnStateId::kSynReceived);
  conn_send_syn(s, c);
  st.rexmt_at = s->now_us + st.rto_us;
  conn_rearm(s, c);
}

void timer_fire(void* ctx, uint32_t id, uint64_t now_us) {
  auto* s = static_cast<TcpStack*>(ctx);
  TcpConn* c = &s->conns[id];
  if (!conn_dead(c)) conn_timer_fire(s, c, now_us);
}

bool writable_state(TcpConnStateId st) {
  return st == TcpConnStateId::kEstablished || st == TcpConnStateId::kCloseWait ||
         st == TcpConnStateId::kSynSent || st == TcpConnStateId::kSynReceived;
}

}  // namespace

// ---- internals shared with tcp_input.cc / tcp_output.cc ----

bool conn_dead(const TcpConn* c) {
  return !c->in_use || c->st.state == TcpConnStateId::kClosed;
}

void conn_set_state(TcpStack* s, TcpConn* c, TcpConnStateId st) {
  // by_state counts live connections; kClosed is a free or finishing slot.
  if (c->st.state != TcpConnStateId::kClosed) --s->by_state[static_cast<unsigned>(c->st.state)];
  if (st != TcpConnStateId::kClosed) ++s->by_state[static_cast<unsigned>(st)];
  if (c->st.state == TcpConnStateId::kSynReceived && c->listener != kTcpNil &&
      s->listeners[c->listener].syn_recv > 0)
    --s->listeners[c->listener].syn_recv;
  c->st.state = st;
}

void conn_finish(TcpStack* s, TcpConn* c, TcpCloseReason why) {
  if (conn_dead(c)) return;
  conn_set_state(s, c, TcpConnStateId::kClosed);
  unhash(s, c);
  timer_cancel(s->wheel, c->id);
  if (c->listener != kTcpNil && s->listeners[c->listener].live > 0)
    --s->listeners[c->listener].live;
  c->release_next = s->release_head;
  s->release_head = c->id;
  ++s->counters.closed;
  const TcpCallbacks* cb = c->cb;
  c->cb = nullptr;
  if (cb && cb->on_closed) cb->on_closed(c->app, c, why);
}

bool conn_established(TcpStack* s, TcpConn* c) {
  TcpConnState& st = c->st;
  if (s->cfg.keepalive) st.keepalive_at = s->now_us + s->cfg.keepalive_idle_us;
  if (st.flags & kTcpfPassive) {
    ++s->counters.passive_opens;
    TcpListener* l = c->listener != kTcpNil ? &s->listeners[c->listener] : nullptr;
    if (!l || !l->in_use || !l->accept || !l->accept(l->ctx, c)) {
      if (!conn_dead(c)) {
        conn_send_rst(s, c);
        conn_finish(s, c, TcpCloseReason::kAborted);
      }
      return false;
    }
    st.flags |= kTcpfAccepted;
    return !conn_dead(c);
  }
  ++s->counters.active_opens;
  if (c->cb && c->cb->on_established) c->cb->on_established(c->app, c);
  return !conn_dead(c);
}

void conn_enter_time_wait(TcpStack* s, TcpConn* c) {
  TcpConnState& st = c->st;
  conn_set_state(s, c, TcpConnStateId::kTimeWait);
  st.rexmt_at = st.persist_at = st.keepalive_at = 0;
  st.timewait_at = s->now_us + 2ull * s->cfg.msl_us;
  st.flags &= ~(kTcpfPersist | kTcpfRttTiming);
  const TcpCallbacks* cb = c->cb;
  c->cb = nullptr;
  if (cb && cb->on_closed) cb->on_closed(c->app, c, TcpCloseReason::kNormal);
  // Bytes the application never read stay (tcp_read may still take them).
  if (c->rcv.used == 0 && c->snd.used == 0) release_buffers(s, c);
}

void conn_rtt_sample(TcpStack* s, TcpConn* c, uint64_t rtt_us) {
  TcpConnState& st = c->st;
  uint32_t r = rtt_us > UINT32_MAX / 2 ? UINT32_MAX / 2 : static_cast<uint32_t>(rtt_us);
  if (r == 0) r = 1;
  if (st.srtt_us == 0) {
    st.srtt_us = r;
    st.rttvar_us = r / 2;
  } else {
    uint32_t delta = st.srtt_us > r ? st.srtt_us - r : r - st.srtt_us;
    st.rttvar_us = st.rttvar_us - st.rttvar_us / 4 + delta / 4;
    st.srtt_us = st.srtt_us - st.srtt_us / 8 + r / 8;
  }
  uint64_t var = 4ull * st.rttvar_us;
  if (var < s->cfg.timer_tick_us) var = s->cfg.timer_tick_us;  // G, the clock granularity
  uint64_t rto = st.srtt_us + var;
  if (rto < s->cfg.rto_min_us) rto = s->cfg.rto_min_us;
  if (rto > s->cfg.rto_max_us) rto = s->cfg.rto_max_us;
  st.rto_us = static_cast<uint32_t>(rto);
}

void conn_notify(TcpStack* s, TcpConn* c, bool readable, bool writable) {
  (void)s;
  if (readable && !conn_dead(c) && c->cb && c->cb->on_readable) c->cb->on_readable(c->app, c);
  if (writable && !conn_dead(c) && (c->st.flags & kTcpfWantWritable) && tcp_send_room(c) > 0) {
    c->st.flags &= ~kTcpfWantWritable;
    if (c->cb && c->cb->on_writable) c->cb->on_writable(c->app, c);
  }
}

// ---- the stack ----

TcpConfig tcp_config_defaults(const TcpConfig& in) {
  TcpConfig c = in;
  auto dflt = [](auto& field, auto value) {
    if (field == 0) field = value;
  };
  dflt(c.max_conns, 1024u);
  if (c.max_buffers == 0 || c.max_buffers > c.max_conns) c.max_buffers = c.max_conns;
  dflt(c.max_listeners, 16u);
  dflt(c.sndbuf, 256u * 1024);
  dflt(c.rcvbuf, 256u * 1024);
  dflt(c.mss, uint16_t{1460});
  dflt(c.initial_cwnd_segs, 10u);
  dflt(c.rto_min_us, 200'000u);
  dflt(c.rto_max_us, 60'000'000u);
  dflt(c.rto_initial_us, 1'000'000u);
  dflt(c.max_retries, 15u);
  dflt(c.syn_retries, 6u);
  dflt(c.delack_us, 40'000u);
  dflt(c.msl_us, 30'000'000u);
  dflt(c.persist_min_us, c.rto_min_us);
  dflt(c.persist_max_us, 60'000'000u);
  dflt(c.keepalive_idle_us, 7200'000'000u);
  dflt(c.keepalive_intvl_us, 75'000'000u);
  dflt(c.keepalive_probes, 9u);
  dflt(c.challenge_ack_limit, 1000u);
  dflt(c.ephemeral_lo, uint16_t{32768});
  dflt(c.ephemeral_hi, uint16_t{60999});
  dflt(c.timer_tick_us, 1000u);
  dflt(c.timer_slots, 4096u);
  dflt(c.secret_seed, uint64_t{0x7a6e646d74637031ull});
  c.sndbuf = std::bit_ceil(c.sndbuf);
  c.rcvbuf = std::bit_ceil(c.rcvbuf);
  if (c.ephemeral_hi < c.ephemeral_lo) c.ephemeral_hi = c.ephemeral_lo;
  return c;
}

namespace {

struct Layout {
  size_t conns, buckets, listeners, wheel, buf_free, buffers, total;
  uint32_t nb_buckets;
};

Layout layout_of(const TcpConfig& cfg) {
  Layout l{};
  l.nb_buckets = std::bit_ceil(cfg.max_conns);
  size_t at = round_up(sizeof(TcpStack));
  l.conns = at;
  at += round_up(size_t{cfg.max_conns} * sizeof(TcpConn));
  l.buckets = at;
  at += round_up(size_t{l.nb_buckets} * sizeof(uint32_t));
  l.listeners = at;
  at += round_up(size_t{cfg.max_listeners} * sizeof(TcpListener));
  l.wheel = at;
  at += round_up(timer_wheel_memsize(cfg.max_conns, cfg.timer_slots));
  l.buf_free = at;
  at += round_up(size_t{cfg.max_buffers} * sizeof(uint32_t));
  l.buffers = at;
  at += size_t{cfg.max_buffers} * (size_t{cfg.sndbuf} + cfg.rcvbuf);
  l.total = at;
  return l;
}

}  // namespace

size_t tcp_stack_memsize(const TcpConfig& cfg) {
  return layout_of(tcp_config_defaults(cfg)).total;
}

TcpStack* tcp_stack_init(void* mem, const TcpConfig& cfg_in, const TcpOutput& out,
                         uint64_t now_us) {
  TcpConfig cfg = tcp_config_defaults(cfg_in);
  Layout lay = layout_of(cfg);
  auto* base = static_cast<uint8_t*>(mem);
  auto* s = new (base) TcpStack{};
  s->cfg = cfg;
  s->out = out;
  s->secret = TcpSecret{splitmix(cfg.secret_seed), splitmix(cfg.secret_seed ^ 0x5a5a5a5a5a5a5a5aull)};
  s->now_us = now_us;
  s->conns = reinterpret_cast<TcpConn*>(base + lay.conns);
  s->buckets = reinterpret_cast<uint32_t*>(base + lay.buckets);
  s->bucket_mask = lay.nb_buckets - 1;
  s->listeners = reinterpret_cast<TcpListener*>(base + lay.listeners);
  s->wheel = timer_wheel_init(base + lay.wheel, cfg.max_conns, cfg.timer_slots, cfg.timer_tick_us,
                              now_us);
  for (uint32_t i = 0; i < lay.nb_buckets; ++i) s->buckets[i] = kTcpNil;
  for (uint32_t i = 0; i < cfg.max_listeners; ++i) new (&s->listeners[i]) TcpListener{};
  s->buffers = base + lay.buffers;
  s->buf_free = reinterpret_cast<uint32_t*>(base + lay.buf_free);
  // Popped from the end: pair 0 goes to the first connection.
  for (uint32_t i = 0; i < cfg.max_buffers; ++i) s->buf_free[i] = cfg.max_buffers - 1 - i;
  s->buf_free_n = cfg.max_buffers;
  for (uint32_t i = 0; i < cfg.max_conns; ++i) {
    TcpConn* c = new (&s->conns[i]) TcpConn{};
    c->id = i;
    c->buf = kTcpNil;
    c->snd = TcpRing{nullptr, cfg.sndbuf - 1, 0, 0};
    c->rcv = TcpRing{nullptr, cfg.rcvbuf - 1, 0, 0};
    c->hash_next = i + 1 < cfg.max_conns ? i + 1 : kTcpNil;
    c->listener = kTcpNil;
    c->release_next = kTcpNil;
  }
  s->free_head = cfg.max_conns ? 0 : kTcpNil;
  s->release_head = kTcpNil;
  s->next_port = static_cast<uint16_t>(
      cfg.ephemeral_lo + splitmix(cfg.secret_seed ^ 1) % (uint32_t{cfg.ephemeral_hi} -
                                                           cfg.ephemeral_lo + 1));
  uint8_t ws = 0;
  while (ws < 14 && (cfg.rcvbuf >> ws) > 0xffff) ++ws;
  s->rcv_wscale = cfg.no_window_scale ? 0 : ws;
  return s;
}

void tcp_stack_input(TcpStack* s, const TcpSegment& seg, uint64_t now_us) {
  Depth depth(s);
  s->now_us = now_us;
  ++s->counters.segs_in;
  s->counters.bytes_in += seg.payload_len;
  const TcpTuple& t = seg.tuple;
  TcpConn* c = lookup(s, t.dst_ip, t.src_ip, t.dst_port, t.src_port);
  if (c && c->st.state == TcpConnStateId::kTimeWait && (seg.flags & kTcpSyn) &&
      !(seg.flags & (kTcpAck | kTcpRst)) && seq_gt(seg.seq, c->st.rcv_nxt) &&
      find_listener(s, t.dst_ip, t.dst_port) >= 0) {
    // A new incarnation may take over a TIME_WAIT tuple when its SYN is
    // beyond the old sequence space (RFC 9293 3.6.1).
    conn_finish(s, c, TcpCloseReason::kNormal);
    c = nullptr;
  }
  if (c) {
    conn_input(s, c, seg);
    if (!conn_dead(c)) conn_rearm(s, c);
    return;
  }
  int li = find_listener(s, t.dst_ip, t.dst_port);
  if (li >= 0) {
    listen_input(s, li, seg);
    return;
  }
  ++s->counters.no_listener;
  if (!(seg.flags & kTcpRst)) send_rst_for(s, seg);
}

void tcp_stack_advance(TcpStack* s, uint64_t now_us) {
  Depth depth(s);
  s->now_us = now_us;
  timer_wheel_advance(s->wheel, now_us, timer_fire, s);
}

int tcp_listen(TcpStack* s, uint32_t ip, uint16_t port, uint32_t syn_backlog, uint32_t max_conns,
               TcpAcceptFn accept, void* ctx) {
  int free_slot = -1;
  for (uint32_t i = 0; i < s->cfg.max_listeners; ++i) {
    const TcpListener& l = s->listeners[i];
    if (l.in_use && l.ip == ip && l.port == port) return -1;
    if (!l.in_use && free_slot < 0) free_slot = static_cast<int>(i);
  }
  if (free_slot < 0) return -1;
  s->listeners[free_slot] =
      TcpListener{true, ip, port, syn_backlog, max_conns ? max_conns : UINT32_MAX, 0, 0, accept,
                  ctx};
  return free_slot;
}

void tcp_unlisten(TcpStack* s, int li) {
  if (li < 0 || static_cast<uint32_t>(li) >= s->cfg.max_listeners) return;
  s->listeners[li].in_use = false;
  for (uint32_t i = 0; i < s->cfg.max_conns; ++i)
    if (s->conns[i].listener == static_cast<uint32_t>(li)) s->conns[i].listener = kTcpNil;
}

TcpConn* tcp_connect(TcpStack* s, uint32_t local_ip, uint32_t remote_ip, uint16_t remote_port,
                     TcpPortFilter filter, void* filter_ctx, const TcpCallbacks* cb, void* app) {
  Depth depth(s);
  if (!can_alloc(s)) {
    ++s->counters.table_full;
    return nullptr;
  }
  uint32_t span = uint32_t{s->cfg.ephemeral_hi} - s->cfg.ephemeral_lo + 1;
  for (uint32_t n = 0; n < span; ++n) {
    uint16_t port = s->next_port;
    s->next_port = port >= s->cfg.ephemeral_hi ? s->cfg.ephemeral_lo
                                               : static_cast<uint16_t>(port + 1);
    if (lookup(s, local_ip, remote_ip, port, remote_port)) continue;
    TcpTuple t{local_ip, remote_ip, port, remote_port};
    if (filter && !filter(filter_ctx, t)) continue;
    TcpConn* c = alloc_conn(s, local_ip, remote_ip, port, remote_port);
    if (!c) return nullptr;
    TcpConnState& st = c->st;
    c->cb = cb;
    c->app = app;
    st.iss = tcp_iss(s->secret, t, s->now_us);
    st.snd_una = st.snd_nxt = st.snd_max = st.iss;
    st.snd_buf_seq = st.iss + 1;
    st.recover = st.iss;
    st.cwnd = s->cfg.initial_cwnd_segs * st.snd_mss;
    conn_set_state(s, c, TcpConnStateId::kSynSent);
    conn_send_syn(s, c);
    st.rexmt_at = s->now_us + st.rto_us;
    conn_rearm(s, c);
    return c;
  }
  return nullptr;
}

void tcp_set_callbacks(TcpConn* c, const TcpCallbacks* cb, void* app) {
  c->cb = cb;
  c->app = app;
}

size_t tcp_readable(const TcpConn* c) { return c->in_use ? c->rcv.used : 0; }

size_t tcp_send_room(const TcpConn* c) {
  if (conn_dead(c) || (c->st.flags & kTcpfFinQueued) || !writable_state(c->st.state)) return 0;
  return ring_free(c->snd);
}

bool tcp_peer_closed(const TcpConn* c) {
  return conn_dead(c) || ((c->st.flags & kTcpfFinRcvd) && c->rcv.used == 0);
}

size_t tcp_read(TcpStack* s, TcpConn* c, void* buf, size_t len) {
  Depth depth(s);
  if (!c->in_use || (c->st.flags & kTcpfAppClosed)) return 0;
  uint32_t n = len < c->rcv.used ? static_cast<uint32_t>(len) : c->rcv.used;
  if (n == 0) return 0;
  const uint8_t *p1, *p2;
  uint32_t l1, l2;
  ring_span(c->rcv, 0, n, &p1, &l1, &p2, &l2);
  std::memcpy(buf, p1, l1);
  if (l2) std::memcpy(static_cast<uint8_t*>(buf) + l1, p2, l2);
  ring_consume(&c->rcv, n);
  if (conn_dead(c)) return n;
  // Receiver-side SWS avoidance (RFC 9293 3.8.6.2.2): announce the opened
  // window once it grew by min(half the buffer, one MSS).
  TcpConnState& st = c->st;
  uint32_t window = ring_free(c->rcv);
  uint32_t advertised = seq_gt(st.rcv_adv, st.rcv_nxt) ? st.rcv_adv - st.rcv_nxt : 0;
  uint32_t step = ring_size(c->rcv) / 2 < st.rcv_mss ? ring_size(c->rcv) / 2 : st.rcv_mss;
  if (window >= advertised + step && st.state != TcpConnStateId::kSynSent &&
      st.state != TcpConnStateId::kSynReceived && !(st.flags & kTcpfFinRcvd)) {
    st.flags |= kTcpfAckNow;
    conn_output(s, c);
    if (!conn_dead(c)) conn_rearm(s, c);
  }
  return n;
}

size_t tcp_write(TcpStack* s, TcpConn* c, const void* buf, size_t len) {
  Depth depth(s);
  size_t room = tcp_send_room(c);
  uint32_t n = static_cast<uint32_t>(len < room ? len : room);
  if (n < len) c->st.flags |= kTcpfWantWritable;
  if (n == 0) return 0;
  ring_put(&c->snd, 0, static_cast<const uint8_t*>(buf), n);
  c->snd.used += n;
  TcpConnState& st = c->st;
  if (st.state == TcpConnStateId::kEstablished || st.state == TcpConnStateId::kCloseWait) {
    conn_output(s, c);
    if (!conn_dead(c)) conn_rearm(s, c);
  }
  return n;
}

void tcp_shutdown(TcpStack* s, TcpConn* c) {
  Depth depth(s);
  if (conn_dead(c)) return;
  TcpConnState& st = c->st;
  if (st.flags & kTcpfFinQueued) return;
  if (st.state == TcpConnStateId::kSynSent) {
    conn_finish(s, c, TcpCloseReason::kNormal);
    return;
  }
  if (!writable_state(st.state)) return;
  st.flags |= kTcpfFinQueued;
  st.fin_seq = st.snd_buf_seq + c->snd.used;
  if (st.state == TcpConnStateId::kEstablished || st.state == TcpConnStateId::kCloseWait) {
    conn_output(s, c);
    if (!conn_dead(c)) conn_rearm(s, c);
  }
}

void tcp_close(TcpStack* s, TcpConn* c) {
  Depth depth(s);
  if (conn_dead(c)) return;
  if (c->rcv.used > 0) {
    tcp_abort(s, c);
    return;
  }
  c->st.flags |= kTcpfAppClosed;
  tcp_shutdown(s, c);
  // An orphan in FIN_WAIT_2 must not wait forever for a FIN that never
  // comes (as Linux's tcp_fin_timeout): it gets TIME_WAIT's lifetime.
  if (!conn_dead(c) && c->st.state == TcpConnStateId::kFinWait2) {
    c->st.timewait_at = s->now_us + 2ull * s->cfg.msl_us;
    conn_rearm(s, c);
  }
}

void tcp_abort(TcpStack* s, TcpConn* c) {
  Depth depth(s);
  if (conn_dead(c)) return;
  if (c->st.state != TcpConnStateId::kSynSent && c->st.state != TcpConnStateId::kTimeWait)
    conn_send_rst(s, c);
  conn_finish(s, c, TcpCloseReason::kAborted);
}

}  // namespace tandem::dp
