// The NDR (no-drop rate) search of tandem-gen, RFC 2544 section 26.1 style:
// a binary search over the offered rate, each trial a fresh run of
// cfg.ndr_trial_s seconds, a trial passing when its loss is within
// cfg.ndr_loss_pct and the generator really offered the rate asked for.
// Called by main.cc for --ndr; each trial is printed to `log` as it ends.
#pragma once

#include <cstdio>
#include <string>

#include "bench/gen/gen_types.h"
#include "bench/gen/generator.h"

namespace tandem::gen {

// Share of the asked rate the generator must reach for a trial to count:
// below it the generator, not the DUT, was the limit.
constexpr double kOfferedRateFloor = 0.98;

bool ndr_trial_passed(const GenConfig& cfg, double rate_pps, const TrialResult& result);
NdrResult search_ndr(Generator& gen, const GenConfig& cfg, std::FILE* log);
// Runs cfg.trial_hook (if any) with TANDEM_GEN_PHASE=phase, between phases
// only: a fork/exec beside a running trial would steal the generator's core.
void run_trial_hook(const GenConfig& cfg, const std::string& phase);

}  // namespace tandem::gen
