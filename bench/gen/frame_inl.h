// How tandem-gen's frames look on the wire: flow id -> 5-tuple, the
// Ethernet/IPv4/UDP|TCP frame with its stamp, the stamp read back on RX,
// and the few ARP frames the router-DUT mode needs. Inline because the TX
// and RX loops (generator.cc) run these per frame; the component tests use
// them to forge input.
//
// Stamp layout (after the L4 header, network byte order):
//   UDP: magic(2) flow(4) seq(4) tsc32(4)           -> fits a 64-byte frame
//   TCP: magic(2) tsc32(4); seq in th.seq, flow in th.ack, since a 64-byte
//        TCP frame leaves only 6 bytes of payload.
// tsc32 is the low half of the TX rte_rdtsc(): latency is a wrap-safe
// 32-bit difference, good for delays up to 2^32 cycles (> 1 s at 3 GHz).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "bench/gen/gen_types.h"

namespace tandem::gen {

constexpr unsigned kEthHdrLen = sizeof(rte_ether_hdr);
constexpr unsigned kIpv4HdrLen = sizeof(rte_ipv4_hdr);
constexpr unsigned kUdpStampLen = 14;
constexpr unsigned kTcpStampLen = 6;
constexpr uint8_t kDefaultTtl = 64;
constexpr unsigned kArpFrameLen = 60;  // minimum Ethernet frame without FCS

struct FlowTuple {  // host order
  uint32_t src_ip;
  uint32_t dst_ip;
  uint16_t src_port;
  uint16_t dst_port;
};

struct Stamp {
  uint32_t wire_flow;  // flow id | kReverseStreamBit
  uint32_t seq;
  uint32_t tsc32;
};

inline FlowTuple flow_tuple(const FlowSpace& space, uint32_t flow, bool reverse) {
  uint64_t rest = flow;
  const uint32_t client_ip = space.client_ip.first + static_cast<uint32_t>(rest % space.client_ip.count);
  rest /= space.client_ip.count;
  const auto client_port =
      static_cast<uint16_t>(space.client_port.first + rest % space.client_port.count);
  rest /= space.client_port.count;
  const uint32_t server_ip = space.server_ip.first + static_cast<uint32_t>(rest % space.server_ip.count);
  rest /= space.server_ip.count;
  const auto server_port =
      static_cast<uint16_t>(space.server_port.first + rest % space.server_port.count);
  if (reverse) return {server_ip, client_ip, server_port, client_port};
  return {client_ip, server_ip, client_port, server_port};
}

// WarmupOrder::kSpread. Trials send flow 0, 1, 2, ...; the warm-up steps
// by spread_stride(n), so it creates flow f at step f x t mod n, where t is
// the stride's inverse mod n. t is coprime with n (so the warm-up visits
// every flow once), near 0.618 x n, and among the candidates nearby the one
// whose multiples 1..kSpreadWindow-1 land farthest from 0: flows less than
// a burst apart in the trials were created far apart.
constexpr uint32_t kSpreadWindow = 32;

// The smallest distance (mod n, either way) of k x t from 0, 0 < k < window.
inline uint32_t spread_min_distance(uint32_t t, uint32_t n) {
  uint32_t best = n;
  for (uint64_t k = 1; k < kSpreadWindow; ++k) {
    auto r = static_cast<uint32_t>(k * t % n);
    best = std::min(best, std::min(r, n - r));
  }
  return best;
}

// The inverse of t mod n (t coprime with n, n >= 2).
inline uint32_t inverse_mod(uint32_t t, uint32_t n) {
  int64_t r0 = n, r1 = t, x0 = 0, x1 = 1;
  while (r1 != 0) {
    int64_t q = r0 / r1;
    int64_t r2 = r0 - q * r1, x2 = x0 - q * x1;
    r0 = r1, r1 = r2, x0 = x1, x1 = x2;
  }
  return static_cast<uint32_t>(x0 < 0 ? x0 + n : x0);
}

inline uint32_t spread_stride(uint32_t n) {
  if (n <= 2) return 1;
  const auto center = static_cast<int64_t>(static_cast<double>(n) * 0.6180339887498949 + 0.5);
  uint32_t t = 1, best = 0;
  for (int64_t s = center - 64; s <= center + 64; ++s) {
    if (s < 1 || s >= n || std::gcd(static_cast<uint32_t>(s), n) != 1) continue;
    uint32_t d = spread_min_distance(static_cast<uint32_t>(s), n);
    if (d > best) {
      best = d;
      t = static_cast<uint32_t>(s);
    }
  }
  return inverse_mod(t, n);
}

// The flow after `flow` (< count) with `stride` (< count, or 1).
inline uint32_t next_flow(uint32_t flow, uint32_t stride, uint32_t count) {
  const uint32_t left = count - flow;  // flow + stride wraps when stride >= left
  return stride >= left ? stride - left : flow + stride;
}

inline unsigned l4_header_len(L4Shape shape) {
  return shape == L4Shape::kTcp ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr);
}

