// libFuzzer target for tandem-gen's command line (bench/gen/options.cc:
// parse_options, everything after `--`). Input: arguments separated by NUL
// bytes; an argument of one byte below 0x40 stands for the option name of
// that index (modulo their count, read from help_text(), so every option is
// reachable), any other is taken as it is. Checked for every input: a
// refusal says why, and an accepted command line is one the generator can
// run:
//   at least one client port; 1 <= flows <= the distinct 5-tuples of the
//   ranges, and every range count >= 1; frame sizes 64..1518; rates and
//   times finite and not negative, a paced rate invertible (>= 0.001);
//   trial, duration and bucket above 0; loss below 100 %; burst 1..64;
//   descriptors 1..65535; pool >= 1024.
// Any breach aborts. Seeds: tests/fuzz/corpus/fuzz_gen_options/.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/gen/options.h"
#include "tests/fuzz/fuzz_require.h"

namespace {

using tandem::fuzz::require;
using namespace tandem::gen;

std::vector<std::string> option_names() {
  std::vector<std::string> names;
  const std::string help = help_text();
  for (size_t at = help.find("\n  --"); at != std::string::npos; at = help.find("\n  --", at + 1)) {
    const size_t start = at + 3;
    names.push_back(help.substr(start, help.find_first_of(" \n", start) - start));
  }
  return names;
}

bool time_ok(double s) { return std::isfinite(s) && s >= 0; }
bool rate_ok(double pps) { return std::isfinite(pps) && (pps == 0 || pps >= 1e-3); }

void check(const GenConfig& c, const std::string& line) {
  require(!c.client.devices.empty(), "ran without a client port", line);
  const FlowSpace& f = c.flows;
  require(f.client_ip.count >= 1 && f.client_port.count >= 1 && f.server_ip.count >= 1 &&
              f.server_port.count >= 1,
          "a range of no addresses or ports", line);
  require(uint32_t{f.client_port.first} + f.client_port.count - 1 <= UINT16_MAX &&
              uint32_t{f.server_port.first} + f.server_port.count - 1 <= UINT16_MAX,
          "a port range past 65535", line);
  const double space = double(f.client_ip.count) * f.client_port.count * double(f.server_ip.count) *
                       f.server_port.count;
  require(f.flows >= 1 && f.flows <= space && f.flows <= kMaxFlows, "flows out of the 5-tuple space",
          line);
  require(!c.frame_sizes.empty(), "no frame size", line);
  for (uint16_t s : c.frame_sizes)
    require(s >= kMinFrameSize && s <= kMaxFrameSize, "frame size out of 64..1518", line);
  require(rate_ok(c.rate_pps) && rate_ok(c.warmup_pps) && rate_ok(c.ndr_max_pps),
          "a rate that is not finite or cannot be paced", line);
  require(time_ok(c.duration_s) && c.duration_s > 0 && time_ok(c.ndr_trial_s) && c.ndr_trial_s > 0 &&
              time_ok(c.bucket_s) && c.bucket_s > 0,
          "a trial, duration or bucket not above 0", line);
  require(time_ok(c.dead_after_s) && time_ok(c.drain_s) && time_ok(c.link_timeout_s) &&
              time_ok(c.resolve_timeout_s),
          "a time that is negative or not finite", line);
  require(c.ndr_loss_pct >= 0 && c.ndr_loss_pct < 100 && c.ndr_resolution_pct > 0 &&
              std::isfinite(c.ndr_resolution_pct),
          "loss or resolution out of range", line);
  require(c.burst >= 1 && c.burst <= 64, "burst out of 1..64", line);
  require(c.rx_desc >= 1 && c.rx_desc <= 65535 && c.tx_desc >= 1 && c.tx_desc <= 65535,
          "descriptors out of 1..65535", line);
  require(c.pool_size >= 1024, "pool below 1024", line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> names = option_names();
  require(names.size() > 30, "help_text() lists too few options");
  std::vector<std::string> args;
  std::string line;
  size_t start = 0;
  while (start <= size) {
    size_t end = start;
    while (end < size && data[end] != 0) ++end;
    std::string arg(reinterpret_cast<const char*>(data + start), end - start);
    if (arg.size() == 1 && static_cast<unsigned char>(arg[0]) < 0x40)
      arg = names[static_cast<unsigned char>(arg[0]) % names.size()];
    line += (args.empty() ? "" : " ") + arg;
    args.push_back(std::move(arg));
    start = end + 1;
  }
  GenConfig cfg;
  std::string error;
  switch (parse_options(args, &cfg, &error)) {
    case ParseOutcome::kError: require(!error.empty(), "refused without a reason", line); break;
    case ParseOutcome::kHelp: break;
    case ParseOutcome::kRun: check(cfg, line); break;
  }
  return 0;
}
