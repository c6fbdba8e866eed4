#include "dataplane/tcp/tcp_cookie.h"

#include <cstring>

namespace tandem::dp {
namespace {

constexpr unsigned kCounterBits = 5, kMssBits = 3, kMacBits = 24;
constexpr uint32_t kMacMask = (1u << kMacBits) - 1;
constexpr uint32_t kCounterMask = (1u << kCounterBits) - 1;

uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// The fields a cookie MAC covers, laid out without padding.
struct CookieInput {
  uint32_t src_ip, dst_ip;
  uint16_t src_port, dst_port;
  uint32_t client_isn;
  uint32_t counter;
};

uint32_t cookie_mac(const TcpSecret& key, const TcpTuple& t, uint32_t client_isn,
                    uint32_t counter, uint8_t mss_index) {
  CookieInput in{t.src_ip, t.dst_ip, t.src_port, t.dst_port, client_isn,
                 counter << kMssBits | mss_index};
  return static_cast<uint32_t>(siphash24(key, &in, sizeof(in))) & kMacMask;
}

}  // namespace

uint64_t siphash24(const TcpSecret& key, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull,
             key.k0 ^ 0x6c7967656e657261ull, key.k1 ^ 0x7465646279746573ull};
  size_t full = len & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) s.absorb(load_le64(p + i));
  uint64_t last = uint64_t{len & 0xff} << 56;
  for (size_t i = full; i < len; ++i) last |= uint64_t{p[i]} << (8 * (i - full));
  s.absorb(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint8_t tcp_cookie_mss_index(uint16_t mss) {
  uint8_t idx = 0;
  for (uint8_t i = 0; i < kTcpCookieMssCount; ++i)
    if (kTcpCookieMss[i] <= mss) idx = i;
  return idx;
}

uint32_t tcp_cookie_make(const TcpSecret& key, const TcpTuple& syn, uint32_t client_isn,
                         uint8_t mss_index, uint64_t now_us) {
  uint32_t counter = static_cast<uint32_t>(now_us / kTcpCookieSlotUs);
  mss_index &= (1u << kMssBits) - 1;
  return (counter & kCounterMask) << (kMssBits + kMacBits) | uint32_t{mss_index} << kMacBits |
         cookie_mac(key, syn, client_isn, counter, mss_index);
}

bool tcp_cookie_check(const TcpSecret& key, const TcpTuple& ack_tuple, uint32_t client_isn,
                      uint32_t cookie, uint64_t now_us, uint8_t* mss_index) {
  uint32_t now_counter = static_cast<uint32_t>(now_us / kTcpCookieSlotUs);
  uint32_t low = cookie >> (kMssBits + kMacBits);
  uint8_t idx = static_cast<uint8_t>((cookie >> kMacBits) & ((1u << kMssBits) - 1));
  // The full counter is the most recent one with these low bits; only it and
  // its successor are accepted.
  uint32_t age = (now_counter - low) & kCounterMask;
  if (age > 1) return false;
  uint32_t counter = now_counter - age;
  if (cookie_mac(key, ack_tuple, client_isn, counter, idx) != (cookie & kMacMask)) return false;
  *mss_index = idx;
  return true;
}

uint32_t tcp_iss(const TcpSecret& key, const TcpTuple& tuple, uint64_t now_us) {
  uint32_t in[3] = {tuple.src_ip, tuple.dst_ip,
                    uint32_t{tuple.src_port} << 16 | tuple.dst_port};
  return static_cast<uint32_t>(now_us / 4) + static_cast<uint32_t>(siphash24(key, in, sizeof(in)));
}

}  // namespace tandem::dp
