// Plain types of the userspace TCP engine (dataplane/tcp): the parsed
// segment the worker glue hands in and gets back, the RFC 9293 states, the
// per-connection state as one trivially copyable struct (TcpConnState, the
// unit a later step checkpoints to the HA peer), the stack configuration and
// the per-stack counters. No code here; tcp.h is the API.
//
// Addresses and ports are host order throughout the engine; the wire codec
// (tcp_wire.h) converts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tandem::dp {

// TCP header flag bits as on the wire (byte 13).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;

inline constexpr unsigned kTcpMaxSackBlocks = 4;  // what fits beside timestamps: 3; alone: 4

// Sender's view: src is the host that sent the segment.
struct TcpTuple {
  uint32_t src_ip, dst_ip;
  uint16_t src_port, dst_port;
};

struct TcpSackBlock {
  uint32_t left, right;  // [left, right)
};

// The options a segment carries. has_* say which were present.
struct TcpOptions {
  bool has_mss, has_wscale, has_ts, sack_permitted;
  uint8_t wscale;
  uint16_t mss;
  uint32_t ts_val, ts_ecr;
  uint8_t nb_sack;
  TcpSackBlock sack[kTcpMaxSackBlocks];
};

// One segment, decoded. Input: the glue fills it from a packet whose IPv4
// and TCP checksums it has already verified (the engine trusts the bytes).
// Output: payload may wrap around the send ring, so it comes in two pieces
// (payload2_len is 0 on input and for contiguous data).
struct TcpSegment {
  TcpTuple tuple;
  uint32_t seq, ack;
  uint16_t window;  // raw header value, unscaled
  uint8_t flags;
  TcpOptions opts;
  const uint8_t* payload;
  uint32_t payload_len;
  const uint8_t* payload2;
  uint32_t payload2_len;
};

// RFC 9293 section 3.3.2, plus kClosed for a free or finished slot.
enum class TcpConnStateId : uint8_t {
  kClosed = 0,       // no connection (a slot on the free list)
  kListen,           // never used by a connection: listeners live in their own table
  kSynSent,          // active open: our SYN sent, waiting for the peer's SYN
  kSynReceived,      // peer's SYN seen, our SYN-ACK sent, waiting for its ACK
  kEstablished,      // data flows both ways
  kFinWait1,         // we closed: our FIN sent, not yet acknowledged
  kFinWait2,         // our FIN acknowledged, waiting for the peer's
  kCloseWait,        // the peer closed; we may still send
  kClosing,          // both sent FIN at once; waiting for the ACK of ours
  kLastAck,          // the peer closed first, then we did; waiting for the ACK of our FIN
  kTimeWait,         // both FINs done; lingering 2 MSL for stray segments
  kCount
};
inline constexpr unsigned kNbTcpConnStates = static_cast<unsigned>(TcpConnStateId::kCount);

// Why a connection ended (on_closed).
enum class TcpCloseReason : uint8_t {
  kNormal,         // both FINs exchanged (or TIME_WAIT done)
  kReset,          // the peer sent an acceptable RST
  kRefused,        // RST in SYN_SENT
  kTimeout,        // retransmissions exhausted (SYN, data, FIN or probes)
  kKeepalive,      // keepalive probes unanswered
  kAborted,        // tcp_abort, or closed with unread data
};

// conn flag bits (TcpConnState::flags).
inline constexpr uint32_t kTcpfPassive = 1u << 0;       // from a listener
inline constexpr uint32_t kTcpfAckNow = 1u << 1;        // send an ACK on the next output
inline constexpr uint32_t kTcpfDelAck = 1u << 2;        // an ACK is owed, delayed
inline constexpr uint32_t kTcpfFinQueued = 1u << 3;     // the app shut down sending
inline constexpr uint32_t kTcpfFinSent = 1u << 4;       // our FIN has a sequence number
inline constexpr uint32_t kTcpfFinRcvd = 1u << 5;       // the peer's FIN is in order
inline constexpr uint32_t kTcpfInRecovery = 1u << 6;    // NewReno fast recovery
inline constexpr uint32_t kTcpfRttTiming = 1u << 7;     // rtt_seq is being timed
inline constexpr uint32_t kTcpfPersist = 1u << 8;       // zero-window probing
inline constexpr uint32_t kTcpfAppClosed = 1u << 9;     // tcp_close called: no more reads
inline constexpr uint32_t kTcpfFromCookie = 1u << 10;   // established from a SYN cookie
inline constexpr uint32_t kTcpfAccepted = 1u << 11;     // the accept callback took it
inline constexpr uint32_t kTcpfWantWritable = 1u << 12; // a write was short: tell when room
inline constexpr uint32_t kTcpfSynAcked = 1u << 13;     // our SYN is acknowledged

