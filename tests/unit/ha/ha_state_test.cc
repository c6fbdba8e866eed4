#include "controlplane/ha/ha_state.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/ha/ha_test_pair.h"

namespace tandem::ha {
namespace {

using test::kMs;
using test::kS;
using test::Node;
using test::Pair;
using test::settings;

// A (priority 200) and B (priority 100), override enable, both started at 0.
Pair formed_pair(bool override = true) {
  Pair p;
  p.a = std::make_unique<Node>(settings("FGVM01TM22000001", 200, override), 0, 0xA1);
  p.b = std::make_unique<Node>(settings("FGVM01TM22000002", 100, override), 0, 0xB1);
  p.run_for(100 * kMs);
  return p;
}

bool history_has(const HaMachine& m, const std::string& needle) {
  return std::any_of(m.history().begin(), m.history().end(),
                     [&](const HaHistoryEntry& e) { return e.text.find(needle) != std::string::npos; });
}

TEST(HaMachine, LoneNodeBecomesPrimaryAfterOneDeadInterval) {
  Node n(settings("FGVM01TM22000001", 128), 0, 1);
  EXPECT_EQ(n.m.dead_interval_ns(), 30 * kMs);
  n.m.on_tick(29 * kMs + 999'999);
  EXPECT_EQ(n.m.role(), HaRole::kHello);
  auto acts = n.m.on_tick(30 * kMs);
  EXPECT_EQ(n.m.role(), HaRole::kPrimary);
  ASSERT_GE(acts.size(), 3u);
  EXPECT_EQ(n.m.selections().front().because, "it's the only member in the cluster");
}

TEST(HaMachine, HeartbeatEveryInterval) {
  Node n(settings("FGVM01TM22000001", 128), 0, 1);
  std::vector<uint64_t> sent;
  for (uint64_t t = 0; t <= 50 * kMs; t += kMs / 2)
    for (const HaAction& a : n.m.on_tick(t))
      if (a.kind == HaActionKind::kSendHeartbeat) sent.push_back(t);
  EXPECT_EQ(sent, (std::vector<uint64_t>{0, 10 * kMs, 20 * kMs, 30 * kMs, 40 * kMs, 50 * kMs}));
}

// A role change goes out in the heartbeat of the same tick, whatever the
// schedule: `execute ha failover set 1` at 3.5 ms past a heartbeat makes A
// step down and say so at once, and B takes over on that heartbeat, so the
// pair is never without a primary (nor with two) for a heartbeat interval.
TEST(HaMachine, RoleChangeIsAnnouncedInTheSameTick) {
  Pair p = formed_pair();
  p.a->m.set_in_sync(true, p.now);
  p.b->m.set_in_sync(true, p.now);
  p.run_for(20 * kMs);
  ASSERT_EQ(p.a->m.role(), HaRole::kPrimary);
  p.run_until(p.now + 3 * kMs);
  p.now += kMs / 2;  // off the 10 ms schedule
  const uint64_t asked = p.now;
  p.input(*p.a, p.a->m.failover_set(true, p.now));
  uint64_t a_hb = 0, a_down = 0, b_up = 0;
  for (const auto& [t, act] : p.a->actions) {
    if (t < asked) continue;
    if (act.kind == HaActionKind::kBecomeSecondary && !a_down) a_down = t;
    if (act.kind == HaActionKind::kSendHeartbeat && !a_hb) a_hb = t;
  }
  p.run_for(2 * kMs);
  for (const auto& [t, act] : p.b->actions)
    if (t >= asked && act.kind == HaActionKind::kBecomePrimary && !b_up) b_up = t;
  EXPECT_EQ(a_down, asked);
  EXPECT_EQ(a_hb, asked) << "the step-down is announced in the same tick";
  EXPECT_EQ(b_up, asked) << "B takes over on that heartbeat, not 10 ms later";
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
}

TEST(HaMachine, ElectsByPriorityWithOverride) {
  Pair p = formed_pair(true);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_EQ(p.a->m.selections().front().serial, "FGVM01TM22000001");
  EXPECT_EQ(p.a->m.selections().front().because, "it has the highest priority");
  EXPECT_EQ(p.b->m.selections().front().serial, "FGVM01TM22000001");
  EXPECT_GT(p.a->m.counters().hb_rx, 5u);
}

TEST(HaMachine, ElectsByAgeWithoutOverride) {
  Pair p;
  // B has run for 400 s before A starts: beyond the 300 s margin.
  p.b = std::make_unique<Node>(settings("FGVM01TM22000002", 100, false), 0, 0xB1);
  p.now = 400 * kS;
  p.b->m.on_tick(p.now);  // B alone: primary
  p.a = std::make_unique<Node>(settings("FGVM01TM22000001", 200, false), p.now, 0xA1);
  p.run_for(200 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
  // A is better ranked by priority only; without override age decides.
  EXPECT_EQ(p.a->m.selections().front().because, "it has the largest uptime");
}

TEST(HaMachine, PeerDeathAfterIntervalTimesThresholdExactly) {
  Pair p = formed_pair();
  p.a->running = false;
  // Find when B last heard A: the last tick at which A sent.
  uint64_t last = p.b->m.peer().last_seen_ns;
  p.run_until(last + 30 * kMs - 1 * kMs);
  p.b->m.on_tick(last + 30 * kMs - 1);  // 1 ns short of 10 ms x 3
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_TRUE(p.b->m.peer().alive);
  auto acts = p.b->m.on_tick(last + 30 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_FALSE(p.b->m.peer().alive);
  EXPECT_EQ(p.b->m.counters().peer_losses, 1u);
  ASSERT_FALSE(acts.empty());
  bool promoted = false, garp0 = false;
  for (const HaAction& a : acts) {
    promoted |= a.kind == HaActionKind::kBecomePrimary;
    garp0 |= a.kind == HaActionKind::kSendGratuitousArps && a.round == 0;
  }
  EXPECT_TRUE(promoted);
  EXPECT_TRUE(garp0);
  EXPECT_TRUE(p.b->m.peer().down_alert);
}

TEST(HaMachine, GratuitousArpSchedule) {
  Pair p = formed_pair();
  p.a->running = false;
  p.run_for(10 * kS);
  std::vector<std::pair<uint64_t, unsigned>> garps;
  uint64_t promoted_at = 0;
  for (const auto& [t, a] : p.b->actions) {
    if (a.kind == HaActionKind::kBecomePrimary) promoted_at = t;
    if (a.kind == HaActionKind::kSendGratuitousArps) garps.push_back({t, a.round});
  }
  ASSERT_NE(promoted_at, 0u);
  // At once, then arps=3 more every arps-interval=2 s, then nothing.
  EXPECT_EQ(garps, (std::vector<std::pair<uint64_t, unsigned>>{{promoted_at, 0},
                                                               {promoted_at + 2 * kS, 1},
                                                               {promoted_at + 4 * kS, 2},
                                                               {promoted_at + 6 * kS, 3}}));
}

TEST(HaMachine, MonitorLossFailsOverAndRecoveryWaitsForStability) {
  Pair p = formed_pair();
  p.a->m.set_in_sync(true, p.now);
  p.input(*p.a, p.a->m.on_monitor_link("port1", false, p.now));
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);  // incumbent lost a link: no waiting
  p.run_for(20 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.selections().front().because, "it has the most connected monitored interfaces");

  uint64_t up_at = p.now;
  p.input(*p.a, p.a->m.on_monitor_link("port1", true, p.now));
  p.run_until(up_at + 5 * kS - kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);  // inside the stability period
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_TRUE(p.a->m.links_pending());
  p.run_until(up_at + 5 * kS + 50 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);  // override: priority takes it back, in sync
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
}

// A changed monitored-link score goes out in a heartbeat at once, not at
// the next scheduled one: the peer elects on the score this node has now.
TEST(HaMachine, MonitorScoreChangesAreAnnouncedAtOnce) {
  Pair p = formed_pair();
  ASSERT_EQ(p.b->m.role(), HaRole::kSecondary);
  p.run_until(p.now + 3 * kMs);  // off the 10 ms schedule
  auto has_hb = [](const std::vector<HaAction>& acts) {
    return std::any_of(acts.begin(), acts.end(), [](const HaAction& a) { return a.kind == HaActionKind::kSendHeartbeat; });
  };
  EXPECT_TRUE(has_hb(p.b->m.on_monitor_link("port1", false, p.now))) << "link down: score 1/2 at once";
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  p.now += kMs;
  EXPECT_TRUE(has_hb(p.b->m.on_monitor_link("port1", true, p.now))) << "link up: pending, said at once";
  const uint64_t up_at = p.now;
  // port2 flaps 4 ms later: its announcements move the heartbeat schedule
  // off the moment port1 counts again (up_at + 5 s).
  p.run_until(up_at + 4 * kMs);
  p.input(*p.b, p.b->m.on_monitor_link("port2", false, p.now));
  p.now += kMs;
  p.input(*p.b, p.b->m.on_monitor_link("port2", true, p.now));
  p.run_until(up_at + 5 * kS - kMs);
  EXPECT_EQ(p.b->m.monitored_up(), 0u);
  p.now = up_at + 5 * kS + kMs / 2;
  auto acts = p.b->m.on_tick(p.now);
  EXPECT_EQ(p.b->m.monitored_up(), 1u);
  EXPECT_TRUE(has_hb(acts)) << "the tick port1 counts again carries a heartbeat, off schedule";
}

// bench-failover finding 2: a returning node (higher priority, out of sync)
// misses the primary's heartbeats for a dead interval, promotes itself,
// and when heartbeats come back both claim primary. Ranks would hand it
// the role and drop every session; the primary that holds the tables
// keeps it, and the returning node steps down.
TEST(HaMachine, OutOfSyncNodeThatPromotedOnALateHeartbeatYieldsToThePrimaryHoldingTheTables) {
  Pair p = formed_pair();
  p.b->m.set_in_sync(true, p.now);
  p.a->running = false;
  p.run_for(1 * kS);
  ASSERT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_TRUE(p.b->m.holds_tables(p.now)) << "B was in sync when it took over";
  p.a = std::make_unique<Node>(settings("FGVM01TM22000001", 200), p.now, 0xA2);
  p.run_for(1 * kS);
  ASSERT_EQ(p.a->m.role(), HaRole::kSecondary);  // back, not yet in sync: the gate holds
  ASSERT_FALSE(p.a->m.in_sync());
  p.wire_up = false;  // a burst of late heartbeats
  p.run_for(40 * kMs);
  ASSERT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_FALSE(p.a->m.holds_tables(p.now));
  p.wire_up = true;
  p.run_for(50 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary) << "B holds the tables";
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
  EXPECT_TRUE(history_has(p.a->m, "is primary and holds the tables; this node does not"));
  // Once in sync, A takes the role back the regular way (override, priority).
  p.input(*p.a, p.a->m.set_in_sync(true, p.now));
  p.run_for(50 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
}

// lab_ztna finding: a config edit stalled the primary's control lcore past
// the dead interval; B, in sync, took over and sent gratuitous ARPs, then
// stepped down when A's late heartbeats came. A never changed role, so it
// sent none: the switch kept the virtual MAC on B's silent ports and
// clients' connects timed out for 30 s. A primary announces its addresses
// again when the peer may have claimed the role, once the peer is heard as
// secondary (its own ARPs are all out by then).
//
// The pair after a gap of 40 ms in both directions (> the 30 ms dead
// interval): both primary. B is in sync.
Pair pair_after_a_gap(uint64_t* gap_start) {
  Pair p = formed_pair();
  p.input(*p.b, p.b->m.set_in_sync(true, p.now));
  p.run_for(10 * kS);  // A's takeover ARPs are over
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  *gap_start = p.now;
  p.wire_up = false;
  p.run_for(40 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  p.wire_up = true;
  return p;
}

// A's rounds of gratuitous ARPs from the time B stepped down; A kept the role.
std::vector<unsigned> rounds_after_b_stepped_down(Pair& p, uint64_t gap_start) {
  p.run_for(7 * kS);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_EQ(p.a->m.counters().role_changes, 1u) << "A kept the role throughout";
  uint64_t b_down = 0;
  for (const auto& [t, act] : p.b->actions)
    if (t > gap_start && act.kind == HaActionKind::kBecomeSecondary) b_down = t;
  EXPECT_GT(b_down, 0u);
  std::vector<unsigned> rounds;
  for (const auto& [t, act] : p.a->actions)
    if (t >= b_down && act.kind == HaActionKind::kSendGratuitousArps) rounds.push_back(act.round);
  return rounds;
}

TEST(HaMachine, APrimaryAnnouncesItsAddressesAgainWhenThePeerIsBackAfterAGap) {
  uint64_t gap_start;
  Pair p = pair_after_a_gap(&gap_start);
  // A's next heartbeat makes B step down before A hears B's claim.
  EXPECT_EQ(rounds_after_b_stepped_down(p, gap_start), (std::vector<unsigned>{0, 1, 2, 3}))
      << "a round at once, then arps (3) more";
  EXPECT_TRUE(history_has(p.a->m, " without heartbeats: announcing the virtual MACs again"));
}

TEST(HaMachine, APrimaryAnnouncesItsAddressesAgainWhenAPeerThatClaimedTheRoleGivesItBack) {
  uint64_t gap_start;
  Pair p = pair_after_a_gap(&gap_start);
  // B's claim reaches A first (heartbeats that queued while A's control
  // lcore stalled): one round at once, the series when B has yielded.
  HbInfo claim = p.b->m.make_heartbeat(p.now);
  ASSERT_EQ(claim.role, HbRole::kPrimary);
  p.input(*p.a, p.a->m.on_heartbeat(claim, p.now));
  EXPECT_TRUE(history_has(p.a->m, "claims the primary role too; this node keeps it (it has the highest priority)"));
  EXPECT_EQ(rounds_after_b_stepped_down(p, gap_start), (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_TRUE(history_has(p.a->m, "gave the primary role back: announcing the virtual MACs again"));
}

// A node that claimed the cluster alone records the election again when a
// peer joins and it stays primary: `get system ha status` then says why it
// is primary now, not "the only member" (lab_ha_election's formation
// scenarios, when B started too late for A's hello).
TEST(HaMachine, APrimaryThatWasAloneRecordsWhyItStaysPrimaryWhenAPeerJoins) {
  Pair p;
  p.a = std::make_unique<Node>(settings("FGVM01TM22000001", 200), 0, 0xA1);
  p.run_for(100 * kMs);
  ASSERT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.a->m.selections().front().because, "it's the only member in the cluster");
  p.b = std::make_unique<Node>(settings("FGVM01TM22000002", 100), p.now, 0xB1);
  p.run_for(100 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_EQ(p.a->m.selections().front().serial, "FGVM01TM22000001");
  EXPECT_EQ(p.a->m.selections().front().because, "it has the highest priority");
  const size_t n = p.a->m.selections().size();
  p.run_for(1 * kS);
  EXPECT_EQ(p.a->m.selections().size(), n) << "recorded once, not at every heartbeat";
}

TEST(HaMachine, RecoveredNodeWithoutOverrideDoesNotTakeBack) {
  Pair p = formed_pair(false);
  // Both ages equal within the margin: A primary by priority.
  ASSERT_EQ(p.a->m.role(), HaRole::kPrimary);
  p.run_until(p.now + 400 * kS, 10 * kMs);
  p.a->m.set_in_sync(true, p.now);
  p.input(*p.a, p.a->m.on_monitor_link("port2", false, p.now));
  p.run_for(20 * kMs);
  ASSERT_EQ(p.b->m.role(), HaRole::kPrimary);
  p.input(*p.a, p.a->m.on_monitor_link("port2", true, p.now));
  p.run_for(10 * kS);
  // A's age was reset by the failure: B is 400 s older and keeps the role.
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
}

TEST(HaMachine, ReturningBetterNodeWaitsForSyncAndDoesNotFlap) {
  Pair p = formed_pair();
  p.a->running = false;
  p.run_for(1 * kS);
  ASSERT_EQ(p.b->m.role(), HaRole::kPrimary);
  // A reboots: new machine, new boot epoch, same codec password.
  p.a = std::make_unique<Node>(settings("FGVM01TM22000001", 200), p.now, 0xA2);
  p.run_for(10 * kS);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.counters().peer_restarts, 1u);
  EXPECT_EQ(p.a->m.selections().front().because, "it is the running primary and the peer is not yet in sync");
  // B, kept primary only by the gate, does not claim A's reason as its own.
  EXPECT_NE(p.b->m.selections().front().because, "it has the highest priority");
  p.input(*p.a, p.a->m.set_in_sync(true, p.now));
  p.run_for(50 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  uint64_t changes_a = p.a->m.counters().role_changes, changes_b = p.b->m.counters().role_changes;
  p.run_for(20 * kS);
  EXPECT_EQ(p.a->m.counters().role_changes, changes_a);
  EXPECT_EQ(p.b->m.counters().role_changes, changes_b);
}

TEST(HaMachine, MaintenanceHandsOverAndStaysSecondary) {
  Pair p = formed_pair();
  auto acts = p.a->m.set_maintenance(MaintenanceMode::kEnableWithSync, p.now);
  p.input(*p.a, acts);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
  EXPECT_TRUE(p.a->m.sync_enabled());
  p.run_for(50 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.selections().front().because, "it has a peer in maintenance mode");
  // Even with the peer gone, a node in maintenance does not take the role.
  p.b->running = false;
  p.run_for(1 * kS);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);

  acts = p.a->m.set_maintenance(MaintenanceMode::kEnableWithoutSync, p.now);
  ASSERT_TRUE(std::any_of(acts.begin(), acts.end(), [](const HaAction& a) {
    return a.kind == HaActionKind::kSetSync && !a.sync_enabled;
  }));
  EXPECT_FALSE(p.a->m.sync_enabled());
  p.input(*p.a, p.a->m.set_maintenance(MaintenanceMode::kDisable, p.now));
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);  // peer dead, out of maintenance: take it
}

TEST(HaMachine, FailoverSetAndUnset) {
  Pair p = formed_pair();
  p.input(*p.a, p.a->m.failover_set(true, p.now));
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
  p.run_for(50 * kMs);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  p.run_for(5 * kS);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);
  p.input(*p.a, p.a->m.failover_set(false, p.now));
  p.run_for(1 * kS);
  EXPECT_EQ(p.a->m.role(), HaRole::kSecondary);  // better again, but not in sync
  p.input(*p.a, p.a->m.set_in_sync(true, p.now));
  p.run_for(50 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
}

TEST(HaMachine, SplitBrainIsDetectedAndTheLoserGoesSilent) {
  Pair p = formed_pair();
  p.wire_up = false;  // every hbdev lost, both nodes alive
  p.run_for(100 * kMs);
  ASSERT_EQ(p.a->m.role(), HaRole::kPrimary);
  ASSERT_EQ(p.b->m.role(), HaRole::kPrimary);  // two primaries
  // Each sees the other on a data port (e.g. the other's GARPs) every 5 ms.
  for (int i = 0; i < 200; ++i) {
    p.input(*p.a, p.a->m.on_peer_seen_on_data_port(p.now));
    p.input(*p.b, p.b->m.on_peer_seen_on_data_port(p.now));
    p.run_for(5 * kMs);
  }
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_TRUE(p.b->m.silent());
  EXPECT_EQ(p.a->m.counters().split_brains, 1u);
  EXPECT_EQ(p.b->m.counters().split_brains, 1u);
  EXPECT_TRUE(history_has(p.b->m, "split brain resolved: peer FGVM01TM22000001 wins, it has the highest priority"));
  EXPECT_TRUE(history_has(p.a->m, "this node wins the election and stays primary"));
  // Sightings stop: a healthy winner is not seen on the loser's ports once
  // its gratuitous ARPs end (its traffic is unicast), so silence says
  // nothing; the loser must not promote and restart the split brain.
  const uint64_t b_changes = p.b->m.counters().role_changes;
  p.run_for(10 * kS);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_TRUE(p.b->m.silent());
  EXPECT_EQ(p.b->m.counters().role_changes, b_changes);  // no flap
  // Heartbeats back: one primary again by the same rules.
  p.wire_up = true;
  p.run_for(100 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_FALSE(p.b->m.silent());
}

TEST(HaMachine, BadFramesAreCountedNeverActedOn) {
  Pair p = formed_pair();
  // A third box with the wrong password on the same hbdev claims primary.
  Node rogue(settings("FGVM01TM22000009", 255), p.now, 0xEE, "wrong");
  HbInfo hb = rogue.m.make_heartbeat(p.now);
  hb.role = HbRole::kPrimary;
  uint8_t frame[kHbFrameMax];
  const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
  size_t n = rogue.codec.encode(hb, mac, frame, sizeof(frame));
  ASSERT_GT(n, 0u);
  HbInfo got;
  uint64_t logs_before = p.a->count(HaActionKind::kLog);
  for (int i = 0; i < 10; ++i) {
    HbDecodeResult r = p.a->codec.decode(frame, n, &got);
    ASSERT_EQ(r, HbDecodeResult::kAuthFailed);
    p.input(*p.a, p.a->m.on_dropped_frame(r, "ha", p.now));
  }
  EXPECT_EQ(p.a->m.counters().hb_dropped_auth, 10u);
  EXPECT_EQ(p.a->count(HaActionKind::kLog), logs_before + 1);  // rate limited
  EXPECT_EQ(p.a->m.last_error(), "heartbeat authentication failed (wrong password?) on ha");
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.a->m.peer().last.serial, "FGVM01TM22000002");
}

TEST(HaMachine, OwnLoopedHeartbeatIsIgnored) {
  Node n(settings("FGVM01TM22000001", 128), 0, 1);
  HbInfo self = n.m.make_heartbeat(0);
  self.role = HbRole::kPrimary;
  EXPECT_TRUE(n.m.on_heartbeat(self, kMs).empty());
  EXPECT_FALSE(n.m.peer().known);
  n.m.on_tick(30 * kMs);
  EXPECT_EQ(n.m.role(), HaRole::kPrimary);
}

// Probing (docs/ha.md "Probing the data ports"): settings as tandemd sets
// them, a 3 s hello hold and ARP probes on the data ports.
HaSettings probing(const std::string& serial, unsigned prio) {
  HaSettings s = settings(serial, prio);
  s.hello_hold_ms = 3000;
  s.probe_data_ports = true;
  return s;
}

size_t probes_between(const Node& n, uint64_t from, uint64_t to) {
  size_t k = 0;
  for (const auto& [t, act] : n.actions) k += act.kind == HaActionKind::kProbeDataPorts && t >= from && t < to;
  return k;
}

TEST(HaMachine, ProbingLoneNodeClaimsAfterItsFinalProbeGoesUnanswered) {
  Pair p;
  p.a = std::make_unique<Node>(probing("FGVM01TM22000001", 200), 0, 0x1234);
  p.run_until(3 * kS - kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kHello);
  EXPECT_EQ(probes_between(*p.a, 0, 3 * kS), 15u) << "one every 200 ms in hello";
  p.run_until(3 * kS + HaMachine::kProbeJitterNs + HaMachine::kProbeWaitNs + 2 * kMs);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_FALSE(p.a->m.probing());
  const uint64_t since = p.a->m.state_change_ns();
  EXPECT_GE(since, 3 * kS + HaMachine::kProbeWaitNs);
  // The last probe went out one wait before the claim.
  uint64_t last = 0;
  for (const auto& [t, act] : p.a->actions)
    if (act.kind == HaActionKind::kProbeDataPorts && t <= since) last = t;
  EXPECT_EQ(since - last, HaMachine::kProbeWaitNs);
}

// B starts with another password while A runs the cluster: A's heartbeats
// never authenticate at B (nor B's at A), but A answers B's probes from the
// virtual MAC, so B stays secondary and silent instead of claiming a second
// primary. When A dies its answers stop and B takes over.
TEST(HaMachine, WrongPasswordNewcomerStaysSilentWhileTheOwnerAnswersAndTakesOverWhenItDies) {
  Pair p;
  p.a = std::make_unique<Node>(probing("FGVM01TM22000001", 100), 0, 0xA1);
  p.run_for(1 * kS);
  p.b = std::make_unique<Node>(probing("FGVM01TM22000002", 200), p.now, 0xB1, "another-password");
  p.run_for(5 * kS);
  EXPECT_EQ(p.a->m.role(), HaRole::kPrimary);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_TRUE(p.b->m.silent());
  EXPECT_GT(p.b->m.counters().hb_dropped_auth, 0u);
  EXPECT_GT(p.b->m.counters().probes_answered, 0u);
  EXPECT_TRUE(history_has(p.b->m, "another unit answers ARP for the cluster's addresses from the virtual MAC"));
  EXPECT_TRUE(history_has(p.b->m, "check set password and group-id"));
  EXPECT_FALSE(p.a->m.peer().known) << "A never acts on B's frames";
  // A keeps answering B's probes (one a second): no flap.
  const uint64_t changes = p.b->m.counters().role_changes;
  p.run_for(20 * kS);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary);
  EXPECT_EQ(p.b->m.counters().role_changes, changes);
  // A dies: three probes go unanswered, then a final one, and B claims.
  p.a->running = false;
  const uint64_t died = p.now;
  p.run_for(5 * kS);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
  EXPECT_TRUE(history_has(p.b->m, "the unit holding the virtual MAC stopped answering"));
  const uint64_t took = p.b->m.state_change_ns() - died;
  EXPECT_LE(took, HaMachine::kProbeLostCount * HaMachine::kProbeSilentIntervalNs + HaMachine::kProbeJitterNs +
                      HaMachine::kProbeWaitNs + 2 * kMs);
}

// Two units with different passwords started together: neither can elect,
// but their jittered final probes let exactly one claim the cluster.
TEST(HaMachine, WrongPasswordPairStartedTogetherEndsWithOnePrimary) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Pair p;
    p.a = std::make_unique<Node>(probing("FGVM01TM22000001", 200), 0, seed * 0x9E3779B97F4A7C15ull);
    p.b = std::make_unique<Node>(probing("FGVM01TM22000002", 100), 0, seed * 0xC2B2AE3D27D4EB4Full, "x");
    p.run_for(10 * kS);
    // If both claimed within one probe wait, the split brain (seen on the
    // data ports) makes the young primaries yield and try again.
    for (int i = 0; i < 60 && p.a->m.role() == HaRole::kPrimary && p.b->m.role() == HaRole::kPrimary; ++i) {
      p.input(*p.a, p.a->m.on_peer_seen_on_data_port(p.now));
      p.input(*p.b, p.b->m.on_peer_seen_on_data_port(p.now));
      p.run_for(10 * kS);
    }
    const int primaries = (p.a->m.role() == HaRole::kPrimary) + (p.b->m.role() == HaRole::kPrimary);
    EXPECT_EQ(primaries, 1) << "seed " << seed;
  }
}

// A split-brain loser is silent, but no longer blind: the winner answers
// its probes, and when the winner dies the loser takes over (before
// probing it stayed silent until heartbeats came back).
TEST(HaMachine, SplitBrainLoserTakesOverWhenTheWinnerStopsAnswering) {
  Pair p;
  p.a = std::make_unique<Node>(probing("FGVM01TM22000001", 200), 0, 0xA1);
  p.b = std::make_unique<Node>(probing("FGVM01TM22000002", 100), 0, 0xB1);
  p.run_for(4 * kS);
  ASSERT_EQ(p.a->m.role(), HaRole::kPrimary);
  ASSERT_EQ(p.b->m.role(), HaRole::kSecondary);
  p.wire_up = false;
  p.data_wire_up = false;  // B cannot see A's answers while the split lasts
  p.run_for(1 * kS);
  ASSERT_EQ(p.b->m.role(), HaRole::kPrimary);
  p.data_wire_up = true;
  for (int i = 0; i < 10; ++i) {
    p.input(*p.a, p.a->m.on_peer_seen_on_data_port(p.now));
    p.input(*p.b, p.b->m.on_peer_seen_on_data_port(p.now));
    p.run_for(5 * kMs);
  }
  ASSERT_EQ(p.b->m.role(), HaRole::kSecondary);
  ASSERT_TRUE(p.b->m.silent());
  p.run_for(10 * kS);
  EXPECT_EQ(p.b->m.role(), HaRole::kSecondary) << "A answers B's probes";
  p.a->running = false;
  p.run_for(5 * kS);
  EXPECT_EQ(p.b->m.role(), HaRole::kPrimary);
}

}  // namespace
}  // namespace tandem::ha
