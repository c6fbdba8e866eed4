// Real-server choice (ldb-method), virtual-host matching and the health
// state machine of dataplane/ztna/ztna_ldb.h.
#include "dataplane/ztna/ztna_ldb.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace tandem::dp {
namespace {

ZtnaGatewayRuntime gateway(ZtnaLdbMethod m, std::vector<uint8_t> weights, std::vector<bool> standby = {}) {
  ZtnaGatewayRuntime g{};
  g.method = m;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    ZtnaRealServer& s = g.servers[g.nb_servers++];
    s.ip = 0x0a000001 + static_cast<uint32_t>(i);
    s.port = 80;
    s.index = static_cast<uint16_t>(i);
    s.weight = weights[i];
    s.standby = i < standby.size() && standby[i];
  }
  return g;
}

std::string picks(const ZtnaGatewayRuntime& g, uint32_t up, ZtnaLdbState* st, int n, uint32_t src = 0x0a016416) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    int p = ztna_ldb_pick(g, up, src, st);
    out += p < 0 ? '-' : static_cast<char>('a' + p);
  }
  return out;
}

constexpr uint32_t kAllUp = 0xffff;

TEST(ZtnaLdb, StaticKeepsASourceOnOneServer) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kStatic, {1, 1, 1});
  ZtnaLdbState st{};
  for (uint32_t src = 0x0a016400; src < 0x0a016440; ++src) {
    std::string got = picks(g, kAllUp, &st, 4, src);
    EXPECT_EQ(got, std::string(4, got[0])) << std::hex << src;
    ZtnaLdbState other{};  // another worker, or the other node: the same server
    EXPECT_EQ(picks(g, kAllUp, &other, 1, src), got.substr(0, 1));
  }
  EXPECT_EQ(picks(g, 0b100, &st, 1), "c");
  EXPECT_EQ(picks(g, 0, &st, 1), "-");
}

TEST(ZtnaLdb, StaticSpreadsSourcesEvenly) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kStatic, {1, 1, 1});
  ZtnaLdbState st{};
  int count[3] = {};
  for (uint32_t src = 0x0a010000; src < 0x0a010000 + 3000; ++src) ++count[ztna_ldb_pick(g, kAllUp, src, &st)];
  for (int c : count) {
    EXPECT_GT(c, 850);
    EXPECT_LT(c, 1150);
  }
}

TEST(ZtnaLdb, StaticMovesOnlyTheClientsOfADownServer) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kStatic, {1, 1, 1});
  ZtnaLdbState st{};
  int moved = 0, spread[3] = {};
  for (uint32_t src = 0x0a010000; src < 0x0a010000 + 3000; ++src) {
    int all = ztna_ldb_pick(g, kAllUp, src, &st);
    int without_b = ztna_ldb_pick(g, 0b101, src, &st);
    if (all != 1) {
      EXPECT_EQ(without_b, all) << std::hex << src;  // a and c keep theirs
    } else {
      ++moved;
      ++spread[without_b];
    }
    EXPECT_EQ(ztna_ldb_pick(g, kAllUp, src, &st), all);  // b back: its clients return
  }
  EXPECT_EQ(spread[1], 0);
  EXPECT_GT(spread[0], moved / 3);  // b's clients go to both others
  EXPECT_GT(spread[2], moved / 3);
}

TEST(ZtnaLdb, FirstAliveFollowsHealth) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kFirstAlive, {1, 1});
  ZtnaLdbState st{};
  EXPECT_EQ(picks(g, 0b11, &st, 2), "aa");
  EXPECT_EQ(picks(g, 0b10, &st, 2), "bb");
  EXPECT_EQ(picks(g, 0b11, &st, 1), "a");  // back as soon as it is up
}

TEST(ZtnaLdb, RoundRobinSkipsDownServers) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kRoundRobin, {1, 1, 1});
  ZtnaLdbState st{};
  EXPECT_EQ(picks(g, kAllUp, &st, 6), "abcabc");
  EXPECT_EQ(picks(g, 0b101, &st, 4), "acac");
  EXPECT_EQ(picks(g, 0b010, &st, 2), "bb");
}

