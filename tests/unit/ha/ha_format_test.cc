#include "controlplane/ha/ha_format.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/ha/ha_test_pair.h"

namespace tandem::ha {
namespace {

using test::kMs;
using test::kS;
using test::Node;
using test::Pair;
using test::settings;

constexpr int64_t kWallAtZero = 1'700'000'000;  // 2023-11-14 22:13:20 UTC

// A primary by priority, B secondary, then B's port2 fails for a while.
struct Scenario {
  Pair p;
  HaStatusInputs in;
  Scenario() {
    // FortiOS's default heartbeat (2 x 100 ms, threshold 6) keeps an hour short.
    HaSettings sa = settings("FGVM01TM22000001", 200), sb = settings("FGVM01TM22000002", 100);
    sa.hb_interval_ms = sb.hb_interval_ms = 200;
    sa.hb_lost_threshold = sb.hb_lost_threshold = 6;
    p.a = std::make_unique<Node>(sa, 0, 0xA1);
    p.b = std::make_unique<Node>(sb, 0, 0xB1);
    p.run_for(100 * kMs);
    p.input(*p.b, p.b->m.set_in_sync(true, p.now));
    p.run_until(3723 * kS, 100 * kMs);  // 1 h 2 min 3 s
    in.now_mono_ns = p.now;
    in.now_wall_s = kWallAtZero + int64_t(p.now / kS);
    in.stats_mono_ns = p.now - 2 * kS;
    in.hbdevs = {{"ha", "physical", "10000full", true, 1000, 10, 0, 0, 2000, 20, 0, 0}};
    in.mondevs = {{"port1", "physical", "1000full", true, 5, 6, 7, 8, 9, 10, 11, 12},
                  {"port2", "physical", "1000full", true, 0, 0, 0, 0, 0, 0, 0, 0}};
    in.peers = {{"10.0.0.2", "FGVM01TM22000002"}};
    in.pending_sync_bytes = 0;
  }
};

TEST(HaFormat, GetSystemHaStatus) {
  Scenario s;
  EXPECT_EQ(format_ha_status(s.p.a->m, s.in),
            "HA Health Status: OK\n"
            "Model: Tandem-VM\n"
            "Mode: HA A-P\n"
            "Group Name: 501E\n"
            "Group ID: 5\n"
            "Debug: 0\n"
            "Cluster Uptime: 0 days 1:2:3\n"
            "Cluster state change time: 2023-11-14 22:13:20\n"
            "Primary selected using:\n"
            "    <2023/11/14 22:13:20> vcluster-1: FGVM01TM22000001 is selected as the primary because it has "
            "the highest priority.\n"
            "ses_pickup: enable, ses_pickup_delay=disable\n"
            "override: enable\n"
            "Configuration Status:\n"
            "    FGVM01TM22000001(updated 0 seconds ago): in-sync\n"
            "    FGVM01TM22000002(updated 0 seconds ago): in-sync\n"
            "HBDEV stats:\n"
            "    FGVM01TM22000001(updated 2 seconds ago):\n"
            "        ha: physical/10000full, up, rx-bytes/packets/dropped/errors=1000/10/0/0, tx=2000/20/0/0\n"
            "MONDEV stats:\n"
            "    FGVM01TM22000001(updated 2 seconds ago):\n"
            "        port1: physical/1000full, up, rx-bytes/packets/dropped/errors=5/6/7/8, tx=9/10/11/12\n"
            "        port2: physical/1000full, up, rx-bytes/packets/dropped/errors=0/0/0/0, tx=0/0/0/0\n"
            "Primary     : host-1          , FGVM01TM22000001, HA cluster index = 0\n"
            "Secondary   : host-2          , FGVM01TM22000002, HA cluster index = 1\n"
            "number of vcluster: 1\n"
            "vcluster 1: work\n"
            "Primary: FGVM01TM22000001, HA operating index = 0\n"
            "Secondary: FGVM01TM22000002, HA operating index = 1\n");
}

TEST(HaFormat, DiagnoseHaStatsUpAndDown) {
  Scenario s;
  const std::string up =
      "===== HA Statistics =====\n"
      "\n"
      "cluster status: up\n"
      "\n"
      "--- cluster member information ---\n"
      "\n"
      "ip : 10.0.0.2\n"
      "serial number : FGVM01TM22000002\n"
      "hostname : host-2\n"
      "role : secondary\n"
      "status : up\n"
      "pending sync'ed data(bytes) : 0\n"
      "secondary down alert : off\n"
      "secondary re-join alert : off\n"
      "last error : n/a\n";
  EXPECT_EQ(format_ha_stats(s.p.a->m, s.in), up);

  s.p.b->running = false;
  s.p.run_for(2 * kS);  // past 200 ms x 6
  s.in.now_mono_ns = s.p.now;
  EXPECT_EQ(format_ha_stats(s.p.a->m, s.in),
            "===== HA Statistics =====\n"
            "\n"
            "cluster status: down\n"
            "\n"
            "--- cluster member information ---\n"
            "\n"
            "ip : 10.0.0.2\n"
            "serial number : FGVM01TM22000002\n"
            "hostname : host-2\n"
            "role : secondary\n"
            "status : down\n"
            "pending sync'ed data(bytes) : 0\n"
            "secondary down alert : on\n"
            "secondary re-join alert : off\n"
            "last error : n/a\n");
}

// tandemd hands in config sync's lines, its last error and its counters.
TEST(HaFormat, DiagnoseHaStatsWithConfigSync) {
  Scenario s;
  s.in.peer_sync_lines = {"config sync : in-sync (TCP/5199, mutual TLS)", "software version : 0.1.0"};
  s.in.sync_last_error = "connection from 10.0.0.9, not a configured peer (2023-11-14 23:15:00)";
  s.in.trailer = "\n--- config sync ---\nconnections refused : 1\n";
  EXPECT_EQ(format_ha_stats(s.p.a->m, s.in),
            "===== HA Statistics =====\n"
            "\n"
            "cluster status: up\n"
            "\n"
            "--- cluster member information ---\n"
            "\n"
            "ip : 10.0.0.2\n"
            "serial number : FGVM01TM22000002\n"
            "hostname : host-2\n"
            "role : secondary\n"
            "status : up\n"
            "pending sync'ed data(bytes) : 0\n"
            "secondary down alert : off\n"
            "secondary re-join alert : off\n"
            "config sync : in-sync (TCP/5199, mutual TLS)\n"
            "software version : 0.1.0\n"
            "last error : connection from 10.0.0.9, not a configured peer (2023-11-14 23:15:00)\n"
            "\n"
            "--- config sync ---\n"
            "connections refused : 1\n");
}

TEST(HaFormat, DiagnoseSysHaStatus) {
  Scenario s;
  s.in.hb_wire_max_gap_ns = 210'500'000;
  s.in.hb_wire_max_gap_at_ns = s.in.now_mono_ns - 3600 * kS;
  s.in.hb_keeper_sent = 3;
  s.in.hb_busy_max_ns = 2'769'000'000;
  s.in.watchdog_silenced = 1;
  const HaCounters& c = s.p.a->m.counters();
  char stats[512];
  std::snprintf(stats, sizeof(stats),
                "HA information\n"
                "Statistics\n"
                "        heartbeat.tx = %llu\n"
                "        heartbeat.rx = %llu\n",
                (unsigned long long)c.hb_tx, (unsigned long long)c.hb_rx);
  EXPECT_EQ(c.hb_tx, 18616u);  // one every 200 ms from t=0 to t=3723 s inclusive
  EXPECT_EQ(format_sys_ha_status(s.p.a->m, s.in),
            std::string(stats) +
                "        heartbeat.dropped = auth:0 group:0 replay:0 malformed:0\n"
                "        heartbeat.wire_max_gap = 210ms (ended 2023-11-14 22:15:23)\n"
                "        heartbeat.keeper = sent:3 busy_max:2769ms watchdog:1\n"
                "        activity.peer = joins:1 losses:0 restarts:0\n"
                "        activity.role_changes = 1\n"
                "        activity.split_brains = 0\n"
                "        activity.garp_rounds = 4\n"
                "        activity.probes = sent:0 answered:0 silent:0\n"
                "\n"
                "model=Tandem-VM, mode=a-p, group=5, debug=0\n"
                "nvcluster=1, ses_pickup=1, delay=0\n"
                "hb-interval=200ms, hb-lost-threshold=6, state=primary, maintenance=disable, failover_set=0\n"
                "\n"
                "[Debug_Zone HA information]\n"
                "HA group member information: is_manage_primary=1.\n"
                "FGVM01TM22000001:     Primary, serialno_prio=0, usr_priority=200, hostname=host-1\n"
                "FGVM01TM22000002:   Secondary, serialno_prio=1, usr_priority=100, hostname=host-2\n");
}

TEST(HaFormat, HistoryNewestFirst) {
  Scenario s;
  s.p.input(*s.p.b, s.p.b->m.on_monitor_link("port2", false, s.p.now));
  EXPECT_EQ(format_ha_history(s.p.b->m, s.in),
            "HA event history: 5 entries, newest first\n"
            "<2023-11-14 23:15:23> monitored link port2 down (1/2 connected)\n"
            "<2023-11-14 22:13:20> tables in sync with the primary\n"
            "<2023-11-14 22:13:20> role hello -> secondary: peer FGVM01TM22000001 wins the election\n"
            "<2023-11-14 22:13:20> peer FGVM01TM22000001 (host-1) joined on ha: role hello, priority 200, "
            "monitored 2/2\n"
            "<2023-11-14 22:13:20> started in hello state, serial FGVM01TM22000002, priority 100\n");
}

}  // namespace
}  // namespace tandem::ha
