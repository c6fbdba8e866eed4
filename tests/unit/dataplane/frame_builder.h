// Hand-built frames for the dataplane tests (unit and component): Ethernet
// with optional VLAN tags, ARP, IPv4 with ICMP echo / UDP / TCP. Checksums
// are computed here independently of DPDK so the tests cross-check the
// dataplane's own arithmetic.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace tandem::dp::test {

using Bytes = std::vector<uint8_t>;

struct Mac {
  uint8_t b[6];
};

inline constexpr Mac kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

// Host-order IPv4 address from dotted parts.
constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

// Network-order form, as PortAddr and ParsedFrame hold it.
inline uint32_t to_be(uint32_t host) { return __builtin_bswap32(host); }

struct VlanTag {
  uint16_t tpid;
  uint16_t tci;
};

inline void put16(Bytes& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& f, uint32_t v) {
  put16(f, static_cast<uint16_t>(v >> 16));
  put16(f, static_cast<uint16_t>(v));
}
inline void put_mac(Bytes& f, const Mac& m) { f.insert(f.end(), m.b, m.b + 6); }
inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t{get16(p)} << 16) | get16(p + 2);
}

// RFC 1071 Internet checksum of [p, p+len), big-endian words.
inline uint16_t inet_checksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += get16(p + i);
  if (len & 1) sum += uint32_t{p[len - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline Bytes ether_header(const Mac& dst, const Mac& src, uint16_t type,
                          std::initializer_list<VlanTag> vlans = {}) {
  Bytes f;
  put_mac(f, dst);
  put_mac(f, src);
  for (const VlanTag& v : vlans) {
    put16(f, v.tpid);
    put16(f, v.tci);
  }
  put16(f, type);
  return f;
}

inline Bytes arp_frame(const Mac& eth_dst, const Mac& eth_src, uint16_t op, const Mac& sha,
                       uint32_t spa, const Mac& tha, uint32_t tpa,
                       std::initializer_list<VlanTag> vlans = {}) {
  Bytes f = ether_header(eth_dst, eth_src, 0x0806, vlans);
  put16(f, 1);       // Ethernet
  put16(f, 0x0800);  // IPv4
  f.push_back(6);
  f.push_back(4);
  put16(f, op);
  put_mac(f, sha);
  put32(f, spa);
  put_mac(f, tha);
  put32(f, tpa);
  return f;
}

// IPv4 header (IHL 5 plus `options`, which must be a multiple of 4 bytes)
// followed by `payload`, with a correct header checksum.
inline Bytes ipv4_frame(const Mac& dst_mac, const Mac& src_mac, uint32_t src, uint32_t dst,
                        uint8_t proto, const Bytes& payload,
                        std::initializer_list<VlanTag> vlans = {}, uint16_t frag = 0,
                        const Bytes& options = {}) {
  Bytes f = ether_header(dst_mac, src_mac, 0x0800, vlans);
  size_t ip_off = f.size();
  size_t hdr_len = 20 + options.size();
  f.push_back(static_cast<uint8_t>(0x40 | (hdr_len / 4)));
  f.push_back(0);
  put16(f, static_cast<uint16_t>(hdr_len + payload.size()));
  put16(f, 0x1234);  // id
  put16(f, frag);
  f.push_back(63);  // ttl
  f.push_back(proto);
  put16(f, 0);  // checksum, below
  put32(f, src);
  put32(f, dst);
  f.insert(f.end(), options.begin(), options.end());
  uint16_t sum = inet_checksum(f.data() + ip_off, hdr_len);
  f[ip_off + 10] = static_cast<uint8_t>(sum >> 8);
  f[ip_off + 11] = static_cast<uint8_t>(sum);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

inline Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, const Bytes& data) {
  Bytes m;
  m.push_back(type);
  m.push_back(0);
  put16(m, 0);
  put16(m, id);
  put16(m, seq);
  m.insert(m.end(), data.begin(), data.end());
  uint16_t sum = inet_checksum(m.data(), m.size());
  m[2] = static_cast<uint8_t>(sum >> 8);
  m[3] = static_cast<uint8_t>(sum);
  return m;
}

inline Bytes udp_segment(uint16_t sport, uint16_t dport, const Bytes& data) {
  Bytes s;
  put16(s, sport);
  put16(s, dport);
  put16(s, static_cast<uint16_t>(8 + data.size()));
  put16(s, 0);  // no checksum (allowed for IPv4)
  s.insert(s.end(), data.begin(), data.end());
  return s;
}

inline Bytes tcp_segment(uint16_t sport, uint16_t dport, uint8_t data_offset_words = 5) {
  Bytes s;
  put16(s, sport);
  put16(s, dport);
  put32(s, 1000);  // seq
  put32(s, 0);     // ack
  s.push_back(static_cast<uint8_t>(data_offset_words << 4));
  s.push_back(0x02);  // SYN
  put16(s, 65535);
  put16(s, 0);
  put16(s, 0);
  while (s.size() < size_t{data_offset_words} * 4) s.push_back(1);  // NOP options
  return s;
}

// A 20-byte TCP header with the given flags (FIN 0x01, SYN 0x02, RST 0x04,
// ACK 0x10); checksum left 0 (the dataplane does not verify it).
inline Bytes tcp_flags_segment(uint16_t sport, uint16_t dport, uint8_t flags) {
  Bytes s;
  put16(s, sport);
  put16(s, dport);
  put32(s, 1000);
  put32(s, 0);
  s.push_back(0x50);
  s.push_back(flags);
  put16(s, 65535);
  put16(s, 0);
  put16(s, 0);
  return s;
}

inline Bytes pattern_bytes(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

}  // namespace tandem::dp::test
