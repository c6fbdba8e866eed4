// tandem-gen's command line: `tandem-gen [EAL options] -- [generator
// options]`, as dpdk-testpmd does it. parse_options() turns the part after
// `--` into a GenConfig (pure string work, before rte_eal_init, so device
// errors are reported before EAL starts); help_text() is --help, the one
// place every option is documented. Called by main.cc; tested in tests/.
#pragma once

#include <string>
#include <vector>

#include "bench/gen/gen_types.h"

namespace tandem::gen {

enum class ParseOutcome { kRun, kHelp, kError };

ParseOutcome parse_options(const std::vector<std::string>& args, GenConfig* cfg, std::string* error);
std::string help_text();

// "10.1.0.2" or "10.1.0.2-10.1.3.255" (host order); "1024" or "1024-65535".
bool parse_addr_range(const std::string& text, AddrRange* out);
bool parse_port_range(const std::string& text, PortRange* out);
// "64", "64,128,1518" or "imix" (64:570:1518 as 7:4:1, interleaved).
bool parse_frame_sizes(const std::string& text, std::vector<uint16_t>* out);
// "500000", "1.5M", "200k", or "max" (0).
bool parse_rate(const std::string& text, double* pps);

}  // namespace tandem::gen
