// A segment arrives for an existing connection: RFC 9293 3.10.7.3-4 in its
// order (PAWS, sequence check, RST, SYN, ACK, data, FIN) with the RFC 5961
// protections, NewReno's ACK processing (RFC 5681, RFC 6582), reassembly of
// out-of-order data straight into the receive ring, and delayed ACKs.
#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_conn.h"
#include "dataplane/tcp/tcp_inl.h"

namespace tandem::dp {
namespace {

constexpr uint32_t kAckEvery = 2;  // segments (RFC 9293 3.8.6.3: at least every 2nd)

bool receives_data(TcpConnStateId st) {
  return st == TcpConnStateId::kEstablished || st == TcpConnStateId::kFinWait1 ||
         st == TcpConnStateId::kFinWait2;
}

void recompute_rto(TcpStack* s, TcpConnState& st) {
  if (st.srtt_us == 0) return;
  uint64_t var = 4ull * st.rttvar_us;
  if (var < s->cfg.timer_tick_us) var = s->cfg.timer_tick_us;
  uint64_t rto = st.srtt_us + var;
  if (rto < s->cfg.rto_min_us) rto = s->cfg.rto_min_us;
  if (rto > s->cfg.rto_max_us) rto = s->cfg.rto_max_us;
  st.rto_us = static_cast<uint32_t>(rto);
}

// One segment from seq (fast retransmit, partial ACK).
void retransmit_first(TcpStack* s, TcpConn* c) {
  TcpConnState& st = c->st;
  uint32_t saved_nxt = st.snd_nxt;
  uint32_t saved_cwnd = st.cwnd;
  // Reuse the normal sender for one segment at snd_una: rewind, open the
  // window for exactly one segment, restore.
  st.snd_nxt = st.snd_una;
  st.cwnd = st.snd_mss;
  uint32_t saved_wnd = st.snd_wnd;
  if (st.snd_wnd < st.snd_mss) st.snd_wnd = st.snd_mss;
  conn_output(s, c);
  st.snd_wnd = saved_wnd;
  st.cwnd = saved_cwnd;
  st.snd_nxt = seq_max(saved_nxt, st.snd_nxt);
}

// The peer's SACK blocks into the scoreboard (RFC 2018): blocks at or
// below the ACK (D-SACK) or beyond snd_max are ignored; overlapping and
// adjacent ranges merge; when the board is full the lowest range goes
// (the highest ones say most about what is lost).
void sack_update(TcpConn* c, const TcpSegment& seg, uint32_t ack) {
  const TcpConnState& st = c->st;
  for (uint8_t b = 0; b < seg.opts.nb_sack && b < kTcpMaxSackBlocks; ++b) {
    TcpSackBlock m = seg.opts.sack[b];
    if (!seq_lt(m.left, m.right) || seq_leq(m.right, ack) || seq_gt(m.right, st.snd_max)) continue;
    m.left = seq_max(m.left, ack);
    TcpSackBlock out[kTcpMaxOoo + 1];
    uint8_t keep = 0;
    for (uint8_t i = 0; i < c->nb_sacked; ++i) {
      const TcpSackBlock& r = c->sacked[i];
      if (seq_leq(r.left, m.right) && seq_geq(r.right, m.left)) {
        m.left = seq_min(m.left, r.left);
        m.right = seq_max(m.right, r.right);
      } else {
        out[keep++] = r;
      }
    }
    uint8_t pos = 0;
    while (pos < keep && seq_lt(out[pos].left, m.left)) ++pos;
    for (uint8_t i = keep; i > pos; --i) out[i] = out[i - 1];
    out[pos] = m;
    ++keep;
    uint8_t from = keep > kTcpMaxOoo ? static_cast<uint8_t>(keep - kTcpMaxOoo) : 0;
    c->nb_sacked = static_cast<uint8_t>(keep - from);
    for (uint8_t i = 0; i < c->nb_sacked; ++i) c->sacked[i] = out[from + i];
  }
}

// snd_una moved: ranges it passed are acknowledged for good.
void sack_prune(TcpConn* c) {
  uint32_t una = c->st.snd_una;
  uint8_t keep = 0;
  for (uint8_t i = 0; i < c->nb_sacked; ++i) {
    TcpSackBlock r = c->sacked[i];
    if (seq_leq(r.right, una)) continue;
    r.left = seq_max(r.left, una);
    c->sacked[keep++] = r;
  }
  c->nb_sacked = keep;
}

// In recovery, with SACK: the next hole at or after rexmit_nxt that lies
// below SACKed data is resent (at most one segment), so several losses in
// a window are repaired in one RTT instead of one per partial ACK (the
// NewReno limit that made 2 % loss cost an RTO every few windows).
bool sack_retransmit_hole(TcpStack* s, TcpConn* c) {
  TcpConnState& st = c->st;
  if (!st.sack_enabled || c->nb_sacked == 0) return false;
  uint32_t seq = seq_max(c->rexmit_nxt, st.snd_una);
  for (uint8_t i = 0; i < c->nb_sacked; ++i) {
    const TcpSackBlock& r = c->sacked[i];
    if (seq_geq(seq, r.right)) continue;
    if (seq_geq(seq, r.left)) {
      seq = r.right;
      continue;
    }
    uint32_t len = r.left - seq;
    if (len > st.snd_mss) len = st.snd_mss;
    // The normal sender for exactly [seq, seq + len): rewind, open the
    // window that far, restore.
    uint32_t saved_nxt = st.snd_nxt, saved_cwnd = st.cwnd, saved_wnd = st.snd_wnd;
    st.snd_nxt = seq;
    st.cwnd = seq - st.snd_una + len;
    if (st.snd_wnd < st.cwnd) st.snd_wnd = st.cwnd;
    conn_output_forced(s, c);
    st.snd_wnd = saved_wnd;
    st.cwnd = saved_cwnd;
    st.snd_nxt = seq_max(saved_nxt, st.snd_nxt);
    c->rexmit_nxt = seq + len;
    return true;
  }
  return false;
}

// ACK of new data (RFC 5681 3.1, RFC 6582 3.2 steps 3-4, RFC 6298 5.2-5.3).
// Returns true when send-ring room was freed.
bool new_ack(TcpStack* s, TcpConn* c, uint32_t ack) {
  TcpConnState& st = c->st;
  uint32_t acked = ack - st.snd_una;
  bool room = false;
  if (seq_gt(ack, st.iss)) st.flags |= kTcpfSynAcked;
  if (seq_gt(ack, st.snd_buf_seq)) {
    uint32_t n = ack - st.snd_buf_seq;
    if (n > c->snd.used) n = c->snd.used;
    ring_consume(&c->snd, n);
    st.snd_buf_seq += n;
    room = n > 0;
  }
  if ((st.flags & kTcpfRttTiming) && seq_gt(ack, st.rtt_seq)) {
    st.flags &= ~kTcpfRttTiming;
    conn_rtt_sample(s, c, s->now_us - st.rtt_start_us);
  } else if (st.rto_backoff) {
    recompute_rto(s, st);
  }
  st.rto_backoff = 0;
  if (c->undo_armed) {
    c->undo_armed = false;  // only the first ACK after the retransmission tells
    if (c->ack_ts_ecr != 0 && seq_lt(c->ack_ts_ecr, c->undo_ts)) {
      st.cwnd = st.cwnd > c->undo_cwnd ? st.cwnd : c->undo_cwnd;
      st.ssthresh = st.ssthresh > c->undo_ssthresh ? st.ssthresh : c->undo_ssthresh;
      st.flags &= ~kTcpfInRecovery;
      st.dupacks = 0;
      st.recover = ack;
      ++s->counters.spurious_retransmits;
    }
  }
  bool partial = false;
  if (st.flags & kTcpfInRecovery) {
    if (seq_geq(ack, st.recover)) {
      uint32_t flight = st.snd_max - ack;
      uint32_t w = flight + st.snd_mss;
      st.cwnd = st.ssthresh < w ? st.ssthresh : w;
      st.flags &= ~kTcpfInRecovery;
      st.dupacks = 0;
    } else {
      partial = true;
      ++s->counters.partial_acks;
      st.snd_una = ack;
      sack_prune(c);
      // The hole at the new snd_una, as NewReno does, even when a duplicate
      // ACK had it resent already: a partial ACK a round trip later means
      // that resend was lost too (without this, only the RTO found it).
      retransmit_first(s, c);
      if (seq_lt(c->rexmit_nxt, ack + st.snd_mss)) c->rexmit_nxt = ack + st.snd_mss;
      st.cwnd = st.cwnd > acked ? st.cwnd - acked : 0;
      if (acked >= st.snd_mss) st.cwnd += st.snd_mss;
      if (st.cwnd < st.snd_mss) st.cwnd = st.snd_mss;
    }
  } else {
    st.dupacks = 0;
    if (st.cwnd < st.ssthresh) {
      st.cwnd += acked < st.snd_mss ? acked : st.snd_mss;
    } else {
      st.cwnd_acc += acked;
      if (st.cwnd_acc >= st.cwnd) {
        st.cwnd_acc -= st.cwnd;
        st.cwnd += st.snd_mss;
      }
    }
  }
  st.snd_una = ack;
  sack_prune(c);
  if (seq_lt(st.snd_nxt, st.snd_una)) st.snd_nxt = st.snd_una;
  if (st.snd_una == st.snd_max) st.rexmt_at = 0;
  else st.rexmt_at = s->now_us + st.rto_us;  // also after a partial ACK (RFC 6582 step 4)
  (void)partial;
  return room;
}

// RFC 5681 3.2 / RFC 6582 3.2 steps 1-2: the third duplicate starts fast
// retransmit, further ones inflate cwnd.
void dup_ack(TcpStack* s, TcpConn* c) {
  TcpConnState& st = c->st;
  ++s->counters.dup_acks;
  ++st.dupacks;
  if (st.flags & kTcpfInRecovery) {
    // A segment left the network: its slot resends a hole if SACK shows
    // one, else it inflates cwnd for new data (RFC 6582).
    if (!sack_retransmit_hole(s, c)) st.cwnd += st.snd_mss;
    return;
  }
  // RFC 6582 4.1: after an RTO, duplicates of the go-back-N resend must not
  // start another recovery. The SACK scoreboard tells them apart: data the
  // peer holds beyond snd_una means a hole, not a resend (RFC 6675 5).
  bool after_rto = !seq_geq(st.snd_una, st.recover);
  if (st.dupacks < 3) {
    // RFC 3042 limited transmit: a new segment per early duplicate, so a
    // small window still produces the third one instead of waiting for RTO.
    if (!after_rto) {
      uint32_t saved = st.cwnd;
      st.cwnd += st.dupacks * st.snd_mss;
      conn_output(s, c);
      st.cwnd = saved;
    }
    return;
  }
  if (st.dupacks != 3 || (after_rto && c->nb_sacked == 0)) return;
  ++s->counters.fast_retransmits;
  c->undo_armed = st.ts_enabled;
  c->undo_ts = tcp_ts_now(s);
  c->undo_cwnd = st.cwnd;
  c->undo_ssthresh = st.ssthresh;
  uint32_t half = (st.snd_max - st.snd_una) / 2;
  st.ssthresh = half > 2u * st.snd_mss ? half : 2u * st.snd_mss;
  st.recover = st.snd_max;
  st.flags |= kTcpfInRecovery;
  st.flags &= ~kTcpfRttTiming;
  retransmit_first(s, c);
  c->rexmit_nxt = st.snd_una + st.snd_mss;
  st.cwnd = st.ssthresh + 3u * st.snd_mss;
  st.rexmt_at = s->now_us + st.rto_us;
}

// Out-of-order bytes [seq, seq+len) go straight to their place in the
// receive ring; the range list remembers what is there. False when the
// list is full and the segment touches no range (dropped).
bool ooo_insert(TcpStack* s, TcpConn* c, uint32_t seq, const uint8_t* data, uint32_t len) {
  uint32_t left = seq, right = seq + len;
  uint8_t keep = 0;
  TcpSackBlock merged{left, right};
  TcpSackBlock out[kTcpMaxOoo];
  bool touched = false;
  for (uint8_t i = 0; i < c->nb_ooo; ++i) {
    const TcpSackBlock& r = c->ooo[i];
    if (seq_leq(r.left, right) && seq_geq(r.right, left)) {
      merged.left = seq_min(merged.left, r.left);
      merged.right = seq_max(merged.right, r.right);
      touched = true;
    } else {
      out[keep++] = r;
    }
  }
  if (!touched && c->nb_ooo == kTcpMaxOoo) {
    ++s->counters.ooo_dropped;
    return false;
  }
  ring_put(&c->rcv, seq - c->st.rcv_nxt, data, len);
  uint8_t pos = 0;
  while (pos < keep && seq_lt(out[pos].left, merged.left)) ++pos;
  for (uint8_t i = keep; i > pos; --i) out[i] = out[i - 1];
  out[pos] = merged;
  c->nb_ooo = static_cast<uint8_t>(keep + 1);
  for (uint8_t i = 0; i < c->nb_ooo; ++i) c->ooo[i] = out[i];
  c->ooo_last = pos;
  ++s->counters.ooo_queued;
  return true;
}

// After rcv_nxt moved: ranges it reached become in-order data.
void ooo_absorb(TcpConn* c) {
  TcpConnState& st = c->st;
  while (c->nb_ooo > 0 && seq_leq(c->ooo[0].left, st.rcv_nxt)) {
    if (seq_gt(c->ooo[0].right, st.rcv_nxt)) {
      c->rcv.used += c->ooo[0].right - st.rcv_nxt;
      st.rcv_nxt = c->ooo[0].right;
    }
    for (uint8_t i = 1; i < c->nb_ooo; ++i) c->ooo[i - 1] = c->ooo[i];
    --c->nb_ooo;
  }
  c->ooo_last = 0;
}

void syn_sent_input(TcpStack* s, TcpConn* c, const TcpSegment& seg) {
  TcpConnState& st = c->st;
  bool ack = seg.flags & kTcpAck;
  if (ack && (seq_leq(seg.ack, st.iss) || seq_gt(seg.ack, st.snd_max))) {
    if (!(seg.flags & kTcpRst)) send_rst_for(s, seg);
    return;
  }
  if (seg.flags & kTcpRst) {
    if (ack) {
      ++s->counters.resets_received;
      conn_finish(s, c, TcpCloseReason::kRefused);
    }
    return;
  }
  if (!(seg.flags & kTcpSyn)) return;
  st.irs = seg.seq;
  st.rcv_nxt = seg.seq + 1;
  conn_take_syn_options(s, c, seg);
  if (ack) {
    st.snd_una = seg.ack;
    st.flags |= kTcpfSynAcked;
    if ((st.flags & kTcpfRttTiming) && st.rto_backoff == 0)
      conn_rtt_sample(s, c, s->now_us - st.rtt_start_us);
    else
      recompute_rto(s, st);
    st.flags &= ~kTcpfRttTiming;
    st.rto_backoff = 0;
    st.rexmt_at = 0;
    st.last_rcv_us = s->now_us;
    conn_set_state(s, c, TcpConnStateId::kEstablished);
    st.flags |= kTcpfAckNow;
    conn_output(s, c);  // the handshake's ACK, with data if some was queued
    if (conn_dead(c) || !conn_established(s, c)) return;
    if (seg.payload_len || (seg.flags & kTcpFin)) {
      // Data on a SYN-ACK: rerun the rest as an ordinary segment.
      TcpSegment rest = seg;
      rest.flags &= static_cast<uint8_t>(~kTcpSyn);
      rest.seq = seg.seq + 1;
      conn_input(s, c, rest);
    }
    return;
  }
  // Simultaneous open (RFC 9293 figure 7): SYN_RECEIVED, SYN-ACK with our ISS.
  conn_set_state(s, c, TcpConnStateId::kSynReceived);
  conn_send_syn(s, c);
  st.rexmt_at = s->now_us + st.rto_us;
}

}  // namespace

void conn_input(TcpStack* s, TcpConn* c, const TcpSegment& seg) {
  TcpConnState& st = c->st;
  uint8_t flags = seg.flags;
  if (st.state == TcpConnStateId::kSynSent) {
    syn_sent_input(s, c, seg);
    return;
  }
  // A retransmitted SYN: our SYN-ACK was lost.
  if (st.state == TcpConnStateId::kSynReceived && (flags & kTcpSyn) && !(flags & kTcpAck) &&
      seg.seq == st.irs) {
    conn_send_syn(s, c);
    return;
  }
  // PAWS (RFC 7323 5.3): an old timestamp means an old duplicate.
  if (st.ts_enabled && seg.opts.has_ts && !(flags & kTcpRst) &&
      seq_lt(seg.opts.ts_val, st.ts_recent)) {
    ++s->counters.paws_drops;
    conn_send_ack(s, c);
    return;
  }
  // RFC 5961 4: a SYN in a synchronized state, whatever its sequence
  // number, gets a challenge ACK and nothing else.
  if (flags & kTcpSyn) {
    if (!(flags & kTcpRst)) conn_send_challenge_ack(s, c);
    return;
  }

  // Sequence check (RFC 9293 3.10.7.4 first).
  uint32_t rcv_wnd = ring_free(c->rcv);
  uint32_t len = seg.payload_len;
  bool fin = flags & kTcpFin;
  uint32_t seg_len = len + (fin ? 1 : 0);
  auto in_window = [&](uint32_t x) {
    return seq_geq(x, st.rcv_nxt) && seq_lt(x, st.rcv_nxt + rcv_wnd);
  };
  bool acceptable;
  if (seg_len == 0) acceptable = rcv_wnd == 0 ? seg.seq == st.rcv_nxt : in_window(seg.seq);
  else acceptable = rcv_wnd > 0 && (in_window(seg.seq) || in_window(seg.seq + seg_len - 1));
  // RFC 9293: with a zero window, still take the ACK (and RST) of a
  // segment at rcv_nxt; its payload is dropped below.
  if (!acceptable && rcv_wnd == 0 && seg.seq == st.rcv_nxt) acceptable = true;
  if (!acceptable) {
    if (flags & kTcpRst) return;  // RFC 5961 3.2: out-of-window RST is ignored
    ++s->counters.out_of_window;
    if (st.state == TcpConnStateId::kTimeWait && fin)
      st.timewait_at = s->now_us + 2ull * s->cfg.msl_us;  // the peer lost our last ACK
    conn_send_ack(s, c);
    return;
  }
  // Trim to what is new and fits.
  const uint8_t* data = seg.payload;
  uint32_t seq = seg.seq;
  if (seq_lt(seq, st.rcv_nxt)) {
    uint32_t dup = st.rcv_nxt - seq;
    if (dup > len) {
      fin = false;  // the FIN too is old
      len = 0;
    } else {
      data += dup;
      len -= dup;
    }
    seq = st.rcv_nxt;
  }
  if (seq_gt(seq + len, st.rcv_nxt + rcv_wnd)) {
    uint32_t room = seq_gt(st.rcv_nxt + rcv_wnd, seq) ? st.rcv_nxt + rcv_wnd - seq : 0;
    len = room;
    fin = false;
    st.flags |= kTcpfAckNow;  // e.g. a zero-window probe: the reply carries the window
  }

  // RST (RFC 5961 3.2): exact -> reset, in window -> challenge ACK.
  if (flags & kTcpRst) {
    if (seg.seq != st.rcv_nxt) {
      conn_send_challenge_ack(s, c);
      return;
    }
    ++s->counters.resets_received;
    if (st.state == TcpConnStateId::kSynReceived)
      conn_finish(s, c, (st.flags & kTcpfPassive) ? TcpCloseReason::kReset
                                                  : TcpCloseReason::kRefused);
    else if (st.state == TcpConnStateId::kTimeWait)
      conn_finish(s, c, TcpCloseReason::kNormal);
    else
      conn_finish(s, c, TcpCloseReason::kReset);
    return;
  }

  if (!(flags & kTcpAck)) return;

  // Timestamps: remember the peer's for echo and PAWS (RFC 7323 4.3).
  if (st.ts_enabled && seg.opts.has_ts && seq_leq(seg.seq, st.last_ack_sent))
    st.ts_recent = seg.opts.ts_val;
  st.last_rcv_us = s->now_us;
  st.keepalive_probes = 0;
  if (s->cfg.keepalive &&
      (st.state == TcpConnStateId::kEstablished || st.state == TcpConnStateId::kCloseWait))
    st.keepalive_at = s->now_us + s->cfg.keepalive_idle_us;

  uint32_t ack = seg.ack;
  if (st.state == TcpConnStateId::kSynReceived) {
    if (!seq_gt(ack, st.snd_una) || seq_gt(ack, st.snd_max)) {
      send_rst_for(s, seg);
      return;
    }
    st.flags |= kTcpfSynAcked;
    if ((st.flags & kTcpfRttTiming) && st.rto_backoff == 0)
      conn_rtt_sample(s, c, s->now_us - st.rtt_start_us);
    st.flags &= ~kTcpfRttTiming;
    st.rto_backoff = 0;
    st.rexmt_at = 0;
    st.snd_una = ack;
    if (seq_lt(st.snd_nxt, ack)) st.snd_nxt = ack;
    st.snd_wnd = uint32_t{seg.window} << st.snd_wscale;
    st.max_snd_wnd = st.snd_wnd;
    st.snd_wl1 = seg.seq;
    st.snd_wl2 = ack;
    conn_set_state(s, c, TcpConnStateId::kEstablished);
    if (!conn_established(s, c)) return;
    // Queued data (active side of a simultaneous open, or a FIN queued
    // before the handshake ended) may go now.
    conn_output(s, c);
    if (conn_dead(c)) return;
  }

  // RFC 5961 5 (and RFC 9293: an ACK for data never sent is answered).
  uint32_t wnd_floor = st.snd_una - st.max_snd_wnd;
  if (seq_gt(ack, st.snd_max) || seq_lt(ack, wnd_floor)) {
    ++s->counters.bad_acks;
    conn_send_challenge_ack(s, c);
    return;
  }

  bool writable = false, readable = false;
  uint32_t seg_wnd = uint32_t{seg.window} << st.snd_wscale;
  if (st.sack_enabled && seg.opts.nb_sack > 0) sack_update(c, seg, ack);
  c->ack_ts_ecr = st.ts_enabled && seg.opts.has_ts ? seg.opts.ts_ecr : 0;
  const bool acks_new = seq_gt(ack, st.snd_una);
  if (acks_new) {
    writable = new_ack(s, c, ack);
    if (conn_dead(c)) return;
  } else if (ack == st.snd_una && seg.payload_len == 0 && !(flags & kTcpFin) &&
             seg_wnd == st.snd_wnd && st.snd_max != st.snd_una && !(st.flags & kTcpfPersist)) {
    dup_ack(s, c);
  }
  // RFC 9293's window update test, and also any segment that acknowledges
  // new data (as BSD and Linux do): the peer's retransmissions carry a
  // sequence below the pure ACKs it sent earlier (those carry its snd_max),
  // yet their window, counted from a newer ACK, is the freshest. Skipping
  // it would leave snd_wnd measured from snd_una as it was, and we would
  // send past the peer's real right edge.
  if (acks_new || seq_lt(st.snd_wl1, seg.seq) ||
      (st.snd_wl1 == seg.seq && seq_leq(st.snd_wl2, ack))) {
    bool opened = st.snd_wnd == 0 && seg_wnd > 0;
    st.snd_wnd = seg_wnd;
    st.snd_wl1 = seg.seq;
    st.snd_wl2 = ack;
    if (seg_wnd > st.max_snd_wnd) st.max_snd_wnd = seg_wnd;
    if (opened && (st.flags & kTcpfPersist)) {
      st.flags &= ~kTcpfPersist;
      st.persist_at = 0;
      st.rto_backoff = 0;
      if (seq_lt(st.snd_nxt, st.snd_una)) st.snd_nxt = st.snd_una;
    }
  }

  bool fin_acked = (st.flags & kTcpfFinSent) && seq_gt(st.snd_una, st.fin_seq);
  bool enter_time_wait = false;
  switch (st.state) {
    case TcpConnStateId::kFinWait1:
      if (fin_acked) {
        conn_set_state(s, c, TcpConnStateId::kFinWait2);
        if (st.flags & kTcpfAppClosed) st.timewait_at = s->now_us + 2ull * s->cfg.msl_us;
      }
      break;
    case TcpConnStateId::kClosing:
      if (fin_acked) {
        conn_enter_time_wait(s, c);
        return;
      }
      break;
    case TcpConnStateId::kLastAck:
      if (fin_acked) {
        conn_finish(s, c, TcpCloseReason::kNormal);
        return;
      }
      break;
    case TcpConnStateId::kTimeWait:
      if (fin) {
        st.timewait_at = s->now_us + 2ull * s->cfg.msl_us;
        st.flags |= kTcpfAckNow;
      }
      break;
    default: break;
  }

  // Data.
  if (len > 0 && receives_data(st.state)) {
    if (st.flags & kTcpfAppClosed) {
      // Nobody will read it (RFC 9293 3.10.4): tell the peer at once.
      conn_send_rst(s, c);
      conn_finish(s, c, TcpCloseReason::kAborted);
      return;
    }
    if (seq == st.rcv_nxt) {
      bool had_holes = c->nb_ooo > 0;
      ring_put(&c->rcv, 0, data, len);
      c->rcv.used += len;
      st.rcv_nxt += len;
      ooo_absorb(c);
      readable = true;
      ++st.segs_since_ack;
      if (had_holes || st.segs_since_ack >= kAckEvery) {
        st.flags |= kTcpfAckNow;
      } else {
        st.flags |= kTcpfDelAck;
        if (st.delack_at == 0) st.delack_at = s->now_us + s->cfg.delack_us;
      }
    } else {
      // A hole before it: queue, and ACK now so the sender sees duplicates
      // (with SACK blocks) and can fast-retransmit.
      ooo_insert(s, c, seq, data, len);
      if (fin) {
        c->ooo_fin = true;
        c->ooo_fin_seq = seq + len;
        fin = false;
      }
      st.flags |= kTcpfAckNow;
    }
  } else if (fin && seq != st.rcv_nxt && receives_data(st.state)) {
    c->ooo_fin = true;
    c->ooo_fin_seq = seq;
    fin = false;
    st.flags |= kTcpfAckNow;
  }
  if (!fin && c->ooo_fin && c->ooo_fin_seq == st.rcv_nxt && c->nb_ooo == 0) fin = true;
  if (fin && seq_leq(seq + len, st.rcv_nxt) && receives_data(st.state) &&
      !(st.flags & kTcpfFinRcvd)) {
    c->ooo_fin = false;
    st.rcv_nxt += 1;
    st.flags |= kTcpfFinRcvd | kTcpfAckNow;
    readable = true;
    switch (st.state) {
      case TcpConnStateId::kEstablished:
        conn_set_state(s, c, TcpConnStateId::kCloseWait);
        break;
      case TcpConnStateId::kFinWait1:
        if (fin_acked) enter_time_wait = true;
        else conn_set_state(s, c, TcpConnStateId::kClosing);
        break;
      case TcpConnStateId::kFinWait2: enter_time_wait = true; break;
      default: break;
    }
  }

  conn_output(s, c);
  if (conn_dead(c)) return;
  conn_notify(s, c, readable, writable);
  if (conn_dead(c)) return;
  if (enter_time_wait) conn_enter_time_wait(s, c);
}

}  // namespace tandem::dp
