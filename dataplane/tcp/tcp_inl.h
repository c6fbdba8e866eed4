// Hot inline helpers of the TCP engine: modular sequence-number compares
// (RFC 9293 3.4) and the byte rings that hold each connection's send and
// receive data. Used by tcp.cc, tcp_input.cc and tcp_output.cc only.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/tcp/tcp.h"

namespace tandem::dp {

inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_leq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
inline bool seq_geq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }
inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

inline uint32_t ring_size(const TcpRing& r) { return r.mask + 1; }
inline uint32_t ring_free(const TcpRing& r) { return ring_size(r) - r.used; }

// Copies len bytes to the ring at `offset` past its end of data (the ring
// does not grow: the receive side writes out-of-order bytes ahead of used).
inline void ring_put(TcpRing* r, uint32_t offset, const uint8_t* src, uint32_t len) {
  uint32_t at = (r->head + r->used + offset) & r->mask;
  uint32_t first = ring_size(*r) - at;
  if (first > len) first = len;
  std::memcpy(r->data + at, src, first);
  if (len > first) std::memcpy(r->data, src + first, len - first);
}

// The len bytes at `offset` from the head, as up to two contiguous pieces.
inline void ring_span(const TcpRing& r, uint32_t offset, uint32_t len, const uint8_t** p1,
                      uint32_t* l1, const uint8_t** p2, uint32_t* l2) {
  uint32_t at = (r.head + offset) & r.mask;
  uint32_t first = ring_size(r) - at;
  if (first > len) first = len;
  *p1 = r.data + at;
  *l1 = first;
  *p2 = len > first ? r.data : nullptr;
  *l2 = len - first;
}

inline void ring_consume(TcpRing* r, uint32_t len) {
  r->head = (r->head + len) & r->mask;
  r->used -= len;
}

}  // namespace tandem::dp
