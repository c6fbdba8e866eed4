#include "controlplane/ha/hb_frame.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::ha {
namespace {

const uint8_t kMac[6] = {0x02, 0, 0, 0, 0, 0x0a};

HbInfo sample(uint64_t seq, uint64_t epoch = 0x1122334455667788ull) {
  HbInfo h;
  h.group_id = 5;
  h.serial = "FGVM01TM22000001";
  h.boot_epoch = epoch;
  h.seq = seq;
  h.hostname = "node-a";
  h.priority = 200;
  h.override = true;
  h.maintenance = false;
  h.failover_set = true;
  h.links_pending = true;
  h.mon_score = 1;
  h.mon_total = 2;
  h.uptime_ms = 123456789;
  h.role = HbRole::kPrimary;
  h.sw_version = "v0.1.0,build0001";
  h.config_checksum = "0123456789abcdef0123456789abcdef";
  h.sync = HbSyncStatus::kInSync;
  h.hbdev = "ha";
  return h;
}

struct Codecs {
  HbCodec tx, rx;
  Codecs(const char* tx_pw = "s3cret", unsigned tx_group = 5, const char* rx_pw = "s3cret", unsigned rx_group = 5) {
    std::string err;
    EXPECT_TRUE(tx.init(tx_pw, tx_group, &err)) << err;
    EXPECT_TRUE(rx.init(rx_pw, rx_group, &err)) << err;
  }
  std::vector<uint8_t> frame(const HbInfo& h) {
    std::vector<uint8_t> f(kHbFrameMax);
    f.resize(tx.encode(h, kMac, f.data(), f.size()));
    EXPECT_GT(f.size(), 0u);
    return f;
  }
  HbDecodeResult rx_frame(const std::vector<uint8_t>& f, HbInfo* out = nullptr) {
    HbInfo tmp;
    return rx.decode(f.data(), f.size(), out ? out : &tmp);
  }
};

TEST(HbFrame, RoundTripKeepsEveryField) {
  Codecs c;
  HbInfo in = sample(1);
  auto f = c.frame(in);
  EXPECT_EQ(f[12], 0x88);
  EXPECT_EQ(f[13], 0xB5);
  EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + 6), std::vector<uint8_t>(6, 0xff));
  HbInfo out;
  ASSERT_EQ(c.rx_frame(f, &out), HbDecodeResult::kOk);
  EXPECT_EQ(out.group_id, 5u);
  EXPECT_EQ(out.serial, in.serial);
  EXPECT_EQ(out.boot_epoch, in.boot_epoch);
  EXPECT_EQ(out.seq, 1u);
  EXPECT_EQ(out.hostname, "node-a");
  EXPECT_EQ(out.priority, 200);
  EXPECT_TRUE(out.override);
  EXPECT_FALSE(out.maintenance);
  EXPECT_TRUE(out.failover_set);
  EXPECT_TRUE(out.links_pending);
  EXPECT_EQ(out.mon_score, 1);
  EXPECT_EQ(out.mon_total, 2);
  EXPECT_EQ(out.uptime_ms, 123456789u);
  EXPECT_EQ(out.role, HbRole::kPrimary);
  EXPECT_EQ(out.sw_version, in.sw_version);
  EXPECT_EQ(out.config_checksum, in.config_checksum);
  EXPECT_EQ(out.sync, HbSyncStatus::kInSync);
  EXPECT_EQ(out.hbdev, "ha");
  EXPECT_EQ(c.rx.counters().ok, 1u);
}

TEST(HbFrame, PayloadIsEncrypted) {
  Codecs c;
  auto f = c.frame(sample(1));
  std::string bytes(f.begin(), f.end());
  EXPECT_EQ(bytes.find("node-a"), std::string::npos);
  EXPECT_NE(bytes.find("FGVM01TM22000001"), std::string::npos);  // sender id travels in clear
}

