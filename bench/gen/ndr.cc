#include "bench/gen/ndr.h"

#include <cstdlib>
#include <string>

#include "bench/gen/report.h"

namespace tandem::gen {

bool ndr_trial_passed(const GenConfig& cfg, double rate_pps, const TrialResult& result) {
  if (result.tx_frames == 0) return false;
  const double loss_pct =
      100.0 * static_cast<double>(result.lost) / static_cast<double>(result.tx_frames);
  if (loss_pct > cfg.ndr_loss_pct) return false;
  if (rate_pps <= 0) return true;
  const double streams = static_cast<double>(result.streams.size());
  return result.tx_pps >= kOfferedRateFloor * rate_pps * streams;
}

void run_trial_hook(const GenConfig& cfg, const std::string& phase) {
  if (cfg.trial_hook.empty()) return;
  // Whatever the hook prints lands after what we printed so far.
  std::fflush(stdout);
  std::fflush(stderr);
  setenv("TANDEM_GEN_PHASE", phase.c_str(), 1);
  const int status = std::system(cfg.trial_hook.c_str());
  if (status != 0) std::fprintf(stderr, "tandem-gen: --trial-hook exited with status %d\n", status);
}

NdrResult search_ndr(Generator& gen, const GenConfig& cfg, std::FILE* log) {
  NdrResult out;
  auto trial = [&](double rate) -> const NdrTrial& {
    NdrTrial t;
    t.rate_pps = rate;
    t.result = gen.run_trial(rate, cfg.ndr_trial_s, false);
    t.passed = ndr_trial_passed(cfg, rate, t.result);
    if (rate <= 0) {
      // The max-rate probe: record what it reached as its rate.
      t.rate_pps = t.result.tx_pps / static_cast<double>(t.result.streams.size());
    }
    const unsigned index = static_cast<unsigned>(out.trials.size());
    std::fputs(format_ndr_trial(t, index).c_str(), log);
    std::fflush(log);
    run_trial_hook(cfg, "trial" + std::to_string(index));
    out.trials.push_back(std::move(t));
    return out.trials.back();
  };

  double hi = cfg.ndr_max_pps;
  double lo = 0;
  if (hi <= 0) {
    const NdrTrial& probe = trial(0);
    hi = probe.rate_pps;
    if (probe.passed) {
      out.ndr_pps = hi;
      out.max_pps = hi;
      out.at_ndr = probe.result;
      return out;
    }
  }
  out.max_pps = hi;
  {
    const NdrTrial& top = trial(hi);
    if (top.passed) {
      out.ndr_pps = hi;
      out.at_ndr = top.result;
      return out;
    }
  }
  const double resolution = hi * cfg.ndr_resolution_pct / 100.0;
  while (hi - lo > resolution) {
    const double mid = (lo + hi) / 2;
    const NdrTrial& t = trial(mid);
    if (t.passed) {
      lo = mid;
      out.ndr_pps = mid;
      out.at_ndr = t.result;
    } else {
      hi = mid;
    }
  }
  return out;
}

}  // namespace tandem::gen