// Flags of measured TCP segments: data on an established connection.
constexpr uint8_t kTcpDataFlags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;

// Writes a whole frame of frame_len bytes (FCS excluded) at p. Bytes after
// the stamp are left as they are: nobody reads them, and clearing 1.4 kB per
// frame would halve the generator's rate at 1518 bytes. tcp_flags: the
// warm-up's handshake sends SYN, SYN|ACK and ACK; they carry the stamp too
// (data on a SYN is legal, and it lets RX count handshakes that got through).
inline void build_frame(uint8_t* p, unsigned frame_len, const rte_ether_addr& dst,
                        const rte_ether_addr& src, const FlowTuple& tuple, L4Shape shape,
                        const Stamp& stamp, uint8_t tcp_flags = kTcpDataFlags) {
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  eth->dst_addr = dst;
  eth->src_addr = src;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + kEthHdrLen);
  const unsigned ip_len = frame_len - kEthHdrLen;
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(ip_len));
  ip->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(stamp.seq));
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  ip->time_to_live = kDefaultTtl;
  ip->next_proto_id = shape == L4Shape::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  ip->hdr_checksum = 0;
  ip->src_addr = rte_cpu_to_be_32(tuple.src_ip);
  ip->dst_addr = rte_cpu_to_be_32(tuple.dst_ip);
  ip->hdr_checksum = rte_ipv4_cksum(ip);

  uint8_t* l4 = p + kEthHdrLen + kIpv4HdrLen;
  const uint16_t magic = rte_cpu_to_be_16(kStampMagic);
  const uint32_t tsc = rte_cpu_to_be_32(stamp.tsc32);
  if (shape == L4Shape::kUdp) {
    auto* udp = reinterpret_cast<rte_udp_hdr*>(l4);
    udp->src_port = rte_cpu_to_be_16(tuple.src_port);
    udp->dst_port = rte_cpu_to_be_16(tuple.dst_port);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(ip_len - kIpv4HdrLen));
    udp->dgram_cksum = 0;  // optional in IPv4; saves a pass over the payload
    uint8_t* s = l4 + sizeof(rte_udp_hdr);
    const uint32_t flow = rte_cpu_to_be_32(stamp.wire_flow);
    const uint32_t seq = rte_cpu_to_be_32(stamp.seq);
    std::memcpy(s, &magic, 2);
    std::memcpy(s + 2, &flow, 4);
    std::memcpy(s + 6, &seq, 4);
    std::memcpy(s + 10, &tsc, 4);
  } else {
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l4);
    tcp->src_port = rte_cpu_to_be_16(tuple.src_port);
    tcp->dst_port = rte_cpu_to_be_16(tuple.dst_port);
    tcp->sent_seq = rte_cpu_to_be_32(stamp.seq);
    tcp->recv_ack = rte_cpu_to_be_32(stamp.wire_flow);
    tcp->data_off = static_cast<uint8_t>((sizeof(rte_tcp_hdr) / 4) << 4);
    tcp->tcp_flags = tcp_flags;
    tcp->rx_win = rte_cpu_to_be_16(UINT16_MAX);
    tcp->tcp_urp = 0;
    tcp->cksum = 0;
    uint8_t* s = l4 + sizeof(rte_tcp_hdr);
    std::memcpy(s, &magic, 2);
    std::memcpy(s + 2, &tsc, 4);
    // A stateful DUT may verify it; the stamp is written first.
    tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
  }
}