TEST(HbFrame, WrongPasswordIsAuthFailed) {
  Codecs c("s3cret", 5, "other", 5);
  EXPECT_EQ(c.rx_frame(c.frame(sample(1))), HbDecodeResult::kAuthFailed);
  EXPECT_EQ(c.rx.counters().auth_failed, 1u);
}

TEST(HbFrame, EmptyPasswordAuthenticatesAndDiffersFromAny) {
  Codecs same("", 5, "", 5);
  EXPECT_EQ(same.rx_frame(same.frame(sample(1))), HbDecodeResult::kOk);
  Codecs diff("", 5, "x", 5);
  EXPECT_EQ(diff.rx_frame(diff.frame(sample(1))), HbDecodeResult::kAuthFailed);
}

TEST(HbFrame, WrongGroupIsDropped) {
  Codecs c("s3cret", 5, "s3cret", 6);
  HbInfo h = sample(1);
  EXPECT_EQ(c.rx_frame(c.frame(h)), HbDecodeResult::kWrongGroup);
  EXPECT_EQ(c.rx.counters().wrong_group, 1u);
}

TEST(HbFrame, EncodeRefusesOutOfRangeFields) {
  Codecs c;
  uint8_t buf[kHbFrameMax];
  HbInfo h = sample(1);
  h.serial = "THIS-SERIAL-IS-TOO-LONG";
  EXPECT_EQ(c.tx.encode(h, kMac, buf, sizeof(buf)), 0u);
  h = sample(1);
  h.group_id = 6;  // not the codec's group
  EXPECT_EQ(c.tx.encode(h, kMac, buf, sizeof(buf)), 0u);
  h = sample(1);
  h.hostname = std::string(kHbHostnameMax + 1, 'h');
  EXPECT_EQ(c.tx.encode(h, kMac, buf, sizeof(buf)), 0u);
  h = sample(1);
  EXPECT_EQ(c.tx.encode(h, kMac, buf, 40), 0u);
}

TEST(HbFrame, ReplayWindow) {
  Codecs c;
  auto f1 = c.frame(sample(1));
  auto f3 = c.frame(sample(3));
  auto f2 = c.frame(sample(2));
  auto f100 = c.frame(sample(100));
  auto f36 = c.frame(sample(36));
  auto f37 = c.frame(sample(37));
  EXPECT_EQ(c.rx_frame(f1), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(f1), HbDecodeResult::kReplay);
  EXPECT_EQ(c.rx_frame(f3), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(f2), HbDecodeResult::kOk);  // reordered, inside the window
  EXPECT_EQ(c.rx_frame(f2), HbDecodeResult::kReplay);
  EXPECT_EQ(c.rx_frame(f100), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(f36), HbDecodeResult::kReplay);  // 64 behind the top: out of the window
  EXPECT_EQ(c.rx_frame(f37), HbDecodeResult::kOk);      // 63 behind: still inside
  EXPECT_EQ(c.rx_frame(f37), HbDecodeResult::kReplay);
  EXPECT_EQ(c.rx.counters().replay, 4u);
}

TEST(HbFrame, EveryCorruptedByteIsRejected) {
  Codecs c;
  auto good = c.frame(sample(1));
  // Byte 0..11 are the MACs, which the AEAD does not cover (the hbdev may
  // rewrite them); every byte from the EtherType on must be protected.
  for (size_t i = 12; i < good.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80}) {
      auto bad = good;
      bad[i] ^= flip;
      HbDecodeResult r = c.rx_frame(bad);
      EXPECT_NE(r, HbDecodeResult::kOk) << "byte " << i;
    }
  }
  EXPECT_EQ(c.rx_frame(good), HbDecodeResult::kOk);  // forgeries moved no window
}

