// Parser on hand-built frames: every header kind, VLAN stacks, and every way
// a header can lie about its size.
#include <cstring>

#include <gtest/gtest.h>

#include "dataplane/packet/parse.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::Bytes;
using test::Mac;

constexpr Mac kNodeMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr Mac kClientMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x22}};
const uint32_t kClientIp = test::ipv4(10, 1, 100, 22);
const uint32_t kNodeIp = test::ipv4(10, 1, 100, 1);

DropReason parse(const Bytes& f, ParsedFrame* out) {
  // An exactly sized copy, so a read past the end is a read past the buffer.
  Bytes copy(f);
  return parse_frame(copy.data(), static_cast<uint32_t>(copy.size()), out);
}

Bytes icmp_frame(std::initializer_list<test::VlanTag> vlans = {}) {
  return test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                          test::icmp_echo(8, 7, 1, test::pattern_bytes(32)), vlans);
}

TEST(DpParse, ArpRequest) {
  Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                            kNodeIp);
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_EQ(p.ether_type, kEtherTypeArp);
  EXPECT_EQ(p.nb_vlans, 0);
  EXPECT_EQ(p.l3_offset, 14);
  EXPECT_EQ(p.arp_op, 1);
}

TEST(DpParse, Ipv4Icmp) {
  Bytes f = icmp_frame();
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_EQ(p.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(p.ip_proto, kIpProtoIcmp);
  EXPECT_EQ(p.ip_header_len, 20);
  EXPECT_EQ(p.ip_total_len, 20 + 8 + 32);
  EXPECT_EQ(p.ip_src_be, test::to_be(kClientIp));
  EXPECT_EQ(p.ip_dst_be, test::to_be(kNodeIp));
  EXPECT_FALSE(p.ip_fragment);
  EXPECT_TRUE(p.has_l4);
  EXPECT_EQ(p.l4_offset, 34);
  EXPECT_EQ(p.l4_len, 40);
}

TEST(DpParse, Ipv4WithOptionsAndPadding) {
  Bytes options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  Bytes f = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                             test::udp_segment(5353, 53, {1, 2}), {}, 0, options);
  f.resize(60, 0);  // Ethernet padding past the IP total length is fine
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_EQ(p.ip_header_len, 24);
  EXPECT_EQ(p.l4_offset, 14 + 24);
  EXPECT_EQ(p.l4_len, 10);
  EXPECT_EQ(p.src_port, 5353);
  EXPECT_EQ(p.dst_port, 53);
}

TEST(DpParse, TcpPorts) {
  Bytes f = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoTcp,
                             test::tcp_segment(40000, 443, 8));
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_TRUE(p.has_l4);
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dst_port, 443);
}

TEST(DpParse, OtherIpProtocolHasNoL4) {
  Bytes f = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, 47 /* GRE */, {0, 0, 8, 0});
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_FALSE(p.has_l4);
  EXPECT_EQ(p.ip_proto, 47);
}

TEST(DpParse, OtherEtherTypeIsLeftToTheWorker) {
  Bytes f = test::ether_header(kNodeMac, kClientMac, 0x86dd);
  f.resize(60, 0);
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_EQ(p.ether_type, 0x86dd);
}

TEST(DpParse, SingleVlan) {
  Bytes f = icmp_frame({{kEtherTypeVlan, 0x2064}});
  ParsedFrame p;
  ASSERT_EQ(parse(f, &p), DropReason::kNone);
  EXPECT_EQ(p.nb_vlans, 1);
  EXPECT_EQ(p.vlan_tci[0], 0x2064);
  EXPECT_EQ(p.l3_offset, 18);
  EXPECT_EQ(p.ether_type, kEtherTypeIpv4);
  EXPECT_TRUE(p.has_l4);
}

TEST(DpParse, QinQStacks) {
  for (uint16_t outer : {kEtherTypeQinQ, kEtherTypeQinQLegacy, kEtherTypeVlan}) {
    Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                              kNodeIp, {{outer, 100}, {kEtherTypeVlan, 0xe00a}});
    ParsedFrame p;
    ASSERT_EQ(parse(f, &p), DropReason::kNone) << std::hex << outer;
    EXPECT_EQ(p.nb_vlans, 2);
    EXPECT_EQ(p.vlan_tci[0], 100);
    EXPECT_EQ(p.vlan_tci[1], 0xe00a);
    EXPECT_EQ(p.l3_offset, 22);
    EXPECT_EQ(p.ether_type, kEtherTypeArp);
  }
}

