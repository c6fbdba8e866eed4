// The operator's view of HA, printed from an HaMachine plus what only the
// caller knows (port counters, configured peers, wall clock). Called by the
// CLI commands `get system ha status`, `diagnose ha stats`, `diagnose sys ha
// status` and `diagnose sys ha history read`. Times print in UTC so output
// does not depend on the host's zone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/ha/ha_state.h"

namespace tandem::ha {

// One row of HBDEV/MONDEV stats, as FortiOS prints them.
struct HaDevStats {
  std::string name;
  std::string kind = "physical";
  std::string speed = "10000full";
  bool up = true;
  uint64_t rx_bytes = 0, rx_packets = 0, rx_dropped = 0, rx_errors = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_dropped = 0, tx_errors = 0;
};

// A configured cluster member (`config system ha` / `config peer`).
struct HaPeerStatic {
  std::string ip;
  std::string serial;
};

struct HaStatusInputs {
  std::string model = "Tandem-VM";
  uint64_t now_mono_ns = 0;  // the clock HaMachine runs on
  int64_t now_wall_s = 0;    // Unix time at now_mono_ns
  uint64_t stats_mono_ns = 0;  // when hbdevs/mondevs were sampled
  std::vector<HaDevStats> hbdevs, mondevs;
  std::vector<HaPeerStatic> peers;
  uint64_t pending_sync_bytes = 0;
  // From the caller's config sync (diagnose ha stats): lines printed in each
  // configured peer's block before "last error", a last error that takes
  // the place of the heartbeat's, and counters appended at the end.
  std::vector<std::string> peer_sync_lines;
  std::string sync_last_error;
  std::string trailer;
  // The node's heartbeat sender (diagnose sys ha status): the longest time
  // between two heartbeats on the wire, and those the keeper sent while
  // the control lcore was busy, with the longest such time.
  uint64_t hb_wire_max_gap_ns = 0, hb_wire_max_gap_at_ns = 0;  // its length, and when it ended (mono)
  uint64_t hb_keeper_sent = 0, hb_busy_max_ns = 0;
  // Times the watchdog silenced the data ports (the control lcore hung).
  uint64_t watchdog_silenced = 0;
};

std::string format_ha_status(const HaMachine& ha, const HaStatusInputs& in);      // get system ha status
std::string format_ha_stats(const HaMachine& ha, const HaStatusInputs& in);       // diagnose ha stats
std::string format_sys_ha_status(const HaMachine& ha, const HaStatusInputs& in);  // diagnose sys ha status
std::string format_ha_history(const HaMachine& ha, const HaStatusInputs& in);     // diagnose sys ha history read

}  // namespace tandem::ha
