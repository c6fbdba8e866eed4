// ARP and ICMP responders on plain buffers (no EAL): the reply is checked
// field by field against the request.
#include <cstring>

#include <gtest/gtest.h>

#include "dataplane/arp/arp.h"
#include "dataplane/icmp/icmp.h"
#include "dataplane/packet/parse.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::Bytes;
using test::get16;
using test::get32;
using test::Mac;

constexpr Mac kNodeMac{{0x02, 0x09, 0x0f, 0x00, 0x01, 0x02}};
constexpr Mac kClientMac{{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}};
const uint32_t kClientIp = test::ipv4(10, 1, 100, 22);
const uint32_t kNodeIp = test::ipv4(10, 1, 100, 1);
const uint32_t kNodeIp2 = test::ipv4(10, 1, 101, 1);
const uint32_t kOtherIp = test::ipv4(10, 1, 100, 99);

PortConf node_port(bool allow_ping = true) {
  PortConf port{};
  port.port_id = 0;
  std::memcpy(port.mac.addr_bytes, kNodeMac.b, 6);
  port.nb_addrs = 2;
  port.addrs[0] = {test::to_be(kNodeIp), test::to_be(0xffffff00)};
  port.addrs[1] = {test::to_be(kNodeIp2), test::to_be(0xffffff00)};
  port.allow_ping = allow_ping;
  port.active = true;  // the responders do not look at it; kept as tandemd builds ports
  std::strcpy(port.name, "port2");
  return port;
}

bool mac_at(const Bytes& f, size_t off, const Mac& m) { return std::memcmp(&f[off], m.b, 6) == 0; }

Verdict answer_arp(Bytes& f, const PortConf& port) {
  ParsedFrame p;
  EXPECT_EQ(parse_frame(f.data(), static_cast<uint32_t>(f.size()), &p), DropReason::kNone);
  return arp_answer(f.data(), static_cast<uint32_t>(f.size()), p, port);
}

Verdict answer_icmp(Bytes& f, const PortConf& port) {
  ParsedFrame p;
  EXPECT_EQ(parse_frame(f.data(), static_cast<uint32_t>(f.size()), &p), DropReason::kNone);
  return icmp_answer_echo(f.data(), static_cast<uint32_t>(f.size()), p, port);
}

TEST(DpArp, RequestForOurAddressBecomesReply) {
  for (uint32_t target : {kNodeIp, kNodeIp2}) {
    Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                              target);
    f.resize(60, 0);
    ASSERT_EQ(answer_arp(f, node_port()), Verdict::kTransmit);
    ASSERT_EQ(f.size(), 60u);
    EXPECT_TRUE(mac_at(f, 0, kClientMac));
    EXPECT_TRUE(mac_at(f, 6, kNodeMac));
    EXPECT_EQ(get16(&f[12]), 0x0806);
    EXPECT_EQ(get16(&f[14]), 1);
    EXPECT_EQ(get16(&f[16]), 0x0800);
    EXPECT_EQ(f[18], 6);
    EXPECT_EQ(f[19], 4);
    EXPECT_EQ(get16(&f[20]), 2);  // reply
    EXPECT_TRUE(mac_at(f, 22, kNodeMac));
    EXPECT_EQ(get32(&f[28]), target);
    EXPECT_TRUE(mac_at(f, 32, kClientMac));
    EXPECT_EQ(get32(&f[38]), kClientIp);
    for (size_t i = 42; i < 60; ++i) EXPECT_EQ(f[i], 0) << i;
  }
}

TEST(DpArp, VlanTagsAreKept) {
  Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                            kNodeIp, {{kEtherTypeQinQ, 10}, {kEtherTypeVlan, 20}});
  ASSERT_EQ(answer_arp(f, node_port()), Verdict::kTransmit);
  EXPECT_EQ(get16(&f[12]), kEtherTypeQinQ);
  EXPECT_EQ(get16(&f[14]), 10);
  EXPECT_EQ(get16(&f[16]), kEtherTypeVlan);
  EXPECT_EQ(get16(&f[18]), 20);
  EXPECT_EQ(get16(&f[22 + 6]), 2);
  EXPECT_EQ(get32(&f[22 + 14]), kNodeIp);
}

TEST(DpArp, OtherTargetsRepliesAndGroupSendersAreNotAnswered) {
  Bytes other = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, Mac{},
                                kOtherIp);
  Bytes before = other;
  EXPECT_EQ(answer_arp(other, node_port()), Verdict::kDropNotLocal);
  EXPECT_EQ(other, before);  // untouched

  Bytes reply = test::arp_frame(kNodeMac, kClientMac, 2, kClientMac, kClientIp, kNodeMac, kNodeIp);
  EXPECT_EQ(answer_arp(reply, node_port()), Verdict::kDropUnsupported);

  Bytes group = test::arp_frame(test::kBroadcastMac, kClientMac, 1, test::kBroadcastMac, kClientIp,
                                Mac{}, kNodeIp);
  EXPECT_EQ(answer_arp(group, node_port()), Verdict::kDropMalformed);
}