TEST(DpParse, ThreeVlanTagsAreRefused) {
  Bytes f = icmp_frame({{kEtherTypeQinQ, 1}, {kEtherTypeVlan, 2}, {kEtherTypeVlan, 3}});
  ParsedFrame p;
  EXPECT_EQ(parse(f, &p), DropReason::kTooManyVlans);
}

// Cutting a valid frame anywhere must never yield a frame the dataplane
// would act on, and must never read past the cut.
TEST(DpParse, TruncatedAtEveryOffset) {
  const Bytes frames[] = {
      test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{}, kNodeIp),
      icmp_frame(),
      icmp_frame({{kEtherTypeQinQ, 5}, {kEtherTypeVlan, 6}}),
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                       test::udp_segment(1, 2, {})),
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoTcp,
                       test::tcp_segment(1, 2, 6)),
  };
  for (const Bytes& full : frames) {
    ParsedFrame p;
    ASSERT_EQ(parse(full, &p), DropReason::kNone);
    for (size_t cut = 0; cut < full.size(); ++cut) {
      Bytes f(full.begin(), full.begin() + static_cast<long>(cut));
      DropReason r = parse(f, &p);
      EXPECT_NE(r, DropReason::kNone) << "cut at " << cut << " of " << full.size();
      if (cut < 14) {
        EXPECT_EQ(r, DropReason::kRunt);
      }
    }
  }
}

TEST(DpParse, TruncatedReasonsAreSpecific) {
  ParsedFrame p;
  Bytes vlan = icmp_frame({{kEtherTypeVlan, 1}});
  EXPECT_EQ(parse(Bytes(vlan.begin(), vlan.begin() + 16), &p), DropReason::kTruncatedVlan);
  Bytes arp = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                              kNodeIp);
  EXPECT_EQ(parse(Bytes(arp.begin(), arp.end() - 1), &p), DropReason::kTruncatedArp);
  Bytes ip = icmp_frame();
  EXPECT_EQ(parse(Bytes(ip.begin(), ip.begin() + 14 + 19), &p), DropReason::kTruncatedIpv4);
  EXPECT_EQ(parse(Bytes(ip.begin(), ip.end() - 1), &p), DropReason::kBadIpTotalLength);
}

// Rewrites the IPv4 header of f at offset 14 and fixes its checksum, so only
// the field under test is wrong.
void set_ip_byte(Bytes& f, size_t index, uint8_t value) {
  f[14 + index] = value;
  size_t hdr_len = static_cast<size_t>(f[14] & 0x0f) * 4;
  if (hdr_len < 20 || 14 + hdr_len > f.size()) hdr_len = 20;
  f[14 + 10] = 0;
  f[14 + 11] = 0;
  uint16_t sum = test::inet_checksum(f.data() + 14, hdr_len);
  f[14 + 10] = static_cast<uint8_t>(sum >> 8);
  f[14 + 11] = static_cast<uint8_t>(sum);
}

TEST(DpParse, BadIpVersion) {
  Bytes f = icmp_frame();
  set_ip_byte(f, 0, 0x65);
  ParsedFrame p;
  EXPECT_EQ(parse(f, &p), DropReason::kBadIpVersion);
}

TEST(DpParse, BadIhl) {
  ParsedFrame p;
  for (uint8_t ihl : {0, 1, 4}) {
    Bytes f = icmp_frame();
    set_ip_byte(f, 0, static_cast<uint8_t>(0x40 | ihl));
    EXPECT_EQ(parse(f, &p), DropReason::kBadIpHeaderLength) << int{ihl};
  }
  // IHL 15 = 60 bytes, but the frame holds only 46 bytes of IP.
  Bytes f = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                             test::udp_segment(1, 2, {}));
  f.resize(14 + 46, 0);
  set_ip_byte(f, 0, 0x4f);
  EXPECT_EQ(parse(f, &p), DropReason::kBadIpHeaderLength);
}

