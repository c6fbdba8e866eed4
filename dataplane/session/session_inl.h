// Hot inline pieces of the session stage, pure and shared by the worker, the
// table and the tests: key normalisation, direction, the TCP state machine
// and the state -> timeout mapping.
#pragma once

#include <bit>
#include <cstdint>

#if !defined(__SSE4_2__)
#include <rte_hash_crc.h>
#endif

#include "dataplane/session/session_types.h"
#include "dataplane/tcp/tcp_types.h"  // the TCP flag bits

namespace tandem::dp {

// Normalised key of the packet src:sport -> dst:dport. *src_is_lo tells
// whether the sender is the key's "lo" end. Addresses compare in host order
// so that "lo" is the numerically lower address, as operators expect.
// The key is built as the two 8-byte words session_key_hash and
// session_key_equal load: field by field, those loads waited on a failed
// store-to-load forward (~12 cycles a packet).
inline SessionKey session_key_make(uint32_t src_be, uint32_t dst_be, uint16_t sport,
                                   uint16_t dport, uint8_t proto, uint8_t zone, bool* src_is_lo) {
  uint64_t a = (uint64_t{__builtin_bswap32(src_be)} << 16) | sport;
  uint64_t b = (uint64_t{__builtin_bswap32(dst_be)} << 16) | dport;
  bool lo = a <= b;
  *src_is_lo = lo;
  // Little-endian layout of SessionKey: ip_lo_be, ip_hi_be | port_lo,
  // port_hi, proto, zone, pad. The words with the sender first; the other
  // order is each one's halves swapped, a rotate by half its width, so the
  // swap is two rotates by 0 or by half, with no branch: which end is the
  // lower follows the addresses, not the port a packet came in on, and a
  // branch on it missed whenever the flows of a burst differ (a throwaway
  // test of key and hash: 12 cycles a key with the order random, 3.4
  // without the branch; 4.2 against 3.3 with the order fixed).
  const unsigned half = lo ? 0 : 16;
  uint64_t ips = uint64_t{src_be} | uint64_t{dst_be} << 32;
  uint32_t ports = uint32_t{sport} | uint32_t{dport} << 16;
  uint64_t w[2] = {std::rotl(ips, static_cast<int>(2 * half)),
                   std::rotl(ports, static_cast<int>(half)) | uint64_t{proto} << 32 |
                       uint64_t{zone} << 40};
  SessionKey k;
  __builtin_memcpy(&k, w, sizeof(k));
  return k;
}

// CRC32C of the 16 key bytes, seed 0: the value rte_hash_crc(&key, 16, 0)
// gives, without its run-time dispatch (the table is built for SSE4.2).
inline uint32_t session_key_hash(const SessionKey& key) {
  uint64_t w0, w1;
  __builtin_memcpy(&w0, &key, 8);
  __builtin_memcpy(&w1, reinterpret_cast<const uint8_t*>(&key) + 8, 8);
#if defined(__SSE4_2__)
  return static_cast<uint32_t>(__builtin_ia32_crc32di(__builtin_ia32_crc32di(0, w0), w1));
#else
  return rte_hash_crc(&key, sizeof(key), 0);
#endif
}

inline bool session_key_equal(const SessionKey& a, const SessionKey& b) {
  uint64_t a0, a1, b0, b1;
  __builtin_memcpy(&a0, &a, 8);
  __builtin_memcpy(&a1, reinterpret_cast<const uint8_t*>(&a) + 8, 8);
  __builtin_memcpy(&b0, &b, 8);
  __builtin_memcpy(&b1, reinterpret_cast<const uint8_t*>(&b) + 8, 8);
  return a0 == b0 && a1 == b1;
}

// Direction of a packet whose sender is (or is not) the key's lo end.
inline SessionDir session_dir(const Session& s, bool src_is_lo) {
  bool orig_from_lo = (s.flags & kSessionOrigFromLo) != 0;
  return src_is_lo == orig_from_lo ? kDirOrig : kDirReply;
}

// A session's counters of one direction, whole: the low parts sit in the
// entry's first line, the high parts in its second (session_types.h).
inline uint64_t session_packets(const Session& s, SessionDir d) {
  return session_cold(&s)->packets_hi[d] << 16 | s.packets_lo[d];
}
inline uint64_t session_bytes(const Session& s, SessionDir d) {
  return uint64_t{session_cold(&s)->bytes_hi[d]} << 32 | s.bytes_lo[d];
}
inline void session_set_counters(Session* s, SessionDir d, uint64_t packets, uint64_t bytes) {
  s->packets_lo[d] = static_cast<uint16_t>(packets);
  session_cold(s)->packets_hi[d] = packets >> 16;
  s->bytes_lo[d] = static_cast<uint32_t>(bytes);
  session_cold(s)->bytes_hi[d] = static_cast<uint32_t>(bytes >> 32);
}
// One packet of `bytes` in direction d. The second line is written only
// when a low part wraps (every 65,536 packets or 4 GiB of a direction).
inline void session_count(Session* s, SessionDir d, uint32_t bytes) {
  if (++s->packets_lo[d] == 0) ++session_cold(s)->packets_hi[d];  // uint16_t: wraps to 0
  uint32_t lo = s->bytes_lo[d] + bytes;
  if (lo < bytes) ++session_cold(s)->bytes_hi[d];
  s->bytes_lo[d] = lo;
}

// The TCP tracker: one function, every transition. `fin_flags` holds the
// session's kSessionFinOrig/kSessionFinReply bits and is updated. Only
// flags are tracked, not sequence numbers: the firewall follows the
// endpoints, it does not police them.
inline TcpState tcp_state_next(TcpState cur, uint8_t tcp_flags, SessionDir dir,
                               uint8_t* fin_flags) {
  if (tcp_flags & kTcpRst) {
    if (cur != TcpState::kClose && dir == kDirReply) *fin_flags |= kSessionRstReply;
    return TcpState::kClose;
  }
  bool syn = (tcp_flags & kTcpSyn) != 0, ack = (tcp_flags & kTcpAck) != 0;
  TcpState next = cur;
  switch (cur) {
    case TcpState::kNone:
      if (syn && !ack && dir == kDirOrig) next = TcpState::kSynSent;
      break;
    case TcpState::kSynSent:
      if (syn && ack && dir == kDirReply) next = TcpState::kSynRecv;
      break;
    case TcpState::kSynRecv:
      if (!syn && ack && dir == kDirOrig) next = TcpState::kEstablished;
      break;
    case TcpState::kEstablished:
    case TcpState::kFinWait:
    case TcpState::kTimeWait:
    case TcpState::kClose:
      break;
  }
  if ((tcp_flags & kTcpFin) && next != TcpState::kClose && next != TcpState::kNone) {
    *fin_flags |= dir == kDirOrig ? kSessionFinOrig : kSessionFinReply;
    next = (*fin_flags & (kSessionFinOrig | kSessionFinReply)) ==
                   (kSessionFinOrig | kSessionFinReply)
               ? TcpState::kTimeWait
               : TcpState::kFinWait;
  }
  return next;
}

// TTL, in seconds, of a session of `proto` in `state`.
inline uint32_t session_timeout_s(const SessionTimers& t, uint8_t proto, TcpState state) {
  switch (proto) {
    case 6:
      switch (state) {
        case TcpState::kNone:
        case TcpState::kSynSent:
        case TcpState::kSynRecv: return t.tcp_halfopen;
        case TcpState::kEstablished: return t.tcp_established;
        case TcpState::kFinWait: return t.tcp_halfclose;
        case TcpState::kTimeWait:
        case TcpState::kClose: return t.tcp_timewait;
      }
      return t.tcp_halfopen;
    case 17: return t.udp;
    case 1: return t.icmp;
    default: return t.other;
  }
}

// Snapshot timers with 0 replaced by the defaults.
inline SessionTimers session_timers_or_default(const SessionTimers& t) {
  const SessionTimers& d = kDefaultSessionTimers;
  return {t.tcp_halfopen ? t.tcp_halfopen : d.tcp_halfopen,
          t.tcp_established ? t.tcp_established : d.tcp_established,
          t.tcp_halfclose ? t.tcp_halfclose : d.tcp_halfclose,
          t.tcp_timewait ? t.tcp_timewait : d.tcp_timewait,
          t.udp ? t.udp : d.udp,
          t.icmp ? t.icmp : d.icmp,
          t.other ? t.other : d.other};
}

inline const char* tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::kNone: return "none";
    case TcpState::kEstablished: return "established";
    case TcpState::kSynSent: return "syn_sent";
    case TcpState::kSynRecv: return "syn_recv";
    case TcpState::kFinWait: return "fin_wait";
    case TcpState::kTimeWait: return "time_wait";
    case TcpState::kClose: return "close";
  }
  return "?";
}

}  // namespace tandem::dp
