// The per-worker userspace TCP engine: connection table, listeners with
// SYN backlogs and SYN cookies, the RFC 9293 state machine, RFC 6298 RTO,
// NewReno congestion control, delayed ACKs, zero-window probes, keepalive
// and RFC 5961 challenge ACKs. The ZTNA proxy calls the application API
// (tcp_listen ... tcp_abort); the worker glue calls tcp_stack_input() for
// every received segment and tcp_stack_advance() once per loop, and turns
// what the stack emits through TcpOutput into mbufs.
//
// Pure and deterministic: time comes in as an argument, segments go out
// through a callback, nothing is allocated after tcp_stack_init (buffers
// are byte rings per connection inside the stack's block). One stack per
// worker, used by that worker only. See docs/tcp.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/tcp/tcp_cookie.h"
#include "dataplane/tcp/tcp_timer.h"
#include "dataplane/tcp/tcp_types.h"

namespace tandem::dp {

struct TcpConn;
struct TcpStack;

// Application callbacks of one connection. Any may be null. They run inside
// tcp_stack_input/advance or an API call, and may call the API (including
// tcp_close/tcp_abort on this or another connection).
struct TcpCallbacks {
  void (*on_established)(void* app, TcpConn* c);  // active open completed
  void (*on_readable)(void* app, TcpConn* c);     // new in-order data, or the peer's FIN
  void (*on_writable)(void* app, TcpConn* c);     // room again after a short tcp_write
  // The last call for `c`, exactly once for every connection the app was
  // given (also after tcp_close/tcp_abort); `c` must not be used after it.
  void (*on_closed)(void* app, TcpConn* c, TcpCloseReason why);
};

// A passive open reached ESTABLISHED. Return false to refuse it (the peer
// gets a RST); otherwise call tcp_set_callbacks on `c`.
using TcpAcceptFn = bool (*)(void* listen_ctx, TcpConn* c);

// How segments leave: the glue builds an mbuf (header via tcp_wire, payload
// from the two pieces). Called synchronously; the segment's payload
// pointers are valid only during the call.
struct TcpOutput {
  void (*emit)(void* ctx, const TcpSegment& seg);
  void* ctx;
};

// Active opens: accepts a candidate tuple (src = local) or not, so the glue
// can pick a source port whose RSS hash returns to this worker.
using TcpPortFilter = bool (*)(void* ctx, const TcpTuple& tuple);

inline constexpr unsigned kTcpMaxOoo = 16;  // out-of-order ranges held (and SACKed ranges known) per connection
inline constexpr uint32_t kTcpNil = UINT32_MAX;

struct TcpRing {
  uint8_t* data;
  uint32_t mask;  // size - 1 (size a power of two)
  uint32_t head;  // index of the first byte
  uint32_t used;
};

struct TcpConn {
  TcpConnState st;
  uint32_t id;         // slot index, also the timer node
  uint32_t hash_next;  // bucket chain, or free list
  uint32_t release_next;
  uint32_t listener;   // index, kTcpNil for active opens
  uint32_t buf;        // buffer pair held (kTcpNil: none, e.g. TIME_WAIT); its rings' data
  TcpRing snd, rcv;    // snd holds [snd_buf_seq, +used); rcv holds unread bytes then OOO
  TcpSackBlock ooo[kTcpMaxOoo];  // sorted, disjoint, beyond rcv_nxt
  uint8_t nb_ooo, ooo_last;      // ooo_last: range of the latest arrival (first SACK block)
  bool ooo_fin;                  // a FIN arrived out of order, at ooo_fin_seq
  bool in_use;
  uint32_t ooo_fin_seq;
  // Sender's SACK scoreboard: what the peer reported holding beyond
  // snd_una (sorted, disjoint), and in recovery the next sequence a hole
  // may be retransmitted from (one hole per duplicate ACK).
  TcpSackBlock sacked[kTcpMaxOoo];
  uint8_t nb_sacked;
  uint32_t rexmit_nxt;
  // Eifel (RFC 3522): a fast retransmit remembers the window it cut and its
  // own timestamp; if the first ACK of new data echoes an older one, the
  // original had only been reordered and the cut is undone.
  bool undo_armed;
  uint32_t undo_ts, undo_cwnd, undo_ssthresh;
  uint32_t ack_ts_ecr;  // TSecr of the segment being processed (0: none)
  const TcpCallbacks* cb;
  void* app;
};

struct TcpListener {
  bool in_use;
  uint32_t ip;  // 0: any local address
  uint16_t port;
  uint32_t syn_backlog;  // SYN_RECEIVED connections before cookies
  uint32_t max_conns;    // live connections from this listener (others dropped)
  uint32_t syn_recv, live;
  TcpAcceptFn accept;
  void* ctx;
};

struct TcpStack {
  TcpConfig cfg;
  TcpOutput out;
  TcpSecret secret;
  uint64_t now_us;
  TimerWheel* wheel;
  TcpConn* conns;
  uint32_t* buckets;
  uint32_t bucket_mask;
  uint32_t free_head;
  uint32_t* buf_free;     // free buffer pairs, a stack of buf_free_n indices
  uint32_t buf_free_n;
  uint8_t* buffers;       // max_buffers x (sndbuf + rcvbuf)
  uint32_t release_head;  // finished slots, freed when the outermost call returns
  uint32_t live;
  uint32_t depth;         // API/callback nesting
  TcpListener* listeners;
  uint16_t next_port;
  uint8_t rcv_wscale;
  uint32_t challenge_acks_this_second;
  uint64_t challenge_second;
  uint32_t by_state[kNbTcpConnStates];
  TcpCounters counters;
};

// Fills the zero fields of `cfg` with defaults.
TcpConfig tcp_config_defaults(const TcpConfig& cfg);
// Bytes for a stack of this (defaulted) config.
size_t tcp_stack_memsize(const TcpConfig& cfg);
// Lays out a stack in `mem` (64-byte aligned, tcp_stack_memsize bytes).
TcpStack* tcp_stack_init(void* mem, const TcpConfig& cfg, const TcpOutput& out, uint64_t now_us);

// One received segment (checksums already verified by the glue).
void tcp_stack_input(TcpStack* s, const TcpSegment& seg, uint64_t now_us);
// Fires the timers due at now_us.
void tcp_stack_advance(TcpStack* s, uint64_t now_us);

// Listener on ip:port (ip 0 = any). Returns its index, or -1 when the table
// is full or the pair is taken.
int tcp_listen(TcpStack* s, uint32_t ip, uint16_t port, uint32_t syn_backlog, uint32_t max_conns,
               TcpAcceptFn accept, void* ctx);
// Stops new connections on the listener; established ones live on.
void tcp_unlisten(TcpStack* s, int listener);

// Active open from local_ip to remote_ip:remote_port with an ephemeral port
// the filter accepts (null: any). Returns nullptr when no slot or no port.
TcpConn* tcp_connect(TcpStack* s, uint32_t local_ip, uint32_t remote_ip, uint16_t remote_port,
                     TcpPortFilter filter, void* filter_ctx, const TcpCallbacks* cb, void* app);
void tcp_set_callbacks(TcpConn* c, const TcpCallbacks* cb, void* app);

// Copies up to len in-order bytes out; 0 when none (see tcp_peer_closed).
size_t tcp_read(TcpStack* s, TcpConn* c, void* buf, size_t len);
// Bytes accepted into the send ring (maybe fewer than len; on_writable
// follows when room comes back). 0 after shutdown or on a dead connection.
size_t tcp_write(TcpStack* s, TcpConn* c, const void* buf, size_t len);
// Sends FIN after the queued data; reading goes on.
void tcp_shutdown(TcpStack* s, TcpConn* c);
// Shutdown and no more reading; with unread data, an abort (RFC 9293 3.10.4).
void tcp_close(TcpStack* s, TcpConn* c);
// RST now.
void tcp_abort(TcpStack* s, TcpConn* c);

size_t tcp_readable(const TcpConn* c);
size_t tcp_send_room(const TcpConn* c);
bool tcp_peer_closed(const TcpConn* c);  // the peer's FIN is in and all data read
inline const TcpConnState& tcp_conn_state(const TcpConn* c) { return c->st; }
inline const TcpCounters& tcp_stack_counters(const TcpStack* s) { return s->counters; }

const char* tcp_state_name(TcpConnStateId st);
const char* tcp_close_reason_name(TcpCloseReason why);
// One `diagnose sys tcp list` line (with newline) into buf; returns length.
size_t tcp_format_conn(const TcpConn& c, uint64_t now_us, char* buf, size_t len);
// The per-stack counters, one `name=value` per line.
size_t tcp_format_counters(const TcpCounters& k, char* buf, size_t len);

// Calls fn(ctx, conn) for every live connection.
template <typename Fn>
void tcp_stack_for_each(const TcpStack* s, Fn&& fn) {
  for (uint32_t i = 0; i < s->cfg.max_conns; ++i)
    if (s->conns[i].in_use) fn(s->conns[i]);
}

}  // namespace tandem::dp