TEST(DpParse, BadIpChecksum) {
  Bytes f = icmp_frame();
  f[14 + 11] ^= 0x01;
  ParsedFrame p;
  EXPECT_EQ(parse(f, &p), DropReason::kBadIpChecksum);
  f[14 + 11] ^= 0x01;
  f[14 + 8] = 1;  // TTL changed without fixing the checksum
  EXPECT_EQ(parse(f, &p), DropReason::kBadIpChecksum);
}

TEST(DpParse, TotalLengthLongerThanFrame) {
  Bytes f = icmp_frame();
  uint16_t total = static_cast<uint16_t>(f.size() - 14 + 1);
  set_ip_byte(f, 2, static_cast<uint8_t>(total >> 8));
  set_ip_byte(f, 3, static_cast<uint8_t>(total));
  ParsedFrame p;
  EXPECT_EQ(parse(f, &p), DropReason::kBadIpTotalLength);
}

TEST(DpParse, TotalLengthShorterThanHeader) {
  Bytes f = icmp_frame();
  set_ip_byte(f, 2, 0);
  set_ip_byte(f, 3, 19);
  ParsedFrame p;
  EXPECT_EQ(parse(f, &p), DropReason::kBadIpTotalLength);
}

TEST(DpParse, FragmentsAreFlaggedWithoutL4) {
  const uint16_t frags[] = {0x2000 /* MF */, 0x0001 /* offset 8 */, 0x2010};
  for (uint16_t frag : frags) {
    Bytes f = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                               test::udp_segment(1, 2, test::pattern_bytes(16)), {}, frag);
    ParsedFrame p;
    ASSERT_EQ(parse(f, &p), DropReason::kNone) << frag;
    EXPECT_TRUE(p.ip_fragment);
    EXPECT_FALSE(p.has_l4);
  }
  Bytes df = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                              test::udp_segment(1, 2, {}), {}, 0x4000 /* DF only */);
  ParsedFrame p;
  ASSERT_EQ(parse(df, &p), DropReason::kNone);
  EXPECT_FALSE(p.ip_fragment);
  EXPECT_TRUE(p.has_l4);
}

TEST(DpParse, ArpWithWrongSizesOrTypes) {
  // byte offset in the ARP body, bad value
  const std::pair<size_t, uint8_t> faults[] = {
      {1, 6},     // hardware type 6 (IEEE 802)
      {2, 0x86},  // protocol type 0x8600
      {4, 8},     // hardware size 8
      {5, 16},    // protocol size 16 (IPv6)
      {4, 0},
      {5, 0},
  };
  for (auto [index, value] : faults) {
    Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                              kNodeIp);
    f[14 + index] = value;
    ParsedFrame p;
    EXPECT_EQ(parse(f, &p), DropReason::kBadArpFormat) << index;
  }
}

TEST(DpParse, BadL4Headers) {
  ParsedFrame p;
  Bytes tcp = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoTcp,
                               test::tcp_segment(1, 2, 4));
  EXPECT_EQ(parse(tcp, &p), DropReason::kBadTcpDataOffset);
  Bytes tcp_long = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoTcp,
                                    test::tcp_segment(1, 2, 5));
  tcp_long[14 + 20 + 12] = 0x60;  // 24-byte header in a 20-byte payload
  EXPECT_EQ(parse(tcp_long, &p), DropReason::kBadTcpDataOffset);
  Bytes udp = test::udp_segment(1, 2, {9, 9});
  udp[5] = 30;  // UDP length past the IP payload
  EXPECT_EQ(parse(test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp, udp), &p),
            DropReason::kBadUdpLength);
  udp[5] = 7;
  EXPECT_EQ(parse(test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp, udp), &p),
            DropReason::kBadUdpLength);
  EXPECT_EQ(parse(test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                   {8, 0, 0, 0}),
                  &p),
            DropReason::kTruncatedL4);
  EXPECT_EQ(parse(test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                                   {0, 1, 0, 2, 0}),
                  &p),
            DropReason::kTruncatedL4);
}

