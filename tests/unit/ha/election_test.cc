#include "controlplane/ha/election.h"

#include <gtest/gtest.h>

namespace tandem::ha {
namespace {

constexpr uint32_t kMargin = 300'000;

Candidate cand(const char* serial, unsigned prio, unsigned mon, uint64_t uptime_ms) {
  Candidate c;
  c.serial = serial;
  c.priority = prio;
  c.mon_score = mon;
  c.uptime_ms = uptime_ms;
  return c;
}

// Checks the result and that swapping the arguments swaps the winner.
void expect_win(const Candidate& a, const Candidate& b, bool override, int winner, ElectionRule rule,
                const char* reason) {
  ElectionResult r = elect(a, b, override, kMargin);
  EXPECT_EQ(r.winner, winner);
  EXPECT_EQ(r.rule, rule);
  EXPECT_EQ(r.reason, reason);
  ElectionResult s = elect(b, a, override, kMargin);
  EXPECT_EQ(s.winner, 1 - winner);
  EXPECT_EQ(s.rule, rule);
}

TEST(Election, MonitoredInterfacesFirstInBothModes) {
  Candidate a = cand("FGT-A", 50, 2, 0), b = cand("FGT-B", 250, 1, 10'000'000);
  for (bool ovr : {false, true})
    expect_win(a, b, ovr, 0, ElectionRule::kMonitor, "the most connected monitored interfaces");
}

TEST(Election, OverrideDisableAgeBeatsPriority) {
  Candidate a = cand("FGT-A", 100, 1, 1'000'000), b = cand("FGT-B", 200, 1, 500'000);
  expect_win(a, b, false, 0, ElectionRule::kUptime, "the largest uptime");
}

TEST(Election, OverrideEnablePriorityBeatsAge) {
  Candidate a = cand("FGT-A", 100, 1, 1'000'000), b = cand("FGT-B", 200, 1, 500'000);
  expect_win(a, b, true, 1, ElectionRule::kPriority, "the highest priority");
}

TEST(Election, OverrideEnableAgeBeforeSerial) {
  Candidate a = cand("FGT-A", 100, 1, 1'000'000), b = cand("FGT-B", 100, 1, 500'000);
  expect_win(a, b, true, 0, ElectionRule::kUptime, "the largest uptime");
}

TEST(Election, MarginEdge) {
  // Exactly the margin apart counts as equal: priority decides.
  Candidate a = cand("FGT-A", 100, 1, 300'000 + 5), b = cand("FGT-B", 200, 1, 5);
  expect_win(a, b, false, 1, ElectionRule::kPriority, "the highest priority");
  // One millisecond more and age decides.
  a.uptime_ms += 1;
  expect_win(a, b, false, 0, ElectionRule::kUptime, "the largest uptime");
}

TEST(Election, SerialIsTheLastTiebreak) {
  Candidate a = cand("FGVM01TM22000001", 128, 0, 1000), b = cand("FGVM01TM22000002", 128, 0, 2000);
  for (bool ovr : {false, true})
    expect_win(a, b, ovr, 1, ElectionRule::kSerial, "the highest serial number");
}

TEST(Election, MaintenanceAndFailoverSetAlwaysLose) {
  Candidate a = cand("FGT-Z", 255, 3, 99'000'000), b = cand("FGT-A", 1, 0, 0);
  a.maintenance = true;
  for (bool ovr : {false, true}) expect_win(a, b, ovr, 1, ElectionRule::kMaintenance, "a peer in maintenance mode");
  a.maintenance = false;
  a.failover_set = true;
  for (bool ovr : {false, true})
    expect_win(a, b, ovr, 1, ElectionRule::kFailoverSet, "a peer with the SET_AS_SECONDARY (failover set) flag");
}

TEST(Election, InSyncIsNotARankInput) {
  Candidate a = cand("FGT-A", 100, 1, 0), b = cand("FGT-B", 200, 1, 0);
  a.in_sync = true;
  expect_win(a, b, true, 1, ElectionRule::kPriority, "the highest priority");
}

}  // namespace
}  // namespace tandem::ha