TEST(ZtnaLdb, WeightedSharesByWeightSmoothly) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kWeighted, {5, 1, 1});
  ZtnaLdbState st{};
  EXPECT_EQ(picks(g, kAllUp, &st, 7), "aabacaa");  // nginx's smooth order
  ZtnaGatewayRuntime h = gateway(ZtnaLdbMethod::kWeighted, {3, 1});
  ZtnaLdbState hs{};
  int count[2] = {};
  for (int i = 0; i < 400; ++i) ++count[ztna_ldb_pick(h, kAllUp, 0, &hs)];
  EXPECT_EQ(count[0], 300);
  EXPECT_EQ(count[1], 100);
}

TEST(ZtnaLdb, WeightedWithADownServerGivesAllToTheOthers) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kWeighted, {3, 1, 2});
  ZtnaLdbState st{};
  int count[3] = {};
  for (int i = 0; i < 300; ++i) ++count[ztna_ldb_pick(g, 0b101, 0, &st)];
  EXPECT_EQ(count[0], 180);
  EXPECT_EQ(count[1], 0);
  EXPECT_EQ(count[2], 120);
}

TEST(ZtnaLdb, StandbyServesOnlyWhileNoActiveOneIsUsable) {
  for (ZtnaLdbMethod m : {ZtnaLdbMethod::kStatic, ZtnaLdbMethod::kRoundRobin, ZtnaLdbMethod::kWeighted,
                          ZtnaLdbMethod::kFirstAlive}) {
    ZtnaGatewayRuntime g = gateway(m, {1, 1, 1}, {true, false, false});
    ZtnaLdbState st{};
    std::string got = picks(g, kAllUp, &st, 4);
    EXPECT_EQ(got.find('a'), std::string::npos) << got;
    EXPECT_EQ(picks(g, 0b001, &st, 2), "aa");  // both active down: the standby
    EXPECT_EQ(picks(g, 0, &st, 1), "-");
  }
}

TEST(ZtnaLdb, VirtualHostMatchesTheHostWithoutPortCaseInsensitively) {
  ZtnaGatewayRuntime g{};
  EXPECT_TRUE(ztna_virtual_host_matches(g, "anything.example.com"));
  EXPECT_TRUE(ztna_virtual_host_matches(g, ""));
  const char* vh = "api.example.com";
  std::memcpy(g.virtual_host, vh, std::strlen(vh));
  g.virtual_host_len = static_cast<uint16_t>(std::strlen(vh));
  EXPECT_TRUE(ztna_virtual_host_matches(g, "api.example.com"));
  EXPECT_TRUE(ztna_virtual_host_matches(g, "API.Example.COM:8443"));
  EXPECT_TRUE(ztna_virtual_host_matches(g, "api.example.com."));
  EXPECT_FALSE(ztna_virtual_host_matches(g, "app.example.com"));
  EXPECT_FALSE(ztna_virtual_host_matches(g, "api.example.com.evil"));
  EXPECT_FALSE(ztna_virtual_host_matches(g, ""));
}

TEST(ZtnaLdb, HttpHostPicksTheServerNamingTheHostElseOneNamingNone) {
  ZtnaGatewayRuntime g = gateway(ZtnaLdbMethod::kHttpHost, {1, 1, 1, 1}, {false, false, false, true});
  auto name = [&](unsigned i, const char* host) {
    g.servers[i].http_host_len = static_cast<uint8_t>(std::strlen(host));
    std::memcpy(g.servers[i].http_host, host, std::strlen(host));
  };
  name(0, "a.example.com");
  name(1, "b.example.com");  // c: no http-host, the default; d: b's standby
  name(3, "b.example.com");
  ZtnaLdbState st{};
  auto pick = [&](uint32_t up, const char* host) { return ztna_ldb_pick(g, up & ztna_ldb_host_mask(g, host), 0, &st); };
  EXPECT_EQ(pick(kAllUp, "a.example.com"), 0);
  EXPECT_EQ(pick(kAllUp, "B.Example.com:9443"), 1);  // case and port ignored
  EXPECT_EQ(pick(kAllUp, "b.example.com."), 1);
  EXPECT_EQ(pick(kAllUp, "other.example.com"), 2);
  EXPECT_EQ(pick(kAllUp, ""), 2);  // no Host: the default
  EXPECT_EQ(pick(0b1101, "b.example.com"), 3);  // b down: its standby
  EXPECT_EQ(pick(0b0101, "b.example.com"), -1);  // both down: not another host's server
  EXPECT_EQ(pick(0b0011, "other.example.com"), -1);  // the default down
  // Other methods: every server.
  g.method = ZtnaLdbMethod::kStatic;
  EXPECT_EQ(ztna_ldb_host_mask(g, "b.example.com"), UINT32_MAX);
}

