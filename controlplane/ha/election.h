// FGCP primary election between two cluster members. Pure function; called
// by HaMachine every time either member's inputs change, and by tests.
//
// Order (FortiOS FGCP): a member in maintenance mode or with `execute ha
// failover set` always loses. Then, with override disabled: most connected
// monitored interfaces, larger age (uptime) when the difference exceeds
// ha-uptime-diff-margin, higher priority, higher serial number. With
// override enabled, priority moves ahead of age. The rule that decided is
// returned with FortiOS's wording for `get system ha status`.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::ha {

struct Candidate {
  std::string serial;
  unsigned priority = 128;
  unsigned mon_score = 0;   // monitored interfaces up and past their stability period
  uint64_t uptime_ms = 0;   // FGCP age
  bool maintenance = false;
  bool failover_set = false;
  bool in_sync = false;     // not a rank input; HaMachine uses it to gate takeover
};

enum class ElectionRule : uint8_t {
  kMaintenance,   // the loser is in maintenance mode
  kFailoverSet,   // the loser has `execute ha failover set 1`
  kMonitor,       // more connected monitored interfaces
  kUptime,        // age difference beyond the margin
  kPriority,      // higher priority
  kSerial,        // higher serial number (last resort; serials are unique)
};

struct ElectionResult {
  int winner = 0;  // 0: a, 1: b
  ElectionRule rule = ElectionRule::kSerial;
  std::string reason;  // completes "... is selected as the primary because it has <reason>"
};

ElectionResult elect(const Candidate& a, const Candidate& b, bool override,
                     uint32_t uptime_margin_ms);

// FortiOS's phrase for a rule, e.g. "the highest priority".
const char* election_reason(ElectionRule rule);

}  // namespace tandem::ha
