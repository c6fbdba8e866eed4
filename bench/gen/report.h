// What tandem-gen prints: the human summary, the JSON summary (--json), the
// per-millisecond timeline CSV (--timeline) and latency percentiles
// (--hist). Called by main.cc after a run or an NDR search, and by
// generator.cc for the histogram bucket of each received frame.
#pragma once

#include <cstdint>
#include <string>

#include "bench/gen/gen_types.h"

namespace tandem::gen {

// Bucket of a latency in the log-linear histogram (see LatencyHistogram).
inline unsigned latency_bucket(uint64_t ns) {
  constexpr uint64_t kLinear = 1ull << kLatencySubBits;
  if (ns < kLinear) return static_cast<unsigned>(ns);
  const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(ns));
  const unsigned shift = msb - kLatencySubBits;
  return ((msb - kLatencySubBits + 1) << kLatencySubBits) +
         static_cast<unsigned>((ns >> shift) & (kLinear - 1));
}

// Smallest latency (ns, bucket lower bound) at or below which a fraction q
// of the samples lie; 0 without samples. q = 1 gives the exact maximum.
uint64_t latency_percentile(const LatencyHistogram& hist, double q);

std::string format_trial(const TrialResult& result, bool histogram);
std::string format_ndr(const NdrResult& result);
std::string format_ndr_trial(const NdrTrial& trial, unsigned index);

// JSON of one run (ndr == nullptr) or of an NDR search; false with *error on
// an I/O failure.
bool write_json(const std::string& path, const GenConfig& cfg, const TrialResult& result,
                const NdrResult* ndr, std::string* error);
// CSV "ms,rx_frames,tx_frames,lost_so_far,flows_last_rx", one row per
// millisecond of the trial (lost_so_far = sent - received up to that row,
// frames in flight included: a failover outage shows as a plateau of rx 0
// and a rising count; flows_last_rx = flows whose last received frame fell
// in that millisecond: the flows that died at a failover pile up at it).
bool write_timeline(const std::string& path, const TrialResult& result, std::string* error);

}  // namespace tandem::gen