TEST(ZtnaHealth, RetryFailuresInARowTakeAServerDownOneSuccessBringsItBack) {
  ZtnaHealth h{};
  EXPECT_FALSE(ztna_health_result(&h, false, 3, 10, 0));
  EXPECT_FALSE(ztna_health_result(&h, false, 3, 20, 0));
  EXPECT_FALSE(ztna_health_result(&h, true, 3, 30, 0));  // the run is broken
  EXPECT_FALSE(h.down);
  EXPECT_FALSE(ztna_health_result(&h, false, 3, 40, 0));
  EXPECT_FALSE(ztna_health_result(&h, false, 3, 50, 0));
  EXPECT_TRUE(ztna_health_result(&h, false, 3, 60, 0));
  EXPECT_TRUE(h.down);
  EXPECT_EQ(h.changed_ms, 60u);
  EXPECT_FALSE(ztna_health_result(&h, false, 3, 70, 0));  // stays down
  EXPECT_TRUE(ztna_health_result(&h, true, 3, 80, 0));
  EXPECT_FALSE(h.down);
  EXPECT_EQ(h.downs, 1u);
  EXPECT_EQ(h.ups, 1u);
}

TEST(ZtnaHealth, AHolddownKeepsARecoveredServerDownUntilItHasPassedForTheWholePeriod) {
  constexpr uint64_t kHold = 30'000;
  ZtnaHealth h{};
  for (uint64_t t = 10; t <= 30; t += 10) ztna_health_result(&h, false, 3, t, kHold);
  ASSERT_TRUE(h.down);
  EXPECT_FALSE(ztna_health_result(&h, true, 3, 1'000, kHold));  // the holddown starts
  EXPECT_TRUE(h.down);
  EXPECT_EQ(h.holddown_until_ms, 31'000u);
  EXPECT_FALSE(ztna_health_result(&h, true, 3, 6'000, kHold));
  EXPECT_FALSE(ztna_health_result(&h, false, 3, 11'000, kHold));  // a failure starts it over
  EXPECT_EQ(h.holddown_until_ms, 0u);
  EXPECT_FALSE(ztna_health_result(&h, true, 3, 16'000, kHold));
  EXPECT_EQ(h.holddown_until_ms, 46'000u);
  EXPECT_FALSE(ztna_health_result(&h, true, 3, 45'999, kHold));
  EXPECT_TRUE(h.down);
  EXPECT_TRUE(ztna_health_result(&h, true, 3, 46'000, kHold));
  EXPECT_FALSE(h.down);
  EXPECT_EQ(h.holddown_until_ms, 0u);
  EXPECT_EQ(h.changed_ms, 46'000u);
  EXPECT_EQ(h.ups, 1u);
  // Up, a passing probe changes nothing; without a holddown the first one
  // brings a down server back.
  EXPECT_FALSE(ztna_health_result(&h, true, 3, 50'000, kHold));
  for (uint64_t t = 51'000; t <= 53'000; t += 1'000) ztna_health_result(&h, false, 3, t, 0);
  ASSERT_TRUE(h.down);
  EXPECT_TRUE(ztna_health_result(&h, true, 3, 54'000, 0));
}

}  // namespace
}  // namespace tandem::dp