// parse_frame_common against parse_frame_any on one frame: it takes the
// frame exactly when the general parser accepts it and it has the common
// shape, and then reads it the same.
struct CommonTally {
  unsigned taken = 0, declined = 0;
};

void expect_common_agrees(const Bytes& f, CommonTally* tally) {
  Bytes copy(f);
  uint32_t len = static_cast<uint32_t>(copy.size());
  ParsedFrame any{}, common{};
  DropReason r = parse_frame_any(copy.data(), len, &any);
  bool taken = parse_frame_common(copy.data(), len, &common);
  bool shape = r == DropReason::kNone && is_common_frame(any);
  EXPECT_EQ(taken, shape) << "frame of " << len << " bytes, general parser: "
                          << drop_reason_name(r);
  if (taken) {
    EXPECT_TRUE(common == any) << "frame of " << len << " bytes";
  }
  ++(taken ? tally->taken : tally->declined);
}

void set_ip_checksum(Bytes& f) {
  const size_t ip = 14;
  size_t hdr_len = size_t{f[ip] & 0x0fu} * 4;
  if (f.size() < ip + hdr_len || hdr_len < 20) return;
  f[ip + 10] = f[ip + 11] = 0;
  uint16_t sum = test::inet_checksum(f.data() + ip, hdr_len);
  f[ip + 10] = static_cast<uint8_t>(sum >> 8);
  f[ip + 11] = static_cast<uint8_t>(sum);
}

TEST(DpParse, TheCommonParserReadsEveryCommonFrameAsTheGeneralOneAndDeclinesTheRest) {
  Bytes udp = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                               test::udp_segment(5353, 53, test::pattern_bytes(18)));
  Bytes tcp_df = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoTcp,
                                  test::tcp_flags_segment(40000, 443, 0x02 /* SYN */), {}, 0x4000);
  Bytes tcp_opts = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoTcp,
                                    test::tcp_segment(40000, 443, 8));
  Bytes padded = udp;
  padded.resize(60, 0);
  Bytes others[] = {
      icmp_frame(),
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                       test::udp_segment(1, 2, {7}), {{0x8100, 10}}),
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                       test::udp_segment(1, 2, {7}), {}, 0x2000),  // MF
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                       test::udp_segment(1, 2, {7}), {}, 0x0001),  // offset 8
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoUdp,
                       test::udp_segment(1, 2, {7}), {}, 0, {1, 1, 1, 0}),  // IHL 6
      test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, 47, {0, 0, 8, 0}),  // GRE
      test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{}, kNodeIp),
  };
  CommonTally tally;
  for (const Bytes* base : {&udp, &tcp_df, &tcp_opts, &padded}) {
    // Every length, then every header byte set to values that cross each
    // check, with the IP checksum left stale and made right again.
    for (size_t len = 0; len <= base->size(); ++len)
      expect_common_agrees(Bytes(base->begin(), base->begin() + static_cast<long>(len)), &tally);
    for (size_t off = 12; off < 14 + 20 + 20 && off < base->size(); ++off) {
      for (uint8_t v : {0x00, 0x01, 0x05, 0x08, 0x11, 0x20, 0x3f, 0x40, 0x45, 0x46, 0x50,
                        0x80, 0xff}) {
        Bytes f = *base;
        f[off] = v;
        expect_common_agrees(f, &tally);
        set_ip_checksum(f);
        expect_common_agrees(f, &tally);
      }
    }
  }
  for (const Bytes& f : others) expect_common_agrees(f, &tally);
  // Both answers were given many times: a parser that declined everything
  // would fail the shape check above; this guards the loops themselves.
  EXPECT_GT(tally.taken, 100u);
  EXPECT_GT(tally.declined, 1000u);
}

TEST(DpParse, EveryReasonHasAName) {
  for (unsigned r = 0; r < static_cast<unsigned>(DropReason::kCount); ++r)
    EXPECT_STRNE(drop_reason_name(static_cast<DropReason>(r)), "unknown") << r;
  EXPECT_STREQ(drop_reason_name(DropReason::kBadIpChecksum), "bad-ip-checksum");
}

}  // namespace
}  // namespace tandem::dp
