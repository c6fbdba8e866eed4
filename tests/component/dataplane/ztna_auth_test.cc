// The login verifier (dataplane/ztna/ztna_auth.h) on a real EAL ring: jobs
// posted by a worker are checked on the verifier thread, answered and
// their passwords wiped; posting never waits for a check; stopping the
// verifier answers what is still queued "wrong" without a check, so a
// worker can free its jobs.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "dataplane/user/user_password.h"
#include "dataplane/ztna/ztna_auth.h"
#include "tests/component/lib/eal_ring.h"

namespace tandem::dp {
namespace {

rte_mempool* g_pool = nullptr;
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(
    new ::tandem::test::EalRingEnvironment("ztnaauth", "0", 255, &g_pool));

std::unique_ptr<ZtnaLoginJob> job(const std::string& word, const std::string& password) {
  auto j = std::make_unique<ZtnaLoginJob>();
  std::snprintf(j->hash, sizeof j->hash, "%s", word.c_str());
  std::memcpy(j->password, password.data(), password.size());
  j->password_len = static_cast<uint16_t>(password.size());
  j->ok = false;
  j->done.store(false);
  return j;
}

std::string hash(const char* password, unsigned iterations) {
  char word[kUserPasswordHashMax + 1];
  EXPECT_GT(user_password_hash(password, iterations, word, sizeof word), 0u);
  return word;
}

bool wait_done(const ZtnaLoginJob& j) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!j.done.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool wiped(const ZtnaLoginJob& j) {
  for (char c : j.password) {
    if (c != 0) return false;
  }
  return true;
}

TEST(ZtnaAuth, ChecksRunOnTheVerifierThreadAndAnswerEach) {
  ASSERT_TRUE(ztna_auth_acquire());
  ZtnaAuthStats before = ztna_auth_stats();
  std::string fast = hash("pw", kUserPasswordIterations), slow = hash("pw", 200'000);
  auto good = job(fast, "pw"), wrong = job(fast, "nope"), slow_good = job(slow, "pw");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(ztna_auth_post(slow_good.get()));
  ASSERT_TRUE(ztna_auth_post(good.get()));
  ASSERT_TRUE(ztna_auth_post(wrong.get()));
  auto posting = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(wait_done(*slow_good));
  auto checking = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(wait_done(*good));
  ASSERT_TRUE(wait_done(*wrong));
  EXPECT_LT(posting * 100, checking) << "posting waits for no check";
  EXPECT_TRUE(slow_good->ok);
  EXPECT_TRUE(good->ok);
  EXPECT_FALSE(wrong->ok);
  EXPECT_TRUE(wiped(*good) && wiped(*wrong) && wiped(*slow_good)) << "passwords are wiped once checked";
  ZtnaAuthStats after = ztna_auth_stats();
  EXPECT_EQ(after.checked - before.checked, 3u);
  EXPECT_EQ(after.good - before.good, 2u);
  EXPECT_EQ(after.queued, 0u);
  ztna_auth_release();
}

TEST(ZtnaAuth, StoppingAnswersQueuedJobsWrongWithoutACheck) {
  ASSERT_TRUE(ztna_auth_acquire());
  ZtnaAuthStats before = ztna_auth_stats();
  std::string slow = hash("pw", 1'000'000);
  auto first = job(slow, "pw"), second = job(slow, "pw"), third = job(slow, "pw");
  ASSERT_TRUE(ztna_auth_post(first.get()));
  ASSERT_TRUE(ztna_auth_post(second.get()));
  ASSERT_TRUE(ztna_auth_post(third.get()));
  ztna_auth_release();  // the last reference: stop, join
  // Every job is answered once release returns: nothing writes into them later.
  EXPECT_TRUE(first->done.load() && second->done.load() && third->done.load());
  EXPECT_FALSE(third->ok) << "queued behind a check of a second or so: answered without one";
  EXPECT_TRUE(wiped(*first) && wiped(*second) && wiped(*third));
  EXPECT_LE(ztna_auth_stats().checked - before.checked, 1u);
}

}  // namespace
}  // namespace tandem::dp