// Everything that defines a connection, copyable as bytes: no pointers, no
// buffer contents. Sequence variables are RFC 9293 names; snd_max is the
// highest sequence ever sent (snd_nxt rewinds to snd_una on RTO).
struct TcpConnState {
  uint32_t local_ip, remote_ip;
  uint16_t local_port, remote_port;
  TcpConnStateId state;
  uint8_t snd_wscale, rcv_wscale;  // shift applied to the peer's / our window field
  uint8_t rto_backoff;             // retransmissions of the same data in a row
  uint32_t flags;                  // kTcpf*

  uint32_t iss, irs;
  uint32_t snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd;
  uint32_t snd_wl1, snd_wl2;
  uint32_t snd_buf_seq;  // sequence number of the first byte in the send ring
  uint32_t rcv_nxt, rcv_adv;  // rcv_adv: right edge last advertised
  uint16_t snd_mss;           // segment size we send (peer's MSS, our cap)
  uint16_t rcv_mss;           // MSS we announced
  bool wscale_ok, ts_enabled, sack_enabled;  // negotiated
  uint8_t dupacks;
  uint8_t keepalive_probes;  // unanswered so far
  uint32_t ts_recent, last_ack_sent;
  uint32_t fin_seq;  // our FIN's sequence number once queued

  // RFC 6298 estimator, microseconds.
  uint32_t srtt_us, rttvar_us, rto_us;
  uint32_t rtt_seq;
  uint64_t rtt_start_us;

  // RFC 5681 / 6582 NewReno, bytes.
  uint32_t cwnd, ssthresh, recover, cwnd_acc;

  uint32_t segs_since_ack;  // full segments received since our last ACK

  // Absolute deadlines (us), 0 when off.
  uint64_t rexmt_at, persist_at, delack_at, keepalive_at, timewait_at;
  uint64_t last_rcv_us;  // for keepalive idle time
  uint64_t created_us;
};
static_assert(std::is_trivially_copyable_v<TcpConnState>, "checkpointable as bytes");

// Per-stack configuration. Times in microseconds. Zero means "default"
// (tcp_config_defaults fills them).
struct TcpConfig {
  uint32_t max_conns;          // connection slots (allocation at creation)
  // Buffer pairs (sndbuf + rcvbuf), 0: one per slot. A connection takes a
  // pair when it opens and gives it back when it enters TIME_WAIT, so
  // more slots than pairs let TIME_WAIT (2 MSL of nothing but a tuple and
  // sequence numbers) outlive the memory of a live connection.
  uint32_t max_buffers;
  uint32_t max_listeners;
  uint32_t sndbuf, rcvbuf;     // bytes per connection
  uint16_t mss;                // our MSS (IPv4 MTU 1500 -> 1460)
  uint32_t initial_cwnd_segs;  // RFC 6928
  uint32_t rto_min_us, rto_max_us, rto_initial_us;
  uint32_t max_retries;        // data/FIN retransmissions before giving up
  uint32_t syn_retries;        // SYN / SYN-ACK retransmissions
  uint32_t delack_us;
  uint32_t msl_us;             // TIME_WAIT lasts 2 * msl_us
  uint32_t persist_min_us, persist_max_us;
  bool keepalive;              // on for every connection
  uint32_t keepalive_idle_us, keepalive_intvl_us, keepalive_probes;
  uint32_t challenge_ack_limit;  // per second per stack (RFC 5961 section 7)
  bool no_timestamps, no_sack, no_window_scale;  // options we offer and accept
  uint16_t ephemeral_lo, ephemeral_hi;
  uint32_t timer_tick_us, timer_slots;
  uint64_t secret_seed;        // SYN cookie / ISS / hash key: the glue passes a random one
};

struct TcpCounters {
  uint64_t segs_in, segs_out, bytes_in, bytes_out;
  uint64_t retransmits, rto_events, fast_retransmits, partial_acks, spurious_retransmits;
  uint64_t dup_acks, ooo_queued, ooo_dropped;
  uint64_t syn_cookies_sent, syn_cookies_validated, syn_cookies_failed;
  uint64_t resets_sent, resets_received;
  uint64_t challenge_acks, challenge_acks_limited;
  uint64_t paws_drops, bad_acks, out_of_window;
  uint64_t zero_window_probes, keepalive_probes, keepalive_timeouts;
  uint64_t listen_overflows, table_full, no_listener;
  uint64_t active_opens, passive_opens, closed;
};

}  // namespace tandem::dp
