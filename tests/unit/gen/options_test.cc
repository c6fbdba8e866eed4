// tandem-gen's command line (bench/gen/options.cc): what parses, what it
// gives, and the refusals. fuzz_gen_options checks the same invariants on
// arbitrary arguments.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/gen/options.h"

namespace tandem::gen {
namespace {

const std::string kPort = "net_ring0";

ParseOutcome parse(std::vector<std::string> args, GenConfig* cfg, std::string* error) {
  return parse_options(args, cfg, error);
}

std::string refusal(std::vector<std::string> args) {
  GenConfig cfg;
  std::string error;
  args.insert(args.begin(), {"--client-port", kPort});
  EXPECT_EQ(parse(args, &cfg, &error), ParseOutcome::kError);
  return error;
}

TEST(GenOptions, DefaultsAndSuffixes) {
  GenConfig cfg;
  std::string error;
  ASSERT_EQ(parse({"--client-port", kPort, "--flows", "2k", "--rate", "1.5M", "--size", "imix",
                   "--warmup-pps", "200k"},
                  &cfg, &error),
            ParseOutcome::kRun)
      << error;
  EXPECT_EQ(cfg.flows.flows, 2000u);
  EXPECT_DOUBLE_EQ(cfg.rate_pps, 1.5e6);
  EXPECT_TRUE(cfg.warmup);
  EXPECT_DOUBLE_EQ(cfg.warmup_pps, 2e5);
  EXPECT_EQ(cfg.frame_sizes.size(), 12u);
  EXPECT_EQ(cfg.flows.client_ip.count, 65533u);
  EXPECT_EQ(parse({"--help"}, &cfg, &error), ParseOutcome::kHelp);
  EXPECT_NE(help_text().find("--client-port DEVICE"), std::string::npos);
}

TEST(GenOptions, Refusals) {
  GenConfig cfg;
  std::string error;
  EXPECT_EQ(parse({}, &cfg, &error), ParseOutcome::kError);
  EXPECT_EQ(error, "no --client-port given");
  EXPECT_NE(refusal({"--bogus"}).find("unknown option --bogus"), std::string::npos);
  EXPECT_NE(refusal({"--rate"}).find("--rate needs PPS|max"), std::string::npos);
  EXPECT_NE(refusal({"--size", "63"}).find("expected LIST"), std::string::npos);
  EXPECT_NE(refusal({"--flows", "70000", "--client-ip", "10.0.0.1", "--client-port-range", "1000"})
                .find("do not fit"),
            std::string::npos);
  // Seen while writing fuzz_gen_options' checks (it did not find them in a
  // minute): a suffix that overflows to infinity, a rate too small to
  // pace, and the whole address space, whose count of 2^32 read as 0.
  EXPECT_NE(refusal({"--rate", "1e308M"}).find("expected PPS|max"), std::string::npos);
  EXPECT_NE(refusal({"--ndr-max", "1e305M"}).find("expected PPS"), std::string::npos);
  EXPECT_NE(refusal({"--rate", "1e-9"}).find("expected PPS|max"), std::string::npos);
  EXPECT_NE(refusal({"--client-ip", "0.0.0.0-255.255.255.255"}).find("expected A[-B]"),
            std::string::npos);
  EXPECT_NE(refusal({"--bucket-ms", "1e-322"}).find("expected MS"), std::string::npos);
  GenConfig wide;
  ASSERT_EQ(parse({"--client-port", kPort, "--client-ip", "0.0.0.1-255.255.255.255"}, &wide, &error),
            ParseOutcome::kRun)
      << error;
  EXPECT_EQ(wide.flows.client_ip.count, 0xffffffffu);
}

}  // namespace
}  // namespace tandem::gen