TEST(DpArp, ProbeFromZeroAddressIsAnswered) {
  Bytes f = test::arp_frame(test::kBroadcastMac, kClientMac, 1, kClientMac, 0, Mac{}, kNodeIp);
  ASSERT_EQ(answer_arp(f, node_port()), Verdict::kTransmit);
  EXPECT_EQ(get32(&f[38]), 0u);
}

TEST(DpArp, GratuitousFrame) {
  uint8_t buf[128];
  rte_ether_addr mac;
  std::memcpy(mac.addr_bytes, kNodeMac.b, 6);
  uint32_t len = arp_write_gratuitous(buf, sizeof(buf), mac, test::to_be(kNodeIp), 0);
  ASSERT_EQ(len, kEtherMinFrameLen);
  Bytes f(buf, buf + len);
  ParsedFrame p;
  ASSERT_EQ(parse_frame(f.data(), len, &p), DropReason::kNone);
  EXPECT_EQ(p.arp_op, 1);
  EXPECT_TRUE(mac_at(f, 0, test::kBroadcastMac));
  EXPECT_TRUE(mac_at(f, 6, kNodeMac));
  EXPECT_TRUE(mac_at(f, 22, kNodeMac));
  EXPECT_EQ(get32(&f[28]), kNodeIp);
  EXPECT_TRUE(mac_at(f, 32, Mac{}));
  EXPECT_EQ(get32(&f[38]), kNodeIp);

  len = arp_write_gratuitous(buf, sizeof(buf), mac, test::to_be(kNodeIp), 0x0064);
  ASSERT_EQ(len, kEtherMinFrameLen);
  ASSERT_EQ(parse_frame(buf, len, &p), DropReason::kNone);
  EXPECT_EQ(p.nb_vlans, 1);
  EXPECT_EQ(p.vlan_tci[0], 0x0064);
  EXPECT_EQ(p.ether_type, kEtherTypeArp);

  EXPECT_EQ(arp_write_gratuitous(buf, kEtherMinFrameLen - 1, mac, 1, 0), 0u);
}

Bytes echo_request(std::initializer_list<test::VlanTag> vlans = {}, uint32_t dst = kNodeIp,
                   uint32_t src = kClientIp, size_t payload = 56) {
  return test::ipv4_frame(kNodeMac, kClientMac, src, dst, kIpProtoIcmp,
                          test::icmp_echo(8, 0x4242, 9, test::pattern_bytes(payload)), vlans);
}

void expect_valid_echo_reply(const Bytes& request, const Bytes& reply, size_t l3) {
  ASSERT_EQ(reply.size(), request.size());
  EXPECT_TRUE(mac_at(reply, 0, kClientMac));
  EXPECT_TRUE(mac_at(reply, 6, kNodeMac));
  EXPECT_EQ(std::memcmp(&reply[12], &request[12], l3 - 12), 0);  // VLAN tags + type kept
  EXPECT_EQ(test::inet_checksum(&reply[l3], 20), 0) << "IPv4 header checksum";
  EXPECT_EQ(reply[l3 + 8], kReplyTtl);
  EXPECT_EQ(get32(&reply[l3 + 12]), get32(&request[l3 + 16]));
  EXPECT_EQ(get32(&reply[l3 + 16]), get32(&request[l3 + 12]));
  size_t icmp = l3 + 20;
  EXPECT_EQ(reply[icmp], 0);
  EXPECT_EQ(reply[icmp + 1], 0);
  EXPECT_EQ(test::inet_checksum(&reply[icmp], reply.size() - icmp), 0) << "ICMP checksum";
  EXPECT_EQ(std::memcmp(&reply[icmp + 4], &request[icmp + 4], reply.size() - icmp - 4), 0)
      << "id, sequence and payload echoed";
}

TEST(DpIcmp, EchoRequestBecomesReply) {
  for (size_t payload : {0, 1, 56, 1472}) {
    Bytes req = echo_request({}, kNodeIp2, kClientIp, payload);
    Bytes f = req;
    ASSERT_EQ(answer_icmp(f, node_port()), Verdict::kTransmit) << payload;
    expect_valid_echo_reply(req, f, 14);
  }
}

TEST(DpIcmp, VlanTagKept) {
  Bytes req = echo_request({{kEtherTypeVlan, 0x0fff}});
  Bytes f = req;
  ASSERT_EQ(answer_icmp(f, node_port()), Verdict::kTransmit);
  expect_valid_echo_reply(req, f, 18);
}

