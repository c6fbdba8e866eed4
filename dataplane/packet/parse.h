// Bounds-checked parsing of the headers the dataplane looks at: Ethernet,
// up to two VLAN tags (802.1Q / 802.1ad), ARP, IPv4 (with header checksum),
// ICMP and enough of UDP/TCP to find the ports. Pure functions over a byte
// range, so unit tests and the fuzzer need neither EAL nor mbufs. Called by
// the worker for every received frame; the session stage builds on it.
#pragma once

#include <bit>
#include <cstdint>

#include "dataplane/packet/packet_types.h"

namespace tandem::dp {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;      // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;      // 802.1ad S-tag
inline constexpr uint16_t kEtherTypeQinQLegacy = 0x9100;  // pre-802.1ad S-tag
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

// Parses the headers of the frame in [data, data + len). On kNone, *out
// describes the frame; on any other reason *out holds what was parsed
// before the fault and the frame must be dropped. Never reads outside the
// range. Tries parse_frame_common first, then parse_frame_any.
DropReason parse_frame(const uint8_t* data, uint32_t len, ParsedFrame* out);

// The general parser: every frame, every header it knows, every fault
// named. parse_frame's answer whenever parse_frame_common declines, and
// the reference the packet fuzz target checks parse_frame_common against.
DropReason parse_frame_any(const uint8_t* data, uint32_t len, ParsedFrame* out);

// The common frame's shape, read from what parse_frame_any accepted:
// untagged IPv4 with a 20-byte header, not a fragment, carrying UDP or TCP.
inline bool is_common_frame(const ParsedFrame& f) {
  return f.ether_type == kEtherTypeIpv4 && f.nb_vlans == 0 && f.ip_header_len == 20 &&
         !f.ip_fragment && (f.ip_proto == kIpProtoUdp || f.ip_proto == kIpProtoTcp);
}

// The frame a forwarder sees most (is_common_frame). True when
// [data, data + len) holds such a frame and parse_frame_any accepts it;
// *out is then exactly what parse_frame_any writes. False for every other frame (*out unspecified).
// Inline and straight-line, for the worker's RX pass: the general parser's
// tag loop, protocol switches and call, and the flow key built from them
// afterwards, cost ~20 cycles a frame more (docs/bench-forwarding.md, "The
// common frame"). The fuzz target checks both directions of the
// equivalence: it accepts nothing parse_frame_any rejects or reads
// differently, and declines no frame of that shape parse_frame_any accepts.
static_assert(std::endian::native == std::endian::little,
              "parse_frame_common compares little-endian words");
[[gnu::always_inline]] inline bool parse_frame_common(const uint8_t* data, uint32_t len,
                                                      ParsedFrame* out) {
  constexpr uint32_t kL3 = 14, kIpHdr = 20, kL4 = kL3 + kIpHdr;
  if (len < kL4) return false;
  const uint8_t* ip = data + kL3;
  // EtherType IPv4, version 4 with IHL 5 (bytes 12-14, as one little-endian
  // word less the TOS byte), neither MF nor a fragment offset (the flags
  // and offset word less DF and the reserved bit): two compares, not five.
  uint32_t type_ver;
  uint16_t frag;
  __builtin_memcpy(&type_ver, data + 12, 4);
  __builtin_memcpy(&frag, ip + 6, 2);
  if ((type_ver & 0x00ffffff) != 0x00450008 || (frag & 0xff3f) != 0) return false;
  uint32_t total = uint32_t{ip[2]} << 8 | ip[3];
  if (total < kIpHdr || total > len - kL3) return false;
  // Five scalars: as an array, GCC loads the header into a vector, spills
  // it and reads it back in pieces (a failed store forward, +20 cycles).
  uint32_t w0, w1, w2, src_be, dst_be;
  __builtin_memcpy(&w0, ip, 4);
  __builtin_memcpy(&w1, ip + 4, 4);
  __builtin_memcpy(&w2, ip + 8, 4);
  __builtin_memcpy(&src_be, ip + 12, 4);
  __builtin_memcpy(&dst_be, ip + 16, 4);
  // The ones' complement sum, folded to 32 bits with the end-around carry
  // (one add with carry: the high part is at most 4), then to 16: the high
  // half of s + (s rotated by 16) is the two halves' sum with its carry
  // added back. A valid header sums to 0xffff.
  uint64_t sum = uint64_t{w0} + w1 + w2 + src_be + dst_be;
  uint32_t s32;
  bool carry = __builtin_add_overflow(static_cast<uint32_t>(sum), static_cast<uint32_t>(sum >> 32),
                                      &s32);
  s32 += carry;
  if (((s32 + std::rotl(s32, 16)) >> 16) != 0xffff) return false;
  const uint8_t proto = ip[9];
  const uint8_t* l4 = ip + kIpHdr;
  const uint32_t l4_len = total - kIpHdr;
  if (proto == kIpProtoUdp) {
    if (l4_len < 8) return false;
    uint32_t udp_len = uint32_t{l4[4]} << 8 | l4[5];
    if (udp_len < 8 || udp_len > l4_len) return false;
  } else if (proto == kIpProtoTcp) {
    if (l4_len < 20) return false;
    uint32_t data_off = static_cast<uint32_t>(l4[12] >> 4) * 4;
    if (data_off < 20 || data_off > l4_len) return false;
  } else {
    return false;
  }
  *out = ParsedFrame{};
  out->ether_type = kEtherTypeIpv4;
  out->l3_offset = kL3;
  out->ip_header_len = kIpHdr;
  out->ip_total_len = static_cast<uint16_t>(total);
  out->ip_proto = proto;
  out->ip_src_be = src_be;
  out->ip_dst_be = dst_be;
  out->has_l4 = true;
  out->l4_offset = kL4;
  out->l4_len = static_cast<uint16_t>(l4_len);
  out->src_port = static_cast<uint16_t>(l4[0] << 8 | l4[1]);
  out->dst_port = static_cast<uint16_t>(l4[2] << 8 | l4[3]);
  return true;
}

// Human-readable name of a reason, for counters and logs.
const char* drop_reason_name(DropReason reason);

}  // namespace tandem::dp
