// Test harness: two HaMachines joined by a simulated hbdev that carries
// their heartbeats as real sealed frames through HbCodec. Time is a
// counter the test advances; nothing sleeps.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/ha/ha_state.h"
#include "controlplane/ha/hb_frame.h"

namespace tandem::ha::test {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1000 * kMs;

inline HaSettings settings(const std::string& serial, unsigned prio, bool override = true) {
  HaSettings s;
  s.group_name = "501E";
  s.group_id = 5;
  s.hostname = "host-" + serial.substr(serial.size() - 1);
  s.serial = serial;
  s.sw_version = "v0.1.0";
  s.hbdev = "ha";
  s.override = override;
  s.priority = prio;
  s.monitor = {"port1", "port2"};
  s.hb_interval_ms = 10;
  s.hb_lost_threshold = 3;
  s.uptime_diff_margin_ms = 300'000;
  s.monitor_stability_ms = 5'000;
  s.arps = 3;
  s.arps_interval_ms = 2'000;
  s.session_pickup = true;
  return s;
}

struct Node {
  Node(HaSettings s, uint64_t now, uint64_t epoch, const char* password = "s3cret")
      : m(std::move(s), now, epoch) {
    std::string err;
    EXPECT_TRUE(codec.init(password, m.settings().group_id, &err)) << err;
  }
  HaMachine m;
  HbCodec codec;
  std::vector<std::pair<uint64_t, HaAction>> actions;  // (time, action)
  bool running = true;

  size_t count(HaActionKind k) const {
    size_t n = 0;
    for (const auto& a : actions) n += a.second.kind == k;
    return n;
  }
};

class Pair {
 public:
  uint64_t now = 0;
  bool wire_up = true;
  // The data-port segment the two share: an ARP probe of one is answered
  // at once by the other while that one is primary (holds the virtual MAC).
  bool data_wire_up = true;
  std::unique_ptr<Node> a, b;

  // Hands actions back to the harness: heartbeats cross the wire as frames.
  void apply(Node& from, Node* to, std::vector<HaAction> acts) {
    for (HaAction& act : acts) {
      from.actions.push_back({now, act});
      if (act.kind == HaActionKind::kProbeDataPorts) {
        if (data_wire_up && to && to->running && to->m.role() == HaRole::kPrimary)
          apply(from, to, from.m.on_probe_answered(now));
        continue;
      }
      if (act.kind != HaActionKind::kSendHeartbeat) continue;
      HbInfo hb = from.m.make_heartbeat(now);
      uint8_t frame[kHbFrameMax];
      const uint8_t mac[6] = {2, 0, 0, 0, 0, uint8_t(&from == a.get() ? 1 : 2)};
      size_t n = from.codec.encode(hb, mac, frame, sizeof(frame));
      ASSERT_GT(n, 0u);
      if (!wire_up || !to || !to->running) continue;
      HbInfo got;
      HbDecodeResult r = to->codec.decode(frame, n, &got);
      if (r == HbDecodeResult::kOk)
        apply(*to, &from, to->m.on_heartbeat(got, now));
      else
        apply(*to, &from, to->m.on_dropped_frame(r, "ha", now));
    }
  }

  Node* other(Node& n) { return &n == a.get() ? b.get() : a.get(); }

  void tick_once() {
    if (a && a->running) apply(*a, b.get(), a->m.on_tick(now));
    if (b && b->running) apply(*b, a.get(), b->m.on_tick(now));
  }

  // Advances the clock in steps (default 1 ms, a tenth of hb-interval) up to t.
  void run_until(uint64_t t, uint64_t step = kMs) {
    while (now < t) {
      now += step;
      tick_once();
    }
  }
  void run_for(uint64_t d) { run_until(now + d); }

  void input(Node& n, std::vector<HaAction> acts) { apply(n, other(n), std::move(acts)); }
};

}  // namespace tandem::ha::test