TEST(DpIcmp, ReplyChecksumEdgeValues) {
  // An all-zero reply needs checksum 0xffff, not 0x0000 (found by fuzz_packet).
  Bytes zero = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                test::icmp_echo(8, 0, 0, {}));
  ASSERT_EQ(answer_icmp(zero, node_port()), Verdict::kTransmit);
  EXPECT_EQ(get16(&zero[34 + 2]), 0xffff);
  EXPECT_EQ(test::inet_checksum(&zero[34], zero.size() - 34), 0);
  // Vary the id so the request checksum takes many values, including those
  // next to 0x0000/0xffff where one's complement arithmetic goes wrong.
  for (uint32_t id = 0; id < 0x10000; id += 0x00ff) {
    Bytes payload = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)};
    Bytes req = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                 test::icmp_echo(8, static_cast<uint16_t>(id), 0xf7ff, payload));
    Bytes f = req;
    ASSERT_EQ(answer_icmp(f, node_port()), Verdict::kTransmit);
    EXPECT_EQ(test::inet_checksum(&f[34], f.size() - 34), 0) << id;
  }
}

TEST(DpIcmp, PingNotAllowed) {
  Bytes f = echo_request();
  Bytes before = f;
  EXPECT_EQ(answer_icmp(f, node_port(false)), Verdict::kDropPingDenied);
  EXPECT_EQ(f, before);
}

TEST(DpIcmp, NotLocalBadChecksumOthersAndMartians) {
  Bytes other = echo_request({}, kOtherIp);
  EXPECT_EQ(answer_icmp(other, node_port()), Verdict::kDropNotLocal);

  Bytes bad = echo_request();
  bad.back() ^= 0x10;
  EXPECT_EQ(answer_icmp(bad, node_port()), Verdict::kDropMalformed);

  Bytes reply = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                 test::icmp_echo(0, 1, 1, {}));
  EXPECT_EQ(answer_icmp(reply, node_port()), Verdict::kDropUnsupported);

  for (uint32_t src : {0u, 0xffffffffu, test::ipv4(127, 0, 0, 1), test::ipv4(224, 0, 0, 5)}) {
    Bytes martian = echo_request({}, kNodeIp, src);
    EXPECT_EQ(answer_icmp(martian, node_port()), Verdict::kDropOther) << std::hex << src;
  }

  Bytes frag = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                test::icmp_echo(8, 1, 1, test::pattern_bytes(64)), {}, 0x2000);
  EXPECT_EQ(answer_icmp(frag, node_port()), Verdict::kDropUnsupported);
}

TEST(DpIcmp, EchoRequestDetection) {
  Bytes req = echo_request();
  ParsedFrame p;
  ASSERT_EQ(parse_frame(req.data(), static_cast<uint32_t>(req.size()), &p), DropReason::kNone);
  EXPECT_TRUE(icmp_is_echo_request(req.data(), p));
  Bytes rep = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                               test::icmp_echo(0, 1, 1, {}));
  ASSERT_EQ(parse_frame(rep.data(), static_cast<uint32_t>(rep.size()), &p), DropReason::kNone);
  EXPECT_FALSE(icmp_is_echo_request(rep.data(), p));
}

// The health pings' matcher (tcp_glue): an echo reply's identifier and
// sequence, nothing from a request, a bad checksum, a fragment or a
// message longer than the frame holds.
TEST(DpIcmp, EchoReplyIds) {
  auto ids = [](const Bytes& f, uint32_t len, uint16_t* id, uint16_t* seq) {
    ParsedFrame p;
    if (parse_frame(f.data(), static_cast<uint32_t>(f.size()), &p) != DropReason::kNone) return false;
    return icmp_echo_reply_ids(f.data(), len, p, id, seq);
  };
  uint16_t id = 0, seq = 0;
  Bytes rep = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                               test::icmp_echo(0, 0x5401, 0x0c05, test::pattern_bytes(32)));
  ASSERT_TRUE(ids(rep, static_cast<uint32_t>(rep.size()), &id, &seq));
  EXPECT_EQ(id, 0x5401);
  EXPECT_EQ(seq, 0x0c05);
  EXPECT_FALSE(ids(rep, static_cast<uint32_t>(rep.size()) - 1, &id, &seq));  // cut short
  Bytes bad = rep;
  bad.back() ^= 0x10;
  EXPECT_FALSE(ids(bad, static_cast<uint32_t>(bad.size()), &id, &seq));
  Bytes req = echo_request();
  EXPECT_FALSE(ids(req, static_cast<uint32_t>(req.size()), &id, &seq));
  Bytes frag = test::ipv4_frame(kNodeMac, kClientMac, kClientIp, kNodeIp, kIpProtoIcmp,
                                test::icmp_echo(0, 1, 1, test::pattern_bytes(64)), {}, 0x2000);
  EXPECT_FALSE(ids(frag, static_cast<uint32_t>(frag.size()), &id, &seq));
}

}  // namespace
}  // namespace tandem::dp
