// Plain types of the packet stage: what the parser found in a frame
// (ParsedFrame), why a frame is unusable (DropReason), and what a responder
// decided to do with it (Verdict). Used by parse, the ARP and ICMP
// responders, the worker loop, the fuzzer and, from issue 3 on, the session
// stage. Offsets rather than pointers, so a responder can rewrite the frame
// in place with the same view.
#pragma once

#include <cstdint>

namespace tandem::dp {

inline constexpr unsigned kMaxVlanTags = 2;  // 802.1ad S-tag + 802.1Q C-tag

enum class DropReason : uint8_t {
  kNone = 0,           // parsed; nothing wrong with the headers we read
  kRunt,               // shorter than an Ethernet header
  kTruncatedVlan,      // a VLAN tag is cut off
  kTooManyVlans,       // more than kMaxVlanTags tags
  kTruncatedArp,       // ARP body shorter than 28 bytes
  kBadArpFormat,       // hardware/protocol type or size is not Ethernet/IPv4
  kTruncatedIpv4,      // less than a minimal IPv4 header
  kBadIpVersion,       // version field is not 4
  kBadIpHeaderLength,  // IHL < 5 or header longer than the frame
  kBadIpTotalLength,   // total length < header length or > frame
  kBadIpChecksum,      // header checksum does not verify
  kTruncatedL4,        // UDP/TCP/ICMP header does not fit in the IP payload
  kBadTcpDataOffset,   // TCP data offset < 5 or beyond the IP payload
  kBadUdpLength,       // UDP length < 8 or beyond the IP payload
  kCount
};

struct ParsedFrame {
  uint16_t ether_type;  // after the VLAN tags, host order
  uint8_t nb_vlans;
  uint16_t vlan_tci[kMaxVlanTags];  // outermost first, host order
  uint16_t l3_offset;               // first byte after the Ethernet/VLAN headers

  // ARP (ether_type 0x0806), valid when the parser returned kNone.
  uint16_t arp_op;  // host order

  // IPv4 (ether_type 0x0800).
  uint16_t ip_header_len;  // bytes
  uint16_t ip_total_len;   // bytes, from the header; the frame may be padded past it
  uint8_t ip_proto;
  bool ip_fragment;  // MF set or offset != 0: no L4 header is parsed
  uint32_t ip_src_be;
  uint32_t ip_dst_be;

  // L4, valid when has_l4 (ICMP, UDP, TCP of an unfragmented datagram).
  bool has_l4;
  uint16_t l4_offset;
  uint16_t l4_len;    // IP payload length
  uint16_t src_port;  // host order; 0 for ICMP
  uint16_t dst_port;  // host order; 0 for ICMP

  bool operator==(const ParsedFrame&) const = default;
};

// What a responder did with a frame.
enum class Verdict : uint8_t {
  kTransmit,          // the frame was rewritten into a reply: send it back out
  kDropMalformed,     // a field the responder needs is invalid
  kDropNotLocal,      // not addressed to this node
  kDropUnsupported,   // valid, but nothing on this node handles it yet
  kDropPingDenied,    // echo request to a port without "allowaccess ping"
  kDropOther,         // e.g. a source address we must never answer
};

}  // namespace tandem::dp
