// tandem-gen's warm-up order (WarmupOrder, bench/gen/frame_inl.h): the
// spread stride visits every flow once, and flows the trials send within
// one burst of each other were created far apart.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/gen/frame_inl.h"
#include "bench/gen/options.h"

namespace tandem::gen {
namespace {

// The flows a walk with `stride` visits from flow 0, n steps.
std::vector<uint32_t> walk(uint32_t n, uint32_t stride) {
  std::vector<uint32_t> out;
  uint32_t flow = 0;
  for (uint32_t i = 0; i < n; ++i) {
    out.push_back(flow);
    flow = next_flow(flow, stride, n);
  }
  EXPECT_EQ(flow, 0u) << "a walk over " << n << " flows ends where it began";
  return out;
}

TEST(GenWarmupOrder, EveryFlowComesOnce) {
  std::vector<uint32_t> counts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 30, 64, 100, 210, 1000, 1024,
                                  2310, 30030, 65536, 100000};
  for (uint32_t n : counts) {
    for (uint32_t stride : {1u, spread_stride(n)}) {
      std::vector<uint32_t> seen(n, 0);
      for (uint32_t f : walk(n, stride)) {
        ASSERT_LT(f, n);
        ++seen[f];
      }
      for (uint32_t f = 0; f < n; ++f) ASSERT_EQ(seen[f], 1u) << "flow " << f << " of " << n;
    }
  }
  EXPECT_EQ(walk(5, 1), (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  // The largest flow count: the stride is coprime and the step never
  // overflows 32 bits.
  uint32_t stride = spread_stride(kMaxFlows);
  ASSERT_GE(stride, 1u);
  ASSERT_LT(stride, kMaxFlows);
  uint32_t t = inverse_mod(stride, kMaxFlows);
  EXPECT_EQ(uint64_t{stride} * t % kMaxFlows, 1u);
  EXPECT_GT(spread_min_distance(t, kMaxFlows), kMaxFlows / 50);
  EXPECT_EQ(next_flow(kMaxFlows - 1, stride, kMaxFlows), stride - 1);
  EXPECT_EQ(next_flow(0, stride, kMaxFlows), stride);
}

TEST(GenWarmupOrder, FlowsOneBurstApartInTheTrialsWereCreatedFarApart) {
  for (uint32_t n : {1000u, 100000u, 1000000u}) {
    // When each flow was created (its step in the spread warm-up).
    std::vector<uint32_t> created(n);
    std::vector<uint32_t> order = walk(n, spread_stride(n));
    for (uint32_t step = 0; step < n; ++step) created[order[step]] = step;
    // Trials send 0, 1, 2, ...: any two flows less than 32 apart were
    // created at least n / 50 steps apart (sessions in creation order are
    // then never neighbours).
    for (uint32_t f = 0; f + 32 <= n; f += 89) {
      for (uint32_t a = f; a < f + 32; ++a)
        for (uint32_t b = a + 1; b < f + 32; ++b) {
          int64_t d = std::abs(static_cast<int64_t>(created[a]) - created[b]);
          ASSERT_GT(std::min<int64_t>(d, n - d), n / 50) << n << " flows: " << a << " and " << b;
        }
    }
  }
}

TEST(GenWarmupOrder, Option) {
  GenConfig cfg;
  std::string error;
  ASSERT_EQ(parse_options({"--client-port", "net_ring0"}, &cfg, &error), ParseOutcome::kRun) << error;
  EXPECT_EQ(cfg.warmup_order, WarmupOrder::kSequential);
  ASSERT_EQ(parse_options({"--client-port", "net_ring0", "--warmup-pps", "max", "--warmup-order", "spread"},
                          &cfg, &error),
            ParseOutcome::kRun)
      << error;
  EXPECT_EQ(cfg.warmup_order, WarmupOrder::kSpread);
  EXPECT_EQ(parse_options({"--client-port", "net_ring0", "--warmup-pps", "max", "--warmup-order", "random"},
                          &cfg, &error),
            ParseOutcome::kError);
  EXPECT_NE(error.find("--warmup-order"), std::string::npos) << error;
  EXPECT_EQ(parse_options({"--client-port", "net_ring0", "--warmup-order", "spread"}, &cfg, &error),
            ParseOutcome::kError);
  EXPECT_EQ(error, "--warmup-order spread orders the warm-up: give --warmup-pps too");
}

}  // namespace
}  // namespace tandem::gen
