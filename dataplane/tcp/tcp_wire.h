// The TCP header and options on the wire, as raw bytes: what the worker
// glue uses to turn a received packet into a TcpSegment and an emitted
// TcpSegment into header bytes in an mbuf, and what the fuzz target and the
// unit tests' in-memory wire use. Pure functions, no state, no EAL.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/tcp/tcp_types.h"

namespace tandem::dp {

inline constexpr size_t kTcpHeaderLen = 20;
inline constexpr size_t kTcpMaxHeaderLen = 60;

// Decodes the TCP header, options and payload at `tcp` (len bytes: the IPv4
// payload). src_ip/dst_ip (host order) come from the IPv4 header. The
// payload pointer points into `tcp`. Returns false for a segment too short
// or whose data offset does not fit; malformed options end option parsing
// (the segment is still used, as RFC 9293 3.1 asks).
bool tcp_wire_decode(const uint8_t* tcp, size_t len, uint32_t src_ip, uint32_t dst_ip,
                     TcpSegment* out);

// Bytes the header of `seg` takes (20 + options, padded to 4).
size_t tcp_wire_header_len(const TcpSegment& seg);

// Writes the header and options of `seg` (not the payload) with a zero
// checksum; returns its length, or 0 when `room` is too small. SACK blocks
// beyond what fits in 40 option bytes are left out.
size_t tcp_wire_encode_header(const TcpSegment& seg, uint8_t* out, size_t room);

// One's-complement checksum over the IPv4 pseudo-header and `len` bytes of
// segment. Over a segment whose checksum field is zero it gives the value to
// store; over a received segment it gives 0 when the checksum is right.
uint16_t tcp_wire_checksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t* tcp, size_t len);

}  // namespace tandem::dp
