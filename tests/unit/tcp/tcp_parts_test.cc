// The engine's parts on their own: wire codec, checksum, SipHash and SYN
// cookies, the timer wheel, the format lines.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dataplane/tcp/tcp_cookie.h"
#include "dataplane/tcp/tcp_timer.h"
#include "dataplane/tcp/tcp_wire.h"
#include "tests/unit/tcp/tcp_test_util.h"

namespace tandem::dp::test {
namespace {

TEST(TcpWire, SynOptionsRoundTrip) {
  TcpSegment s{};
  s.tuple = TcpTuple{kIpA, kIpB, 40000, 443};
  s.seq = 0xfffffff0;
  s.ack = 0;
  s.flags = kTcpSyn;
  s.window = 65535;
  s.opts.has_mss = true;
  s.opts.mss = 1460;
  s.opts.has_wscale = true;
  s.opts.wscale = 7;
  s.opts.sack_permitted = true;
  s.opts.has_ts = true;
  s.opts.ts_val = 123456;
  s.opts.ts_ecr = 0;
  uint8_t buf[60];
  size_t n = tcp_wire_encode_header(s, buf, sizeof(buf));
  ASSERT_EQ(n, 40u);  // 20 + MSS 4 + SACKOK/TS 12 + NOP WS 4
  TcpSegment d;
  ASSERT_TRUE(tcp_wire_decode(buf, n, kIpA, kIpB, &d));
  EXPECT_EQ(d.tuple.src_port, 40000);
  EXPECT_EQ(d.tuple.dst_port, 443);
  EXPECT_EQ(d.seq, 0xfffffff0u);
  EXPECT_EQ(d.flags, kTcpSyn);
  EXPECT_TRUE(d.opts.has_mss && d.opts.mss == 1460);
  EXPECT_TRUE(d.opts.has_wscale && d.opts.wscale == 7);
  EXPECT_TRUE(d.opts.sack_permitted);
  EXPECT_TRUE(d.opts.has_ts && d.opts.ts_val == 123456);
  EXPECT_EQ(d.payload_len, 0u);
}

TEST(TcpWire, SackBlocksCappedBesideTimestamps) {
  TcpSegment s{};
  s.flags = kTcpAck;
  s.opts.has_ts = true;
  s.opts.nb_sack = 4;
  for (unsigned i = 0; i < 4; ++i) s.opts.sack[i] = TcpSackBlock{100 * i + 10, 100 * i + 50};
  uint8_t buf[60];
  size_t n = tcp_wire_encode_header(s, buf, sizeof(buf));
  ASSERT_EQ(n, 20u + 12 + 4 + 24);  // three blocks fit beside timestamps
  TcpSegment d;
  ASSERT_TRUE(tcp_wire_decode(buf, n, 1, 2, &d));
  ASSERT_EQ(d.opts.nb_sack, 3);
  EXPECT_EQ(d.opts.sack[2].left, 210u);
  EXPECT_EQ(d.opts.sack[2].right, 250u);
  s.opts.has_ts = false;
  n = tcp_wire_encode_header(s, buf, sizeof(buf));
  ASSERT_TRUE(tcp_wire_decode(buf, n, 1, 2, &d));
  EXPECT_EQ(d.opts.nb_sack, 4);
  // MSS / WS / SACKOK are SYN-only options.
  EXPECT_FALSE(d.opts.has_mss);
}

TEST(TcpWire, MalformedInputRejectedOrTolerated) {
  uint8_t buf[60] = {};
  TcpSegment d;
  EXPECT_FALSE(tcp_wire_decode(buf, 19, 1, 2, &d));
  buf[12] = 4 << 4;  // data offset 16 < 20
  EXPECT_FALSE(tcp_wire_decode(buf, 20, 1, 2, &d));
  buf[12] = 15 << 4;  // 60 > len
  EXPECT_FALSE(tcp_wire_decode(buf, 40, 1, 2, &d));
  buf[12] = 8 << 4;  // 32 bytes: an option whose length runs past the header
  buf[13] = kTcpSyn;
  buf[20] = 2;
  buf[21] = 40;
  ASSERT_TRUE(tcp_wire_decode(buf, 32, 1, 2, &d));
  EXPECT_FALSE(d.opts.has_mss);
  buf[21] = 0;  // zero-length option must not loop
  ASSERT_TRUE(tcp_wire_decode(buf, 32, 1, 2, &d));
}

TEST(TcpWire, ChecksumVerifies) {
  std::vector<uint8_t> p(20 + 5);
  TcpSegment s{};
  s.tuple = TcpTuple{kIpA, kIpB, 1, 2};
  s.flags = kTcpAck | kTcpPsh;
  tcp_wire_encode_header(s, p.data(), 20);
  std::memcpy(p.data() + 20, "hello", 5);
  uint16_t ck = tcp_wire_checksum(kIpA, kIpB, p.data(), p.size());
  p[16] = static_cast<uint8_t>(ck >> 8);
  p[17] = static_cast<uint8_t>(ck);
  EXPECT_EQ(tcp_wire_checksum(kIpA, kIpB, p.data(), p.size()), 0);
  p[22] ^= 1;
  EXPECT_NE(tcp_wire_checksum(kIpA, kIpB, p.data(), p.size()), 0);
}

// The word-at-a-time sum against RFC 1071's definition (16-bit big-endian
// words, an odd byte padded with zero) for every length and start offset
// up to a full segment's tail.
TEST(TcpWire, ChecksumMatchesTheByteWiseDefinition) {
  auto reference = [](uint32_t src, uint32_t dst, const uint8_t* p, size_t len) {
    uint64_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6u + len;
    size_t i = 0;
    for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (i < len) sum += uint32_t{p[i]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
  };
  std::vector<uint8_t> buf(1600);
  uint32_t x = 0x12345678;
  for (uint8_t& b : buf) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  for (size_t off = 0; off < 4; ++off)
    for (size_t len : {0, 1, 2, 3, 4, 5, 7, 20, 21, 39, 40, 41, 1459, 1460, 1480, 1500, 1595})
      ASSERT_EQ(tcp_wire_checksum(kIpA, kIpB, buf.data() + off, len),
                reference(kIpA, kIpB, buf.data() + off, len))
          << "off " << off << " len " << len;
  // All ones: the largest sums fold correctly too.
  std::vector<uint8_t> ones(1500, 0xff);
  EXPECT_EQ(tcp_wire_checksum(0xffffffff, 0xffffffff, ones.data(), ones.size()),
            reference(0xffffffff, 0xffffffff, ones.data(), ones.size()));
}

TEST(TcpCookie, SipHashReferenceVector) {
  // SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e.
  TcpSecret k{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  uint8_t msg[15];
  for (int i = 0; i < 15; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(siphash24(k, msg, sizeof(msg)), 0xa129ca6149be45e5ull);
}

TEST(TcpCookie, ValidOnlyForItsTupleIsnAndTime) {
  TcpSecret k{1, 2};
  TcpTuple t{kIpB, kIpA, 5555, 80};
  uint64_t now = 1'000'000'000;
  uint8_t idx = tcp_cookie_mss_index(1400);
  EXPECT_EQ(kTcpCookieMss[idx], 1380);
  uint32_t c = tcp_cookie_make(k, t, 777, idx, now);
  uint8_t got = 0;
  EXPECT_TRUE(tcp_cookie_check(k, t, 777, c, now + 1000, &got));
  EXPECT_EQ(got, idx);
  EXPECT_TRUE(tcp_cookie_check(k, t, 777, c, now + kTcpCookieSlotUs, &got));
  EXPECT_FALSE(tcp_cookie_check(k, t, 777, c, now + 3 * kTcpCookieSlotUs, &got));
  EXPECT_FALSE(tcp_cookie_check(k, t, 778, c, now, &got));
  TcpTuple other = t;
  other.src_port = 5556;
  EXPECT_FALSE(tcp_cookie_check(k, other, 777, c, now, &got));
  EXPECT_FALSE(tcp_cookie_check(TcpSecret{1, 3}, t, 777, c, now, &got));
  EXPECT_FALSE(tcp_cookie_check(k, t, 777, c ^ (1u << 24), now, &got));  // MSS bits are covered
}

struct Fired {
  std::vector<std::pair<uint32_t, uint64_t>> v;
  TimerWheel* w = nullptr;
  bool rearm = false;
};

void on_fire(void* ctx, uint32_t id, uint64_t now) {
  auto* f = static_cast<Fired*>(ctx);
  f->v.emplace_back(id, now);
  if (f->rearm && id == 0) timer_arm(f->w, 0, now);  // "now" again: must wait a tick
}

TEST(TcpTimer, FiresNeverEarlyAtMostOneTickLate) {
  std::vector<uint64_t> mem(timer_wheel_memsize(8, 16) / 8 + 1);
  TimerWheel* w = timer_wheel_init(mem.data(), 8, 16, 1000, 0);
  Fired f;
  f.w = w;
  timer_arm(w, 1, 2500);
  timer_arm(w, 2, 100'000);  // beyond the 16 ms horizon
  timer_arm(w, 3, 5000);
  timer_cancel(w, 3);
  for (uint64_t t = 0; t <= 2000; t += 500) timer_wheel_advance(w, t, on_fire, &f);
  EXPECT_TRUE(f.v.empty());
  timer_wheel_advance(w, 3000, on_fire, &f);
  ASSERT_EQ(f.v.size(), 1u);
  EXPECT_EQ(f.v[0].first, 1u);
  for (uint64_t t = 3000; t < 100'000; t += 1000) timer_wheel_advance(w, t, on_fire, &f);
  EXPECT_EQ(f.v.size(), 1u);
  timer_wheel_advance(w, 100'000, on_fire, &f);
  ASSERT_EQ(f.v.size(), 2u);
  EXPECT_EQ(f.v[1].first, 2u);
  EXPECT_FALSE(timer_armed(w, 2));
  // A long jump fires everything due, once.
  timer_arm(w, 4, 200'000);
  timer_arm(w, 5, 900'000);
  timer_arm(w, 6, 5'000'000);
  timer_wheel_advance(w, 1'000'000, on_fire, &f);
  EXPECT_EQ(f.v.size(), 4u);
  EXPECT_TRUE(timer_armed(w, 6));
  // Re-arming at "now" from the callback does not loop.
  f.rearm = true;
  timer_arm(w, 0, 1'000'000);
  timer_wheel_advance(w, 1'001'000, on_fire, &f);
  EXPECT_EQ(f.v.size(), 5u);
  EXPECT_TRUE(timer_armed(w, 0));
}

}  // namespace
}  // namespace tandem::dp::test