// Finds the stamp of a generated frame (one VLAN tag allowed; the headers
// may have been swapped by a reflector). False for anything else.
inline bool read_stamp(const uint8_t* p, unsigned len, Stamp* out) {
  if (len < kEthHdrLen + kIpv4HdrLen) return false;
  unsigned off = kEthHdrLen;
  uint16_t type;
  std::memcpy(&type, p + 12, 2);
  if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
    std::memcpy(&type, p + 16, 2);
    off += 4;
  }
  if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || len < off + kIpv4HdrLen) return false;
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + off);
  const unsigned ihl = (ip->version_ihl & 0x0f) * 4u;
  if ((ip->version_ihl >> 4) != 4 || ihl < kIpv4HdrLen) return false;
  if ((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0) return false;
  off += ihl;
  uint16_t magic;
  uint32_t word;
  if (ip->next_proto_id == IPPROTO_UDP) {
    if (len < off + sizeof(rte_udp_hdr) + kUdpStampLen) return false;
    const uint8_t* s = p + off + sizeof(rte_udp_hdr);
    std::memcpy(&magic, s, 2);
    if (magic != rte_cpu_to_be_16(kStampMagic)) return false;
    std::memcpy(&word, s + 2, 4);
    out->wire_flow = rte_be_to_cpu_32(word);
    std::memcpy(&word, s + 6, 4);
    out->seq = rte_be_to_cpu_32(word);
    std::memcpy(&word, s + 10, 4);
    out->tsc32 = rte_be_to_cpu_32(word);
    return true;
  }
  if (ip->next_proto_id == IPPROTO_TCP) {
    if (len < off + sizeof(rte_tcp_hdr)) return false;
    const auto* tcp = reinterpret_cast<const rte_tcp_hdr*>(p + off);
    const unsigned doff = (tcp->data_off >> 4) * 4u;
    if (doff < sizeof(rte_tcp_hdr) || len < off + doff + kTcpStampLen) return false;
    const uint8_t* s = p + off + doff;
    std::memcpy(&magic, s, 2);
    if (magic != rte_cpu_to_be_16(kStampMagic)) return false;
    out->seq = rte_be_to_cpu_32(tcp->sent_seq);
    out->wire_flow = rte_be_to_cpu_32(tcp->recv_ack);
    std::memcpy(&word, s + 2, 4);
    out->tsc32 = rte_be_to_cpu_32(word);
    return true;
  }
  return false;
}

// ARP request (tha zero, broadcast) or reply; spa/tpa host order. Padded to
// the 60-byte minimum frame.
inline void build_arp(uint8_t* p, uint16_t op, const rte_ether_addr& eth_dst,
                      const rte_ether_addr& sha, uint32_t spa, const rte_ether_addr& tha,
                      uint32_t tpa) {
  std::memset(p, 0, kArpFrameLen);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  eth->dst_addr = eth_dst;
  eth->src_addr = sha;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(p + kEthHdrLen);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(op);
  arp->arp_data.arp_sha = sha;
  arp->arp_data.arp_sip = rte_cpu_to_be_32(spa);
  arp->arp_data.arp_tha = tha;
  arp->arp_data.arp_tip = rte_cpu_to_be_32(tpa);
}

// The ARP body of an Ethernet/IPv4 ARP frame, or nullptr.
inline const rte_arp_hdr* arp_of(const uint8_t* p, unsigned len) {
  if (len < kEthHdrLen + sizeof(rte_arp_hdr)) return nullptr;
  const auto* eth = reinterpret_cast<const rte_ether_hdr*>(p);
  if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) return nullptr;
  const auto* arp = reinterpret_cast<const rte_arp_hdr*>(p + kEthHdrLen);
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
      arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4) {
    return nullptr;
  }
  return arp;
}

}  // namespace tandem::gen
