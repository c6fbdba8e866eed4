#include "controlplane/ha/election.h"

#include <iterator>

namespace tandem::ha {
namespace {

// +1: a ranks higher under rule, -1: b does, 0: the rule does not decide.
int compare(const Candidate& a, const Candidate& b, ElectionRule rule, uint32_t margin_ms) {
  switch (rule) {
    case ElectionRule::kMaintenance: return int(b.maintenance) - int(a.maintenance);
    case ElectionRule::kFailoverSet: return int(b.failover_set) - int(a.failover_set);
    case ElectionRule::kMonitor: return a.mon_score == b.mon_score ? 0 : a.mon_score > b.mon_score ? 1 : -1;
    case ElectionRule::kUptime: {
      uint64_t diff = a.uptime_ms > b.uptime_ms ? a.uptime_ms - b.uptime_ms : b.uptime_ms - a.uptime_ms;
      // FortiOS treats ages within the margin as equal, so a few seconds
      // of boot-order jitter never decide who is primary.
      if (diff <= margin_ms) return 0;
      return a.uptime_ms > b.uptime_ms ? 1 : -1;
    }
    case ElectionRule::kPriority: return a.priority == b.priority ? 0 : a.priority > b.priority ? 1 : -1;
    case ElectionRule::kSerial: {
      int c = a.serial.compare(b.serial);
      return c == 0 ? 0 : c > 0 ? 1 : -1;
    }
  }
  return 0;
}

}  // namespace

const char* election_reason(ElectionRule rule) {
  switch (rule) {
    case ElectionRule::kMaintenance: return "a peer in maintenance mode";
    case ElectionRule::kFailoverSet: return "a peer with the SET_AS_SECONDARY (failover set) flag";
    case ElectionRule::kMonitor: return "the most connected monitored interfaces";
    case ElectionRule::kUptime: return "the largest uptime";
    case ElectionRule::kPriority: return "the highest priority";
    case ElectionRule::kSerial: return "the highest serial number";
  }
  return "?";
}

ElectionResult elect(const Candidate& a, const Candidate& b, bool override, uint32_t uptime_margin_ms) {
  static constexpr ElectionRule kAgeFirst[] = {ElectionRule::kMaintenance, ElectionRule::kFailoverSet,
                                               ElectionRule::kMonitor,     ElectionRule::kUptime,
                                               ElectionRule::kPriority,    ElectionRule::kSerial};
  static constexpr ElectionRule kPriorityFirst[] = {ElectionRule::kMaintenance, ElectionRule::kFailoverSet,
                                                    ElectionRule::kMonitor,     ElectionRule::kPriority,
                                                    ElectionRule::kUptime,      ElectionRule::kSerial};
  const ElectionRule* order = override ? kPriorityFirst : kAgeFirst;
  ElectionResult r;
  for (size_t i = 0; i < std::size(kAgeFirst); ++i) {
    int c = compare(a, b, order[i], uptime_margin_ms);
    if (c != 0) {
      r.winner = c > 0 ? 0 : 1;
      r.rule = order[i];
      r.reason = election_reason(order[i]);
      return r;
    }
  }
  // Identical serials only happen when a node hears itself (looped hbdev);
  // keep the first argument, which HaMachine passes as the local node.
  r.winner = 0;
  r.rule = ElectionRule::kSerial;
  r.reason = election_reason(ElectionRule::kSerial);
  return r;
}

}  // namespace tandem::ha
