// tandem-gen: EAL set-up around Generator, the run or NDR search the options
// ask for, and the reports. See options.cc (--help) for the command line.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>

#include "bench/gen/generator.h"
#include "bench/gen/ndr.h"
#include "bench/gen/options.h"
#include "bench/gen/report.h"
#include "drivers/port/unmap_guard.h"

namespace {

using tandem::gen::GenConfig;

int run(const GenConfig& cfg) {
  tandem::gen::Generator gen;
  std::string error;
  if (!gen.open(cfg, &error) || !gen.wait_links(&error) || !gen.resolve_gateways(&error)) {
    std::fprintf(stderr, "tandem-gen: %s\n", error.c_str());
    return 1;
  }
  if (cfg.warmup) {
    const tandem::gen::TrialResult warm = gen.warm_up();
    std::printf("warm-up      %lu of %u flows answered in %.6f s%s\n",
                static_cast<unsigned long>(warm.flows_answered), cfg.flows.flows, warm.elapsed_s,
                cfg.flows.shape == tandem::gen::L4Shape::kTcp
                    ? (cfg.directions == tandem::gen::Directions::kBoth ? " (SYN, SYN|ACK, ACK)"
                                                                        : " (SYN, ACK)")
                    : "");
    // A driver watching our stdout (a file: fully buffered) waits for this
    // line to know the measured trial starts.
    std::fflush(stdout);
    tandem::gen::run_trial_hook(cfg, "warmup");
  }
  tandem::gen::TrialResult result;
  tandem::gen::NdrResult ndr;
  if (cfg.ndr) {
    ndr = tandem::gen::search_ndr(gen, cfg, stdout);
    result = ndr.at_ndr;
    std::printf("%s", tandem::gen::format_ndr(ndr).c_str());
    if (ndr.ndr_pps <= 0) std::printf("no trial passed: no NDR at this resolution\n");
  } else {
    result = gen.run_trial(cfg.rate_pps, cfg.duration_s, cfg.progress);
    tandem::gen::run_trial_hook(cfg, "trial0");
  }
  std::printf("%s", tandem::gen::format_trial(result, cfg.histogram).c_str());
  int rc = 0;
  if (!cfg.json_path.empty() &&
      !tandem::gen::write_json(cfg.json_path, cfg, result, cfg.ndr ? &ndr : nullptr, &error)) {
    std::fprintf(stderr, "tandem-gen: %s\n", error.c_str());
    rc = 1;
  }
  if (!cfg.timeline_path.empty() && !tandem::gen::write_timeline(cfg.timeline_path, result, &error)) {
    std::fprintf(stderr, "tandem-gen: %s\n", error.c_str());
    rc = 1;
  }
  gen.close();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  // Drivers send the output to a file and read it while the run goes on;
  // a generator that stalls must show how far it got (bench/pickup once
  // saw an empty file after 60 s), so every line goes out when written.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<std::string> eal = {argv[0]};
  std::vector<std::string> options;
  bool after_dashes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!after_dashes && arg == "--") {
      after_dashes = true;
    } else if (after_dashes) {
      options.push_back(arg);
    } else if (arg == "--help" || arg == "-h") {
      options.push_back("--help");
    } else {
      eal.push_back(arg);
    }
  }
  GenConfig cfg;
  std::string error;
  switch (tandem::gen::parse_options(options, &cfg, &error)) {
    case tandem::gen::ParseOutcome::kHelp:
      std::printf("%s", tandem::gen::help_text().c_str());
      return 0;
    case tandem::gen::ParseOutcome::kError:
      std::fprintf(stderr, "tandem-gen: %s\n", error.c_str());
      return 2;
    case tandem::gen::ParseOutcome::kRun:
      break;
  }
  if (!tandem::gen::Generator::device_eal_args(cfg, &eal, &error)) {
    std::fprintf(stderr, "tandem-gen: %s\n", error.c_str());
    return 2;
  }
  std::vector<char*> eal_argv;
  for (std::string& arg : eal) eal_argv.push_back(arg.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "tandem-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  // A driver ends a long run with a signal and still wants the reports.
  std::signal(SIGINT, [](int) { tandem::gen::Generator::request_stop(); });
  std::signal(SIGTERM, [](int) { tandem::gen::Generator::request_stop(); });
  const int rc = run(cfg);
  const tandem::drivers::UnmapGuardStats guard = tandem::drivers::unmap_guard_stats();
  if (guard.waits > 0) {
    std::fprintf(stderr,
                 "tandem-gen: a memif peer went away: %lu unmaps waited for the lcores to leave "
                 "their bursts (gave up waiting: %lu)\n", guard.waits, guard.timeouts);
  }
  rte_eal_cleanup();
  return rc;
}