TEST(HbFrame, ShortAndForeignFrames) {
  Codecs c;
  auto good = c.frame(sample(1));
  std::vector<uint8_t> arp(good.begin(), good.begin() + 14);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(c.rx_frame(arp), HbDecodeResult::kNotHb);
  EXPECT_EQ(c.rx_frame(std::vector<uint8_t>(good.begin(), good.begin() + 10)), HbDecodeResult::kNotHb);
  for (size_t n : {size_t(14), size_t(40), good.size() - 1})
    EXPECT_EQ(c.rx_frame(std::vector<uint8_t>(good.begin(), good.begin() + long(n))), HbDecodeResult::kMalformed)
        << n;
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(c.rx_frame(longer), HbDecodeResult::kMalformed);
  HbInfo out;
  EXPECT_EQ(c.rx.decode(nullptr, 0, &out), HbDecodeResult::kNotHb);
}

TEST(HbFrame, RestartedPeerIsAcceptedAndItsOldLifeIsNot) {
  Codecs c;
  auto old1 = c.frame(sample(1, 111));
  auto old2 = c.frame(sample(2, 111));
  auto new1 = c.frame(sample(1, 222));
  EXPECT_EQ(c.rx_frame(old1), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(old2), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(new1), HbDecodeResult::kOk);  // seq restarted at 1 under a new epoch
  EXPECT_EQ(c.rx.counters().peer_restarts, 1u);
  EXPECT_EQ(c.rx_frame(new1), HbDecodeResult::kReplay);
  EXPECT_EQ(c.rx_frame(old2), HbDecodeResult::kReplay);  // the previous life stays closed
  EXPECT_EQ(c.rx_frame(c.frame(sample(2, 222))), HbDecodeResult::kOk);
}

TEST(HbFrame, EarlierLifeNeverDisplacesTheLiveOne) {
  Codecs c;
  auto old1 = c.frame(sample(1, 111));
  auto old5 = c.frame(sample(5, 111));  // sealed then but never delivered
  EXPECT_EQ(c.rx_frame(old1), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(c.frame(sample(1, 222))), HbDecodeResult::kOk);
  EXPECT_EQ(c.rx_frame(old5), HbDecodeResult::kOk);  // judged by epoch 111's own window
  EXPECT_EQ(c.rx_frame(old5), HbDecodeResult::kReplay);
  EXPECT_EQ(c.rx_frame(c.frame(sample(2, 222))), HbDecodeResult::kOk);  // live epoch unaffected
  EXPECT_EQ(c.rx.counters().peer_restarts, 1u);
}

TEST(HbFrame, ManyRestartsKeepTheRecentLivesClosed) {
  Codecs c;
  std::vector<std::vector<uint8_t>> firsts;
  for (uint64_t e = 1; e <= HbCodec::kEpochsKept + 4; ++e) {
    firsts.push_back(c.frame(sample(1, e)));
    EXPECT_EQ(c.rx_frame(firsts.back()), HbDecodeResult::kOk) << e;
  }
  // The last kEpochsKept lives are remembered: their frames are replays.
  for (size_t i = firsts.size() - HbCodec::kEpochsKept; i < firsts.size(); ++i)
    EXPECT_EQ(c.rx_frame(firsts[i]), HbDecodeResult::kReplay) << i;
}

TEST(HbFrame, ParsePayloadRejectsBadLayouts) {
  HbInfo out;
  uint8_t p[64] = {};
  EXPECT_FALSE(parse_hb_payload(p, 10, &out));
  // fixed part + four empty strings
  EXPECT_TRUE(parse_hb_payload(p, 18, &out));
  EXPECT_FALSE(parse_hb_payload(p, 19, &out));  // trailing byte
  p[0] = 3;                                     // unknown role
  EXPECT_FALSE(parse_hb_payload(p, 18, &out));
  p[0] = 0;
  p[1] = 0x10;  // unknown flag
  EXPECT_FALSE(parse_hb_payload(p, 18, &out));
  p[1] = 0;
  p[3] = 2;  // score above total
  EXPECT_FALSE(parse_hb_payload(p, 18, &out));
  p[3] = 0;
  p[14] = 5;  // hostname longer than the payload
  EXPECT_FALSE(parse_hb_payload(p, 18, &out));
}

}  // namespace
}  // namespace tandem::ha
