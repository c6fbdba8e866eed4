// Two stacks over the simulated network: several MB each way at once,
// under each impairment, arrive byte-identical within a bounded simulated
// time, and both sides close normally.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/tcp/tcp_test_util.h"

namespace tandem::dp::test {
namespace {

constexpr uint64_t kTransferBytes = 3 * 1024 * 1024;

struct TransferCase {
  Impairment imp;
  uint64_t bound_us;  // simulated time the transfer must finish in
  uint64_t seed;
};

class Transfer : public ::testing::TestWithParam<TransferCase> {};

// Both stacks' counters, after a failed check.
void print_counters(Net* net, uint64_t start) {
  char buf[4096];
  for (int i = 0; i < 2; ++i) {
    tcp_format_counters(tcp_stack_counters(net->stack(i)), buf, sizeof(buf));
    std::printf("side %d after %llu us:\n%s", i, static_cast<unsigned long long>(net->now - start),
                buf);
  }
}

void run_transfer(const TransferCase& tc, const TcpConfig& cfg, uint64_t bytes, Net* net,
                  Endpoint* client, Endpoint* server) {
  client->seed = 0x1111 + tc.seed;
  server->seed = 0x2222 + tc.seed;
  client->to_send = bytes;
  server->to_send = bytes;
  ASSERT_GE(net->listen(1, server), 0);
  ASSERT_NE(net->connect(0, client), nullptr);
  (void)cfg;
  uint64_t start = net->now;
  net->run(start + tc.bound_us, [&] { return client->closed && server->closed; });
  EXPECT_TRUE(client->closed && server->closed)
      << "not finished in " << tc.bound_us << " us: client got " << client->received
      << " server got " << server->received;
  EXPECT_EQ(client->received, bytes);
  EXPECT_EQ(server->received, bytes);
  EXPECT_EQ(server->hash, stream_hash(client->seed, bytes));
  EXPECT_EQ(client->hash, stream_hash(server->seed, bytes));
  EXPECT_TRUE(client->eof && server->eof);
  EXPECT_EQ(client->why, TcpCloseReason::kNormal);
  EXPECT_EQ(server->why, TcpCloseReason::kNormal);
  if (::testing::Test::HasFailure()) print_counters(net, start);
}

TEST_P(Transfer, BothDirectionsArriveIntact) {
  const TransferCase& tc = GetParam();
  TcpConfig cfg = test_config();
  Net net(cfg, tc.seed, tc.imp);
  Endpoint client, server;
  run_transfer(tc, cfg, kTransferBytes, &net, &client, &server);
  // Everything is released once TIME_WAIT ends.
  net.run_for(2 * cfg.msl_us + 10'000);
  EXPECT_EQ(net.stack(0)->live, 0u);
  EXPECT_EQ(net.stack(1)->live, 0u);
  const TcpCounters& k0 = tcp_stack_counters(net.stack(0));
  const TcpCounters& k1 = tcp_stack_counters(net.stack(1));
  if (tc.imp.loss >= 10) {
    // Loss is repaired mostly by fast retransmit, not by waiting for RTOs.
    EXPECT_GT(k0.fast_retransmits + k1.fast_retransmits, 0u);
    EXPECT_GT(k0.retransmits + k1.retransmits, 0u);
  }
  if (tc.imp.reorder || tc.imp.loss) {
    EXPECT_GT(k0.ooo_queued + k1.ooo_queued, 0u);
  }
  if (tc.imp.corrupt) {
    EXPECT_GT(net.corrupt_dropped, 0u);
  }
}

// bound: 3 MiB over 100 Mbit/s takes ~0.26 s of serialisation; the bounds
// leave room for slow start and recovery, not for a stalled sender.
INSTANTIATE_TEST_SUITE_P(
    Impaired, Transfer,
    ::testing::Values(
        TransferCase{{"clean", 0, 0, 0, 0, 1000, 0, 100'000'000, 20'000}, 3'000'000, 1},
        TransferCase{{"loss1", 10, 0, 0, 0, 1000, 0, 100'000'000, 20'000}, 8'000'000, 2},
        TransferCase{{"loss5", 50, 0, 0, 0, 1000, 0, 100'000'000, 20'000}, 30'000'000, 3},
        TransferCase{{"reorder", 0, 30, 0, 0, 1000, 0, 100'000'000, 20'000}, 8'000'000, 4},
        TransferCase{{"duplicate", 0, 0, 30, 0, 1000, 0, 100'000'000, 20'000}, 8'000'000, 5},
        TransferCase{{"jitter", 0, 0, 0, 0, 2000, 3000, 100'000'000, 20'000}, 10'000'000, 6},
        TransferCase{{"corrupt", 0, 0, 0, 20, 1000, 0, 100'000'000, 20'000}, 10'000'000, 7},
        TransferCase{{"all", 20, 20, 20, 10, 2000, 2000, 50'000'000, 30'000}, 30'000'000, 8},
        TransferCase{{"unlimited", 0, 0, 0, 0, 500, 0, 0, 0}, 3'000'000, 9}),
    [](const ::testing::TestParamInfo<TransferCase>& info) {
      return std::string(info.param.imp.name);
    });

// The same transfer over a connection made from a SYN cookie (backlog 0:
// every SYN is answered statelessly): window scale and SACK survive in the
// timestamp, so it performs like any other.
TEST(TransferCookie, CookieConnectionCarriesData) {
  TcpConfig cfg = test_config();
  TransferCase tc{{"cookie", 10, 0, 0, 0, 1000, 0, 100'000'000, 20'000}, 10'000'000, 11};
  Net net(cfg, tc.seed, tc.imp);
  Endpoint client, server;
  client.seed = 1;
  server.seed = 2;
  client.to_send = server.to_send = 1024 * 1024;
  ASSERT_GE(net.listen(1, &server, /*syn_backlog=*/0), 0);
  ASSERT_NE(net.connect(0, &client), nullptr);
  net.run(net.now + tc.bound_us, [&] { return client.closed && server.closed; });
  EXPECT_TRUE(client.closed && server.closed);
  EXPECT_EQ(server.hash, stream_hash(1, 1024 * 1024));
  EXPECT_EQ(client.hash, stream_hash(2, 1024 * 1024));
  const TcpCounters& k = tcp_stack_counters(net.stack(1));
  EXPECT_GE(k.syn_cookies_sent, 1u);
  EXPECT_EQ(k.syn_cookies_validated, 1u);
}

}  // namespace
}  // namespace tandem::dp::test

namespace tandem::dp::test {
namespace {

// Simulated time until both sides closed, and the counters summed.
uint64_t transfer_time(const TcpConfig& cfg, const TransferCase& tc, TcpCounters* sum) {
  Net net(cfg, tc.seed, tc.imp);
  Endpoint client, server;
  uint64_t start = net.now;
  run_transfer(tc, cfg, kTransferBytes, &net, &client, &server);
  *sum = tcp_stack_counters(net.stack(0));
  const TcpCounters& k1 = tcp_stack_counters(net.stack(1));
  sum->rto_events += k1.rto_events;
  sum->spurious_retransmits += k1.spurious_retransmits;
  sum->fast_retransmits += k1.fast_retransmits;
  return net.now - start;
}

// Reordering without loss: the fast retransmits it provokes are spurious,
// and Eifel (timestamps) says so and undoes the window cut.
TEST(TransferRecovery, ReorderingIsFoundSpurious) {
  TransferCase tc{{"reorder", 0, 30, 0, 0, 1000, 0, 100'000'000, 20'000}, 8'000'000, 4};
  TcpCounters k{};
  transfer_time(test_config(), tc, &k);
  std::printf("# reorder: fast retransmits %llu, spurious %llu\n",
              static_cast<unsigned long long>(k.fast_retransmits),
              static_cast<unsigned long long>(k.spurious_retransmits));
  EXPECT_GT(k.spurious_retransmits, 0u);
  EXPECT_LE(k.spurious_retransmits, k.fast_retransmits);
}

}  // namespace
}  // namespace tandem::dp::test

namespace tandem::dp::test {
namespace {

// The component test's impaired wire (2 % loss, 1 % duplicates, 5 %
// reordered, 2 ms + up to 2 ms jitter, no bottleneck) over many seeds, with
// the stack's own timers (200 ms RTO floor, 256 KiB buffers) as well as the
// test config's: a transfer both ways, and an echo whose server reads only
// what it can write back. 30 seeds run by default (seed 27 of the test
// config deadlocked the echo before the window-update and ACK-sequence
// fixes, as the component test did once in ~350 runs); TANDEM_TCP_SWEEP=N
// runs N per config from TANDEM_TCP_SWEEP_FIRST (the simulation is
// deterministic: a failing seed is a reproducer).
uint64_t env_u64(const char* name, uint64_t dflt) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : dflt;
}

TEST(TransferSweep, ImpairedWireManySeeds) {
  const uint64_t seeds = env_u64("TANDEM_TCP_SWEEP", 30);
  const uint64_t first = env_u64("TANDEM_TCP_SWEEP_FIRST", 1);
  TcpConfig stack_defaults{};
  stack_defaults.max_conns = 16;
  stack_defaults.max_listeners = 4;
  stack_defaults.secret_seed = 42;
  stack_defaults.msl_us = 2'000'000;  // 2 MSL above the 200 ms RTO floor
  const char* only = std::getenv("TANDEM_TCP_SWEEP_CONFIG");  // "test" or "defaults"
  const std::pair<const char*, TcpConfig> configs[] = {{"test", test_config()},
                                                       {"defaults", stack_defaults}};
  for (const auto& [name, cfg] : configs) {
    if (only && std::string(only) != name) continue;
    for (uint64_t seed = first; seed < first + seeds; ++seed) {
      TransferCase tc{{"component", 20, 50, 10, 0, 2000, 2000, 0, 0}, 120'000'000, seed};
      Net net(cfg, seed, tc.imp);
      Endpoint client, server;
      run_transfer(tc, cfg, 2u << 20, &net, &client, &server);
      if (::testing::Test::HasFailure()) {
        std::printf("# failing seed %llu (config %s, transfer)\n",
                    static_cast<unsigned long long>(seed), name);
        return;
      }
      // And an echo: the server reads only what it can write back, so its
      // window closes whenever its own data waits for ACKs.
      Net net2(cfg, seed, tc.imp);
      Endpoint sender, echo;
      sender.seed = 0x3333 + seed;
      sender.to_send = 2u << 20;
      echo.echo = true;
      ASSERT_GE(net2.listen(1, &echo), 0);
      ASSERT_NE(net2.connect(0, &sender), nullptr);
      const uint64_t start = net2.now;
      net2.run(start + tc.bound_us, [&] { return sender.closed && echo.closed; });
      EXPECT_TRUE(sender.closed && echo.closed) << "echo not finished: sender got "
                                                << sender.received << " echo got " << echo.received;
      EXPECT_EQ(sender.received, sender.to_send);
      EXPECT_EQ(sender.hash, stream_hash(sender.seed, sender.to_send));
      EXPECT_EQ(sender.why, TcpCloseReason::kNormal);
      EXPECT_EQ(echo.why, TcpCloseReason::kNormal);
      if (::testing::Test::HasFailure()) {
        print_counters(&net2, start);
        std::printf("# failing seed %llu (config %s, echo)\n", static_cast<unsigned long long>(seed),
                    name);
        return;
      }
    }
  }
}

}  // namespace
}  // namespace tandem::dp::test
