// Software Toeplitz hash against the Microsoft RSS verification suite and
// DPDK's own rte_softrss; symmetric-key property; plan_rss/plan_offloads on
// synthetic dev_info.
#include <arpa/inet.h>

#include <cstring>
#include <random>

#include <gtest/gtest.h>
#include <rte_thash.h>

#include "hw/nic/nic.h"
#include "hw/nic/rss.h"

namespace tandem::hw {
namespace {

// The key of Microsoft's "Verifying the RSS Hash Calculation" page (the
// default key of most NIC drivers), and its IPv4 cases: (destination,
// source) as the page lists them, expected hash over the addresses only and
// over addresses + ports.
constexpr uint8_t kMsKey[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

struct MsVector {
  const char* dst_ip;
  uint16_t dst_port;
  const char* src_ip;
  uint16_t src_port;
  uint32_t ipv4_hash;
  uint32_t ipv4_tcp_hash;
};

constexpr MsVector kMsIpv4[] = {
    {"161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178},
    {"65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea},
    {"12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a},
    {"209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f},
    {"202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2},
};

// NIC input order for IPv4 TCP: source address, destination address,
// source port, destination port, all in network byte order.
struct Ipv4Tuple {
  uint8_t bytes[12];
};

Ipv4Tuple make_tuple(uint32_t src_be, uint32_t dst_be, uint16_t src_port, uint16_t dst_port) {
  Ipv4Tuple t;
  const uint16_t sp = htons(src_port);
  const uint16_t dp = htons(dst_port);
  std::memcpy(t.bytes, &src_be, 4);
  std::memcpy(t.bytes + 4, &dst_be, 4);
  std::memcpy(t.bytes + 8, &sp, 2);
  std::memcpy(t.bytes + 10, &dp, 2);
  return t;
}

uint32_t parse_ip(const char* text) {
  in_addr addr{};
  EXPECT_EQ(inet_pton(AF_INET, text, &addr), 1) << text;
  return addr.s_addr;
}

TEST(ToeplitzHash, MicrosoftIpv4Vectors) {
  for (const MsVector& v : kMsIpv4) {
    const Ipv4Tuple t = make_tuple(parse_ip(v.src_ip), parse_ip(v.dst_ip), v.src_port, v.dst_port);
    EXPECT_EQ(toeplitz_hash(kMsKey, sizeof(kMsKey), t.bytes, 8), v.ipv4_hash) << v.dst_ip;
    EXPECT_EQ(toeplitz_hash(kMsKey, sizeof(kMsKey), t.bytes, 12), v.ipv4_tcp_hash) << v.dst_ip;
  }
}

// rte_softrss is an independent implementation (set bits of host-order
// 32-bit words): the two must agree on any input.
TEST(ToeplitzHash, MatchesDpdkSoftRss) {
  std::mt19937 rng(12345);
  uint8_t key[40];
  fill_symmetric_rss_key(key, sizeof(key));
  for (int round = 0; round < 2000; ++round) {
    uint32_t words[3];
    for (uint32_t& w : words) w = rng();
    uint8_t bytes[12];
    for (int i = 0; i < 3; ++i) {
      const uint32_t be = htonl(words[i]);
      std::memcpy(bytes + 4 * i, &be, 4);
    }
    const uint8_t* k = (round % 2 == 0) ? kMsKey : key;
    ASSERT_EQ(toeplitz_hash(k, 40, bytes, 12), rte_softrss(words, 3, k)) << round;
    ASSERT_EQ(toeplitz_hash(k, 40, bytes, 8), rte_softrss(words, 2, k)) << round;
  }
}

TEST(ToeplitzHash, ZeroInputAndShortKey) {
  const uint8_t zeros[12] = {};
  EXPECT_EQ(toeplitz_hash(kMsKey, sizeof(kMsKey), zeros, sizeof(zeros)), 0u);
  // One input bit selects exactly the first 32 key bits.
  const uint8_t first_bit[1] = {0x80};
  EXPECT_EQ(toeplitz_hash(kMsKey, sizeof(kMsKey), first_bit, 1), 0x6d5a56dau);
  // Key bits beyond key_len read as zero: the last input bit of a 1-byte
  // input with a 4-byte key sees the key shifted left by 7.
  const uint8_t last_bit[1] = {0x01};
  EXPECT_EQ(toeplitz_hash(kMsKey, 4, last_bit, 1), 0x6d5a56dau << 7);
}

TEST(SymmetricKey, Pattern) {
  uint8_t key[52];
  fill_symmetric_rss_key(key, sizeof(key));
  for (unsigned i = 0; i < sizeof(key); i += 2) {
    EXPECT_EQ(key[i], 0x6d);
    EXPECT_EQ(key[i + 1], 0x5a);
  }
}

TEST(SymmetricKey, BothDirectionsHashAlike) {
  uint8_t key[52];
  fill_symmetric_rss_key(key, sizeof(key));
  std::mt19937 rng(777);
  for (unsigned key_len : {40u, 52u}) {
    for (int i = 0; i < 1000; ++i) {
      const uint32_t a = rng();
      const uint32_t b = rng();
      const uint16_t pa = static_cast<uint16_t>(rng());
      const uint16_t pb = static_cast<uint16_t>(rng());
      const Ipv4Tuple fwd = make_tuple(a, b, pa, pb);
      const Ipv4Tuple rev = make_tuple(b, a, pb, pa);
      ASSERT_EQ(toeplitz_hash(key, key_len, fwd.bytes, 12), toeplitz_hash(key, key_len, rev.bytes, 12));
      ASSERT_EQ(toeplitz_hash(key, key_len, fwd.bytes, 8), toeplitz_hash(key, key_len, rev.bytes, 8));
    }
  }
  // IPv6 + ports: 16-byte addresses move by 128 bits, ports by 16.
  uint8_t fwd[36];
  uint8_t rev[36];
  for (uint8_t& byte : fwd) byte = static_cast<uint8_t>(rng());
  std::memcpy(rev, fwd + 16, 16);
  std::memcpy(rev + 16, fwd, 16);
  std::memcpy(rev + 32, fwd + 34, 2);
  std::memcpy(rev + 34, fwd + 32, 2);
  EXPECT_EQ(toeplitz_hash(key, 40, fwd, 36), toeplitz_hash(key, 40, rev, 36));
}

// The Microsoft key is not symmetric: the property test above would be
// vacuous if any key passed it.
TEST(SymmetricKey, DefaultKeyIsNot) {
  const Ipv4Tuple fwd = make_tuple(parse_ip("10.1.100.22"), parse_ip("172.16.200.209"), 40000, 443);
  const Ipv4Tuple rev = make_tuple(parse_ip("172.16.200.209"), parse_ip("10.1.100.22"), 443, 40000);
  EXPECT_NE(toeplitz_hash(kMsKey, 40, fwd.bytes, 12), toeplitz_hash(kMsKey, 40, rev.bytes, 12));
}

rte_eth_dev_info make_info(const char* driver, uint64_t rss_types, uint8_t key_size, uint16_t reta) {
  rte_eth_dev_info info;
  std::memset(&info, 0, sizeof(info));
  info.driver_name = driver;
  info.flow_type_rss_offloads = rss_types;
  info.hash_key_size = key_size;
  info.reta_size = reta;
  info.max_rx_queues = 64;
  info.max_tx_queues = 64;
  return info;
}

TEST(PlanRss, NoRssDriverFallsBack) {
  const RssPlan plan = plan_rss(make_info("net_ring", 0, 0, 0), 4);
  EXPECT_FALSE(plan.enabled);
  EXPECT_EQ(plan.rss_hf, 0u);
  EXPECT_EQ(plan.note, "driver net_ring has no RSS; workers steer in software");
}

TEST(PlanRss, SingleQueueNeedsNone) {
  const RssPlan plan = plan_rss(make_info("net_ixgbe", RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP, 40, 128), 1);
  EXPECT_FALSE(plan.enabled);
  EXPECT_NE(plan.note.find("single rx queue"), std::string::npos);
}

TEST(PlanRss, SymmetricKeyAtDriverLength) {
  const uint64_t offered = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP |
                           RTE_ETH_RSS_L2_PAYLOAD;
  const RssPlan plan = plan_rss(make_info("net_i40e", offered, 52, 512), 4);
  ASSERT_TRUE(plan.enabled) << plan.note;
  EXPECT_EQ(plan.key_len, 52);
  EXPECT_EQ(plan.reta_size, 512);
  EXPECT_EQ(plan.rss_hf, RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)
      << "SCTP and L2 payload are not asked for";
  for (unsigned i = 0; i < plan.key_len; ++i) EXPECT_EQ(plan.key[i], i % 2 == 0 ? 0x6d : 0x5a);
  EXPECT_NE(plan.note.find("symmetric"), std::string::npos);
}

TEST(PlanRss, UnknownKeySizeUsesForty) {
  const RssPlan plan = plan_rss(make_info("net_virtio", RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP, 0, 0), 2);
  ASSERT_TRUE(plan.enabled);
  EXPECT_EQ(plan.key_len, kRssKeyDefaultLen);
  EXPECT_EQ(plan.rss_hf, RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP);
}

TEST(PlanRss, OnlyUselessTypesFallsBack) {
  const RssPlan plan = plan_rss(make_info("net_odd", RTE_ETH_RSS_L2_PAYLOAD, 40, 64), 2);
  EXPECT_FALSE(plan.enabled);
  EXPECT_EQ(plan.note, "driver net_odd hashes no IP/TCP/UDP types; workers steer in software");
}

TEST(PlanRss, OversizedKeyFallsBack) {
  const RssPlan plan = plan_rss(make_info("net_big", RTE_ETH_RSS_IP, 128, 64), 2);
  EXPECT_FALSE(plan.enabled);
  EXPECT_NE(plan.note.find("128-byte"), std::string::npos);
}

TEST(PlanOffloads, TakesOnlyOfferedChecksums) {
  rte_eth_dev_info info = make_info("net_x", RTE_ETH_RSS_IP, 40, 64);
  info.rx_offload_capa = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
                         RTE_ETH_RX_OFFLOAD_RSS_HASH | RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
  info.tx_offload_capa = RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO;
  OffloadPlan plan = plan_offloads(info, true);
  EXPECT_EQ(plan.rx_offloads, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
                                  RTE_ETH_RX_OFFLOAD_RSS_HASH);
  EXPECT_EQ(plan.tx_offloads, RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
  plan = plan_offloads(info, false);
  EXPECT_EQ(plan.rx_offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH, 0u);
  EXPECT_EQ(format_rx_offloads(0), "none");
  EXPECT_EQ(format_tx_offloads(RTE_ETH_TX_OFFLOAD_UDP_CKSUM), "UDP_CKSUM");
}

TEST(NicCaps, FromInfo) {
  rte_eth_dev_info info = make_info("net_ice", RTE_ETH_RSS_IP, 52, 2048);
  info.max_rx_queues = 256;
  info.speed_capa = RTE_ETH_LINK_SPEED_100G;
  info.rx_desc_lim.nb_max = 4096;
  const NicCaps caps = nic_caps_from_info(info);
  EXPECT_EQ(caps.driver, "net_ice");
  EXPECT_EQ(caps.max_rx_queues, 256);
  EXPECT_EQ(caps.rss_key_size, 52);
  EXPECT_EQ(caps.reta_size, 2048);
  EXPECT_EQ(caps.speed_capa, RTE_ETH_LINK_SPEED_100G);
  EXPECT_EQ(caps.rx_desc_max, 4096);
}

}  // namespace
}  // namespace tandem::hw
