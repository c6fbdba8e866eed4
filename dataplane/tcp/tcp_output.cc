// Sending (data within min(cwnd, snd_wnd), FIN, ACKs with SACK blocks,
// SYN/SYN-ACK, RST) and the per-connection timers: retransmission (RFC
// 6298), delayed ACK, persist (zero-window probes), keepalive, TIME_WAIT.
#include <initializer_list>

#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_conn.h"
#include "dataplane/tcp/tcp_inl.h"
#include "dataplane/tcp/tcp_wire.h"

namespace tandem::dp {
namespace {

constexpr uint32_t kTsHz = 1000;  // timestamp clock: 1 ms (RFC 7323 suggests 1 ms - 1 s)
constexpr uint8_t kMaxBackoffShift = 16;

bool sends_data(TcpConnStateId st) {
  return st == TcpConnStateId::kEstablished || st == TcpConnStateId::kCloseWait ||
         st == TcpConnStateId::kFinWait1 || st == TcpConnStateId::kClosing ||
         st == TcpConnStateId::kLastAck;
}

TcpSegment base_segment(const TcpStack* s, const TcpConn* c, uint32_t seq, uint8_t flags) {
  const TcpConnState& st = c->st;
  TcpSegment seg{};
  seg.tuple = TcpTuple{st.local_ip, st.remote_ip, st.local_port, st.remote_port};
  seg.seq = seq;
  seg.ack = st.rcv_nxt;
  seg.flags = flags;
  seg.window = conn_rcv_window_field(s, c, false);
  if (st.ts_enabled) {
    seg.opts.has_ts = true;
    seg.opts.ts_val = tcp_ts_now(s);
    seg.opts.ts_ecr = st.ts_recent;
  }
  if (st.sack_enabled && c->nb_ooo > 0) {
    // RFC 2018 4: the block holding the latest arrival first, then the rest.
    seg.opts.sack[seg.opts.nb_sack++] = c->ooo[c->ooo_last];
    for (uint8_t i = 0; i < c->nb_ooo && seg.opts.nb_sack < kTcpMaxSackBlocks; ++i)
      if (i != c->ooo_last) seg.opts.sack[seg.opts.nb_sack++] = c->ooo[i];
  }
  return seg;
}

void emit(TcpStack* s, TcpConn* c, const TcpSegment& seg) {
  TcpConnState& st = c->st;
  ++s->counters.segs_out;
  s->counters.bytes_out += seg.payload_len + seg.payload2_len;
  if (seg.flags & kTcpAck) {
    st.last_ack_sent = st.rcv_nxt;
    if (!(seg.flags & kTcpSyn)) st.rcv_adv = st.rcv_nxt + (uint32_t{seg.window} << st.rcv_wscale);
    st.flags &= ~(kTcpfAckNow | kTcpfDelAck);
    st.delack_at = 0;
    st.segs_since_ack = 0;
  }
  s->out.emit(s->out.ctx, seg);
}

// Payload bytes a segment may carry beside the options it has.
uint32_t payload_room(const TcpConn* c, const TcpSegment& seg) {
  size_t opts = tcp_wire_header_len(seg) - kTcpHeaderLen;
  return c->st.snd_mss > opts ? static_cast<uint32_t>(c->st.snd_mss - opts) : 1;
}

void attach_payload(const TcpConn* c, TcpSegment* seg, uint32_t seq, uint32_t len) {
  ring_span(c->snd, seq - c->st.snd_buf_seq, len, &seg->payload, &seg->payload_len,
            &seg->payload2, &seg->payload2_len);
}

uint32_t data_end(const TcpConn* c) { return c->st.snd_buf_seq + c->snd.used; }

uint64_t backed_off(uint32_t base_us, uint8_t shift, uint64_t max_us) {
  uint64_t v = uint64_t{base_us} << (shift > kMaxBackoffShift ? kMaxBackoffShift : shift);
  return v > max_us ? max_us : v;
}

// One segment from `seq` (a retransmission: fast retransmit, partial ACK,
// persist probe); snd_nxt does not move.
void send_at(TcpStack* s, TcpConn* c, uint32_t seq, uint32_t max_len) {
  TcpConnState& st = c->st;
  TcpSegment seg = base_segment(s, c, seq, kTcpAck);
  uint32_t end = data_end(c);
  uint32_t len = seq_lt(seq, end) ? end - seq : 0;
  uint32_t room = payload_room(c, seg);
  if (len > room) len = room;
  if (len > max_len) len = max_len;
  if (len) attach_payload(c, &seg, seq, len);
  if ((st.flags & kTcpfFinSent) && seq + len == st.fin_seq) seg.flags |= kTcpFin;
  if (len == 0 && !(seg.flags & kTcpFin)) return;
  if (seq_lt(seq, st.snd_max)) ++s->counters.retransmits;
  if ((st.flags & kTcpfRttTiming) && seq_leq(seq, st.rtt_seq)) st.flags &= ~kTcpfRttTiming;  // Karn
  st.snd_max = seq_max(st.snd_max, seq + len + ((seg.flags & kTcpFin) ? 1 : 0));
  emit(s, c, seg);
}

void on_rexmt(TcpStack* s, TcpConn* c, uint64_t now) {
  TcpConnState& st = c->st;
  ++st.rto_backoff;
  if (st.state == TcpConnStateId::kSynSent || st.state == TcpConnStateId::kSynReceived) {
    if (st.rto_backoff > s->cfg.syn_retries) {
      conn_finish(s, c, TcpCloseReason::kTimeout);
      return;
    }
    ++s->counters.rto_events;
    conn_send_syn(s, c);
    st.rexmt_at = now + backed_off(st.rto_us, st.rto_backoff, s->cfg.rto_max_us);
    return;
  }
  if (st.snd_una == st.snd_max) return;
  if (st.rto_backoff > s->cfg.max_retries) {
    conn_send_rst(s, c);
    conn_finish(s, c, TcpCloseReason::kTimeout);
    return;
  }
  if (st.snd_wnd == 0 && seq_lt(st.snd_una, data_end(c))) {
    // The peer's window is shut, not the path: probe instead of collapsing cwnd.
    st.flags |= kTcpfPersist;
    st.snd_nxt = st.snd_una;
    st.rto_backoff = 0;
    st.persist_at = now + backed_off(st.rto_us, 0, s->cfg.persist_max_us);
    return;
  }
  // RFC 6298 5.4-5.6 and RFC 5681 (3.1, eq. 4): back off, one segment,
  // go back to snd_una; RFC 6582: recovery ends, recover = snd_max.
  ++s->counters.rto_events;
  uint32_t flight = st.snd_max - st.snd_una;
  uint32_t half = flight / 2;
  st.ssthresh = half > 2u * st.snd_mss ? half : 2u * st.snd_mss;
  st.cwnd = st.snd_mss;
  st.cwnd_acc = 0;
  st.recover = st.snd_max;
  st.dupacks = 0;
  st.flags &= ~(kTcpfInRecovery | kTcpfRttTiming);
  st.snd_nxt = st.snd_una;
  // Go back N from snd_una: the scoreboard starts over (RFC 6675 allows
  // keeping it; forgetting only costs resending what the peer may hold).
  c->nb_sacked = 0;
  c->rexmit_nxt = st.snd_una;
  c->undo_armed = false;
  uint64_t rto = backed_off(st.rto_us, 1, s->cfg.rto_max_us);
  st.rto_us = static_cast<uint32_t>(rto);
  st.rexmt_at = 0;
  // Forced: a peer window below one segment would otherwise pass sender SWS
  // avoidance's "not worth it" and the timeout would resend nothing, on
  // every backoff, until the retries ran out (RFC 9293 3.8.6.2.1: the
  // override timeout sends what the window takes).
  conn_output_forced(s, c);
  if (!conn_dead(c) && st.rexmt_at == 0 && st.snd_una != st.snd_max) st.rexmt_at = now + st.rto_us;
}

void output(TcpStack* s, TcpConn* c, bool force);

void on_persist(TcpStack* s, TcpConn* c, uint64_t now) {
  TcpConnState& st = c->st;
  if (!(st.flags & kTcpfPersist)) return;
  if (st.snd_wnd > 0) {
    // A window too small for SWS avoidance's taste: send into it anyway,
    // or a peer that never opens wider would stall us for good.
    st.flags &= ~kTcpfPersist;
    st.rto_backoff = 0;
    output(s, c, true);
    return;
  }
  ++s->counters.zero_window_probes;
  // RFC 9293 3.8.6.1: one octet beyond the window; the reply carries the
  // current window.
  send_at(s, c, st.snd_una, 1);
  if (st.rto_backoff < kMaxBackoffShift) ++st.rto_backoff;
  uint64_t next = backed_off(st.rto_us, st.rto_backoff, s->cfg.persist_max_us);
  if (next < s->cfg.persist_min_us) next = s->cfg.persist_min_us;
  st.persist_at = now + next;
}

void on_keepalive(TcpStack* s, TcpConn* c, uint64_t now) {
  TcpConnState& st = c->st;
  st.keepalive_at = 0;
  if (st.state != TcpConnStateId::kEstablished && st.state != TcpConnStateId::kCloseWait) return;
  if (st.snd_una != st.snd_max) {  // data in flight: the RTO watches the path
    st.keepalive_at = now + s->cfg.keepalive_intvl_us;
    return;
  }
  uint64_t idle_until = st.last_rcv_us + s->cfg.keepalive_idle_us;
  if (st.keepalive_probes == 0 && now < idle_until) {
    st.keepalive_at = idle_until;
    return;
  }
  if (st.keepalive_probes >= s->cfg.keepalive_probes) {
    ++s->counters.keepalive_timeouts;
    conn_send_rst(s, c);
    conn_finish(s, c, TcpCloseReason::kKeepalive);
    return;
  }
  // RFC 9293 3.8.4: SEG.SEQ = SND.NXT - 1 draws an ACK from a live peer.
  ++st.keepalive_probes;
  ++s->counters.keepalive_probes;
  TcpSegment seg = base_segment(s, c, st.snd_una - 1, kTcpAck);
  emit(s, c, seg);
  st.keepalive_at = now + s->cfg.keepalive_intvl_us;
}

}  // namespace

uint32_t tcp_ts_now(const TcpStack* s) {
  return static_cast<uint32_t>(s->now_us / (1'000'000 / kTsHz));
}

uint16_t conn_rcv_window_field(const TcpStack* s, const TcpConn* c, bool syn) {
  (void)s;
  uint32_t free = ring_free(c->rcv);
  uint32_t field = syn ? free : free >> c->st.rcv_wscale;
  return static_cast<uint16_t>(field > 0xffff ? 0xffff : field);
}

void conn_send_syn(TcpStack* s, TcpConn* c) {
  TcpConnState& st = c->st;
  bool active = st.state == TcpConnStateId::kSynSent;
  TcpSegment seg{};
  seg.tuple = TcpTuple{st.local_ip, st.remote_ip, st.local_port, st.remote_port};
  seg.seq = st.iss;
  seg.ack = active ? 0 : st.rcv_nxt;
  seg.flags = active ? kTcpSyn : kTcpSyn | kTcpAck;
  seg.window = conn_rcv_window_field(s, c, true);
  seg.opts.has_mss = true;
  seg.opts.mss = st.rcv_mss;
  // Active: offer what the config allows; passive (or simultaneous open):
  // only what was negotiated from the peer's SYN.
  seg.opts.has_wscale = active ? !s->cfg.no_window_scale : st.wscale_ok;
  seg.opts.wscale = s->rcv_wscale;
  seg.opts.sack_permitted = active ? !s->cfg.no_sack : st.sack_enabled;
  seg.opts.has_ts = active ? !s->cfg.no_timestamps : st.ts_enabled;
  seg.opts.ts_val = tcp_ts_now(s);
  seg.opts.ts_ecr = active ? 0 : st.ts_recent;
  if (st.snd_max != st.iss) {
    ++s->counters.retransmits;
    st.flags &= ~kTcpfRttTiming;  // Karn: no sample from a retransmitted SYN
  } else {
    st.flags |= kTcpfRttTiming;
    st.rtt_seq = st.iss;
    st.rtt_start_us = s->now_us;
  }
  st.snd_nxt = st.iss + 1;
  st.snd_max = seq_max(st.snd_max, st.snd_nxt);
  emit(s, c, seg);
}

namespace {

// The sequence number of a segment without data (an ACK, a RST): snd_max,
// not snd_nxt, since after an RTO rewound snd_nxt the peer's window already
// starts past it (as BSD). But never past the window's right edge: bytes
// we sent beyond a window the peer has since offered smaller (a probe byte
// into a zero window, segments it dropped) would put the segment outside
// its window, and the peer would drop every ACK we send, its own data's
// included, and ignore our RST (Linux: tcp_acceptable_seq).
uint32_t acceptable_seq(const TcpConnState& st) {
  uint32_t edge = st.snd_una + st.snd_wnd;
  return seq_gt(st.snd_max, edge) ? edge : st.snd_max;
}

}  // namespace

void conn_send_ack(TcpStack* s, TcpConn* c) {
  TcpSegment seg = base_segment(s, c, acceptable_seq(c->st), kTcpAck);
  emit(s, c, seg);
}

void conn_send_challenge_ack(TcpStack* s, TcpConn* c) {
  uint64_t second = s->now_us / 1'000'000;
  if (second != s->challenge_second) {
    s->challenge_second = second;
    s->challenge_acks_this_second = 0;
  }
  if (s->challenge_acks_this_second >= s->cfg.challenge_ack_limit) {
    ++s->counters.challenge_acks_limited;
    return;
  }
  ++s->challenge_acks_this_second;
  ++s->counters.challenge_acks;
  conn_send_ack(s, c);
}

void conn_send_rst(TcpStack* s, TcpConn* c) {
  TcpSegment seg{};
  const TcpConnState& st = c->st;
  seg.tuple = TcpTuple{st.local_ip, st.remote_ip, st.local_port, st.remote_port};
  seg.seq = acceptable_seq(st);
  seg.ack = st.rcv_nxt;
  seg.flags = kTcpRst | kTcpAck;
  ++s->counters.resets_sent;
  ++s->counters.segs_out;
  s->out.emit(s->out.ctx, seg);
}

void send_rst_for(TcpStack* s, const TcpSegment& in) {
  TcpSegment seg{};
  seg.tuple = TcpTuple{in.tuple.dst_ip, in.tuple.src_ip, in.tuple.dst_port, in.tuple.src_port};
  if (in.flags & kTcpAck) {
    seg.seq = in.ack;
    seg.flags = kTcpRst;
  } else {
    seg.seq = 0;
    seg.ack = in.seq + in.payload_len + ((in.flags & kTcpSyn) ? 1 : 0) +
              ((in.flags & kTcpFin) ? 1 : 0);
    seg.flags = kTcpRst | kTcpAck;
  }
  ++s->counters.resets_sent;
  ++s->counters.segs_out;
  s->out.emit(s->out.ctx, seg);
}

void conn_output(TcpStack* s, TcpConn* c) { output(s, c, false); }
void conn_output_forced(TcpStack* s, TcpConn* c) { output(s, c, true); }

namespace {

void output(TcpStack* s, TcpConn* c, bool force) {
  TcpConnState& st = c->st;
  if (conn_dead(c)) return;
  if (!sends_data(st.state)) {
    // SYN states send only their SYN (timers); FIN_WAIT_2 and TIME_WAIT only ACKs.
    if ((st.flags & kTcpfAckNow) && st.state != TcpConnStateId::kSynSent &&
        st.state != TcpConnStateId::kSynReceived)
      conn_send_ack(s, c);
    return;
  }
  for (;;) {
    TcpSegment seg = base_segment(s, c, st.snd_nxt, kTcpAck);
    uint32_t end = data_end(c);
    uint32_t avail = seq_lt(st.snd_nxt, end) ? end - st.snd_nxt : 0;
    uint32_t wnd = st.snd_wnd < st.cwnd ? st.snd_wnd : st.cwnd;
    uint32_t inflight = st.snd_nxt - st.snd_una;
    uint32_t usable = wnd > inflight ? wnd - inflight : 0;
    uint32_t room = payload_room(c, seg);
    uint32_t len = avail < usable ? avail : usable;
    if (len > room) len = room;
    // Sender SWS avoidance (RFC 9293 3.8.6.2.1): a full segment, all that
    // is queued, or half the largest window the peer ever offered. No
    // Nagle: the proxy relays what it has at once.
    if (!force && len > 0 && len < room && len < avail && len < st.max_snd_wnd / 2) len = 0;
    bool fin = (st.flags & kTcpfFinQueued) && st.snd_nxt + len == st.fin_seq &&
               seq_geq(st.snd_nxt + len, end);
    if (len == 0 && !fin) {
      if (st.flags & kTcpfAckNow) conn_send_ack(s, c);
      break;
    }
    if (len) {
      attach_payload(c, &seg, st.snd_nxt, len);
      if (st.snd_nxt + len == end) seg.flags |= kTcpPsh;
      if (seq_lt(st.snd_nxt, st.snd_max)) {
        ++s->counters.retransmits;
        if ((st.flags & kTcpfRttTiming) && seq_geq(st.rtt_seq, st.snd_nxt))
          st.flags &= ~kTcpfRttTiming;  // Karn
      } else if (!(st.flags & kTcpfRttTiming)) {
        st.flags |= kTcpfRttTiming;
        st.rtt_seq = st.snd_nxt;
        st.rtt_start_us = s->now_us;
      }
    }
    if (fin) {
      seg.flags |= kTcpFin;
      if (!(st.flags & kTcpfFinSent)) {
        st.flags |= kTcpfFinSent;
        if (st.state == TcpConnStateId::kEstablished)
          conn_set_state(s, c, TcpConnStateId::kFinWait1);
        else if (st.state == TcpConnStateId::kCloseWait)
          conn_set_state(s, c, TcpConnStateId::kLastAck);
      } else if (seq_lt(st.fin_seq, st.snd_max)) {
        if (len == 0) ++s->counters.retransmits;
      }
    }
    st.snd_nxt += len + (fin ? 1 : 0);
    st.snd_max = seq_max(st.snd_max, st.snd_nxt);
    if (st.rexmt_at == 0) st.rexmt_at = s->now_us + st.rto_us;
    emit(s, c, seg);
    if (fin) break;
  }
  // Data waits but nothing is in flight to bring an ACK: probe the window.
  uint32_t end = data_end(c);
  if (seq_lt(st.snd_nxt, end) && st.snd_una == st.snd_max && !(st.flags & kTcpfPersist)) {
    st.flags |= kTcpfPersist;
    st.rexmt_at = 0;
    uint64_t at = st.rto_us < s->cfg.persist_min_us ? s->cfg.persist_min_us : st.rto_us;
    st.persist_at = s->now_us + at;
  }
}

}  // namespace

void conn_timer_fire(TcpStack* s, TcpConn* c, uint64_t now) {
  TcpConnState& st = c->st;
  if (st.timewait_at && st.timewait_at <= now) {
    conn_finish(s, c, TcpCloseReason::kNormal);
    return;
  }
  if (st.delack_at && st.delack_at <= now) {
    st.delack_at = 0;
    if (st.flags & kTcpfDelAck) {
      st.flags |= kTcpfAckNow;
      conn_output(s, c);
      if (conn_dead(c)) return;
    }
  }
  if (st.rexmt_at && st.rexmt_at <= now) {
    st.rexmt_at = 0;
    on_rexmt(s, c, now);
    if (conn_dead(c)) return;
  }
  if (st.persist_at && st.persist_at <= now) {
    st.persist_at = 0;
    on_persist(s, c, now);
    if (conn_dead(c)) return;
  }
  if (st.keepalive_at && st.keepalive_at <= now) {
    on_keepalive(s, c, now);
    if (conn_dead(c)) return;
  }
  conn_rearm(s, c);
}

void conn_rearm(TcpStack* s, TcpConn* c) {
  const TcpConnState& st = c->st;
  uint64_t next = 0;
  for (uint64_t t : {st.rexmt_at, st.persist_at, st.delack_at, st.keepalive_at, st.timewait_at})
    if (t && (next == 0 || t < next)) next = t;
  if (next) timer_arm(s->wheel, c->id, next);
  else timer_cancel(s->wheel, c->id);
}

}  // namespace tandem::dp
